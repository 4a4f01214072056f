"""Promises about the project itself: dependencies, packaging, start-up cost."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_spec(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(_name_spec(r) for r in extra)
    conda: dict[str, str] = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        item = re.match(r"^(?:  |      )- ([A-Za-z][^#]*)$", line)
        if item and item.group(1).strip() not in ("pip", "pip:"):
            name, spec = _name_spec(item.group(1))
            conda[name] = spec
    assert conda.pop("python") == ">=" + project["requires-python"].lstrip(">=")
    assert conda == wanted


def test_packages_resolve_inside_the_repository():
    # 'register' and 'analysis' are also names of unrelated old PyPI projects.
    import analysis
    import register

    for module in (register, analysis):
        assert Path(module.__file__).resolve().is_relative_to(ROOT)


def test_clerk_commands_do_not_import_heavy_libraries():
    code = ("import sys; import register.cli; import register; "
            "heavy = {'pandas', 'numpy', 'statsmodels', 'geopandas', 'duckdb', 'splink'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_analysis_facade_is_lazy_and_complete():
    import analysis

    code = "import sys, analysis, analysis.mse; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    for name in analysis.__all__:
        assert callable(getattr(analysis, name)), name


def test_worker_pools_never_fork(monkeypatch):
    """Forking a process that holds threads (pyarrow, BLAS, DuckDB) crashed workers at random
    (segfaults in the planted-truth fixture): every process pool must start its workers fresh."""
    import concurrent.futures

    from analysis.mse import _parallel

    assert _parallel._context().get_start_method() in ("forkserver", "spawn")
    seen = []

    class Spy(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args, mp_context=None, **kwargs):
            seen.append(mp_context.get_start_method() if mp_context else "fork")
            super().__init__(*args, mp_context=mp_context, **kwargs)

    import synthetic.write

    monkeypatch.setattr(synthetic.write, "ProcessPoolExecutor", Spy)
    with __import__("tempfile").TemporaryDirectory() as folder:
        synthetic.write.write_country(["01"], 3, folder, scale=0.001, workers=1)
    assert seen and all(method in ("forkserver", "spawn") for method in seen)
