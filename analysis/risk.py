"""Risk factors of exploitation: a logistic model with commune-clustered standard errors.

``fit_risk_model`` fits ``logit P(outcome) = X b`` (statsmodels GLM, Binomial family) among returned
migrants with the outcome recorded, and reports odds ratios with Wald intervals from the
cluster-robust (sandwich) covariance over communes of the home village (``cov_type='cluster'``,
with statsmodels' small-sample correction). Migrants from one commune share brokers and
destinations, so model-based standard errors are too small; both are reported (``se`` and
``se_naive``).

The odds ratios are *population-averaged* (marginal): with area or commune random effects of
total variance s2 in the data-generating process, they are attenuated relative to the
conditional (subject-specific) odds ratios by about ``1 / sqrt(1 + 0.346 s2)`` (Zeger, Liang &
Albert 1988, Biometrics 44:1049–1060).

Covariates: the names of `analysis.covariates.COVARIATES` (channel, unlicensed_agency,
n_brokers, destination_country, sector, sex, age_band, age10, minor, has_debt, the document
flags, and ``departure_year``, whose odds ratio is per year and whose intercept refers to the
first departure year in the data).

Missing values: ``missing="complete_case"`` (default) drops rows with any covariate missing
and reports how many (and per covariate); ``missing="indicator"`` keeps them — a categorical
gets a "(missing)" level, a 0/1 or numeric covariate is filled (0 / median) and a ``*_missing``
indicator is added. Missing indicators keep n but can bias the other coefficients when values
are not missing completely at random (Jones 1996, JASA 91:222–230); use them as a sensitivity
check. ``missing="impute"`` uses every returned journey: the missing covariates and the missing
indicators behind a missing outcome are multiply imputed by chained equations
(`analysis.imputation`), the model is fitted to each completed data set and the coefficients are
combined with Rubin's rules (intervals on t with Barnard–Rubin degrees of freedom, the
complete-data degrees of freedom being the number of communes minus one). Complete cases give
unbiased odds ratios when whether a covariate is missing does not depend on the outcome (White
& Carlin 2010, Stat Med 29:2920–2931) but lose the rows; imputation keeps them. Levels seen
fewer than ``min_level_count`` times are pooled into "(rare)"; columns with no variation or
aliased with others are dropped; each such step is listed in ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis._direct import cluster_labels
from analysis._risk_core import RiskModelResult, _design, _drop_degenerate, _raw, fit_glm
from analysis._validation import (
    OUTCOMES,
    EmptyDataError,
    InvalidParameterError,
    check_alpha,
    check_choice,
    check_export,
    check_positive_int,
    returned_with_outcome,
)
from analysis.covariates import COVARIATES, reference_levels
from analysis.imputation import Imputations
from analysis.scope import describe_scope

__all__ = ["COVARIATES", "DEFAULT_COVARIATES", "RiskModelResult", "fit_risk_model"]

DEFAULT_COVARIATES = ("channel", "unlicensed_agency", "n_brokers", "destination_country",
                      "sector", "sex", "age_band", "has_debt", "has_passport", "has_work_permit")
MISSING = ("complete_case", "indicator", "impute")


def fit_risk_model(
    df: pd.DataFrame,
    *,
    outcome: str = "forced_labour",
    covariates: Sequence[str] = DEFAULT_COVARIATES,
    references: Mapping[str, str] | None = None,
    missing: str = "complete_case",
    alpha: float = 0.05,
    cluster: str = "commune_code",
    min_level_count: int = 20,
    imputations: Imputations | None = None,
    m: int = 10,
    rng: np.random.Generator | int | None = 0,
) -> RiskModelResult:
    """Logistic regression of ``outcome`` on ``covariates`` among returned migrants.

    Parameters
    ----------
    df : researcher export.
    outcome : ``"forced_labour"`` or ``"trafficking"``.
    covariates : names from `analysis.covariates.COVARIATES` (default `DEFAULT_COVARIATES`).
    references : reference level per categorical covariate, e.g. ``{"sector": "construction"}``.
    missing : ``"complete_case"`` (default), ``"indicator"`` or ``"impute"`` (module docstring).
    alpha : 1 - confidence level of the odds-ratio intervals.
    cluster : column whose values define the clusters for the sandwich covariance.
    min_level_count : categorical levels rarer than this are pooled into "(rare)".
    imputations : for ``missing="impute"``, imputations of ``df`` made with
        ``impute_outcomes(df, covariates=...)`` covering these covariates (else made here with
        ``m`` imputations and seed ``rng``).

    Raises
    ------
    ModelFitError : perfect separation or no convergence (pool levels, drop covariates).
    """
    alpha = check_alpha(alpha)
    outcome = check_choice("outcome", outcome, OUTCOMES)
    missing = check_choice("missing", missing, MISSING)
    min_level_count = check_positive_int("min_level_count", min_level_count)
    covariates = tuple(covariates)
    unknown = [c for c in covariates if c not in COVARIATES]
    if unknown or not covariates:
        raise InvalidParameterError(f"unknown covariate(s) {unknown or '(none given)'}; "
                                    f"choose from {', '.join(COVARIATES)}")
    sources = [COVARIATES[c][1] for c in covariates]
    check_export(df, ["returned", outcome, cluster, *sources], "fit_risk_model")
    refs = {**reference_levels(), **(references or {})}
    scope = describe_scope(df)
    if missing == "impute":
        from analysis._risk_mi import fit_imputed

        return fit_imputed(df, outcome, covariates, refs, alpha, cluster, min_level_count,
                           imputations, m, rng, scope)
    rows, _, n_outcome_missing = returned_with_outcome(df, outcome)
    rows = rows.reset_index(drop=True)
    values = {c: _raw(rows, c) for c in covariates}
    x, dropped, notes, n_missing, refs_used = _design(values, covariates, refs, missing,
                                                      min_level_count)
    used = rows.loc[~dropped.to_numpy()]
    y = used[outcome].to_numpy(float)
    if len(used) == 0 or y.min() == y.max():
        raise EmptyDataError("need rows with both outcomes after dropping missing covariates")
    x = _drop_degenerate(x, notes)
    _, groups = np.unique(cluster_labels(used, cluster).astype(str), return_inverse=True)
    fit, naive = fit_glm(y, x, groups)
    ci = fit.conf_int(alpha)
    table = pd.DataFrame({
        "coef": fit.params, "se": fit.bse, "se_naive": naive.bse,
        "odds_ratio": np.exp(fit.params), "lower": np.exp(ci[0]), "upper": np.exp(ci[1]),
        "z": fit.tvalues, "p_value": fit.pvalues,
    })
    table.index.name = "term"
    share = dropped.mean()
    if missing == "complete_case" and share > 0.1:
        notes.append(f"{share:.0%} of the rows with the outcome recorded were dropped for a "
                     "missing covariate; missing='impute' keeps them (multiple imputation)")
    return RiskModelResult(
        outcome=outcome, alpha=alpha, table=table, covariates=covariates, missing=missing,
        n_used=len(used), n_events=int(y.sum()), n_dropped_missing=int(dropped.sum()),
        n_outcome_missing=n_outcome_missing, n_clusters=int(groups.max()) + 1,
        missing_by_covariate=n_missing, notes=tuple(notes), references=refs_used, scope=scope,
    )
