"""The researcher export: one row per journey, and nothing that identifies a person.

No name, national ID, phone, free text, broker or exact village leaves through this export.
Persons appear under a pseudonymous key, an HMAC-SHA256 of their id under a secret key that is
kept in the register and never exported; the same person linked across communes (see
``register.merge``) has one key, and their duplicate journeys are exported once.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import definitions
from .db import Register
from .errors import RegisterError
from .fields import ILO_INDICATORS
from .i18n import t
from .io import safe_cell

AGE_BANDS = ((0, 17, "<18"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"),
             (45, 200, "45+"))
COLUMNS = (
    "journey_key", "person_key", "register_commune", "province_code", "district_code",
    "commune_code", "sex", "birth_year", "age_at_departure", "age_band", "departure_date",
    "departure_year", "destination_country", "sector", "channel", "agency_status", "n_brokers",
    "has_passport", "has_visa", "has_work_permit", "has_border_pass", "contract_seen", "fee_usd",
    "debt_usd", "returned", "return_date", "return_year", "return_mode", *ILO_INDICATORS,
    "exploitation_type", "forced_labour", "trafficking", "referred",
)
# Fields that must never appear in an export (checked by the tests).
IDENTIFYING = ("name", "national_id", "phone", "alias", "destination_place", "job_promised",
               "job_done", "organisation", "home_village", "birth_date")

_QUERY = f"""
SELECT j.id AS journey_id, p.id AS person_id, j.source_register, p.sex, p.birth_date,
       p.birth_year, p.home_village, j.departure_date, j.destination_country, j.sector,
       j.channel, j.agency_id, a.licence_status, a.licence_expiry, j.n_brokers, j.has_passport,
       j.has_visa, j.has_work_permit, j.has_border_pass, j.contract_seen, j.fee_usd, j.debt_usd,
       r.id AS return_id, r.return_date, r.return_mode, r.exploitation_type,
       {", ".join("r." + name for name in ILO_INDICATORS)},
       EXISTS (SELECT 1 FROM referrals f WHERE f.person_id = p.id) AS referred
FROM journeys j
JOIN persons p ON p.id = j.person_id
LEFT JOIN agencies a ON a.id = j.agency_id
LEFT JOIN returns r ON r.journey_id = j.id
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


def _links(conn: sqlite3.Connection) -> tuple[dict[str, str], set[str]]:
    """Person cluster ids and duplicate journeys, where a merge has linked records."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "person_links" not in tables:
        return {}, set()
    clusters = dict(conn.execute("SELECT person_id, cluster_id FROM person_links"))
    duplicates = {r[0] for r in conn.execute("SELECT journey_id FROM duplicate_journeys")}
    return clusters, duplicates


LEVELS = ("detailed", "standard", "strict")
# Quasi-identifiers: fields that, combined, could single a person out to someone who knows them.
QUASI_IDENTIFIERS = ("sex", "age_band", "commune_code", "departure_year", "destination_country")


def generalise(row: dict[str, Any], level: str) -> dict[str, Any]:
    """Coarsen quasi-identifiers of an export row.

    ``detailed``: nothing removed beyond the identifying fields (for the secure environment).
    ``standard`` (default): no birth year or exact age (the age band stays), dates to the month.
    ``strict``: as standard, and the home commune dropped (the district stays).
    """
    if level not in LEVELS:
        raise RegisterError(t("err.export_level", level=level, levels=", ".join(LEVELS)))
    if level == "detailed":
        return row
    row["birth_year"] = row["age_at_departure"] = None
    for name in ("departure_date", "return_date"):
        if row[name]:
            row[name] = row[name][:7]
    if level == "strict":
        row["commune_code"] = row["register_commune"] = None
    return row


@dataclass(frozen=True)
class KAnonymity:
    """Group sizes over the quasi-identifiers: ``smallest`` is the k the export achieves."""

    k: int
    smallest: int
    groups: int
    records_below_k: int
    quasi_identifiers: tuple[str, ...]

    def summary(self) -> str:
        return (f"k-anonymity over {', '.join(self.quasi_identifiers)}: smallest group "
                f"{self.smallest}; {self.records_below_k} records in groups smaller than "
                f"{self.k} (of {self.groups} groups)")


def k_anonymity(rows: Iterable[dict[str, Any]], k: int = 5,
                quasi: tuple[str, ...] = QUASI_IDENTIFIERS) -> KAnonymity:
    """How many records share each combination of quasi-identifiers (counting persons once)."""
    seen: dict[tuple[Any, ...], set[str]] = {}
    for row in rows:
        seen.setdefault(tuple(row[q] for q in quasi), set()).add(row["person_key"])
    return _k_of_groups(seen, k, quasi)


def _k_of_groups(seen: dict[tuple[Any, ...], set[str]], k: int,
                 quasi: tuple[str, ...]) -> KAnonymity:
    sizes = [len(p) for p in seen.values()]
    return KAnonymity(k=k, smallest=min(sizes, default=0), groups=len(sizes),
                      records_below_k=sum(n for n in sizes if n < k), quasi_identifiers=quasi)


def researcher_rows(reg: Register) -> Iterator[dict[str, Any]]:
    """Yield the export rows of a register (see :data:`COLUMNS`), in full detail."""
    from .validation import age_at

    key = pseudonym_key(reg)
    communes = dict(reg.conn.execute(
        "SELECT register_id, commune_code FROM merged_sources"))
    communes.setdefault(reg.register_id, reg.commune_code or "")
    clusters, duplicates = _links(reg.conn)
    cur = reg.conn.execute(_QUERY)
    names = [d[0] for d in cur.description]
    for values in cur:
        r = dict(zip(names, values, strict=True))
        if r["journey_id"] in duplicates:
            continue
        village = r["home_village"]
        age = age_at(r["birth_date"], r["birth_year"], r["departure_date"])
        if age is not None and age < 0:  # a birth after the departure: edited outside the program
            age = None
        status = "none"
        if r["agency_id"]:
            status = definitions.agency_status_at(r["licence_status"], r["licence_expiry"],
                                                  r["departure_date"])
        returned = r["return_id"] is not None
        indicators = {name: r[name] for name in ILO_INDICATORS}
        yield {
            "journey_key": keyed(key, "journey:" + r["journey_id"]),
            "person_key": keyed(key, "person:" + (clusters.get(r["person_id"]) or r["person_id"])),
            "register_commune": communes.get(r["source_register"], ""),
            "province_code": village[:2], "district_code": village[:4],
            "commune_code": village[:6], "sex": r["sex"], "birth_year": r["birth_year"],
            "age_at_departure": age, "age_band": age_band(age),
            "departure_date": r["departure_date"], "departure_year": int(r["departure_date"][:4]),
            "destination_country": r["destination_country"], "sector": r["sector"],
            "channel": r["channel"], "agency_status": status, "n_brokers": r["n_brokers"],
            "has_passport": r["has_passport"], "has_visa": r["has_visa"],
            "has_work_permit": r["has_work_permit"], "has_border_pass": r["has_border_pass"],
            "contract_seen": r["contract_seen"], "fee_usd": r["fee_usd"],
            "debt_usd": r["debt_usd"], "returned": int(returned),
            "return_date": r["return_date"],
            "return_year": int(r["return_date"][:4]) if r["return_date"] else None,
            "return_mode": r["return_mode"], **indicators,
            "exploitation_type": r["exploitation_type"],
            "forced_labour": definitions.forced_labour(r) if returned else None,
            "trafficking": definitions.trafficking(r) if returned else None,
            "referred": int(r["referred"]),
        }


def export_researcher(reg: Register, out: str | Path, *, level: str = "standard") -> int:
    """Write the researcher export to ``out`` (``.csv``, or ``.db``/``.sqlite``); return rows.

    ``level`` generalises quasi-identifiers (see :func:`generalise`). The file is written under
    a temporary name and renamed when complete.
    """
    return export_with_report(reg, out, level=level)[0]


def export_with_report(reg: Register, out: str | Path, *, level: str = "standard",
                       k: int = 5) -> tuple[int, KAnonymity]:
    """Write the export and measure its k-anonymity in the same pass over the register."""
    if level not in LEVELS:
        raise RegisterError(t("err.export_level", level=level, levels=", ".join(LEVELS)))
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".db", ".sqlite", ".sqlite3"):
        raise RegisterError(t("err.export_suffix", file=out.name))
    if not out.parent.exists():
        raise RegisterError(t("err.no_folder", folder=out.parent))
    quasi = tuple(q for q in QUASI_IDENTIFIERS if not (level == "strict" and q == "commune_code"))
    groups: dict[tuple[Any, ...], set[str]] = {}
    count = 0

    def rows() -> Iterator[list[Any]]:
        nonlocal count
        for row in researcher_rows(reg):
            row = generalise(row, level)
            groups.setdefault(tuple(row[q] for q in quasi), set()).add(row["person_key"])
            count += 1
            yield [row[c] for c in COLUMNS]

    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    if suffix == ".csv":
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows([safe_cell(v) for v in values] for values in rows())
    else:
        conn = sqlite3.connect(tmp)
        with conn:
            conn.execute(f"CREATE TABLE journeys ({', '.join(COLUMNS)})")
            marks = ", ".join("?" for _ in COLUMNS)
            conn.executemany(f"INSERT INTO journeys VALUES ({marks})", rows())
        conn.close()
    tmp.replace(out)
    return count, _k_of_groups(groups, k, quasi)
