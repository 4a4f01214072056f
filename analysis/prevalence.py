"""Prevalence of forced labour and trafficking among returned migrants, by area.

Population, unit and period. The population is returned migrants whose return is recorded;
journeys with no recorded return (still abroad, or not registered) are outside it and counted.
The unit is the returned journey (``unit="journey"``, default: a person who returned twice counts
twice) or the returned person (``unit="person"``: outcome 1 when any of the person's returned
journeys has it; the person is placed in the area of their latest returned journey). Every
result states unit, population, persons and journeys and the period (`analysis.scope`).

Missing indicators (``missing=``). A return whose indicator module was partly filled in can be
classified "yes" from what was recorded but "no" only when everything was recorded, so the
outcome is missing mostly for would-be negatives and dropping missing outcomes biases the
prevalence upward. Three choices, named in every summary:

``"impute"`` (default)
    Multiple imputation of the missing indicators (`analysis.imputation`), each imputed data set
    analysed as below and the results combined with Rubin's rules (`analysis.rubin`). The
    interval is Wilson's on the effective size ``p(1 - p) / T`` (``T`` the total variance,
    which includes the between-imputation part) shrunk by ``(z / t_df)^2`` with the
    Barnard-Rubin degrees of freedom, as Korn & Graubard do for survey degrees of freedom. Pass
    ``imputations=`` (from `analysis.imputation.impute_outcomes`) to reuse one set of
    imputations across calls on the same data frame.
``"bounds"``
    Worst and best case: partly recorded returns whose outcome is undetermined are all "no"
    (lower bound) or all "yes" (upper bound); returns whose indicators were not asked at all
    are left out, assuming that not asking is unrelated to the outcome. The interval runs from
    the lower end of the first case to the upper end of the second; there is no point estimate.
``"complete_case"``
    Returns with the outcome recorded only (the behaviour before issue 14): biased upward when
    returns are partly recorded. For comparison.

Intervals (``method=``). Migrants from the same commune share recruiters, brokers and
destinations, so their outcomes are correlated and a plain binomial interval is too narrow:

``"wilson_deff"`` (default)
    Wilson interval on a Kish effective sample size ``n_eff = n / deff`` with
    ``deff = 1 + (m~ - 1) * icc`` (Kish 1965), where ``m~ = sum(m_c^2) / sum(m_c)`` is the
    size-weighted mean commune size in the area and ``icc`` the intra-commune correlation,
    estimated once from all the data by one-way ANOVA of communes nested within areas (so area
    differences do not inflate it). Pooling the ICC keeps the correction stable for areas with few
    communes; the interval is evaluated at ``p_hat`` and ``n_eff`` as Korn & Graubard (1998)
    propose for complex samples.
``"design"``
    Ratio estimator with its Taylor-linearised variance over communes within each area
    (``v = k/(k-1) * sum((y_c - p m_c)^2) / n^2``), turned into ``n_eff = p(1-p)/v`` (capped at
    ``n``) with the Korn–Graubard degrees-of-freedom factor ``(z/t_{k-1})^2``, then Wilson. Where
    the area has fewer than two communes or ``p_hat`` is 0 or 1 the linearised variance carries no
    information and the pooled-ICC design effect is used instead.
``"wilson"``
    Plain Wilson (independent migrants) — for comparison only; it under-covers when ICC > 0.

Measured 95% coverage (bench/sim_coverage.py, 500 replicates x 25 provinces, commune random
effect sd 0.3 / 0.8 / 0.8 with mean commune sizes 8 / 8 / 20): ``wilson_deff`` 0.954 / 0.954 /
0.951; ``design`` 0.969 / 0.958 / 0.951; plain ``wilson`` 0.946 / 0.886 / 0.805.

Imputation against complete cases (bench/sim_missing.py). On five synthetic national registers
(seeds 4242, 21, 7, 99, 2026; scale 0.03; indicators missing as the generator plants them)
complete cases sat above the planted national prevalence every time (by 0.001–0.004) and their
interval missed it once; the imputation estimates were within 0.0015 of it and their intervals
covered it five times out of five; province intervals covered the planted province value
119/125 times with complete cases, 120/125 with imputation. In memory, with more items left
blank (30 replicates of 8,000 returns, 6 provinces): at 5% of items blank complete cases were
biased by +0.015 and their national interval covered 40% of the time (provinces 88%), imputation
-0.001, 100% (98%); at 15% blank, +0.057, 0% (19%) against -0.002, 97% (96%).

References
----------
Kish L (1965) *Survey Sampling*. Wiley.
Korn EL, Graubard BI (1998) Confidence intervals for proportions with small expected number of
positive counts estimated from survey data. *Survey Methodology* 24:193–201.
Brown LD, Cai TT, DasGupta A (2001) Interval estimation for a binomial proportion.
*Statistical Science* 16:101–133. doi:10.1214/ss/1009213286
Rubin DB (1987) *Multiple Imputation for Nonresponse in Surveys*. Wiley.
Manski CF (1989) Anatomy of the selection problem. *J Human Resources* 24:343–360 (bounds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis import _direct
from analysis._direct import (
    Units,
    cluster_counts,
    cluster_labels,
    estimate_icc,
    make_units,
    wilson_interval,
)
from analysis._rules import ILO_INDICATORS
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
from analysis.imputation import BLOCK, Imputations, impute_outcomes
from analysis.results import Result, ci_label, format_table, text_block
from analysis.rubin import pool
from analysis.scope import UNITS, Scope, describe_scope
from analysis.suppress import publishable_proportions

__all__ = [
    "METHODS",
    "MISSING",
    "PrevalenceResult",
    "area_label",
    "cluster_counts",
    "cluster_labels",
    "estimate_icc",
    "estimate_prevalence",
    "wilson_interval",
]

METHODS = ("wilson_deff", "design", "wilson")
MISSING = ("impute", "bounds", "complete_case")


def area_label(by: str) -> str:
    """``'province_code'`` -> ``'province'`` (for titles)."""
    return by.removesuffix("_code").replace("_", " ")


@dataclass(frozen=True, eq=False, repr=False)
class PrevalenceResult(Result):
    """Direct prevalence estimates per area with clustered intervals.

    ``to_frame()`` has one row per area: n (units analysed), cases, estimate, lower, upper,
    deff, n_eff, n_clusters, n_recorded and cases_recorded (units with the outcome recorded),
    n_persons (journey unit), fmi (fraction of missing information, imputation only),
    estimate_low / estimate_high (bounds only) and publishable. ``published()`` is the same table
    with every number of an unpublishable area blanked out (use it for anything leaving the
    research team). With ``missing="impute"`` cases are the mean over imputations, and
    ``imputed`` holds the imputations used (pass them on to other calls on the same data).
    """

    outcome: str
    by: str
    method: str
    alpha: float
    threshold: int
    icc: float
    table: pd.DataFrame
    overall: tuple[float, float, float]
    n_returned: int
    n_outcome_missing: int
    n_area_missing: int
    missing: str = "complete_case"
    unit: str = "journey"
    scope: Scope | None = None
    imputations: int = 0
    fmi: float = 0.0
    overall_bounds: tuple[float, float] | None = None
    n_partial: int = 0
    n_not_asked: int = 0
    imputed: Imputations | None = None
    indicators: tuple[str, ...] = ()  # the ILO indicator columns read (``missing="bounds"``)
    n_counts: str = "recorded"  # which returns ``n`` counts: all, recorded or asked

    @property
    def title(self) -> str:
        what = f"Prevalence of {self.outcome.replace('_', ' ')} by {area_label(self.by)}"
        return self.scope.title(what) if self.scope else what

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def cells(self) -> dict[str, Any]:
        """What the count columns of :meth:`to_frame` count, as ``Run.table``'s ``by``,
        ``counts`` and ``populations`` take them, so that the ledger (:mod:`analysis.ledger`)
        checks the table against every table published before from the same data:
        ``n_recorded`` returned journeys with the outcome recorded, ``cases_recorded`` those
        with it, and ``n`` the returned journeys the estimate stands on - all of them when
        missing outcomes are imputed, those recorded for complete cases, those with the outcome
        or some indicator recorded for bounds; ``n_persons`` the persons with a returned journey
        there. Empty for the person unit (its persons are placed in the area of their latest
        return, which no cell definition describes)."""
        if self.unit != "journey":
            return {}
        returned, o = "returned == 1", self.outcome
        recorded = f"{returned} and {o} == {o}"
        asked = " or ".join(f"{c} == {c}" for c in (o, *self.indicators))
        n = {"all": returned, "recorded": recorded,
             "asked": f"{returned} and ({asked})"}[self.n_counts]
        declared = {"by": self.by, "counts": ["n", "n_recorded", "cases_recorded"],
                    "populations": {"n": n, "n_recorded": recorded,
                                    "cases_recorded": f"{returned} and {o} == 1"}}
        if "n_persons" in self.table.columns:  # persons with a returned journey in the area
            declared["counts"].append("n_persons")
            declared["populations"]["n_persons"] = returned
            declared["units"] = {"n_persons": "persons"}
        return declared

    def published(self) -> pd.DataFrame:
        frame = self.table.copy()
        hide = ~frame["publishable"]
        cols = [c for c in frame.columns if c != "publishable"]
        frame[cols] = frame[cols].astype(float).mask(
            np.repeat(hide.to_numpy()[:, None], len(cols), axis=1))
        return frame

    def missing_text(self) -> str:
        undetermined = (f"{self.n_outcome_missing} returned journeys without the outcome "
                        f"({self.n_partial} partly recorded, {self.n_not_asked} not asked)")
        if self.missing == "impute" and self.imputations:
            return (f"missing indicators: multiply imputed ({self.imputations} imputations, "
                    f"Rubin's rules) for {undetermined}; fraction of missing information "
                    f"(overall) {self.fmi:.2f}")
        if self.missing == "impute":
            return "missing indicators: none (every outcome recorded; nothing to impute)"
        if self.missing == "bounds":
            return (f"missing indicators: bounds — the {self.n_partial} partly recorded returns "
                    "set all to 'no' (lower) and all to 'yes' (upper); the "
                    f"{self.n_not_asked} not asked are left out, assuming not asking is "
                    "unrelated to the outcome")
        return (f"missing indicators: complete cases only ({undetermined} excluded) — biased "
                "upward when returns are partly recorded")

    def summary(self) -> str:
        est, lo, hi = self.overall
        if self.overall_bounds is not None:
            b_lo, b_hi = self.overall_bounds
            overall = f"overall: between {b_lo:.3f} and {b_hi:.3f} ({ci_label(self.alpha)} " \
                      f"{lo:.3f}-{hi:.3f})"
        else:
            overall = f"overall: {est:.3f} ({ci_label(self.alpha)} {lo:.3f}-{hi:.3f})"
        lines = [
            f"outcome: {self.outcome}; areas: {self.by}; interval: {self.method} "
            f"({ci_label(self.alpha)})",
            *(self.scope.lines() if self.scope else []),
            self.missing_text(),
            f"area code missing (excluded): {self.n_area_missing} journeys",
            f"analysed: {int(self.table['n'].sum())} {self.unit}s; intra-commune correlation: "
            f"{self.icc:.4f}",
            overall,
            f"areas not publishable (threshold {self.threshold}, with complementary suppression): "
            f"{int((~self.table['publishable']).sum())} of {len(self.table)}",
        ]
        # A summary is what gets printed and published: unpublishable areas are blanked.
        return text_block(self.title, lines, format_table(self.published()))


def _complete(units: Units, y: np.ndarray, method: str, alpha: float
              ) -> tuple[pd.DataFrame, float, tuple[float, float, float]]:
    known = ~np.isnan(y)
    if not known.any():
        raise EmptyDataError("no analysis unit has the outcome recorded")
    clusters, groups = _direct.unit_clusters(units, known)
    clusters["y"] = np.bincount(groups, weights=y[known], minlength=len(clusters))
    icc = estimate_icc(clusters)
    table = _direct.area_table(clusters, icc, method, alpha)
    p, var = _direct.overall(table)
    lo, hi = _direct.overall_interval(p, var, float(table["n_eff"].sum()), alpha)
    table["cases"] = table["cases"].round().astype(int)
    return table, icc, (p, lo, hi)


def _imputed(units: Units, y: np.ndarray, method: str, alpha: float
             ) -> tuple[pd.DataFrame, float, tuple[float, float, float], float]:
    clusters, groups = _direct.unit_clusters(units, np.ones(len(units.area), dtype=bool))
    tables, iccs, overall = [], [], []
    for y_i in y:
        cl = clusters.assign(y=np.bincount(groups, weights=y_i, minlength=len(clusters)))
        iccs.append(estimate_icc(cl))
        tables.append(_direct.area_table(cl, iccs[-1], method, alpha))
        overall.append(_direct.overall(tables[-1]))
    table, _ = _direct.pooled_table(tables, alpha)
    ov = np.array(overall)
    res = pool(ov[:, :1], ov[:, 1:])
    p, t, df = float(res.estimate[0]), float(res.total[0]), float(res.df[0])
    n_eff = p * (1 - p) / t if t > 0 else float(table["n_eff"].sum())
    if np.isfinite(df):
        from scipy import stats

        n_eff *= (stats.norm.isf(alpha / 2) / stats.t.isf(alpha / 2, max(df, 1.0))) ** 2
    lo, hi = wilson_interval(p, n_eff, alpha)
    return table, float(np.mean(iccs)), (p, float(lo), float(hi)), float(res.fmi[0])


def _bounds(units: Units, y_rec: np.ndarray, partial: np.ndarray, method: str, alpha: float
            ) -> tuple[pd.DataFrame, float, tuple[float, float, float], tuple[float, float]]:
    low = np.where(partial, 0.0, y_rec)
    high = np.where(partial, 1.0, y_rec)
    t_lo, icc, (p_lo, o_lo, _) = _complete(units, units.outcome(low), method, alpha)
    t_hi, _, (p_hi, _, o_hi) = _complete(units, units.outcome(high), method, alpha)
    table = t_lo.copy()
    table["cases"] = np.nan
    table["estimate"] = np.nan
    table["estimate_low"], table["estimate_high"] = t_lo["estimate"], t_hi["estimate"]
    table["cases_low"], table["cases_high"] = t_lo["cases"], t_hi["cases"]
    table["upper"] = t_hi["upper"]
    return table, icc, (np.nan, o_lo, o_hi), (p_lo, p_hi)


def _counts_by_area(units: Units, y_units: np.ndarray, index: pd.Index,
                    with_persons: bool) -> pd.DataFrame:
    known = ~np.isnan(y_units)
    frame = pd.DataFrame({"area": units.area[known].astype(str), "y": y_units[known]})
    g = frame.groupby("area")["y"]
    out = pd.DataFrame({"n_recorded": g.size(), "cases_recorded": g.sum()}).reindex(index)
    out = out.fillna(0).astype(int)
    if units.persons is not None and with_persons:
        persons = pd.Series(units.persons).groupby(units.area.astype(str)).nunique()
        out["n_persons"] = persons.reindex(index).fillna(0).astype(int)
    return out


def estimate_prevalence(
    df: pd.DataFrame,
    *,
    outcome: str = "forced_labour",
    by: str = "province_code",
    method: str = "wilson_deff",
    alpha: float = 0.05,
    threshold: int = 5,
    cluster: str | None = "commune_code",
    missing: str = "impute",
    unit: str = "journey",
    imputations: Imputations | None = None,
    m: int = 20,
    rng: np.random.Generator | int | None = 0,
) -> PrevalenceResult:
    """Prevalence of ``outcome`` among returned migrants per ``by`` area, commune-clustered CIs.

    Parameters
    ----------
    df : researcher export (one row per journey).
    outcome : ``"forced_labour"`` or ``"trafficking"``.
    by : area column, e.g. ``"province_code"`` or ``"district_code"``.
    method : ``"wilson_deff"`` (default), ``"design"`` or ``"wilson"``; see the module docstring.
    alpha : 1 - confidence level.
    threshold : small-cell threshold for the ``publishable`` flag (see `analysis.suppress`).
    cluster : column defining the clusters (communes of the home village); ``None`` treats
        migrants as independent (then every method reduces to plain Wilson).
    missing : ``"impute"`` (default), ``"bounds"`` or ``"complete_case"`` (module docstring).
    unit : ``"journey"`` (default) or ``"person"``.
    imputations : precomputed `analysis.imputation.Imputations` of ``df`` (else made here
        with ``m`` imputations and seed ``rng``).
    """
    alpha = check_alpha(alpha)
    method = check_choice("method", method, METHODS)
    threshold = check_positive_int("threshold", threshold)
    missing = check_choice("missing", missing, MISSING)
    unit = check_choice("unit", unit, UNITS)
    check_choice("outcome", outcome, OUTCOMES)
    check_export(df, ["returned", outcome, by] + ([cluster] if cluster else [])
                 + (["person_key"] if unit == "person" else []), "estimate_prevalence")
    _, n_returned, n_missing = returned_with_outcome(df, outcome)
    returned = pd.to_numeric(df["returned"], errors="coerce").fillna(0).astype(int) == 1
    rows = df.loc[returned]
    y_rec = pd.to_numeric(rows[outcome], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    n_area_missing = int(rows[by].isna().sum())
    if n_area_missing == len(rows):
        raise EmptyDataError(f"no returned migrant has a {by!r} code")
    units = make_units(rows, by, cluster, unit)
    y_units = units.outcome(y_rec)
    indicators = [c for c in ILO_INDICATORS if c in rows.columns]
    asked = rows[indicators].notna().any(axis=1).to_numpy() if indicators else \
        np.zeros(len(rows), dtype=bool)
    partial = np.isnan(y_rec) & asked
    extra: dict = {"n_partial": int(partial.sum()), "indicators": tuple(indicators),
                   "n_not_asked": int((np.isnan(y_rec) & ~asked).sum())}
    todo = bool(np.isnan(y_units).any())
    if missing == "impute" and todo:
        if imputations is None:
            check_export(df, BLOCK, "imputing missing outcomes (missing='impute'; "
                                    "missing='complete_case' skips it)")
        imp = imputations if imputations is not None else impute_outcomes(df, m=m, rng=rng)
        if not imp.index.equals(rows.index):
            raise InvalidParameterError("imputations were made on another data frame (the "
                                        "returned journeys differ); impute this one")
        y_imp = units.outcome(imp.outcome(outcome).astype(float))
        table, icc, ov, fmi = _imputed(units, y_imp, method, alpha)
        extra |= {"imputations": imp.m, "fmi": fmi, "imputed": imp, "n_counts": "all"}
        cases_for_rule = np.round(table["cases"].to_numpy())
    elif missing == "bounds" and todo:
        table, icc, ov, bounds = _bounds(units, y_rec, partial, method, alpha)
        extra |= {"overall_bounds": bounds, "n_counts": "asked"}
        cases_for_rule = table["cases_high"].to_numpy()
    else:
        table, icc, ov = _complete(units, y_units, method, alpha)
        cases_for_rule = table["cases"].to_numpy()
    table.index.name = by
    table = table.join(_counts_by_area(units, y_units, table.index, unit == "journey"))
    pub = publishable_proportions(cases_for_rule, table["n"], threshold)
    if todo and missing != "complete_case":
        pub &= publishable_proportions(table["cases_recorded"], table["n_recorded"], threshold)
        if missing == "bounds":
            pub &= publishable_proportions(table["cases_low"], table["n"], threshold)
    table["publishable"] = pub
    return PrevalenceResult(
        outcome=outcome, by=by, method=method, alpha=alpha, threshold=threshold, icc=icc,
        table=table, overall=(float(ov[0]), float(ov[1]), float(ov[2])), n_returned=n_returned,
        n_outcome_missing=n_missing, n_area_missing=n_area_missing, missing=missing, unit=unit,
        scope=describe_scope(df, unit), **extra,
    )
