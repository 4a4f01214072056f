"""Tables published from the same data cannot be subtracted from each other.

Small-cell suppression protects one table at a time. Two tables published from the same data
can still be differenced: the all-years table minus the 2015-2024 table gives the 2025 table,
small cells included (the data-quality notebook hid 44 of 48 rows for 2025, and that subtraction
recovered all 44). So every count cell published from a data set is kept in a **ledger** (a file
in the results folder) by its definition - which records it counts (the run's selection, the
table's row, the count's population) - never by the records themselves.

Before a table is published, :meth:`Ledger.protect` looks at everything published before and the
new table together. Each cell is a set of units (journeys or persons) of the current data; the
units split into *atoms*, the sets of units that belong to exactly the same cells. A reader knows
every linear combination of published counts, so an atom, or a hidden cell, is *determined* when
its indicator vector lies in the span of the published cells' vectors (a least-squares test).
A determined atom or hidden cell holding between 1 and ``threshold - 1`` units is a disclosure:
the new table then hides more of its cells (smallest first), until nothing small is determined;
if even hiding every cell of the new table leaves something small determined by it, the table is
not published at all. Only exact (linear) determination is checked: bounds an attacker could
derive with linear programming across tables are not (within a table the complementary
suppression of :mod:`analysis.suppress` audits them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis._validation import InvalidParameterError

__all__ = ["CellSpec", "Ledger", "table_cells"]

TOLERANCE = 1e-8


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
        keep = np.ones(len(frame), dtype=bool)
        for column, values in self.selection.items():
            keep &= frame[column].isin(values).to_numpy(dtype=bool, na_value=False)
        if self.key is not None:
            column, value = self.key
            keep &= (frame[column] == value).to_numpy(dtype=bool, na_value=False)
        if self.population:
            keep &= frame.eval(self.population).to_numpy(dtype=bool, na_value=False)
        return keep


def table_cells(table: pd.DataFrame, counts: Sequence[str], *,
                selection: Mapping[str, Sequence[Any]] | None = None, by: str | None = None,
                populations: Mapping[str, str | None] | None = None,
                unit: str = "journeys") -> dict[tuple[Any, str], CellSpec]:
    """The cell definitions of a count table whose index holds the values of ``by``: one per
    (row, count column)."""
    selection = {k: list(v) for k, v in (selection or {}).items()}
    populations = populations or {}
    cells = {}
    for row in table.index:
        for column in counts:
            key = (by, _plain(row)) if by else None
            cells[(row, column)] = CellSpec(selection, key, populations.get(column), unit)
    return cells


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class Ledger:
    """The cells published from one data set (see the module's docstring)."""

    def __init__(self, path: str | Path, data: str) -> None:
        self.path = Path(path)
        self.data = data
        self.cells: list[CellSpec] = []
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                if entry["data"] == data:
                    key = tuple(entry["key"]) if entry["key"] is not None else None
                    self.cells.append(CellSpec(entry["selection"], key, entry["population"],
                                               entry["unit"]))

    def protect(self, frame: pd.DataFrame, cells: Mapping[Any, CellSpec],
                counts: Mapping[Any, int], hidden: Mapping[Any, bool], *,
                threshold: int = 5) -> dict[Any, bool] | None:
        """The cells of a new table to hide (``hidden`` plus more), or None when the table must
        not be published. ``counts``: the new cells' values; ``hidden``: already suppressed."""
        hide = dict(hidden)
        units = {spec.unit for spec in cells.values()}
        if len(units) != 1:
            raise InvalidParameterError("one table counts one unit (journeys or persons)")
        unit = units.pop()
        old = [c for c in self.cells if c.unit == unit]
        names = list(cells)
        vectors = _membership(frame, [*old, *(cells[n] for n in names)], unit)
        atoms, matrix = _atoms(vectors)
        sizes = atoms.sum(axis=1)  # units in each atom
        old_rows = matrix[:len(old)]
        new_rows = matrix[len(old):]
        small = np.flatnonzero((sizes > 0) & (sizes < threshold))
        atom_targets = np.zeros((len(small), len(sizes)))
        atom_targets[np.arange(len(small)), small] = 1.0
        while True:
            open_cells = [n for n in names if not hide[n]]
            known = np.vstack([old_rows, new_rows[[names.index(n) for n in open_cells]]])
            cell_targets = new_rows[[hide[n] and 0 < counts[n] < threshold for n in names]]
            targets = np.vstack([atom_targets, cell_targets])
            determined = _determined(known, targets)
            if not determined.any():
                return hide
            leak = targets[np.flatnonzero(determined)[0]]
            # the new cells the leak is computed from (non-zero weight in the combination)
            weights, *_ = np.linalg.lstsq(known.T, leak, rcond=None)
            used = [n for n, w in zip(open_cells, weights[len(old_rows):], strict=True)
                    if abs(w) > 1e-6]
            if not used:  # determined by earlier tables alone: nothing this table can do
                return None
            hide[min(used, key=lambda n: (counts[n] == 0, counts[n]))] = True

    def record(self, cells: Mapping[Any, CellSpec], hidden: Mapping[Any, bool]) -> None:
        """Add a published table's visible cells to the ledger."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            for name, spec in cells.items():
                if hidden[name]:
                    continue
                self.cells.append(spec)
                entry = {"data": self.data, **asdict(spec)}
                fh.write(json.dumps(entry, default=str, sort_keys=True) + "\n")


def _membership(frame: pd.DataFrame, cells: Sequence[CellSpec], unit: str) -> np.ndarray:
    """cells x units (0/1): journeys are rows; a person is in a cell when one of their
    journeys is."""
    rows = np.vstack([spec.mask(frame) for spec in cells]) if cells else np.zeros((0, len(frame)))
    if unit == "journeys":
        return rows.astype(np.int8)
    codes, _ = pd.factorize(frame["person_key"])
    out = np.zeros((len(cells), codes.max() + 1 if len(codes) else 0), dtype=np.int8)
    for i, row in enumerate(rows):
        out[i, np.unique(codes[row])] = 1
    return out


def _atoms(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(atoms x units, cells x atoms): units grouped by the set of cells they belong to; units in
    no cell are left out."""
    if vectors.shape[1] == 0:
        return np.zeros((0, 0)), np.zeros((len(vectors), 0))
    patterns, inverse = np.unique(vectors.T, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    used = patterns.any(axis=1)
    atoms = np.zeros((len(patterns), vectors.shape[1]), dtype=np.int8)
    atoms[inverse, np.arange(vectors.shape[1])] = 1
    return atoms[used], patterns[used].T.astype(float)


def _determined(rows: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each target vector: does it lie in the span of ``rows`` (can a reader compute it from
    the published counts)? One orthonormal basis of the row space (SVD), then projections."""
    if not len(targets):
        return np.zeros(0, dtype=bool)
    if not len(rows) or not rows.any():
        return ~targets.any(axis=1)
    _, singular, vt = np.linalg.svd(rows, full_matrices=False)
    basis = vt[singular > singular.max() * 1e-10]
    residual = targets - (targets @ basis.T) @ basis
    return np.abs(residual).max(axis=1) < TOLERANCE
