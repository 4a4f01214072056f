"""``register add-departure`` and friends: the clerk's form at the terminal.

Each field of ``register.model`` is also an option (``--home-village``, ``--has-passport`` ...).
Without ``--no-input``, the fields not given are asked for in order (:mod:`register.entry` says
which, checks each answer the moment it is typed and finds what the clerk names): choices are
numbered menus, villages, countries, agencies, brokers, persons and departures are picked by
part of their name, yes/no questions of a kind (the ILO indicators, travel documents) are asked
together. A departure starts by asking whether the person is already registered. Before
saving, the record is read back in plain words: save, change a line, or cancel. With
``--no-input``, a missing required field is an error (exit code 2).
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import entry
from ..errors import ValidationError
from ..i18n import t
from ..model import MODEL, Field, fields_of
from ..records import WriteReport
from . import ask
from .app import (
    Clerk,
    Db,
    NoInput,
    app,
    echo,
    echo_anchor,
    fail,
    handled,
    open_db,
    show_problems,
    show_warnings,
)

COMMANDS = {"add-departure": "departures", "add-return": "returns", "add-referral": "referrals",
            "add-agency": "agencies", "add-broker": "brokers"}
_PERSON_FIELDS = {f.name for table in entry.PERSON_TABLES for f in MODEL.table(table).fields}
PERSON = MODEL.table("referrals").field("person_id")


def _hint(kind: str, spec: Field) -> str:
    if spec.kind == "village":
        return t("cli.hint_village")
    if spec.kind in ("country", "countries"):
        return t("cli.hint_countries" if spec.kind == "countries" else "cli.hint_country")
    if spec.refers == "journeys":
        return t("cli.hint_journey")
    if spec.refers:
        return t("cli.hint_name")
    return {"date": t("cli.hint_date"), "year": t("cli.hint_year"),
            "money": t("cli.hint_money")}.get(spec.kind, "")


class Form:
    """One record asked for at the terminal, kept whole until it is saved or cancelled."""

    def __init__(self, reg: Any, kind: str) -> None:
        self.reg, self.kind = reg, kind
        self.answers: dict[str, Any] = {}
        self.typed: dict[str, str] = {}  # what the clerk typed, to name it in a refusal
        self.known = False

    # -- asking --------------------------------------------------------------------------
    def take(self, given: dict[str, Any]) -> list[entry.Question]:
        """Check the values given as options; those refused are asked again."""
        again = []
        for name, typed in given.items():
            spec = next(s for s in fields_of(self.kind) if s.name == name)
            answer = entry.check(self.reg, self.kind, spec, typed, self.answers)
            if answer.problem is not None:
                ask.refused(str(typed), answer.problem)
                again.append(name)
                continue
            if answer.note:
                echo(t("cli.warning", message=answer.note), err=True)
            self.answers[name] = answer.value
            self.typed[name] = str(typed)
        self.known = self.kind == "departures" and bool(self.answers.get("person_id"))
        return [q for q in self.questions() if any(f.name in again for f in q.fields)]

    def questions(self) -> list[entry.Question]:
        return entry.questions(self.kind, known_person=self.known)

    def ask_person(self) -> None:
        if self.kind != "departures" or "person_id" in self.answers or \
                _PERSON_FIELDS & self.answers.keys():
            return
        found = ask.ask_known_person(
            self.reg, lambda text: entry.find(self.reg, "referrals", PERSON, text))
        if found:
            self.answers["person_id"] = found
            self.known = True

    def ask(self, question: entry.Question) -> None:
        if question.group:
            self.answers.update(ask.ask_group(question))
            return
        spec = question.field

        def check(typed: str) -> entry.Answer:
            self.typed[spec.name] = typed
            return entry.check(self.reg, self.kind, spec, typed, self.answers)

        label, required = question.label, spec.required
        if spec.kind == "choice":
            answer = ask.ask_menu(label, entry.choices(spec), required, check)
        elif spec.kind == "bool":
            answer = ask.yes_no(label, check, required)
        elif self.kind == "referrals" and spec.name == "journey_id":
            options = entry.journeys_of(self.reg, self.answers.get("person_id"))
            if not options:
                return
            answer = ask.ask_menu(label, options, required, check)
        elif spec.kind in ("village", "country") or spec.refers:
            answer = ask.ask_pick(label, required, check, lambda text: entry.find(
                self.reg, self.kind, spec, text, self.answers), _hint(self.kind, spec))
        else:
            answer = ask.ask_plain(label, required, check, _hint(self.kind, spec))
        self.answers[spec.name] = answer.value

    def ask_missing(self) -> None:
        for question in self.questions():
            names = [f.name for f in question.fields]
            if entry.needed(question, self.answers) and not any(n in self.answers for n in names):
                self.ask(question)

    # -- reading back and saving ---------------------------------------------------------
    def lines(self) -> list[tuple[str, str, entry.Question | None]]:
        out: list[tuple[str, str, entry.Question | None]] = []
        if self.known:
            out.append((t("entry.person"),
                        entry.record_words(self.reg, "persons", self.answers["person_id"]), None))
        for question in self.questions():
            if entry.needed(question, self.answers):
                out.append((question.label, entry.answer_words(self.reg, question, self.answers),
                            question))
        return out

    def change(self, question: entry.Question | None) -> None:
        if question is None:  # another person
            for name in ("person_id", *_PERSON_FIELDS):
                self.answers.pop(name, None)
            self.known = False
            self.ask_person()
        else:
            for spec in question.fields:
                self.answers.pop(spec.name, None)
            if question.name == "person_id":
                self.answers.pop("journey_id", None)
            self.ask(question)
        self.ask_missing()

    def run(self) -> WriteReport:
        self.ask_missing()
        while True:
            lines = self.lines()
            action = ask.review([(label, value) for label, value, _ in lines])
            if action == "cancel":
                echo(t("cli.cancelled"), err=True)
                raise typer.Exit(1)
            if isinstance(action, int):
                self.change(lines[action - 1][2])
                continue
            try:
                return entry.save(self.reg, self.kind, self.answers)
            except ValidationError as exc:
                echo(t("cli.not_saved", n=len(exc.problems)), err=True)
                show_problems([replace(p, value=self.typed.get(p.field, p.value))
                               for p in exc.problems])
                for question in entry.to_ask_again(self.kind, exc.problems,
                                                   known_person=self.known):
                    for spec in question.fields:
                        self.answers.pop(spec.name, None)
                    self.ask(question)


def _saved(reg: Any, kind: str, report: WriteReport) -> None:
    if not report.ids:
        echo(t("cli.already", n=report.already_present or 1))
        return
    if kind == "departures":
        person = report.persons[0]
        echo(t("cli.saved_departure", journey=report.ids[0][:8], person=person[:8],
               name=entry.record_words(reg, "persons", person)))
    else:
        table = MODEL.kind(kind).tables[-1]
        echo(t("cli.saved", what=t(f"table.{table}"), id=report.ids[0][:8]))
    show_warnings(report.warnings)


def _lacking(kind: str, values: dict[str, Any]) -> list[str]:
    known = kind == "departures" and values.get("person_id")
    return ["--" + s.name.replace("_", "-") for s in fields_of(kind)
            if s.required and s.entry and s.name not in values
            and not (known and s.name in _PERSON_FIELDS)]


def _make(name: str, kind: str) -> None:
    specs = fields_of(kind)

    @handled
    def command(db: Path | None = None, clerk: str | None = None, no_input: bool = False,
                **given: Any) -> None:
        values = {k: v for k, v in given.items() if v is not None}
        if no_input and (lacking := _lacking(kind, values)):
            raise fail(t("cli.missing", fields=", ".join(lacking)), 2)
        with open_db(db, clerk, no_input) as reg:
            if no_input:
                from ..records import add_one

                report = add_one(reg, kind, values)
                for spec in specs:
                    if spec.kind == "village" and values.get(spec.name) and report.ids:
                        note = entry.village_note(reg, str(entry.check(
                            reg, kind, spec, values[spec.name]).value))
                        if note:
                            echo(t("cli.warning", message=note), err=True)
            else:
                form = Form(reg, kind)
                for question in form.take(values):  # a refused option is asked at once
                    form.ask(question)
                form.ask_person()
                report = form.run()
            _saved(reg, kind, report)
            echo_anchor(reg)

    params = [
        inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, annotation=Db, default=None),
        inspect.Parameter("clerk", inspect.Parameter.KEYWORD_ONLY, annotation=Clerk, default=None),
        inspect.Parameter("no_input", inspect.Parameter.KEYWORD_ONLY, annotation=NoInput,
                          default=False),
    ]
    for spec in specs:
        option = typer.Option("--" + spec.name.replace("_", "-"), help=f"opt:{kind}:{spec.name}")
        params.append(inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY,
                                        annotation=Annotated[str | None, option], default=None))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    help_key = "help." + name.replace("-", "_")
    command.__doc__ = help_key
    app.command(name, help=help_key)(command)


for _name, _kind in COMMANDS.items():
    _make(_name, _kind)
