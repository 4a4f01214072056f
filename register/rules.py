"""The rule book: every rule about a record that looks beyond its own fields.

A field's own rules (kind, bounds, code list, not in the future) are in
:mod:`register.validation`. The rules here relate a record to the records it points to (a return
and its departure, a departure and the person's age). They are written once and applied by every
path that can change what the register holds:

* adding and importing records (:mod:`register.records`), before anything is written;
* correcting a field (:mod:`register.query`): the corrected record is judged again, and so is
  every record that reads it (a departure date moved after its return is refused);
* ``register check`` (:mod:`register.check`): every record of the register;
* merging (:mod:`register.merge`), through each source's check.

A rule is either an **error** (the change is refused) or a **protection warning** (stored with the
record, never blocking: an unlicensed agency, a minor recruited by an agency, many brokers).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .definitions import agency_status_at, is_minor
from .model import MODEL
from .validation import MAX_AGE, MIN_AGE, Problem, age_at

MANY_BROKERS = 3

Row = Mapping[str, Any]


class View(Protocol):
    """What a rule may look up: a record of a table by its key (None when there is none)."""

    def get(self, table: str, record_id: str) -> Row | None: ...


@dataclass(frozen=True, slots=True)
class Read:
    """A record a rule reads besides its subject: ``alias`` = the record of ``table`` whose id
    is in the subject's field ``via``."""

    alias: str
    table: str
    via: str


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    subject: str
    reads: tuple[Read, ...]
    judge: Callable[..., Iterable[Problem]]
    warning: bool = False


RULES: list[Rule] = []


def rule(subject: str, *reads: Read, warning: bool = False) -> Callable[..., Any]:
    def register_rule(judge: Callable[..., Iterable[Problem]]) -> Callable[..., Any]:
        RULES.append(Rule(judge.__name__, subject, reads, judge, warning))
        return judge
    return register_rule


# -- errors ------------------------------------------------------------------------------------

@rule("persons")
def birth_year_matches_birth_date(person: Row) -> Iterator[Problem]:
    born, year = person.get("birth_date"), person.get("birth_year")
    if born and year and int(born[:4]) != int(year):
        yield Problem("birth_year", year, "rule.birth_mismatch")


def age_at_departure(journey: Row, person: Row | None) -> int | None:
    if person is None or not journey.get("departure_date"):
        return None
    return age_at(person.get("birth_date"), person.get("birth_year"), journey["departure_date"])


@rule("journeys", Read("person", "persons", "person_id"))
def plausible_age(journey: Row, person: Row | None) -> Iterator[Problem]:
    age = age_at_departure(journey, person)
    if age is not None and not MIN_AGE <= age <= MAX_AGE:
        yield Problem("birth_year", (person or {}).get("birth_year"), "rule.age",
                      details={"age": age, "low": MIN_AGE, "high": MAX_AGE})


@rule("returns", Read("journey", "journeys", "journey_id"))
def return_after_departure(ret: Row, journey: Row | None) -> Iterator[Problem]:
    if journey and ret.get("return_date") and ret["return_date"] < journey["departure_date"]:
        yield Problem("return_date", ret["return_date"], "rule.return_before",
                      details={"departure": journey["departure_date"]})


@rule("referrals", Read("journey", "journeys", "journey_id"))
def referral_journey_is_the_persons(referral: Row, journey: Row | None) -> Iterator[Problem]:
    if journey and journey["person_id"] != referral.get("person_id"):
        yield Problem("journey_id", referral.get("journey_id"), "rule.journey_of_other")


# -- protection warnings ---------------------------------------------------------------------

@rule("journeys", warning=True)
def many_brokers(journey: Row) -> Iterator[Problem]:
    if (journey.get("n_brokers") or 0) >= MANY_BROKERS:
        yield Problem("n_brokers", journey["n_brokers"], "warn.many_brokers",
                      details={"detail": str(journey["n_brokers"])})


@rule("journeys", Read("agency", "agencies", "agency_id"), Read("person", "persons", "person_id"),
      warning=True)
def agency_protection(journey: Row, agency: Row | None, person: Row | None) -> Iterator[Problem]:
    if agency is not None:
        expiry = agency.get("licence_expiry")
        status = agency_status_at(agency["licence_status"], expiry, journey["departure_date"])
        if status == "expired":
            yield Problem("agency_id", agency["id"], "warn.agency_licence_expired",
                          details={"detail": expiry or ""})
        elif status != "licensed":
            yield Problem("agency_id", agency["id"], "warn.agency_not_licensed",
                          details={"detail": status})
        allowed = agency.get("allowed_destinations") or "[]"
        if allowed != "[]" and f'"{journey["destination_country"]}"' not in allowed:
            yield Problem("destination_country", journey["destination_country"],
                          "warn.agency_destination",
                          details={"detail": journey["destination_country"]})
    age = age_at_departure(journey, person)
    recruited = agency is not None or journey.get("channel") in ("licensed_agency", "mou")
    if recruited and is_minor(age) == 1:
        yield Problem("agency_id", journey.get("agency_id"), "warn.agency_minor",
                      details={"detail": str(age)})


# -- applying the rules ------------------------------------------------------------------------

@functools.cache
def _rules_of(table: str, warnings: bool) -> tuple[Any, ...]:
    return tuple(spec for spec in RULES if spec.subject == table and spec.warning == warnings)


def judge(view: View, table: str, row: Row, *, warnings: bool = False) -> list[Problem]:
    """Every error (or, with ``warnings``, every protection warning) about one record."""
    found: list[Problem] = []
    for spec in _rules_of(table, warnings):
        related = {r.alias: (view.get(r.table, row[r.via]) if row.get(r.via) else None)
                   for r in spec.reads}
        found.extend(spec.judge(row, **related))
    return found


def readers(table: str) -> list[tuple[str, str]]:
    """(subject table, field) pairs of the rules that read records of ``table``: a change to one
    of its records must judge again the records that point to it through that field."""
    return sorted({(spec.subject, r.via) for spec in RULES for r in spec.reads if r.table == table})


@dataclass(frozen=True, slots=True)
class Breach:
    """A record of the register that breaks a rule (what ``register check`` reports)."""

    table: str
    record_id: str
    problem: Problem


def breaches(conn: sqlite3.Connection, *, limit: int = 1000) -> list[Breach]:
    """Every record that breaks an error rule, one join per rule (fast on a national register)."""
    found: list[Breach] = []
    for spec in RULES:
        if spec.warning:
            continue
        subject_cols = [r[1] for r in conn.execute(f"PRAGMA table_info({spec.subject})")]
        select = ["s.*"]
        joins = []
        widths = []
        for n, read in enumerate(spec.reads):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({read.table})")]
            widths.append((read.alias, cols))
            select.append(f"r{n}.*")
            key = MODEL.key_of(read.table)
            joins.append(f"LEFT JOIN {read.table} r{n} ON r{n}.{key} = s.{read.via}")
        sql = f"SELECT {', '.join(select)} FROM {spec.subject} s {' '.join(joins)}"
        key = MODEL.key_of(spec.subject)
        for values in conn.execute(sql):
            row = dict(zip(subject_cols, values[:len(subject_cols)], strict=True))
            at = len(subject_cols)
            related: dict[str, Row | None] = {}
            for alias, cols in widths:
                part = values[at:at + len(cols)]
                at += len(cols)
                related[alias] = dict(zip(cols, part, strict=True)) if part[0] is not None else None
            for problem in spec.judge(row, **related):
                found.append(Breach(spec.subject, row[key], problem))
                if len(found) >= limit:
                    return found
    return found
