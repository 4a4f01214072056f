"""The monthly report's words, numbers and dates in the clerk's language.

Every word comes from the catalogue (:func:`register.i18n.t`) in the current language. In Khmer,
dates use Khmer month names and, like counts, Khmer digits (ថ្ងៃទី៣១ ខែតុលា ឆ្នាំ២០២៦); places
are named from the gazetteer, in Khmer or in Latin letters.
"""

from __future__ import annotations

import datetime as dt
import re

from .i18n import digits, language, long_date, month_name, short_date, t  # noqa: F401  (re-exported)
from .report import MONTH, MonthlyReport, Overdue, Table
from .vocabulary import CODE_LISTS, label_key

DASH = "\u2014"  # a count left blank in the public version
# The notes under the report's tables, and the columns of the follow-up list.
NOTES = ("report.note_departures", "report.note_indicators", "report.note_referrals",
         "report.note_warnings", "report.note_followup")
FOLLOWUP_COLUMNS = ("name", "village", "phone", "departure_date", "destination", "months_away",
                    "planned")
# A Khmer base character (consonant or independent vowel) that does not follow a subscript
# sign (coeng): where a line may break inside a run of Khmer without splitting a cluster.
_CLUSTER_START = re.compile("(?<=[\u1780-\u17dd])(?<!\u17d2)(?=[\u1780-\u17b3])")


def breakable(text: str) -> str:
    """Khmer text with a zero-width space before each cluster, so that a narrow table cell
    wraps between clusters (Khmer writes no spaces between words) instead of splitting one."""
    return _CLUSTER_START.sub("\u200b", text)


def number(value: int | None) -> str:
    return DASH if value is None else digits(value)


def period_label(report: MonthlyReport, period: str) -> str:
    first = dt.date.fromisoformat(report.start)
    key = "report.month_year" if period == MONTH else "report.year_to"
    return t(key, month=month_name(first.month), year=digits(first.year))


class Labels:
    """Names of codes in the report's language (villages from the gazetteer)."""

    def __init__(self) -> None:
        from .gazetteer import load_gazetteer

        self.gazetteer = load_gazetteer()

    def place(self, code: str) -> str:
        if code not in self.gazetteer:
            return code
        found = self.gazetteer.get(code)
        return found.name_km if language() == "km" else found.name_en

    def commune(self, code: str | None) -> str:
        if not code or code not in self.gazetteer:
            return t("report.place_other", scope=code or "")
        province, district, commune = (self.place(p.code) for p in self.gazetteer.lineage(code))
        return t("report.place_commune", commune=commune, district=district, province=province)

    def key(self, dim: str, code: str | None) -> str:
        if code is None:
            return t("report.value.unknown_name") if dim == "name" else t("report.value.none")
        if dim == "village":
            return self.place(code)
        if dim == "country":
            return t(label_key("destination", code))
        if dim == "age_band":
            return digits(code.replace("-", "\u2013"))
        if dim == "name":
            return code
        if dim in CODE_LISTS:
            return t(label_key(dim, code))
        return t(f"report.value.{dim}.{code}")




def row_labels(report: MonthlyReport, table: Table, keys: tuple[str | None, ...],
               labels: Labels) -> list[str]:
    """The words of a table row's keys (a warnings row: who, named unless public, and what)."""
    if table.name != "warnings":
        return [labels.key(dim, key) for dim, key in zip(table.dims, keys, strict=True)]
    party, name, warning = keys
    who = labels.key("party", party)
    if not report.public:  # the public version has no names
        who = f"{who}: {labels.key('name', name)}"
    return [who, labels.key("warning", warning)]


def followup_cells(person: Overdue, labels: Labels) -> tuple[str, ...]:
    """A person of the follow-up list in words, one per column of ``FOLLOWUP_COLUMNS``."""
    return (person.name or t("report.value.unknown_name"), labels.place(person.village),
            person.phone or "", short_date(person.departure_date),
            labels.key("country", person.destination_country), digits(person.months_away),
            digits(person.expected_months))
