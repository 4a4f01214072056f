"""Loading the researcher export: the only data the analysis side ever reads.

``load_export`` accepts a register file (the export is computed from it, never the identifying
tables), an export CSV or SQLite file written by ``register export``, or a cached Parquet file.
Columns get their proper pandas types (nullable integers for 0/1/NA fields).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from analysis.errors import AnalysisError, EmptyDataError, InvalidParameterError
from register.db import SYNTHETIC
from register.export import COLUMN_NAMES, COLUMNS

INT_COLUMNS = tuple(c.name for c in COLUMNS if c.type == "int")
FLOAT_COLUMNS = tuple(c.name for c in COLUMNS if c.type == "float")
TEXT_COLUMNS = tuple(c.name for c in COLUMNS if c.type == "text")


class ExportError(AnalysisError, ValueError):
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
    exported at ``level`` first (and recoded to ``k``-anonymity when ``k`` is given).
    ``frame.attrs["synthetic"]`` says whether the data are
    synthetic (`is_synthetic`); a Parquet cache keeps the flag."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"no file {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        raw = pd.read_parquet(path)
        frame = _typed(raw)
        frame.attrs["synthetic"] = bool(raw.attrs.get("synthetic")) or is_synthetic(path)
        return frame
    if suffix == ".csv":
        frame = _typed(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
    else:
        tables = _sqlite_tables(path)
        if "register_meta" in tables:
            frame = from_register(path, level, k)
        elif "journeys" in tables:
            with _sqlite(path) as conn:
                frame = _typed(pd.read_sql_query("SELECT * FROM journeys", conn))
        else:
            raise ExportError(f"{path} is neither a register nor a researcher export")
    frame.attrs["synthetic"] = is_synthetic(path)
    return frame


@contextlib.contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection, closed on exit. Not ``mode=ro``: a read-only connection to a register
    in WAL mode leaves empty ``-wal`` and ``-shm`` files behind; a read-write one that only
    reads removes them when it closes."""
    from register.platform import sqlite_uri

    conn = sqlite3.connect(sqlite_uri(path), uri=True)
    try:
        yield conn
    finally:
        conn.close()


def _sqlite_tables(path: Path) -> set[str]:
    try:
        with _sqlite(path) as conn:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:
        raise ExportError(f"{path} is neither a register nor a researcher export") from None


#: The register_meta key that `synthetic.write` sets in every register it makes.


def is_synthetic(path: str | Path) -> bool:
    """Whether ``path`` (a register, an export, or a cache of one) holds synthetic data.

    A register made by the generator carries the ``synthetic`` key in ``register_meta`` (and the
    demo stamps its merged register too); registers merged by hand from synthetic ones, and
    exports, are recognised by the ``README.txt`` the generator writes beside them, which starts
    with "SYNTHETIC DATA"; a register whose audit log names the generator as its actor is
    synthetic too.
    """
    path = Path(path)
    for folder in (path.parent, path.parent / "communes"):
        marker = folder / "README.txt"
        if marker.is_file() and marker.read_text(encoding="utf-8", errors="replace"
                                                 ).startswith("SYNTHETIC"):
            return True
    if path.suffix.lower() in (".csv", ".parquet") or not path.is_file():
        return False
    try:
        with _sqlite(path) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "register_meta" in names and conn.execute(
                    "SELECT 1 FROM register_meta WHERE key = ? AND value != ''",
                    (SYNTHETIC,)).fetchone():
                return True
            log = "audit_entry" if "audit_entry" in names else "audit_log"  # v2, or a v1 file
            return log in names and conn.execute(
                f"SELECT 1 FROM {log} WHERE actor = 'synthetic-generator' LIMIT 1"
            ).fetchone() is not None
    except sqlite3.DatabaseError:
        return False


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


def parse_period(period: object) -> tuple[int, int] | None:
    """``[2018, 2025]``, ``(2018, 2025)``, ``'2018:2025'`` or ``'2020'`` -> ``(first, last)``
    departure years; ``None`` for none."""
    if period is None or period == "" or period == []:
        return None
    if isinstance(period, str):
        parts = period.replace("-", ":").split(":")
        values = parts if len(parts) == 2 else parts * 2 if len(parts) == 1 else []
    elif isinstance(period, Sequence) and len(period) == 2:
        values = list(period)
    else:
        values = []
    try:
        first, last = (int(str(v).strip()) for v in values)
    except ValueError:
        values = []
    if len(values) != 2 or first > last:
        raise InvalidParameterError(f"period must be FROM:TO departure years (e.g. 2018:2025), "
                                    f"got {period!r}")
    return first, last


def load_selection(path: str | Path, province: str | None = None,
                   period: object = None) -> pd.DataFrame:
    """The export restricted to one province (2-digit code) and/or departure years [first, last]
    (or ``'FROM:TO'``): what every notebook's ``province`` and ``period`` parameters mean."""
    return select_frame(load_export(path), province, period)


def select_frame(frame: pd.DataFrame, province: str | None = None,
                 period: object = None) -> pd.DataFrame:
    """An export's rows of one province and/or departure years (see `load_selection`)."""
    synthetic = frame.attrs.get("synthetic", False)
    if province:
        province = str(province).zfill(2)
        if not frame["province_code"].eq(province).any():
            raise EmptyDataError(f"no journey from province {province} in the data")
        frame = frame[frame["province_code"] == province]
    years = parse_period(period)
    if years:
        frame = frame[frame["departure_year"].between(*years)]
        if frame.empty:
            raise EmptyDataError(f"no journey departed in {years[0]}-{years[1]}")
    frame = frame.reset_index(drop=True)
    frame.attrs["synthetic"] = synthetic
    return frame
