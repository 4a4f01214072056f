"""Descriptive tables the notebooks publish: journeys and recorded cases per resident, departures
by year. Counts only; `analysis.publish` suppresses the small ones."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._validation import OUTCOMES, check_choice, check_export

__all__ = ["departures_by_year", "largest", "missing_shares", "odds_ratio_table",
           "rates_per_resident"]


def rates_per_resident(df: pd.DataFrame, population: pd.Series | None = None, *,
                       outcome: str = "forced_labour", per: int = 100_000) -> pd.DataFrame:
    """Journeys and recorded cases of ``outcome`` per ``per`` residents of each province.

    Prevalence among returned migrants says how risky migration is; a rate per resident says
    how much of a province's population is affected. Recorded migrants and recorded cases only
    (returns with the outcome classified "yes"), so the rates are lower bounds. ``population``
    defaults to the 2019 census (`analysis.geo.load_population`). Columns: ``journeys``,
    ``cases``, ``population``, ``journeys_per_<per>``, ``cases_per_<per>``; every province of
    ``population`` has a row.
    """
    check_choice("outcome", outcome, OUTCOMES)
    check_export(df, ["province_code", "returned", outcome], "rates_per_resident")
    if population is None:
        from .geo import load_population

        population = load_population()["population"]
    returned = df[pd.to_numeric(df["returned"], errors="coerce").fillna(0) == 1]
    cases = pd.to_numeric(returned[outcome], errors="coerce").fillna(0)
    out = pd.DataFrame({
        "journeys": df.groupby("province_code").size(),
        "cases": cases.groupby(returned["province_code"]).sum().astype(int),
    }).reindex(population.index, fill_value=0)
    out.index.name = "province_code"
    out["population"] = population.astype("int64")
    label = f"{per // 1000}k" if per % 1000 == 0 else str(per)
    out[f"journeys_per_{label}"] = per * out["journeys"] / out["population"]
    out[f"cases_per_{label}"] = per * out["cases"] / out["population"]
    return out


def departures_by_year(df: pd.DataFrame, column: str = "channel") -> pd.DataFrame:
    """Journeys by departure year (rows) and ``column`` (columns; missing values as
    "(not recorded)")."""
    check_export(df, ["departure_year", column], "departures_by_year")
    values = df[column].astype("string").fillna("(not recorded)")
    table = pd.crosstab(df["departure_year"], values).astype("int64")
    table.columns = [str(c) for c in table.columns]
    table.index.name = "departure_year"
    table.columns.name = None
    return table


def departures_cells(table: pd.DataFrame, column: str = "channel") -> dict[str, Any]:
    """What the cells of :func:`departures_by_year`'s table count, for ``Run.table``'s ledger
    (``by``, ``counts``, ``populations``)."""
    populations = {c: (f"{column} != {column}" if c == "(not recorded)" else f"{column} == {c!r}")
                   for c in table.columns}
    return {"by": "departure_year", "counts": list(table.columns), "populations": populations}


def missing_shares(df: pd.DataFrame) -> pd.DataFrame:
    """`analysis.quality.completeness` of the whole selection, one row per field: the share of
    records missing it and among how many records (journeys, or returned journeys for the fields
    of a return). Fields the export level leaves out entirely (the birth year of the standard
    export) are not listed."""
    from register.export import COLUMNS

    from .quality import RETURN_FIELDS, completeness

    row = completeness(df).iloc[0]
    # Fields the export level removes (birth year at the standard level) are missing by design,
    # not by the clerks: they are left out.
    removed = {c.name for c in COLUMNS if c.standard == "drop"}
    fields = [c.removeprefix("missing_") for c in row.index if c.startswith("missing_")]
    fields = [f for f in fields if not (f in removed and row[f"missing_{f}"] == 1.0)]
    out = pd.DataFrame({
        "share_missing": [float(row[f"missing_{f}"]) for f in fields],
        "records": [int(row["returns"] if f in RETURN_FIELDS else row["journeys"])
                    for f in fields],
        "among": ["returned journeys" if f in RETURN_FIELDS else "journeys" for f in fields],
    }, index=pd.Index(fields, name="field"))
    return out


def odds_ratio_table(result: object, *, min_level_count: int) -> pd.DataFrame:
    """The odds ratios of a risk model, one row per term named in words with its reference
    (`analysis.plots.term_label`), for publication. The model pools every level seen fewer than
    ``min_level_count`` times (pass the value the model was fitted with), so each term rests on
    at least that many journeys: ``min_journeys`` is the count the publishing path checks
    against its threshold."""
    from ._risk_core import RiskModelResult
    from .plots import term_label

    if not isinstance(result, RiskModelResult):
        raise TypeError("result must come from fit_risk_model")
    table = result.to_frame()
    table = table[table.index != "Intercept"]
    out = table[["odds_ratio", "lower", "upper", "p_value"]].copy()
    out.index = pd.Index([term_label(t, result.references) for t in table.index], name="term")
    out["min_journeys"] = min_level_count
    return out


def largest(published: pd.DataFrame, column: str, n: int = 15) -> pd.DataFrame:
    """The ``n`` rows of a published table (`analysis.publish.save_table`'s result) with the
    largest ``column``, suppressed rows left out."""
    shown = published[~published["suppressed"].astype(bool)] if "suppressed" in published \
        else published
    return shown.sort_values(column, ascending=False).head(n)
