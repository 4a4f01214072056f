"""Nothing is overwritten unless the clerk says so, the register being read never; files that may
hold personal data are readable by their owner only (issue 9: data loss and disclosure)."""

from __future__ import annotations

import os
import stat

import pytest
from typer.testing import CliRunner

import register
from register.cli import app
from register.output import OutputExistsError, check_output
from tests.conftest import COMMUNE, departure

runner = CliRunner()


def _counts(path):
    with register.open_register(path) as reg:
        return {t: reg.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("persons", "person_identity", "journeys", "audit_entry", "audit_row")}


@pytest.fixture
def filled(reg_path):
    with register.open_register(reg_path) as reg:
        register.add_departure(reg, **departure())
    return reg_path


def test_export_onto_its_own_register_is_refused_even_with_force(filled):
    before = _counts(filled)
    for extra in ([], ["--force"]):
        done = runner.invoke(app, ["export", "--db", str(filled), "--out", str(filled),
                                   "--no-input", *extra])
        assert done.exit_code == 1 and "is the register being read" in done.output
    assert _counts(filled) == before  # every person, identity and audit entry still there


def test_export_onto_another_register_needs_force(filled, tmp_path):
    other = tmp_path / "other.db"
    register.init_register(other, commune=COMMUNE).close()
    before = other.read_bytes()
    done = runner.invoke(app, ["export", "--db", str(filled), "--out", str(other), "--no-input"])
    assert done.exit_code == 1 and "is a register" in done.output and "--force" in done.output
    assert other.read_bytes() == before


def test_an_existing_file_is_replaced_only_with_force(filled, tmp_path):
    out = tmp_path / "export.csv"
    out.write_text("keep me\n")
    done = runner.invoke(app, ["export", "--db", str(filled), "--out", str(out), "--no-input"])
    assert done.exit_code == 1 and "already exists" in done.output
    assert out.read_text() == "keep me\n"
    done = runner.invoke(app, ["export", "--db", str(filled), "--out", str(out), "--no-input",
                               "--force"])
    assert done.exit_code == 0, done.output
    assert out.read_text().startswith("journey_key,")
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("command", [
    ["report", "--month", "2024-03", "--out", "{out}.pdf"],
    ["xlsform", "--kind", "agencies", "--out", "{out}.xlsx"],
    ["codebook", "--out", "{out}.md"],
    ["template", "departures", "--out", "{out}.csv"],  # template --out came later, unguarded
    ["template", "departures", "--out", "{out}.xlsx"],
])
def test_other_writers_refuse_an_existing_file(filled, tmp_path, command):
    out = tmp_path / "existing"
    args = [a.replace("{out}", str(out)) for a in command]
    target = tmp_path / args[args.index("--out") + 1].split("/")[-1]
    target.write_bytes(b"precious")
    db = ["--db", str(filled)] if command[0] == "report" else []
    done = runner.invoke(app, [*args, *db, "--no-input"])
    assert done.exit_code == 1 and "already exists" in done.output, done.output
    assert target.read_bytes() == b"precious"
    done = runner.invoke(app, [*args, *db, "--no-input", "--force"])
    assert done.exit_code == 0, done.output
    assert target.read_bytes() != b"precious"


def test_the_library_refuses_its_input_and_folders(filled, tmp_path):
    with pytest.raises(OutputExistsError):
        check_output(filled, force=True, inputs=[filled])
    with pytest.raises(OutputExistsError):
        check_output(tmp_path, force=True)


@pytest.mark.skipif(os.name != "posix", reason="file permissions are POSIX modes here")
def test_registers_backups_and_exports_are_private(filled, tmp_path):
    out, backup = tmp_path / "export.csv", tmp_path / "backup.db"
    with register.open_register(filled) as reg:
        register.export_researcher(reg, out)
    from register.backup import backup as make_backup

    make_backup(filled, backup)
    for path in (filled, out, backup):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path.name, oct(mode))


def test_exporting_only_reads_the_register(filled, tmp_path):
    """Found by the attack campaign (bench/bench_attacks.py, item 11): the first export wrote the
    pseudonym key into the register, so a register on a write-protected USB stick could not be
    exported ("it is read-only") although the README says it can. The key is made with the
    register now; an export changes no byte of it."""
    with register.open_register(filled) as reg:
        reg.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = filled.read_bytes()
    with register.open_register(filled) as reg:
        register.export_researcher(reg, tmp_path / "export.csv", k=2, level="detailed",
                                   accept_risk=True)
    assert filled.read_bytes() == before


def test_backup_names_a_file_left_by_an_interrupted_run(filled, tmp_path):
    """Found by the attack campaign (item 11): backup did not name a temporary file a killed run
    left beside the register, as every other command does."""
    left = filled.with_name(filled.name + ".merging.creating")
    left.write_bytes(b"half a register")
    done = runner.invoke(app, ["backup", "--db", str(filled), "--out", str(tmp_path / "b.db"),
                               "--no-input"])
    assert done.exit_code == 0, done.output
    assert left.name in done.output and "interrupted run" in done.output


def test_a_register_that_cannot_be_made_leaves_no_half_made_file(tmp_path, monkeypatch):
    """Found by the attack campaign (item 11): a merge onto a full disk left
    'district.db.merging.creating' (the half-made output) behind."""
    import sqlite3

    from register import db as dbmodule

    def full(*_args, **_kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(dbmodule.schema.migrations, "apply", full)
    with pytest.raises(sqlite3.OperationalError):
        dbmodule.create_register(tmp_path / "district.db", commune_code=None, level="merged")
    assert list(tmp_path.iterdir()) == []
