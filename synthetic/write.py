"""``register synth``: synthetic commune registers with a planted truth, for demos and tests.

The records come from the generator of this package (numpy) and are written through the
register's own API — the same validation, audit log and warnings as a clerk's
entries. Communes are written in parallel worker processes. Next to the registers:
``truth.json`` (what the generator planted) and ``lists/*.csv`` (service lists for multiple
systems estimation). Everything is synthetic: no real person is in these files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import register
from register.db import SYNTHETIC

from .country import make_country, truth_part
from .errors import SyntheticError
from .scenario import Scenario, scenario_from

KINDS = ("agencies", "brokers", "departures", "returns", "referrals")
_country: Any = None


def mark_synthetic(conn: Any, how: str = "") -> None:
    """Record in ``register_meta`` that the register holds synthetic data (the analysis then marks
    every report and figure "SYNTHETIC DATA"; a merge carries the mark)."""
    conn.execute("INSERT OR REPLACE INTO register_meta (key, value) VALUES (?, ?)",
                 (SYNTHETIC, how or "made by the synthetic generator (register synth)"))


@dataclass
class SynthReport:
    out: Path
    communes: int
    journeys: int
    seconds: float

    def summary(self) -> str:
        return (f"Wrote {self.communes} synthetic commune registers ({self.journeys:,} journeys) "
                f"to {self.out} in {self.seconds:.0f} s, with truth.json and lists/.")


def _init_worker(provinces: list[str], seed: int, scale: float, scenario: Scenario) -> None:
    global _country
    _country = make_country(provinces, seed=seed, scale=scale, scenario=scenario)


def write_commune(commune: str, out: str) -> dict[str, Any]:
    """Write one commune's register through the API; return its part of the truth."""
    records = _country.commune_records(commune)
    path = Path(out) / f"{commune}.db"
    today = dt.date.today()
    # Synthetic data: no need to survive a power cut, so no flush to disk after each write.
    with register.init_register(path, commune=commune, actor="synthetic-generator", durable=False) as reg:
        mark_synthetic(reg.conn, f"register synth, seed {_country.seed}, scale {_country.scale}")
        for kind in KINDS:
            rows = getattr(records, kind)
            if rows:
                register.add_records(reg, kind, rows, today=today)
        # One self-contained file: `register merge` reads the communes read-only, and a
        # read-only reader of a file in WAL mode leaves empty -wal and -shm files behind (3,302
        # of them after the demo, issue 14). A rollback journal leaves nothing.
        reg.conn.execute("PRAGMA journal_mode = DELETE")
    part = truth_part(records)
    part["journeys"] = len(records.departures)
    return part


def write_country(
    provinces: Sequence[str] | str | None,
    seed: int,
    out: str | Path,
    *,
    scale: float = 1.0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    scenario: Scenario | str | None = None,
) -> SynthReport:
    """Generate every commune register of ``provinces`` (``'all'``: the country) into ``out``;
    ``scenario``: knobs that make the data harder for the estimators (``synthetic.scenario``)."""
    import time

    start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.glob("*.db")):
        raise SyntheticError(f"{out} already holds registers; choose an empty folder")
    knobs = scenario_from(scenario)
    country = make_country(provinces, seed=seed, scale=scale, scenario=knobs)
    workers = workers or min(os.cpu_count() or 1, 4)
    parts: list[dict[str, Any]] = []
    args = (country.provinces, seed, scale, knobs)
    # Never fork: the caller may hold threads (pandas/pyarrow, BLAS, DuckDB) whose locks a forked
    # child inherits mid-use; forked workers then crash at random (seen as segfaults in tests).
    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=args,
                             mp_context=context) as pool:
        futures = [pool.submit(write_commune, c, str(out)) for c in country.communes]
        for done, future in enumerate(futures, start=1):
            parts.append(future.result())
            if progress:
                progress(done, len(futures))
    journeys = sum(p.pop("journeys") for p in parts)
    country.collect(parts)
    (out / "truth.json").write_text(json.dumps(country.truth, indent=1, ensure_ascii=False),
                                    encoding="utf-8")
    lists = out / "lists"
    lists.mkdir(exist_ok=True)
    for name, rows in country.service_lists().items():
        _write_csv(lists / f"{name}.csv", rows)
    (out / "README.txt").write_text(
        "SYNTHETIC DATA made by `register synth` (seed "
        f"{seed}, provinces {','.join(country.provinces)}, scale {scale}, scenario "
        f"{knobs.name}).\n"
        "No real person is recorded here. truth.json holds what the generator planted.\n",
        encoding="utf-8")
    return SynthReport(out, len(parts), journeys, time.perf_counter() - start)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    names: list[str] = []
    for row in rows:
        names += [k for k in row if k not in names]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
