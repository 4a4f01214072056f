"""Checking the audit log: the hash chains, every record against its last logged row hash, and
the chain head against a code written down earlier (see :mod:`register.audit`).

A record is checked against the last row hash logged for it, in the order this file logged
them, by this register's own chain or by the chain of the register that owns the record (its
``source_register``; for a person's identity, the person's): in a merged register, an edit made
inside it is found just as one made in the commune. Records are read in id order and matched
with the log sorted the same way, so a national register is checked in constant memory.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import audit
from .model import MODEL


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the audit check found: a broken chain, or a record changed outside the program.

    ``source`` names the register whose chain it is, when it is not this register's own.
    """

    kind: str  # chain_broken | edited_outside | added_outside | removed_outside | private_changed
    table_name: str
    record_id: str
    seq: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        from .i18n import t

        text = t(f"audit.{self.kind}", table=self.table_name, record=self.record_id, seq=self.seq)
        return t("audit.in_source", finding=text, source=self.source) if self.source else text


def _chains(conn: sqlite3.Connection) -> dict[int, tuple[str, str]]:
    """chain -> (register id, label) for the chains held from merged registers."""
    return {c: (rid, code or rid[:8]) for c, rid, code in conn.execute(
        "SELECT chain, register_id, commune_code FROM audit_chain")}


def verify_chains(conn: sqlite3.Connection) -> list[Finding]:
    """Every chain held (this register's and the merged ones): entries whole and in order."""
    findings: list[Finding] = []
    labels = {c: label for c, (_, label) in _chains(conn).items()}
    digests: dict[tuple[int, int], bytes] = {}
    split: set[tuple[int, int]] = set()
    current: tuple[int, int] | None = None
    hasher = audit.rows_hasher()
    for chain, seq, tab, key, digest in conn.execute(
            "SELECT chain, seq, tab, id, hash FROM audit_row"):
        if (chain, seq) != current:
            if current is not None:
                digests[current] = hasher.digest()
            current = (chain, seq)
            if current in digests:
                split.add(current)
            hasher = audit.rows_hasher()
        hasher.update(audit.row_item(tab, key, digest))
    if current is not None:
        digests[current] = hasher.digest()
    empty = audit.rows_hasher().digest()
    prev_chain, prev, expected = None, b"", 0
    for chain, seq, at, actor, action, reason, detail, stored in conn.execute(
            "SELECT chain, seq, at, actor, action, reason, detail, hash FROM audit_entry "
            "ORDER BY chain, seq"):
        if chain != prev_chain:
            prev_chain, prev, expected = chain, b"", 0
        expected += 1
        rows = digests.pop((chain, seq), empty)
        if (seq != expected or (chain, seq) in split or
                audit.entry_hash(prev, seq, at, actor, action, reason, detail, rows) != stored):
            findings.append(Finding("chain_broken", "audit_entry", str(seq), seq,
                                    labels.get(chain)))
            expected = seq
        prev = stored
    for chain, seq in sorted(digests):  # rows of an entry that is gone
        findings.append(Finding("chain_broken", "audit_row", str(seq), seq, labels.get(chain)))
    return findings


def verify_private(conn: sqlite3.Connection) -> list[Finding]:
    """Old identifying values kept aside still hash to what the chain recorded."""
    findings = []
    hidden: dict[tuple[int, str, str], str] = {}
    for seq, detail in conn.execute("SELECT seq, detail FROM audit_entry WHERE chain = 0 AND "
                                    "detail LIKE '%\"hidden\"%'"):
        for table, record_id, digest in json.loads(detail).get("hidden", []):
            hidden[(seq, table, record_id)] = digest
    for seq, tab, record_id, old in conn.execute("SELECT seq, tab, id, old FROM audit_private"):
        table = audit.TABLE_OF_CODE.get(tab, str(tab))
        salt = audit.salts(conn, table, [record_id]).get(record_id, b"")
        digest = hashlib.blake2b(old.encode("utf-8"), digest_size=16, key=salt).hexdigest()
        if hidden.get((seq, table, record_id)) != digest:
            findings.append(Finding("private_changed", table, record_id, seq))
    return findings


def _logged(conn: sqlite3.Connection, tab: int,
            odd: dict[bytes, list[tuple[int, bytes]]]) -> Iterator[tuple[bytes, list[Any]]]:
    """(id key, [(chain, row hash), ...] in the order logged) by id; odd (non-UUID) ids aside."""
    key: bytes | None = None
    group: list[tuple[int, bytes]] = []
    for rid, chain, digest in conn.execute(
            "SELECT id, chain, hash FROM audit_row WHERE tab = ? ORDER BY id, rowid", (tab,)):
        if len(rid) != 16:
            odd.setdefault(rid, []).append((chain, digest))
            continue
        if rid != key:
            if key is not None:
                yield key, group
            key, group = rid, []
        group.append((chain, digest))
    if key is not None:
        yield key, group


def canonical_sql(conn: sqlite3.Connection, table: str, alias: str = "r") -> str:
    """An SQL expression giving :func:`register.audit.row_bytes` of a row (as text): its
    non-NULL columns by name, each as ``name RS length RS text``, joined by US; a whole REAL
    as an integer (as Python's repr of a float gives the shortest text, SQLite's 15 digits: the
    same for the register's values, and any row where they differ is hashed again)."""
    parts = []
    columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
    for _, name, declared, *_ in sorted(columns, key=lambda c: c[1]):
        col = f"{alias}.{name}"
        if declared.upper() == "REAL":
            text = (f"(CASE WHEN {col} = CAST({col} AS INTEGER) THEN "
                    f"CAST(CAST({col} AS INTEGER) AS TEXT) ELSE CAST({col} AS TEXT) END)")
        else:
            text = f"CAST({col} AS TEXT)"
        parts.append(f"coalesce(char(31) || '{name}' || char(30) || length({text}) || char(30) "
                     f"|| {text}, '')")
    return f"substr({' || '.join(parts)}, 2)"


def verify_records(conn: sqlite3.Connection, own_id: str) -> list[Finding]:
    """Every record matches the last row hash logged for it; nothing logged is missing."""
    chain_of = {rid: c for c, (rid, _) in _chains(conn).items()}
    chain_of[own_id] = audit.LOCAL
    findings: list[Finding] = []
    for table in MODEL.table_names:
        spec = MODEL.table(table)
        tab, key = audit.TABLE_CODES[table], spec.key
        owner = (f"(SELECT p.source_register FROM {spec.owner} p WHERE p.id = r.{key})"
                 if spec.owner else "r.source_register")
        salt = (f"(SELECT s.salt FROM audit_salt s WHERE s.tab = {tab} AND s.id = r.{key})"
                if table in audit.SALTED else "NULL")
        names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        digest_of = audit.row_hasher(tuple(names))
        # SQLite writes each row's canonical text (fast); a row whose hash then differs is
        # hashed again by the definition (audit.row_hash) before it is reported.
        cur = conn.execute(f"SELECT r.{key}, {canonical_sql(conn, table)}, {owner}, {salt} "
                           f"FROM {table} r ORDER BY r.{key}")
        at = 0
        odd: dict[bytes, list[tuple[int, bytes]]] = {}
        stream = _logged(conn, tab, odd)
        pending = next(stream, None)
        for values in cur:
            record_id = values[at]
            rkey = audit.id_key(record_id)
            if len(rkey) != 16:
                group = odd.pop(rkey, None)
            else:
                while pending is not None and pending[0] < rkey:
                    findings.append(Finding("removed_outside", table, audit.id_text(pending[0])))
                    pending = next(stream, None)
                group = None
                if pending is not None and pending[0] == rkey:
                    group = pending[1]
                    pending = next(stream, None)
            owner_chain = chain_of.get(values[-2], audit.LOCAL)
            logged = None
            for chain, digest in reversed(group or ()):
                if chain == audit.LOCAL or chain == owner_chain:
                    logged = digest
                    break
            if logged is None:
                findings.append(Finding("added_outside", table, record_id))
                continue
            text = values[1].encode("utf-8", "surrogatepass")
            if hashlib.blake2b(text, digest_size=16, key=values[-1] or b"").digest() == logged:
                continue
            row = conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (record_id,)).fetchone()
            if digest_of(row, values[-1]) != logged:
                findings.append(Finding("edited_outside", table, record_id))
        while pending is not None:
            findings.append(Finding("removed_outside", table, audit.id_text(pending[0])))
            pending = next(stream, None)
        findings += [Finding("removed_outside", table, audit.id_text(k)) for k in odd]
    return findings


def verify(conn: sqlite3.Connection, own_id: str | None = None) -> list[Finding]:
    """The chains, the old values kept aside, and every record against its last logged hash."""
    if own_id is None:
        own_id = conn.execute("SELECT value FROM register_meta WHERE key = 'register_id'"
                              ).fetchone()[0]
    return [*verify_chains(conn), *verify_private(conn), *verify_records(conn, own_id)]


@dataclass(frozen=True)
class AnchorCheck:
    """What a code written down earlier says about the register's history now.

    ``status``: ``grown`` (the code is an earlier point of this history: ``since`` lists the
    entries written after it), ``same``, ``before_upgrade`` (a code of the log as it was before
    the upgrade to this audit log, which it matches), ``rollback`` (fewer entries than when the
    code was written), ``rewritten`` (the entry the code names differs) or ``invalid``.
    """

    status: str
    code: str
    now: str
    since: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("same", "grown", "before_upgrade")

    def __str__(self) -> str:
        from .i18n import t

        return t(f"audit.anchor_{self.status}", code=self.code, now=self.now, n=len(self.since))


def check_anchor(conn: sqlite3.Connection, code: str) -> AnchorCheck:
    """Compare the register's own chain with a code of its head written down earlier."""
    now = audit.head(conn)
    parsed = audit.parse_code(code)
    if parsed is None:
        return AnchorCheck("invalid", code, now.code)
    entries, prefix = parsed
    if entries == 0:
        return AnchorCheck("grown" if now.entries else "same", code, now.code,
                           audit.history(conn, 0))
    row = conn.execute("SELECT hash FROM audit_entry WHERE chain = 0 AND seq = ?",
                       (entries,)).fetchone()
    if row is not None and row[0][:5] == prefix:
        since = audit.history(conn, entries)
        return AnchorCheck("grown" if since else "same", code, now.code, since)
    old = conn.execute("SELECT hash FROM audit_v1 WHERE seq = ?", (entries,)).fetchone()
    if old is not None and old[0][:5] == prefix:
        return AnchorCheck("before_upgrade", code, now.code, audit.history(conn, 0))
    return AnchorCheck("rollback" if row is None else "rewritten", code, now.code)
