"""The audit log: one entry per write, chained by hash, checked against every record.

Each write of the program (an add or an import batch, a correction, a void, an erasure, a merge,
an upgrade) appends **one entry** to ``audit_entry``: who, when, the action, the reason, a small
``detail`` (the old values of corrected fields that do not identify anyone; what a merge took
in) and, in ``audit_row``, for every row it wrote or changed: the table, the record id and a
**row hash** (blake2b-128 of a compact canonical encoding of the row as stored). Entry ``n``
stores ``blake2b(hash(n-1), its fields, its rows)``: an entry edited, removed or inserted by
hand breaks the chain from there, and a record edited outside the program no longer matches
its last logged row hash. :mod:`register.audit_check` checks both.

**Identifying values** (the model's ``identifying`` fields: names, ID numbers, phones) never
enter the chain in clear. The row hash of a record holding them is keyed with a random salt of
that record (``audit_salt``), and the old identifying values of a correction live in
``audit_private``, the chain covering only their salted hash. Erasing a person
(:mod:`register.erase`) blanks the values and deletes their salt and old values: what the chain
keeps can no longer be tried against guesses, and the chain still verifies.

**Anchors.** The head of the chain is shown as a short code (:func:`anchor`, e.g.
``14-7KQ9-M2XC``: the entry count and the first 40 bits of the head hash) at the end of every
writing command and on the monthly report. A code written down earlier lets ``check --expect``
tell a history that was cut short (rollback) or rewritten from one that only grew.

A merged register holds the chains of the registers merged into it (``chain`` > 0, named in
``audit_chain``); this register's own chain is ``chain`` 0.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import MODEL

# The number that stands for a table in audit_row. Never renumber: add new tables at the end.
TABLE_CODES: dict[str, int] = {"agencies": 1, "brokers": 2, "persons": 3, "person_identity": 4,
                               "journeys": 5, "returns": 6, "referrals": 7}
TABLE_OF_CODE = {code: name for name, code in TABLE_CODES.items()}
ACTIONS = ("add", "correct", "void", "erase", "merge", "upgrade")
# Tables whose rows hold an identifying field: their row hashes are salted per record.
SALTED = frozenset(t.name for t in MODEL.tables if any(f.identifying for f in t.fields))
IDENTIFYING = {t.name: frozenset(f.name for f in t.fields if f.identifying) for t in MODEL.tables}
LOCAL = 0  # this register's own chain
VOIDED = "voided"  # the key of a void entry's detail listing the records voided
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# -- hashing ---------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A stored value as text, the same whatever SQLite's column affinity made of it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def row_bytes(row: Mapping[str, Any]) -> bytes:
    """The canonical encoding of a row: its non-NULL columns by name, each length-prefixed
    (a column added later with no value leaves old rows' hashes as they were)."""
    parts = []
    for name in sorted(row):
        value = row[name]
        if value is None:
            continue
        text = value if type(value) is str else _text(value)
        parts.append(f"{name}\x1e{len(text)}\x1e{text}")
    return "\x1f".join(parts).encode("utf-8", "surrogatepass")


def row_hash(row: Mapping[str, Any], salt: bytes | None = None) -> bytes:
    """blake2b-128 of a row, keyed with the record's salt when it holds identifying values."""
    return hashlib.blake2b(row_bytes(row), digest_size=16, key=salt or b"").digest()


@functools.lru_cache(maxsize=64)
def row_hasher(names: tuple[str, ...]) -> Callable[[Sequence[Any], bytes | None], bytes]:
    """:func:`row_hash` for rows given as value tuples in the order of ``names`` (the same
    digest, without building a dict per row: for checking and writing many rows)."""
    order = tuple((i, f"{names[i]}\x1e") for i in sorted(range(len(names)),
                                                         key=names.__getitem__))
    blake2b = hashlib.blake2b

    def digest(values: Sequence[Any], salt: bytes | None = None) -> bytes:
        parts = []
        for i, prefix in order:
            value = values[i]
            if value is None:
                continue
            text = value if type(value) is str else _text(value)
            parts.append(f"{prefix}{len(text)}\x1e{text}")
        return blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16,
                       key=salt or b"").digest()

    return digest


def id_key(record_id: str) -> bytes:
    """A record id as stored in ``audit_row``: the 16 bytes of a canonical UUID, else its text."""
    if (len(record_id) == 36 and record_id[8] == record_id[13] == record_id[18] ==
            record_id[23] == "-" and record_id == record_id.lower()):
        try:
            return bytes.fromhex(record_id.replace("-", ""))
        except ValueError:
            pass
    return record_id.encode("utf-8", "surrogatepass")


def id_text(key: bytes) -> str:
    return str(uuid.UUID(bytes=key)) if len(key) == 16 else key.decode("utf-8", "surrogatepass")


def row_item(tab: int, key: bytes, digest: bytes) -> bytes:
    return bytes((tab, len(key))) + key + digest


def entry_hash(prev: bytes, seq: int, at: str, actor: str, action: str, reason: str | None,
               detail: str | None, rows_digest: bytes) -> bytes:
    """blake2b-256 over the previous entry's hash, this entry's fields and its rows' digest."""
    fields = (str(seq), at, actor, action, "\\N" if reason is None else reason,
              "\\N" if detail is None else detail)
    h = hashlib.blake2b(prev, digest_size=32)
    for field in fields:
        data = field.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(4, "big") + data)
    h.update(rows_digest)
    return h.digest()


def rows_hasher() -> Any:
    return hashlib.blake2b(digest_size=32)


# -- salts and private values ----------------------------------------------------------------
def salts(conn: sqlite3.Connection, table: str, ids: Sequence[str],
          create: bool = False) -> dict[str, bytes]:
    """The salts of records of a salted table (made for those without one when ``create``)."""
    if table not in SALTED or not ids:
        return {}
    tab = TABLE_CODES[table]
    found: dict[str, bytes] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        found.update(conn.execute(
            f"SELECT id, salt FROM audit_salt WHERE tab = ? AND id IN "
            f"({', '.join('?' * len(chunk))})", (tab, *chunk)).fetchall())
    if create:
        new = [i for i in dict.fromkeys(ids) if i not in found]
        if new:
            raw = os.urandom(16 * len(new))
            made = {i: raw[16 * n:16 * n + 16] for n, i in enumerate(new)}
            conn.executemany("INSERT INTO audit_salt (tab, id, salt) VALUES (?, ?, ?)",
                             [(tab, i, s) for i, s in made.items()])
            found.update(made)
    return found


# -- writing ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Written:
    """A row the write stored (``row`` as it now stands), and for a change its old values."""

    table: str
    record_id: str
    row: Mapping[str, Any]
    old: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Head:
    entries: int
    hash: bytes

    @property
    def code(self) -> str:
        return code_of(self.entries, self.hash)


def head(conn: sqlite3.Connection, chain: int = LOCAL, schema: str = "main") -> Head:
    row = conn.execute(f"SELECT seq, hash FROM {schema}.audit_entry WHERE chain = ? "
                       f"ORDER BY seq DESC LIMIT 1", (chain,)).fetchone()
    return Head(row[0], row[1]) if row else Head(0, b"")


def log(conn: sqlite3.Connection, action: str, written: Iterable[Written], *, actor: str,
        at: str, reason: str | None = None, detail: Mapping[str, Any] | None = None,
        salted: bool = True) -> Head:
    """Append one entry for a write; call inside the transaction that makes the change.

    Old values of a correction are split: those that identify nobody go into the entry's
    detail; identifying ones into ``audit_private``, the entry keeping their salted hash.
    ``salted=False`` (an erasure): rows left without identifying values get no new salt.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    written = list(written)
    last = head(conn)
    seq = last.entries + 1
    by_table: dict[str, list[Written]] = {}
    for w in written:
        by_table.setdefault(w.table, []).append(w)
    rows: list[tuple[int, int, int, bytes, bytes]] = []
    items: list[bytes] = []
    old: list[list[Any]] = []
    hidden: list[list[Any]] = []
    private: list[tuple[int, int, str, str]] = []
    for table, group in by_table.items():
        tab = TABLE_CODES[table]
        salt_of = salts(conn, table, [w.record_id for w in group], create=salted)
        secret = IDENTIFYING.get(table, frozenset())
        for w in group:
            salt = salt_of.get(w.record_id)
            digest = row_hasher(tuple(w.row))(tuple(w.row.values()), salt)
            key = id_key(w.record_id)
            rows.append((LOCAL, seq, tab, key, digest))
            items.append(row_item(tab, key, digest))
            if w.old:
                plain = {k: v for k, v in w.old.items() if k not in secret}
                kept = {k: v for k, v in w.old.items() if k in secret}
                if plain:
                    old.append([table, w.record_id, plain])
                if kept:
                    text = _ENCODER.encode(kept)
                    private.append((seq, tab, w.record_id, text))
                    hidden.append([table, w.record_id, hashlib.blake2b(
                        text.encode("utf-8"), digest_size=16, key=salt or b"").hexdigest()])
    extra = dict(detail or {})
    if old:
        extra["old"] = old
    if hidden:
        extra["hidden"] = hidden
    detail_text = _ENCODER.encode(extra) if extra else None
    digest = rows_hasher()
    digest.update(b"".join(items))
    new = entry_hash(last.hash, seq, at, actor, action, reason, detail_text, digest.digest())
    conn.execute("INSERT INTO audit_entry (chain, seq, at, actor, action, reason, detail, hash) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (LOCAL, seq, at, actor, action, reason, detail_text, new))
    conn.executemany("INSERT INTO audit_row (chain, seq, tab, id, hash) VALUES (?, ?, ?, ?, ?)",
                     rows)
    if private:
        conn.executemany("INSERT INTO audit_private (seq, tab, id, old) VALUES (?, ?, ?, ?)",
                         private)
    return Head(seq, new)


def refuse_foreign(reg: Any, touched: Iterable[tuple[str, str]]) -> None:
    """A merged register is a copy of its communes' records: a record entered elsewhere is
    changed in its own register, and the change arrives with the next merge (changing the copy
    would be overwritten by it, and would no longer match the commune's chain)."""
    if reg.level == "commune":
        return
    from .errors import RegisterError
    from .i18n import t

    own = reg.register_id
    for table, key in touched:
        spec = MODEL.table(table)
        where = spec.owner or table
        found = reg.conn.execute(f"SELECT source_register FROM {where} WHERE id = ?",
                                 (key,)).fetchone()
        if found is not None and found[0] != own:
            code = reg.conn.execute("SELECT commune_code FROM merged_sources WHERE "
                                    "register_id = ?", (found[0],)).fetchone()
            raise RegisterError(t("audit.merged_read_only", record=key[:8],
                                  commune=code[0] if code and code[0] else found[0][:8]))


# -- anchors ---------------------------------------------------------------------------------
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_FROM_CROCKFORD = str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZOIL",
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABB")


def code_of(entries: int, digest: bytes) -> str:
    """The short code of a chain head: entry count, then 40 bits of its hash in Crockford's
    base32 (no I, L, O or U: easy to copy by hand), e.g. ``14-7KQ9-M2XC``."""
    if not entries:
        return "0-0000-0000"
    text = base64.b32encode(digest[:5]).decode("ascii").translate(_CROCKFORD)
    return f"{entries}-{text[:4]}-{text[4:]}"


def parse_code(code: str) -> tuple[int, bytes] | None:
    """(entries, first 5 bytes of the head hash) of a code, or None if it is not one."""
    parts = code.strip().upper().replace(" ", "").split("-")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[1] + parts[2]) != 8:
        return None
    try:
        raw = base64.b32decode((parts[1] + parts[2]).translate(_FROM_CROCKFORD))
    except ValueError:
        return None
    return int(parts[0]), raw


def anchor(conn: sqlite3.Connection) -> str:
    """The short code of this register's chain head (write it down: see ``check --expect``)."""
    return head(conn).code


def anchor_line(conn: sqlite3.Connection) -> str:
    """The line every writing command ends with."""
    from .i18n import t

    return t("audit.anchor", code=anchor(conn))


# -- reading ---------------------------------------------------------------------------------
def entries_with_reason(conn: sqlite3.Connection, text: str, record_ids: Sequence[str]) -> bool:
    """Did an entry of this register whose reason holds ``text`` write one of these records?"""
    keys = [id_key(r) for r in record_ids if r]
    for (seq,) in conn.execute("SELECT seq FROM audit_entry WHERE chain = 0 AND "
                               "instr(reason, ?) > 0", (text,)).fetchall():
        marks = ", ".join("?" * len(keys))
        if keys and conn.execute(f"SELECT 1 FROM audit_row WHERE chain = 0 AND seq = ? AND "
                                 f"id IN ({marks}) LIMIT 1", (seq, *keys)).fetchone():
            return True
    return False


def history(conn: sqlite3.Connection, since: int = 0, chain: int = LOCAL) -> list[dict[str, Any]]:
    """Entries of a chain after entry ``since``: seq, at, actor, action, reason, rows."""
    out = []
    for seq, at, actor, action, reason in conn.execute(
            "SELECT seq, at, actor, action, reason FROM audit_entry WHERE chain = ? AND seq > ? "
            "ORDER BY seq", (chain, since)):
        out.append({"seq": seq, "at": at, "actor": actor, "action": action, "reason": reason})
    return out


def record_entries(conn: sqlite3.Connection,
                   records: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The entries that wrote or voided these records ((table, id) pairs: a record and its
    parts), oldest first, each once: chain, seq, at, actor, action, reason.

    Written rows are found through ``audit_row`` (the table's number and the id's key), voided
    records through the ``voided`` list of void entries (a void changes no row). Entries of
    every chain the register holds are included: a merged record shows its commune's history.
    """
    wanted = {(table, record_id) for table, record_id in records if table in TABLE_CODES}
    if not wanted:
        return []
    keys = sorted({(TABLE_CODES[table], id_key(record_id)) for table, record_id in wanted})
    found: set[tuple[int, int]] = set()
    for start in range(0, len(keys), 400):  # one scan of audit_row for a record's parts
        chunk = keys[start:start + 400]
        values = ", ".join("(?, ?)" for _ in chunk)
        found.update(conn.execute(
            f"SELECT DISTINCT chain, seq FROM audit_row WHERE (tab, id) IN (VALUES {values})",
            [x for pair in chunk for x in pair]).fetchall())
    for chain, seq, detail in conn.execute(
            "SELECT chain, seq, detail FROM audit_entry WHERE action = 'void'"):
        named = json.loads(detail or "{}").get(VOIDED, [])
        if any((table, record_id) in wanted for table, record_id in named):
            found.add((chain, seq))
    out = []
    for chain, seq in found:
        at, actor, action, reason = conn.execute(
            "SELECT at, actor, action, reason FROM audit_entry WHERE chain = ? AND seq = ?",
            (chain, seq)).fetchone()
        out.append({"chain": chain, "seq": seq, "at": at, "actor": actor, "action": action,
                    "reason": reason})
    return sorted(out, key=lambda e: (e["at"], e["chain"], e["seq"]))


__all__ = ["ACTIONS", "TABLE_CODES", "Head", "Written", "anchor", "anchor_line", "code_of",
           "head", "log", "parse_code", "record_entries", "row_hash", "row_hasher"]
