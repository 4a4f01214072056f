"""Optional parts of the program: a missing one is named, with how to install it."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

from register import extras, i18n
from register.errors import RegisterError
from register.extras import MissingExtraError


@pytest.fixture
def english():
    i18n.set_language("en")
    yield
    i18n.set_language(None)


def _hide(monkeypatch, *modules: str) -> None:
    """Make ``modules`` look uninstalled (``import`` fails on a None entry in sys.modules)."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def test_an_installed_extra_passes():
    # The test environment has the research stack (tasks.py test installs .[analysis,dev]).
    extras.require("link")
    extras.require("analysis")
    assert extras.has("link")


def test_a_missing_extra_is_named_with_its_install_command(monkeypatch, english):
    _hide(monkeypatch, "splink", "duckdb")
    with pytest.raises(MissingExtraError) as caught:
        extras.require("link")
    error = caught.value
    assert isinstance(error, RegisterError)  # the CLI shows it as one line, no traceback
    assert (error.extra, error.missing) == ("link", ("splink", "duckdb"))
    message = str(error)
    assert "'link'" in message and "splink, duckdb" in message
    assert 'pip install "commune-migration-register[link]"' in message
    assert "register merge --no-link" in message  # what the clerk can do without it
    extras.require("link", modules=["pandas"])  # only what the caller imports


def test_the_message_is_translated(monkeypatch):
    _hide(monkeypatch, "statsmodels")
    i18n.set_language("km")
    try:
        with pytest.raises(MissingExtraError) as caught:
            extras.require("analysis")
    finally:
        i18n.set_language(None)
    message = str(caught.value)
    assert "ផ្នែកបន្ថែម" in message and "'analysis'" in message and "statsmodels" in message
    assert 'pip install "commune-migration-register[analysis]"' in message


def test_an_unknown_extra_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown extra"):
        extras.require("lab-coat")


def _entry(value: str, name: str = "synth") -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=value, group=extras.COMMAND_GROUP)


def test_load_command_returns_the_implementation(monkeypatch):
    monkeypatch.setattr(extras, "_entry_points", lambda: [_entry("json:dumps")])
    import json

    assert extras.load_command("synth") is json.dumps


def test_load_command_names_the_extra_when_it_is_missing(monkeypatch, english):
    monkeypatch.setattr(extras, "_entry_points", lambda: [_entry("json:dumps", "demo")])
    _hide(monkeypatch, "geopandas")
    with pytest.raises(MissingExtraError, match="'analysis'.*geopandas"):
        extras.load_command("demo")


def test_load_command_names_a_missing_library_found_only_on_import(monkeypatch, english):
    # A library the extra brings indirectly, missing from a damaged install.
    monkeypatch.setattr(extras, "_entry_points",
                        lambda: [_entry("no_such_library_xyz.cli:synth")])
    with pytest.raises(MissingExtraError, match="no_such_library_xyz"):
        extras.load_command("synth")


def test_load_command_does_not_hide_a_bug_in_the_project(monkeypatch):
    monkeypatch.setattr(extras, "_entry_points", lambda: [_entry("synthetic.not_there:synth")])
    with pytest.raises(ModuleNotFoundError):
        extras.load_command("synth")


def test_load_command_without_an_entry_point_asks_for_a_reinstall(monkeypatch, english):
    monkeypatch.setattr(extras, "_entry_points", lambda: [])
    with pytest.raises(RegisterError, match="install the program again"):
        extras.load_command("synth")


def test_the_installed_metadata_declares_the_research_commands():
    # The editable install's metadata comes from pyproject.toml: a stale install fails here.
    declared = {ep.name: ep.value for ep in extras._entry_points()}
    assert set(extras.COMMAND_EXTRAS) <= set(declared)
    assert all(value.startswith("synthetic.") for value in declared.values())
