"""register list: --open, --month, --village, and the warnings kind."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import register
from register import RegisterError, list_records
from register.cli import app
from tests.conftest import departure

runner = CliRunner(env={"COLUMNS": "200"})  # the tables' rows on one line each
OTHER = "01020102"  # Phnum, a second village of the test commune


@pytest.fixture
def records(reg):
    ids = {}
    agency = register.add_agency(reg, name="Unlicensed Co (synthetic)",
                                 licence_status="unlicensed").ids[0]
    add = register.add_departure
    ids["march_open"] = add(reg, **departure(name="A", national_id="1",
                                             departure_date="2025-03-05")).ids[0]
    ids["march_back"] = add(reg, **departure(name="B", national_id="2",
                                             departure_date="2025-03-20")).ids[0]
    ids["april_other"] = add(reg, **departure(name="C", national_id="3", home_village=OTHER,
                                              departure_date="2025-04-02", n_brokers=3,
                                              agency_id=agency)).ids[0]
    register.add_return(reg, journey_id=ids["march_back"], return_date="2025-04-10",
                        return_mode="voluntary")
    person = reg.conn.execute("SELECT person_id FROM journeys WHERE id = ?",
                              (ids["april_other"],)).fetchone()[0]
    register.add_referral(reg, person_id=person, service="ngo", referral_date="2025-04-20",
                          status="referred")
    return ids


def _ids(rows, key="id"):
    return {row[key] for row in rows}


def test_open_month_and_village_filters(reg, records):
    assert _ids(list_records(reg, "departures", open_only=True)) == {
        records["march_open"], records["april_other"]}
    assert _ids(list_records(reg, "departures", month="2025-03")) == {
        records["march_open"], records["march_back"]}
    assert _ids(list_records(reg, "departures", month="២០២៥-០៣", open_only=True)) == {
        records["march_open"]}
    assert _ids(list_records(reg, "departures", village=OTHER)) == {records["april_other"]}
    assert _ids(list_records(reg, "departures", village="០១០២០១០២")) == {records["april_other"]}
    returns = list_records(reg, "returns", month="2025-04")
    assert _ids(returns, "journey_id") == {records["march_back"]}
    assert list_records(reg, "returns", month="2025-03") == []
    assert list_records(reg, "returns", village=OTHER) == []
    assert len(list_records(reg, "referrals", month="2025-04", village=OTHER)) == 1
    assert list_records(reg, "referrals", month="2025-03") == []
    assert len(list_records(reg, "persons", village=OTHER)) == 1
    assert len(list_records(reg, "persons")) == 3


def test_warnings_with_the_record_they_belong_to(reg, records):
    warnings = list_records(reg, "warnings")
    assert _ids(warnings, "journey_id") == {records["april_other"]}
    assert {w["agency"] for w in warnings} == {"Unlicensed Co (synthetic)"}
    texts = sorted(w["warning"] for w in warnings)
    assert texts == ["3 brokers in the chain (3 or more raises the risk of exploitation)",
                     "the agency's licence status is 'Never licensed'"]
    assert all(w["name"] == "C" and w["departure_date"] == "2025-04-02" for w in warnings)
    assert list_records(reg, "warnings", month="2025-03") == []
    assert len(list_records(reg, "warnings", month="2025-04", village=OTHER)) == 2


@pytest.mark.parametrize(("kind", "options", "message"), [
    ("returns", {"open_only": True}, "--open applies to departures only"),
    ("agencies", {"month": "2025-03"}, "--month applies to"),
    ("persons", {"month": "2025-03"}, "not persons"),
    ("agencies", {"village": OTHER}, "--village applies to"),
    ("departures", {"village": "0102"}, "is not an 8-digit village code"),
    ("departures", {"month": "03/2025"}, "is not a month"),
])
def test_filters_that_do_not_apply_are_refused(reg, kind, options, message):
    with pytest.raises(RegisterError, match=message):
        list_records(reg, kind, **options)


@pytest.fixture
def english():
    register.i18n.set_language("en")
    yield
    register.i18n.set_language(None)


def test_list_command_filters(reg_path, english):
    with register.open_register(reg_path) as reg:
        register.add_departure(reg, **departure(name="Sok Open", departure_date="2025-03-05",
                                                n_brokers=4))
    args = ["--lang", "en", "list"]
    result = runner.invoke(app, [*args, "departures", "--db", str(reg_path), "--open",
                                 "--month", "2025-03"])
    assert result.exit_code == 0 and "Sok Open" in result.output
    result = runner.invoke(app, [*args, "departures", "--db", str(reg_path), "--village", OTHER])
    assert result.exit_code == 0 and "Nothing found" in result.output
    result = runner.invoke(app, [*args, "warnings", "--db", str(reg_path)])
    assert result.exit_code == 0 and "4 brokers in the chain" in result.output
    result = runner.invoke(app, [*args, "agencies", "--db", str(reg_path), "--open"])
    assert result.exit_code == 1 and "--open applies to departures only" in result.output
