"""Files in and out: import templates, imports, the researcher export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..i18n import t
from .app import Clerk, Db, Force, NoInput, app, echo, handled, need, open_db, show_problems, show_warnings


@app.command()
@handled
def template(
    kind: Annotated[str, typer.Argument(help="departures, returns, referrals, agencies or brokers.")],
    no_input: NoInput = False,
) -> None:
    """Print the CSV header line of an import file of KIND."""
    from ..io import template as make_template

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
    from_: Annotated[str | None, typer.Option(
        "--from", help="kobo or odk: a KoboToolbox or ODK Central export of a form made by "
        "'register xlsform'.")] = None,
    clerk: Clerk = None,
    no_input: NoInput = False,
) -> None:
    """Import many records from a file: all rows or none."""
    from ..audit import anchor_line
    from ..io import import_file

    kind = need(kind, "--kind", no_input, "cli.ask_kind")
    if from_ is not None:
        from .formats import import_phone_export

        import_phone_export(file, kind, from_, db, dry_run, sheet, clerk, no_input)
        return

    with open_db(db, clerk, no_input) as reg:
        report = import_file(reg, file, kind, dry_run=dry_run, sheet=sheet)
        anchor = None if dry_run else anchor_line(reg.conn)
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
    show_warnings(report.warnings)
    if anchor:
        echo(anchor)


@app.command()
@handled
def export(
    db: Db = None,
    out: Annotated[Path | None, typer.Option("--out", help="The export file: .csv or .db")] = None,
    level: Annotated[str, typer.Option(
        help="detailed, standard (no exact age, dates to the month) or strict (also no commune)."
    )] = "standard",
    k: Annotated[int, typer.Option(help=t("cli.help_k"))] = 5,
    accept_risk: Annotated[bool, typer.Option(
        "--accept-reidentification-risk", help=t("cli.help_accept_risk"))] = False,
    format_: Annotated[str, typer.Option(
        "--format", help="researcher (the register's own columns), htcds (HTCDS 2.0) or ctdc "
        "(the CTDC global dataset, k-anonymised with k = 11). A codebook is written beside.")
    ] = "researcher",
    force: Force = False,
    no_input: NoInput = False,
) -> None:
    """Write the researcher export: no names, ID numbers or phones."""
    from .formats import export_format

    out = Path(need(out, "--out", no_input, "cli.ask_out"))
    export_format(out, format_, db, level, k, no_input, force, accept_risk)
