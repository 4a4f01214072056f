"""Statistics for the commune migration register, on the researcher export only.

Public functions (imported lazily, so ``python -m analysis.mse`` starts without pandas):

* prevalence: :func:`estimate_prevalence`, :func:`small_area_prevalence`
* risk factors: :func:`fit_risk_model`
* hotspots and maps: :func:`find_hotspots`, :func:`choropleth`, :func:`prevalence_map`,
  :func:`hotspot_map`
* publication: :func:`suppress_table`, :func:`publishable_frame`
* multiple systems estimation: :mod:`analysis.mse`
* data: :func:`load_export`, :func:`load_boundaries`, :func:`load_population`
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "estimate_prevalence": "prevalence", "small_area_prevalence": "smallarea",
    "fit_risk_model": "risk", "find_hotspots": "hotspots", "choropleth": "maps",
    "prevalence_map": "maps", "hotspot_map": "maps", "suppress_table": "suppress",
    "publishable_frame": "publish", "load_export": "data", "load_boundaries": "geo",
    "load_population": "geo", "attribution": "geo", "run_notebooks": "notebooks",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
