"""A reference researcher export built straight from generated records (no register involved),
for tests and for checking the register's own export against; and the design matrix of the
planted risk model on the export's columns.

The keys are the raw record ids (the register's export pseudonymises them), and the derived
outcomes follow ``register.definitions``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import params
from ._util import NA
from .exploitation import INDICATORS, derive
from .national import agency_status_at
from .records import CommuneRecords

_KINDS = {None: NA, "none": 0, "labour": 1, "sexual": 2, "forced_marriage": 3, "other": 4}
AGE_BANDS = ("<18", "18-24", "25-34", "35-44", "45+")
DEPARTURE_COLUMNS = ("sex", "destination_country", "sector", "channel", "n_brokers",
                     "has_passport", "has_visa", "has_work_permit", "has_border_pass",
                     "contract_seen", "fee_usd", "debt_usd", "departure_date")


def _age(birth_date: pd.Series, birth_year: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years on ``on``, from the birth date when known, else the birth year (as the
    register does)."""
    bd = pd.to_datetime(birth_date)
    day = pd.to_datetime(on)
    exact = day.dt.year - bd.dt.year - ((day.dt.month < bd.dt.month)
                                        | ((day.dt.month == bd.dt.month) & (day.dt.day < bd.dt.day)))
    rough = day.dt.year - birth_year
    return exact.where(bd.notna(), rough).astype("Int64")


def reference_export(records: Iterable[CommuneRecords], latent: bool = False) -> pd.DataFrame:
    """One row per journey, with the researcher-export columns of the team brief.

    With ``latent=True`` adds the planted truth per journey: ``p_fl``, ``fl_true``, ``p_tr``,
    ``tr_true`` (NaN for copies of people registered twice).
    """
    deps: list[dict] = []
    rets: list[dict] = []
    where: list[str] = []
    refs: set[str] = set()
    lat: list[pd.DataFrame] = []
    agencies: dict[str, dict] = {}
    for r in records:
        deps.extend(r.departures)
        where.extend([r.commune] * len(r.departures))
        rets.extend(r.returns)
        refs.update(x["journey_id"] for x in r.referrals)
        agencies.update({a["id"]: a for a in r.agencies})
        if latent:
            lat.append(pd.DataFrame({
                "journey_id": r.latent["journey_id"], "p_fl": r.latent["p_fl"],
                "fl_true": r.latent["fl"].astype(int), "p_tr": r.latent["p_tr"],
                "tr_true": r.latent["tr"].astype(int)}))
    dep = pd.DataFrame.from_records(deps)
    dep["register_commune"] = where
    ret = pd.DataFrame.from_records(rets, columns=["id", "journey_id", "return_date", "return_mode",
                                                   "job_done", *INDICATORS, "exploitation_type",
                                                   "recorded_date"])
    df = dep.merge(ret.drop(columns=["id", "recorded_date"]), on="journey_id", how="left")
    out = pd.DataFrame({
        "journey_key": df["journey_id"], "person_key": df["person_id"],
        "register_commune": df["register_commune"],
        "province_code": df["home_village"].str[:2], "district_code": df["home_village"].str[:4],
        "commune_code": df["home_village"].str[:6],
    })
    # a later journey of a person may omit the person fields: carry them from the first
    person = df.groupby("person_id")[["sex", "birth_date", "birth_year"]].transform("first")
    out["sex"] = person["sex"]
    out["birth_year"] = person["birth_year"].astype("Int64")
    out["age_at_departure"] = _age(person["birth_date"], person["birth_year"], df["departure_date"])
    out["age_band"] = pd.cut(out["age_at_departure"].astype(float), [-np.inf, 17, 24, 34, 44, np.inf],
                             labels=AGE_BANDS).astype(object)
    out["departure_date"] = df["departure_date"]
    out["departure_year"] = df["departure_date"].str[:4].astype(int).astype("Int64")
    for c in ("destination_country", "sector", "channel"):
        out[c] = df[c]
    out["agency_status"] = [agency_status_at(agencies[a], when) if isinstance(a, str) else "none"
                            for a, when in zip(df["agency_id"], df["departure_date"], strict=True)]
    for c in ("n_brokers", "has_passport", "has_visa", "has_work_permit", "has_border_pass",
              "contract_seen"):
        out[c] = pd.array(df[c], dtype="Int64")
    out["fee_usd"] = df["fee_usd"].astype(float)
    out["debt_usd"] = df["debt_usd"].astype(float)
    out["returned"] = df["return_date"].notna().astype(int)
    out["return_date"] = df["return_date"]
    out["return_year"] = pd.array(df["return_date"].str[:4].astype(float), dtype="Int64")
    out["return_mode"] = df["return_mode"]
    recorded = {}
    for c in INDICATORS:
        col = pd.array(df[c], dtype="Int64")
        out[c] = col
        recorded[c] = col.fillna(NA).to_numpy(dtype=np.int8)
    out["exploitation_type"] = df["exploitation_type"]
    kind = np.array([_KINDS[k if isinstance(k, str) else None] for k in df["exploitation_type"]],
                    dtype=np.int8)
    fl, tr = derive(recorded, kind)
    out["forced_labour"] = pd.array(np.where(fl == NA, None, fl), dtype="Int64")
    out["trafficking"] = pd.array(np.where(tr == NA, None, tr), dtype="Int64")
    out["referred"] = df["journey_id"].isin(refs).astype(int)
    if latent:
        out = out.merge(pd.concat(lat, ignore_index=True).rename(columns={"journey_id": "journey_key"}),
                        on="journey_key", how="left")
    return out


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
