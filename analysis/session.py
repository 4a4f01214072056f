"""The set-up every notebook shares: read the selection, make the output folder, publish.

A notebook's first code cell is::

    import analysis as an
    run = an.notebook_setup(register, output_dir, province=province, period=period,
                            threshold=threshold, seed=seed, alpha=alpha)
    df = run.frame

and everything it writes goes through ``run.table``, ``run.figure`` and ``run.note`` — the
publishing path of `analysis.publish` (small cells suppressed; listed for the report). Titles get
the selection the run covers (``run.title``), so a table or map of one province or a few
departure years says so.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import publish
from .data import data_hash, load_export, parse_period, select_frame
from .labels import selection_label
from .ledger import Ledger, table_cells
from .scope import describe_scope

__all__ = ["NotebookRun", "notebook_setup", "select_records"]

LEDGER_FILE = "ledger.jsonl"


def quiet_progress_bars() -> None:
    """esda imports ``tqdm.auto``, which warns in a kernel without ipywidgets ("IProgress not
    found"): a red box, with a local path, in every published notebook that draws a map. The
    analysis shows no progress bar, so the warning says nothing to the reader."""
    warnings.filterwarnings("ignore", message="IProgress not found")


@dataclass
class NotebookRun:
    """What a notebook works with: the selected export (``frame``), the output folder (``out``)
    and the settings it was run with."""

    frame: pd.DataFrame
    out: Path
    settings: dict[str, Any]
    selection: str
    period: str = ""
    synthetic: bool = False
    tables: list[str] = field(default_factory=list)
    full: pd.DataFrame | None = None  # the whole export (the ledger's cells are defined on it)
    ledger: Ledger | None = None

    @property
    def threshold(self) -> int:
        return int(self.settings.get("threshold", 5))

    def title(self, text: str, *, wrap: int | None = None) -> str:
        """``text`` with the selection the run covers, and the period of the data when ``text``
        does not give it (result titles do: `analysis.scope`); ``wrap``: lines of at most that
        many characters (for a title drawn on a figure)."""
        full = f"{text} — {self.selection}" + (
            "" if not self.period or self.period in text else f"; {self.period}")
        return textwrap.fill(full, wrap) if wrap else full

    def table(self, frame: pd.DataFrame, name: str, *, title: str | None = None,
              counts: Sequence[str] | None = None, columns: Mapping[str, str] | None = None,
              percent: Sequence[str] = (), interval: tuple[str, str, str] | None = None,
              interval_label: str = "% (95% CI)", interval_unit: str = "percent",
              note: str | None = None, key: bool = False, show: bool = True,
              by: str | None = None,
              populations: Mapping[str, str | None] | None = None,
              units: Mapping[str, str] | None = None) -> pd.DataFrame | None:
        """Publish ``frame`` as ``<name>.csv`` (small cells suppressed); with ``title``, the
        report shows it (``key``: among the key results at the top). Returns (and in a notebook
        shows) the published table.

        ``by`` (the column of the export the table's rows are), ``populations`` (for each
        count column, the records it counts, as a pandas query; default: all) and ``units``
        (for each count column, ``journeys`` - the default - or ``persons``: those with such a
        journey) declare what each count cell counts: the table is then checked against every
        table published before from the same data (:mod:`analysis.ledger`), and more rows are
        hidden - or the table is not published at all (None) - when a difference of tables
        would reveal a small group."""
        view = None if title is None else publish.TableView(
            title=self.title(title), columns=columns, percent=tuple(percent), interval=interval,
            interval_label=interval_label, interval_unit=interval_unit, note=note, key=key)
        also_hide = None
        if by is not None and self.ledger is not None and self.full is not None and counts:
            also_hide = self._protect(frame, list(counts), by, populations or {}, units or {})
            if also_hide is None:
                self.note(f"Table {name!r} is not published: with tables published before from "
                          "the same data it would reveal a group smaller than "
                          f"{self.threshold}.")
                return None
        safe = publish.save_table(frame, self.out / f"{name}.csv", threshold=self.threshold,
                                  counts=counts, view=view, also_hide=also_hide)
        self.tables.append(name)
        if show and publish._in_notebook():
            from IPython.display import display

            display(safe)
        return safe

    def _protect(self, frame: pd.DataFrame, counts: list[str], by: str,
                 populations: Mapping[str, str | None],
                 units: Mapping[str, str]) -> list[bool] | None:
        """Rows to hide so that this table and the ledger reveal no small group; None: the
        table cannot be published. Records the cells it publishes. The cells of each unit
        (journeys, persons) are checked apart, until the rows either hides are hidden in
        both."""
        assert self.ledger is not None and self.full is not None
        selection: dict[str, list[Any]] = {}
        if self.settings.get("province"):
            selection["province_code"] = [self.settings["province"]]
        if self.settings.get("period"):
            first, last = self.settings["period"]
            selection["departure_year"] = list(range(int(first), int(last) + 1))
        values = frame[counts].fillna(0).astype("int64")
        cells = table_cells(values, counts, selection=selection, by=by, populations=populations,
                            unit=units)
        small = publish.publishable_frame(frame, threshold=self.threshold,
                                          counts=counts)["suppressed"]
        rows = {row for row in frame.index if small.loc[row]}
        numbers = {key: int(values.loc[key[0], key[1]]) for key in cells}
        while True:
            before = len(rows)
            for unit in sorted({spec.unit for spec in cells.values()}):
                part = {k: spec for k, spec in cells.items() if spec.unit == unit}
                protected = self.ledger.protect(
                    self.full, part, {k: numbers[k] for k in part},
                    {k: k[0] in rows for k in part}, threshold=self.threshold)
                if protected is None:
                    return None
                rows |= {row for (row, _), hide in protected.items() if hide}
            if len(rows) == before:
                break
        self.ledger.record(cells, {k: k[0] in rows for k in cells})
        return [row in rows for row in frame.index]

    def figure(self, fig: Any, name: str, *, title: str | None = None,
               note: str | None = None, key: bool = False) -> None:
        """Publish a figure as ``<name>.png``, inline in the notebook and (with ``title``) in the
        report; marked "SYNTHETIC DATA" when the data are."""
        publish.save_figure(fig, self.out / f"{name}.png",
                            title=None if title is None else self.title(title), note=note,
                            synthetic=self.synthetic, key=key)

    def note(self, text: str, *, kind: str = "caveat", key: bool = False) -> None:
        """A caveat (or finding) for the report."""
        publish.note(self.out, text, kind=kind, key=key)

    def json(self, record: Mapping[str, Any], name: str) -> dict[str, Any]:
        """Publish a JSON record as ``<name>.json`` (small counts removed)."""
        return publish.save_json(record, self.out / f"{name}.json", threshold=self.threshold)


def notebook_setup(register: str | Path, output_dir: str | Path = ".", *,
                   province: str | None = None, period: object = None, threshold: int = 5,
                   **settings: Any) -> NotebookRun:
    """Read the export of ``register`` restricted to ``province`` and ``period`` (departure years
    ``[first, last]`` or ``'FROM:TO'``), make ``output_dir`` and return the `NotebookRun`.

    ``settings`` are the notebook's other parameters (seed, alpha ...), kept with the run.
    """
    quiet_progress_bars()
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    years = parse_period(period)
    province = str(province).zfill(2) if province else None
    full = load_export(register)
    frame = select_frame(full, province, years)
    synthetic = bool(frame.attrs.get("synthetic"))
    # The ledger of every cell published from these data lives beside the results folder's
    # notebooks (results/ledger.jsonl): the runner's output folders are results/<nb>/<run>/.
    ledger = Ledger(Path(output_dir).resolve().parents[1] / LEDGER_FILE, data_hash(full))
    scope = describe_scope(frame)
    run = NotebookRun(frame=frame, out=out,
                      settings={"province": province, "period": years, "threshold": threshold,
                                **settings},
                      selection=selection_label(province, years), period=scope.period,
                      synthetic=synthetic, full=full, ledger=ledger)
    persons = frame["person_key"].nunique() if "person_key" in frame.columns else None
    print(f"{run.selection}: {len(frame):,} journeys"
          + (f" of {persons:,} persons" if persons is not None else "")
          + f", {scope.returned_journeys:,} returned; {scope.period}"
          + ("\nSYNTHETIC DATA: no real person is in this register." if synthetic else ""))
    return run


def select_records(records: Sequence[Mapping[str, Any]], province: str | None = None,
                   period: object = None, *, date: str = "contact_date") -> list[Mapping[str, Any]]:
    """Records (e.g. a service list's rows) of one province and/or period of years of ``date``:
    the notebooks' ``province`` and ``period`` for data that are not the export."""
    years = parse_period(period)
    province = str(province).zfill(2) if province else None
    keep = []
    for record in records:
        if province and record.get("province_code") != province:
            continue
        if years:
            text = str(record.get(date) or "")[:4]
            if not text.isdigit() or not years[0] <= int(text) <= years[1]:
                continue
        keep.append(record)
    return keep
