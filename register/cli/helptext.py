"""The help of every command and option, in the clerk's language.

Help texts are declared as catalogue keys (``help="help.check"``); an option of a record field
is declared ``opt:KIND:FIELD``, and an argument's metavar ``metavar.KEY``. :func:`localise`
turns the keys of a built command tree into text once the language is known (see
:class:`register.cli.app.LocalisedGroup`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from .. import entry, i18n
from ..i18n import language, t
from ..model import fields_of


def field_help(kind: str, name: str) -> str:
    """The help of a field's option: its label, and what it accepts."""
    spec = next(s for s in fields_of(kind) if s.name == name)
    text = t(spec.label_key)
    if spec.kind == "choice":  # in Khmer the labels (accepted as answers), in English the codes
        words = [o.label if language() == "km" else f"{o.value} = {o.label}"
                 for o in entry.choices(spec)]
        return t("cli.help_choices", label=text, choices=", ".join(words))
    hint = {"country": "cli.help_country", "countries": "cli.help_countries",
            "village": "cli.help_village", "bool": "cli.help_bool", "date": "cli.help_date",
            "id": "cli.help_link"}.get(spec.kind)
    return t("cli.prompt_hint", label=text, hint=t(hint)) if hint else text


def help_text(key: str) -> str:
    """A help text from its catalogue key (``opt:KIND:FIELD``: a record field's option)."""
    if key.startswith("opt:"):
        _, kind, name = key.split(":", 2)
        return field_help(kind, name)
    return t(key) if key in i18n.catalogue("en") else key


def _walk(command: click.Command) -> Iterator[Any]:
    yield command
    yield from command.params
    for sub in getattr(command, "commands", {}).values():
        yield from _walk(sub)


def localise(command: click.Command) -> None:
    """Translate the help of a command, its options and its sub-commands (from their keys).
    (Typer's commands are those of the click it carries: alike, but not click's classes.)"""
    for item in _walk(command):
        key = getattr(item, "_help_key", None) or getattr(item, "help", None)
        if isinstance(key, str) and (key.startswith("opt:") or key in i18n.catalogue("en")):
            item._help_key = key
            item.help = help_text(key)
        key = getattr(item, "_metavar_key", None) or getattr(item, "metavar", None)
        if isinstance(key, str) and key.startswith("metavar."):
            item._metavar_key = key
            item.metavar = t(key)
