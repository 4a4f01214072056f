"""What the form asks the register: which fields, in which order, checked and saved how, and
what the pickers and the review page show. Every call here is a call the command line makes.

* fields: :func:`register.model.fields_of`, skipping what the program fills itself
  (``PROMPT_SKIP``), as the prompts of ``register add-*`` do; a departure of a person already
  registered leaves out the person's fields (the tables they live in, from the model);
* a field's own rule: :func:`register.validation.clean_value`; links to other records:
  :func:`register.links.resolve`; the whole record against the register and the rule book:
  :func:`register.records.add_records` with ``dry_run=True``, then to save as ``add_one``
  does (checking everything again in its transaction), with the review page's key;
* pickers: :func:`register.query.search` (persons, agencies, brokers) and the gazetteer's
  :meth:`~register.gazetteer.Gazetteer.search` (villages of the register's commune first).

The shared helpers of the clerk's prompts (``register/entry.py``, issue 11) will provide the
same pickers, review summary and field order; this module is where they will be plugged in.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..db import Register
from ..errors import RegisterError
from ..i18n import language, t
from ..links import resolve
from ..model import MODEL, PROMPT_SKIP, Field, fields_of
from ..query import Found, search
from ..records import add_records, id_for_key
from ..validation import Problem, clean_value, is_uuid
from ..vocabulary import label_key

PERSON_TABLES = ("persons", "person_identity")
PICKABLE = ("persons", "journeys", "agencies", "brokers")
LIMIT = 30
Answers = dict[str, Any]  # field name -> what the clerk gave (text, or a list of codes)


# -- which fields --------------------------------------------------------------------------
def entry_fields(kind: str, *, known_person: bool = False) -> tuple[Field, ...]:
    """The fields a clerk fills for a record of ``kind``, in the prompts' order: not the ids
    and dates the program sets itself, but every link to another record (a referral's journey
    too, which the prompts skip)."""
    own = {s.name for s in MODEL.kind(kind).ids} if kind in MODEL.kind_names else set()
    specs = [s for s in fields_of(kind) if s.required or s.name not in PROMPT_SKIP
             or (s.refers and s.name not in own)]
    if known_person:
        specs = [s for s in specs if MODEL.table_of(kind, s.name) not in PERSON_TABLES]
    return tuple(specs)


def correctable_fields(found: Found) -> tuple[Field, ...]:
    """The fields a correction of this record may change (a departure shows its person's)."""
    kind = MODEL.kind_of_table(found.table)
    tables = {found.table, *(PERSON_TABLES if found.table in ("journeys", "persons") else ())}
    return tuple(s for s in entry_fields(kind) if MODEL.table_of(kind, s.name) in tables)


# -- checking and saving -------------------------------------------------------------------
def check(reg: Register, kind: str, answers: Answers) -> list[Problem]:
    """Every problem the register finds with this record (nothing is written)."""
    return add_records(reg, kind, [answers], dry_run=True).problems


def entry_key() -> str:
    """A new key for one form on its review page (see :func:`save`)."""
    return "web:" + secrets.token_hex(16)


def save(reg: Register, kind: str, answers: Answers, key: str) -> tuple[str, bool]:
    """Write the record and its audit entry, as ``add_one`` does (raises ValidationError if it
    has become invalid); return its id and whether it was written now.

    ``key`` is the review page's: the record's id is made from it, so the same review saved
    twice (a double click, the browser's Back button) is one record, not two.
    """
    report = add_records(reg, kind, [answers], keys=[key])
    return (report.ids[0], True) if report.ids else (id_for_key(reg, kind, key), False)


@dataclass
class Sorted:
    """Problems by the field they are about, and those about the whole record."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def sort_problems(problems: list[Problem], shown: set[str]) -> Sorted:
    out = Sorted()
    for problem in problems:
        if problem.field in shown:
            out.by_field.setdefault(problem.field, []).append(problem.message())
        elif problem.field:
            out.general.append(t("web.problem_in", field=field_label(problem.field),
                                 rule=problem.message()))
        else:
            out.general.append(problem.message())
    return out


def field_label(name: str) -> str:
    key = f"field.{name}"
    label = t(key)
    return name if label == key else label


# -- showing values ------------------------------------------------------------------------
class _Source:
    """The register as :func:`register.links.resolve` reads it (no records pending)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}


def summary(reg: Register, specs: tuple[Field, ...], answers: Answers) -> list[tuple[str, str]]:
    """The review page: each field's label and the answer in plain words ('' = not answered)."""
    today = dt.date.today()
    lines = []
    for spec in specs:
        value, problem = clean_value(spec, answers.get(spec.name), today)
        if problem is None and value is not None and spec.refers:
            value, problem = resolve(_Source(reg.conn), spec, value)
        shown = str(answers.get(spec.name)) if problem else show(reg, spec, value)
        lines.append((field_label(spec.name), shown))
    return lines


def show(reg: Register | None, spec: Field, value: Any) -> str:
    """A stored value in plain words: labels for codes, names for places and linked records."""
    if value is None or value == "":
        return ""
    if spec.codes and spec.kind in ("choice", "country"):
        return t(label_key(spec.codes, value))
    if spec.kind == "countries":
        codes = json.loads(value) if isinstance(value, str) else list(value)
        return ", ".join(t(label_key(spec.codes or "destination", c)) for c in codes)
    if spec.kind == "bool":
        return t("web.yes") if int(value) else t("web.no")
    if spec.kind == "village":
        return place_label(str(value))
    if spec.kind == "date":
        from ..report_text import short_date

        return short_date(str(value))
    if spec.kind == "id" and spec.refers and reg is not None:
        return describe(reg, spec.refers, str(value))
    if spec.kind == "money":
        return f"{float(value):,.2f}".removesuffix(".00")
    return str(value)


def spec_named(name: str) -> Field | None:
    """The declaration of a stored column, by name (the first table that has it)."""
    for _, spec in MODEL.fields():
        if spec.name == name:
            return spec
    return None


# -- places --------------------------------------------------------------------------------
def place_label(code: str) -> str:
    """'Ou Thum - Banteay Neang, Mongkol Borei' (the village, its commune and district)."""
    from ..gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    if code not in gazetteer:
        return code
    names = [p.name_km if language() == "km" else p.name_en for p in gazetteer.lineage(code)]
    return f"{names[-1]} \u2014 {', '.join(reversed(names[1:-1]))}" if len(names) > 2 else names[-1]


def villages(query: str, commune: str | None) -> list[tuple[str, str]]:
    """Villages matching ``query`` (all the commune's villages when it is empty), the
    register's commune first."""
    from ..gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    home = [p.code for p in gazetteer.children(commune)] if commune and commune in gazetteer \
        else []
    if not query.strip():
        found = home
    else:
        hits = [p.code for p in gazetteer.search(query, level="village", limit=200)]
        found = [c for c in hits if c in home] + [c for c in hits if c not in home]
    return [(code, place_label(code)) for code in found[:max(LIMIT, len(home))]]


# -- records ------------------------------------------------------------------------------
def _one(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    cur = conn.execute(sql, params)
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def describe(reg: Register, table: str, record_id: str) -> str:
    """A record as a clerk knows it: a person's name and village, a journey's person, date
    and destination, an agency's name and licence, a broker's name and alias."""
    conn = reg.conn
    if table == "person_identity":  # a person's identity is shown as the person
        table = "persons"
    if table == "persons":
        row = _one(conn, "SELECT i.name, p.home_village, p.sex FROM persons p LEFT JOIN "
                         "person_identity i ON i.person_id = p.id WHERE p.id = ?", (record_id,))
        if row is None:
            return record_id
        return " \u00b7 ".join(x for x in (row["name"] or t("web.no_name"),
                                           place_label(row["home_village"]),
                                           t(label_key("sex", row["sex"]))) if x)
    if table == "journeys":
        row = _one(conn, "SELECT j.person_id, j.departure_date, j.destination_country, "
                         "r.return_date FROM journeys j LEFT JOIN returns r ON r.journey_id = j.id "
                         "WHERE j.id = ?", (record_id,))
        if row is None:
            return record_id
        from ..report_text import short_date

        text = t("web.journey_label", person=describe(reg, "persons", row["person_id"]),
                 date=short_date(row["departure_date"]),
                 country=t(label_key("destination", row["destination_country"])))
        if row["return_date"]:
            text += " " + t("web.journey_returned", date=short_date(row["return_date"]))
        return text
    if table in ("agencies", "brokers"):
        other = "licence_number" if table == "agencies" else "alias"
        row = _one(conn, f"SELECT name, {other} AS other FROM {table} WHERE id = ?", (record_id,))
        if row is None:
            return record_id
        return f"{row['name']} ({row['other']})" if row["other"] else str(row["name"])
    if table == "returns":
        row = _one(conn, "SELECT journey_id FROM returns WHERE id = ?", (record_id,))
        return t("web.return_label", journey=describe(reg, "journeys", row["journey_id"])) \
            if row else record_id
    if table == "referrals":
        row = _one(conn, "SELECT person_id, service FROM referrals WHERE id = ?", (record_id,))
        return t("web.referral_label", service=t(label_key("service", row["service"])),
                 person=describe(reg, "persons", row["person_id"])) if row else record_id
    return record_id


def pick(reg: Register, table: str, query: str) -> list[tuple[str, str]]:
    """Records of ``table`` a clerk may mean by ``query`` (a name, ID number, phone or
    licence; for journeys, the person's): (id, description) pairs."""
    if table not in PICKABLE or not query.strip():
        return []
    what = {"persons": "person", "journeys": "person", "agencies": "agency", "brokers": "broker"}
    try:
        hits = [h["id"] for h in search(reg, query, limit=200) if h["what"] == what[table]]
    except RegisterError:  # a query of nothing but spaces or unreadable text finds nothing
        return []
    if table == "journeys":
        marks = ", ".join("?" * len(hits))
        hits = [r[0] for r in reg.conn.execute(
            f"SELECT id FROM journeys WHERE person_id IN ({marks}) "
            f"ORDER BY departure_date DESC", hits)] if hits else []
    if is_uuid(query.strip().lower()):
        hits = [query.strip().lower()]
    return [(record_id, describe(reg, table, record_id)) for record_id in hits[:LIMIT]]


def current_values(reg: Register, found: Found) -> dict[str, Any]:
    """The stored values of a record, with its person's for a departure."""
    values = dict(found.record)
    person_id = found.id if found.table == "persons" else (
        found.record.get("person_id") if found.table == "journeys" else None)
    if person_id:
        for table, key in (("persons", "id"), ("person_identity", "person_id")):
            row = _one(reg.conn, f"SELECT * FROM {table} WHERE {key} = ?", (person_id,))
            values.update({k: v for k, v in (row or {}).items() if k not in ("id", "person_id")})
    return values


def as_answer(spec: Field, value: Any) -> Any:
    """A stored value as the form holds it (what :func:`changes` compares against)."""
    if value is None:
        return [] if spec.kind == "countries" else ""
    if spec.kind == "countries":
        return sorted(json.loads(value)) if isinstance(value, str) else sorted(value)
    if spec.kind == "money" and float(value) == int(value):
        return str(int(value))
    return str(value)


def changes(specs: tuple[Field, ...], answers: Answers,
            before: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that differ from what the form showed (only these are corrected)."""
    out = {}
    for spec in specs:
        given, shown = answers.get(spec.name, ""), as_answer(spec, before.get(spec.name))
        if (sorted(given) if isinstance(given, list) else given) != shown:
            out[spec.name] = given
    return out
