"""HTCDS 2.0 and CTDC exports of a synthetic register, and the crosswalk they come from."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

import register
from register import export
from register.cli import app
from register.model import MODEL
from register.standards import (
    MAPPING,
    WITHHELD,
    ctdc_columns,
    htcds_fields,
    htcds_filled,
    htcds_values,
    mapping_markdown,
)
from register.standards_export import (
    CTDC_K,
    CTDC_QUASI,
    KEYS,
    ctdc_row,
    export_standard,
    k_anonymise,
)
from register.vocabulary import ILO_INDICATORS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """Kep (province 23) at six times the default scale, merged: about 8,000 journeys."""
    from register.merge import apply_merge, plan_merge
    from synthetic.write import write_country

    folder = tmp_path_factory.mktemp("kep")
    write_country(["23"], seed=11, out=folder / "communes", scale=6.0, workers=1)
    out = folder / "province.db"
    apply_merge(plan_merge(sorted((folder / "communes").glob("*.db")), out), link=False)
    return out


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_htcds_export_validates_against_the_standard(province, tmp_path):
    out = tmp_path / "htcds.csv"
    result = CliRunner().invoke(app, ["export", "--db", str(province), "--out", str(out),
                                      "--format", "htcds", "--no-input"])
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert len(rows) > 100
    header = list(rows[0])
    standard = [f["field"] for f in htcds_fields()]
    assert header == [*KEYS, *standard]
    types = {f["field"]: f["type"] for f in htcds_fields()}
    codes, iso = htcds_values(), set(htcds_values()["ISO3166-1"])
    for row in rows:
        for name in standard:
            value = row[name]
            if not value:
                continue
            if name in ("hte_Country", "prs_MailingCountry", "prs_Citizenship"):
                assert value in iso, (name, value)
            elif types[name] == "Picklist":
                assert value in codes[name], (name, value)
            elif types[name] == "Multiselect Picklist":
                assert set(value.split(";")) <= set(codes[name]), (name, value)
            elif types[name] == "Number":
                assert value.isdigit()
            elif name == "prs_MailingState":
                assert re.fullmatch(r"KH-\d{1,2}", value)
    filled = {name for name in standard if any(row[name] for row in rows)}
    # at the standard level there is no exact age, so vic_AgeWhenTrafficked stays empty
    assert filled == set(htcds_filled()) - {"vic_AgeWhenTrafficked"}
    assert not filled & set(WITHHELD)
    assert (tmp_path / "htcds.codebook.md").is_file()


def test_htcds_age_only_at_the_detailed_level(province, tmp_path):
    with register.open_register(province) as reg:
        export_standard(reg, tmp_path / "d.csv", "htcds", level="detailed")
    ages = [int(r["vic_AgeWhenTrafficked"]) for r in _read(tmp_path / "d.csv")]
    assert ages and all(10 <= a <= 80 for a in ages)


def test_ctdc_export_leaves_no_group_smaller_than_11(province, tmp_path):
    out = tmp_path / "ctdc.csv"
    result = CliRunner().invoke(app, ["export", "--db", str(province), "--out", str(out),
                                      "--format", "ctdc", "--no-input"])
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert list(rows[0]) == [c["column"] for c in ctdc_columns()]
    sizes = Counter(tuple(r[q] for q in CTDC_QUASI) for r in rows)
    assert rows and min(sizes.values()) >= CTDC_K
    numbers = [int(n) for n in re.findall(r"\d+", result.output.split("ctdc:")[1])[:4]]
    cases, _, written, dropped = numbers[0], numbers[1], numbers[2], numbers[3]
    assert written == len(rows) and dropped == cases - written and dropped > 0
    domains = {c["column"]: c for c in ctdc_columns()}
    for row in rows:
        for name, value in row.items():
            if domains[name]["type"] == "binary numeric":
                assert value in ("-99", "0", "1"), (name, value)
        assert row["gender"] in ("Male", "Female", "Unknown", "-99")
        assert row["ageBroad"] in {c.split("=")[0] for c in domains["ageBroad"]["codes"].split("|")}


def test_k_anonymise_drops_exactly_the_small_groups():
    rows = [{"a": 1, "b": "x"}] * 11 + [{"a": 1, "b": "y"}] * 10 + [{"a": 2, "b": "x"}] * 12
    kept, dropped = k_anonymise(rows, 11, ("a", "b"))
    assert dropped == 10 and len(kept) == 23 and {r["b"] for r in kept if r["a"] == 1} == {"x"}


def _journey(**values):
    row = dict.fromkeys(export.COLUMN_NAMES)
    row.update({"journey_key": "j", "person_key": "p", "sex": "F", "destination_country": "TH",
                "returned": 1, "return_year": 2024, "channel": "broker"})
    row.update(values)
    return row


def test_ctdc_row_derives_ages_and_flags():
    row = ctdc_row(_journey(birth_year=2006, age_at_departure=16, exploitation_type="labour",
                            sector="fishing", ind_deception=1, ind_isolation=0,
                            ind_restriction_of_movement=None))
    assert (row["ageBroad"], row["majorityStatus"], row["majorityEntry"]) == ("18--20", "Adult",
                                                                              "Minor")
    assert row["majorityStatusAtExploit"] == "-99"  # a minor on leaving, an adult on return
    assert row["meansOfControlFalsePromises"] == "1"
    assert row["meansOfControlRestrictsMovement"] == "-99"  # isolation 0, movement not asked
    assert row["meansOfControlPhysicalAbuse"] == "-99"  # the register cannot tell
    assert row["isForcedLabour"] == "1" and row["isSexualExploit"] == "0"
    assert row["typeOfLabourAquafarming"] == "1" and row["typeOfLabourAgriculture"] == "0"
    assert row["recruiterRelationOther"] == "1" and row["RecruiterRelationship"] == "Other"
    assert row["citizenship"] == "-99" and row["meansOfControlNotSpecified"] == "0"
    other = ctdc_row(_journey(exploitation_type="other", channel="family_friend",
                              destination_country="ZZ"))
    assert other["isForcedMilitary"] == "-99" and other["isOtherExploit"] == "1"
    assert other["recruiterRelationFamily"] == "-99" and other["CountryofExploitation"] == "-99"
    assert other["meansOfControlNotSpecified"] == "1"


def test_the_crosswalk_names_only_real_fields_and_codes():
    htcds = {f["field"] for f in htcds_fields()}
    ctdc = {c["column"] for c in ctdc_columns()}
    ours = {f.name for _, f in MODEL.fields()} | set(export.COLUMN_NAMES)
    codes = htcds_values()
    ctdc_codes = {c["column"]: {code.split("=")[0] for code in c["codes"].split("|")}
                  for c in ctdc_columns()}
    for row in MAPPING:
        assert row.register in ours | {"citizenship", "consent"}, row.register
        assert set(row.htcds) <= htcds and set(row.ctdc) <= ctdc, row.register
        for value in row.htcds_values.values():
            if value and row.htcds[0] in codes:
                assert value in codes[row.htcds[0]], (row.register, value)
        for value in row.ctdc_values.values():
            assert not value or value == "-99" or any(c.endswith(value) for c in row.ctdc) \
                or value in ctdc_codes[row.ctdc[0]], (row.register, value)
    assert {row.register for row in MAPPING} >= set(ILO_INDICATORS)
    assert set(WITHHELD) <= htcds


def test_the_readme_shows_the_crosswalk_of_the_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert mapping_markdown() in readme
    assert f"fills {len(htcds_filled())} of the {len(htcds_fields())} HTCDS 2.0 fields" in readme
