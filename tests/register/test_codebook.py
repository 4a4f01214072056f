"""The codebook describes every column of every export format, from what makes the exports."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from register import export
from register.cli import app
from register.codebook import COLUMNS, entries, write_codebook
from register.i18n import catalogue
from register.standards_export import ctdc_column_names, htcds_columns
from tests.conftest import departure


def test_every_exported_column_is_described_once():
    described = {}
    for entry in entries("en"):
        described.setdefault(entry.format, []).append(entry.column)
    assert described["researcher"] == list(export.COLUMN_NAMES)
    assert described["htcds"] == list(htcds_columns())
    assert described["ctdc"] == list(ctdc_column_names())
    for entry in entries("en"):
        assert entry.type and entry.source and entry.generalisation, entry


def test_types_codes_and_generalisation_come_from_the_declarations():
    by_column = {(e.format, e.column): e for e in entries("en")}
    sex = by_column[("researcher", "sex")]
    assert sex.codes == "F = Female; M = Male; X = Other"
    assert by_column[("researcher", "has_passport")].type == "0/1"
    # found by running export.generalise, not written by hand
    assert "standard: removed" in by_column[("researcher", "birth_year")].generalisation
    assert "strict: removed" in by_column[("researcher", "commune_code")].generalisation
    assert "standard: to the month" in by_column[("researcher", "departure_date")].generalisation
    assert by_column[("researcher", "sector")].generalisation == "as recorded at every level"
    assert "Feminine" in by_column[("htcds", "prs_Gender")].codes
    assert by_column[("htcds", "prs_Gender")].source == "Sex"
    assert "withheld" in by_column[("htcds", "prs_FirstName")].source
    assert "not held" in by_column[("htcds", "cas_Status")].source
    assert "-99" in by_column[("ctdc", "gender")].codes
    assert "11" in by_column[("ctdc", "gender")].generalisation


def test_khmer_codebook():
    km = {(e.format, e.column): e for e in entries("km")}
    assert km[("researcher", "sex")].source == catalogue("km")["field.sex"]
    assert catalogue("km")["choice.sex.F"] in km[("researcher", "sex")].codes


@pytest.mark.parametrize("suffix", [".md", ".csv"])
def test_cli_writes_the_codebook(tmp_path, suffix):
    out = tmp_path / f"codebook{suffix}"
    result = CliRunner().invoke(app, ["codebook", "--out", str(out), "--no-input"])
    assert result.exit_code == 0, result.output
    total = len(export.COLUMN_NAMES) + len(htcds_columns()) + len(ctdc_column_names())
    assert str(total) in result.output
    if suffix == ".csv":
        with out.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == list(COLUMNS) and len(rows) == total + 1
    else:
        text = out.read_text(encoding="utf-8")
        assert text.count("\n| `") == total and "## HTCDS 2.0" in text
    bad = CliRunner().invoke(app, ["codebook", "--out", str(tmp_path / "c.txt"), "--no-input"])
    assert bad.exit_code == 1


def test_the_researcher_export_writes_its_codebook_beside(reg, reg_path, tmp_path):
    from register import add_departure

    add_departure(reg, **departure())
    out = tmp_path / "export.csv"
    result = CliRunner().invoke(app, ["export", "--db", str(reg_path), "--out", str(out),
                                      "--no-input"])
    assert result.exit_code == 0, result.output
    beside = tmp_path / "export.codebook.md"
    assert beside.is_file() and "journey_key" in beside.read_text(encoding="utf-8")
    assert "HTCDS" not in beside.read_text(encoding="utf-8")
    assert write_codebook(tmp_path / "x.md", formats=("ctdc",)) == len(ctdc_column_names())
