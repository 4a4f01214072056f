"""Scenario knobs (issue 15.6): off, they change nothing; on, each plants what truth.json says."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthetic import make_country, params
from synthetic.errors import SyntheticError
from synthetic.scenario import SCENARIOS, Scenario, scenario_from

# Four provinces at scale 0.05: about 4,000 victims.
AREA, SEED, SCALE = ["01", "02", "14", "22"], 11, 0.05


@pytest.fixture(scope="module")
def worlds():
    return {name: make_country(AREA, seed=SEED, scale=SCALE, scenario=name)
            for name in ("default", "heterogeneity", "referral", "churn", "mnar", "return")}


def _on_lists(truth: dict) -> pd.DataFrame:
    m = truth["mse"]["membership"]
    frame = pd.DataFrame(m["rows"], columns=m["columns"])
    on = pd.DataFrame({s: frame[f"{s}_record_id"].notna() for s in ("mosvy", "police", "ngo")})
    on["register"] = frame["register"].astype(bool)
    return on


def _log_odds_ratio(on: pd.DataFrame, a: str, b: str) -> tuple[float, float]:
    t = pd.crosstab(on[a], on[b]).to_numpy() + 0.0
    return float(np.log(t[1, 1] * t[0, 0] / (t[0, 1] * t[1, 0]))), float(np.sqrt((1 / t).sum()))


def test_knobs_off_keep_the_data_of_a_seed():
    # Pattern counts and list sizes of seed 4, provinces 01 and 22, scale 0.05, as generated
    # before the knobs existed (commit e07e79f): the default data must not move.
    truth = make_country("01,22", seed=4, scale=0.05).truth
    assert truth["mse"]["N"] == 1137
    assert truth["mse"]["list_sizes"] == {"mosvy": 102, "police": 68, "ngo": 114, "register": 687}
    assert truth["mse"]["pattern_counts"] == {
        "0000": 358, "0001": 536, "0010": 34, "0011": 44, "0100": 19, "0101": 19, "0110": 9,
        "0111": 16, "1000": 25, "1001": 64, "1010": 3, "1011": 5, "1100": 2, "1111": 3}
    assert truth["scenario"]["name"] == "default" and truth["scenario"]["on"] == []


def test_each_knob_touches_only_its_own_part(worlds):
    base = worlds["default"].truth
    commune = worlds["default"].communes[5]
    departures = worlds["default"].commune_records(commune).departures
    for name in ("heterogeneity", "referral", "churn", "mnar"):
        truth = worlds[name].truth
        assert truth["mse"]["N"] == base["mse"]["N"], name  # the victims are the same people
        assert worlds[name].commune_records(commune).departures == departures, name
        assert truth["scenario"]["on"] and set(truth["scenario"]["on"]) <= set(Scenario().knobs)
        assert set(truth["scenario"]["effects"]) == set(truth["scenario"]["on"])
        json.dumps(truth)  # JSON-able
    # lists only: the register and its prevalence stay as they were
    for name in ("referral", "churn"):
        assert worlds[name].truth["mse"]["list_sizes"]["register"] == base["mse"]["list_sizes"]["register"]
        assert worlds[name].truth["totals"] == base["totals"]
    # indicators only: the service lists stay as they were
    on, on0 = _on_lists(worlds["mnar"].truth), _on_lists(base)
    assert (on[["mosvy", "police", "ngo"]] == on0[["mosvy", "police", "ngo"]]).all().all()


def test_referral_plants_its_odds_ratios(worlds):
    truth = worlds["referral"].truth
    on = _on_lists(truth)
    planted = params.REFERRAL_LOG_OR
    # MOSVY depends on the register alone, police on MOSVY alone: marginal = conditional
    for a, b in (("mosvy", "register"), ("mosvy", "police")):
        lor, se = _log_odds_ratio(on, a, b)
        assert abs(lor - planted) < 3 * se, (a, b, lor, se)
    assert _log_odds_ratio(_on_lists(worlds["default"].truth), "mosvy", "police")[0] < planted - 1
    assert set(truth["mse"]["capture_model"]["true_loglinear_terms"]) == {
        "police:ngo", "mosvy:register", "mosvy:police", "mosvy:ngo"}


def test_heterogeneity_makes_independent_lists_dependent(worlds):
    # A shared logit-normal catchability (sd 1) makes every pair positively dependent. For
    # MOSVY and police (independent given the person) the odds ratio is the closed form
    # E[p_m p_p] E[(1-p_m)(1-p_p)] / (E[p_m (1-p_p)] E[(1-p_m) p_p]), p_j = expit(logit P_j + u).
    u = np.random.default_rng(0).standard_normal(400_000)
    pm = 1 / (1 + np.exp(-(np.log(params.P_MOSVY / (1 - params.P_MOSVY)) + u)))
    pp = 1 / (1 + np.exp(-(np.log(params.P_POLICE / (1 - params.P_POLICE)) + u)))
    expected = np.log(np.mean(pm * pp) * np.mean((1 - pm) * (1 - pp))
                      / (np.mean(pm * (1 - pp)) * np.mean((1 - pm) * pp)))
    lor, se = _log_odds_ratio(_on_lists(worlds["heterogeneity"].truth), "mosvy", "police")
    assert abs(lor - expected) < 3 * se and expected > 0.3
    assert worlds["heterogeneity"].truth["mse"]["capture_model"]["true_loglinear_terms"] is None


def test_churn_keeps_each_list_to_its_years(worlds):
    lists = worlds["churn"].service_lists()
    for name, (first, last) in params.LIST_YEARS.items():
        dates = pd.to_datetime(pd.Series([r["contact_date"] for r in lists[name]]))
        assert dates.min() >= pd.Timestamp(f"{first}-01-01")
        assert dates.max() <= pd.Timestamp(f"{last}-12-31") + pd.Timedelta(days=60)
    # the NGO list is kept for six years and people leave: it catches far fewer
    sizes, base = (worlds[w].truth["mse"]["list_sizes"] for w in ("churn", "default"))
    assert sizes["ngo"] < 0.5 * base["ngo"]
    assert worlds["churn"].truth["scenario"]["list_years"]["police"] == [2019, 2025]


def test_indicators_missing_not_at_random_bias_the_recorded_prevalence(worlds):
    fl = worlds["mnar"].truth["totals"]["forced_labour"]
    base = worlds["default"].truth["totals"]["forced_labour"]
    assert fl["realised"] == base["realised"]  # the same journeys, the same latent truth
    assert abs(base["recorded"] - base["realised"]) < 0.02  # MCAR: recorded estimates it
    assert fl["recorded"] < fl["realised"] - 0.04  # MNAR: it does not
    assert "NOT at random" in worlds["mnar"].truth["definitions"]["recorded"]


def test_return_depending_on_the_outcome_hides_forced_labour(worlds):
    truth, base = worlds["return"].truth, worlds["default"].truth
    assert truth["totals"]["n_journeys"] == base["totals"]["n_journeys"]
    assert truth["totals"]["n_returned"] < base["totals"]["n_returned"]
    assert truth["totals"]["forced_labour"]["realised"] < base["totals"]["forced_labour"]["realised"] - 0.02
    assert truth["mse"]["N"] < base["mse"]["N"]
    changed = 0
    for commune in worlds["return"].communes[:40]:
        now = worlds["return"].commune_records(commune)
        before = worlds["default"].commune_records(commune).latent
        kept = before["returned"] & ~now.latent["returned"]
        assert not (now.latent["returned"] & ~before["returned"]).any()
        assert before["fl"][kept].all()  # only forced-labour journeys stay abroad
        changed += int(kept.sum())
        assert all(r["return_date"] <= params.DATA_END for r in now.returns)
    assert changed > 0


def test_scenario_specifications():
    assert scenario_from(None) == scenario_from("default") == Scenario()
    mixed = scenario_from("referral,heterogeneity_sd=0.5")
    assert mixed.referral_log_or == params.REFERRAL_LOG_OR and mixed.heterogeneity_sd == 0.5
    assert mixed.name == "referral+heterogeneity_sd=0.5"
    every = SCENARIOS["adversarial"]
    assert all(v != 0 for v in every.knobs.values())
    for bad in ("nonsense", "heterogeneity_sd=high", "speed=2", "return_fl_stay=2"):
        with pytest.raises(SyntheticError):
            scenario_from(bad)
