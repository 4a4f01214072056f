"""Time to make the council's monthly report on a commune register of 5,000 journeys.

    .venv/bin/python bench/bench_report.py [--journeys 5000] [--month 2025-10] [--repeat 3]

The register is one synthetic commune (Kouk Romiet, 010702, seed 7) written through the
register's API, cut to the first N journeys. Each run is ``register report`` in a fresh process
(what the clerk waits for, imports included), in Khmer then in English, internal then public;
the in-process split (queries vs PDF) is printed too. Wall time depends on what else the
machine is doing; CPU time (user + system, of the child process) much less.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import register

COMMUNE = "010702"


def synthetic_commune(path: Path, journeys: int, seed: int = 7) -> int:
    """Write one synthetic commune register of (at most) ``journeys`` journeys."""
    from synthetic.country import make_country

    scale = 0.5 * journeys / 5000 + 0.05  # about 10% more than needed at seed 7
    records = make_country([COMMUNE[:2]], seed, scale=scale).commune_records(COMMUNE)
    departures = records.departures[:journeys]
    kept = {d["journey_id"] for d in departures}
    persons = {d["person_id"] for d in departures}
    rows = {
        "agencies": records.agencies, "brokers": records.brokers, "departures": departures,
        "returns": [r for r in records.returns if r["journey_id"] in kept],
        "referrals": [r for r in records.referrals if r["person_id"] in persons
                      and r.get("journey_id") in (None, *kept)],
    }
    with register.init_register(path, commune=COMMUNE, durable=False) as reg:
        for kind, batch in rows.items():
            if batch:
                register.add_records(reg, kind, batch)
        return reg.conn.execute("SELECT count(*) FROM journeys").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=5000)
    parser.add_argument("--month", default="2025-10")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "commune.db"
        n = synthetic_commune(db, args.journeys)
        print(f"register: {n:,} journeys (commune {COMMUNE}, synthetic)")
        from register.report import monthly_report
        from register.report_pdf import render

        with register.open_register(db) as reg:
            start, cpu = time.perf_counter(), time.process_time()
            report = monthly_report(reg, args.month)
            queries, queries_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        _, pages = render(report)
        drawing, drawing_cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"in process: queries {queries:.2f} s ({queries_cpu:.2f} s CPU), PDF {drawing:.2f} s "
              f"({drawing_cpu:.2f} s CPU); {pages} pages, {len(report.overdue)} people on the "
              f"follow-up list")
        exe = Path(sys.executable).with_name("register")
        for lang in ("km", "en"):
            for public in (False, True):
                out = Path(folder) / f"report-{lang}-{int(public)}.pdf"
                cmd = [str(exe), "report", "--db", str(db), "--month", args.month, "--lang",
                       lang, "--out", str(out), *(["--public"] if public else [])]
                times, cpu = [], []
                for _ in range(args.repeat):
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    start = time.perf_counter()
                    subprocess.run(cmd, check=True, capture_output=True)
                    times.append(time.perf_counter() - start)
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                kind = "public" if public else "internal"
                print(f"register report --lang {lang} ({kind}): median {statistics.median(times):.2f} s"
                      f" wall, {statistics.median(cpu):.2f} s CPU, of {args.repeat} (wall min "
                      f"{min(times):.2f}, max {max(times):.2f}); {out.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
