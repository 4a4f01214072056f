"""The researcher export the notebooks read, kept outside the results.

`prepare_data` reads the export of a register once and keeps it as Parquet, named by its
content, in a cache folder readable by its owner only (0700, files 0600): the export holds
individual journeys, so it never goes into a results folder that is meant to be shared (issue 9
item 9). Runs on the same data find it there instead of exporting again.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["default_cache", "inside", "prepare_data"]


def _private(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.chmod(0o700 if path.is_dir() else 0o600)


def prepare_data(register: Path, cache: Path) -> tuple[Path, str, bool]:
    """Read the export once and keep it, as Parquet named by its content, in ``cache`` (outside
    the results; owner-only permissions). Returns (path, content digest, synthetic)."""
    from .data import data_hash, load_export

    frame = load_export(register)
    digest = data_hash(frame)
    cache.mkdir(parents=True, exist_ok=True)
    _private(cache)
    path = cache / f"export-{digest[:12]}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    _private(path)
    return path, digest, bool(frame.attrs.get("synthetic"))


def inside(folder: Path, results: Path) -> bool:
    """Is ``folder`` the results folder or in it (where nothing but published output goes)?"""
    folder, results = folder.resolve(), results.resolve()
    return folder == results or results in folder.parents


def default_cache(register: Path, results: Path | None = None) -> Path:
    """``.analysis-cache`` beside the register, or the user's cache folder when that one cannot
    be written or lies in the ``results`` folder (a register kept in the results folder)."""
    folder = register.parent / ".analysis-cache"
    if os.access(register.parent, os.W_OK) and not (results and inside(folder, results)):
        return folder
    base = os.environ.get("LOCALAPPDATA") or os.environ.get("XDG_CACHE_HOME") \
        or str(Path.home() / ".cache")
    return Path(base) / "commune-migration-register"
