"""The clerk's install, as a commune would get it: the offline bundle on a fresh machine.

These tests build the project's wheel, fetch every dependency's wheel from the package index and
install them into fresh virtual environments, so they need the index and take about a minute:
they are marked ``install`` and deselected by default. CI runs them (``.ci/run``); locally:
``.venv/bin/python -m pytest -m install tests/test_install.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[1]
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
# The research stack: none of it may come with the clerk's install.
HEAVY = ("geopandas", "splink", "duckdb", "jupyter", "jupyterlab", "notebook", "statsmodels",
         "numpy", "pandas", "scipy", "pyarrow", "matplotlib")
COMMUNE, VILLAGE = "010201", "01020101"
PASSPHRASE = "correct horse battery"


def _tasks(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, str(ROOT / "tasks.py"), *args], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _offline() -> list[str]:
    """A prefix that runs a command with no network at all, where this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []  # the install script's --no-index still keeps pip off the network


@pytest.fixture(scope="module")
def linux_bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("usb") / "register-manylinux"
    _tasks("bundle", "--platform", "manylinux", "--out", str(out), "--python", PYTHON)
    return out


@pytest.fixture(scope="module")
def clerk_env(linux_bundle, tmp_path_factory) -> Path:
    """A fresh virtual environment with the bundle installed, with no network."""
    target = tmp_path_factory.mktemp("laptop") / "commune-register"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # only the bundle: no index, no local wheel folders
    done = subprocess.run([*_offline(), "sh", str(linux_bundle / "install.sh"), str(target)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Installed." in done.stdout
    return target


def _run(env: Path, *args: str, ok: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(env / "bin" / args[0]), *args[1:]], capture_output=True, text=True,
                          env={**os.environ, **extra})
    if ok:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def test_the_bundle_holds_every_wheel_with_its_fingerprint(linux_bundle):
    wheels = sorted((linux_bundle / "wheels").glob("*.whl"))
    lines = (linux_bundle / "requirements.txt").read_text().splitlines()
    assert len(lines) == len(wheels)  # one pinned requirement per wheel, nothing else
    hashes = {m for line in lines for m in re.findall(r"--hash=sha256:([0-9a-f]{64})", line)}
    assert hashes == {hashlib.sha256(w.read_bytes()).hexdigest() for w in wheels}
    assert lines[0].startswith("commune-migration-register==")
    names = {w.name.split("-")[0].lower() for w in wheels}
    assert {"sqlcipher3_wheels", "sqlite_utils", "typer", "openpyxl", "fpdf2", "uharfbuzz",
            "fontpkg_noto_sans_khmer"} <= names
    assert not names & {h.replace("-", "_") for h in HEAVY}
    assert all(re.search(r"-(none-any|manylinux[^-]*x86_64)\.whl$", w.name) for w in wheels)
    readme = (linux_bundle / "README.txt").read_text(encoding="utf-8")
    assert "install.sh" in readme and "កម្មវិធីដំឡើង" in readme  # English and Khmer
    script = (linux_bundle / "install.sh").read_text()
    assert "--no-index" in script and "--require-hashes" in script


def test_a_clerk_session_in_the_offline_install(clerk_env, tmp_path):
    assert "add-departure" in _run(clerk_env, "register", "--help").stdout
    db, export = tmp_path / "kh-010201.db", tmp_path / "export.csv"
    made = _run(clerk_env, "register", "init", "--commune", COMMUNE, "--db", str(db),
                "--no-input")
    assert "បន្ទាយនាង" in made.stdout
    saved = _run(clerk_env, "register", "add-departure", "--db", str(db), "--no-input",
                 "--sex", "F", "--home-village", VILLAGE, "--departure-date", "2024-05-01",
                 "--destination-country", "TH", "--channel", "broker", "--n-brokers", "1",
                 "--name", "សុខ ដារា", "--national-id", "010203045")
    assert "Saved: departure" in saved.stdout
    # One person cannot be k-anonymous: the standard export leaves them out and says so;
    # the detailed level (for a secure environment) holds the row, still without identifiers.
    held_back = _run(clerk_env, "register", "export", "--db", str(db), "--out", str(export),
                     "--no-input")
    assert len(export.read_text(encoding="utf-8").splitlines()) == 1, held_back.stdout
    _run(clerk_env, "register", "export", "--db", str(db), "--out", str(export), "--no-input",
         "--level", "detailed", "--accept-reidentification-risk", "--force")
    rows = export.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and "សុខ" not in rows[1] and "010203045" not in rows[1]
    assert "audit log is intact" in _run(clerk_env, "register", "check", "--db", str(db),
                                         "--no-input").stdout


def test_encryption_works_from_the_bundled_sqlcipher_wheel(clerk_env, tmp_path):
    db = tmp_path / "enc.db"
    key = {"REGISTER_PASSPHRASE": PASSPHRASE}
    _run(clerk_env, "register", "init", "--commune", COMMUNE, "--db", str(db), "--encrypt",
         "--no-input", **key)
    assert not db.read_bytes().startswith(b"SQLite format 3")
    _run(clerk_env, "register", "add-departure", "--db", str(db), "--no-input", "--sex", "M",
         "--home-village", VILLAGE, "--departure-date", "2024-06-01", "--destination-country",
         "MY", "--channel", "licensed_agency", **key)
    assert "intact" in _run(clerk_env, "register", "check", "--db", str(db), "--no-input",
                            **key).stdout
    refused = _run(clerk_env, "register", "check", "--db", str(db), "--no-input", ok=False,
                   REGISTER_PASSPHRASE="not the passphrase")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr


def test_the_default_install_has_no_research_stack(clerk_env):
    probe = ("import importlib.util, sys\n"
             "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))")
    found = _run(clerk_env, "python", "-c", probe, *HEAVY).stdout.split()
    assert found == []
    installed = _run(clerk_env, "python", "-m", "pip", "list", "--format=freeze").stdout.lower()
    assert not [h for h in HEAVY if re.search(rf"^{h}==", installed, re.M)]


def test_khmer_is_shaped_for_the_pdf_report(clerk_env):
    # HarfBuzz must move the subscript RO (្រ) before its base (ស): the check that shaping ran.
    code = """
import fontpkg, uharfbuzz as hb
from fpdf import FPDF
path = fontpkg.path("Noto Sans Khmer")
font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))
buf = hb.Buffer(); buf.add_str("ស្រុក"); buf.guess_segment_properties(); hb.shape(font, buf, {})
glyphs = [g.codepoint for g in buf.glyph_infos]
sa = font.get_nominal_glyph(ord("ស"))
assert len(glyphs) < 5 and glyphs[0] != sa and glyphs[1] == sa, glyphs
pdf = FPDF(); pdf.add_page(); pdf.add_font("km", fname=str(path)); pdf.set_font("km", size=14)
pdf.set_text_shaping(True); pdf.cell(text="របាយការណ៍ប្រចាំខែ")
data = bytes(pdf.output())
assert data.startswith(b"%PDF-") and b"/FontFile2" in data
print("shaped")
"""
    assert _run(clerk_env, "python", "-c", code).stdout.strip() == "shaped"


def test_a_missing_extra_is_reported_not_a_traceback(clerk_env):
    code = "from register.extras import require\nrequire('link')"
    done = _run(clerk_env, "python", "-c", code, ok=False)
    assert "MissingExtraError" in done.stderr and "[link]" in done.stderr


def test_merge_without_the_link_extra_names_it(clerk_env, tmp_path):
    paths = []
    for commune in ("010201", "010202"):
        paths.append(str(tmp_path / f"{commune}.db"))
        _run(clerk_env, "register", "init", "--commune", commune, "--db", paths[-1], "--no-input")
    done = _run(clerk_env, "register", "merge", *paths, "--out", str(tmp_path / "m.db"),
                "--no-input", ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "[link]" in done.stderr and "--no-link" in done.stderr
    _run(clerk_env, "register", "merge", *paths, "--out", str(tmp_path / "m.db"), "--no-link",
         "--no-input")


def test_research_commands_name_the_extra_in_a_clerk_install(clerk_env, tmp_path):
    done = _run(clerk_env, "register", "synth", "--provinces", "01", "--out", str(tmp_path),
                "--scale", "0.001", "--no-input", ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "[analysis]" in done.stderr


def test_the_windows_bundle(tmp_path):
    out = tmp_path / "register-win_amd64"
    _tasks("bundle", "--platform", "win_amd64", "--out", str(out), "--python", "3.11")
    wheels = sorted((out / "wheels").glob("*.whl"))
    assert all(re.search(r"-(none-any|win_amd64)\.whl$", w.name) for w in wheels), wheels
    names = {w.name.split("-")[0].lower() for w in wheels}
    # click needs colorama on Windows only: pip run here leaves it out unless told the target.
    assert {"colorama", "sqlcipher3_wheels", "pydantic_core"} <= names
    script = (out / "install.bat").read_bytes()
    assert script.count(b"\r\n") == script.count(b"\n") > 3  # CRLF, as cmd.exe wants
    assert b"py -3.11-64 -m venv" in script and b"--no-index" in script
    readme = (out / "README.txt").read_bytes()
    assert readme.startswith("\ufeff".encode()) and b"\r\n" in readme  # Notepad reads Khmer


def test_the_wheel_check_names_a_package_without_a_windows_wheel():
    """The issue's finding: sqlcipher3-binary publishes no Windows wheel."""
    spec = importlib.util.spec_from_file_location("tasks_for_test", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tasks
    spec.loader.exec_module(tasks)
    wanted = ["sqlcipher3-binary>=0.5", "openpyxl>=3.1"]
    with pytest.raises(tasks.NoWheel) as caught:
        tasks.resolve(wanted, tasks.TARGETS["win_amd64"], "3.11")
    assert "sqlcipher3-binary" in caught.value.requirement
    reference = tasks.resolve(wanted, tasks.TARGETS["manylinux"], "3.11")
    assert sorted(reference) == ["et-xmlfile", "openpyxl", "sqlcipher3-binary"]
    assert tasks.missing_wheels(reference, tasks.TARGETS["win_amd64"], "3.11") == [
        "sqlcipher3-binary"]
