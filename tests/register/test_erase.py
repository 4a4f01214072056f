"""Erasing a person's identifying data on request (issue 9, item 9): the values leave the file,
the chain still verifies, the erasure is logged and travels to merged registers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import register
from register import audit
from register.cli import app
from register.erase import erase
from register.merge import merge
from tests.conftest import TODAY, departure

NAME, OLD_NAME, PHONE, NID = "Chanthou Erasable", "Chanthu Oldspelling", "099887766", "EE1234567"


def _file_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = Path(str(path) + suffix)
        if extra.exists():
            data += extra.read_bytes()
    return data


def _values_in(path: Path) -> list[str]:
    data = _file_bytes(path)
    return [v for v in (NAME, OLD_NAME, PHONE, NID) if v.encode("utf-8") in data]


@pytest.fixture
def person(reg_path):
    with register.open_register(reg_path, actor="clerk") as reg:
        ids = register.add_records(reg, "departures", [
            departure(name=OLD_NAME, phone=PHONE, national_id=NID),
            departure(name="Someone Else", national_id="X0000001")], today=TODAY).ids
        register.correct(reg, ids[0], {"name": NAME}, reason="spelling")
        person_id = reg.conn.execute("SELECT person_id FROM journeys WHERE id = ?",
                                     (ids[0],)).fetchone()[0]
    assert _values_in(reg_path) == [NAME, OLD_NAME, PHONE, NID]
    return person_id


def test_erasure_leaves_no_trace_of_the_values_and_the_chain_verifies(reg_path, person):
    with register.open_register(reg_path, actor="officer") as reg:
        code = audit.anchor(reg.conn)
        report = erase(reg, person[:8], reason="her request")
        assert report.fields == ("name", "national_id", "phone") and report.wal_emptied
        check = register.check_register(reg, expect=code)
        assert check.ok, [str(f) for f in check.audit_findings]
        identity = reg.conn.execute("SELECT name, national_id, phone FROM person_identity "
                                    "WHERE person_id = ?", (person,)).fetchone()
        assert identity == (None, None, None)
        assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 2
        entry = reg.conn.execute("SELECT actor, action, reason, detail FROM audit_entry "
                                 "ORDER BY seq DESC LIMIT 1").fetchone()
        assert entry[:3] == ("officer", "erase", "her request") and person in entry[3]
        assert not reg.conn.execute("SELECT count(*) FROM audit_salt WHERE id = ?",
                                    (person,)).fetchone()[0]
    assert _values_in(reg_path) == []
    with register.open_register(reg_path) as reg:  # still checks once reopened
        assert register.check_register(reg).ok


def test_the_other_persons_are_untouched(reg_path, person):
    with register.open_register(reg_path) as reg:
        erase(reg, person, reason="request")
        names = [r[0] for r in reg.conn.execute("SELECT name FROM person_identity")]
    assert len(names) == 2 and names.count(None) == 1 and "Someone Else" in names


def test_erase_needs_a_reason_and_a_person(reg_path, person):
    with register.open_register(reg_path) as reg:
        with pytest.raises(register.RegisterError, match="reason"):
            erase(reg, person, reason=" ")
        with pytest.raises(register.RecordNotFoundError):
            erase(reg, "ffffffff", reason="x")


def test_erase_on_the_command_line(reg_path, person):
    result = CliRunner().invoke(app, ["erase", person[:8], "--db", str(reg_path),
                                      "--reason", "request", "--no-input"])
    assert result.exit_code == 0, result.output
    assert "Audit code" in result.output.splitlines()[-1]
    assert _values_in(reg_path) == []


def test_an_erasure_travels_to_the_merged_register(reg_path, person, tmp_path):
    out = tmp_path / "district.db"
    merge([reg_path], out, link=False)
    assert NAME.encode() in out.read_bytes()
    with register.open_register(out) as reg, pytest.raises(register.RegisterError,
                                                           match="010201"):
        erase(reg, person, reason="asked the province")  # erased in the commune, not here
    with register.open_register(reg_path) as reg:
        erase(reg, person, reason="her request")
    merge([reg_path], out, link=False)
    with register.open_register(out) as reg:
        report = register.check_register(reg)
        assert report.ok, [str(f) for f in report.audit_findings]
        assert reg.conn.execute("SELECT name FROM person_identity WHERE person_id = ?",
                                (person,)).fetchone()[0] is None
        assert not reg.conn.execute("SELECT count(*) FROM audit_salt WHERE id = ?",
                                    (person,)).fetchone()[0]


def test_a_hash_kept_after_erasure_cannot_be_tried_against_guesses(reg_path, person):
    """Without the salt, the row hashes logged for the identity match no guess of its values."""
    with register.open_register(reg_path) as reg:
        logged = {r[0] for r in reg.conn.execute(
            "SELECT hash FROM audit_row WHERE tab = ? AND id = ?",
            (audit.TABLE_CODES["person_identity"], audit.id_key(person)))}
        erase(reg, person, reason="request")
    guess = {"person_id": person, "name": NAME, "national_id": NID, "phone": PHONE}
    assert audit.row_hash(guess) not in logged
    assert audit.row_hash(guess | {"name": OLD_NAME}) not in logged
    conn = sqlite3.connect(reg_path)
    assert conn.execute("SELECT count(*) FROM audit_private").fetchone()[0] == 0
    conn.close()
