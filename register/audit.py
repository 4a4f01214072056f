"""The append-only, hash-chained audit log.

Every insert and correction made by the program writes an entry: who, when, the row before and
after (JSON), and for a correction the reason. Entry ``n`` stores ``sha256(hash(n-1) + entry n)``,
so an entry edited, removed or inserted by hand breaks the chain from that point; and since the
last entry of each record holds the record as the program left it, a record edited outside the
program no longer matches its log. :func:`verify` reports both.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import MODEL
from .schema import RECORD_TABLES

_COLUMNS = "seq, at, actor, action, table_name, record_id, before, after, reason"


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(row: Mapping[str, Any] | None) -> str | None:
    """A row as JSON text with sorted keys: the same row always gives the same text."""
    if row is None:
        return None
    return _ENCODER.encode(row if isinstance(row, dict) else dict(row))


def entry_hash(prev_hash: str, fields: tuple[Any, ...]) -> str:
    """sha256 over the previous hash and the entry's fields (unit-separated; None as \\N)."""
    payload = "\x1f".join([prev_hash, *("\\N" if f is None else str(f) for f in fields)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    table_name: str
    record_id: str
    action: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str | None = None


def append(conn: sqlite3.Connection, entries: Iterable[Entry], *, actor: str, at: str) -> int:
    """Append entries to the log; call inside the write transaction that makes the change."""
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0], last[1]) if last else (0, "")
    rows = []
    for entry in entries:
        seq += 1
        fields = (seq, at, actor, entry.action, entry.table_name, entry.record_id,
                  canonical(entry.before), canonical(entry.after), entry.reason)
        prev = entry_hash(prev, fields)
        rows.append((*fields, prev))
    conn.executemany(
        f"INSERT INTO audit_log ({_COLUMNS}, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    return len(rows)


def history(conn: sqlite3.Connection, record_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The log's entries about these records, oldest first (``before``/``after`` as dicts)."""
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        return []
    cur = conn.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE record_id IN "
                       f"({', '.join('?' * len(ids))}) ORDER BY seq", ids)
    names = [d[0] for d in cur.description]
    entries = [dict(zip(names, row, strict=True)) for row in cur]
    for entry in entries:
        for side in ("before", "after"):
            entry[side] = json.loads(entry[side]) if entry[side] else None
    return entries


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the audit check found: a broken chain, or a record changed outside the program."""

    kind: str  # chain_broken | edited_outside | added_outside | removed_outside
    table_name: str
    record_id: str
    seq: int | None = None

    def __str__(self) -> str:
        from .i18n import t

        return t(f"audit.{self.kind}", table=self.table_name, record=self.record_id, seq=self.seq)


def _key(table: str) -> str:
    return MODEL.key_of(table)


def verify(conn: sqlite3.Connection, *, local_register: str | None = None) -> list[Finding]:
    """Check the hash chain and that every record still matches its last logged state.

    In a merged register, records that came in through a merge are logged once per merged file
    (in their own commune's register, per record); give ``local_register`` (this register's id)
    to compare only the records entered here.
    """
    findings: list[Finding] = []
    prev = ""
    expected_seq = 0
    last_state: dict[tuple[str, str], str | None] = {}
    cursor = conn.execute(f"SELECT {_COLUMNS}, hash FROM audit_log ORDER BY seq")
    for row in cursor:
        expected_seq += 1
        fields, stored = tuple(row[:9]), row[9]
        if row[0] != expected_seq or entry_hash(prev, fields) != stored:
            findings.append(Finding("chain_broken", row[4], row[5], row[0]))
            expected_seq = row[0]
        prev = stored
        if row[3] in ("insert", "update"):
            last_state[(row[4], row[5])] = row[7]
    seen: set[tuple[str, str]] = set()
    for table in RECORD_TABLES:
        key = _key(table)
        names = [d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description]
        if local_register is None:
            cur = conn.execute(f"SELECT * FROM {table}")
        elif MODEL.table(table).owner:  # an owned record belongs where its owner was entered
            owner = MODEL.table(table).owner
            cur = conn.execute(f"SELECT i.* FROM {table} i JOIN {owner} p "
                               f"ON p.id = i.{key} WHERE p.source_register = ?",
                               (local_register,))
        else:
            cur = conn.execute(f"SELECT * FROM {table} WHERE source_register = ?",
                               (local_register,))
        for values in cur:
            row_dict = dict(zip(names, values, strict=True))
            record_id = row_dict[key]
            seen.add((table, record_id))
            logged = last_state.get((table, record_id))
            if logged is None:
                findings.append(Finding("added_outside", table, record_id))
            elif logged != canonical(row_dict):
                findings.append(Finding("edited_outside", table, record_id))
    for (table, record_id), state in last_state.items():
        if (table, record_id) not in seen and state is not None:
            findings.append(Finding("removed_outside", table, record_id))
    return findings
