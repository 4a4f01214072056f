"""The definitions are written once (register.definitions) and every user of them agrees: the
register's export, the analysis, and the synthetic generator (which computes whole columns)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import register
from register import definitions
from register.definitions import COERCIVE, INVOLUNTARY, Columns, agency_status_at
from register.vocabulary import ILO_INDICATORS
from tests.conftest import departure

NO = dict.fromkeys(ILO_INDICATORS, 0)


def test_a_licensed_agency_past_its_expiry_had_expired():
    # The generator used to call it licensed, the register expired: one rule now.
    assert agency_status_at("licensed", "2024-06-30", "2024-06-30") == "licensed"
    assert agency_status_at("licensed", "2024-06-30", "2024-07-01") == "expired"
    assert agency_status_at("suspended", "2024-06-30", "2024-07-01") == "suspended"
    assert agency_status_at("suspended", "2024-06-30", "2024-01-01") == "licensed"
    assert agency_status_at("unlicensed", None, "2024-01-01") == "unlicensed"
    assert agency_status_at("licensed", None, "2024-01-01") == "licensed"


def test_the_export_and_the_generator_use_the_same_agency_rule(reg):
    from synthetic.national import AGENCY_STATUS_CODES, Agencies

    agency = register.add_agency(reg, name="Lapsed Co", licence_status="licensed",
                                 licence_expiry="2024-06-30").ids[0]
    register.add_departure(reg, **departure(agency_id=agency, channel="licensed_agency",
                                            departure_date="2024-09-01"))
    rows = list(register.researcher_rows(reg))
    assert [r["agency_status"] for r in rows] == ["expired"]
    record = {"licence_status": "licensed", "licence_expiry": "2024-06-30"}
    market = Agencies([record], ["a"], np.array([1]), np.array([0]), np.ones(1),
                      np.ones((1, 1), bool))
    day = (np.datetime64("2024-09-01") - np.datetime64("1970-01-01")).astype(int)
    code = market.status_at(np.array([0]), np.array([day]))
    assert AGENCY_STATUS_CODES[code[0]] == "expired"


def _row(**ones: int) -> dict:
    return {**NO, **ones}


def test_adult_forced_labour_needs_both_dimensions():
    assert definitions.forced_labour(_row(ind_deception=1), 0, "labour") == 0
    assert definitions.forced_labour(_row(ind_debt_bondage=1), 0, "labour") == 0
    assert definitions.forced_labour(_row(ind_deception=1, ind_debt_bondage=1), 0, "labour") == 1


def test_a_childs_forced_labour_needs_coercion_only():
    # ILO (2012) / ICLS 2018: a child's consent is irrelevant.
    assert definitions.forced_labour(_row(ind_debt_bondage=1), 1, "labour") == 1
    assert definitions.forced_labour(_row(ind_deception=1), 1, "labour") == 0
    assert definitions.forced_labour(_row(), 1, "sexual") == 1  # a worst form of child labour
    # age unknown: the answer is known only where the two rules agree
    assert definitions.forced_labour(_row(ind_debt_bondage=1), None, "labour") is None
    assert definitions.forced_labour(_row(ind_deception=1, ind_debt_bondage=1), None, None) == 1


def test_a_child_is_trafficked_without_means():
    # Palermo Protocol art. 3(c): exploitation of a child is trafficking whatever the means.
    forced_marriage = _row()
    assert definitions.trafficking(forced_marriage, 0, "forced_marriage") == 0
    assert definitions.trafficking(forced_marriage, 1, "forced_marriage") == 1
    assert definitions.trafficking(_row(ind_deception=1), 0, "forced_marriage") == 1


def test_the_export_classifies_a_child_by_the_childs_rule(reg):
    journey = register.add_departure(reg, **departure(birth_year=2008, departure_date="2024-03-01",
                                                      channel="broker")).ids[0]
    register.add_return(reg, journey_id=journey, return_date="2025-01-10", return_mode="escaped",
                        **{**NO, "ind_debt_bondage": 1}, exploitation_type="labour")
    row = next(register.researcher_rows(reg))
    assert row["age_band"] == "<18"
    assert (row["forced_labour"], row["trafficking"]) == (1, 1)


@pytest.mark.parametrize("minor", [0, 1, None])
def test_whole_columns_agree_with_single_values(minor):
    # every combination of: involuntariness (1/0/unknown), coercion, a means, the type
    values = (1, 0, None)
    kinds = ("none", "labour", "sexual", "forced_marriage", None)
    cases = list(itertools.product(values, values, values, kinds))
    rows = [_row() for _ in cases]
    for row, (inv, coe, means, _) in zip(rows, cases, strict=True):
        row[INVOLUNTARY[1]] = inv
        row[COERCIVE[-1]] = coe
        row["ind_deception"] = means
    kind = [c[3] for c in cases]
    columns = {name: np.array([-1 if r[name] is None else r[name] for r in rows], np.int8)
               for name in ILO_INDICATORS}
    young = np.full(len(rows), -1 if minor is None else minor, np.int8)
    ops = Columns()
    fl = definitions.forced_labour(columns, young, np.array(kind, dtype=object), ops)
    tr = definitions.trafficking(columns, young, np.array(kind, dtype=object), ops)
    for i, row in enumerate(rows):
        want = (definitions.forced_labour(row, minor, kind[i]),
                definitions.trafficking(row, minor, kind[i]))
        got = tuple(None if v == -1 else int(v) for v in (fl[i], tr[i]))
        assert got == want, (cases[i], got, want)
