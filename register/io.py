"""Import from CSV or Excel, and the empty templates clerks fill in.

Files are read whole before anything is written: a file with a problem on any row changes
nothing (see :func:`register.records.add_records`). CSV must be UTF-8 (Excel's "CSV UTF-8");
a file in another encoding is refused with a message saying how to save it, never guessed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .db import Register
from .errors import RegisterError, ValidationError
from .i18n import LANGUAGES, t, t_in
from .model import MODEL, Model, fields_of
from .output import writing
from .records import WriteReport, add_records
from .validation import Problem, normalise_text

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
    return read_table(path, sheet)[1]


def read_table(path: str | Path, sheet: str | None = None
               ) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Read a CSV or Excel file: its header (column names) and its (row number, row) pairs."""
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
        return header, list(_rows(header, reader))
    except csv.Error as exc:
        raise RegisterError(t("import.bad_csv", file=path.name, error=str(exc))) from None


@contextlib.contextmanager
def excel_rows(path: Path, sheet: str | None = None) -> Iterator[Iterator[list[Any]]]:
    """The rows of a sheet (default: the first) as lists of the values Excel stores, read as
    they are used (a large sheet is never held whole)."""
    import openpyxl  # only when an Excel file is read

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RegisterError(t("import.bad_excel", file=path.name, error=str(exc))) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise RegisterError(t("import.no_sheet", file=path.name, sheet=sheet,
                                  sheets=", ".join(book.sheetnames)))
        ws = book[sheet] if sheet else book.worksheets[0]
        yield (list(r) for r in ws.iter_rows(values_only=True))
    finally:
        book.close()


def _read_excel(path: Path, sheet: str | None
                ) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    with excel_rows(path, sheet) as rows:
        header = _header(next(rows, []), path)
        return header, list(_rows(header, rows))


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
    header, rows = read_table(path, sheet)
    names = check_header(header, kind, path)
    if names:  # columns named by their label
        rows = [(number, {names.get(k, k): v for k, v in row.items()}) for number, row in rows]
    return add_records(reg, kind, [row for _, row in rows], dry_run=dry_run, today=today,
                       numbers=[number for number, _ in rows],
                       keys="content")


def check_header(header: list[str], kind: str, path: Path) -> dict[str, str]:
    """Check an import file's columns once (not once per cell): each must be a field of
    ``kind`` (its name, or its label in English or Khmer), and every required field must have
    a column. Returns the field name of each column named by its label.

    Raises :class:`register.errors.ValidationError` naming the wrong and the missing columns.
    """
    specs = fields_of(kind)
    by_label = {_column(t_in(lang, s.label_key)): s.name for s in specs for lang in LANGUAGES}
    names = {s.name for s in specs}
    renamed = {c: by_label[c] for c in header if c and c not in names and c in by_label}
    given = [renamed.get(c, c) for c in header if c]
    problems = []
    what = t(f"check.count.{MODEL.kind(kind).tables[-1]}")  # the kind in the clerk's words
    unknown = [c for c in given if c not in names]
    if unknown:
        problems.append(Problem("", None, "import.unknown_columns", details={
            "file": path.name, "columns": ", ".join(unknown), "kind": kind, "what": what}))
    excused = _PERSON if kind == "departures" and "person_id" in given else set()
    missing = [s.name for s in specs if s.required and s.entry and s.name not in given
               and s.name not in excused]
    if missing:
        problems.append(Problem("", None, "import.missing_columns", details={
            "file": path.name, "columns": ", ".join(missing), "kind": kind, "what": what}))
    if problems:
        raise ValidationError(problems)
    return renamed


def _column(label: str) -> str:
    return (normalise_text(label) or "").lower().replace(" ", "_")


_PERSON = {f.name for table in ("persons", "person_identity") for f in MODEL.table(table).fields}


def template_xlsx(kind: str, out: str | Path, *, force: bool = False) -> Path:
    """An Excel import template of ``kind``: the header, and the columns of phones and ID
    numbers formatted as text (so Excel keeps their leading 0), with a note saying so."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = kind
    for number, spec in enumerate(fields_of(kind), start=1):
        cell = sheet.cell(row=1, column=number, value=spec.name)
        if spec.digits:
            cell.comment = Comment(t("import.text_column"), "register")
            for row in range(2, TEXT_ROWS + 2):
                sheet.cell(row=row, column=number).number_format = "@"
            sheet.column_dimensions[get_column_letter(number)].width = 16
    with writing(out, force=force, personal=False) as tmp:
        book.save(tmp)
    return Path(out)


TEXT_ROWS = 1000  # rows of a template whose phone and ID cells are formatted as text


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet will show, never run: text starting like a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
