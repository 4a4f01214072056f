"""Replacing a register file (a new passphrase, a restore) without losing what anyone wrote.

A register open in another program while its file is replaced keeps writing into the old,
unlinked file: those records vanish (a passphrase change during an import lost 9,500 of 12,000).
So the replacement happens only with the register held alone:

* :func:`alone` refuses while another program has the register open. In WAL mode every open
  connection holds a share of the WAL index, and SQLite switches a database out of WAL only when
  no other connection exists; the switch also checkpoints the WAL into the file, so nothing
  committed is left behind in a ``-wal`` file.
* It then holds the file exclusively until the end: a program that tries to open the register
  meanwhile waits.
* :func:`replace_held` marks the old file *retired* before the new one takes its name; a
  program that opened the old file in that instant finds the mark (:func:`register.db.
  open_register` opens the path again; :meth:`register.db.Register.write` refuses), so it never
  writes into the replaced file.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .db import RETIRED, _sql_text, cipher_connect, connect, is_encrypted, now, open_register
from .errors import InUseError, PassphraseError, RegisterError
from .i18n import t
from .platform import replace_file

HOLD_TIMEOUT_MS = 2000


def _database_error(exc: Exception) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) or type(exc).__name__ in (
        "DatabaseError", "OperationalError")


@contextlib.contextmanager
def alone(path: str | Path, passphrase: str | None = None, *,
          cipher: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection holding the register alone (see the module's docstring). ``cipher``: a
    SQLCipher connection even to a plain register (to export it under a key)."""
    path = Path(path)
    conn = cipher_connect(path, passphrase) if cipher else connect(path, passphrase=passphrase)
    try:
        conn.execute(f"PRAGMA busy_timeout = {HOLD_TIMEOUT_MS}")
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except Exception as exc:
            if not _database_error(exc):
                raise
            mode = "busy"
        if str(mode).lower() != "delete":
            raise InUseError(t("exclusive.in_use", path=path.name))
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        # The first write takes the exclusive lock, which exclusive locking mode then keeps.
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("INSERT OR REPLACE INTO register_meta (key, value) VALUES ('held_at', ?)",
                     (now(),))
        conn.execute("COMMIT")
        yield conn
    finally:
        conn.close()


def replace_held(conn: sqlite3.Connection, path: str | Path, new_file: str | Path) -> None:
    """Put ``new_file`` in place of the held register ``path``: the old file is marked retired
    first (a program holding it open will not write into it)."""
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("INSERT OR REPLACE INTO register_meta (key, value) VALUES (?, ?)",
                 (RETIRED, now()))
    conn.execute("COMMIT")
    replace_file(new_file, path)


def change_passphrase(path: str | Path, old: str | None, new: str | None) -> None:
    """Encrypt, re-key or decrypt a register (``None`` = not encrypted), atomically.

    The register is held alone (refused while another program has it open; its WAL
    checkpointed into the file), copied under the new key with SQLCipher's export, checked, and
    put in place of the old file (:mod:`register.exclusive`): a power cut leaves the old file as
    it was, and no writer can be writing into the replaced file.
    """
    path = Path(path)
    if new is not None and len(new) < 8:
        raise PassphraseError(t("err.passphrase_short"))
    key = old if old is not None and is_encrypted(path) else None
    open_register(path, passphrase=key).close()  # a register, the passphrase works, upgraded
    tmp = path.with_name(path.name + ".rekey")
    tmp.unlink(missing_ok=True)
    try:
        with alone(path, key, cipher=True) as held:
            held.execute(f"ATTACH DATABASE {_sql_text(str(tmp))} AS target KEY "
                         f"{_sql_text(new or '')}")
            held.execute("SELECT sqlcipher_export('target')")
            held.execute("DETACH DATABASE target")
            with open_register(tmp, passphrase=new) as check:
                check.conn.execute("PRAGMA journal_mode = WAL")
                if check.conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise RegisterError(t("err.rekey_failed"))
            replace_held(held, path, tmp)
    finally:
        tmp.unlink(missing_ok=True)
