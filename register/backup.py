"""Backups a clerk can trust: consistent while the register is in use, checked, restorable.

:func:`backup` uses SQLite's online backup (a consistent snapshot even while another program is
writing), writes under a temporary name, checks the copy (``PRAGMA integrity_check`` and the
audit chain) and records its SHA-256 in ``<backup>.sha256``. :func:`verify_backup` re-checks a
backup (bit rot, a damaged USB stick); :func:`restore` verifies first, keeps the current file as
``<register>.before-restore``, and puts the backup in place atomically.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .db import connect, is_encrypted, open_register
from .errors import IntegrityError, RegisterError
from .i18n import t
from .platform import remove_file, replace_file


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    sha256: str
    records: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _count(path: Path, passphrase: str | None) -> int:
    from .check import check_register

    with open_register(path, passphrase=passphrase, upgrade=False) as reg:
        report = check_register(reg)
        if not report.ok:
            problems = [*report.problems, *map(str, report.audit_findings)]
            raise IntegrityError(t("err.backup_check", file=path.name, problem=problems[0]))
        return sum(n for t, n in report.counts.items() if t in ("persons", "journeys", "returns"))


def backup(register: str | Path, out: str | Path, *, passphrase: str | None = None) -> BackupInfo:
    """Copy ``register`` to ``out`` while it may be in use; check the copy; record its hash."""
    register, out = Path(register), Path(out)
    if out.exists():
        raise RegisterError(t("err.backup_exists", path=out))
    if not out.parent.exists():
        raise RegisterError(t("err.no_folder", folder=out.parent))
    open_register(register, passphrase=passphrase).close()  # a register, and the passphrase works
    key = passphrase if is_encrypted(register) else None
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    source, target = connect(register, passphrase=key), connect(tmp, passphrase=key)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        target.close()
        source.close()
    try:
        records = _count(tmp, key)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    digest = _sha256(tmp)
    replace_file(tmp, out)
    # "\n" even on Windows, so that `sha256sum -c` checks the sidecar anywhere
    Path(str(out) + ".sha256").write_text(f"{digest}  {out.name}\n", encoding="utf-8", newline="\n")
    return BackupInfo(out, digest, records)


def verify_backup(path: str | Path, *, passphrase: str | None = None) -> BackupInfo:
    """Check a backup against its recorded hash, then its integrity and audit chain."""
    path = Path(path)
    sidecar = Path(str(path) + ".sha256")
    if not sidecar.exists():
        raise IntegrityError(t("err.no_sidecar", sidecar=sidecar.name, file=path.name))
    recorded = sidecar.read_text(encoding="utf-8").split()[0]
    actual = _sha256(path)
    if actual != recorded:
        raise IntegrityError(t("err.backup_changed", file=path.name))
    key = passphrase if is_encrypted(path) else None
    return BackupInfo(path, actual, _count(path, key))


def restore(backup_path: str | Path, register: str | Path, *,
            passphrase: str | None = None) -> BackupInfo:
    """Verify a backup and put it in place of ``register`` (the old file is kept aside)."""
    backup_path, register = Path(backup_path), Path(register)
    info = verify_backup(backup_path, passphrase=passphrase)
    tmp = register.with_name(register.name + ".restoring")
    tmp.write_bytes(backup_path.read_bytes())
    if _sha256(tmp) != info.sha256:
        tmp.unlink(missing_ok=True)
        raise IntegrityError(t("err.restore_copy"))
    if register.exists():
        aside = register.with_name(register.name + ".before-restore")
        replace_file(register, aside)
        for suffix in ("-wal", "-shm"):
            remove_file(Path(str(register) + suffix))
    replace_file(tmp, register)
    return info
