"""What the command line remembers for the clerk: the register file last used, and its language.

One small JSON file per user (``%APPDATA%\\commune-register\\config.json`` on Windows,
``$XDG_CONFIG_HOME/commune-register/config.json`` or ``~/.config/...`` elsewhere; the
environment variable ``REGISTER_CONFIG`` names another file, an empty value turns it off). It
holds no personal data: a path and a language code. When ``--db`` is not given, the register is
the only ``.db`` file of the current folder, else the one last used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CONFIG_ENV = "REGISTER_CONFIG"
APP_FOLDER = "commune-register"
KEEP = 20  # registers whose language is remembered


def config_path() -> Path | None:
    """The user's config file (None when turned off with an empty ``REGISTER_CONFIG``)."""
    given = os.environ.get(CONFIG_ENV)
    if given is not None:
        return Path(given) if given else None
    if os.name == "nt" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / APP_FOLDER / "config.json"


def load() -> dict[str, Any]:
    path = config_path()
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged config is forgotten, never an obstacle
    return data if isinstance(data, dict) else {}


def remember(db: Path, language: str | None) -> None:
    """Remember the register just used (and its language); never fails the command."""
    path = config_path()
    if path is None:
        return
    data = load()
    data["register"] = str(Path(db).resolve())
    languages = data.setdefault("languages", {})
    if language:
        languages.pop(data["register"], None)
        languages[data["register"]] = language
        for old in list(languages)[:-KEEP]:  # the registers used last
            del languages[old]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def default_register(folder: Path | None = None) -> Path | None:
    """The register to use when ``--db`` is not given: the only ``.db`` file in ``folder``
    (the current folder), else the one last used if it still exists."""
    folder = folder or Path.cwd()
    try:
        here = sorted(p for p in folder.glob("*.db") if p.is_file())
    except OSError:
        here = []
    if len(here) == 1:
        return here[0]
    last = load().get("register")
    if last and Path(last).is_file():
        return Path(last)
    return None


def language_of(db: Path | None) -> str | None:
    """The language remembered for a register file (without opening it)."""
    if db is None:
        return None
    value = load().get("languages", {}).get(str(Path(db).resolve()))
    return value if isinstance(value, str) else None
