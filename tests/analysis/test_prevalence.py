"""Prevalence by area: closed forms, planted truth, exclusions, small-area shrinkage, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from statsmodels.stats.proportion import proportion_confint

from analysis._validation import (
    IdentifyingDataError,
    InvalidParameterError,
    MissingColumnsError,
)
from analysis.prevalence import (
    cluster_counts,
    estimate_icc,
    estimate_prevalence,
    wilson_interval,
)
from analysis.smallarea import beta_binomial_moments, small_area_prevalence

GH_X, GH_W = np.polynomial.hermite_e.hermegauss(40)
GH_W = GH_W / GH_W.sum()
SMALL = (2, 11, 19)  # provinces planted with 2 communes of ~3 returns each


def simulate(seed: int, *, sd_commune: float = 0.3, mean_m: float = 8, n_prov: int = 25,
             mu: float = -2.0, sd_province: float = 0.5) -> tuple[pd.DataFrame, pd.Series]:
    """Export-shaped rows with known province prevalences and a random commune effect.

    Truth per province is E_v[expit(mu + u_p + v)], v ~ N(0, sd_commune), by quadrature.
    """
    rng = np.random.default_rng(seed)
    eta = mu + rng.normal(0, sd_province, size=n_prov)
    codes = np.array([f"{p + 1:02d}" for p in range(n_prov)])
    truth = pd.Series((GH_W * expit(eta[:, None] + sd_commune * GH_X)).sum(1), index=codes)
    k = np.where(np.isin(np.arange(n_prov), SMALL), 2, rng.integers(5, 60, size=n_prov))
    prov = np.repeat(np.arange(n_prov), k)
    sizes = rng.poisson(np.where(np.isin(prov, SMALL), 3, mean_m))
    eta_c = eta[prov] + rng.normal(0, sd_commune, size=len(sizes))
    commune = np.repeat(np.arange(len(sizes)), sizes)
    y = rng.random(len(commune)) < expit(eta_c[commune])
    p = prov[commune]
    df = pd.DataFrame({
        "province_code": codes[p],
        "district_code": np.char.add(codes[p], np.char.zfill((commune % 3).astype(str), 2)),
        "commune_code": np.char.add(codes[p], np.char.zfill(commune.astype(str), 4)),
        "returned": 1,
        "forced_labour": pd.array(y.astype(int), dtype="Int64"),
        "trafficking": pd.array((y & (rng.random(len(y)) < 0.5)).astype(int), dtype="Int64"),
    })
    return df, truth


def test_wilson_matches_statsmodels_closed_form():
    counts = np.array([0, 1, 7, 50, 99, 100])
    lo, hi = wilson_interval(counts / 100, np.full(6, 100.0), 0.05)
    ref_lo, ref_hi = proportion_confint(counts, 100, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-12)


def test_icc_is_zero_without_clustering_and_matches_the_planted_one():
    df, _ = simulate(1, sd_commune=0.0, mean_m=20)
    icc0 = estimate_icc(cluster_counts(df, "province_code", "forced_labour", "commune_code"))
    assert icc0 < 0.01
    df, _ = simulate(2, sd_commune=0.8, mean_m=20, sd_province=0.0)
    # planted probability-scale ICC = var(p_c) / (p(1-p)), p_c = expit(mu + v)
    pc = expit(-2.0 + 0.8 * GH_X)
    p = np.sum(GH_W * pc)
    planted = np.sum(GH_W * (pc - p) ** 2) / (p * (1 - p))
    icc = estimate_icc(cluster_counts(df, "province_code", "forced_labour", "commune_code"))
    assert icc == pytest.approx(planted, abs=0.015)  # planted ~0.085


def test_prevalence_recovers_planted_truth_within_intervals():
    df, truth = simulate(3, sd_commune=0.8)
    res = estimate_prevalence(df)
    t = res.to_frame()
    truth = truth.reindex(t.index)
    covered = (t["lower"] <= truth) & (truth <= t["upper"])
    assert covered.sum() >= 22  # 25 provinces at 95%: P(more than 3 misses) < 0.01
    big = t["n"] >= 100
    z = (t["estimate"] - truth)[big] / np.sqrt(truth * (1 - truth) / t["n_eff"])[big]
    assert np.abs(z).max() < 3.5
    nat = float((truth * t["n"]).sum() / t["n"].sum())
    assert res.overall[1] <= nat <= res.overall[2]
    assert res.icc > 0.03 and (t["deff"] >= 1).all()
    assert t.loc["03", "n_clusters"] == df[df.province_code == "03"].commune_code.nunique()


def test_naive_wilson_is_narrower_and_design_method_runs():
    df, _ = simulate(4, sd_commune=0.8, mean_m=20)
    deff = estimate_prevalence(df).to_frame()
    naive = estimate_prevalence(df, method="wilson").to_frame()
    design = estimate_prevalence(df, method="design").to_frame()
    width = lambda t: (t["upper"] - t["lower"]).to_numpy()  # noqa: E731
    assert (width(naive) <= width(deff) + 1e-12).all()
    assert np.median(width(deff) / width(naive)) > 1.2
    assert np.isfinite(design[["lower", "upper"]].to_numpy()).all()
    pd.testing.assert_series_equal(design["estimate"], deff["estimate"])


def test_exclusions_are_counted_and_reported():
    df, _ = simulate(5)
    extra = df.iloc[:40].copy()
    extra["returned"] = 0
    extra["forced_labour"] = pd.NA
    df = pd.concat([df, extra], ignore_index=True)
    df.loc[df.index[:17], "forced_labour"] = pd.NA  # returned but indicators not asked
    df.loc[df.index[20:23], "province_code"] = None
    with pytest.raises(MissingColumnsError, match="missing='complete_case'"):
        estimate_prevalence(df)  # imputation needs the indicator columns
    res = estimate_prevalence(df, missing="complete_case")
    assert res.n_outcome_missing == 17
    assert res.n_area_missing == 3
    assert res.n_returned == len(df) - 40
    assert res.to_frame()["n"].sum() == len(df) - 40 - 17 - 3
    text = res.summary()
    assert "complete cases only (17 returned journeys without the outcome" in text
    assert "biased upward" in text
    assert "excluded: 40 journeys with no recorded return" in text


def test_publishable_flag_and_published_table():
    df, _ = simulate(6)
    res = estimate_prevalence(df, by="province_code")
    t = res.to_frame()
    rule_fails = (t["n"] < 5) | t["cases"].between(1, 4) | (t["n"] - t["cases"] < 5)
    assert rule_fails.any()
    assert not t.loc[rule_fails, "publishable"].any()
    assert (~t["publishable"]).sum() >= 2  # never a lone hidden area (complementary rule)
    pub = res.published()
    hidden = ~t["publishable"]
    assert pub.loc[hidden, ["n", "cases", "estimate", "lower", "upper"]].isna().all().all()
    assert pub.loc[~hidden, "estimate"].notna().all()


def test_district_level_and_trafficking_outcome():
    df, _ = simulate(7)
    res = estimate_prevalence(df, by="district_code", outcome="trafficking")
    t = res.to_frame()
    assert t.index.name == "district_code" and len(t) == df["district_code"].nunique()
    assert t["cases"].sum() == df["trafficking"].sum()


def test_input_errors_are_named():
    df, _ = simulate(8)
    with pytest.raises(MissingColumnsError, match="commune_code"):
        estimate_prevalence(df.drop(columns="commune_code"))
    with pytest.raises(InvalidParameterError, match="alpha"):
        estimate_prevalence(df, alpha=0.7)
    with pytest.raises(InvalidParameterError, match="method"):
        estimate_prevalence(df, method="normal")
    with pytest.raises(InvalidParameterError, match="outcome"):
        estimate_prevalence(df, outcome="exploited")
    with pytest.raises(IdentifyingDataError, match="national_id"):
        estimate_prevalence(df.assign(national_id="x"))
    with pytest.raises(TypeError):
        estimate_prevalence(df.to_numpy())


def test_beta_binomial_moments_recover_planted_rho():
    rng = np.random.default_rng(9)
    a, b = 3.0, 17.0  # mean 0.15, rho = 1/21
    n = rng.integers(20, 300, size=2000).astype(float)
    y = rng.binomial(n.astype(int), rng.beta(a, b, size=n.size)).astype(float)
    mean, rho = beta_binomial_moments(y, n)
    assert mean == pytest.approx(0.15, abs=0.005)
    assert rho == pytest.approx(1 / 21, rel=0.1)


def test_small_area_shrinks_small_provinces_and_lowers_error():
    err_direct, err_eb = [], []
    for seed in range(10, 15):
        df, truth = simulate(seed)
        res = small_area_prevalence(df, method="beta_binomial")
        t = res.to_frame()
        truth = truth.reindex(t.index)
        prior = res.hyper["prior_mean"]
        small = [f"{p + 1:02d}" for p in SMALL]
        assert (t.loc[small, "weight"] < t["weight"].median()).all()
        moved = (t["estimate"] - prior).abs() <= (t["direct"] - prior).abs() + 1e-12
        assert moved.all()
        err_direct.append(((t["direct"] - truth) ** 2).mean())
        err_eb.append(((t["estimate"] - truth) ** 2).mean())
        inside = (t["lower"] <= truth) & (truth <= t["upper"])
        assert inside.sum() >= 21
    assert np.mean(err_eb) < 0.8 * np.mean(err_direct)
    hidden = ~t["publishable"]
    assert res.published().loc[hidden, ["estimate", "lower", "upper"]].isna().all().all()
    assert repr(res).startswith("<SmallAreaResult: Small-area prevalence")


def test_glmm_recovers_variance_components_and_prevalence():
    df, truth = simulate(16, sd_commune=0.8, mean_m=12)
    res = small_area_prevalence(df, method="glmm")
    t = res.to_frame()
    truth = truth.reindex(t.index)
    assert ((t["lower"] <= truth) & (truth <= t["upper"])).sum() >= 21
    assert res.hyper["sd_cluster"] == pytest.approx(0.8, abs=0.2)
    assert res.hyper["sd_area"] == pytest.approx(0.5, abs=0.25)
    assert res.hyper["intercept"] == pytest.approx(-2.0, abs=3 * res.hyper["se_intercept"])
    eb = small_area_prevalence(df, method="beta_binomial").to_frame()
    assert np.corrcoef(t["estimate"], eb["estimate"])[0, 1] > 0.9
    assert "glmm" in res.summary()


def _coverage(method_fn, reps: int, sd_commune: float, mean_m: float) -> float:
    hits = []
    for r in range(reps):
        df, truth = simulate(1000 + r, sd_commune=sd_commune, mean_m=mean_m)
        t = method_fn(df)
        truth = truth.reindex(t.index)  # a tiny province may have no return at all
        hits.append(((t["lower"] <= truth) & (truth <= t["upper"])).to_numpy())
    return float(np.concatenate(hits).mean())


@pytest.mark.slow
def test_interval_coverage_simulation():
    """Quick version of bench/sim_coverage.py (80 replicates x 25 provinces; GLMM 30)."""
    reps, sd_c, m = 80, 0.8, 20
    cov_deff = _coverage(lambda d: estimate_prevalence(d).table, reps, sd_c, m)
    cov_naive = _coverage(lambda d: estimate_prevalence(d, method="wilson").table, reps, sd_c, m)
    cov_eb = _coverage(lambda d: small_area_prevalence(d).table, reps, sd_c, m)
    cov_glmm = _coverage(lambda d: small_area_prevalence(d, method="glmm").table, 30, sd_c, m)
    # Monte Carlo SE of a coverage near 0.95 over 2,000 intervals is ~0.005
    assert 0.93 <= cov_deff <= 0.975
    assert 0.92 <= cov_eb <= 0.975
    assert cov_naive < 0.88 < cov_deff
    assert 0.9 <= cov_glmm <= 0.99  # 750 intervals: MC SE ~0.008
