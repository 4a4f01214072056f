"""Adding records through the API: rules, all-or-nothing writes, warnings, audit."""

from __future__ import annotations

import json

import pytest

import register
from register.errors import ValidationError
from tests.conftest import TODAY, VILLAGE, departure


def count(reg, table: str) -> int:
    return reg.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_departure_stores_person_identity_and_journey_apart(reg):
    report = register.add_records(reg, "departures", [departure()], today=TODAY)
    assert report.written == {"persons": 1, "person_identity": 1, "journeys": 1}
    person = reg.conn.execute("SELECT * FROM persons").fetchone()
    columns = [d[0] for d in reg.conn.execute("SELECT * FROM persons").description]
    assert not {"name", "national_id", "phone"} & set(columns)
    assert reg.conn.execute("SELECT name FROM person_identity").fetchone()[0] == "សុខ ដារា"
    assert person[columns.index("home_village")] == VILLAGE


def test_values_are_normalised(reg):
    raw = departure(sex=" f ", birth_year="១៩៩៦", departure_date="12/03/2024",
                    destination_country="th", channel="Family Friend", fee_usd="$1,200",
                    has_passport="បាទ", name="  \u200fសុខ ដារា\u200b ")
    register.add_records(reg, "departures", [raw], today=TODAY)
    row = reg.conn.execute("SELECT sex, birth_year FROM persons").fetchone()
    assert row == ("F", 1996)
    journey = reg.conn.execute(
        "SELECT departure_date, destination_country, channel, fee_usd, has_passport FROM journeys"
    ).fetchone()
    assert journey == ("2024-03-12", "TH", "family_friend", 1200.0, 1)
    assert reg.conn.execute("SELECT name FROM person_identity").fetchone()[0] == "សុខ ដារា"


def test_dates_in_khmer_digits_are_read_in_either_order(reg):
    # The ISO form (YYYY-MM-DD) in Khmer digits was refused by a fast path for ISO dates.
    rows = [departure(departure_date="២០២៤-០៣-១២"), departure(departure_date="១២/០៣/២០២៤",
                                                                  name="Keo Vanna")]
    register.add_records(reg, "departures", rows, today=TODAY)
    dates = [r[0] for r in reg.conn.execute("SELECT departure_date FROM journeys")]
    assert dates == ["2024-03-12", "2024-03-12"]


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("sex", "Q", "rule.choice"),
        ("home_village", "99999999", "rule.village"),
        ("departure_date", "2024-02-30", "rule.date"),
        ("departure_date", "2027-01-01", "rule.future"),
        ("destination_country", "Atlantis", "rule.country"),
        ("n_brokers", "-1", "rule.minimum"),
        ("fee_usd", "lots", "rule.number"),
        ("has_passport", "maybe", "rule.bool"),
        ("birth_year", 2022, "rule.age"),
        ("channel", None, "rule.required"),
        ("agency_id", "NO-SUCH-LICENCE", "rule.no_agency"),
        ("shoe_size", "42", "rule.unknown_field"),
    ],
)
def test_bad_values_are_refused_naming_field_and_rule(reg, field, value, rule):
    with pytest.raises(ValidationError) as caught:
        register.add_records(reg, "departures", [departure(**{field: value})], today=TODAY)
    assert [(p.field, p.rule) for p in caught.value.problems] == [(field, rule)]
    assert count(reg, "persons") == 0 and count(reg, "audit_entry") == 0


def test_one_bad_row_writes_nothing_and_every_problem_is_reported(reg):
    rows = [departure(), departure(sex="?"), departure(), departure(home_village="1")]
    with pytest.raises(ValidationError) as caught:
        register.add_records(reg, "departures", rows, today=TODAY)
    assert [(p.row, p.field) for p in caught.value.problems] == [(2, "sex"), (4, "home_village")]
    assert count(reg, "journeys") == 0


def test_return_rules(reg):
    journey = register.add_records(reg, "departures", [departure()], today=TODAY).ids[0]
    with pytest.raises(ValidationError) as caught:
        register.add_records(reg, "returns", [{"journey_id": journey, "return_date": "2024-01-01",
                                               "return_mode": "deported"}], today=TODAY)
    assert caught.value.problems[0].rule == "rule.return_before"
    ok = {"journey_id": journey, "return_date": "2025-01-01", "return_mode": "escaped",
          "ind_deception": 1, "ind_debt_bondage": 1, "exploitation_type": "labour"}
    register.add_records(reg, "returns", [ok], today=TODAY)
    with pytest.raises(ValidationError) as caught:
        register.add_records(reg, "returns", [ok], today=TODAY)
    assert caught.value.problems[0].rule == "rule.unique.returns"
    with pytest.raises(ValidationError) as caught:
        register.add_records(reg, "returns", [{**ok, "journey_id": "0" * 36}], today=TODAY)
    assert caught.value.problems[0].rule == "rule.no_journey"


def test_protection_warnings_are_stored_not_blocking(reg):
    agency = register.add_agency(reg, name="Golden Bridge Manpower", licence_number="MOLVT-77",
                                 licence_status="licensed", licence_expiry="2023-12-31",
                                 allowed_destinations="MY").ids[0]
    report = register.add_records(reg, "departures", [departure(
        channel="licensed_agency", agency_id="molvt-77", n_brokers=3, birth_year=2008,
        destination_country="TH")], today=TODAY)
    codes = sorted(code for _, code, _ in report.warnings)
    assert codes == ["agency_destination", "agency_licence_expired", "agency_minor",
                     "many_brokers"]
    stored = sorted(r[0] for r in reg.conn.execute("SELECT code FROM warnings"))
    assert stored == codes
    assert reg.conn.execute("SELECT agency_id FROM journeys").fetchone()[0] == agency


def test_second_journey_of_a_known_person(reg):
    first = register.add_records(reg, "departures", [departure()], today=TODAY).ids[0]
    person = reg.conn.execute("SELECT person_id FROM journeys WHERE id = ?", (first,)).fetchone()[0]
    register.add_records(reg, "departures", [{
        "person_id": person, "departure_date": "2025-06-01", "destination_country": "MY",
        "channel": "own"}], today=TODAY)
    assert count(reg, "persons") == 1 and count(reg, "journeys") == 2


def test_every_write_is_in_the_audit_log(reg):
    from register import audit

    ids = register.add_records(reg, "departures", [departure()], today=TODAY).ids
    entries = reg.conn.execute("SELECT seq, action, actor FROM audit_entry").fetchall()
    assert entries == [(1, "add", "test-clerk")]  # one entry for the write
    rows = reg.conn.execute("SELECT tab, id, hash FROM audit_row WHERE seq = 1").fetchall()
    assert sorted(audit.TABLE_OF_CODE[r[0]] for r in rows) == ["journeys", "person_identity",
                                                                "persons"]
    cur = reg.conn.execute("SELECT * FROM journeys WHERE id = ?", ids)
    journey = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    assert audit.row_hash(journey) in {r[2] for r in rows}
    assert audit.id_key(ids[0]) in {r[1] for r in rows}


def test_audit_log_is_append_only(reg):
    register.add_records(reg, "departures", [departure()], today=TODAY)
    import sqlite3

    for table in ("audit_entry", "audit_row"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            reg.conn.execute(f"UPDATE {table} SET seq = 7")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            reg.conn.execute(f"DELETE FROM {table}")


def test_correction_keeps_the_old_value(reg):
    journey = register.add_records(reg, "departures", [departure()], today=TODAY).ids[0]
    with pytest.raises(register.RegisterError, match="reason"):
        register.correct(reg, journey, {"destination_country": "MY"}, reason=" ")
    changed = register.correct(reg, journey[:8], {"destination_country": "my", "name": "Sok Dara"},
                               reason="clerk typed the wrong country")
    assert changed == {"destination_country": ("TH", "MY"), "name": ("សុខ ដារា", "Sok Dara")}
    detail, reason = reg.conn.execute(
        "SELECT detail, reason FROM audit_entry WHERE action = 'correct'").fetchone()
    assert reason == "clerk typed the wrong country"
    # the old country is in the entry; the old name (identifying) is kept aside, erasable
    assert json.loads(detail)["old"] == [["journeys", journey, {"destination_country": "TH"}]]
    assert "សុខ" not in detail
    old = reg.conn.execute("SELECT old FROM audit_private").fetchone()[0]
    assert json.loads(old) == {"name": "សុខ ដារា"}
    with pytest.raises(ValidationError):
        register.correct(reg, journey, {"sex": "Z"}, reason="x")
    assert register.check_register(reg).ok


def test_find_by_prefix(reg):
    journey = register.add_records(reg, "departures", [departure()], today=TODAY).ids[0]
    assert register.find(reg, journey[:6]).table == "journeys"
    with pytest.raises(register.RecordNotFoundError):
        register.find(reg, "abc")
    with pytest.raises(register.RecordNotFoundError):
        register.find(reg, "ffffffffff")


def test_search_finds_khmer_and_latin(reg):
    register.add_records(reg, "departures", [departure(), departure(name="Chan Sophea")],
                         today=TODAY)
    assert [h["name"] for h in register.search(reg, "សុខ")] == ["សុខ ដារា"]
    assert [h["name"] for h in register.search(reg, "sophea")] == ["Chan Sophea"]


def test_a_licence_valid_until_next_year_can_be_recorded(reg):
    # Found by the clerk issue: every date had to be in the past, so a valid licence was refused.
    report = register.add_records(reg, "agencies", [
        {"name": "Valid Co", "licence_status": "licensed", "licence_expiry": "2027-12-31"}],
        today=TODAY)
    assert report.written == {"agencies": 1}
    with pytest.raises(register.ValidationError, match="is in the future"):
        register.add_records(reg, "departures", [departure(departure_date="2027-01-01")],
                             today=TODAY)
