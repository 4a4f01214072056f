#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11 (standard library only).

    python3.11 tasks.py demo    # set up .venv, build the demo register, run the notebooks on it
    python3.11 tasks.py test    # set up .venv with the test tools, run ruff and the test suite
    python3.11 tasks.py setup   # only set up .venv (add --lab for JupyterLab)

The virtual environment lives in ``.venv`` beside this file; dependencies come from
``pyproject.toml`` (the single source of truth) and are reinstalled only when it changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT)
    if check and code != 0:
        sys.exit(code)
    return code


def setup(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (this file runs before the venv exists)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(wanted)


def demo() -> int:
    setup("lab")
    return run(BIN / "register", "demo", "--out", ROOT / "demo", check=False)


def test(pytest_args: list[str]) -> int:
    setup("dev")
    run(BIN / "ruff", "check", ".")
    code = run(PYTHON, "-m", "pytest", *pytest_args, check=False)
    if code == 5:
        print("pytest collected no tests: that is a failure, not a pass.", flush=True)
        return 1
    return code


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
        setup("dev,lab" if "--lab" in rest else "dev")
        return 0
    print(f"unknown command {command!r}\n{__doc__}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
