"""Multiple systems estimation from synthetic lists and registers, against the planted truth.

Two checks, because they answer two questions:
* with the true links (from truth.json), the estimator recovers the planted number of victims
  and the planted list dependence (police:ngo);
* through record linkage, the estimate moves by the linkage error, which is measured: missed links
  inflate it. The tolerance states how far it may drift for the linkage quality measured here.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.mse import capture_table, estimate
from analysis.mse.sources import (
    link_lists,
    read_list,
    register_victims,
    true_pairs_from_truth,
)
from register.merge import merge
from synthetic.write import write_country

PROVINCES, SEED, SCALE = "01,02,03,14,17,22,25", 4, 0.05


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mse")
    write_country(PROVINCES, SEED, folder / "communes", scale=SCALE)
    national = folder / "national.db"
    merge(sorted((folder / "communes").glob("*.db")), national)
    truth = json.loads((folder / "communes" / "truth.json").read_text())
    lists = {p.stem: read_list(p) for p in sorted((folder / "communes" / "lists").glob("*.csv"))}
    lists["register"] = register_victims(national)
    return truth, lists


def test_with_true_links_the_estimate_covers_the_planted_total(synthetic):
    truth, _ = synthetic
    membership = truth["mse"]["membership"]
    frame = pd.DataFrame(membership["rows"], columns=membership["columns"])
    persons = pd.DataFrame({
        "mosvy": frame["mosvy_record_id"].notna().astype(int),
        "police": frame["police_record_id"].notna().astype(int),
        "ngo": frame["ngo_record_id"].notna().astype(int),
        "register": frame["register"].astype(int),
    })
    seen = persons[persons.sum(axis=1) > 0]
    result = estimate(capture_table(seen, ["mosvy", "police", "ngo", "register"]), ci="profile")
    n = truth["mse"]["N"]
    assert result.ci_low <= n <= result.ci_high
    assert "police:ngo" in result.model or "ngo:police" in result.model


def test_through_linkage_the_bias_follows_the_linkage_error(synthetic):
    truth, lists = synthetic
    linked = link_lists(lists, seed=SEED)
    quality = linked.quality(true_pairs_from_truth(truth))
    assert quality["precision"] >= 0.95
    assert quality["recall"] >= 0.70
    result = estimate(linked.table(), ci="profile")
    n = truth["mse"]["N"]
    # Missed links split people in two: the estimate is biased upward, by roughly the share of
    # links missed; allow 40% at the recall measured here (about 0.8-0.9).
    assert 0.9 * n <= result.estimate <= 1.4 * n
