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
    done = restore(info.path, reg_path)
    assert journeys(reg_path) == 1
    assert done.aside is not None and done.aside.name.startswith(reg_path.name + ".before-restore")
    assert journeys(done.aside) == 3


def test_a_second_restore_keeps_the_first_safety_copy(reg_path, tmp_path):
    # Found by the clerk issue: a second restore overwrote .before-restore, and a broker added
    # before the first restore was lost for good.
    info = backup(reg_path, tmp_path / "b.db")
    with register.open_register(reg_path) as reg:
        register.add_broker(reg, name="Only before the first restore")
    first = restore(info.path, reg_path).aside
    second = restore(info.path, reg_path).aside
    assert first != second and first.exists() and second.exists()
    with register.open_register(first) as reg:
        assert reg.conn.execute("SELECT count(*) FROM brokers").fetchone()[0] == 1


def test_restore_keeps_records_committed_in_the_wal(reg_path, tmp_path):
    # A crash can leave committed records in the -wal file only; restore used to delete it, so
    # the safety copy lacked them (503 journeys readable, 495 kept).
    import shutil

    info = backup(reg_path, tmp_path / "b.db")
    crashed, main_only = tmp_path / "crashed.db", tmp_path / "main-only.db"
    with register.open_register(reg_path) as reg:
        reg.conn.execute("PRAGMA wal_autocheckpoint = 0")
        register.add_records(reg, "departures", [departure(name=f"P{i}", national_id=str(i))
                                                 for i in range(8)], today=TODAY)
        # the state a power cut leaves: the main file and its WAL, with the records in the WAL
        shutil.copy(reg_path, crashed)
        shutil.copy(str(reg_path) + "-wal", str(crashed) + "-wal")
        shutil.copy(reg_path, main_only)
    assert journeys(main_only) == 0  # the records are in the WAL only
    aside = restore(info.path, crashed).aside
    assert journeys(crashed) == 0 and journeys(aside) == 8


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
