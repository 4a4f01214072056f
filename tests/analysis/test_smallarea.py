"""Small-area estimates that do not collapse: the Fay-Herriot hierarchical Bayes model in closed
form, and the province-01 case of issue 14 rebuilt with the synthetic generator (9 districts that
differ no more than sampling noise explains), estimates and map."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis._fayherriot import fay_herriot_hb
from analysis._validation import InvalidParameterError
from analysis.data import from_register
from analysis.geo import load_boundaries
from analysis.maps import colour_limits, prevalence_map
from analysis.prevalence import estimate_prevalence
from analysis.smallarea import small_area_prevalence
from register.merge import merge
from synthetic.write import write_country


def test_equal_areas_keep_the_uncertainty_of_their_common_mean():
    k, n_eff, p = 9, 400.0, 0.2
    table, hyper, zero, _ = fay_herriot_hb(np.full(k, p), np.full(k, n_eff), 0.05)
    assert zero and hyper["A_reml"] == 0 and hyper["A_li_lahiri"] > 0
    np.testing.assert_allclose(table["estimate"], p, rtol=1e-3)
    # at least as wide as the interval of the pooled mean, theta +- z sqrt(D / k)
    theta, d = np.arcsin(np.sqrt(p)), 1 / (4 * n_eff)
    z = stats.norm.isf(0.025)
    lo, hi = np.sin(theta - z * np.sqrt(d / k)) ** 2, np.sin(theta + z * np.sqrt(d / k)) ** 2
    assert (table["lower"] < lo).all() and (table["upper"] > hi).all()
    # and no wider than an area's own direct interval
    assert (table["upper"] < np.sin(theta + z * np.sqrt(d)) ** 2).all()


def test_very_different_areas_keep_their_direct_estimates():
    p = np.array([0.05, 0.15, 0.3, 0.5, 0.7])
    table, hyper, zero, _ = fay_herriot_hb(p, np.full(5, 5000.0), 0.05)
    assert not zero
    np.testing.assert_allclose(table["estimate"], p, atol=0.003)
    assert (table["weight"] > 0.95).all()


def test_too_few_areas_give_the_direct_estimates_and_say_so():
    table, _, _, note = fay_herriot_hb(np.array([0.1, 0.2, 0.3]), np.full(3, 100.0), 0.05)
    assert table is None and "only 3 areas" in note


def test_colour_limits_are_never_narrower_than_the_uncertainty():
    assert colour_limits(np.array([0.2173, 0.21738]), 0.07) == pytest.approx(
        (0.21734 - 0.035, 0.21734 + 0.035))
    assert colour_limits(np.array([0.1, 0.4]), 0.07) == (0.1, 0.4)
    assert colour_limits(np.array([0.0, 0.01]), 0.07) == (0.0, 0.07)  # not below zero


@pytest.fixture(scope="module")
def province01(tmp_path_factory):
    """Province 01 of the demo (seed 7, scale 0.03): its 9 districts, as in issue 14."""
    folder = tmp_path_factory.mktemp("p01")
    write_country(["01"], 7, folder / "communes", scale=0.03)
    merge(sorted((folder / "communes").glob("*.db")), folder / "national.db", link=False)
    return from_register(folder / "national.db")


@pytest.mark.parametrize("method", ["beta_binomial", "fay_herriot"])
def test_province01_districts_do_not_collapse(province01, method):
    df = province01
    province = estimate_prevalence(df, missing="complete_case")
    p_lo, p_hi = province.overall[1:]
    res = small_area_prevalence(df, by="district_code", method=method,
                                missing="complete_case")
    t = res.to_frame()
    assert len(t) == 9 and res.variance_zero
    # Before: every district 0.2174 (0.2166-0.2182), narrower than the province's own
    # 0.200-0.238. Now no district is known better than the province as a whole.
    assert ((t["upper"] - t["lower"]) >= 0.9 * (p_hi - p_lo)).all()
    assert ((t["lower"] <= t["estimate"]) & (t["estimate"] <= t["upper"])).all()
    assert res.method == "fay_herriot"
    text = res.summary()
    assert "between-area variance estimated at or near zero" in text
    if method == "beta_binomial":
        assert "fell back" in text


def test_province01_map_scale_spans_the_uncertainty(province01):
    res = small_area_prevalence(province01, by="district_code", m=5)
    boundaries = load_boundaries("district")
    boundaries = boundaries[boundaries["code"].str.startswith("01")]
    fig, ax = prevalence_map(res, boundaries, attribution="test boundaries")
    coloured = next(c for c in ax.collections if c.get_gid() == "values")
    t = res.to_frame()
    width = float((t["upper"] - t["lower"]).median())
    assert coloured.norm.vmax - coloured.norm.vmin >= width - 1e-12
    # the estimates themselves lie inside the widened scale
    assert coloured.norm.vmin <= t["estimate"].min() and t["estimate"].max() <= coloured.norm.vmax
    labels = " ".join(a.get_ylabel() for a in fig.axes)
    assert "areas differ less than their uncertainty" in labels
    assert "departures" in ax.get_title()  # the result's title: unit and period


def test_small_area_refuses_bounds_and_reports_imputation(province01):
    with pytest.raises(InvalidParameterError, match="point estimate"):
        small_area_prevalence(province01, by="district_code", missing="bounds")
    res = small_area_prevalence(province01, by="district_code", m=3)
    assert "multiply imputed (3 imputations" in res.summary()
    assert isinstance(res.to_frame(), pd.DataFrame)


def test_three_areas_give_direct_estimates_whatever_the_method():
    area = np.repeat(["01", "02", "03"], 100)
    y = np.tile(np.r_[np.ones(20), np.zeros(80)], 3).astype(int)  # 20% in every area
    df = pd.DataFrame({"province_code": area, "commune_code": np.char.add(area, "0101"),
                       "returned": 1, "forced_labour": pd.array(y, dtype="Int64")})
    direct = estimate_prevalence(df).to_frame()
    for method in ("fay_herriot", "beta_binomial"):
        res = small_area_prevalence(df, method=method)
        t = res.to_frame()
        assert res.method == "direct"
        np.testing.assert_allclose(t["estimate"], direct["estimate"])
        np.testing.assert_allclose(t["lower"], direct["lower"])
        assert "only 3 areas" in res.summary()
    assert "fell back to the direct estimates" in res.summary()  # beta-binomial: rho at zero
