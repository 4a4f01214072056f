"""The monthly report's public version: no names, and no count small enough to point at a person.

Every count from 1 to ``THRESHOLD - 1`` is blanked (zeros are shown, as in ``analysis.suppress``,
which the clerk's package cannot import). In a column whose rows add up to its total, more cells
are blanked until no blanked cell can be worked out from the total and the cells shown; when
nothing is left to blank, the total goes too, in every table that counts the same things. The
agencies and brokers of the warnings table are merged into counts by kind of warning.

Not covered: differences between two published reports (this year's totals of two consecutive
months give the month between them), as in any series of published tables.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from .report import MonthlyReport, Row, Table, summary_table

THRESHOLD = 5  # counts from 1 to THRESHOLD - 1 are blanked


def public_version(report: MonthlyReport, threshold: int = THRESHOLD) -> MonthlyReport:
    """The report without names, with small counts (and what would reveal them) blanked."""
    tables: list[Table] = []
    hidden = 0
    forced: dict[str, set[tuple[str, str]]] = {}  # group -> columns whose total must go
    for table in report.tables:
        if table.name == "summary":
            continue
        if table.name == "warnings":  # no agency or broker names: counts by kind of warning
            merged: Counter[tuple[tuple[str | None, ...], int]] = Counter()
            for row in table.rows:
                for i, value in enumerate(row.values):
                    merged[(row.keys[0], None, row.keys[2]), i] += value or 0
            keys = list(dict.fromkeys(k for k, _ in merged))
            table = replace(table, rows=tuple(
                Row(k, tuple(merged[k, i] for i in range(len(table.columns)))) for k in keys))
        table, n, exposed = _blank(table, threshold)
        forced.setdefault(_group(table.name), set()).update(table.columns[i] for i in exposed)
        tables.append(table)
        hidden += n
    # Tables of one group count the same items: a total blanked in one is blanked in all.
    for k, table in enumerate(tables):
        drop = forced[_group(table.name)]
        total = tuple(None if col in drop else v
                      for col, v in zip(table.columns, table.total, strict=True))
        hidden += sum(v is not None for col, v in zip(table.columns, table.total, strict=True)
                      if col in drop)
        tables[k] = replace(table, total=total)
    summary, n, _ = _blank(summary_table({tab.name: tab for tab in tables}), threshold)
    count = report.overdue_count
    if count is not None and 0 < count < threshold:
        count, n = None, n + 1
    return replace(report, public=True, tables=(summary, *tables), overdue=(),
                   overdue_count=count, hidden_cells=hidden + n)


def _group(name: str) -> str:
    return name.split("_by_")[0] if "_by_" in name else name.split("_")[0]


def _blank(table: Table, threshold: int) -> tuple[Table, int, list[int]]:
    """Blank small counts (and, in a partition, their complements); return the table, the
    number of cells blanked and the columns whose total must be blanked in the whole group."""
    columns = [[row.values[i] for row in table.rows] for i in range(len(table.columns))]
    totals = list(table.total)
    hidden = 0
    exposed = []
    for i, values in enumerate(columns):
        mask = [v is not None and 0 < v < threshold for v in values]
        if table.partition and totals and _complement(values, mask):
            exposed.append(i)
        total = totals[i] if totals else None
        if totals and total is not None and 0 < total < threshold:
            totals[i] = None
            hidden += 1
        hidden += sum(mask)
        columns[i] = [None if m else v for v, m in zip(values, mask, strict=True)]
    rows = tuple(Row(row.keys, tuple(col[r] for col in columns))
                 for r, row in enumerate(table.rows))
    return replace(table, rows=rows, total=tuple(totals)), hidden, exposed


def _complement(values: list[int | None], mask: list[bool]) -> bool:
    """Blank more cells of a column until no blanked cell can be worked out from the total.

    A reader knows the total, the shown cells and that a blanked cell is not zero. With one
    blanked cell, or blanked cells that can only all be 1, each is determined: blank the
    smallest shown non-zero cell too. True when none is left to blank (the total must go).
    """
    while True:
        blanked = [v or 0 for v, m in zip(values, mask, strict=True) if m]
        if not blanked or (len(blanked) > 1 and sum(blanked) > len(blanked)):
            return False
        shown = [i for i, (v, m) in enumerate(zip(values, mask, strict=True)) if not m and v]
        if not shown:
            return True
        mask[min(shown, key=lambda i: (values[i] or 0, i))] = True
