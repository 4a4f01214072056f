"""The publication ledger at national scale: time and memory to check each table against
everything published before from the same data (`analysis.ledger`), and the cells it hides.

    .venv/bin/python bench/bench_ledger.py --register demo/national.db
    .venv/bin/python bench/bench_ledger.py --scale 0.03          # generate and merge first
    .venv/bin/python bench/bench_ledger.py --scale 0.1 --runs 3  # more runs share the ledger

The tables are those of the data-quality and prevalence notebooks, published in the order a
researcher meets them: the whole country (by departure year, by province, by commune, then
prevalence by province and by district), then again for the departures before the last year (a
second run whose tables could be subtracted from the first), then for ``--runs`` provinces.
Aim: the national commune table in well under a minute (the demo stalled for more than 18
minutes there before the ledger was split into blocks).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from national import national_register

import analysis as an
import analysis.ledger as ledger_module

RETURNED = {"journeys": None, "returns": "returned == 1"}


def _timed_protect() -> list[tuple[str, int, int, int, float]]:
    """Wrap `Ledger.protect` to record (unit, cells, hidden before, hidden after, seconds)."""
    calls: list[tuple[str, int, int, int, float]] = []
    original = ledger_module.Ledger.protect

    def protect(self, frame, cells, counts, hidden, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        out = original(self, frame, cells, counts, hidden, **kwargs)
        after = -1 if out is None else sum(out.values())
        unit = next(iter(cells.values())).unit if cells else "-"
        calls.append((unit, len(cells), sum(hidden.values()), after,
                      time.perf_counter() - start))
        return out

    ledger_module.Ledger.protect = protect  # type: ignore[method-assign]
    return calls


def _publish(register: Path, results: Path, name: str, calls: list, *,
             province: str | None = None, period: str | None = None) -> None:
    run = an.notebook_setup(register, results / "bench" / name, province=province,
                            period=period)
    df = run.frame
    tables = [
        ("by year", lambda: run.table(an.follow_up(df).to_frame(), "follow_up",
                                      counts=["journeys", "returns"], by="departure_year",
                                      populations=RETURNED, show=False)),
        ("by province", lambda: run.table(an.completeness(df, by="province_code"), "province",
                                          counts=["journeys", "returns"], by="province_code",
                                          populations=RETURNED, show=False)),
        ("by commune", lambda: run.table(an.completeness(df, by="register_commune",
                                                         columns=["forced_labour"]),
                                         "commune", counts=["journeys", "returns"],
                                         by="register_commune", populations=RETURNED,
                                         show=False)),
    ]
    for level in ("province_code", "district_code"):
        def prevalence(level: str = level) -> None:
            result = an.estimate_prevalence(df, by=level, missing="complete_case")
            run.table(result.to_frame(), f"prevalence_{level}", show=False, **result.cells())
        tables.append((f"prevalence by {level.split('_')[0]}", prevalence))
    for label, publish in tables:
        before = len(calls)
        publish()
        mine = calls[before:]  # one check per unit, repeated until both agree
        parts = []
        for unit in dict.fromkeys(c[0] for c in mine):
            checks = [c for c in mine if c[0] == unit]
            after = checks[-1][3]
            shown = "not published" if after < 0 else f"{after:,} hidden"
            parts.append(f"{checks[0][1]:,} {unit} cells: {checks[0][2]:,} small -> {shown}")
        print(f"  {label:<24} {'; '.join(parts)}; {sum(c[4] for c in mine):.1f} s "
              f"({len(mine)} checks)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--register", type=Path, help="a register or researcher export")
    parser.add_argument("--scale", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=2, help="provinces run after the country")
    args = parser.parse_args()
    calls = _timed_protect()
    with tempfile.TemporaryDirectory() as tmp:
        register = national_register(args.register, Path(tmp), scale=args.scale,
                                     seed=args.seed)
        results = Path(tmp) / "results"
        years = an.load_export(register)["departure_year"].dropna().astype(int)
        wall = time.perf_counter()
        runs = [("country", None, None),
                ("country, earlier years", None, f"{years.min()}:{years.max() - 1}")]
        runs += [(f"province {p:02d}", f"{p:02d}", None) for p in range(1, args.runs + 1)]
        for name, province, period in runs:
            print(f"{name}:", flush=True)
            _publish(register, results, name.replace(" ", "_").replace(",", ""), calls,
                     province=province, period=period)
        total = sum(c[4] for c in calls)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"ledger: {total:.0f} s in {len(calls)} checks ({time.perf_counter() - wall:.0f} s "
              f"with the analysis); peak memory {peak:.0f} MB; "
              f"{sum(1 for _ in (results / 'ledger.jsonl').open()):,} cells kept")


if __name__ == "__main__":
    main()
