"""Time all notebooks on a synthetic national register (aim: under five minutes at full scale).

    .venv/bin/python bench/bench_notebooks.py --register synth/national.db
    .venv/bin/python bench/bench_notebooks.py --scale 1.0    # generate and merge first (slow)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from analysis.notebooks import run_notebooks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--register", type=Path)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        register = args.register
        if register is None:
            from register.merge import merge
            from synthetic.write import write_country

            folder = Path(tmp) / "communes"
            print(write_country("all", args.seed, folder, scale=args.scale).summary())
            register = Path(tmp) / "national.db"
            print(merge(sorted(folder.glob("*.db")), register).summary())
        start = time.perf_counter()
        run_notebooks(register, Path(tmp) / "results")
        print(f"all notebooks: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
