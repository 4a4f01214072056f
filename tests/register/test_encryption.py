"""Encryption at rest: SQLCipher with a passphrase chosen at init, changeable, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import register
from register.cli import app
from tests.conftest import COMMUNE, TODAY, departure

SECRET = "correct horse battery"


@pytest.fixture
def encrypted(tmp_path):
    path = tmp_path / "enc.db"
    with register.init_register(path, commune=COMMUNE, passphrase=SECRET) as reg:
        register.add_records(reg, "departures", [departure()], today=TODAY)
    return path


def test_the_file_reveals_nothing_without_the_passphrase(encrypted):
    data = encrypted.read_bytes()
    assert not data.startswith(b"SQLite format 3")
    for secret in ("សុខ ដារា".encode(), b"010203045", b"persons", b"journeys"):
        assert secret not in data
    with pytest.raises(register.EncryptedRegisterError, match="give its passphrase"):
        register.open_register(encrypted)
    with pytest.raises(register.PassphraseError, match="does not open"):
        register.open_register(encrypted, passphrase="wrong wrong")


def test_open_with_passphrase_and_change_it(encrypted):
    with register.open_register(encrypted, passphrase=SECRET) as reg:
        assert register.check_register(reg).ok
    register.change_passphrase(encrypted, SECRET, "a new passphrase")
    with pytest.raises(register.PassphraseError):
        register.open_register(encrypted, passphrase=SECRET)
    with register.open_register(encrypted, passphrase="a new passphrase") as reg:
        assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 1
        assert register.check_register(reg).ok
    with pytest.raises(register.PassphraseError, match="8 characters"):
        register.change_passphrase(encrypted, "a new passphrase", "short")
    register.change_passphrase(encrypted, "a new passphrase", None)
    with register.open_register(encrypted) as reg:  # decrypted: opens without one
        assert register.check_register(reg).ok


def test_unencrypted_registers_keep_working(reg_path):
    register.change_passphrase(reg_path, None, SECRET)
    with register.open_register(reg_path, passphrase=SECRET) as reg:
        assert reg.commune_code == COMMUNE


def test_cli_with_and_without_the_passphrase(tmp_path, monkeypatch):
    runner = CliRunner()
    db = str(tmp_path / "c.db")
    made = runner.invoke(app, ["init", "--commune", COMMUNE, "--db", db, "--encrypt"],
                         input=f"1\n{SECRET}\n{SECRET}\n")
    assert made.exit_code == 0, made.output
    no = runner.invoke(app, ["check", "--db", db, "--no-input"])
    assert no.exit_code == 2 and "REGISTER_PASSPHRASE" in no.output
    wrong = runner.invoke(app, ["check", "--db", db], input="not it at all\n")
    assert wrong.exit_code == 1 and "passphrase does not open" in wrong.output
    assert "Traceback" not in wrong.output
    monkeypatch.setenv("REGISTER_PASSPHRASE", SECRET)
    ok = runner.invoke(app, ["check", "--db", db, "--no-input"])
    assert ok.exit_code == 0 and "intact" in ok.output


def test_a_new_passphrase_is_refused_while_a_clerk_is_writing(tmp_path):
    # Found by testing: re-keying during an import left a -wal under the old key; the register
    # then opened with neither passphrase and 9,500 of 12,000 saved records were gone.
    import subprocess
    import sys
    import time

    from register.errors import InUseError

    path = tmp_path / "busy.db"
    register.init_register(path, commune=COMMUNE, passphrase="first passphrase").close()
    writer = subprocess.Popen([sys.executable, "-c", f"""
import sys, register
from tests.conftest import departure
reg = register.open_register({str(path)!r}, passphrase="first passphrase")
n = 0
while True:
    register.add_records(reg, "departures", [departure(name=f"W{{n}}", national_id=str(n))])
    n += 1
    print(n, flush=True)
"""], stdout=subprocess.PIPE, text=True, cwd=str(Path(__file__).resolve().parents[2]))
    try:
        assert writer.stdout.readline()  # it has saved a record and keeps the register open
        with pytest.raises(InUseError, match="open in another program"):
            register.change_passphrase(path, "first passphrase", "second passphrase")
        time.sleep(0.2)
    finally:
        writer.kill()
        saved = writer.communicate()[0].split()
    last = int(saved[-1]) if saved else 1
    with register.open_register(path, passphrase="first passphrase") as reg:
        assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] >= last
    register.change_passphrase(path, "first passphrase", "second passphrase")
    with register.open_register(path, passphrase="second passphrase") as reg:
        assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] >= last
    assert not Path(str(path) + "-wal").exists() or Path(str(path) + "-wal").stat().st_size == 0


def test_a_file_replaced_while_open_is_never_written(reg_path):
    from register.db import RETIRED
    from register.errors import RetiredError

    with register.open_register(reg_path) as reg:
        reg.conn.execute("INSERT INTO register_meta (key, value) VALUES (?, 'now')", (RETIRED,))
        with pytest.raises(RetiredError):
            register.add_records(reg, "brokers", [{"name": "Late write"}])
    with pytest.raises(RetiredError):
        register.open_register(reg_path)
