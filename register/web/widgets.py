"""Each question's control on the page, made from its field's declaration in
:mod:`register.model` and the choices the prompts offer (:mod:`register.entry`).

Only what the browser checks by itself comes from here: ``required``, number ranges
(``min``/``max``/``step`` from the field's bounds), text length, and date pickers that stop at
today unless the field may lie ahead (``future``). Every rule is checked again, and decided, by
the register on the server (:mod:`register.web.forms`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .. import entry
from ..db import Register
from ..i18n import t
from ..validation import EARLIEST_DATE, is_uuid
from . import forms

RADIO_MAX = 6  # a code list this short is shown as buttons; a longer one as a list


@dataclass
class Widget:
    """One question on the page: its control, what the browser may check, and the answer."""

    name: str
    label: str
    control: str  # text | number | date | radio | select | multi | checks | place | record
    required: bool
    value: Any  # the answer as given (a list for several countries or a group)
    attrs: dict[str, str] = field(default_factory=dict)
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    source: str = ""  # where its search box asks (places, records); "" = among its options
    also: str = ""  # another answer the search sends (a referral's person, for their journeys)
    errors: list[str] = field(default_factory=list)
    note: str = ""


def find_url(kind: str, name: str) -> str:
    return f"/api/find/{kind}/{name}"


def widget(reg: Register, kind: str, question: entry.Question, raw: forms.Raw,
           errors: list[str], note: str = "", today: dt.date | None = None) -> Widget:
    today = today or dt.date.today()
    spec = question.field
    value = raw.get(question.name, [] if forms.is_list(question) else "")
    made = Widget(question.name, question.label, "text", question.required, value,
                  errors=errors, note=note)
    if question.group:
        made.control = "checks"
        made.options = [(f.name, t(f.label_key)) for f in question.fields]
        made.options.append((forms.NONE, t("web.none_apply")))
        return made
    if spec.kind == "text":
        made.attrs["maxlength"] = str(spec.max_length)
        if spec.digits:
            made.attrs["inputmode"] = "tel"
    elif spec.kind == "date":
        made.control = "date"
        made.attrs["min"] = EARLIEST_DATE.isoformat()
        if not spec.future:
            made.attrs["max"] = today.isoformat()
    elif spec.kind in ("int", "year", "money"):
        made.control = "number"
        low, high = ((EARLIEST_DATE.year, today.year) if spec.kind == "year"
                     else (spec.minimum, spec.maximum))
        made.attrs["step"] = "0.01" if spec.kind == "money" else "1"
        made.attrs.update({k: f"{v:g}" for k, v in (("min", low), ("max", high)) if v is not None})
    elif spec.kind == "bool":
        made.control = "radio"
        made.options = [("1", t("entry.yes")), ("0", t("entry.no"))]
    elif spec.kind in ("choice", "country", "countries"):
        made.options = [(o.value, o.label) for o in entry.choices(spec)]
        made.control = ("multi" if spec.kind == "countries" else
                        "radio" if len(spec.choices) <= RADIO_MAX else "select")
    elif spec.kind == "village":
        made.control = "place"
        made.source = find_url(kind, spec.name)
        made.options = [(o.value, o.words) for o in entry.find(reg, kind, spec, "")]
    elif spec.refers:
        made.control = "record"
        made.source = find_url(kind, spec.name)
        if kind == "referrals" and spec.refers == "journeys":  # the person's departures
            made.also = "person_id"
            person = raw.get("person_id") or ""
            made.options = [(o.value, o.words) for o in entry.find(
                reg, kind, spec, "", {"person_id": person if is_uuid(person) else None},
                limit=forms.LIMIT)]
    if made.control in ("place", "record") and value and value not in dict(made.options):
        # the answer chosen (or, typed without the picker, a name or an id)
        made.options.insert(0, (value, _words(reg, spec, value)))
    return made


def _words(reg: Register, spec: Any, value: str) -> str:
    """An answer in words if it names a place or a record, else as typed."""
    from ..gazetteer import load_gazetteer

    known = value in load_gazetteer() if spec.kind == "village" else is_uuid(value)
    return entry.describe(reg, spec, value) if known else value


def widgets(reg: Register, kind: str, questions: list[entry.Question], raw: forms.Raw,
            placed: forms.Placed, notes: dict[str, str] | None = None) -> list[Widget]:
    notes = notes or {}
    return [widget(reg, kind, q, raw, placed.by_question.get(q.name, []), notes.get(q.name, ""))
            for q in questions]
