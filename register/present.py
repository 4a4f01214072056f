"""Records as the clerk reads them (``register list``, ``show``, ``search``): each column and
field under its label, each value in words of the clerk's language - choices by their label,
yes/no, villages and countries by name, dates with local month names or digits - never field
names or 0/1. The data comes from :mod:`register.query`; the words from :mod:`register.entry`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .db import Register
from .entry import describe, village_name
from .i18n import digits, short_date, t, warning_text
from .model import MODEL, Field
from .vocabulary import ILO_INDICATORS, label_key

# The columns of each list: (column of the row, table whose field it is, or None for a
# column of its own with the label key list.col.<column>).
LIST_COLUMNS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "departures": (("id", None), ("name", "person_identity"), ("sex", "persons"),
                   ("home_village", "persons"), ("departure_date", "journeys"),
                   ("destination_country", "journeys"), ("channel", "journeys"),
                   ("returned", None)),
    "persons": (("id", None), ("person_name", None), ("sex", "persons"),
                ("birth_year", "persons"), ("home_village", "persons")),
    "returns": (("id", None), ("person_name", None), ("person_village", None),
                ("return_date", "returns"), ("return_mode", "returns"), ("indicators", None),
                ("exploitation_type", "returns")),
    "referrals": (("id", None), ("person_name", None), ("service", "referrals"),
                  ("organisation", "referrals"), ("referral_date", "referrals"),
                  ("status", "referrals")),
    "agencies": (("id", None), ("name", "agencies"), ("licence_number", "agencies"),
                 ("licence_status", "agencies"), ("licence_expiry", "agencies")),
    "brokers": (("id", None), ("name", "brokers"), ("alias", "brokers"), ("phone", "brokers"),
                ("village", "brokers"), ("active", "brokers")),
    "warnings": (("journey_id", None), ("name", "person_identity"),
                 ("home_village", "persons"), ("departure_date", "journeys"),
                 ("agency", None), ("broker", None), ("warning", None)),
}
# Columns every record has that the clerk does not need to read.
HIDDEN = {"source_register", "recorded_at", "person_id"}


def _spec(table: str, column: str) -> Field | None:
    try:
        return MODEL.table(table).field(column)
    except KeyError:
        return None


def cell(reg: Register, spec: Field | None, value: Any) -> str:
    """A value for a table cell: like :func:`register.entry.describe`, shorter (no
    commune after a village, dates in digits), and blank when there is none."""
    if value is None or value == "":
        return ""
    if spec is None:
        return str(value)
    if spec.kind == "village":
        return village_name(str(value))
    if spec.kind == "date":
        return short_date(str(value))
    if spec.kind == "id":
        return str(value)[:8]
    return describe(reg, spec, value)


def _own(reg: Register, column: str, row: Mapping[str, Any]) -> str:
    value = row.get(column)
    if column in ("id", "journey_id"):
        return str(value)[:8]
    if column == "returned":
        return t("entry.yes") if value else t("entry.no")
    if column == "person_village":
        return village_name(value) if value else ""
    if column == "indicators":
        answered = [row.get(name) for name in ILO_INDICATORS]
        if all(a is None for a in answered):
            return ""
        return t("list.of", n=digits(sum(1 for a in answered if a)), total=digits(len(answered)))
    return "" if value is None else str(value)


def list_table(reg: Register, kind: str, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The rows of ``register list KIND`` under labels in the clerk's language."""
    out = []
    for row in rows:
        shown = {}
        for column, table in LIST_COLUMNS[kind]:
            if table is None:
                shown[t(f"list.col.{column}")] = _own(reg, column, row)
            else:
                spec = _spec(table, column)
                shown[t(spec.label_key) if spec else column] = cell(reg, spec, row.get(column))
        out.append(shown)
    return out


def search_table(reg: Register, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The hits of ``register search``: what each is, its id, name, and a detail in words."""
    out = []
    for row in rows:
        what = row["what"]
        if what == "persons":
            detail = t(label_key("sex", row["detail"])) if row["detail"] else ""
            place = village_name(row["place"]) if row["place"] else ""
        elif what == "agencies":
            detail = t(label_key("licence_status", row["detail"])) if row["detail"] else ""
            place = row["place"] or ""
        else:
            detail, place = row["detail"] or "", village_name(row["place"]) if row["place"] else ""
        out.append({t("list.col.what"): t(f"table.{what}"), t("list.col.id"): row["id"][:8],
                    t("list.col.name"): row["name"] or "", t("list.col.detail"): detail,
                    t("list.col.place"): place})
    return out


def show_sections(reg: Register, parts: Mapping[str, list[dict[str, Any]]],
                  voided: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``register show``: each record under a heading, its fields as (label, value in words);
    a voided record says so, with the reason."""
    sections = []
    for table, rows in parts.items():
        for row in rows:
            if table == "warnings":
                words = warning_text(row["code"], row.get("detail") or "")
                sections.append((t("show.warning"), [("", words)]))
                continue
            key = MODEL.key_of(table)
            sections.append((heading(table, str(row[key])),
                             record_lines(reg, table, row, voided.get(row[key]))))
    return sections


def heading(table: str, record_id: str) -> str:
    """A record's heading: what it is and its short id."""
    return t("show.heading", what=t(f"table.{table}"), id=record_id[:8])


def record_lines(reg: Register, table: str, row: Mapping[str, Any],
                 voided: str | None = None) -> list[tuple[str, str]]:
    """One record's fields as (label, value in words), those with a value; first, if it was
    voided, that it was and why (``voided``: the reason)."""
    key = MODEL.key_of(table)
    lines: list[tuple[str, str]] = []
    if voided is not None:
        lines.append((t("show.voided"), voided))
    for column, value in row.items():
        if column in HIDDEN or column == key or value is None:
            continue
        spec = _spec(table, column)
        label = t(spec.label_key) if spec else column
        if spec is not None and spec.kind == "bool" and column.startswith("ind_"):
            label = t("show.indicator", label=label)
        lines.append((label, describe(reg, spec, value) if spec else str(value)))
    return lines
