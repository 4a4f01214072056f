"""The analysis reads the researcher export: the one the register's own `register export` writes."""

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


@pytest.mark.parametrize("level", ["standard", "detailed"])
def test_the_notebooks_export_equals_the_clis(kep, tmp_path, level):
    from typer.testing import CliRunner

    from register.cli import app

    out = tmp_path / "export.csv"
    risk = ["--accept-reidentification-risk"] if level == "detailed" else []
    done = CliRunner().invoke(app, ["export", "--db", str(kep), "--out", str(out), "--level", level,
                                    "--no-input", *risk])
    assert done.exit_code == 0, done.output
    cli = load_export(out).sort_values("journey_key").reset_index(drop=True)
    k = None if level == "detailed" else 5
    notebooks = load_export(kep, level, k).sort_values("journey_key").reset_index(drop=True)
    assert len(notebooks) > 50
    pd.testing.assert_frame_equal(cli, notebooks, check_dtype=True)
    assert data_hash(cli) == data_hash(notebooks.sample(frac=1, random_state=1))
    assert notebooks["forced_labour"].notna().sum() > 0


def test_the_notebooks_get_the_generalised_level_by_default(kep):
    frame = from_register(kep)
    assert frame["birth_year"].isna().all() and frame["age_at_departure"].isna().all()
    assert frame["departure_date"].str.len().eq(7).all()


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
