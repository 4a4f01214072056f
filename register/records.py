"""Adding records: departures (person + journey), returns, referrals, agencies, brokers.

One path serves a single record typed by a clerk and ten thousand rows of an import:
:func:`add_records` checks every row (field rules and rules against the register), then writes
all rows, their audit entries and their protection warnings in one transaction, or nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import audit
from .db import Register, new_id, now
from .errors import ValidationError
from .fields import ILO_INDICATORS
from .validation import MAX_AGE, MIN_AGE, Problem, age_at, clean_record, is_uuid

PERSON_FIELDS = ("sex", "birth_date", "birth_year", "home_village")
IDENTITY_FIELDS = ("name", "national_id", "phone")
JOURNEY_FIELDS = (
    "departure_date", "destination_country", "destination_place", "sector", "channel",
    "agency_id", "broker_id", "n_brokers", "has_passport", "has_visa", "has_work_permit",
    "has_border_pass", "fee_usd", "debt_usd", "contract_seen", "job_promised", "recorded_date",
)
RETURN_FIELDS = ("journey_id", "return_date", "return_mode", "job_done", *ILO_INDICATORS,
                 "exploitation_type", "recorded_date")
REFERRAL_FIELDS = ("person_id", "journey_id", "service", "organisation", "referral_date",
                   "status", "recorded_date")
AGENCY_FIELDS = ("name", "licence_number", "licence_status", "licence_expiry",
                 "allowed_destinations", "parent_agency_id")
BROKER_FIELDS = ("name", "alias", "phone", "village", "agency_id", "active")
MANY_BROKERS = 3
ADULT = 18


@dataclass
class WriteReport:
    """What an add or import did (or, for a dry run, would do)."""

    kind: str
    rows: int = 0
    written: dict[str, int] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    already_present: int = 0
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # (record id, code, detail)
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False


class _Batch:
    """Rows to write, and what the batch itself already holds (for rules across its rows)."""

    def __init__(self, reg: Register) -> None:
        self.reg = reg
        self.conn = reg.conn
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}
        self.warnings: list[tuple[str, str, str, str]] = []  # (table, id, code, detail)
        self._agencies: dict[str, dict[str, Any]] | None = None
        self._ids: dict[str, set[str]] = {}

    def add(self, table: str, row: dict[str, Any], key: str = "id") -> None:
        self.tables.setdefault(table, []).append(row)
        self.pending.setdefault(table, {})[row[key]] = row

    def _one(self, table: str, record_id: str) -> dict[str, Any] | None:
        if record_id in self.pending.get(table, {}):
            return self.pending[table][record_id]
        cur = self.conn.execute(f"SELECT * FROM {table} WHERE id = ?", (record_id,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def agencies(self) -> dict[str, dict[str, Any]]:
        if self._agencies is None:
            cur = self.conn.execute("SELECT * FROM agencies")
            names = [d[0] for d in cur.description]
            self._agencies = {r[0]: dict(zip(names, r, strict=True)) for r in cur}
        return {**self._agencies, **self.pending.get("agencies", {})}

    def resolve_agency(self, ref: str) -> str | None:
        """An agency by id, or by licence number when that is unique."""
        agencies = self.agencies()
        if ref in agencies:
            return ref
        matches = [a["id"] for a in agencies.values()
                   if (a.get("licence_number") or "").lower() == ref.lower()]
        return matches[0] if len(matches) == 1 else None

    def journey(self, journey_id: str) -> dict[str, Any] | None:
        return self._one("journeys", journey_id)

    def person(self, person_id: str) -> dict[str, Any] | None:
        return self._one("persons", person_id)

    def broker(self, broker_id: str) -> dict[str, Any] | None:
        return self._one("brokers", broker_id)

    def exists(self, table: str, record_id: str) -> bool:
        """Is this id already taken (in the register or earlier in the batch)?"""
        known = self._ids.get(table)
        if known is None:
            known = self._ids[table] = {r[0] for r in self.conn.execute(f"SELECT id FROM {table}")}
        return record_id in known or record_id in self.pending.get(table, {})

    def warn(self, table: str, record_id: str, code: str, detail: str = "") -> None:
        self.warnings.append((table, record_id, code, detail))


def _id_problem(batch: _Batch, table: str, name: str, value: str | None,
                problems: list[Problem]) -> bool:
    """A caller-supplied id must be a UUID; True when the record is already in the register."""
    if value is None:
        return False
    if not is_uuid(value):
        problems.append(Problem(name, value, "rule.uuid"))
        return False
    return batch.exists(table, value)


def _departure(batch: _Batch, rec: dict[str, Any], problems: list[Problem], ids: list[str],
               stamp: dict[str, Any]) -> bool:
    journey_id = rec.get("journey_id")
    if _id_problem(batch, "journeys", "journey_id", journey_id, problems):
        return False  # already in the register: importing the same rows twice changes nothing
    person_id = rec.get("person_id")
    person = None
    if person_id is not None and is_uuid(person_id):
        person = batch.person(person_id)
    elif person_id is not None:
        problems.append(Problem("person_id", person_id, "rule.uuid"))
    if person is not None:  # a new journey of someone already registered
        problems[:] = [p for p in problems
                       if not (p.rule == "rule.required" and p.field in PERSON_FIELDS)]
    birth_date, birth_year = rec.get("birth_date"), rec.get("birth_year")
    if birth_date and birth_year and int(birth_date[:4]) != birth_year:
        problems.append(Problem("birth_year", birth_year, "rule.birth_mismatch"))
    if birth_date and not birth_year:
        birth_year = rec["birth_year"] = int(birth_date[:4])
    departure = rec.get("departure_date")
    source = person or rec
    age = None
    if departure:
        age = age_at(source.get("birth_date"), source.get("birth_year"), departure)
        if age is not None and not MIN_AGE <= age <= MAX_AGE:
            problems.append(Problem("birth_year", source.get("birth_year"), "rule.age",
                                    details={"age": age, "low": MIN_AGE, "high": MAX_AGE}))
    agency = None
    if rec.get("agency_id"):
        resolved = batch.resolve_agency(rec["agency_id"])
        if resolved is None:
            problems.append(Problem("agency_id", rec["agency_id"], "rule.no_agency"))
        else:
            rec["agency_id"] = resolved
            agency = batch.agencies()[resolved]
    if rec.get("broker_id") and batch.broker(rec["broker_id"]) is None:
        problems.append(Problem("broker_id", rec["broker_id"], "rule.no_broker"))
    if problems:
        return False
    if person is None:
        person_id = person_id or new_id()
        batch.add("persons", {"id": person_id, **{k: rec.get(k) for k in PERSON_FIELDS}, **stamp})
        if any(rec.get(k) for k in IDENTITY_FIELDS):
            batch.add("person_identity",
                      {"person_id": person_id, **{k: rec.get(k) for k in IDENTITY_FIELDS}},
                      key="person_id")
    journey_id = journey_id or new_id()
    batch.add("journeys", {"id": journey_id, "person_id": person_id,
                           **{k: rec.get(k) for k in JOURNEY_FIELDS}, **stamp})
    ids.append(journey_id)
    _journey_warnings(batch, journey_id, rec, agency, age)
    return True


def _journey_warnings(batch: _Batch, journey_id: str, rec: Mapping[str, Any],
                      agency: Mapping[str, Any] | None, age: int | None) -> None:
    if (rec.get("n_brokers") or 0) >= MANY_BROKERS:
        batch.warn("journeys", journey_id, "many_brokers", str(rec["n_brokers"]))
    if agency is not None:
        from .definitions import agency_status_at

        expiry = agency.get("licence_expiry")
        status = agency_status_at(agency["licence_status"], expiry, rec["departure_date"])
        if status == "expired":
            batch.warn("journeys", journey_id, "agency_licence_expired", expiry or "")
        elif status != "licensed":
            batch.warn("journeys", journey_id, "agency_not_licensed", status)
        allowed = agency.get("allowed_destinations") or "[]"
        if allowed != "[]" and f'"{rec["destination_country"]}"' not in allowed:
            batch.warn("journeys", journey_id, "agency_destination", rec["destination_country"])
    recruited = agency is not None or rec.get("channel") in ("licensed_agency", "mou")
    if recruited and age is not None and age < ADULT:
        batch.warn("journeys", journey_id, "agency_minor", str(age))


def _return(batch: _Batch, rec: dict[str, Any], problems: list[Problem], ids: list[str],
            stamp: dict[str, Any]) -> bool:
    if _id_problem(batch, "returns", "id", rec.get("id"), problems):
        return False
    journey = batch.journey(rec["journey_id"]) if rec.get("journey_id") else None
    if rec.get("journey_id") and journey is None:
        problems.append(Problem("journey_id", rec["journey_id"], "rule.no_journey"))
    elif journey is not None:
        taken = batch.conn.execute("SELECT 1 FROM returns WHERE journey_id = ?",
                                   (journey["id"],)).fetchone()
        if taken or any(r["journey_id"] == journey["id"]
                        for r in batch.tables.get("returns", [])):
            problems.append(Problem("journey_id", rec["journey_id"], "rule.return_exists"))
        if rec.get("return_date") and rec["return_date"] < journey["departure_date"]:
            problems.append(Problem("return_date", rec["return_date"], "rule.return_before",
                                    details={"departure": journey["departure_date"]}))
    if problems:
        return False
    record_id = rec.get("id") or new_id()
    batch.add("returns", {"id": record_id, **{k: rec.get(k) for k in RETURN_FIELDS}, **stamp})
    ids.append(record_id)
    return True


def _referral(batch: _Batch, rec: dict[str, Any], problems: list[Problem], ids: list[str],
              stamp: dict[str, Any]) -> bool:
    if _id_problem(batch, "referrals", "id", rec.get("id"), problems):
        return False
    if rec.get("person_id") and batch.person(rec["person_id"]) is None:
        problems.append(Problem("person_id", rec["person_id"], "rule.no_person"))
    if rec.get("journey_id"):
        journey = batch.journey(rec["journey_id"])
        if journey is None or journey["person_id"] != rec.get("person_id"):
            problems.append(Problem("journey_id", rec["journey_id"], "rule.no_journey"))
    if problems:
        return False
    record_id = rec.get("id") or new_id()
    batch.add("referrals", {"id": record_id, **{k: rec.get(k) for k in REFERRAL_FIELDS}, **stamp})
    ids.append(record_id)
    return True


def _agency(batch: _Batch, rec: dict[str, Any], problems: list[Problem], ids: list[str],
            stamp: dict[str, Any]) -> bool:
    if _id_problem(batch, "agencies", "id", rec.get("id"), problems):
        return False
    parent = rec.get("parent_agency_id")
    if parent:
        resolved = batch.resolve_agency(parent)
        if resolved is None:
            problems.append(Problem("parent_agency_id", parent, "rule.no_agency"))
        rec["parent_agency_id"] = resolved
    if problems:
        return False
    record_id = rec.get("id") or new_id()
    row = {"id": record_id, **{k: rec.get(k) for k in AGENCY_FIELDS}, **stamp}
    row["allowed_destinations"] = row["allowed_destinations"] or "[]"
    batch.add("agencies", row)
    ids.append(record_id)
    return True


def _broker(batch: _Batch, rec: dict[str, Any], problems: list[Problem], ids: list[str],
            stamp: dict[str, Any]) -> bool:
    if _id_problem(batch, "brokers", "id", rec.get("id"), problems):
        return False
    if rec.get("agency_id"):
        resolved = batch.resolve_agency(rec["agency_id"])
        if resolved is None:
            problems.append(Problem("agency_id", rec["agency_id"], "rule.no_agency"))
        rec["agency_id"] = resolved
    if problems:
        return False
    record_id = rec.get("id") or new_id()
    row = {"id": record_id, **{k: rec.get(k) for k in BROKER_FIELDS}, **stamp}
    row["active"] = 1 if row["active"] is None else row["active"]
    batch.add("brokers", row)
    ids.append(record_id)
    return True


_PLANNERS = {"departures": _departure, "returns": _return, "referrals": _referral,
             "agencies": _agency, "brokers": _broker}
_WRITE_ORDER = ("agencies", "brokers", "persons", "person_identity", "journeys", "returns",
                "referrals")


def add_records(
    reg: Register,
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
    first_row: int = 1,
    numbers: Sequence[int] | None = None,
    keys: Sequence[str] | None = None,
) -> WriteReport:
    """Check and add many records of one kind, all or nothing.

    Parameters
    ----------
    rows
        Raw field values by field name (see ``register.fields``), as typed or read from a file.
    dry_run
        Check everything against the register, write nothing, and return every problem found.
    first_row, numbers
        Number of the first row, for messages; or each row's own number (its line in a file).
    keys
        A stable key for each row from its source (an import: a hash of the row's content, or a
        phone form's submission id). Rows without an id get one derived from the register and
        their key, so the same row imported again - from the same file, a re-downloaded export
        or a file in another order - adds nothing; two rows of one batch with the same key are
        refused (the same record twice).

    Raises
    ------
    ValidationError
        Listing every problem, by row and field, when any row breaks a rule (not in a dry run).
    """
    planner = _PLANNERS.get(kind)
    if planner is None:
        from .fields import fields_of

        fields_of(kind)  # raises a RegisterError naming the known kinds
    assert planner is not None
    if dry_run:
        return _plan(reg, kind, planner, rows, True, today, first_row, numbers, keys)[0]
    # Checks against the register and the write happen in one transaction, so a second clerk
    # writing at the same moment cannot slip the same ids or a second return in between.
    with reg.write():
        report, batch = _plan(reg, kind, planner, rows, False, today, first_row, numbers, keys)
        if report.problems:
            raise ValidationError(report.problems)
        if batch.tables:
            _write(reg, batch)
    return report


def _plan(reg: Register, kind: str, planner: Any, rows: Iterable[Mapping[str, Any]],
          dry_run: bool, today: dt.date | None, first_row: int, numbers: Sequence[int] | None,
          keys: Sequence[str] | None) -> tuple[WriteReport, _Batch]:
    report = WriteReport(kind=kind, dry_run=dry_run)
    batch = _Batch(reg)
    stamp = {"source_register": reg.register_id, "recorded_at": now()}
    id_field = "journey_id" if kind == "departures" else "id"
    first_with_key: dict[str, int] = {}
    for index, raw in enumerate(rows):
        number = numbers[index] if numbers is not None else first_row + index
        report.rows += 1
        rec, problems = clean_record(kind, raw, today=today)
        if keys is not None:
            key = keys[index]
            if key in first_with_key:
                problems.append(Problem("", None, "rule.repeated_row",
                                        details={"first": first_with_key[key]}))
            first_with_key.setdefault(key, number)
            seed = f"{reg.register_id}#{kind}#{key}"
            if not rec.get(id_field):
                rec[id_field] = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
            if kind == "departures" and not rec.get("person_id"):
                rec["person_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, seed + "#person"))
        if not planner(batch, rec, problems, report.ids, stamp) and not problems:
            report.already_present += 1
        report.problems.extend(p.at_row(number) for p in problems)
    report.warnings = [(rid, code, detail) for _, rid, code, detail in batch.warnings]
    report.written = {t: len(r) for t, r in batch.tables.items() if r}
    return report, batch


def _write(reg: Register, batch: _Batch) -> None:
    at = now()
    entries: list[audit.Entry] = []
    with reg.write() as conn:
        for table in _WRITE_ORDER:
            rows = batch.tables.get(table)
            if not rows:
                continue
            columns = list(rows[0])
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
                   f"VALUES ({', '.join(':' + c for c in columns)})")
            conn.executemany(sql, rows)
            key = "person_id" if table == "person_identity" else "id"
            entries.extend(audit.Entry(table, row[key], "insert", None, row) for row in rows)
        conn.executemany(
            "INSERT INTO warnings (table_name, record_id, code, detail, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(*w, at) for w in batch.warnings],
        )
        audit.append(conn, entries, actor=reg.actor, at=at)


def add_one(reg: Register, kind: str, values: Mapping[str, Any], *,
            today: dt.date | None = None) -> WriteReport:
    """Add a single record (what the clerk's prompts do); raises ValidationError if it is bad."""
    return add_records(reg, kind, [values], today=today, first_row=1)


def add_departure(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "departures", values)


def add_return(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "returns", values)


def add_referral(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "referrals", values)


def add_agency(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "agencies", values)


def add_broker(reg: Register, **values: Any) -> WriteReport:
    return add_one(reg, "brokers", values)

