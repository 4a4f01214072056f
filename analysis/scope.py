"""What a result is about: its unit, its population and its reference period.

Every result states them in its title and summary, because a share means nothing without them:

* **unit** — the returned *journey* (one row of the export; a person who left three times counts
  three times) or the returned *person*; both counts are always given;
* **population** — returned migrants whose return is recorded; journeys with no recorded return
  (the migrant is still abroad, or came back without telling the commune) are outside it, and how
  many there are is said;
* **reference period** — the departure months the data cover and the last recorded return.
  Months, not days: the first and last dates of a small selection could point at a person.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Scope", "describe_scope"]

UNITS = ("journey", "person")


def _month(value: object) -> str | None:
    if value is None or pd.isna(value):
        return None
    return str(value)[:7]


@dataclass(frozen=True)
class Scope:
    """Unit, population and period of a result (counts of the selection it was computed on)."""

    unit: str
    returned_journeys: int
    returned_persons: int | None
    abroad_journeys: int
    abroad_persons: int | None
    first_departure: str | None
    last_departure: str | None
    last_return: str | None

    @property
    def unit_label(self) -> str:
        return "returned journeys" if self.unit == "journey" else "returned migrants (persons)"

    @property
    def period(self) -> str:
        if not self.first_departure:
            return "period not in the data"
        text = f"departures {self.first_departure} to {self.last_departure}"
        return text + (f", returns recorded to {self.last_return}" if self.last_return else "")

    def title(self, what: str) -> str:
        """``what`` followed by the unit and the period, e.g. for a table or figure title."""
        return f"{what} — {self.unit_label}, {self.period}"

    def lines(self) -> list[str]:
        persons = "" if self.returned_persons is None else f" ({self.returned_persons} persons)"
        abroad_p = "" if self.abroad_persons is None else \
            f", {self.abroad_persons} persons with no recorded return at all"
        unit = ("the journey (a person who returned twice counts twice)" if self.unit == "journey"
                else "the person (outcome on any of their returned journeys)")
        return [
            f"unit: {unit}",
            f"population: returned migrants whose return is recorded — {self.returned_journeys} "
            f"journeys{persons}",
            f"excluded: {self.abroad_journeys} journeys with no recorded return (still abroad, "
            f"or the return was not registered){abroad_p}",
            f"reference period: {self.period}",
        ]


def describe_scope(df: pd.DataFrame, unit: str = "journey") -> Scope:
    """The `Scope` of an export (or a selection of it). Columns ``person_key``,
    ``departure_date`` and ``return_date`` are used when present."""
    returned = pd.to_numeric(df["returned"], errors="coerce").fillna(0).astype(int) == 1
    persons = df["person_key"] if "person_key" in df.columns else None
    dep = df["departure_date"].dropna().astype(str) if "departure_date" in df.columns else None
    ret = df["return_date"].dropna().astype(str) if "return_date" in df.columns else None
    returned_persons = abroad_persons = None
    if persons is not None:
        returned_persons = int(persons[returned].nunique())
        abroad_persons = int(persons.nunique() - returned_persons)
    return Scope(
        unit=unit,
        returned_journeys=int(returned.sum()),
        returned_persons=returned_persons,
        abroad_journeys=int((~returned).sum()),
        abroad_persons=abroad_persons,
        first_departure=_month(dep.min()) if dep is not None and len(dep) else None,
        last_departure=_month(dep.max()) if dep is not None and len(dep) else None,
        last_return=_month(ret.max()) if ret is not None and len(ret) else None,
    )
