"""Each field's control on the page, made from its declaration in :mod:`register.model`.

Only what the browser checks by itself comes from here: ``required``, number ranges
(``min``/``max``/``step`` from the field's bounds), text length, and date pickers that stop at
today unless the field may lie ahead (``future``). Every rule is checked again, and decided, by
the register on the server (:mod:`register.web.forms`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..db import Register
from ..i18n import t
from ..model import Field
from ..validation import EARLIEST_DATE
from ..vocabulary import label_key
from . import forms

RADIO_MAX = 6  # a code list this short is shown as buttons; a longer one as a list


@dataclass
class Widget:
    """One field on the page: its control, what the browser may check, and the answer."""

    name: str
    label: str
    control: str  # text | number | date | radio | select | multi | place | record
    required: bool
    value: Any  # the answer as given (a list for several countries)
    attrs: dict[str, str] = field(default_factory=dict)
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    source: str = ""  # where its search box looks (places, records); "" = among its options
    errors: list[str] = field(default_factory=list)


def answers_from(form: Any, specs: tuple[Field, ...]) -> forms.Answers:
    """The answers of a submitted form (every field, blanks included: nothing is dropped)."""
    answers: forms.Answers = {}
    for spec in specs:
        if spec.kind == "countries":
            answers[spec.name] = [c for c in form.getlist(spec.name) if c]
        else:
            answers[spec.name] = form.get(spec.name, "")
    return answers


def widget(reg: Register, spec: Field, value: Any, errors: list[str], commune: str | None,
           today: dt.date | None = None) -> Widget:
    today = today or dt.date.today()
    made = Widget(spec.name, forms.field_label(spec.name), "text", spec.required, value,
                  errors=errors)
    kind = spec.kind
    if kind == "text":
        made.attrs["maxlength"] = str(spec.max_length)
    elif kind == "date":
        made.control = "date"
        made.attrs["min"] = EARLIEST_DATE.isoformat()
        if not spec.future:
            made.attrs["max"] = today.isoformat()
    elif kind in ("int", "year", "money"):
        made.control = "number"
        low, high = ((EARLIEST_DATE.year, today.year) if kind == "year"
                     else (spec.minimum, spec.maximum))
        made.attrs.update(step="0.01" if kind == "money" else "1")
        made.attrs.update({k: f"{v:g}" for k, v in (("min", low), ("max", high)) if v is not None})
    elif kind == "bool":
        made.control = "radio"
        made.options = [("1", t("web.yes")), ("0", t("web.no"))]
    elif kind in ("choice", "country", "countries"):
        made.options = [(c, t(label_key(spec.codes or "", c))) for c in spec.choices]
        made.control = ("multi" if kind == "countries" else
                        "radio" if len(spec.choices) <= RADIO_MAX else "select")
    elif kind == "village":
        made.control = "place"
        made.source = "/api/places"
        made.options = forms.villages("", commune)
        if value and value not in dict(made.options):
            made.options.insert(0, (value, forms.place_label(value)))
    elif kind == "id" and spec.refers in forms.PICKABLE:
        made.control = "record"
        made.source = f"/api/find/{spec.refers}"
        if value:  # the record chosen (or, typed without the picker, its name or id)
            made.options = [(value, forms.describe(reg, spec.refers, value) if _is_id(value)
                             else value)]
    return made


def _is_id(value: str) -> bool:
    from ..validation import is_uuid

    return is_uuid(value.strip().lower())


def widgets(reg: Register, specs: tuple[Field, ...], answers: forms.Answers,
            by_field: dict[str, list[str]], commune: str | None) -> list[Widget]:
    return [widget(reg, spec, answers.get(spec.name, [] if spec.kind == "countries" else ""),
                   by_field.get(spec.name, []), commune) for spec in specs]
