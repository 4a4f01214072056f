"""Import throughput and the clerk's start-up time.

    .venv/bin/python bench/bench_import.py [--rows 20000]

1. Rows per second of ``register import`` (CSV parsing, validation of every field, audit log,
   one transaction) against the bare limit: ``sqlite3.executemany`` of the same, already-clean
   rows into the same tables of a fresh register (aim: at least half of the bare rate).
2. Cold start of ``register --help`` against ``sqlite-utils --help`` (aim: no slower).
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import register
from register.io import template

VILLAGES = ["01020101", "01020102", "01020103"]


def make_rows(n: int, seed: int = 1) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append({
            "name": f"Person {i}", "national_id": f"{rng.randrange(10**8, 10**9)}",
            "sex": rng.choice("FM"), "birth_year": rng.randrange(1965, 2004),
            "home_village": rng.choice(VILLAGES),
            "departure_date": f"20{rng.randrange(15, 25)}-{rng.randrange(1, 13):02d}-"
                              f"{rng.randrange(1, 29):02d}",
            "destination_country": rng.choice(["TH", "TH", "TH", "MY", "KR"]),
            "sector": rng.choice(["agriculture", "construction", "fishing"]),
            "channel": rng.choice(["broker", "own", "family_friend", "mou"]),
            "n_brokers": rng.randrange(0, 3), "has_passport": rng.randrange(2),
            "fee_usd": rng.randrange(0, 800), "debt_usd": rng.randrange(0, 800),
        })
    return rows


def bare(path: Path, rows: list[dict[str, object]]) -> float:
    import sqlite3

    reg = register.open_register(path)
    src = reg.register_id
    reg.close()
    persons, identity, journeys = [], [], []
    for r in rows:
        pid, jid = str(uuid.uuid4()), str(uuid.uuid4())
        persons.append((pid, r["sex"], None, r["birth_year"], r["home_village"], src, "now"))
        identity.append((pid, r["name"], r["national_id"], None))
        journeys.append((jid, pid, r["departure_date"], r["destination_country"], r["sector"],
                         r["channel"], r["n_brokers"], r["has_passport"], r["fee_usd"],
                         r["debt_usd"], src, "now"))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO persons (id, sex, birth_date, birth_year, home_village, "
                     "source_register, recorded_at) VALUES (?,?,?,?,?,?,?)", persons)
    conn.executemany("INSERT INTO person_identity (person_id, name, national_id, phone) "
                     "VALUES (?,?,?,?)", identity)
    conn.executemany("INSERT INTO journeys (id, person_id, departure_date, destination_country, "
                     "sector, channel, n_brokers, has_passport, fee_usd, debt_usd, "
                     "source_register, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", journeys)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def ours(path: Path, csv_path: Path) -> float:
    reg = register.open_register(path)
    start = time.perf_counter()
    register.import_file(reg, csv_path, "departures")
    elapsed = time.perf_counter() - start
    reg.close()
    return elapsed


def cold_start(cmd: list[str], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "departures.csv"
        header = template("departures").strip().split(",")
        with csv_path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        results = {}
        for name, run in (("bare executemany", lambda p: bare(p, rows)),
                          ("register import", lambda p: ours(p, csv_path))):
            best = float("inf")
            for attempt in range(3):
                path = folder / f"{name.split()[0]}{attempt}.db"
                register.init_register(path, commune="010201").close()
                best = min(best, run(path))
            results[name] = args.rows / best
            print(f"{name:>18}: {args.rows / best:>10,.0f} rows/s  ({best:.2f} s for "
                  f"{args.rows:,} departures)")
        ratio = results["register import"] / results["bare executemany"]
        print(f"{'ratio':>18}: {ratio:.2f} of the bare limit (aim: >= 0.50)")
    bin_dir = Path(sys.executable).parent
    ours_start = cold_start([str(bin_dir / "register"), "--help"])
    theirs = cold_start([str(bin_dir / "sqlite-utils"), "--help"])
    print(f"cold start: register --help {ours_start * 1000:.0f} ms, sqlite-utils --help "
          f"{theirs * 1000:.0f} ms (aim: no slower)")


if __name__ == "__main__":
    main()
