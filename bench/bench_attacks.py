"""The attacks of issue 9, replayed many times with variation against seeded synthetic registers.

    .venv/bin/python bench/bench_attacks.py                 # about 15 minutes on 2 shared cores
    .venv/bin/python bench/bench_attacks.py --quick         # about 4 minutes: a few tries of each
    .venv/bin/python bench/bench_attacks.py --seed 7 --only 5 6   # other draws; items 5 and 6

Each of issue 9's eleven numbered failures (data loss, forgery, disclosure, robustness) is
tried again and again: other seeds, other records and fields targeted, other numbers of audit
entries deleted, with and without an audit code written down earlier, through the command line
and through the API where both exist. A try *holds* when the program refused, detected, or kept
the data exactly as the README promises ("What the audit log protects against"; the issue's
"Done when" for the export's k). Forgeries the README documents as detected only *when an
earlier code exists* are tried both ways: with a code they must be detected; without one they
are counted in rows of their own, "not detectable without a code, as documented", never as
failures.

The first table is the campaign (attack, tries, held, failed); the second lists every attack
whose outcome differs from the promise, with the first tries that did. The draws are seeded
(``--seed``): the same seed tries the same records, fields and orders; only the attacks that
race real processes (item 2) depend on timing. A full disk and read-only media (items 10, 11)
need ``unshare -m`` (root or user namespaces) and are skipped, with a note, where it is missing.
Exit code 0 when every try held, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.attacks.common import Tally, isolate_config, rng_for  # noqa: E402

# (item, family name, module.function in bench/attacks, tries by default, tries with --quick)
FAMILIES: list[tuple[int, str, str, int, int]] = [
    (1, "outputs", "loss.attack_outputs", 90, 15),
    (2, "passphrase", "loss.attack_passphrase", 4, 1),
    (3, "restore", "loss.attack_restore", 16, 4),
    (4, "import", "loss.attack_import", 40, 8),
    (5, "audit", "forgery.attack_audit", 80, 16),
    (5, "backup", "forgery.attack_backup", 16, 3),
    (6, "merge", "forgery.attack_merge", 24, 4),
    (7, "export", "disclosure.attack_export", 3, 1),
    (8, "ledger", "disclosure.attack_ledger", 6, 2),
    (9, "files", "disclosure.attack_files", 8, 2),
    (9, "erase", "disclosure.attack_erase", 16, 4),
    (10, "damaged", "robustness.attack_damaged", 16, 4),
    (10, "options", "robustness.attack_options", 60, 12),
    (11, "media", "robustness.attack_media", 6, 2),
]


def table(tally: Tally) -> str:
    lines = ["| attack | tries | held | failed |", "|---|---:|---:|---:|"]
    for row in sorted(tally.rows.values(), key=lambda r: r.item):
        if row.kind == "limit":
            noticed = len(row.differs)
            name = (f"{row.title}: not detectable without a code, as documented "
                    f"({row.tries - noticed} of {row.tries} unnoticed)")
            lines.append(f"| {name} | {row.tries} | - | - |")
        else:
            lines.append(f"| {row.title} | {row.tries} | {row.held} | {row.failed} |")
    return "\n".join(lines)


def differences(tally: Tally, show: int = 3) -> str:
    lines = ["| attack | promise | outcome (first tries that differ) |", "|---|---|---|"]
    for row in sorted(tally.rows.values(), key=lambda r: r.item):
        if row.failures:
            seen = "; ".join(row.failures[:show]).replace("|", "/")
            lines.append(f"| {row.title} | {row.promise} | {row.failed} of {row.tries} failed: "
                         f"{seen} |")
        if row.differs:
            seen = "; ".join(row.differs[:show]).replace("|", "/")
            outcome = ("detected (better than documented)" if row.kind == "limit" else
                       "held (the data as they were), but not as the README says")
            lines.append(f"| {row.title} | {row.promise or 'not detected'} | {outcome} in "
                         f"{len(row.differs)} of {row.tries}: {seen} |")
    return "\n".join(lines) if len(lines) > 2 else "None: every outcome is the promised one."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="a few tries of each (about 4 min)")
    parser.add_argument("--only", nargs="*", default=None,
                        help="item numbers or family names to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every number of tries (at least one each)")
    args = parser.parse_args(argv)
    tally = Tally()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="attack-config-") as config:
        isolate_config(Path(config))
        for item, name, attack, full, quick in FAMILIES:
            if args.only and str(item) not in args.only and name not in args.only:
                continue
            tries = max(1, round((quick if args.quick else full) * args.scale))
            module, function = attack.split(".")
            run = getattr(importlib.import_module(f"bench.attacks.{module}"), function)
            start = time.perf_counter()
            run(tally, rng_for(args.seed, name), tries)
            print(f"[{time.perf_counter() - started:6.1f} s] item {item} {name}: {tries} tries "
                  f"in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    for note in tally.notes:
        print(f"Note: {note}")
    mode = "--quick " if args.quick else ""
    print(f"\nAttack campaign (issue 9): bench/bench_attacks.py {mode}--seed {args.seed}, "
          f"{time.perf_counter() - started:.0f} s\n")
    print(table(tally))
    print("\nOutcomes that differ from the README's promise:\n")
    print(differences(tally))
    return 1 if any(r.failures for r in tally.rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
