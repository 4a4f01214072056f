"""Reading what a clerk typed, in either language: a code list's choices by their labels
(``ស្រី`` or ``Female`` for F), countries by their names in Khmer or English, phone and ID numbers
written by hand (Khmer digits, spaces, dashes; a spreadsheet's lost leading 0). Used by
:mod:`register.validation`, which decides what is stored; the labels come from the catalogue.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import unicodedata
from functools import cache
from typing import Any

from .i18n import t
from .model import Field

KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _compact(text: str) -> str:
    """Khmer digits read as digits, every space and invisible character removed."""
    text = text.translate(KHMER_DIGITS)
    return "".join(ch for ch in text if ch not in _INVISIBLE and not ch.isspace())


def number_text(value: Any, digits: str) -> str:
    """A phone or ID number as stored: Khmer digits read as digits; spaces, dots and dashes
    dropped when what is left is a number; a phone a spreadsheet made a number (12345678) gets
    back its leading 0 (Cambodian numbers have 9 or 10 digits and start with 0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
            return str(value)
        text = str(int(value))
        if digits == "phone" and value > 0 and len(text) in (8, 9):
            text = "0" + text
        return text
    text = str(value).translate(KHMER_DIGITS)
    bare = _SEPARATORS.sub("", text)
    return bare if _NUMBER.fullmatch(bare) else text


_SEPARATORS = re.compile(r"[\s.\-\u200b]+")
_NUMBER = re.compile(r"\+?\d+")


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).replace("_", " ").split()).casefold()


@cache
def _labels(codes: str) -> dict[str, str]:
    from .i18n import LANGUAGES, t_in
    from .vocabulary import CITIZENSHIPS, CODE_LISTS, label_key

    found: dict[str, str] = {}
    for code in CODE_LISTS.get(codes, ()):
        names = [t_in(lang, label_key(codes, code)) for lang in LANGUAGES]
        if codes in ("destination", "citizenship"):
            names.append(CITIZENSHIPS.get(code, ""))
        for name in (code, *names):
            if name and not name.startswith(("choice.", "country.")):
                found.setdefault(fold(name), code)
    return found


def label_code(codes: str, text: str) -> str | None:
    """The code of the list ``codes`` that ``text`` names: its code, or its label in any
    language (``ស្រី`` and ``female``: F), case and spacing ignored."""
    return _labels(codes).get(fold(text))


def choice_list(spec: Field) -> str:
    """The choices a refusal lists: in Khmer their labels (accepted as answers), in English
    each code with its label."""
    from .i18n import language
    from .vocabulary import label_key

    labels = [(code, t(label_key(spec.codes or "", code))) for code in spec.choices]
    if language() == "km":
        return ", ".join(label for _, label in labels)
    return ", ".join(f"{code} ({label})" for code, label in labels)


def country_code(spec: Field, text: str) -> str | None:
    """The country code ``text`` names: a code, or the country's name in English or Khmer."""
    code = _compact(text).upper()
    if code in spec.choices:
        return code
    named = label_code(spec.codes or "", text)
    return named if named in spec.choices else None


def country_codes(spec: Field, text: str) -> tuple[list[str], list[str]]:
    """The codes of a list of countries (codes or names, separated by commas, or by spaces
    between codes), and the parts that name no country."""
    if text.startswith("["):  # a list as stored (JSON)
        with contextlib.suppress(ValueError):
            text = ",".join(str(c) for c in json.loads(text))
    codes, unknown = [], []
    for part in (p.strip() for p in re.split(r"[,;\u060c\u3001]", text.translate(KHMER_DIGITS))):
        if not part:
            continue
        code = country_code(spec, part)
        if code is not None:
            codes.append(code)
            continue
        words = [country_code(spec, w) for w in part.split()]
        if len(words) > 1 and all(words):
            codes += [w for w in words if w]
        else:
            unknown.append(part)
    return codes, unknown
