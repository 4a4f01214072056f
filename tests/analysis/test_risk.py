"""Risk-factor model: planted odds ratios recovered, clustered SEs, missing data, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from analysis._validation import InvalidParameterError, MissingColumnsError, ModelFitError
from analysis.risk import fit_risk_model

# Planted conditional odds ratios (calibration.md Part A5 proposal) and the attenuation factor of
# a marginal (population-averaged) logit with random effects of total variance s2:
# 1 / sqrt(1 + c^2 s2), c^2 = (16 sqrt(3) / (15 pi))^2 ~ 0.346 (Zeger, Liang & Albert 1988).
PLANTED = {"channel[broker]": 2.5, "n_brokers": 1.4, "sector[fishing]": 3.0, "has_debt": 1.8,
           "sex[F]": 0.8}
C2 = (16 * np.sqrt(3) / (15 * np.pi)) ** 2


def simulate(seed: int, n: int = 20000, sd_prov: float = 0.3, sd_comm: float = 0.3,
             n_comm: int = 400) -> pd.DataFrame:
    """Export-shaped rows with planted conditional ORs and province + commune random effects.

    ``has_work_permit`` is drawn per commune (a commune-level covariate) so that clustering
    matters for its standard error.
    """
    rng = np.random.default_rng(seed)
    comm = rng.integers(0, n_comm, n)
    prov = comm % 20
    u, v = rng.normal(0, sd_prov, 20), rng.normal(0, sd_comm, n_comm)
    channel = rng.choice(["licensed_agency", "mou", "broker", "family_friend", "own"], n,
                         p=[0.25, 0.1, 0.4, 0.15, 0.1])
    n_brokers = np.where(channel == "broker", rng.integers(1, 4, n), 0)
    sector = rng.choice(["agriculture", "construction", "fishing", "manufacturing",
                         "domestic_work"], n, p=[0.32, 0.28, 0.1, 0.2, 0.1])
    sex = np.where(rng.random(n) < 0.4, "F", "M")
    debt = np.where(rng.random(n) < 0.5, rng.lognormal(5, 1, n), 0.0)
    age = np.clip(rng.normal(29, 8, n).round(), 15, 60).astype(int)
    band = pd.cut(age, [0, 17, 24, 34, 44, 200],
                  labels=["<18", "18-24", "25-34", "35-44", "45+"]).astype(str)
    permit = (rng.random(n_comm) < 0.5).astype(int)[comm]
    eta = (-2.2 + np.log(2.5) * (channel == "broker") + np.log(1.4) * n_brokers
           + np.log(3.0) * (sector == "fishing") + np.log(1.8) * (debt > 0)
           + np.log(0.8) * (sex == "F") + u[prov] + v[comm])
    y = (rng.random(n) < expit(eta)).astype(int)
    agency = np.isin(channel, ["licensed_agency", "mou"])
    status = np.where(agency, np.where(rng.random(n) < 0.9, "licensed", "expired"), "none")
    return pd.DataFrame({
        "province_code": [f"{p + 1:02d}" for p in prov],
        "commune_code": [f"{p + 1:02d}{c:04d}" for p, c in zip(prov, comm, strict=True)],
        "returned": 1, "forced_labour": pd.array(y, dtype="Int64"),
        "channel": channel, "agency_status": status,
        "n_brokers": pd.array(n_brokers, dtype="Int64"),
        "destination_country": rng.choice(["TH", "MY", "KR"], n, p=[0.8, 0.1, 0.1]),
        "sector": sector, "sex": sex, "age_at_departure": pd.array(age, dtype="Int64"),
        "age_band": band, "debt_usd": debt,
        "has_passport": pd.array(rng.integers(0, 2, n), dtype="Int64"),
        "has_work_permit": pd.array(permit, dtype="Int64"),
    })


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return simulate(11)


def test_planted_odds_ratios_recovered(planted):
    res = fit_risk_model(planted, references={"sector": "agriculture"})
    t = res.to_frame()
    atten = 1 / np.sqrt(1 + C2 * (0.3**2 + 0.3**2))
    for term, odds in PLANTED.items():
        marginal = np.exp(np.log(odds) * atten)
        assert t.loc[term, "lower"] <= marginal <= t.loc[term, "upper"], term
        assert abs(np.log(t.loc[term, "odds_ratio"]) - np.log(marginal)) < 0.15, term
    for term in ("has_passport", "destination_country[MY]", "age_band[35-44]",
                 "unlicensed_agency"):  # no planted effect
        assert 0.75 < t.loc[term, "odds_ratio"] < 1.33, term
    assert res.n_used == len(planted) and res.n_events == int(planted["forced_labour"].sum())
    assert res.n_clusters == planted["commune_code"].nunique()


def test_commune_clustering_widens_commune_level_covariate():
    df = simulate(12, n=8000, sd_prov=0.0, sd_comm=0.9, n_comm=150)
    t = fit_risk_model(df, covariates=("channel", "has_work_permit")).to_frame()
    assert t.loc["has_work_permit", "se"] > 1.3 * t.loc["has_work_permit", "se_naive"]
    assert t.loc["Intercept", "se"] > t.loc["Intercept", "se_naive"]


def test_complete_case_and_missing_indicator(planted):
    df = planted.copy()
    rng = np.random.default_rng(13)
    gone = rng.random(len(df)) < 0.1
    df.loc[gone, "debt_usd"] = np.nan
    df.loc[df.index[:7], "sector"] = None
    df.loc[df.index[-5:], "forced_labour"] = pd.NA
    cc = fit_risk_model(df)
    lost = gone | df["sector"].isna().to_numpy()
    lost = lost[df["forced_labour"].notna().to_numpy()]
    assert cc.n_dropped_missing == int(lost.sum())
    assert cc.n_used == int((~lost).sum())
    assert cc.n_outcome_missing == 5
    assert cc.missing_by_covariate["has_debt"] == int(gone[:-5].sum())
    ind = fit_risk_model(df, missing="indicator")
    t = ind.to_frame()
    assert "has_debt_missing" in t.index
    # debt NAs kept via the indicator; the 7 sector NAs form a '(missing)' level too rare to
    # estimate (< min_level_count), so those rows are still dropped, and the notes say so
    assert ind.n_used == len(df) - 5 - 7
    assert "sector" in " ".join(ind.notes)
    np.testing.assert_allclose(t.loc["has_debt", "odds_ratio"],
                               cc.to_frame().loc["has_debt", "odds_ratio"], rtol=0.1)


def test_rare_levels_pooled_and_aliased_columns_dropped(planted):
    df = planted.copy()
    df.loc[df.index[:3], "sex"] = "X"
    df["has_visa"] = df["has_passport"]
    res = fit_risk_model(df, covariates=("sex", "has_passport", "has_visa", "channel"))
    notes = " ".join(res.notes)
    assert "'(rare)'" in notes and "has_visa" in notes
    assert res.n_dropped_missing == 3
    assert "has_visa" not in res.to_frame().index
    assert "odds ratios with 95% CI" in res.summary()


def test_unlicensed_agency_derivation():
    df = simulate(14, n=3000)
    df.loc[df.index[:50], "agency_status"] = "unknown"
    res = fit_risk_model(df, covariates=("unlicensed_agency",))
    assert res.missing_by_covariate["unlicensed_agency"] == 50


def test_separation_and_input_errors(planted):
    df = planted.copy()
    df["has_passport"] = df["forced_labour"]  # perfectly predicts the outcome
    with pytest.raises(ModelFitError, match="separation|fitted"):
        fit_risk_model(df, covariates=("has_passport",))
    with pytest.raises(InvalidParameterError, match="unknown covariate"):
        fit_risk_model(planted, covariates=("income",))
    with pytest.raises(MissingColumnsError, match="has_visa"):
        fit_risk_model(planted, covariates=("has_visa",))
    with pytest.raises(InvalidParameterError, match="missing"):
        fit_risk_model(planted, missing="multiple")
    with pytest.raises(MissingColumnsError, match="ind_deception"):
        fit_risk_model(planted, missing="impute")  # imputation needs the indicator columns
