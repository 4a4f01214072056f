"""Changing what is recorded: corrections, with a reason kept in the audit log."""

from __future__ import annotations

from typing import Annotated

import typer

from ..i18n import t
from .app import Clerk, Db, NoInput, app, echo, echo_anchor, fail, handled, open_db


@app.command()
@handled
def correct(
    record_id: Annotated[str, typer.Argument(help="A record id, or its first 6+ characters.")],
    db: Db = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="FIELD=VALUE (repeatable).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
    clerk: Clerk = None,
    no_input: NoInput = False,
) -> None:
    """Correct fields of a record; the old values stay in the audit log."""
    from ..correct import correct as run_correct

    changes: dict[str, str] = {}
    for item in set_ or []:
        if "=" not in item:
            raise fail(f"--set takes FIELD=VALUE, not {item!r}", 2)
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
        done = run_correct(reg, record_id, changes, reason or "")
        for name, (old, new) in done.items():
            echo(t("cli.corrected", field=name, old=old, new=new))
        echo_anchor(reg)


@app.command()
@handled
def erase(
    person_id: Annotated[str, typer.Argument(help="The person's id (or a journey's), or its "
                                             "first 6+ characters.")],
    db: Db = None,
    reason: Annotated[str | None, typer.Option(help="Why (the request; kept in the audit log).")
                      ] = None,
    clerk: Clerk = None,
    no_input: NoInput = False,
) -> None:
    """Erase a person's names, ID numbers and phones on their request; their journeys stay."""
    from ..erase import erase as run_erase

    if not reason:
        if no_input:
            raise fail(t("cli.missing", fields="--reason"), 2)
        reason = typer.prompt(t("cli.ask_reason"))
    with open_db(db, clerk, no_input) as reg:
        report = run_erase(reg, person_id, reason or "")
        echo(t("erase.done", person=report.person_id,
               fields=", ".join(report.fields) or "-"))
        if not report.wal_emptied:
            echo(t("erase.wal_busy"), err=True)
        echo_anchor(reg)
