"""Log-linear fits: the lean solver against statsmodels and R; existence and identifiability."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from analysis.mse import (
    CaptureTable,
    EstimateNotExistError,
    NotIdentifiableError,
    check_model,
    fit_model,
    load_published,
    remove_noninformative_lists,
)
from analysis.mse._loglinear import fit_poisson
from analysis.mse.existence import _exists_and_rank, _lp_exists
from analysis.mse.models import build_design, parse_terms, term_names

# Korea data (three lists b, c, d), printed in the MultipleSystemsEstimation user guide
# (B. W. Silverman, R package, vignette "A User Guide to MultipleSystemsEstimation").
KOREA = CaptureTable.from_patterns(
    "bcd",
    [(0, 0, 1), (0, 1, 0), (1, 0, 0), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1)],
    [41, 5, 5, 54, 6, 0, 12],
)

# Tolerances: exact algebra / same algorithm ~1e-8; values printed by R to 7 significant digits.
TOL_SOLVER = 1e-8
TOL_R_PRINTED = 1e-6

MODELS = [
    ("UKdat_5", ["LA:NG", "LA:PFNCA", "NG:GO", "NG:GP", "PFNCA:GP", "GO:GP"]),
    ("UKdat", ["LA:NG", "PF:NCA", "NG:GP"]),
    ("Western", ["A:E"]),
    ("NewOrl", ["D:E"]),
    ("Ned_5", ["IO:K", "IO:P", "IO:Z", "K:R", "P:R", "P:Z"]),
    ("Ned", ["I:K", "I:Z", "K:O", "K:R", "O:P", "O:Z", "P:R", "P:Z"]),
    ("Artificial_3", ["A:C"]),  # the pair never overlaps: extended MLE
]


@pytest.mark.parametrize(("name", "terms"), MODELS)
def test_lean_solver_matches_statsmodels_glm(name, terms):
    table = load_published(name)
    fit = fit_model(table, terms)
    design = build_design(table, fit.terms)
    ref = sm.GLM(design.y, design.X, family=sm.families.Poisson()).fit(tol=1e-13, maxiter=200)
    np.testing.assert_allclose(fit.coef, ref.params, rtol=0, atol=TOL_SOLVER)
    assert fit.deviance == pytest.approx(ref.deviance, abs=TOL_SOLVER)
    assert fit.loglik == pytest.approx(ref.llf, abs=TOL_SOLVER)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), ref.bse, rtol=1e-6)
    # statsmodels' AIC counts finite parameters only; ours adds one per -inf term (as SparseMSE).
    assert fit.aic == pytest.approx(ref.aic + 2 * len(fit.neg_inf_terms), abs=1e-7)


def test_solver_with_offset_and_warm_start_matches_statsmodels():
    table = load_published("Western")
    design = build_design(table, parse_terms(table.lists, ["A:E"]))
    X, y = design.X[:, 1:], design.y
    ref = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.full(len(y), 7.0)).fit(tol=1e-13)
    cold = fit_poisson(X, y, offset=7.0)
    warm = fit_poisson(X, y, offset=7.0, start_mu=ref.mu * 1.3)
    for res in (cold, warm):
        assert res.converged
        np.testing.assert_allclose(res.beta, ref.params, atol=TOL_SOLVER)
        assert res.deviance == pytest.approx(ref.deviance, abs=TOL_SOLVER)


def test_korea_model_matches_r_glm_output():
    # R glm output for model [12,3] (b:c) printed in the MultipleSystemsEstimation vignette
    # "Reproducing Chan, Silverman and Vincent (2021)": coefficients (Intercept) 4.982083,
    # b -2.832024, c -3.620482, d -1.268511, b:c 5.412241; deviance 8.566946; AIC 44.90767;
    # BIC 58.9686; abundance 268.7778; fitted values below (cells in our bit order).
    fit = fit_model(KOREA, ["b:c"])
    np.testing.assert_allclose(
        fit.coef, [4.982083, -2.832024, -3.620482, -1.268511, 5.412241], atol=TOL_R_PRINTED
    )
    fitted = [8.585366, 3.902439, 51.512195, 41.000000, 2.414634, 1.097561, 14.487805]
    np.testing.assert_allclose(fit.fitted[1:], fitted, atol=TOL_R_PRINTED)
    assert fit.deviance == pytest.approx(8.566946, abs=TOL_R_PRINTED)
    assert fit.aic == pytest.approx(44.90767, abs=1e-5)
    assert fit.bic == pytest.approx(58.9686, abs=1e-4)
    assert fit.estimate == pytest.approx(268.7778, abs=1e-4)
    assert fit.unseen == pytest.approx(math.exp(fit.coef[0]))
    assert fit.model == ("b:c",)


def test_extended_mle_for_nonoverlapping_pair():
    table = load_published("Artificial_3")
    fit = fit_model(table, ["A:C"])
    assert fit.neg_inf_terms == parse_terms(table.lists, ["A:C"])
    # Cells containing both A and C have fitted value exactly 0.
    assert fit.fitted[0b101] == 0.0 and fit.fitted[0b111] == 0.0
    # The -inf parameter is counted in AIC (SparseMSE convention) but has no column.
    assert fit.n_params == 4 + 1 and len(fit.coef) == 4
    # Removing those cells from the data and fitting main effects gives the same estimate.
    reduced = build_design(table, ())
    keep = np.isin(reduced.cells, [1, 2, 3, 4, 6])
    res = fit_poisson(reduced.X[keep], reduced.y[keep])
    assert fit.unseen == pytest.approx(math.exp(res.beta[0]), rel=1e-10)


# Artificial_3 (Chan, Silverman & Vincent 2021, Tables 2-3; SOURCES.md): SparseMSE codes
# 0 fine, 1 MLE does not exist, 2 not identifiable.
ARTIFICIAL_CODES = [
    ([], 0),
    (["A:C"], 0),
    (["B:C"], 0),
    (["A:C", "B:C"], 0),
    (["A:B"], 1),
    (["A:B", "A:C"], 1),
    (["A:B", "B:C"], 1),
    (["A:B", "A:C", "B:C"], 2),
]


@pytest.mark.parametrize(("terms", "code"), ARTIFICIAL_CODES)
def test_artificial_3_existence_and_identifiability(terms, code):
    table = load_published("Artificial_3")
    check = check_model(table, terms)
    assert check.code == code
    if code == 0:
        assert check.ok
        fit_model(table, terms)
    elif code == 1:
        assert not check.exists and "does not exist" in check.message
        with pytest.raises(EstimateNotExistError, match="Fienberg-Rinaldo"):
            fit_model(table, terms)
    else:
        assert not check.identifiable and "not identifiable" in check.message
        with pytest.raises(NotIdentifiableError, match="rank 4 for 5 parameters"):
            fit_model(table, terms)


def test_dual_existence_check_agrees_with_the_primal_linear_program():
    """The fast dual check never contradicts Fienberg & Rinaldo's primal LP (random tables)."""
    rng = np.random.default_rng(20240601)
    checked = {True: 0, False: 0}
    for _ in range(400):
        t = int(rng.integers(3, 7))
        counts = rng.poisson(rng.choice([0.2, 0.5, 1.0, 3.0]), size=2**t)
        counts[0] = 0
        counts[1 : 1 + t] += 1
        table = CaptureTable(tuple("ABCDEF"[:t]), counts)
        n_pairs = t * (t - 1) // 2
        density = rng.choice([0.2, 0.5, 0.8])
        terms = tuple(int(k) for k in np.flatnonzero(rng.random(n_pairs) < density))
        design = build_design(table, terms)
        exists, _ = _exists_and_rank(design.X, design.y)
        assert exists == _lp_exists(design.X, design.y > 0)
        checked[exists] += 1
    assert checked[True] > 50 and checked[False] > 50  # both outcomes were exercised


def test_term_parsing_and_names():
    lists = ("LA", "NG", "PF")
    assert parse_terms(lists, ["NG:LA", ("PF", "NG"), (0, 2)]) == (0, 1, 2)
    assert term_names(lists, (2, 0)) == ("LA:NG", "NG:PF")
    with pytest.raises(ValueError, match="unknown list"):
        parse_terms(lists, ["LA:XX"])
    with pytest.raises(ValueError, match="with itself"):
        parse_terms(lists, ["LA:LA"])


def test_remove_noninformative_lists():
    # D has no cases, E holds everyone, B2 duplicates B.
    rows = [
        # A  B  C  D  E  B2
        ((1, 0, 0, 0, 1, 0), 10),
        ((0, 1, 0, 0, 1, 1), 8),
        ((1, 1, 0, 0, 1, 1), 3),
        ((0, 0, 1, 0, 1, 0), 5),
        ((1, 0, 1, 0, 1, 0), 2),
    ]
    table = CaptureTable.from_patterns(
        ("A", "B", "C", "D", "E", "B2"), [r for r, _ in rows], [n for _, n in rows]
    )
    reduced, removed = remove_noninformative_lists(table)
    assert reduced.lists == ("A", "B", "C")
    assert dict(removed) == {
        "D": "no cases",
        "E": "contains every observed case",
        "B2": "identical to list B",
    }
    assert reduced.observed == table.observed


def test_removal_repeats_until_stable():
    # A holds everyone; once the A-only people drop out, B holds everyone left.
    table = CaptureTable.from_patterns("ABC", [(1, 0, 0), (1, 1, 0), (1, 1, 1)], [4, 6, 2])
    reduced, removed = remove_noninformative_lists(table)
    assert [name for name, _ in removed] == ["A", "B", "C"]
    assert reduced.n_lists == 0
