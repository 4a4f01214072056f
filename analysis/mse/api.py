"""`estimate` and `compare`: from a capture-history table to a population estimate.

References
----------
Chan, L., Silverman, B. W. and Vincent, K. (2021). Multiple systems estimation for sparse
capture data: inferential challenges when there are nonoverlapping lists. *JASA* 116,
1297-1306. doi:10.1080/01621459.2019.1708748.
Silverman, B. W. (2020). Multiple-systems analysis for the quantification of modern slavery:
classical and Bayesian approaches. *J. R. Statist. Soc. A* 183, 691-736.
Silverman, B. W., Chan, L. and Vincent, K. (2024). Bootstrapping multiple systems estimates to
account for model selection. *Statistics and Computing* 34, 44.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InvalidParameterError, TooFewListsError
from .existence import remove_noninformative_lists
from .intervals import bootstrap, profile_interval, wald_interval
from .models import fit_model
from .result import MSEResult
from .robust import robust_bootstrap
from .select import StepwiseStep, best_model, stepwise
from .table import CaptureTable, read_capture_csv

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CI_METHODS", "METHODS", "MSEResult", "compare", "estimate"]

METHODS = ("stepwise", "independence", "aic", "bic", "fixed")
CI_METHODS = ("bootstrap", "profile", "wald", "percentile", "bca", "none")


def _as_table(data: Any, count_column: str | None) -> CaptureTable:
    if isinstance(data, CaptureTable):
        return data
    if isinstance(data, str | Path):
        return read_capture_csv(data, count_column)
    if hasattr(data, "columns") and hasattr(data, "iloc"):
        return CaptureTable.from_frame(data, count_column)
    raise InvalidParameterError(
        f"data must be a CaptureTable, a DataFrame or a CSV path, got {type(data).__name__}"
    )


def _check_choice(name: str, value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise InvalidParameterError(f"{name} must be one of {options}, got {value!r}")
    return value


def estimate(
    data: CaptureTable | pd.DataFrame | str | Path,
    method: str = "stepwise",
    *,
    terms: list[str] | tuple[str, ...] | None = None,
    pthresh: float = 0.02,
    alpha: float = 0.05,
    ci: str = "bootstrap",
    n_boot: int | None = None,
    mc_tol: float = 0.01,
    rng: np.random.Generator | int | None = None,
    bootstrap_kind: str | None = None,
    n_top: int | None = None,
    n_jobs: int | None = None,
    remove_noninformative: bool = True,
    count_column: str | None = None,
) -> MSEResult:
    """Estimate the total population (seen and unseen) from overlapping lists.

    Parameters
    ----------
    data : CaptureTable, DataFrame or path
        Capture-history table: 0/1 list columns, count last (absent patterns are zeros).
    method : {'stepwise', 'independence', 'aic', 'bic', 'fixed'}
        Model choice. 'stepwise' (default) is the rule of Chan, Silverman & Vincent (2021) used
        for the UK estimate; 'aic'/'bic' search all subsets of two-list terms (up to six
        lists); 'fixed' fits the given ``terms``.
    terms : list of str, optional
        Two-list terms ``'A:B'`` for ``method='fixed'``.
    pthresh : float
        Stepwise threshold (default 0.02).
    alpha : float
        ``1 - alpha`` intervals (0 < alpha < 0.5).
    ci : {'bootstrap', 'profile', 'wald', 'percentile', 'bca', 'none'}
        Interval. 'bootstrap' (default; `robust.robust_bootstrap`): model selection repeated in
        every replicate, percentile limits as the headline with BCa limits beside them, the
        Monte Carlo standard error of every limit, and the profile interval of the chosen model
        shown as what it is (conditional on that model). 'profile' or 'wald': conditional on
        the selected model only. 'percentile' / 'bca': one bootstrap interval (as SparseMSE).
    n_boot, mc_tol, rng, bootstrap_kind, n_top, n_jobs
        Bootstrap settings: replicates (default: adaptive for 'bootstrap', until each limit's
        Monte Carlo error is at most ``mc_tol`` of it; 1,000 for 'percentile'/'bca'), seed or
        generator, 'population', 'nonparametric' or 'parametric' replicates (default:
        'population' for 'bootstrap', see `robust`; 'nonparametric' for 'percentile'/'bca', as
        SparseMSE),
        restriction of AIC/BIC selection to the ``n_top`` best original models, and worker
        processes (``None`` = all cores; the result does not depend on it).
    remove_noninformative : bool
        Drop lists with no cases, holding every case, or duplicating another list first.
    count_column : str, optional
        Name of the count column when it is not last (DataFrame or CSV input).

    Returns
    -------
    MSEResult

    Raises
    ------
    CaptureDataError
        Malformed table.
    TooFewListsError
        Fewer than two informative lists.
    EstimateNotExistError, NotIdentifiableError
        The data cannot support the requested (or even the independence) model.
    InvalidParameterError
        Bad method, interval, alpha or threshold.
    """
    _check_choice("method", method, METHODS)
    _check_choice("ci", ci, CI_METHODS)
    if not (isinstance(alpha, int | float) and 0.0 < alpha < 0.5):
        raise InvalidParameterError(f"alpha must lie strictly between 0 and 0.5, got {alpha!r}")
    if not (isinstance(pthresh, int | float) and 0.0 <= pthresh <= 1.0):
        raise InvalidParameterError(f"pthresh must lie in [0, 1], got {pthresh!r}")
    if method == "fixed" and terms is None:
        raise InvalidParameterError("method='fixed' needs terms, e.g. terms=['A:B']")
    if method != "fixed" and terms:
        raise InvalidParameterError("terms are only used with method='fixed'")
    table = _as_table(data, count_column)
    removed: tuple[tuple[str, str], ...] = ()
    if remove_noninformative:
        table, removed = remove_noninformative_lists(table)
    if table.n_lists < 2:
        raise TooFewListsError(
            "at least two informative lists are needed for a capture-recapture estimate"
            + (f"; removed: {', '.join(f'{n} ({r})' for n, r in removed)}" if removed else "")
        )
    notes: list[str] = []
    steps: tuple[StepwiseStep, ...] = ()
    if method == "stepwise":
        fit, steps = stepwise(table, pthresh)
    elif method == "independence":
        fit = fit_model(table)
    elif method in ("aic", "bic"):
        fit = best_model(table, method, n_jobs=n_jobs)[0]
    else:
        fit = fit_model(table, terms)
    if not fit.converged:
        notes.append("the Newton iterations did not fully converge; treat the fit with care")
    boot = robust = None
    conditional = None
    if ci in ("profile", "wald", "none"):
        if ci == "none":
            low, high = math.nan, math.nan
        else:
            low, high = (profile_interval if ci == "profile" else wald_interval)(fit, alpha)
        unseen_low, unseen_high = low, high
        ci_low, ci_high = table.observed + low, table.observed + high
    elif ci == "bootstrap":
        robust = robust_bootstrap(
            table, fit, method, pthresh=pthresh, alpha=alpha, n_boot=n_boot, mc_tol=mc_tol,
            kind=bootstrap_kind or "population", rng=rng, n_jobs=n_jobs, n_top=n_top,
        )
        ci_low, ci_high = robust.percentile
        unseen_low, unseen_high = ci_low - table.observed, ci_high - table.observed
        low, high = profile_interval(fit, alpha)
        conditional = (table.observed + low, table.observed + high)
        notes.extend(robust.warnings)
    else:
        boot = bootstrap(
            table,
            fit,
            method,
            pthresh=pthresh,
            n_boot=1000 if n_boot is None else n_boot,
            alpha=alpha,
            interval=ci,
            kind=bootstrap_kind or "nonparametric",
            rng=rng,
            n_jobs=n_jobs,
            n_top=n_top,
        )
        ci_low, ci_high = boot.ci_low, boot.ci_high
        unseen_low, unseen_high = ci_low - table.observed, ci_high - table.observed
        if boot.n_failed > 0.1 * boot.n_boot:
            notes.append(
                f"{boot.n_failed} of {boot.n_boot} bootstrap replicates had no "
                "estimable model; the interval may be too narrow"
            )
    return MSEResult(
        estimate=fit.estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        observed=table.observed,
        unseen=fit.unseen,
        unseen_low=unseen_low,
        unseen_high=unseen_high,
        method=method,
        ci_method=ci,
        model=fit.model,
        lists=table.lists,
        removed_lists=removed,
        alpha=alpha,
        pthresh=pthresh if method == "stepwise" else None,
        fit=fit,
        steps=steps,
        boot=boot,
        robust=robust,
        conditional=conditional,
        notes=tuple(notes),
    )


def compare(
    data: CaptureTable | pd.DataFrame | str | Path,
    methods: tuple[str, ...] = ("independence", "stepwise", "aic", "bic"),
    **kwargs: Any,
) -> pd.DataFrame:
    """Estimates from several model choices side by side (one row per method).

    Keyword arguments go to `estimate`. Methods the data cannot support get a row with the
    error message instead of numbers.
    """
    import pandas as pd

    from .errors import MSEError

    rows = []
    for method in methods:
        try:
            res = estimate(data, method, **kwargs)
        except MSEError as exc:
            rows.append({"method": method, "error": str(exc)})
            continue
        rows.append(
            {
                "method": method,
                "estimate": res.estimate,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "unseen": res.unseen,
                "observed": res.observed,
                "model": ", ".join(res.model) or "(independence)",
                "n_terms": len(res.model),
                "aic": res.fit.aic,
                "bic": res.fit.bic,
                "ci_method": res.ci_method,
                "error": None,
            }
        )
    return pd.DataFrame(rows).set_index("method")
