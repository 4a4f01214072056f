"""Running the versioned notebooks so that every published figure traces back to its inputs.

    python -m analysis.notebooks DB --results DIR [--only NB ...] [--province CODE]
                                 [--period FROM:TO] [--param KEY=VALUE ...] [--cache DIR]

Paths are taken from where the command is typed. The notebooks are jupytext percent-format text
(``NN_name.py``), thin calls into this package; each declares ``# notebook-version: N`` and has a
cell tagged ``parameters`` (papermill). Where they live: the repository's ``notebooks/`` is their
one versioned home, and what a researcher opens; building the package copies them into the wheel
as ``analysis/_notebooks/`` (``setup.py``), so an installed package runs the notebooks it was
built with. `notebook_dir` takes the packaged copy when there is one, else the source checkout's
``notebooks/`` (an editable install, where edits must show at once).

:func:`run_notebooks` reads the register once and keeps its researcher export in a cache folder
outside the results (``--cache``; default ``.analysis-cache`` beside the register; files
readable by their owner only): data files never go into the results. Each notebook runs, with
the kernel in its own run folder, into

    DIR/<notebook>/v<notebook-version>_<code-version>_<inputs>[_<settings>]/
        notebook.ipynb, notebook.html   executed, figures inline, no local paths
        *.csv, *.png, *.json            what the notebook published (small cells suppressed)
        report.json                     what the report shows, in order
        manifest.json                   inputs and outputs with SHA-256, every parameter value
                                        (defaults too), code and package versions

``<inputs>`` digests every input file (register, export, lists, truth), so changed lists give a
new folder instead of overwriting a result; ``<settings>`` names what differs from the
notebook's defaults, readably (``province-01_2024-2025``). A failed notebook leaves
``<name>.failed`` (the executed notebook up to the error) and nothing ``.running``. Then the
report for decision makers (`analysis.report`) is written to ``DIR/report/<...>/``.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import manifest as mf
from .errors import AnalysisError
from .export_cache import default_cache, inside, prepare_data

__all__ = ["NotebookError", "NotebookRuns", "main", "notebook_dir", "notebook_paths",
           "notebook_version", "run_folder", "run_notebook", "run_notebooks", "settings_tag"]

_PATH_PARAMETERS = {"register", "output_dir", "register_db", "lists_dir"}
_VERSION = re.compile(r"^# notebook-version:\s*(\S+)", re.MULTILINE)
_TITLE = re.compile(r"^# # (.+)$", re.MULTILINE)


class NotebookError(AnalysisError, RuntimeError):
    """A notebook could not be found or run; the message names it (and the cell)."""


def notebook_dir() -> Path:
    """Where the notebooks are: packaged in the wheel, or the source checkout's ``notebooks/``."""
    packaged = resources.files("analysis").joinpath("_notebooks")
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[1]
    if (source / "pyproject.toml").is_file() and (source / "notebooks").is_dir():
        return source / "notebooks"
    raise NotebookError("the notebooks are missing from this installation of the package "
                        "(reinstall it, or run from a source checkout)")


def notebook_paths(directory: Path | None = None) -> list[Path]:
    """The numbered notebooks, in order."""
    return sorted((directory or notebook_dir()).glob("[0-9][0-9]_*.py"))


def notebook_version(path: Path) -> str:
    match = _VERSION.search(path.read_text(encoding="utf-8"))
    if not match:
        raise NotebookError(f"{path.name} has no '# notebook-version: N' line")
    return match.group(1)


def notebook_title(path: Path) -> str:
    match = _TITLE.search(path.read_text(encoding="utf-8"))
    return match.group(1).strip() if match else path.stem


def _parameters_cell(notebook: Any) -> str:
    for cell in notebook.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return str(cell.source)
    return ""


def _slug(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "-".join(_slug(v) for v in value)
    return re.sub(r"[^A-Za-z0-9.]+", "-", str(value)).strip("-") or "none"


def settings_tag(values: dict[str, Any], defaults: dict[str, Any]) -> str:
    """Readable name of the settings that differ from the defaults: ``province-01_2024-2025``,
    ``alpha-0.1`` (long ones are cut and end in a short digest)."""
    changed = {k: v for k, v in values.items()
               if k not in _PATH_PARAMETERS and v != defaults.get(k)}
    parts = []
    if changed.get("province"):
        parts.append(f"province-{_slug(changed.pop('province'))}")
    if changed.get("period"):
        parts.append(_slug(changed.pop("period")))
    parts += [f"{k}-{_slug(v)}" for k, v in sorted(changed.items())]
    tag = "_".join(parts)
    if len(tag) > 60:
        tag = tag[:48] + "-" + hashlib.sha256(tag.encode()).hexdigest()[:8]
    return tag


@contextlib.contextmanager
def _kernel_environment() -> Iterator[None]:
    """The kernel inherits this process's environment: no progress-bar warning, no GUI."""
    saved = {k: os.environ.get(k) for k in ("PYTHONWARNINGS", "MPLBACKEND")}
    warnings_ = [w for w in (saved["PYTHONWARNINGS"], "ignore:IProgress not found") if w]
    os.environ["PYTHONWARNINGS"] = ",".join(warnings_)
    os.environ["MPLBACKEND"] = "Agg"
    for name in ("papermill.translators", "papermill.parameterize"):  # the runner checks names
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _inputs_for(declared: set[str], export: mf.InputFile, params: dict[str, Any]
                ) -> list[mf.InputFile]:
    inputs = [export]
    db = params.get("register_db")
    if "register_db" in declared and db and Path(db).is_file():
        inputs.append(mf.InputFile("register", Path(db)))
    lists = params.get("lists_dir")
    if "lists_dir" in declared and lists and Path(lists).is_dir():
        inputs += [mf.InputFile("list", p) for p in sorted(Path(lists).glob("*.csv"))]
        truth = Path(lists).parent / "truth.json"
        if truth.is_file():
            inputs.append(mf.InputFile("truth", truth))
    return inputs


def run_folder(path: Path, results: Path, inputs: Sequence[mf.InputFile],
               values: dict[str, Any], defaults: dict[str, Any]) -> Path:
    """``results/<notebook>/v<version>_<code>_<inputs>[_<settings>]``: another input file (a
    list with rows removed ...) or other settings give another folder, never an overwrite."""
    tag = settings_tag(values, defaults)
    name = f"v{notebook_version(path)}_{mf.code_version()}_{mf.inputs_digest(inputs)[:12]}"
    return results / path.stem / (name + (f"_{tag}" if tag else ""))


def run_notebook(path: Path, results: Path, *, export: Path,
                 parameters: dict[str, Any] | None = None, synthetic: bool = False,
                 roots: dict[str, Path] | None = None,
                 extra_inputs: Sequence[mf.InputFile] = (), timeout: int = 1800) -> Path:
    """Execute one notebook on the cached ``export``; return its results folder."""
    import jupytext
    import nbformat
    import papermill

    from ._executed import local_roots, scrub_notebook, to_html

    notebook = jupytext.read(path)
    defaults = mf.notebook_defaults(_parameters_cell(notebook))
    declared = set(defaults)
    chosen = {k: v for k, v in (parameters or {}).items() if k in declared}
    inputs = _inputs_for(declared, mf.InputFile("export", export), chosen)
    inputs += [i for i in extra_inputs if i.path not in {j.path for j in inputs}]
    values = {**defaults, **chosen}
    final = run_folder(path, results, inputs, values, defaults)
    digest, tag = mf.inputs_digest(inputs), settings_tag(values, defaults)
    version, code = notebook_version(path), mf.code_version()
    out = final.with_name(final.name + ".running")
    failed = final.with_name(final.name + ".failed")
    for stale in (out, failed):
        shutil.rmtree(stale, ignore_errors=True)
    out.mkdir(parents=True)
    params = {**chosen, "register": str(export), "output_dir": "."}
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    source = out / "notebook.input.ipynb"
    nbformat.write(notebook, source)
    local = local_roots({"<results>": results, "<cache>": export.parent, **(roots or {})})
    started = time.perf_counter()
    try:
        with _kernel_environment():
            papermill.execute_notebook(str(source), str(out / "notebook.ipynb"),
                                       parameters=params, kernel_name="python3",
                                       progress_bar=False, execution_timeout=timeout, cwd=str(out),
                                       extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except BaseException as exc:
        source.unlink(missing_ok=True)
        executed = out / "notebook.ipynb"
        if executed.exists():  # the error stays readable, without local paths
            nbformat.write(scrub_notebook(nbformat.read(executed, as_version=4), local), executed)
        try:
            out.rename(failed)
        except OSError:
            shutil.rmtree(out, ignore_errors=True)
        if isinstance(exc, papermill.PapermillExecutionError):
            raise NotebookError(f"{path.name} failed in cell {exc.exec_count}: {exc.ename}: "
                                f"{exc.evalue}") from None
        if isinstance(exc, Exception):
            raise NotebookError(f"{path.name} could not be run: {exc}") from exc
        raise
    source.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    executed = scrub_notebook(nbformat.read(out / "notebook.ipynb", as_version=4), local)
    nbformat.write(executed, out / "notebook.ipynb")
    (out / "notebook.html").write_text(to_html(executed, synthetic=synthetic), encoding="utf-8")
    named = {i.path: i.path.name for i in inputs}
    shown = {k: (named.get(Path(v), Path(v).name) if k in _PATH_PARAMETERS and v else v)
             for k, v in {**values, **params}.items()}
    shown["output_dir"] = "."
    record = {
        "notebook": path.name, "title": notebook_title(path), "notebook_version": version,
        "notebook_sha256": mf.file_sha256(path), "code_version": code,
        "synthetic": synthetic, "inputs_sha256": digest,
        "inputs": [i.record() for i in inputs], "parameters": shown,
        "parameter_defaults": defaults, "settings": tag or "defaults",
        "outputs": mf.outputs_of(out), "environment": mf.environment(),
        "seconds": round(seconds, 2), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (out / "manifest.json").write_text(json.dumps(record, indent=1, default=str),
                                       encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    out.rename(final)
    return final


@dataclass
class NotebookRuns:
    """What `run_notebooks` made: one folder per notebook, and the report."""

    results: Path
    runs: dict[str, Path] = field(default_factory=dict)
    report: Path | None = None


def _check_selection(parameters: dict[str, Any]) -> None:
    from .data import parse_period

    province = parameters.get("province")
    if province:
        from register.gazetteer import load_gazetteer

        code = str(province).zfill(2)
        if len(code) != 2 or not load_gazetteer().exists(code, "province"):
            raise NotebookError(f"--province {province}: not a province code (01-25)")
        parameters["province"] = code
    if parameters.get("period") is not None:
        years = parse_period(parameters["period"])
        parameters["period"] = list(years) if years else None


def run_notebooks(
    register: str | Path,
    results: str | Path = "results",
    *,
    names: Sequence[str] | None = None,
    province: str | None = None,
    period: object = None,
    parameters: dict[str, Any] | None = None,
    cache: str | Path | None = None,
    report: bool = True,
    echo: Callable[[str], None] = print,
) -> NotebookRuns:
    """Run every numbered notebook (or those whose name contains one of ``names``) on the
    register (or export), for one province and/or period of departure years, then the report."""
    register = Path(register).expanduser().resolve()
    results = Path(results).expanduser().resolve()
    if not register.exists():
        raise NotebookError(f"no register or export at {register}")
    chosen: dict[str, Any] = dict(parameters or {})
    if province is not None:
        chosen["province"] = province
    if period is not None:
        chosen["period"] = period
    _check_selection(chosen)
    paths = [p for p in notebook_paths() if not names or any(n in p.name for n in names)]
    if not paths:
        raise NotebookError(f"no notebook matches {', '.join(names or [])}")
    import jupytext

    declared = set().union(*(mf.notebook_defaults(_parameters_cell(jupytext.read(p)))
                             for p in notebook_paths()))
    unknown = sorted(set(chosen) - declared)
    if unknown:
        raise NotebookError(f"no notebook takes the parameter(s) {', '.join(unknown)}; "
                            f"they take {', '.join(sorted(declared - _PATH_PARAMETERS))}")
    # The MSE notebook needs the register itself (identities stay inside the linkage step) and
    # the victim lists `register synth` writes beside it, unless told otherwise.
    defaults: dict[str, Any] = {"register_db": str(register)}
    for lists in (register.parent / "communes" / "lists", register.parent / "lists"):
        if lists.is_dir():
            defaults["lists_dir"] = str(lists)
            break
    chosen = {**defaults, **chosen}
    cache_dir = Path(cache).expanduser().resolve() if cache else default_cache(register, results)
    if inside(cache_dir, results):  # the export holds individual journeys: never published
        raise NotebookError(f"the cache {cache_dir} is inside the results folder {results}: "
                            "the export it keeps would be published with the results; choose "
                            "a --cache outside it")
    data, digest, synthetic = prepare_data(register, cache_dir)
    echo(f"  data {data.name} (sha256 of the content {digest[:12]}; kept in {cache_dir})"
         + ("; SYNTHETIC" if synthetic else ""))
    source = mf.InputFile("source", register)  # what the export was made from
    roots = {"<cache>": cache_dir, "<register folder>": register.parent}
    done = NotebookRuns(results)
    for path in paths:
        started = time.perf_counter()
        out = run_notebook(path, results, export=data, parameters=chosen, synthetic=synthetic,
                           roots=roots, extra_inputs=[source])
        done.runs[path.stem] = out
        echo(f"  {path.name}: {time.perf_counter() - started:.0f} s -> {_shown(out)}")
    if report:
        from .report import write_report

        done.report = write_report(list(done.runs.values()), results)
        echo(f"  report: {_shown(done.report)}")
    return done


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip().isidentifier():
        raise NotebookError(f"--param {text!r}: write KEY=VALUE (e.g. --param alpha=0.1)")
    try:
        return key.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return key.strip(), value.strip()


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from register.errors import RegisterError

    parser = argparse.ArgumentParser(
        prog="python -m analysis.notebooks",
        description="Run the analysis notebooks on a register (or researcher export) and write "
                    "their results and a report for decision makers.")
    parser.add_argument("register", type=Path, help="register (.db) or researcher export")
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="folder for the results (default: results)")
    parser.add_argument("--only", nargs="+", metavar="NB",
                        help="run only notebooks whose name contains one of these (e.g. 20_)")
    parser.add_argument("--province", metavar="CODE", help="one province, e.g. 01")
    parser.add_argument("--period", metavar="FROM:TO", help="departure years, e.g. 2018:2025")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="another notebook parameter, e.g. alpha=0.1 (repeatable)")
    parser.add_argument("--cache", type=Path,
                        help="folder for the cached export (default: .analysis-cache beside "
                             "the register; never inside the results)")
    parser.add_argument("--no-report", action="store_true", help="skip the report")
    args = parser.parse_args(argv)
    try:
        params = dict(_param(p) for p in args.param)
        run_notebooks(args.register, args.results, names=args.only, province=args.province,
                      period=args.period, parameters=params, cache=args.cache,
                      report=not args.no_report)
    except (AnalysisError, RegisterError, OSError) as exc:
        print(f"Error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
