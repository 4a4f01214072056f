"""Shared tools of the fault tests: registers, snapshots, killed processes, figures.

Also a small worker entry point, run by the concurrency tests as a separate process::

    python -m tests.faults.helpers add DB N TAG GO_FILE

adds N departures one by one through the API once GO_FILE exists, and prints their ids as JSON.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import register
from register.schema import RECORD_TABLES
from tests.conftest import COMMUNE, TODAY, VILLAGE, departure

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
HEADER = register.template("departures").strip().split(",")
# What a spreadsheet runs as a formula when a cell starts with it (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COUNTED = (*RECORD_TABLES, "warnings", "audit_entry", "audit_row", "merged_sources")

__all__ = ["COMMUNE", "TODAY", "VILLAGE", "departure"]


# -- registers and files -------------------------------------------------------------------------
def make_register(path: Path, commune: str = COMMUNE, *, durable: bool = True) -> Path:
    register.init_register(path, commune=commune, actor="fault-test", durable=durable).close()
    return path


def write_departures_csv(path: Path, rows: Iterable[Mapping[str, Any]],
                         header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return path


def synthetic_departures(n: int, tag: str, village: str = VILLAGE) -> list[dict[str, Any]]:
    """``n`` valid, distinct synthetic departures (no real person)."""
    return [departure(name=f"Synthetic {tag} {i}", national_id=f"{tag}{i:07d}",
                      home_village=village, birth_year=1970 + i % 35,
                      departure_date=f"20{18 + i % 7}-{1 + i % 12:02d}-{1 + i % 28:02d}")
            for i in range(n)]


def remove_register(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


# -- what a register holds ---------------------------------------------------------------------
def raw(path: Path) -> sqlite3.Connection:
    """A plain connection (no register settings), for reading what is on disk."""
    return sqlite3.connect(path, isolation_level=None, timeout=60)


def counts(path: Path) -> dict[str, int]:
    conn = raw(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        conn.close()


def ids(path: Path, table: str = "journeys") -> set[str]:
    conn = raw(path)
    try:
        key = "person_id" if table == "person_identity" else "id"
        return {r[0] for r in conn.execute(f"SELECT {key} FROM {table}")}
    finally:
        conn.close()


def content(path: Path, *, audit: bool = True) -> dict[str, Any]:
    """Every record (whole rows but their write time), the merged sources, the warnings and
    (optionally) the audit log."""
    conn = raw(path)
    try:
        out: dict[str, Any] = {}
        for table in RECORD_TABLES:  # recorded_at is the clock time of the write: left out
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                       if r[1] != "recorded_at"]
            out[table] = frozenset(conn.execute(f"SELECT {', '.join(columns)} FROM {table}"))
        out["merged_sources"] = frozenset(
            conn.execute("SELECT register_id, fingerprint FROM merged_sources").fetchall())
        out["warnings"] = frozenset(
            conn.execute("SELECT table_name, record_id, code, detail FROM warnings").fetchall())
        if audit:
            out["audit_log"] = (tuple(conn.execute("SELECT * FROM audit_entry ORDER BY chain, seq")),
                                tuple(conn.execute("SELECT * FROM audit_row ORDER BY rowid")))
        return out
    finally:
        conn.close()


def assert_sound(path: Path) -> register.CheckReport:
    """The register opens with the API and passes ``check``: SQLite integrity and audit chain."""
    with register.open_register(path, actor="fault-test") as reg:
        report = register.check_register(reg)
    assert report.ok, (path, report.problems, [str(f) for f in report.audit_findings[:5]])
    return report


def export_cells(path: Path, out: Path) -> list[list[str]]:
    """The researcher export of a register as CSV cells."""
    with register.open_register(path, actor="fault-test") as reg:
        register.export_researcher(reg, out, force=True)
    with out.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_START)]


# -- processes -----------------------------------------------------------------------------------
def env() -> dict[str, str]:
    out = dict(os.environ)
    out["REGISTER_CLERK"] = "fault-test"
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    return out


def register_cmd(*args: str) -> list[str]:
    return [PYTHON, "-m", "register", *args]


def worker_cmd(*args: str) -> list[str]:
    return [PYTHON, "-m", "tests.faults.helpers", *args]


def popen(cmd: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run(cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True,
                          timeout=timeout)


@dataclass
class Kill:
    """One run of a command ended by SIGKILL (or that finished before the kill came)."""

    killed: bool
    returncode: int
    seconds: float
    stderr: str = ""
    stdout: str = ""


def run_and_kill(cmd: list[str], delay: float,
                 trigger: Callable[[], bool] | None = None, poll: float = 0.001) -> Kill:
    """Start ``cmd``; after ``delay`` seconds (counted from when ``trigger()`` first holds, if
    given) send it SIGKILL. Returns whether the process was still running when killed."""
    start = time.perf_counter()
    with subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        if trigger is not None:
            while proc.poll() is None and not trigger():
                time.sleep(poll)
        deadline = time.perf_counter() + delay
        while proc.poll() is None and time.perf_counter() < deadline:
            time.sleep(min(poll, max(0.0, deadline - time.perf_counter())))
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
    return Kill(killed=killed, returncode=proc.returncode, seconds=time.perf_counter() - start,
                stderr=err or "", stdout=out or "")


def wal_growing(db: Path) -> Callable[[], bool]:
    """True once the register's write-ahead log holds data (a write transaction is under way)."""
    wal = Path(str(db) + "-wal")

    def check() -> bool:
        try:
            return wal.stat().st_size > 0
        except OSError:
            return False

    return check


def any_exists(*paths: Path) -> Callable[[], bool]:
    return lambda: any(p.exists() for p in paths)


# -- figures reported to the lead ----------------------------------------------------------------
@dataclass
class Figures:
    """Counts a test module reports at its end (on the terminal, whatever the capture mode)."""

    title: str
    values: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + n

    def line(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.values.items()) or "nothing measured"
        return f"[fault figures] {self.title}: {shown}"


def report(config: Any, figures: Figures) -> None:
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # pragma: no cover
        print(figures.line())
        return
    with capture.global_and_fixture_disabled():
        print("\n" + figures.line(), flush=True)


# -- worker process for the concurrency tests ----------------------------------------------------
def wait_for_go(go: str | Path, tag: str) -> None:
    """Say 'ready' (a file ``GO.ready.TAG``), then wait until the file ``go`` exists."""
    Path(f"{go}.ready.{tag}").touch()
    while not Path(go).exists():
        time.sleep(0.0005)


def release(go: Path, tags: Iterable[str], procs: Iterable[subprocess.Popen[str]],
            timeout: float = 60) -> None:
    """Wait until every worker is ready (or has died), then let them all start at once."""
    procs = list(procs)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(Path(f"{go}.ready.{t}").exists() for t in tags):
            break
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.005)
    go.touch()


def _worker_add(db: str, n: int, tag: str, go: str) -> None:
    wait_for_go(go, tag)
    with register.open_register(db, actor=f"clerk-{tag}") as reg:
        for row in synthetic_departures(n, tag):
            for record_id in register.add_records(reg, "departures", [row], today=TODAY).ids:
                print(record_id, flush=True)  # reported to the clerk only once committed


if __name__ == "__main__":
    if sys.argv[1] == "add":
        _worker_add(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        raise SystemExit(f"unknown worker command {sys.argv[1]!r}")
