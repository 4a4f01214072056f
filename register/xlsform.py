"""XLSForm for phones (ODK Collect, KoboCollect, Enketo), generated from the field declarations.

One form per record kind. Every question comes from ``register.model.fields_of(kind)``: its type
from ``Field.kind``, ``required``, the choice list from ``Field.choices``, the bounds from
``minimum``/``maximum``/``max_length``, and its English and Khmer labels from the translation
catalogues (``field.NAME``; choices ``register.vocabulary.label_key``, countries
``formats.country.CODE``). Constraints mirror :mod:`register.validation` and the rules across
fields in :mod:`register.records` (dates not in the future nor before 1930, ages at departure,
a birth year matching the birth date); what a phone cannot know (is the departure of a return
before it, does the agency exist) is checked when the submissions are imported.

Villages are chosen district -> commune -> village (cascading selects, ``choice_filter``) from the
gazetteer, limited to one province so that the form stays light on a phone. Village and commune
labels end with their code, so that an export made with labels can be read back.

The form's version is a hash of what the form asks (the field declarations, the labels and the
rules) and of the gazetteer version: a change to any field changes the version, and submissions
of an older form are refused on import with both versions named (:mod:`register.submissions`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RegisterError
from .i18n import catalogue, t
from .model import Field, fields_of
from .output import check_output, writing
from .validation import EARLIEST_DATE, MAX_AGE, MIN_AGE
from .vocabulary import label_key

# (catalogue code, XLSForm language column suffix), the first is the form's default language.
LANGUAGES = (("en", "English (en)"), ("km", "Khmer (km)"))
VERSION_QUESTION = "form_version"  # a calculate question: every submission carries its version
YES_NO = "yes_no"
PLACE_LEVELS = ("district", "commune")  # the cascade's helper questions before the village


def text_in(lang: str, key: str, default: str | None = None, **values: Any) -> str:
    """The catalogue text of ``key`` in ``lang`` (English when not translated; ``default``, else
    the key itself, when not in the catalogue at all)."""
    template = catalogue(lang).get(key) or catalogue("en").get(key)
    if template is None:
        return default if default is not None else key
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return catalogue("en").get(key, key).format(**values)


def labels(key: str, default: str | None = None, **values: Any) -> dict[str, str]:
    """``{language column: text}`` for every form language."""
    return {column: text_in(lang, key, default, **values) for lang, column in LANGUAGES}


def asked(spec: Field) -> bool:
    """Is the field a question of the form? Record ids and the record date are made by the
    register; an id the clerk must give (the departure of a return) is asked."""
    from .model import PROMPT_SKIP

    return spec.required or spec.name not in PROMPT_SKIP


def choice_label_key(spec: Field, value: str) -> str:
    return label_key(spec.codes or "", value)


def choice_list_name(spec: Field) -> str:
    return spec.codes or spec.name


def choices_of(spec: Field) -> tuple[str, ...]:
    if spec.kind == "bool":
        return ("yes", "no")
    return spec.choices


@dataclass(frozen=True)
class Question:
    """One row of the survey sheet."""

    name: str
    type: str
    label_key: str
    field: Field | None = None  # None for the cascade's helper questions
    required: bool = False
    constraint: str = ""
    messages: tuple[tuple[str, dict[str, Any]], ...] = ()
    choice_filter: str = ""
    calculation: str = ""

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "name": self.name}
        if self.type != "calculate":
            for column, text in labels(self.label_key).items():
                out[f"label::{column}"] = text
        if self.required:
            out["required"] = "yes"
            for column, text in labels("rule.required").items():
                out[f"required_message::{column}"] = text
        if self.constraint:
            out["constraint"] = self.constraint
            for lang, column in LANGUAGES:
                out[f"constraint_message::{column}"] = "; ".join(
                    text_in(lang, key, **values) for key, values in self.messages)
        if self.choice_filter:
            out["choice_filter"] = self.choice_filter
        if self.calculation:
            out["calculation"] = self.calculation
        return out


@dataclass
class Form:
    """A generated form: survey questions, choice rows and settings (see :func:`build_form`)."""

    kind: str
    version: str
    questions: list[Question]
    choices: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def question(self, name: str) -> Question | None:
        return next((q for q in self.questions if q.name == name), None)

    def choice_labels(self) -> dict[str, dict[str, str]]:
        """``{list name: {label in any language: choice name}}``, to read labelled exports."""
        out: dict[str, dict[str, str]] = {}
        for row in self.choices:
            names = out.setdefault(row["list_name"], {})
            for _, column in LANGUAGES:
                names.setdefault(str(row[f"label::{column}"]), str(row["name"]))
        return out

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        """The workbook as sheets of rows (what pyxform's ``convert`` accepts, less the
        ``sheet_name`` keys, and what :func:`write_xlsform` writes)."""
        return {"survey": [q.row() for q in self.questions], "choices": self.choices,
                "settings": [self.settings]}


def _field_rules(spec: Field, names: set[str]) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    """XPath constraints and their messages mirroring ``register.validation.clean_value`` and the
    cross-field rules of ``register.records`` (where the form holds the fields involved)."""
    exprs: list[str] = []
    msgs: list[tuple[str, dict[str, Any]]] = []
    kind = spec.kind
    if kind == "text":
        exprs.append(f"string-length(.) <= {spec.max_length}")
        msgs.append(("rule.too_long", {"max": spec.max_length}))
    elif kind == "date":
        if not spec.future:
            exprs.append(". <= today()")
            msgs.append(("rule.future", {}))
        exprs.append(f". >= date('{EARLIEST_DATE.isoformat()}')")
        msgs.append(("rule.too_old", {"earliest": EARLIEST_DATE.isoformat()}))
    elif kind == "year":
        exprs.append(f". >= {EARLIEST_DATE.year} and . <= number(format-date(today(), '%Y'))")
        msgs.append(("formats.rule_year", {"earliest": EARLIEST_DATE.year}))
    elif kind in ("int", "money"):
        if spec.minimum is not None:
            exprs.append(f". >= {_number(spec.minimum)}")
            msgs.append(("rule.minimum", {"minimum": spec.minimum}))
        if spec.maximum is not None:
            exprs.append(f". <= {_number(spec.maximum)}")
            msgs.append(("rule.maximum", {"maximum": spec.maximum}))
    # records.py: the year of birth must match the birth date, and the age at departure must be
    # plausible (validation.MIN_AGE..MAX_AGE); both need the fields in the same form.
    if spec.name == "birth_year" and "birth_date" in names:
        exprs.append("${birth_date} = '' or number(format-date(${birth_date}, '%Y')) = .")
        msgs.append(("rule.birth_mismatch", {}))
    if spec.name == "departure_date" and {"birth_date", "birth_year"} & names:
        ages = []
        if "birth_date" in names:
            age = ("(number(format-date(., '%Y')) - number(format-date(${birth_date}, '%Y')) - "
                   "(number(format-date(., '%m%d')) < number(format-date(${birth_date}, '%m%d'))))")
            ages.append(f"(${{birth_date}} = '' or ({age} >= {MIN_AGE} and {age} <= {MAX_AGE}))")
        if "birth_year" in names:
            age = "(number(format-date(., '%Y')) - ${birth_year})"
            guard = "${birth_date} != '' or " if "birth_date" in names else ""
            ages.append(f"({guard}${{birth_year}} = '' or ({age} >= {MIN_AGE} and {age} <= {MAX_AGE}))")
        exprs.append(" and ".join(ages))
        msgs.append(("formats.rule_age", {"low": MIN_AGE, "high": MAX_AGE}))
    return exprs, msgs


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


_TYPES = {"text": "text", "id": "text", "date": "date", "year": "integer", "int": "integer",
          "money": "decimal"}


def _questions(kind: str, whole_country: bool) -> list[Question]:
    specs = [s for s in fields_of(kind) if asked(s)]
    names = {s.name for s in specs}
    out: list[Question] = []
    for spec in specs:
        exprs, msgs = _field_rules(spec, names)
        common: dict[str, Any] = {"field": spec, "required": spec.required, "label_key": f"field.{spec.name}",
                  "constraint": " and ".join(f"({e})" for e in exprs) if len(exprs) > 1
                  else "".join(exprs), "messages": tuple(msgs)}
        if spec.kind == "village":
            out.extend(_cascade(spec, whole_country))
            out.append(Question(spec.name, "select_one village", **common,
                                choice_filter=f"commune=${{{spec.name}_commune}}"))
        elif spec.kind in ("choice", "country", "bool"):
            list_name = YES_NO if spec.kind == "bool" else choice_list_name(spec)
            out.append(Question(spec.name, f"select_one {list_name}", **common))
        elif spec.kind == "countries":
            out.append(Question(spec.name, f"select_multiple {choice_list_name(spec)}", **common))
        else:
            out.append(Question(spec.name, _TYPES[spec.kind], **common))
    return out


def _cascade(spec: Field, whole_country: bool) -> list[Question]:
    """Helper questions before a village: (province), district, commune."""
    out = []
    parent = ""
    levels = ("province", *PLACE_LEVELS) if whole_country else PLACE_LEVELS
    for level in levels:
        name = f"{spec.name}_{level}"
        out.append(Question(name, f"select_one {level}", f"formats.place.{level}",
                            required=spec.required,
                            choice_filter=f"{parent}=${{{spec.name}_{parent}}}" if parent else ""))
        parent = level
    return out


def helper_questions(kind: str) -> set[str]:
    """Names of the questions that are not fields (the village cascade, the version)."""
    return {q.name for q in _questions(kind, True) if q.field is None} | {VERSION_QUESTION}


def _choice_rows(kind: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for spec in fields_of(kind):
        if not asked(spec) or spec.kind not in ("choice", "country", "countries", "bool"):
            continue
        list_name = YES_NO if spec.kind == "bool" else choice_list_name(spec)
        if list_name in seen:
            continue
        seen.add(list_name)
        for value in choices_of(spec):
            key = f"formats.{value}" if spec.kind == "bool" else choice_label_key(spec, value)
            default = value.replace("_", " ")
            rows.append({"list_name": list_name, "name": value,
                         **{f"label::{c}": text for c, text in labels(key, default).items()}})
    return rows


def _place_rows(kind: str, province: str | None) -> list[dict[str, Any]]:
    if not any(s.kind == "village" and asked(s) for s in fields_of(kind)):
        return []
    from .gazetteer import load_gazetteer

    gaz = load_gazetteer()
    if province is not None and province not in {p.code for p in gaz.places("province")}:
        raise RegisterError(t("formats.no_province", code=province))
    rows: list[dict[str, Any]] = []
    for level, parent in (("province", ""), ("district", "province"), ("commune", "district"),
                          ("village", "commune")):
        if province is not None and level == "province":
            continue
        for place in gaz.places(level):
            if province is not None and not place.code.startswith(province):
                continue
            row = {"list_name": level, "name": place.code,
                   "label::English (en)": f"{place.name_en} ({place.code})",
                   "label::Khmer (km)": f"{place.name_km} ({place.code})"}
            if parent:
                row[parent] = place.code[: {"province": 2, "district": 4, "commune": 6}[parent]]
            rows.append(row)
    return rows


def form_version(kind: str) -> str:
    """A version that changes whenever what the form asks changes: the kind's field declarations,
    their labels and rules, the choice labels, and the gazetteer version."""
    from .gazetteer import CURRENT_VERSION

    content = {
        "fields": [repr(s) for s in fields_of(kind)],
        "survey": [q.row() for q in _questions(kind, True)],
        "choices": _choice_rows(kind),
        "place_labels": labels("formats.place.village"),
        "rules": [EARLIEST_DATE.isoformat(), MIN_AGE, MAX_AGE],
        "gazetteer": CURRENT_VERSION,
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:12]


def build_form(kind: str, province: str | None = None, *, places: bool = True) -> Form:
    """The form of ``kind``. ``province`` (a 2-digit code) limits the villages to one province;
    ``places=False`` leaves out the gazetteer's choice rows (enough to read submissions)."""
    version = form_version(kind)
    questions = _questions(kind, whole_country=province is None)
    questions.append(Question(VERSION_QUESTION, "calculate", "", calculation=f"'{version}'"))
    choices = _choice_rows(kind) + (_place_rows(kind, province) if places else [])
    settings = {"form_title": text_in("en", f"formats.form_title.{kind}"),
                "form_id": f"register_{kind}", "version": version,
                "default_language": LANGUAGES[0][1]}
    return Form(kind, version, questions, choices, settings)


def write_xlsform(form: Form, out: str | Path, *, force: bool = False) -> Path:
    """Write the form as an XLSForm workbook (survey, choices, settings)."""
    import openpyxl

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise RegisterError(t("formats.xlsx_only", file=out.name))
    check_output(out, force=force)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, rows in form.as_dict().items():
        _write_sheet(book.create_sheet(sheet), rows)
    with writing(out, force=force, personal=False) as tmp:
        book.save(tmp)
    return out


def _write_sheet(ws: Any, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    ws.append(columns)
    for row in rows:
        ws.append([row.get(c, "") for c in columns])
