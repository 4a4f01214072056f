"""What the operating system changes: Khmer on the console, files that another program holds
open, flushing to disk, and SQLite file names.

The clerks' laptops run Windows. There:

* output redirected to a file or a pipe (``register list ... > list.txt``, Git Bash, some
  editors' terminals) is encoded in the ANSI code page (cp1252...), which has no Khmer: printing
  a Khmer name would stop the command. :func:`configure_console` makes such streams UTF-8
  (a real console already takes Unicode since Python 3.6, PEP 528);
* a file that another program has open (a register in a database viewer, an export open in
  Excel) cannot be replaced or deleted, and antivirus scanners hold new files for a moment:
  :func:`replace_file` and :func:`remove_file` retry for a short while, then raise
  :class:`FileInUseError`, which names the file and says what to do;
* ``os.fsync`` needs a file opened for writing (``_commit``/``FlushFileBuffers``):
  :func:`fsync_file` opens it so, and on macOS asks the drive itself to flush (F_FULLFSYNC);
* CPython's own SQLite on Windows is built without URI file names (``SQLITE_USE_URI`` is not
  set in PCbuild/sqlite3.vcxproj), and a hand-made ``file:{path}?mode=ro`` breaks on any path
  with ``#``, ``?`` or ``%`` on every system: :func:`sqlite_uri` builds a correct URI, to be
  opened with ``uri=True`` (which also enables URIs in ``ATTACH``).

Only the standard library; nothing here is imported on the clerk's path unless used.
This module was tested on Linux, with the Windows behaviour simulated (README, "Windows").
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from .errors import RegisterError
from .i18n import t

WINDOWS = sys.platform == "win32"
MACOS = sys.platform == "darwin"
# How long a replace or delete keeps trying while another program holds the file (Windows).
RETRY_ATTEMPTS = 10
RETRY_DELAY_S = 0.2
_KHMER_PROBE = "\u1780\u17d2\u1798\u17c2\u179a"  # ខ្មែរ


class FileInUseError(RegisterError):
    """A file could not be replaced or removed: another program holds it, or it is read-only."""


# -- console ----------------------------------------------------------------------------------
def carries_khmer(encoding: str | None) -> bool:
    if not encoding:
        return False
    try:
        _KHMER_PROBE.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def configure_console(streams: Iterable[tuple[str, Any]] | None = None) -> list[str]:
    """Make the standard streams UTF-8 where their encoding cannot carry Khmer.

    Call it once, first thing in the CLI's ``main()``. Returns the names of the streams it
    changed. Output keeps going whatever it meets (``backslashreplace``); input is read as UTF-8
    (a byte-order mark, as PowerShell may send, is dropped).
    """
    if streams is None:
        streams = [(name, getattr(sys, name)) for name in ("stdout", "stderr", "stdin")]
    changed = []
    for name, stream in streams:
        if stream is None or not hasattr(stream, "reconfigure"):
            continue
        if carries_khmer(getattr(stream, "encoding", None)):
            continue
        if name == "stdin":
            stream.reconfigure(encoding="utf-8-sig", errors="strict")
        else:
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
        changed.append(name)
    return changed


# -- replacing and removing files -------------------------------------------------------------
def _retrying(action: Any, path: Path, attempts: int, delay: float) -> None:
    for attempt in range(attempts):
        try:
            action()
            return
        except PermissionError as exc:
            # On POSIX a PermissionError is about permissions: waiting will not help.
            if not WINDOWS:
                raise
            if attempt == attempts - 1:
                raise FileInUseError(t("platform.file_in_use", file=str(path))) from exc
            time.sleep(delay)


def replace_file(src: str | Path, dst: str | Path, *, attempts: int = RETRY_ATTEMPTS,
                 delay: float = RETRY_DELAY_S) -> None:
    """``os.replace(src, dst)``, atomic as before, that waits out a short-lived lock on Windows.

    On Windows a rename onto a file another program has open fails ("access denied", "used by
    another process"); an antivirus scan of a new file does the same for a moment. This retries
    for ``attempts * delay`` seconds, then raises :class:`FileInUseError` naming ``dst``. ``src``
    is left in place: the caller removes its temporary file as before.
    """
    _retrying(lambda: os.replace(src, dst), Path(dst), attempts, delay)


def remove_file(path: str | Path, *, attempts: int = RETRY_ATTEMPTS,
                delay: float = RETRY_DELAY_S) -> None:
    """``Path(path).unlink(missing_ok=True)`` that waits out a short-lived lock on Windows."""
    _retrying(lambda: Path(path).unlink(missing_ok=True), Path(path), attempts, delay)


# -- flushing to disk -------------------------------------------------------------------------
def fsync_file(path: str | Path) -> None:
    """Flush a closed file's data to the disk (before it is renamed into place).

    Windows' ``fsync`` (``_commit``) fails with EBADF on a file opened read-only, so the file is
    opened for writing there (nothing is written). macOS's ``fsync`` leaves the data in the
    drive's cache; ``F_FULLFSYNC`` asks the drive to write it.
    """
    flags = (os.O_RDWR if WINDOWS else os.O_RDONLY) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        if MACOS:
            import fcntl

            try:
                fcntl.fcntl(fd, fcntl.F_FULLFSYNC)  # type: ignore[attr-defined]  # macOS only
                return
            except OSError:  # not supported by this file system: plain fsync
                pass
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: str | Path) -> None:
    """Flush a directory entry (after a rename) on POSIX; Windows has no such call (no-op)."""
    if WINDOWS:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- SQLite file names ------------------------------------------------------------------------
def sqlite_uri(path: str | Path, **params: str) -> str:
    """A SQLite URI for ``path`` (``file:///...``), its characters escaped, with ``params``.

    Open it with ``sqlite3.connect(uri, uri=True)``; ``ATTACH`` on such a connection then takes
    URIs too. For example ``sqlite_uri(p, mode="ro")`` opens read-only.
    """
    return file_uri(Path(path).resolve(), **params)


def file_uri(path: PurePath, **params: str) -> str:
    """The URI of an absolute ``path`` of either flavour (``PureWindowsPath`` on Linux too).

    ``C:\\Users\\Sok\\kh.db`` gives ``file:///C:/Users/Sok/kh.db``; a network share
    ``\\\\server\\share\\kh.db`` gives ``file:////server/share/kh.db`` (SQLite accepts only an
    empty authority). Spaces, ``#``, ``?``, ``%`` and Khmer letters are percent-encoded.
    """
    from urllib.parse import quote, urlencode

    text = path.as_posix()
    if not text.startswith("/"):  # a drive letter
        text = "/" + text
    uri = "file://" + quote(text, safe="/:")
    return uri + ("?" + urlencode(params) if params else "")
