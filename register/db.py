"""Opening, creating and writing to a register file.

A register is one SQLite file: WAL journal, foreign keys on, ``synchronous=FULL`` (a committed
record survives a power cut) and a generous busy timeout (a second writer waits its turn instead
of failing). Every write goes through :meth:`Register.write`, one ``BEGIN IMMEDIATE`` transaction:
a record is stored whole or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema
from .errors import (
    LOW_SPACE,
    EncryptedRegisterError,
    NotARegisterError,
    PassphraseError,
    RegisterError,
    RetiredError,
    SchemaVersionError,
    is_database_error,
)
from .i18n import t
from .platform import replace_file, sqlite_uri
from .sqlite import sqlite_utils

BUSY_TIMEOUT_MS = 60_000
SQLITE_MAGIC = b"SQLite format 3\x00"


def now() -> str:
    """Current UTC time as ISO 8601 text (seconds)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def new_id() -> str:
    """A new record id: a random UUID (version 4).

    Time-ordered ids (UUID version 7) were tried (issue 12) and not kept: their first eight
    characters are the time to about a minute, so records entered together share them and the
    clerk's short references (``register show 5998f8e7``) become ambiguous; and the merge, which
    they were to speed up, builds its tables in key order anyway (``register.merge_bulk``).
    """
    return str(uuid.uuid4())


def default_actor() -> str:
    """Who is writing: ``REGISTER_CLERK``, else the operating-system user."""
    actor = os.environ.get("REGISTER_CLERK")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no user name on some systems
        return "unknown"


def tidy_side_files(path: str | Path, passphrase: str | None = None) -> None:
    """Let SQLite remove the ``-wal`` and ``-shm`` files a read-only reader (a merge) left
    beside a register: a writable connection that reads and closes removes them when it is the
    last one, and leaves them while another program has the register open. Nothing is written;
    a register SQLite cannot open for writing (read-only media) keeps them."""
    path = Path(path)
    if not any(path.with_name(path.name + side).exists() for side in ("-wal", "-shm")):
        return
    try:
        conn = connect(path, passphrase=passphrase)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except Exception as exc:  # a read-only folder, a register gone since: nothing to tidy
        if not (is_database_error(exc) or isinstance(exc, (OSError, RegisterError))):
            raise


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(path: str | Path, durable: bool = True,
            passphrase: str | None = None) -> sqlite3.Connection:
    """A connection with the register's settings.

    ``passphrase`` opens (or creates) a register encrypted with SQLCipher (AES-256, through the
    maintained ``sqlcipher3`` binding). ``durable=False`` (synthetic data only) skips the flushes
    to disk that make a committed record survive a power cut.
    """
    conn: Any
    if passphrase is None:
        # A file URI (uri=True): ATTACH of a URI then works on every platform, Windows included.
        conn = sqlite3.connect(sqlite_uri(path), uri=True, isolation_level=None,
                               timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        if not passphrase:
            raise PassphraseError(t("err.passphrase_empty"))
        from sqlcipher3 import dbapi2 as sqlcipher

        conn = sqlcipher.connect(str(path), isolation_level=None,
                                 timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {_sql_text(passphrase)}")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher.DatabaseError:
            conn.close()
            raise PassphraseError(t("err.passphrase_wrong", file=Path(path).name)) from None
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'OFF'}")
    return conn


@dataclass
class Register:
    """An open register. Use :func:`open_register` or :func:`create_register`."""

    path: Path
    db: Any  # sqlite_utils.Database
    actor: str
    read_only: bool = False  # opened from read-only media (a write-protected stick, a CD)

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    # -- metadata ---------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM register_meta").fetchall())

    @property
    def register_id(self) -> str:
        return self.meta()["register_id"]

    @property
    def commune_code(self) -> str | None:
        return self.meta().get("commune_code") or None

    @property
    def level(self) -> str:
        return self.meta().get("level", "commune")

    # -- writing ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing write transaction (nested calls become savepoints)."""
        conn = self.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            if _retired(conn):
                raise RetiredError(t("exclusive.retired", path=self.path.name))
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


RETIRED = "retired_at"  # register_meta key of a file another one replaced (register.exclusive)
#: register_meta key of a register of synthetic data (the generator's; a merge carries it, and
#: never mixes synthetic and real registers). Its value says how the data were made.
SYNTHETIC = "synthetic"


def _retired(conn: Any) -> bool:
    """Has this file been replaced by another (see register.exclusive)?"""
    return conn.execute("SELECT 1 FROM register_meta WHERE key = ?", (RETIRED,)).fetchone() \
        is not None


def is_encrypted(path: str | Path) -> bool:
    """True when the file is not plain SQLite (an encrypted register, or something else)."""
    with Path(path).open("rb") as fh:
        head = fh.read(16)
    return len(head) == 16 and head != SQLITE_MAGIC


def _check_file(path: Path, passphrase: str | None) -> None:
    if not path.exists():
        raise NotARegisterError(t("err.no_register", path=path))
    if path.is_dir():
        raise NotARegisterError(t("err.is_folder", path=path))
    if path.stat().st_size < 512:
        raise NotARegisterError(t("err.too_small", path=path))
    if is_encrypted(path) and passphrase is None:
        raise EncryptedRegisterError(t("err.encrypted", path=path))


def _no_space(path: Path, exc: BaseException) -> bool:
    """Did opening fail for want of disk space (not a damaged file)? A full disk makes SQLite
    report a disk I/O error when it cannot create the -wal or -shm file; calling that damage
    would send the clerk to restore an older backup."""
    import shutil

    if "i/o error" not in str(exc).lower() and "full" not in str(exc).lower():
        return False
    try:
        return shutil.disk_usage(path.parent).free < LOW_SPACE
    except OSError:
        return False


def schema_state(db: Any) -> tuple[list[str], list[str]]:
    """Return (applied migrations, applied migrations unknown to this program)."""
    applied = [m.name for m in schema.migrations.applied(db)]
    known = set(schema.known_migrations())
    return applied, [name for name in applied if name not in known]


def open_register(path: str | Path, *, actor: str | None = None, upgrade: bool = True,
                  durable: bool = True, passphrase: str | None = None,
                  _retry: bool = True) -> Register:
    """Open an existing register, applying pending migrations of a known older schema.

    Raises
    ------
    NotARegisterError
        The file does not exist, is not SQLite, or holds no register.
    SchemaVersionError
        The file was written by a newer version of this program.
    """
    path = Path(path)
    _check_file(path, passphrase)
    if passphrase is not None and not is_encrypted(path):
        passphrase = None  # a plain register opens as it is
    read_only = False
    try:
        conn = connect(path, durable, passphrase)
        db = sqlite_utils.Database(conn)
        tables = set(db.table_names())
    except sqlite3.DatabaseError as exc:
        if _no_space(path, exc):  # a WAL register needs room for its -wal and -shm files
            raise RegisterError(t("err.disk_full")) from exc
        if passphrase is not None or not on_read_only_media(path):
            raise NotARegisterError(t("err.unreadable", path=path, error=exc)) from exc
        # A WAL register cannot be opened normally where its -shm file cannot be made: read it
        # as it is (immutable: nobody can write there anyway).
        conn = sqlite3.connect(sqlite_uri(path, mode="ro", immutable="1"), uri=True,
                               isolation_level=None)
        db = sqlite_utils.Database(conn)
        tables = set(db.table_names())
        read_only, upgrade = True, False
    if "register_meta" not in tables or schema.migrations.migrations_table not in tables:
        conn.close()
        raise NotARegisterError(t("err.not_register", path=path))
    if _retired(conn):  # opened in the instant another program replaced the file: open anew
        conn.close()
        if _retry:
            return open_register(path, actor=actor, upgrade=upgrade, durable=durable,
                                 passphrase=passphrase, _retry=False)
        raise RetiredError(t("exclusive.retired", path=path.name))
    applied, unknown = schema_state(db)
    if unknown:
        conn.close()
        raise SchemaVersionError(t("err.newer_schema", path=path, step=unknown[0]))
    if upgrade and schema.migrations.pending(db):
        # Several programs may open an old register at once: upgrade under the write lock, and
        # look again at what is pending once we hold it.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema.migrations.pending(db):
                schema.migrations.apply(db)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            raise
    return Register(path=path, db=db, actor=actor or default_actor(), read_only=read_only)


def on_read_only_media(path: str | Path) -> bool:
    """Is the file on a file system mounted read-only, or in a folder this user cannot write?"""
    folder = Path(path).resolve().parent
    if not os.access(folder, os.W_OK):
        return True
    statvfs = getattr(os, "statvfs", None)
    if statvfs is None:  # Windows: no mount flags; the folder's access says enough
        return False
    return bool(statvfs(folder).f_flag & os.ST_RDONLY)


def create_register(
    path: str | Path,
    *,
    commune_code: str | None,
    level: str = "commune",
    scope: str = "",
    actor: str | None = None,
    register_id: str | None = None,
    durable: bool = True,
    passphrase: str | None = None,
) -> Register:
    """Create a new, empty register file (it must not exist yet).

    ``commune_code`` is checked against the gazetteer by the caller (:func:`register.init`).
    """

    path = Path(path)
    if path.exists():
        raise RegisterError(t("err.exists", path=path))
    if not path.parent.exists():
        raise RegisterError(t("err.no_folder", folder=path.parent))
    tmp = path.with_name(path.name + ".creating")
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # owner only, from the start
    try:
        conn = connect(tmp, durable, passphrase)
    except BaseException:
        _remove_creating(tmp)
        raise
    try:
        _fill_new(conn, commune_code, level, scope, register_id)
    except BaseException:  # a full disk, say: no half-made register left behind
        with contextlib.suppress(Exception):
            conn.close()
        _remove_creating(tmp)
        raise
    conn.close()
    # Only a complete register ever carries the final name (a power cut leaves a .creating file).
    replace_file(tmp, path)
    return open_register(path, actor=actor, durable=durable, passphrase=passphrase)


def _remove_creating(tmp: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)


def _fill_new(conn: Any, commune_code: str | None, level: str, scope: str,
              register_id: str | None) -> None:
    """The schema and the metadata of a new register."""
    from .gazetteer import CURRENT_VERSION

    conn.execute("PRAGMA journal_mode = WAL")
    db = sqlite_utils.Database(conn)
    schema.migrations.apply(db)
    meta = {
        "register_id": register_id or new_id(),
        "level": level,
        "commune_code": commune_code or "",
        "scope": scope or (commune_code or ""),
        "created_at": now(),
        "gazetteer_version": CURRENT_VERSION,
        "program": "commune-migration-register",
        # The researcher export's pseudonym key, made now: a register on read-only media (a
        # write-protected USB stick) can then still be exported (it was made on first export).
        "pseudonym_key": secrets.token_bytes(32).hex(),
    }
    with db.atomic():
        conn.executemany("INSERT INTO register_meta (key, value) VALUES (?, ?)", meta.items())


def schema_version(reg: Register) -> str:
    """The schema version of a register: the name of its last applied migration."""
    applied, _ = schema_state(reg.db)
    return applied[-1] if applied else ""


def cipher_connect(path: str | Path, passphrase: str | None) -> Any:
    """A SQLCipher connection to a register, keyed when ``passphrase`` is given (a plain one is
    opened without a key, to be exported under one)."""
    from sqlcipher3 import dbapi2 as sqlcipher

    conn = sqlcipher.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA cipher_log_level = NONE")
    if passphrase is not None:
        conn.execute(f"PRAGMA key = {_sql_text(passphrase)}")
    return conn
