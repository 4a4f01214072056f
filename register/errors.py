"""Named errors raised by the register library.

The command line turns each of these into a one-line message for the clerk; nothing in the
library prints or exits.
"""

from __future__ import annotations


class RegisterError(Exception):
    """Base class of every error the register raises on purpose."""


class UnknownCodeError(RegisterError, LookupError):
    """An administrative code (province, district, commune, village) is not in the gazetteer."""


class ValidationError(RegisterError, ValueError):
    """One or more fields of a record break a rule. ``problems`` lists every one of them."""

    def __init__(self, problems: list) -> None:  # list[Problem]; typed loosely to avoid a cycle
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid record")


class NotARegisterError(RegisterError):
    """The file is missing, is not SQLite, or is not a commune register."""


class SchemaVersionError(RegisterError):
    """The register was written by a newer (unknown) or incompatible version of this program."""


class RecordNotFoundError(RegisterError, LookupError):
    """No record with this id exists in the register."""


class IntegrityError(RegisterError):
    """The register file, or its audit log, failed an integrity check."""


class EncryptedRegisterError(NotARegisterError):
    """The register is encrypted and no passphrase was given."""


class PassphraseError(RegisterError):
    """The passphrase does not open this register."""


class MonthError(RegisterError, ValueError):
    """A month is not written YYYY-MM, or lies in the future."""


class InUseError(RegisterError):
    """The register is open in another program: close it there first."""


class RetiredError(RegisterError):
    """The register file was replaced (new passphrase, restore) while it was open here."""


def is_database_error(exc: BaseException) -> bool:
    """An error of SQLite or of SQLCipher (whose errors are not sqlite3's classes)."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    return type(exc).__module__.startswith("sqlcipher3") and isinstance(exc, Exception)


_PLACES: list[str] = []  # folders this run writes to (a register's, an output's)
LOW_SPACE = 1 << 20  # bytes: a disk with less free space is full for our purposes


def note_place(path: object) -> None:
    """Remember a folder this run reads or writes, so a failed write can be explained."""
    import os

    folder = os.path.dirname(os.path.abspath(str(path)))
    if folder not in _PLACES:
        _PLACES.append(folder)


def _disk_nearly_full() -> bool:
    import shutil

    for folder in _PLACES:
        try:
            if shutil.disk_usage(folder).free < LOW_SPACE:
                return True
        except OSError:
            continue
    return False


def trouble(exc: BaseException) -> str:
    """What went wrong in words a clerk can act on: no space left, no permission to write, a
    damaged file - never "restore the last backup" when the register is fine (following that
    advice after a full disk would lose the records written since the backup)."""
    import errno

    from .i18n import t

    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "disk is full" in text or "no space" in text or (
            "i/o error" in text and _disk_nearly_full()):  # SQLite says I/O error for some
        return t("err.disk_full")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or "readonly" in text or \
            "read-only" in text or "permission" in text:
        name = getattr(exc, "filename", None)
        return t("err.no_permission") + (f" ({name})" if name else "")
    if "unable to open" in text:
        return t("err.cannot_open", error=exc)
    if isinstance(exc, OSError):
        name = getattr(exc, "filename", None) or ""
        return f"{exc.strerror or exc}: {name}".strip(": ")
    if "i/o error" in text:  # a failed read or write, not necessarily a damaged file
        return t("err.io", error=exc)
    return t("cli.damaged", error=exc)
