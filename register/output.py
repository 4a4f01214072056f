"""Writing a file the program makes (an export, a report, a form, a backup): safely, once.

Every command that writes a file goes through :func:`writing`:

* it never overwrites an existing file unless told to (``force``), and never one of its own
  inputs, even when told to (``register export --db reg.db --out reg.db`` used to replace the
  register with its export);
* the file is written under a temporary name beside the target and renamed when complete, so a
  power cut or an error leaves the old file, or none - never half a file; the temporary file is
  removed when writing fails;
* files that may hold personal data are created readable by their owner only (0600) where the
  operating system has such permissions (Windows keeps the folder's access rules: say so to the
  clerk in the README).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import RegisterError, note_place
from .i18n import t
from .platform import WINDOWS, remove_file, replace_file

PARTIAL = ".partial"


class OutputExistsError(RegisterError):
    """The file to write exists already (and --force was not given), or is an input."""


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(out: str | Path, *, force: bool = False,
                 inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse to write ``out`` over an input, over a folder, or (without ``force``) over any
    existing file; refuse a folder that does not exist. Returns ``out`` as a Path."""
    out = Path(out)
    note_place(out)
    for source in inputs:
        source = Path(source)
        if _same(out, source) or out.resolve() == source.resolve():
            raise OutputExistsError(t("output.is_input", path=out))
    if out.is_dir():
        raise OutputExistsError(t("err.is_folder", path=out))
    if out.exists() and not force:
        key = "output.is_register" if _is_register(out) else "output.exists"
        raise OutputExistsError(t(key, path=out))
    if not out.parent.exists():
        raise RegisterError(t("err.no_folder", folder=out.parent))
    return out


def _is_register(path: Path) -> bool:
    """Is this a register file (plain SQLite holding a register's metadata)?"""
    import sqlite3

    from .platform import sqlite_uri

    try:
        conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'register_meta'")
            return found.fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def private(path: str | Path) -> None:
    """Make a file readable and writable by its owner only (no-op where there are no such
    permissions)."""
    if not WINDOWS:
        os.chmod(path, 0o600)


@contextlib.contextmanager
def writing(out: str | Path, *, force: bool = False, inputs: Iterable[str | Path] = (),
            personal: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``out`` (checked first, see
    :func:`check_output`); on failure it is removed. ``personal``: created 0600."""
    out = check_output(out, force=force, inputs=inputs)
    tmp = out.with_name(out.name + PARTIAL)
    remove_file(tmp)
    if personal:  # create it private before any byte is written
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        yield tmp
        if personal:
            private(tmp)
        replace_file(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            remove_file(tmp)
        raise


REGISTER_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def check_register_name(path: str | Path) -> Path:
    """A file to hold a register must be named as one (``.db``): ``merge --out export.csv``
    used to write a register under a .csv name (and ask for a passphrase for it)."""
    path = Path(path)
    if path.suffix.lower() not in REGISTER_SUFFIXES:
        raise RegisterError(t("output.register_suffix", path=path.name))
    return path


# Temporary files the program writes beside a file and renames when complete: one left behind
# is the trace of an interrupted run (a power cut, a killed process). Some hold identities.
TEMPORARY = (PARTIAL, ".creating", ".merging", ".merging.creating", ".rekey", ".restoring",
             ".sha256.partial")


def leftovers(path: str | Path) -> list[Path]:
    """Temporary files an interrupted run left beside ``path`` (named, never deleted here: a
    run still going could be writing one)."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(path.name + ".*")
                  if any(p.name == path.name + suffix for suffix in TEMPORARY))
