"""What every attack needs: the tally of tries, seeded registers, the command line in-process.

A *row* of the tally is one attack (``"1 export onto its own register"``) with the promise it is
held to. Each try records whether the program held (refused, detected, or kept the data exactly
as promised). A row of kind ``"limit"`` is an attack the README says is *not* detected in that
situation (a forgery without an earlier audit code): its tries are counted, and an outcome that
differs from the documentation (detected after all) is listed, never counted as a failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import register
from register import audit
from register.cli import app
from register.output import TEMPORARY
from tests.conftest import TODAY, VILLAGE
from tests.faults import helpers as h

CLERK = "attack-bench"
VILLAGES = {"010201": "01020101", "010202": "01020201", "010203": "01020301"}
SEXES = ("F", "M")
COUNTRIES = ("TH", "MY", "KR", "JP", "SG")
CHANNELS = ("broker", "own", "family_friend")
SECTORS = ("agriculture", "construction", "fishing", "manufacturing", "domestic_work")


# -- the tally -------------------------------------------------------------------------------
@dataclass
class Row:
    item: int
    name: str
    promise: str
    kind: str = "promise"  # or "limit": documented as not detected
    tries: int = 0
    held: int = 0
    failures: list[str] = field(default_factory=list)
    # a "limit" row detected after all; a try held in another way than the README says
    differs: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.tries - self.held

    @property
    def title(self) -> str:
        return f"{self.item}. {self.name}"


class Tally:
    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.notes: list[str] = []

    def row(self, item: int, name: str, promise: str, kind: str = "promise") -> Row:
        return self.rows.setdefault(name, Row(item, name, promise, kind))

    def record(self, row: Row, held: bool, detail: str = "", *, differs: bool = False) -> None:
        """One try of ``row``. For a "limit" row, ``held`` says whether the outcome is the
        documented one (not detected); otherwise it is listed as differing, not as failed.
        ``differs``: held (the data are as they were), but not in the way the README says."""
        row.tries += 1
        detail = " ".join(detail.split())
        if differs and held:
            row.differs.append(detail)
        if row.kind == "limit":
            row.held += 1
            if not held:
                row.differs.append(detail)
            return
        if held:
            row.held += 1
        else:
            row.failures.append(detail)

    def note(self, text: str) -> None:
        """Something seen that is not a failure but worth saying (each once)."""
        if text not in self.notes:
            self.notes.append(text)

    def crashed(self, row: Row, exc: BaseException) -> None:
        """A try that ended in an exception the program should have turned into a message (or
        a bug of this bench: the detail says where)."""
        traceback.print_exception(exc, file=sys.stderr)  # the whole story, for the log
        where = traceback.extract_tb(exc.__traceback__)[-1]
        self.record(row, False, f"exception {type(exc).__name__}: {exc} "
                                f"({Path(where.filename).name}:{where.lineno})")


# -- variation -------------------------------------------------------------------------------
def rng_for(seed: int, name: str) -> random.Random:
    """A random source of its own for each attack family: --only does not change the others'
    draws (string seeds hash the same in every run: random.Random uses SHA-512 on them)."""
    return random.Random(f"{seed}:{name}")


@contextlib.contextmanager
def scratch(prefix: str = "attack-") -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


def person_rows(rng: random.Random, n: int, tag: str, village: str = VILLAGE) -> list[dict[str, Any]]:
    """``n`` valid synthetic departures, drawn from ``rng`` (no real person)."""
    rows = []
    for i in range(n):
        rows.append({
            "name": f"Synthetic {tag} {i} {rng.randrange(10**6):06d}",
            "national_id": f"{rng.randrange(10**9):09d}", "phone": f"0{rng.randrange(10**8):08d}",
            "sex": rng.choice(SEXES), "birth_year": rng.randrange(1960, 2006),
            "home_village": village,
            "departure_date": f"20{rng.randrange(18, 26)}-{rng.randrange(1, 13):02d}-"
                              f"{rng.randrange(1, 29):02d}",
            "destination_country": rng.choice(COUNTRIES), "sector": rng.choice(SECTORS),
            "channel": rng.choice(CHANNELS), "n_brokers": 1, "has_passport": rng.randrange(2),
            "fee_usd": rng.randrange(0, 900), "debt_usd": rng.randrange(0, 900),
        })
    return rows


def commune_register(path: Path, rng: random.Random, *, commune: str = "010201",
                     batches: int = 1, per_batch: tuple[int, int] = (1, 5),
                     passphrase: str | None = None, returns: bool = False) -> list[str]:
    """A commune register with ``batches`` writes of departures (each one audit entry; with
    ``returns``, some followed by a return: one more entry); the audit code after each entry
    (``codes[k - 1]`` names entry ``k``)."""
    codes = []
    village = VILLAGES.get(commune, VILLAGE)
    with register.init_register(path, commune=commune, actor=CLERK, passphrase=passphrase) as reg:
        for b in range(batches):
            rows = person_rows(rng, rng.randint(*per_batch), f"{commune}-{b}", village)
            ids = register.add_records(reg, "departures", rows, today=TODAY).ids
            codes.append(audit.anchor(reg.conn))
            if returns and rng.random() < 0.5:
                register.add_records(reg, "returns", [{
                    "journey_id": rng.choice(ids), "return_date": "2026-01-15",
                    "return_mode": "voluntary"}], today=TODAY)
                codes.append(audit.anchor(reg.conn))
    return codes


def content(path: Path) -> dict[str, Any]:
    """Every record, merged source, warning and audit entry of a register (as on disk)."""
    return h.content(path)


def file_state(path: Path) -> tuple[str, ...]:
    """The bytes of a file and of its -wal (a register's records may be in either)."""
    out = []
    for suffix in ("", "-wal"):
        p = Path(str(path) + suffix)
        out.append(hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "-")
    return tuple(out)


def leftover_files(folder: Path) -> list[str]:
    """Temporary files of the program left in ``folder``."""
    return sorted(p.name for p in folder.iterdir()
                  if any(p.name.endswith(s) for s in TEMPORARY) or ".merging" in p.name)


# -- the command line ------------------------------------------------------------------------
@dataclass
class Done:
    code: int
    output: str
    exception: BaseException | None

    @property
    def traceback(self) -> bool:
        return (self.exception is not None and not isinstance(self.exception, SystemExit)) or \
            "Traceback" in self.output

    def crash(self) -> str:
        if self.exception is not None and not isinstance(self.exception, SystemExit):
            return f"{type(self.exception).__name__}: {self.exception}"
        return "traceback in the output"

    def said(self) -> str:
        lines = [line for line in self.output.strip().splitlines() if line.strip()]
        return lines[-1][:160] if lines else ""


def cli(args: Sequence[str | Path], *, input: str | None = None,
        env: dict[str, str] | None = None) -> Done:
    """``register ARGS`` in this process (typer's test runner): the clerk's command line."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [str(a) for a in args], input=input, env=env)
    return Done(result.exit_code, result.output, result.exception)


def subprocess_cli(args: Sequence[str | Path], *, env: dict[str, str] | None = None,
                   timeout: float = 120) -> Done:
    """``python -m register ARGS`` as a separate process."""
    import subprocess

    full = h.env() | (env or {})
    done = subprocess.run(h.register_cmd(*map(str, args)), cwd=h.ROOT, env=full,
                          capture_output=True, text=True, timeout=timeout)
    return Done(done.returncode, done.stdout + done.stderr, None)


def isolate_config(folder: Path) -> None:
    """The command line remembers registers in a config file: one of this run's, never the
    user's; messages in English; the clerk named."""
    os.environ["REGISTER_CONFIG"] = str(folder / "config.json")
    os.environ["REGISTER_CLERK"] = CLERK
    os.environ.pop("REGISTER_LANG", None)
    os.environ.pop("REGISTER_PASSPHRASE", None)
    os.environ.pop("REGISTER_NEW_PASSPHRASE", None)


Attack = Callable[[Tally, random.Random, int], None]
