"""A small researcher-export-shaped frame with planted forced labour, indicators that agree with
it, and indicators missing as the synthetic generator plants them (module not asked at random,
single items left blank at random) — built in memory, in a second, for the imputation tests.

Forced labour is drawn from a logistic model with province and commune effects; the eleven
indicators are then drawn so that the project's rule gives it back exactly when all are
recorded (a forced-labour journey has at least one involuntariness and one coercion indicator,
any other journey never both), as in ``synthetic.exploitation``. The recorded outcomes
are derived with the project's own rule (``register.definitions``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from analysis._rules import default_derive
from register.vocabulary import COERCION, ILO_INDICATORS, INVOLUNTARINESS

INV = [n for n, d in ILO_INDICATORS.items() if d == INVOLUNTARINESS]
COER = [n for n, d in ILO_INDICATORS.items() if d == COERCION]
BETA = {"intercept": -2.2, "broker": 0.9, "fishing": 1.1, "debt": 0.6, "female": -0.2,
        "year": -0.08}


def _at_least_one(rng: np.random.Generator, block: np.ndarray, rows: np.ndarray) -> None:
    empty = rows[~block[rows].any(axis=1)]
    block[empty, rng.integers(0, block.shape[1], len(empty))] = 1


def planted_export(seed: int, n: int = 8000, *, n_prov: int = 6, asked: float = 0.6,
                   item_missing: float = 0.01, sd_province: float = 0.4,
                   sd_commune: float = 0.3) -> tuple[pd.DataFrame, dict]:
    """(export frame, truth): truth has 'expected' (mean model probability) and 'realised'
    (latent share) overall and per province, for the returned journeys."""
    rng = np.random.default_rng(seed)
    communes = np.array([f"{p + 1:02d}{d + 1:02d}{c + 1:02d}" for p in range(n_prov)
                         for d in range(3) for c in range(8)])
    commune = communes[rng.integers(0, len(communes), n)]
    prov_idx = np.array([int(c[:2]) - 1 for c in commune])
    u = rng.normal(0, sd_province, n_prov)
    v = dict(zip(communes, rng.normal(0, sd_commune, len(communes)), strict=True))
    channel = rng.choice(["licensed_agency", "broker", "own"], n, p=[0.4, 0.4, 0.2])
    sector = rng.choice(["agriculture", "construction", "fishing"], n, p=[0.45, 0.4, 0.15])
    sex = np.where(rng.random(n) < 0.4, "F", "M")
    debt = np.where(rng.random(n) < 0.5, rng.lognormal(5, 1, n), 0.0)
    year = rng.integers(2015, 2024, n)
    age = np.clip(rng.normal(29, 8, n).round(), 15, 60).astype(int)
    eta = (BETA["intercept"] + BETA["broker"] * (channel == "broker")
           + BETA["fishing"] * (sector == "fishing") + BETA["debt"] * (debt > 0)
           + BETA["female"] * (sex == "F") + BETA["year"] * (year - 2015)
           + u[prov_idx] + np.array([v[c] for c in commune]))
    p = expit(eta)
    fl = rng.random(n) < p
    inv = (rng.random((n, len(INV))) < 0.35).astype(np.int8)
    coer = (rng.random((n, len(COER))) < 0.25).astype(np.int8)
    pos = np.flatnonzero(fl)
    _at_least_one(rng, inv, pos)
    _at_least_one(rng, coer, pos)
    neg = np.flatnonzero(~fl)
    pattern = rng.choice(3, len(neg), p=[0.5, 0.25, 0.25])  # clean, involuntary only, coerced only
    inv[neg[pattern != 1]] = 0
    coer[neg[pattern != 2]] = 0
    _at_least_one(rng, inv, neg[pattern == 1])
    _at_least_one(rng, coer, neg[pattern == 2])
    ind = np.column_stack([inv, coer])
    was_asked = rng.random(n) < asked
    blank = rng.random(ind.shape) < item_missing
    recorded = np.where(was_asked[:, None] & ~blank, ind, -1)
    person = np.array([f"p{i}" for i in rng.integers(0, int(n * 0.8), n)])
    dep = pd.to_datetime("2015-01-01") + pd.to_timedelta(
        (year - 2015) * 365 + rng.integers(0, 365, n), unit="D")
    df = pd.DataFrame({
        "journey_key": [f"j{i}" for i in range(n)], "person_key": person,
        "register_commune": commune, "province_code": [c[:2] for c in commune],
        "district_code": [c[:4] for c in commune], "commune_code": commune, "sex": sex,
        "age_at_departure": age, "age_band": pd.cut(age, [0, 17, 24, 34, 44, 200],
                                                    labels=["<18", "18-24", "25-34", "35-44",
                                                            "45+"]).astype(str),
        "departure_date": dep.strftime("%Y-%m-%d"), "departure_year": year,
        "destination_country": "TH", "sector": sector, "channel": channel,
        "agency_status": np.where(channel == "licensed_agency", "licensed", "none"),
        "n_brokers": np.where(channel == "broker", 1, 0), "has_passport": 1,
        "has_work_permit": 0, "debt_usd": np.where(rng.random(n) < 0.2, np.nan, debt),
        "returned": 1, "return_date": (dep + pd.to_timedelta(300, unit="D")).strftime("%Y-%m-%d"),
    })
    for j, name in enumerate(INV + COER):
        df[name] = pd.array(np.where(recorded[:, j] < 0, pd.NA, recorded[:, j]), dtype="Int64")
    df["exploitation_type"] = pd.array(np.where(was_asked, np.where(fl, "labour", "none"), None),
                                       dtype="string")
    derived = default_derive()(df)
    df["forced_labour"], df["trafficking"] = derived["forced_labour"], derived["trafficking"]
    prov = pd.Series(p).groupby(df["province_code"].to_numpy())
    truth = {"expected": float(p.mean()), "realised": float(fl.mean()),
             "by_province": prov.mean().to_dict(), "latent": fl}
    return df, truth
