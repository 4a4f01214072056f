"""Loading the researcher export: the only data the analysis side ever reads.

``load_export`` accepts a register file (the export is computed from it, never the identifying
tables), an export CSV or SQLite file written by ``register export``, or a cached Parquet file.
Columns get their proper pandas types (nullable integers for 0/1/NA fields).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from register.export import COLUMNS
from register.fields import ILO_INDICATORS

INT_COLUMNS = ("birth_year", "age_at_departure", "departure_year", "n_brokers", "has_passport",
               "has_visa", "has_work_permit", "has_border_pass", "contract_seen", "returned",
               "return_year", *ILO_INDICATORS, "forced_labour", "trafficking", "referred")
FLOAT_COLUMNS = ("fee_usd", "debt_usd")
TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in INT_COLUMNS + FLOAT_COLUMNS)


class ExportError(ValueError):
    """The file is not a register or a researcher export."""


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ExportError(f"not a researcher export: missing columns {', '.join(missing)}")
    frame = frame.loc[:, list(COLUMNS)].copy()
    for column in INT_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column in FLOAT_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in TEXT_COLUMNS:
        values = frame[column].astype("string")
        frame[column] = values.str.lstrip("'") if column in ("channel", "sector") else values
    return frame


def load_export(path: str | Path) -> pd.DataFrame:
    """The researcher export as a typed DataFrame (one row per journey)."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"no file {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _typed(pd.read_parquet(path))
    if suffix == ".csv":
        return _typed(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "register_meta" in tables:
        return from_register(path)
    if "journeys" in tables:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return _typed(pd.read_sql_query("SELECT * FROM journeys", conn))
    raise ExportError(f"{path} is neither a register nor a researcher export")


def data_hash(frame: pd.DataFrame) -> str:
    """A hash of the export's content (row order does not matter)."""
    ordered = frame.sort_values("journey_key", kind="stable").reset_index(drop=True)
    rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    digest = hashlib.sha256(rows.tobytes())
    digest.update(",".join(ordered.columns).encode())
    return digest.hexdigest()


def _kleene_any(frame: pd.DataFrame) -> pd.Series:
    """Three-valued OR across columns (1 if any is 1, 0 if all are 0, else NA)."""
    result = pd.Series(False, index=frame.index, dtype="boolean")
    for column in frame:
        result = result | frame[column].astype("boolean")
    return result


def derive_outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    """forced_labour and trafficking, vectorised, with the rules of ``register.definitions``."""
    from register.fields import COERCION, INVOLUNTARINESS

    inv = _kleene_any(frame[[n for n, d in ILO_INDICATORS.items() if d == INVOLUNTARINESS]])
    coe = _kleene_any(frame[[n for n, d in ILO_INDICATORS.items() if d == COERCION]])
    forced = inv & coe
    kind = frame["exploitation_type"]
    other = kind.isin(["sexual", "forced_marriage"]).astype("boolean").mask(kind.isna())
    exploited = forced | other
    means = (frame["ind_deception"].astype("boolean")
             | frame["ind_abuse_of_vulnerability"].astype("boolean"))
    trafficked = exploited & means
    returned = frame["returned"] == 1
    out = pd.DataFrame(index=frame.index)
    out["forced_labour"] = forced.astype("Int64").where(returned, pd.NA)
    out["trafficking"] = trafficked.astype("Int64").where(returned, pd.NA)
    return out


def from_register(path: str | Path) -> pd.DataFrame:
    """The researcher export computed from a register file, vectorised (fast at national scale).

    Same rows and values as ``register export`` (a test checks it), never touching the
    identifying tables.
    """
    import numpy as np

    import register
    from register.definitions import agency_status_at
    from register.export import _QUERY, _links, age_band, keyed, pseudonym_key

    with register.open_register(path, upgrade=False) as reg:
        key = pseudonym_key(reg)
        raw = pd.read_sql_query(_QUERY, reg.conn)
        communes = dict(reg.conn.execute("SELECT register_id, commune_code FROM merged_sources"))
        communes.setdefault(reg.register_id, reg.commune_code or "")
        clusters, duplicates = _links(reg.conn)
    raw = raw[~raw["journey_id"].isin(duplicates)].reset_index(drop=True)
    out = pd.DataFrame(index=raw.index)
    out["journey_key"] = [keyed(key, "journey:" + j) for j in raw["journey_id"]]
    out["person_key"] = [keyed(key, "person:" + clusters.get(p, p)) for p in raw["person_id"]]
    out["register_commune"] = raw["source_register"].map(communes).fillna("")
    village = raw["home_village"].astype("string")
    out["province_code"] = village.str[:2]
    out["district_code"] = village.str[:4]
    out["commune_code"] = village.str[:6]
    out["sex"] = raw["sex"]
    out["birth_year"] = raw["birth_year"]
    dep = pd.to_datetime(raw["departure_date"])
    born = pd.to_datetime(raw["birth_date"], errors="coerce")
    exact = (dep.dt.year - born.dt.year
             - ((dep.dt.month * 100 + dep.dt.day) < (born.dt.month * 100 + born.dt.day)))
    age = exact.where(born.notna(), dep.dt.year - pd.to_numeric(raw["birth_year"]))
    age = age.where(age >= 0)  # a birth after the departure (edited outside the program)
    out["age_at_departure"] = age.astype("Int64")
    out["age_band"] = [age_band(None if pd.isna(a) else int(a)) for a in age]
    out["departure_date"] = raw["departure_date"]
    out["departure_year"] = dep.dt.year
    for column in ("destination_country", "sector", "channel"):
        out[column] = raw[column]
    status = [agency_status_at(s, e, d) for s, e, d in
              zip(raw["licence_status"].astype(object).where(raw["licence_status"].notna(), None),
                  raw["licence_expiry"].astype(object).where(raw["licence_expiry"].notna(), None),
                  raw["departure_date"], strict=True)]
    out["agency_status"] = np.where(raw["agency_id"].isna(), "none", status)
    for column in ("n_brokers", "has_passport", "has_visa", "has_work_permit", "has_border_pass",
                   "contract_seen", "fee_usd", "debt_usd"):
        out[column] = raw[column]
    out["returned"] = raw["return_id"].notna().astype(int)
    out["return_date"] = raw["return_date"]
    out["return_year"] = pd.to_numeric(raw["return_date"].str[:4], errors="coerce")
    out["return_mode"] = raw["return_mode"]
    for column in ILO_INDICATORS:
        out[column] = raw[column]
    out["exploitation_type"] = raw["exploitation_type"]
    typed = _typed(out.assign(forced_labour=pd.NA, trafficking=pd.NA, referred=raw["referred"]))
    derived = derive_outcomes(typed)
    typed["forced_labour"] = derived["forced_labour"]
    typed["trafficking"] = derived["trafficking"]
    return typed


def load_selection(path: str | Path, province: str | None = None,
                   period: Sequence[int] | None = None) -> pd.DataFrame:
    """The export restricted to one province (2-digit code) and/or departure years [first, last]:
    what every notebook's ``province`` and ``period`` parameters mean."""
    frame = load_export(path)
    if province:
        frame = frame[frame["province_code"] == province]
    if period:
        first, last = period
        frame = frame[frame["departure_year"].between(first, last)]
    return frame.reset_index(drop=True)
