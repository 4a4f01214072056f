"""The decision makers' report as PDF (fpdf2, Khmer shaped by HarfBuzz in Noto Sans Khmer — the
same tools and font as the council's monthly report, ``register.report_pdf``): for printing and
sending. The content is `analysis.report.Report`, the same as the HTML page."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from .report_doc import KEY_RESULTS, Block, Report

__all__ = ["write_pdf"]

FAMILY = "noto"
RED = (176, 0, 32)
LINE = 5.2


def _pdf(report: Report) -> Any:
    from fpdf import FPDF

    from register.report_pdf import font_path

    class ReportPDF(FPDF):  # type: ignore[misc]
        def header(self) -> None:
            self.set_font(FAMILY, "", 7.5)
            self.set_text_color(90)
            self.cell(0, 4, f"{report.title}  ·  {report.selection}", new_x="LMARGIN",
                      new_y="NEXT")
            self.set_text_color(0)
            self.ln(1.5)

        def footer(self) -> None:
            self.set_y(-11)
            self.set_font(FAMILY, "B" if report.synthetic else "", 7.5)
            if report.synthetic:
                self.set_text_color(*RED)
                self.cell(0, 4, f"SYNTHETIC DATA — no real person    page {self.page_no()}",
                          align="C")
            else:
                self.set_text_color(90)
                self.cell(0, 4, f"page {self.page_no()}", align="C")
            self.set_text_color(0)

    pdf = ReportPDF(format="A4")
    pdf.set_margins(14, 11, 14)
    pdf.set_auto_page_break(True, margin=15)
    path = font_path()
    pdf.add_font(FAMILY, "", path)
    pdf.add_font(FAMILY, "B", path, variations={"wght": 700, "wdth": 100})
    pdf.set_text_shaping(True)
    pdf.set_title(report.title)
    pdf.set_creator("commune-migration-register")
    return pdf


def _heading(pdf: Any, text: str, size: float) -> None:
    if pdf.get_y() + 30 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font(FAMILY, "B", size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _text(pdf: Any, text: str, size: float = 9, bullet: bool = False) -> None:
    pdf.set_font(FAMILY, "", size)
    pdf.multi_cell(0, LINE, ("•  " if bullet else "") + text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: Any, block: Block) -> None:
    from fpdf.fonts import FontFace

    _heading(pdf, block.text, 9.5)
    pdf.set_font(FAMILY, "", 7.5)
    n = len(block.header)
    first = 0.34 if n > 2 else 0.5
    widths = [pdf.epw * first] + [pdf.epw * (1 - first) / max(n - 1, 1)] * (n - 1)
    with pdf.table(width=pdf.epw, col_widths=widths, line_height=4.2, align="LEFT",
                   text_align=("LEFT",) * n, first_row_as_headings=True, padding=(0.3, 1),
                   headings_style=FontFace(emphasis="B", fill_color=(232, 239, 246))) as grid:
        head = grid.row()
        for text in block.header:
            head.cell(text)
        for row in block.rows:
            cells = grid.row()
            if row and any(c.startswith("not shown") for c in row):
                keys = [c for c in row if c and not c.startswith("not shown")]
                for text in keys:
                    cells.cell(text)
                cells.cell(next(c for c in row if c.startswith("not shown")),
                           colspan=n - len(keys), style=FontFace(color=(110, 110, 110)))
                continue
            for text in row:
                cells.cell(text)
    if block.note:
        _text(pdf, block.note, 7.5)
    pdf.ln(2)


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, from its header (IHDR: bytes 16-24)."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path.name} is not a PNG file")
    return struct.unpack(">II", head[16:24])


def _figure(pdf: Any, block: Block) -> None:
    width, height = _png_size(block.image)  # type: ignore[arg-type]
    w = min(pdf.epw, 150)
    h = w * height / width
    # a map leaves room for the start of its table; a tall chart (odds ratios) takes the page
    cap = pdf.eph * (0.85 if height > 1.2 * width else 0.5)
    if h > cap:
        h = cap
        w = h * width / height
    if pdf.get_y() + h + 12 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(str(block.image), x=pdf.l_margin + (pdf.epw - w) / 2, w=w, h=h)
    _text(pdf, block.text + (f"\n{block.note}" if block.note else ""), 7.5)
    pdf.ln(2)


def write_pdf(report: Report, path: Path) -> Path:
    pdf = _pdf(report)
    pdf.add_page()
    if report.synthetic:
        pdf.set_fill_color(*RED)
        pdf.set_text_color(255)
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(0, 6, report.general[0], fill=True, new_x="LMARGIN", new_y="NEXT",
                       padding=2)
        pdf.set_text_color(0)
        pdf.set_fill_color(255)
        pdf.ln(2)
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(0, 6, report.selection, new_x="LMARGIN", new_y="NEXT")
    _text(pdf, "   ·   ".join(f"{key}: {value}" for key, value in report.facts), 7.5)
    pdf.ln(2)
    how = report.general[1 if report.synthetic else 0:]
    for block in report.blocks:
        if block.kind == "heading":
            if block.text != KEY_RESULTS and how:  # how to read: after the key results
                _how_to_read(pdf, how)
                how = []
            pdf.ln(3)
            _heading(pdf, block.text, 12.5)
        elif block.kind == "text":
            _text(pdf, block.text)
        elif block.kind == "caveats":
            _heading(pdf, block.text, 9.5)
            for text in block.items:
                _text(pdf, text, 8, bullet=True)
        elif block.kind == "table":
            _table(pdf, block)
        elif block.kind == "figure" and block.image is not None:
            _figure(pdf, block)
    if how:
        _how_to_read(pdf, how)
    pdf.output(str(path))
    return path


def _how_to_read(pdf: Any, lines: list[str]) -> None:
    pdf.ln(3)
    _heading(pdf, "How to read this report", 12.5)
    for text in lines:
        _text(pdf, text, 8.5, bullet=True)
