#!/usr/bin/env python3
"""Set up, test and package the project with nothing but Python 3.11 (standard library only).

    python3.11 tasks.py demo     # set up .venv, build the demo register, run the notebooks on it
    python3.11 tasks.py test     # set up .venv with the test tools, run ruff and the test suite
    python3.11 tasks.py setup    # only set up .venv (add --lab for JupyterLab, notebooks open
                                 # as notebooks)
    python3.11 tasks.py lock     # write requirements-lock.txt: the exact versions in .venv
    python3.11 tasks.py wheels   # does every clerk dependency have a wheel for every platform?
    python3.11 tasks.py bundle --platform win_amd64|win32|manylinux|macos --out DIR
                                 # an offline installer folder for a USB stick

The virtual environment lives in ``.venv`` beside this file; dependencies come from
``pyproject.toml`` (the single source of truth) and are reinstalled only when it changes.

``lock`` options:   --out FILE  (default requirements-lock.txt). To reproduce a run exactly:
                    pip install -r requirements-lock.txt && pip install --no-deps -e .
``wheels`` options: --python 3.11,3.12,3.13  --platform win_amd64,win32,macos,manylinux
                    --extras link  (also check an extra; default: the clerk's install only)
                    --markdown FILE  (also write the table as Markdown)
``bundle`` options: --python 3.11 (the clerk's Python)  --extras link  (add an extra)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
DISTRIBUTION = "commune-migration-register"
# Packages that an older set-up installed and that must go before the new one is installed:
# sqlcipher3-binary and sqlcipher3-wheels both provide the `sqlcipher3` module.
REPLACED = ("sqlcipher3-binary",)
PYTHONS = ("3.11", "3.12", "3.13")
LOCK = ROOT / "requirements-lock.txt"
# JupyterLab reads labconfig/default_setting_overrides.json in every Jupyter configuration folder,
# the environment's own (<prefix>/etc/jupyter) included: `setup --lab` puts the project's there,
# so that the percent-format notebooks open as notebooks (jupytext's viewer), not as text.
LAB_CONFIG = ROOT / ".jupyter" / "labconfig" / "default_setting_overrides.json"


def run(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT)
    if check and code != 0:
        sys.exit(code)
    return code


# -- the virtual environment ------------------------------------------------------------------
def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (this file runs before the venv exists)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if PYTHON.exists():
        return
    print(f"Creating the virtual environment in {VENV} ...", flush=True)
    venv.EnvBuilder(with_pip=True).create(VENV)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "packaging")


def setup(extras: str) -> None:
    ensure_venv()
    stamp = VENV / f".installed-{extras.replace(',', '-') or 'base'}"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    _remove_replaced()
    target = f".[{extras}]" if extras else "."
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(wanted)


def _remove_replaced() -> None:
    """Uninstall packages the project no longer uses that clash with their replacement."""
    probe = ("import importlib.metadata as m, sys\n"
             "def has(n):\n    try:\n        m.version(n)\n        return True\n"
             "    except m.PackageNotFoundError:\n        return False\n"
             "print(' '.join(n for n in sys.argv[1:] if has(n)))")
    present = subprocess.run([str(PYTHON), "-c", probe, *REPLACED], capture_output=True,
                             text=True).stdout.split()
    if present:
        # Their files overlap with the replacement's: remove both, the install brings it back.
        run(PYTHON, "-m", "pip", "uninstall", "--yes", "--quiet", *present, "sqlcipher3-wheels")


def install_lab_config(prefix: Path = VENV) -> Path:
    """Merge the project's JupyterLab settings into ``prefix``'s Jupyter configuration."""
    target = prefix / "etc" / "jupyter" / "labconfig" / LAB_CONFIG.name
    target.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    for plugin, settings in json.loads(LAB_CONFIG.read_text(encoding="utf-8")).items():
        current = merged.setdefault(plugin, {})
        for key, value in settings.items():
            current[key] = {**current.get(key, {}), **value} if isinstance(value, dict) else value
    target.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
    return target


def lock(argv: list[str]) -> int:
    """Pin every package of .venv (``name==version``) for an exact reproduction."""
    options = _options(argv, {"--out": str(LOCK)})
    ensure_venv()
    frozen = subprocess.run([str(PYTHON), "-m", "pip", "freeze", "--exclude-editable"],
                            capture_output=True, text=True, check=True, cwd=ROOT).stdout
    own = canonical(DISTRIBUTION)
    pins = sorted((line.strip() for line in frozen.splitlines()
                   if "==" in line and canonical(line.split("==")[0]) != own),
                  key=lambda line: canonical(line.split("==")[0]))
    version = subprocess.run([str(PYTHON), "-c", "import platform; print(platform.python_version(), "
                              "platform.system(), platform.machine())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    stamps = sorted(VENV.glob(".installed-*"), key=lambda p: p.stat().st_mtime)
    extras = [stamps[-1].name.removeprefix(".installed-").replace("-", ",")] if stamps else []
    header = [
        "# Exact versions of every package of the environment the analysis ran in, made by",
        "# `python3.11 tasks.py lock` from .venv (set up with: " + (", ".join(extras) or "-")
        + f"; Python {version}).",
        "# Reproduce: pip install -r requirements-lock.txt && pip install --no-deps -e .",
        "# pyproject.toml stays the source of the ranges; the notebook manifests say whether the",
        "# packages of a run matched this file.",
    ]
    out = Path(options["--out"])
    out.write_text("\n".join(header + pins) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(pins)} packages)")
    return 0


def demo() -> int:
    setup("analysis,lab")
    install_lab_config()
    return run(BIN / "register", "demo", "--out", ROOT / "demo", check=False)


TYPED = ("register",)


def test(pytest_args: list[str]) -> int:
    setup("analysis,dev")
    run(BIN / "ruff", "check", ".")
    # The packages whose types are checked (the others join as they become clean).
    run(PYTHON, "-m", "mypy", *TYPED)
    code = run(PYTHON, "-m", "pytest", *pytest_args, check=False)
    if code == 5:
        print("pytest collected no tests: that is a failure, not a pass.", flush=True)
        return 1
    return code


# -- platforms --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A platform a clerk's laptop may have: the wheel tags pip may take, and its markers."""

    key: str
    tags: tuple[str, ...]  # --platform values; pip adds older macOS versions itself
    markers: dict[str, str] = field(hash=False)
    select: str  # the environment marker that tells this target from the others of its bundle


def _manylinux(arch: str, newest: int = 28) -> tuple[str, ...]:
    # pip does not expand manylinux_2_28 to older glibc tags: name them all (2_28 = Debian 10,
    # Ubuntu 20.04, RHEL 8 and newer; also the legacy aliases of 2_17, 2_12 and 2_5).
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(newest, 4, -1)]
    return (*tags, f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}")


def _markers(sys_platform: str, system: str, os_name: str, machine: str) -> dict[str, str]:
    return {"sys_platform": sys_platform, "platform_system": system, "os_name": os_name,
            "platform_machine": machine}


TARGETS = {t.key: t for t in (
    Target("win_amd64", ("win_amd64",), _markers("win32", "Windows", "nt", "AMD64"),
           'platform_machine == "AMD64"'),
    # A 32-bit Python reports the processor of the process ("x86") in platform_machine.
    Target("win32", ("win32",), _markers("win32", "Windows", "nt", "x86"),
           'platform_machine == "x86"'),
    # macOS 11 (Big Sur) is the first with arm64; 10.13 is the oldest the python.org installers
    # of Python 3.12 and 3.13 support on Intel Macs.
    Target("macos_arm64", ("macosx_11_0_arm64",), _markers("darwin", "Darwin", "posix", "arm64"),
           'platform_machine == "arm64"'),
    Target("macos_x86_64", ("macosx_10_13_x86_64",),
           _markers("darwin", "Darwin", "posix", "x86_64"), 'platform_machine == "x86_64"'),
    Target("manylinux", _manylinux("x86_64"), _markers("linux", "Linux", "posix", "x86_64"),
           'platform_machine == "x86_64"'),
)}
# What `bundle --platform` and `wheels --platform` accept: a macOS bundle serves both kinds of Mac.
PLATFORMS = {"win_amd64": ("win_amd64",), "win32": ("win32",), "manylinux": ("manylinux",),
             "macos": ("macos_arm64", "macos_x86_64")}


def marker_environment(target: Target, python: str) -> dict[str, str]:
    """Every PEP 508 marker variable, for ``target`` (none may come from the machine running this)."""
    return {"implementation_name": "cpython", "platform_python_implementation": "CPython",
            "implementation_version": f"{python}.0", "python_full_version": f"{python}.0",
            "python_version": python, "platform_release": "", "platform_version": "",
            **target.markers}


# -- resolving the dependency set for a platform ----------------------------------------------
def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Pin:
    name: str
    version: str
    filename: str
    sha256: str | None
    requires: list[str]

    @classmethod
    def from_report(cls, item: dict[str, Any]) -> Pin:
        info = item["download_info"]
        return cls(canonical(item["metadata"]["name"]), item["metadata"]["version"],
                   info["url"].rsplit("/", 1)[-1],
                   info.get("archive_info", {}).get("hashes", {}).get("sha256"),
                   list(item["metadata"].get("requires_dist") or []))

    @property
    def kind(self) -> str:
        """How the wheel is built: 'any' (pure Python), 'abi3' (one build for all Pythons) or 'cp'."""
        _, _, abi, plat = self.filename[:-len(".whl")].rsplit("-", 3)
        return "any" if plat == "any" else ("abi3" if abi == "abi3" else "cp")


class NoWheel(Exception):
    """pip found no wheel for a requirement on the target."""

    def __init__(self, requirement: str, detail: str) -> None:
        super().__init__(requirement)
        self.requirement, self.detail = requirement, detail


def project_requirements(extras: tuple[str, ...] = ()) -> list[str]:
    """The project's dependencies (and those of ``extras``), self-references expanded."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    wanted, todo, done = list(project["dependencies"]), list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in done:
            continue
        if extra not in optional:
            sys.exit(f"pyproject.toml has no extra {extra!r} (it has {', '.join(optional)})")
        done.add(extra)
        for requirement in optional[extra]:
            own = re.match(rf"{re.escape(DISTRIBUTION)}\[([^\]]+)\]$", requirement.strip())
            if own:
                todo.extend(e.strip() for e in own.group(1).split(","))
            elif requirement not in wanted:
                wanted.append(requirement)
    return wanted


def _pip_options(target: Target, python: str) -> list[str]:
    return ["--only-binary", ":all:", "--python-version", python, "--implementation", "cp",
            *(f"--platform={tag}" for tag in target.tags)]


def _pip(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True,
                          cwd=ROOT)


def pip_report(roots: list[str], target: Target, python: str, *,
               no_deps: bool = False) -> list[Pin]:
    """What pip would install for ``target``: an index query, metadata only (no wheel download)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        done = _pip(["install", "--dry-run", "--ignore-installed", "--quiet", "--report",
                     str(report), *(["--no-deps"] if no_deps else []),
                     *_pip_options(target, python), *roots])
        if done.returncode != 0:
            found = re.search(r"No matching distribution found for (\S+)", done.stderr)
            raise NoWheel(found.group(1) if found else " ".join(roots),
                          "\n".join(line for line in done.stderr.splitlines()
                                    if "ERROR" in line) or done.stderr[-2000:])
        return [Pin.from_report(item) for item in json.loads(report.read_text())["install"]]


def closure(requirements: list[str], pins: dict[str, Pin],
            environment: dict[str, str]) -> tuple[set[str], list[str]]:
    """The packages ``requirements`` need on the target, and the requirements not yet pinned.

    pip evaluates environment markers for the machine it runs on, even with ``--platform``
    (``pip download --platform win_amd64 click`` leaves out click's Windows-only colorama), so
    the markers are evaluated here, for the target.
    """
    try:
        from packaging.requirements import Requirement
    except ImportError:  # a bare venv: pip carries its own copy
        from pip._vendor.packaging.requirements import Requirement

    needed: set[str] = set()
    missing: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = [(Requirement(r), frozenset({""})) for r in requirements]
    while queue:
        requirement, extras = queue.pop()
        marker = requirement.marker
        if marker and not any(marker.evaluate({**environment, "extra": e}) for e in extras):
            continue
        name = canonical(requirement.name)
        pin = pins.get(name)
        if pin is None or not requirement.specifier.contains(pin.version, prereleases=True):
            bare = Requirement(str(requirement))
            bare.marker = None
            if str(bare) not in missing:
                missing.append(str(bare))
            continue
        needed.add(name)
        key = (name, frozenset(requirement.extras))
        if key not in seen:
            seen.add(key)
            wanted = frozenset({"", *requirement.extras})
            queue.extend((Requirement(r), wanted) for r in pin.requires)
    return needed, missing


def resolve(requirements: list[str], target: Target, python: str) -> dict[str, Pin]:
    """The pinned dependency set of ``requirements`` on ``target`` (wheels only)."""
    environment = marker_environment(target, python)
    roots = list(requirements)
    for _ in range(8):
        pins = {pin.name: pin for pin in pip_report(roots, target, python)}
        needed, missing = closure(requirements, pins, environment)
        if not missing:
            return {name: pins[name] for name in sorted(needed)}
        roots += [m for m in missing if m not in roots]
    raise NoWheel(", ".join(missing), "the dependency set did not settle in 8 rounds")


def missing_wheels(reference: dict[str, Pin], target: Target, python: str) -> list[str]:
    """Each package of ``reference`` (one by one, --no-deps) that has no wheel for ``target``."""
    missing = []
    for pin in reference.values():
        try:
            pip_report([pin.name], target, python, no_deps=True)
        except NoWheel:
            missing.append(pin.name)
    return missing


# -- tasks.py wheels --------------------------------------------------------------------------
def wheels(argv: list[str]) -> int:
    options = _options(argv, {"--python": ",".join(PYTHONS), "--platform": ",".join(PLATFORMS),
                              "--extras": "", "--markdown": ""})
    pythons = options["--python"].split(",")
    targets = [TARGETS[k] for p in options["--platform"].split(",") for k in _platform(p)]
    extras = tuple(e for e in options["--extras"].split(",") if e)
    requirements = project_requirements(extras)
    what = f"{DISTRIBUTION}[{','.join(extras)}]" if extras else f"{DISTRIBUTION} (default install)"
    print(f"Wheels for {what}: {len(requirements)} direct dependencies, "
          f"{len(targets)} platforms x Python {', '.join(pythons)}", flush=True)
    results: dict[tuple[str, str], dict[str, Pin] | list[str]] = {}
    for python in pythons:
        reference: dict[str, Pin] | None = None
        for target in targets:
            try:
                results[target.key, python] = resolve(requirements, target, python)
                print(f"  {target.key:13} Python {python}: "
                      f"{len(results[target.key, python])} packages, all as wheels", flush=True)
            except NoWheel as exc:
                if reference is None:
                    reference = resolve(requirements, TARGETS["manylinux"], python)
                absent = missing_wheels(reference, target, python) or [exc.requirement]
                results[target.key, python] = absent
                print(f"  {target.key:13} Python {python}: NO WHEEL for {', '.join(absent)}"
                      f"\n{_indent(exc.detail)}", flush=True)
    table = _table(results, targets, pythons)
    print("\n" + table)
    if options["--markdown"]:
        Path(options["--markdown"]).write_text(table + "\n", encoding="utf-8")
    failed = sorted({f"{t} Python {p}: {', '.join(r)}" for (t, p), r in results.items()
                     if isinstance(r, list)})
    if failed:
        print("Missing wheels (a clerk on these platforms could not install):\n  "
              + "\n  ".join(failed))
        return 1
    print(f"Every dependency has a wheel for every platform ({len(results)} checked).")
    return 0


def _table(results: dict[tuple[str, str], Any], targets: list[Target], pythons: list[str]) -> str:
    """Markdown: a row per package, a column per platform; a cell says how its wheels are built."""
    names = sorted({n for r in results.values() if isinstance(r, dict) for n in r}
                   | {n for r in results.values() if isinstance(r, list) for n in r})
    lines = ["| package | " + " | ".join(t.key for t in targets) + " |",
             "|---|" + "---|" * len(targets)]
    for name in names:
        cells = []
        for target in targets:
            kinds, versions, absent = set(), set(), []
            for python in pythons:
                result = results[target.key, python]
                if isinstance(result, list):
                    if name in result:
                        absent.append(python)
                elif name in result:
                    kinds.add(result[name].kind)
                    versions.add(result[name].version)
            cell = "/".join(sorted(kinds)) + " " + "/".join(sorted(versions)) if kinds else "-"
            cells.append(f"MISSING {','.join(absent)}" if absent else cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("\nany = pure Python (py3-none-any); abi3 = one build for every Python 3; "
                 "cp = a build per Python version; - = not needed on that platform.")
    return "\n".join(lines)


# -- tasks.py bundle --------------------------------------------------------------------------
def bundle(argv: list[str]) -> int:
    options = _options(argv, {"--platform": "", "--out": "", "--python": PYTHONS[0],
                              "--extras": ""})
    if not options["--platform"] or not options["--out"]:
        sys.exit("bundle needs --platform (win_amd64, win32, manylinux or macos) and --out DIR")
    platform, python = options["--platform"], options["--python"]
    targets = [TARGETS[k] for k in _platform(platform)]
    extras = tuple(e for e in options["--extras"].split(",") if e)
    out = Path(options["--out"]).resolve()
    if out.exists() and any(out.iterdir()):
        sys.exit(f"{out} is not empty: give a new or empty folder")
    folder = out / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"Building the wheel of {DISTRIBUTION} ...", flush=True)
    leftover = not (ROOT / "build").exists()  # setuptools builds in the source tree
    built = _pip(["wheel", "--no-deps", "--quiet", "--wheel-dir", str(folder), str(ROOT)])
    if leftover:
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    if built.returncode != 0:
        sys.exit(built.stderr)
    own = next(folder.glob(canonical(DISTRIBUTION).replace("-", "_") + "-*.whl"))
    version = own.name.split("-")[1]
    requirements = project_requirements(extras)
    needs: dict[tuple[str, str], set[str]] = {}
    for target in targets:
        print(f"Resolving for {target.key}, Python {python} ...", flush=True)
        try:
            pins = resolve(requirements, target, python)
        except NoWheel as exc:
            sys.exit(f"no wheel for {exc.requirement} on {target.key} (Python {python}):\n"
                     f"{exc.detail}")
        done = _pip(["download", "--no-deps", "--quiet", "--dest", str(folder),
                     *_pip_options(target, python),
                     *(f"{p.name}=={p.version}" for p in pins.values())])
        if done.returncode != 0:
            sys.exit(done.stderr)
        for pin in pins.values():
            needs.setdefault((pin.name, pin.version), set()).add(target.key)
    lines = [_requirement(f"{DISTRIBUTION}[{','.join(extras)}]" if extras else DISTRIBUTION,
                          version, [own], "")]
    for (name, pinned), keys in sorted(needs.items()):
        files = _wheel_files(folder, name, pinned)
        select = "" if len(keys) == len(targets) else " or ".join(
            TARGETS[k].select for k in sorted(keys))
        lines.append(_requirement(name, pinned, files, select))
    windows = platform.startswith("win")
    _write(out / "requirements.txt", "\n".join(lines) + "\n", windows)
    script = _install_script(platform, python)
    _write(out / ("install.bat" if windows else "install.sh"), script, windows)
    if not windows:
        (out / "install.sh").chmod(0o755)
    count = len(list(folder.glob("*.whl")))
    size = sum(f.stat().st_size for f in folder.glob("*.whl"))
    _write(out / "README.txt", _readme(platform, python, count, extras), windows, bom=windows)
    print(f"Bundle for {platform} (Python {python}) in {out}: {count} wheels, "
          f"{size / 1e6:.1f} MB")
    return 0


def _wheel_files(folder: Path, name: str, version: str) -> list[Path]:
    stem = canonical(name).replace("-", "_")
    files = [f for f in folder.glob("*.whl")
             if canonical(f.name.split("-")[0]).replace("-", "_") == stem
             and f.name.split("-")[1] == version]
    if not files:
        sys.exit(f"the download of {name} {version} is missing from {folder}")
    return files


def _requirement(name: str, version: str, files: list[Path], select: str) -> str:
    hashes = " ".join(f"--hash=sha256:{hashlib.sha256(f.read_bytes()).hexdigest()}"
                      for f in sorted(files))
    return f"{name}=={version}{' ; ' + select if select else ''} {hashes}"


def _write(path: Path, text: str, windows: bool, bom: bool = False) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8",
                   newline="\r\n" if windows else "\n") as fh:
        fh.write(text)


def _install_script(platform: str, python: str) -> str:
    pip = ("-m pip install --no-index --find-links {wheels} --require-hashes "
           "-r {requirements}")
    if platform.startswith("win"):
        bits = "32" if platform == "win32" else "64"
        return (
            "@echo off\n"
            "rem Installs the commune migration register from this folder, with no internet.\n"
            "rem Usage: install.bat [FOLDER]   (default: %LOCALAPPDATA%\\commune-register)\n"
            "setlocal\n"
            'set "TARGET=%~1"\n'
            'if "%TARGET%"=="" set "TARGET=%LOCALAPPDATA%\\commune-register"\n'
            f'py -{python}-{bits} -m venv "%TARGET%" && "%TARGET%\\Scripts\\python.exe" '
            + pip.format(wheels='"%~dp0wheels"', requirements='"%~dp0requirements.txt"')
            + ' && echo Installed. Run: "%TARGET%\\Scripts\\register.exe" --help\n')
    return (
        "#!/bin/sh\n"
        "# Installs the commune migration register from this folder, with no internet.\n"
        "# Usage: sh install.sh [FOLDER]   (default: $HOME/commune-register)\n"
        'set -e; here=$(cd "$(dirname "$0")" && pwd); target=${1:-"$HOME/commune-register"}\n'
        f'python{python} -m venv "$target" && "$target/bin/python" '
        + pip.format(wheels='"$here/wheels"', requirements='"$here/requirements.txt"')
        + ' && echo "Installed. Run: $target/bin/register --help"\n')


README_EN = """\
Commune migration register: offline installer for {kind}, Python {python}{added}

1. The laptop needs Python {python}. If it does not have it, {first}
   This folder cannot hold Python itself: copy its installer onto the USB stick too.
2. {install}
   No internet is needed; it takes about a minute. The program goes into
   {home} (or into the folder given as the first argument).
3. Then, in a {shell}, run:
       {run}
   For messages in Khmer:
       {run_km}
{console}
The folder "wheels" holds the program and every package it needs ({count} files); requirements.txt
holds their SHA-256 fingerprints, so the install stops if a file was damaged on the USB stick.
Installing again from a newer folder updates the program; registers (.db files) are never touched.
"""
README_KM = """\
បញ្ជីចំណាកស្រុករបស់ឃុំ៖ កម្មវិធីដំឡើងដោយគ្មានអ៊ីនធឺណិត សម្រាប់ {kind}, Python {python}

១. កុំព្យូទ័រត្រូវមាន Python {python}។ បើមិនទាន់មាន សូមដំឡើងវាជាមុនសិន។
   ថតនេះមិនអាចផ្ទុក Python ខ្លួនឯងបានទេ៖ សូមចម្លងកម្មវិធីដំឡើង Python ទៅក្នុង USB ផងដែរ។
២. {install}
   មិនត្រូវការអ៊ីនធឺណិតទេ ហើយចំណាយពេលប្រហែលមួយនាទី។
៣. បន្ទាប់មក សូមវាយ៖
       {run_km}
{console}
ឯកសារ requirements.txt មានស្នាមម្រាមដៃ SHA-256 នៃឯកសារនីមួយៗ៖
ការដំឡើងនឹងឈប់ ប្រសិនបើឯកសារណាមួយខូចនៅក្នុង USB។
ការដំឡើងម្ដងទៀតពីថតថ្មី ធ្វើបច្ចុប្បន្នភាពកម្មវិធី ហើយមិនប៉ះពាល់ដល់បញ្ជី (ឯកសារ .db) ទេ។
(ការបកប្រែនេះ ត្រូវការការពិនិត្យដោយអ្នកនិយាយភាសាខ្មែរ។)
"""
KINDS = {"win_amd64": "Windows 64-bit", "win32": "Windows 32-bit",
         "macos": "macOS (Apple silicon, Intel)", "manylinux": "Linux x86_64"}


def _readme(platform: str, python: str, count: int, extras: tuple[str, ...]) -> str:
    windows = platform.startswith("win")
    if windows:
        bits = "32" if platform == "win32" else "64"
        register = "%LOCALAPPDATA%\\commune-register\\Scripts\\register"
        values = {
            "first": f"first run the python.org installer of Python {python} ({bits}-bit)\n"
                     "   and tick \"Add python.exe to PATH\".",
            "install": "Double-click install.bat (or run it in a Command Prompt).",
            "home": "%LOCALAPPDATA%\\commune-register",
            "shell": "Command Prompt",
            "console": "   If Khmer letters show as boxes, the console font has no Khmer: use "
                       "Windows Terminal\n   (part of Windows 11), or messages in English.\n"}
        km = {"install": "ចុចពីរដងលើ install.bat។",
              "console": "   បើអក្សរខ្មែរបង្ហាញជាប្រអប់ៗ ពុម្ពអក្សរនៃ console គ្មានអក្សរខ្មែរទេ៖\n"
                         "   សូមប្រើ Windows Terminal ឬសារជាភាសាអង់គ្លេស។\n"}
    else:
        register = "~/commune-register/bin/register"
        values = {
            "first": (f"first run the python.org installer of Python {python}." if platform == "macos"
                      else f"first install the packages python{python} and python{python}-venv."),
            "install": "In a terminal, run:  sh install.sh", "home": "~/commune-register",
            "shell": "terminal", "console": ""}
        km = {"install": "នៅក្នុង terminal សូមវាយ៖  sh install.sh", "console": ""}
    common = {"kind": KINDS[platform], "python": python, "count": count,
              "run": f"{register} --help", "run_km": f"{register} --lang km --help",
              "added": f", with: {', '.join(extras)}" if extras else ""}
    return (README_EN.format(**common, **values) + "\n" + "-" * 79 + "\n"
            + README_KM.format(**common, **km))


# -- command line -----------------------------------------------------------------------------
def _platform(name: str) -> tuple[str, ...]:
    if name in PLATFORMS:
        return PLATFORMS[name]
    if name in TARGETS:
        return (name,)
    sys.exit(f"unknown platform {name!r}: use one of {', '.join([*PLATFORMS, *TARGETS])}")


def _options(argv: list[str], defaults: dict[str, str]) -> dict[str, str]:
    options = dict(defaults)
    args = iter(argv)
    for arg in args:
        name, _, value = arg.partition("=")
        if name not in options:
            sys.exit(f"unknown option {name!r}; options: {', '.join(options)}")
        options[name] = value or next(args, "")
    return options


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines()[-6:])


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return demo()
    if command == "test":
        return test(rest or ["-q"])
    if command == "setup":
        lab = "--lab" in rest
        setup("analysis,dev,lab" if lab else "analysis,dev")
        if lab:
            print(f"JupyterLab opens the notebooks as notebooks ({install_lab_config()}); "
                  "start it with .venv/bin/jupyter lab")
        return 0
    if command == "lock":
        return lock(rest)
    if command in ("wheels", "bundle"):
        if not _in_venv():  # they need a recent pip and `packaging`: the venv has both
            ensure_venv()
            return subprocess.call([str(PYTHON), str(Path(__file__).resolve()), *argv])
        return wheels(rest) if command == "wheels" else bundle(rest)
    print(f"unknown command {command!r}\n{__doc__}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
