"""The researcher export: one row per journey, and nothing that identifies a person.

This is the one researcher export: ``register export``, the analysis package (notebooks) and the
synthetic generator's reference all build their rows with :func:`export_row`. Its columns
(:data:`COLUMNS`) are the data model's exported fields plus a few derived ones (pseudonymous
keys, area codes, age, agency status at departure, outcomes); no field the model marks
``sensitive`` (names, ID numbers, phones, free text, exact birth date, village) ever leaves.
Persons appear under a pseudonymous key, an HMAC-SHA256 of their id under a secret key that is
kept in the register and never exported; the same person linked across communes (see
``register.merge``) has one key, and their duplicate journeys are exported once. Voided records
are left out.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import anonymise, definitions
from .anonymise import Disclosure
from .db import Register
from .errors import RegisterError
from .i18n import t
from .io import safe_cell
from .model import MODEL, Field, Model
from .output import check_output, writing
from .validation import age_at

LEVELS = ("detailed", "standard", "strict")
DEFAULT_K = 5
AGE_BANDS = ((0, 17, "<18"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"),
             (45, 200, "45+"))


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the researcher export.

    ``type``: text, int or float. ``quasi``: a quasi-identifier. ``standard``/``strict``: what
    that export level does to it - ``None`` keeps it, ``"drop"`` blanks it, ``"month"`` cuts a
    date to its month. ``source``: the model field it copies, if any.
    """

    name: str
    type: str = "text"
    quasi: bool = False
    standard: str | None = None
    strict: str | None = None
    source: str | None = None


def _of(spec: Field) -> Column:
    kind = {"bool": "int", "int": "int", "year": "int", "money": "float"}.get(spec.kind, "text")
    standard = "drop" if spec.kind == "year" and spec.quasi else None
    return Column(spec.name, kind, spec.quasi, standard, standard, source=spec.name)


def columns(model: Model | None = None) -> tuple[Column, ...]:
    """The export's columns: the model's exported fields (in the model's order) around the
    derived ones. A field declared ``export`` in the model is a column here, nothing else to do."""
    model = model or MODEL

    def exported(table: str) -> tuple[Column, ...]:
        return tuple(_of(f) for f in model.table(table).fields if f.export)

    return (
        Column("journey_key"),
        Column("person_key"),
        Column("register_commune", quasi=True, strict="drop"),
        Column("province_code", quasi=True),
        Column("district_code", quasi=True),
        Column("commune_code", quasi=True, strict="drop"),
        *exported("persons"),
        Column("age_at_departure", "int", quasi=True, standard="drop", strict="drop"),
        Column("age_band", quasi=True),
        Column("departure_date", quasi=True, standard="month", strict="month",
               source="departure_date"),
        Column("departure_year", "int", quasi=True),
        *exported("journeys"),
        Column("agency_status"),
        Column("returned", "int"),
        Column("return_date", quasi=True, standard="month", strict="month", source="return_date"),
        Column("return_year", "int", quasi=True),
        *exported("returns"),
        Column("forced_labour", "int"),
        Column("trafficking", "int"),
        Column("referred", "int"),
    )


COLUMNS: tuple[Column, ...] = columns()
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
QUASI_IDENTIFIERS = tuple(c.name for c in COLUMNS if c.quasi)
# Fields that must never appear in an export (from the model; the tests check every export).
SENSITIVE = MODEL.sensitive


def _select(conn: sqlite3.Connection | None) -> str:
    """The query behind the export, generated from the model (columns an older register lacks
    are read as NULL); voided records and their journeys are left out."""
    def present(table: str) -> set[str]:
        if conn is None:
            return set(MODEL.columns(table))
        return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}

    def cols(alias: str, table: str) -> list[str]:
        have = present(table)
        return [f"{alias}.{f.name}" if f.name in have else f"NULL AS {f.name}"
                for f in MODEL.table(table).fields if f.export]

    voided = conn is None or bool(conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'voided'").fetchone())
    not_void = ("NOT EXISTS (SELECT 1 FROM voided v WHERE v.table_name = '{t}' "
                "AND v.record_id = {a}.id)")
    where = (f"WHERE {not_void.format(t='journeys', a='j')} "
             f"AND {not_void.format(t='persons', a='p')}") if voided else ""
    return_join = f" AND {not_void.format(t='returns', a='r')}" if voided else ""
    referral_void = f" AND {not_void.format(t='referrals', a='f')}" if voided else ""
    return f"""
SELECT j.id AS journey_id, p.id AS person_id, j.source_register, p.birth_date, p.home_village,
       {", ".join(cols("p", "persons"))},
       j.departure_date, j.agency_id, a.licence_status, a.licence_expiry,
       {", ".join(cols("j", "journeys"))},
       r.id AS return_id, r.return_date,
       {", ".join(cols("r", "returns"))},
       EXISTS (SELECT 1 FROM referrals f WHERE f.person_id = p.id{referral_void}) AS referred
FROM journeys j
JOIN persons p ON p.id = j.person_id
LEFT JOIN agencies a ON a.id = j.agency_id
LEFT JOIN returns r ON r.journey_id = j.id{return_join}
{where}
"""


def pseudonym_key(reg: Register) -> bytes:
    """The register's secret pseudonymisation key (made on first use, never exported)."""
    row = reg.conn.execute("SELECT value FROM register_meta WHERE key = 'pseudonym_key'").fetchone()
    if row:
        return bytes.fromhex(row[0])
    key = secrets.token_bytes(32)
    with reg.write() as conn:
        conn.execute("INSERT OR IGNORE INTO register_meta (key, value) VALUES ('pseudonym_key', ?)",
                     (key.hex(),))
    return pseudonym_key(reg)


def keyed(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:20]


def age_band(age: int | None) -> str | None:
    """The export's age band; None when the age is unknown or impossible (negative)."""
    if age is None:
        return None
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), None)


def export_row(r: Mapping[str, Any], pseudonym: Callable[[str, str], str],
               register_commune: str = "") -> dict[str, Any]:
    """One export row from a journey joined with its person, agency and return (the fields of
    :func:`_select`), in full detail. ``pseudonym(kind, id)`` makes the keys."""
    village = r["home_village"]
    age = age_at(r["birth_date"], r["birth_year"], r["departure_date"])
    if age is not None and age < 0:  # a birth after the departure: edited outside the program
        age = None
    status = "none"
    if r["agency_id"]:
        status = definitions.agency_status_at(r["licence_status"], r["licence_expiry"],
                                              r["departure_date"])
    returned = r["return_id"] is not None
    row = {name: r.get(name) for name in COLUMN_NAMES}
    row.update(
        journey_key=pseudonym("journey", r["journey_id"]),
        person_key=pseudonym("person", r["person_id"]),
        register_commune=register_commune, province_code=village[:2],
        district_code=village[:4], commune_code=village[:6], age_at_departure=age,
        age_band=age_band(age), departure_year=int(r["departure_date"][:4]),
        agency_status=status, returned=int(returned),
        return_year=int(r["return_date"][:4]) if r["return_date"] else None,
        referred=int(r["referred"]),
    )
    if returned:
        row["forced_labour"], row["trafficking"] = definitions.outcomes(r, age)
    return row


def generalise(row: dict[str, Any], level: str) -> dict[str, Any]:
    """Coarsen quasi-identifiers of an export row for an export level.

    ``detailed``: nothing removed beyond the sensitive fields (for the secure environment).
    ``standard`` (default): no birth year or exact age (the age band stays), dates to the month.
    ``strict``: as standard, and the home commune dropped (the district stays).
    """
    if level not in LEVELS:
        raise RegisterError(t("err.export_level", level=level, levels=", ".join(LEVELS)))
    if level == "detailed":
        return row
    for column in COLUMNS:
        action = column.standard if level == "standard" else column.strict
        if action == "drop":
            row[column.name] = None
        elif action == "month" and row[column.name]:
            row[column.name] = row[column.name][:7]
    return row


def _links(conn: sqlite3.Connection) -> tuple[dict[str, str], set[str]]:
    """Person cluster ids and duplicate journeys, where a merge has linked records."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "person_links" not in tables:
        return {}, set()
    clusters = dict(conn.execute("SELECT person_id, cluster_id FROM person_links"))
    duplicates = {r[0] for r in conn.execute("SELECT journey_id FROM duplicate_journeys")}
    return clusters, duplicates


def researcher_rows(reg: Register, level: str = "detailed") -> Iterator[dict[str, Any]]:
    """Yield the export rows of a register (see :data:`COLUMNS`) at an export level."""
    if level not in LEVELS:
        raise RegisterError(t("err.export_level", level=level, levels=", ".join(LEVELS)))
    key = pseudonym_key(reg)
    communes = dict(reg.conn.execute("SELECT register_id, commune_code FROM merged_sources"))
    communes.setdefault(reg.register_id, reg.commune_code or "")
    clusters, duplicates = _links(reg.conn)

    def pseudonym(kind: str, record_id: str) -> str:
        if kind == "person":
            record_id = clusters.get(record_id) or record_id
        return keyed(key, f"{kind}:{record_id}")

    cur = reg.conn.execute(_select(reg.conn))
    names = [d[0] for d in cur.description]
    for values in cur:
        r = dict(zip(names, values, strict=True))
        if r["journey_id"] in duplicates:
            continue
        row = export_row(r, pseudonym, communes.get(r["source_register"], ""))
        yield generalise(row, level)


def export_researcher(reg: Register, out: str | Path, *, level: str = "standard",
                      force: bool = False, k: int = DEFAULT_K, accept_risk: bool = False) -> int:
    """Write the researcher export to ``out`` (``.csv``, or ``.db``/``.sqlite``); return rows.

    See :func:`export_with_report`.
    """
    return export_with_report(reg, out, level=level, force=force, k=k,
                              accept_risk=accept_risk)[0]


def anonymised_rows(reg: Register, level: str = "standard",
                    k: int = DEFAULT_K) -> tuple[Iterator[dict[str, Any]], Disclosure]:
    """The export rows at ``level``, recoded to be ``k``-anonymous (:mod:`register.anonymise`):
    a first pass over the register chooses the recoding, the rows are made again as they are
    read (the register is never held whole in memory)."""
    recoding, report = anonymise.plan(researcher_rows(reg, level), k, QUASI_IDENTIFIERS)

    def rows() -> Iterator[dict[str, Any]]:
        for row in researcher_rows(reg, level):
            kept = recoding.apply(row)
            if kept is not None:
                yield kept

    return rows(), report


def export_with_report(reg: Register, out: str | Path, *, level: str = "standard",
                       k: int = DEFAULT_K, force: bool = False,
                       accept_risk: bool = False) -> tuple[int, Disclosure]:
    """Write the export: generalised at ``level``, then (standard and strict) recoded until no
    group over its quasi-identifiers is smaller than ``k``. The detailed level is not recoded
    (for a secure environment): it is written only when it reaches ``k`` anyway, or with
    ``accept_risk`` (the clerk's ``--accept-reidentification-risk``).

    The file is written under a temporary name and renamed when complete; an existing file is
    replaced only with ``force``, and the register itself never.
    """
    if level not in LEVELS:
        raise RegisterError(t("err.export_level", level=level, levels=", ".join(LEVELS)))
    anonymise.check_k(k)
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".db", ".sqlite", ".sqlite3"):
        raise RegisterError(t("err.export_suffix", file=out.name))
    check_output(out, force=force, inputs=[reg.path])
    if level == "detailed":
        report = anonymise.measure(researcher_rows(reg, level), k, QUASI_IDENTIFIERS)
        if not report.reached and not accept_risk:
            raise anonymise.BelowKError(t("export.below_k", k=k, smallest=report.smallest,
                                          level=level))
        rows: Iterable[dict[str, Any]] = researcher_rows(reg, level)
    else:
        rows, report = anonymised_rows(reg, level, k)
    count = 0
    with writing(out, force=force, inputs=[reg.path]) as tmp:
        values = ([row[c] for c in COLUMN_NAMES] for row in rows)
        if suffix == ".csv":
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(COLUMN_NAMES)
                for line in values:
                    writer.writerow([safe_cell(v) for v in line])
                    count += 1
        else:
            conn = sqlite3.connect(tmp)
            try:
                with conn:
                    conn.execute(f"CREATE TABLE journeys ({', '.join(COLUMN_NAMES)})")
                    marks = ", ".join("?" for _ in COLUMN_NAMES)
                    for line in values:
                        conn.execute(f"INSERT INTO journeys VALUES ({marks})", line)
                        count += 1
            finally:
                conn.close()
    return count, report
