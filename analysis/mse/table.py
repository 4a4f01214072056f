"""Capture-history tables: reading, validating and building them.

A capture-history table for *t* lists has one cell per combination of lists ("capture
pattern"). `CaptureTable` stores the counts of all ``2**t`` cells in a vector indexed by a bit
mask: bit *j* of the index is 1 when the pattern includes list *j*. Cell 0 (on no list) is the
unseen cell; it is never observed and is stored as 0. Patterns absent from an input file are
observed zeros, not missing values (Chan, Silverman & Vincent 2021, Sect. 2).

pandas is imported lazily (only by the DataFrame helpers), so reading a CSV for the command line
needs numpy alone.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import CaptureDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "DATA_DIR",
    "MAX_LISTS",
    "PUBLISHED",
    "CaptureTable",
    "capture_table",
    "load_published",
    "read_capture_csv",
    "split_strata",
]

#: Largest number of lists accepted (``2**MAX_LISTS`` cells are stored).
MAX_LISTS = 16

#: Published capture-history tables shipped with the package (see ``SOURCES.md`` there).
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mse"

#: Names accepted by `load_published`.
PUBLISHED = ("Artificial_3", "Ned", "Ned_5", "NewOrl", "NewOrl_5", "UKdat", "UKdat_5", "Western")

#: Header names recognised as a count column when the last column holds only 0s and 1s.
_COUNT_NAMES = frozenset({"count", "counts", "n", "freq", "frequency", "number", "cases", "total"})


def _as_count(value: Any, where: str) -> int:
    """A non-negative integer count from ``value`` (integral floats such as ``3.0`` accepted)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CaptureDataError(f"{where}: count {value!r} is not a number") from None
    if not math.isfinite(number) or number != int(number):
        raise CaptureDataError(f"{where}: count {value!r} is not a whole number")
    if number < 0:
        raise CaptureDataError(f"{where}: count {value!r} is negative; counts must be >= 0")
    return int(number)


def _as_flag(value: Any, where: str) -> int:
    """0 or 1 from ``value`` (also accepts booleans and ``'0.0'``/``'1.0'``)."""
    if isinstance(value, bool | np.bool_):
        return int(value)
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        number = float("nan")
    if number not in (0.0, 1.0):
        raise CaptureDataError(f"{where}: list membership must be 0 or 1, got {value!r}")
    return int(number)


@dataclass(frozen=True, eq=False)
class CaptureTable:
    """Counts of every capture pattern of *t* lists.

    Parameters
    ----------
    lists : tuple of str
        List names, in column order (bit *j* of a cell index is list ``lists[j]``).
    counts : numpy.ndarray
        Integer counts of length ``2**t``; ``counts[0]`` (the unseen cell) must be 0.

    Notes
    -----
    Build one with `CaptureTable.from_patterns`, `read_capture_csv`, or from a DataFrame with
    `CaptureTable.from_frame`.
    """

    lists: tuple[str, ...]
    counts: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        lists = tuple(str(name) for name in self.lists)
        counts = np.array(self.counts, dtype=np.int64)
        counts.setflags(write=False)
        object.__setattr__(self, "lists", lists)
        object.__setattr__(self, "counts", counts)
        t = len(lists)
        if t > MAX_LISTS:
            raise CaptureDataError(f"at most {MAX_LISTS} lists are supported, got {t}")
        if len(set(lists)) != t:
            raise CaptureDataError(f"list names must be unique, got {list(lists)}")
        if counts.shape != (2**t,):
            raise CaptureDataError(f"counts must have length 2**{t} = {2**t}, got {counts.shape}")
        if (counts < 0).any():
            raise CaptureDataError("counts must be non-negative")
        if counts[0] != 0:
            raise CaptureDataError("the unseen cell (on no list) cannot hold an observed count")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_patterns(
        cls, lists: Sequence[str], patterns: Iterable[Sequence[Any]], counts: Iterable[Any]
    ) -> CaptureTable:
        """Build a table from 0/1 pattern rows and their counts (repeated patterns are summed).

        Raises
        ------
        CaptureDataError
            For non-0/1 memberships, negative or fractional counts, or a positive count on the
            all-zero pattern.
        """
        lists = tuple(lists)
        t = len(lists)
        if t < 1:
            raise CaptureDataError("a capture table needs at least one list column")
        if t > MAX_LISTS:
            raise CaptureDataError(f"at most {MAX_LISTS} lists are supported, got {t}")
        full = np.zeros(2**t, dtype=np.int64)
        weights = 1 << np.arange(t)
        for row_no, (pattern, count) in enumerate(zip(patterns, counts, strict=True), start=1):
            where = f"row {row_no}"
            if len(pattern) != t:
                raise CaptureDataError(f"{where}: expected {t} list values, got {len(pattern)}")
            flags = [_as_flag(v, f"{where}, list {name!r}") for v, name in zip(pattern, lists, strict=True)]
            n = _as_count(count, where)
            index = int(np.dot(flags, weights))
            if index == 0 and n > 0:
                raise CaptureDataError(
                    f"{where}: pattern on no list has count {n}; people on no list cannot be "
                    "observed (remove that row)"
                )
            full[index] += n
        return cls(lists, full)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, count_column: str | None = None) -> CaptureTable:
        """Table from a DataFrame in the file format (0/1 list columns; count column last).

        ``count_column`` names the count column when it is not the last one.
        """
        columns = [str(c) for c in frame.columns]
        count_col = _pick_count_column(columns, count_column, frame.iloc[:, -1].tolist())
        lists = [c for c in columns if c != count_col]
        patterns = frame[lists].to_numpy(dtype=object).tolist()
        return cls.from_patterns(lists, patterns, frame[count_col].tolist())

    # -- properties ---------------------------------------------------------------------------
    @property
    def n_lists(self) -> int:
        """Number of lists *t*."""
        return len(self.lists)

    @property
    def observed(self) -> int:
        """Number of distinct people observed on at least one list."""
        return int(self.counts.sum())

    @property
    def patterns(self) -> np.ndarray:
        """``(2**t, t)`` 0/1 matrix: row *k* is the capture pattern of cell *k*."""
        return _pattern_matrix(self.n_lists)

    def list_totals(self) -> dict[str, int]:
        """Number of people on each list (whatever other lists they are on)."""
        pats = self.patterns
        return {name: int(self.counts[pats[:, j] == 1].sum()) for j, name in enumerate(self.lists)}

    def overlap(self, first: int | str, second: int | str) -> int:
        """Number of people on both lists (the paper's :math:`N^*_{ij}`)."""
        i, j = self._index(first), self._index(second)
        pats = self.patterns
        return int(self.counts[(pats[:, i] == 1) & (pats[:, j] == 1)].sum())

    def _index(self, name: int | str) -> int:
        if isinstance(name, int | np.integer):
            return int(name)
        try:
            return self.lists.index(name)
        except ValueError:
            raise CaptureDataError(f"unknown list {name!r}; lists are {list(self.lists)}") from None

    # -- transformations ----------------------------------------------------------------------
    def with_counts(self, counts: np.ndarray) -> CaptureTable:
        """Same lists, new cell counts (length ``2**t``)."""
        return CaptureTable(self.lists, counts)

    def keep_lists(self, names: Sequence[str]) -> CaptureTable:
        """Marginal table over ``names`` (people on none of them are dropped: they are unseen)."""
        keep = [self._index(n) for n in names]
        weights = np.zeros(self.n_lists, dtype=np.int64)
        weights[keep] = 1 << np.arange(len(keep))
        new_index = self.patterns @ weights
        counts = np.bincount(new_index, weights=self.counts, minlength=2 ** len(keep))
        counts[0] = 0
        return CaptureTable(tuple(self.lists[k] for k in keep), counts.astype(np.int64))

    def rows(self, include_zeros: bool = False) -> list[tuple[tuple[int, ...], int]]:
        """``[(pattern, count), ...]`` for observable cells, ordered by the cell index."""
        pats = self.patterns
        return [
            (tuple(int(v) for v in pats[k]), int(self.counts[k]))
            for k in range(1, 2**self.n_lists)
            if include_zeros or self.counts[k] > 0
        ]

    def to_frame(self, include_zeros: bool = False, count_name: str = "count") -> pd.DataFrame:
        """The table in file format: one row per pattern, list columns then ``count_name``."""
        import pandas as pd

        rows = self.rows(include_zeros)
        data = [list(p) + [n] for p, n in rows]
        return pd.DataFrame(data, columns=[*self.lists, count_name]).astype("int64")


def _pattern_matrix(t: int) -> np.ndarray:
    index = np.arange(2**t)[:, None]
    return ((index >> np.arange(t)[None, :]) & 1).astype(np.int8)


def _pick_count_column(columns: list[str], count_column: str | None, last_values: list) -> str:
    if count_column is not None:
        if count_column not in columns:
            raise CaptureDataError(f"count column {count_column!r} not found; columns: {columns}")
        return count_column
    if len(columns) < 2:
        raise CaptureDataError(
            f"a capture table needs 0/1 list columns followed by a count column; found only {columns}"
        )
    last = columns[-1]
    if last.strip().lower() not in _COUNT_NAMES and _all_flags(last_values):
        raise CaptureDataError(
            f"no count column: the last column {last!r} holds only 0s and 1s, so it looks like a "
            "list. The last column must give the number of people with each pattern; name it "
            "'count' (or pass count_column / --count-column). For one row per person, build the "
            "table with analysis.mse.capture_table()."
        )
    return last


def _all_flags(values: list) -> bool:
    try:
        return all(float(str(v).strip()) in (0.0, 1.0) for v in values)
    except ValueError:
        return False


def read_capture_csv(path: str | Path, count_column: str | None = None) -> CaptureTable:
    """Read a capture-history CSV (0/1 list columns, count last; absent patterns are zeros).

    Parameters
    ----------
    path : str or pathlib.Path
        CSV file with a header row, in the format of the published tables shipped in
        ``analysis/data/mse`` (e.g. ``UKdat_5.csv``).
    count_column : str, optional
        Name of the count column if it is not the last one.

    Returns
    -------
    CaptureTable

    Raises
    ------
    CaptureDataError
        Missing or unreadable file, no count column, values other than 0/1 in a list column,
        negative or fractional counts.
    """
    path = Path(path)
    if not path.is_file():
        raise CaptureDataError(f"file not found: {path}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [r for r in csv.reader(handle) if any(cell.strip() for cell in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CaptureDataError(f"cannot read {path}: {exc}") from None
    if not rows:
        raise CaptureDataError(f"{path} is empty")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise CaptureDataError(f"{path} has a header but no data rows")
    for row_no, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise CaptureDataError(f"{path}, line {row_no}: {len(row)} values for {len(header)} columns")
    count_col = _pick_count_column(header, count_column, [r[-1] for r in body])
    c = header.index(count_col)
    lists = [h for k, h in enumerate(header) if k != c]
    patterns = [[v for k, v in enumerate(r) if k != c] for r in body]
    try:
        return CaptureTable.from_patterns(lists, patterns, [r[c] for r in body])
    except CaptureDataError as exc:
        raise CaptureDataError(f"{path}: {exc}") from None


def load_published(name: str) -> CaptureTable:
    """One of the published tables in `DATA_DIR` (e.g. ``'UKdat_5'``; see `PUBLISHED`).

    The values are those distributed with the R package SparseMSE 2.0.1 (Chan, Silverman &
    Vincent); sources and attribution are in ``analysis/data/mse/SOURCES.md``.
    """
    if name not in PUBLISHED:
        raise CaptureDataError(f"unknown published table {name!r}; choose from {PUBLISHED}")
    return read_capture_csv(DATA_DIR / f"{name}.csv")


def capture_table(
    df: pd.DataFrame,
    lists: Sequence[str],
    stratum: str | Sequence[str] | None = None,
    *,
    count_name: str = "count",
    include_zeros: bool = False,
) -> pd.DataFrame:
    """Capture patterns from per-person 0/1 list-membership columns, optionally by stratum.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per (linked) person; ``lists`` columns hold 0/1 (or booleans): whether the person
        appears on that list.
    lists : sequence of str
        The membership columns, in the order wanted in the table.
    stratum : str or sequence of str, optional
        Column(s) to stratify by (e.g. ``"province_code"``, ``["sex", "age_band"]``); one table
        per stratum value, stacked, stratum columns first.
    count_name : str
        Name of the count column.
    include_zeros : bool
        Also emit patterns with zero count (they are implied zeros otherwise).

    Returns
    -------
    pandas.DataFrame
        Stratum columns (if any), the list columns, then ``count_name``: the file format read by
        `read_capture_csv` and `CaptureTable.from_frame`.

    Raises
    ------
    CaptureDataError
        Missing columns, missing or non-0/1 membership values, or people on no list.
    """
    import pandas as pd

    lists = [str(c) for c in lists]
    strata = [] if stratum is None else [stratum] if isinstance(stratum, str) else list(stratum)
    missing = [c for c in [*lists, *strata] if c not in df.columns]
    if missing:
        raise CaptureDataError(f"capture_table needs column(s) missing from the data: {missing}")
    if len(lists) < 2:
        raise CaptureDataError("capture_table needs at least two list columns")
    member = df[lists]
    if member.isna().to_numpy().any():
        bad = [c for c in lists if member[c].isna().any()]
        raise CaptureDataError(f"list membership is missing (NA) in column(s) {bad}")
    values = member.astype("float64").to_numpy()
    if not np.isin(values, (0.0, 1.0)).all():
        bad = [c for c in lists if not np.isin(member[c].astype("float64"), (0.0, 1.0)).all()]
        raise CaptureDataError(f"list membership must be 0/1; column(s) {bad} hold other values")
    index = values.astype(np.int64) @ (1 << np.arange(len(lists)))
    if (index == 0).any():
        raise CaptureDataError(
            f"{int((index == 0).sum())} row(s) are on none of the lists {lists}; every person in "
            "a capture table must appear on at least one list"
        )
    keys: list[tuple] = [()] * len(df) if not strata else list(df[strata].itertuples(index=False, name=None))
    groups: dict[tuple, np.ndarray] = {}
    for key, cell in zip(keys, index.tolist(), strict=True):
        groups.setdefault(key, np.zeros(2 ** len(lists), dtype=np.int64))[cell] += 1
    records = []
    for key, counts in groups.items():
        for pattern, n in CaptureTable(tuple(lists), counts).rows(include_zeros):
            records.append([*key, *pattern, n])
    out = pd.DataFrame(records, columns=[*strata, *lists, count_name])
    return out.astype(dict.fromkeys([*lists, count_name], "int64"))


def split_strata(
    frame: pd.DataFrame, stratum: str | Sequence[str], count_column: str | None = None
) -> Mapping[Any, CaptureTable]:
    """One `CaptureTable` per stratum value of a stacked table made by `capture_table`."""
    strata = [stratum] if isinstance(stratum, str) else list(stratum)
    out: dict[Any, CaptureTable] = {}
    for key, part in frame.groupby(strata, sort=True, dropna=False):
        label = key[0] if isinstance(key, tuple) and len(key) == 1 else key
        out[label] = CaptureTable.from_frame(part.drop(columns=strata), count_column)
    return out
