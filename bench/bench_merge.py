"""Merge time against the best bare SQLite copy of the same rows; peak memory; bytes per journey.

    .venv/bin/python bench/bench_merge.py --communes DIR [--no-link] [--keep FILE]
    .venv/bin/python bench/bench_merge.py --provinces all --seed 1     # generate first (slow)

**Bare copy** (the limit): the same rows the merge writes - every record table, the warnings,
and the audit log the merged register keeps (entries, row hashes, salts) - copied with nothing
else into a fresh register whose secondary indexes are dropped first and built after. Two ways
are timed and the faster one is the limit: (a) ``ATTACH`` each file and ``INSERT INTO main.t
SELECT * FROM src.t``; (b) the same into index-free staging tables, then each table built with one
``INSERT ... SELECT ... ORDER BY id``. Both use the merge's page cache, journal off, CHECK
constraints not evaluated again, and end with the file flushed to disk (``fsync``), as the
merge does.

**The merge** adds: opening each file, a quick integrity check, comparing its audit chain with
what the output holds, and checking it (``check``: every chain, every record against its row
hash) - reported apart as *source checks*; then the copy (the owner-wins rule for ids held twice,
the never-lose-a-record check, the communes' audit chains, salts and erasures, foreign keys, its
own audit entry) and (unless --no-link) record linkage.

Bytes per journey: the commune files' sizes over their journeys, and the merged file's over its.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

import register
from register.merge import MERGE_CACHE_MB, apply_merge, plan_merge
from register.schema import RECORD_TABLES

COPIED = (*RECORD_TABLES, "warnings", "audit_entry", "audit_row", "audit_salt")


def _fresh(out: Path) -> tuple[sqlite3.Connection, list[str]]:
    register.create_register(out, commune_code=None, level="merged").close()
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"PRAGMA cache_size = -{MERGE_CACHE_MB * 1024}")  # the same cache as the merge
    conn.execute("PRAGMA ignore_check_constraints = ON")  # as the merge (its inputs are checked)
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                           "AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    for trigger in [r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                               "WHERE type = 'trigger'")]:
        conn.execute(f"DROP TRIGGER {trigger}")
    return conn, [sql for _, sql in indexes]


def _columns(conn: sqlite3.Connection, table: str) -> str:
    """The columns to copy (not a warning's own row number: each file numbers from 1)."""
    return ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")
                     if not (table == "warnings" and r[1] == "id"))


def _select(cols: str, table: str) -> str:
    """What to select from a file: its own chain (0) gets the file's number, as in the merge."""
    if table in ("audit_entry", "audit_row"):
        return cols.replace("chain", ":number", 1)
    return cols


def bare_direct(files: list[Path], out: Path) -> float:
    conn, indexes = _fresh(out)
    start = time.perf_counter()
    for number, path in enumerate(files, start=1):
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{path}?mode=ro",))
        conn.execute("BEGIN")
        for table in COPIED:
            cols = _columns(conn, table)
            conn.execute(f"INSERT OR IGNORE INTO main.{table} ({cols}) SELECT "
                         f"{_select(cols, table)} FROM src.{table}", {"number": number})
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
    for sql in indexes:
        conn.execute(sql)
    conn.close()
    _fsync(out)
    return time.perf_counter() - start


def _fsync(path: Path) -> None:
    """On disk, as the merge leaves its output (a file a power cut does not lose)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def bare_sorted(files: list[Path], out: Path) -> float:
    conn, indexes = _fresh(out)
    start = time.perf_counter()
    keyed = {t: register.model.MODEL.key_of(t) for t in RECORD_TABLES}
    keyed["audit_salt"] = "tab, id"
    for table in keyed:
        conn.execute(f"CREATE TABLE stage_{table} AS SELECT * FROM main.{table} WHERE 0")
    for number, path in enumerate(files, start=1):
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{path}?mode=ro",))
        conn.execute("BEGIN")
        for table in COPIED:
            cols = _columns(conn, table)
            target = f"stage_{table}" if table in keyed else table
            conn.execute(f"INSERT INTO main.{target} ({cols}) SELECT {_select(cols, table)} "
                         f"FROM src.{table}", {"number": number})
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
    conn.execute("BEGIN")
    for table, key in keyed.items():
        cols = _columns(conn, table)
        conn.execute(f"INSERT OR IGNORE INTO main.{table} ({cols}) SELECT {cols} "
                     f"FROM stage_{table} ORDER BY {key}")
        conn.execute(f"DROP TABLE stage_{table}")
    for sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    _fsync(out)
    return time.perf_counter() - start


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=Path, help="folder of commune registers")
    parser.add_argument("--provinces", default="01", help="generate these first (or 'all')")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-link", action="store_true")
    parser.add_argument("--no-bare", action="store_true", help="time the merge only")
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the outputs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        folder = args.communes
        if folder is None:
            from synthetic.write import write_country

            folder = Path(tmp) / "communes"
            report = write_country(args.provinces, args.seed, folder)
            print(report.summary())
        files = sorted(folder.glob("*.db"))
        journeys = 0
        for path in files:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            journeys += conn.execute("SELECT count(*) FROM journeys").fetchone()[0]
            conn.close()
        size = sum(p.stat().st_size for p in files)
        print(f"files: {len(files)}, journeys: {journeys:,}; load average at start: "
              f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"commune files: {size / 1e9:.2f} GB, {size / journeys:,.0f} bytes per journey")
        bare_s = float("inf")
        if not args.no_bare:
            direct = bare_direct(files, Path(tmp) / "bare-direct.db")
            print(f"bare copy (a) per file:        {direct:6.1f} s")
            ordered = bare_sorted(files, Path(tmp) / "bare-sorted.db")
            print(f"bare copy (b) staged, sorted:  {ordered:6.1f} s")
            bare_s = min(direct, ordered)
            for name in ("bare-direct.db", "bare-sorted.db"):
                (Path(tmp) / name).unlink()
        out = Path(tmp) / "merged.db"
        start = time.perf_counter()
        plan = plan_merge(files, out, processes=os.cpu_count() or 1)
        checked = time.perf_counter() - start
        result = apply_merge(plan, link=not args.no_link)
        total = time.perf_counter() - start
        merged = out.stat().st_size
        print(f"source checks (open, compare chains, check every record): {checked:6.1f} s")
        print(f"merge copy phase:              {result.copy_seconds:6.1f} s, "
              f"{result.copy_seconds / bare_s:.2f} x bare")
        print(f"record linkage:                {result.link_seconds:6.1f} s "
              f"({result.linked_persons} persons linked, {result.duplicate_journeys} repeated "
              f"journeys)")
        apply_s = total - checked
        print(f"merge without source checks:   {apply_s:6.1f} s, {apply_s / bare_s:.2f} x bare")
        print(f"merge total:                   {total:6.1f} s, {total / bare_s:.2f} x bare; "
              f"peak memory {_peak_mb():,.0f} MB")
        print(f"merged file: {merged / 1e9:.2f} GB, {merged / journeys:,.0f} bytes per journey; "
              f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
