"""Backups a clerk can trust: consistent while the register is in use, checked, restorable.

:func:`backup` uses SQLite's online backup (a consistent snapshot even while another program is
writing), writes under a temporary name, checks the copy (``PRAGMA integrity_check`` and the
audit chain) and records its SHA-256 in ``<backup>.sha256``. :func:`verify_backup` re-checks a
backup (bit rot, a damaged USB stick); :func:`restore` verifies first, keeps the current file as
``<register>.before-restore``, and puts the backup in place atomically.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .db import connect, is_encrypted, open_register
from .errors import IntegrityError, RegisterError, note_place
from .i18n import t
from .output import private
from .platform import replace_file


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    sha256: str
    records: int
    aside: Path | None = None  # a restore: where the replaced register was kept


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _count(path: Path, passphrase: str | None, expect: str | None = None) -> int:
    from .check import check_register

    with open_register(path, passphrase=passphrase, upgrade=False) as reg:
        report = check_register(reg, expect=expect)
        if not report.ok:
            anchor = [str(report.anchor)] if report.anchor and not report.anchor.ok else []
            problems = [*anchor, *report.problems, *map(str, report.audit_findings)]
            raise IntegrityError(t("err.backup_check", file=path.name, problem=problems[0]))
        return sum(n for t, n in report.counts.items() if t in ("persons", "journeys", "returns"))


def backup(register: str | Path, out: str | Path, *, passphrase: str | None = None) -> BackupInfo:
    """Copy ``register`` to ``out`` while it may be in use; check the copy; record its hash."""
    register, out = Path(register), Path(out)
    note_place(out)
    if out.exists():
        raise RegisterError(t("err.backup_exists", path=out))
    if not out.parent.exists():
        raise RegisterError(t("err.no_folder", folder=out.parent))
    open_register(register, passphrase=passphrase).close()  # a register, and the passphrase works
    key = passphrase if is_encrypted(register) else None
    tmp = out.with_name(out.name + ".partial")
    sidecar = Path(str(out) + ".sha256")
    side_tmp = Path(str(sidecar) + ".partial")
    tmp.unlink(missing_ok=True)
    try:  # a failure (a full disk, a pulled USB stick) leaves no half-written file behind
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # owner only
        source, target = connect(register, passphrase=key), connect(tmp, passphrase=key)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            target.close()
            source.close()
        records = _count(tmp, key)
        digest = _sha256(tmp)
        # "\n" even on Windows, so that `sha256sum -c` checks the sidecar anywhere
        side_tmp.write_text(f"{digest}  {out.name}\n", encoding="utf-8", newline="\n")
        replace_file(tmp, out)
        replace_file(side_tmp, sidecar)
    except BaseException:
        for leftover in (tmp, side_tmp, *(Path(f"{tmp}{s}") for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
        raise
    return BackupInfo(out, digest, records)


def verify_backup(path: str | Path, *, passphrase: str | None = None,
                  expect: str | None = None) -> BackupInfo:
    """Check a backup against its recorded hash, then its integrity and audit chain; with
    ``expect`` (a code of the audit log written down earlier), that its history holds it: a
    sidecar is recomputed as easily as the file is changed, a code kept apart is not."""
    path = Path(path)
    sidecar = Path(str(path) + ".sha256")
    if not sidecar.exists():
        raise IntegrityError(t("err.no_sidecar", sidecar=sidecar.name, file=path.name))
    recorded = sidecar.read_text(encoding="utf-8").split()[0]
    actual = _sha256(path)
    if actual != recorded:
        raise IntegrityError(t("err.backup_changed", file=path.name))
    key = passphrase if is_encrypted(path) else None
    return BackupInfo(path, actual, _count(path, key, expect))


def _safety_name(register: Path) -> Path:
    """A new name for the copy of a register kept before a restore: every earlier copy stays."""
    from .db import now

    stamp = now().replace(":", "").replace("-", "").split("+")[0]
    aside = register.with_name(f"{register.name}.before-restore-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = register.with_name(f"{register.name}.before-restore-{stamp}-{number}")
    return aside


def restore(backup_path: str | Path, register: str | Path, *,
            passphrase: str | None = None) -> BackupInfo:
    """Verify a backup and put it in place of ``register``.

    The current register is held alone first (refused while another program has it open; its
    WAL checkpointed into the file, so records committed but not yet in the main file are kept)
    and copied aside under a new name every time (``<register>.before-restore-<time>``): a
    second restore never overwrites the first one's safety copy.
    """
    from .exclusive import alone, replace_held

    backup_path, register = Path(backup_path), Path(register)
    info = verify_backup(backup_path, passphrase=passphrase)
    tmp = register.with_name(register.name + ".restoring")
    try:
        # created private before any byte is copied; copied in chunks (a national register
        # is gigabytes)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        shutil.copyfile(backup_path, tmp)
        private(tmp)
        if _sha256(tmp) != info.sha256:
            raise IntegrityError(t("err.restore_copy"))
        key = passphrase if is_encrypted(tmp) else None
        with open_register(tmp, passphrase=key, upgrade=False) as fresh:
            fresh.conn.execute("PRAGMA journal_mode = WAL")
        if not register.exists():
            replace_file(tmp, register)
            return info
        current = passphrase if is_encrypted(register) else None
        aside = _safety_name(register)
        with alone(register, current) as held:
            copy = connect(aside, passphrase=current)
            try:
                held.backup(copy)
            finally:
                copy.close()
            private(aside)
            replace_held(held, register, tmp)
        return BackupInfo(info.path, info.sha256, info.records, aside)
    finally:
        tmp.unlink(missing_ok=True)
