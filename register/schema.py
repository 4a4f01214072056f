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
}


def _make_migrations(model: Model = MODEL) -> Any:
    made = sqlite_utils.Migrations(MIGRATION_SET)
    for name in migration_names(model):
        def apply(db: Any, name: str = name) -> None:
            # executescript() would COMMIT the migration's transaction: statement by statement.
            for statement in migration_sql(name, model):
                db.execute(statement)

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
