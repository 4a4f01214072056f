"""The translation layer: every sentence the clerk sees goes through :func:`t`.

Messages live in JSON catalogues under ``register/locale/`` (``en.json`` is complete and is the
fallback; ``km.json`` holds the Khmer translations done so far). Adding Khmer means adding entries
to ``km.json``, never touching the commands. The language is ``REGISTER_LANG`` (``en`` or ``km``)
or the ``--lang`` option of the command line.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from string import Formatter

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "km")
_language: str | None = None


@cache
def catalogue(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / f"{lang}.json"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def set_language(lang: str | None) -> None:
    global _language
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    _language = lang


def language() -> str:
    lang = _language or os.environ.get("REGISTER_LANG", "en")
    return lang if lang in LANGUAGES else "en"


def t(key: str, **values: object) -> str:
    """The message ``key`` in the current language, filled with ``values``.

    A key missing from the current language falls back to English; a key missing from English
    is a programming error and is shown as the key itself so that nothing crashes in the field.
    """
    template = catalogue(language()).get(key) or catalogue("en").get(key) or key
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
