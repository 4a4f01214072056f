"""The clerk's form without its screen: what a record asks, picks, checks and reads back.

The command line's prompts (:mod:`register.cli.entry`) and the browser form (``register.web``)
call the same functions, so a record entered either way is asked, checked and saved alike:

* :func:`questions` - the questions of a record kind, in order (the person's own questions
  are left out for a departure of someone already registered); :func:`needed` - whether a
  question still applies (no birth year once the birth date is known);
* :func:`choices` - a code list's choices, labelled in the clerk's language;
* :func:`find` - what the clerk may pick by typing part of a name: villages (the commune's
  first), countries, agencies, brokers, persons, departures (a person's, for a referral; those
  without a return, for a return) - from :mod:`register.pick`;
* :func:`check` - one answer checked the moment it is given: its field's rule and, for a link,
  that the record exists (and is the right one); with a note to show (a village of another
  province);
* :func:`summary` and :func:`describe` - the record in plain words, for the clerk to read before
  saving;
* :func:`save` - :func:`register.records.add_one` (the one path of every record);
  :func:`problems` - what saving would refuse, nothing written (the browser's review page);
  :func:`to_ask_again` - the questions a refused record must ask again;
* :func:`group_values` - the answers of a group of yes/no questions from those named.

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
from .i18n import digits, long_date, t
from .links import resolve
from .model import MODEL, Field, fields_of
from .pick import LIMIT, Option, find, journeys_of, record_words, village_detail, village_name
from .records import WriteReport, add_one, add_records
from .validation import Problem, clean_value
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


# -- checking one answer ---------------------------------------------------------------------

class _Source:
    """The register as it is, for :func:`register.links.resolve` (nothing pending)."""

    def __init__(self, reg: Register) -> None:
        self.conn = reg.conn
        self.pending: Mapping[str, Mapping[str, Mapping[str, Any]]] = {}


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
        wrong = _link_problem(reg, kind, spec, str(value), answers)
        if wrong is not None:
            return Answer(problem=Problem(spec.name, raw, wrong))
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
    return t("entry.other_province", village=village_name(code), place=village_detail(code))


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
        return f"{village_name(str(value))} ({village_detail(str(value))})"
    if kind == "country":
        return t(label_key(spec.codes or "", str(value)))
    if kind == "countries":
        codes = json.loads(value) if isinstance(value, str) else list(value)
        return ", ".join(t(label_key(spec.codes or "", c)) for c in codes) or t("entry.none")
    if kind == "id" and spec.refers:
        return record_words(reg, spec.refers, str(value))
    return str(value)


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

def _values(kind: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in answers.items() if v is not None}
    for spec in fields_of(kind):  # a list of countries goes back as a list
        if spec.kind == "countries" and isinstance(values.get(spec.name), str):
            values[spec.name] = json.loads(values[spec.name])
    return values


def save(reg: Register, kind: str, answers: Mapping[str, Any], *,
         key: str | None = None) -> WriteReport:
    """Save the record (raises :class:`register.errors.ValidationError` with every problem).
    ``key``: one form's key (the browser's review page), so that saving it twice writes one
    record (:func:`register.records.add_one`)."""
    return add_one(reg, kind, _values(kind, answers), key=key)


def problems(reg: Register, kind: str, answers: Mapping[str, Any]) -> list[Problem]:
    """What saving the record would refuse - its fields, its links and the rule book across
    records - with nothing written (for a review of the whole record before it is saved)."""
    report = add_records(reg, kind, [_values(kind, answers)], dry_run=True)
    return [Problem(p.field, p.value, p.rule, None, p.details) for p in report.problems]


def group_values(question: Question, chosen: Iterable[str] | None) -> dict[str, int | None]:
    """The answers of a group of yes/no questions from the fields the clerk named: those
    named are 1 and the others 0; an empty list says none applies (all 0); None: the question
    was not answered (all left blank)."""
    if chosen is None:
        return dict.fromkeys((f.name for f in question.fields), None)
    named = set(chosen)
    return {f.name: int(f.name in named) for f in question.fields}


def to_ask_again(kind: str, problems: Iterable[Problem], *,
                 known_person: bool = False) -> list[Question]:
    """The questions whose answers a refused record must ask again (in form order)."""
    named = {p.field.split(" ")[0] for p in problems}
    return [q for q in questions(kind, known_person=known_person)
            if any(f.name in named for f in q.fields)]


__all__ = ["GROUPS", "LIMIT", "Answer", "Option", "Question", "answer_words", "check", "choices",
           "describe", "find", "group_values", "journeys_of", "needed", "problems", "questions",
           "record_words", "save", "summary", "to_ask_again", "village_name", "village_note"]
