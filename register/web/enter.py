"""Entering a record (form, review, save), correcting one (with a reason) and voiding one
entered by mistake (with a reason): the prompts' flow, on pages.

A form is checked by the register (:mod:`.forms`) when the clerk asks to review it: refused, it
comes back with every answer kept and each problem beside its question; accepted, the review
page reads the record back in plain words (:func:`register.entry.summary`, as the prompts do),
with the answers in hidden fields for the Save button. Saving checks everything again, in the
write transaction; the review page's key makes the record's id, so saving the same review twice
writes one record. Corrections and voiding are :func:`register.correct.correct` and
:func:`register.void.void`, the calls of ``register correct`` and ``register void``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request

from .. import entry
from ..errors import RegisterError, ValidationError
from ..i18n import t
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
        questions = entry.questions(kind, known_person=person is not None)
        if request.method == "GET":  # links from a record page name the record to attach to
            raw: forms.Raw = {q.name: request.args[q.name].lower() for q in questions
                              if q.field.refers and is_uuid(request.args.get(q.name, "").lower())}
            return _form(reg, kind, questions, raw, person, forms.Checked())
        raw = forms.read(request.form, questions)
        step = request.form.get("step", "review")
        if step == "change":
            return _form(reg, kind, questions, raw, person, forms.Checked())
        checked = forms.check(reg, kind, questions, raw, person)
        if checked.problems:
            return _form(reg, kind, questions, raw, person, checked), 422
        key = request.form.get("key", "")
        if step == "save" and key.startswith("web:"):
            try:
                record_id, now = forms.save(reg, kind, checked.values, key)
            except ValidationError as exc:
                return _form(reg, kind, questions, raw, person,
                             forms.Checked(checked.values, exc.problems)), 422
            return redirect(f"/record/{record_id}?{'saved' if now else 'already'}=1", 303)
        return page("review.html", kind=kind, raw=raw, person=person, key=forms.form_key(),
                    lines=entry.summary(reg, kind, checked.values,
                                        known_person=person is not None),
                    notes=list(checked.notes.values()))


def _form(reg: Any, kind: str, questions: list[entry.Question], raw: forms.Raw,
          person: str | None, checked: forms.Checked) -> str:
    placed = forms.place(checked.problems, questions)
    return page("form.html", kind=kind, person=person,
                person_label=entry.record_words(reg, "persons", person) if person else "",
                fields=widgets.widgets(reg, kind, questions, raw, placed, checked.notes),
                general=placed.general)


@bp.route("/correct/<record_id>", methods=["GET", "POST"])
def correct(record_id: str) -> Any:
    from ..correct import correct as run_correct

    if not is_uuid(record_id):
        abort(404)
    web = session()
    with web.register() as reg:
        found = find(reg, record_id)
        questions = forms.correctable(found)
        before = forms.stored(reg, found)
        if request.method == "GET":
            raw = {q.name: forms.as_given(q, before) for q in questions}
            return _correction(reg, found, questions, raw, "", [], {})
        raw = forms.read(request.form, questions)
        reason = (request.form.get("reason") or "").strip()
        changes = forms.changes(questions, raw, before)
        if not changes:
            return _correction(reg, found, questions, raw, reason, [],
                               {"": t("web.nothing_changed")}), 422
        try:
            done = run_correct(reg, found.id, changes, reason)
        except ValidationError as exc:
            return _correction(reg, found, questions, raw, reason, exc.problems, {}), 422
        except RegisterError as exc:  # no reason given
            return _correction(reg, found, questions, raw, reason, [], {"reason": str(exc)}), 422
    return redirect(f"/record/{found.id}?corrected={len(done)}", 303)


def _correction(reg: Any, found: Any, questions: list[entry.Question], raw: forms.Raw,
                reason: str, problems: list[Any], notes: dict[str, str]) -> str:
    kind = MODEL.kind_of_table(found.table)
    placed = forms.place(problems, questions)
    general = placed.general + ([notes[""]] if "" in notes else [])
    return page("correct.html", found=found, table=found.table,
                record_label=_named(reg, found.table, found.id),
                fields=widgets.widgets(reg, kind, questions, raw, placed),
                general=general, reason=reason, reason_error=notes.get("reason", ""))


@bp.route("/void/<record_id>", methods=["GET", "POST"])
def void(record_id: str) -> Any:
    """Void a record entered by mistake: what goes with it is shown first (``void.plan``)."""
    from ..void import VOIDABLE, plan
    from ..void import void as run_void

    if not is_uuid(record_id):
        abort(404)
    with session().register() as reg:
        found = find(reg, record_id)
        if found.table not in VOIDABLE:
            abort(404)
        reason = (request.form.get("reason") or "").strip()
        error = ""
        targets: list[Any] = []
        try:
            targets = plan(reg.conn, found.table, found.id)
            if request.method == "POST":
                done = run_void(reg, found.id, reason)
                return redirect(f"/record/{found.id}?voided={len(done)}", 303)
        except RegisterError as exc:  # no reason, already voided, still in use
            error = str(exc)
        going = [(t(f"table.{v.table}"), _named(reg, v.table, v.record_id)) for v in targets]
        label = _named(reg, found.table, found.id)
    return page("void.html", found=found, going=going, reason=reason, error=error,
                record_label=label, can=bool(going)), 422 if error else 200


def _named(reg: Any, table: str, record_id: str) -> str:
    """A record in words where it has a name (a person, a departure, an agency, a broker),
    else its short id."""
    words = entry.record_words(reg, table, record_id)
    return record_id[:8] if words == record_id else words
