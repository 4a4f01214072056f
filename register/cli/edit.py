"""Changing what is recorded: corrections and voided records, with a reason kept in the audit
log."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..i18n import t
from .app import Clerk, Db, NoInput, app, echo, echo_anchor, fail, handled, need, open_db


@app.command(help="help.correct")
@handled
def correct(
    record_id: Annotated[str, typer.Argument(metavar="metavar.id", help="help.record_id")],
    db: Db = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="help.correct.set")] = None,
    reason: Annotated[str | None, typer.Option(help="help.reason")] = None,
    clerk: Clerk = None,
    no_input: NoInput = False,
) -> None:
    from ..correct import correct as run_correct
    from ..entry import describe
    from ..model import MODEL
    from ..query import find

    changes: dict[str, str] = {}
    for item in set_ or []:
        if "=" not in item:
            raise fail(t("cli.set_syntax", item=item), 2)
        name, value = item.split("=", 1)
        changes[name.strip()] = value
    if not changes or not reason:
        if no_input:
            missing = [n for n, v in (("--set", changes), ("--reason", reason)) if not v]
            raise fail(t("cli.missing", fields=", ".join(missing)), 2)
        if not changes:
            name = typer.prompt(t("cli.ask_field"))
            changes[name] = typer.prompt(t("cli.ask_value"))
        reason = reason or typer.prompt(t("cli.ask_reason"))
    with open_db(db, clerk, no_input) as reg:
        found = find(reg, record_id)
        specs = {f.name: f for _, f in MODEL.fields()}
        changes = {_field_named(name, specs): value for name, value in changes.items()}
        done = run_correct(reg, record_id, changes, reason or "")
        words = {name: (describe(reg, specs[name], old), describe(reg, specs[name], new))
                 for name, (old, new) in done.items() if name in specs}
        if not done:
            echo(t("cli.nothing_changed", id=found.id[:8]))
        for name, (old, new) in words.items():
            echo(t("cli.corrected", field=t(f"field.{name}"), old=old, new=new))
        if done:
            echo_anchor(reg)


def _field_named(text: str, specs: dict[str, Any]) -> str:
    """A field named by its name or by its label in either language."""
    from ..i18n import LANGUAGES, t_in

    wanted = text.strip().casefold()
    if wanted in specs:
        return wanted
    for name, spec in specs.items():
        if any(t_in(lang, spec.label_key).casefold() == wanted for lang in LANGUAGES):
            return name
    return text.strip()


@app.command(help="help.void")
@handled
def void(
    record_id: Annotated[str, typer.Argument(metavar="metavar.id", help="help.record_id")],
    db: Db = None,
    reason: Annotated[str | None, typer.Option(help="help.void.reason")] = None,
    clerk: Clerk = None,
    no_input: NoInput = False,
) -> None:
    from ..void import void as run_void

    reason = need(reason or None, "--reason", no_input, "cli.ask_void_reason")
    with open_db(db, clerk, no_input) as reg:
        done = run_void(reg, record_id, reason)
    first, rest = done[0], done[1:]
    echo(t("cli.voided", what=t(f"table.{first.table}"), id=first.record_id[:8]))
    for other in rest:
        echo(t("cli.item", text=t("cli.voided_with", what=t(f"table.{other.table}"),
                                  id=other.record_id[:8])))


@app.command(help="help.erase")
@handled
def erase(
    person_id: Annotated[str, typer.Argument(metavar="metavar.id", help="help.erase.person")],
    db: Db = None,
    reason: Annotated[str | None, typer.Option(help="help.erase.reason")] = None,
    clerk: Clerk = None,
    no_input: NoInput = False,
) -> None:
    from ..erase import erase as run_erase

    reason = need(reason or None, "--reason", no_input, "cli.ask_reason")
    with open_db(db, clerk, no_input) as reg:
        report = run_erase(reg, person_id, reason)
        echo(t("erase.done", person=report.person_id,
               fields=", ".join(report.fields) or "-"))
        if not report.wal_emptied:
            echo(t("erase.wal_busy"), err=True)
        echo_anchor(reg)
