"""The monthly report as a page: the same tables, words and numbers as the PDF.

Titles, column heads, row labels, periods and digits come from the same places the PDF takes
them from (:mod:`register.report_text`, the row labels of :mod:`register.report_pdf`), so the
page and the printed report cannot say different things.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..i18n import t
from ..report import MONTH, YEAR, MonthlyReport
from ..report_pdf import _row_labels
from ..report_text import Labels, digits, long_date, number, period_label, short_date


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
            rows=[(_row_labels(report, table, row.keys, labels), [number(v) for v in row.values])
                  for row in table.rows],
            total=[number(v) for v in table.total]))
    overdue = [{"name": p.name or t("report.value.unknown_name"), "village": labels.place(p.village),
                "phone": p.phone or "", "departure_date": short_date(p.departure_date),
                "destination": labels.key("country", p.destination_country),
                "months_away": digits(p.months_away), "planned": digits(p.expected_months)}
               for p in report.overdue]
    return {
        "title": t("report.title_public" if report.public else "report.title"),
        "place": labels.commune(report.commune_code),
        "month": period_label(report, MONTH),
        "made": t("report.made", date=long_date(dt.date.today().isoformat()),
                  as_of=long_date(report.as_of)),
        "note": t("report.public") if report.public else t("report.internal"),
        "followup_count": t("report.followup_count", n=number(report.overdue_count)),
        "tables": tables,
        "notes": [t(k) for k in ("report.note_departures", "report.note_indicators",
                                 "report.note_referrals", "report.note_warnings",
                                 "report.note_followup")],
        "public": report.public,
        "overdue": overdue,
        "columns": [t(f"followup.col.{c}") for c in ("name", "village", "phone", "departure_date",
                                                      "destination", "months_away", "planned")],
    }
