"""The first merge into a new output: a bulk copy, then the tables built in key order.

Upserting file after file into growing tables puts every row at a random place of each id
index (the national register is 1,652 files and some 8 million rows). Into a new output the
rows of every file are instead appended to index-free staging tables; each table is then built
in one ``INSERT ... SELECT ... ORDER BY id`` (every B-tree page is written once and filled), and
the secondary indexes are made last. The result is the one the file-by-file upsert of
:mod:`register.merge` gives: an id held by several files gets the version that upsert keeps
(:func:`_winner`), every staged record is checked to be in the output, and the audit chains,
salts and erasures are taken in the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import audit
from .errors import RegisterError
from .i18n import t
from .model import MODEL
from .schema import RECORD_TABLES

BOOKKEEPING = ("warnings",)


def _owner_sql(table: str) -> str:
    spec = MODEL.table(table)
    if spec.owner:
        return f"(SELECT p.source_register FROM src.{spec.owner} p WHERE p.id = s.{spec.key})"
    return "s.source_register"


def attach_stage(conn: sqlite3.Connection, path: Path, passphrase: str | None,
                 cache_mb: int) -> None:
    """The staging tables live in a file of their own (deleted after the build), so the output
    keeps no free pages; it is encrypted like the output (it holds identities while it lasts)."""
    from .platform import sqlite_uri

    uri = sqlite_uri(path.resolve())
    if passphrase is None:
        conn.execute("ATTACH DATABASE ? AS stage", (uri,))
    else:
        conn.execute("ATTACH DATABASE ? AS stage KEY ?", (str(path), passphrase))
    conn.execute("PRAGMA stage.journal_mode = OFF")
    conn.execute("PRAGMA stage.synchronous = OFF")
    conn.execute(f"PRAGMA stage.cache_size = -{cache_mb * 512}")


def prepare(conn: sqlite3.Connection) -> list[str]:
    """Staging tables, and the secondary indexes dropped (returned, to be made again)."""
    tables = (*RECORD_TABLES, *BOOKKEEPING)
    marks = ", ".join("?" * len(tables))
    indexes = [sql for (sql,) in conn.execute(
        f"SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
        f"tbl_name IN ({marks})", tables)]
    for (name,) in conn.execute(
            f"SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
            f"tbl_name IN ({marks})", tables).fetchall():
        conn.execute(f"DROP INDEX main.{name}")
    for table in RECORD_TABLES:
        conn.execute(f"CREATE TABLE stage.stage_{table} AS SELECT 0 AS src_no, '' AS owner, * "
                     f"FROM main.{table} WHERE 0")
    conn.execute("CREATE TABLE stage.stage_salt AS SELECT * FROM main.audit_salt WHERE 0")
    conn.execute("CREATE TABLE stage.stage_warnings AS SELECT table_name, record_id, code, "
                 "detail, created_at FROM main.warnings WHERE 0")
    return indexes


def stage(conn: sqlite3.Connection, number: int) -> None:
    """Append the rows of the attached file ``src`` (the ``number``-th file) to the stage."""
    for table in RECORD_TABLES:
        cols = ", ".join(f"s.{c}" for c in _columns(conn, table))
        conn.execute(f"INSERT INTO stage.stage_{table} SELECT ?, {_owner_sql(table)}, {cols} "
                     f"FROM src.{table} s", (number,))
    conn.execute("INSERT INTO stage.stage_salt SELECT tab, id, salt FROM src.audit_salt")
    conn.execute("INSERT INTO stage.stage_warnings SELECT table_name, record_id, code, detail, "
                 "created_at FROM src.warnings")


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]


def _winner(rows: Sequence[tuple[Any, ...]], fresh: Sequence[set[str]]) -> tuple[Any, ...]:
    """The version the file-by-file upsert keeps: files in order, a later one replacing the
    kept version when it carries the owner's chain and its owner id is not smaller."""
    kept = rows[0]
    for row in rows[1:]:
        if row[1] in fresh[row[0]] and row[1] >= kept[1]:
            kept = row
    return kept


def build(conn: sqlite3.Connection, indexes: list[str], fresh: Sequence[set[str]],
          built_hook: Callable[[str], object] | None = None) -> None:
    """Build every table from the stage in key order (``built_hook(table)`` after each);
    check nothing was lost; index."""
    for table in RECORD_TABLES:
        key = MODEL.key_of(table)
        cols = _columns(conn, table)
        names = ", ".join(cols)
        conn.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM stage.stage_{table} "
                     f"ORDER BY {key}, src_no ON CONFLICT({key}) DO NOTHING")
        staged = conn.execute(f"SELECT count(*) FROM stage.stage_{table}").fetchone()[0]
        built = conn.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
        if staged != built:
            dropped = _resolve(conn, table, key, cols, fresh)
            if built != staged - dropped:  # never lose a record
                raise RegisterError(t("merge.lost_records", n=staged - dropped - built,
                                      table=table))
        conn.execute(f"DROP TABLE stage.stage_{table}")
        if built_hook:
            built_hook(table)
    conn.execute("INSERT OR IGNORE INTO main.audit_salt SELECT tab, id, salt FROM "
                 "stage.stage_salt ORDER BY tab, id")
    conn.execute("DROP TABLE stage.stage_salt")
    for (detail,) in conn.execute("SELECT detail FROM main.audit_entry WHERE chain > 0 AND "
                                  "action = 'erase'").fetchall():
        import json

        for table, record_id in json.loads(detail).get("erased", []):
            conn.execute("DELETE FROM main.audit_salt WHERE tab = ? AND id = ?",
                         (audit.TABLE_CODES[table], record_id))
    conn.execute("INSERT INTO main.warnings (table_name, record_id, code, detail, created_at) "
                 "SELECT table_name, record_id, code, detail, created_at FROM stage.stage_warnings "
                 "WHERE rowid IN (SELECT min(rowid) FROM stage.stage_warnings "
                 "GROUP BY record_id, code) ORDER BY rowid")
    conn.execute("DROP TABLE stage.stage_warnings")
    for sql in indexes:
        conn.execute(sql)


def _resolve(conn: sqlite3.Connection, table: str, key: str, cols: list[str],
             fresh: Sequence[set[str]]) -> int:
    """Ids staged by several files: keep the version the upsert would; return rows dropped."""
    conn.execute(f"CREATE TEMP TABLE merge_dups AS SELECT {key} AS id FROM stage.stage_{table} "
                 f"GROUP BY {key} HAVING count(*) > 1")
    names = ", ".join(cols)
    rows = conn.execute(f"SELECT src_no, owner, {names} FROM stage.stage_{table} WHERE {key} IN "
                        f"(SELECT id FROM temp.merge_dups) ORDER BY {key}, src_no").fetchall()
    conn.execute("DROP TABLE temp.merge_dups")
    at = cols.index(key) + 2
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault(row[at], []).append(row)
    sets = ", ".join(f"{c} = ?" for c in cols if c != key)
    for record_id, group in groups.items():
        kept = _winner(group, fresh)
        if kept is not group[0]:
            values = [v for c, v in zip(cols, kept[2:], strict=True) if c != key]
            conn.execute(f"UPDATE main.{table} SET {sets} WHERE {key} = ?", (*values, record_id))
    return sum(len(g) - 1 for g in groups.values())
