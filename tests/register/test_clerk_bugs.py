"""The bugs of the clerk issue (issue 11) that the library itself must not have, each with a
test that failed before it was fixed. (Those met at the prompts are in test_cli_entry.py, those
of the commands' output in test_cli.py and test_cli_browse.py, bug 1 in test_records.py.)"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

import register
from register import ValidationError
from tests.conftest import TODAY, departure


def test_a_licence_valid_until_next_year_imports(reg, tmp_path):
    """Bug 1 on import: a licence expiry ahead of today is accepted."""
    path = tmp_path / "agencies.csv"
    path.write_text("name,licence_status,licence_expiry\nValid Co,licensed,31/12/2099\n",
                    encoding="utf-8")
    report = register.import_file(reg, path, "agencies", today=TODAY)
    assert report.written == {"agencies": 1}
    assert reg.conn.execute("SELECT licence_expiry FROM agencies").fetchone() == ("2099-12-31",)


def test_a_correction_runs_the_rules_an_add_runs(reg):
    """Bug 5: a return date moved before its departure, and a birth year against the birth date,
    were accepted by 'correct' and 'check' then called the register consistent."""
    dep = register.add_departure(reg, **departure(birth_date="2005-03-12", birth_year=None,
                                                  departure_date="2024-03-12"))
    ret = register.add_return(reg, journey_id=dep.ids[0], return_date="2024-09-01",
                              return_mode="voluntary").ids[0]
    with pytest.raises(ValidationError, match="is before the departure"):
        register.correct(reg, ret, {"return_date": "2024-01-01"}, reason="typo")
    with pytest.raises(ValidationError, match="does not match the year of the birth date"):
        register.correct(reg, dep.persons[0], {"birth_year": "2012"}, reason="typo")
    assert reg.conn.execute("SELECT return_date FROM returns").fetchone() == ("2024-09-01",)
    assert register.check_register(reg).ok
    # a record broken outside the program is reported by check
    reg.conn.execute("UPDATE persons SET birth_year = 2012")
    report = register.check_register(reg)
    assert any("does not match the year of the birth date" in p for p in report.problems)


def test_a_correction_that_changes_nothing_is_not_written(reg):
    journey = register.add_departure(reg, **departure()).ids[0]
    before = reg.conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0]
    assert register.correct(reg, journey, {"destination_country": "th"}, reason="same") == {}
    assert reg.conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0] == before


def test_ids_and_phones_are_stored_as_numbers_so_search_finds_them(reg):
    """Bug 7: an ID typed in Khmer digits was stored as typed, and '012 345 678' differed from
    '012345678': search missed both."""
    register.add_departure(reg, **departure(national_id="០១០ ២០៣ ០៤៥", phone="012 345 678",
                                            contact_phone="០៩៧-៧៧៧-៧៧៧"))
    stored = reg.conn.execute("SELECT national_id, phone, contact_phone FROM person_identity"
                              ).fetchone()
    assert stored == ("010203045", "012345678", "097777777")
    for typed in ("010203045", "០១០២០៣", "012345678", "012 345", "៣៤៥ ៦៧៨"):
        assert len(register.search(reg, typed)) == 1, typed


def test_a_phone_from_excel_keeps_its_leading_zero(reg, tmp_path):
    """Bug 7: a phone typed as a number in Excel lost its leading 0."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    header = ["sex", "home_village", "departure_date", "destination_country", "channel",
              "name", "phone", "national_id"]
    sheet.append(header)
    sheet.append(["F", "01020101", dt.date(2024, 3, 5), "TH", "own", "A", 12345678, "010203045"])
    sheet.append(["M", "01020101", dt.date(2024, 3, 6), "TH", "own", "B", 962345678, None])
    path = tmp_path / "phones.xlsx"
    book.save(path)
    register.import_file(reg, path, "departures", today=TODAY)
    phones = {r[0]: r[1] for r in reg.conn.execute("SELECT name, phone FROM person_identity")}
    assert phones == {"A": "012345678", "B": "0962345678"}


def test_a_row_twice_in_one_file_is_one_person_not_two(reg, tmp_path):
    """Bug 7: the same name and national ID twice in one file made two persons."""
    row = departure(name="Chan Thida", national_id="112233445")
    path = tmp_path / "twice.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        writer.writeheader()
        writer.writerows([row, row])
    with pytest.raises(ValidationError, match="the same record as row 2"):
        register.import_file(reg, path, "departures", today=TODAY)
    assert reg.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 0


def test_refusals_name_the_value_as_typed(reg):
    """Bug 7: messages dropped the value ('  is not a known ISO country code') or showed the
    value normalised instead of what was typed."""
    with pytest.raises(ValidationError) as refused:
        register.add_departure(reg, **departure(destination_country="Narnia",
                                                broker_id="04E063B3"))
    text = str(refused.value)
    assert "'Narnia' is not a known country" in text
    assert "'04E063B3' is not a broker" in text


def test_khmer_and_english_labels_are_accepted_as_answers(reg):
    """Khmer answers wherever English ones are: sex, yes/no, choices, countries by name."""
    report = register.add_departure(reg, **departure(
        sex="ប្រុស", has_passport="ចាស", has_visa="ទេ", channel="មេខ្យល់",
        destination_country="ម៉ាឡេស៊ី", sector="Hotels and restaurants", citizenship="Cambodia"))
    row = reg.conn.execute("SELECT p.sex, j.has_passport, j.has_visa, j.channel, "
                           "j.destination_country, j.sector, p.citizenship FROM journeys j "
                           "JOIN persons p ON p.id = j.person_id WHERE j.id = ?",
                           (report.ids[0],)).fetchone()
    assert row == ("M", 1, 0, "broker", "MY", "hospitality", "KH")


def test_an_import_files_columns_may_be_named_by_their_labels(reg, tmp_path):
    """A sheet whose header a clerk wrote in Khmer (the fields' labels) imports."""
    from register.i18n import t_in

    names = ["sex", "home_village", "departure_date", "destination_country", "channel"]
    header = ",".join(t_in("km", f"field.{n}") for n in names)
    path = tmp_path / "khmer.csv"
    path.write_text(f"{header}\nស្រី,01020101,05/03/2024,ថៃ,ដោយខ្លួនឯង\n", encoding="utf-8")
    report = register.import_file(reg, path, "departures", today=TODAY)
    assert report.written["journeys"] == 1
