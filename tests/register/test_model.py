"""The data model is declared once (register/model.py): a field added there is a column of the
register, a question of the clerk's prompts and an option of its command, a column of the import
template and (when exported) of the researcher export - with no other edit (issue 10)."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from register import schema
from register.export import columns
from register.io import template
from register.model import MODEL, Field, fields_of

ROOT = Path(__file__).resolve().parents[2]
NEW = Field("remittance_usd", "money", minimum=0, maximum=100_000, export=True,
            since="0099_remittances")


def test_a_new_field_is_a_column_of_the_register():
    model = MODEL.with_field("journeys", NEW, after="debt_usd")
    assert schema.migration_names(model)[-1] == "0099_remittances"
    conn = sqlite3.connect(":memory:")
    for name in schema.migration_names(model):
        for statement in schema.migration_sql(name, model):
            conn.execute(statement)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(journeys)")}
    assert "remittance_usd" in columns
    conn.execute("INSERT INTO persons (id, sex, home_village, source_register, recorded_at) "
                 "VALUES ('11111111-1111-1111-1111-111111111111', 'F', '01020101', 'r', 'now')")
    insert = ("INSERT INTO journeys (id, person_id, departure_date, destination_country, channel, "
              "remittance_usd, source_register, recorded_at) VALUES (?, "
              "'11111111-1111-1111-1111-111111111111', '2024-01-01', 'TH', 'own', ?, 'r', 'now')")
    conn.execute(insert, ("22222222-2222-2222-2222-222222222222", 250.0))
    try:  # the model's bounds became a CHECK constraint
        conn.execute(insert, ("33333333-3333-3333-3333-333333333333", -1))
        raise AssertionError("a negative remittance was accepted")
    except sqlite3.IntegrityError:
        pass


def test_a_new_field_is_asked_templated_and_exported():
    model = MODEL.with_field("journeys", NEW, after="debt_usd")
    assert "remittance_usd" in [f.name for f in fields_of("departures", model)]
    assert "remittance_usd" in template("departures", model).strip().split(",")
    assert "remittance_usd" in [c.name for c in columns(model)]
    assert "remittance_usd" not in [c.name for c in columns()]  # the copy, not the model


def test_the_command_line_offers_a_new_field(tmp_path):
    """In a fresh interpreter, the model is extended before the program is loaded: the clerk's
    add-departure command has the option and asks the question."""
    code = f"""
import importlib.util, sys, types
from pathlib import Path
root = Path({str(ROOT)!r}) / "register"
package = types.ModuleType("register"); package.__path__ = [str(root)]
sys.modules["register"] = package  # the package's modules, without its __init__ yet
import register.model as model
model.MODEL = model.MODEL.with_field("journeys", model.Field(
    "remittance_usd", "money", minimum=0, maximum=100_000, export=True, since="0099_r"),
    after="debt_usd")
from typer.testing import CliRunner
from register.cli import app
print(CliRunner().invoke(app, ["add-departure", "--help"]).output)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--remittance-usd" in done.stdout


# Fingerprints of the released migrations: a change to a released field's declaration (or to a
# bookkeeping table of a released migration) changes its SQL, and registers that already applied
# it would silently differ from new ones. Change the model with a new migration instead.
RELEASED = {
    "0001_initial": "548480856fe149ad",
    "0002_record_linkage": "c656d99577340d1f",
    "0003_consent_citizenship_follow_up": "061fe8018ed65d85",
}


def _fingerprint(name: str) -> str:
    sql = "\n".join(schema.migration_sql(name))
    return hashlib.sha256(sql.encode()).hexdigest()[:16]


def test_released_migrations_never_change():
    for name, expected in RELEASED.items():
        assert _fingerprint(name) == expected, (
            f"migration {name} changed: released migrations are never edited; declare the "
            f"change with since='<a new migration name>'")


def test_a_register_of_version_0_1_0_opens_and_is_upgraded(tmp_path):
    """Registers created before the model was generated (their DDL was written by hand) keep
    working: they are upgraded by the new migrations and take new records."""
    import register
    from tests.conftest import TODAY, departure

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parent / "data" / "schema_v0.1.0.sql").read_text())
    conn.executescript("""
        PRAGMA journal_mode = WAL;
        CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT,
                                         name TEXT, applied_at TEXT);
        CREATE UNIQUE INDEX idx_sqlite_migrations ON _sqlite_migrations (migration_set, name);
        INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES
            ('commune_register', '0001_initial', '2026-11-01'),
            ('commune_register', '0002_record_linkage', '2026-11-01');
        INSERT INTO register_meta VALUES ('register_id', '44444444-4444-4444-4444-444444444444'),
            ('level', 'commune'), ('commune_code', '010201'), ('scope', '010201'),
            ('created_at', '2026-11-01T00:00:00+00:00'), ('gazetteer_version', '2024-10-14');
    """)
    conn.close()
    with register.open_register(path) as reg:
        assert register.schema_version(reg) == schema.known_migrations()[-1]
        report = register.add_records(reg, "departures", [departure(planned_months=12)],
                                      today=TODAY)
        assert report.written["journeys"] == 1
        assert register.check_register(reg).ok
