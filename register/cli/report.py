"""What comes back to the council: the monthly report (PDF) and the follow-up list.

fpdf2 and the font are imported only inside ``report``, when a report is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .. import i18n
from ..i18n import t
from .app import Db, Force, NoInput, app, echo, handled, need, open_db, print_table


@app.command(help="report.help")
@handled
def report(
    db: Db = None,
    month: Annotated[str | None, typer.Option("--month", help="report.help_month")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="report.help_out",
                                             dir_okay=False)] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="report.help_lang")] = None,
    public: Annotated[bool, typer.Option("--public", help="report.help_public")] = False,
    force: Force = False,
    no_input: NoInput = False,
) -> None:
    from ..output import check_output
    from ..report import ReportError, monthly_report
    from ..validation import parse_month

    if lang is not None:  # the report's language, and that of this command's messages
        if lang not in i18n.LANGUAGES:
            raise ReportError(t("report.bad_lang", lang=lang, languages=", ".join(i18n.LANGUAGES)))
        i18n.set_language(lang)
    month = need(month, "--month", no_input, "report.ask_month")
    parse_month(month)  # a bad month is refused before anything is opened
    out = Path(need(out, "--out", no_input, "report.ask_out"))
    if out.suffix.lower() != ".pdf":
        raise ReportError(t("report.bad_suffix", file=out))
    with open_db(db, None, no_input) as reg:
        check_output(out, force=force, inputs=[reg.path])  # before the work, not after
        data = monthly_report(reg, month)
        source = reg.path
    if public:
        from ..report_public import public_version

        data = public_version(data)
    from ..report_pdf import write_report
    from ..report_text import period_label

    pages = write_report(data, out, force=force, inputs=[source])
    echo(t("report.written", month=period_label(data, "month"), path=out, pages=pages))
    if public:
        echo(t("report.written_public", hidden=data.hidden_cells))
    elif os.name == "posix":
        echo(t("report.written_private"))
    else:
        echo(t("report.written_private_nt"))


@app.command(help="followup.help")
@handled
def followup(
    db: Db = None,
    months: Annotated[int | None, typer.Option("--months", help="followup.help_months")] = None,
    no_input: NoInput = False,
) -> None:
    from ..report import followup as overdue
    from ..report_text import FOLLOWUP_COLUMNS, Labels, digits, followup_cells

    with open_db(db, None, no_input) as reg:
        people = overdue(reg, months=months)
    if not people:
        echo(t("followup.none"))
        return
    labels = Labels()
    echo(t("followup.count", n=digits(len(people))))
    heads = [t(f"followup.col.{name}") for name in FOLLOWUP_COLUMNS]
    print_table([{**dict(zip(heads, followup_cells(p, labels), strict=True)),
                  t("followup.col.journey"): p.journey_id[:8]} for p in people])
