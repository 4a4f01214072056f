"""Build step that pyproject.toml cannot declare: ship the notebooks inside the package.

The repository's ``notebooks/`` is the notebooks' one versioned home (what researchers open in
JupyterLab). A wheel copies them into ``analysis/_notebooks/``, where ``analysis.notebooks``
finds them with ``importlib.resources`` in an installed (non-editable) package. An editable
install copies nothing: there the runner reads the checkout's ``notebooks/`` so edits show at
once. Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


class BuildWithNotebooks(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
        if not found:
            raise RuntimeError(f"no notebooks in {NOTEBOOKS}: the package would be incomplete")
        target = Path(self.build_lib) / "analysis" / "_notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for path in [*found, NOTEBOOKS / "jupytext.toml"]:
            if path.is_file():
                shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildWithNotebooks})
