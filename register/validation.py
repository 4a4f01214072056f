"""Checking and normalising what a clerk enters. Pure: no database, no printing.

:func:`clean_record` turns raw values (typed at a prompt, read from CSV or Excel) into the values
stored, and lists every :class:`Problem` at once. Text is normalised to Unicode NFC and trimmed;
Khmer digits (០-៩) are read as digits; invisible direction marks are removed; dates are ISO
``YYYY-MM-DD`` or day-first ``DD/MM/YYYY``. Rules that need other records (does this journey
exist, is the return after the departure) are checked by :mod:`register.records` through a
:class:`Lookup`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Protocol

from .answers import KHMER_DIGITS, choice_list, country_code, country_codes, label_code, number_text
from .errors import MonthError
from .i18n import language, t
from .model import Field, fields_of

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Direction marks and invisible formatting that have no place in stored text. Zero-width space
# (U+200B) is kept inside Khmer text, where it separates words, but trimmed at the ends.
_BIDI = dict.fromkeys(
    map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
             "\ufeff\u2060")
)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# C0 and C1 control characters (tab, newline and carriage return are whitespace, trimmed).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EDGES = re.compile(r"^[\s\u200b\u200c\u200d]+|[\s\u200b\u200c\u200d]+$")
TRUE = {"1", "yes", "y", "true", "t", "x", "បាទ", "ចាស", "បាទចាស", "មាន", "ពិត", "មែន", "ត្រូវ"}
FALSE = {"0", "no", "n", "false", "f", "ទេ", "អត់", "អត់ទេ", "គ្មាន", "មិនមាន", "មិនមែន"}
EARLIEST_DATE = dt.date(1930, 1, 1)
MIN_AGE, MAX_AGE = 10, 80


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: which record (row), which field, which value, which rule."""

    field: str
    value: Any
    rule: str
    row: int | None = None
    details: Mapping[str, Any] = dc_field(default_factory=dict)

    def message(self) -> str:
        """The rule broken, in the clerk's language (a date in it written the local way)."""
        from .i18n import long_date

        details = {k: long_date(v) if isinstance(v, str) and _ISO_DATE.fullmatch(v) else v
                   for k, v in self.details.items()}
        return t(self.rule, **details)

    def __str__(self) -> str:
        shown = "" if self.value is None else str(self.value)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        where = t("problem.row", row=self.row) if self.row is not None else ""
        if not self.field:  # a rule about the whole record
            return t("problem.record", where=where, rule=self.message())
        return t("problem", where=where, field=self.field_words(), value=shown,
                 rule=self.message())

    def field_words(self) -> str:
        """The field under its label in the clerk's language (in an import, with its column)."""
        from .i18n import catalogue

        name, _, more = self.field.partition(" (")
        key = f"field.{name}"
        label = t(key) if key in catalogue("en") else name
        if self.row is not None and label != name:
            label = t("problem.column", label=label, column=name)
        return label + (f" ({more}" if more else "")

    def at_row(self, row: int) -> Problem:
        return Problem(self.field, self.value, self.rule, row, self.details)


class Lookup(Protocol):
    """What validation needs to know about records already in the register."""

    def journey(self, journey_id: str) -> Mapping[str, Any] | None: ...
    def person(self, person_id: str) -> Mapping[str, Any] | None: ...
    def agency(self, agency_id: str) -> Mapping[str, Any] | None: ...
    def broker(self, broker_id: str) -> Mapping[str, Any] | None: ...


def normalise_text(value: Any) -> str | None:
    """NFC, trimmed, direction marks and control characters removed; '' becomes None."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from a spreadsheet
        return None
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        if text.isprintable():
            return text.strip() or None
        return _CONTROL.sub("", text).strip() or None
    # Marks and controls out first, invisible characters off both ends, then NFC.
    text = _EDGES.sub("", _CONTROL.sub("", text.translate(_BIDI)))
    return unicodedata.normalize("NFC", text) or None


def is_encodable(text: str) -> bool:
    """False for text holding lone surrogates (bytes that were not UTF-8, e.g. on a command line)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _compact(text: str) -> str:
    """For codes and numbers: Khmer digits read as digits, every invisible character removed."""
    if text.isascii():
        return text.replace(" ", "") if " " in text else text
    text = text.translate(KHMER_DIGITS)
    return "".join(ch for ch in text if ch not in _INVISIBLE and not ch.isspace())


def parse_date(value: Any) -> dt.date:
    """Read a date: a date object, ISO ``YYYY-MM-DD`` or day-first ``DD/MM/YYYY`` (or ``-``/``.``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _compact(str(value))
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        y, m, d = text.split("-")
    elif re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", text):
        d, m, y = re.split(r"[/.-]", text)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ][\d:.]+", text):
        y, m, d = text[:10].split("-")
    else:
        raise ValueError("date.format")
    return dt.date(int(y), int(m), int(d))  # ValueError for 2024-02-30


def _number(text: str) -> float:
    text = _compact(text).replace(",", "")
    if text.startswith("$"):
        text = text[1:]
    if text.lower().endswith("usd"):
        text = text[:-3]
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def clean_value(spec: Field, raw: Any, today: dt.date) -> tuple[Any, Problem | None]:
    """Normalise one value; return (value, None) or (None, problem)."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, list | tuple | set):  # a list of countries given as a list
        raw = ",".join(str(item) for item in raw)
        if not raw:
            return None, None
    text = None
    if not isinstance(raw, dt.date):
        text = normalise_text(raw)
        if text is None:
            return None, None
        if not is_encodable(text):
            return None, Problem(spec.name, text.encode("utf-8", "replace").decode(),
                                 "rule.encoding")
    elif spec.kind not in ("date", "year"):  # Excel turned the cell into a date
        return None, Problem(spec.name, raw, "rule.unexpected_date")

    def bad(rule: str, **details: Any) -> tuple[None, Problem]:
        return None, Problem(spec.name, raw, rule, details=details)

    kind = spec.kind
    if kind == "text":
        assert text is not None
        if spec.digits:
            text = number_text(raw if isinstance(raw, int | float) else text, spec.digits)
        if len(text) > spec.max_length:
            return bad("rule.too_long", max=spec.max_length)
        return text, None
    if kind == "choice":
        assert text is not None
        if text in spec.choices:
            return text, None
        value = text.lower().replace(" ", "_").replace("-", "_")
        if spec.name == "sex":
            value = value.upper()
        if value not in spec.choices:
            value = label_code(spec.codes or "", text) or ""
        if value not in spec.choices:
            return bad("rule.choice", choices=choice_list(spec))
        return value, None
    if kind == "date":
        try:
            iso = isinstance(raw, str) and len(raw) == 10 and raw[4] == raw[7] == "-" \
                and raw.isascii()  # Khmer digits are read by parse_date
            day = dt.date.fromisoformat(raw) if iso else parse_date(raw)
        except (ValueError, TypeError):
            return bad("rule.date")
        if day > today and not spec.future:
            return bad("rule.future")
        if day < EARLIEST_DATE:
            return bad("rule.too_old", earliest=EARLIEST_DATE.isoformat())
        return day.isoformat(), None
    if kind == "bool":
        if isinstance(raw, bool):
            return int(raw), None
        if isinstance(raw, int | float) and raw in (0, 1):
            return int(raw), None
        assert text is not None
        lowered = _compact(text).lower()
        if lowered in TRUE:
            return 1, None
        if lowered in FALSE:
            return 0, None
        return bad("rule.bool")
    if kind in ("int", "year", "money"):
        try:
            numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
            number = raw if numeric else _number(text or "")
        except ValueError:
            return bad("rule.number")
        try:
            finite = math.isfinite(number)
        except OverflowError:  # an integer too large for a float
            finite = False
        if not finite:
            return bad("rule.number")
        if kind != "money" and number != int(number):
            return bad("rule.whole_number")
        if kind == "year":
            if not EARLIEST_DATE.year <= number <= today.year:
                return bad("rule.year", earliest=EARLIEST_DATE.year, latest=today.year)
            return int(number), None
        if spec.minimum is not None and number < spec.minimum:
            return bad("rule.minimum", minimum=spec.minimum)
        if spec.maximum is not None and number > spec.maximum:
            return bad("rule.maximum", maximum=spec.maximum)
        return (int(number) if kind == "int" else round(float(number), 2)), None
    if kind == "village":
        code = _compact(text or "")
        if not (len(code) == 8 and code.isdigit() and _gazetteer().exists(code, "village")):
            return bad("rule.village")
        return code, None
    if kind == "country":
        country = country_code(spec, text or "")
        if country is None:
            return bad("rule.country")
        return country, None
    if kind == "countries":
        codes, unknown = country_codes(spec, text or "")
        if unknown:
            return bad("rule.countries", unknown=", ".join(unknown))
        return json.dumps(sorted(set(codes))), None
    if kind == "id":  # resolved against the register by the caller (register.links)
        compact = _compact(text or "")
        if _HEXISH.fullmatch(compact):  # an id or its beginning
            return compact.lower(), None
        return text, None  # a licence number or a name
    raise AssertionError(f"unknown field kind {kind}")


def _gazetteer() -> Any:
    from .gazetteer import load_gazetteer  # cached; imported late to keep this module light

    return load_gazetteer()


_HEXISH = re.compile(r"[0-9a-fA-F-]+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uuid(value: str) -> bool:
    """A canonical, lower-case UUID text."""
    return _UUID.fullmatch(value) is not None


def clean_record(
    kind: str, raw: Mapping[str, Any], *, today: dt.date | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Check every field of one record of ``kind``; return the clean values and all problems.

    Unknown field names are problems too (a misspelt column must not be silently dropped). A
    field with a problem is left out of the clean values; a blank one is None.
    """
    return clean_records(kind, [raw], today=today)[0]


def clean_records(
    kind: str, raws: Sequence[Mapping[str, Any]], *, today: dt.date | None = None
) -> list[tuple[dict[str, Any], list[Problem]]]:
    """:func:`clean_record` of many records (an import): the same values and problems, each
    record's problems in the same order (unknown fields, then by field).

    The work goes field by field down the column, and each distinct value of a code, date or
    number field is checked once: a few villages and a few thousand dates repeat from row to row.
    """
    today = today or dt.date.today()
    specs, names = _kind_specs(kind)
    problems = [[Problem(str(name), raw[name], "rule.unknown_field")
                 for name in raw.keys() - names if normalise_text(raw[name]) is not None]
                for raw in raws]
    columns = []
    for spec, seen in zip(specs, _remembered(kind, today), strict=True):
        name, free = spec.name, spec.kind in _FREE_TEXT
        blank = (None, Problem(name, None, "rule.required") if spec.required else None)
        column = []
        for index, raw in enumerate(raws):
            given = raw.get(name)
            if given is None:
                value, problem = blank
            elif free or not isinstance(given, str | int | float):
                value, problem = _outcome(spec, given, today, blank)
            else:  # 1, 1.0 and True (an int) remembered apart; text under itself
                key = given if type(given) is str else (type(given), given)
                hit = seen.get(key)
                if hit is None:
                    if len(seen) >= _REMEMBER:
                        seen.clear()
                    hit = seen[key] = _outcome(spec, given, today, blank)
                value, problem = hit
            column.append(value)
            if problem is not None:
                problems[index].append(problem)
        columns.append(column)
    field_names = tuple(spec.name for spec in specs)
    out = []
    for values, found in zip(zip(*columns, strict=True) if columns else [()] * len(raws),
                             problems, strict=True):
        clean = dict(zip(field_names, values, strict=True))
        if found:  # a refused value is left out
            clean = {k: v for k, v in clean.items() if v is not _REFUSED}
        out.append((clean, found))
    return out


_REFUSED = object()  # stands for a refused value until the record is put together
_REMEMBER = 100_000  # outcomes remembered per field (cleared when full)
_FREE_TEXT = ("text",)  # names and places: every value its own


def _outcome(spec: Field, given: Any, today: dt.date,
             blank: tuple[None, Problem | None]) -> tuple[Any, Problem | None]:
    """(clean value, problem) of a non-blank value: a refused value stands as ``_REFUSED``;
    one that cleans to nothing (spaces, invisible marks) is blank."""
    if given == "":
        return blank
    value, problem = clean_value(spec, given, today)
    if problem is not None:
        return _REFUSED, problem
    return blank if value is None else (value, None)


_SPECS: dict[str, tuple[tuple[Field, ...], frozenset[str]]] = {}


def _kind_specs(kind: str) -> tuple[tuple[Field, ...], frozenset[str]]:
    """A kind's fields and their names (looked up once: the model does not change)."""
    if kind not in _SPECS:
        specs = fields_of(kind)
        _SPECS[kind] = (specs, frozenset(spec.name for spec in specs))
    return _SPECS[kind]


# The outcome of each value of a field, remembered for one 'today' and one language (a value's
# rule depends only on the field and 'today'; its problem's details also on the language: the
# choices of a code list are listed in it).
_SEEN: dict[str, tuple[tuple[dt.date, str], list[dict[Any, tuple[Any, Problem | None]]]]] = {}


def _remembered(kind: str, today: dt.date) -> list[dict[Any, tuple[Any, Problem | None]]]:
    held = _SEEN.get(kind)
    if held is None or held[0] != (today, language()):
        held = _SEEN[kind] = ((today, language()), [{} for _ in _kind_specs(kind)[0]])
    return held[1]


def age_at(birth_date: str | None, birth_year: int | None, on: str) -> int | None:
    """Age in whole years on the date ``on`` (ISO), from a birth date or else a birth year."""
    day = dt.date.fromisoformat(on)
    if birth_date:
        born = dt.date.fromisoformat(birth_date)
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if birth_year:
        return day.year - int(birth_year)
    return None


_MONTH = re.compile(r"^\s*(\d{4})\s*-\s*(\d{1,2})\s*$")


def parse_month(text: str, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last day of a month written YYYY-MM (Khmer digits accepted); not a future one."""
    match = _MONTH.match(str(text).translate(KHMER_DIGITS))
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise MonthError(t("report.bad_month", month=text))
    first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    today = today or dt.date.today()
    if first > today:
        raise MonthError(t("report.future_month", month=f"{first:%Y-%m}"))
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def months_between(start: str, end: str) -> int:
    """Whole months from one ISO date to another (0 if the second is earlier)."""
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    months = (b.year - a.year) * 12 + b.month - a.month - (b.day < a.day)
    return max(months, 0)
