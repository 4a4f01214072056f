"""Robustness (issue 9, items 10-11): damaged registers (plain and SQLCipher), hostile option
values, a full disk and read-only media, files left by a killed run.

The README's promises ("Say what happened"): a full disk, a read-only folder or USB stick and a
damaged file each have their own message (a full disk is never called damage); a register on
read-only media is opened read-only, so it can still be checked and exported; temporary files are
removed when a run fails and named by the next command if a power cut left them. Every error is a
one-line message, never a traceback; with ``--no-input`` nothing is asked.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import register
from register.output import TEMPORARY
from tests.faults import helpers as h

from .common import Done, Tally, cli, commune_register, content, person_rows, scratch

KEY = "attack passphrase"
REGISTER = Path(sys.executable).with_name("register")


# -- 10. damaged registers ----------------------------------------------------------------------
def _damage(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    page = 4096
    how = rng.choice(["bytes", "page zeroed", "truncated", "bytes"])
    if how == "truncated":
        cut = rng.randrange(page, len(data) - 1)
        path.write_bytes(bytes(data[:cut]))
        return f"truncated to {cut} of {len(data)} bytes"
    start = rng.randrange(page, len(data) - page) if len(data) > 2 * page else page // 2
    if how == "page zeroed":
        start -= start % page
        data[start:start + page] = bytes(page)
        path.write_bytes(bytes(data))
        return f"page at {start} zeroed"
    n = rng.randint(1, 64)
    data[start:start + n] = rng.randbytes(n)
    path.write_bytes(bytes(data))
    return f"{n} bytes at {start} overwritten"


COMMANDS: dict[str, list[str]] = {
    "check": ["check", "--db", "{db}", "--no-input"],
    "backup": ["backup", "--db", "{db}", "--out", "{folder}/usb.db", "--no-input"],
    "list": ["list", "departures", "--db", "{db}", "--no-input"],
    "export": ["export", "--db", "{db}", "--out", "{folder}/export.csv", "--k", "2",
               "--no-input"],
    "search": ["search", "Synthetic", "--db", "{db}", "--no-input"],
    "report": ["report", "--db", "{db}", "--month", "2024-03", "--out", "{folder}/c.pdf",
               "--no-input"],
    "merge": ["merge", "{db}", "--out", "{folder}/district.db", "--no-link", "--no-input"],
}


def _run_all(db: Path, folder: Path, env: dict[str, str]) -> dict[str, Done]:
    out = {}
    for name, args in COMMANDS.items():
        for stale in ("usb.db", "usb.db.sha256", "export.csv", "export.codebook.md", "c.pdf",
                      "district.db"):
            (folder / stale).unlink(missing_ok=True)
        out[name] = cli([a.format(db=db, folder=folder) for a in args], env=env)
        if name == "export" and out[name].code == 0:
            out[name].output = (folder / "export.csv").read_text(encoding="utf-8")
    return out


def attack_damaged(tally: Tally, rng: random.Random, tries: int) -> None:
    crash = tally.row(10, "damaged register (plain or encrypted; bytes, a page, truncated): "
                          "check, backup, list, export, search, report, merge",
                      "a one-line message, never a traceback")
    found = tally.row(10, "damaged register: check", "names the damage (or the records are "
                                                     "intact)")
    silent = tally.row(10, "damaged encrypted register: list, export, search succeed",
                       "only with exactly what the intact register gives")
    for i in range(tries):
        encrypted = i % 3 != 2
        env = {"REGISTER_PASSPHRASE": KEY} if encrypted else {}
        row = crash
        with scratch("attack-damaged-") as folder:
            try:
                good = folder / "good" / "kh.db"
                good.parent.mkdir()
                commune_register(good, rng, batches=rng.randint(3, 8), per_batch=(5, 30),
                                 passphrase=KEY if encrypted else None)
                bad = folder / "kh.db"
                shutil.copy(good, bad)
                what = ("encrypted, " if encrypted else "plain, ") + _damage(bad, rng)
                intact = _run_all(good, good.parent, env)
                damaged = _run_all(bad, folder, env)
                crashes = [f"{n}: {d.crash()}" for n, d in damaged.items() if d.traceback]
                asked = [n for n, d in damaged.items() if "Aborted" in d.output]
                misleading = [f"{n}: {d.said()[:80]}" for n, d in damaged.items()
                              if d.code and any(w in d.output for w in ("no space", "read-only"))]
                tally.record(crash, not crashes and not asked and not misleading,
                             f"{what}: {crashes + misleading} asked {asked}")
                readable = _content_or_none(bad, KEY if encrypted else None)
                same = readable is not None and readable == _content_or_none(
                    good, KEY if encrypted else None)
                tally.record(found, damaged["check"].code != 0 or same,
                             f"{what}: check exit {damaged['check'].code}, "
                             f"{damaged['check'].said()[:100]}")
                if encrypted:
                    quiet = [n for n in ("list", "export", "search")
                             if damaged[n].code == 0 and damaged[n].output != intact[n].output]
                    tally.record(silent, not quiet, f"{what}: succeeded with other output: "
                                                    f"{quiet}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)


def _content_or_none(path: Path, key: str | None) -> Any:
    try:
        if key is None:
            return content(path)
        with register.open_register(path, passphrase=key) as reg:
            return {t: sorted(map(tuple, reg.conn.execute(f"SELECT * FROM {t}")))
                    for t in ("persons", "person_identity", "journeys", "returns")}
    except Exception:  # noqa: BLE001  (unreadable: not the same)
        return None


# -- 10. hostile option values --------------------------------------------------------------------
def _options(rng: random.Random, db: Path, enc: Path, folder: Path) -> tuple[list[str], str]:
    """One hostile command line and what must happen: ok, refuse, or any (no traceback)."""
    junk = rng.choice(["", " ", "'; DROP TABLE journeys; --", "%", "_", "x" * 5000, "១២៣",
                       "\x00", "../../etc/passwd", "-1", "NaN", "99999999999999999999"])
    big = rng.choice(["99999999999999999999", "-1", "0", "abc", "1e3", "2147483648"])
    cases: list[tuple[list[str], str]] = [
        (["list", "departures", "--limit", big, "--db", db], "any"),
        (["list", "warnings", "--month", rng.choice(["2026-13", "abcd", "9999-01", "2024-00",
                                                       junk]), "--db", db], "refuse"),
        (["list", "warnings", "--month", rng.choice(["2024-1", "២០២៤-០៣"]), "--db", db], "ok"),
        (["show", junk or "zz", "--db", db], "refuse"),
        (["search", junk or "%", "--db", db], "any"),
        (["export", "--db", db, "--out", folder / "e.csv", "--k",
          rng.choice(["0", "-1", "1", "abc"])], "refuse"),
        # a k larger than the register: an export of no record, said so (not a failure)
        (["export", "--db", db, "--out", folder / "big-k.csv", "--k", "99999999999999999999"],
         "any"),
        (["export", "--db", db, "--out", folder / "e.csv", "--level", junk or "secret"],
         "refuse"),
        (["check", "--db", db, "--expect", junk or "00-0000-0000"], "refuse"),
        (["merge", rng.choice([db, enc]), "--out",
          folder / rng.choice(["e.csv", "e.txt", "e.xlsx", "e"]), "--no-link"], "refuse"),
        (["report", "--db", db, "--month", rng.choice(["2099-01", "2024-00", junk or "x"]),
          "--out", folder / "r.pdf"], "refuse"),
        (["list", "departures", "--db", rng.choice([folder, folder / "nothing.db",
                                                     folder / "text.csv", folder / "empty.db",
                                                     "/dev/null"])], "refuse"),
        (["restore", rng.choice([folder / "text.csv", folder / "empty.db", folder / "nothing"]),
          "--db", db], "refuse"),
        (["verify-backup", rng.choice([folder / "nothing.db", folder / "text.csv", db])],
         "refuse"),
        (["list", "departures", "--db", enc], "refuse"),  # encrypted, no passphrase given
        (["init", "--commune", rng.choice(["999999", "01", junk or "x"]), "--db",
          folder / "new.db"], "refuse"),
        (["list", "departures", "--lang", rng.choice(["xx", "fr", junk or "?"]), "--db", db],
         "refuse"),
    ]
    args, expect = rng.choice(cases)
    return [str(a) for a in args] + ["--no-input"], expect


def _notebooks(enc: Path, folder: Path, rng: random.Random) -> Done:
    extra = rng.choice([[], ["--period", "abc"], ["--province", "99"], ["--only", "nothing"]])
    target = enc if not extra else folder / "kh.db"
    done = subprocess.run([sys.executable, "-m", "analysis.notebooks", str(target), "--results",
                           str(folder / "results"), "--no-report", *extra], cwd=h.ROOT,
                          env=h.env(), capture_output=True, text=True, timeout=300)
    return Done(done.returncode, done.stdout + done.stderr, None)


def attack_options(tally: Tally, rng: random.Random, tries: int) -> None:
    row = tally.row(10, "hostile option values (huge or negative numbers, junk months, ids, "
                        "paths, levels, k, codes; encrypted files without a passphrase; "
                        "merge --out not a register; the notebooks' runner on an encrypted "
                        "register)", "a one-line refusal (or the answer), exit code to match, "
                                     "never a traceback or a question")
    with scratch("attack-options-") as folder:
        db, enc = folder / "kh.db", folder / "secret.db"
        commune_register(db, rng, batches=2)
        commune_register(enc, rng, batches=1, passphrase=KEY)
        (folder / "text.csv").write_text("name,phone\nSomeone,012345678\n", encoding="utf-8")
        (folder / "empty.db").write_bytes(b"")
        before = content(db)
        for i in range(tries):
            try:
                if i % 15 == 14:
                    done, expect = _notebooks(enc, folder, rng), "refuse"
                    args = ["python -m analysis.notebooks"]
                else:
                    args, expect = _options(rng, db, enc, folder)
                    done = cli(args)
                problems = []
                if done.traceback:
                    problems.append(done.crash())
                if "Aborted" in done.output or "passphrase:" in done.output.lower():
                    problems.append("asked a question")
                if expect == "refuse" and done.code == 0:
                    problems.append("exit 0")
                if expect == "ok" and done.code != 0:
                    problems.append(f"exit {done.code}")
                shown = " ".join(a[:30] for a in args)
                tally.record(row, not problems, f"{shown}: {problems} {done.said()[:100]}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)
        if content(db) != before:
            tally.record(row, False, "the register changed under hostile options")


# -- 11. a full disk, read-only media, files left by a killed run --------------------------------
def can_mount() -> bool:
    if not shutil.which("unshare"):
        return False
    done = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                          capture_output=True)
    return done.returncode == 0


def _mounted(folder: Path, script: str, size_kb: int) -> str:
    """A shell script with $R (the register command), $D (a small tmpfs) and $T (a normal folder)
    in a private mount namespace; its output."""
    body = textwrap.dedent(f"""
        set -u
        R={REGISTER}; D={folder}/mnt; T={folder}
        mkdir -p $D && mount -t tmpfs -o size={size_kb}k tmpfs $D
        export REGISTER_CLERK=attack-bench
        """) + textwrap.dedent(script)
    done = subprocess.run(["unshare", "-m", "sh", "-c", body], capture_output=True, text=True,
                          cwd=h.ROOT, env=h.env(), timeout=600)
    return done.stdout + done.stderr


FULL: dict[str, str] = {
    "import": "$R import $T/big.csv --kind departures --db $D/r.db --no-input",
    "backup": "$R backup --db $D/r.db --out $D/usb.db --no-input",
    "merge": "$R merge $D/r.db --out $D/district.db --no-link --no-input",
    "export": "$R export --db $D/r.db --out $D/export.csv --k 2 --no-input",
}


def attack_media(tally: Tally, rng: random.Random, tries: int) -> None:
    full = tally.row(11, "disk full during import, backup, merge or export (a real tmpfs)",
                     "says no space; register intact; no temporary file left")
    ro = tally.row(11, "register on read-only media: check, list, export elsewhere; a write",
                   "read, checked and exported; the write refused as read-only, not damage")
    left = tally.row(11, "temporary files left by a killed run (beside the register or a "
                         "merge's output)", "named by the next command")
    mount = can_mount()
    if not mount:
        tally.note("item 11: a full disk and read-only media need 'unshare -m' and tmpfs mounts, "
                   "not available here: those tries were skipped")
    for i in range(tries):
        with scratch("attack-media-") as folder:
            row = left
            try:
                _leftover(tally, left, rng, folder)
                if not mount:
                    continue
                row = full
                _full_disk(tally, full, rng, folder, i)
                row = ro
                _read_only(tally, ro, rng, folder)
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)


def _full_disk(tally: Tally, row: Any, rng: random.Random, folder: Path, i: int) -> None:
    what = list(FULL)[i % len(FULL)]
    rows = person_rows(rng, rng.randint(800, 3000), f"big{i}")
    for r in rows:
        r["name"] += " " + "x" * 150
    h.write_departures_csv(folder / "big.csv", rows)
    fill = rng.randint(1500, 2600)
    out = _mounted(folder, f"""
        $R init --commune 010201 --db $D/r.db --no-input >/dev/null
        $R import $T/big.csv --kind departures --db $D/r.db --no-input >/dev/null 2>&1
        $R list departures --db $D/r.db --no-input | wc -l | sed 's/^/before=/'
        dd if=/dev/zero of=$D/filler bs=1k count={fill} 2>/dev/null
        dd if=/dev/zero of=$D/filler2 bs=1k 2>/dev/null
        {FULL[what]}; echo "status=$?"
        rm $D/filler $D/filler2
        $R check --db $D/r.db --no-input >/dev/null; echo "check=$?"
        $R list departures --db $D/r.db --no-input | wc -l | sed 's/^/after=/'
        echo "files:"; ls -a $D
        """, 4096)
    said = out.split("status=")[0].strip().splitlines()[-1:] if "status=" in out else [out[-200:]]
    files = out.split("files:")[-1].split()
    temporary = [f for f in files if any(f.endswith(s) for s in TEMPORARY) or ".merging" in f]
    failed = "status=0" not in out
    problems = []
    if failed and "no space left" not in out:
        problems.append(f"said {said}")
    if "damaged" in out or "restore the last backup" in out or "Traceback" in out:
        problems.append("called damage or crashed")
    if "check=0" not in out:
        problems.append("check fails after")
    before = out.split("before=")[1].split()[0] if "before=" in out else "?"
    if what != "import" and f"after={before}" not in out:
        problems.append("records changed")
    if temporary:
        problems.append(f"left {temporary}")
    tally.record(row, not problems, f"{what}, {fill} kB filler, failed={failed}: "
                                    f"{problems} {said}")


def _read_only(tally: Tally, row: Any, rng: random.Random, folder: Path) -> None:
    wal = rng.random() < 0.7  # left in WAL mode with a -wal beside it, as after a power cut
    out = _mounted(folder, f"""
        $R init --commune 010201 --db $D/r.db --no-input >/dev/null
        $R add-broker --name "On the stick" --db $D/r.db --no-input >/dev/null
        {'cp $D/r.db $D/r.db.copy' if wal else ''}
        mount -o remount,ro $D
        $R check --db $D/r.db --no-input; echo "check=$?"
        $R list brokers --db $D/r.db --no-input; echo "list=$?"
        $R export --db $D/r.db --out $T/out.csv --k 2 --no-input; echo "export=$?"
        $R add-broker --name "Refused" --db $D/r.db --no-input; echo "add=$?"
        """, 4096)
    problems = [f"{what} failed" for what in ("check", "list") if f"{what}=0" not in out]
    if "On the stick" not in out:
        problems.append("record not shown")
    if "export=0" not in out and "k-anonymity" not in out:
        problems.append("export failed")
    if "add=0" in out or "read-only" not in out:
        problems.append("write not refused as read-only")
    if "damaged" in out or "Traceback" in out:
        problems.append("called damage or crashed")
    tally.record(row, not problems, f"{'WAL copy beside' if wal else 'plain'}: {problems} "
                                    f"{out.strip().splitlines()[-2:]}")


def _leftover(tally: Tally, row: Any, rng: random.Random, folder: Path) -> None:
    db = folder / "kh.db"
    commune_register(db, rng)
    if rng.random() < 0.5:
        suffix = rng.choice(TEMPORARY)
        trace = Path(str(db) + suffix)
        args: list[Any] = rng.choice([["check", "--db", db], ["list", "departures", "--db", db],
                                      ["backup", "--db", db, "--out", folder / "usb.db"]])
    else:
        out = folder / "district.db"
        suffix = rng.choice([".merging", ".merging.creating"])  # merge's own temporary files
        trace = Path(str(out) + suffix)
        args = ["merge", db, "--out", out, "--no-link"]
    trace.write_bytes(b"half a file, with names " + rng.randbytes(32))
    done = cli([*map(str, args), "--no-input"])
    named = trace.name in done.output
    removed = not trace.exists()  # the same run's own temporary file, made anew and removed
    tally.record(row, (named or removed) and not done.traceback,
                 f"{trace.name}, then {args[0]}: named={named}, removed={removed}; "
                 f"{done.said()[:100]}", differs=removed and not named)

