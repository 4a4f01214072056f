"""The clerk's form at the terminal (register add-*): menus, picking by name, each answer
checked at once, the record read back before it is saved; and the bugs of the clerk issue
that the prompts met (links checked after the last prompt, short ids, no person or journey to
link to, a licence valid until next year)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from typer.testing import CliRunner

import register
from register import entry
from register.cli import app
from tests.conftest import VILLAGE, departure

runner = CliRunner(env={"COLUMNS": "200"})


def answers(kind: str, given: Mapping[str, str | Sequence[str]], *, known: str | None = None,
            finish: Sequence[str] = ("1",), skip: Sequence[str] = ()) -> str:
    """The lines a clerk types for a record of ``kind``, in the form's order: ``given`` by
    question name (a list when a pick needs a second line), Enter for the rest; ``known``
    answers a departure's first question (is the person registered?); ``finish`` the review."""
    lines: list[str] = []
    if kind == "departures":
        lines += [known, "1"] if known else [""]
    for question in entry.questions(kind, known_person=known is not None):
        if question.name in skip:
            continue
        value = given.get(question.name, "")
        lines += [value] if isinstance(value, str) else list(value)
    return "\n".join([*lines, *finish]) + "\n"


def run(args: Sequence[str], text: str):
    return runner.invoke(app, ["--lang", "en", *args], input=text)


@pytest.fixture
def filled(reg_path):
    with register.open_register(reg_path) as reg:
        agency = register.add_agency(reg, name="Golden Bridge Co", licence_number="MOLVT-112",
                                     licence_status="licensed").ids[0]
        broker = register.add_broker(reg, name="Chea Sok", alias="Ta Sok").ids[0]
        first = register.add_departure(reg, **departure(name="Sok Dara"))
    return {"db": str(reg_path), "agency": agency, "broker": broker,
            "journey": first.ids[0], "person": first.persons[0]}


def rows(db: str, sql: str) -> list[tuple]:
    with register.open_register(db) as reg:
        return reg.conn.execute(sql).fetchall()


def test_a_departure_of_a_new_person_by_name_and_menus(filled):
    text = answers("departures", {
        "name": "Keo Vanna", "phone": "015 555 555", "sex": "2", "birth_year": "1990",
        "home_village": "ou thum", "departure_date": "05/03/2024", "destination_country": "thai",
        "sector": "3", "channel": "3", "broker_id": "ta sok", "documents": "1 2",
        "fee_usd": "250"})
    result = run(["add-departure", "--db", filled["db"]], text)
    assert result.exit_code == 0, result.output
    assert "  1  Female\n  2  Male" in result.output  # a numbered menu of labels
    assert "-> Ou Thum" in result.output and "-> Thailand" in result.output
    assert "-> Chea Sok (Ta Sok)" in result.output
    # read back in plain words before saving
    assert "Departure date: 5 March 2024" in result.output
    assert "Travel documents they had: Passport; Visa" in result.output
    assert "Recruitment fee: 250 US dollars" in result.output
    assert "Saved: departure" in result.output
    stored = rows(filled["db"], "SELECT p.sex, p.home_village, j.destination_country, j.sector, "
                                "j.channel, j.broker_id, j.has_passport, j.has_visa, "
                                "j.has_work_permit, i.phone FROM journeys j JOIN persons p ON "
                                "p.id = j.person_id JOIN person_identity i ON i.person_id = p.id "
                                "WHERE i.name = 'Keo Vanna'")
    assert stored == [("M", VILLAGE, "TH", "construction", "broker", filled["broker"], 1, 1, 0,
                       "015555555")]


def test_a_wrong_answer_is_asked_again_at_once_and_nothing_is_lost(filled):
    """Bug 2: a broker typed wrongly at prompt 17 was refused after the last prompt and the
    whole entry lost. Now it is asked again at once; a bad date and country too."""
    text = answers("departures", {
        "sex": "1", "birth_year": "1996", "home_village": "ou thum",
        "departure_date": ["31/02/2024", "01/03/2024"], "destination_country": ["Narnia", "MY"],
        "channel": ["9", "broker"], "broker_id": ["Nobody Here", "chea"]})
    result = run(["add-departure", "--db", filled["db"]], text)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "'31/02/2024' is not a real date" in out
    assert "Nothing matches 'Narnia'" in out
    assert "'9' is not one of the numbers 1 to 5" in out
    assert "Nothing matches 'Nobody Here'" in out
    assert out.index("Nothing matches 'Nobody Here'") < out.index("Number of brokers")
    assert len(rows(filled["db"], "SELECT id FROM journeys")) == 2


def test_a_departure_of_a_registered_person(filled):
    """Bug 6: a second journey of the same person made a second person."""
    text = answers("departures", {"departure_date": "10/01/2025", "destination_country": "KR",
                                  "channel": "1", "agency_id": "golden"}, known="sok")
    result = run(["add-departure", "--db", filled["db"]], text)
    assert result.exit_code == 0, result.output
    assert "Name (optional" not in result.output  # the person's fields are not asked again
    assert "Person: Sok Dara" in result.output
    assert f"(person {filled['person'][:8]})" in result.output
    assert rows(filled["db"], "SELECT count(*) FROM persons") == [(1,)]
    assert rows(filled["db"], "SELECT agency_id FROM journeys WHERE departure_date = "
                              "'2025-01-10'") == [(filled["agency"],)]


def test_a_return_picked_by_name_with_indicators_and_a_rule_asked_again(filled):
    """A return date before the departure is refused when saving: only that answer is asked
    again, the others are kept."""
    text = answers("returns", {"journey_id": "sok dara", "return_date": "01/01/2024",
                               "return_mode": "2", "indicators": "1 11"},
                   finish=["1", "01/06/2024", "1"])
    result = run(["add-return", "--db", filled["db"]], text)
    assert result.exit_code == 0, result.output
    assert "Return date: '01/01/2024' is before the departure (12 March 2024)" in result.output
    assert "ILO indicators of forced labour that happened: Deception; Debt bondage" in \
        result.output
    stored = rows(filled["db"], "SELECT journey_id, return_date, return_mode, ind_deception, "
                                "ind_debt_bondage, ind_isolation FROM returns")
    assert stored == [(filled["journey"], "2024-06-01", "deported", 1, 1, 0)]


def test_a_referral_asks_for_the_persons_journey(filled):
    """Bug 6: add-referral never asked for the journey."""
    text = answers("referrals", {"person_id": "sok", "journey_id": "1", "service": "1",
                                 "referral_date": "01/07/2024", "status": "1"})
    result = run(["add-referral", "--db", filled["db"]], text)
    assert result.exit_code == 0, result.output
    assert "left 12 March 2024 for Thailand" in result.output
    assert rows(filled["db"], "SELECT person_id, journey_id, service FROM referrals") == [
        (filled["person"], filled["journey"], "mosvy")]


def test_an_agency_with_a_licence_valid_until_next_year(filled):
    """Bug 1 at the prompts."""
    text = answers("agencies", {"name": "Angkor Manpower", "licence_number": "MOLVT-200",
                                "licence_status": "1", "licence_expiry": "31/12/2099",
                                "allowed_destinations": "Thailand, South Korea"})
    result = run(["add-agency", "--db", filled["db"]], text)
    assert result.exit_code == 0, result.output
    assert "Countries the licence allows: South Korea, Thailand" in result.output
    assert rows(filled["db"], "SELECT licence_expiry, allowed_destinations FROM agencies WHERE "
                              "name = 'Angkor Manpower'") == [("2099-12-31", '["KR", "TH"]')]


def test_change_a_line_before_saving_and_cancel(filled):
    questions = [q.name for q in entry.questions("brokers")]
    line = str(questions.index("alias") + 1)
    text = answers("brokers", {"name": "Hem Rith", "alias": "Ta Rith"},
                   finish=["2", line, "Om Rith", "1"])
    result = run(["add-broker", "--db", filled["db"]], text)
    assert result.exit_code == 0, result.output
    assert rows(filled["db"], "SELECT alias FROM brokers WHERE name = 'Hem Rith'") == [
        ("Om Rith",)]
    cancelled = run(["add-broker", "--db", filled["db"]],
                    answers("brokers", {"name": "Nobody"}, finish=["3"]))
    assert cancelled.exit_code == 1 and "Cancelled. Nothing was saved." in cancelled.output
    assert rows(filled["db"], "SELECT count(*) FROM brokers WHERE name = 'Nobody'") == [(0,)]


def test_interrupted_prompt_writes_nothing_and_says_so(reg_path):
    result = run(["add-departure", "--db", str(reg_path)], "\nChan Sophea\n")
    assert result.exit_code == 130
    assert "Stopped. Nothing was written." in result.output
    assert rows(str(reg_path), "SELECT count(*) FROM persons") == [(0,)]


def test_short_ids_everywhere(filled):
    """Bug 3: 8-character ids (as the README shows them) for every link."""
    db = filled["db"]
    ret = run(["add-return", "--db", db, "--no-input", "--journey-id", filled["journey"][:8],
               "--return-date", "2024-06-01", "--return-mode", "voluntary"], "")
    assert ret.exit_code == 0, ret.output
    dep = run(["add-departure", "--db", db, "--no-input", "--person-id", filled["person"][:8],
               "--departure-date", "2025-01-01", "--destination-country", "TH",
               "--channel", "broker", "--broker-id", filled["broker"][:8]], "")
    assert dep.exit_code == 0, dep.output
    ref = run(["add-referral", "--db", db, "--no-input", "--person-id", filled["person"][:6],
               "--journey-id", filled["journey"][:8], "--service", "ngo",
               "--referral-date", "2024-07-01", "--status", "referred"], "")
    assert ref.exit_code == 0, ref.output
    shown = run(["show", filled["journey"][:6], "--db", db], "")
    assert shown.exit_code == 0 and "Sok Dara" in shown.output
    khmer_digits = filled["journey"][:8].translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    corrected = run(["correct", khmer_digits, "--db", db, "--set", "planned_months=៦",
                     "--reason", "asked", "--no-input"], "")
    assert corrected.exit_code == 0 and "-> 6" in corrected.output, corrected.output


def test_links_given_as_options_are_checked_before_the_questions(filled):
    text = "chea\n" + answers("departures", {
        "sex": "1", "birth_year": "1996", "home_village": "ou thum",
        "departure_date": "01/03/2024", "destination_country": "TH", "channel": "3"},
        skip=("broker_id",))
    result = run(["add-departure", "--db", filled["db"], "--broker-id", "Nobody"], text)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("'Nobody' is not a broker in this register") < out.index("Sex")
    assert rows(filled["db"], "SELECT broker_id FROM journeys WHERE departure_date = "
                              "'2024-03-01'") == [(filled["broker"],)]


def test_khmer_answers_at_the_prompts(filled):
    text = answers("departures", {"sex": "ស្រី", "birth_year": "១៩៩៦",
                                  "home_village": "អូរធំ", "departure_date": "០១/០៣/២០២៤",
                                  "destination_country": "ម៉ាឡេស៊ី", "channel": "៥",
                                  "documents": "១", "contract_seen": "ចាស"})
    result = run(["add-departure", "--db", filled["db"]], text)
    assert result.exit_code == 0, result.output
    assert rows(filled["db"], "SELECT p.sex, p.birth_year, p.home_village, "
                              "j.destination_country, j.channel, j.has_passport, "
                              "j.contract_seen FROM journeys j JOIN persons p ON "
                              "p.id = j.person_id WHERE j.departure_date = '2024-03-01'") == [
        ("F", 1996, VILLAGE, "MY", "own", 1, 1)]
