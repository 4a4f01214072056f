"""Picking a record or a place by part of its name (:func:`find`), and naming one in plain
words (:func:`record_words`): the pickers of the clerk's form (:mod:`register.entry`), in the
clerk's language. Voided records are never offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .answers import country_code
from .db import Register
from .i18n import digits, language, long_date, t
from .model import Field
from .query import not_voided
from .validation import normalise_text
from .vocabulary import label_key

LIMIT = 9  # a short list: one key picks from it


@dataclass(frozen=True, slots=True)
class Option:
    """Something to pick: ``value`` is stored (a code, a record id), ``label`` and ``detail``
    are shown in the clerk's language."""

    value: str
    label: str
    detail: str = ""
    exact: bool = False  # the text typed is this one's whole name (or code)

    @property
    def words(self) -> str:
        """The label with its detail, as a record is named in a sentence or a list."""
        return f"{self.label} ({self.detail})" if self.detail else self.label


# -- picking by name -------------------------------------------------------------------------

def find(reg: Register, kind: str, spec: Field, text: str,
         answers: Mapping[str, Any] | None = None, *, limit: int = LIMIT) -> list[Option]:
    """What the clerk may mean by ``text`` for the field ``spec`` of a record of ``kind``:
    a short list, best first. Empty text lists the commune's villages for a village, and the
    person's departures for a referral's departure."""
    answers = answers or {}
    text = (normalise_text(text) or "").strip()
    if spec.kind == "village":
        return _villages(reg, text, limit)
    if spec.kind in ("country", "countries"):
        return _countries(spec, text, limit)
    table = spec.refers
    if table == "journeys":
        if kind == "referrals":
            return journeys_of(reg, answers.get("person_id"), text=text, limit=limit)
        return _journeys(reg, text, open_only=kind == "returns", limit=limit)
    if not text or table not in _FINDERS:
        return []
    return _FINDERS[table](reg, text, limit)


def _like(text: str) -> str:
    bare = "".join(ch for ch in text if ch not in " .-")
    return f"%{(bare if bare.isdigit() else text).lower()}%"


def _villages(reg: Register, text: str, limit: int) -> list[Option]:
    from .gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    commune = reg.commune_code or ""
    if not text:
        places = gazetteer.children(commune) if commune in gazetteer else []
    else:
        found = gazetteer.search(text, level="village", limit=200)
        # the register's commune first, then its district, its province, the rest
        places = sorted(found, key=lambda p: -_shared(p.code, commune))
    wanted = _fold(text)
    exact = {p.code for p in places if wanted in (_fold(p.name_en), _fold(p.name_km), p.code)}
    home = {code for code in exact if code[:6] == commune}
    exact = home or exact  # a name of the commune's own village is that village
    return [Option(p.code, village_name(p.code),
                   "" if p.code[:6] == commune else village_detail(p.code), p.code in exact)
            for p in places[:limit if text else None]]


def _fold(text: str | None) -> str:
    from .gazetteer import fold

    return fold(text) if text else ""


def _shared(code: str, commune: str) -> int:
    return next((n for n in (6, 4, 2) if commune and code[:n] == commune[:n]), 0)


def village_name(code: str) -> str:
    from .gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    if code not in gazetteer:
        return code
    place = gazetteer.get(code)
    return place.name_km if language() == "km" else place.name_en


def village_detail(code: str) -> str:
    from .gazetteer import load_gazetteer

    lineage = load_gazetteer().lineage(code)[:-1]
    return ", ".join(village_name(p.code) for p in reversed(lineage))


def _countries(spec: Field, text: str, limit: int) -> list[Option]:
    exact = country_code(spec, text) if text else None
    wanted = text.casefold()
    found = [c for c in spec.choices
             if c == exact or (wanted and (wanted in t(label_key(spec.codes or "", c)).casefold()
                                           or wanted in _english_country(spec, c).casefold()))]
    found.sort(key=lambda c: c != exact)
    return [Option(c, t(label_key(spec.codes or "", c)), exact=c == exact) for c in found[:limit]]


def _english_country(spec: Field, code: str) -> str:
    from .i18n import t_in

    return t_in("en", label_key(spec.codes or "", code))


def _agencies(reg: Register, text: str, limit: int) -> list[Option]:
    rows = reg.conn.execute(f"""
        SELECT id, name, licence_number, licence_status FROM agencies a
        WHERE (lower(name) LIKE :q OR lower(licence_number) LIKE :q OR id LIKE :id)
          AND {not_voided('agencies', 'a')} ORDER BY name LIMIT :n""",
                            {"q": _like(text), "id": text.lower() + "%", "n": limit})
    wanted = _fold(text)
    return [Option(i, name, _agency_detail(number, status),
                   wanted in (_fold(name), _fold(number), i))
            for i, name, number, status in rows]


def _agency_detail(number: str | None, status: str) -> str:
    status_label = t(label_key("licence_status", status))
    return f"{number}, {status_label}" if number else status_label


def _brokers(reg: Register, text: str, limit: int) -> list[Option]:
    rows = reg.conn.execute(f"""
        SELECT id, name, alias, village FROM brokers b
        WHERE (lower(name) LIKE :q OR lower(alias) LIKE :q OR phone LIKE :q OR id LIKE :id)
          AND {not_voided('brokers', 'b')} ORDER BY name LIMIT :n""",
                            {"q": _like(text), "id": text.lower() + "%", "n": limit})
    wanted = _fold(text)
    return [Option(i, name, ", ".join(x for x in (alias, village and village_name(village)) if x),
                   wanted in (_fold(name), _fold(alias), i))
            for i, name, alias, village in rows]


def _persons(reg: Register, text: str, limit: int) -> list[Option]:
    rows = reg.conn.execute(f"""
        SELECT p.id, i.name, p.sex, p.birth_year, p.home_village FROM persons p
        LEFT JOIN person_identity i ON i.person_id = p.id
        WHERE (lower(i.name) LIKE :q OR lower(i.national_id) LIKE :q OR i.phone LIKE :q
               OR p.id LIKE :id) AND {not_voided('persons', 'p')}
        ORDER BY i.name LIMIT :n""", {"q": _like(text), "id": text.lower() + "%", "n": limit})
    wanted = _fold(text)
    return [Option(i, name or i[:8], _person_detail(sex, year, village),
                   wanted in (_fold(name), i))
            for i, name, sex, year, village in rows]


def _person_detail(sex: str | None, year: int | None, village: str | None) -> str:
    parts = [t(label_key("sex", sex)) if sex else "",
             t("entry.born", year=digits(year)) if year else "",
             village_name(village) if village else ""]
    return ", ".join(p for p in parts if p)


_FINDERS = {"agencies": _agencies, "brokers": _brokers, "persons": _persons}
_JOURNEY_SQL = """
    SELECT j.id, i.name, j.departure_date, j.destination_country FROM journeys j
    JOIN persons p ON p.id = j.person_id LEFT JOIN person_identity i ON i.person_id = p.id
    WHERE {where} AND {live} ORDER BY j.departure_date DESC LIMIT ?"""


def _journey_options(reg: Register, where: str, params: Iterable[Any], limit: int) -> list[Option]:
    sql = _JOURNEY_SQL.format(where=where, live=not_voided("journeys", "j"))
    return [Option(i, name or i[:8], journey_words(date, country))
            for i, name, date, country in reg.conn.execute(sql, (*params, limit))]


def journey_words(departure_date: str, country: str) -> str:
    return t("entry.journey", date=long_date(departure_date),
             country=t(label_key("destination", country)))


def journeys_of(reg: Register, person_id: str | None, *, text: str = "",
                limit: int = LIMIT) -> list[Option]:
    """A person's departures, the latest first."""
    if not person_id:
        return []
    where = "j.person_id = ?" + (" AND j.id LIKE ?" if text else "")
    params = [person_id] + ([text.lower() + "%"] if text else [])
    return _journey_options(reg, where, params, limit)


def _journeys(reg: Register, text: str, *, open_only: bool, limit: int) -> list[Option]:
    """Departures of the persons ``text`` names (or whose id starts with it); with
    ``open_only``, those without a return yet."""
    if not text:
        return []
    where = ("(lower(i.name) LIKE ? OR i.national_id LIKE ? OR i.phone LIKE ? OR j.id LIKE ?)"
             " AND " + not_voided("persons", "p"))
    if open_only:
        where += " AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.journey_id = j.id)"
    like = _like(text)
    return _journey_options(reg, where, (like, like, like, text.lower() + "%"), limit)


def record_words(reg: Register, table: str, record_id: str) -> str:
    """A record named in plain words: an agency or broker by name, a person by name and
    village, a departure by person, date and destination."""
    conn = reg.conn
    if table == "journeys":
        row = conn.execute("SELECT i.name, j.departure_date, j.destination_country FROM journeys j "
                           "LEFT JOIN person_identity i ON i.person_id = j.person_id "
                           "WHERE j.id = ?", (record_id,)).fetchone()
        return t("entry.journey_of", name=row[0] or record_id[:8],
                 journey=journey_words(row[1], row[2])) if row else record_id
    finder = {"agencies": _agencies, "brokers": _brokers, "persons": _persons}.get(table)
    hits = finder(reg, record_id, 1) if finder else []
    hit = next((h for h in hits if h.value == record_id), None)
    return record_id if hit is None else hit.words
