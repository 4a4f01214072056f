"""The field's formats: ``register xlsform`` (a phone form) and ``register codebook``.

Importing phone submissions (``register import --from kobo|odk``) and the HTCDS/CTDC exports
(``register export --format htcds|ctdc``) are options of the import and export commands
(:mod:`.files`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import t
from .app import Force, NoInput, app, echo, handled, need, open_db


@app.command()
@handled
def xlsform(
    kind: Annotated[str | None, typer.Option(
        help="departures, returns, referrals, agencies or brokers.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="The form to write (.xlsx).")] = None,
    province: Annotated[str | None, typer.Option(
        help="2-digit province code: villages of this province only (default: the register's "
        "province with --db, else the whole country).")] = None,
    db: Annotated[Path | None, typer.Option(
        "--db", help="A register: its province's villages are offered.", dir_okay=False)] = None,
    force: Force = False,
    no_input: NoInput = False,
) -> None:
    """Write an XLSForm (KoboToolbox, ODK) for records of KIND, made from the field definitions."""
    from ..xlsform import build_form, write_xlsform

    kind = need(kind, "--kind", no_input, "cli.ask_kind")
    out = Path(need(out, "--out", no_input, "formats.ask_form"))
    if province is None and db is not None:
        with open_db(db, None, no_input) as reg:
            province = (reg.commune_code or "")[:2] or None
    form = build_form(kind, province)
    write_xlsform(form, out, force=force)
    echo(t("formats.form_written", kind=kind, path=out, version=form.version,
           questions=len(form.questions)))


@app.command()
@handled
def codebook(
    out: Annotated[Path | None, typer.Option(
        "--out", help="The codebook to write: .md or .csv.")] = None,
    lang: Annotated[str, typer.Option(help="Language of the codebook: en or km.")] = "en",
    force: Force = False,
    no_input: NoInput = False,
) -> None:
    """Write the codebook of every export format: each column, its type, codes and source."""
    from ..codebook import write_codebook

    out = Path(need(out, "--out", no_input, "formats.ask_codebook"))
    rows = write_codebook(out, lang=lang, force=force)
    echo(t("formats.codebook_written", path=out, columns=rows))



def import_phone_export(file: Path, kind: str, source: str, db: Path | None, dry_run: bool,
                        sheet: str | None, clerk: str | None, no_input: bool) -> None:
    """``register import FILE --from kobo|odk`` (called by the import command)."""
    from ..submission_import import import_submissions
    from .app import show_problems, show_warnings

    with open_db(db, clerk, no_input) as reg:
        report = import_submissions(reg, file, kind, source, dry_run=dry_run, sheet=sheet)
    added = report.added
    written = ", ".join(f"{n} {table}" for table, n in added.written.items()) or "-"
    if dry_run:
        if report.problems:
            echo(t("cli.dry_run_bad", n=len(report.problems)), err=True)
            show_problems(report.problems)
            raise typer.Exit(1)
        echo(t("cli.dry_run_ok", rows=report.submissions, written=written))
    else:
        echo(t("formats.imported", n=report.submissions, file=file.name, written=written,
               corrected=len(report.corrected)))
    for record_id, instance, changes in report.corrected:
        fields = ", ".join(f"{name}: '{old}' -> '{new}'" for name, (old, new) in changes.items())
        echo(t("formats.corrected", id=record_id[:8], instance=instance, fields=fields))
    if added.already_present or report.edits_already_applied:
        echo(t("formats.already", n=added.already_present, edits=report.edits_already_applied))
    show_warnings(added.warnings)


def export_format(out: Path, fmt: str, db: Path | None, level: str, k: int,
                  no_input: bool, force: bool = False, accept_risk: bool = False) -> None:
    """``register export --format researcher|htcds|ctdc``; the codebook goes beside the file."""
    from ..codebook import write_codebook
    from ..errors import RegisterError
    from ..standards_export import FORMATS, export_standard

    if fmt not in FORMATS:
        raise RegisterError(t("formats.unknown_format", format=fmt, formats=", ".join(FORMATS)))
    with open_db(db, None, no_input) as reg:
        if fmt == "researcher":
            from ..export import export_with_report

            rows, report = export_with_report(reg, out, level=level, k=k, force=force,
                                              accept_risk=accept_risk)
            echo(t("cli.exported", rows=rows, path=out))
            echo(report.summary())
        else:
            echo(export_standard(reg, out, fmt, level=level, force=force).summary())
    beside = out.with_name(out.stem + ".codebook.md")
    write_codebook(beside, formats=(fmt,), force=True)  # documentation, made again each time
    echo(t("formats.codebook_beside", path=beside))
