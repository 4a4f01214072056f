"""Power of the hotspot tests at province and at district level, on synthetic national registers.

The generator plants a cluster of high-risk provinces (truth.json ``spatial_cluster``). For each
seed a national register is written (or reused) in ``--workdir`` as bench/sim_missing.py does,
and `analysis.hotspots.find_hotspots` is run at province and at district level. An area is
"flagged" when it is a LISA HH or a Gi* hot spot after the Benjamini-Hochberg correction. Prints,
per level: areas analysed, areas inside the planted cluster, flagged inside, flagged outside.

Run:  .venv/bin/python bench/sim_hotspots.py --seeds 4242 21 7 --scale 0.03 --workdir /tmp/regs
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.geo import load_boundaries  # noqa: E402
from analysis.hotspots import find_hotspots  # noqa: E402
from bench.sim_missing import _register  # noqa: E402


def run(seeds: list[int], scale: float, workdir: Path, permutations: int) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        df, truth = _register(seed, scale, workdir)
        cluster = set(truth["spatial_cluster"]["chosen"])
        for level in ("province", "district"):
            res = find_hotspots(df, load_boundaries(level), by=f"{level}_code",
                                permutations=permutations, rng=seed)
            t = res.to_frame()
            flagged = set(t.index[(t["lisa_cluster"] == "HH") | (t["gi_cluster"] == "hot")])
            inside = {code for code in t.index if code[:2] in cluster}
            rows.append({"seed": seed, "level": level, "areas": len(t),
                         "in_cluster": len(inside), "flagged_in": len(flagged & inside),
                         "flagged_out": len(flagged - inside),
                         "moran_p": res.moran.p_value})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[4242])
    parser.add_argument("--scale", type=float, default=0.03)
    parser.add_argument("--workdir", type=Path, default=Path("bench_registers"))
    parser.add_argument("--permutations", type=int, default=999)
    args = parser.parse_args()
    start = time.perf_counter()
    print(run(args.seeds, args.scale, args.workdir, args.permutations).to_string(index=False))
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
