"""Backup while in use, verification, restore."""

from __future__ import annotations

import threading

import pytest

import register
from register.backup import backup, restore, verify_backup
from register.errors import IntegrityError
from tests.conftest import TODAY, departure


def journeys(path, passphrase=None):
    with register.open_register(path, passphrase=passphrase) as reg:
        return reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0]


def test_backup_while_a_writer_is_busy_is_consistent(reg_path, tmp_path):
    stop = threading.Event()

    def writer():
        with register.open_register(reg_path) as reg:
            while not stop.is_set():
                register.add_records(reg, "departures", [departure()] * 20, today=TODAY)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        infos = [backup(reg_path, tmp_path / f"b{i}.db") for i in range(3)]
    finally:
        stop.set()
        thread.join()
    for info in infos:
        assert verify_backup(info.path).records == info.records  # whole: integrity + audit chain
        assert journeys(info.path) % 20 == 0  # never half a batch


def test_restore_verifies_first_and_keeps_the_old_file(reg_path, tmp_path):
    with register.open_register(reg_path) as reg:
        register.add_records(reg, "departures", [departure()], today=TODAY)
    info = backup(reg_path, tmp_path / "b.db")
    with register.open_register(reg_path) as reg:
        register.add_records(reg, "departures", [departure(), departure()], today=TODAY)
    restore(info.path, reg_path)
    assert journeys(reg_path) == 1
    assert journeys(reg_path.with_name(reg_path.name + ".before-restore")) == 3


def test_a_changed_backup_is_refused(reg_path, tmp_path):
    info = backup(reg_path, tmp_path / "b.db")
    data = bytearray(info.path.read_bytes())
    data[-100] ^= 0xFF
    info.path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="has changed"):
        verify_backup(info.path)
    with pytest.raises(IntegrityError):
        restore(info.path, reg_path)
    with pytest.raises(register.RegisterError, match="already exists"):
        backup(reg_path, info.path)


def test_encrypted_backup(tmp_path):
    path = tmp_path / "enc.db"
    secret = "long enough secret"
    with register.init_register(path, commune="010201", passphrase=secret) as reg:
        register.add_records(reg, "departures", [departure()], today=TODAY)
    info = backup(path, tmp_path / "enc-backup.db", passphrase=secret)
    assert not info.path.read_bytes().startswith(b"SQLite format 3")
    assert verify_backup(info.path, passphrase=secret).records == info.records
    assert journeys(info.path, secret) == 1
