"""Erasing a person's identifying data on request (a victim's right to privacy).

:func:`erase` blanks the person's identifying fields (the model's ``identifying`` fields of
their identity: names, ID numbers, phones), deletes the salt of their identity's row hashes and
the old identifying values kept from corrections, and logs an ``erase`` entry (a tombstone: who,
when, why, which record; no value). The audit chain still verifies: it never held the values,
only hashes keyed with the salt now gone, which no longer can be tried against guesses. Deleted
content is overwritten (``secure_delete``) and the write-ahead log emptied, so no copy of the
values stays in the file. The journeys, returns and referrals stay (counted, without a name).

In a merged register the person is erased in the register of the commune that recorded them;
the next merge carries the erasure (and deletes the salt there too).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import audit
from .db import Register, now
from .errors import RegisterError
from .i18n import t
from .query import find

IDENTITY = "person_identity"


@dataclass(frozen=True)
class EraseReport:
    person_id: str
    fields: tuple[str, ...]  # the fields that held a value and were blanked
    code: str  # the chain head's code after the erasure
    wal_emptied: bool


def erase(reg: Register, ref: str, reason: str) -> EraseReport:
    """Erase the identifying values of the person ``ref`` (a person or journey id or prefix)."""
    if not (reason or "").strip():
        raise RegisterError(t("err.no_reason"))
    found = find(reg, ref)
    if found.table == "persons":
        person = found.id
    elif found.table == "journeys":
        person = found.record["person_id"]
    else:
        raise RegisterError(t("erase.not_a_person", record=ref))
    audit.refuse_foreign(reg, [("persons", person)])
    fields = sorted(audit.IDENTIFYING[IDENTITY])
    conn = reg.conn
    conn.execute("PRAGMA secure_delete = ON")  # freed space is overwritten with zeros
    with reg.write():
        cur = conn.execute(f"SELECT * FROM {IDENTITY} WHERE person_id = ?", (person,))
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        current = dict(zip(names, row, strict=True)) if row is not None else {}
        held = tuple(f for f in fields if current.get(f) is not None)
        if row is not None:
            conn.execute(f"UPDATE {IDENTITY} SET {', '.join(f'{f} = NULL' for f in fields)} "
                         f"WHERE person_id = ?", (person,))
        tab = audit.TABLE_CODES[IDENTITY]
        conn.execute("DELETE FROM audit_salt WHERE tab = ? AND id = ?", (tab, person))
        conn.execute("DELETE FROM audit_private WHERE tab = ? AND id = ?", (tab, person))
        written = []
        if row is not None:
            blank = current | dict.fromkeys(fields)
            written.append(audit.Written(IDENTITY, person, blank))
        head = audit.log(conn, "erase", written, actor=reg.actor, at=now(), reason=reason,
                         detail={"erased": [[IDENTITY, person]]}, salted=False)
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return EraseReport(person, held, head.code, wal_emptied=not busy)
