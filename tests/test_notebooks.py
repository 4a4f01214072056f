"""The notebooks run end to end on a small synthetic register, and their outputs are traceable
and publishable (no small cells)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.data import data_hash, load_export
from analysis.notebooks import notebook_paths, notebook_version, run_notebooks
from register.merge import merge
from synthetic.write import write_country

# The north-west cluster planted by the generator and its neighbours, so hotspots have a map.
PROVINCES = "01,02,06,13,15,17,22,24"


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    write_country(PROVINCES, seed=5, out=folder / "communes", scale=0.03)
    out = folder / "national.db"
    merge(sorted((folder / "communes").glob("*.db")), out)
    return out


@pytest.fixture(scope="module")
def results(national, tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    lists = national.parent / "communes" / "lists"
    run_notebooks(national, folder, echo=lambda *_: None,
                  parameters={"register_db": str(national), "lists_dir": str(lists)})
    return folder


def test_every_notebook_is_numbered_versioned_and_has_parameters():
    paths = notebook_paths()
    assert len(paths) >= 5
    for path in paths:
        text = path.read_text()
        assert notebook_version(path)
        assert '# %% tags=["parameters"]' in text
        for name in ("register", "output_dir", "province", "period", "seed"):
            assert f"\n{name} = " in text, (path.name, name)


def test_outputs_are_traceable_to_their_data(national, results):
    digest = data_hash(load_export(national))
    for path in notebook_paths():
        runs = list((results / path.stem).iterdir())
        assert len(runs) == 1, path.name
        manifest = json.loads((runs[0] / "manifest.json").read_text())
        assert manifest["data_sha256"] == digest
        assert runs[0].name.endswith(digest[:12])
        assert manifest["notebook_version"] == notebook_version(path)
        assert "notebook.html" in manifest["outputs"]
        executed = json.loads((runs[0] / "notebook.ipynb").read_text())
        errors = [o for c in executed["cells"] for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, path.name


def test_published_tables_have_no_small_cells(results):
    tables = list(results.glob("*/*/*.csv"))
    assert len(tables) >= 8
    checked = 0
    for table in tables:
        frame = pd.read_csv(table)
        for column in ("n", "cases", "journeys", "returns"):
            if column in frame.columns:
                values = frame[column].dropna()
                assert not ((values > 0) & (values < 5)).any(), (table.name, column)
                checked += 1
    assert checked >= 5


def test_maps_are_drawn(results):
    assert list(results.glob("20_prevalence/*/map_forced_labour.png"))
    assert list(results.glob("40_hotspots/*/hotspots_lisa.png"))


def test_mse_notebook_estimates_from_the_lists(results):
    estimate = json.loads(next(results.glob("60_mse/*/estimate.json")).read_text())
    profile = estimate["profile"]
    assert profile["observed"] > 0 and profile["ci_low"] <= profile["estimate"] <= profile["ci_high"]
    assert list(results.glob("60_mse/*/linkage_sensitivity.csv"))


def test_a_province_run_is_kept_apart_from_the_national_run(national, results):
    run_notebooks(national, results, names=["20_"], parameters={"province": "01"},
                  echo=lambda *_: None)
    runs = sorted(p.name for p in (results / "20_prevalence").iterdir())
    assert len(runs) == 2
    tagged = next(p for p in (results / "20_prevalence").iterdir() if p.name != runs[0])
    manifest = json.loads((tagged / "manifest.json").read_text())
    assert manifest["parameters"]["province"] == "01"
    table = pd.read_csv(tagged / "prevalence_forced_labour.csv", dtype={"district_code": str})
    assert table["district_code"].str.startswith("01").all()


def test_printed_outputs_show_no_number_for_a_suppressed_area(national, results):
    """What a notebook prints is published too: rows of suppressed areas carry no number."""
    # Pailin's districts have few returns: their rows must be printed blank.
    run_notebooks(national, results, names=["20_", "40_"], parameters={"province": "24"},
                  echo=lambda *_: None)
    hidden: set[str] = set()
    for table in results.glob("*/*/*.csv"):
        frame = pd.read_csv(table, dtype=str)
        if "suppressed" in frame.columns and frame.columns[0] in (
                "province_code", "district_code", "commune_code", "register_commune"):
            hidden |= set(frame.loc[frame["suppressed"] == "True", frame.columns[0]])
    assert hidden, "expected some suppressed areas in a small synthetic register"
    checked = 0
    for notebook in results.glob("*/*/notebook.ipynb"):
        cells = json.loads(notebook.read_text())["cells"]
        for output in (o for c in cells for o in c.get("outputs", [])):
            text = output.get("text") or output.get("data", {}).get("text/plain") or ""
            for line in ("".join(text) if isinstance(text, list) else text).splitlines():
                words = line.split()
                if words and words[0] in hidden:
                    checked += 1
                    rest = " ".join(words[1:])
                    assert not any(ch.isdigit() for ch in rest), (notebook.parent.name, line)
    assert checked > 0


def test_a_failing_notebook_names_its_cell_and_leaves_no_result(tmp_path):
    from pathlib import Path

    from analysis.notebooks import NOTEBOOK_DIR, NotebookError, run_notebook

    with pytest.raises(NotebookError, match=r"50_trends.py failed in cell \d+: ExportError"):
        run_notebook(NOTEBOOK_DIR / "50_trends.py", Path("/nonexistent.parquet"), "0" * 64,
                     tmp_path)
    runs = [p.name for p in (tmp_path / "50_trends").iterdir()]
    assert len(runs) == 1 and runs[0].endswith(".failed")
