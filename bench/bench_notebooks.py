"""Time all notebooks and the report on a synthetic national register (aim: under five minutes at
full scale), one line per notebook, wall and CPU time (the machine may be shared).

    .venv/bin/python bench/bench_notebooks.py --register synth/national.db
    .venv/bin/python bench/bench_notebooks.py --scale 0.03          # generate and merge first
    .venv/bin/python bench/bench_notebooks.py --scale 0.03 --only 20_ 30_ --param imputations=5
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from national import national_register

from analysis.notebooks import _param, run_notebooks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--register", type=Path)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="+")
    parser.add_argument("--param", action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        register = national_register(args.register, Path(tmp), scale=args.scale,
                                     seed=args.seed)
        wall, cpu = time.perf_counter(), time.process_time()
        runs = run_notebooks(register, Path(tmp) / "results", names=args.only,
                             parameters=dict(_param(p) for p in args.param),
                             cache=Path(tmp) / "cache", echo=print)
        print(f"all notebooks and the report: {time.perf_counter() - wall:.0f} s wall, "
              f"{time.process_time() - cpu:.0f} s CPU in this process (the kernels' CPU is "
              f"theirs); report {runs.report.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
