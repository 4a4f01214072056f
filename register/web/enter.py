"""Entering a record (form, review, save) and correcting one (with a reason).

A form is checked by the register (:mod:`.forms`) when the clerk asks to review it: refused, it
comes back with every answer kept and each problem beside its field; accepted, the review page
shows the answers in plain words, with the answers in hidden fields for the Save button. Saving
checks everything again, in the write transaction; the review page's key makes the record's id,
so saving the same review twice writes one record.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request

from ..errors import RegisterError, ValidationError
from ..model import MODEL
from ..query import find
from ..validation import is_uuid
from . import forms, widgets
from .page import page, session

bp = Blueprint("enter", __name__)


def _known_person(reg: Any, kind: str, given: str) -> str | None:
    """The person of a new departure of someone already registered (their id), if any."""
    if kind != "departures" or not is_uuid(given):
        return None
    found = reg.conn.execute("SELECT 1 FROM persons WHERE id = ?", (given,)).fetchone()
    return given if found else None


@bp.route("/new/<kind>", methods=["GET", "POST"])
def new(kind: str) -> Any:
    if kind not in MODEL.kind_names:
        abort(404)
    web = session()
    source = request.form if request.method == "POST" else request.args
    with web.register() as reg:
        person = _known_person(reg, kind, (source.get("person_id") or "").strip().lower())
        specs = forms.entry_fields(kind, known_person=person is not None)
        if request.method == "GET":  # links from a record page name the record to attach to
            answers = {s.name: request.args[s.name].lower() for s in specs
                       if s.kind == "id" and is_uuid(request.args.get(s.name, "").lower())}
            return _form(reg, kind, specs, answers, person, [])
        answers = widgets.answers_from(request.form, specs)
        if person:
            answers["person_id"] = person
        step = request.form.get("step", "review")
        if step == "change":
            return _form(reg, kind, specs, answers, person, [])
        key = request.form.get("key", "")
        if step == "save" and key.startswith("web:"):
            try:
                record_id, now = forms.save(reg, kind, answers, key)
            except ValidationError as exc:
                return _form(reg, kind, specs, answers, person, exc.problems), 422
            return redirect(f"/record/{record_id}?{'saved' if now else 'already'}=1", 303)
        problems = forms.check(reg, kind, answers)
        if problems:
            return _form(reg, kind, specs, answers, person, problems), 422
        return page("review.html", kind=kind, lines=forms.summary(reg, specs, answers),
                    answers=answers, person=person, key=forms.entry_key(),
                    person_label=forms.describe(reg, "persons", person) if person else "")


def _form(reg: Any, kind: str, specs: tuple[Any, ...], answers: forms.Answers,
          person: str | None, problems: list[Any]) -> str:
    sorted_ = forms.sort_problems(problems, {s.name for s in specs})
    return page("form.html", kind=kind, person=person,
                person_label=forms.describe(reg, "persons", person) if person else "",
                fields=widgets.widgets(reg, specs, answers, sorted_.by_field, reg.commune_code),
                general=sorted_.general)


@bp.route("/correct/<record_id>", methods=["GET", "POST"])
def correct(record_id: str) -> Any:
    from ..correct import correct as run_correct

    if not is_uuid(record_id):
        abort(404)
    web = session()
    with web.register() as reg:
        found = find(reg, record_id)
        specs = forms.correctable_fields(found)
        before = forms.current_values(reg, found)
        if request.method == "GET":
            answers = {s.name: forms.as_answer(s, before.get(s.name)) for s in specs}
            return _correction(reg, found, specs, answers, "", [], {})
        answers = widgets.answers_from(request.form, specs)
        reason = (request.form.get("reason") or "").strip()
        changes = forms.changes(specs, answers, before)
        if not changes:
            return _correction(reg, found, specs, answers, reason, [], {"": "web.nothing_changed"}), 422
        try:
            done = run_correct(reg, found.id, changes, reason)
        except ValidationError as exc:
            return _correction(reg, found, specs, answers, reason, exc.problems, {}), 422
        except RegisterError as exc:  # no reason given
            return _correction(reg, found, specs, answers, reason, [], {"reason": str(exc)}), 422
    return redirect(f"/record/{found.id}?corrected={len(done)}", 303)


def _correction(reg: Any, found: Any, specs: tuple[Any, ...], answers: forms.Answers,
                reason: str, problems: list[Any], notes: dict[str, str]) -> str:
    from ..i18n import t

    sorted_ = forms.sort_problems(problems, {s.name for s in specs})
    general = sorted_.general + [t(notes[""])] if "" in notes else sorted_.general
    return page("correct.html", found=found, table=found.table,
                record_label=forms.describe(reg, found.table, found.id),
                fields=widgets.widgets(reg, specs, answers, sorted_.by_field, reg.commune_code),
                general=general, reason=reason, reason_error=notes.get("reason", ""))
