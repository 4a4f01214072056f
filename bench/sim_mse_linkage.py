"""Coverage of naive and linkage-aware 95% intervals when the lists are linked imperfectly.

Each run draws N = 1,000 people and four lists (capture probabilities 0.30, 0.25, 0.35, 0.30, a
positive dependence between the first two), makes one record per list appearance, and scores
candidate pairs with `analysis.mse.linkage.simulate_linkage`: every true pair plus about two
look-alike false pairs per record, four compared fields, match probabilities from Bayes' rule
under the Fellegi-Sunter model that generated the comparisons (calibrated by construction; no
linkage package involved). Noisier fields (lower m) lower the recall of the threshold 0.9.

For each run it records whether N is covered by
* the naive interval: links kept at p >= 0.9, then the default bootstrap (selection repeated);
* the linkage-aware interval (`linkage_bootstrap`): links resampled from their probabilities in
  every replicate.

Run:  .venv/bin/python bench/sim_mse_linkage.py [--runs 50] [--n-boot 1000] [--seed 15]
About 3 s a run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.mse.linkage import linkage_bootstrap, simulate_linkage
from analysis.mse.simulate import cell_probabilities

N = 1000
PROBS = [0.3, 0.25, 0.35, 0.3]
INTERACTIONS = {(0, 1): 0.7}
# field agreement probability of true matches (name, birth date, sex, commune): lower = noisier
QUALITY = {"noisy (m 0.75)": 0.75, "fair (m 0.82)": 0.82, "good (m 0.88)": 0.88, "clean (m 0.95)": 0.95}


def sampler(gen: np.random.Generator):
    probs = cell_probabilities(PROBS, INTERACTIONS)
    cells = gen.choice(len(probs), size=N, p=probs)
    member = (cells[:, None] >> np.arange(len(PROBS))) & 1
    return member, ("A", "B", "C", "D"), N


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    all_naive = all_aware = total = 0
    for name, m in QUALITY.items():
        naive = aware = 0
        recalls, precisions, started = [], [], time.perf_counter()
        for _ in range(args.runs):
            sim = simulate_linkage(sampler, m=(m, m, 0.98, m), rng=rng)
            recalls.append(sim.recall(0.9))
            precisions.append(sim.precision(0.9))
            res = linkage_bootstrap(sim.sources, sim.lists, sim.pairs, n_boot=args.n_boot, rng=rng)
            naive += res.naive_interval[0] <= N <= res.naive_interval[1]
            aware += res.ci_low <= N <= res.ci_high
        all_naive, all_aware, total = all_naive + naive, all_aware + aware, total + args.runs
        print(f"{name}: recall at 0.9 {np.mean(recalls):.2f} (range {min(recalls):.2f}-"
              f"{max(recalls):.2f}), precision {np.mean(precisions):.3f}; coverage naive "
              f"{naive / args.runs:.2f}, linkage-aware {aware / args.runs:.2f} "
              f"({args.runs} runs, {time.perf_counter() - started:.0f} s)")
    print(f"all: naive {all_naive / total:.3f}, linkage-aware {all_aware / total:.3f} "
          f"(MC s.e. {np.sqrt(all_aware / total * (1 - all_aware / total) / total):.3f}; {total} runs)")


if __name__ == "__main__":
    main()
