"""Adding records: departures (person + journey), returns, referrals, agencies, brokers.

One path serves a single record typed by a clerk and ten thousand rows of an import:
:func:`add_records` checks every row - its fields (:mod:`register.validation`), its links to
other records, and the rule book (:mod:`register.rules`) - then writes all rows, their audit
entries and their protection warnings in one transaction, or nothing. Which tables a record of
each kind writes, and their columns, come from the data model (:mod:`register.model`).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import audit, rules
from .db import Register, new_id, now
from .errors import ValidationError
from .links import resolve
from .model import MODEL, Kind, fields_of
from .record_keys import content_key, key_id
from .validation import Problem, clean_records, is_uuid


@dataclass
class WriteReport:
    """What an add or import did (or, for a dry run, would do)."""

    kind: str
    rows: int = 0
    written: dict[str, int] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)  # a departure's person, new or known
    already_present: int = 0
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # (record id, code, detail)
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False


class _Batch:
    """Rows to write, and a view of the register with them (for rules across rows)."""

    def __init__(self, reg: Register) -> None:
        self.conn = reg.conn
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}
        self.warnings: list[tuple[str, str, str, str]] = []  # (table, id, code, detail)
        self._ids: dict[str, set[str]] = {}
        self._unique: dict[tuple[str, str], set[Any]] = {}

    def add(self, table: str, row: dict[str, Any], row_id: str | None = None) -> None:
        self.tables.setdefault(table, []).append(row)
        self.pending.setdefault(table, {})[row_id or row[MODEL.key_of(table)]] = row
        for (name, column), seen in self._unique.items():
            if name == table:
                seen.add(row.get(column))

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        if record_id in self.pending.get(table, {}):
            return self.pending[table][record_id]
        if not self.exists(table, record_id):  # the ids are read once: no query per new row
            return None
        key = MODEL.key_of(table)
        cur = self.conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (record_id,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def exists(self, table: str, record_id: str) -> bool:
        """Is this id already taken (in the register or earlier in the batch)?"""
        known = self._ids.get(table)
        if known is None:
            key = MODEL.key_of(table)
            known = self._ids[table] = {r[0] for r in self.conn.execute(f"SELECT {key} FROM {table}")}
        return record_id in known or record_id in self.pending.get(table, {})

    def taken(self, table: str, column: str, value: Any) -> bool:
        """Does a record of ``table`` already hold ``value`` in a unique ``column``?"""
        seen = self._unique.get((table, column))
        if seen is None:
            seen = self._unique[(table, column)] = {
                r[0] for r in self.conn.execute(f"SELECT {column} FROM {table}")}
            seen.update(row.get(column) for row in self.tables.get(table, []))
        return value in seen

    def warn(self, table: str, record_id: str, code: str, detail: str = "") -> None:
        self.warnings.append((table, record_id, code, detail))


@functools.cache
def _stored_fields(table: str) -> tuple[str, ...]:
    return tuple(f.name for f in MODEL.table(table).fields)


@functools.cache
def _unique_fields(table: str) -> tuple[str, ...]:
    return tuple(f.name for f in MODEL.table(table).fields if f.unique)


_KEYS = {table.name: table.key for table in MODEL.tables}


@functools.cache
def _layout(tables: tuple[str, ...]) -> tuple[tuple[str, str, tuple[str, ...],
                                                    tuple[tuple[str, Any], ...], bool], ...]:
    """For each table a kind writes, in the model's order: its key, fields, defaults, and
    whether it carries provenance (looked up once per kind, not per row)."""
    out = []
    for name in MODEL.table_names:
        if name in tables:
            table = MODEL.table(name)
            defaults = tuple((f.name, f.default) for f in table.fields if f.default is not None)
            out.append((name, table.key, _stored_fields(name), defaults, table.provenance))
    return tuple(out)


def _rows_of(kind: Kind, rec: Mapping[str, Any], ids: Mapping[str, str],
             stamp: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The table rows a record of ``kind`` writes (ids already decided)."""
    out = []
    for name, key, fields, defaults, provenance in _layout(kind.tables):
        row: dict[str, Any] = {key: ids[name]}
        for f in fields:
            row[f] = rec.get(f)
        for f, default in defaults:
            if row[f] is None:
                row[f] = default
        if provenance:
            row.update(stamp)
        out.append((name, row))
    return out


def _same(stored: Mapping[str, Any], new: Mapping[str, Any], table: str) -> bool:
    return all(stored.get(f) == new.get(f) for f in _stored_fields(table))


def _plan_record(batch: _Batch, kind: Kind, rec: dict[str, Any], problems: list[Problem],
                 report: WriteReport, stamp: Mapping[str, Any]) -> bool:
    """Check one cleaned record against the register; queue its rows. False: not written
    (refused, with ``problems``, or already in the register)."""
    own = rec.get(kind.id_field)
    if own is not None and not is_uuid(own):
        problems.append(Problem(kind.id_field, own, "rule.uuid"))
    person = None
    if kind.name == "departures" and rec.get("person_id"):
        # A departure of someone already registered: their fields may be left blank. A
        # person_id that is not a full id is looked up like any link (its first characters).
        if not is_uuid(rec["person_id"]):
            found, problem = resolve(batch, MODEL.table("journeys").field("person_id"),
                                     rec["person_id"])
            if problem:
                problems.append(problem)
            rec["person_id"] = found or rec["person_id"]
        person = batch.get("persons", rec["person_id"])
        if person is not None:
            problems[:] = [p for p in problems if not (p.rule == "rule.required" and
                                                       p.field in _stored_fields("persons"))]
            problems.extend(_person_conflicts(batch, person, rec))
    # Links: each id field pointing at another record is resolved (an id, its first 6+
    # characters, an agency's licence number or name) and must exist.
    for spec in _link_fields(kind.name):
        value = rec.get(spec.name)
        if not spec.refers or not value or spec.name in ("person_id", kind.id_field) and \
                kind.name == "departures":
            continue
        found, problem = resolve(batch, spec, value)
        if problem:
            problems.append(problem)
        else:
            rec[spec.name] = found
    if problems:
        return False
    ids = dict.fromkeys(kind.tables, own or "")
    if rec.get("birth_date") and not rec.get("birth_year"):  # the year follows from the date
        rec["birth_year"] = int(rec["birth_date"][:4])
    if kind.name == "departures":
        rec["person_id"] = rec.get("person_id") or new_id()
        ids.update(persons=rec["person_id"], person_identity=rec["person_id"])
    planned = _rows_of(kind, rec, ids, stamp)
    if person is not None:
        planned = [(t, r) for t, r in planned if t not in ("persons", "person_identity")]
    elif kind.name == "departures" and not any(
            rec.get(f) for f in _stored_fields("person_identity")):
        planned = [(t, r) for t, r in planned if t != "person_identity"]
    main_table, main_row = planned[-1]
    if own and batch.exists(main_table, own):
        stored = batch.get(main_table, own)
        if stored is not None and not problems and _same(stored, main_row, main_table):
            return False  # already in the register: importing the same rows twice changes nothing
        problems.append(Problem(kind.id_field, own, "rule.id_taken"))
        return False
    if problems:
        return False
    record_id = own or new_id()
    keyed = []
    for table, row in planned:
        key = _KEYS[table]
        row[key] = row_id = row[key] or record_id
        keyed.append((table, row, row_id))
        for name in _unique_fields(table):
            if row.get(name) is not None and batch.taken(table, name, row[name]):
                problems.append(Problem(name, row[name], f"rule.unique.{table}"))
    for table, row, row_id in keyed:  # the rule book sees the whole record at once
        batch.pending.setdefault(table, {})[row_id] = row
    for table, row, _ in keyed:
        problems.extend(rules.judge(batch, table, row))
    if problems:
        for table, _, row_id in keyed:
            batch.pending[table].pop(row_id, None)
        return False
    for table, row, row_id in keyed:
        batch.add(table, row, row_id)
        for warning in rules.judge(batch, table, row, warnings=True):
            batch.warn(table, row_id, warning.rule.removeprefix("warn."),
                       str(warning.details.get("detail", "")))
    report.ids.append(record_id)
    if kind.name == "departures":
        report.persons.append(rec["person_id"])
    return True


@functools.cache
def _link_fields(kind: str) -> tuple[Any, ...]:
    """The fields of a kind that point at another record (resolved by register.links)."""
    return tuple(spec for spec in fields_of(kind) if spec.refers)


def _person_conflicts(batch: _Batch, person: Mapping[str, Any],
                      rec: Mapping[str, Any]) -> list[Problem]:
    """A departure of a known person may leave the person's fields blank; values it does give
    must be those recorded (else it describes someone else, or a correction to make first)."""
    identity = batch.get("person_identity", person["id"]) or {}
    problems = []
    for table, stored in (("persons", person), ("person_identity", identity)):
        for name in _stored_fields(table):
            given = rec.get(name)
            if given is not None and stored.get(name) is not None and given != stored[name]:
                problems.append(Problem(name, given, "rule.person_differs",
                                        details={"recorded": stored[name]}))
    return problems


def id_for_key(reg: Register, kind: str, key: str, *, person: bool = False) -> str:
    """The id a record imported under ``key`` gets (its person's id, for a departure's person):
    the same register, kind and key always give the same id."""
    return key_id(reg.register_id, kind, key, person=person)


def add_records(
    reg: Register,
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
    first_row: int = 1,
    numbers: Sequence[int] | None = None,
    keys: Sequence[str] | str | None = None,
) -> WriteReport:
    """Check and add many records of one kind, all or nothing.

    Parameters
    ----------
    rows
        Raw field values by field name (see ``register.model``), as typed or read from a file.
    dry_run
        Check everything against the register, write nothing, and return every problem found.
    first_row, numbers
        Number of the first row, for messages; or each row's own number (its line in a file).
    keys
        A stable key for each row from its source (a phone form's submission id), or
        ``"content"`` for a key made from the row's cleaned content (an import of a file).
        Rows without an id get one derived from the register and their key, so the same row
        imported again - from the same file, a re-downloaded export or a file in another order -
        adds nothing; two rows of one batch with the same key are refused (the same record twice).

    Raises
    ------
    ValidationError
        Listing every problem, by row and field, when any row breaks a rule (not in a dry run).
    """
    spec = MODEL.kind(kind) if kind in MODEL.kind_names else None
    if spec is None:
        fields_of(kind)  # raises a RegisterError naming the known kinds
    assert spec is not None
    if dry_run:
        return _plan(reg, spec, rows, True, today, first_row, numbers, keys)[0]
    # Checks against the register and the write happen in one transaction, so a second clerk
    # writing at the same moment cannot slip the same ids or a second return in between.
    with reg.write():
        report, batch = _plan(reg, spec, rows, False, today, first_row, numbers, keys)
        if report.problems:
            raise ValidationError(report.problems)
        if batch.tables:
            _write(reg, batch)
    return report


def _plan(reg: Register, kind: Kind, rows: Iterable[Mapping[str, Any]], dry_run: bool,
          today: dt.date | None, first_row: int, numbers: Sequence[int] | None,
          keys: Sequence[str] | str | None) -> tuple[WriteReport, _Batch]:
    report = WriteReport(kind=kind.name, dry_run=dry_run)
    batch = _Batch(reg)
    register_id = reg.register_id
    stamp = {"source_register": register_id, "recorded_at": now()}
    first_with_key: dict[str, int] = {}
    rows = list(rows)
    for index, (raw, (rec, problems)) in enumerate(zip(rows, clean_records(
            kind.name, rows, today=today), strict=True)):
        number = numbers[index] if numbers is not None else first_row + index
        report.rows += 1
        if keys is not None:
            key = content_key(kind.name, rec) if keys == "content" else keys[index]
            if key in first_with_key:
                problems.append(Problem("", None, "rule.repeated_row",
                                        details={"first": first_with_key[key]}))
            first_with_key.setdefault(key, number)
            if not rec.get(kind.id_field):
                rec[kind.id_field] = key_id(register_id, kind.name, key)
            if kind.name == "departures" and not rec.get("person_id"):
                rec["person_id"] = key_id(register_id, kind.name, key, person=True)
        if not _plan_record(batch, kind, rec, problems, report, stamp) and not problems:
            report.already_present += 1
        report.problems.extend(_as_typed(p, raw).at_row(number) for p in problems)
    report.warnings = [(rid, code, detail) for _, rid, code, detail in batch.warnings]
    report.written = {t: len(r) for t, r in batch.tables.items() if r}
    return report, batch


def _as_typed(problem: Problem, raw: Mapping[str, Any]) -> Problem:
    """A problem naming the value as it was typed (``04E063B3``), not as it was cleaned."""
    typed = raw.get(problem.field)
    if problem.value is None or typed is None or typed == "":
        return problem
    return replace(problem, value=typed)


def _write(reg: Register, batch: _Batch) -> None:
    at = now()
    written: list[audit.Written] = []
    with reg.write() as conn:
        for table in MODEL.table_names:
            rows = batch.tables.get(table)
            if not rows:
                continue
            columns = list(rows[0])
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            conn.executemany(sql, map(operator.itemgetter(*columns), rows))  # tuples bind faster
            key = MODEL.key_of(table)
            written.extend(audit.Written(table, row[key], row) for row in rows)
        conn.executemany(
            "INSERT INTO warnings (table_name, record_id, code, detail, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(*w, at) for w in batch.warnings],
        )
        audit.log(conn, "add", written, actor=reg.actor, at=at)


def add_one(reg: Register, kind: str, values: Mapping[str, Any], *,
            today: dt.date | None = None, key: str | None = None) -> WriteReport:
    """Add a single record (what the clerk's prompts do); raises ValidationError if it is bad
    (its problems name no row: there is one record). ``key``: the record's id is made from it
    (see :func:`add_records`), so the same record saved twice under one key is written once."""
    try:
        return add_records(reg, kind, [values], today=today, first_row=1,
                           keys=None if key is None else [key])
    except ValidationError as exc:
        raise ValidationError([Problem(p.field, p.value, p.rule, None, p.details)
                               for p in exc.problems]) from None


def add_departure(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "departures", values)


def add_return(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "returns", values)


def add_referral(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "referrals", values)


def add_agency(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "agencies", values)


def add_broker(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "brokers", values)
