"""The optional parts of the program (pip "extras"), and a clear message when one is missing.

The default install is the clerk's register. The rest is optional:

* ``link``: record linkage when registers are merged (Splink, DuckDB, pandas);
  ``register merge --no-link`` works without it;
* ``analysis``: the researcher's stack; the research-only commands (``synth``, ``demo``) need it.

A command that needs an extra calls :func:`require` (or :func:`load_command` for a research-only
command) before it imports anything from it; a missing extra raises :class:`MissingExtraError`,
which the CLI shows as one line naming the extra and how to install it. Nothing heavy is
imported here: the check only looks the modules up.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .errors import RegisterError
from .i18n import t

DISTRIBUTION = "commune-migration-register"
# The entry point group through which the research-only commands find their implementation
# (declared in pyproject.toml, [project.entry-points."commune_register.commands"]).
COMMAND_GROUP = "commune_register.commands"

# The modules the program imports from each extra (tests/test_project.py checks that each extra
# exists in pyproject.toml and brings these modules).
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "link": ("splink", "duckdb", "pandas", "numpy"),
    "analysis": ("numpy", "pandas", "scipy", "statsmodels", "geopandas", "libpysal", "esda",
                 "matplotlib", "splink", "duckdb", "jupytext", "papermill", "nbclient"),
}
# Research-only commands of the CLI, and the extra their implementation needs.
COMMAND_EXTRAS: dict[str, str] = {"synth": "analysis", "demo": "analysis"}
# A sentence added to the message of a missing extra: what the clerk can do without it.
_HINTS = {"link": "extras.hint_link"}
_OWN_PACKAGES = ("register", "analysis", "synthetic")


class MissingExtraError(RegisterError):
    """An optional part of the program is needed and not installed."""

    def __init__(self, extra: str, missing: Iterable[str]) -> None:
        self.extra = extra
        self.missing = tuple(missing)
        message = t("extras.missing", extra=extra, modules=", ".join(self.missing),
                    command=install_command(extra))
        if extra in _HINTS:
            message += " " + t(_HINTS[extra])
        super().__init__(message)


def install_command(extra: str) -> str:
    """The command that adds ``extra`` to an installed register (with internet)."""
    return f'pip install "{DISTRIBUTION}[{extra}]"'


def importable(module: str) -> bool:
    """Whether ``module`` (a top-level name) can be imported, without importing it."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing_modules(extra: str, modules: Iterable[str] | None = None) -> list[str]:
    """The modules of ``extra`` (or the given ones) that cannot be imported."""
    wanted = EXTRA_MODULES[extra] if modules is None else tuple(modules)
    return [m for m in wanted if not importable(m)]


def has(extra: str) -> bool:
    return not missing_modules(extra)


def require(extra: str, modules: Iterable[str] | None = None) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` can be imported.

    ``modules`` narrows the check to what the caller imports (default: all of the extra's).
    """
    if extra not in EXTRA_MODULES:
        raise ValueError(f"unknown extra {extra!r}; known: {', '.join(EXTRA_MODULES)}")
    missing = missing_modules(extra, modules)
    if missing:
        raise MissingExtraError(extra, missing)


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=COMMAND_GROUP))


def load_command(name: str) -> Callable[..., Any]:
    """The implementation of the research-only command ``name``, from its entry point.

    Raises :class:`MissingExtraError` when the extra it needs is not installed, and
    :class:`RegisterError` when this copy of the program does not declare the command (an
    install older than its source: reinstall).
    """
    extra = COMMAND_EXTRAS[name]
    found = [ep for ep in _entry_points() if ep.name == name]
    if not found:
        raise RegisterError(t("extras.no_command", command=name, distribution=DISTRIBUTION))
    require(extra)
    try:
        return found[0].load()  # type: ignore[no-any-return]
    except ModuleNotFoundError as exc:
        top = (exc.name or "").partition(".")[0]
        if top and top not in _OWN_PACKAGES and not importable(top):
            raise MissingExtraError(extra, [top]) from None
        raise  # one of the project's own modules is missing: a bug, not a missing extra
