"""The notebooks run end to end on a small synthetic register, the way the README says, and what
they hand over is traceable, publishable and readable (issue 14, defects 3-7; issue 10 item 6).

One module fixture runs every notebook once through the command line, from another folder, with
relative paths (the README's command, defect 3), with fewer imputations, permutations and
bootstrap replicates than the defaults so that the module stays under two minutes.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

import register
from analysis.manifest import InputFile, notebook_defaults
from analysis.notebooks import (
    NotebookError,
    _parameters_cell,
    main,
    notebook_dir,
    notebook_paths,
    notebook_version,
    run_folder,
    run_notebook,
)
from register.merge import merge
from synthetic.write import write_country

# The north-west cluster planted by the generator and its neighbours, so hotspots have a map.
PROVINCES = "01,02,06,13,15,17,22,24"
FAST = ["--param", "imputations=3", "--param", "permutations=999", "--param", "n_boot=200"]
WITH_FIGURES = ("20_prevalence", "30_risk_factors", "40_hotspots", "50_trends")


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    write_country(PROVINCES, seed=5, out=folder / "communes", scale=0.03)
    out = folder / "national.db"
    merge(sorted((folder / "communes").glob("*.db")), out)
    return out


def _run_cli(args: list[str], cwd: Path, capsys) -> tuple[int, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(args)
    finally:
        os.chdir(old)
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def work(national, tmp_path_factory):
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="module")
def results(national, work):
    """``python -m analysis.notebooks <relative register> --results results`` typed in ``work``."""
    before = _listing(notebook_dir())
    old = os.getcwd()
    os.chdir(work)
    try:
        code = main([os.path.relpath(national, work), "--results", "results", *FAST])
    finally:
        os.chdir(old)
    assert code == 0
    # the kernel no longer runs in notebooks/: nothing is left there (defect 3)
    assert _listing(notebook_dir()) == before
    return work / "results"


def _runs(results: Path) -> dict[str, Path]:
    runs = {}
    for path in notebook_paths():
        found = [p for p in (results / path.stem).iterdir() if p.is_dir()]
        assert len(found) == 1, (path.name, found)
        runs[path.stem] = found[0]
    return runs


# -- the notebooks themselves ------------------------------------------------------------------
def _code_after_parameters(path: Path) -> tuple[dict, list[str]]:
    import jupytext

    notebook = jupytext.read(path)
    params = _parameters_cell(notebook)
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    after = cells[cells.index(params) + 1:]
    return notebook_defaults(params), after


def test_every_notebook_is_numbered_versioned_and_has_parameters():
    paths = notebook_paths()
    assert [p.name[:2] for p in paths] == ["10", "20", "30", "40", "50", "60"]
    for path in paths:
        text = path.read_text()
        assert notebook_version(path)
        assert '# %% tags=["parameters"]' in text
        defaults, _ = _code_after_parameters(path)
        for name in ("register", "output_dir", "province", "period", "threshold"):
            assert name in defaults, (path.name, name)


def test_no_parameter_without_effect():
    """Issue 10: ``seed`` in 10/20/30/50 and ``register`` in 60 changed nothing. Every parameter
    is now read by the code after the parameters cell."""
    for path in notebook_paths():
        defaults, cells = _code_after_parameters(path)
        used = {node.id for cell in cells for node in ast.walk(ast.parse(cell))
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        unused = sorted(set(defaults) - used)
        assert not unused, (path.name, unused)


# Calls that write a file other than through analysis.publish (small cells unsuppressed).
_WRITERS = {"to_csv", "to_parquet", "to_excel", "to_json", "to_pickle", "to_file", "savefig",
            "write_text", "write_bytes", "dump", "save", "savez", "to_feather", "to_sql"}


def bypassing_writes(source: str) -> list[str]:
    """Lines of notebook code that write files without going through the publishing path."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _WRITERS:
            found.append(ast.unparse(node))
        elif name == "open":
            modes = list(node.args[1:2]) + [k.value for k in node.keywords if k.arg == "mode"]
            if any(isinstance(m, ast.Constant) and set(str(m.value)) & set("wax+") for m in modes):
                found.append(ast.unparse(node))
    return found


def test_the_scanner_finds_writes_that_bypass_publication():
    planted = ("frame.to_csv(out / 'x.csv')\nfig.savefig('m.png')\n"
               "open('t.txt', 'w').write('1')\n(out / 'e.json').write_text('{}')\n"
               "json.dump(d, fh)\nopen('read.txt').read()\nrun.table(frame, 'x')\n")
    assert len(bypassing_writes(planted)) == 5


def test_every_notebook_writes_only_through_the_publishing_path():
    """Issue 10: raw ``to_csv`` calls bypassed suppression; every file now goes through
    `analysis.publish` (``run.table``, ``run.figure``, ``run.json``, ``run.note``)."""
    for path in notebook_paths():
        _, cells = _code_after_parameters(path)
        for cell in cells:
            assert not bypassing_writes(cell), (path.name, bypassing_writes(cell))


# -- the run ----------------------------------------------------------------------------------
def test_the_readme_command_works_from_another_folder(results):
    """Defect 3: the kernel ran in notebooks/ and a relative --results path failed in cell 4,
    leaving empty *.running folders. Now every notebook has its results and nothing else."""
    runs = _runs(results)
    assert set(runs) == {p.stem for p in notebook_paths()}
    leftovers = [p for p in results.rglob("*") if p.name.endswith((".running", ".failed"))]
    assert not leftovers


def test_executed_notebooks_keep_their_figures(results):
    """Defect 4: no image output in any executed notebook or its HTML."""
    runs = _runs(results)
    for name in WITH_FIGURES:
        cells = json.loads((runs[name] / "notebook.ipynb").read_text())["cells"]
        images = [o for c in cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert images, name
        assert "data:image/png;base64" in (runs[name] / "notebook.html").read_text(), name


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifests_hash_every_input_and_output_and_list_every_parameter(results, national):
    """Defect 5: the data hash was over a data frame (nobody could check it), outputs were not
    hashed, defaults and package versions were missing."""
    import numpy

    runs = _runs(results)
    cache = national.parent / ".analysis-cache"
    files = {p.name: p for p in [national, *cache.glob("*.parquet"),
                                 *(national.parent / "communes" / "lists").glob("*.csv"),
                                 national.parent / "communes" / "truth.json"]}
    for name, run in runs.items():
        manifest = json.loads((run / "manifest.json").read_text())
        roles = {i["role"] for i in manifest["inputs"]}
        assert {"export"} <= roles and ("register" in roles or "source" in roles), name
        for item in manifest["inputs"]:  # what `sha256sum FILE` prints
            assert item["sha256"] == _sha(files[item["name"]]), (name, item["name"])
        for item in manifest["outputs"]:
            assert item["sha256"] == _sha(run / item["name"]), (name, item["name"])
        assert {"notebook.ipynb", "notebook.html"} <= {o["name"] for o in manifest["outputs"]}
        assert manifest["environment"]["packages"]["numpy"] == numpy.__version__
        assert manifest["parameters"]["threshold"] == 5 and "seed" in manifest["parameters"] \
            or name == "10_data_quality"
        assert str(national.parent) not in json.dumps(manifest), name
    hot = json.loads((runs["40_hotspots"] / "manifest.json").read_text())["parameters"]
    assert hot["permutations"] == 999 and hot["alpha"] == 0.05 and hot["seed"] == 1
    mse = json.loads((runs["60_mse"] / "manifest.json").read_text())
    assert mse["parameters"]["n_boot"] == 200 and mse["parameter_defaults"]["n_boot"] == 2000
    assert {"list", "truth", "register"} <= {i["role"] for i in mse["inputs"]}


def test_changed_lists_give_a_new_results_folder(national, tmp_path):
    """Defect 5: 100 rows deleted from a list changed the estimate, not the folder: a rerun
    silently overwrote the earlier result."""
    lists = tmp_path / "lists"
    lists.mkdir()
    for source in (national.parent / "communes" / "lists").glob("*.csv"):
        (lists / source.name).write_bytes(source.read_bytes())
    path = next(p for p in notebook_paths() if p.name.startswith("60_"))
    defaults, _ = _code_after_parameters(path)

    def folder() -> Path:
        inputs = [InputFile("register", national), *(InputFile("list", p)
                                                     for p in sorted(lists.glob("*.csv")))]
        return run_folder(path, tmp_path, inputs, defaults, defaults)

    before = folder()
    police = lists / "police.csv"
    lines = police.read_text().splitlines(keepends=True)
    assert len(lines) > 150
    police.write_text("".join(lines[:-100]))
    assert folder() != before


def test_data_stays_out_of_the_results(results, national):
    """Issue 9 item 9: the runner wrote a researcher export beside the published tables."""
    assert not [p for p in results.rglob("*") if p.suffix in (".parquet", ".db", ".sqlite")]
    cache = national.parent / ".analysis-cache"
    exports = list(cache.glob("export-*.parquet"))
    assert exports
    if os.name == "posix":
        assert exports[0].stat().st_mode & 0o777 == 0o600
        assert cache.stat().st_mode & 0o777 == 0o700


def test_published_files_have_no_warning_box_or_local_paths(results, national, work):
    """Defect 7: a red TqdmWarning box and absolute local paths in the published HTML."""
    local = [str(national.parent), str(work), sys.prefix, str(Path(__file__).resolve().parents[1])]
    checked = 0
    for path in results.rglob("*"):
        if path.suffix in (".html", ".ipynb", ".json"):
            text = path.read_text(encoding="utf-8")
            assert "TqdmWarning" not in text and "IProgress" not in text, path.name
            for folder in local:
                assert folder not in text, (path.relative_to(results), folder)
            checked += 1
    assert checked >= 20


def test_published_tables_have_no_small_cells(results):
    tables = list(results.glob("*/*/*.csv"))
    assert len(tables) >= 15
    checked = 0
    for table in tables:
        frame = pd.read_csv(table)
        for column in ("n", "cases", "journeys", "returns", "count", "observed"):
            if column in frame.columns:
                values = frame[column].dropna()
                assert not ((values > 0) & (values < 5)).any(), (table.name, column)
                checked += 1
    assert checked >= 8


def test_maps_are_drawn_nationally_by_province_district_and_commune(results):
    for name in ("map_forced_labour", "map_forced_labour_district", "map_forced_labour_commune"):
        assert list(results.glob(f"20_prevalence/*/{name}.png")), name
    assert list(results.glob("40_hotspots/*/hotspots_district_lisa.png"))
    assert list(results.glob("40_hotspots/*/hotspots_province_gi.png"))
    assert list(results.glob("50_trends/*/trends.png"))


def test_mse_notebook_puts_the_linkage_aware_interval_beside_the_headline(results):
    """Defect 1: the headline estimate missed the planted truth and its interval did not say so."""
    run = _runs(results)["60_mse"]
    estimate = json.loads((run / "estimate.json").read_text())
    profile = estimate["profile"]
    assert profile["observed"] > 0 and profile["ci_low"] <= profile["estimate"] <= profile["ci_high"]
    headline = pd.read_csv(run / "headline.csv")
    assert "linkage-aware (links resampled from their probabilities)" in set(headline["estimate"])
    assert any(headline["estimate"].str.startswith("planted by the synthetic generator"))
    notes = [i["text"] for i in json.loads((run / "report.json").read_text())
             if i["kind"] == "caveat"]
    caveat = next(n for n in notes if "linkage" in n)
    assert "links resampled from their match probabilities" in caveat
    assert "of the true links" in caveat and "planted" in caveat


def test_the_report_shows_figures_names_units_and_caveats(results):
    import pypdfium2 as pdfium

    report = next(results.glob("report/*/report.html"))
    page = report.read_text(encoding="utf-8")
    assert "synthetic-banner" in page and "SYNTHETIC DATA" in page
    assert page.count("data:image/png;base64") >= 8
    assert "Banteay Meanchey / បន្ទាយមានជ័យ (01)" in page  # names in English and Khmer
    assert "95% CI" in page and "%" in page
    assert "Cambodia, all provinces" in page
    assert "Key results" in page and "linkage-aware" in page and "Caveats" in page
    assert "import analysis" not in page and "notebook_setup" not in page  # no code
    pdf = pdfium.PdfDocument(str(report.with_suffix(".pdf")))
    assert len(pdf) >= 4
    assert "SYNTHETIC DATA" in pdf[0].get_textpage().get_text_range()
    pdf.close()


# -- selections from the command line ---------------------------------------------------------
def test_a_province_and_a_period_from_the_command_line(national, results, work, capsys):
    """Defect 6: --province 01 was refused; settings folders had opaque hashes; maps of a
    sub-period carried the full-period title."""
    code, out = _run_cli([str(national), "--results", "results", "--only", "20_",
                          "--province", "01", "--period", "2019:2022", *FAST], work, capsys)
    assert code == 0, out
    folder = next(p for p in (results / "20_prevalence").iterdir()
                  if "province-01_2019-2022" in p.name)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["parameters"]["province"] == "01"
    assert manifest["parameters"]["period"] == [2019, 2022]
    table = pd.read_csv(folder / "prevalence_forced_labour.csv", dtype={"district_code": str})
    assert table["district_code"].str.startswith("01").all()
    figures = [i["title"] for i in json.loads((folder / "report.json").read_text())
               if i["kind"] == "figure"]
    assert figures and all("departures 2019-" in t and "to 2022-" in t for t in figures)
    assert all("Banteay Meanchey" in t for t in figures)
    for bad, message in ((["--province", "99"], "not a province code"),
                         (["--period", "2022:2019"], "period must be FROM:TO"),
                         (["--param", "nonsense=1"], "no notebook takes")):
        code, out = _run_cli([str(national), "--results", "results", "--only", "20_", *bad],
                             work, capsys)
        assert code == 1 and message in out, out


def test_printed_outputs_show_no_number_for_a_suppressed_area(national, results, work, capsys):
    """What a notebook prints is published too: rows of suppressed areas carry no number."""
    # Pailin's districts have few returns: their rows must be printed blank.
    code, out = _run_cli([str(national), "--results", "results", "--only", "20_", "40_",
                          "--province", "24", *FAST], work, capsys)
    assert code == 0, out
    hidden: set[str] = set()
    for table in results.glob("*/*province-24*/*.csv"):
        frame = pd.read_csv(table, dtype=str)
        if "suppressed" in frame.columns and frame.columns[0] in (
                "province_code", "district_code", "commune_code", "register_commune"):
            hidden |= set(frame.loc[frame["suppressed"] == "True", frame.columns[0]])
    assert hidden, "expected some suppressed areas in a small synthetic register"
    checked = 0
    for notebook in results.glob("*/*province-24*/notebook.ipynb"):
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


def test_a_failing_notebook_names_its_cell_and_leaves_nothing_running(tmp_path):
    path = next(p for p in notebook_paths() if p.name.startswith("10_"))
    broken = tmp_path / "export-0.parquet"
    broken.write_bytes(b"not a parquet file")
    with pytest.raises(NotebookError, match=r"10_data_quality.py failed in cell \d+: "):
        run_notebook(path, tmp_path / "results", export=broken)
    runs = [p.name for p in (tmp_path / "results" / "10_data_quality").iterdir()]
    assert len(runs) == 1 and runs[0].endswith(".failed"), runs
    executed = (tmp_path / "results" / "10_data_quality" / runs[0] / "notebook.ipynb").read_text()
    assert str(tmp_path) not in executed  # the error is readable, without local paths


def test_the_cached_export_is_never_put_in_the_results(tmp_path):
    """Found by the attack campaign (bench/bench_attacks.py, item 9): with the results in the
    register's own folder the default cache (.analysis-cache beside the register) was inside
    them, and a --cache inside the results was taken as given: the export of individual journeys
    sat among the published files."""
    from analysis.export_cache import default_cache, inside
    from analysis.notebooks import run_notebooks

    db = tmp_path / "kh.db"
    register.init_register(db, commune="010201").close()
    assert not inside(default_cache(db, tmp_path), tmp_path)
    assert inside(default_cache(db, tmp_path / "elsewhere"), tmp_path)  # beside it otherwise
    with pytest.raises(NotebookError, match="inside the results"):
        run_notebooks(db, tmp_path / "results", cache=tmp_path / "results" / "cache",
                      report=False, echo=lambda _: None)
    assert not list((tmp_path / "results").rglob("*.parquet"))
