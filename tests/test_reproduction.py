"""What a researcher needs to repeat a run and to work on the notebooks: the lock file
(``tasks.py lock``), JupyterLab opening the notebooks as notebooks (``tasks.py setup --lab``),
and the notebooks inside an installed package (issue 10 item 6, issue 14 items 4 and 6)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from analysis.manifest import installed_packages, read_lock

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tasks():
    spec = importlib.util.spec_from_file_location("tasks_for_reproduction", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_tasks_lock_pins_every_package_of_the_environment(tmp_path):
    out = tmp_path / "lock.txt"
    done = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "lock", "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pins = read_lock(out)
    installed = installed_packages()
    assert pins["pandas"] == installed["pandas"] and pins["numpy"] == installed["numpy"]
    assert "commune-migration-register" not in pins  # the project itself is installed from source
    assert all(installed.get(name) == version for name, version in pins.items())
    assert out.read_text().startswith("# Exact versions")


def test_the_committed_lock_pins_every_direct_dependency():
    pins = read_lock(ROOT / "requirements-lock.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in ("link", "analysis", "lab", "dev"):
        wanted += project["optional-dependencies"][extra]
    names = {r.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
             for r in wanted if not r.startswith(project["name"])}
    missing = sorted(n for n in names if n.replace("_", "-") not in pins)
    assert not missing


def test_setup_lab_installs_the_jupytext_viewer_setting(tasks, tmp_path):
    prefix = tmp_path / "venv"
    target = prefix / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "dark"}}))
    assert tasks.install_lab_config(prefix) == target
    settings = json.loads(target.read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "dark"}  # kept


def test_jupyterlab_reads_the_setting_from_the_environment(tasks, tmp_path):
    """JupyterLab (jupyterlab_server) layers labconfig/default_setting_overrides.json from every
    Jupyter configuration folder; the environment's own (<prefix>/etc/jupyter) is one of them."""
    pytest.importorskip("jupyterlab_server", reason="the lab extra is not installed")
    from jupyter_core.paths import ENV_CONFIG_PATH

    assert str(Path(sys.prefix) / "etc" / "jupyter") in ENV_CONFIG_PATH
    tasks.install_lab_config(tmp_path)
    code = ("from jupyterlab_server.settings_utils import _get_overrides; import json; "
            "print(json.dumps(_get_overrides('none')[0]))")
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(tmp_path / "etc" / "jupyter"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "user")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True)
    overrides = json.loads(done.stdout)
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"] \
        == "Jupytext Notebook"
    # the viewer of that name is jupytext's JupyterLab extension, installed with jupytext
    extension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-jupytext"
    assert any("Jupytext Notebook" in p.read_text(errors="ignore")
               for p in extension.rglob("*.js"))


def _installed_copy(tmp_path: Path, with_notebooks: bool) -> Path:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "analysis", site / "analysis",
                    ignore=shutil.ignore_patterns("__pycache__", "data"))
    if with_notebooks:  # what setup.py's build step puts in the wheel
        (site / "analysis" / "_notebooks").mkdir()
        for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"):
            shutil.copy2(path, site / "analysis" / "_notebooks" / path.name)
    return site


def _notebooks_seen_from(site: Path) -> subprocess.CompletedProcess[str]:
    code = ("import analysis, analysis.notebooks as n; print(analysis.__file__); "
            "print(n.notebook_dir()); print(len(n.notebook_paths()))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=site.parent)


def test_an_installed_package_runs_the_notebooks_it_ships(tmp_path):
    """Issue 10: analysis/notebooks.py read notebooks/ beside the package, which a
    non-editable install does not have."""
    site = _installed_copy(tmp_path, with_notebooks=True)
    done = _notebooks_seen_from(site)
    assert done.returncode == 0, done.stderr
    package, folder, count = done.stdout.split()
    assert Path(package).is_relative_to(site)
    assert Path(folder) == site / "analysis" / "_notebooks" and count == "6"


def test_an_install_without_its_notebooks_says_so(tmp_path):
    site = _installed_copy(tmp_path, with_notebooks=False)
    done = _notebooks_seen_from(site)
    assert done.returncode != 0 and "notebooks are missing" in done.stderr


@pytest.mark.install
def test_the_wheel_carries_the_notebooks(tmp_path):
    """Built as pip builds it (setup.py copies notebooks/ into analysis/_notebooks/)."""
    leftover = not (ROOT / "build").exists()
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                               "--wheel-dir", str(tmp_path), str(ROOT)],
                              capture_output=True, text=True)
    finally:
        if leftover:
            shutil.rmtree(ROOT / "build", ignore_errors=True)
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"):
        assert f"analysis/_notebooks/{path.name}" in names
