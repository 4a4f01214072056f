"""Drawing the monthly report (:mod:`register.report`) as a PDF, in the clerk's language.

* **PDF:** fpdf2 (pure Python, pip-installable), with text shaping by HarfBuzz (``uharfbuzz``),
  so that Khmer subscripts (coeng) and vowel signs are placed as they must be.
* **Font:** Noto Sans Khmer (SIL Open Font License 1.1, The Noto Project Authors), taken from
  the PyPI package ``fontpkg-noto-sans-khmer``, which redistributes the Google Fonts file
  unmodified with its licence: the font is a versioned dependency, not a binary kept in this
  repository. It is a variable font: regular (400) and bold (700) are instanced from it. It
  also covers Latin, so English reports and Latin names use the same face.
* **Language:** the current one (:mod:`register.report_text`: Khmer month names and digits).

This module is imported only when a report is written: the clerk's other commands never load
fpdf2.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import RegisterError
from .i18n import language, t
from .output import check_output, writing
from .report import MONTH, YEAR, MonthlyReport, Overdue, Table
from .report_text import (
    FOLLOWUP_COLUMNS,
    NOTES,
    Labels,
    breakable,
    digits,
    followup_cells,
    long_date,
    number,
    period_label,
    row_labels,
)

FONT_PACKAGE = "fontpkg_noto_sans_khmer"
FONT_FILE = "NotoSansKhmer[wdth,wght].ttf"
FAMILY = "noto-khmer"
BODY, SMALL, TITLE = 9.5, 8.5, 17
LINE = 5.6  # mm; Khmer needs room above and below for vowel signs and subscripts
RED = (170, 20, 20)
NEEDS_SHAPING = re.compile("[\u1780-\u17dd\u19e0-\u19ff]")  # Khmer letters and signs, not digits

# Tables drawn side by side on the first pages; others take the full width.
PAIRS = (("departures_by_village", "departures_by_country"),
         ("departures_by_sex", "departures_by_age_band"),
         ("departures_by_sector", "departures_by_channel"))
FULL = ("returns_forced_labour", "returns_by_mode", "referrals", "warnings")


def font_path() -> Path:
    """The Noto Sans Khmer file of the ``fontpkg-noto-sans-khmer`` package."""
    from importlib.resources import files

    return Path(str(files(FONT_PACKAGE) / "files" / FONT_FILE))


# -- the document ----------------------------------------------------------------------------
def _pdf_class() -> Any:
    from fpdf import FPDF

    class ReportPDF(FPDF):  # type: ignore[misc]
        confidential = False
        head = ""
        foot = ""

        def header(self) -> None:
            self.set_font(FAMILY, "", 7.5)
            self.set_text_color(90)
            self.cell(0, 4, self.head, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0)
            if self.confidential:
                self.set_font(FAMILY, "B", 9.5)
                self.set_text_color(*RED)
                self.set_draw_color(*RED)
                self.multi_cell(0, LINE, t("report.confidential"), border=1, align="C",
                                new_x="LMARGIN", new_y="NEXT")
                self.set_text_color(0)
                self.set_draw_color(0)
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FAMILY, "", 7.5)
            self.set_text_color(90)
            page = t("report.page", page=digits(self.page_no()))
            self.cell(0, 4, f"{self.foot}    {page}", align="C")
            self.set_text_color(0)

    return ReportPDF


def render(report: MonthlyReport) -> tuple[bytes, int]:
    """The report as PDF bytes, and its number of pages."""
    try:
        cls = _pdf_class()
        path = font_path()
    except ImportError as exc:  # a clerk install without the report's libraries
        raise RegisterError(t("report.needs_pdf")) from exc
    labels = Labels()
    pdf = cls(format="A4")
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(True, margin=16)
    pdf.alias_nb_pages(None)  # its page count would print Latin digits: see _end()
    pdf.add_font(FAMILY, "", path)  # the default instance: wght 400, wdth 100
    pdf.add_font(FAMILY, "B", path, variations={"wght": 700, "wdth": 100})
    pdf.set_text_shaping(True)
    title = t("report.title_public" if report.public else "report.title")
    pdf.set_title(title)
    pdf.set_lang(language())
    pdf.set_creator("commune-migration-register")
    month = period_label(report, MONTH)
    pdf.head = f"{labels.commune(report.commune_code)}  \u00b7  {title}  \u00b7  {month}"
    pdf.foot = t("report.footer_public" if report.public else "report.footer_internal")
    pdf.add_page()
    _front(pdf, report, labels, title, month)
    named = {table.name: table for table in report.tables}
    _table(pdf, report, labels, named["summary"], pdf.epw)
    for left, right in PAIRS:
        _pair(pdf, report, labels, named[left], named[right])
    for name in FULL:
        _table(pdf, report, labels, named[name], pdf.epw)
    _notes(pdf, report)
    if not report.public:
        pdf.confidential = True
        pdf.add_page()
        _followup(pdf, report.overdue, labels)
    _end(pdf)
    return bytes(pdf.output()), pdf.page_no()


def _end(pdf: Any) -> None:
    """The last line says how many pages the report has (so that a missing one is seen)."""
    if pdf.get_y() + 2 * LINE > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(LINE)
    pdf.set_font(FAMILY, "B", SMALL)
    pdf.cell(0, LINE, t("report.end", pages=digits(pdf.page_no())), align="C")


def _front(pdf: Any, report: MonthlyReport, labels: Labels, title: str, month: str) -> None:
    pdf.set_font(FAMILY, "B", TITLE)
    pdf.cell(0, 11, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(0, 7, f"{labels.commune(report.commune_code)} \u2014 {month}",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", BODY)
    made = t("report.made", date=long_date(dt.date.today().isoformat()),
             as_of=long_date(report.as_of))
    pdf.multi_cell(0, LINE, made, new_x="LMARGIN", new_y="NEXT")
    if report.audit_code:
        pdf.multi_cell(0, LINE, t("audit.report_code", code=report.audit_code),
                       new_x="LMARGIN", new_y="NEXT")
    note = t("report.public") if report.public else t("report.internal")
    pdf.multi_cell(0, LINE, note, new_x="LMARGIN", new_y="NEXT")
    count = report.overdue_count
    pdf.set_font(FAMILY, "B", BODY)
    pdf.multi_cell(0, LINE, t("report.followup_count", n=number(count)),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _heading(pdf: Any, text: str, width: float = 0) -> None:
    pdf.set_font(FAMILY, "B", 10.5)
    pdf.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: Any, report: MonthlyReport, labels: Labels, table: Table, width: float,
           left: float | None = None) -> None:
    """One table with its heading, ``width`` mm wide from ``left`` (default: the margin)."""
    from fpdf.fonts import FontFace

    if left is None and pdf.get_y() + 7 + 6 * LINE > pdf.page_break_trigger:
        pdf.add_page()  # keep a table's heading with its first rows
    with _left_margin(pdf, left):
        _heading(pdf, t(f"report.table.{table.name}"), width)
        dims = ("party", "warning") if table.name == "warnings" else table.dims
        measures = list(dict.fromkeys(m for m, _ in table.columns))
        n_dims, n_cols = len(dims), len(table.columns)
        label_share = 0.7 if n_dims > 1 else 0.5 if n_cols <= 2 else 0.4
        label_w = width * label_share / n_dims
        widths = [label_w] * n_dims + [width * (1 - label_share) / n_cols] * n_cols
        pdf.set_font(FAMILY, "", SMALL)
        two_rows = len(measures) > 1
        with pdf.table(width=width, col_widths=widths, align="LEFT", line_height=LINE - 0.6,
                       text_align=("LEFT",) * n_dims + ("RIGHT",) * n_cols,
                       num_heading_rows=2 if two_rows else 1, first_row_as_headings=True,
                       headings_style=FontFace(emphasis="B", fill_color=(235, 235, 235)),
                       padding=(0.4, 1.2)) as grid:
            head = grid.row()
            for dim in dims:
                head.cell(breakable(t(f"report.dim.{dim}")), rowspan=2 if two_rows else 1)
            if two_rows:
                per = n_cols // 2
                for period in (MONTH, YEAR):
                    head.cell(breakable(period_label(report, period)), colspan=per, align="C")
                sub = grid.row()
                for measure, _ in table.columns:
                    sub.cell(breakable(t(f"report.measure.{measure}")), align="RIGHT")
            else:
                for _, period in table.columns:
                    head.cell(breakable(period_label(report, period)), align="RIGHT")
            for row in table.rows:
                cells = grid.row()
                for text in row_labels(report, table, row.keys, labels):
                    cells.cell(breakable(text))
                for value in row.values:
                    cells.cell(number(value))
            if table.total:
                bold = FontFace(emphasis="B")
                cells = grid.row(style=bold)
                cells.cell(t("report.total"), colspan=n_dims)
                for value in table.total:
                    cells.cell(number(value))
        pdf.ln(3)


@contextmanager
def _left_margin(pdf: Any, left: float | None) -> Iterator[None]:
    if left is None:
        yield
        return
    before = pdf.l_margin
    pdf.set_left_margin(left)
    pdf.set_x(left)
    try:
        yield
    finally:
        pdf.set_left_margin(before)


def _pair(pdf: Any, report: MonthlyReport, labels: Labels, left: Table, right: Table) -> None:
    """Two tables side by side; on a new page when they may not fit in what is left."""
    gap = 6
    width = (pdf.epw - gap) / 2
    # A generous estimate (a heading and column titles of up to three lines): a pair that
    # might not fit starts a new page rather than breaking across two.
    rows = max(len(left.rows), len(right.rows)) + 1
    needed = 7 + 3 * LINE + rows * (LINE + 0.2) + 3
    if pdf.get_y() + needed > pdf.h - pdf.b_margin and rows * LINE < pdf.eph / 2:
        pdf.add_page()
    top, page = pdf.get_y(), pdf.page
    _table(pdf, report, labels, left, width)
    if pdf.page != page:  # the left table ran onto a new page: the right one follows it
        _table(pdf, report, labels, right, width)
        return
    bottom = pdf.get_y()
    pdf.set_y(top)
    _table(pdf, report, labels, right, width, left=pdf.l_margin + width + gap)
    pdf.set_y(max(bottom, pdf.get_y()))


def _notes(pdf: Any, report: MonthlyReport) -> None:
    with pdf.unbreakable() as block:
        _heading(block, t("report.notes"))
        block.set_font(FAMILY, "", SMALL)
        for key in NOTES:
            block.multi_cell(0, LINE - 0.8, "\u2022 " + t(key), align="L", new_x="LMARGIN",
                             new_y="NEXT")
        if report.public:
            block.multi_cell(0, LINE - 0.8, "\u2022 " + t("report.followup_public"), align="L",
                             new_x="LMARGIN", new_y="NEXT")


def _followup(pdf: Any, overdue: tuple[Overdue, ...], labels: Labels) -> None:
    """The follow-up list: drawn cell by cell (a long list through fpdf2's tables is slow),
    with its column titles again on every page."""
    _heading(pdf, t("report.followup_title"))
    pdf.set_font(FAMILY, "", SMALL)
    pdf.multi_cell(0, LINE - 0.8, t("report.note_followup"), align="L", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.ln(2)
    if not overdue:
        pdf.multi_cell(0, LINE, t("report.followup_none"), new_x="LMARGIN", new_y="NEXT")
        return
    columns = FOLLOWUP_COLUMNS
    widths = [w * pdf.epw / 182 for w in (46, 30, 26, 22, 24, 17, 17)]
    height = LINE + 0.4
    titles = [t(f"followup.col.{column}") for column in columns]

    def titles_row() -> None:
        pdf.set_font(FAMILY, "B", SMALL)
        pdf.set_fill_color(235)
        lines = max(len(pdf.multi_cell(w, height, text, dry_run=True, output="LINES"))
                    for w, text in zip(widths, titles, strict=True))
        top, x = pdf.get_y(), pdf.l_margin
        for width, text in zip(widths, titles, strict=True):
            pdf.rect(x, top, width, height * lines, style="DF")
            pdf.set_xy(x, top)
            pdf.multi_cell(width, height, breakable(text))
            x += width
        pdf.set_xy(pdf.l_margin, top + height * lines)
        pdf.set_font(FAMILY, "", SMALL)

    titles_row()
    for person in overdue:
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            titles_row()
        cells = followup_cells(person, labels)
        for i, (width, text) in enumerate(zip(widths, cells, strict=True)):
            _fitted_cell(pdf, width, height, text, align="R" if i >= 5 else "L")
        pdf.ln(height)


def _fitted_cell(pdf: Any, width: float, height: float, text: str, align: str) -> None:
    """A one-line cell, the font made smaller if the text is too wide; shaped only when the
    text holds Khmer letters (shaping costs six times as much, and Latin text and digits do
    not need it)."""
    pdf.set_text_shaping(bool(NEEDS_SHAPING.search(text)))
    size = SMALL
    while size > 5.5 and pdf.get_string_width(text) > width - 2.4:
        size -= 0.5
        pdf.set_font_size(size)
    pdf.cell(width, height, text, border=1, align=align)
    pdf.set_font_size(SMALL)
    pdf.set_text_shaping(True)


# -- writing the file ------------------------------------------------------------------------
def write_report(report: MonthlyReport, path: str | Path, *, force: bool = False,
                 inputs: Sequence[str | Path] = ()) -> int:
    """Write the report to ``path`` (a .pdf file); return its number of pages.

    The internal version holds names and phone numbers: it is written readable by its owner
    only (permissions 0600, where the operating system has them). The file appears whole or
    not at all (written beside it, then renamed).
    """
    from .report import ReportError

    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise ReportError(t("report.bad_suffix", file=path))
    check_output(path, force=force, inputs=inputs)
    data, pages = render(report)
    with writing(path, force=force, inputs=inputs, personal=not report.public) as tmp:
        tmp.write_bytes(data)
    return pages
