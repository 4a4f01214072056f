"""Finding the record a clerk means by what they typed: its id, the first characters of its id,
or (for an agency) its licence number or name.

Used wherever a record points to another (a return to its departure, a journey to its agency)
and by ``show`` and ``correct``, so that the same text finds the same record everywhere.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any, Protocol

from .model import MODEL, Field
from .validation import Problem, is_uuid

MIN_PREFIX = 6
# The message when a link finds nothing, by the table it points to.
NOT_FOUND = {"agencies": "rule.no_agency", "brokers": "rule.no_broker",
             "journeys": "rule.no_journey", "persons": "rule.no_person"}
# Besides ids: the columns a clerk may name a record by (matched whole, ignoring case).
BY_NAME = {"agencies": ("licence_number", "name"), "brokers": ("name", "alias")}


class Source(Protocol):
    @property
    def conn(self) -> sqlite3.Connection: ...

    @property
    def pending(self) -> Mapping[str, Mapping[str, Mapping[str, Any]]]: ...


def matching_ids(conn: sqlite3.Connection, table: str, text: str,
                 pending: Mapping[str, Any] | None = None) -> list[str]:
    """Ids of ``table`` equal to ``text`` or starting with it (at least 6 characters), in the
    register or among ``pending`` records not yet written."""
    key = MODEL.key_of(table)
    ref = text.strip().lower()
    if len(ref) < MIN_PREFIX:
        return []
    waiting = [i for i in (pending or {}) if i.startswith(ref)]
    found = [r[0] for r in conn.execute(
        f"SELECT {key} FROM {table} WHERE {key} >= ? AND {key} < ? LIMIT 3",
        (ref, ref + "\uffff"))]
    return list(dict.fromkeys(found + waiting))


def _by_name(source: Source, table: str, text: str) -> list[str]:
    columns = BY_NAME.get(table, ())
    if not columns:
        return []
    wanted = text.strip().casefold()
    where = " OR ".join(f"lower({c}) = ?" for c in columns)
    found = [r[0] for r in source.conn.execute(f"SELECT id FROM {table} WHERE {where} LIMIT 3",
                                               [wanted] * len(columns))]
    for record_id, row in source.pending.get(table, {}).items():
        if any((row.get(c) or "").casefold() == wanted for c in columns):
            found.append(record_id)
    return list(dict.fromkeys(found))


def resolve(source: Source, spec: Field, text: str) -> tuple[str | None, Problem | None]:
    """The id of the record ``text`` names in the table ``spec`` points to, or a problem."""
    table = spec.refers or ""
    ref = text.strip()
    pending = source.pending.get(table, {})
    if is_uuid(ref.lower()):
        hits = matching_ids(source.conn, table, ref, pending)
    else:
        hits = matching_ids(source.conn, table, ref, pending) if len(ref) >= MIN_PREFIX else []
        if not hits:
            hits = _by_name(source, table, ref)
    if len(hits) == 1:
        voided = source.conn.execute("SELECT 1 FROM voided WHERE table_name = ? AND record_id = ?",
                                     (table, hits[0])).fetchone()
        if voided:  # a record entered by mistake is not linked to
            return None, Problem(spec.name, text, "rule.voided_link")
        return hits[0], None
    if len(hits) > 1:
        return None, Problem(spec.name, text, "rule.ambiguous_link")
    return None, Problem(spec.name, text, NOT_FOUND.get(table, "rule.no_record"))
