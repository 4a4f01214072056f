"""Typer's and click's own words (``Usage:``, ``Error:``, ``Missing argument`` ...) in the
clerk's language.

Click asks :mod:`gettext` for some of its words: those are answered from our catalogue
(:data:`CLICK_WORDS`). The click that Typer carries inside it writes others as plain English:
the few methods that print them are wrapped here to print the catalogue's words instead. Every
wrap checks that what it wraps exists, so another version of Typer loses the translation of a
word, never the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, Any

from .. import i18n
from ..i18n import t

# Click's own words (usage, errors): the English text click asks gettext for -> our key.
CLICK_WORDS = {
    "Usage:": "click.usage", "Options": "click.options", "Commands": "click.commands",
    "Arguments": "click.arguments", "Show this message and exit.": "click.help",
    "Error: {message}": "click.error", "Missing option": "click.missing_option",
    "Missing argument": "click.missing_argument", "Missing command.": "click.missing_command",
    "Missing parameter": "click.missing_parameter",
    "No such option {name!r}.": "click.no_option", "No such command {name!r}.": "click.no_command",
    "Try '{command} {option}' for help.": "click.try_help",
    "Invalid value for {param_hint}: {message}": "click.invalid_for",
    "Invalid value: {message}": "click.invalid", "Aborted!": "click.aborted",
    "default: {default}": "click.default", "required": "click.required",
    "env var: {var}": "click.env_var", "{value!r} is not a valid {number_type}.": "click.number",
    "Option {name!r} does not take a value.": "click.no_value",
    "Option {name!r} requires an argument.": "click.needs_value",
    "Got unexpected extra argument ({args})": "click.extra_argument",
    "Got unexpected extra arguments ({args})": "click.extra_arguments",
    "Did you mean {possibility}?": "click.did_you_mean",
    "(Did you mean one of: {possibilities}?)": "click.did_you_mean_one_of",
}


def click_text(message: str) -> str:
    """Click's message in the clerk's language (click fills in its placeholders itself)."""
    key = CLICK_WORDS.get(message)
    return (i18n.catalogue(i18n.language()).get(key) or message) if key else message


def _plural(singular: str, plural: str, n: int) -> str:
    return click_text(singular if n == 1 else plural)


def _wrap(cls: Any, name: str, make: Callable[[Any], Any]) -> None:
    original = getattr(cls, name, None)
    if original is not None and not getattr(original, "_localised", False):
        wrapped = make(original)
        wrapped._localised = True
        setattr(cls, name, wrapped)


def _hint(param: Any, ctx: Any) -> str:
    try:
        hint = param.get_error_hint(ctx) if param is not None else None
    except TypeError:
        hint = param.get_error_hint()
    return hint or ""


def _usage_error_show(original: Any) -> Any:
    def show(self: Any, file: IO[Any] | None = None) -> None:
        out = file or sys.stderr
        ctx = getattr(self, "ctx", None)
        if ctx is not None:
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = t("click.try_help", command=ctx.command_path,
                         option=ctx.help_option_names[0]) + "\n"
            out.write(f"{ctx.get_usage()}\n{hint}")
        out.write(t("click.error", message=self.format_message()) + "\n")
    return show


def _exception_show(original: Any) -> Any:
    def show(self: Any, file: IO[Any] | None = None) -> None:
        (file or sys.stderr).write(t("click.error", message=self.format_message()) + "\n")
    return show


def _missing_message(original: Any) -> Any:
    def format_message(self: Any) -> str:
        kind = str(getattr(self, "param_type", None)
                   or getattr(self.param, "param_type_name", "") or "")
        key = {"argument": "click.missing_argument", "option": "click.missing_option"}.get(
            kind, "click.missing_parameter")
        hint = _hint(getattr(self, "param", None), getattr(self, "ctx", None))
        return t(key) + (f" {hint}" if hint else "") + "."
    return format_message


def _bad_parameter_message(original: Any) -> Any:
    def format_message(self: Any) -> str:
        hint = getattr(self, "param_hint", None)
        if hint is None and getattr(self, "param", None) is not None:
            hint = _hint(self.param, getattr(self, "ctx", None))
        if not hint:
            return t("click.invalid", message=self.message)
        if not isinstance(hint, str):
            hint = " / ".join(repr(h) for h in hint)
        return t("click.invalid_for", param_hint=hint, message=self.message)
    return format_message


def _no_such_option_message(original: Any) -> Any:
    def format_message(self: Any) -> str:
        text = t("click.no_such_option", name=getattr(self, "option_name", ""))
        options = getattr(self, "possibilities", None)
        if options:
            text += " " + t("click.possible_options", options=", ".join(sorted(options)))
        return text
    return format_message


def _write_usage(original: Any) -> Any:
    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        original(self, prog, args, t("click.usage") + " " if prefix is None else prefix)
    return write_usage


def _help_option(original: Any) -> Any:
    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original(self, ctx)
        if option is not None:
            option.help = t("click.help")
        return option
    return get_help_option


def _display_type(original: Any) -> Any:
    def display_type(self: Any, ctx: Any) -> str:
        shown = original(self, ctx)
        bare = shown.strip("<>") if isinstance(shown, str) else ""
        key = {"str": "click.type_text", "file": "click.type_file", "path": "click.type_file",
               "directory": "click.type_folder", "int": "click.type_number",
               "float": "click.type_number", "list[str]": "click.type_texts",
               "list[file]": "click.type_files", "list[path]": "click.type_files"}.get(bare)
        return f"<{t(key)}>" if key else shown
    return display_type


def install() -> None:
    """Translate click's words from now on (idempotent)."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types
    import typer.core

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser,
                   click.types, typer.core):
        if hasattr(module, "_"):
            module._ = click_text  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _plural  # type: ignore[attr-defined]
    try:  # the click that Typer carries (Typer 0.20 and later)
        from typer._click import core as vcore
        from typer._click import exceptions as vexc
        from typer._click import formatting as vfmt
    except ImportError:
        return
    _wrap(vexc.ClickException, "show", _exception_show)
    _wrap(vexc.UsageError, "show", _usage_error_show)
    _wrap(vexc.BadParameter, "format_message", _bad_parameter_message)
    _wrap(vexc.MissingParameter, "format_message", _missing_message)
    _wrap(vexc.NoSuchOption, "format_message", _no_such_option_message)
    _wrap(vfmt.HelpFormatter, "write_usage", _write_usage)
    _wrap(vcore.Command, "get_help_option", _help_option)
    _wrap(getattr(typer.core, "_TyperParameter", None), "display_type", _display_type)
