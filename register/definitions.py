"""Derived outcomes, computed the same way everywhere (export, analysis, synthetic truth).

Three-valued logic: 1 (yes), 0 (no), None (cannot tell because indicators were not asked).

* **Forced labour** (ICLS 2018 statistical definition): work that is *involuntary* AND imposed
  under *menace of a penalty* — at least one involuntariness indicator and at least one coercion
  indicator among the eleven ILO indicators (see ``register.fields.ILO_INDICATORS``).
* **Trafficking** (Palermo Protocol, art. 3: act + means + purpose): the act is the recruitment and
  transport the journey itself records; the means are deception or abuse of vulnerability; the
  purpose is exploitation — forced labour, sexual exploitation or forced marriage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .fields import COERCION, ILO_INDICATORS, INVOLUNTARINESS

Tri = int | None


def any_of(values: Iterable[Any]) -> Tri:
    """Three-valued OR: 1 if any is 1; 0 if all are 0; else None."""
    seen_unknown = False
    for value in values:
        if value == 1:
            return 1
        if value != 0:
            seen_unknown = True
    return None if seen_unknown else 0


def all_of(*values: Tri) -> Tri:
    """Three-valued AND: 0 if any is 0; 1 if all are 1; else None."""
    if any(v == 0 for v in values):
        return 0
    if all(v == 1 for v in values):
        return 1
    return None


def dimension(row: Mapping[str, Any], which: str) -> Tri:
    return any_of(row.get(name) for name, dim in ILO_INDICATORS.items() if dim == which)


def forced_labour(row: Mapping[str, Any]) -> Tri:
    """ICLS 2018: involuntary work AND menace of penalty."""
    return all_of(dimension(row, INVOLUNTARINESS), dimension(row, COERCION))


def trafficking(row: Mapping[str, Any]) -> Tri:
    """Exploitation (forced labour, sexual, forced marriage) AND means (deception or abuse of
    vulnerability)."""
    kind = row.get("exploitation_type")
    other = 1 if kind in ("sexual", "forced_marriage") else (0 if kind is not None else None)
    exploited = any_of([forced_labour(row), other])
    means = any_of([row.get("ind_deception"), row.get("ind_abuse_of_vulnerability")])
    return all_of(exploited, means)


def agency_status_at(status: str | None, expiry: str | None, departure: str) -> str:
    """The licence status of an agency on the day of a departure.

    ``licence_expiry`` is the last day the licence was valid (its expiry, suspension or
    revocation date). Before or on it, a once-licensed agency was licensed; after it, the
    agency's current status applies (``expired`` for a licence left to lapse). Unlicensed and
    unknown agencies stay so.
    """
    status = status or "unknown"
    if status in ("unlicensed", "unknown") or not expiry:
        return status
    if departure <= expiry:
        return "licensed"
    return "expired" if status == "licensed" else status
