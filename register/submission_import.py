"""``register import FILE --from kobo|odk``: phone submissions into the register, all or nothing.

Each submission's original (root) instance ID is its key (``kobo:ROOT`` / ``odk:ROOT``): the
record made from it has an id derived from that key (see ``register.records.add_records``), so
the same export imported twice adds nothing, and a newer export adds only the new submissions.
A submission edited on the server whose record is already in the register becomes a correction
of that record (``register.correct.correct``), its reason naming the submission and the edit; an
edit already applied is not applied again. Everything happens in one transaction: a bad
submission (named by its instance ID, field and rule) leaves the register unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .db import Register
from .errors import ValidationError
from .i18n import t
from .model import fields_of
from .records import WriteReport, add_records, id_for_key
from .submissions import SOURCES, Submission, read_submissions
from .validation import Problem, clean_record, clean_value

# The table holding each kind's records, and the departures' person tables.
_TABLE = {"departures": "journeys", "returns": "returns", "referrals": "referrals",
          "agencies": "agencies", "brokers": "brokers"}


@dataclass(frozen=True, slots=True)
class SubmissionProblem(Problem):
    """A problem of one submission: the field rule's message, named by the instance ID."""

    instance: str = ""

    def __str__(self) -> str:
        return t("formats.problem", instance=self.instance, problem=Problem.__str__(self))


@dataclass
class SubmissionReport:
    """What an import of submissions did (or, in a dry run, would do)."""

    source: str
    submissions: int
    added: WriteReport
    corrected: list[tuple[str, str, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    edits_already_applied: int = 0
    problems: list[Problem] = field(default_factory=list)


def record_key(source: str, submission: Submission) -> str:
    return f"{source}:{submission.root}"


def _stored(reg: Register, kind: str, record_id: str) -> dict[str, Any] | None:
    conn = reg.conn
    cur = conn.execute(f"SELECT * FROM {_TABLE[kind]} WHERE id = ?", (record_id,))
    row = cur.fetchone()
    if row is None:
        return None
    out = dict(zip([d[0] for d in cur.description], row, strict=True))
    if kind == "departures":
        for table, key in (("persons", "id"), ("person_identity", "person_id")):
            cur = conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (out["person_id"],))
            found = cur.fetchone()
            if found is not None:
                extra = dict(zip([d[0] for d in cur.description], found, strict=True))
                out.update({k: v for k, v in extra.items() if k not in ("id", "person_id")})
    return out


def _same_reference(reg: Register, name: str, new: Any, old: Any) -> bool:
    """An agency given by licence number is the agency stored by id."""
    if new == old:
        return True
    if name.endswith("agency_id") and old:
        found = reg.conn.execute("SELECT lower(licence_number) FROM agencies WHERE id = ?",
                                 (old,)).fetchone()
        return found is not None and found[0] == new
    return False


def _changes(reg: Register, kind: str, sub: Submission, stored: dict[str, Any],
             today: dt.date) -> tuple[dict[str, Any], list[Problem]]:
    clean, problems = clean_record(kind, sub.values, today=today)
    changes = {}
    for spec in fields_of(kind):
        if spec.name not in sub.values or spec.name in ("id", "person_id", "journey_id"):
            continue
        if not _same_reference(reg, spec.name, clean.get(spec.name), stored.get(spec.name)):
            changes[spec.name] = sub.values[spec.name]
    return changes, problems


def _applied(reg: Register, record_id: str, instance: str) -> bool:
    """Was this edit (its instance ID) already applied to the record? (the audit log says)."""
    from . import audit

    person = reg.conn.execute("SELECT person_id FROM journeys WHERE id = ?", (record_id,)
                              ).fetchone()
    return audit.entries_with_reason(reg.conn, instance, [record_id, *(person or ())])


def import_submissions(
    reg: Register, path: str | Path, kind: str, source: str, *, dry_run: bool = False,
    sheet: str | None = None, today: dt.date | None = None,
) -> SubmissionReport:
    """Import a KoboToolbox or ODK Central export of the ``kind`` form, all or nothing.

    Raises
    ------
    ValidationError
        Naming each bad submission (instance ID, row, field, rule); nothing is written.
    FormVersionError
        The export is of another version of the form.
    """
    today = today or dt.date.today()
    subs = _unique(read_submissions(path, kind, source, sheet=sheet))
    new: list[Submission] = []
    edits: list[tuple[Submission, str]] = []
    for sub in subs:
        record_id = next((rid for rid in (id_for_key(reg, kind, f"{source}:{root}")
                                          for root in (sub.root, sub.previous) if root)
                          if _stored(reg, kind, rid) is not None), None)
        if sub.edited and record_id is not None:
            edits.append((sub, record_id))
        else:
            new.append(sub)
    by_row = {sub.row: sub.instance for sub in subs}
    report = SubmissionReport(source, len(subs), WriteReport(kind=kind, dry_run=dry_run))
    args: dict[str, Any] = {"numbers": [s.row for s in new], "keys": [record_key(source, s) for s in new],
            "today": today}
    if dry_run:
        report.added = add_records(reg, kind, [s.values for s in new], dry_run=True, **args)
        report.problems = [_named(p, by_row) for p in report.added.problems]
        for sub, record_id in edits:
            stored = _stored(reg, kind, record_id) or {}
            changes, problems = _changes(reg, kind, sub, stored, today)
            specs = {s.name: s for s in fields_of(kind)}
            problems += [p for name, raw in changes.items()
                         if (p := clean_value(specs[name], raw, today)[1]) is not None]
            report.problems += [_named(p.at_row(sub.row), by_row) for p in problems]
        return report
    from .correct import correct

    with reg.write():
        try:
            report.added = add_records(reg, kind, [s.values for s in new], **args)
        except ValidationError as exc:
            raise ValidationError([_named(p, by_row) for p in exc.problems]) from None
        for sub, record_id in edits:
            if _applied(reg, record_id, sub.instance):
                report.edits_already_applied += 1
                continue
            stored = _stored(reg, kind, record_id) or {}
            changes, problems = _changes(reg, kind, sub, stored, today)
            if problems:
                raise ValidationError([_named(p.at_row(sub.row), by_row) for p in problems])
            if not changes:
                continue
            reason = t("formats.edit_reason", source=SOURCES[source], instance=sub.instance,
                       root=sub.root, edit=sub.edit)
            try:
                done = correct(reg, record_id, changes, reason, today=today)
            except ValidationError as exc:
                raise ValidationError([_named(p.at_row(sub.row), by_row)
                                       for p in exc.problems]) from None
            report.corrected.append((record_id, sub.instance, done))
    return report


def _named(problem: Problem, by_row: dict[int, str]) -> Problem:
    instance = by_row.get(problem.row or -1, "")
    return SubmissionProblem(problem.field, problem.value, problem.rule, problem.row,
                             problem.details, instance)


def _unique(subs: list[Submission]) -> list[Submission]:
    """The same submission exported twice, with the same values, is one submission (a known
    server duplicate); two different ones with one instance ID stay, and are refused."""
    seen: set[tuple[str, str]] = set()
    out = []
    for sub in subs:
        mark = (sub.instance, repr(sorted(sub.values.items(), key=lambda kv: kv[0])))
        if mark not in seen:
            seen.add(mark)
            out.append(sub)
    return out
