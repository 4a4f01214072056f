"""What the form asks the register: every call here is one the command line's prompts make
(:mod:`register.entry`), so a record entered in the browser is asked, checked and saved as it is
at the terminal.

* the questions of a record kind and their order: :func:`register.entry.questions` (a group of
  yes/no questions - travel documents, ILO indicators - is one question, answered by ticking
  what applies: :func:`register.entry.group_values`);
* each answer checked: :func:`register.entry.check` (its field's rule; for a link, that the
  record exists, is not voided and fits), then the whole record against the register and the
  rule book: :func:`register.entry.problems`; saved by :func:`register.entry.save` under the
  review page's key;
* the review: :func:`register.entry.summary`; the pickers: :func:`register.entry.find`;
* a correction: :func:`register.correct.correct`, with the clerk's reason.

Answers travel as the clerk gave them (``Raw``: text, or a list for several countries or a
group), so a refused form comes back exactly as it was filled.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import entry
from ..db import Register
from ..model import MODEL
from ..query import Found
from ..records import id_for_key
from ..validation import Problem

Raw = dict[str, Any]  # question name -> what the clerk gave (text, or a list)
NONE = "none"  # the value of a group's "none of these" box
LIMIT = 30  # records or places a picker offers at once
PERSON_TABLES = entry.PERSON_TABLES


def is_list(question: entry.Question) -> bool:
    """Answered with a list: a group, or several countries."""
    return question.group or question.field.kind == "countries"


def read(form: Any, questions: Iterable[entry.Question]) -> Raw:
    """The answers of a submitted form as given (every question, blanks included)."""
    return {q.name: [v for v in form.getlist(q.name) if v] if is_list(q)
            else form.get(q.name, "") for q in questions}


def chosen(given: Any) -> list[str] | None:
    """The fields a group's ticked boxes name ([] for "none of these"; None: nothing ticked)."""
    if not given:
        return None
    return [name for name in given if name != NONE]


# -- checking and saving -------------------------------------------------------------------
@dataclass
class Checked:
    """A form checked: the answers as stored, what is wrong, and notes to show."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # question -> note


def check(reg: Register, kind: str, questions: list[entry.Question], raw: Raw,
          person: str | None = None) -> Checked:
    """Each answer as the prompts check it, then the whole record as saving would."""
    out = Checked({"person_id": person} if person else {})
    for question in questions:
        if question.group:
            out.values.update(entry.group_values(question, chosen(raw.get(question.name))))
            continue
        if not entry.needed(question, out.values):  # the birth year, once the date is known
            continue
        answer = entry.check(reg, kind, question.field, raw.get(question.name), out.values)
        if answer.problem is not None:
            out.problems.append(answer.problem)
            continue
        out.values[question.name] = answer.value
        if answer.note:
            out.notes[question.name] = answer.note
    if not out.problems:
        out.problems = entry.problems(reg, kind, out.values)
    return out


def form_key() -> str:
    """A new key for one form on its review page (see :func:`save`)."""
    return "web:" + secrets.token_hex(16)


def save(reg: Register, kind: str, values: Mapping[str, Any], key: str) -> tuple[str, bool]:
    """Save the record (raises ValidationError if it has become invalid since the review);
    its id, and whether it was written now: the record's id is made from the review page's
    key, so the same review saved twice (a double click, the Back button) is one record."""
    report = entry.save(reg, kind, values, key=key)
    return (report.ids[0], True) if report.ids else (id_for_key(reg, kind, key), False)


@dataclass
class Placed:
    """Problems beside the question they are about, and those about the whole record."""

    by_question: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def place(problems: Iterable[Problem], questions: Iterable[entry.Question]) -> Placed:
    owner = {f.name: q.name for q in questions for f in q.fields}
    out = Placed()
    for problem in problems:
        name = owner.get(problem.field.split(" ")[0])
        if name is not None and " (" not in problem.field:
            out.by_question.setdefault(name, []).append(problem.message())
        else:  # the whole record, or a record that reads this one (a correction)
            out.general.append(str(problem))
    return out


# -- corrections --------------------------------------------------------------------------
def correctable(found: Found) -> list[entry.Question]:
    """The questions a correction of this record may change (a departure shows its person's)."""
    kind = MODEL.kind_of_table(found.table)
    tables = {found.table, *(PERSON_TABLES if found.table in ("journeys", "persons") else ())}
    return [q for q in entry.questions(kind)
            if all(MODEL.table_of(kind, f.name) in tables for f in q.fields)]


def stored(reg: Register, found: Found) -> dict[str, Any]:
    """The stored values of a record, with its person's for a departure."""
    values = dict(found.record)
    person = found.id if found.table == "persons" else (
        found.record.get("person_id") if found.table == "journeys" else None)
    for table in PERSON_TABLES if person else ():
        cur = reg.conn.execute(f"SELECT * FROM {table} WHERE {MODEL.key_of(table)} = ?",
                               (person,))
        row = cur.fetchone()
        if row is not None:
            names = [d[0] for d in cur.description]
            values.update({k: v for k, v in zip(names, row, strict=True)
                           if k not in ("id", "person_id")})
    return values


def as_given(question: entry.Question, values: Mapping[str, Any]) -> Any:
    """A stored answer as the form holds it (what a correction compares against)."""
    if question.group:
        given = [f.name for f in question.fields if values.get(f.name)]
        if not given and any(values.get(f.name) is not None for f in question.fields):
            return [NONE]
        return given
    value = values.get(question.name)
    if value is None:
        return [] if is_list(question) else ""
    if question.field.kind == "countries":
        return sorted(json.loads(value)) if isinstance(value, str) else sorted(value)
    if question.field.kind == "money" and float(value) == int(value):
        return str(int(value))
    return str(value)


def changes(questions: Iterable[entry.Question], raw: Raw,
            before: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose answers differ from what the form showed (only these are corrected)."""
    out: dict[str, Any] = {}
    for question in questions:
        given, shown = raw.get(question.name, ""), as_given(question, before)
        if (sorted(given) if isinstance(given, list) else given) == \
                (sorted(shown) if isinstance(shown, list) else shown):
            continue
        if question.group:
            new = entry.group_values(question, chosen(given))
            out.update({k: v for k, v in new.items() if v != before.get(k)})
        else:
            out[question.name] = given
    return out
