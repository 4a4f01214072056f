"""Voiding a record entered by mistake: it stays in the register and in its audit log, but is
left out of lists, searches, counts, the monthly report, the follow-up list and exports
(:func:`register.query.not_voided`).

What a record brought with it goes with it: a departure's return and referrals, and its person
when the person has no other departure left; a person's departures, returns and referrals. An
agency or a broker is voided only when no departure (or branch) still points to it: correct
those first. Each record voided gets an entry in the audit log, with the reason.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from . import audit
from .db import Register, now
from .errors import RegisterError
from .i18n import t
from .query import find, not_voided

VOIDABLE = ("persons", "journeys", "returns", "referrals", "agencies", "brokers")
VOIDED = audit.VOIDED  # the key of a void entry's detail listing the records voided


@dataclass(frozen=True, slots=True)
class Voided:
    """A record voided: its table and id."""

    table: str
    record_id: str


def is_voided(conn: sqlite3.Connection, table: str, record_id: str) -> bool:
    return conn.execute("SELECT 1 FROM voided WHERE table_name = ? AND record_id = ?",
                        (table, record_id)).fetchone() is not None


def _ids(conn: sqlite3.Connection, sql: str, *params: str) -> list[str]:
    return [r[0] for r in conn.execute(sql, params)]


def _journey_and_after(conn: sqlite3.Connection, journey: str) -> list[Voided]:
    out = [Voided("journeys", journey)]
    out += [Voided("returns", i) for i in _ids(
        conn, "SELECT id FROM returns WHERE journey_id = ?", journey)]
    out += [Voided("referrals", i) for i in _ids(
        conn, "SELECT id FROM referrals WHERE journey_id = ?", journey)]
    return out


def _person_and_after(conn: sqlite3.Connection, person: str) -> list[Voided]:
    out = [Voided("persons", person)]
    for journey in _ids(conn, "SELECT id FROM journeys WHERE person_id = ?", person):
        out += _journey_and_after(conn, journey)
    out += [Voided("referrals", i) for i in _ids(
        conn, "SELECT id FROM referrals WHERE person_id = ?", person)]
    return out


def plan(conn: sqlite3.Connection, table: str, record_id: str) -> list[Voided]:
    """The records voiding this one voids (itself first); those already voided left out."""
    if table == "persons":
        found = _person_and_after(conn, record_id)
    elif table == "journeys":
        found = _journey_and_after(conn, record_id)
        person = conn.execute("SELECT person_id FROM journeys WHERE id = ?",
                              (record_id,)).fetchone()[0]
        others = conn.execute(f"""SELECT 1 FROM journeys j WHERE j.person_id = ? AND j.id != ?
                                  AND {not_voided('journeys', 'j')}""", (person, record_id))
        if others.fetchone() is None:  # the departure brought the person: they go together
            found += _person_and_after(conn, person)
    else:
        found = [Voided(table, record_id)]
        pointing = {"agencies": ("journeys", "agency_id", "agencies", "parent_agency_id"),
                    "brokers": ("journeys", "broker_id")}.get(table, ())
        for other, column in zip(pointing[::2], pointing[1::2], strict=True):
            count = conn.execute(f"SELECT count(*) FROM {other} o WHERE o.{column} = ? AND "
                                 f"{not_voided(other, 'o')}", (record_id,)).fetchone()[0]
            if count:
                raise RegisterError(t("err.void_in_use", what=t(f"table.{table}"), n=count,
                                      others=t(f"table.{other}")))
    unique = list(dict.fromkeys(found))
    return [v for v in unique if not is_voided(conn, v.table, v.record_id)]


def void(reg: Register, ref: str, reason: str) -> list[Voided]:
    """Void the record ``ref`` names (an id or its first 6+ characters) and what goes with it;
    return what was voided, the record itself first."""
    if not (reason or "").strip():
        raise RegisterError(t("err.void_no_reason"))
    found = find(reg, ref)
    if found.table not in VOIDABLE:
        raise RegisterError(t("err.void_kind", what=t(f"table.{found.table}")))
    if is_voided(reg.conn, found.table, found.id):
        raise RegisterError(t("err.already_voided", id=found.id[:8]))
    at = now()
    with reg.write() as conn:
        audit.refuse_foreign(reg, [(found.table, found.id)])
        targets = plan(conn, found.table, found.id)
        conn.executemany("INSERT INTO voided (table_name, record_id, reason, voided_at) "
                         "VALUES (?, ?, ?, ?)",
                         [(v.table, v.record_id, reason.strip(), at) for v in targets])
        # The records are unchanged: the chained entry names what was voided, and why, so that
        # a record voided (or un-voided) outside the program is found by `check`.
        audit.log(conn, "void", [], actor=reg.actor, at=at, reason=reason.strip(),
                  detail={VOIDED: [[v.table, v.record_id] for v in targets]})
    return targets


def voided_findings(conn: sqlite3.Connection) -> list[str]:
    """Records voided outside the program, or whose voiding was undone outside it: the
    ``voided`` table against the void entries of every chain the register holds."""
    logged: set[tuple[str, str]] = set()
    for (detail,) in conn.execute("SELECT detail FROM audit_entry WHERE action = 'void'"):
        logged.update((table, rid) for table, rid in json.loads(detail or "{}").get(VOIDED, []))
    present = {(table, rid) for table, rid in conn.execute(
        "SELECT table_name, record_id FROM voided")}
    return ([t("check.voided_outside", table=t(f"table.{a}"), record=b[:8])
             for a, b in sorted(present - logged)]
            + [t("check.unvoided_outside", table=t(f"table.{a}"), record=b[:8])
               for a, b in sorted(logged - present)])
