"""Data loss (issue 9, items 1-4): outputs onto registers and files, a passphrase changed while
a clerk writes, restores over committed records, imports that would drop or misattach rows."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import register
from register.backup import backup, restore
from register.errors import RegisterError
from register.merge import merge
from tests.conftest import TODAY
from tests.faults import helpers as h

from .common import (
    Tally,
    cli,
    commune_register,
    content,
    file_state,
    leftover_files,
    person_rows,
    scratch,
)

# -- 1. writing onto a register or an existing file -------------------------------------------
# Every command that writes a file, and the file it is told to write: {out} is the target.
WRITERS: dict[str, list[str]] = {
    "export": ["export", "--db", "{db}", "--out", "{out}", "--no-input"],
    "export htcds": ["export", "--db", "{db}", "--format", "htcds", "--out", "{out}",
                     "--no-input"],
    "backup": ["backup", "--db", "{db}", "--out", "{out}", "--no-input"],
    "merge": ["merge", "{db}", "--out", "{out}", "--no-link", "--no-input"],
    "report": ["report", "--db", "{db}", "--month", "2024-03", "--out", "{out}", "--no-input"],
    "xlsform": ["xlsform", "--kind", "departures", "--out", "{out}", "--no-input"],
    "codebook": ["codebook", "--out", "{out}", "--no-input"],
    "template": ["template", "departures", "--out", "{out}", "--no-input"],
}
# The name an output of each command must have (a register or a file is given that name).
SUFFIX = {"export": ".csv", "export htcds": ".csv", "backup": ".db", "merge": ".db",
          "report": ".pdf", "xlsform": ".xlsx", "codebook": ".md", "template": ".csv"}
READS_REGISTER = ("export", "export htcds", "backup", "merge", "report")


def _same_file_names(folder: Path, reg: Path, rng: random.Random) -> tuple[str, Path]:
    """Another spelling of the path of ``reg``: itself, with ``.`` or ``..``, a symbolic link,
    a hard link."""
    way = rng.choice(["same", "dot", "dotdot", "symlink", "hardlink"])
    if way == "same":
        return way, reg
    if way == "dot":
        return way, Path(f"{folder}/./{reg.name}")
    if way == "dotdot":
        (folder / "sub").mkdir(exist_ok=True)
        return way, Path(f"{folder}/sub/../{reg.name}")
    link = folder / f"link-{way}{reg.suffix}"
    if way == "symlink":
        link.symlink_to(reg)
    else:
        os.link(reg, link)
    return way, link


def _state(path: Path) -> Any:
    """What must not change: a register's records and audit log, else the file's bytes."""
    if path.exists() and path.read_bytes()[:16] == b"SQLite format 3\x00":
        try:
            return content(path)
        except sqlite3.DatabaseError:
            pass
    return file_state(path)


def _try_write(tally: Tally, row: Any, command: str, args: list[str], api: bool,
               watched: list[Path], folder: Path, force: bool, db: Path, out: Path,
               own: bool) -> None:
    before = [_state(p) for p in watched]
    detail = f"{command} {'(API)' if api else ''} --out {out.name}{' --force' if force else ''}"
    refused, said, crash = False, "", ""
    if api:
        try:
            if command == "export":
                with register.open_register(db, actor="attack") as reg:
                    register.export_researcher(reg, out, force=force)
            elif command == "backup":
                backup(db, out)
            elif command == "merge":
                merge([db], out, link=False)
        except RegisterError as exc:
            refused, said = True, str(exc)
        except Exception as exc:  # noqa: BLE001  (the attack reports what escaped)
            crash = f"{type(exc).__name__}: {exc}"
    else:
        done = cli([a.format(db=db, out=out) for a in args] + (["--force"] if force else []))
        refused, said = done.code != 0, done.said()
        crash = done.crash() if done.traceback else ""
    after = [_state(p) for p in watched]
    changed = [p.name for p, a, b in zip(watched, before, after, strict=True) if a != b]
    left = leftover_files(folder)
    held = (refused or own) and not crash and not changed and not left
    if held and not refused:  # written "onto itself" and nothing changed: a no-op, not a loss
        tally.note(f"{detail} (another spelling of the input's path) was accepted and changed "
                   "nothing: kept as held (the data are exactly as they were)")
    why = (f"exit 0 ({said})" if not refused else "") + (f" crash {crash}" if crash else "") + \
        (f" changed {changed}" if changed else "") + (f" left {left}" if left else "")
    tally.record(row, held, f"{detail}: {why.strip()}")


def attack_outputs(tally: Tally, rng: random.Random, tries: int) -> None:
    own = tally.row(1, "output onto the register it reads (export, backup, merge, report; "
                       "any spelling of the path; with and without --force)",
                    "refused even with --force; the register unchanged")
    other = tally.row(1, "output onto another register, no --force (every writing command)",
                      "refused; the other register unchanged")
    existing = tally.row(1, "output onto an existing file, no --force (every writing command)",
                         "refused; the file unchanged")
    for i in range(tries):
        target = (own, other, existing)[i % 3]
        with scratch() as folder:
            db = folder / "kh-010201.db"
            commune_register(db, rng, batches=rng.randint(1, 3))
            if target is own:
                command = rng.choice(READS_REGISTER)
                if command == "merge":  # a merged register that is also one of the inputs
                    merged = folder / "district.db"
                    merge([db], merged, link=False)
                    db = merged
                way, out = _same_file_names(folder, db, rng)
                force = rng.random() < 0.5
                watched = [db]
            elif target is other:
                command = rng.choice(list(WRITERS))
                out = folder / f"kh-010202{SUFFIX[command] if rng.random() < 0.3 else '.db'}"
                commune_register(out, rng, commune="010202")
                force, watched = False, [db, out]
            else:
                command = rng.choice(list(WRITERS))
                out = folder / f"precious{SUFFIX[command]}"
                out.write_bytes(b"precious work of the clerk " + rng.randbytes(64))
                force, watched = False, [db, out]
            api = command in ("export", "backup", "merge") and rng.random() < 0.3
            try:
                _try_write(tally, target, command, WRITERS[command], api, watched, folder,
                           force, db, out, target is own)
            except Exception as exc:  # noqa: BLE001
                tally.crashed(target, exc)


# -- 2. a new passphrase while another process writes -------------------------------------------
OLD, NEW = "first passphrase", "second passphrase"
WRITER = """
import sys, register
from register.errors import PassphraseError
from tests.faults.helpers import synthetic_departures
from tests.conftest import TODAY
import time
path, mode, n, old, new = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
pause = float(sys.argv[6])  # between records, the register closed (a clerk typing the next)
keys = [old, new]
def opened():
    for key in list(keys):
        try:
            return register.open_register(path, actor="writer", passphrase=key)
        except PassphraseError:
            keys.remove(key)  # re-keyed meanwhile: the clerk is told the new passphrase
            print("REKEYED", flush=True)
    raise SystemExit("no passphrase opens the register")
reg = opened()
for i, row in enumerate(synthetic_departures(n, "W")):
    if mode == "reopen" and i:
        reg.close()
        time.sleep(pause)
        reg = opened()
    try:
        ids = register.add_records(reg, "departures", [row], today=TODAY).ids
    except register.RegisterError as exc:  # refused (the file was replaced): not saved
        print("REFUSED", exc, flush=True)
        reg.close()
        reg = opened()
        continue
    print("SAVED", ids[0], flush=True)
reg.close()
"""


def _change(path: Path, api: bool, new: str | None) -> tuple[bool, str]:
    """Change the passphrase; (done, what was said)."""
    if api:
        try:
            register.change_passphrase(path, OLD, new)
            return True, ""
        except RegisterError as exc:
            return False, str(exc)
    env = {"REGISTER_PASSPHRASE": OLD, "REGISTER_NEW_PASSPHRASE": new or ""}
    args = ["passphrase", "--db", str(path), "--no-input"] + ([] if new else ["--decrypt"])
    done = cli(args, env=env)
    if done.traceback:
        raise RuntimeError(done.crash())
    return done.code == 0, done.said()


def _opens_with(path: Path) -> list[str | None]:
    """The passphrases that open the register (None: it is not encrypted) and pass check."""
    from register.db import is_encrypted

    found: list[str | None] = []
    for key in ((OLD, NEW) if is_encrypted(path) else (None,)):
        try:
            with register.open_register(path, passphrase=key) as reg:
                if register.check_register(reg).ok:
                    found.append(key)
        except RegisterError:
            continue
    return found


def attack_passphrase(tally: Tally, rng: random.Random, tries: int) -> None:
    row = tally.row(2, "passphrase changed while another process writes (held open / reopened "
                       "per record; API and CLI; re-key or decrypt)",
                    "every saved record kept; the register opens with exactly one passphrase")
    between = 0
    for i in range(tries):
        mode = ("reopen", "held")[i % 2]
        api = rng.random() < 0.5
        new = None if rng.random() < 0.25 else NEW
        n = rng.randint(15, 25) if mode == "reopen" else rng.randint(150, 300)
        with scratch() as folder:
            path = folder / "busy.db"
            register.init_register(path, commune="010201", passphrase=OLD).close()
            writer = subprocess.Popen(
                [sys.executable, "-c", WRITER, str(path), mode, str(n), OLD, new or OLD,
                 str(rng.uniform(0.05, 0.3))],
                cwd=h.ROOT, env=h.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            detail = f"writer {mode}, {n} records, {'API' if api else 'CLI'}, " \
                     f"{'decrypt' if new is None else 're-key'}"
            try:
                assert writer.stdout is not None
                for _ in range(rng.randint(1, 6)):  # let it save a few first
                    writer.stdout.readline()
                changed, said = False, []
                for _ in range(5):
                    done, message = _change(path, api, new)
                    if not done:
                        said.append(message)
                    if done:
                        changed = True
                        break
                    time.sleep(rng.uniform(0.05, 0.4))
                rest, errors = writer.communicate(timeout=600)
                if not changed:  # the writer has finished: now it must work
                    changed, message = _change(path, api, new)
                    if not changed:
                        said.append(message)
                saved = [line.split()[1] for line in rest.splitlines() if line.startswith("SAVED")]
                between += "REKEYED" in rest
                keys = _opens_with(path)
                expected = new if changed else OLD
                missing: set[str] = set()
                if expected in keys:
                    with register.open_register(path, passphrase=expected) as reg:
                        have = {r[0] for r in reg.conn.execute("SELECT id FROM journeys")}
                    missing = {s for s in saved if s not in have}
                problems = []
                if keys != [expected]:
                    problems.append(f"opens with {keys}, expected {[expected]}")
                if missing:
                    problems.append(f"{len(missing)} of {len(saved)} reported saved are gone")
                if not changed:
                    problems.append(f"never changed: {said[-1] if said else ''}")
                if "Traceback" in errors:
                    problems.append("writer traceback: " + errors.strip().splitlines()[-1])
                if [m for m in said if "open in another program" not in m]:
                    problems.append(f"said {said}")
                detail += f", {len(said)} refusals while open, {len(saved)} saved"
                if leftover_files(folder):
                    problems.append(f"left {leftover_files(folder)}")
                tally.record(row, not problems, f"{detail}: {'; '.join(problems)}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)
            finally:
                if writer.poll() is None:
                    writer.kill()
                    writer.communicate()
    tally.note(f"item 2: in {between} of {tries} tries the passphrase changed between two of the "
               "writer's records (it then opened with the new one and went on); in the others "
               "the change was refused while the writer had the register open, and made after")


# -- 3. restore -------------------------------------------------------------------------------
def _journeys(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM journeys")}
    finally:
        conn.close()


def _restore(api: bool, source: Path, target: Path) -> Path | None:
    """Restore and return the safety copy kept (found in the folder for the CLI)."""
    before = set(target.parent.glob(target.name + ".before-restore*"))
    if api:
        return restore(source, target).aside
    done = cli(["restore", str(source), "--db", str(target), "--no-input"])
    if done.code != 0 or done.traceback:
        raise RuntimeError(f"restore exit {done.code}: {done.said() or done.crash()}")
    new = set(target.parent.glob(target.name + ".before-restore*")) - before
    return new.pop() if len(new) == 1 else None


def attack_restore(tally: Tally, rng: random.Random, tries: int) -> None:
    wal = tally.row(3, "restore over committed records still in the WAL (after a crash)",
                    "the safety copy holds every committed record")
    again = tally.row(3, "restore two to four times in a row",
                      "every earlier safety copy kept, each with what it held")
    for i in range(tries):
        api = rng.random() < 0.5
        with scratch() as folder:
            path = folder / "kh.db"
            commune_register(path, rng, batches=rng.randint(1, 3))
            saved = folder / "usb.db"
            backup(path, saved)
            try:
                if i % 2 == 0:
                    n = rng.randint(1, 40)
                    crashed = folder / "crashed.db"
                    with register.open_register(path, actor="attack") as reg:
                        reg.conn.execute("PRAGMA wal_autocheckpoint = 0")
                        register.add_records(reg, "departures", person_rows(rng, n, "WAL"),
                                             today=TODAY)
                        shutil.copy(path, crashed)  # what a power cut leaves: file and WAL
                        shutil.copy(str(path) + "-wal", str(crashed) + "-wal")
                    probe = folder / "probe.db"
                    shutil.copy(crashed, probe)
                    shutil.copy(str(crashed) + "-wal", str(probe) + "-wal")
                    readable = _journeys(probe)
                    aside = _restore(api, saved, crashed)
                    kept = _journeys(aside) if aside else set()
                    restored = content(crashed) == content(saved)
                    held = aside is not None and kept == readable and restored
                    tally.record(wal, held, f"{n} records in the WAL, {'API' if api else 'CLI'}: "
                                            f"{len(readable)} readable, {len(kept)} kept, "
                                            f"restored={restored}")
                else:
                    m = rng.randint(2, 4)
                    asides, marks = [], []
                    for k in range(m):
                        mark = f"Broker {k} {rng.randrange(10**6)}"
                        with register.open_register(path, actor="attack") as reg:
                            register.add_broker(reg, name=mark)
                        marks.append(mark)
                        asides.append(_restore(api, saved, path))
                    ok = all(a is not None and a.exists() for a in asides) and \
                        len(set(asides)) == m
                    for a, mark in zip(asides, marks, strict=True):
                        if ok:
                            with register.open_register(a) as reg:
                                names = {r[0] for r in reg.conn.execute("SELECT name FROM brokers")}
                            ok = ok and names == {mark}
                    tally.record(again, ok, f"{m} restores, {'API' if api else 'CLI'}: "
                                            f"asides {[a.name if a else None for a in asides]}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(wal if i % 2 == 0 else again, exc)


# -- 4. imports that would drop a row or attach it to the wrong person ---------------------------
CHANGES = {"sex": lambda v, r: "M" if v == "F" else "F",
           "destination_country": lambda v, r: r.choice([c for c in ("TH", "MY", "KR") if c != v]),
           "departure_date": lambda v, r: f"2017-{r.randrange(1, 13):02d}-15",
           "name": lambda v, r: f"Another Person {r.randrange(10**6)}",
           "fee_usd": lambda v, r: v + 1 + r.randrange(50)}
IDENTITY = {"name": lambda v, r: f"Someone Else {r.randrange(10**6)}",
            "national_id": lambda v, r: f"{r.randrange(10**9):09d}",
            "sex": lambda v, r: "M" if v == "F" else "F",
            "birth_year": lambda v, r: v - 1 - r.randrange(10),
            "home_village": lambda v, r: "01020201"}


def _import(api: bool, db: Path, source: Path) -> tuple[bool, str, list[int]]:
    """(refused, what was said, rows named)."""
    if api:
        try:
            with register.open_register(db, actor="attack") as reg:
                register.import_file(reg, source, "departures", today=TODAY)
            return False, "", []
        except register.ValidationError as exc:
            return True, str(exc), sorted({p.row for p in exc.problems if p.row})
    done = cli(["import", str(source), "--kind", "departures", "--db", str(db), "--no-input"])
    if done.traceback:
        raise RuntimeError(done.crash())
    import re

    rows = sorted({int(n) for n in re.findall(r"row (\d+)", done.output)})
    return done.code != 0, done.said(), rows


def attack_import(tally: Tally, rng: random.Random, tries: int) -> None:
    twice = tally.row(4, "import: two different rows with one journey_id (in the file, or one "
                         "already in the register)", "refused, naming the rows; nothing written")
    person = tally.row(4, "import: a known person_id with other identity values (1 to 5 of "
                          "name, ID, sex, birth year, village)",
                       "refused, naming the row; nothing written")
    for i in range(tries):
        api = rng.random() < 0.5
        with scratch() as folder:
            db = folder / "kh.db"
            commune_register(db, rng, batches=1, per_batch=(2, 4))
            with register.open_register(db) as reg:
                journeys = sorted(reg.conn.execute("SELECT id, person_id FROM journeys"))
            known = dict(zip(("journey", "person"), rng.choice(journeys), strict=True))
            filler = person_rows(rng, rng.randint(0, 4), f"fill{i}")
            row = twice if i % 2 == 0 else person
            try:
                if row is twice:
                    base = person_rows(rng, 1, f"dup{i}")[0]
                    field = rng.choice(list(CHANGES))
                    other = dict(base, **{field: CHANGES[field](base[field], rng)})
                    if rng.random() < 0.5:
                        base["journey_id"] = other["journey_id"] = str(uuid.uuid4())
                        rows = [base, *filler, other]
                        bad = {len(rows) + 1}  # the row at fault (README: row, field, rule)
                        what = f"same journey_id twice in the file, {field} differs"
                    else:
                        other["journey_id"] = known["journey"]
                        rows = [*filler, other]
                        bad = {len(rows) + 1}
                        what = f"journey_id of a journey in the register, {field} differs"
                else:
                    fields = rng.sample(list(IDENTITY), rng.randint(1, len(IDENTITY)))
                    with register.open_register(db) as reg:
                        cur = reg.conn.execute(
                            "SELECT p.sex, p.birth_year, p.home_village, i.name, i.national_id "
                            "FROM persons p JOIN person_identity i ON i.person_id = p.id "
                            "WHERE p.id = ?", (known["person"],))
                        have = dict(zip([d[0] for d in cur.description], cur.fetchone(),
                                        strict=True))
                    new = person_rows(rng, 1, f"who{i}")[0]
                    new.update({k: have[k] for k in IDENTITY})
                    new.update({f: IDENTITY[f](have[f], rng) for f in fields})
                    new["person_id"] = known["person"]
                    rows = [*filler, new]
                    rng.shuffle(rows)
                    bad = {rows.index(new) + 2}
                    what = f"person_id known, {', '.join(sorted(fields))} differ"
                source = h.write_departures_csv(folder / "in.csv", rows)
                before = content(db)
                refused, said, named = _import(api, db, source)
                unchanged = content(db) == before
                held = refused and unchanged and bad <= set(named)
                tally.record(row, held, f"{what} ({'API' if api else 'CLI'}): refused="
                                              f"{refused}, rows named {named} of {sorted(bad)}, "
                                              f"unchanged={unchanged}; {said[:120]}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)
