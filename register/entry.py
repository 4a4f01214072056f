"""The clerk's form without its screen: what a record asks, picks, checks and reads back.

The command line's prompts (:mod:`register.cli.entry`) and the browser form (``register.web``)
call the same functions, so a record entered either way is asked, checked and saved alike:

* :func:`questions` - the questions of a record kind, in order (the person's own questions
  are left out for a departure of someone already registered); :func:`needed` - whether a
  question still applies (no birth year once the birth date is known);
* :func:`choices` - a code list's choices, labelled in the clerk's language;
* :func:`find` - what the clerk may pick by typing part of a name: villages (the commune's
  first), countries, agencies, brokers, persons, departures (a person's, for a referral; those
  without a return, for a return);
* :func:`check` - one answer checked the moment it is given: its field's rule and, for a link,
  that the record exists (and is the right one); with a note to show (a village of another
  province);
* :func:`summary` and :func:`describe` - the record in plain words, for the clerk to read before
  saving;
* :func:`save` - :func:`register.records.add_one` (the one path of every record), and
  :func:`to_ask_again` - the questions a refused record must ask again.

Answers are kept by field name, as stored (codes, full ids, ISO dates, 1/0); a question that is
a group (the ILO indicators, the travel documents) answers each of its fields.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .db import Register
from .i18n import digits, language, long_date, t
from .links import resolve
from .model import MODEL, Field, fields_of
from .query import not_voided
from .records import WriteReport, add_one
from .validation import Problem, clean_value, country_code, normalise_text
from .vocabulary import ILO_INDICATORS, label_key

# Questions that ask several yes/no fields at once (the clerk names those that apply).
GROUPS: dict[str, tuple[str, ...]] = {
    "documents": ("has_passport", "has_visa", "has_work_permit", "has_border_pass"),
    "indicators": tuple(ILO_INDICATORS),
}
# Fields never asked: the record's own id and the date of recording (set by the program); a
# departure's person is chosen before the questions, its journey id is made.
_NOT_ASKED = {"id", "recorded_date"}
_NOT_ASKED_BY_KIND = {"departures": {"person_id", "journey_id"}}
PERSON_TABLES = ("person_identity", "persons")
LIMIT = 9  # a short list: one key picks from it


@dataclass(frozen=True, slots=True)
class Question:
    """One question of the form: a field, or a group of yes/no fields asked together."""

    name: str
    fields: tuple[Field, ...]

    @property
    def field(self) -> Field:
        return self.fields[0]

    @property
    def group(self) -> bool:
        return self.name in GROUPS

    @property
    def required(self) -> bool:
        return any(f.required for f in self.fields)

    @property
    def label(self) -> str:
        return t(f"entry.group.{self.name}") if self.group else t(self.field.label_key)


@dataclass(frozen=True, slots=True)
class Option:
    """Something to pick: ``value`` is stored (a code, a record id), ``label`` and ``detail``
    are shown in the clerk's language."""

    value: str
    label: str
    detail: str = ""
    exact: bool = False  # the text typed is this one's whole name (or code)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer checked: its stored ``value``, or the ``problem`` (ask again); and a ``note``
    to show the clerk even though the answer is accepted."""

    value: Any = None
    problem: Problem | None = None
    note: str | None = None


def questions(kind: str, *, known_person: bool = False) -> list[Question]:
    """The questions of a record of ``kind`` in the order they are asked."""
    skip = _NOT_ASKED | _NOT_ASKED_BY_KIND.get(kind, set())
    if known_person:
        skip |= {f.name for table in PERSON_TABLES for f in MODEL.table(table).fields}
    grouped = {name: group for group, names in GROUPS.items() for name in names}
    out: list[Question] = []
    seen: set[str] = set()
    specs = {s.name: s for s in fields_of(kind)}
    for spec in fields_of(kind):
        if spec.name in skip:
            continue
        group = grouped.get(spec.name)
        if group is None:
            out.append(Question(spec.name, (spec,)))
        elif group not in seen:
            seen.add(group)
            out.append(Question(group, tuple(specs[n] for n in GROUPS[group] if n in specs)))
    return out


def needed(question: Question, answers: Mapping[str, Any]) -> bool:
    """Does this question still apply? (The birth year follows from a birth date.)"""
    return not (question.name == "birth_year" and answers.get("birth_date"))


def choices(spec: Field) -> list[Option]:
    """The choices of a code-list field, labelled in the clerk's language."""
    return [Option(code, t(label_key(spec.codes or "", code))) for code in spec.choices]


# -- picking by name -------------------------------------------------------------------------

def find(reg: Register, kind: str, spec: Field, text: str,
         answers: Mapping[str, Any] | None = None, *, limit: int = LIMIT) -> list[Option]:
    """What the clerk may mean by ``text`` for the field ``spec`` of a record of ``kind``:
    a short list, best first. Empty text lists the commune's villages for a village, and the
    person's departures for a referral's departure."""
    answers = answers or {}
    text = (normalise_text(text) or "").strip()
    if spec.kind == "village":
        return _villages(reg, text, limit)
    if spec.kind in ("country", "countries"):
        return _countries(spec, text, limit)
    table = spec.refers
    if table == "journeys":
        if kind == "referrals":
            return journeys_of(reg, answers.get("person_id"), text=text, limit=limit)
        return _journeys(reg, text, open_only=kind == "returns", limit=limit)
    if not text or table not in _FINDERS:
        return []
    return _FINDERS[table](reg, text, limit)


def _like(text: str) -> str:
    bare = "".join(ch for ch in text if ch not in " .-")
    return f"%{(bare if bare.isdigit() else text).lower()}%"


def _villages(reg: Register, text: str, limit: int) -> list[Option]:
    from .gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    commune = reg.commune_code or ""
    if not text:
        places = gazetteer.children(commune) if commune in gazetteer else []
    else:
        found = gazetteer.search(text, level="village", limit=200)
        # the register's commune first, then its district, its province, the rest
        places = sorted(found, key=lambda p: -_shared(p.code, commune))
    wanted = _fold(text)
    exact = {p.code for p in places if wanted in (_fold(p.name_en), _fold(p.name_km), p.code)}
    home = {code for code in exact if code[:6] == commune}
    exact = home or exact  # a name of the commune's own village is that village
    return [Option(p.code, village_name(p.code),
                   "" if p.code[:6] == commune else _village_detail(p.code), p.code in exact)
            for p in places[:limit if text else None]]


def _fold(text: str | None) -> str:
    from .gazetteer import fold

    return fold(text) if text else ""


def _shared(code: str, commune: str) -> int:
    return next((n for n in (6, 4, 2) if commune and code[:n] == commune[:n]), 0)


def village_name(code: str) -> str:
    from .gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    if code not in gazetteer:
        return code
    place = gazetteer.get(code)
    return place.name_km if language() == "km" else place.name_en


def _village_detail(code: str) -> str:
    from .gazetteer import load_gazetteer

    lineage = load_gazetteer().lineage(code)[:-1]
    return ", ".join(village_name(p.code) for p in reversed(lineage))


def _countries(spec: Field, text: str, limit: int) -> list[Option]:
    exact = country_code(spec, text) if text else None
    wanted = text.casefold()
    found = [c for c in spec.choices
             if c == exact or (wanted and (wanted in t(label_key(spec.codes or "", c)).casefold()
                                           or wanted in _english_country(spec, c).casefold()))]
    found.sort(key=lambda c: c != exact)
    return [Option(c, t(label_key(spec.codes or "", c)), exact=c == exact) for c in found[:limit]]


def _english_country(spec: Field, code: str) -> str:
    from .i18n import t_in

    return t_in("en", label_key(spec.codes or "", code))


def _agencies(reg: Register, text: str, limit: int) -> list[Option]:
    rows = reg.conn.execute(f"""
        SELECT id, name, licence_number, licence_status FROM agencies a
        WHERE (lower(name) LIKE :q OR lower(licence_number) LIKE :q OR id LIKE :id)
          AND {not_voided('agencies', 'a')} ORDER BY name LIMIT :n""",
                            {"q": _like(text), "id": text.lower() + "%", "n": limit})
    wanted = _fold(text)
    return [Option(i, name, _agency_detail(number, status),
                   wanted in (_fold(name), _fold(number), i))
            for i, name, number, status in rows]


def _agency_detail(number: str | None, status: str) -> str:
    status_label = t(label_key("licence_status", status))
    return f"{number}, {status_label}" if number else status_label


def _brokers(reg: Register, text: str, limit: int) -> list[Option]:
    rows = reg.conn.execute(f"""
        SELECT id, name, alias, village FROM brokers b
        WHERE (lower(name) LIKE :q OR lower(alias) LIKE :q OR phone LIKE :q OR id LIKE :id)
          AND {not_voided('brokers', 'b')} ORDER BY name LIMIT :n""",
                            {"q": _like(text), "id": text.lower() + "%", "n": limit})
    wanted = _fold(text)
    return [Option(i, name, ", ".join(x for x in (alias, village and village_name(village)) if x),
                   wanted in (_fold(name), _fold(alias), i))
            for i, name, alias, village in rows]


def _persons(reg: Register, text: str, limit: int) -> list[Option]:
    rows = reg.conn.execute(f"""
        SELECT p.id, i.name, p.sex, p.birth_year, p.home_village FROM persons p
        LEFT JOIN person_identity i ON i.person_id = p.id
        WHERE (lower(i.name) LIKE :q OR lower(i.national_id) LIKE :q OR i.phone LIKE :q
               OR p.id LIKE :id) AND {not_voided('persons', 'p')}
        ORDER BY i.name LIMIT :n""", {"q": _like(text), "id": text.lower() + "%", "n": limit})
    wanted = _fold(text)
    return [Option(i, name or i[:8], _person_detail(sex, year, village),
                   wanted in (_fold(name), i))
            for i, name, sex, year, village in rows]


def _person_detail(sex: str | None, year: int | None, village: str | None) -> str:
    parts = [t(label_key("sex", sex)) if sex else "",
             t("entry.born", year=digits(year)) if year else "",
             village_name(village) if village else ""]
    return ", ".join(p for p in parts if p)


_FINDERS = {"agencies": _agencies, "brokers": _brokers, "persons": _persons}
_JOURNEY_SQL = """
    SELECT j.id, i.name, j.departure_date, j.destination_country FROM journeys j
    JOIN persons p ON p.id = j.person_id LEFT JOIN person_identity i ON i.person_id = p.id
    WHERE {where} AND {live} ORDER BY j.departure_date DESC LIMIT ?"""


def _journey_options(reg: Register, where: str, params: Iterable[Any], limit: int) -> list[Option]:
    sql = _JOURNEY_SQL.format(where=where, live=not_voided("journeys", "j"))
    return [Option(i, name or i[:8], journey_words(date, country))
            for i, name, date, country in reg.conn.execute(sql, (*params, limit))]


def journey_words(departure_date: str, country: str) -> str:
    return t("entry.journey", date=long_date(departure_date),
             country=t(label_key("destination", country)))


def journeys_of(reg: Register, person_id: str | None, *, text: str = "",
                limit: int = LIMIT) -> list[Option]:
    """A person's departures, the latest first."""
    if not person_id:
        return []
    where = "j.person_id = ?" + (" AND j.id LIKE ?" if text else "")
    params = [person_id] + ([text.lower() + "%"] if text else [])
    return _journey_options(reg, where, params, limit)


def _journeys(reg: Register, text: str, *, open_only: bool, limit: int) -> list[Option]:
    """Departures of the persons ``text`` names (or whose id starts with it); with
    ``open_only``, those without a return yet."""
    if not text:
        return []
    where = ("(lower(i.name) LIKE ? OR i.national_id LIKE ? OR i.phone LIKE ? OR j.id LIKE ?)"
             " AND " + not_voided("persons", "p"))
    if open_only:
        where += " AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.journey_id = j.id)"
    like = _like(text)
    return _journey_options(reg, where, (like, like, like, text.lower() + "%"), limit)


# -- checking one answer ---------------------------------------------------------------------

class _Source:
    def __init__(self, reg: Register) -> None:
        self.conn = reg.conn
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}


def check(reg: Register, kind: str, spec: Field, raw: Any,
          answers: Mapping[str, Any] | None = None, *, today: dt.date | None = None) -> Answer:
    """Check one answer now: the field's own rule, and for a link that the record it names
    exists, is not voided and fits (a departure without a return yet, the referred person's
    own departure). A problem names the value as typed."""
    answers = answers or {}
    value, problem = clean_value(spec, raw, today or dt.date.today())
    if problem is not None:
        return Answer(problem=problem)
    if value is None:
        return Answer(problem=Problem(spec.name, raw, "rule.required")) if spec.required else Answer()
    if spec.refers:
        found, problem = resolve(_Source(reg), spec, str(value))
        if problem is not None:
            return Answer(problem=Problem(spec.name, raw, problem.rule, details=problem.details))
        value = found
        problem = _link_problem(reg, kind, spec, str(value), answers)
        if problem is not None:
            return Answer(problem=Problem(spec.name, raw, problem))
    note = village_note(reg, value) if spec.kind == "village" else None
    return Answer(value, None, note)


def _link_problem(reg: Register, kind: str, spec: Field, record_id: str,
                  answers: Mapping[str, Any]) -> str | None:
    conn = reg.conn
    if conn.execute("SELECT 1 FROM voided WHERE table_name = ? AND record_id = ?",
                    (spec.refers, record_id)).fetchone():
        return "rule.voided_link"
    if kind == "returns" and spec.name == "journey_id" and conn.execute(
            "SELECT 1 FROM returns WHERE journey_id = ?", (record_id,)).fetchone():
        return "rule.unique.returns"
    if kind == "referrals" and spec.name == "journey_id" and answers.get("person_id"):
        owner = conn.execute("SELECT person_id FROM journeys WHERE id = ?", (record_id,)).fetchone()
        if owner and owner[0] != answers["person_id"]:
            return "rule.journey_of_other"
    return None


def village_note(reg: Register, code: str) -> str | None:
    """A note when a village lies in another province than the register's commune."""
    commune = reg.commune_code or ""
    if not commune or code[:2] == commune[:2]:
        return None
    return t("entry.other_province", village=village_name(code), place=_village_detail(code))


# -- reading the record back -----------------------------------------------------------------

def describe(reg: Register, spec: Field, value: Any) -> str:
    """A stored value in plain words in the clerk's language."""
    if value is None or value == "":
        return t("entry.not_given")
    kind = spec.kind
    if kind == "choice":
        return t(label_key(spec.codes or "", str(value)))
    if kind == "bool":
        return t("entry.yes") if int(value) else t("entry.no")
    if kind == "date":
        return long_date(str(value))
    if kind in ("int", "year"):
        return digits(value)
    if kind == "money":
        return t("entry.usd", amount=digits(f"{float(value):,.2f}".removesuffix(".00")))
    if kind == "village":
        return f"{village_name(str(value))} ({_village_detail(str(value))})"
    if kind == "country":
        return t(label_key(spec.codes or "", str(value)))
    if kind == "countries":
        codes = json.loads(value) if isinstance(value, str) else list(value)
        return ", ".join(t(label_key(spec.codes or "", c)) for c in codes) or t("entry.none")
    if kind == "id" and spec.refers:
        return record_words(reg, spec.refers, str(value))
    return str(value)


def record_words(reg: Register, table: str, record_id: str) -> str:
    """A record named in plain words: an agency or broker by name, a person by name and
    village, a departure by person, date and destination."""
    conn = reg.conn
    if table == "journeys":
        row = conn.execute("SELECT i.name, j.departure_date, j.destination_country FROM journeys j "
                           "LEFT JOIN person_identity i ON i.person_id = j.person_id "
                           "WHERE j.id = ?", (record_id,)).fetchone()
        return f"{row[0] or record_id[:8]}: {journey_words(row[1], row[2])}" if row else record_id
    finder = {"agencies": _agencies, "brokers": _brokers, "persons": _persons}.get(table)
    hits = finder(reg, record_id, 1) if finder else []
    hit = next((h for h in hits if h.value == record_id), None)
    if hit is None:
        return record_id
    return f"{hit.label} ({hit.detail})" if hit.detail else hit.label


def summary(reg: Register, kind: str, answers: Mapping[str, Any], *,
            known_person: bool = False) -> list[tuple[str, str]]:
    """The record in plain words: (question, answer) for each question asked, in order."""
    lines = []
    if kind == "departures" and known_person and answers.get("person_id"):
        lines.append((t("entry.person"), record_words(reg, "persons", answers["person_id"])))
    for question in questions(kind, known_person=known_person):
        if not needed(question, answers):
            continue
        lines.append((question.label, answer_words(reg, question, answers)))
    return lines


def answer_words(reg: Register, question: Question, answers: Mapping[str, Any]) -> str:
    if not question.group:
        return describe(reg, question.field, answers.get(question.name))
    values = [answers.get(f.name) for f in question.fields]
    if all(v is None for v in values):
        return t("entry.not_given")
    chosen = [t(f.label_key) for f, v in zip(question.fields, values, strict=True) if v]
    return "; ".join(chosen) if chosen else t("entry.none")


# -- saving ----------------------------------------------------------------------------------

def save(reg: Register, kind: str, answers: Mapping[str, Any]) -> WriteReport:
    """Save the record (raises :class:`register.errors.ValidationError` with every problem)."""
    values = {k: v for k, v in answers.items() if v is not None}
    for spec in fields_of(kind):  # a list of countries goes back as a list
        if spec.kind == "countries" and isinstance(values.get(spec.name), str):
            values[spec.name] = json.loads(values[spec.name])
    return add_one(reg, kind, values)


def to_ask_again(kind: str, problems: Iterable[Problem], *,
                 known_person: bool = False) -> list[Question]:
    """The questions whose answers a refused record must ask again (in form order)."""
    named = {p.field.split(" ")[0] for p in problems}
    return [q for q in questions(kind, known_person=known_person)
            if any(f.name in named for f in q.fields)]


__all__ = ["GROUPS", "Answer", "Option", "Question", "answer_words", "check",
           "choices", "describe", "find", "journeys_of", "needed", "questions", "record_words",
           "save", "summary", "to_ask_again", "village_name", "village_note"]
