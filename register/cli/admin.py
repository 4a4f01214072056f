"""Looking after the register file: create, check, back up, restore, (de)crypt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import t
from .app import PASSPHRASE_ENV, Clerk, Db, NoInput, app, ask_passphrase, echo, fail, handled, need, open_db


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
    from .. import init_register
    from ..gazetteer import load_gazetteer

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
    if passphrase is None:  # names, phones and the key behind the export's pseudonyms, in clear
        echo(t("cli.unencrypted"), err=True)


Expect = Annotated[str | None, typer.Option(
    "--expect", help="A code of the audit log written down earlier (e.g. 14-7KQ9-M2XC): the "
    "history must still contain it.")]


@app.command()
@handled
def check(db: Db = None, expect: Expect = None, no_input: NoInput = False) -> None:
    """Check the register file: integrity, links, codes, and the audit log's hash chain."""
    from ..check import check_register

    with open_db(db, None, no_input) as reg:
        report = check_register(reg, expect=expect)
        path = reg.path
    counts = ", ".join(f"{n} {table}" for table, n in report.counts.items())
    echo(f"{path}: schema {report.schema_version}; {counts}")
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
        echo(f"  - {line}", err=True)
    raise typer.Exit(1)


@app.command()
@handled
def passphrase(
    db: Db = None,
    decrypt: Annotated[bool, typer.Option("--decrypt", help="Remove the encryption.")] = False,
    no_input: NoInput = False,
) -> None:
    """Encrypt a register, change its passphrase, or decrypt it."""
    from ..db import is_encrypted
    from ..exclusive import change_passphrase

    db = Path(need(db, "--db", no_input, "cli.ask_file"))
    old = ask_passphrase(no_input) if is_encrypted(db) else None
    new = None
    if not decrypt:
        echo("New passphrase (at least 8 characters):")
        new = ask_passphrase(no_input, confirm=True, env="REGISTER_NEW_PASSPHRASE")
    change_passphrase(db, old, new)
    echo("The register is now " + ("encrypted with the new passphrase." if new else "decrypted."))


@app.command("backup")
@handled
def backup_(
    db: Annotated[Path, typer.Option("--db", help="The register to back up (may be in use).")],
    out: Annotated[Path, typer.Option("--out", help="The backup file to create.")],
    no_input: NoInput = False,
) -> None:
    """Make a checked backup of a register, even while it is in use."""
    from ..backup import backup
    from ..db import is_encrypted

    passphrase = ask_passphrase(no_input) if db.exists() and is_encrypted(db) else None
    info = backup(db, out, passphrase=passphrase)
    echo(f"Backup written and checked: {info.path} ({info.records} records; "
         f"SHA-256 {info.sha256[:16]}... in {info.path.name}.sha256)")


@app.command()
@handled
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A backup made by 'register backup'.")],
    db: Annotated[Path, typer.Option("--db", help="The register to replace.")],
    no_input: NoInput = False,
) -> None:
    """Restore a register from a verified backup (the current file is kept aside)."""
    from ..backup import restore as run_restore
    from ..db import is_encrypted

    passphrase = ask_passphrase(no_input) if is_encrypted(backup_file) else None
    info = run_restore(backup_file, db, passphrase=passphrase)
    echo(t("cli.restored", db=db, backup=backup_file, records=info.records,
             aside=info.aside.name if info.aside else "-"))


@app.command("verify-backup")
@handled
def verify_backup_(
    backup_file: Annotated[Path, typer.Argument(help="A backup made by 'register backup'.")],
    expect: Expect = None,
    no_input: NoInput = False,
) -> None:
    """Check that a backup is unchanged and whole."""
    from ..backup import verify_backup
    from ..db import is_encrypted

    passphrase = ask_passphrase(no_input) if is_encrypted(backup_file) else None
    info = verify_backup(backup_file, passphrase=passphrase, expect=expect)
    echo(f"{backup_file}: unchanged since it was made, and whole ({info.records} records).")
