"""Time the synthetic model and write its truth, without writing any register:

    python -m synthetic --provinces all --seed 1 [--scale 1.0] [--scenario NAME] [--truth truth.json]

Prints the generation time per commune and in total (the register writes are not included).
"""

from __future__ import annotations

import argparse
import json
import time

from .country import make_country, truth_part
from .scenario import SCENARIOS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__)
    parser.add_argument("--provinces", default="all", help="'all' or codes, e.g. 01,02,17")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--scenario", default=None,
                        help="knobs that make the data harder for the estimators: a name (" +
                             ", ".join(SCENARIOS) + ") or knob=value, comma separated")
    parser.add_argument("--truth", help="write truth.json here")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    country = make_country(args.provinces, seed=args.seed, scale=args.scale, scenario=args.scenario)
    setup = time.perf_counter() - start
    parts, n_departures, n_returns, slowest = [], 0, 0, 0.0
    start = time.perf_counter()
    for commune in country.communes:
        t = time.perf_counter()
        records = country.commune_records(commune)
        slowest = max(slowest, time.perf_counter() - t)
        n_departures += len(records.departures)
        n_returns += len(records.returns)
        parts.append(truth_part(records))
    generate = time.perf_counter() - start
    start = time.perf_counter()
    country.collect(parts)
    truth = country.truth
    collect = time.perf_counter() - start
    n = len(country.communes)
    print(f"{n} communes, {n_departures:,} departures, {n_returns:,} returns")
    print(f"setup {setup:.2f} s; generation {generate:.1f} s ({1000 * generate / n:.1f} ms per "
          f"commune, slowest {1000 * slowest:.0f} ms); truth and lists {collect:.1f} s")
    fl = truth["totals"]["forced_labour"]["expected"]
    print(f"forced labour among returned journeys (expected) {fl:.3f}; "
          f"trafficking victims N = {truth['mse']['N']:,}")
    if args.truth:
        with open(args.truth, "w", encoding="utf-8") as fh:
            json.dump(truth, fh, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
