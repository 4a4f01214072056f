"""The clerk's script: ``register`` (or ``python -m register``).

A thin shell over the ``register`` API: each command parses options, calls one API function and
turns the library's named errors into a clear message and a non-zero exit code. Every sentence
goes through :func:`register.i18n.t`, the help of every command and option too: help texts are
catalogue keys, translated when the command line is read (:class:`LocalisedGroup`), after the
language is known - ``--lang``, ``REGISTER_LANG``, else the language saved in the register.
Heavy libraries are never imported here.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from .. import i18n
from ..errors import RegisterError, ValidationError, is_database_error, trouble
from ..i18n import t
from . import click_words, config
from .click_words import CLICK_WORDS  # noqa: F401  (re-exported for the tests)
from .helptext import localise

# -- the language, before the help is made ---------------------------------------------------

def _option_value(argv: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _peek_language(db: Path | None) -> str | None:
    """The language saved in a plain (unencrypted) register, read without opening it for
    writing; None for an encrypted file or anything else."""
    if db is None or not db.is_file():
        return None
    from ..platform import sqlite_uri

    try:
        conn = sqlite3.connect(sqlite_uri(db, mode="ro"), uri=True)
        try:
            return i18n.register_language(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def choose_language(argv: Sequence[str]) -> None:
    """Set this run's language from the command line, the environment and the register."""
    i18n.set_default_language(None)
    asked = _option_value(argv, "--lang")
    i18n.set_language(asked if asked in i18n.LANGUAGES else None)
    db_text = _option_value(argv, "--db")
    db = Path(db_text) if db_text else config.default_register()
    i18n.set_default_language(config.language_of(db) or _peek_language(db))


click_words.install()


class LocalisedGroup(TyperGroup):
    """The ``register`` group: the language is chosen, and every help text translated, before
    the command line is parsed (so ``register --lang km add-departure --help`` is Khmer)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             *more: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        choose_language(argv)
        localise(self)  # type: ignore[arg-type]
        return super().main(argv, prog_name, *more, **extra)


app = typer.Typer(
    name="register",
    cls=LocalisedGroup,
    help="help.app",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

Db = Annotated[Path | None, typer.Option("--db", help="help.db", dir_okay=False)]
NoInput = Annotated[bool, typer.Option("--no-input", help="help.no_input")]
Clerk = Annotated[str | None, typer.Option("--clerk", envvar="REGISTER_CLERK", help="help.clerk")]
Force = Annotated[bool, typer.Option("--force", help="help.force")]


# -- output ----------------------------------------------------------------------------------

def echo(message: str = "", err: bool = False) -> None:
    typer.echo(message, err=err)


def fail(message: str, code: int = 1) -> typer.Exit:
    echo(t("cli.error", message=message), err=True)
    return typer.Exit(code)


def show_problems(problems: list[Any]) -> None:
    for problem in problems:
        echo(t("cli.item", text=problem), err=True)


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
        except (KeyboardInterrupt, typer.Abort, click.Abort, EOFError):
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
    lang: Annotated[str | None, typer.Option("--lang", help="help.lang")] = None,
) -> None:
    try:
        i18n.set_language(lang)  # None: REGISTER_LANG, else the register's language
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
        raise fail(t("cli.passphrase_needed", env=env), 2)
    return typer.prompt(t("cli.passphrase"), hide_input=True, confirmation_prompt=confirm)


def need(value: Any, option: str, no_input: bool, prompt_key: str) -> Any:
    """A required option's value: given, else asked for (or, with --no-input, exit code 2)."""
    if value is not None:
        return value
    if no_input:
        raise fail(t("cli.missing", fields=option), 2)
    return typer.prompt(t(prompt_key))


KIND_TABLES = {"departures": "journeys", "persons": "persons", "returns": "returns",
               "referrals": "referrals", "agencies": "agencies", "brokers": "brokers",
               "warnings": "warnings"}


def kind_named(text: str | None) -> str | None:
    """A kind of records named in English (``departures``) or in Khmer (``ការចាកចេញ``)."""
    if text is None:
        return None
    wanted = text.strip().casefold()
    for kind, table in KIND_TABLES.items():
        if wanted == kind or any(wanted == i18n.t_in(lang, f"check.count.{table}").casefold()
                                 for lang in i18n.LANGUAGES):
            return kind
    return text.strip()


def level_named(text: str | None) -> str | None:
    """A level of the gazetteer named in English or in Khmer."""
    if text is None:
        return None
    wanted = text.strip().casefold()
    for level in ("province", "district", "commune", "village"):
        if wanted == level or any(wanted == i18n.t_in(lang, f"level.{level}")
                                  for lang in i18n.LANGUAGES):
            return level
    return text.strip()


def register_file(db: Path | None, no_input: bool) -> Path:
    """The register to open: ``--db``, else the only ``.db`` file here, else the one last used,
    else asked for (with ``--no-input``: exit code 2). A file found is named on screen."""
    if db is not None:
        return Path(db)
    found = config.default_register()
    if found is not None:
        echo(t("cli.using_register", path=found), err=True)
        return found
    return Path(need(None, "--db", no_input, "cli.ask_file"))


def _not_a_register(db: Path) -> bool:
    """A file that is certainly no register, encrypted or not: text (a CSV) or a zip (.xlsx)."""
    try:
        with db.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    if head.startswith(b"PK\x03\x04"):
        return True
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a text file cut inside a character is still text
        if exc.start < len(head) - 3:
            return False
        text = head[:exc.start].decode("utf-8")
    return len(text) >= 16 and all(c.isprintable() or c in "\r\n\t" for c in text)


def open_db(db: Path | None, clerk: str | None = None, no_input: bool = False) -> Any:
    """Open a register; an encrypted one asks for its passphrase (or reads REGISTER_PASSPHRASE).
    The register's language becomes this run's unless one was chosen; the file is remembered."""
    from ..db import open_register
    from ..errors import EncryptedRegisterError, NotARegisterError, note_place
    from ..output import leftovers

    db = register_file(db, no_input)
    note_place(db)
    for left in leftovers(db):  # an interrupted run's temporary file: say so, never hide it
        echo(t("cli.leftover", path=left), err=True)
    try:
        reg = open_register(db, actor=clerk)
    except EncryptedRegisterError:
        if _not_a_register(db):
            raise NotARegisterError(t("err.not_register_file", path=db)) from None
        reg = open_register(db, actor=clerk, passphrase=ask_passphrase(no_input))
    saved = i18n.register_language(reg.conn)
    i18n.set_default_language(saved)
    config.remember(db, saved)
    return reg


def echo_anchor(reg: Any) -> None:
    """End a writing command with the audit log's short code (to write down; see check)."""
    from ..audit import anchor_line

    echo(anchor_line(reg.conn))


def show_warnings(warnings: list[tuple[str, str, str]], limit: int = 20) -> None:
    for record_id, code, detail in warnings[:limit]:
        echo(t("cli.warning", message=f"{record_id[:8]}: " + i18n.warning_text(code, detail)))
    if len(warnings) > limit:
        echo(t("cli.more_warnings", n=len(warnings) - limit))


def counts_words(counts: dict[str, int], *, zeros: bool = False) -> str:
    """``3 departures, 3 persons`` in the clerk's language (nothing: a word for it)."""
    return ", ".join(t("cli.count", n=i18n.digits(n), what=t(f"check.count.{table}"))
                     for table, n in counts.items() if n or zeros) or t("cli.nothing")


def print_table(rows: list[dict[str, Any]]) -> None:
    """Rows as a table as wide as the terminal, columns wrapping between words; when even that
    does not fit (a narrow terminal, Khmer headers are long words), one record after another,
    each value under its label. No word - an id, a date, a Khmer word - is ever cut."""
    if not rows:
        echo(t("cli.no_results"))
        return
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    needed = 3 * (len(rows[0]) - 1)  # a column's padding and divider
    for header in rows[0]:
        words = [w for row in rows for w in str(row[header] or "").split()] + header.split()
        width = max(map(cell_len, words), default=1)
        needed += width
        table.add_column(header, min_width=width, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    if needed < console.width:
        console.print(table)
        return
    first, *others = list(rows[0])
    for row in rows:
        echo(str(row[first] or ""))
        for header in others:
            if row[header] not in (None, ""):
                echo(t("show.line", label=header, value=row[header]))


def main() -> None:
    from ..platform import configure_console

    configure_console()  # Khmer to a Windows console or a redirected (cp1252) pipe
    app(prog_name="register")
