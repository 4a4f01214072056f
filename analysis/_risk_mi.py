"""The risk model on multiply imputed data (``fit_risk_model(missing="impute")``): the model is
fitted to each completed data set with the same design columns, and each coefficient is combined
with Rubin's rules (`analysis.rubin`); see `analysis.risk` for the method.

Returns whose indicators were not asked at all help impute the covariates, but are left out of
the model: their outcome would come from the imputation model alone, so they add noise and no
information about the odds ratios ("multiple imputation, then deletion"; von Hippel 2007,
*Sociological Methodology* 37:83-117). Partly recorded returns stay: their imputed outcome rests
on the answers they gave."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from analysis._direct import cluster_labels
from analysis._risk_core import RiskModelResult, _design, _drop_degenerate, _raw, fit_glm
from analysis._rules import ILO_INDICATORS
from analysis._validation import InvalidParameterError
from analysis.covariates import CATEGORICAL, COVARIATES
from analysis.imputation import Imputations, impute_outcomes
from analysis.rubin import pool
from analysis.scope import Scope

__all__ = ["fit_imputed"]


def fit_imputed(df: pd.DataFrame, outcome: str, covariates: tuple[str, ...],
                refs: Mapping[str, str], alpha: float, cluster: str, min_count: int,
                imputations: Imputations | None, m: int, rng: object, scope: Scope
                ) -> RiskModelResult:
    returned = pd.to_numeric(df["returned"], errors="coerce").fillna(0).astype(int) == 1
    rows = df.loc[returned]
    imp = imputations if imputations is not None else \
        impute_outcomes(df, m=m, covariates=covariates, rng=rng)
    if not imp.index.equals(rows.index):
        raise InvalidParameterError("imputations were made on another data frame (the returned "
                                    "journeys differ); impute this one")
    indicators = [c for c in ILO_INDICATORS if c in rows.columns]
    asked = rows[indicators].notna().any(axis=1).to_numpy(copy=True) if indicators else \
        np.ones(len(rows), dtype=bool)
    asked |= imp.recorded[outcome]
    n_not_asked = int((~asked).sum())
    rows_all, rows = rows, rows.loc[asked]
    raw = {c: _raw(rows_all, c).loc[rows.index] for c in covariates}
    lacking = [c for c in covariates if raw[c].isna().any() and c not in imp.covariates]
    if lacking:
        raise InvalidParameterError(f"the imputations do not cover {', '.join(lacking)}: make "
                                    "them with impute_outcomes(df, covariates=...)")
    # Same pooled levels and references in every imputation: decided on the recorded values.
    rare, fixed_refs = {}, dict(refs)
    for c in covariates:
        if COVARIATES[c][0] == CATEGORICAL:
            counts = raw[c].value_counts()
            rare[c] = counts[counts < min_count].index.tolist()
            fixed_refs.setdefault(c, str(counts.index[0]))
    offset = {c: -float(np.floor(np.nanmin(pd.to_numeric(
        rows_all[COVARIATES[c][1]], errors="coerce").to_numpy(float))))
        for c in covariates if c == "departure_year"}
    notes: list[str] = [f"{n_not_asked} returns whose indicators were not asked help impute the "
                         "covariates but are left out of the model (multiple imputation, then "
                         "deletion)"] if n_not_asked else []
    designs, outcomes = [], imp.outcome(outcome).astype(float)[:, asked]
    refs_used: dict[str, str] = {}
    for i in range(imp.m):
        values = {}
        for c in covariates:
            if c in imp.covariates:
                v = imp.covariate(c, i)[asked]
                v = pd.Series(v, index=rows.index, dtype="string" if
                              COVARIATES[c][0] == CATEGORICAL else float)
                values[c] = v + offset[c] if c in offset else v
            else:
                values[c] = raw[c]
        x, dropped, step_notes, n_missing, refs_used = _design(values, covariates, fixed_refs,
                                                               "complete_case", min_count, rare)
        if dropped.any():
            raise InvalidParameterError("an imputed data set still has missing covariates")
        designs.append(_drop_degenerate(x, step_notes))
        if i == 0:
            notes += step_notes
    keep = [c for c in designs[0].columns if all(c in d.columns for d in designs)]
    _, groups = np.unique(cluster_labels(rows, cluster).astype(str), return_inverse=True)
    params, var, var_naive = [], [], []
    for x, y in zip(designs, outcomes, strict=True):
        fit, naive = fit_glm(y, x[keep], groups)
        params.append(fit.params.to_numpy())
        var.append(np.diag(fit.cov_params()))
        var_naive.append(np.diag(naive.cov_params()))
    n_clusters = int(groups.max()) + 1
    res = pool(np.array(params), np.array(var), df_complete=n_clusters - 1)
    naive_total = pool(np.array(params), np.array(var_naive)).total
    se = np.sqrt(res.total)
    tq = stats.t.isf(alpha / 2, res.df)
    tstat = res.estimate / se
    table = pd.DataFrame({
        "coef": res.estimate, "se": se, "se_naive": np.sqrt(naive_total),
        "odds_ratio": np.exp(res.estimate), "lower": np.exp(res.estimate - tq * se),
        "upper": np.exp(res.estimate + tq * se), "z": tstat,
        "p_value": 2 * stats.t.sf(np.abs(tstat), res.df), "df": res.df, "fmi": res.fmi,
    }, index=pd.Index(keep, name="term"))
    n_missing = {c: int(raw[c].isna().sum()) for c in covariates}
    recorded = imp.recorded[outcome][asked]
    return RiskModelResult(
        outcome=outcome, alpha=alpha, table=table, covariates=covariates, missing="impute",
        n_used=len(rows), n_events=int(round(outcomes.sum(axis=1).mean())), n_dropped_missing=0,
        n_outcome_missing=int((~recorded).sum()), n_clusters=n_clusters,
        missing_by_covariate=n_missing, notes=tuple(notes), references=refs_used, scope=scope,
        imputations=imp.m,
    )
