"""Finding, showing and correcting records.

Ids are UUIDs; a clerk may type any unique beginning of one (at least 6 characters), as with git.
A correction changes named fields of one record, requires a reason, is checked by the same rules
as a new record, and keeps the old value in the audit log.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import audit
from .db import Register, now
from .errors import RecordNotFoundError, RegisterError, ValidationError
from .fields import fields_of
from .i18n import t
from .records import IDENTITY_FIELDS, PERSON_FIELDS
from .validation import Problem, clean_value

MIN_PREFIX = 6
# table -> (record kind whose field rules apply, key column)
TABLES = {
    "persons": ("departures", "id"),
    "person_identity": ("departures", "person_id"),
    "journeys": ("departures", "id"),
    "returns": ("returns", "id"),
    "referrals": ("referrals", "id"),
    "agencies": ("agencies", "id"),
    "brokers": ("brokers", "id"),
}
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


@dataclass(frozen=True, slots=True)
class Found:
    table: str
    record: dict[str, Any]

    @property
    def id(self) -> str:
        return self.record.get("id") or self.record["person_id"]


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def find(reg: Register, ref: str) -> Found:
    """The record whose id is ``ref`` or starts with it."""
    ref = ref.strip().lower()
    if len(ref) < MIN_PREFIX:
        raise RecordNotFoundError(t("err.id_short", n=MIN_PREFIX))
    hits: list[Found] = []
    for table in ("persons", "journeys", "returns", "referrals", "agencies", "brokers"):
        hits += [Found(table, r) for r in
                 _rows(reg.conn, f"SELECT * FROM {table} WHERE id >= ? AND id < ? LIMIT 2",
                       (ref, ref + "\uffff"))]
    if not hits:
        raise RecordNotFoundError(t("err.no_record", id=ref))
    if len(hits) > 1:
        raise RecordNotFoundError(t("err.ambiguous_id", id=ref))
    return hits[0]


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
    if kind not in LISTABLE:
        raise RegisterError(t("err.unknown_kind", kind=kind, kinds=", ".join(LISTABLE)))
    where, params = _filters(kind, open_only, month, village)
    if kind == "departures":
        return _rows(reg.conn, f"""
            SELECT j.id, i.name, p.sex, p.home_village, j.departure_date, j.destination_country,
                   j.channel, (r.id IS NOT NULL) AS returned
            FROM journeys j JOIN persons p ON p.id = j.person_id
            LEFT JOIN person_identity i ON i.person_id = p.id
            LEFT JOIN returns r ON r.journey_id = j.id
            WHERE {where} ORDER BY j.rowid DESC LIMIT ? OFFSET ?""", (*params, limit, offset))
    if kind == "warnings":
        found = _rows(reg.conn, f"""
            SELECT w.record_id AS journey_id, i.name, p.home_village, j.departure_date,
                   a.name AS agency, b.name AS broker, w.code, w.detail
            FROM warnings w JOIN journeys j ON j.id = w.record_id AND w.table_name = 'journeys'
            JOIN persons p ON p.id = j.person_id
            LEFT JOIN person_identity i ON i.person_id = p.id
            LEFT JOIN agencies a ON a.id = j.agency_id
            LEFT JOIN brokers b ON b.id = j.broker_id
            WHERE {where} ORDER BY w.id DESC LIMIT ? OFFSET ?""", (*params, limit, offset))
        for row in found:
            row["warning"] = t(f"warn.{row.pop('code')}", detail=row.pop("detail"))
        return found
    joins = {"returns": "JOIN journeys j ON j.id = r.journey_id JOIN persons p ON p.id = j.person_id",
             "referrals": "JOIN persons p ON p.id = r.person_id"}.get(kind, "")
    return _rows(reg.conn, f"SELECT r.* FROM {LISTABLE[kind]} r {joins} WHERE {where} "
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
        from .report import parse_month

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
    """Persons, agencies and brokers whose name, national ID, phone or licence contains ``text``."""
    from .validation import is_encodable, normalise_text

    needle = normalise_text(text)
    if not needle:
        raise RegisterError(t("err.empty_search"))
    if not is_encodable(needle):
        raise RegisterError(t("err.search_encoding"))
    like = f"%{needle.lower()}%"
    hits = _rows(reg.conn, """
        SELECT 'person' AS what, p.id, i.name, p.sex, p.home_village AS place
        FROM person_identity i JOIN persons p ON p.id = i.person_id
        WHERE lower(i.name) LIKE ? OR lower(i.national_id) LIKE ? OR i.phone LIKE ?
        UNION ALL
        SELECT 'agency', id, name, licence_status, licence_number FROM agencies
        WHERE lower(name) LIKE ? OR lower(licence_number) LIKE ?
        UNION ALL
        SELECT 'broker', id, name, alias, village FROM brokers
        WHERE lower(name) LIKE ? OR lower(alias) LIKE ? OR phone LIKE ?
        LIMIT ?""", (like, like, like, like, like, like, like, like, limit))
    return hits


def _table_for(found: Found, field: str) -> tuple[str, str, str]:
    """Where a field of a found record lives: (table, key column, key value)."""
    if found.table == "persons" or (found.table == "journeys" and field in PERSON_FIELDS
                                    + IDENTITY_FIELDS):
        person_id = found.id if found.table == "persons" else found.record["person_id"]
        if field in IDENTITY_FIELDS:
            return "person_identity", "person_id", person_id
        return "persons", "id", person_id
    return found.table, "id", found.id


def correct(
    reg: Register,
    ref: str,
    changes: Mapping[str, Any],
    reason: str,
    *,
    today: dt.date | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Change fields of one record; return {field: (old, new)}. The old values stay in the log.

    Raises
    ------
    ValidationError
        A new value breaks the field's rule, or a field cannot be corrected this way.
    RegisterError
        No reason was given.
    """
    if not (reason or "").strip():
        raise RegisterError(t("err.no_reason"))
    found = find(reg, ref)
    kind = TABLES[found.table][0]
    specs = {s.name: s for s in fields_of(kind)}
    problems: list[Problem] = []
    planned: dict[tuple[str, str, str], dict[str, Any]] = {}
    for name, raw in changes.items():
        spec = specs.get(name)
        if spec is None or spec.kind == "id":
            problems.append(Problem(name, raw, "rule.not_correctable"))
            continue
        value, problem = clean_value(spec, raw, today or dt.date.today())
        if problem:
            problems.append(problem)
            continue
        if value is None and spec.required:
            problems.append(Problem(name, raw, "rule.required"))
            continue
        target = _table_for(found, name)
        if name not in _columns(reg.conn, target[0]):
            problems.append(Problem(name, raw, "rule.not_correctable"))
            continue
        planned.setdefault(target, {})[name] = value
    if problems:
        raise ValidationError(problems)
    result: dict[str, tuple[Any, Any]] = {}
    at = now()
    with reg.write() as conn:
        for (table, key, key_value), values in planned.items():
            before = _rows(conn, f"SELECT * FROM {table} WHERE {key} = ?", (key_value,))
            if not before and table == "person_identity":
                conn.execute("INSERT INTO person_identity (person_id) VALUES (?)", (key_value,))
                before_row = None
            else:
                before_row = before[0]
            sets = ", ".join(f"{name} = ?" for name in values)
            try:
                conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?",
                             (*values.values(), key_value))
            except sqlite3.IntegrityError as exc:
                raise ValidationError([Problem(", ".join(values), list(values.values()),
                                               "rule.database", details={"error": str(exc)})]
                                      ) from None
            after = _rows(conn, f"SELECT * FROM {table} WHERE {key} = ?", (key_value,))[0]
            action = "update" if before_row is not None else "insert"
            audit.append(conn, [audit.Entry(table, key_value, action, before_row, after, reason)],
                         actor=reg.actor, at=at)
            for name, value in values.items():
                result[name] = ((before_row or {}).get(name), value)
    return result


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
