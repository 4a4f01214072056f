"""What a notebook run records so that anyone can check and repeat it: ``manifest.json``.

* every input file (the register, the researcher export the notebook read, the victim lists,
  the synthetic truth) with its SHA-256 — the same digest ``sha256sum FILE`` prints;
* every output file with its SHA-256;
* every parameter value, the notebook's defaults included (seed, threshold, alpha,
  permutations, replicates ...);
* the code version, Python, the platform and the version of every installed package, and
  whether they match the project's lock file (``requirements-lock.txt``, made by
  ``python3.11 tasks.py lock``).

No absolute local path is written: files are named, and identified by their digests.
"""

from __future__ import annotations

import ast
import hashlib
import platform
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["InputFile", "code_version", "environment", "file_sha256", "inputs_digest",
           "notebook_defaults", "outputs_of"]

_CHUNK = 1 << 20
LOCK_FILE = "requirements-lock.txt"


@lru_cache(maxsize=256)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (remembered while the file's size and time stay the same)."""
    stat = Path(path).stat()
    return _sha256_cached(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class InputFile:
    """One file a notebook read: its role, its name (no folder), its size and digest."""

    role: str
    path: Path

    def record(self) -> dict[str, Any]:
        return {"role": self.role, "name": self.path.name, "bytes": self.path.stat().st_size,
                "sha256": file_sha256(self.path)}


def inputs_digest(inputs: Iterable[InputFile]) -> str:
    """One digest over every input (role, name and content): a changed list, register or
    export gives another digest, hence another results folder."""
    lines = sorted(f"{i.role}\t{i.path.name}\t{file_sha256(i.path)}" for i in inputs)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def outputs_of(folder: Path) -> list[dict[str, Any]]:
    """Name, size and SHA-256 of every file of a run folder (the manifest itself excepted)."""
    return [{"name": p.name, "bytes": p.stat().st_size, "sha256": file_sha256(p)}
            for p in sorted(folder.iterdir()) if p.is_file() and p.name != "manifest.json"]


def notebook_defaults(source: str) -> dict[str, Any]:
    """The values assigned in a notebook's parameters cell (the text of the cell)."""
    defaults: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            try:
                defaults[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                defaults[node.targets[0].id] = ast.unparse(node.value)
    return defaults


@lru_cache(maxsize=1)
def code_version() -> str:
    """The package version and, in a git checkout, the commit (with '-dirty' when modified);
    read once per process."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = version("commune-migration-register")
    except PackageNotFoundError:
        base = "0"
    root = Path(__file__).resolve().parents[1]
    commit = dirty = ""
    if (root / ".git").exists():
        try:
            commit = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=root,
                                    capture_output=True, text=True, timeout=10).stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                   cwd=root, capture_output=True, text=True,
                                   timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            commit, dirty = "", ""
    return base + (f"+{commit}" if commit else "") + ("-dirty" if dirty and commit else "")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages() -> dict[str, str]:
    """Every installed distribution and its version (canonical names, sorted)."""
    from importlib.metadata import distributions

    found: dict[str, str] = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name:
            found[_canonical(name)] = dist.version
    return dict(sorted(found.items()))


def read_lock(path: Path) -> dict[str, str]:
    """``name==version`` lines of a lock file (comments and options ignored)."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[_canonical(name.split("[")[0])] = version.split(";")[0].strip()
    return pins


def environment(packages: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Python, platform, package versions and how they compare with the lock file."""
    packages = dict(packages or installed_packages())
    env: dict[str, Any] = {"python": platform.python_version(),
                           "implementation": sys.implementation.name,
                           "platform": platform.platform(terse=True),
                           "packages": packages}
    lock = Path(__file__).resolve().parents[1] / LOCK_FILE
    if lock.is_file():
        pins = read_lock(lock)
        own = _canonical("commune-migration-register")
        differ = {name: {"locked": pinned, "installed": packages.get(name)}
                  for name, pinned in pins.items()
                  if name != own and packages.get(name) != pinned}
        env["lock_file"] = {"name": LOCK_FILE, "sha256": file_sha256(lock),
                            "matches": not differ, "differences": differ}
    return env
