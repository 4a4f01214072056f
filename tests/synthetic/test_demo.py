"""The demo: what it builds, that it leaves no side files and marks its registers synthetic, and
that it refuses to touch a folder it did not make."""

from __future__ import annotations

import pytest

from register.errors import RegisterError
from synthetic.demo import run_demo


def test_demo_end_to_end_on_one_province_and_rerun(tmp_path):
    summary = run_demo(tmp_path, seed=3, notebooks=False, echo=lambda *_: None,
                       scale=0.05, provinces="23")
    assert summary["check_ok"] and summary["export_rows"] > 0
    again = run_demo(tmp_path, seed=3, notebooks=False, echo=lambda *_: None,
                     scale=0.05, provinces="23")
    assert again["journeys"] == summary["journeys"]


def test_the_demo_leaves_no_side_files_and_marks_its_registers(tmp_path):
    """Issue 14, defect 7: 3,302 empty -wal/-shm files after the demo (the merge reads each
    commune register read-only; a read-only reader of a WAL file leaves them behind)."""
    from analysis.data import is_synthetic

    run_demo(tmp_path, seed=3, notebooks=False, echo=lambda *_: None, scale=0.05, provinces="23")
    side = [p.name for p in tmp_path.rglob("*") if p.name.endswith(("-wal", "-shm", "-journal"))]
    assert not side, side
    registers = sorted((tmp_path / "communes").glob("*.db"))
    assert len(registers) > 3
    assert is_synthetic(tmp_path / "national.db") and is_synthetic(registers[0])
    import register

    with register.open_register(tmp_path / "national.db") as reg:
        assert "register synth, seed" in reg.meta()["synthetic"]  # carried by the merge


def test_demo_help_says_what_it_builds():
    """Issue 14, defect 7: the help said "one province"; the demo builds every province."""
    from typer.testing import CliRunner

    from register.cli import app

    done = CliRunner().invoke(app, ["demo", "--help"])
    assert done.exit_code == 0
    text = " ".join(done.output.split())
    assert "every commune" in text and "one province" not in text
    assert "notebooks" in text


def test_demo_never_deletes_a_folder_it_did_not_make(tmp_path):
    precious = tmp_path / "communes"
    precious.mkdir()
    (precious / "real.db").write_text("a commune's real register")
    with pytest.raises(RegisterError, match="not an earlier demo"):
        run_demo(tmp_path, notebooks=False, echo=lambda *_: None, provinces="23")
    assert (precious / "real.db").exists()
