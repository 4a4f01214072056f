"""Looking after the register file: create, check, back up, restore, (de)crypt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import i18n
from ..i18n import t
from .app import (
    Clerk,
    Db,
    NoInput,
    app,
    ask_passphrase,
    counts_words,
    echo,
    fail,
    handled,
    open_db,
    register_file,
)


def _ask_language(no_input: bool) -> str:
    """The commune's language: asked at init as a numbered menu (the current one by default)."""
    current = i18n.language()
    if no_input:
        return current
    from ..entry import Option
    from .ask import number_of, show_options

    options = [Option(lang, i18n.t_in(lang, "cli.language_name")) for lang in i18n.LANGUAGES]
    echo(t("cli.ask_language"))
    show_options(options)
    while True:
        typed = typer.prompt(t("cli.choose"), default="", show_default=False).strip()
        if not typed:
            return current
        number = number_of(typed, len(options))
        if number is not None:
            return options[number - 1].value
        if typed in i18n.LANGUAGES:
            return typed
        echo(t("cli.not_a_number", value=typed, n=i18n.digits(len(options))), err=True)


@app.command(help="help.init")
@handled
def init(
    commune: Annotated[str | None, typer.Option(help="help.init.commune")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="help.init.db")] = None,
    clerk: Clerk = None,
    language: Annotated[str | None, typer.Option("--language", help="help.init.language")] = None,
    encrypt: Annotated[bool, typer.Option("--encrypt", help="help.init.encrypt")] = False,
    no_input: NoInput = False,
) -> None:
    from .. import init_register
    from ..gazetteer import load_gazetteer
    from . import config

    if commune is None or db is None:
        if no_input:
            missing = [n for n, v in (("--commune", commune), ("--db", db)) if v is None]
            raise fail(t("cli.missing", fields=", ".join(missing)), 2)
        commune = commune or typer.prompt(t("cli.ask_commune"))
        db = db or Path(typer.prompt(t("cli.ask_file"), default=f"register-{commune}.db"))
    if language is not None and language not in i18n.LANGUAGES:
        raise fail(t("cli.bad_language", lang=language, languages=", ".join(i18n.LANGUAGES)), 2)
    language = language or _ask_language(no_input)
    i18n.set_default_language(language)
    passphrase = ask_passphrase(no_input, confirm=True) if encrypt else None
    reg = init_register(db, commune=commune, actor=clerk, passphrase=passphrase)
    with reg.write() as conn:
        i18n.save_register_language(conn, language)
    code = reg.commune_code or ""
    reg.close()
    config.remember(db, language)
    place = load_gazetteer().get(code)
    name = place.name_km if i18n.language() == "km" else f"{place.name_en} / {place.name_km}"
    echo(t("cli.created", commune=place.code, name=name, path=db,
           language=i18n.t_in(language, "cli.language_name")))
    if passphrase is None:  # names, phones and the key behind the export's pseudonyms, in clear
        echo(t("cli.unencrypted"), err=True)


Expect = Annotated[str | None, typer.Option("--expect", help="help.expect")]


@app.command(help="help.check")
@handled
def check(db: Db = None, expect: Expect = None, no_input: NoInput = False) -> None:
    from ..check import check_register

    with open_db(db, None, no_input) as reg:
        report = check_register(reg, expect=expect)
        path = reg.path
    echo(t("cli.check_counts", path=path, version=report.schema_version,
           counts=counts_words(report.counts, zeros=True)))
    if report.anchor is not None:
        echo(str(report.anchor), err=not report.anchor.ok)
        for entry in report.anchor.since[:50]:
            echo(t("audit.since_entry", **entry))
    if report.ok:
        echo(t("cli.check_ok"))
        echo(t("audit.anchor", code=report.code))
        return
    echo(t("cli.check_bad"), err=True)
    for line in [*report.problems, *map(str, report.audit_findings)]:
        echo(t("cli.item", text=line), err=True)
    raise typer.Exit(1)


@app.command(help="help.passphrase")
@handled
def passphrase(
    db: Db = None,
    decrypt: Annotated[bool, typer.Option("--decrypt", help="help.passphrase.decrypt")] = False,
    no_input: NoInput = False,
) -> None:
    from ..db import is_encrypted
    from ..exclusive import change_passphrase

    db = register_file(db, no_input)
    old = ask_passphrase(no_input) if is_encrypted(db) else None
    new = None
    if not decrypt:
        echo(t("cli.new_passphrase"))
        new = ask_passphrase(no_input, confirm=True, env="REGISTER_NEW_PASSPHRASE")
    change_passphrase(db, old, new)
    echo(t("cli.encrypted_now") if new else t("cli.decrypted_now"))


@app.command("backup", help="help.backup")
@handled
def backup_(
    db: Annotated[Path, typer.Option("--db", help="help.backup.db")],
    out: Annotated[Path, typer.Option("--out", help="help.backup.out")],
    no_input: NoInput = False,
) -> None:
    from ..backup import backup
    from ..db import is_encrypted
    from ..output import leftovers

    for left in leftovers(db):  # as every command that opens a register: say so, never hide it
        echo(t("cli.leftover", path=left), err=True)
    passphrase = ask_passphrase(no_input) if db.exists() and is_encrypted(db) else None
    info = backup(db, out, passphrase=passphrase)
    echo(t("cli.backup_written", path=info.path, records=info.records,
           sha=info.sha256[:16], sidecar=info.path.name + ".sha256"))


@app.command(help="help.restore")
@handled
def restore(
    backup_file: Annotated[Path, typer.Argument(metavar="metavar.backup", help="help.backup_file")],
    db: Annotated[Path, typer.Option("--db", help="help.restore.db")],
    no_input: NoInput = False,
) -> None:
    from ..backup import restore as run_restore
    from ..db import is_encrypted

    passphrase = ask_passphrase(no_input) if is_encrypted(backup_file) else None
    info = run_restore(backup_file, db, passphrase=passphrase)
    echo(t("cli.restored", db=db, backup=backup_file, records=info.records,
           aside=info.aside.name if info.aside else "-"))


@app.command("verify-backup", help="help.verify_backup")
@handled
def verify_backup_(
    backup_file: Annotated[Path, typer.Argument(metavar="metavar.backup", help="help.backup_file")],
    expect: Expect = None,
    no_input: NoInput = False,
) -> None:
    from ..backup import verify_backup
    from ..db import is_encrypted

    passphrase = ask_passphrase(no_input) if is_encrypted(backup_file) else None
    info = verify_backup(backup_file, passphrase=passphrase, expect=expect)
    echo(t("cli.backup_verified", path=backup_file, records=info.records))
