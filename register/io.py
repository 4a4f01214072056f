"""Import from CSV or Excel, and the empty templates clerks fill in.

Files are read whole before anything is written: a file with a problem on any row changes
nothing (see :func:`register.records.add_records`). CSV must be UTF-8 (Excel's "CSV UTF-8");
a file in another encoding is refused with a message saying how to save it, never guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .db import Register
from .errors import RegisterError
from .i18n import t
from .model import Model, fields_of
from .records import WriteReport, add_records
from .validation import normalise_text

MAX_ROWS = 1_000_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def template(kind: str, model: Model | None = None) -> str:
    """The CSV header line for an import of ``kind``."""
    return ",".join(spec.name for spec in fields_of(kind, model)) + "\n"


def _header(cells: list[Any], path: Path) -> list[str]:
    names = [(normalise_text(c) or "").lower().replace(" ", "_") for c in cells]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise RegisterError(t("import.duplicate_column", file=path.name, column=name))
        seen.add(name)
    if not any(names):
        raise RegisterError(t("import.no_header", file=path.name))
    return names


def _rows(header: list[str], body: Iterator[list[Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, cells in enumerate(body, start=2):
        if number > MAX_ROWS:
            raise RegisterError(t("import.too_many_rows", limit=MAX_ROWS))
        if all(not isinstance(c, dt.date) and normalise_text(c) is None for c in cells):
            continue  # blank line
        extra = cells[len(header):]
        if any(normalise_text(c) for c in extra):
            yield number, {"(extra columns)": ", ".join(str(c) for c in extra if c)}
            continue
        yield number, {name: cells[i] if i < len(cells) else None
                       for i, name in enumerate(header) if name}


def read_rows(path: str | Path, sheet: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Read a CSV or Excel file into (row number, {column: value}) pairs."""
    path = Path(path)
    if not path.is_file():
        raise RegisterError(t("import.no_file", file=str(path)))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, sheet)
    if suffix == ".xls":
        raise RegisterError(t("import.old_excel", file=path.name))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegisterError(t("import.encoding", file=path.name, position=exc.start)) from None
    if "\x00" in text:
        raise RegisterError(t("import.nul", file=path.name, position=text.index("\x00")))
    # The delimiter is the one the header line uses most (Excel writes ';' in some locales);
    # field values are never consulted, so a ';' inside a place name cannot mislead it.
    header_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header_line.count) if header_line.strip() else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        header = _header(next(reader, []), path)
        return list(_rows(header, reader))
    except csv.Error as exc:
        raise RegisterError(t("import.bad_csv", file=path.name, error=str(exc))) from None


def _read_excel(path: Path, sheet: str | None) -> list[tuple[int, dict[str, Any]]]:
    import openpyxl  # only when an Excel file is imported

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RegisterError(t("import.bad_excel", file=path.name, error=str(exc))) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise RegisterError(t("import.no_sheet", file=path.name, sheet=sheet,
                                  sheets=", ".join(book.sheetnames)))
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = _header(list(next(rows, ())), path)
        return list(_rows(header, (list(r) for r in rows)))
    finally:
        book.close()


def import_file(
    reg: Register,
    path: str | Path,
    kind: str,
    *,
    dry_run: bool = False,
    sheet: str | None = None,
    today: dt.date | None = None,
) -> WriteReport:
    """Import every row of a CSV/Excel file as records of ``kind``, all or nothing.

    Importing the same rows into the same register twice adds nothing the second time, whatever
    the file or the order of its rows; a row repeated within the file is refused.
    Raises :class:`register.errors.ValidationError` naming each bad row and field.
    """
    fields_of(kind)
    path = Path(path)
    rows = read_rows(path, sheet)
    return add_records(reg, kind, [row for _, row in rows], dry_run=dry_run, today=today,
                       numbers=[number for number, _ in rows],
                       keys="content")


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet will show, never run: text starting like a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
