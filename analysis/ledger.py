"""Tables published from the same data cannot be subtracted from each other.

Small-cell suppression protects one table at a time. Two tables published from the same data
can still be differenced: the all-years table minus the 2015-2024 table gives the 2025 table,
small cells included (the data-quality notebook hid 44 of 48 rows for 2025, and that subtraction
recovered all 44). So every count cell published from a data set is kept in a **ledger** (a file
in the results folder) by its definition - which records it counts (the run's selection, the
table's row, the count's population) - never by the records themselves.

Before a table is published, :meth:`Ledger.protect` looks at everything published before and the
new table together. Each cell is a set of units (journeys or persons) of the current data; a
reader can tell apart the *groups* of units that the same visible cells count. A reader knows
every linear combination of published counts, so a group, or a hidden cell, is *determined* when
its indicator vector lies in the span of the visible cells' vectors. A determined group or hidden
cell holding between 1 and ``threshold - 1`` units is a disclosure: the new table then hides
more rows (the smallest cell's first), until nothing small is determined; if something small is
determined by earlier tables alone, the table is not published at all. Groups are those of the
visible cells, not those split further by the hidden ones: two communes whose rows are hidden
are one group to a reader (the province's count minus the visible communes'). The units of a
cell outside another cell inside it are a group too (all years minus the years before the last:
for persons, who can be in several districts' cells, it is seldom one of the former groups).
Journeys and persons are checked apart: one call checks the cells of one unit.

Only exact (linear) determination of those groups is checked: other unions of small groups, and
bounds an attacker could derive with linear programming across tables, are not (within a
table the complementary suppression of :mod:`analysis.suppress` audits them).

Speed: the cells are split into blocks of units that only a few cells share (a commune's, for a
commune table) and the cells that join many blocks (a national total by year). The span is then
one small problem per block plus one for what the joining cells add, and stays exact: the
national commune table of the demo (3,236 cells over 60,050 journeys) takes seconds, where one
dense problem took more than 18 minutes (``bench/bench_ledger.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from analysis._span import Space, atoms, differences, groups
from analysis.errors import InvalidParameterError, LedgerMismatchError

__all__ = ["CellSpec", "Ledger", "table_cells"]

UNITS = ("journeys", "persons")


@dataclass(frozen=True)
class CellSpec:
    """Which records one published count cell counts.

    ``selection``: the run's filter (column -> allowed values: a province, departure years ...);
    ``key``: the table row's column and value (``None`` for a one-row table); ``population``: a
    pandas query selecting the records a count column counts (``None``: all selected records);
    ``unit``: ``journeys`` (rows) or ``persons`` (distinct ``person_key``)."""

    selection: dict[str, list[Any]] = field(default_factory=dict)
    key: tuple[str, Any] | None = None
    population: str | None = None
    unit: str = "journeys"

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows of ``frame`` this cell counts."""
        return _Masks(frame).of(self)


def table_cells(table: pd.DataFrame, counts: Sequence[str], *,
                selection: Mapping[str, Sequence[Any]] | None = None, by: str | None = None,
                populations: Mapping[str, str | None] | None = None,
                unit: str | Mapping[str, str] = "journeys") -> dict[tuple[Any, str], CellSpec]:
    """The cell definitions of a count table whose index holds the values of ``by``: one per
    (row, count column). ``unit``: what every count counts, or a mapping from count column to
    unit (columns left out count journeys)."""
    selection = {k: list(v) for k, v in (selection or {}).items()}
    populations = populations or {}
    units = {c: unit if isinstance(unit, str) else unit.get(c, "journeys") for c in counts}
    unknown = sorted(set(units.values()) - set(UNITS))
    if unknown:
        raise InvalidParameterError(f"unit must be one of {', '.join(UNITS)}, not {unknown[0]!r}")
    cells = {}
    for row in table.index:
        for column in counts:
            key = (by, _plain(row)) if by else None
            cells[(row, column)] = CellSpec(selection, key, populations.get(column), units[column])
    return cells


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class Ledger:
    """The cells published from one data set (see the module's docstring)."""

    def __init__(self, path: str | Path, data: str) -> None:
        self.path = Path(path)
        self.data = data
        self.cells: list[CellSpec] = []
        self._seen: set[str] = set()
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                if entry["data"] == data:
                    key = tuple(entry["key"]) if entry["key"] is not None else None
                    self._add(CellSpec(entry["selection"], key, entry["population"],
                                       entry["unit"]))

    def _add(self, spec: CellSpec) -> bool:
        """Keep ``spec`` unless the same cell is already kept (a rerun publishes it again)."""
        text = _identity(spec)
        if text in self._seen:
            return False
        self._seen.add(text)
        self.cells.append(spec)
        return True

    def protect(self, frame: pd.DataFrame, cells: Mapping[Any, CellSpec],
                counts: Mapping[Any, int], hidden: Mapping[Any, bool], *,
                threshold: int = 5) -> dict[Any, bool] | None:
        """The cells of a new table to hide (``hidden`` plus more), or None when the table must
        not be published. ``counts``: the new cells' values; ``hidden``: already suppressed.

        Raises `LedgerMismatchError` when a cell's definition does not count ``counts`` of
        ``frame`` (the table would be checked against the wrong records)."""
        hide = dict(hidden)
        units = {spec.unit for spec in cells.values()}
        if len(units) > 1:
            raise InvalidParameterError("one table counts one unit (journeys or persons)")
        if not units:
            return hide
        unit = units.pop()
        old = [c for c in self.cells if c.unit == unit]
        names = list(cells)
        members, n_units = _membership(frame, [*old, *(cells[n] for n in names)], unit)
        _check_counts(names, members[len(old):], counts)
        matrix, sizes = atoms(members, n_units)
        space = Space(matrix)
        new = {name: len(old) + i for i, name in enumerate(names)}
        nested = differences(matrix, sizes, len(old), threshold)
        # a table hides whole rows (the cells of one key): so does every step here
        row_of = {n: _identity(replace(cells[n], population=None)) for n in names}
        while True:
            known = np.zeros(len(members), dtype=bool)
            known[:len(old)] = True
            known[[new[n] for n in names if not hide[n]]] = True
            span = space.span(known)
            small = groups(matrix, known, sizes, threshold)
            targets = sparse.vstack([small, nested,
                                     matrix[[new[n] for n in names
                                             if hide[n] and 0 < counts[n] < threshold]]])
            leaks = sparse.csr_matrix(targets[np.flatnonzero(span.determined(targets))])
            if not leaks.shape[0]:
                return hide
            # Each leak is computed from some open cells of this table (non-zero weight in the
            # combination): hide the row of the smallest. A leak whose cells share a row with
            # those already chosen this round waits for the next (one row may close several).
            chosen: set[str] = set()
            open_new = {new[n]: n for n in names if not hide[n]}
            for used in span.cells_used(leaks):
                used_open = [open_new[i] for i in used if i in open_new]
                if not used_open:  # determined by earlier tables alone: nothing this table can do
                    return None
                if chosen & {row_of[n] for n in used_open}:
                    continue
                chosen.add(row_of[min(used_open, key=lambda n: (counts[n] == 0, counts[n]))])
            for name in names:
                if row_of[name] in chosen:
                    hide[name] = True

    def record(self, cells: Mapping[Any, CellSpec], hidden: Mapping[Any, bool]) -> None:
        """Add a published table's visible cells to the ledger."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            for name, spec in cells.items():
                if hidden[name] or not self._add(spec):
                    continue
                fh.write(json.dumps({"data": self.data, **asdict(spec)}, default=str,
                                    sort_keys=True) + "\n")


def _identity(spec: CellSpec) -> str:
    return json.dumps(asdict(spec), default=str, sort_keys=True)


def _membership(frame: pd.DataFrame, cells: Sequence[CellSpec],
                unit: str) -> tuple[list[np.ndarray], int]:
    """The units (journeys: row numbers; persons: person numbers) each cell counts - a person is
    in a cell when one of their journeys is - and how many units there are. Each selection,
    key column and population is evaluated once, not once per cell."""
    masks = _Masks(frame)
    rows = [np.flatnonzero(masks.of(spec)) for spec in cells]
    if unit == "journeys":
        return rows, len(frame)
    codes, uniques = pd.factorize(frame["person_key"])
    return [np.unique(codes[r]) for r in rows], len(uniques)


class _Masks:
    """`CellSpec.mask` for many cells of one frame, sharing the work between cells."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.selections: dict[str, np.ndarray] = {}
        self.populations: dict[str, np.ndarray] = {}
        self.keys: dict[str, tuple[np.ndarray, dict[Any, int], dict[str, int]]] = {}

    def of(self, spec: CellSpec) -> np.ndarray:
        keep = self._selection(spec)
        if spec.key is not None:
            keep = keep & self._key(*spec.key)
        if spec.population:
            if spec.population not in self.populations:
                self.populations[spec.population] = self.frame.eval(spec.population).to_numpy(
                    dtype=bool, na_value=False)
            keep = keep & self.populations[spec.population]
        return keep

    def _selection(self, spec: CellSpec) -> np.ndarray:
        text = json.dumps(spec.selection, default=str, sort_keys=True)
        if text not in self.selections:
            keep = np.ones(len(self.frame), dtype=bool)
            for column, values in spec.selection.items():
                keep &= self.frame[column].isin(values).to_numpy(dtype=bool, na_value=False)
            self.selections[text] = keep
        return self.selections[text]

    def _key(self, column: str, value: Any) -> np.ndarray:
        """Rows whose ``column`` is ``value``; a value read back from the ledger file or taken
        from a table's labels may be the text of the column's value (``'2015'`` for 2015)."""
        if column not in self.keys:
            codes, uniques = pd.factorize(self.frame[column])
            plain = [_plain(u) for u in uniques]
            self.keys[column] = (codes, {u: i for i, u in enumerate(plain)},
                                 {str(u): i for i, u in enumerate(plain)})
        codes, exact, text = self.keys[column]
        return codes == exact.get(value, text.get(str(value), -2))


def _check_counts(names: Sequence[Any], members: Sequence[np.ndarray],
                  counts: Mapping[Any, int]) -> None:
    wrong = [(n, len(m), counts[n]) for n, m in zip(names, members, strict=True)
             if len(m) != counts[n]]
    if wrong:
        shown = "; ".join(f"{n}: the table says {c}, its definition counts {k}"
                          for n, k, c in wrong[:3])
        raise LedgerMismatchError(
            f"{len(wrong)} cell(s) of the table do not count what their definition selects "
            f"({shown}): declare the rows' column (by=) and each count's population "
            "correctly")
