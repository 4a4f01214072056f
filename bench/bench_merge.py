"""Merge time and throughput against the bare-SQLite limit, and peak memory.

    .venv/bin/python bench/bench_merge.py --communes DIR [--no-link]
    .venv/bin/python bench/bench_merge.py --provinces all --seed 1     # generate first (slow)

The bare limit is the same rows copied with nothing else: for every file ``ATTACH`` and
``INSERT INTO main.t SELECT * FROM src.t`` for each record table, into a fresh register with
the same schema, journal off. The merge adds: reading each file's metadata, a quick integrity
check, the owner-wins upsert, the never-lose-a-record check, the audit entries, and (unless
--no-link) record linkage. Aim: whole national merge under a minute, within twice the bare time.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

import register
from register.merge import MERGE_CACHE_MB, merge
from register.schema import RECORD_TABLES


def bare(files: list[Path], out: Path) -> float:
    register.create_register(out, commune_code=None, level="merged").close()
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"PRAGMA cache_size = -{MERGE_CACHE_MB * 1024}")  # the same cache as the merge
    start = time.perf_counter()
    for path in files:
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{path}?mode=ro",))
        conn.execute("BEGIN")
        for table in RECORD_TABLES:
            conn.execute(f"INSERT OR IGNORE INTO main.{table} SELECT * FROM src.{table}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=Path, help="folder of commune registers")
    parser.add_argument("--provinces", default="01", help="generate these first (or 'all')")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-link", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.communes
        if folder is None:
            from synthetic.write import write_country

            folder = Path(tmp) / "communes"
            report = write_country(args.provinces, args.seed, folder)
            print(report.summary())
        files = sorted(folder.glob("*.db"))
        journeys = 0
        for path in files:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                journeys += conn.execute("SELECT count(*) FROM journeys").fetchone()[0]
        bare_s = bare(files, Path(tmp) / "bare.db")
        start = time.perf_counter()
        result = merge(files, Path(tmp) / "merged.db", link=not args.no_link)
        ours = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"files: {len(files)}, journeys: {journeys:,}")
        print(f"bare ATTACH + INSERT...SELECT: {bare_s:6.1f} s ({journeys / bare_s:,.0f} journeys/s)")
        print(f"register merge (copy phase):  {result.copy_seconds:6.1f} s "
              f"({journeys / result.copy_seconds:,.0f} journeys/s), "
              f"{result.copy_seconds / bare_s:.2f} x bare")
        print(f"record linkage:               {result.link_seconds:6.1f} s "
              f"({result.linked_persons} persons linked, {result.duplicate_journeys} repeated "
              f"journeys)")
        print(f"register merge (total):       {ours:6.1f} s, {ours / bare_s:.2f} x bare; "
              f"peak memory {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
