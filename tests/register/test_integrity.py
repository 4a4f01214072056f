"""Tampering, foreign files and schema versions: the register refuses or reports, never guesses."""

from __future__ import annotations

import sqlite3

import pytest

import register
from register import schema
from register.i18n import catalogue, placeholders
from register.schema import MIGRATION_SET
from tests.conftest import TODAY, departure


def _raw(path):
    conn = sqlite3.connect(path, isolation_level=None)
    return conn


def test_edit_outside_the_program_is_reported_with_the_record(reg_path):
    with register.open_register(reg_path) as reg:
        journey = register.add_records(reg, "departures", [departure()], today=TODAY).ids[0]
        assert register.check_register(reg).ok
    conn = _raw(reg_path)
    conn.execute("UPDATE journeys SET destination_country = 'KR' WHERE id = ?", (journey,))
    conn.close()
    with register.open_register(reg_path) as reg:
        report = register.check_register(reg)
    assert not report.ok
    assert [(f.kind, f.table_name, f.record_id) for f in report.audit_findings] == [
        ("edited_outside", "journeys", journey)]
    assert journey in str(report.audit_findings[0])


def test_rows_added_or_deleted_outside_are_reported(reg_path):
    with register.open_register(reg_path) as reg:
        register.add_records(reg, "departures", [departure(), departure(name="B")], today=TODAY)
    conn = _raw(reg_path)
    victim = conn.execute("SELECT id FROM agencies").fetchone()
    assert victim is None
    conn.execute("INSERT INTO agencies (id, name, licence_status, source_register, recorded_at) "
                 "VALUES ('11111111-1111-1111-1111-111111111111', 'Ghost', 'licensed', 'x', 'y')")
    conn.execute("PRAGMA foreign_keys = OFF")
    gone = conn.execute("SELECT person_id FROM person_identity LIMIT 1").fetchone()[0]
    conn.execute("DELETE FROM person_identity WHERE person_id = ?", (gone,))
    conn.close()
    with register.open_register(reg_path) as reg:
        kinds = {(f.kind, f.record_id) for f in register.check_register(reg).audit_findings}
    assert kinds == {("added_outside", "11111111-1111-1111-1111-111111111111"),
                     ("removed_outside", gone)}


def test_audit_log_edited_by_hand_breaks_the_chain(reg_path):
    with register.open_register(reg_path) as reg:
        register.add_records(reg, "departures", [departure()], today=TODAY)
        register.add_records(reg, "departures", [departure(name="B")], today=TODAY)
    conn = _raw(reg_path)
    # Someone drops the append-only trigger and rewrites history.
    conn.execute("DROP TRIGGER audit_entry_append_only_update")
    conn.execute("UPDATE audit_entry SET actor = 'someone else' WHERE seq = 1")
    conn.close()
    with register.open_register(reg_path) as reg:
        findings = register.check_register(reg).audit_findings
    assert ("chain_broken", 1) in {(f.kind, f.seq) for f in findings}


def test_a_file_from_a_future_version_is_refused(reg_path):
    conn = _raw(reg_path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES (?, '9999_from_the_future', '2030-01-01')", (MIGRATION_SET,))
    conn.close()
    with pytest.raises(register.SchemaVersionError, match="newer version"):
        register.open_register(reg_path)


def test_foreign_and_corrupt_files_are_refused(tmp_path, reg_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(register.NotARegisterError, match="not a commune register"):
        register.open_register(other)
    corrupt = tmp_path / "corrupt.db"
    data = bytearray(reg_path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    corrupt.write_bytes(bytes(data))
    with pytest.raises(register.NotARegisterError):
        register.open_register(corrupt)


def test_schema_has_the_constraints_it_promises(reg):
    conn = reg.conn
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.IntegrityError):  # CHECK on sex
        conn.execute("INSERT INTO persons (id, sex, home_village, source_register, recorded_at) "
                     "VALUES ('22222222-2222-2222-2222-222222222222', 'Q', '01020101', 'x', 'y')")
    with pytest.raises(sqlite3.IntegrityError):  # FOREIGN KEY on person_id
        conn.execute("INSERT INTO journeys (id, person_id, departure_date, destination_country, "
                     "channel, source_register, recorded_at) VALUES "
                     "('33333333-3333-3333-3333-333333333333', 'nobody', '2024-01-01', 'TH', "
                     "'own', 'x', 'y')")
    meta = reg.meta()
    assert meta["commune_code"] == "010201" and len(meta["register_id"]) == 36
    assert register.schema_version(reg) == schema.known_migrations()[-1]


def test_catalogues_are_consistent():
    english, khmer = catalogue("en"), catalogue("km")
    assert set(khmer) <= set(english)
    for key, text in khmer.items():
        assert placeholders(text) == placeholders(english[key]), key


def test_every_message_key_used_in_code_exists():
    import re
    from pathlib import Path

    import register as pkg

    english = catalogue("en")
    root = Path(pkg.__file__).parent
    used: set[str] = set()
    for path in root.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
        used |= set(re.findall(r"""["'](rule\.[a-z_]+)["']""", path.read_text()))
    missing = sorted(k for k in used if k not in english)
    assert not missing
    from register.model import MODEL, fields_of

    for kind in MODEL.kind_names:
        for spec in fields_of(kind):
            assert f"field.{spec.name}" in english


def test_check_names_missing_metadata_instead_of_crashing(reg_path):
    # Found by mypy: the message took its placeholder under the name of t()'s own parameter,
    # so a register missing a metadata key made `check` crash instead of reporting it.
    raw = sqlite3.connect(reg_path)
    raw.execute("DELETE FROM register_meta WHERE key = 'created_at'")
    raw.commit()
    raw.close()
    with register.open_register(reg_path) as reg:
        report = register.check_register(reg)
    assert not report.ok and any("created_at" in p for p in report.problems)
