"""Designs of Poisson log-linear models for capture-history tables: two-list terms, their
names, and the design matrix of a model on a table (see :mod:`.models` for the model and its
references)."""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidParameterError
from .table import CaptureTable


def pairs(t: int) -> list[tuple[int, int]]:
    """All list pairs ``(i, j)``, ``i < j``, in the order (0,1), (0,2), ..., (1,2), ...

    The order is the candidate order of the stepwise rule (ties go to the earlier pair), as in
    Chan et al. (2021).
    """
    return [(i, j) for i in range(t - 1) for j in range(i + 1, t)]


def pair_index(t: int, i: int, j: int) -> int:
    """Position of the pair ``{i, j}`` in `pairs` ``(t)``."""
    i, j = min(i, j), max(i, j)
    return i * t - i * (i + 1) // 2 + (j - i - 1)


def term_names(lists: Sequence[str], terms: Iterable[int]) -> tuple[str, ...]:
    """``('A:B', ...)`` for pair indices ``terms``."""
    all_pairs = pairs(len(lists))
    return tuple(f"{lists[all_pairs[k][0]]}:{lists[all_pairs[k][1]]}" for k in sorted(terms))


def parse_terms(lists: Sequence[str], terms: Iterable[Any] | None) -> tuple[int, ...]:
    """Pair indices from ``'A:B'`` strings, ``('A', 'B')`` tuples or ``(0, 1)`` index tuples.

    Raises
    ------
    InvalidParameterError
        For unknown list names, a list paired with itself, or malformed terms.
    """
    if terms is None:
        return ()
    lists = list(lists)
    out = set()
    for term in terms:
        parts = term.split(":") if isinstance(term, str) else list(term)
        if len(parts) != 2:
            raise InvalidParameterError(f"a two-list term looks like 'A:B', got {term!r}")
        idx = []
        for part in parts:
            if isinstance(part, int | np.integer) and 0 <= int(part) < len(lists):
                idx.append(int(part))
            elif isinstance(part, str) and part.strip() in lists:
                idx.append(lists.index(part.strip()))
            else:
                raise InvalidParameterError(f"unknown list {part!r} in term {term!r}; lists are {lists}")
        if idx[0] == idx[1]:
            raise InvalidParameterError(f"term {term!r} pairs a list with itself")
        out.add(pair_index(len(lists), idx[0], idx[1]))
    return tuple(sorted(out))


class _TableInfo:
    """Per-table arrays reused by every model fitted to the same table."""

    def __init__(self, table: CaptureTable) -> None:
        t = table.n_lists
        self.t = t
        self.pairs = pairs(t)
        pats = table.patterns[1:].astype(float)
        pair_cols = (
            np.column_stack([pats[:, i] * pats[:, j] for i, j in self.pairs])
            if t > 1
            else np.zeros((len(pats), 0))
        )
        self.pair_cols = pair_cols
        self.full = np.column_stack([np.ones(len(pats)), pats, pair_cols])
        self.y = table.counts[1:].astype(float)
        self.cells = np.arange(1, 2**t)
        self.overlap = self.y @ pair_cols
        self.n_obs = float(self.y.sum())
        self.lgamma = float(sum(math.lgamma(v + 1.0) for v in self.y))
        self.names = (
            "(unseen)",
            *table.lists,
            *(f"{table.lists[i]}:{table.lists[j]}" for i, j in self.pairs),
        )


_INFO: weakref.WeakKeyDictionary[CaptureTable, _TableInfo] = weakref.WeakKeyDictionary()


def _info(table: CaptureTable) -> _TableInfo:
    info = _INFO.get(table)
    if info is None:
        info = _INFO[table] = _TableInfo(table)
    return info


@dataclass(frozen=True, eq=False)
class Design:
    """Design of one model on one table (rows = observable cells the model can fit)."""

    cells: np.ndarray  # indices (1 .. 2**t - 1) of the cells kept
    X: np.ndarray
    y: np.ndarray
    columns: tuple[str, ...]
    terms: tuple[int, ...]  # all two-list terms of the model (pair indices)
    neg_inf_terms: tuple[int, ...]  # the non-overlapping ones (fitted value 0)


def build_design(table: CaptureTable, terms: Iterable[int] = ()) -> Design:
    """Design matrix of the model with two-list ``terms`` (pair indices) on ``table``."""
    info = _info(table)
    terms = tuple(sorted({int(k) for k in terms}))
    neg = tuple(k for k in terms if info.overlap[k] == 0)
    first = 1 + info.t
    cols = list(range(first)) + [first + k for k in terms if info.overlap[k] != 0]
    if neg:
        rows = ~info.pair_cols[:, list(neg)].any(axis=1)
        X = info.full[rows][:, cols]
        cells = np.flatnonzero(rows) + 1
        y = info.y[rows]
    else:
        X = info.full[:, cols]
        cells = info.cells
        y = info.y
    return Design(
        cells=cells, X=X, y=y, columns=tuple(info.names[c] for c in cols), terms=terms, neg_inf_terms=neg
    )
