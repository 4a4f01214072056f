"""Upgrading a register's audit log from version 1 (one JSON entry per row) to version 2.

The version-1 chain is verified first (each entry's sha256 over the previous hash and its
fields) and every record compared with its last logged state: a register whose log or records
were changed outside the program is not upgraded (that would launder the change), and says so.
The entries are then converted - consecutive entries of one write become one entry, a row's JSON
becomes its row hash, old identifying values of corrections move to ``audit_private`` - and the
version-1 log is dropped with its names and phones (``secure_delete`` overwrites its pages). The
version-1 entry hashes are kept (``audit_v1``) and the upgrade entry records their digest and the
version-1 head, so a code written down before the upgrade still checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import sqlite3
from typing import Any

from . import audit
from .audit_check import verify_records
from .errors import IntegrityError
from .model import MODEL

UPGRADE_ACTOR = "register-upgrade"


def _now() -> str:  # as register.db.now (not imported: the schema's migrations run this)
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _v1_hash(prev: str, fields: tuple[Any, ...]) -> str:
    payload = "\x1f".join([prev, *("\\N" if f is None else str(f) for f in fields)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _v1_problem(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> str | None:
    """The first thing wrong with a version-1 log and its records, or None."""
    from .i18n import t

    prev = ""
    last: dict[tuple[str, str], bytes] = {}
    for expected, row in enumerate(rows, start=1):
        if row[0] != expected or _v1_hash(prev, tuple(row[:9])) != row[9]:
            return t("audit.chain_broken", seq=row[0], table=row[4], record=row[5])
        prev = row[9]
        if row[3] in ("insert", "update") and row[7] is not None:
            last[(row[4], row[5])] = audit.row_hash(json.loads(row[7]))
    meta = dict(conn.execute("SELECT key, value FROM register_meta"))
    local = meta.get("register_id") if meta.get("level", "commune") != "commune" else None
    for table in MODEL.table_names:
        spec = MODEL.table(table)
        if local is None:
            cur = conn.execute(f"SELECT * FROM {table}")
        elif spec.owner:
            cur = conn.execute(f"SELECT i.* FROM {table} i JOIN {spec.owner} p ON p.id = "
                               f"i.{spec.key} WHERE p.source_register = ?", (local,))
        else:
            cur = conn.execute(f"SELECT * FROM {table} WHERE source_register = ?", (local,))
        names = [d[0] for d in cur.description]
        for values in cur:
            record = dict(zip(names, values, strict=True))
            logged = last.pop((table, record[spec.key]), None)
            if logged is None:
                return t("audit.added_outside", table=table, record=record[spec.key])
            if logged != audit.row_hash(record):
                return t("audit.edited_outside", table=table, record=record[spec.key])
    for table, record_id in last:
        if table in MODEL.table_names:
            return t("audit.removed_outside", table=table, record=record_id)
    return None


def upgrade_v1(conn: sqlite3.Connection) -> None:
    """Convert the version-1 log (inside the migration's transaction); refuse a tampered one."""
    from .i18n import t

    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'").fetchone():
        return
    conn.execute("PRAGMA secure_delete = ON")  # the dropped log's pages are overwritten
    rows = conn.execute("SELECT seq, at, actor, action, table_name, record_id, before, after, "
                        "reason, hash FROM audit_log ORDER BY seq").fetchall()
    has_records = any(conn.execute(f"SELECT 1 FROM {t_} LIMIT 1").fetchone()
                      for t_ in MODEL.table_names)
    if rows or has_records:
        problem = _v1_problem(conn, rows)
        if problem:
            raise IntegrityError(t("audit.upgrade_refused", problem=problem))
        _convert(conn, rows)
        conn.executemany("INSERT INTO audit_v1 (seq, hash) VALUES (?, ?)",
                         [(r[0], bytes.fromhex(r[9])) for r in rows])
        v1_head = rows[-1][9] if rows else ""
        digest = hashlib.sha256(b"".join(bytes.fromhex(r[9]) for r in rows)).hexdigest()
        conn.execute("INSERT OR REPLACE INTO register_meta (key, value) VALUES "
                     "('audit_v1_head', ?)", (f"{len(rows)}:{v1_head}",))
        own = conn.execute("SELECT value FROM register_meta WHERE key = 'register_id'"
                           ).fetchone()
        unlogged = []
        if own is not None:  # records merged in before this version: vouched for from here on
            unlogged = [f for f in verify_records(conn, own[0]) if f.kind == "added_outside"]
        written = []
        for finding in unlogged:
            key = MODEL.key_of(finding.table_name)
            cur = conn.execute(f"SELECT * FROM {finding.table_name} WHERE {key} = ?",
                               (finding.record_id,))
            names = [d[0] for d in cur.description]
            written.append(audit.Written(finding.table_name, finding.record_id,
                                         dict(zip(names, cur.fetchone(), strict=True))))
        audit.log(conn, "upgrade", written, actor=UPGRADE_ACTOR, at=_now(),
                  detail={"v1_entries": len(rows), "v1_head": v1_head, "v1_hashes": digest})
    conn.execute("DROP TABLE audit_log")


def _convert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """One version-2 entry per write: consecutive version-1 entries of one moment and reason."""
    for (at, actor, action, reason), entries in itertools.groupby(
            rows, key=lambda r: (r[1], r[2], r[3], r[8])):
        group = list(entries)
        if action == "merge":
            sources = [json.loads(r[7]) | {"register": r[5]} for r in group if r[7]]
            audit.log(conn, "merge", [], actor=actor, at=at, reason=reason,
                      detail={"sources": sources})
            continue
        written = []
        for r in group:
            before = json.loads(r[6]) if r[6] else None
            after = json.loads(r[7]) if r[7] else {}
            old = ({k: v for k, v in before.items() if after.get(k) != v}
                   if before is not None else None)
            written.append(audit.Written(r[4], r[5], after, old or None))
        audit.log(conn, "add" if action == "insert" and reason is None else "correct", written,
                  actor=actor, at=at, reason=reason)
