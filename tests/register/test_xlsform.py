"""The phone form is generated from the field declarations, and converts with pyxform."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from pyxform.xls2xform import convert
from typer.testing import CliRunner

from register import model, vocabulary
from register.cli import app
from register.i18n import catalogue
from register.validation import MAX_AGE, MIN_AGE
from register.xlsform import (
    VERSION_QUESTION,
    asked,
    build_form,
    choice_label_key,
    choices_of,
    form_version,
    write_xlsform,
)

KINDS = model.MODEL.kind_names
JAVA = shutil.which("java") is not None  # ODK Validate (shipped with pyxform) needs Java


@pytest.mark.parametrize("kind", KINDS)
def test_every_form_converts_without_error_or_warning(kind, tmp_path):
    path = write_xlsform(build_form(kind, province="01"), tmp_path / f"{kind}.xlsx")
    warnings: list[str] = []
    result = convert(str(path), warnings=warnings, validate=JAVA)  # raises on an error
    assert result.warnings == [] and warnings == []
    assert f'version="{form_version(kind)}"' in result.xform
    asked_fields = [s.name for s in model.fields_of(kind) if asked(s)]
    for name in asked_fields:
        assert f"/{name}" in result.xform


def test_the_workbook_has_the_three_sheets_and_both_languages(tmp_path):
    path = write_xlsform(build_form("departures", province="01"), tmp_path / "d.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in book["survey"][1]]
    assert {"type", "name", "label::English (en)", "label::Khmer (km)", "required",
            "constraint", "choice_filter"} <= set(header)
    rows = [dict(zip(header, (c.value for c in row), strict=True))
            for row in book["survey"].iter_rows(min_row=2)]
    sex = next(r for r in rows if r["name"] == "sex")
    assert sex["type"] == "select_one sex" and sex["required"] == "yes"
    assert sex["label::Khmer (km)"] == catalogue("km")["field.sex"]
    settings = dict(zip([c.value for c in book["settings"][1]],
                        [c.value for c in book["settings"][2]], strict=True))
    assert settings["version"] == form_version("departures")
    assert settings["default_language"] == "English (en)"


def test_constraints_mirror_the_rules():
    form = build_form("departures", province="01")
    by_name = {q.name: q for q in form.questions}
    assert by_name["departure_date"].constraint.count("today()") == 1
    assert f">= {MIN_AGE}" in by_name["departure_date"].constraint
    assert f"<= {MAX_AGE}" in by_name["departure_date"].constraint
    assert ". <= 20" in by_name["n_brokers"].constraint  # Field("n_brokers", maximum=20)
    assert ". >= 0" in by_name["fee_usd"].constraint
    assert "string-length(.) <= 40" in by_name["phone"].constraint
    assert "${birth_date}" in by_name["birth_year"].constraint
    assert by_name["home_village"].choice_filter == "commune=${home_village_commune}"
    assert by_name["home_village_commune"].choice_filter == "district=${home_village_district}"
    assert by_name[VERSION_QUESTION].calculation == f"'{form.version}'"
    # record ids are made by the register, not asked; the departure of a return is asked
    assert "journey_id" not in by_name and "person_id" not in by_name
    assert build_form("returns").question("journey_id") is not None


def test_villages_are_those_of_the_province():
    form = build_form("departures", province="01")
    villages = [r for r in form.choices if r["list_name"] == "village"]
    districts = [r for r in form.choices if r["list_name"] == "district"]
    assert villages and all(r["name"].startswith("01") for r in villages)
    assert all(r["commune"] == r["name"][:6] for r in villages)
    assert all(r["label::English (en)"].endswith(f"({r['name']})") for r in villages)
    assert not [r for r in form.choices if r["list_name"] == "province"]
    assert len(districts) < 30
    whole = build_form("departures")
    assert whole.question("home_village_province") is not None
    assert len([r for r in whole.choices if r["list_name"] == "village"]) > 14_000


def test_a_change_to_a_field_declaration_changes_the_form(monkeypatch):
    before = build_form("departures", province="01")
    monkeypatch.setattr(model, "MODEL",
                        model.MODEL.with_changed_field("journeys", "n_brokers", maximum=10))
    after = build_form("departures", province="01")
    assert after.version != before.version
    assert ". <= 10" in after.question("n_brokers").constraint
    # a new choice appears in the choice list and changes the version too
    monkeypatch.setitem(vocabulary.CODE_LISTS, "sector", (*vocabulary.SECTORS, "mining"))
    again = build_form("departures", province="01")
    assert again.version not in (before.version, after.version)
    assert "mining" in {r["name"] for r in again.choices if r["list_name"] == "sector"}


def test_the_version_does_not_depend_on_the_province_or_the_day():
    assert build_form("brokers", "01").version == build_form("brokers", "12").version \
        == build_form("brokers").version == form_version("brokers")


@pytest.mark.parametrize("lang", ["en", "km"])
def test_every_choice_has_a_label_in_both_catalogues(lang):
    missing = [choice_label_key(s, v) for kind in KINDS for s in model.fields_of(kind)
               if asked(s) and s.kind in ("choice", "country", "countries")
               for v in choices_of(s) if choice_label_key(s, v) not in catalogue(lang)]
    assert missing == []


def test_cli_writes_the_form_of_the_registers_province(reg_path, tmp_path):
    out = tmp_path / "departures.xlsx"
    result = CliRunner().invoke(app, ["xlsform", "--kind", "departures", "--out", str(out),
                                      "--db", str(reg_path), "--no-input"])
    assert result.exit_code == 0, result.output
    assert form_version("departures") in result.output
    book = openpyxl.load_workbook(out, read_only=True)
    names = [r[1] for r in book["choices"].iter_rows(min_row=2, values_only=True)]
    assert "01020101" in names and "12010101" not in names  # the register is in province 01
    bad = CliRunner().invoke(app, ["xlsform", "--kind", "returns", "--out",
                                   str(tmp_path / "f.csv"), "--no-input"])
    assert bad.exit_code == 1 and ".xlsx" in bad.output
    bad = CliRunner().invoke(app, ["xlsform", "--kind", "departures", "--province", "99",
                                   "--out", str(out), "--no-input"])
    assert bad.exit_code == 1 and "99" in bad.output
