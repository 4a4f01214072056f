"""Shared fixtures: a fresh commune register in a temporary folder, and a fixed 'today'."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import settings

import register

# In CI the property tests draw the same examples every run (a failure there is reproducible);
# locally they explore new examples each time.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

COMMUNE = "010201"  # Banteay Neang, Mongkol Borei, Banteay Meanchey (NCDD 2024-10-14)
VILLAGE = "01020101"  # Ou Thum
TODAY = dt.date(2026, 11, 1)


@pytest.fixture
def reg_path(tmp_path: Path) -> Path:
    path = tmp_path / "register.db"
    register.init_register(path, commune=COMMUNE, actor="test-clerk").close()
    return path


@pytest.fixture
def reg(reg_path: Path):
    with register.open_register(reg_path, actor="test-clerk") as opened:
        yield opened


def departure(**overrides: object) -> dict[str, object]:
    """A valid departure record; override any field."""
    values: dict[str, object] = {
        "name": "សុខ ដារា", "national_id": "010203045", "phone": "012345678", "sex": "F",
        "birth_year": 1996, "home_village": VILLAGE, "departure_date": "2024-03-12",
        "destination_country": "TH", "sector": "agriculture", "channel": "broker",
        "n_brokers": 1, "has_passport": 1, "fee_usd": 250, "debt_usd": 250,
    }
    values.update(overrides)
    return values


@pytest.fixture(autouse=True)
def _own_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test remembers registers in a config file of its own (register.cli.config), never
    the user's, and starts in no particular language."""
    from register import i18n

    monkeypatch.setenv("REGISTER_CONFIG", str(tmp_path_factory.mktemp("config") / "config.json"))
    i18n.set_language(None)
    i18n.set_default_language(None)
