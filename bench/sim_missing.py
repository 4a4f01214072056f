"""Missing indicators: complete cases against multiple imputation (and bounds), against planted truth.

Two studies:

``--replicates R`` (in memory, fast): R export-shaped frames from tests/analysis/export_sim.py
(8,000 returned journeys, 6 provinces, module not asked for 40%, each item left blank with
probability ``--item-missing``; several values may be given). Prints, per method, the mean bias
of the national estimate against the realised share, and the coverage of the national and
province 95% intervals of the planted (expected) prevalence.

``--seeds S ...`` (synthetic national registers through the whole pipeline): for each seed a
national register is written with ``synthetic.write.write_country`` at ``--scale`` into
``--workdir`` (kept and reused), exported with ``analysis.data.from_register``, and analysed.
Prints the national estimate and interval against truth.json, and the province coverage (share
of province intervals covering the planted province value) before (complete cases) and after
(imputation). About 1.5 minutes per register at scale 0.03 on two cores.

Run:  .venv/bin/python bench/sim_missing.py --replicates 40 --item-missing 0.01 0.05 0.15
      .venv/bin/python bench/sim_missing.py --seeds 4242 21 7 --scale 0.03 --workdir /tmp/regs
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.prevalence import estimate_prevalence  # noqa: E402

METHODS = ("complete_case", "impute", "bounds")


def _covers(table: pd.DataFrame, truth: dict[str, float]) -> np.ndarray:
    t = pd.Series(truth).reindex(table.index)
    return ((table["lower"] <= t) & (t <= table["upper"])).to_numpy()


def in_memory(replicates: int, levels: list[float], m: int) -> pd.DataFrame:
    from tests.analysis.export_sim import planted_export

    rows = []
    for level in levels:
        stats: dict[str, dict[str, list]] = {k: {"bias": [], "nat": [], "prov": []}
                                             for k in METHODS}
        for r in range(replicates):
            df, truth = planted_export(1000 + r, item_missing=level)
            for method in METHODS:
                res = estimate_prevalence(df, missing=method, m=m, rng=r)
                est, lo, hi = res.overall
                if method == "bounds":
                    est = float(np.mean(res.overall_bounds))
                stats[method]["bias"].append(est - truth["realised"])
                stats[method]["nat"].append(lo <= truth["expected"] <= hi)
                stats[method]["prov"].extend(_covers(res.table, truth["by_province"]))
        for method, s in stats.items():
            rows.append({"item_missing": level, "method": method, "replicates": replicates,
                         "mean_bias": np.mean(s["bias"]), "national_coverage": np.mean(s["nat"]),
                         "province_coverage": np.mean(s["prov"])})
    return pd.DataFrame(rows)


def _register(seed: int, scale: float, workdir: Path) -> tuple[pd.DataFrame, dict]:
    from analysis.data import from_register
    from register.merge import merge
    from synthetic.write import write_country

    folder = workdir / f"seed{seed}_scale{scale}"
    national = folder / "national.db"
    if not national.exists():
        write_country("all", seed, folder / "communes", scale=scale)
        merge(sorted((folder / "communes").glob("*.db")), national, link=False)
    truth = json.loads((folder / "communes" / "truth.json").read_text())
    return from_register(national), truth


def registers(seeds: list[int], scale: float, workdir: Path, m: int) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        df, truth = _register(seed, scale, workdir)
        planted = {c: b["forced_labour"]["expected"] for c, b in truth["by_province"].items()}
        for method in METHODS:
            res = estimate_prevalence(df, missing=method, m=m, rng=seed)
            est, lo, hi = res.overall
            cover = _covers(res.table, planted)
            rows.append({"seed": seed, "method": method,
                         "estimate": est if method != "bounds" else np.nan,
                         "lower": lo, "upper": hi,
                         "planted": truth["totals"]["forced_labour"]["expected"],
                         "realised": truth["totals"]["forced_labour"]["realised"],
                         "provinces_covered": f"{int(cover.sum())}/{len(cover)}",
                         "province_coverage": cover.mean()})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=0)
    parser.add_argument("--item-missing", type=float, nargs="+", default=[0.01, 0.05, 0.15])
    parser.add_argument("--seeds", type=int, nargs="*", default=[])
    parser.add_argument("--scale", type=float, default=0.03)
    parser.add_argument("--workdir", type=Path, default=Path("bench_registers"))
    parser.add_argument("--m", type=int, default=20)
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    fmt = {"float_format": lambda v: f"{v:.4f}"}
    start = time.perf_counter()
    if args.replicates:
        print(in_memory(args.replicates, args.item_missing, args.m).to_string(index=False, **fmt))
    if args.seeds:
        out = registers(args.seeds, args.scale, args.workdir, args.m)
        print(out.to_string(index=False, **fmt))
        pooled = out.groupby("method")["province_coverage"].mean()
        print("\nprovince coverage pooled over seeds:", pooled.round(3).to_dict())
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
