"""Reading what the phone forms send back: KoboToolbox and ODK Central submission exports.

:func:`read_submissions` turns an export (CSV or XLSX) of a form made by ``register xlsform``
into :class:`Submission` records: the instance ID, the original (root) instance ID, whether and
how it was edited, when it was submitted, and ``{field: value}`` in the register's own terms.
The shapes handled, as the tools write them (kobotoolbox/formpack ``reporting/export.py``,
getodk/central-backend ``lib/data/briefcase.js``):

* column names with group paths: ``group/question`` (Kobo), ``group-question`` (ODK), or bare;
* a question exported by its label instead of its name (Kobo "labels" exports), and choices
  exported as labels; labels are mapped back to names through the form's own choice lists;
* ``select_multiple`` as one space-separated column and/or split 0/1 columns ``question/choice``;
* metadata: Kobo ``_id``, ``_uuid``, ``_submission_time``, ``meta/instanceID``,
  ``meta/deprecatedID`` and ``meta/rootUuid`` (an edited submission); ODK ``SubmissionDate``,
  ``meta-instanceID``, ``KEY`` (the original instance ID, kept through edits), ``Edits``,
  ``ReviewState`` (``edited``) and ``FormVersion``.

Every form carries its version in a ``form_version`` question; an export of another version of
the form is refused (:class:`FormVersionError`) naming both versions.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RegisterError
from .i18n import t
from .validation import normalise_text
from .xlsform import VERSION_QUESTION, Form, build_form, helper_questions

SOURCES = {"kobo": "KoboToolbox", "odk": "ODK Central"}
# ODK Central's metadata columns (briefcase.js, root table), matched with their exact case.
ODK_META = ("SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
            "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion")
# Questions the tools add to a form's meta group or top level themselves.
TOOL_QUESTIONS = {"instanceID", "instanceName", "deprecatedID", "rootUuid", "audit", "start",
                  "end", "today", "deviceid", "username", "phonenumber", "simserial",
                  "subscriberid", "__version__"}
_CODE_IN_LABEL = re.compile(r"\((\d{2,8})\)\s*$")


class FormVersionError(RegisterError):
    """The export is of another version of the form than the register's."""


@dataclass(frozen=True)
class Submission:
    """One submission of a phone form, in the register's terms."""

    row: int  # line in the export file
    instance: str  # this version's instance ID (uuid:...)
    root: str  # the original submission's instance ID: the record's key
    edited: bool
    edit: str  # what the export says about the edit (empty when not edited)
    submitted: str | None
    values: dict[str, Any]
    previous: str = ""  # Kobo meta/deprecatedID: the instance this one replaced


def _uuid(value: Any) -> str:
    text = normalise_text(value) or ""
    return text if text.startswith("uuid:") or not text else "uuid:" + text


def _norm(label: Any) -> str:
    return (normalise_text(label) or "").casefold()


def read_table(path: str | Path, sheet: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """An export's rows as (line number, {column: value}), column names kept as written."""
    path = Path(path)
    if not path.is_file():
        raise RegisterError(t("import.no_file", file=str(path)))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from .io import excel_rows

        with excel_rows(path, sheet) as sheet_rows:
            grid = list(sheet_rows)
    else:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RegisterError(t("import.encoding", file=path.name, position=exc.start)) from None
        first = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first.count) if first.strip() else ","  # Kobo writes ';'
        try:
            grid = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:
            raise RegisterError(t("import.bad_csv", file=path.name, error=str(exc))) from None
    if not grid or not any(normalise_text(c) for c in grid[0]):
        raise RegisterError(t("import.no_header", file=path.name))
    header = [normalise_text(c) or "" for c in grid[0]]
    seen = set()
    for name in header:
        if name and name in seen:
            raise RegisterError(t("import.duplicate_column", file=path.name, column=name))
        seen.add(name)
    rows = []
    for number, cells in enumerate(grid[1:], start=2):
        if all(not isinstance(c, dt.date) and normalise_text(c) is None for c in cells):
            continue
        rows.append((number, {name: cells[i] if i < len(cells) else None
                              for i, name in enumerate(header) if name}))
    return rows


class _Columns:
    """What each column of an export holds, resolved against the form."""

    def __init__(self, form: Form, header: list[str], source: str) -> None:
        self.form = form
        self.source = source
        self.helpers = helper_questions(form.kind)
        self.by_name = {q.name: q for q in form.questions}
        self.by_label: dict[str, str] = {}
        for q in form.questions:
            for key, text in q.row().items():
                if key.startswith("label::"):
                    self.by_label.setdefault(_norm(text), q.name)
        self.choices = form.choice_labels()
        self.meta: dict[str, str] = {}  # meta name -> column
        self.single: dict[str, str] = {}  # question -> column
        self.split: dict[str, list[tuple[str, str]]] = {}  # question -> [(choice, column)]
        self.unknown: list[str] = []
        for column in header:
            self._place(column)

    def _question(self, text: str) -> str | None:
        parts = [text, re.split(r"[/]", text)[-1]]
        if self.source == "odk":
            parts.append(text.split("-")[-1])
        for part in parts:
            if part in self.by_name:
                return part
            if _norm(part) in self.by_label:
                return self.by_label[_norm(part)]
        return None

    def _place(self, column: str) -> None:
        last = re.split(r"[/-]" if self.source == "odk" else r"/", column)[-1]
        if (self.source == "odk" and column in ODK_META) or column.startswith("_") \
                or last in TOOL_QUESTIONS or column.split("/")[0].split("-")[0] == "meta":
            self.meta[last if column not in ODK_META else column] = column
            return
        if "/" in column:
            head, tail = column.rsplit("/", 1)
            question = self._question(head)
            if question and self.by_name[question].type.startswith("select_multiple "):
                list_name = self.by_name[question].type.split()[1]
                names = self.choices.get(list_name, {})
                choice = tail if tail in names.values() else names.get(tail)
                if choice is None:
                    choice = next((n for label, n in names.items() if _norm(label) == _norm(tail)),
                                  None)
                if choice is not None:
                    self.split.setdefault(question, []).append((choice, column))
                    return
        question = self._question(column)
        if question is None:
            self.unknown.append(column)
        else:
            self.single[question] = column

    def value(self, question: str, row: dict[str, Any]) -> Any:
        q = self.by_name[question]
        raw = row.get(self.single[question]) if question in self.single else None
        if q.type.startswith("select_multiple "):
            if normalise_text(raw) is None and question in self.split:
                chosen = [c for c, col in self.split[question] if _ticked(row.get(col))]
                return " ".join(chosen) or None
            return self._multiple(q.type.split()[1], raw)
        if q.type.startswith("select_one ") and normalise_text(raw) is not None:
            return self._one(q.type.split()[1], raw)
        return raw

    def _one(self, list_name: str, raw: Any) -> Any:
        text = normalise_text(raw) or ""
        names = self.choices.get(list_name, {})
        if text in names.values() or list_name in ("district", "commune", "village", "province"):
            code = _CODE_IN_LABEL.search(text)
            return code.group(1) if code and text not in names.values() else raw
        for label, name in names.items():
            if _norm(label) == _norm(text):
                return name
        return raw  # left for the field's rule to refuse, with its message

    def _multiple(self, list_name: str, raw: Any) -> Any:
        text = normalise_text(raw)
        if text is None:
            return None
        names = self.choices.get(list_name, {})
        tokens = text.split()
        if all(tok in names.values() for tok in tokens):
            return " ".join(tokens)
        # Labels hold spaces: read the cell as a run of labels, longest first.
        labels = {_norm(label): name for label, name in names.items()}
        out, i = [], 0
        while i < len(tokens):
            for j in range(len(tokens), i, -1):
                name = labels.get(_norm(" ".join(tokens[i:j])))
                if name is not None:
                    out.append(name)
                    i = j
                    break
            else:
                return raw
        return " ".join(out)


def _ticked(value: Any) -> bool:
    return (normalise_text(value) or "").lower() in ("1", "1.0", "true", "yes")


def read_submissions(path: str | Path, kind: str, source: str, *,
                     sheet: str | None = None) -> list[Submission]:
    """Read a KoboToolbox or ODK Central export of the ``kind`` form into submissions.

    Raises
    ------
    FormVersionError
        The export is of another version of the form (both versions are named).
    RegisterError
        The file is not such an export (no instance ID column) or cannot be read.
    """
    if source not in SOURCES:
        raise RegisterError(t("formats.unknown_source", source=source,
                              sources=", ".join(SOURCES)))
    path = Path(path)
    form = build_form(kind, places=False)
    rows = read_table(path, sheet)
    header = list(rows[0][1]) if rows else []
    cols = _Columns(form, header, source)
    if not ({"instanceID", "_uuid", "KEY"} & cols.meta.keys()):
        raise RegisterError(t("formats.no_instance_column", file=path.name,
                              source=SOURCES[source]))
    if VERSION_QUESTION not in cols.single and "FormVersion" not in cols.meta:
        raise FormVersionError(t("formats.no_version", file=path.name, expected=form.version))
    out = []
    for number, row in rows:
        _check_version(path, cols, row, form.version)
        out.append(_submission(number, row, cols, source))
    return out


def _check_version(path: Path, cols: _Columns, row: dict[str, Any], expected: str) -> None:
    for column in (cols.single.get(VERSION_QUESTION), cols.meta.get("FormVersion")):
        found = normalise_text(row.get(column)) if column else None
        if found is not None and found != expected:
            raise FormVersionError(t("formats.version_mismatch", file=path.name, found=found,
                                     expected=expected, kind=cols.form.kind))


def _submission(number: int, row: dict[str, Any], cols: _Columns, source: str) -> Submission:
    meta = {name: row.get(column) for name, column in cols.meta.items()}
    instance = _uuid(meta.get("instanceID") or meta.get("_uuid") or meta.get("KEY"))
    previous = ""
    if source == "kobo":
        previous = _uuid(meta.get("deprecatedID"))
        root = _uuid(meta.get("rootUuid")) if normalise_text(meta.get("rootUuid")) else instance
        edited = bool(previous)
        edit = t("formats.kobo_edit", previous=previous) if edited else ""
        submitted = normalise_text(meta.get("_submission_time"))
    else:
        root = _uuid(meta.get("KEY")) if normalise_text(meta.get("KEY")) else instance
        edits = normalise_text(meta.get("Edits")) or "0"
        review = normalise_text(meta.get("ReviewState")) or ""
        edited = edits not in ("0", "0.0") or review == "edited" or root != instance
        edit = t("formats.odk_edit", edits=edits, review=review or "-") if edited else ""
        submitted = normalise_text(meta.get("SubmissionDate"))
    values = {}
    for question in cols.single.keys() | cols.split.keys():
        if question in cols.helpers:
            continue
        values[question] = cols.value(question, row)
    for column in cols.unknown:  # named so that the field rules refuse them
        if normalise_text(row.get(column)) is not None:
            values[column] = row.get(column)
    return Submission(number, instance, root, edited, edit, submitted, values, previous)
