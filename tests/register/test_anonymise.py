"""The researcher export file reaches k-anonymity over every quasi-identifier it holds (issue 9:
at the standard level the smallest group was 1 and 6,491 of 8,797 persons were in groups below 5;
the detailed level claimed the same k; the strict level's k left out the district).

Group sizes are checked here independently of the program, with pandas, on the file written."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from register import anonymise
from register.cli import app
from register.export import QUASI_IDENTIFIERS
from register.merge import merge
from synthetic.write import write_country

runner = CliRunner()


def _rows(people: list[tuple[str, str, str, str]]) -> list[dict]:
    return [{"person_key": p, "sex": s, "age_band": a, "commune_code": c} for p, s, a, c in people]


def test_groups_count_persons_not_journeys():
    rows = _rows([(f"p{i}", "F", "18-24", "010201") for i in range(5)]
                 + [("q", "M", "25-34", "010201")] * 3)  # one man, three journeys
    assert anonymise.measure(rows, 5, ("sex", "age_band", "commune_code")).smallest == 1


def test_recoding_reaches_k_and_says_what_it_did():
    rows = _rows([(f"p{i}", "F", "18-24", "010201") for i in range(30)]
                 + [(f"q{i}", "F", "18-24", "010202") for i in range(30)]
                 + [("lonely", "M", "45+", "010203")])
    plan, report = anonymise.plan(rows, 5, ("sex", "age_band", "commune_code"))
    kept = [plan.apply(dict(r)) for r in rows]
    assert sum(r is None for r in kept) == report.dropped
    assert report.reached and report.smallest >= 5
    assert report.records == len([r for r in kept if r is not None])
    # the rare man is recoded or left out, the common women untouched
    assert all(r["commune_code"] in ("010201", "010202") for r in kept[:60])
    assert report.steps == [] and report.suppressed_values + report.dropped >= 1
    with pytest.raises(Exception, match="at least 2"):
        anonymise.plan(rows, 1, ("sex",))


@pytest.fixture(scope="module")
def two_provinces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("anon")
    write_country(["01", "02"], 5, folder / "communes", scale=0.04, workers=1)
    out = folder / "province.db"
    merge(sorted((folder / "communes").glob("*.db")), out, link=False)
    return out


# What a neighbour could know of a person who left (the README's list: home area, sex, age,
# dates, destination, sector), named here, not read from the program: a column the program
# forgot to mark would otherwise go unchecked (sector was, found by the attack campaign).
NEIGHBOUR_KNOWS = ("register_commune", "province_code", "district_code", "commune_code", "sex",
                   "birth_year", "age_at_departure", "age_band", "departure_date",
                   "departure_year", "destination_country", "sector", "return_date",
                   "return_year")


def test_what_a_neighbour_knows_is_a_quasi_identifier():
    assert set(NEIGHBOUR_KNOWS) <= set(QUASI_IDENTIFIERS)


def _smallest(path: Path) -> tuple[int, list[str]]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    quasi = [q for q in (*QUASI_IDENTIFIERS, *NEIGHBOUR_KNOWS) if (frame[q] != "").any()]
    quasi = list(dict.fromkeys(quasi))
    sizes = frame.groupby(quasi, dropna=False)["person_key"].nunique()
    return int(sizes.min()), quasi


@pytest.mark.parametrize("level", ["standard", "strict"])
def test_the_export_file_has_no_group_below_k(two_provinces, tmp_path, level):
    out = tmp_path / f"{level}.csv"
    done = runner.invoke(app, ["export", "--db", str(two_provinces), "--out", str(out),
                               "--level", level, "--no-input"])
    assert done.exit_code == 0, done.output
    smallest, quasi = _smallest(out)
    assert smallest >= 5, (smallest, quasi)
    assert "sex" in quasi and "province_code" in quasi
    # the report counts every quasi-identifier the file holds
    assert f"over {', '.join(quasi)})" in done.output
    assert "k-anonymity 5 reached" in done.output
    with out.open(encoding="utf-8") as fh:
        written = sum(1 for _ in csv.reader(fh)) - 1
    assert f"{written} records written" in done.output


def test_a_larger_k_is_honoured_and_k_below_2_is_refused(two_provinces, tmp_path):
    out = tmp_path / "k10.csv"
    done = runner.invoke(app, ["export", "--db", str(two_provinces), "--out", str(out), "--k",
                               "10", "--no-input"])
    assert done.exit_code == 0, done.output
    assert _smallest(out)[0] >= 10
    done = runner.invoke(app, ["export", "--db", str(two_provinces), "--out",
                               str(tmp_path / "k1.csv"), "--k", "1", "--no-input"])
    assert done.exit_code == 1 and "at least 2" in done.output


def test_the_detailed_level_is_refused_unless_the_risk_is_accepted(two_provinces, tmp_path):
    out = tmp_path / "detailed.csv"
    done = runner.invoke(app, ["export", "--db", str(two_provinces), "--out", str(out),
                               "--level", "detailed", "--no-input"])
    assert done.exit_code == 1 and "could find them" in done.output and not out.exists()
    done = runner.invoke(app, ["export", "--db", str(two_provinces), "--out", str(out),
                               "--level", "detailed", "--accept-reidentification-risk",
                               "--no-input"])
    assert done.exit_code == 0, done.output
    smallest, quasi = _smallest(out)
    assert "birth_year" in quasi and "departure_date" in quasi
    assert f"smallest group {smallest} persons" in done.output  # the true k, not a claimed one


@pytest.mark.slow
def test_the_national_standard_export_reaches_k(tmp_path):
    """The issue's check on a synthetic national register (every province)."""
    write_country("all", 4242, tmp_path / "communes", scale=0.03)
    national = tmp_path / "national.db"
    merge(sorted((tmp_path / "communes").glob("*.db")), national, link=False)
    out = tmp_path / "export.csv"
    done = runner.invoke(app, ["export", "--db", str(national), "--out", str(out), "--no-input"])
    assert done.exit_code == 0, done.output
    assert _smallest(out)[0] >= 5
