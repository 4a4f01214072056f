"""register followup: who is away longer than planned with no return or news."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import register
from register import i18n
from register.cli import app
from register.report import ReportError, followup
from register.validation import months_between
from tests.conftest import VILLAGE, departure

runner = CliRunner()
AS_OF = "2026-10-31"


def _add(reg, **values) -> tuple[str, str]:
    """Add a departure; return (journey id, person id)."""
    journey = register.add_departure(reg, **departure(**values)).ids[0]
    person = reg.conn.execute("SELECT person_id FROM journeys WHERE id = ?", (journey,)).fetchone()
    return journey, person[0]


@pytest.fixture
def people(reg):
    """Departures with and without news, named by what should happen to them."""
    ids = {}
    ids["old"], _ = _add(reg, name="Old Departure", phone="012111222", departure_date="2023-01-15",
                         national_id="1")
    ids["recent"], _ = _add(reg, name="Recent Departure", departure_date="2026-03-01",
                            national_id="2")
    ids["edge"], _ = _add(reg, name="Exactly Twelve", departure_date="2025-10-31", national_id="3")
    ids["past_edge"], _ = _add(reg, name="Twelve And A Day", departure_date="2025-10-30",
                               national_id="4")
    ids["returned"], _ = _add(reg, name="Came Back", departure_date="2024-01-10", national_id="5")
    register.add_return(reg, journey_id=ids["returned"], return_date="2025-02-01",
                        return_mode="voluntary")
    ids["referred"], person = _add(reg, name="Referred Later", departure_date="2024-02-10",
                                   national_id="6")
    register.add_referral(reg, person_id=person, service="ngo", referral_date="2024-06-01",
                          status="referred")
    ids["referred_before"], person = _add(reg, name="Referred Before", national_id="7",
                                          departure_date="2024-03-10")
    register.add_referral(reg, person_id=person, service="police", referral_date="2024-03-01",
                          status="closed")
    ids["returns_after"], _ = _add(reg, name="Returns After", departure_date="2024-04-10",
                                   national_id="8")
    register.add_return(reg, journey_id=ids["returns_after"], return_date="2026-11-15",
                        return_mode="deported")
    return ids


def test_who_is_overdue_oldest_first(reg, people):
    found = followup(reg, as_of=AS_OF)
    # 'returns_after' came back after the reference date: still overdue on it
    expected = ["old", "referred_before", "returns_after", "past_edge"]
    assert [p.journey_id for p in found] == [people[k] for k in expected]
    first = found[0]
    assert (first.name, first.phone, first.village) == ("Old Departure", "012111222", VILLAGE)
    assert first.months_away == months_between("2023-01-15", AS_OF) == 45
    assert all(p.expected_months == 12 for p in found)
    later = followup(reg, as_of="2026-11-30")  # the return of 15 November is news by then
    assert people["returns_after"] not in [p.journey_id for p in later]


def test_months_option_overrides_the_default(reg, people):
    assert [p.journey_id for p in followup(reg, months=40, as_of=AS_OF)] == [people["old"]]
    short = {p.journey_id for p in followup(reg, months=6, as_of=AS_OF)}
    assert people["recent"] in short and people["edge"] in short
    for bad in (0, 601, -3):
        with pytest.raises(ReportError, match="whole number from 1 to 600"):
            followup(reg, months=bad)


def test_planned_months_are_used_when_the_register_has_them(reg, people):
    """A planned stay recorded for a journey replaces the 12 months of the test above."""
    register.correct(reg, people["old"], {"planned_months": "48"}, "asked the family")
    register.correct(reg, people["recent"], {"planned_months": "6"}, "asked the family")
    found = {p.journey_id: p for p in followup(reg, as_of=AS_OF)}
    assert people["old"] not in found  # 45 months of a planned 48
    assert found[people["recent"]].expected_months == 6
    assert found[people["past_edge"]].expected_months == 12  # not recorded: 12
    # --months still overrides the planned stay
    assert people["old"] in {p.journey_id for p in followup(reg, months=12, as_of=AS_OF)}


def test_followup_command_in_english_and_khmer(reg_path):
    with register.open_register(reg_path) as reg:
        _add(reg, name="Old Departure", phone="012111222", departure_date="2023-01-15")
    try:
        result = runner.invoke(app, ["--lang", "en", "followup", "--db", str(reg_path)])
        assert result.exit_code == 0, result.output
        assert "no return or news: 1 (oldest first)" in result.output
        assert "Old Departure" in result.output and "012111222" in result.output
        assert "Thailand" in result.output and "Ou Thum" in result.output
        result = runner.invoke(app, ["--lang", "km", "followup", "--db", str(reg_path)])
        assert result.exit_code == 0 and "ថៃ" in result.output and "ឈ្មោះ" in result.output
        result = runner.invoke(app, ["--lang", "en", "followup", "--db", str(reg_path),
                                     "--months", "600"])
        assert result.exit_code == 0 and "No one to follow up" in result.output
        result = runner.invoke(app, ["--lang", "en", "followup", "--db", str(reg_path),
                                     "--months", "0"])
        assert result.exit_code == 1 and "from 1 to 600" in result.output
    finally:
        i18n.set_language(None)
