"""Statistics for the commune migration register, on the researcher export only.

Public functions (imported lazily, so ``python -m analysis.mse`` starts without pandas):

* notebooks: :func:`notebook_setup` (the set-up every notebook shares), :func:`run_notebooks`
* data: :func:`load_export`, :func:`load_selection`, :func:`load_boundaries`,
  :func:`load_population`
* data quality: :func:`completeness`, :func:`indicator_completeness`, :func:`counts_by_year`
* missing indicators: :func:`impute_outcomes` (make once, pass ``imputations=`` to every call)
* prevalence: :func:`estimate_prevalence`, :func:`small_area_prevalence`,
  :func:`rates_per_resident`
* risk factors: :func:`fit_risk_model`, :func:`odds_ratio_plot`
* hotspots and maps: :func:`find_hotspots`, :func:`choropleth`, :func:`prevalence_map`,
  :func:`area_map`, :func:`hotspot_map`
* trends: :func:`follow_up` (right-censoring of recent departures), :func:`plot_trend`,
  :func:`departures_by_year` (:func:`departures_cells`: what its cells count)
* publication: :func:`suppress_table`, :func:`publishable_frame`, :func:`save_table`,
  :func:`save_figure`; the report: :func:`write_report`
* multiple systems estimation: :mod:`analysis.mse`; :func:`mse_headline`,
  :func:`mse_linkage_caveat`
* errors: every error raised on purpose derives from :class:`AnalysisError`
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "estimate_prevalence": "prevalence", "small_area_prevalence": "smallarea",
    "fit_risk_model": "risk", "find_hotspots": "hotspots", "choropleth": "maps",
    "prevalence_map": "maps", "hotspot_map": "maps", "area_map": "maps", "area_boundaries": "maps",
    "suppress_table": "suppress", "publishable_frame": "publish", "save_table": "publish",
    "save_figure": "publish", "load_export": "data", "load_selection": "data",
    "load_boundaries": "geo", "load_population": "geo", "attribution": "geo",
    "run_notebooks": "notebooks", "notebook_setup": "session", "select_records": "session",
    "impute_outcomes": "imputation", "follow_up": "trends", "plot_trend": "trends",
    "completeness": "quality", "indicator_completeness": "quality",
    "counts_by_year": "quality", "rates_per_resident": "tables",
    "departures_by_year": "tables", "departures_cells": "tables", "missing_shares": "tables",
    "odds_ratio_table": "tables",
    "largest": "tables", "odds_ratio_plot": "plots", "percent_axis": "plots",
    "prevalence_finding": "caveats", "ci_label": "results",
    "mse_headline": "caveats", "mse_linkage_caveat": "caveats",
    "planted_victims": "caveats", "write_report": "report",
    "AnalysisError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
