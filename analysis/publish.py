"""Writing tables, figures and notes for publication: nothing small enough to point at a person.

This is the one path by which a notebook writes anything (a test scans the notebooks for writes
that bypass it). Every table goes through :func:`publishable_frame`:

* a table with a ``publishable`` column (prevalence results) has every number of an
  unpublishable row blanked — the flag already includes complementary suppression;
* otherwise the count columns (``n``, ``cases``, ``journeys`` ... or those named) are suppressed
  with :func:`analysis.suppress.suppress_table` (primary and complementary), and any other
  number in a row with a suppressed count is blanked too (a share of a small count discloses it).

Suppressed cells are empty in the CSV, and ``suppressed`` says which rows lost something.
:func:`save_json` applies the same rule to the counts inside a JSON record.

What the decision makers' report (`analysis.report`) shows is recorded here too: a table saved
with a `TableView`, a figure saved with a ``title`` and a :func:`note` are listed, in order, in
``report.json`` beside them. The report reads the published CSV, never the unsuppressed frame.
In a notebook, a saved figure is also shown inline (the executed notebook keeps its figures).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidParameterError
from .suppress import suppress_table

__all__ = ["COUNT_NAMES", "REPORT_FILE", "TableView", "note", "publishable_frame",
           "report_items", "save_figure", "save_json", "save_table"]

COUNT_NAMES = ("n", "cases", "count", "journeys", "returns", "persons", "records", "victims",
               "returned", "exploited", "non_cases", "observed", "overlap", "n_persons",
               "n_recorded", "cases_recorded")
#: The list of what the report shows, written beside the tables and figures.
REPORT_FILE = "report.json"
SYNTHETIC_MARK = "SYNTHETIC DATA"


@dataclass(frozen=True)
class TableView:
    """How the decision makers' report shows a published table.

    ``columns`` maps the columns shown to their headers (all columns when ``None``); ``percent``
    lists proportions shown as per cents (names or patterns such as ``'missing_*'``);
    ``interval`` names the (estimate, lower, upper) columns shown together as
    ``'21.7% (20.0-23.8%)'`` under the header ``interval_label`` (e.g. ``'forced labour, %
    (95% CI)'``), in per cents, or as counts (``interval_unit='count'``: ``'6,253
    (5,607-6,717)'``) or ratios (``'ratio'``: ``'1.42 (1.10-1.83)'``). Rows of area codes get the
    areas' English and Khmer names.
    """

    title: str
    columns: Mapping[str, str] | None = None
    percent: Sequence[str] = ()
    interval: tuple[str, str, str] | None = None
    interval_label: str = "% (95% CI)"
    interval_unit: str = "percent"
    note: str | None = None
    key: bool = False


def publishable_frame(frame: pd.DataFrame, *, threshold: int = 5,
                      counts: Sequence[str] | None = None,
                      also_hide: Sequence[bool] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` safe to publish (see the module docstring); ``also_hide``: rows to
    blank besides the small ones (the ledger's, :mod:`analysis.ledger`)."""
    out = frame.copy()
    numeric = [c for c in out.columns if pd.api.types.is_numeric_dtype(out[c])
               and not pd.api.types.is_bool_dtype(out[c])]
    if "publishable" in out.columns:
        hidden = ~out["publishable"].astype(bool).to_numpy()
    else:
        names = [c for c in (counts or [c for c in out.columns if c in COUNT_NAMES])
                 if c in out.columns]
        if not names:
            raise InvalidParameterError("no count columns to check: name them with counts=")
        table = out[names].fillna(0).astype("int64")
        mask = suppress_table(table, threshold).suppressed.to_numpy()
        hidden = mask.any(axis=1)
    if also_hide is not None:
        hidden = hidden | np.asarray(also_hide, dtype=bool)
    for column in numeric:
        kind = "Int64" if pd.api.types.is_integer_dtype(out[column]) else "Float64"
        out[column] = out[column].astype(kind).mask(hidden)
    out["suppressed"] = hidden
    return out


def _record(folder: Path, item: dict[str, Any]) -> None:
    """Append ``item`` to the folder's ``report.json`` (written whole, then renamed)."""
    path = folder / REPORT_FILE
    items = report_items(folder)
    items.append(item)
    tmp = path.with_suffix(".partial")
    tmp.write_text(json.dumps(items, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def report_items(folder: str | Path) -> list[dict[str, Any]]:
    """What the report shows from ``folder``, in the order it was published."""
    path = Path(folder) / REPORT_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def save_table(frame: pd.DataFrame, path: str | Path, *, threshold: int = 5,
               counts: Sequence[str] | None = None, view: TableView | None = None,
               also_hide: Sequence[bool] | None = None) -> pd.DataFrame:
    """Write the publishable version of ``frame`` to CSV and return it; with ``view``, the
    report shows it."""
    path = Path(path)
    safe = publishable_frame(frame, threshold=threshold, counts=counts, also_hide=also_hide)
    safe.to_csv(path, index=True)
    if view is not None:
        index = [n for n in safe.index.names if n is not None]
        _record(path.parent, {"kind": "table", "file": path.name, "index": index,
                              "threshold": threshold, **asdict(view)})
    return safe


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def save_figure(fig: Any, path: str | Path, *, title: str | None = None,
                note: str | None = None, synthetic: bool = False, key: bool = False) -> None:
    """Write ``fig`` as PNG; show it inline in a notebook; with ``title``, the report shows it
    (``key``: among the key results at the top).

    ``synthetic`` marks the image itself "SYNTHETIC DATA", so a copy taken out of the report
    still says what it is.
    """
    path = Path(path)
    if synthetic:
        fig.text(0.995, 0.005, SYNTHETIC_MARK, ha="right", va="bottom", fontsize=9,
                 color="#b00020", weight="bold", gid="synthetic_mark")
    fig.savefig(path, dpi=130, bbox_inches="tight")
    if title is not None:
        _record(path.parent, {"kind": "figure", "file": path.name, "title": title,
                              "note": note, "key": key})
    if _in_notebook():
        from IPython.display import Image, display

        display(Image(filename=str(path)))


def note(folder: str | Path, text: str, *, kind: str = "caveat", key: bool = False) -> None:
    """A sentence for the report: a ``caveat`` (listed with the caveats) or a ``finding``
    (``key``: among the key results at the top)."""
    if kind not in ("caveat", "finding"):
        raise InvalidParameterError(f"kind must be 'caveat' or 'finding', got {kind!r}")
    _record(Path(folder), {"kind": kind, "text": text, "key": key})
    print(f"{kind}: {text}")


def _suppress_records(records: list[Any], threshold: int) -> list[Any]:
    """Counts in a list of records (rows of one table): primary and complementary
    suppression per count key; a record that lost a count loses its other numbers too."""
    rows = [r for r in records if isinstance(r, dict)]
    hidden = [False] * len(rows)
    for key in {k for r in rows for k in r if k in COUNT_NAMES}:
        values = [r.get(key) for r in rows]
        known = [i for i, v in enumerate(values) if isinstance(v, int) and not isinstance(v, bool)]
        if not known:
            continue
        mask = suppress_table(pd.Series([values[i] for i in known], dtype="int64"),
                              threshold).suppressed.to_numpy()[:, 0]
        for i, m in zip(known, mask, strict=True):
            hidden[i] = hidden[i] or bool(m)
    flags = iter(hidden)
    out = []
    for row in records:
        clean = _suppress(row, threshold)
        if isinstance(row, dict) and next(flags):
            clean = {k: (None if isinstance(v, int | float) and not isinstance(v, bool) else v)
                     for k, v in clean.items()}
            clean["suppressed"] = True
        out.append(clean)
    return out


def _suppress(value: Any, threshold: int) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            small = (key in COUNT_NAMES and isinstance(item, int) and not isinstance(item, bool)
                     and 0 < item < threshold)
            out[key] = None if small else _suppress(item, threshold)
        return out
    if isinstance(value, list | tuple):
        if any(isinstance(v, dict) for v in value):
            return _suppress_records(list(value), threshold)
        return [_suppress(v, threshold) for v in value]
    return value


def save_json(record: Mapping[str, Any], path: str | Path, *, threshold: int = 5) -> dict[str, Any]:
    """Write a JSON record (e.g. an estimate's ``to_dict()``) with its small counts removed:
    a count below ``threshold`` is ``null``; in a list of rows (cells of a table) one more count
    is removed beside a lone small one, and a row that lost a count loses its other numbers."""
    safe = _suppress(dict(record), threshold)
    Path(path).write_text(json.dumps(safe, indent=1, default=str), encoding="utf-8")
    return safe
