"""The translation layer: every sentence the clerk sees goes through :func:`t`.

Messages live in JSON catalogues under ``register/locale/`` (``en.json`` and ``km.json`` hold the
same keys with the same placeholders; a test keeps them so). Official terms (ministries, the MOLVT
licence, the ILO indicators, the levels of the gazetteer ...) are fixed once in
``register/locale/glossary.csv``, which a native speaker reviews.

The language, first found wins:

1. ``--lang`` on the command line (:func:`set_language`);
2. the environment variable ``REGISTER_LANG``;
3. the language of the commune's register, saved at ``register init``
   (:func:`set_default_language`, read by :func:`register_language`);
4. English.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from functools import cache
from pathlib import Path
from string import Formatter

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "km")
LANGUAGE_KEY = "language"  # register_meta key of the commune's language
_language: str | None = None
_default: str | None = None
TO_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


@cache
def catalogue(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / f"{lang}.json"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def set_language(lang: str | None) -> None:
    """The language asked for (``--lang``); None: the environment's, else the register's."""
    global _language
    if lang is not None and lang not in LANGUAGES:
        _language = None
        raise ValueError(t("cli.bad_language", lang=lang, languages=", ".join(LANGUAGES)))
    _language = lang


def set_default_language(lang: str | None) -> None:
    """The register's own language, used when neither ``--lang`` nor ``REGISTER_LANG`` is set."""
    global _default
    _default = lang if lang in LANGUAGES else None


def chosen() -> bool:
    """Was the language chosen for this run (``--lang`` or ``REGISTER_LANG``)?"""
    return _language is not None or os.environ.get("REGISTER_LANG") in LANGUAGES


def language() -> str:
    lang = _language or os.environ.get("REGISTER_LANG") or _default or "en"
    return lang if lang in LANGUAGES else "en"


def t(key: str, /, **values: object) -> str:
    """The message ``key`` in the current language, filled with ``values``.

    A key missing from the current language falls back to English; a key missing from English
    is a programming error and is shown as the key itself so that nothing crashes in the field.
    """
    return t_in(language(), key, **values)


def t_in(lang: str, key: str, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (whatever the current language)."""
    template = catalogue(lang).get(key) or catalogue("en").get(key) or key
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return catalogue("en").get(key, key).format_map(_Missing(values))


class _Missing(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a message template uses (for catalogue consistency tests)."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


# -- the register's language -------------------------------------------------------------------

def register_language(conn: sqlite3.Connection) -> str | None:
    """The language saved in a register (``register init``), or None."""
    try:
        row = conn.execute("SELECT value FROM register_meta WHERE key = ?",
                           (LANGUAGE_KEY,)).fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row and row[0] in LANGUAGES else None


def save_register_language(conn: sqlite3.Connection, lang: str) -> None:
    """Save the commune's language in its register (call inside a write transaction)."""
    if lang not in LANGUAGES:
        raise ValueError(t("cli.bad_language", lang=lang, languages=", ".join(LANGUAGES)))
    conn.execute("INSERT OR REPLACE INTO register_meta (key, value) VALUES (?, ?)",
                 (LANGUAGE_KEY, lang))


# -- numbers and dates in the clerk's language -------------------------------------------------

def digits(value: object) -> str:
    """A number written with Khmer digits in Khmer, Arabic digits in English."""
    text = str(value)
    return text.translate(TO_KHMER_DIGITS) if language() == "km" else text


def month_name(month: int) -> str:
    return t(f"report.month.{month}")


def long_date(iso: str | dt.date) -> str:
    """``12 March 2024``; in Khmer ``១២ មីនា ២០២៤``."""
    day = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso)[:10])
    return t("report.date_long", day=digits(day.day), month=month_name(day.month),
             year=digits(day.year))


def short_date(iso: str | dt.date) -> str:
    """``12/03/2024`` (Khmer digits in Khmer)."""
    day = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso)[:10])
    return t("report.date_short", day=digits(f"{day.day:02d}"), month=digits(f"{day.month:02d}"),
             year=digits(day.year))


def warning_text(code: str, detail: str) -> str:
    """A protection warning in words: its detail (a code, a date, a count) in the clerk's
    language."""
    from .vocabulary import label_key

    if code == "agency_not_licensed" and detail:
        detail = t(label_key("licence_status", detail))
    elif code == "agency_destination" and detail:
        detail = t(label_key("destination", detail))
    elif code == "agency_licence_expired" and len(detail) == 10 and detail[4] == "-":
        detail = long_date(detail)
    elif detail.isdigit():
        detail = digits(detail)
    return t(f"warn.{code}", detail=detail)
