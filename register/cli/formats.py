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
from .app import Force, NoInput, app, echo, handled, kind_named, need, open_db


@app.command(help="help.xlsform")
@handled
def xlsform(
    kind: Annotated[str | None, typer.Option(help="help.kinds")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="help.xlsform.out")] = None,
    province: Annotated[str | None, typer.Option(help="help.xlsform.province")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="help.xlsform.db", dir_okay=False)] = None,
    force: Force = False,
    no_input: NoInput = False,
) -> None:
    from ..xlsform import build_form, write_xlsform

    kind = str(kind_named(need(kind, "--kind", no_input, "cli.ask_kind")))
    out = Path(need(out, "--out", no_input, "formats.ask_form"))
    if province is None and db is not None:
        with open_db(db, None, no_input) as reg:
            province = (reg.commune_code or "")[:2] or None
    form = build_form(kind, province)
    write_xlsform(form, out, force=force)
    echo(t("formats.form_written", kind=kind, path=out, version=form.version,
           questions=len(form.questions)))


@app.command(help="help.codebook")
@handled
def codebook(
    out: Annotated[Path | None, typer.Option("--out", help="help.codebook.out")] = None,
    lang: Annotated[str, typer.Option(help="help.codebook.lang")] = "en",
    force: Force = False,
    no_input: NoInput = False,
) -> None:
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
    from .app import counts_words

    written = counts_words(added.written)
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
        fields = ", ".join(t("formats.change", field=t(f"field.{name}"), old=old, new=new)
                           for name, (old, new) in changes.items())
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
