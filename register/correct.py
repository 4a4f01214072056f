"""Correcting a recorded record: named fields, a reason, the same rules as a new record.

A correction is judged by the field's own rule (:mod:`register.validation`) and by the rule book
(:mod:`register.rules`) on the corrected record *and* on every record that reads it: a departure
date moved after its return, or a birth year that no longer matches the birth date, is refused
just as it would be when first entered. A correction that changes nothing is not written. The
old values stay in the audit log; the protection warnings of the records it touches are worked
out again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from typing import Any

from . import audit, rules
from .db import Register, now
from .errors import RegisterError, ValidationError
from .i18n import t
from .links import resolve
from .model import MODEL, fields_of
from .query import Found, find
from .validation import Problem, clean_value


def _row(conn: sqlite3.Connection, table: str, record_id: str) -> dict[str, Any] | None:
    key = MODEL.key_of(table)
    cur = conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (record_id,))
    values = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], values, strict=True)) if values else None


class _Overlay:
    """The register as it would be after the correction (for the rule book)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        return self.pending.get(table, {}).get(record_id) or _row(self.conn, table, record_id)


def _target(found: Found, name: str) -> tuple[str, str] | None:
    """(table, key) where the field ``name`` of the found record lives, or None."""
    kind = MODEL.kind_of_table(found.table)
    try:
        table = MODEL.table_of(kind, name)
    except KeyError:
        return None
    if table == found.table:
        return table, found.id
    if found.table == "journeys" and table in ("persons", "person_identity"):
        return table, found.record["person_id"]  # a departure shows its person's fields
    if found.table == "persons" and table == "person_identity":
        return table, found.id
    return None


def correct(
    reg: Register,
    ref: str,
    changes: Mapping[str, Any],
    reason: str,
    *,
    today: dt.date | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Change fields of one record; return {field: (old, new)} for the fields that changed.

    Raises
    ------
    ValidationError
        A new value breaks the field's rule or a rule of the rule book (on this record or on one
        that reads it), or a field cannot be corrected this way.
    RegisterError
        No reason was given.
    """
    if not (reason or "").strip():
        raise RegisterError(t("err.no_reason"))
    found = find(reg, ref)
    specs = {s.name: s for s in fields_of(MODEL.kind_of_table(found.table))}
    overlay = _Overlay(reg.conn)
    problems: list[Problem] = []
    planned: dict[tuple[str, str], dict[str, Any]] = {}
    for name, raw in changes.items():
        spec = specs.get(name)
        where = _target(found, name) if spec is not None else None
        if spec is None or where is None or (spec.kind == "id" and not spec.refers):
            problems.append(Problem(name, raw, "rule.not_correctable"))
            continue
        value, problem = clean_value(spec, raw, today or dt.date.today())
        if problem is None and value is not None and spec.refers:
            value, problem = resolve(overlay, spec, value)
        if problem is None and value is None and spec.required:
            problem = Problem(name, raw, "rule.required")
        if problem:
            problems.append(problem)
            continue
        planned.setdefault(where, {})[name] = value
    if problems:
        raise ValidationError(problems)
    changed: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = []
    for (table, key), values in planned.items():
        before = _row(reg.conn, table, key)
        after = {**(before or {MODEL.key_of(table): key}), **values}
        if before is not None and all(before.get(k) == v for k, v in values.items()):
            continue  # nothing would change: no write, no audit entry
        overlay.pending.setdefault(table, {})[key] = after
        changed.append((table, key, before, after))
    problems = _judge(reg.conn, overlay, changed)
    if problems:
        raise ValidationError(problems)
    return _write(reg, changed, reason)


def _judge(conn: sqlite3.Connection, overlay: _Overlay,
           changed: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]]) -> list[Problem]:
    """The rule book on each corrected record and on every record that reads one."""
    problems: list[Problem] = []
    for table, key, _, after in changed:
        for spec in MODEL.table(table).fields:
            if spec.unique and after.get(spec.name) is not None:
                other = conn.execute(f"SELECT 1 FROM {table} WHERE {spec.name} = ? AND "
                                     f"{MODEL.key_of(table)} != ?", (after[spec.name], key))
                if other.fetchone():
                    problems.append(Problem(spec.name, after[spec.name], f"rule.unique.{table}"))
        problems += rules.judge(overlay, table, after)
        for subject, via in rules.readers(table):
            cur = conn.execute(f"SELECT * FROM {subject} WHERE {via} = ?", (key,))
            names = [d[0] for d in cur.description]
            for values in cur:
                row = dict(zip(names, values, strict=True))
                row = overlay.pending.get(subject, {}).get(row["id"], row)
                for problem in rules.judge(overlay, subject, row):
                    problems.append(Problem(
                        f"{problem.field} ({t('table.' + subject)} {row['id'][:8]})",
                        problem.value, problem.rule, details=problem.details))
    return problems


def _write(reg: Register, changed: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]],
           reason: str) -> dict[str, tuple[Any, Any]]:
    result: dict[str, tuple[Any, Any]] = {}
    written: list[audit.Written] = []
    at = now()
    audit.refuse_foreign(reg, [(table, key) for table, key, _, _ in changed])
    with reg.write() as conn:
        for table, key, before, after in changed:
            key_column = MODEL.key_of(table)
            values = {k: v for k, v in after.items() if k != key_column}
            if before is None:  # a person's identity recorded for the first time
                conn.execute(f"INSERT INTO {table} ({key_column}) VALUES (?)", (key,))
            sets = ", ".join(f"{name} = ?" for name in values)
            try:
                conn.execute(f"UPDATE {table} SET {sets} WHERE {key_column} = ?",
                             (*values.values(), key))
            except sqlite3.IntegrityError as exc:
                raise ValidationError([Problem(", ".join(values), None, "rule.database",
                                               details={"error": str(exc)})]) from None
            stored = _row(conn, table, key)
            old = {name: (before or {}).get(name) for name, value in values.items()
                   if (before or {}).get(name) != value}
            written.append(audit.Written(table, key, stored or {}, old))
            for name, value in values.items():
                if (before or {}).get(name) != value:
                    result[name] = ((before or {}).get(name), value)
        # One entry for the whole correction: the rows as they now stand, the old values.
        if written:
            audit.log(conn, "correct", written, actor=reg.actor, at=at, reason=reason)
        _rewarn(reg, conn, [(table, key) for table, key, _, _ in changed], at)
    return result


def _rewarn(reg: Register, conn: sqlite3.Connection, touched: list[tuple[str, str]],
            at: str) -> None:
    """Work out again the protection warnings of the journeys a correction touched."""
    journeys: set[str] = set()
    for table, key in touched:
        if table == "journeys":
            journeys.add(key)
        for subject, via in rules.readers(table):
            if subject == "journeys":
                journeys.update(r[0] for r in conn.execute(
                    f"SELECT id FROM journeys WHERE {via} = ?", (key,)))
    view = _Overlay(conn)
    for journey_id in sorted(journeys):
        conn.execute("DELETE FROM warnings WHERE table_name = 'journeys' AND record_id = ?",
                     (journey_id,))
        row = _row(conn, "journeys", journey_id)
        if row is None:
            continue
        conn.executemany(
            "INSERT INTO warnings (table_name, record_id, code, detail, created_at) "
            "VALUES ('journeys', ?, ?, ?, ?)",
            [(journey_id, w.rule.removeprefix("warn."), str(w.details.get("detail", "")), at)
             for w in rules.judge(view, "journeys", row, warnings=True)])
