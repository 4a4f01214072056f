"""A reference researcher export built straight from generated records (no register written),
for tests and for checking the register's own export against; and the design matrix of the
planted risk model on the export's columns.

The rows are made by the register's one export function, so columns, ages, agency status and
outcomes are the register's; the keys are the raw record ids (the register's export
pseudonymises them).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from register.export import COLUMN_NAMES, COLUMNS, export_row
from register.model import MODEL

from . import params
from .records import CommuneRecords

PERSON_FIELDS = tuple(f.name for f in MODEL.table("persons").fields)
RETURN_FIELDS = tuple(f.name for f in MODEL.table("returns").fields if f.name != "journey_id")


def reference_export(records: Iterable[CommuneRecords], latent: bool = False) -> pd.DataFrame:
    """One row per journey, built by the register's own export (``register.export.export_row``)
    from the generated records, with their raw ids as keys.

    With ``latent=True`` adds the planted truth per journey: ``p_fl``, ``fl_true``, ``p_tr``,
    ``tr_true`` (NaN for copies of people registered twice).
    """
    rows: list[dict] = []
    lat: list[pd.DataFrame] = []
    agencies: dict[str, dict] = {}
    for r in records:
        agencies.update({a["id"]: a for a in r.agencies})
        returns = {x["journey_id"]: x for x in r.returns}
        referred = {x["person_id"] for x in r.referrals}
        persons: dict[str, dict] = {}
        for d in r.departures:
            # a later journey of a person may omit the person fields: the first one holds them
            person = persons.setdefault(d["person_id"], d)
            agency = agencies.get(d["agency_id"]) or {}
            ret = returns.get(d["journey_id"]) or {}
            joined = {**{k: v for k, v in d.items() if k not in PERSON_FIELDS},
                      **{k: person.get(k) for k in PERSON_FIELDS},
                      "licence_status": agency.get("licence_status"),
                      "licence_expiry": agency.get("licence_expiry"),
                      **{k: ret.get(k) for k in RETURN_FIELDS},
                      "return_id": ret.get("id"), "referred": d["person_id"] in referred}
            rows.append(export_row(joined, _raw_id, r.commune))
        if latent:
            lat.append(pd.DataFrame({
                "journey_id": r.latent["journey_id"], "p_fl": r.latent["p_fl"],
                "fl_true": r.latent["fl"].astype(int), "p_tr": r.latent["p_tr"],
                "tr_true": r.latent["tr"].astype(int)}))
    out = pd.DataFrame.from_records(rows, columns=list(COLUMN_NAMES))
    for column in COLUMNS:
        if column.type == "int":
            out[column.name] = pd.array(out[column.name], dtype="Int64")
        elif column.type == "float":
            out[column.name] = pd.to_numeric(out[column.name]).astype(float)
    if latent:
        out = out.merge(pd.concat(lat, ignore_index=True).rename(columns={"journey_id": "journey_key"}),
                        on="journey_key", how="left")
    return out


def _raw_id(kind: str, record_id: str) -> str:
    return record_id


def risk_design(df: pd.DataFrame) -> pd.DataFrame:
    """Covariates of the planted risk model, one column per planted odds ratio (same names as
    ``truth['risk_model']['odds_ratios']``), from export columns; NaN where an input is missing."""
    def flag(mask: pd.Series, known: pd.Series) -> pd.Series:
        return mask.astype(float).where(known)

    x = pd.DataFrame(index=df.index)
    x["n_brokers"] = df["n_brokers"].astype(float)
    for level in ("mou", "broker", "family_friend", "own"):
        x[f"channel[{level}]"] = (df["channel"] == level).astype(float)
    x["agency_irregular"] = df["agency_status"].isin(params.IRREGULAR_AGENCY_STATUSES).astype(float)
    for code in ("MY", "KR", "JP", "CN"):
        x[f"destination_country[{code}]"] = (df["destination_country"] == code).astype(float)
    x["destination_country[gulf]"] = df["destination_country"].isin(params.GULF).astype(float)
    for level in ("fishing", "domestic_work", "entertainment", "construction"):
        x[f"sector[{level}]"] = flag(df["sector"] == level, df["sector"].notna())
    x["female"] = (df["sex"] == "F").astype(float)
    x["minor"] = flag(df["age_at_departure"] < 18, df["age_at_departure"].notna())
    x["debt"] = flag(df["debt_usd"] > 0, df["debt_usd"].notna())
    x["no_passport"] = flag(df["has_passport"] == 0, df["has_passport"].notna())
    x["departure_year"] = df["departure_year"].astype(float) - 2015
    return x[list(params.ODDS_RATIOS)]
