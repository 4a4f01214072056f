"""The default MSE interval against the generator's knobs (bench/sim_mse_scenarios.py in small):
it covers the planted victims in the controlled world and is fooled by shared catchability."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.mse import CaptureTable, capture_table, estimate
from synthetic import make_country

SOURCES = ["mosvy", "police", "ngo", "register"]


def _table(truth: dict) -> CaptureTable:
    m = truth["mse"]["membership"]
    frame = pd.DataFrame(m["rows"], columns=m["columns"])
    persons = pd.DataFrame({s: frame[f"{s}_record_id"].notna().astype(int) for s in SOURCES[:3]})
    persons["register"] = frame["register"].astype(int)
    return CaptureTable.from_frame(capture_table(persons[persons.sum(axis=1) > 0], SOURCES))


@pytest.mark.slow
def test_default_interval_covers_the_controlled_world_and_not_shared_catchability():
    # Bench (30 runs each): default scenario 0.97, heterogeneity (logit sd 1) 0.00.
    covered = {"default": 0, "heterogeneity": 0}
    for seed in range(100, 108):
        for scenario in covered:
            truth = make_country("01,22", seed=seed, scale=0.05, scenario=scenario).truth
            res = estimate(_table(truth), n_boot=1000, rng=seed, n_jobs=1)
            covered[scenario] += res.ci_low <= truth["mse"]["N"] <= res.ci_high
    assert covered["default"] >= 6  # Binomial(8, 0.95): P(< 6) = 0.006
    assert covered["heterogeneity"] <= 2
