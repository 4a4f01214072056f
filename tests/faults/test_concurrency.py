"""Two or more processes writing to one register at once lose nothing, and no clerk ever sees a
locking error or a traceback.

Writers are real processes released together (each says 'ready', then all start on one signal).
Two races are also replayed deterministically in one process with two connections: the second
clerk's write lands between the first clerk's checks and the first clerk's write.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest

import register
from tests.faults import helpers as h

BAD_OUTPUT = ("database is locked", "Traceback", "OperationalError", "IntegrityError")


@pytest.fixture(scope="module")
def figures(request):
    figures = h.Figures("concurrency tests")
    yield figures
    h.report(request.config, figures)


def _finish(procs) -> list[tuple[int, str, str]]:
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=180)
        out.append((proc.returncode, stdout, stderr))
    return out


def _assert_clean(results, what: str) -> None:
    for number, (code, stdout, stderr) in enumerate(results):
        text = stdout + stderr
        assert code == 0, f"{what} {number} exited {code}: {text[-2000:]}"
        assert not any(bad in text for bad in BAD_OUTPUT), f"{what} {number}: {text[-2000:]}"


def test_writers_through_the_api_lose_nothing(tmp_path, figures):
    """Three processes each save 40 departures one by one, all at the same time."""
    db = h.make_register(tmp_path / "r.db")
    go = tmp_path / "go"
    tags = ("A", "B", "C")
    procs = [h.popen(h.worker_cmd("add", str(db), "40", tag, str(go))) for tag in tags]
    h.release(go, tags, procs)
    results = _finish(procs)
    _assert_clean(results, "writer")
    saved = [line for _, stdout, _ in results for line in stdout.split()]
    assert len(saved) == len(set(saved)) == 120
    assert h.ids(db) == set(saved)  # every saved record is there, and nothing else
    report = h.assert_sound(db)
    assert report.counts["audit_entry"] == 120  # one entry per record added
    conn = h.raw(db)
    actors = dict(conn.execute("SELECT actor, count(*) FROM audit_entry GROUP BY actor"))
    conn.close()
    assert actors == {"clerk-A": 40, "clerk-B": 40, "clerk-C": 40}
    figures.add("api_writers", len(tags))
    figures.add("api_concurrent_writes", len(saved))


@pytest.mark.slow
def test_writers_soak(tmp_path, figures):
    """Four processes each save 150 departures one by one, all at the same time."""
    db = h.make_register(tmp_path / "r.db")
    go = tmp_path / "go"
    tags = ("A", "B", "C", "D")
    procs = [h.popen(h.worker_cmd("add", str(db), "150", tag, str(go))) for tag in tags]
    h.release(go, tags, procs)
    results = _finish(procs)
    _assert_clean(results, "writer")
    saved = {line for _, stdout, _ in results for line in stdout.split()}
    assert len(saved) == 600 and h.ids(db) == saved
    h.assert_sound(db)
    figures.add("api_concurrent_writes", len(saved))


def _clerk(commands: list[list[str]], results: list) -> None:
    for cmd in commands:
        done = h.run(cmd)
        results.append((done.returncode, done.stdout, done.stderr))


def test_clerks_on_the_command_line_see_no_locking_error(tmp_path, figures):
    """Two clerks enter departures with the CLI while a third person checks and exports."""
    db = h.make_register(tmp_path / "r.db")
    entries = {}
    for clerk in ("sok", "dara"):
        entries[clerk] = [
            h.register_cmd("add-departure", "--db", str(db), "--no-input", "--clerk", clerk,
                           "--sex", "F", "--home-village", h.VILLAGE, "--departure-date",
                           "2024-05-01", "--destination-country", "TH", "--channel", "broker",
                           "--name", f"Synthetic {clerk} {i}")
            for i in range(3)]
    reader = [h.register_cmd("check", "--db", str(db)),
              h.register_cmd("export", "--db", str(db), "--out", str(tmp_path / "export.csv"))]
    results: dict[str, list] = {name: [] for name in (*entries, "reader")}
    threads = [threading.Thread(target=_clerk, args=(cmds, results[name]))
               for name, cmds in (*entries.items(), ("reader", reader))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, runs in results.items():
        _assert_clean(runs, f"{name}'s command")
    assert h.counts(db)["journeys"] == 6
    h.assert_sound(db)
    figures.add("cli_concurrent_commands", sum(len(r) for r in results.values()))
    figures.add("cli_concurrent_writes", 6)


def test_import_while_a_clerk_adds_records(tmp_path, figures):
    db = h.make_register(tmp_path / "r.db")
    source = h.write_departures_csv(tmp_path / "in.csv", h.synthetic_departures(2000, "I"))
    go = tmp_path / "go"
    clerk = h.popen(h.worker_cmd("add", str(db), "30", "typing", str(go)))
    h.release(go, ["typing"], [clerk])
    importer = h.popen(h.register_cmd("import", str(source), "--kind", "departures",
                                      "--db", str(db)))
    results = _finish([clerk, importer])
    _assert_clean(results, "process")
    assert h.counts(db)["journeys"] == 2030
    assert set(results[0][1].split()) <= h.ids(db)
    h.assert_sound(db)
    figures.add("import_plus_typing_writes", 2030)


def test_merge_reads_a_register_while_its_clerk_writes(tmp_path, figures):
    """A district merge of a commune register in use: the merge succeeds, and a later merge
    picks up every record the clerk added meanwhile."""
    db = h.make_register(tmp_path / "commune.db")
    out = tmp_path / "district.db"
    go = tmp_path / "go"
    clerk = h.popen(h.worker_cmd("add", str(db), "60", "busy", str(go)))
    h.release(go, ["busy"], [clerk])
    merges = []
    for _ in range(2):
        merges.append(h.run(h.register_cmd("merge", str(db), "--out", str(out), "--no-link")))
    results = [*_finish([clerk]), *((m.returncode, m.stdout, m.stderr) for m in merges)]
    _assert_clean(results, "process")
    final = h.run(h.register_cmd("merge", str(db), "--out", str(out), "--no-link"))
    _assert_clean([(final.returncode, final.stdout, final.stderr)], "final merge")
    assert h.ids(out) == h.ids(db) and len(h.ids(db)) == 60
    h.assert_sound(out)
    figures.add("merges_during_writes", 2)


def test_same_file_imported_twice_at_once(tmp_path, figures):
    """A clerk starts the same import twice (two windows): both finish without a traceback,
    and the register holds the file once."""
    db = h.make_register(tmp_path / "r.db")
    source = h.write_departures_csv(tmp_path / "in.csv", h.synthetic_departures(1000, "D"))
    procs = [h.popen(h.register_cmd("import", str(source), "--kind", "departures",
                                    "--db", str(db))) for _ in range(2)]
    results = _finish(procs)
    figures.add("double_import_runs", 2)
    assert h.counts(db)["journeys"] == 1000
    h.assert_sound(db)
    _assert_clean(results, "import")


def _between_checks_and_write(reg: register.Register, other_clerk) -> list[bool]:
    """Make ``other_clerk()`` run after ``reg`` has checked its rows, just before it writes."""
    original = reg.write
    fired: list[bool] = []

    @contextlib.contextmanager
    def write():
        if not fired:
            fired.append(True)
            other_clerk()
        with original() as conn:
            yield conn

    reg.write = write  # type: ignore[method-assign]
    return fired


def test_same_file_imported_by_two_clerks_at_once_is_not_a_crash(tmp_path, figures):
    """Deterministic replay of the race above: clerk B's import of the file commits while clerk
    A's import of the same file is between its checks and its write. A must end with 'already
    in the register' (or a clear refusal), never a raw sqlite3 error; nothing is doubled."""
    db = h.make_register(tmp_path / "r.db")
    source = h.write_departures_csv(tmp_path / "in.csv", h.synthetic_departures(50, "R"))
    with register.open_register(db, actor="clerk-a") as a, \
            register.open_register(db, actor="clerk-b") as b:
        _between_checks_and_write(
            a, lambda: register.import_file(b, source, "departures", today=h.TODAY))
        try:
            report = register.import_file(a, source, "departures", today=h.TODAY)
        except register.RegisterError as exc:  # a clear refusal is acceptable
            outcome = f"refused: {exc}"
        except sqlite3.Error as exc:
            pytest.fail(f"clerk A got a raw database error: {type(exc).__name__}: {exc}")
        else:
            outcome = f"already present: {report.already_present}"
    figures.add("replayed_races", 1)
    assert h.counts(db)["journeys"] == 50, outcome
    h.assert_sound(db)


def test_same_return_recorded_by_two_clerks_at_once_is_refused_clearly(tmp_path, figures):
    """Two clerks record the return of the same journey at the same moment: one return is
    stored, the other clerk is told it already exists (not a raw sqlite3 error)."""
    db = h.make_register(tmp_path / "r.db")
    with register.open_register(db, actor="clerk-a") as a, \
            register.open_register(db, actor="clerk-b") as b:
        journey = register.add_records(a, "departures", [h.departure()], today=h.TODAY).ids[0]
        back = {"journey_id": journey, "return_date": "2025-01-10", "return_mode": "voluntary"}
        _between_checks_and_write(
            a, lambda: register.add_records(b, "returns", [back], today=h.TODAY))
        try:
            register.add_records(a, "returns", [{**back, "return_mode": "rescued"}],
                                 today=h.TODAY)
        except register.ValidationError as exc:
            assert {p.field for p in exc.problems} == {"journey_id"}, exc.problems
        except register.RegisterError:
            pass
        except sqlite3.Error as exc:
            pytest.fail(f"clerk A got a raw database error: {type(exc).__name__}: {exc}")
        else:
            pytest.fail("a second return of the same journey was accepted")
    figures.add("replayed_races", 1)
    assert h.counts(db)["returns"] == 1
    h.assert_sound(db)


def test_register_of_an_older_version_opened_by_several_processes_at_once(tmp_path, figures):
    """After a program update, several processes (clerk, merge, export) open a register of the
    previous schema version at once: each opens it, the upgrade is applied once."""
    db = h.make_register(tmp_path / "old.db")
    conn = h.raw(db)  # make it a file of schema 0001 (before record linkage was added)
    conn.execute("DROP TABLE duplicate_journeys")
    conn.execute("DROP TABLE person_links")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0002_record_linkage'")
    conn.close()
    go = tmp_path / "go"
    code = ("import sys, register\nfrom tests.faults.helpers import wait_for_go\n"
            "wait_for_go(sys.argv[1], sys.argv[2])\n"
            "with register.open_register(sys.argv[3]) as reg:\n"
            "    print(register.schema_version(reg))\n")
    tags = [str(i) for i in range(4)]
    procs = [h.popen([h.PYTHON, "-c", code, str(go), tag, str(db)]) for tag in tags]
    h.release(go, tags, procs)
    results = _finish(procs)
    figures.add("concurrent_upgrades", len(procs))
    _assert_clean(results, "opener")
    assert {stdout.strip() for _, stdout, _ in results} == {"0002_record_linkage"}
    h.assert_sound(db)
