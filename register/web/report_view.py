"""The monthly report as a page: the same tables, words and numbers as the PDF.

Titles, column heads, row labels, periods, digits, notes and the follow-up list's cells come from
:mod:`register.report_text`, where the PDF (:mod:`register.report_pdf`) takes them, so the page
and the printed report cannot say different things.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..i18n import t
from ..report import MONTH, YEAR, MonthlyReport
from ..report_text import (
    FOLLOWUP_COLUMNS,
    NOTES,
    Labels,
    followup_cells,
    long_date,
    number,
    period_label,
    row_labels,
)


@dataclass
class TableView:
    title: str
    dims: list[str]
    periods: list[tuple[str, int]]  # (period label, columns under it)
    measures: list[str]  # one per column; empty when each period has one column
    rows: list[tuple[list[str], list[str]]]
    total: list[str]


def view(report: MonthlyReport) -> dict[str, Any]:
    labels = Labels()
    tables = []
    for table in report.tables:
        dims = ("party", "warning") if table.name == "warnings" else table.dims
        measures = list(dict.fromkeys(m for m, _ in table.columns))
        per = len(table.columns) // 2
        tables.append(TableView(
            title=t(f"report.table.{table.name}"),
            dims=[t(f"report.dim.{dim}") for dim in dims],
            periods=[(period_label(report, period), per) for period in (MONTH, YEAR)],
            measures=[t(f"report.measure.{m}") for m, _ in table.columns] if len(measures) > 1
            else [],
            rows=[(row_labels(report, table, row.keys, labels), [number(v) for v in row.values])
                  for row in table.rows],
            total=[number(v) for v in table.total]))
    return {
        "title": t("report.title_public" if report.public else "report.title"),
        "place": labels.commune(report.commune_code),
        "month": period_label(report, MONTH),
        "made": t("report.made", date=long_date(dt.date.today().isoformat()),
                  as_of=long_date(report.as_of)),
        "code": t("audit.report_code", code=report.audit_code) if report.audit_code else "",
        "note": t("report.public") if report.public else t("report.internal"),
        "followup_count": t("report.followup_count", n=number(report.overdue_count)),
        "tables": tables,
        "notes": [t(k) for k in NOTES] + ([t("report.followup_public")] if report.public else []),
        "public": report.public,
        "overdue": [followup_cells(p, labels) for p in report.overdue],
        "columns": [t(f"followup.col.{c}") for c in FOLLOWUP_COLUMNS],
    }
