"""Prompts and keystrokes a clerk needs per entry type, by driving the clerk's prompts.

    .venv/bin/python bench/bench_prompts.py                    # the code of this worktree
    .venv/bin/python bench/bench_prompts.py --commit d51354f   # the code of a commit (before)

Each entry is the same record both ways, typed as a clerk would in a pseudo-terminal (pexpect):
a departure of a new person (village, country and broker by name or code), a second departure
of a person already registered, a return with two ILO indicators, an agency with a licence
valid until next year, a broker, and a referral. Keystrokes count every character typed and
each Enter, the command line included ("register add-return ..."), and the commands a clerk
must run first to find a code or an id the prompts ask for (``register lookup``, ``search``,
``list``). Before this work (commit d51354f) a record linked by id needs its id looked up; now
records are picked by name, and the register file is the only ``.db`` of the folder (no
``--db``). The printed notes say what a version could not record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
NEXT_YEAR = dt.date.today().year + 1
SETUP = """
import register
reg = register.init_register("r.db", commune="010201")
register.add_agency(reg, name="Golden Bridge Co", licence_number="MOLVT-112",
                    licence_status="licensed")
register.add_broker(reg, name="Chea Sok", alias="Ta Sok")
dep = register.add_departure(reg, name="Sok Dara", sex="F", birth_year=1996,
                             home_village="01020101", departure_date="2024-03-12",
                             destination_country="TH", channel="broker")
print(dep.persons[0] if dep.persons else reg.conn.execute(
    "SELECT person_id FROM journeys").fetchone()[0], dep.ids[0])
"""


@dataclass
class Entry:
    name: str
    command: str  # what the clerk types to start it (without "register ")
    answers: list[str]
    lookups: list[str] = field(default_factory=list)  # commands run first to find an id/code
    note: str = ""


def before(person: str, journey: str) -> list[Entry]:
    """The prompts of commit d51354f (one question per field, codes and ids typed)."""
    db = "--db r.db"
    return [
        Entry("departure, new person", f"add-departure {db}", [
            "Keo Vanna", "", "015 555 555", "", "M", "", "1990", "01020101", "", "",
            "05/03/2024", "TH", "", "construction", "broker", "", "Chea Sok", "1", "y", "y",
            "", "", "250", "", "", "", ""],
            lookups=["lookup \"ou thum\" --level village"]),
        Entry("departure, registered person", f"add-departure {db} --person-id {person[:8]}", [
            "", "", "", "10/01/2025", "KR", "", "", "licensed_agency", "Golden Bridge Co", "",
            "", "y", "y", "", "", "", "", "", "", ""],
            lookups=[f"search Sok {db}"],
            note="the prompts never ask whether the person is registered: the id is found "
                 "with 'search' and given as an option"),
        Entry("return with indicators", f"add-return {db}", [
            journey[:8], "01/06/2024", "deported", "", "y", "", "", "", "", "", "", "", "",
            "", "y", "labour"],
            lookups=[f"list departures {db}"]),
        Entry("agency, licence valid next year", f"add-agency {db}", [
            "Angkor Manpower", "MOLVT-200", "licensed", f"31/12/{NEXT_YEAR}", "", "TH,KR", ""],
            note="the expiry date is refused ('is in the future') and left blank (bug 1)"),
        Entry("broker", f"add-broker {db}", ["Hem Rith", "Ta Rith", "012 999 888", "", "", ""]),
        Entry("referral", f"add-referral {db}", [
            person[:8], "mosvy", "", "02/06/2024", "referred"],
            lookups=[f"search Sok {db}"],
            note="the departure is never asked for: the referral is not linked to it"),
    ]


def after() -> list[Entry]:
    """The prompts of this work: pickers, menus, groups, the review; no --db."""
    return [
        Entry("departure, new person", "add-departure", [
            "", "Keo Vanna", "", "015 555 555", "", "2", "", "1990", "ou thum", "", "",
            "05/03/2024", "thai", "", "3", "3", "", "chea", "1", "1 2", "250", "", "", "", "",
            "1"]),
        Entry("departure, registered person", "add-departure", [
            "sok", "1", "10/01/2025", "korea", "", "", "1", "golden", "", "", "1 2", "", "",
            "", "", "", "1"]),
        Entry("return with indicators", "add-return", [
            "sok", "2", "01/06/2024", "2", "", "1 11", "2", "1"]),
        Entry("agency, licence valid next year", "add-agency", [
            "Angkor Manpower", "MOLVT-200", "1", f"31/12/{NEXT_YEAR}", "TH, KR", "", "1"]),
        Entry("broker", "add-broker", ["Hem Rith", "Ta Rith", "012 999 888", "", "", "", "1"]),
        Entry("referral", "add-referral", [
            "sok", "2", "1", "", "02/06/2024", "1", "1"]),
    ]


def drive(entry: Entry, folder: Path, env: dict[str, str]) -> tuple[int, str]:
    """Answer every prompt in turn; the number of prompts and the screen."""
    child = pexpect.spawn(sys.executable, ["-m", "register", *entry.command.split()],
                          cwd=str(folder), env=env, encoding="utf-8", timeout=60,
                          dimensions=(50, 120))
    screen, prompts = [], 0
    try:
        for answer in entry.answers:
            child.expect_exact(": ")
            screen.append(child.before + ": " + answer + "\n")
            child.sendline(answer)
            prompts += 1
        child.expect(pexpect.EOF)
        screen.append(child.before)
    finally:
        child.close()
    return prompts, "".join(screen)


def keystrokes(entry: Entry) -> int:
    typed = [f"register {entry.command}", *(f"register {c}" for c in entry.lookups),
             *entry.answers]
    return sum(len(text) + 1 for text in typed)  # each line ends with Enter


def source_of(commit: str, into: Path) -> Path:
    """The register package of a commit, unpacked beside this run (git archive)."""
    archive = into / "src.tar"
    subprocess.run(["git", "archive", "-o", str(archive), commit, "register"], cwd=ROOT,
                   check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "src", filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commit", help="measure the prompts of this commit instead")
    parser.add_argument("--show", action="store_true", help="print each screen")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "REGISTER_LANG"}
        env.update(REGISTER_CONFIG=str(folder / "config.json"), COLUMNS="120", TERM="dumb",
                   REGISTER_LANG="en")
        if args.commit:
            env["PYTHONPATH"] = str(source_of(args.commit, folder))
        work = folder / "work"
        work.mkdir()
        made = subprocess.run([sys.executable, "-c", SETUP], cwd=work, env=env, check=True,
                              capture_output=True, text=True)
        person, journey = made.stdout.split()
        entries = before(person, journey) if args.commit else after()
        print(f"{'entry':34} {'prompts':>7} {'keystrokes':>10}  saved")
        total_p = total_k = 0
        for entry in entries:
            prompts, screen = drive(entry, work, env)
            saved = "Saved" in screen
            total_p, total_k = total_p + prompts, total_k + keystrokes(entry)
            print(f"{entry.name:34} {prompts:7d} {keystrokes(entry):10d}  "
                  f"{'yes' if saved else 'NO'}{'; ' + entry.note if entry.note else ''}")
            if args.show or not saved:
                print(screen)
        print(f"{'total':34} {total_p:7d} {total_k:10d}")


if __name__ == "__main__":
    main()
