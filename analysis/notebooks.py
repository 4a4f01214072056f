"""Running the versioned notebooks so that every published figure traces back to its inputs.

The notebooks live in ``notebooks/`` as jupytext percent-format text (``NN_name.py``), thin:
they call this package. Each declares ``# notebook-version: N`` in its header and has a cell
tagged ``parameters`` (papermill). :func:`run_notebooks` reads the register once, stores the
researcher export under ``results/data/``, and runs each notebook with papermill into

    results/<notebook>/v<notebook-version>_<code-version>_<data-hash>[_<settings-hash>]/
        notebook.ipynb   the executed notebook (aggregates only: no identifying data exists here)
        notebook.html    its rendering
        *.csv, *.png     the tables and figures the notebook wrote (small cells suppressed)
        manifest.json    notebook, versions, data hash, parameters, timings

Running the same notebook version and code on the same data writes to the same folder; a run
with other settings (``province``, ``period``, ``alpha`` ...) gets a suffix hashing them.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
_PATH_PARAMETERS = {"register", "output_dir", "register_db", "lists_dir"}
_VERSION = re.compile(r"^# notebook-version:\s*(\S+)", re.MULTILINE)


class NotebookError(RuntimeError):
    """A notebook failed; the message names it and the cell."""


def notebook_paths(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks, in order."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.py"))


def notebook_version(path: Path) -> str:
    match = _VERSION.search(path.read_text(encoding="utf-8"))
    if not match:
        raise NotebookError(f"{path.name} has no '# notebook-version: N' line")
    return match.group(1)


def code_version() -> str:
    """The package version and, in a git checkout, the commit (with '+dirty' when modified)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = version("commune-migration-register")
    except PackageNotFoundError:
        base = "0"
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=root,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", ""
    return base + (f"+{commit}" if commit else "") + ("-dirty" if dirty else "")


def prepare_data(register: Path, results: Path) -> tuple[Path, str]:
    """Read the export once; store it as Parquet named by its hash. Returns (path, hash)."""
    from .data import data_hash, load_export

    frame = load_export(register)
    digest = data_hash(frame)
    folder = results / "data"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"export-{digest[:12]}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
    return path, digest


def _declared_parameters(notebook: Any) -> set[str]:
    """Names assigned in the cell tagged ``parameters``."""
    for cell in notebook.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return set(re.findall(r"^(\w+)\s*=", cell.source, re.MULTILINE))
    return set()


def run_notebook(path: Path, data: Path, digest: str, results: Path,
                 parameters: dict[str, Any] | None = None, timeout: int = 1200) -> Path:
    """Execute one notebook on ``data``; return its results folder."""
    import shutil

    import jupytext
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    version = notebook_version(path)
    code = code_version()
    notebook = jupytext.read(path)
    declared = _declared_parameters(notebook)
    chosen = {k: v for k, v in (parameters or {}).items() if k in declared}
    # Runs with other settings (a province, a period) get their own folder.
    settings = {k: v for k, v in chosen.items() if k not in _PATH_PARAMETERS}
    tag = ("_" + hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
           .hexdigest()[:8]) if settings else ""
    final = results / path.stem / f"v{version}_{code}_{digest[:12]}{tag}"
    # Written under a temporary name; a failed run is left as '<name>.failed' for inspection.
    out = final.with_name(final.name + ".running")
    for stale in (out, final.with_name(final.name + ".failed")):
        shutil.rmtree(stale, ignore_errors=True)
    out.mkdir(parents=True)
    params = {"register": str(data), "output_dir": str(out), **chosen}
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    source = out / "notebook.input.ipynb"
    nbformat.write(notebook, source)
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(source), str(out / "notebook.ipynb"), parameters=params,
                                   kernel_name="python3", progress_bar=False,
                                   execution_timeout=timeout, cwd=str(path.parent),
                                   # the kernel's own start-up and shutdown chatter is not for
                                   # the reader; errors in cells still surface as exceptions
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except papermill.PapermillExecutionError as exc:
        source.unlink(missing_ok=True)
        out.rename(final.with_name(final.name + ".failed"))
        raise NotebookError(f"{path.name} failed in cell {exc.exec_count}: {exc.ename}: "
                            f"{exc.evalue}") from None
    source.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    executed = nbformat.read(out / "notebook.ipynb", as_version=4)
    html, _ = HTMLExporter(exclude_input_prompt=True).from_notebook_node(executed)
    (out / "notebook.html").write_text(html, encoding="utf-8")
    manifest = {
        "notebook": path.name, "notebook_version": version, "code_version": code,
        "data_sha256": digest, "data_file": str(data),
        "parameters": {**params, "output_dir": str(final)},
        "seconds": round(seconds, 2), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "outputs": sorted(p.name for p in out.iterdir() if p.name != "manifest.json"),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    out.rename(final)
    return final


def run_notebooks(
    register: str | Path,
    results: str | Path = "results",
    *,
    names: Sequence[str] | None = None,
    parameters: dict[str, Any] | None = None,
    echo: Callable[[str], None] = print,
) -> Path:
    """Run every numbered notebook (or those whose name contains one of ``names``)."""
    results = Path(results)
    register = Path(register)
    # Notebooks that need the register itself (MSE: identities stay inside the linkage step)
    # get it, and the victim lists written beside it by `register synth`, unless told otherwise.
    defaults = {"register_db": str(register.resolve())}
    for lists in (register.parent / "communes" / "lists", register.parent / "lists"):
        if lists.is_dir():
            defaults["lists_dir"] = str(lists.resolve())
            break
    parameters = {**defaults, **(parameters or {})}
    data, digest = prepare_data(register, results)
    echo(f"  data {data.name} (sha256 {digest[:12]})")
    for path in notebook_paths():
        if names and not any(n in path.name for n in names):
            continue
        started = time.perf_counter()
        out = run_notebook(path, data, digest, results, parameters)
        echo(f"  {path.name}: {time.perf_counter() - started:.0f} s -> {out}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m analysis.notebooks",
                                     description="Run the analysis notebooks on a register.")
    parser.add_argument("register", type=Path, help="register (.db) or researcher export")
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--only", nargs="*", help="run only notebooks whose name contains these")
    args = parser.parse_args(argv)
    try:
        run_notebooks(args.register, args.results, names=args.only)
    except (NotebookError, ValueError, OSError) as exc:
        print(f"Error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
