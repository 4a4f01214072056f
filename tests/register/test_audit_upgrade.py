"""A register of version 0.1.0 (audit log version 1: one JSON entry per row) is upgraded: its
chain is verified first, converted, and codes written before the upgrade still check."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

import register
from register import audit
from register.audit_upgrade import _v1_hash
from register.schema import MIGRATION_SET

SCHEMA = Path(__file__).parent / "data" / "schema_v0.1.0.sql"
REGISTER_ID = "9a4f3c2e-1b7d-4e6a-8c5f-0d2e3f4a5b6c"
PERSON = "1f6b2d4e-8a3c-4b5d-9e7f-a1b2c3d4e5f6"
JOURNEY = "2a7c3e5f-9b4d-4c6e-8f1a-b2c3d4e5f6a7"
NAME, OLD_NAME = "Sok Upgraded", "Sok Oldname"


def _v1_entry(conn, action, table, record_id, before, after, reason=None,
              at="2025-01-01T00:00:00+00:00"):
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, "")
    def canon(row):
        return None if row is None else json.dumps(row, sort_keys=True, ensure_ascii=False,
                                                   separators=(",", ":"))

    fields = (seq, at, "old-clerk", action, table, record_id, canon(before), canon(after), reason)
    conn.execute("INSERT INTO audit_log (seq, at, actor, action, table_name, record_id, before, "
                 "after, reason, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (*fields, _v1_hash(prev, fields)))


def make_v1_register(path: Path) -> tuple[str, str]:
    """A 0.1.0 register with a departure and a correction of the name; returns (the code of its
    head in the new format, its v1 head hash)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCHEMA.read_text())
    conn.execute('CREATE TABLE "_sqlite_migrations" ("id" INTEGER PRIMARY KEY, '
                 '"migration_set" TEXT, "name" TEXT, "applied_at" TEXT)')
    for name in ("0001_initial", "0002_record_linkage"):
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES (?, ?, '2025-01-01')", (MIGRATION_SET, name))
    conn.executemany("INSERT INTO register_meta VALUES (?, ?)", [
        ("register_id", REGISTER_ID), ("level", "commune"), ("commune_code", "010201"),
        ("scope", "010201"), ("created_at", "2025-01-01T00:00:00+00:00")])
    person = {"id": PERSON, "sex": "F", "birth_date": None, "birth_year": 1990,
              "home_village": "01020101", "source_register": REGISTER_ID,
              "recorded_at": "2025-01-01T00:00:00+00:00"}
    identity = {"person_id": PERSON, "name": OLD_NAME, "national_id": "V1000001", "phone": None}
    journey = {"id": JOURNEY, "person_id": PERSON, "departure_date": "2024-05-01",
               "destination_country": "TH", "destination_place": None, "sector": None,
               "channel": "own", "agency_id": None, "broker_id": None, "n_brokers": None,
               "has_passport": None, "has_visa": None, "has_work_permit": None,
               "has_border_pass": None, "fee_usd": 120.0, "debt_usd": None,
               "contract_seen": None, "job_promised": None, "recorded_date": None,
               "source_register": REGISTER_ID, "recorded_at": "2025-01-01T00:00:00+00:00"}
    for table, row in (("persons", person), ("person_identity", identity), ("journeys", journey)):
        names = ", ".join(row)
        conn.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(row))})",
                     tuple(row.values()))
        _v1_entry(conn, "insert", table, row.get("id", PERSON), None, row)
    conn.execute("UPDATE person_identity SET name = ? WHERE person_id = ?", (NAME, PERSON))
    _v1_entry(conn, "update", "person_identity", PERSON, identity, identity | {"name": NAME},
              reason="spelling", at="2025-02-01T00:00:00+00:00")
    head = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    return audit.code_of(head[0], bytes.fromhex(head[1])), head[1]


def test_a_v1_register_is_upgraded_and_its_old_code_still_checks(tmp_path):
    path = tmp_path / "old.db"
    old_code, v1_head = make_v1_register(path)
    with register.open_register(path, actor="clerk") as reg:
        assert register.schema_version(reg) == "0004_audit_v2"
        report = register.check_register(reg, expect=old_code)
        assert report.ok, ([str(f) for f in report.audit_findings], str(report.anchor))
        assert report.anchor.status == "before_upgrade"
        entries = reg.conn.execute("SELECT seq, action, actor, reason FROM audit_entry "
                                   "ORDER BY seq").fetchall()
        assert entries == [(1, "add", "old-clerk", None), (2, "correct", "old-clerk", "spelling"),
                           (3, "upgrade", "register-upgrade", None)]
        detail = json.loads(reg.conn.execute("SELECT detail FROM audit_entry WHERE seq = 3"
                                             ).fetchone()[0])
        assert detail["v1_entries"] == 4 and detail["v1_head"] == v1_head
        hashes = b"".join(r[0] for r in reg.conn.execute("SELECT hash FROM audit_v1 ORDER BY seq"))
        assert hashlib.sha256(hashes).hexdigest() == detail["v1_hashes"]
        assert not reg.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'"
                                    ).fetchone()
        # the old name is kept aside (erasable), not in the chain
        assert json.loads(reg.conn.execute("SELECT old FROM audit_private").fetchone()[0]) == {
            "name": OLD_NAME}
        register.add_records(reg, "departures", [{"person_id": PERSON,
                             "departure_date": "2025-06-01", "destination_country": "MY",
                             "channel": "own"}], today=register.validation.dt.date(2026, 1, 1))
        assert register.check_register(reg, expect=old_code).ok
        assert register.check_register(reg, expect=report.code).anchor.status == "grown"
    data = path.read_bytes()
    # the version-1 log (rows as JSON) is gone from the file; the live record stays
    assert b'"national_id":"V1000001"' not in data and b"V1000001" in data


@pytest.mark.parametrize("tamper", ["chain", "record"])
def test_a_tampered_v1_register_is_not_upgraded(tmp_path, tamper):
    path = tmp_path / "old.db"
    make_v1_register(path)
    conn = sqlite3.connect(path, isolation_level=None)
    if tamper == "chain":
        conn.execute("DROP TRIGGER audit_log_append_only_update")
        conn.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 2")
    else:
        conn.execute("UPDATE journeys SET destination_country = 'KR'")
    conn.close()
    with pytest.raises(register.IntegrityError, match="cannot be upgraded"):
        register.open_register(path)
    conn = sqlite3.connect(path)  # nothing was changed: still version 1
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 4
    conn.close()
