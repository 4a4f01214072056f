"""Files in and out: import templates, imports, the researcher export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..i18n import t
from .app import (
    Clerk,
    Db,
    Force,
    NoInput,
    app,
    counts_words,
    echo,
    handled,
    kind_named,
    need,
    open_db,
    show_problems,
    show_warnings,
)


@app.command(help="help.template")
@handled
def template(
    kind: Annotated[str, typer.Argument(metavar="metavar.kind", help="help.kinds")],
    out: Annotated[Path | None, typer.Option("--out", help="help.template.out")] = None,
    force: Force = False,
    no_input: NoInput = False,
) -> None:
    from ..io import template as make_template
    from ..io import template_xlsx
    from ..model import fields_of
    from ..output import writing

    kind = kind_named(kind) or kind
    if out is not None and out.suffix.lower() == ".xlsx":
        template_xlsx(kind, out, force=force)
        echo(t("cli.template_written", path=out))
        return
    text = make_template(kind)
    if out is None:
        sys.stdout.write(text)
    else:
        with writing(out, force=force, personal=False) as tmp:
            tmp.write_text(text, encoding="utf-8")
        echo(t("cli.template_written", path=out))
    columns = [s.name for s in fields_of(kind) if s.digits]
    if columns:  # Excel turns 012345678 into 12345678 unless the column is text
        echo(t("cli.template_text_columns", columns=", ".join(columns)), err=True)


def _far_villages(reg: Any, persons: list[str]) -> None:
    """Warn about people recorded with a home village of another province."""
    from ..entry import village_note

    province = (reg.commune_code or "")[:2]
    if not province or not persons:
        return
    marks = ",".join("?" * len(persons))
    villages = [r[0] for r in reg.conn.execute(
        f"SELECT DISTINCT home_village FROM persons WHERE id IN ({marks}) "
        f"AND substr(home_village, 1, 2) != ?", (*persons, province))]
    for village in villages[:10]:
        echo(t("cli.warning", message=village_note(reg, village)), err=True)


@app.command("import", help="help.import")
@handled
def import_(
    file: Annotated[Path, typer.Argument(metavar="metavar.file", help="help.import.file")],
    kind: Annotated[str | None, typer.Option(help="help.kinds")] = None,
    db: Db = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="help.import.dry_run")] = False,
    sheet: Annotated[str | None, typer.Option(help="help.import.sheet")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="help.import.from")] = None,
    clerk: Clerk = None,
    no_input: NoInput = False,
) -> None:
    from ..audit import anchor_line
    from ..io import import_file

    kind = str(kind_named(need(kind, "--kind", no_input, "cli.ask_kind")))
    if from_ is not None:
        from .formats import import_phone_export

        import_phone_export(file, kind, from_, db, dry_run, sheet, clerk, no_input)
        return

    with open_db(db, clerk, no_input) as reg:
        report = import_file(reg, file, kind, dry_run=dry_run, sheet=sheet)
        anchor = None if dry_run else anchor_line(reg.conn)
        if not dry_run:
            _far_villages(reg, report.persons)
    written = counts_words(report.written)
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


@app.command(help="help.export")
@handled
def export(
    db: Db = None,
    out: Annotated[Path | None, typer.Option("--out", help="help.export.out")] = None,
    level: Annotated[str, typer.Option(help="help.export.level")] = "standard",
    k: Annotated[int, typer.Option(help="help.export.k")] = 5,
    format_: Annotated[str, typer.Option("--format", help="help.export.format")] = "researcher",
    accept_risk: Annotated[bool, typer.Option(
        "--accept-reidentification-risk", help="help.accept_risk")] = False,
    force: Force = False,
    no_input: NoInput = False,
) -> None:
    from .formats import export_format

    out = Path(need(out, "--out", no_input, "cli.ask_out"))
    export_format(out, format_, db, level, k, no_input, force, accept_risk)
