"""The clerk's script: ``register`` (or ``python -m register``).

A thin shell over the ``register`` API: each command parses options, calls one API function and
turns the library's named errors into a clear message and a non-zero exit code. Every sentence
goes through :func:`register.i18n.t`. Heavy libraries are never imported here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import i18n
from ..errors import RegisterError, ValidationError, is_database_error, trouble
from ..i18n import t

app = typer.Typer(
    name="register",
    help="The commune migration register: record departures, returns, referrals, agencies and "
    "brokers; import, export and check the register file.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

Db = Annotated[Path | None, typer.Option("--db", help="The register file (.db); asked for when "
                                         "missing.", dir_okay=False)]
NoInput = Annotated[bool, typer.Option("--no-input", help="Never prompt; fail if a value is missing.")]
Force = Annotated[bool, typer.Option("--force", help=t("cli.force"))]
Clerk = Annotated[str | None, typer.Option("--clerk", envvar="REGISTER_CLERK",
                                           help="Who is entering records (kept in the audit log).")]


def echo(message: str = "", err: bool = False) -> None:
    typer.echo(message, err=err)


def fail(message: str, code: int = 1) -> typer.Exit:
    echo(t("cli.error", message=message), err=True)
    return typer.Exit(code)


def show_problems(problems: list[Any]) -> None:
    for problem in problems:
        echo(f"  - {problem}", err=True)


def handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's errors into messages and exit codes (never a traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            echo(t("cli.refused", n=len(exc.problems)), err=True)
            show_problems(exc.problems)
            raise typer.Exit(1) from None
        except RegisterError as exc:
            raise fail(str(exc)) from None
        except (KeyboardInterrupt, typer.Abort, EOFError):
            echo("\n" + t("cli.interrupted"), err=True)
            raise typer.Exit(130) from None
        except OSError as exc:
            raise fail(trouble(exc)) from None
        except Exception as exc:  # SQLite or SQLCipher: full disk, no permission, damage
            if not is_database_error(exc):
                raise
            raise fail(trouble(exc)) from None

    return wrapper


@app.callback()
def main_options(
    lang: Annotated[str | None, typer.Option("--lang", help="Language of messages: en or km.")] = None,
) -> None:
    try:
        i18n.set_language(lang)  # None: REGISTER_LANG or English
    except ValueError as exc:
        raise fail(str(exc)) from None


PASSPHRASE_ENV = "REGISTER_PASSPHRASE"


def ask_passphrase(no_input: bool, *, confirm: bool = False, env: str = PASSPHRASE_ENV) -> str:
    """The passphrase from the environment variable, else asked for (never echoed)."""
    import os

    value = os.environ.get(env)
    if value:
        return value
    if no_input:
        raise fail(f"the register is encrypted: set {env} or run without --no-input", 2)
    return typer.prompt(t("cli.passphrase"), hide_input=True, confirmation_prompt=confirm)


def need(value: Any, option: str, no_input: bool, prompt_key: str) -> Any:
    """A required option's value: given, else asked for (or, with --no-input, exit code 2)."""
    if value is not None:
        return value
    if no_input:
        raise fail(t("cli.missing", fields=option), 2)
    return typer.prompt(t(prompt_key))


def open_db(db: Path | None, clerk: str | None = None, no_input: bool = False) -> Any:
    """Open a register; an encrypted one asks for its passphrase (or reads REGISTER_PASSPHRASE)."""
    from ..db import open_register
    from ..errors import EncryptedRegisterError, note_place
    from ..output import leftovers

    db = Path(need(db, "--db", no_input, "cli.ask_file"))
    note_place(db)
    for left in leftovers(db):  # an interrupted run's temporary file: say so, never hide it
        echo(t("cli.leftover", path=left), err=True)
    try:
        return open_register(db, actor=clerk)
    except EncryptedRegisterError:
        return open_register(db, actor=clerk, passphrase=ask_passphrase(no_input))


def echo_anchor(reg: Any) -> None:
    """End a writing command with the audit log's short code (to write down; see check)."""
    from ..audit import anchor_line

    echo(anchor_line(reg.conn))


def show_warnings(warnings: list[tuple[str, str, str]], limit: int = 20) -> None:
    for record_id, code, detail in warnings[:limit]:
        echo(t("cli.warning", message=f"{record_id[:8]}: " + t(f"warn.{code}", detail=detail)))
    if len(warnings) > limit:
        echo(f"... {len(warnings) - limit} more warnings (see 'register show ID').")


def print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        echo(t("cli.no_results"))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*rows[0].keys())
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    Console(width=200).print(table)


def main() -> None:
    from ..platform import configure_console

    configure_console()  # Khmer to a Windows console or a redirected (cp1252) pipe
    app(prog_name="register")
