"""Model selection: the stepwise p-value rule and the exhaustive AIC/BIC search."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from analysis.mse import (
    CaptureTable,
    InvalidParameterError,
    all_models,
    best_model,
    check_model,
    fit_model,
    load_published,
    stepwise,
)
from analysis.mse.models import term_names
from analysis.mse.select import overlap_pvalues

KOREA = CaptureTable.from_patterns(  # MultipleSystemsEstimation user guide (Silverman)
    "bcd",
    [(0, 0, 1), (0, 1, 0), (1, 0, 0), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1)],
    [41, 5, 5, 54, 6, 0, 12],
)


def test_overlap_pvalue_is_the_smaller_poisson_tail():
    table = load_published("Western")
    indep = fit_model(table)
    pvals, expected = overlap_pvalues(indep)
    # A:E is pair index 3 (order A:B, A:C, A:D, A:E, B:C, ...).
    n_ae = table.overlap("A", "E")
    lam = indep.fitted[[k for k in range(32) if k & 1 and k & 16]].sum()
    assert expected[3] == pytest.approx(lam)
    tail = min(poisson.cdf(n_ae, lam), poisson.sf(n_ae - 1, lam))
    assert pvals[3] == pytest.approx(tail, rel=1e-10)
    assert int(np.argmin(pvals)) == 3


def test_stepwise_path_and_threshold():
    table = load_published("UKdat_5")
    fit, steps = stepwise(table)
    assert [s.term for s in steps] == ["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"]
    assert all(s.pvalue < 0.02 for s in steps)
    assert set(fit.model) == {s.term for s in steps}
    # The next candidate is not significant at 0.02 (otherwise the search would continue).
    pvals, _ = overlap_pvalues(fit)
    assert pvals.min() >= 0.02
    # A lower threshold stops earlier; pthresh=0 is the independence model.
    fewer, _ = stepwise(table, pthresh=0.001)
    assert set(fewer.model) < set(fit.model)
    assert stepwise(table, pthresh=0)[0].model == ()


def test_stepwise_skips_terms_without_an_estimate():
    # In Artificial_3 the A:B overlap has the smallest p-value (0.091), but any model with A:B
    # has no MLE, so the rule must skip it (Chan, Silverman & Vincent 2021, Sect. 3.2): at
    # threshold 0.1 nothing else qualifies and the independence model is kept.
    table = load_published("Artificial_3")
    pvals, _ = overlap_pvalues(fit_model(table))
    assert int(np.argmin(pvals)) == 0 and pvals[0] < 0.1 < pvals[1:].min()
    fit, steps = stepwise(table, pthresh=0.1)
    assert fit.model == () and steps == ()
    # At 0.5 the two non-overlapping pairs enter (extended MLE), never A:B.
    fit, _ = stepwise(table, pthresh=0.5)
    assert fit.model == ("A:C", "B:C") and check_model(table, fit.model).ok


def test_korea_stepwise_and_exhaustive_bic():
    # MultipleSystemsEstimation vignettes/tests: stepwise chooses [12,3] (b:c), 268.7778;
    # main effects 141.99264735066032; the BIC-best model over all two-list models is
    # [12,23] (b:c, c:d), 157.1667 with BIC 57.14081; [12,13] and [12,13,23] do not exist.
    fit, _ = stepwise(KOREA)
    assert fit.model == ("b:c",) and fit.estimate == pytest.approx(268.7778, abs=1e-4)
    assert stepwise(KOREA, 0)[0].estimate == pytest.approx(141.99264735066032, rel=1e-10)
    best, search = best_model(KOREA, "bic")
    assert best.model == ("b:c", "c:d")
    assert best.estimate == pytest.approx(157.1667, abs=1e-4)
    assert best.bic == pytest.approx(57.14081, abs=1e-5)
    supported = {term_names(KOREA.lists, search.terms(m)) for m in np.flatnonzero(search.ok)}
    assert ("b:c", "b:d") not in supported and ("b:c", "b:d", "c:d") not in supported
    assert len(supported) == 6


def test_exhaustive_search_ranks_all_1024_models():
    table = load_published("Western")
    search = all_models(table)
    assert len(search.masks) == 1024 and len(set(search.masks.tolist())) == 1024
    ranked = search.ranked("aic")
    assert np.all(np.diff(search.aic[ranked]) >= 0)
    # Spot-check a few models against individual fits.
    for m in ranked[[0, 5, 50]]:
        fit = fit_model(table, search.terms(int(m)))
        assert search.aic[m] == pytest.approx(fit.aic, abs=1e-6)
        assert search.estimate[m] == pytest.approx(fit.estimate, rel=1e-7)
    frame = search.to_frame("bic", top=3)
    assert frame["bic"].is_monotonic_increasing and frame.iloc[0]["model"] == "A:E"


def test_exhaustive_search_is_the_same_on_two_cores():
    table = load_published("Ned")  # six lists: 32,768 models; check a 5,000-model slice
    masks = np.arange(5000)
    one = all_models(table, candidates=masks, n_jobs=1)
    two = all_models(table, candidates=masks, n_jobs=2)
    np.testing.assert_array_equal(one.ok, two.ok)
    np.testing.assert_allclose(one.bic, two.bic, rtol=1e-9)


def test_exhaustive_search_refuses_too_many_lists():
    with pytest.raises(InvalidParameterError, match="at most 6 lists"):
        all_models(load_published("NewOrl"))
    with pytest.raises(InvalidParameterError, match="criterion"):
        all_models(KOREA).ranked("cp")
