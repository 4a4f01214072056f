"""The default interval (bootstrap, selection repeated) and the Monte Carlo diagnostics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from analysis.mse import bootstrap, estimate, load_published, stepwise
from analysis.mse.diagnostics import ess, mcse_quantile, rhat
from analysis.mse.robust import robust_bootstrap


def test_rhat_and_ess_of_independent_and_autocorrelated_chains():
    rng = np.random.default_rng(0)
    iid = rng.standard_normal((4, 2000))
    assert rhat(iid) < 1.01
    assert ess(iid) == pytest.approx(8000, rel=0.1)
    # AR(1) with phi = 0.5: ESS = n (1 - phi) / (1 + phi) = n / 3 (closed form)
    phi, x = 0.5, np.zeros((4, 4000))
    eps = rng.standard_normal((4, 4000))
    for t in range(1, 4000):
        x[:, t] = phi * x[:, t - 1] + eps[:, t]
    assert ess(x) == pytest.approx(16000 / 3, rel=0.15)
    shifted = iid + np.array([[0.0], [0.0], [0.0], [1.0]])
    assert rhat(shifted) > 1.1


def test_quantile_mcse_matches_the_asymptotic_formula():
    # sd of the sample q-quantile of n independent N(0,1): sqrt(q(1-q)/n) / phi(z_q)
    rng = np.random.default_rng(1)
    n, q = 20_000, 0.025
    expected = np.sqrt(q * (1 - q) / n) / norm.pdf(norm.ppf(q))
    values = [mcse_quantile(rng.standard_normal(n), q, independent=True) for _ in range(20)]
    assert np.mean(values) == pytest.approx(expected, rel=0.2)


def test_bca_limits_equal_the_single_bootstrap_on_the_same_replicates():
    # With SparseMSE's replicates (the observed people resampled) the BCa limits are SparseMSE's.
    table = load_published("NewOrl_5")
    fit = stepwise(table)[0]
    rob = robust_bootstrap(table, fit, n_boot=300, kind="nonparametric", rng=4, n_jobs=1)
    one = bootstrap(table, fit, n_boot=300, interval="bca", rng=4, n_jobs=1)
    assert rob.bca == pytest.approx((one.ci_low, one.ci_high), rel=1e-12)
    assert rob.percentile == pytest.approx(tuple(np.quantile(rob.estimates, [0.025, 0.975])))
    assert all(v > 0 for v in (*rob.percentile_mcse, *rob.bca_mcse))
    again = robust_bootstrap(table, fit, n_boot=300, kind="nonparametric", rng=4, n_jobs=2)
    np.testing.assert_array_equal(rob.estimates, again.estimates)


def test_population_replicates_vary_the_number_seen_as_real_samples_do():
    # Resampling the estimated population: the number seen in a replicate is Binomial(round(N),
    # n / N) (closed form mean and variance); resampling the observed people fixes it at n.
    from analysis.mse.intervals import draw_rows

    table = load_published("NewOrl_5")
    fit = stepwise(table)[0]
    gen = np.random.default_rng(0)
    seen = draw_rows(table, fit, "population", gen, 4000).sum(axis=1)
    total, n = round(fit.estimate), table.observed
    share = n / fit.estimate
    assert seen.mean() == pytest.approx(total * share, rel=0.005)
    assert seen.var() == pytest.approx(total * share * (1 - share), rel=0.1)
    assert (draw_rows(table, fit, "nonparametric", gen, 50).sum(axis=1) == n).all()
    rob = robust_bootstrap(table, fit, n_boot=300, rng=4, n_jobs=1)
    assert rob.kind == "population"
    wider = np.std(rob.estimates) > np.std(
        robust_bootstrap(table, fit, n_boot=300, kind="nonparametric", rng=4, n_jobs=1).estimates)
    assert wider


def test_bca_warns_when_its_tail_level_is_beyond_the_replicates():
    # Western: the adjusted lower level is about 7e-5 (issue 15), beyond 300 replicates.
    table = load_published("Western")
    fit = stepwise(table)[0]
    rob = robust_bootstrap(table, fit, n_boot=300, rng=2, n_jobs=1)
    assert rob.bca_levels[0] * 300 < 1
    assert any("BCa lower limit" in w and "most extreme" in w for w in rob.warnings)


def test_adaptive_replicates_stop_at_the_cap_and_say_so():
    table = load_published("NewOrl_5")
    fit = stepwise(table)[0]
    rob = robust_bootstrap(table, fit, mc_tol=1e-6, max_boot=500, rng=1, n_jobs=1)
    assert rob.n_boot == 500
    assert any("after 500 replicates" in w for w in rob.warnings)
    loose = robust_bootstrap(table, fit, mc_tol=0.5, rng=1, n_jobs=1)
    assert loose.n_boot == 2000  # the first batch already meets a loose target


def test_default_estimate_headlines_the_bootstrap_and_labels_the_profile():
    res = estimate(load_published("NewOrl_5"), n_boot=300, rng=3, n_jobs=1)
    assert res.ci_method == "bootstrap"
    assert (res.ci_low, res.ci_high) == res.robust.percentile
    names = [row["interval"] for row in res.intervals()]
    assert names == ["bootstrap percentile, model selection repeated",
                     "bootstrap BCa, model selection repeated",
                     "profile likelihood, conditional on the chosen model"]
    text = res.summary()
    assert "conditional on the chosen model" in text and "Monte Carlo s.e." in text
    assert res.to_dict()["intervals"][0]["mcse_low"] > 0


@pytest.mark.slow
def test_default_interval_coverage_with_model_selection():
    """bench/sim_mse_coverage.py in small: percentile coverage near 0.95 over 60 tables."""
    from analysis.mse import simulate_capture

    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(60):
        table, _ = simulate_capture(500, [0.3, 0.25, 0.2, 0.3, 0.25], {(0, 1): 1.0, (2, 3): 0.8}, rng=rng)
        res = estimate(table, n_boot=1000, rng=int(rng.integers(2**31)), n_jobs=2)
        hits += res.ci_low <= 500 <= res.ci_high
    assert hits / 60 >= 0.88  # Binomial(60, 0.95) sd 0.028
