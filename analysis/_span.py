"""The linear algebra of the publication ledger (:mod:`analysis.ledger`): the atoms of a set
of cells, the groups a reader can tell apart, and whether a vector lies in the span of the
visible cells - split into blocks, so that a national commune table stays a set of small
problems."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

__all__ = ["Space", "Span", "atoms", "differences", "groups"]

TOLERANCE = 1e-10  # squared distance from the span, relative to the vector's squared length
WEIGHT = 1e-6  # a cell takes part in a combination when its weight is larger than this


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


def atoms(members: Sequence[np.ndarray], n_units: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """(cells x atoms 0/1 matrix, units in each atom): units grouped by the set of cells they
    belong to; units in no cell are left out."""
    group, nowhere = _same_sets(members, n_units)
    number = np.where(nowhere, -1, np.cumsum(~nowhere) - 1)  # atom number of each group
    atom_of = number[group]
    sizes = np.bincount(atom_of[atom_of >= 0], minlength=int((~nowhere).sum()))
    per_cell = [np.unique(atom_of[units]) for units in members]
    row = np.repeat(np.arange(len(members)), [len(a) for a in per_cell])
    col = np.concatenate(per_cell) if per_cell else np.zeros(0, dtype=int)
    matrix = sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(len(members), len(sizes)))
    return matrix, sizes


def groups(matrix: sparse.csr_matrix, known: np.ndarray, sizes: np.ndarray,
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


def differences(matrix: sparse.csr_matrix, sizes: np.ndarray, first_new: int,
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


class Space:
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

    def span(self, known: np.ndarray) -> Span:
        return Span(self, known)


class Span:
    """The span of the ``known`` cells' vectors over the atoms: an orthonormal basis per block
    (``basis``, sparse) and of the joining cells' remainder (``rest``), with the pseudo-inverses
    that give a combination of the cells for any vector in the span."""

    def __init__(self, space: Space, known: np.ndarray) -> None:
        matrix, n_atoms = space.matrix, space.matrix.shape[1]
        self.space = space
        self.local = np.flatnonzero(known & (space.cell_block >= 0))
        self.joining = np.flatnonzero(known & space.joining)
        basis: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        inverse: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        rank = 0
        order = self.local[np.argsort(space.cell_block[self.local], kind="stable")]
        bounds = np.flatnonzero(np.diff(space.cell_block[order])) + 1
        position = {cell: i for i, cell in enumerate(self.local)}
        for group in np.split(order, bounds) if len(order) else []:
            sub = matrix[group]
            atoms = np.unique(sub.indices)
            u, s, vt = _svd(sub[:, atoms].toarray())
            k = len(s)
            basis.append((np.repeat(np.arange(rank, rank + k), len(atoms)), np.tile(atoms, k),
                          vt.ravel()))
            rank += k
            # weights of the block's cells for a vector v in their span: (u / s) @ vt @ v
            rows = np.array([position[c] for c in group])
            inverse.append((np.repeat(rows, len(atoms)), np.tile(atoms, len(rows)),
                            ((u / s) @ vt).ravel()))
        self.basis = _assemble(basis, (rank, n_atoms))
        self.inverse = _assemble(inverse, (len(self.local), n_atoms))
        joining = matrix[self.joining].toarray()
        self.joining_rows = joining
        rest = joining - (joining @ self.basis.T) @ self.basis
        if len(rest) and np.abs(rest).max() > 0:
            u, s, vt = _svd(rest)
            self.rest_basis, self.rest_weights = vt, u / s
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


def _svd(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The thin SVD of a non-zero matrix without its (numerically) zero singular values."""
    u, s, vt = np.linalg.svd(dense, full_matrices=False)
    keep = s > s.max() * 1e-10
    return u[:, keep], s[keep], vt[keep]


def _assemble(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
              shape: tuple[int, int]) -> sparse.csr_matrix:
    """A sparse matrix from (rows, columns, values) parts."""
    if not parts:
        return sparse.csr_matrix(shape)
    rows, cols, values = (np.concatenate(p) for p in zip(*parts, strict=True))
    return sparse.csr_matrix((values, (rows, cols)), shape=shape)
