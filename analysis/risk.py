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

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from analysis._direct import cluster_labels
from analysis._validation import (
    OUTCOMES,
    EmptyDataError,
    InvalidParameterError,
    ModelFitError,
    check_alpha,
    check_choice,
    check_export,
    check_positive_int,
    returned_with_outcome,
)
from analysis.covariates import COVARIATES, covariate_values, reference_levels
from analysis.imputation import Imputations
from analysis.results import Result, ci_label, format_table, text_block
from analysis.scope import Scope, describe_scope

__all__ = ["COVARIATES", "DEFAULT_COVARIATES", "RiskModelResult", "fit_risk_model"]

DEFAULT_COVARIATES = ("channel", "unlicensed_agency", "n_brokers", "destination_country",
                      "sector", "sex", "age_band", "has_debt", "has_passport", "has_work_permit")
MISSING = ("complete_case", "indicator", "impute")


def _raw(rows: pd.DataFrame, name: str) -> pd.Series:
    """The covariate's values; departure_year counted from the first year in the data."""
    values = covariate_values(rows, name)
    if name == "departure_year" and values.notna().any():
        values = values - np.floor(values.min())
    return values


def _categorical(values: pd.Series, name: str, ref: str | None, missing: str, min_count: int,
                 notes: list[str], refs_used: dict[str, str],
                 rare: list[str] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Dummy columns of a categorical; ``rare`` fixes the pooled levels (multiple imputation:
    the same columns in every imputation)."""
    v = values.copy()
    if missing == "indicator":
        v = v.fillna("(missing)")
    fixed = rare is not None
    if rare is None:
        counts = v.value_counts()
        rare = counts[counts < min_count].index.tolist()
    if rare:
        v = v.where(~v.isin(rare), "(rare)")
        notes.append(f"{name}: levels {', '.join(map(str, rare))} pooled into '(rare)'")
        if not fixed and (v == "(rare)").sum() < min_count:
            v = v.where(v != "(rare)", pd.NA)
            notes.append(f"{name}: '(rare)' still has < {min_count} rows; those rows set missing")
    counts = v.value_counts()
    if ref is None or ref not in counts.index:
        if ref is not None:
            notes.append(f"{name}: reference {ref!r} absent; using {counts.index[0]!r}")
        ref = str(counts.index[0]) if len(counts) else None
    if ref is not None:
        refs_used[name] = ref
    levels = [lv for lv in sorted(counts.index) if lv != ref]
    block = pd.DataFrame({f"{name}[{lv}]": (v == lv).astype(float) for lv in levels},
                         index=v.index)
    return block, v.isna()


def _design(values: Mapping[str, pd.Series], covariates: Sequence[str], refs: Mapping[str, str],
            missing: str, min_count: int, rare: Mapping[str, list[str]] | None = None
            ) -> tuple[pd.DataFrame, pd.Series, list[str], dict, dict[str, str]]:
    """Design matrix of the covariates' ``values`` (rows with a value missing are dropped unless
    ``missing="indicator"``); also the notes, missing counts and reference levels used."""
    notes: list[str] = []
    blocks, isna, n_missing, refs_used = [], [], {}, {}
    index = next(iter(values.values())).index
    for name in covariates:
        raw = values[name]
        n_missing[name] = int(raw.isna().sum())
        if COVARIATES[name][0] == "cat":
            block, na = _categorical(raw, name, refs.get(name), missing, min_count, notes,
                                     refs_used, None if rare is None else rare.get(name, []))
        else:
            na = raw.isna()
            block = raw.to_frame(name)
            if missing == "indicator" and na.any():
                fill = 0.0 if COVARIATES[name][0] == "bin" else float(raw.median())
                block[name] = raw.fillna(fill)
                if na.sum() >= min_count:
                    block[f"{name}_missing"] = na.astype(float)
                    na = pd.Series(False, index=raw.index)
                else:
                    notes.append(f"{name}: only {int(na.sum())} missing; those rows dropped")
                    block[name] = raw
        blocks.append(block)
        isna.append(na.to_numpy())
    drop = np.any(np.column_stack(isna), axis=1) if isna else np.zeros(len(index), bool)
    x = pd.concat(blocks, axis=1).loc[~drop] if blocks else pd.DataFrame(index=index[~drop])
    return x, pd.Series(drop, index=index), notes, n_missing, refs_used


def _drop_degenerate(x: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    const = [c for c in x.columns if x[c].nunique() < 2]
    if const:
        notes.append(f"no variation, dropped: {', '.join(const)}")
        x = x.drop(columns=const)
    x = x.astype(float)
    x.insert(0, "Intercept", 1.0)
    arr = x.to_numpy()
    arr = arr / np.sqrt((arr**2).mean(axis=0))
    gram = arr.T @ arr / len(arr)
    keep_idx: list[int] = []
    for j in range(gram.shape[0]):  # greedy: keep a column only if it adds rank
        sub = gram[np.ix_([*keep_idx, j], [*keep_idx, j])]
        if np.linalg.matrix_rank(sub, tol=1e-9) == len(keep_idx) + 1:
            keep_idx.append(j)
    keep = [x.columns[j] for j in keep_idx]
    aliased = [c for c in x.columns if c not in keep]
    if aliased:
        notes.append(f"aliased with earlier columns, dropped: {', '.join(aliased)}")
    return x[keep]


def fit_glm(y: np.ndarray, x: pd.DataFrame, groups: np.ndarray) -> tuple:
    """Logistic GLM with commune-clustered and model-based covariances (fit, naive fit)."""
    model = sm.GLM(y, x, family=sm.families.Binomial())
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            return model.fit(cov_type="cluster", cov_kwds={"groups": groups}), model.fit()
        except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError) as exc:
            raise ModelFitError(f"logistic model could not be fitted ({exc}); pool sparse "
                                "levels or drop covariates") from exc


@dataclass(frozen=True, eq=False, repr=False)
class RiskModelResult(Result):
    """Odds ratios of a commune-clustered logistic model. ``to_frame()``: one row per term
    (with ``fmi``, the fraction of missing information, under imputation)."""

    outcome: str
    alpha: float
    table: pd.DataFrame
    covariates: tuple[str, ...]
    missing: str
    n_used: int
    n_events: int
    n_dropped_missing: int
    n_outcome_missing: int
    n_clusters: int
    missing_by_covariate: dict[str, int]
    notes: tuple[str, ...]
    references: dict[str, str] = field(default_factory=dict)
    scope: Scope | None = None
    imputations: int = 0

    @property
    def title(self) -> str:
        what = f"Risk factors for {self.outcome.replace('_', ' ')} (odds ratios)"
        return self.scope.title(what) if self.scope else what

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        if self.imputations:
            handling = (f"rows used: {self.n_used} (mean {self.n_events} events); missing "
                        f"covariates and the {self.n_outcome_missing} missing outcomes multiply "
                        f"imputed ({self.imputations} imputations, chained equations; Rubin's "
                        "rules)")
        else:
            handling = (f"rows used: {self.n_used} ({self.n_events} events); dropped for missing "
                        f"covariates: {self.n_dropped_missing} ({self.missing}); outcome not "
                        f"recorded (excluded): {self.n_outcome_missing}")
        lines = [
            f"logistic GLM of {self.outcome}; commune-clustered SEs ({self.n_clusters} clusters); "
            f"odds ratios with {ci_label(self.alpha)}",
            *(self.scope.lines() if self.scope else []),
            handling,
            "missing per covariate: "
            + (", ".join(f"{k} {v}" for k, v in self.missing_by_covariate.items() if v)
               or "none"),
            "reference levels: " + (", ".join(f"{k} = {v}" for k, v in self.references.items())
                                    or "none (no categorical covariate)"),
            *(f"note: {n}" for n in self.notes),
        ]
        cols = ["odds_ratio", "lower", "upper", "p_value", "se", "se_naive"]
        cols += ["fmi"] if "fmi" in self.table.columns else []
        return text_block(self.title, lines, format_table(self.table[cols]))


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
