"""Model selection: the stepwise rule (default) and exhaustive AIC/BIC search.

Stepwise rule (Chan, Silverman & Vincent 2021, Sect. 3.2; the rule behind the UK estimate)
------------------------------------------------------------------------------------------
Start from the independence model. For every two-list term *ij* not yet in the model, compare
the observed overlap :math:`N^*_{ij}` (everyone on both lists, whatever else they are on) with
its Poisson distribution under the current fit, whose mean is the sum of the fitted counts of
the cells containing both lists. Its p-value is the smaller tail,
:math:`\\min\\{P(X \\le N^*_{ij}),\\, P(X \\ge N^*_{ij})\\}`: how unlikely the observed overlap is
in either direction. Terms whose addition would make the estimate non-existent or
non-identifiable are skipped. The term with the smallest p-value is added (ties: the earlier
pair in the order A:B, A:C, ..., B:C, ...) while that p-value is below ``pthresh`` (0.02, the
value the paper's simulation study recommends); otherwise the search stops.

Exhaustive search
-----------------
All :math:`2^{t(t-1)/2}` subsets of two-list terms (1,024 for five lists, 32,768 for six) are
checked and fitted, and ranked by AIC or BIC. Checks are shared across models: if the MLE exists
and is identifiable for a model, it does for every model obtained by removing terms of
overlapping pairs (a projection keeps the sufficient statistics in the relative interior of the
marginal cone, and dropping columns keeps full rank; Chan et al. 2021, Sect. 2.7), so one check
of each "top" model usually settles its whole family. Fits are warm-started along a Gray-code
order, so neighbouring models differ by one term.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ._loglinear import fit_poisson
from ._parallel import resolve_jobs, run_chunks, split
from .errors import InvalidParameterError, ModelNotSupportedError
from .existence import check_design
from .models import ModelFit, _info, build_design, fit_design, term_names
from .table import CaptureTable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "MAX_EXHAUSTIVE_LISTS",
    "SearchResult",
    "StepwiseStep",
    "all_models",
    "best_model",
    "overlap_pvalues",
    "stepwise",
]

#: Exhaustive search is offered up to this many lists (2**21 models for seven would be too many).
MAX_EXHAUSTIVE_LISTS = 6


@dataclass(frozen=True)
class StepwiseStep:
    """One accepted step of the stepwise rule: the term added and its p-value."""

    term: str
    overlap: int
    expected: float
    pvalue: float


def overlap_pvalues(fit: ModelFit) -> tuple[np.ndarray, np.ndarray]:
    """Smaller-tail Poisson p-values of every pair's observed overlap under ``fit``.

    Returns ``(pvalues, expected)`` indexed by pair; pairs already in the model get p = 1.
    """
    from scipy.special import pdtr, pdtrc

    info = _info(fit.table)
    expected = fit.fitted[1:] @ info.pair_cols
    observed = info.overlap
    lower = pdtr(observed, expected)  # P(X <= n)
    upper = np.where(observed > 0, pdtrc(observed - 1, expected), 1.0)  # P(X >= n)
    pvals = np.minimum(lower, upper)
    pvals = np.where(expected > 0, pvals, np.where(observed > 0, 0.0, 1.0))
    pvals[list(fit.terms)] = 1.0
    return pvals, expected


def stepwise(
    table: CaptureTable, pthresh: float = 0.02, start: Iterable[int] = ()
) -> tuple[ModelFit, tuple[StepwiseStep, ...]]:
    """Forward stepwise selection of two-list terms by the overlap p-value rule.

    Parameters
    ----------
    table : CaptureTable
    pthresh : float
        Add a term only while its p-value is below this threshold (default 0.02). 0 gives the
        independence model.
    start : iterable of int
        Pair indices to start from (default: none, the independence model).

    Returns
    -------
    (ModelFit, tuple of StepwiseStep)
        The selected model's fit and the accepted steps in order.

    Raises
    ------
    EstimateNotExistError, NotIdentifiableError
        If even the starting model cannot be fitted to these data.
    """
    if not 0.0 <= pthresh <= 1.0:
        raise InvalidParameterError(f"pthresh must lie in [0, 1], got {pthresh!r}")
    fit = fit_design(table, build_design(table, start))
    steps: list[StepwiseStep] = []
    n_pairs = len(_info(table).pairs)
    while len(fit.terms) < n_pairs:
        pvals, expected = overlap_pvalues(fit)
        order = np.argsort(pvals, kind="stable")
        chosen = None
        for k in order:
            if pvals[k] >= pthresh:
                break
            design = build_design(table, (*fit.terms, int(k)))
            if check_design(design, table).ok:
                chosen = (int(k), design)
                break
        if chosen is None:
            break
        k, design = chosen
        info = _info(table)
        steps.append(
            StepwiseStep(
                term_names(table.lists, [k])[0], int(info.overlap[k]), float(expected[k]), float(pvals[k])
            )
        )
        fit = fit_design(table, design, start=fit.fitted, check=False)
    return fit, tuple(steps)


@dataclass(frozen=True, eq=False)
class SearchResult:
    """All models of an exhaustive search, with their criteria and estimates.

    Arrays are indexed by model; ``masks[m]`` has bit *k* set when pair *k* is in model *m*.
    Models the data cannot support have ``ok`` False and NaN criteria.
    """

    table: CaptureTable
    masks: np.ndarray = field(repr=False)
    ok: np.ndarray = field(repr=False)
    aic: np.ndarray = field(repr=False)
    bic: np.ndarray = field(repr=False)
    estimate: np.ndarray = field(repr=False)
    deviance: np.ndarray = field(repr=False)

    def terms(self, m: int) -> tuple[int, ...]:
        mask = int(self.masks[m])
        return tuple(k for k in range(mask.bit_length()) if mask >> k & 1)

    def ranked(self, criterion: str = "bic") -> np.ndarray:
        """Indices of supported models, best (lowest criterion) first."""
        values = _criterion(self, criterion)
        idx = np.flatnonzero(self.ok)
        return idx[np.lexsort((self.masks[idx], values[idx]))]

    def to_frame(self, criterion: str = "bic", top: int | None = None) -> pd.DataFrame:
        """Ranked table (pandas): model, n_terms, AIC, BIC, deviance, estimate."""
        import pandas as pd

        idx = self.ranked(criterion)[:top]
        return pd.DataFrame(
            {
                "model": [
                    ", ".join(term_names(self.table.lists, self.terms(m))) or "(independence)" for m in idx
                ],
                "n_terms": [len(self.terms(m)) for m in idx],
                "aic": self.aic[idx],
                "bic": self.bic[idx],
                "deviance": self.deviance[idx],
                "estimate": self.estimate[idx],
            }
        )


def _criterion(result: SearchResult, criterion: str) -> np.ndarray:
    if criterion not in ("aic", "bic"):
        raise InvalidParameterError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
    return result.aic if criterion == "aic" else result.bic


def _gray_masks(n_pairs: int) -> np.ndarray:
    codes = np.arange(2**n_pairs, dtype=np.int64)
    return codes ^ (codes >> 1)


def all_models(
    table: CaptureTable, candidates: Sequence[int] | None = None, n_jobs: int | None = 1
) -> SearchResult:
    """Check and fit every subset of two-list terms (or only the model masks ``candidates``).

    Parameters
    ----------
    table : CaptureTable
    candidates : sequence of int, optional
        Model masks to consider (bit *k* = pair *k*); default all subsets.
    n_jobs : int or None
        Worker processes for large searches (``None`` = all cores); results do not depend on it.

    Raises
    ------
    InvalidParameterError
        With more than `MAX_EXHAUSTIVE_LISTS` lists (use the stepwise rule instead).
    """
    info = _info(table)
    n_pairs = len(info.pairs)
    if candidates is None:
        if table.n_lists > MAX_EXHAUSTIVE_LISTS:
            raise InvalidParameterError(
                f"exhaustive search over 2**{n_pairs} models is offered for at most "
                f"{MAX_EXHAUSTIVE_LISTS} lists; use method='stepwise'"
            )
        masks = _gray_masks(n_pairs)
    else:
        masks = np.asarray(candidates, dtype=np.int64)
    jobs = resolve_jobs(n_jobs)
    if jobs > 1 and len(masks) >= 4096:
        parts = run_chunks(
            _search_chunk, [(table.lists, table.counts, masks[sl]) for sl in split(len(masks), jobs)], jobs
        )
        return SearchResult(
            table,
            masks,
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("ok", "aic", "bic", "estimate", "deviance")
            ),
        )
    nonover = sum(1 << k for k in range(n_pairs) if info.overlap[k] == 0)
    overlapping = ((1 << n_pairs) - 1) & ~nonover
    family_ok: dict[int, bool] = {}
    n = len(masks)
    ok = np.zeros(n, dtype=bool)
    aic, bic, est, dev = (np.full(n, np.nan) for _ in range(4))
    previous: np.ndarray | None = None
    log_n = math.log(max(table.observed, 1))
    for m, mask in enumerate(masks.tolist()):
        family = mask & nonover
        top_ok = family_ok.get(family)
        if top_ok is None:
            top = family | overlapping
            top_design = build_design(table, [k for k in range(n_pairs) if top >> k & 1])
            top_ok = family_ok[family] = check_design(top_design, table).ok
        design = build_design(table, [k for k in range(n_pairs) if mask >> k & 1])
        if not top_ok and not check_design(design, table).ok:
            continue
        start = None if previous is None else np.maximum(previous[design.cells], 1e-3)
        try:
            res = fit_poisson(design.X, design.y, start_mu=start, tol=1e-9, want_cov=False)
        except np.linalg.LinAlgError:
            continue
        previous = np.zeros(len(info.y) + 1)
        previous[design.cells] = res.mu
        loglik = float(design.y @ np.log(res.mu)) - float(res.mu.sum()) - info.lgamma
        n_params = design.X.shape[1] + len(design.neg_inf_terms)
        ok[m] = True
        aic[m] = -2.0 * loglik + 2.0 * n_params
        bic[m] = -2.0 * loglik + log_n * n_params
        est[m] = table.observed + math.exp(res.beta[0])
        dev[m] = res.deviance
    return SearchResult(table, masks, ok, aic, bic, est, dev)


def _search_chunk(lists: tuple[str, ...], counts: np.ndarray, masks: np.ndarray) -> SearchResult:
    return all_models(CaptureTable(lists, counts), candidates=masks, n_jobs=1)


def best_model(
    table: CaptureTable,
    criterion: str = "bic",
    candidates: Sequence[int] | None = None,
    n_jobs: int | None = 1,
) -> tuple[ModelFit, SearchResult]:
    """The model minimising AIC or BIC over all (or ``candidates``) subsets of two-list terms.

    Ties are broken towards the smaller model mask (fewer and earlier terms).
    """
    search = all_models(table, candidates, n_jobs)
    ranked = search.ranked(criterion)
    if not len(ranked):
        raise ModelNotSupportedError("no log-linear model is supported by these data")
    terms = search.terms(int(ranked[0]))
    return fit_design(table, build_design(table, terms), check=False), search
