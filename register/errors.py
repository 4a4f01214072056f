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
