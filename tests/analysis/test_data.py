"""The analysis reads the researcher export; the fast path must equal the register's own export."""

from __future__ import annotations

import pandas as pd
import pytest

import register
from analysis.data import ExportError, data_hash, from_register, load_export
from synthetic.write import write_country


@pytest.fixture(scope="module")
def kep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kep")
    write_country(["23"], seed=11, out=folder / "communes", scale=0.5, workers=1)
    return sorted((folder / "communes").glob("*.db"))[0]


def test_fast_export_equals_the_register_export(kep, tmp_path):
    out = tmp_path / "export.csv"
    with register.open_register(kep) as reg:
        register.export_researcher(reg, out, level="detailed")
    slow = load_export(out).sort_values("journey_key").reset_index(drop=True)
    fast = from_register(kep).sort_values("journey_key").reset_index(drop=True)
    assert len(fast) > 50
    pd.testing.assert_frame_equal(slow, fast, check_dtype=True)
    assert data_hash(slow) == data_hash(fast.sample(frac=1, random_state=1))
    assert fast["forced_labour"].notna().sum() > 0


def test_export_file_kinds(kep, tmp_path):
    db = tmp_path / "export.db"
    with register.open_register(kep) as reg:
        register.export_researcher(reg, db)
    assert len(load_export(db)) == len(load_export(kep))
    with pytest.raises(ExportError):
        load_export(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ExportError, match="missing columns"):
        load_export(bad)
