"""The form's logic without its screen (register.entry): questions, pickers, answers checked
at once, the record in plain words; shared by the prompts and the browser form."""

from __future__ import annotations

import pytest

import register
from register import entry, i18n
from register.model import MODEL
from register.vocabulary import ILO_INDICATORS
from tests.conftest import VILLAGE, departure

JOURNEY = MODEL.table("returns").field("journey_id")
AGENCY = MODEL.table("journeys").field("agency_id")
BROKER = MODEL.table("journeys").field("broker_id")
PERSON = MODEL.table("referrals").field("person_id")
REFERRAL_JOURNEY = MODEL.table("referrals").field("journey_id")
VILLAGE_FIELD = MODEL.table("persons").field("home_village")
COUNTRY = MODEL.table("journeys").field("destination_country")


@pytest.fixture
def khmer():
    i18n.set_language("km")
    yield
    i18n.set_language(None)


@pytest.fixture
def filled(reg):
    """A register with an agency, a broker, two persons, three departures, one return."""
    agency = register.add_agency(reg, name="Golden Bridge Co", licence_number="MOLVT-112",
                                 licence_status="licensed").ids[0]
    broker = register.add_broker(reg, name="Chea Sok", alias="Ta Sok", phone="011 222 333").ids[0]
    first = register.add_departure(reg, **departure(name="Sok Dara", phone="012 345 678"))
    sok = first.persons[0]
    second = register.add_departure(reg, person_id=sok, departure_date="2025-01-10",
                                    destination_country="MY", channel="own")
    other = register.add_departure(reg, **departure(name="Keo Vanna", national_id="999888777",
                                                    phone="015 555 555"))
    register.add_return(reg, journey_id=first.ids[0], return_date="2024-09-01",
                        return_mode="voluntary")
    return {"agency": agency, "broker": broker, "sok": sok, "returned": first.ids[0],
            "open": second.ids[0], "keo": other.persons[0], "keo_journey": other.ids[0]}


def names(questions):
    return [q.name for q in questions]


def test_questions_in_order_with_groups():
    dep = names(entry.questions("departures"))
    assert dep[:3] == ["name", "national_id", "phone"]
    assert "person_id" not in dep and "journey_id" not in dep and "recorded_date" not in dep
    assert "documents" in dep and "has_visa" not in dep
    assert dep.index("documents") < dep.index("fee_usd")
    known = names(entry.questions("departures", known_person=True))
    assert known[0] == "departure_date" and "sex" not in known and "name" not in known
    ret = entry.questions("returns")
    assert ret[0].name == "journey_id" and ret[0].required
    indicators = next(q for q in ret if q.name == "indicators")
    assert [f.name for f in indicators.fields] == list(ILO_INDICATORS) and indicators.group
    # bug 6: a referral asks for the person, then the journey
    assert names(entry.questions("referrals"))[:2] == ["person_id", "journey_id"]


def test_birth_year_is_not_asked_once_the_birth_date_is_known():
    year = next(q for q in entry.questions("departures") if q.name == "birth_year")
    assert entry.needed(year, {})
    assert not entry.needed(year, {"birth_date": "1990-05-01"})


def test_choices_are_labelled_in_the_clerks_language(khmer):
    sex = MODEL.table("persons").field("sex")
    assert [(o.value, o.label) for o in entry.choices(sex)][:2] == [("F", "ស្រី"), ("M", "ប្រុស")]


def test_villages_of_the_commune_come_first(reg):
    listed = entry.find(reg, "departures", VILLAGE_FIELD, "")
    assert listed and all(o.value.startswith("010201") for o in listed)
    assert VILLAGE in [o.value for o in listed]
    found = entry.find(reg, "departures", VILLAGE_FIELD, "ou thum")
    assert found[0].value == VILLAGE and found[0].exact and found[0].detail == ""
    assert len(found) > 1 and not any(o.exact for o in found[1:])  # similar names elsewhere
    assert found[1].value[:6] != "010201" and found[1].detail  # named with their commune


def test_countries_by_name_in_either_language(reg, khmer):
    assert [o.value for o in entry.find(reg, "departures", COUNTRY, "ថៃ")][0] == "TH"
    assert entry.find(reg, "departures", COUNTRY, "korea")[0].value == "KR"
    assert entry.find(reg, "departures", COUNTRY, "kr")[0].label == "កូរ៉េខាងត្បូង"


def test_agencies_brokers_and_persons_by_part_of_a_name(reg, filled):
    assert [o.value for o in entry.find(reg, "departures", AGENCY, "golden")] == [filled["agency"]]
    assert [o.value for o in entry.find(reg, "departures", AGENCY, "molvt-1")] == [filled["agency"]]
    assert [o.value for o in entry.find(reg, "departures", BROKER, "ta sok")] == [filled["broker"]]
    # a phone typed with spaces finds the number stored without them
    assert [o.value for o in entry.find(reg, "referrals", PERSON, "012 345")] == [filled["sok"]]
    assert entry.find(reg, "referrals", PERSON, "keo")[0].value == filled["keo"]


def test_departures_to_pick(reg, filled):
    # a return: only departures that have no return yet
    open_ones = [o.value for o in entry.find(reg, "returns", JOURNEY, "sok dara")]
    assert open_ones == [filled["open"]]
    # a referral: the person's departures, latest first
    mine = entry.find(reg, "referrals", REFERRAL_JOURNEY, "", {"person_id": filled["sok"]})
    assert [o.value for o in mine] == [filled["open"], filled["returned"]]


def test_an_answer_is_checked_at_once(reg, filled):
    by_name = entry.check(reg, "departures", AGENCY, "golden bridge co")
    assert by_name.value == filled["agency"] and by_name.problem is None
    by_prefix = entry.check(reg, "returns", JOURNEY, filled["open"][:8].upper())
    assert by_prefix.value == filled["open"]
    wrong = entry.check(reg, "departures", BROKER, "Nobody Here")
    assert wrong.problem.rule == "rule.no_broker" and wrong.problem.value == "Nobody Here"
    taken = entry.check(reg, "returns", JOURNEY, filled["returned"])
    assert taken.problem.rule == "rule.unique.returns"
    other = entry.check(reg, "referrals", REFERRAL_JOURNEY, filled["keo_journey"],
                        {"person_id": filled["sok"]})
    assert other.problem.rule == "rule.journey_of_other"
    required = entry.check(reg, "returns", JOURNEY, "")
    assert required.problem.rule == "rule.required"


def test_a_village_of_another_province_is_accepted_with_a_note(reg):
    home = entry.check(reg, "departures", VILLAGE_FIELD, VILLAGE)
    assert home.value == VILLAGE and home.note is None
    far = entry.check(reg, "departures", VILLAGE_FIELD, "12010101")
    assert far.value == "12010101" and far.problem is None
    assert "another province" in far.note


def test_a_voided_record_cannot_be_picked_or_linked(reg, filled):
    reg.conn.execute("INSERT INTO voided (table_name, record_id, reason, voided_at) "
                     "VALUES ('agencies', ?, 'test', '2026-01-01')", (filled["agency"],))
    assert entry.find(reg, "departures", AGENCY, "golden") == []
    assert entry.check(reg, "departures", AGENCY, filled["agency"]).problem.rule == \
        "rule.voided_link"


def test_the_record_in_plain_words(reg, filled, khmer):
    answers = {"journey_id": filled["open"], "return_date": "2025-06-03",
               "return_mode": "deported", "ind_deception": 1, "ind_debt_bondage": 1,
               **{k: 0 for k in ILO_INDICATORS if k not in ("ind_deception", "ind_debt_bondage")}}
    words = dict(entry.summary(reg, "returns", answers))
    assert words[i18n.t("field.return_date")] == "ថ្ងៃទី៣ ខែមិថុនា ឆ្នាំ២០២៥"
    assert words[i18n.t("field.return_mode")] == "ត្រូវបាននិរទេស"
    assert "Sok Dara" in words[i18n.t("field.journey_id")]
    assert "ម៉ាឡេស៊ី" in words[i18n.t("field.journey_id")]
    assert words[i18n.t("entry.group.indicators")] == "; ".join(
        [i18n.t("field.ind_deception"), i18n.t("field.ind_debt_bondage")])
    assert words[i18n.t("field.job_done")] == i18n.t("entry.not_given")


def test_save_a_departure_of_a_known_person(reg, filled):
    answers = {"person_id": filled["keo"], "departure_date": "2025-02-02",
               "destination_country": "KR", "channel": "licensed_agency",
               "agency_id": filled["agency"], "has_passport": 1, "has_visa": 0}
    words = entry.summary(reg, "departures", answers, known_person=True)
    assert words[0][1].startswith("Keo Vanna")
    report = entry.save(reg, "departures", answers)
    assert report.persons == [filled["keo"]]
    assert reg.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 2


def test_questions_to_ask_again_after_a_refusal(reg, filled):
    with pytest.raises(register.ValidationError) as refused:
        entry.save(reg, "returns", {"journey_id": filled["open"], "return_date": "2024-01-01",
                                    "return_mode": "voluntary"})
    again = entry.to_ask_again("returns", refused.value.problems)
    assert [q.name for q in again] == ["return_date"]


def test_what_saving_would_refuse_is_known_before_with_nothing_written(reg, filled):
    """The browser's review page: the rule book across records, before anything is saved."""
    early = {"journey_id": filled["open"], "return_date": "2024-01-01",
             "return_mode": "voluntary"}
    found = entry.problems(reg, "returns", early)
    assert [(p.field, p.rule, p.row) for p in found] == [
        ("return_date", "rule.return_before", None)]
    assert entry.problems(reg, "returns", {**early, "return_date": "2025-06-03"}) == []
    assert reg.conn.execute("SELECT count(*) FROM returns").fetchone()[0] == 1


def test_one_forms_key_saves_one_record(reg, filled):
    """The same review saved twice (a double click in the browser) is one record."""
    answers = {"name": "Mao Lina", "sex": "F", "birth_year": 1999, "home_village": VILLAGE,
               "departure_date": "2025-03-01", "destination_country": "TH", "channel": "own"}
    first = entry.save(reg, "departures", answers, key="web:1")
    again = entry.save(reg, "departures", answers, key="web:1")
    assert first.ids and not again.ids and again.already_present == 1
    other = entry.save(reg, "departures", {**answers, "name": "Mao Lin"}, key="web:2")
    assert other.ids and other.ids != first.ids
    assert reg.conn.execute("SELECT count(*) FROM person_identity WHERE name LIKE 'Mao%'"
                            ).fetchone()[0] == 2


def test_a_group_answered_by_naming_what_applies():
    documents = next(q for q in entry.questions("departures") if q.name == "documents")
    assert entry.group_values(documents, ["has_visa"]) == {
        "has_passport": 0, "has_visa": 1, "has_work_permit": 0, "has_border_pass": 0}
    assert set(entry.group_values(documents, []).values()) == {0}  # none applies
    assert set(entry.group_values(documents, None).values()) == {None}  # not answered
