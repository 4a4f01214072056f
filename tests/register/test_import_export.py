"""Import from CSV/Excel (all or nothing, every problem named) and the researcher export."""

from __future__ import annotations

import csv
import sqlite3

import pytest

import register
from register.errors import RegisterError, ValidationError
from register.export import COLUMN_NAMES, SENSITIVE
from tests.conftest import TODAY, departure

HEADER = register.template("departures").strip().split(",")


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return path


def test_template_lists_every_field_of_the_kind():
    assert HEADER[:3] == ["person_id", "journey_id", "name"]
    assert "ind_debt_bondage" in register.template("returns")
    with pytest.raises(RegisterError, match="unknown record kind"):
        register.template("people")


def test_import_with_bad_rows_names_each_and_changes_nothing(reg, tmp_path):
    rows = [departure(), departure(sex="woman"), departure(name="Chan Thida"),
            departure(departure_date="31/31/2024", home_village="123")]
    path = write_csv(tmp_path / "in.csv", rows)
    before = reg.conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0]
    with pytest.raises(ValidationError) as caught:
        register.import_file(reg, path, "departures", today=TODAY)
    found = sorted((p.row, p.field) for p in caught.value.problems)
    # Row 1 of the file is the header, so the 2nd data row is line 3.
    assert found == [(3, "sex"), (5, "departure_date"), (5, "home_village")]
    assert "row 3: Sex (column sex): 'woman' must be one of" in str(caught.value)
    assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 0
    assert reg.conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0] == before


def test_dry_run_reports_and_writes_nothing(reg, tmp_path):
    path = write_csv(tmp_path / "in.csv", [departure(), departure(sex="?")])
    report = register.import_file(reg, path, "departures", dry_run=True, today=TODAY)
    assert [(p.row, p.field) for p in report.problems] == [(3, "sex")]
    assert reg.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 0


def test_importing_the_same_file_twice_adds_nothing_the_second_time(reg, tmp_path):
    path = write_csv(tmp_path / "in.csv", [departure(), departure(name="Keo Vanna")])
    first = register.import_file(reg, path, "departures", today=TODAY)
    second = register.import_file(reg, path, "departures", today=TODAY)
    assert first.written["journeys"] == 2
    assert second.written == {} and second.already_present == 2
    assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 2


def test_excel_import(reg, tmp_path):
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    row = departure(departure_date=dt.datetime(2024, 3, 12), birth_year=1996.0)
    sheet.append([row.get(k) for k in HEADER])
    book.save(tmp_path / "in.xlsx")
    report = register.import_file(reg, tmp_path / "in.xlsx", "departures", today=TODAY)
    assert report.written["journeys"] == 1
    assert reg.conn.execute("SELECT departure_date FROM journeys").fetchone()[0] == "2024-03-12"


def test_wrong_encoding_is_refused_with_advice(reg, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,sex\nJos\xe9,M\n".encode("latin-1"))
    with pytest.raises(RegisterError, match="not UTF-8.*CSV UTF-8"):
        register.import_file(reg, path, "departures", today=TODAY)


def test_missing_file_and_unknown_column(reg, tmp_path):
    with pytest.raises(RegisterError, match="no file"):
        register.import_file(reg, tmp_path / "nope.csv", "departures")
    path = write_csv(tmp_path / "x.csv", [{**departure(), "colour": "red"}],
                     header=[*HEADER, "colour"])
    with pytest.raises(ValidationError) as caught:
        register.import_file(reg, path, "departures", today=TODAY)
    # the column is named once, for the whole file (clerk issue, bug 7)
    assert [(p.row, p.rule, p.details["columns"]) for p in caught.value.problems] == [
        (None, "import.unknown_columns", "colour")]


def _export(reg, tmp_path, name="out.csv"):
    """The whole export of a few records: the detailed level, whose smallest group is below k
    (a test of content, not of anonymity: see test_anonymise.py)."""
    out = tmp_path / name
    n = register.export_researcher(reg, out, level="detailed", accept_risk=True)
    return n, out


def test_export_has_no_identifying_field_or_value(reg, tmp_path):
    journey = register.add_records(reg, "departures", [departure(destination_place="Rayong")],
                                   today=TODAY).ids[0]
    register.add_records(reg, "returns", [{"journey_id": journey, "return_date": "2025-02-01",
                                           "return_mode": "rescued", "ind_deception": 1,
                                           "ind_retention_of_documents": 1,
                                           "job_done": "fishing boat"}], today=TODAY)
    n, out = _export(reg, tmp_path)
    text = out.read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    assert n == 1 and tuple(header) == COLUMN_NAMES
    assert not set(SENSITIVE) & set(header)
    for secret in ("សុខ ដារា", "010203045", "012345678", "Rayong", "fishing boat", journey,
                   "01020101"):
        assert secret not in text
    row = next(csv.DictReader(text.splitlines()))
    assert (row["forced_labour"], row["trafficking"], row["returned"]) == ("1", "1", "1")
    assert (row["commune_code"], row["age_band"]) == ("010201", "25-34")


def test_export_pseudonyms_are_stable_and_keyed(reg, tmp_path):
    register.add_records(reg, "departures", [departure()], today=TODAY)
    first = list(register.researcher_rows(reg))[0]["person_key"]
    assert list(register.researcher_rows(reg))[0]["person_key"] == first
    person_id = reg.conn.execute("SELECT id FROM persons").fetchone()[0]
    import hashlib

    assert first not in hashlib.sha256(person_id.encode()).hexdigest()


def test_export_to_sqlite(reg, tmp_path):
    register.add_records(reg, "departures", [departure(), departure()], today=TODAY)
    n, out = _export(reg, tmp_path, "out.db")
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == n == 2


def test_export_never_emits_a_formula(reg, tmp_path):
    agency = register.add_agency(reg, name="=HYPERLINK(\"http://x\")", licence_status="licensed")
    assert agency.ids
    register.add_records(reg, "departures", [departure(channel="broker")], today=TODAY)
    from register.io import safe_cell

    assert safe_cell("=1+1") == "'=1+1" and safe_cell("-2") == "'-2" and safe_cell(3) == 3
    _, out = _export(reg, tmp_path)
    for row in csv.reader(out.read_text().splitlines()):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_export_levels_generalise_quasi_identifiers(reg, tmp_path):
    register.add_records(reg, "departures", [departure(departure_date="2024-03-12")], today=TODAY)
    rows = {level: next(register.researcher_rows(reg, level))
            for level in ("detailed", "standard", "strict")}
    assert rows["detailed"]["birth_year"] == 1996 and rows["detailed"]["age_at_departure"]
    assert rows["standard"]["birth_year"] is None and rows["standard"]["age_at_departure"] is None
    assert rows["standard"]["departure_date"] == "2024-03" and rows["standard"]["age_band"]
    assert rows["standard"]["commune_code"] == "010201"
    assert rows["strict"]["commune_code"] is None and rows["strict"]["district_code"] == "0102"
    with pytest.raises(RegisterError, match="unknown export level"):
        register.export_researcher(reg, tmp_path / "x.csv", level="loose")


def test_a_row_repeated_in_a_file_is_refused_and_named(reg, tmp_path):
    # Same name, national ID and journey twice: one person, not two (found by the clerk issue).
    path = write_csv(tmp_path / "in.csv", [departure(), departure(name="Chan Thida"), departure()])
    with pytest.raises(ValidationError) as caught:
        register.import_file(reg, path, "departures", today=TODAY)
    assert [(p.row, p.rule) for p in caught.value.problems] == [(4, "rule.repeated_row")]
    assert "row 4: the same record as row 2" in str(caught.value)
    assert reg.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 0


def test_the_same_rows_in_another_file_or_order_import_once(reg, tmp_path):
    rows = [departure(), departure(name="Chan Thida", national_id="987654321")]
    first = register.import_file(reg, write_csv(tmp_path / "a.csv", rows), "departures",
                                 today=TODAY)
    assert first.written["journeys"] == 2
    # re-downloaded under another name, rows in the other order, one row added
    again = rows[::-1] + [departure(name="Keo Sokha", national_id="555666777")]
    second = register.import_file(reg, write_csv(tmp_path / "b.csv", again), "departures",
                                  today=TODAY)
    assert second.already_present == 2 and second.written["journeys"] == 1
    assert reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0] == 3
