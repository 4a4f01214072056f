"""Poisson log-linear models for capture-history tables: design, terms and fitting.

The model for the observable cells :math:`\\omega \\neq \\emptyset` is

.. math:: N_\\omega \\sim \\mathrm{Poisson}(\\mu_\\omega), \\qquad
          \\log \\mu_\\omega = \\alpha_0 + \\sum_{j \\in \\omega} \\alpha_j
          + \\sum_{\\{i,j\\} \\in M,\\ i,j \\in \\omega} \\alpha_{ij},

with main effects for every list and the two-list terms in the model *M*. The unseen cell has
:math:`\\log\\mu_\\emptyset = \\alpha_0`, so the estimate of the number never seen is
:math:`\\exp(\\hat\\alpha_0)` and the total is the observed count plus that (Cormack 1989; Chan,
Silverman & Vincent 2021, Sect. 2.1).

A two-list term for a *non-overlapping* pair (no one on both lists) has extended MLE
:math:`-\\infty`: every cell containing both lists then has fitted value 0. As in Chan et al.
(2021, Sect. 2.4) those cells are removed from the fit and the term is counted as a parameter
in AIC/BIC but carries no column.

References
----------
Cormack, R. M. (1989). Log-linear models for capture-recapture. *Biometrics* 45, 395-413.
Chan, L., Silverman, B. W. and Vincent, K. (2021). Multiple systems estimation for sparse
capture data: inferential challenges when there are nonoverlapping lists. *JASA* 116,
1297-1306. doi:10.1080/01621459.2019.1708748.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._loglinear import fit_poisson, xlogy_sum
from .errors import InvalidParameterError, NotIdentifiableError
from .table import CaptureTable

__all__ = [
    "Design",
    "ModelFit",
    "build_design",
    "fit_model",
    "pair_index",
    "pairs",
    "parse_terms",
    "term_names",
]


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


@dataclass(frozen=True, eq=False)
class ModelFit:
    """A fitted log-linear model (maximum likelihood, extended for non-overlapping pairs).

    Attributes
    ----------
    table : CaptureTable
    terms : tuple of int
        Two-list terms (pair indices); `model` gives their ``'A:B'`` names.
    neg_inf_terms : tuple of int
        Terms for non-overlapping pairs, whose extended MLE is :math:`-\\infty`.
    coef, cov : ndarray
        Finite coefficients (first = log of the unseen cell) and their covariance.
    fitted : ndarray
        Fitted counts of all ``2**t`` cells; ``fitted[0]`` is the estimated unseen count.
    deviance, loglik, aic, bic : float
        Deviance against the saturated model of the observable cells; log-likelihood including
        the :math:`-\\log y!` terms (as R's ``glm``); AIC and BIC count every term, including the
        :math:`-\\infty` ones, with BIC penalty :math:`\\log n_{\\rm obs}` per parameter.
    """

    table: CaptureTable
    terms: tuple[int, ...]
    neg_inf_terms: tuple[int, ...]
    columns: tuple[str, ...]
    coef: np.ndarray = field(repr=False)
    cov: np.ndarray = field(repr=False)
    fitted: np.ndarray = field(repr=False)
    deviance: float
    loglik: float
    n_params: int
    df_resid: int
    converged: bool
    n_iter: int

    @property
    def model(self) -> tuple[str, ...]:
        """Two-list terms as ``('A:B', ...)``."""
        return term_names(self.table.lists, self.terms)

    @property
    def observed(self) -> int:
        return self.table.observed

    @property
    def unseen(self) -> float:
        """Estimated number of people on no list, :math:`\\exp(\\hat\\alpha_0)`."""
        return float(self.fitted[0])

    @property
    def estimate(self) -> float:
        """Estimated total population: observed plus unseen."""
        return self.observed + self.unseen

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        return -2.0 * self.loglik + self.n_params * math.log(max(self.observed, 1))

    @property
    def se_log_unseen(self) -> float:
        """Standard error of :math:`\\hat\\alpha_0 = \\log(\\text{unseen})`."""
        return float(math.sqrt(self.cov[0, 0]))


def fit_design(
    table: CaptureTable, design: Design, start: np.ndarray | None = None, check: bool = True
) -> ModelFit:
    """Fit a prepared `Design` (see `fit_model`)."""
    if check:
        from .existence import check_design

        check_design(design, table=table, raise_error=True)
    info = _info(table)
    start_mu = None if start is None else np.asarray(start, dtype=float)[design.cells]
    try:
        res = fit_poisson(design.X, design.y, start_mu=start_mu, ylogy=xlogy_sum(design.y))
    except np.linalg.LinAlgError:
        raise NotIdentifiableError(
            f"model {term_names(table.lists, design.terms)} is not identifiable (singular information matrix)"
        ) from None
    fitted = np.zeros(2**table.n_lists)
    fitted[design.cells] = res.mu
    fitted[0] = math.exp(res.beta[0])
    kernel = float(design.y @ np.log(np.maximum(res.mu, 1e-300))) - float(res.mu.sum())
    return ModelFit(
        table=table,
        terms=design.terms,
        neg_inf_terms=design.neg_inf_terms,
        columns=design.columns,
        coef=res.beta,
        cov=res.cov,
        fitted=fitted,
        deviance=res.deviance,
        loglik=kernel - info.lgamma,
        n_params=design.X.shape[1] + len(design.neg_inf_terms),
        df_resid=design.X.shape[0] - design.X.shape[1],
        converged=res.converged,
        n_iter=res.n_iter,
    )


def fit_model(
    table: CaptureTable,
    terms: Iterable[Any] | None = (),
    *,
    check: bool = True,
    start: np.ndarray | None = None,
) -> ModelFit:
    """Fit the log-linear model with main effects and the given two-list ``terms``.

    Parameters
    ----------
    table : CaptureTable
    terms : iterable
        Two-list terms as ``'A:B'`` strings, name pairs or index pairs; empty for the
        independence (main effects) model.
    check : bool
        Check existence and identifiability first (Fienberg & Rinaldo 2012 linear program and a
        rank test) and raise a named error if either fails.
    start : ndarray, optional
        Fitted values of a neighbouring model (length ``2**t``) to warm-start the solver.

    Returns
    -------
    ModelFit

    Raises
    ------
    EstimateNotExistError, NotIdentifiableError
        When ``check`` finds the data cannot support the model.
    """
    if terms and not all(isinstance(k, int | np.integer) for k in terms):
        terms = parse_terms(table.lists, terms)
    design = build_design(table, terms or ())
    return fit_design(table, design, start=start, check=check)
