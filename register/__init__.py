"""The commune migration register: a light SQLite register for Cambodian commune councils.

Import-light on purpose (the clerk's commands start fast): no pandas, no statsmodels.

>>> import register
>>> reg = register.init_register("kh-010201.db", commune="010201")      # doctest: +SKIP
>>> register.add_departure(reg, sex="F", home_village="01020101", ...)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from .check import CheckReport, check_register
from .correct import correct
from .db import Register, create_register, open_register, schema_version
from .errors import (
    EncryptedRegisterError,
    IntegrityError,
    NotARegisterError,
    PassphraseError,
    RecordNotFoundError,
    RegisterError,
    SchemaVersionError,
    UnknownCodeError,
    ValidationError,
)
from .exclusive import change_passphrase
from .export import export_researcher, researcher_rows
from .i18n import t
from .io import import_file, read_rows, template
from .query import details, find, list_records, search
from .records import (
    WriteReport,
    add_agency,
    add_broker,
    add_departure,
    add_one,
    add_records,
    add_referral,
    add_return,
)
from .validation import Problem

__version__ = "0.1.0"


def init_register(path: str | Path, *, commune: str, actor: str | None = None,
                  durable: bool = True, passphrase: str | None = None) -> Register:
    """Create a commune's register at ``path``; ``commune`` must be a 6-digit NCDD code."""
    from .gazetteer import load_gazetteer
    from .validation import KHMER_DIGITS

    code = commune.strip().translate(KHMER_DIGITS)
    place = load_gazetteer().get(code)
    if place.level != "commune":
        raise UnknownCodeError(t("err.not_commune_code", code=code, level=t(f"level.{place.level}")))
    if passphrase is not None and len(passphrase) < 8:
        from .errors import PassphraseError

        raise PassphraseError(t("err.passphrase_short"))
    return create_register(path, commune_code=code, actor=actor, durable=durable,
                           passphrase=passphrase)


__all__ = [
    "CheckReport", "EncryptedRegisterError", "IntegrityError", "PassphraseError",
    "change_passphrase", "NotARegisterError", "Problem", "RecordNotFoundError",
    "Register", "RegisterError", "SchemaVersionError", "UnknownCodeError", "ValidationError",
    "WriteReport", "add_agency", "add_broker", "add_departure", "add_one", "add_records",
    "add_referral", "add_return", "check_register", "correct", "create_register", "details",
    "export_researcher", "find", "import_file", "init_register", "list_records", "open_register",
    "read_rows", "researcher_rows", "schema_version", "search", "template",
]
