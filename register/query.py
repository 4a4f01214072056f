"""Finding and showing records (corrections are in :mod:`register.correct`).

Ids are UUIDs; a clerk may type any unique beginning of one (at least 6 characters), as with git
(:mod:`register.links`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from .db import Register
from .errors import RecordNotFoundError, RegisterError
from .i18n import t, warning_text
from .links import MIN_PREFIX, matching_ids
from .model import MODEL

# Tables whose records a clerk finds by id (an identity is found through its person).
SHOWN = tuple(t for t in MODEL.table_names if MODEL.table(t).owner is None)
MAX_LIST = 100_000
LISTABLE = {"departures": "journeys", "persons": "persons", "returns": "returns",
            "referrals": "referrals", "agencies": "agencies", "brokers": "brokers",
            "warnings": "warnings"}
# The filters of list_records: for each kind, the column giving a record's month (--month) and
# the column giving its village (--village); a kind missing from a map cannot be so filtered.
_MONTH_COLUMN = {"departures": "j.departure_date", "returns": "r.return_date",
                 "referrals": "r.referral_date", "warnings": "j.departure_date"}
_VILLAGE_COLUMN = {"departures": "p.home_village", "persons": "r.home_village",
                   "returns": "p.home_village", "referrals": "p.home_village",
                   "brokers": "r.village", "warnings": "p.home_village"}


def not_voided(table: str, alias: str) -> str:
    """SQL: the record ``alias`` of ``table`` has not been voided (a mistaken entry: kept, but
    left out of lists, counts and exports)."""
    return (f"NOT EXISTS (SELECT 1 FROM voided v WHERE v.table_name = '{table}' "
            f"AND v.record_id = {alias}.id)")


@dataclass(frozen=True, slots=True)
class Found:
    table: str
    record: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.record[MODEL.key_of(self.table)])


def _rows(conn: sqlite3.Connection, sql: str,
          params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def find(reg: Register, ref: str) -> Found:
    """The record whose id is ``ref`` or starts with it (Khmer digits read as digits)."""
    from .answers import KHMER_DIGITS

    ref = ref.strip().translate(KHMER_DIGITS).lower()
    if len(ref) < MIN_PREFIX:
        raise RecordNotFoundError(t("err.id_short", n=MIN_PREFIX))
    hits: list[Found] = []
    for table in SHOWN:
        for record_id in matching_ids(reg.conn, table, ref):
            hits += [Found(table, r) for r in
                     _rows(reg.conn, f"SELECT * FROM {table} WHERE id = ?", (record_id,))]
    if not hits:
        raise RecordNotFoundError(t("err.no_record", id=ref))
    if len(hits) > 1:
        raise RecordNotFoundError(t("err.ambiguous_id", id=ref))
    return hits[0]


def voided(reg: Register, ids: list[str]) -> dict[str, str]:
    """The reason each of these records was voided, by id (those voided only)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return dict(reg.conn.execute(f"SELECT record_id, reason FROM voided WHERE record_id IN "
                                 f"({marks})", ids).fetchall())


def details(reg: Register, found: Found) -> dict[str, list[dict[str, Any]]]:
    """A record with what belongs to it (a person's identity, journeys, returns, referrals)."""
    conn = reg.conn
    person_id = None
    if found.table == "persons":
        person_id = found.id
    elif found.table in ("journeys", "referrals"):
        person_id = found.record["person_id"]
    elif found.table == "returns":
        person_id = _rows(conn, "SELECT person_id FROM journeys WHERE id = ?",
                          (found.record["journey_id"],))[0]["person_id"]
    if person_id is None:
        out = {found.table: [found.record]}
        out["warnings"] = _rows(conn, "SELECT code, detail FROM warnings WHERE record_id = ?",
                                (found.id,))
        return out
    journeys = _rows(conn, "SELECT * FROM journeys WHERE person_id = ? ORDER BY departure_date",
                     (person_id,))
    ids = tuple(j["id"] for j in journeys)
    marks = ",".join("?" * len(ids))
    return {
        "persons": _rows(conn, "SELECT * FROM persons WHERE id = ?", (person_id,)),
        "person_identity": _rows(conn, "SELECT * FROM person_identity WHERE person_id = ?",
                                 (person_id,)),
        "journeys": journeys,
        "returns": _rows(conn, f"SELECT * FROM returns WHERE journey_id IN ({marks})", ids),
        "referrals": _rows(conn, "SELECT * FROM referrals WHERE person_id = ?", (person_id,)),
        "warnings": _rows(conn, f"SELECT record_id, code, detail FROM warnings "
                                f"WHERE record_id IN ({marks})", ids),
    }


def list_records(reg: Register, kind: str, limit: int = 50, offset: int = 0, *,
                 open_only: bool = False, month: str | None = None,
                 village: str | None = None) -> list[dict[str, Any]]:
    """The most recently entered records of a kind (departures are shown with the person).

    Filters: ``open_only`` (departures with no return yet), ``month`` (YYYY-MM: departures,
    returns, referrals or warnings of that month; warnings by their departure's month) and
    ``village`` (an 8-digit code: records of people, or brokers, of that village).
    """
    if not 1 <= limit <= MAX_LIST or offset < 0:
        raise RegisterError(t("err.list_limit", limit=limit, maximum=MAX_LIST))
    if kind not in LISTABLE:
        raise RegisterError(t("err.unknown_kind", kind=kind, kinds=", ".join(LISTABLE)))
    where, params = _filters(kind, open_only, month, village)
    if kind == "departures":
        return _rows(reg.conn, f"""
            SELECT j.id, i.name, p.sex, p.home_village, j.departure_date, j.destination_country,
                   j.channel, (r.id IS NOT NULL) AS returned
            FROM journeys j JOIN persons p ON p.id = j.person_id
            LEFT JOIN person_identity i ON i.person_id = p.id
            LEFT JOIN returns r ON r.journey_id = j.id AND {not_voided("returns", "r")}
            WHERE {where} AND {not_voided("journeys", "j")}
            ORDER BY j.rowid DESC LIMIT ? OFFSET ?""", (*params, limit, offset))
    if kind == "warnings":
        found = _rows(reg.conn, f"""
            SELECT w.record_id AS journey_id, i.name, p.home_village, j.departure_date,
                   a.name AS agency, b.name AS broker, w.code, w.detail
            FROM warnings w JOIN journeys j ON j.id = w.record_id AND w.table_name = 'journeys'
            JOIN persons p ON p.id = j.person_id
            LEFT JOIN person_identity i ON i.person_id = p.id
            LEFT JOIN agencies a ON a.id = j.agency_id
            LEFT JOIN brokers b ON b.id = j.broker_id
            WHERE {where} AND {not_voided("journeys", "j")}
            ORDER BY w.id DESC LIMIT ? OFFSET ?""", (*params, limit, offset))
        for row in found:
            row["warning"] = warning_text(row.pop("code"), row.pop("detail"))
        return found
    person = {"returns": "j.person_id", "referrals": "r.person_id", "persons": "r.id"}.get(kind)
    joins = {"returns": "JOIN journeys j ON j.id = r.journey_id JOIN persons p ON p.id = j.person_id",
             "referrals": "JOIN persons p ON p.id = r.person_id"}.get(kind, "")
    named = (f", (SELECT name FROM person_identity i WHERE i.person_id = {person}) AS person_name"
             if person else "")
    if kind in ("returns", "referrals"):
        named += ", p.home_village AS person_village"
    table = LISTABLE[kind]
    return _rows(reg.conn, f"SELECT r.*{named} FROM {table} r {joins} "
                           f"WHERE {where} AND {not_voided(table, 'r')} "
                           f"ORDER BY r.rowid DESC LIMIT ? OFFSET ?", (*params, limit, offset))


def _filters(kind: str, open_only: bool, month: str | None,
             village: str | None) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of :func:`list_records`' filters, and its parameters."""
    where, params = ["1"], []
    if open_only:
        if kind != "departures":
            raise RegisterError(t("list.open_kinds"))
        where.append("r.id IS NULL")
    if month is not None:
        if kind not in _MONTH_COLUMN:
            raise RegisterError(t("list.month_kinds", kind=kind))
        from .validation import parse_month

        first, last = parse_month(month)
        where.append(f"{_MONTH_COLUMN[kind]} BETWEEN ? AND ?")
        params += [first.isoformat(), last.isoformat()]
    if village is not None:
        if kind not in _VILLAGE_COLUMN:
            raise RegisterError(t("list.village_kinds", kind=kind))
        from .validation import KHMER_DIGITS

        code = village.strip().translate(KHMER_DIGITS)
        if not (len(code) == 8 and code.isascii() and code.isdigit()):
            raise RegisterError(t("list.bad_village", village=village))
        where.append(f"{_VILLAGE_COLUMN[kind]} = ?")
        params.append(code)
    return " AND ".join(where), tuple(params)


def search(reg: Register, text: str, limit: int = 50) -> list[dict[str, Any]]:
    """Persons, agencies and brokers whose name, national ID, phone or licence contains ``text``
    (a number may be typed with spaces or Khmer digits); voided records are left out."""
    from .answers import number_text
    from .validation import is_encodable, normalise_text

    needle = normalise_text(text)
    if not needle:
        raise RegisterError(t("err.empty_search"))
    if not is_encodable(needle):
        raise RegisterError(t("err.search_encoding"))
    like = f"%{number_text(needle, 'id').lower()}%"
    return _rows(reg.conn, f"""
        SELECT 'persons' AS what, p.id, i.name, p.sex AS detail, p.home_village AS place
        FROM person_identity i JOIN persons p ON p.id = i.person_id
        WHERE (lower(i.name) LIKE :q OR lower(i.national_id) LIKE :q OR i.phone LIKE :q
               OR i.contact_phone LIKE :q) AND {not_voided("persons", "p")}
        UNION ALL
        SELECT 'agencies', id, name, licence_status, licence_number FROM agencies a
        WHERE (lower(name) LIKE :q OR lower(licence_number) LIKE :q)
          AND {not_voided("agencies", "a")}
        UNION ALL
        SELECT 'brokers', id, name, alias, village FROM brokers b
        WHERE (lower(name) LIKE :q OR lower(alias) LIKE :q OR phone LIKE :q)
          AND {not_voided("brokers", "b")}
        LIMIT :n""", {"q": like, "n": limit})
