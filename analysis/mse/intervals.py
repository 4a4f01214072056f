"""Confidence intervals for the population total and the number never seen.

* **Profile likelihood** (conditional on the selected model): the unseen count is
  :math:`\\mu_\\emptyset = e^{\\alpha_0}`; fix :math:`\\alpha_0 = b`, maximise the Poisson
  likelihood of the observable cells over the other parameters (an offset fit), and keep the
  *b* whose deviance rises by at most :math:`\\chi^2_{1,1-\\alpha}`. The interval for the total
  adds the observed count. Unlike the Wald interval it is not forced to be symmetric on any
  scale (Cormack 1992; Venzon & Moolgavkar 1988).
* **Wald** on the log scale, :math:`\\exp(\\hat\\alpha_0 \\pm z\\,\\mathrm{se})`, as SparseMSE's
  ``estimatepopulation.0``.
* **Bootstrap**, repeating the model selection inside every replicate so the interval reflects
  model uncertainty (Chan, Silverman & Vincent 2021, Sect. 3.3). Nonparametric replicates
  resample the observed people (multinomial on the observed cells, as SparseMSE); population
  replicates resample the estimated population, the observed people and the estimated unseen
  together, so the number seen varies as it does between real samples (Buckland & Garthwaite
  1991; the default interval of `robust`); parametric replicates draw Poisson counts from the
  fitted model. Percentile limits by default; BCa limits
  (bias correction and a jackknife acceleration over the distinct capture histories, DiCiccio &
  Efron 1996) reproduce SparseMSE's ``estimatepopulation``. Replicates are drawn in the parent
  from one seeded ``numpy.random.Generator`` and estimated on all cores; the result does not
  depend on the number of processes.

References
----------
Cormack, R. M. (1992). Interval estimation for mark-recapture studies of closed populations.
*Biometrics* 48, 567-576.
Venzon, D. J. and Moolgavkar, S. H. (1988). A method for computing profile-likelihood-based
confidence intervals. *Appl. Statist.* 37, 87-94.
DiCiccio, T. J. and Efron, B. (1996). Bootstrap confidence intervals. *Statist. Sci.* 11,
189-228.
Chan, L., Silverman, B. W. and Vincent, K. (2021). *JASA* 116, 1297-1306.
Buckland, S. T. and Garthwaite, P. H. (1991). Quantifying precision of mark-recapture estimates
using the bootstrap and related methods. *Biometrics* 47, 255-268.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._loglinear import fit_poisson
from ._parallel import resolve_jobs, run_chunks, split
from .errors import InvalidParameterError, MSEError
from .existence import remove_noninformative_lists
from .models import ModelFit, build_design, fit_model, term_names
from .select import best_model, stepwise
from .table import CaptureTable

__all__ = [
    "BootstrapResult",
    "bootstrap",
    "draw_rows",
    "estimate_rows",
    "jackknife_rows",
    "point_estimate",
    "population_rows",
    "profile_interval",
    "wald_interval",
]

KINDS = ("nonparametric", "population", "parametric")
_MAX_LOG_STEP = 30.0  # beyond exp(30) ~ 1e13 unseen the interval is reported as unbounded


def _z(alpha: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(1.0 - alpha / 2.0))


def wald_interval(fit: ModelFit, alpha: float = 0.05) -> tuple[float, float]:
    """Log-scale Wald interval for the unseen count: :math:`\\exp(\\hat\\alpha_0 \\pm z\\,se)`."""
    b, se, z = float(fit.coef[0]), fit.se_log_unseen, _z(alpha)
    return math.exp(b - z * se), math.exp(b + z * se)


def profile_interval(fit: ModelFit, alpha: float = 0.05) -> tuple[float, float]:
    """Profile-likelihood interval for the unseen count under the fitted model.

    Returns ``(low, high)``; ``high`` is ``inf`` when the profile deviance never reaches the
    critical value (the data cannot bound the unseen count from above).
    """
    from scipy.optimize import brentq

    design = build_design(fit.table, fit.terms)
    X, y = design.X[:, 1:], design.y
    crit = _z(alpha) ** 2
    b_hat, dev_hat = float(fit.coef[0]), fit.deviance
    warm = {"mu": fit.fitted[design.cells]}

    def excess(b: float) -> float:
        try:
            res = fit_poisson(X, y, offset=b, start_mu=warm["mu"], want_cov=False)
        except np.linalg.LinAlgError:
            return 1e12  # numerically degenerate this far out: treat as outside the interval
        if not np.isfinite(res.deviance):
            return 1e12
        warm["mu"] = res.mu
        return res.deviance - dev_hat - crit

    limits = []
    step0 = max(fit.se_log_unseen, 0.05)
    for sign in (-1.0, 1.0):
        warm["mu"] = fit.fitted[design.cells]
        inside, k, bound = b_hat, 1.0, None
        while abs(inside - b_hat) < _MAX_LOG_STEP:
            trial = b_hat + sign * step0 * k
            if excess(trial) > 0:
                bound = trial
                break
            inside, k = trial, k * 2.0
        if bound is None:
            limits.append(-math.inf if sign < 0 else math.inf)
            continue
        warm["mu"] = fit.fitted[design.cells]
        root = brentq(excess, min(inside, bound), max(inside, bound), xtol=1e-10, rtol=1e-12)
        limits.append(root)
    return math.exp(limits[0]), math.exp(limits[1])


def point_estimate(
    table: CaptureTable,
    method: str = "stepwise",
    pthresh: float = 0.02,
    terms: tuple[str, ...] = (),
    candidates: tuple[int, ...] | None = None,
) -> float:
    """Estimated total for ``table`` with model selection ``method`` (NaN if unsupported).

    Lists that carry no information in this table are removed first, as for the original data.
    """
    try:
        reduced, _ = remove_noninformative_lists(table)
        if reduced.n_lists < 2:
            return math.nan
        if method == "stepwise":
            return stepwise(reduced, pthresh)[0].estimate
        if method == "independence":
            return fit_model(reduced).estimate
        if method in ("aic", "bic"):
            same = reduced.lists == table.lists
            return best_model(reduced, method, candidates if same else None)[0].estimate
        if method == "fixed":
            kept = tuple(t for t in terms if all(p in reduced.lists for p in t.split(":")))
            return fit_model(reduced, kept).estimate
    except MSEError:
        return math.nan
    raise InvalidParameterError(f"unknown method {method!r}")


def _estimate_rows(
    lists: tuple[str, ...],
    rows: np.ndarray,
    method: str,
    pthresh: float,
    terms: tuple[str, ...],
    candidates: tuple[int, ...] | None,
) -> np.ndarray:
    out = np.empty(len(rows))
    for r, cells in enumerate(rows):
        counts = np.concatenate(([0], cells))
        out[r] = point_estimate(CaptureTable(lists, counts), method, pthresh, terms, candidates)
    return out


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Bootstrap replicates of the total, the interval, and how it was made."""

    estimates: np.ndarray = field(repr=False)
    ci_low: float
    ci_high: float
    interval: str
    kind: str
    n_boot: int
    n_failed: int
    acceleration: float | None = None
    bias_correction: float | None = None


def _bca_limits(
    boot: np.ndarray, theta: float, jack: np.ndarray, weights: np.ndarray, alpha: float
) -> tuple[float, float, float, float]:
    from scipy.special import ndtr, ndtri

    share = float(np.mean(boot < theta))
    if not 0.0 < share < 1.0:
        raise MSEError(
            "BCa interval undefined: every bootstrap estimate lies on one side of the estimate; "
            "use the percentile interval"
        )
    z0 = float(ndtri(share))
    resid = float(weights @ jack) / weights.sum() - jack
    denom = 6.0 * float(weights @ resid**2) ** 1.5
    acc = float(weights @ resid**3) / denom if denom > 0 else 0.0
    za = ndtri(np.array([alpha / 2.0, 1.0 - alpha / 2.0]))
    probs = ndtr(z0 + (z0 + za) / (1.0 - acc * (z0 + za)))
    # type-8 (median-unbiased) quantiles, as R's quantile(type = 8) used by SparseMSE
    low, high = np.quantile(boot, probs, method="median_unbiased")
    return float(low), float(high), acc, z0


def draw_rows(
    table: CaptureTable, fit: ModelFit, kind: str, gen: np.random.Generator, n: int
) -> np.ndarray:
    """``n`` bootstrap tables of the observable cells: multinomial resamples of the observed
    people (nonparametric, as SparseMSE), of the estimated population (population: the
    ``round(N)`` people of the observed cells and the estimated unseen, keeping those seen), or
    Poisson draws from the fitted model (parametric)."""
    cells = table.counts[1:]
    if kind == "nonparametric":
        return gen.multinomial(table.observed, cells / cells.sum(), size=n)
    if kind == "population":
        return population_rows(cells, fit.unseen, gen, n)
    return gen.poisson(fit.fitted[1:], size=(n, len(cells)))


def population_rows(cells: np.ndarray, unseen: float, gen: np.random.Generator, n: int) -> np.ndarray:
    """``n`` resamples of a population of ``round(observed + unseen)`` people, ``unseen`` of whom
    are on no list (Buckland & Garthwaite 1991): the observable cells of each."""
    if not (math.isfinite(unseen) and unseen >= 0):
        raise MSEError("the population bootstrap needs a finite estimate of the unseen")
    total = float(cells.sum()) + unseen
    probs = np.concatenate(([unseen], cells)) / total
    return gen.multinomial(int(round(total)), probs, size=n)[:, 1:]


def jackknife_rows(table: CaptureTable) -> np.ndarray:
    """One table per distinct observed capture history, with one person of it removed."""
    cells = table.counts[1:]
    jack_cells = np.flatnonzero(cells > 0)
    rows = np.repeat(cells[None, :], len(jack_cells), axis=0)
    rows[np.arange(len(jack_cells)), jack_cells] -= 1
    return rows


def estimate_rows(
    table: CaptureTable,
    fit: ModelFit,
    method: str,
    rows: np.ndarray,
    *,
    pthresh: float = 0.02,
    n_jobs: int | None = None,
    n_top: int | None = None,
) -> np.ndarray:
    """Estimated total for every row of observable-cell counts, repeating the model selection
    ``method`` (NaN where no model can be estimated); on ``n_jobs`` processes."""
    terms = term_names(table.lists, fit.terms)
    candidates = None
    if method in ("aic", "bic") and n_top is not None:
        search = best_model(table, method, n_jobs=1)[1]
        candidates = tuple(int(m) for m in search.masks[search.ranked(method)[:n_top]])
    jobs = resolve_jobs(n_jobs)
    chunks = split(len(rows), jobs * 4 if jobs > 1 else 1)
    args = [(table.lists, rows[sl], method, pthresh, terms, candidates) for sl in chunks]
    return np.concatenate(run_chunks(_estimate_rows, args, jobs))


def bootstrap(
    table: CaptureTable,
    fit: ModelFit,
    method: str = "stepwise",
    *,
    pthresh: float = 0.02,
    n_boot: int = 1000,
    alpha: float = 0.05,
    interval: str = "percentile",
    kind: str = "nonparametric",
    rng: np.random.Generator | int | None = None,
    n_jobs: int | None = None,
    n_top: int | None = None,
) -> BootstrapResult:
    """Bootstrap interval for the total, repeating model selection in every replicate.

    Parameters
    ----------
    table : CaptureTable
        The (already cleaned) table the estimate was made from.
    fit : ModelFit
        The fit selected on ``table`` (its estimate is the BCa centre; its fitted counts drive
        parametric replicates).
    method : {'stepwise', 'independence', 'aic', 'bic', 'fixed'}
        Model selection repeated inside each replicate ('fixed' keeps ``fit``'s terms).
    n_boot : int
        Number of replicates.
    interval : {'percentile', 'bca'}
    kind : {'nonparametric', 'population', 'parametric'}
        Replicates (see `draw_rows`); 'nonparametric' (default) is SparseMSE's.
    rng : numpy.random.Generator, int or None
        Source of randomness (an int is used as a seed).
    n_jobs : int or None
        Worker processes (``None`` = all cores). The result does not depend on it.
    n_top : int, optional
        For 'aic'/'bic': choose within the ``n_top`` best models on the original data only
        (Silverman, Chan & Vincent 2024), which makes the bootstrap much faster.

    Returns
    -------
    BootstrapResult
        Replicates that fail (no estimable model) are NaN and counted in ``n_failed``; limits
        use the finite ones.
    """
    if interval not in ("percentile", "bca"):
        raise InvalidParameterError(f"interval must be 'percentile' or 'bca', got {interval!r}")
    if kind not in KINDS:
        raise InvalidParameterError(f"kind must be one of {KINDS}, got {kind!r}")
    if not isinstance(n_boot, int) or n_boot < 2:
        raise InvalidParameterError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    cells = table.counts[1:]
    rows = draw_rows(table, fit, kind, gen, n_boot)
    jack_cells = np.flatnonzero(cells > 0)
    if interval == "bca":
        rows = np.vstack([rows, jackknife_rows(table)])
    values = estimate_rows(table, fit, method, rows, pthresh=pthresh, n_jobs=n_jobs, n_top=n_top)
    boot, jack = values[:n_boot], values[n_boot:]
    finite = boot[np.isfinite(boot)]
    if len(finite) < 2:
        raise MSEError("fewer than two bootstrap replicates gave an estimate")
    acc = z0 = None
    if interval == "percentile":
        low, high = np.quantile(finite, [alpha / 2.0, 1.0 - alpha / 2.0])
    else:
        ok = np.isfinite(jack)
        low, high, acc, z0 = _bca_limits(finite, fit.estimate, jack[ok], cells[jack_cells][ok], alpha)
    return BootstrapResult(
        boot, float(low), float(high), interval, kind, n_boot, int(n_boot - len(finite)), acc, z0
    )
