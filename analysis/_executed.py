"""What happens to an executed notebook before it is published: local paths replaced by names,
a "SYNTHETIC DATA" banner when it is, and the HTML rendering."""

from __future__ import annotations

import html
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["BANNER", "banner_html", "local_roots", "scrub", "scrub_notebook", "to_html"]

BANNER = ("SYNTHETIC DATA — made by the project's generator with a planted truth. No real person "
          "is in it; the numbers demonstrate the methods and describe no real place.")


def banner_html() -> str:
    return ('<div id="synthetic-banner" style="background:#b00020;color:#fff;padding:8px 14px;'
            'font:bold 15px sans-serif;letter-spacing:0.02em">' + html.escape(BANNER) + "</div>")


def local_roots(named: Mapping[str, Path | str]) -> dict[str, str]:
    """Folders of this machine and what to write instead: the given ones, then Python's prefix,
    the package's folder and the home folder. Longest first, so the most specific wins."""
    import analysis

    roots = {str(Path(p)): label for label, p in named.items() if p}
    roots.setdefault(str(Path(sys.prefix)), "<python>")
    roots.setdefault(str(Path(sys.base_prefix)), "<python>")
    roots.setdefault(str(Path(analysis.__file__).resolve().parents[1]), "<source>")
    roots.setdefault(str(Path.home()), "~")
    out: dict[str, str] = {}
    for path, label in sorted(roots.items(), key=lambda kv: -len(kv[0])):
        if len(path) > 1:
            out[path] = label
            out[path.replace("\\", "\\\\")] = label  # as repr() writes a Windows path
    return out


def scrub(text: str, roots: Mapping[str, str]) -> str:
    for path, label in roots.items():
        if path in text:
            text = text.replace(path, label)
    return text


def _scrub_value(value: Any, roots: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return scrub(value, roots)
    if isinstance(value, list):
        return [_scrub_value(v, roots) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(v, roots) for k, v in value.items()}
    return value


def scrub_notebook(notebook: Any, roots: Mapping[str, str]) -> Any:
    """Replace local folders in the metadata (papermill's record of the run), every cell source
    and every text output (images untouched)."""
    from nbformat import from_dict

    notebook.metadata = from_dict(_scrub_value(notebook.metadata, roots))
    for cell in notebook.cells:
        cell.source = scrub(cell.source, roots)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _scrub_value(output["text"], roots)
            if "traceback" in output:
                output["traceback"] = _scrub_value(output["traceback"], roots)
            if "evalue" in output:
                output["evalue"] = scrub(output["evalue"], roots)
            data = output.get("data", {})
            for kind in [k for k in data if k.startswith("text/") or k.endswith("json")]:
                data[kind] = _scrub_value(data[kind], roots)
    return notebook


def to_html(notebook: Any, *, synthetic: bool) -> str:
    """The executed notebook as one HTML page (figures inline), banner first when synthetic."""
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(exclude_input_prompt=True).from_notebook_node(notebook)
    if synthetic:
        at = page.find(">", page.find("<body")) + 1
        page = page[:at] + banner_html() + page[at:]
    return page
