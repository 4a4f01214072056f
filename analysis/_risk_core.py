"""The risk model's design matrix, fit and result, shared by the complete-case fit
(:mod:`analysis.risk`) and the fit on multiply imputed data (:mod:`analysis._risk_mi`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from analysis._validation import (
    ModelFitError,
)
from analysis.covariates import COVARIATES, covariate_values
from analysis.results import Result, ci_label, format_table, text_block
from analysis.scope import Scope


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
