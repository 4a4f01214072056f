"""Poisson log-linear models for capture-history tables: fitting (designs and terms are in
:mod:`.design`).

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._loglinear import fit_poisson, xlogy_sum
from .design import Design, _info, build_design, pair_index, pairs, parse_terms, term_names
from .errors import NotIdentifiableError
from .existence import check_design
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
