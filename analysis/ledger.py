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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from analysis.errors import InvalidParameterError, LedgerMismatchError

__all__ = ["CellSpec", "Ledger", "table_cells"]

TOLERANCE = 1e-10  # squared distance from the span, relative to the vector's squared length
UNITS = ("journeys", "persons")
WEIGHT = 1e-6  # a cell takes part in a combination when its weight is larger than this


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
        matrix, sizes = _atoms(members, n_units)
        space = _Space(matrix)
        new = {name: len(old) + i for i, name in enumerate(names)}
        differences = _differences(matrix, sizes, len(old), threshold)
        # a table hides whole rows (the cells of one key): so does every step here
        row_of = {n: _identity(replace(cells[n], population=None)) for n in names}
        while True:
            known = np.zeros(len(members), dtype=bool)
            known[:len(old)] = True
            known[[new[n] for n in names if not hide[n]]] = True
            span = space.span(known)
            groups = _groups(matrix, known, sizes, threshold)
            targets = sparse.vstack([groups, differences,
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
            self.selections[text] = CellSpec(spec.selection).mask(self.frame)
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
        code = exact.get(value) if _hashable(value) else None
        if code is None:
            code = text.get(str(value), -2)
        return codes == code


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


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


def _same_sets(sets: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Items ``0..n-1`` grouped by the sets they belong to (exactly: each item's memberships
    packed into bits, then sorted): each item's group, and for each group whether it is in no
    set at all."""
    bits = np.zeros((n, max((len(sets) + 7) // 8, 1)), dtype=np.uint8)
    for i, items in enumerate(sets):
        bits[items, i >> 3] |= np.uint8(128 >> (i & 7))
    patterns = np.ascontiguousarray(bits).view(np.dtype((np.void, bits.shape[1]))).ravel()
    uniques, group = np.unique(patterns, return_inverse=True)
    return np.asarray(group).ravel(), uniques == np.zeros(1, dtype=patterns.dtype)[0]


def _atoms(members: Sequence[np.ndarray], n_units: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """(cells x atoms 0/1 matrix, units in each atom): units grouped by the set of cells they
    belong to; units in no cell are left out."""
    group, nowhere = _same_sets(members, n_units)
    number = np.where(nowhere, -1, np.cumsum(~nowhere) - 1)  # atom number of each group
    atom_of = number[group]
    sizes = np.bincount(atom_of[atom_of >= 0], minlength=int((~nowhere).sum()))
    atoms = [np.unique(atom_of[units]) for units in members]
    row = np.repeat(np.arange(len(members)), [len(a) for a in atoms])
    col = np.concatenate(atoms) if atoms else np.zeros(0, dtype=int)
    matrix = sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(len(members), len(sizes)))
    return matrix, sizes


def _groups(matrix: sparse.csr_matrix, known: np.ndarray, sizes: np.ndarray,
            threshold: int) -> sparse.csr_matrix:
    """The groups a reader of the ``known`` cells can tell apart - atoms that the same known
    cells count, whatever the hidden cells - holding 1 to ``threshold - 1`` units, as 0/1 rows
    over the atoms. A reader who computes a group learns its size, however the cells they
    cannot see split it."""
    rows = np.flatnonzero(known)
    group, nowhere = _same_sets(
        [matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]] for r in rows], matrix.shape[1])
    units = np.bincount(group, weights=sizes, minlength=len(nowhere))
    small = np.flatnonzero(~nowhere & (units > 0) & (units < threshold))
    number = np.full(len(nowhere), -1)
    number[small] = np.arange(len(small))
    atoms = np.flatnonzero(number[group] >= 0)
    return sparse.csr_matrix((np.ones(len(atoms)), (number[group[atoms]], atoms)),
                             shape=(len(small), matrix.shape[1]))


def _differences(matrix: sparse.csr_matrix, sizes: np.ndarray, first_new: int,
                 threshold: int) -> sparse.csr_matrix:
    """The units of a cell outside another cell inside it - all years minus the years before
    the last, say - when they are 1 to ``threshold - 1`` and one of the two cells is new, as
    0/1 rows over the atoms. Such a difference is a group a reader can name; for persons it is
    seldom one of the groups the visible cells tell apart (a person returned to two districts
    is in two of them), so it is checked by itself."""
    weighted = sparse.csr_matrix(matrix.multiply(sizes[None, :]))
    shared = sparse.coo_matrix(weighted @ matrix.T)  # shared[i, j]: units in cells i and j
    cell_units = np.asarray(weighted.sum(axis=1)).ravel()
    outer, inner = shared.row, shared.col
    pick = ((shared.data == cell_units[inner]) & (outer != inner)
            & (cell_units[outer] - cell_units[inner] > 0)
            & (cell_units[outer] - cell_units[inner] < threshold)
            & ((outer >= first_new) | (inner >= first_new)))
    outer, inner = outer[pick], inner[pick]
    if not len(outer):
        return sparse.csr_matrix((0, matrix.shape[1]))
    rows = sparse.csr_matrix(matrix[outer] - matrix[inner])
    rows.eliminate_zeros()
    return rows


class _Space:
    """The cells x atoms matrix of a table and the ledger, split for speed into *blocks* - sets
    of atoms that only the same few cells touch (a commune's atoms, say) - and the cells that
    join many blocks (a national total by year). The span of any set of cells is then the span
    of each block's cells, plus the joining cells' remainder outside those spans: exact, and
    small dense problems instead of one large one."""

    BLOCK = 500  # atoms in a block at most

    def __init__(self, matrix: sparse.csr_matrix) -> None:
        self.matrix = matrix
        n_cells, n_atoms = matrix.shape
        support = np.diff(matrix.indptr)
        joining = np.zeros(n_cells, dtype=bool)
        while True:
            local = sparse.csr_matrix(sparse.diags((~joining).astype(float)) @ matrix)
            local.eliminate_zeros()  # csgraph takes a stored zero for an edge
            graph = sparse.bmat([[None, local.T], [local, None]], format="csr")
            _, labels = csgraph.connected_components(graph, directed=False)
            blocks = labels[:n_atoms]
            big = np.flatnonzero(np.bincount(blocks) > self.BLOCK)
            if not len(big):
                break
            cell_block = labels[n_atoms:]
            for block in big:  # the cells of a large block that touch most atoms join blocks
                inside = np.flatnonzero((cell_block == block) & ~joining & (support > 0))
                widest = support[inside].max()
                joining[inside[support[inside] * 2 >= widest]] = True
        self.joining = joining
        _, self.blocks = np.unique(blocks, return_inverse=True)
        first_atom = np.full(n_cells, -1)
        has = support > 0
        first_atom[has] = matrix.indices[matrix.indptr[:-1][has]]
        self.cell_block = np.where(has & ~joining, self.blocks[np.maximum(first_atom, 0)], -1)

    def span(self, known: np.ndarray) -> _Span:
        return _Span(self, known)


class _Span:
    """The span of the ``known`` cells' vectors over the atoms: an orthonormal basis per block
    (``basis``, sparse) and of the joining cells' remainder (``rest``), with the pseudo-inverses
    that give a combination of the cells for any vector in the span."""

    def __init__(self, space: _Space, known: np.ndarray) -> None:
        matrix, n_atoms = space.matrix, space.matrix.shape[1]
        self.space = space
        self.local = np.flatnonzero(known & (space.cell_block >= 0))
        self.joining = np.flatnonzero(known & space.joining)
        basis_rows: list[np.ndarray] = []
        basis_cols: list[np.ndarray] = []
        basis_vals: list[np.ndarray] = []
        inverse_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        rank = 0
        order = self.local[np.argsort(space.cell_block[self.local], kind="stable")]
        bounds = np.flatnonzero(np.diff(space.cell_block[order])) + 1
        position = {cell: i for i, cell in enumerate(self.local)}
        for group in np.split(order, bounds) if len(order) else []:
            sub = matrix[group]
            atoms = np.unique(sub.indices)
            dense = sub[:, atoms].toarray()
            u, s, vt = np.linalg.svd(dense, full_matrices=False)
            keep = s > s.max() * 1e-10
            u, s, vt = u[:, keep], s[keep], vt[keep]
            k = len(s)
            basis_rows.append(np.repeat(np.arange(rank, rank + k), len(atoms)))
            basis_cols.append(np.tile(atoms, k))
            basis_vals.append(vt.ravel())
            rank += k
            # weights of the block's cells for a vector v in their span: (u / s) @ vt @ v
            weights = (u / s) @ vt
            rows = np.array([position[c] for c in group])
            inverse_parts.append((np.repeat(rows, len(atoms)), np.tile(atoms, len(rows)),
                                  weights.ravel()))
        self.basis = sparse.csr_matrix(
            (np.concatenate(basis_vals) if basis_vals else np.zeros(0),
             (np.concatenate(basis_rows) if basis_rows else np.zeros(0, dtype=int),
              np.concatenate(basis_cols) if basis_cols else np.zeros(0, dtype=int))),
            shape=(rank, n_atoms))
        self.inverse = sparse.csr_matrix(
            (np.concatenate([p[2] for p in inverse_parts]) if inverse_parts else np.zeros(0),
             (np.concatenate([p[0] for p in inverse_parts]) if inverse_parts
              else np.zeros(0, dtype=int),
              np.concatenate([p[1] for p in inverse_parts]) if inverse_parts
              else np.zeros(0, dtype=int))),
            shape=(len(self.local), n_atoms))
        joining = matrix[self.joining].toarray()
        self.joining_rows = joining
        rest = joining - (joining @ self.basis.T) @ self.basis
        if len(rest) and np.abs(rest).max() > 0:
            u, s, vt = np.linalg.svd(rest, full_matrices=False)
            keep = s > s.max() * 1e-10
            self.rest_basis, self.rest_weights = vt[keep], u[:, keep] / s[keep]
        else:
            self.rest_basis = np.zeros((0, n_atoms))
            self.rest_weights = np.zeros((len(self.joining), 0))

    def determined(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """Is each row of ``vectors`` in the span? Its squared distance from the span is its
        squared length less its projection's, each part (blocks, joining cells) apart."""
        if not vectors.shape[0]:
            return np.zeros(0, dtype=bool)
        inside = (np.asarray((self.basis @ vectors.T).power(2).sum(axis=0)).ravel()
                  + np.square(vectors @ self.rest_basis.T).sum(axis=1))
        length = np.asarray(vectors.power(2).sum(axis=1)).ravel()
        return length - inside < TOLERANCE * length

    def cells_used(self, leaks: sparse.csr_matrix, chunk: int = 256) -> Iterator[list[int]]:
        """For each leak (a vector in the span), the known cells of one combination that
        computes it (non-zero weight)."""
        for start in range(0, leaks.shape[0], chunk):
            vectors = leaks[start:start + chunk].toarray()
            # the joining cells' weights from what the blocks leave over, then the blocks'
            left = vectors - (self.basis.T @ (self.basis @ vectors.T)).T
            joining = (self.rest_weights @ (self.rest_basis @ left.T)).T
            remainder = vectors - joining @ self.joining_rows
            local = (self.inverse @ remainder.T).T
            for w_join, w_local in zip(joining, local, strict=True):
                yield ([int(c) for c in self.joining[np.abs(w_join) > WEIGHT]]
                       + [int(c) for c in self.local[np.abs(w_local) > WEIGHT]])
