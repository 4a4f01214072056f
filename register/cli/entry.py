"""``register add-departure`` and friends, generated from the field declarations.

Each field of ``register.model`` is an option (``--home-village``, ``--has-passport`` ...). A
field not given is asked for at a prompt, which re-asks until the value passes its rule, unless
``--no-input`` is set, in which case a missing required field is an error (exit code 2).
"""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from ..i18n import t
from ..model import PROMPT_SKIP, Field, fields_of
from .app import (
    Clerk,
    Db,
    NoInput,
    app,
    echo,
    echo_anchor,
    fail,
    handled,
    need,
    open_db,
    show_warnings,
)

COMMANDS = {
    "add-departure": ("departures", "Record a departure: the person and their journey."),
    "add-return": ("returns", "Record a return and what happened abroad."),
    "add-referral": ("referrals", "Record a referral to a service."),
    "add-agency": ("agencies", "Record a recruitment agency (MOLVT licence)."),
    "add-broker": ("brokers", "Record a broker (informal recruiter) active in the commune."),
}
_PERSON_FIELDS = ("sex", "home_village", "name", "national_id", "phone", "birth_date", "birth_year")


def _ask(spec: Field) -> Any:
    """Prompt until the value passes the field's rule (Enter skips an optional field)."""
    from ..validation import clean_value

    label = t(f"field.{spec.name}")
    if spec.choices:
        label = t("cli.prompt_choice", label=label, choices="/".join(spec.choices))
    elif spec.kind == "bool":
        label = t("cli.prompt_choice", label=label, choices="y/n")
    if not spec.required:
        label = t("cli.prompt_optional", label=label)
    while True:
        raw = typer.prompt(label, default="", show_default=False)
        if not raw.strip():
            if spec.required:
                echo("  " + t("rule.required"), err=True)
                continue
            return None
        _, problem = clean_value(spec, raw, dt.date.today())
        if problem is None:
            return raw
        echo("  " + problem.message(), err=True)


def _make(name: str, kind: str, help_text: str) -> None:
    specs = fields_of(kind)

    @handled
    def command(db: Path | None = None, clerk: str | None = None, no_input: bool = False,
                **given: Any) -> None:

        db = Path(need(db, "--db", no_input, "cli.ask_file"))
        values = {k: v for k, v in given.items() if v is not None}
        missing = [s for s in specs if s.name not in values
                   and (s.required or s.name not in PROMPT_SKIP)]
        if kind == "departures" and values.get("person_id"):  # a new journey of a known person
            missing = [s for s in missing if s.name not in _PERSON_FIELDS]
        if no_input:
            lacking = ["--" + s.name.replace("_", "-") for s in missing if s.required]
            if lacking:
                raise fail(t("cli.missing", fields=", ".join(lacking)), 2)
        else:
            for spec in missing:
                answer = _ask(spec)
                if answer is not None:
                    values[spec.name] = answer
        from ..records import add_one

        with open_db(db, clerk, no_input) as reg:
            report = add_one(reg, kind, values)
            if report.ids:
                echo(t("cli.saved", what=kind.rstrip("s"), id=report.ids[0]))
            show_warnings(report.warnings)
            echo_anchor(reg)

    params = [
        inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, annotation=Db, default=None),
        inspect.Parameter("clerk", inspect.Parameter.KEYWORD_ONLY, annotation=Clerk, default=None),
        inspect.Parameter("no_input", inspect.Parameter.KEYWORD_ONLY, annotation=NoInput,
                          default=False),
    ]
    for spec in specs:
        help_field = t(f"field.{spec.name}")
        if spec.choices:
            help_field += " [" + "|".join(spec.choices) + "]"
        option = typer.Option("--" + spec.name.replace("_", "-"), help=help_field)
        params.append(inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY,
                                        annotation=Annotated[str | None, option], default=None))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = help_text
    app.command(name, help=help_text)(command)


for _name, (_kind, _help) in COMMANDS.items():
    _make(_name, _kind, _help)
