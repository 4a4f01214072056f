"""Capture-history tables: reading the published format, validation, building from people."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.mse import (
    DATA_DIR,
    PUBLISHED,
    CaptureDataError,
    CaptureTable,
    capture_table,
    load_published,
    read_capture_csv,
    split_strata,
)

# Totals stated in analysis/data/mse/SOURCES.md (copied from the SparseMSE data sets).
EXPECTED = {
    "UKdat": (6, 2744),
    "UKdat_5": (5, 2744),
    "Ned": (6, 8234),
    "Ned_5": (5, 8234),
    "NewOrl": (8, 185),
    "NewOrl_5": (5, 185),
    "Western": (5, 345),
    "Artificial_3": (3, 96),
}


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_tables_load_with_documented_totals(name):
    table = load_published(name)
    assert (table.n_lists, table.observed) == EXPECTED[name]
    assert table.counts[0] == 0  # the unseen cell is never observed


def test_absent_patterns_are_observed_zeros():
    table = load_published("Artificial_3")
    assert table.lists == ("A", "B", "C")
    # A&C, B&C and A&B&C are absent from the file: zero cells (bit j = list j).
    assert table.counts.tolist() == [0, 40, 30, 6, 20, 0, 0, 0]
    assert table.overlap("A", "B") == 6 and table.overlap("A", "C") == 0
    assert table.list_totals() == {"A": 46, "B": 36, "C": 20}


def test_repeated_patterns_are_summed_and_round_trip(tmp_path):
    table = CaptureTable.from_patterns("AB", [(1, 0), (1, 1), (1, 0)], [3, 2, 4])
    assert table.counts.tolist() == [0, 7, 0, 2]
    frame = table.to_frame()
    assert frame.columns.tolist() == ["A", "B", "count"]
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    again = read_capture_csv(path)
    assert again.counts.tolist() == table.counts.tolist()
    assert CaptureTable.from_frame(frame).counts.tolist() == table.counts.tolist()


def test_keep_lists_marginalises():
    table = load_published("UKdat")
    merged = table.keep_lists(["LA", "NG"])
    # People on neither LA nor NG drop out (they are unseen by these two lists).
    assert merged.observed == table.list_totals()["LA"] + table.list_totals()["NG"] - 18
    assert merged.overlap("LA", "NG") == table.overlap("LA", "NG") == 18


def _write(tmp_path, text):
    path = tmp_path / "lists.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,B,count\n1,0,3\n0,2,4\n", "must be 0 or 1"),
        ("A,B,count\n1,0,3\n0,1,-4\n", "negative"),
        ("A,B,count\n1,0,3\n0,1,2.5\n", "whole number"),
        ("A,B,count\n1,0,3\n0,1,x\n", "not a number"),
        ("A,B,C\n1,0,1\n0,1,1\n", "no count column"),
        ("A,B,count\n1,0,3\n0,1\n", "2 values for 3 columns"),
        ("A,B,count\n0,0,3\n0,1,2\n", "on no list"),
        ("A,B,count\n", "no data rows"),
        ("", "empty"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path, text, message):
    with pytest.raises(CaptureDataError, match=message):
        read_capture_csv(_write(tmp_path, text))


def test_missing_file_and_explicit_count_column(tmp_path):
    with pytest.raises(CaptureDataError, match="file not found"):
        read_capture_csv(tmp_path / "nope.csv")
    path = _write(tmp_path, "n,A,B\n3,1,0\n4,0,1\n1,1,1\n")
    table = read_capture_csv(path, count_column="n")
    assert table.lists == ("A", "B") and table.observed == 8
    # A last column of 0/1 counts is accepted when it is named like a count.
    assert read_capture_csv(_write(tmp_path, "A,B,count\n1,0,1\n0,1,1\n")).observed == 2


def test_data_dir_is_inside_the_project():
    assert DATA_DIR.is_dir() and "shared" not in DATA_DIR.parts
    assert (DATA_DIR / "SOURCES.md").is_file()


@pytest.fixture
def people():
    rng = np.random.default_rng(7)
    n = 400
    frame = pd.DataFrame(
        {
            "police": rng.random(n) < 0.4,
            "ngo": (rng.random(n) < 0.5).astype(int),
            "register": pd.array((rng.random(n) < 0.3).astype(int), dtype="Int64"),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    on_none = ~(frame.police | frame.ngo.astype(bool) | frame.register.astype(bool))
    frame.loc[on_none, "ngo"] = 1
    return frame


def test_capture_table_from_people(people):
    out = capture_table(people, ["police", "ngo", "register"])
    assert out.columns.tolist() == ["police", "ngo", "register", "count"]
    assert out["count"].sum() == len(people)
    table = CaptureTable.from_frame(out)
    both = int((people.police & (people.ngo == 1)).sum())
    assert table.overlap("police", "ngo") == both
    full = capture_table(people, ["police", "ngo", "register"], include_zeros=True)
    assert len(full) == 7


def test_capture_table_by_stratum(people):
    out = capture_table(people, ["police", "ngo", "register"], stratum="sex")
    assert out.columns[0] == "sex"
    tables = split_strata(out, "sex")
    assert set(tables) == {"F", "M"}
    for sex, table in tables.items():
        assert table.observed == int((people.sex == sex).sum())


def test_capture_table_rejects_bad_membership(people):
    bad = people.copy()
    bad["register"] = bad["register"].astype("Int64")
    bad.loc[0, "register"] = pd.NA
    with pytest.raises(CaptureDataError, match="missing"):
        capture_table(bad, ["police", "ngo", "register"])
    bad = people.assign(ngo=people.ngo * 2)
    with pytest.raises(CaptureDataError, match="0/1"):
        capture_table(bad, ["police", "ngo", "register"])
    none = pd.DataFrame({"a": [0, 1], "b": [0, 1]})
    with pytest.raises(CaptureDataError, match="none of the lists"):
        capture_table(none, ["a", "b"])
    with pytest.raises(CaptureDataError, match="missing from the data"):
        capture_table(people, ["police", "courts"])
