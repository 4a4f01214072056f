"""Writing tables and figures for publication: nothing small enough to point at a person.

Every table a notebook publishes goes through :func:`publishable_frame`:

* a table with a ``publishable`` column (prevalence results) has every number of an
  unpublishable row blanked — the flag already includes complementary suppression;
* otherwise the count columns (``n``, ``cases``, ``journeys`` ... or those named) are suppressed
  with :func:`analysis.suppress.suppress_table` (primary and complementary), and any other
  number in a row with a suppressed count is blanked too (a share of a small count discloses it).

Suppressed cells are empty in the CSV, and ``suppressed`` says which rows lost something.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .suppress import suppress_table

COUNT_NAMES = ("n", "cases", "count", "journeys", "returns", "persons", "records", "victims",
               "returned", "exploited", "non_cases")


def publishable_frame(frame: pd.DataFrame, *, threshold: int = 5,
                      counts: Sequence[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` safe to publish (see the module docstring)."""
    out = frame.copy()
    numeric = [c for c in out.columns if pd.api.types.is_numeric_dtype(out[c])
               and not pd.api.types.is_bool_dtype(out[c])]
    if "publishable" in out.columns:
        hidden = ~out["publishable"].astype(bool).to_numpy()
    else:
        names = [c for c in (counts or [c for c in out.columns if c in COUNT_NAMES])
                 if c in out.columns]
        if not names:
            raise ValueError("no count columns to check: name them with counts=")
        table = out[names].fillna(0).astype("int64")
        mask = suppress_table(table, threshold).suppressed.to_numpy()
        hidden = mask.any(axis=1)
    for column in numeric:
        kind = "Int64" if pd.api.types.is_integer_dtype(out[column]) else "Float64"
        out[column] = out[column].astype(kind).mask(hidden)
    out["suppressed"] = hidden
    return out


def save_table(frame: pd.DataFrame, path: str | Path, *, threshold: int = 5,
               counts: Sequence[str] | None = None) -> pd.DataFrame:
    """Write the publishable version of ``frame`` to CSV and return it."""
    safe = publishable_frame(frame, threshold=threshold, counts=counts)
    safe.to_csv(path, index=True)
    return safe


def save_figure(fig: object, path: str | Path) -> None:
    fig.savefig(path, dpi=120, bbox_inches="tight")  # type: ignore[attr-defined]
