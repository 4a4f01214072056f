"""The demo refuses to touch a folder it did not make."""

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


def test_demo_never_deletes_a_folder_it_did_not_make(tmp_path):
    precious = tmp_path / "communes"
    precious.mkdir()
    (precious / "real.db").write_text("a commune's real register")
    with pytest.raises(RegisterError, match="not an earlier demo"):
        run_demo(tmp_path, notebooks=False, echo=lambda *_: None, provinces="23")
    assert (precious / "real.db").exists()
