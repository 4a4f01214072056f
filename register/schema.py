"""The register's schema, as numbered migrations (``sqlite_utils.Migrations``).

A released migration is never edited or renamed: a change to the schema is a new migration. The
schema version of a file is the list of migrations applied to it; a file carrying a migration this
program does not know was written by a newer version and is refused (``SchemaVersionError``).

Every record id is a UUID (text), so registers of different communes merge without collisions.
``source_register`` names the register (by its UUID) in which a record was first entered.
"""

from __future__ import annotations

from typing import Any

from .fields import (
    CHANNELS,
    EXPLOITATION_TYPES,
    ILO_INDICATORS,
    LICENCE_STATUSES,
    REFERRAL_STATUSES,
    RETURN_MODES,
    SECTORS,
    SERVICES,
    SEXES,
)
from .sqlite import sqlite_utils

MIGRATION_SET = "commune_register"
migrations = sqlite_utils.Migrations(MIGRATION_SET)


def _in(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    allowed = ", ".join(f"'{v}'" for v in values)
    check = f"{column} IN ({allowed})"
    return f"CHECK ({column} IS NULL OR {check})" if nullable else f"CHECK ({check})"


def _bool(column: str) -> str:
    return f"{column} INTEGER CHECK ({column} IS NULL OR {column} IN (0, 1))"


def _date(column: str, required: bool = False) -> str:
    null = "NOT NULL " if required else ""
    return (
        f"{column} TEXT {null}CHECK ({column} IS NULL OR "
        f"({column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "
        f"AND date({column}) = {column}))"
    )


_ID = "id TEXT PRIMARY KEY CHECK (length(id) = 36)"
_PROVENANCE = "source_register TEXT NOT NULL,\n    recorded_at TEXT NOT NULL"
_VILLAGE = "GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"
_INDICATORS = ",\n    ".join(_bool(name) for name in ILO_INDICATORS)

SCHEMA_0001 = f"""
CREATE TABLE register_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE agencies (
    {_ID},
    name TEXT NOT NULL CHECK (length(name) > 0),
    licence_number TEXT,
    licence_status TEXT NOT NULL DEFAULT 'unknown' {_in("licence_status", LICENCE_STATUSES)},
    {_date("licence_expiry")},
    allowed_destinations TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(allowed_destinations)),
    parent_agency_id TEXT REFERENCES agencies(id),
    {_PROVENANCE}
);

CREATE TABLE brokers (
    {_ID},
    name TEXT NOT NULL CHECK (length(name) > 0),
    alias TEXT,
    phone TEXT,
    village TEXT CHECK (village IS NULL OR village {_VILLAGE}),
    agency_id TEXT REFERENCES agencies(id),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    {_PROVENANCE}
);

CREATE TABLE persons (
    {_ID},
    sex TEXT NOT NULL {_in("sex", SEXES)},
    {_date("birth_date")},
    birth_year INTEGER CHECK (birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100),
    home_village TEXT NOT NULL CHECK (home_village {_VILLAGE}),
    {_PROVENANCE}
);
CREATE INDEX persons_home_village ON persons(home_village);

-- Identifying fields live apart so that nothing else needs them and an export can never
-- pick them up by accident.
CREATE TABLE person_identity (
    person_id TEXT PRIMARY KEY REFERENCES persons(id),
    name TEXT,
    national_id TEXT,
    phone TEXT
);

CREATE TABLE journeys (
    {_ID},
    person_id TEXT NOT NULL REFERENCES persons(id),
    {_date("departure_date", required=True)},
    destination_country TEXT NOT NULL CHECK (length(destination_country) = 2),
    destination_place TEXT,
    sector TEXT {_in("sector", SECTORS, nullable=True)},
    channel TEXT NOT NULL {_in("channel", CHANNELS)},
    agency_id TEXT REFERENCES agencies(id),
    broker_id TEXT REFERENCES brokers(id),
    n_brokers INTEGER CHECK (n_brokers IS NULL OR n_brokers BETWEEN 0 AND 20),
    {_bool("has_passport")},
    {_bool("has_visa")},
    {_bool("has_work_permit")},
    {_bool("has_border_pass")},
    fee_usd REAL CHECK (fee_usd IS NULL OR fee_usd >= 0),
    debt_usd REAL CHECK (debt_usd IS NULL OR debt_usd >= 0),
    {_bool("contract_seen")},
    job_promised TEXT,
    {_date("recorded_date")},
    {_PROVENANCE}
);
CREATE INDEX journeys_person ON journeys(person_id);

CREATE TABLE returns (
    {_ID},
    journey_id TEXT NOT NULL UNIQUE REFERENCES journeys(id),
    {_date("return_date", required=True)},
    return_mode TEXT NOT NULL {_in("return_mode", RETURN_MODES)},
    job_done TEXT,
    {_INDICATORS},
    exploitation_type TEXT {_in("exploitation_type", EXPLOITATION_TYPES, nullable=True)},
    {_date("recorded_date")},
    {_PROVENANCE}
);

CREATE TABLE referrals (
    {_ID},
    person_id TEXT NOT NULL REFERENCES persons(id),
    journey_id TEXT REFERENCES journeys(id),
    service TEXT NOT NULL {_in("service", SERVICES)},
    organisation TEXT,
    {_date("referral_date", required=True)},
    status TEXT NOT NULL {_in("status", REFERRAL_STATUSES)},
    {_date("recorded_date")},
    {_PROVENANCE}
);
CREATE INDEX referrals_person ON referrals(person_id);

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
"""


@migrations(name="0001_initial")
def _initial(db: Any) -> None:
    # executescript() would COMMIT the migration's transaction; run statement by statement.
    for statement in _split_sql(SCHEMA_0001):
        db.execute(statement)


SCHEMA_0002 = """
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
"""


@migrations(name="0002_record_linkage")
def _linkage(db: Any) -> None:
    for statement in _split_sql(SCHEMA_0002):
        db.execute(statement)


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


def known_migrations() -> list[str]:
    """Names of the migrations this program knows, in order."""
    return [m.name for m in migrations._migrations]


# Tables holding records (with a uuid id), in the order they must be written (parents first).
RECORD_TABLES = ("agencies", "brokers", "persons", "person_identity", "journeys", "returns",
                 "referrals")
