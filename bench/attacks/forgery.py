"""Forgery (issue 9, items 5-6): the audit log rewritten, cut short or extended by someone who
has the file, a backup altered with its ``.sha256`` recomputed, merged registers fed a bad or
rolled-back commune, and records edited inside a merged register.

The README's promise ("What the audit log protects against"): edits, insertions and deletions
made outside the program, and entries changed without recomputing the chain, are detected
always; a chain rewritten, entries cut off with their records, and an altered backup are
detected when an earlier code exists (and are tried without one, as documented limits); an
entry appended is listed after the code. A merged register holds each commune's last head:
a commune that fails its own check, rolls back or rewrites its history is refused.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import register
from register import audit
from register.backup import backup, verify_backup
from register.errors import RegisterError
from register.merge import apply_merge, merge, plan_merge
from register.model import MODEL
from register.schema import RECORD_TABLES
from tests.register.test_audit import _forge_entry, _rewrite_chain

from .common import Tally, cli, commune_register, content, scratch

EDITS: dict[str, dict[str, Any]] = {
    "journeys": {"destination_country": ("KR", "JP", "SG"), "fee_usd": (1.0, 4999.0),
                 "sector": ("fishing", "construction")},
    "persons": {"sex": ("F", "M"), "birth_year": (1950, 1999)},
}


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _row(conn: sqlite3.Connection, table: str, record_id: str) -> dict[str, Any]:
    cur = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (record_id,))
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def _edit(conn: sqlite3.Connection, rng: random.Random, table: str, record_id: str) -> str:
    field = rng.choice(list(EDITS[table]))
    old = conn.execute(f"SELECT {field} FROM {table} WHERE id = ?", (record_id,)).fetchone()[0]
    new = rng.choice([v for v in EDITS[table][field] if v != old])
    conn.execute(f"UPDATE {table} SET {field} = ? WHERE id = ?", (new, record_id))
    return f"{table}.{field} {old!r} -> {new!r}"


def _records(conn: sqlite3.Connection, last_seq: int | None = None,
             tables: tuple[str, ...] = ("persons", "journeys")) -> list[tuple[str, str]]:
    """(table, id) of records logged in chain 0 (at or before entry ``last_seq``)."""
    codes = [audit.TABLE_CODES[t] for t in tables]
    query = (f"SELECT DISTINCT tab, id FROM audit_row WHERE chain = 0 AND tab IN "
             f"({', '.join('?' * len(codes))})") + (" AND seq <= ?" if last_seq else "")
    rows = conn.execute(query, (*codes, *([last_seq] if last_seq else []))).fetchall()
    return sorted((audit.TABLE_OF_CODE[tab], audit.id_text(key)) for tab, key in rows)


def _drop_triggers(conn: sqlite3.Connection, *names: str) -> None:
    for name in names:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def _check(path: Path, expect: str | None, api: bool) -> tuple[bool, str, list[str]]:
    """(detected, anchor status or findings, entries listed as written since the code)."""
    if api:
        with register.open_register(path) as reg:
            report = register.check_register(reg, expect=expect)
        status = report.anchor.status if report.anchor else ",".join(
            sorted({f.kind for f in report.audit_findings} | set(report.problems[:1])))
        since = [f"{e['seq']}:{e['actor']}" for e in (report.anchor.since if report.anchor
                                                        else [])]
        return not report.ok, status, since
    done = cli(["check", "--db", str(path), "--no-input", *(["--expect", expect] if expect else [])])
    if done.traceback:
        raise RuntimeError(done.crash())
    since = [f"{m[0]}:{m[1]}" for m in re.findall(r"entry (\d+): \w+ by (\S+)", done.output)]
    return done.code != 0, done.said()[:80], since


def _truncate(conn: sqlite3.Connection, n: int) -> None:
    """Delete the last ``n`` entries of chain 0 with the records they wrote."""
    conn.execute("PRAGMA foreign_keys = OFF")
    _drop_triggers(conn, "audit_entry_append_only_delete", "audit_row_append_only_delete")
    last = conn.execute("SELECT max(seq) FROM audit_entry WHERE chain = 0").fetchone()[0]
    for seq in range(last, last - n, -1):
        for tab, key in conn.execute("SELECT tab, id FROM audit_row WHERE chain = 0 AND seq = ?",
                                     (seq,)).fetchall():
            table = audit.TABLE_OF_CODE[tab]
            conn.execute(f"DELETE FROM {table} WHERE {MODEL.key_of(table)} = ?",
                         (audit.id_text(key),))
            conn.execute("DELETE FROM warnings WHERE record_id = ?", (audit.id_text(key),))
            conn.execute("DELETE FROM audit_salt WHERE id = ?", (audit.id_text(key),))
        conn.execute("DELETE FROM audit_row WHERE chain = 0 AND seq = ?", (seq,))
        conn.execute("DELETE FROM audit_entry WHERE chain = 0 AND seq = ?", (seq,))


def _rewrite(conn: sqlite3.Connection, rng: random.Random, upto: int) -> str:
    """Change history at or before entry ``upto`` and recompute the chain (triggers dropped)."""
    _drop_triggers(conn, "audit_entry_append_only_update", "audit_row_append_only_update")
    if rng.random() < 0.6:
        table, record = rng.choice(_records(conn, upto))
        what = _edit(conn, rng, table, record)
        conn.execute("UPDATE audit_row SET hash = ? WHERE chain = 0 AND tab = ? AND id = ?",
                     (audit.row_hash(_row(conn, table, record)), audit.TABLE_CODES[table],
                      audit.id_key(record)))
    else:
        seq = rng.randint(1, upto)
        actor = rng.choice(["someone", "attacker", "clerk-2"])
        conn.execute("UPDATE audit_entry SET actor = ? WHERE chain = 0 AND seq = ?", (actor, seq))
        what = f"entry {seq} actor -> {actor}"
    _rewrite_chain(conn)
    return what


def _history(path: Path, rng: random.Random, at_least: int) -> list[str]:
    codes: list[str] = []
    while len(codes) < at_least:
        path.unlink(missing_ok=True)
        codes = commune_register(path, rng, batches=at_least + rng.randint(0, 3),
                                 per_batch=(1, 4), returns=True)
    return codes


def attack_audit(tally: Tally, rng: random.Random, tries: int) -> None:
    always = tally.row(5, "edit, insertion or deletion outside the program; an entry changed "
                          "or removed without recomputing the chain; an old value changed",
                       "detected always (no code needed)")
    append = tally.row(5, "well-formed entry appended after an edit or insertion, with a code",
                       "shown: listed among the entries written since the code")
    append_nc = tally.row(5, "well-formed entry appended, no earlier code", "", "limit")
    rewrite = tally.row(5, "chain rewritten after dropping the triggers, with a code",
                        "detected: the entry the code names differs")
    rewrite_nc = tally.row(5, "chain rewritten after dropping the triggers, no earlier code", "",
                           "limit")
    truncate = {n: tally.row(5, f"last {n} entries deleted with their records, with a code",
                             "detected: a rollback") for n in ("1", "2", "5", "all")}
    truncate_nc = tally.row(5, "last N entries deleted with their records, no earlier code", "",
                            "limit")
    kinds = ["always", "append", "rewrite", "truncate"]
    for i in range(tries):
        kind = kinds[i % 4]
        api = rng.random() < 0.5
        how = "API" if api else "CLI"
        with scratch() as folder:
            path = folder / "kh.db"
            try:
                if kind == "always":
                    row = always
                    codes = _history(path, rng, 2)
                    conn = _raw(path)
                    what = _outside(conn, rng, path)
                    conn.close()
                    detected, said, _ = _check(path, None, api)
                    tally.record(row, detected, f"{what} ({how}): {said}")
                elif kind == "append":
                    row = append
                    codes = _history(path, rng, 1)
                    code = rng.choice(codes)
                    conn = _raw(path)
                    table, record = rng.choice(_records(conn))
                    if rng.random() < 0.5:
                        what = _edit(conn, rng, table, record)
                    else:  # a record inserted outside, then made to look written by the program
                        new = dict(_row(conn, table, record), id=str(uuid.uuid4()))
                        if table == "persons":
                            table, new = "journeys", dict(
                                _row(conn, "journeys", _records(conn, None, ("journeys",))[0][1]),
                                id=str(uuid.uuid4()))
                        record = new["id"]
                        conn.execute(f"INSERT INTO {table} ({', '.join(new)}) VALUES "
                                     f"({', '.join('?' * len(new))})", tuple(new.values()))
                        what = f"{table} row inserted"
                    actor = rng.choice(["attack-bench", "clerk", "someone"])
                    _forge_entry(conn, action="correct", actor=actor,
                                 rows=[(table, record, _row(conn, table, record))])
                    forged = conn.execute("SELECT max(seq) FROM audit_entry WHERE chain = 0"
                                          ).fetchone()[0]
                    conn.close()
                    detected, said, since = _check(path, code, api)
                    tally.record(row, f"{forged}:{actor}" in since and not detected,
                                 f"{what}, code {code} ({how}): since={since[-3:]}, {said}")
                    row = append_nc
                    detected, said, _ = _check(path, None, api)
                    tally.record(append_nc, not detected, f"{what} ({how}): detected: {said}")
                elif kind == "rewrite":
                    row = rewrite
                    codes = _history(path, rng, 2)
                    k = rng.randint(1, len(codes))
                    conn = _raw(path)
                    what = _rewrite(conn, rng, k)
                    conn.close()
                    detected, said, _ = _check(path, codes[k - 1], api)
                    tally.record(row, detected and ("rewritten" in said or not api),
                                 f"{what}, code of entry {k} ({how}): {said}")
                    row = rewrite_nc
                    detected, said, _ = _check(path, None, api)
                    tally.record(rewrite_nc, not detected, f"{what} ({how}): detected: {said}")
                else:
                    n_name = ("1", "2", "5", "all")[(i // 4) % 4]
                    row = truncate[n_name]
                    codes = _history(path, rng, 5 if n_name in ("5", "all") else 2)
                    n = len(codes) if n_name == "all" else int(n_name)
                    code = codes[rng.randint(len(codes) - n, len(codes) - 1)]  # a cut entry
                    conn = _raw(path)
                    _truncate(conn, n)
                    conn.close()
                    detected, said, _ = _check(path, code, api)
                    tally.record(row, detected and ("rollback" in said or not api),
                                 f"{n} of {len(codes)} entries cut, code {code} ({how}): {said}")
                    row = truncate_nc
                    detected, said, _ = _check(path, None, api)
                    tally.record(truncate_nc, not detected,
                                 f"{n} of {len(codes)} cut ({how}): detected: {said}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)


def _outside(conn: sqlite3.Connection, rng: random.Random, path: Path) -> str:
    """One change made outside the program that check must always find."""
    how = rng.choice(["edit", "insert", "delete", "entry edited", "entry removed", "old value"])
    if how == "edit":
        table, record = rng.choice(_records(conn))
        return _edit(conn, rng, table, record)
    if how == "insert":
        journey = _row(conn, "journeys", rng.choice(_records(conn, None, ("journeys",)))[1])
        journey["id"] = str(uuid.uuid4())
        conn.execute(f"INSERT INTO journeys ({', '.join(journey)}) VALUES "
                     f"({', '.join('?' * len(journey))})", tuple(journey.values()))
        return "journey inserted"
    if how == "delete":
        conn.execute("PRAGMA foreign_keys = OFF")
        table, record = rng.choice(_records(conn, None, ("journeys",)))
        conn.execute("DELETE FROM returns WHERE journey_id = ?", (record,))
        conn.execute("DELETE FROM journeys WHERE id = ?", (record,))
        return "journey deleted"
    last = conn.execute("SELECT max(seq) FROM audit_entry WHERE chain = 0").fetchone()[0]
    seq = rng.randint(1, last)
    if how == "entry edited":
        _drop_triggers(conn, "audit_entry_append_only_update")
        conn.execute("UPDATE audit_entry SET reason = 'nothing happened' WHERE chain = 0 "
                     "AND seq = ?", (seq,))
        return f"entry {seq} of {last} edited"
    if how == "entry removed":
        _drop_triggers(conn, "audit_entry_append_only_delete")
        conn.execute("DELETE FROM audit_entry WHERE chain = 0 AND seq = ?", (seq,))
        return f"entry {seq} of {last} removed"
    # a correction of a name keeps the old name aside (audit_private): change it there
    conn.close()
    with register.open_register(path, actor="clerk") as reg:
        person = reg.conn.execute("SELECT person_id FROM person_identity ORDER BY person_id "
                                  "LIMIT 1 OFFSET ?", (rng.randrange(2),)).fetchone()[0]
        register.correct(reg, person, {"name": f"Corrected {rng.randrange(10**6)}"},
                         reason="spelling")
    conn = _raw(path)
    conn.execute("UPDATE audit_private SET old = replace(old, 'Synthetic', 'Forged')")
    conn.close()
    return "old value kept aside changed"


# -- a backup altered and its .sha256 recomputed --------------------------------------------------
def attack_backup(tally: Tally, rng: random.Random, tries: int) -> None:
    coded = tally.row(5, "backup altered, .sha256 recomputed, verify-backup --expect",
                      "detected against the code")
    bare = tally.row(5, "backup altered, .sha256 recomputed, no earlier code", "", "limit")
    plain = tally.row(5, "backup altered, .sha256 left as it was", "detected always")
    for i in range(tries):
        api = rng.random() < 0.5
        row = coded
        with scratch() as folder:
            try:
                path = folder / "kh.db"
                codes = _history(path, rng, 3)
                out = folder / "usb.db"
                if api:
                    backup(path, out)
                else:
                    done = cli(["backup", "--db", str(path), "--out", str(out), "--no-input"])
                    if done.code != 0:
                        raise RuntimeError(done.said())
                conn = _raw(out)
                way = rng.choice(["everything", "last entries", "rewritten"])
                if way == "everything":
                    _truncate(conn, len(codes))
                elif way == "last entries":
                    _truncate(conn, rng.randint(1, len(codes) - 1))
                else:
                    _rewrite(conn, rng, len(codes))
                conn.close()
                code = codes[-1]
                sidecar = Path(str(out) + ".sha256")
                if i % 3 == 2:  # the sidecar not recomputed: the hash alone finds it
                    row = plain
                    tally.record(row, _verify(out, None, api)[0], f"{way} ({'API' if api else 'CLI'})")
                    continue
                digest = hashlib.sha256(out.read_bytes()).hexdigest()
                sidecar.write_text(f"{digest}  {out.name}\n")
                detected, said = _verify(out, code, api)
                tally.record(row, detected, f"{way}, code {code} ({'API' if api else 'CLI'}): {said}")
                row = bare
                detected, said = _verify(out, None, api)
                tally.record(bare, not detected, f"{way}: detected: {said}")
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)


def _verify(out: Path, expect: str | None, api: bool) -> tuple[bool, str]:
    if api:
        try:
            verify_backup(out, expect=expect)
            return False, ""
        except RegisterError as exc:
            return True, str(exc)[:100]
    done = cli(["verify-backup", str(out), "--no-input", *(["--expect", expect] if expect else [])])
    if done.traceback:
        raise RuntimeError(done.crash())
    return done.code != 0, done.said()[:100]


# -- 6. merged registers ------------------------------------------------------------------------
COMMUNES = ("010201", "010202", "010203")


def _merge(inputs: list[Path], out: Path, api: bool, skip_bad: bool) -> tuple[bool, str]:
    """(merged, what was said)."""
    if api:
        try:
            apply_merge(plan_merge(inputs, out), skip_bad=skip_bad, link=False)
            return True, ""
        except RegisterError as exc:
            return False, str(exc)[:200]
    done = cli(["merge", *map(str, inputs), "--out", str(out), "--no-link", "--no-input",
                *(["--skip-bad"] if skip_bad else [])])
    if done.traceback:
        raise RuntimeError(done.crash())
    return done.code == 0, done.output


def _last(said: str) -> str:
    """The line of a merge's output that says why (not the audit code's line)."""
    lines = [x for x in said.strip().splitlines() if x.strip() and "Audit code" not in x]
    return lines[-1][:140] if lines else ""


def _journey_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM journeys")}
    finally:
        conn.close()


def attack_merge(tally: Tally, rng: random.Random, tries: int) -> None:
    bad = tally.row(6, "merge of a commune that fails its own check (with and without "
                       "--skip-bad)", "refused, or left out and named with --skip-bad")
    inside = tally.row(6, "edit, insertion or deletion inside a merged register",
                       "check on the merged register names it")
    rolled = tally.row(6, "commune rolled back (or rewritten) since its last merge",
                       "refused, or left out and named with --skip-bad")
    first = tally.row(6, "commune rolled back or rewritten, merged for the first time", "",
                      "limit")
    for i in range(tries):
        kind = ("bad", "inside", "rolled")[i % 3]
        api = rng.random() < 0.5
        skip = rng.random() < 0.5
        how = ("API" if api else "CLI") + (" --skip-bad" if skip else "")
        row = {"bad": bad, "inside": inside, "rolled": rolled}[kind]
        with scratch() as folder:
            try:
                paths = [folder / f"kh-{c}.db" for c in COMMUNES]
                codes = [commune_register(p, rng, commune=c, batches=rng.randint(2, 4),
                                          returns=True) for p, c in zip(paths, COMMUNES, strict=True)]
                out = folder / "district.db"
                victim = rng.randrange(len(paths))
                if kind == "bad":
                    previous = rng.random() < 0.5  # an earlier merge already took it in
                    if previous:
                        merge(paths, out, link=False)
                    before = content(out) if out.exists() else None
                    conn = _raw(paths[victim])
                    what = _outside(conn, rng, paths[victim])
                    conn.close()
                    grown = previous and rng.random() < 0.5
                    if grown:  # then a write through the program: its head moves on
                        with register.open_register(paths[victim], actor="clerk") as reg:
                            register.add_broker(reg, name=f"Broker {rng.randrange(10**6)}")
                        what += ", then a broker added"
                    theirs = _journey_ids(paths[victim]) - (
                        _journey_ids(out) if previous else set())
                    records = _records_of(out) if previous else None
                    merged, said = _merge(paths, out, api, skip)
                    named = paths[victim].name in said or api
                    reached = bool(theirs & _journey_ids(out)) if out.exists() else False
                    quiet = False
                    if not merged:
                        ok = content(out) == before if before else not out.exists()
                    elif skip and named:
                        ok = not reached
                    else:  # merged, not named: held only if nothing of the file was taken in
                        ok = quiet = previous and not grown and _records_of(out) == records
                    detail = (f"{what} in commune {victim + 1}, "
                              f"{'second' if previous else 'first'} merge ({how}): "
                              f"merged={merged}, its records reached the output={reached}"
                              + ("; skipped as unchanged since the last merge (same audit "
                                 "head), not named" if quiet else f"; {_last(said)}"))
                    tally.record(row, ok, detail, differs=quiet)
                elif kind == "inside":
                    merge(paths, out, link=False)
                    conn = _raw(out)
                    what = _outside_merged(conn, rng)
                    conn.close()
                    detected, said, _ = _check(out, None, api)
                    tally.record(row, detected, f"{what} ({'API' if api else 'CLI'}): {said}")
                else:
                    _rolled_back(tally, rng, row, first, paths, codes, victim, out, api, skip, how)
            except Exception as exc:  # noqa: BLE001
                tally.crashed(row, exc)


def _outside_merged(conn: sqlite3.Connection, rng: random.Random) -> str:
    how = rng.choice(["edit", "insert", "delete"])
    records = _records_merged(conn)
    if how == "edit":
        table, record = rng.choice(records)
        return "merged: " + _edit(conn, rng, table, record)
    journeys = [r for t, r in records if t == "journeys"]
    if how == "insert":
        journey = _row(conn, "journeys", rng.choice(journeys))
        journey["id"] = str(uuid.uuid4())
        conn.execute(f"INSERT INTO journeys ({', '.join(journey)}) VALUES "
                     f"({', '.join('?' * len(journey))})", tuple(journey.values()))
        return "merged: journey inserted"
    conn.execute("PRAGMA foreign_keys = OFF")
    record = rng.choice(journeys)
    conn.execute("DELETE FROM returns WHERE journey_id = ?", (record,))
    conn.execute("DELETE FROM journeys WHERE id = ?", (record,))
    return "merged: journey deleted"


def _records_merged(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    out = []
    for table in ("persons", "journeys"):
        out += [(table, r[0]) for r in conn.execute(f"SELECT id FROM {table} ORDER BY id")]
    return out


def _records_of(path: Path) -> dict[str, Any]:
    return {t: v for t, v in content(path).items() if t in RECORD_TABLES}


def _rolled_back(tally: Tally, rng: random.Random, row: Any, first: Any, paths: list[Path],
                 codes: list[list[str]], victim: int, out: Path, api: bool, skip: bool,
                 how: str) -> None:
    """A commune's file replaced by an older copy, or its history rewritten, after a merge took
    in its head; merged again."""
    path = paths[victim]
    rewritten = rng.random() < 0.3
    old = path.with_name("older-copy.db")
    shutil.copy(path, old)
    for extra in range(rng.randint(1, 3)):  # more writes in the commune after the copy
        with register.open_register(path, actor="clerk") as reg:
            journey = reg.conn.execute("SELECT id FROM journeys ORDER BY id LIMIT 1 OFFSET ?",
                                       (extra,)).fetchone()[0]
            register.correct(reg, journey, {"fee_usd": 100 + extra}, reason="receipt")
    merge(paths, out, link=False)  # the district took in the commune's latest file
    if rewritten:  # the history the merge saw, changed and recomputed
        conn = _raw(path)
        what = "history rewritten (" + _rewrite(conn, rng, len(codes[victim])) + ")"
        conn.close()
    else:
        shutil.copy(old, path)
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        what = "older copy put back"
    before = _records_of(out)
    merged, said = _merge(paths, out, api, skip)
    named = path.name in said or api
    kept = _records_of(out) == before
    ok = (merged and named and kept) if skip else (not merged and kept)
    tally.record(row, ok, f"{what} in commune {victim + 1} ({how}): merged={merged}, "
                          f"records kept={kept}; {_last(said)}")
    # The same file merged into a new district (no earlier head): as documented, unseen.
    fresh = out.with_name("new-district.db")
    merged, said = _merge([path], fresh, True, False)
    tally.record(first, merged, f"{what}: first merge refused: {_last(said)}")
