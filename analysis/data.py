"""Loading the researcher export: the only data the analysis side ever reads.

``load_export`` accepts a register file (the export is computed from it, never the identifying
tables), an export CSV or SQLite file written by ``register export``, or a cached Parquet file.
Columns get their proper pandas types (nullable integers for 0/1/NA fields).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from register.export import COLUMN_NAMES, COLUMNS

INT_COLUMNS = tuple(c.name for c in COLUMNS if c.type == "int")
FLOAT_COLUMNS = tuple(c.name for c in COLUMNS if c.type == "float")
TEXT_COLUMNS = tuple(c.name for c in COLUMNS if c.type == "text")


class ExportError(ValueError):
    """The file is not a register or a researcher export."""


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMN_NAMES if c not in frame.columns]
    if missing:
        raise ExportError(f"not a researcher export: missing columns {', '.join(missing)}")
    frame = frame.loc[:, list(COLUMN_NAMES)].copy()
    for column in INT_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column in FLOAT_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in TEXT_COLUMNS:
        values = frame[column].astype("string")
        frame[column] = values.str.lstrip("'") if column in ("channel", "sector") else values
    return frame


def load_export(path: str | Path, level: str = "standard", k: int | None = None) -> pd.DataFrame:
    """The researcher export as a typed DataFrame (one row per journey); a register file is
    exported at ``level`` first (and recoded to ``k``-anonymity when ``k`` is given)."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"no file {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _typed(pd.read_parquet(path))
    if suffix == ".csv":
        return _typed(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "register_meta" in tables:
        return from_register(path, level, k)
    if "journeys" in tables:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return _typed(pd.read_sql_query("SELECT * FROM journeys", conn))
    raise ExportError(f"{path} is neither a register nor a researcher export")


def data_hash(frame: pd.DataFrame) -> str:
    """A hash of the export's content (row order does not matter)."""
    ordered = frame.sort_values("journey_key", kind="stable").reset_index(drop=True)
    rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    digest = hashlib.sha256(rows.tobytes())
    digest.update(",".join(ordered.columns).encode())
    return digest.hexdigest()


def from_register(path: str | Path, level: str = "standard",
                  k: int | None = None) -> pd.DataFrame:
    """The researcher export of a register file, made by the register's own export at an export
    level (default: the generalised ``standard`` level). With ``k``, recoded to k-anonymity
    exactly as ``register export`` writes a file; without, generalised only - the notebooks'
    default, since only suppressed aggregate tables leave a notebook. Never touches the
    identifying tables."""
    import register
    from register.export import anonymised_rows, researcher_rows

    with register.open_register(path) as reg:
        rows = list(researcher_rows(reg, level) if k is None
                    else anonymised_rows(reg, level, k)[0])
    return _typed(pd.DataFrame.from_records(rows, columns=list(COLUMN_NAMES)))


def load_selection(path: str | Path, province: str | None = None,
                   period: Sequence[int] | None = None) -> pd.DataFrame:
    """The export restricted to one province (2-digit code) and/or departure years [first, last]:
    what every notebook's ``province`` and ``period`` parameters mean."""
    frame = load_export(path)
    if province:
        frame = frame[frame["province_code"] == province]
    if period:
        first, last = period
        frame = frame[frame["departure_year"].between(first, last)]
    return frame.reset_index(drop=True)
