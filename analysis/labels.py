"""Words for readers: area names in English and Khmer, the selection a run covers, per cents.

Names come from the register's gazetteer (``register.gazetteer``), the one source of names for
registers, maps and reports. Khmer province names are the Ministry of Economy and Finance's
(see the README's attribution).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["AREA_COLUMNS", "area_name", "percent", "percent_interval", "period_label",
           "selection_label"]

#: Columns of the researcher export that hold area codes, and what the areas are called.
AREA_COLUMNS = {"province_code": "province", "district_code": "district",
                "commune_code": "commune", "register_commune": "commune"}


@lru_cache(maxsize=1)
def _gazetteer():  # type: ignore[no-untyped-def]
    from register.gazetteer import load_gazetteer

    return load_gazetteer()


def area_name(code: object, *, khmer: bool = True) -> str:
    """``'Banteay Meanchey / បន្ទាយមានជ័យ (01)'`` for a province, district or commune code; the
    code itself when the gazetteer does not know it."""
    text = str(code).strip()
    try:
        place = _gazetteer().get(text)
    except Exception:  # noqa: BLE001 - an unknown code is shown as it is
        return text
    names = place.name_en + (f" / {place.name_km}" if khmer and place.name_km else "")
    return f"{names} ({text})"


def period_label(period: Sequence[int] | None) -> str:
    """``'departures 2019-2020'`` for a period of departure years (``''`` for none)."""
    if not period:
        return ""
    first, last = (int(v) for v in period)
    return f"departures {first}" if first == last else f"departures {first}-{last}"


def selection_label(province: str | None, period: Sequence[int] | None) -> str:
    """What a run covers, for titles: ``'Cambodia, all provinces'`` or the province's names,
    with the selected departure years."""
    where = f"province of {area_name(province)}" if province else "Cambodia, all provinces"
    when = period_label(period)
    return f"{where}; {when}" if when else where


def percent(value: object, digits: int = 1) -> str:
    """``0.2174`` -> ``'21.7%'``; a missing value -> ``''``."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if math.isnan(number):
        return ""
    return f"{100 * number:.{digits}f}%"


def percent_interval(estimate: object, lower: object, upper: object, digits: int = 1) -> str:
    """``'21.7% (20.0-23.8%)'``; the interval alone when there is no point estimate (bounds)."""
    low, high = percent(lower, digits), percent(upper, digits)
    point = percent(estimate, digits)
    if not low or not high:
        return point
    span = f"{low[:-1]}\u2013{high}"
    return f"{point} ({span})" if point else span
