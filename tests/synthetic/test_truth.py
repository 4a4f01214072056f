"""The planted truth is what the data hold: odds ratios recovered by a logistic regression,
prevalences realised as expected, derived outcomes as the register derives them, service lists
as the truth says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from register import definitions
from register.validation import age_at
from register.vocabulary import EXPLOITATION_TYPES
from synthetic import make_country, params
from synthetic._util import NA
from synthetic.exploitation import COERCION, INDICATORS, INVOLUNTARINESS, derive
from synthetic.frame import reference_export, risk_design
from synthetic.lists import police_ngo_odds_ratio
from synthetic.records import _cached

SEED = 7


# The north-west cluster, the south-east Mekong belt and three low-migration provinces.
PROVINCES = ["01", "02", "14", "17", "20", "22", "23", "24", "25"]


@pytest.fixture(scope="module")
def generated():
    """Nine provinces at scale 0.15: about 160,000 journeys, 130,000 returned."""
    country = make_country(PROVINCES, seed=SEED, scale=0.15)
    records = {c: country.commune_records(c) for c in country.communes}
    country.collect(records.values())  # truth and lists from the same records, no second pass
    return country, records


@pytest.fixture(scope="module")
def country(generated):
    return generated[0]


@pytest.fixture(scope="module")
def frame(generated):
    return reference_export(generated[1].values(), latent=True)


def _logit(df: pd.DataFrame, outcome: str):
    x = risk_design(df)
    provinces = pd.get_dummies(df["province_code"], prefix="province", drop_first=True, dtype=float)
    design = pd.concat([x, provinces], axis=1).assign(const=1.0)
    y = df[outcome].astype(float)
    ok = design.notna().all(axis=1) & y.notna()
    return sm.Logit(y[ok], design[ok]).fit(disp=0), int(ok.sum())


@pytest.mark.parametrize("outcome", ["forced_labour", "fl_true"])
def test_planted_odds_ratios_are_recovered(frame, outcome):
    """Logit of the outcome on the planted covariates plus province fixed effects, among returned
    journeys (complete cases). ``forced_labour`` is derived from the recorded indicators (asked
    for 60 %), ``fl_true`` is the latent status. Tolerance per term: 3.5 standard errors plus
    0.03 on the log scale (the commune effect, not modelled, attenuates log ORs by 1.1 %; ages
    from a birth year alone misclassify a few minors)."""
    returned = frame[frame["returned"] == 1]
    fit, n = _logit(returned, outcome)
    assert n > 40_000
    for name, planted in params.ODDS_RATIOS.items():
        est, se = fit.params[name], fit.bse[name]
        assert abs(est - np.log(planted)) < 3.5 * se + 0.03, (name, planted, np.exp(est), se)
    # and the sample is large enough for that to be a sharp check of the headline factors
    for name in ("n_brokers", "channel[broker]", "agency_irregular", "sector[fishing]", "debt"):
        assert fit.bse[name] < 0.08, name


def test_realised_prevalence_agrees_with_expected(country, frame):
    truth = country.truth
    returned = frame[frame["returned"] == 1]
    for code, block in truth["by_province"].items():
        n = block["n_returned"]
        mine = returned[returned["province_code"] == code]
        assert len(mine) == n  # nobody's home is outside their register's province here
        for outcome, latent in (("forced_labour", "p_fl"), ("trafficking", "p_tr")):
            p = mine[latent].to_numpy()
            sd = np.sqrt((p * (1 - p)).sum()) / n
            b = block[outcome]
            assert abs(b["realised"] - b["expected"]) < 4 * sd + 1e-9, (code, outcome)
            assert b["expected"] == pytest.approx(p.mean())
            recorded = mine[outcome].dropna()
            # the truth classifies children by their true age, the export by the recorded one
            # (a birth year alone can put a 17-year-old at 18): a handful of journeys differ
            assert b["recorded"] == pytest.approx(recorded.mean(), abs=2e-3)
            assert abs(b["recorded"] - b["realised"]) < 4 * np.sqrt(
                b["realised"] * (1 - b["realised"]) / len(recorded)) + 0.01
    total = truth["totals"]["forced_labour"]
    assert 0.12 < total["expected"] < 0.19  # calibration: about 15 % nationally
    # the planted north-west cluster is the high-prevalence area
    cluster = [truth["by_province"][p]["forced_labour"]["expected"]
               for p in truth["spatial_cluster"]["provinces"]]
    others = [b["forced_labour"]["expected"] for p, b in truth["by_province"].items()
              if not b["in_cluster"]]
    assert min(cluster) > np.median(others)


def test_indicators_agree_with_the_latent_status(country):
    sim, _ = _cached(country.plan, country.communes[0])
    o = sim.outcomes
    inv = np.column_stack([o.indicators[c] for c in INVOLUNTARINESS]).any(axis=1)
    coer = np.column_stack([o.indicators[c] for c in COERCION]).any(axis=1)
    minor = sim.age < 18
    assert minor.any() and (~minor).any()
    # ICLS 2018 on the full indicators gives back fl: both dimensions for an adult; coercion or
    # sexual exploitation for a child
    sexual = o.kind == list(EXPLOITATION_TYPES).index("sexual")
    assert np.array_equal(np.where(minor, coer | sexual, inv & coer), o.fl)
    full = {c: o.indicators[c].astype(np.int8) for c in INDICATORS}
    fl, tr = derive(full, o.kind.astype(np.int8), minor)
    assert np.array_equal(fl == 1, o.fl) and np.array_equal(tr == 1, o.tr)
    # what is recorded can only lose information, never invent a victim
    assert not np.any((o.tr_recorded == 1) & ~o.tr)
    assert not np.any((o.fl_recorded == 1) & ~o.fl)


def test_vectorised_derivation_matches_register_definitions(country):
    records = country.commune_records(country.communes[5])
    people = {d["person_id"]: d for d in records.departures if d.get("birth_year")}
    journeys = {d["journey_id"]: d for d in records.departures}
    rows = records.returns
    ages = []
    for r in rows:
        journey = journeys[r["journey_id"]]
        person = people[journey["person_id"]]
        ages.append(age_at(person["birth_date"], person["birth_year"], journey["departure_date"]))
    recorded = {c: np.array([NA if r[c] is None else r[c] for r in rows], dtype=np.int8)
                for c in INDICATORS}
    kinds = {None: NA, **{k: i for i, k in enumerate(EXPLOITATION_TYPES)}}
    kind = np.array([kinds[r["exploitation_type"]] for r in rows], dtype=np.int8)
    minor = np.array([a < 18 for a in ages])
    assert minor.any()
    fl, tr = derive(recorded, kind, minor)
    expected = [definitions.outcomes(r, a) for r, a in zip(rows, ages, strict=True)]
    assert [None if v == NA else int(v) for v in fl] == [e[0] for e in expected]
    assert [None if v == NA else int(v) for v in tr] == [e[1] for e in expected]


def test_service_lists_match_the_truth(country):
    truth, lists = country.truth["mse"], country.service_lists()
    members = pd.DataFrame(truth["membership"]["rows"], columns=truth["membership"]["columns"])
    assert len(members) == truth["N"] == sum(truth["pattern_counts"].values())
    assert members["person_id"].is_unique
    for name in ("mosvy", "police", "ngo"):
        ids = set(members[f"{name}_record_id"].dropna())
        assert ids == {r["record_id"] for r in lists[name]}
        assert len(lists[name]) == truth["list_sizes"][name]
    assert members["register"].sum() == truth["list_sizes"]["register"]
    # capture probabilities near the planted ones
    on = {n: members[f"{n}_record_id"].notna() for n in ("mosvy", "police", "ngo")}
    n = len(members)
    assert on["mosvy"].mean() == pytest.approx(params.P_MOSVY, abs=4 * np.sqrt(0.1 * 0.9 / n))
    assert on["police"].mean() == pytest.approx(params.P_POLICE, abs=4 * np.sqrt(0.06 * 0.94 / n))
    # police and NGO positively dependent, MOSVY independent of both
    table = pd.crosstab(on["police"], on["ngo"]).to_numpy()
    odds_ratio = table[1, 1] * table[0, 0] / (table[1, 0] * table[0, 1])
    assert odds_ratio == pytest.approx(police_ngo_odds_ratio(), rel=0.3)
    table = pd.crosstab(on["mosvy"], on["ngo"]).to_numpy()
    assert table[1, 1] * table[0, 0] / (table[1, 0] * table[0, 1]) == pytest.approx(1.0, abs=0.25)
    # the register flags exactly the victims whose register record derives trafficking
    assert 0.5 < members["register"].mean() < 0.65


def test_list_records_identify_the_victim(generated):
    country, records = generated
    truth, lists = country.truth["mse"], country.service_lists()
    members = pd.DataFrame(truth["membership"]["rows"], columns=truth["membership"]["columns"])
    police = {r["record_id"]: r for r in lists["police"]}
    sample = members[members["police_record_id"].notna()].head(200)
    for row in sample.itertuples():
        person = next(d for d in records[row.commune].departures if d["person_id"] == row.person_id)
        listed = police[row.police_record_id]
        assert listed["sex"] == person["sex"] == row.sex
        assert abs(listed["birth_year"] - person["birth_year"]) <= 1
        assert listed["province_code"] == row.commune[:2]
        assert listed["commune_code"] in (row.commune, None)
        assert listed["national_id"] is None or listed["national_id"].isdigit()
