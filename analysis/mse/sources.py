"""From victim lists to capture histories: read the lists, link the same person, count patterns.

Each source is a list of identified victims: a CSV/Excel file from MOSVY, the police, an NGO
(columns ``record_id, name, sex, birth_date, birth_year, province_code, commune_code,
national_id, phone``; any may be blank except ``record_id``), and the register itself (persons
whose record shows trafficking on some journey). The same person is linked across lists (and
within a list) with :func:`register.linkage.link_records` — deterministically on a shared national
ID, probabilistically otherwise. The identifying fields are used only inside this step, which runs
where the lists are held; what comes out is a table of capture patterns, with no names.

Linkage errors bias MSE directly (a missed link makes two people of one, inflating the estimate;
a false link does the reverse), so :meth:`LinkedLists.quality` reports precision and recall when
the true links are known (synthetic data), and :attr:`LinkedLists.linkage` keeps the model's
summary for the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import CaptureDataError
from .table import capture_table

LIST_COLUMNS = ("record_id", "name", "sex", "birth_date", "birth_year", "province_code",
                "commune_code", "national_id", "phone")
ADULT = 18


def read_list(path: str | Path) -> list[dict[str, Any]]:
    """A victim list from CSV (UTF-8) or Excel; ``record_id`` is required and must be unique."""
    from register.io import read_rows
    from register.validation import normalise_text

    rows = [row for _, row in read_rows(path)]
    if not rows:
        raise CaptureDataError(f"{Path(path).name} has no records")
    if "record_id" not in rows[0]:
        raise CaptureDataError(f"{Path(path).name} has no record_id column")
    out = []
    for row in rows:
        record: dict[str, Any] = {c: normalise_text(row.get(c)) for c in LIST_COLUMNS}
        record["contact_date"] = normalise_text(row.get("contact_date"))
        if record["birth_year"] is not None:
            try:
                record["birth_year"] = int(float(record["birth_year"]))
            except ValueError:
                record["birth_year"] = None
        out.append(record)
    ids = Counter(r["record_id"] for r in out)
    repeated = [i for i, n in ids.items() if n > 1 or i is None]
    if repeated:
        raise CaptureDataError(f"{Path(path).name}: record_id missing or repeated ({repeated[:3]})")
    return out


def register_victims(register: str | Path, *, passphrase: str | None = None) -> list[dict[str, Any]]:
    """Persons whose register record shows trafficking on some journey (one per linked person)."""
    import register as reg_api
    from register.definitions import outcomes
    from register.validation import age_at
    from register.vocabulary import ILO_INDICATORS

    cols = ", ".join("r." + c for c in ILO_INDICATORS)
    with reg_api.open_register(register, passphrase=passphrase, upgrade=False) as reg:
        tables = {r[0] for r in reg.conn.execute("SELECT name FROM sqlite_master")}
        cluster = ("coalesce((SELECT l.cluster_id FROM person_links l WHERE l.person_id = p.id), "
                   "p.id)" if "person_links" in tables else "p.id")
        rows = reg.conn.execute(f"""
            SELECT {cluster}, p.sex, p.birth_date, p.birth_year, p.home_village, i.name,
                   i.national_id, i.phone, j.departure_date, r.exploitation_type, {cols}
            FROM returns r JOIN journeys j ON j.id = r.journey_id
            JOIN persons p ON p.id = j.person_id
            LEFT JOIN person_identity i ON i.person_id = p.id""").fetchall()
    names = ["person", "sex", "birth_date", "birth_year", "village", "name", "national_id",
             "phone", "departure_date", "exploitation_type", *ILO_INDICATORS]
    victims: dict[str, dict[str, Any]] = {}
    for values in rows:
        row = dict(zip(names, values, strict=True))
        age = age_at(row["birth_date"], row["birth_year"], row["departure_date"])
        if outcomes(row, age)[1] != 1 or row["person"] in victims:
            continue
        victims[row["person"]] = {
            "record_id": row["person"], "name": row["name"], "sex": row["sex"],
            "birth_date": row["birth_date"], "birth_year": row["birth_year"],
            "province_code": row["village"][:2], "commune_code": row["village"][:6],
            "national_id": row["national_id"], "phone": row["phone"],
            "contact_date": row["departure_date"]}
    return list(victims.values())


@dataclass(frozen=True)
class LinkedLists:
    """Persons (linked clusters) with one 0/1 column per list, and the linkage behind them."""

    persons: pd.DataFrame  # index: cluster id; columns: lists..., province_code, sex, age_group
    lists: tuple[str, ...]
    linkage: Any  # register.linkage.LinkageResult

    def table(self, stratum: str | None = None) -> pd.DataFrame:
        """Capture patterns (0/1 list columns, ``count`` last), optionally by a stratum column."""
        return capture_table(self.persons, list(self.lists), stratum=stratum)

    def quality(self, true_pairs: set[frozenset[str]]) -> dict[str, float | int]:
        from register.linkage import linkage_quality

        return linkage_quality(self.linkage, true_pairs)

    def summary(self) -> str:
        sizes = ", ".join(f"{name} {int(self.persons[name].sum())}" for name in self.lists)
        return (f"{len(self.persons)} distinct persons on {len(self.lists)} lists ({sizes}); "
                + self.linkage.summary().splitlines()[0])


def _age_group(records: list[dict[str, Any]]) -> str:
    ages = []
    for r in records:
        year, when = r.get("birth_year"), r.get("contact_date")
        if year and when:
            ages.append(int(str(when)[:4]) - int(year))
    if not ages:
        return "unknown"
    return "minor" if min(ages) < ADULT else "adult"


def _most_common(values: list[Any]) -> Any:
    values = [v for v in values if v]
    return Counter(values).most_common(1)[0][0] if values else None


def link_lists(lists: Mapping[str, Sequence[Mapping[str, Any]]], *,
               threshold: float | None = None, seed: int = 1) -> LinkedLists:
    """Link the same person across (and within) lists; return persons with list membership."""
    from register.linkage import link_records

    if len(lists) < 2:
        raise CaptureDataError("multiple systems estimation needs at least two lists")
    records: list[dict[str, Any]] = []
    for name, rows in lists.items():
        for row in rows:
            record = {c: row.get(c) for c in LIST_COLUMNS}
            record["record_id"] = f"{name}:{row['record_id']}"
            record["source"] = name
            record["contact_date"] = row.get("contact_date")
            records.append(record)
    kwargs: dict[str, Any] = {"across_sources_only": False, "seed": seed}
    if threshold is not None:
        kwargs["threshold"] = threshold
    result = link_records([{k: v for k, v in r.items() if k != "contact_date"} for r in records],
                          **kwargs)
    members: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        members.setdefault(result.clusters[record["record_id"]], []).append(record)
    rows_out = []
    for cluster, group in members.items():
        person: dict[str, Any] = {"person": cluster}
        for name in lists:
            person[name] = int(any(r["source"] == name for r in group))
        person["province_code"] = _most_common([r.get("province_code") for r in group]) or "unknown"
        person["sex"] = _most_common([r.get("sex") for r in group]) or "unknown"
        person["age_group"] = _age_group(group)
        rows_out.append(person)
    persons = pd.DataFrame(rows_out).set_index("person").sort_index()
    return LinkedLists(persons=persons, lists=tuple(lists), linkage=result)


def true_pairs_from_truth(truth: Mapping[str, Any]) -> set[frozenset[str]]:
    """The true links of a synthetic truth.json's MSE membership (record ids as in link_lists)."""
    membership = truth["mse"]["membership"]
    columns = membership["columns"]
    pairs: set[frozenset[str]] = set()
    for values in membership["rows"]:
        row = dict(zip(columns, values, strict=True))
        ids = [f"{name}:{row[f'{name}_record_id']}" for name in ("mosvy", "police", "ngo")
               if row.get(f"{name}_record_id")]
        if row.get("register"):
            ids.append(f"register:{row['person_id']}")
        pairs |= {frozenset((a, b)) for i, a in enumerate(ids) for b in ids[i + 1:]}
    return pairs
