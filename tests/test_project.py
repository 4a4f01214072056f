"""Promises about the project itself: dependencies, packaging, start-up cost, layering."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# The research stack: none of it in the clerk's (default) install.
RESEARCH = {"numpy", "pandas", "scipy", "statsmodels", "geopandas", "pyogrio", "matplotlib",
            "libpysal", "esda", "mapclassify", "splink", "duckdb", "pyarrow", "jupytext",
            "papermill", "nbclient", "nbconvert", "ipykernel", "jupyterlab", "notebook"}


def _name_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _own(requirement: str) -> bool:
    """An extra that includes another extra of this project: commune-migration-register[link]."""
    return requirement.startswith(PROJECT["name"] + "[")


@pytest.fixture(scope="module")
def tasks():
    """tasks.py as a module (it is a script beside the packages, not one of them)."""
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_environment_yml_mirrors_pyproject():
    wanted = dict(_name_spec(r) for r in PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        for requirement in extra:
            if not _own(requirement):
                name, spec = _name_spec(requirement)
                assert wanted.setdefault(name, spec) == spec, f"{name} has two specifiers"
    conda: dict[str, str] = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        item = re.match(r"^(?:  |      )- ([A-Za-z][^#]*)$", line)
        if item and item.group(1).strip() not in ("pip", "pip:"):
            name, spec = _name_spec(item.group(1))
            conda[name] = spec
    assert conda.pop("python") == ">=" + PROJECT["requires-python"].lstrip(">=")
    assert conda == wanted


def test_the_default_install_is_the_clerks_register(tasks):
    default = {_name_spec(r)[0] for r in PROJECT["dependencies"]}
    assert not default & RESEARCH
    assert {"sqlite-utils", "typer", "openpyxl", "sqlcipher3-wheels", "fpdf2"} <= default
    # sqlcipher3-binary publishes no Windows wheel (issue 12); both provide `sqlcipher3`.
    assert "sqlcipher3-binary" not in default
    research = {_name_spec(r)[0] for r in tasks.project_requirements(("analysis",))}
    assert {"numpy", "pandas", "statsmodels", "geopandas", "splink", "papermill"} <= research


def test_every_extra_the_program_checks_brings_its_modules(tasks):
    from register import extras

    for extra, modules in extras.EXTRA_MODULES.items():
        assert extra in PROJECT["optional-dependencies"], extra
        names = {_name_spec(r)[0] for r in tasks.project_requirements((extra,))}
        assert set(modules) <= names, (extra, set(modules) - names)
    commands = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert set(commands[extras.COMMAND_GROUP]) == set(extras.COMMAND_EXTRAS)
    assert set(extras.COMMAND_EXTRAS.values()) <= set(extras.EXTRA_MODULES)


def test_tasks_py_needs_only_the_standard_library():
    """It runs before the virtual environment exists."""
    tree = ast.parse((ROOT / "tasks.py").read_text())
    top = set()
    for node in tree.body:  # imports inside functions run in the venv (packaging)
        if isinstance(node, ast.Import):
            top |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            top.add(node.module.split(".")[0])
    assert top - {"__future__"} <= set(sys.stdlib_module_names)


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


# -- tasks.py: resolving for a platform other than this one ------------------------------------
def _pin(tasks, name: str, version: str, *requires: str, filename: str = ""):
    return tasks.Pin(name, version, filename or f"{name}-{version}-py3-none-any.whl", None,
                     list(requires))


def test_windows_only_dependencies_are_found_from_linux(tasks):
    """pip evaluates markers for the machine it runs on, even with --platform: from Linux it
    leaves out click's colorama, and a Windows bundle would not install."""
    pins = {p.name: p for p in (
        _pin(tasks, "typer", "0.29.2", "click>=8", 'colorama; platform_system == "Windows"'),
        _pin(tasks, "click", "8.5.1"))}
    for key, python in (("win_amd64", "3.11"), ("win32", "3.13")):
        env = tasks.marker_environment(tasks.TARGETS[key], python)
        assert tasks.closure(["typer>=0.16"], pins, env) == ({"typer", "click"}, ["colorama"])
    for key in ("manylinux", "macos_arm64"):
        env = tasks.marker_environment(tasks.TARGETS[key], "3.11")
        assert tasks.closure(["typer>=0.16"], pins, env) == ({"typer", "click"}, [])


def test_markers_are_read_for_the_target_python_and_extras(tasks):
    pins = {p.name: p for p in (
        _pin(tasks, "a", "1.0", 'backport>=2; python_version < "3.12"',
             'fast; extra == "speed"', "b[x]"),
        _pin(tasks, "b", "1.0", 'c; extra == "x"', 'd; extra == "y"'),
        _pin(tasks, "backport", "1.5"), _pin(tasks, "c", "1.0"), _pin(tasks, "fast", "1.0"))}
    old = tasks.marker_environment(tasks.TARGETS["manylinux"], "3.11")
    new = tasks.marker_environment(tasks.TARGETS["manylinux"], "3.13")
    # backport is pinned at 1.5 where >=2 is needed: asked for again, with its specifier
    assert tasks.closure(["a"], pins, old) == ({"a", "b", "c"}, ["backport>=2"])
    assert tasks.closure(["a[speed]"], pins, new) == ({"a", "b", "c", "fast"}, [])


def test_project_requirements_expand_the_projects_own_extras(tasks):
    base = tasks.project_requirements()
    assert base == PROJECT["dependencies"]
    analysis = tasks.project_requirements(("analysis",))
    assert set(PROJECT["optional-dependencies"]["link"]) <= set(analysis)
    assert not [r for r in analysis if _own(r)]


def test_a_bundle_for_two_kinds_of_mac_marks_what_only_one_needs(tasks, tmp_path):
    wheel = tmp_path / "x-1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel")
    digest = __import__("hashlib").sha256(b"wheel").hexdigest()
    line = tasks._requirement("x", "1.0", [wheel], tasks.TARGETS["macos_arm64"].select)
    assert line == f'x==1.0 ; platform_machine == "arm64" --hash=sha256:{digest}'
    assert tasks._requirement("x", "1.0", [wheel], "") == f"x==1.0 --hash=sha256:{digest}"
    assert tasks.PLATFORMS["macos"] == ("macos_arm64", "macos_x86_64")


def test_wheel_kinds(tasks):
    kinds = {f: _pin(tasks, "p", "1", filename=f).kind for f in (
        "rich-15.0.0-py3-none-any.whl", "uharfbuzz-0.57.0-cp311-abi3-win32.whl",
        "pillow-13.0.0-cp313-cp313-win_amd64.whl")}
    assert list(kinds.values()) == ["any", "abi3", "cp"]
