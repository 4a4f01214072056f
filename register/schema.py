"""The register's schema, as numbered migrations (``sqlite_utils.Migrations``).

The record tables are generated from the data model (``register.model``): each field's column,
type and CHECK constraint come from its declaration, and each migration adds the tables and
fields whose ``since`` names it. The tables of the program's own bookkeeping (metadata, warnings,
the audit log, merges, links) are written out below, each in the migration that made it.

A released migration is never edited or renamed: a change to the schema is a new migration
(``tests/register/test_schema.py`` keeps a fingerprint of each released one). The schema version
of a file is the list of migrations applied to it; a file carrying a migration this program does
not know was written by a newer version and is refused (``SchemaVersionError``).

Every record id is a UUID (text), so registers of different communes merge without collisions.
``source_register`` names the register (by its UUID) in which a record was first entered.
"""

from __future__ import annotations

from typing import Any

from .model import INITIAL, MODEL, Field, Model, Table
from .sqlite import sqlite_utils

MIGRATION_SET = "commune_register"

_VILLAGE = "GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"
_DATE = "GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100  # a year column's sanity bounds (validation is stricter)


def _literal(value: str | int) -> str:
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def column_sql(spec: Field, *, added: bool = False) -> str:
    """The column definition of a field. A column added to existing tables (``added``: ALTER
    TABLE ... ADD COLUMN) is never NOT NULL without a default: old rows have no value for it."""
    name, kind = spec.name, spec.kind
    not_null = (spec.required and not added) or spec.default is not None
    sql_type = {"year": "INTEGER", "int": "INTEGER", "bool": "INTEGER", "money": "REAL"}
    parts = [name, sql_type.get(kind, "TEXT")]
    if not_null:
        parts.append("NOT NULL")
    if spec.unique:
        parts.append("UNIQUE")
    if spec.default is not None:
        parts.append(f"DEFAULT {_literal(spec.default)}")
    check = _check(spec)
    if check:
        parts.append(f"CHECK ({check})" if not_null else f"CHECK ({name} IS NULL OR {check})")
    if spec.refers:
        parts.append(f"REFERENCES {spec.refers}(id)")
    return " ".join(parts)


def _check(spec: Field) -> str | None:
    """The CHECK expression of a field's values (NULL handled by the caller)."""
    name, kind = spec.name, spec.kind
    if kind == "text":
        return f"length({name}) > 0" if spec.required else None
    if kind == "choice":
        return f"{name} IN ({', '.join(_literal(c) for c in spec.choices)})"
    if kind == "date":
        return f"{name} {_DATE} AND date({name}) = {name}"
    if kind == "year":
        return f"{name} BETWEEN {EARLIEST_YEAR} AND {LATEST_YEAR}"
    if kind in ("int", "money") and spec.minimum is not None:
        if spec.maximum is None:
            return f"{name} >= {spec.minimum:g}"
        return f"{name} BETWEEN {spec.minimum:g} AND {spec.maximum:g}"
    if kind == "bool":
        return f"{name} IN (0, 1)"
    if kind == "village":
        return f"{name} {_VILLAGE}"
    if kind == "country":
        return f"length({name}) = 2"
    if kind == "countries":
        return f"json_valid({name})"
    return None


def _index_name(table: str, column: str) -> str:
    return f"{table}_{column.removesuffix('_id')}"


def table_sql(table: Table, migration: str = INITIAL) -> list[str]:
    """CREATE TABLE (and its indexes) with the fields released up to ``migration``."""
    fields = [f for f in table.fields if f.since <= migration]
    if table.owner:
        key = f"{table.key} TEXT PRIMARY KEY REFERENCES {table.owner}(id)"
    else:
        key = f"{table.key} TEXT PRIMARY KEY CHECK (length({table.key}) = 36)"
    lines = [key, *(column_sql(f) for f in fields)]
    if table.provenance:
        lines += ["source_register TEXT NOT NULL", "recorded_at TEXT NOT NULL"]
    body = ",\n    ".join(lines)
    statements = [f"CREATE TABLE {table.name} (\n    {body}\n)"]
    statements += [f"CREATE INDEX {_index_name(table.name, f.name)} ON {table.name}({f.name})"
                   for f in fields if f.index]
    return statements


def migration_sql(name: str, model: Model = MODEL) -> list[str]:
    """Every statement of one migration: its bookkeeping tables, then the record tables and
    fields whose ``since`` is this migration."""
    statements = _split_sql(INFRASTRUCTURE.get(name, ""))
    for table in model.tables:
        if table.since == name:
            statements += table_sql(table, name)
            continue
        if table.since > name:
            continue
        for spec in table.fields:
            if spec.since == name:
                statements.append(f"ALTER TABLE {table.name} ADD COLUMN "
                                  f"{column_sql(spec, added=True)}")
                if spec.index:
                    statements.append(f"CREATE INDEX {_index_name(table.name, spec.name)} "
                                      f"ON {table.name}({spec.name})")
    if name == INITIAL:  # the metadata table comes first, the bookkeeping after the records
        head, rest = statements[:1], statements[1:]
        book = [s for s in rest if not any(s.startswith(f"CREATE TABLE {t.name} ") or
                                           s.startswith(f"CREATE INDEX {t.name}_")
                                           for t in model.tables)]
        statements = head + [s for s in rest if s not in book] + book
    return statements


def migration_names(model: Model = MODEL) -> list[str]:
    """Every migration, in order: those of the bookkeeping tables and those named by a field's
    or a table's ``since``."""
    names = set(INFRASTRUCTURE)
    for table in model.tables:
        names.add(table.since)
        names.update(f.since for f in table.fields)
    return sorted(names)


AUDIT_V2 = "0004_audit_v2"

# The program's own bookkeeping tables, by the migration that made them.
INFRASTRUCTURE: dict[str, str] = {
    INITIAL: """
CREATE TABLE register_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Protection warnings: raised and stored, never blocking (an unlicensed or expired agency, an
-- agency recruiting a minor, three or more brokers).
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX warnings_record ON warnings(record_id);

-- Append-only audit log: every insert and correction, who and when, the row before and after
-- (JSON), the reason. Entries are chained by hash (see register.audit).
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'merge')),
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    before TEXT CHECK (before IS NULL OR json_valid(before)),
    after TEXT CHECK (after IS NULL OR json_valid(after)),
    reason TEXT,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(record_id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Registers merged into this one (district, province or national registers).
-- fingerprint = the source's audit-log head (entry count and last hash): it changes with
-- every write, so merging the same register state twice is recognised and skipped.
CREATE TABLE merged_sources (
    register_id TEXT PRIMARY KEY,
    commune_code TEXT,
    fingerprint TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    records INTEGER NOT NULL,
    merged_at TEXT NOT NULL
);
""",
    "0002_record_linkage": """
-- Record linkage of a merged register: the same person entered in two communes is linked, never
-- deleted. cluster_id names the person (the smallest person id of the cluster).
CREATE TABLE person_links (
    person_id TEXT PRIMARY KEY REFERENCES persons(id),
    cluster_id TEXT NOT NULL,
    match_probability REAL,
    linked_at TEXT NOT NULL
);
CREATE INDEX person_links_cluster ON person_links(cluster_id);
-- A journey recorded again by a second commune for a linked person; the export counts it once.
CREATE TABLE duplicate_journeys (
    journey_id TEXT PRIMARY KEY REFERENCES journeys(id),
    duplicate_of TEXT NOT NULL REFERENCES journeys(id)
);
""",
    "0003_consent_citizenship_follow_up": """
-- A record entered by mistake is voided, not deleted: it stays in the register and its audit
-- log, and is left out of lists, counts and exports.
CREATE TABLE voided (
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    voided_at TEXT NOT NULL,
    PRIMARY KEY (table_name, record_id)
);
""",
    AUDIT_V2: """
-- The audit log, version 2 (see register.audit): one entry per write, chained by hash. The rows
-- an entry wrote are listed in audit_row by table number, id (16 bytes for a UUID) and a 16-byte
-- row hash. chain 0 is this register's own chain; a merged register also holds the chains of the
-- registers merged into it (audit_chain). The version-1 log (audit_log, full rows as JSON with
-- names) is converted and dropped; its entry hashes stay in audit_v1 so that codes written down
-- before the upgrade still check.
CREATE TABLE audit_entry (
    chain INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('add', 'correct', 'void', 'erase', 'merge', 'upgrade')),
    reason TEXT,
    detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
    hash BLOB NOT NULL,
    PRIMARY KEY (chain, seq)
) WITHOUT ROWID;
CREATE TABLE audit_row (
    chain INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    tab INTEGER NOT NULL,
    id BLOB NOT NULL,
    hash BLOB NOT NULL
);
-- Erasable: the salt of each record holding identifying values (its row hashes are keyed with
-- it), and the old identifying values of corrections (the chain holds only their salted hash).
CREATE TABLE audit_salt (
    tab INTEGER NOT NULL,
    id TEXT NOT NULL,
    salt BLOB NOT NULL,
    PRIMARY KEY (tab, id)
) WITHOUT ROWID;
CREATE TABLE audit_private (
    seq INTEGER NOT NULL,
    tab INTEGER NOT NULL,
    id TEXT NOT NULL,
    old TEXT NOT NULL
);
-- The chains of merged registers held here, with the head this register last took in.
CREATE TABLE audit_chain (
    chain INTEGER PRIMARY KEY,
    register_id TEXT NOT NULL UNIQUE,
    commune_code TEXT,
    entries INTEGER NOT NULL,
    head BLOB NOT NULL
);
CREATE TABLE audit_v1 (
    seq INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
CREATE TRIGGER audit_entry_append_only_update BEFORE UPDATE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_entry_append_only_delete BEFORE DELETE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_row_append_only_update BEFORE UPDATE ON audit_row
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_row_append_only_delete BEFORE DELETE ON audit_row
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_salt_no_update BEFORE UPDATE ON audit_salt
BEGIN SELECT RAISE(ABORT, 'a salt is never changed (only erased)'); END;
CREATE TRIGGER audit_v1_append_only BEFORE UPDATE ON audit_v1
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
""",
}


def _after_audit_v2(conn: Any) -> None:
    from .audit_upgrade import upgrade_v1

    upgrade_v1(conn)


# Python steps of a migration, run after its statements.
STEPS = {AUDIT_V2: _after_audit_v2}


def _make_migrations(model: Model = MODEL) -> Any:
    made = sqlite_utils.Migrations(MIGRATION_SET)
    for name in migration_names(model):
        def apply(db: Any, name: str = name) -> None:
            # executescript() would COMMIT the migration's transaction: statement by statement.
            for statement in migration_sql(name, model):
                db.execute(statement)
            if name in STEPS:
                STEPS[name](db.conn)

        made(name=name)(apply)
    return made


def _split_sql(script: str) -> list[str]:
    """Split a DDL script into statements (triggers keep their inner ``;``)."""
    import sqlite3

    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


migrations = _make_migrations()


def known_migrations() -> list[str]:
    """Names of the migrations this program knows, in order."""
    return [m.name for m in migrations._migrations]


# Tables holding records, in the order they are written (a record after those it points to).
RECORD_TABLES = MODEL.table_names
