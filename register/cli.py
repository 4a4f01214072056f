"""The clerk's script: ``register`` (or ``python -m register``).

A thin shell over the ``register`` API: each command parses options, calls one API function and
turns the library's named errors into a clear message and a non-zero exit code. Every sentence
goes through :func:`register.i18n.t`. Heavy libraries are never imported here.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from . import i18n
from .errors import RegisterError, ValidationError
from .i18n import t

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
            raise fail(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": ")) from None
        except sqlite3.DatabaseError as exc:  # damage past the first page of the file
            raise fail(t("cli.damaged", error=str(exc))) from None

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


def _open(db: Path | None, clerk: str | None = None, no_input: bool = False) -> Any:
    """Open a register; an encrypted one asks for its passphrase (or reads REGISTER_PASSPHRASE)."""
    from .db import open_register
    from .errors import EncryptedRegisterError

    db = Path(need(db, "--db", no_input, "cli.ask_file"))
    try:
        return open_register(db, actor=clerk)
    except EncryptedRegisterError:
        return open_register(db, actor=clerk, passphrase=ask_passphrase(no_input))


@app.command()
@handled
def init(
    commune: Annotated[str | None, typer.Option(help="6-digit NCDD commune code.")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="The register file to create.")] = None,
    clerk: Clerk = None,
    encrypt: Annotated[bool, typer.Option(
        "--encrypt", help=f"Encrypt the file with a passphrase (asked, or ${PASSPHRASE_ENV}).")
    ] = False,
    no_input: NoInput = False,
) -> None:
    """Create a commune's register file."""
    from . import init_register
    from .gazetteer import load_gazetteer

    if commune is None or db is None:
        if no_input:
            missing = [n for n, v in (("--commune", commune), ("--db", db)) if v is None]
            raise fail(t("cli.missing", fields=", ".join(missing)), 2)
        commune = commune or typer.prompt(t("cli.ask_commune"))
        db = db or Path(typer.prompt(t("cli.ask_file"), default=f"register-{commune}.db"))
    passphrase = ask_passphrase(no_input, confirm=True) if encrypt else None
    reg = init_register(db, commune=commune, actor=clerk, passphrase=passphrase)
    place = load_gazetteer().get(reg.commune_code or "")
    echo(t("cli.created", commune=place.code, name=f"{place.name_en} / {place.name_km}", path=db))


@app.command()
@handled
def lookup(
    query: Annotated[str, typer.Argument(help="A name in Khmer or Latin letters, or a code.")],
    level: Annotated[str | None, typer.Option(help="province, district, commune or village.")] = None,
    limit: int = 20,
    no_input: NoInput = False,
) -> None:
    """Find the gazetteer code of a place by its Khmer or Latin name."""
    from .gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    hits = gazetteer.search(query, level=level, limit=limit)
    if not hits:
        echo(t("cli.no_results"))
        raise typer.Exit(1)
    for place in hits:
        where = " / ".join(p.name_en for p in gazetteer.lineage(place.code)[:-1])
        echo(f"{place.code}  {place.level:<8}  {place.name_km}  {place.name_en}"
             + (f"  ({where})" if where else ""))


@app.command()
@handled
def template(
    kind: Annotated[str, typer.Argument(help="departures, returns, referrals, agencies or brokers.")],
    no_input: NoInput = False,
) -> None:
    """Print the CSV header line of an import file of KIND."""
    from .io import template as make_template

    sys.stdout.write(make_template(kind))


@app.command("import")
@handled
def import_(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or Excel (.xlsx) file.")],
    kind: Annotated[str | None, typer.Option(
        help="departures, returns, referrals, agencies or brokers.")] = None,
    db: Db = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, write nothing.")] = False,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name (default: the first).")] = None,
    clerk: Clerk = None,
    no_input: NoInput = False,
) -> None:
    """Import many records from a file: all rows or none."""
    from .io import import_file

    kind = need(kind, "--kind", no_input, "cli.ask_kind")

    with _open(db, clerk, no_input) as reg:
        report = import_file(reg, file, kind, dry_run=dry_run, sheet=sheet)
    written = ", ".join(f"{n} {table}" for table, n in report.written.items()) or "nothing"
    if dry_run:
        if report.problems:
            echo(t("cli.dry_run_bad", n=len(report.problems)), err=True)
            show_problems(report.problems)
            raise typer.Exit(1)
        echo(t("cli.dry_run_ok", rows=report.rows, written=written))
    else:
        echo(t("cli.imported", rows=report.rows, file=file.name, written=written))
    if report.already_present:
        echo(t("cli.already", n=report.already_present))
    _show_warnings(report.warnings)


def _show_warnings(warnings: list[tuple[str, str, str]], limit: int = 20) -> None:
    for record_id, code, detail in warnings[:limit]:
        echo(t("cli.warning", message=f"{record_id[:8]}: " + t(f"warn.{code}", detail=detail)))
    if len(warnings) > limit:
        echo(f"... {len(warnings) - limit} more warnings (see 'register show ID').")


@app.command()
@handled
def export(
    db: Db = None,
    out: Annotated[Path | None, typer.Option("--out", help="The export file: .csv or .db")] = None,
    level: Annotated[str, typer.Option(
        help="detailed, standard (no exact age, dates to the month) or strict (also no commune)."
    )] = "standard",
    k: Annotated[int, typer.Option(help="Report groups smaller than k (k-anonymity).")] = 5,
    no_input: NoInput = False,
) -> None:
    """Write the researcher export: no names, ID numbers or phones."""
    from .export import export_with_report

    out = Path(need(out, "--out", no_input, "cli.ask_out"))
    with _open(db, None, no_input) as reg:
        rows, report = export_with_report(reg, out, level=level, k=k)
    echo(t("cli.exported", rows=rows, path=out))
    echo(report.summary())


@app.command()
@handled
def check(db: Db = None, no_input: NoInput = False) -> None:
    """Check the register file: integrity, links, codes, and the audit log's hash chain."""
    from .check import check_register

    with _open(db, None, no_input) as reg:
        report = check_register(reg)
        path = reg.path
    counts = ", ".join(f"{n} {table}" for table, n in report.counts.items())
    echo(f"{path}: schema {report.schema_version}; {counts}")
    if report.ok:
        echo(t("cli.check_ok"))
        return
    echo(t("cli.check_bad"), err=True)
    for line in [*report.problems, *map(str, report.audit_findings)]:
        echo(f"  - {line}", err=True)
    raise typer.Exit(1)


@app.command("list")
@handled
def list_(
    kind: Annotated[str, typer.Argument(help="departures, persons, returns, referrals, agencies, brokers")],
    db: Db = None,
    limit: int = 50,
    no_input: NoInput = False,
) -> None:
    """List the most recent records of KIND."""
    from .query import list_records

    with _open(db, None, no_input) as reg:
        rows = list_records(reg, kind, limit=limit)
    _table(rows)


@app.command()
@handled
def show(
    record_id: Annotated[str, typer.Argument(help="A record id, or its first 6+ characters.")],
    db: Db = None,
    no_input: NoInput = False,
) -> None:
    """Show a record with everything that belongs to it."""
    from .query import details, find

    with _open(db, None, no_input) as reg:
        parts = details(reg, find(reg, record_id))
    for table, rows in parts.items():
        if rows:
            echo(f"[{table}]")
            for row in rows:
                for key, value in row.items():
                    if value is not None:
                        echo(f"  {key}: {value}")
                echo()


@app.command()
@handled
def search(
    text: Annotated[str, typer.Argument(help="Part of a name, ID number, phone or licence.")],
    db: Db = None,
    no_input: NoInput = False,
) -> None:
    """Search persons, agencies and brokers."""
    from .query import search as run_search

    with _open(db, None, no_input) as reg:
        rows = run_search(reg, text)
    _table(rows)


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
    from .query import correct as run_correct

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
    with _open(db, clerk, no_input) as reg:
        done = run_correct(reg, record_id, changes, reason or "")
    for name, (old, new) in done.items():
        echo(t("cli.corrected", field=name, old=old, new=new))


@app.command()
@handled
def passphrase(
    db: Db = None,
    decrypt: Annotated[bool, typer.Option("--decrypt", help="Remove the encryption.")] = False,
    no_input: NoInput = False,
) -> None:
    """Encrypt a register, change its passphrase, or decrypt it."""
    from .db import change_passphrase, is_encrypted

    db = Path(need(db, "--db", no_input, "cli.ask_file"))
    old = ask_passphrase(no_input) if is_encrypted(db) else None
    new = None
    if not decrypt:
        echo("New passphrase (at least 8 characters):")
        new = ask_passphrase(no_input, confirm=True, env="REGISTER_NEW_PASSPHRASE")
    change_passphrase(db, old, new)
    echo("The register is now " + ("encrypted with the new passphrase." if new else "decrypted."))


def _table(rows: list[dict[str, Any]]) -> None:
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
    from . import cli_add, cli_more  # noqa: F401  (they add their commands to ``app``)

    app(prog_name="register")
