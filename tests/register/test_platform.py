"""Windows ways, tried on Linux: Khmer through a non-UTF-8 console, files held open by another
program, fsync, SQLite file names with '#' or Khmer in them, CSV line endings."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path, PureWindowsPath
from urllib.parse import unquote, urlsplit

import pytest

import register
from register import i18n
from register import platform as plat
from register.platform import FileInUseError
from tests.conftest import COMMUNE, TODAY, departure

KHMER = "បន្ទាយនាង"


@pytest.fixture
def english():
    i18n.set_language("en")
    yield
    i18n.set_language(None)


# -- console ----------------------------------------------------------------------------------
def test_a_cp1252_stream_cannot_carry_khmer_until_configured():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")  # a redirected stdout on Windows
    with pytest.raises(UnicodeEncodeError):
        stream.write(KHMER)
        stream.flush()
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert plat.configure_console([("stdout", stream), ("stderr", utf8)]) == ["stdout"]
    stream.write(KHMER)
    stream.flush()
    assert stream.buffer.getvalue().decode("utf-8") == KHMER


def test_stdin_is_read_as_utf8_without_a_byte_order_mark():
    stdin = io.TextIOWrapper(io.BytesIO(("\ufeff" + KHMER + "\n").encode()), encoding="cp1252")
    assert plat.configure_console([("stdin", stdin)]) == ["stdin"]
    assert stdin.readline() == KHMER + "\n"


def _python(code: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, env=env)


def test_configure_console_lets_a_cp1252_process_print_khmer():
    plain = _python(f"print({KHMER!r})")
    assert plain.returncode != 0 and b"UnicodeEncodeError" in plain.stderr
    fixed = _python(f"from register.platform import configure_console\n"
                    f"configure_console()\nprint({KHMER!r})")
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.decode("utf-8").strip() == KHMER


def test_the_cli_prints_khmer_to_a_cp1252_pipe():
    out = _python("import sys; sys.argv = ['register', 'lookup', 'Banteay Neang']\n"
                  "from register.cli import main\nmain()")
    assert out.returncode == 0, out.stderr[-500:]
    assert KHMER in out.stdout.decode("utf-8")


# -- files held open by another program -------------------------------------------------------
def _flaky_replace(monkeypatch, failures: int) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    real = os.replace

    def replace(src, dst):
        calls.append((str(src), str(dst)))
        if len(calls) <= failures:
            raise PermissionError(13, "The process cannot access the file because it is "
                                  "being used by another process", str(dst))
        real(src, dst)

    monkeypatch.setattr(plat.os, "replace", replace)
    return calls


def test_replace_waits_out_a_short_lock_on_windows(tmp_path, monkeypatch):
    monkeypatch.setattr(plat, "WINDOWS", True)
    src, dst = tmp_path / "export.csv.partial", tmp_path / "export.csv"
    src.write_text("new")
    dst.write_text("old")
    calls = _flaky_replace(monkeypatch, failures=3)
    plat.replace_file(src, dst, delay=0.001)
    assert len(calls) == 4 and dst.read_text() == "new" and not src.exists()


def test_replace_names_the_file_held_open(tmp_path, monkeypatch, english):
    monkeypatch.setattr(plat, "WINDOWS", True)
    src, dst = tmp_path / "kh.db.restoring", tmp_path / "kh.db"
    src.write_text("new")
    dst.write_text("old")
    calls = _flaky_replace(monkeypatch, failures=100)
    with pytest.raises(FileInUseError, match=r"kh\.db is open in another program") as caught:
        plat.replace_file(src, dst, attempts=5, delay=0.001)
    assert isinstance(caught.value, register.RegisterError)
    assert len(calls) == 5 and dst.read_text() == "old" and src.read_text() == "new"


def test_on_posix_a_permission_error_is_not_retried(tmp_path, monkeypatch):
    monkeypatch.setattr(plat, "WINDOWS", False)
    calls = _flaky_replace(monkeypatch, failures=100)
    with pytest.raises(PermissionError):
        plat.replace_file(tmp_path / "a", tmp_path / "b", delay=0.001)
    assert len(calls) == 1


def test_remove_file_waits_out_a_lock_and_ignores_a_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(plat, "WINDOWS", True)
    path = tmp_path / "kh.db-wal"
    path.write_text("x")
    real, tries = Path.unlink, []

    def unlink(self, missing_ok=False):
        tries.append(self)
        if len(tries) < 3:
            raise PermissionError(13, "in use", str(self))
        real(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    plat.remove_file(path, delay=0.001)
    assert not path.exists() and len(tries) == 3
    plat.remove_file(path, delay=0.001)  # already gone: fine


def test_fsync_opens_the_file_for_writing_on_windows(tmp_path, monkeypatch):
    path = tmp_path / "kh.db"
    path.write_bytes(b"x")
    plat.fsync_file(path)  # for real, on this system
    seen, real_open = [], os.open
    monkeypatch.setattr(plat.os, "open", lambda p, flags: seen.append(flags) or real_open(p, flags))
    monkeypatch.setattr(plat, "WINDOWS", True)
    plat.fsync_file(path)
    plat.fsync_directory(tmp_path)  # no directory handles on Windows: nothing opened
    monkeypatch.setattr(plat, "WINDOWS", False)
    plat.fsync_file(path)
    plat.fsync_directory(tmp_path)
    assert [f & os.O_ACCMODE for f in seen] == [os.O_RDWR, os.O_RDONLY, os.O_RDONLY]
    assert path.read_bytes() == b"x"


# -- SQLite file names ------------------------------------------------------------------------
def test_sqlite_uri_opens_a_path_with_hash_question_mark_percent_and_khmer(tmp_path):
    folder = tmp_path / f"ឃុំ #3 ?50% {KHMER}"
    folder.mkdir()
    path = folder / "kh.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    uri = plat.sqlite_uri(path, mode="ro")
    assert "#" not in uri and " " not in uri and uri.endswith("?mode=ro")
    ro = sqlite3.connect(uri, uri=True)
    assert ro.execute("SELECT x FROM t").fetchone() == (1,)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.execute("INSERT INTO t VALUES (2)")
    ro.close()
    main = sqlite3.connect(plat.sqlite_uri(tmp_path / "main.db"), uri=True)
    main.execute("ATTACH DATABASE ? AS src", (uri,))
    assert main.execute("SELECT count(*) FROM src.t").fetchone() == (1,)
    main.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.db", folder.name]  # no stray file


def test_windows_paths_make_sqlite_uris():
    local = plat.file_uri(PureWindowsPath(r"C:\Users\Sok Dara\ឃុំ #1\kh.db"), mode="ro")
    parts = urlsplit(local)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("file", "", "mode=ro", "")
    assert unquote(parts.path) == "/C:/Users/Sok Dara/ឃុំ #1/kh.db"
    share = plat.file_uri(PureWindowsPath(r"\\server\share\kh.db"))
    assert share == "file:////server/share/kh.db"


def test_merge_from_a_folder_with_a_hash_in_its_name(tmp_path):
    from register.merge import apply_merge, plan_merge

    folder = tmp_path / "commune #3"
    folder.mkdir()
    with register.init_register(folder / "a.db", commune=COMMUNE) as reg:
        register.add_records(reg, "departures", [departure()], today=TODAY)
    plan = plan_merge([folder / "a.db"], folder / "merged.db")
    try:
        apply_merge(plan, link=False)
    finally:
        stray = [p.name for p in tmp_path.iterdir() if p != folder]
        assert not stray, f"SQLite created {stray} from the truncated path"
    with register.open_register(folder / "merged.db") as merged:
        assert merged.conn.execute("SELECT count(*) FROM journeys").fetchone() == (1,)


# -- line endings -----------------------------------------------------------------------------
def test_csv_exports_use_crlf_on_every_system(reg, tmp_path):
    register.add_records(reg, "departures", [departure(), departure(national_id="0999")],
                         today=TODAY)
    out = tmp_path / "export.csv"
    register.export_researcher(reg, out, level="detailed", accept_risk=True)
    data = out.read_bytes()
    lines = data.split(b"\r\n")
    assert len(lines) == 4 and lines[-1] == b""  # header, 2 rows, and the final CRLF
    assert b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert len(rows) == 3
