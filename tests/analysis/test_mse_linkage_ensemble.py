"""Linkage-aware intervals, the method ensemble and the notebook helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.mse import load_published
from analysis.mse.__main__ import main
from analysis.mse.ensemble import ensemble
from analysis.mse.intervals import point_estimate
from analysis.mse.linkage import (
    _sampler,
    _table_from_labels,
    calibrate_links,
    link_table,
    linkage_bootstrap,
    sample_links,
    simulate_linkage,
)
from analysis.mse.report import by_stratum

PROBS = np.array([0.3, 0.25, 0.35, 0.3])


def sampler(gen, n=1000):
    return (gen.random((n, 4)) < PROBS).astype(int), ("A", "B", "C", "D"), n


def test_link_table_counts_people_from_links():
    sources = np.array([0, 1, 2, 0, 1])
    table = link_table(sources, "ABC", np.array([0, 1, 3]), np.array([1, 2, 4]))
    # persons {0,1,2} on A,B,C and {3,4} on A,B
    assert table.counts[0b111] == 1 and table.counts[0b011] == 1 and table.observed == 2


def test_sampled_links_keep_one_record_per_list_and_recover_certain_links():
    sim = simulate_linkage(sampler, rng=1)
    certain = sim.pairs.copy()
    certain[:, 2] = sim.is_match.astype(float)
    labels = sample_links(sim.sources, certain[:, 0].astype(np.int64), certain[:, 1].astype(np.int64),
                          certain[:, 2], np.random.default_rng(0))
    assert len(set(labels)) == len(set(sim.person))  # exactly the true people
    noisy = sample_links(sim.sources, sim.pairs[:, 0].astype(np.int64), sim.pairs[:, 1].astype(np.int64),
                         sim.pairs[:, 2], np.random.default_rng(0))
    frame = pd.DataFrame({"label": noisy, "source": sim.sources})
    assert not frame.duplicated().any()  # never two records of one list in one person


def test_simulated_match_probabilities_are_calibrated():
    sim = simulate_linkage(sampler, m=(0.8, 0.8, 0.98, 0.8), rng=2)
    prob = sim.pairs[:, 2]
    for low, high in ((0.2, 0.5), (0.5, 0.8), (0.8, 0.95)):
        inside = (prob >= low) & (prob < high)
        if inside.sum() >= 30:
            assert sim.is_match[inside].mean() == pytest.approx(prob[inside].mean(), abs=0.15)


def _centre(sim, draw, k: int = 30) -> float:
    return float(np.median([point_estimate(_table_from_labels(draw(), sim.sources, sim.lists))
                            for _ in range(k)]))


def test_calibrated_link_draws_match_the_probabilities_and_remove_the_bias():
    # Calibrated probabilities sum to the expected number of true pairs; independent draws in a
    # random order link fewer (false links block true ones), which inflates the estimate.
    centre: dict[str, list[float]] = {"true links": [], "random order": [], "calibrated": []}
    for seed in range(3):
        sim = simulate_linkage(sampler, m=(0.65, 0.65, 0.98, 0.65), rng=seed)
        src, prob = sim.sources.astype(np.int64), sim.pairs[:, 2]
        left, right = sim.pairs[:, 0].astype(np.int64), sim.pairs[:, 1].astype(np.int64)
        gen = np.random.default_rng(seed)
        scale = calibrate_links(src, left, right, prob, gen)
        assert 1.0 < scale < 1.5
        draws = [sample_links(src, left, right, prob, gen, scale) for _ in range(40)]
        linked = np.mean([(lab[left] == lab[right]).sum() for lab in draws])
        assert linked == pytest.approx(prob.sum(), rel=0.03)
        truth = _table_from_labels(sim.person.astype(np.int64), src, sim.lists)
        centre["true links"].append(point_estimate(truth))
        centre["random order"].append(_centre(sim, lambda: _sampler()(  # noqa: B023
            src, left, right, prob, gen.permutation(len(prob)), gen.random(len(prob)))))  # noqa: B023
        centre["calibrated"].append(_centre(sim, lambda: sample_links(  # noqa: B023
            src, left, right, prob, gen, scale)))  # noqa: B023
    truth = np.mean(centre["true links"])
    assert np.mean(centre["random order"]) / truth - 1 > 0.03  # measured +6% (recall 0.70)
    assert abs(np.mean(centre["calibrated"]) / truth - 1) < 0.025  # measured -1%


def test_linkage_aware_interval_covers_where_the_naive_one_does_not():
    sim = simulate_linkage(sampler, m=(0.8, 0.8, 0.98, 0.8), rng=4)
    assert 0.7 <= sim.recall(0.9) <= 0.8
    res = linkage_bootstrap(sim.sources, sim.lists, sim.pairs, n_boot=400, rng=1)
    assert not res.naive_interval[0] <= 1000 <= res.naive_interval[1]  # missed links inflate it
    # One run: the linkage-aware estimate is far closer to N (coverage over many runs and
    # recalls is in bench/sim_mse_linkage.py).
    assert abs(res.estimate - 1000) < 0.3 * abs(res.naive_estimate - 1000)
    assert res.ci_low < res.naive_interval[0]
    assert "resampled" in res.summary()


def test_ensemble_reads_the_differences(capsys, monkeypatch):
    ens = ensemble(load_published("NewOrl_5"), n_boot=300, rng=1, n_jobs=1,
                   latent={"burnin": 2000, "draws": 500, "thin": 5})
    assert [r["method"] for r in ens.rows] == ["stepwise", "independence", "aic", "bic",
                                              "model average", "latent class"]
    assert ens.reading[0].startswith("The estimates range from")
    frame = ens.to_frame()
    assert (frame["ci_low"] <= frame["estimate"]).all() and (frame["estimate"] <= frame["ci_high"]).all()
    import functools

    import analysis.mse.ensemble as module

    short = functools.partial(ensemble, latent={"burnin": 2000, "draws": 500, "thin": 5})
    monkeypatch.setattr(module, "ensemble", short)  # short chains: the CLI is what is tested
    assert main([str(load_published.__globals__["DATA_DIR"] / "NewOrl_5.csv"), "--method", "all",
                 "--n-boot", "200", "--seed", "1", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Reading:" in out and "latent class" in out and "model average" in out


def test_by_stratum_estimates_only_where_enough_people_were_seen():
    rng = np.random.default_rng(0)
    member = (rng.random((3000, 4)) < PROBS).astype(int)
    seen = member[member.sum(1) > 0]
    persons = pd.DataFrame(seen, columns=list("ABCD"))
    persons["sex"] = np.where(np.arange(len(persons)) < 30, "X", "F")
    out = by_stratum(persons, list("ABCD"), "sex", n_boot=200, rng=1)
    assert out.loc["X", "note"].startswith("fewer than 50")
    assert out.loc["F", "ci_low"] <= 2970 / 1 * 1.2 and out.loc["F", "observed"] == len(persons) - 30
