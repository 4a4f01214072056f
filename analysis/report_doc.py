"""The content of the report for decision makers (`analysis.report` writes it as HTML,
`analysis.report_pdf` as PDF).

It is assembled from what the notebooks published (``report.json`` in each run folder, written by
`analysis.publish`) and their manifests: tables read back from the published CSV files (so small
cells stay suppressed), figures inline, areas named in English and Khmer, proportions as per
cents with their 95% intervals named, the selection and period in every title, a "SYNTHETIC
DATA" banner whenever the register is synthetic, and the caveats: the ones every result shares,
then each notebook's own.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pandas as pd

from ._executed import BANNER
from .labels import AREA_COLUMNS, area_name, percent, percent_interval, selection_label

__all__ = ["GENERAL_CAVEATS", "KEY_RESULTS", "Block", "Report", "build_report", "table_block"]

TITLE = "Migration, forced labour and trafficking: what the commune registers show"
KEY_RESULTS = "Key results"
SOURCES = ("Area codes and names: NCDD gazetteer (14 Oct 2024); Khmer province names: Ministry "
           "of Economy and Finance (GDDE), 2025. Boundaries: Open Development Cambodia, "
           "administrative boundaries 2014, CC BY 4.0, via geoBoundaries. Population: NIS, "
           "General Population Census of Cambodia 2019.")


@dataclass
class Block:
    """One piece of the report: ``heading``, ``text``, ``table`` (header and rows of text),
    ``figure`` (a PNG file) or ``caveats`` (a list of sentences)."""

    kind: str
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    image: Path | None = None
    items: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Report:
    title: str
    selection: str
    synthetic: bool
    facts: list[tuple[str, str]]
    blocks: list[Block]
    general: list[str]


def _number(value: float) -> str:
    if abs(value - round(value)) < 1e-9 and abs(value) >= 1:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"


def _cell(value: Any, *, as_percent: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return ""
    if value in ("True", "False", True, False):
        return "yes" if value in ("True", True) else "no"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return percent(number) if as_percent else _number(number)


def _p_value(value: Any) -> str:
    number = pd.to_numeric(value, errors="coerce")
    if pd.isna(number):
        return ""
    return "<0.001" if number < 0.001 else f"{number:.3f}"


def _interval(est: Any, lo: Any, hi: Any, unit: str) -> str:
    if unit == "percent":
        return percent_interval(est, lo, hi)
    values = [pd.to_numeric(v, errors="coerce") for v in (est, lo, hi)]
    if pd.isna(values[0]):
        return ""
    fmt = "{:,.0f}" if unit == "count" else "{:.2f}"
    point = fmt.format(values[0])
    if pd.isna(values[1]) or pd.isna(values[2]):
        return point
    return f"{point} ({fmt.format(values[1])}\u2013{fmt.format(values[2])})"


def table_block(folder: Path, item: dict[str, Any]) -> Block:
    """A published table as the report shows it (see `analysis.publish.TableView`)."""
    frame = pd.read_csv(folder / item["file"], dtype=str, keep_default_na=False)
    index = [c for c in item.get("index", []) if c in frame.columns]
    hidden = frame.get("suppressed", pd.Series("False", index=frame.index)).eq("True")
    columns = item.get("columns") or {c: c.replace("_", " ") for c in frame.columns
                                      if c not in (*index, "publishable", "suppressed")}
    interval = item.get("interval")
    unit = item.get("interval_unit", "percent")
    patterns = item.get("percent", ())
    header = [AREA_COLUMNS.get(c, c.replace("_", " ")) for c in index]
    header += [item.get("interval_label", "% (95% CI)")] if interval else []
    header += [label for c, label in columns.items() if not interval or c not in interval]
    rows = []
    threshold = item.get("threshold", 5)
    for i, row in frame.iterrows():
        cells = [area_name(row[c]) if c in AREA_COLUMNS else str(row[c]) for c in index]
        if hidden[i]:
            rows.append(cells + [f"not shown: small numbers (fewer than {threshold})"]
                        + [""] * (len(header) - len(cells) - 1))
            continue
        if interval:
            est, lo, hi = (row.get(c, "") for c in interval)
            cells.append(_interval(est, lo, hi, unit))
        cells += [_p_value(row.get(c, "")) if c.startswith("p_value") else
                  _cell(row.get(c, ""), as_percent=any(fnmatch(c, p) for p in patterns))
                  for c in columns if not interval or c not in interval]
        rows.append(cells)
    return Block("table", text=item["title"], header=header, rows=rows, note=item.get("note"))


GENERAL_CAVEATS = (
    "Recorded migrants only: the register holds the journeys commune councils recorded. People "
    "who left or came back without telling the commune are not in it, so counts and rates per "
    "resident are lower bounds.",
    "Shares are per cent of returned journeys (a person who returned twice counts twice) unless "
    "a title says otherwise; journeys still abroad are outside them.",
    "Every estimate comes with its 95% confidence interval (95% CI): the range that, with the "
    "methods used, covers the true value in 95 of 100 repetitions. It allows for migrants from "
    "one commune being alike and for answers that were not recorded (multiple imputation).",
    "Small numbers are not shown: a count below {threshold}, and any cell from which it could "
    "be worked out, is left blank; such areas are hatched on the maps.",
    "Forced labour follows the ILO statistical definition (ICLS 2018; the separate rule for "
    "children); trafficking needs exploitation with a means such as deception, except for "
    "children (Palermo Protocol art. 3(c)). The register cannot observe every means.",
)


def _block(run: Path, item: dict[str, Any]) -> Block:
    if item["kind"] == "table":
        return table_block(run, item)
    if item["kind"] == "figure":
        return Block("figure", text=item["title"], image=run / item["file"], note=item.get("note"))
    if item["kind"] == "finding":
        return Block("text", text=item["text"])
    return Block("caveats", text="Caveat", items=[item["text"]])


def build_report(runs: list[Path]) -> Report:
    """The report of the given run folders (in order): key results first (what the notebooks
    marked ``key``), then each notebook's section with its caveats."""
    manifests = [json.loads((r / "manifest.json").read_text(encoding="utf-8")) for r in runs]
    params = manifests[0]["parameters"] if manifests else {}
    synthetic = any(m.get("synthetic") for m in manifests)
    threshold = params.get("threshold", 5)
    selection = selection_label(params.get("province"), params.get("period"))
    key: list[Block] = []
    blocks: list[Block] = []
    for run, man in zip(runs, manifests, strict=True):
        blocks.append(Block("heading", text=man.get("title", man["notebook"])))
        caveats = []
        items = json.loads((run / "report.json").read_text(encoding="utf-8")) \
            if (run / "report.json").exists() else []
        for item in items:
            if item.get("key"):
                key.append(_block(run, item))
            elif item["kind"] == "caveat":
                caveats.append(item["text"])
            else:
                blocks.append(_block(run, item))
        if caveats:
            blocks.append(Block("caveats", text="Caveats", items=caveats))
    if key:  # sentences first, then figures, tables and their caveats
        order = {"text": 0, "figure": 1, "table": 2, "caveats": 3}
        key.sort(key=lambda b: order.get(b.kind, 4))
        blocks = [Block("heading", text=KEY_RESULTS), *key, *blocks]
    export = next((i for m in manifests for i in m["inputs"] if i["role"] == "export"), None)
    facts = [("Made", time.strftime("%Y-%m-%d")),
             ("Code version", manifests[0]["code_version"] if manifests else ""),
             ("Data", f"researcher export, SHA-256 {export['sha256'][:16]}…" if export else ""),
             ("Notebooks", ", ".join(m["notebook"] for m in manifests))]
    general = [c.format(threshold=threshold) for c in GENERAL_CAVEATS]
    if synthetic:
        general.insert(0, BANNER)
    return Report(TITLE, selection, synthetic, facts, blocks, general)


