"""Small-cell suppression for every published table and map.

Rule (primary suppression): a count ``c`` is too small to publish when ``0 < c < threshold``
(``threshold`` defaults to 5; zeros are published unless ``suppress_zeros=True``). UK official
statistics treat cells under 5 as needing care; CTDC uses k = 11 for its public file (see
STANDARDS.md §1a); the threshold is therefore a parameter.

Complementary suppression: margins (row and column totals) are assumed to be known to a reader —
they are usually published, or can be found elsewhere. A lone suppressed cell in a row or column
could then be recomputed as total minus the published cells. The standard rule is applied to a
fixed point: whenever a row or column holds exactly one suppressed cell, another cell of that line
is suppressed too — preferably one whose crossing line also holds a lone suppressed cell (so one
extra cell protects two lines), then a non-zero cell, then the smallest. Because the standard rule can still
leave a cell exactly determined (for instance a suppressed cell that bridges two suppressed
cycles), an audit then solves the linear programmes ``min/max x_ij`` subject to the margins and
``x >= 0`` (`disclosure_bounds`) and suppresses one more cell next to any cell whose bounds meet,
repeating until no suppressed cell can be recomputed exactly.

Not covered: linked tables (e.g. a district table summing to a published province table) must
be audited together; callers should suppress the finer table with the coarser totals in mind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from analysis._validation import InvalidParameterError, check_positive_int
from analysis.results import Result, format_table, text_block

__all__ = [
    "SuppressionResult",
    "disclosure_bounds",
    "publishable_proportions",
    "small_cells",
    "suppress_table",
]


def small_cells(counts: object, threshold: int = 5, *, suppress_zeros: bool = False) -> np.ndarray:
    """Primary-suppression mask: True where ``0 < count < threshold`` (or ``count == 0`` too)."""
    threshold = check_positive_int("threshold", threshold)
    c = np.asarray(counts, dtype=float)
    lower = -0.5 if suppress_zeros else 0.5
    return (c > lower) & (c < threshold)


def _as_count_frame(table: pd.DataFrame | pd.Series) -> pd.DataFrame:
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame or Series, got {type(table).__name__}")
    values = frame.apply(pd.to_numeric, errors="coerce")
    if values.isna().to_numpy().any():
        raise InvalidParameterError("table must hold counts only (no missing or non-numeric cells)")
    arr = values.to_numpy(dtype=float)
    if (arr < 0).any() or not np.allclose(arr, np.round(arr)):
        raise InvalidParameterError("table must hold non-negative whole-number counts")
    return values.astype(float)


def _pick(values: np.ndarray, candidates: np.ndarray, cross: np.ndarray | None = None) -> int | None:
    """Index of the complementary cell to hide in a line; None if there is no candidate.

    Preference: a cell whose crossing line already holds exactly one hidden cell (one choice
    then protects two lines), then a non-zero cell, then the smallest value.
    """
    idx = np.flatnonzero(candidates)
    if idx.size == 0:
        return None
    lone = np.zeros(idx.size) if cross is None else (cross[idx] != 1).astype(float)
    order = np.lexsort((values[idx], (values[idx] <= 0).astype(float), lone))
    return int(idx[order[0]])


def _standard_rule(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Apply 'exactly one suppressed cell in a line -> suppress the next smallest' to a fixed point."""
    mask = mask.copy()
    nrow, ncol = mask.shape
    changed = True
    while changed:
        changed = False
        if ncol > 1:
            for i in range(nrow):
                if mask[i].sum() == 1:
                    cross = mask.sum(axis=0) if nrow > 1 else None
                    j = _pick(values[i], ~mask[i], cross)
                    if j is not None:
                        mask[i, j] = changed = True
        if nrow > 1:
            for j in range(ncol):
                if mask[:, j].sum() == 1:
                    cross = mask.sum(axis=1) if ncol > 1 else None
                    i = _pick(values[:, j], ~mask[:, j], cross)
                    if i is not None:
                        mask[i, j] = changed = True
    return mask


def _bounds(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LP bounds of every suppressed cell given all row/column totals and x >= 0."""
    cells = np.argwhere(mask)
    k = len(cells)
    if k == 0:
        return np.empty(0), np.empty(0)
    nrow, ncol = mask.shape
    hidden_per_row = mask.sum(axis=1)
    if ncol == 2 and np.isin(hidden_per_row, (0, 2)).all():
        # (cases, non-cases) tables: closed form of the same LP. For the hidden rows H,
        # x_i + z_i = n_i and sum_H x_i = C_H, so x_i lies in
        # [max(0, C_H - sum_{j != i} n_j), min(n_i, C_H)] and z_i = n_i - x_i.
        rows = hidden_per_row == 2
        n = values[rows].sum(axis=1)
        c_h = values[rows, 0].sum()
        x_lo = np.maximum(0.0, c_h - (n.sum() - n))
        x_hi = np.minimum(n, c_h)
        lo = np.column_stack([x_lo, n - x_hi]).ravel()
        hi = np.column_stack([x_hi, n - x_lo]).ravel()
        return lo, hi
    rows_eq, rhs = [], []
    lines = ([("r", i) for i in range(nrow)] if ncol > 1 or nrow == 1 else []) + (
        [("c", j) for j in range(ncol)] if nrow > 1 or ncol == 1 else []
    )
    for kind, t in lines:
        sel = cells[:, 0] == t if kind == "r" else cells[:, 1] == t
        if not sel.any():
            continue
        a = np.zeros(k)
        a[sel] = 1.0
        hidden = values[t, :][mask[t, :]] if kind == "r" else values[:, t][mask[:, t]]
        rows_eq.append(a)
        rhs.append(hidden.sum())
    a_eq, b_eq = np.array(rows_eq), np.array(rhs)
    lo, hi = np.empty(k), np.empty(k)
    for s in range(k):
        c = np.zeros(k)
        c[s] = 1.0
        lo[s] = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs").fun
        hi[s] = -linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs").fun
    return lo, hi


def disclosure_bounds(
    table: pd.DataFrame | pd.Series, suppressed: pd.DataFrame | pd.Series | np.ndarray
) -> pd.DataFrame:
    """What a reader can recompute about each suppressed cell from the margins.

    Returns one row per suppressed cell with its true ``value`` and the tightest ``lower`` and
    ``upper`` bounds implied by the row and column totals and non-negativity (linear programming).
    ``exact`` is True when the bounds meet, i.e. the cell is disclosed.
    """
    frame = _as_count_frame(table)
    mask = np.asarray(suppressed, dtype=bool).reshape(frame.shape)
    values = frame.to_numpy()
    lo, hi = _bounds(values, mask)
    cells = np.argwhere(mask)
    out = pd.DataFrame(
        {
            "row": frame.index[cells[:, 0]] if len(cells) else [],
            "column": frame.columns[cells[:, 1]] if len(cells) else [],
            "value": values[mask],
            "lower": lo,
            "upper": hi,
        }
    )
    out["exact"] = (out["upper"] - out["lower"]) < 0.5
    return out


def _audit(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Suppress more cells until no suppressed cell is exactly determined by the margins."""
    mask = _standard_rule(values, mask)
    while mask.any():
        lo, hi = _bounds(values, mask)
        exact = np.argwhere(mask)[(hi - lo) < 0.5]
        if len(exact) == 0:
            break
        i, j = exact[0]
        if mask.shape[1] > 1 and (pick := _pick(values[i], ~mask[i])) is not None:
            mask[i, pick] = True
        elif (pick := _pick(values[:, j], ~mask[:, j])) is not None:
            mask[pick, j] = True
        else:  # every cell of both lines is hidden already; nothing more can be done
            break
        mask = _standard_rule(values, mask)
    return mask


@dataclass(frozen=True, eq=False, repr=False)
class SuppressionResult(Result):
    """A count table with its suppression pattern.

    ``counts`` is the original table; ``primary`` marks cells below the threshold, ``suppressed``
    marks every hidden cell (primary plus complementary). ``to_frame()`` returns the publishable
    table: suppressed cells are ``<NA>``.
    """

    counts: pd.DataFrame
    primary: pd.DataFrame
    suppressed: pd.DataFrame
    threshold: int
    suppress_zeros: bool

    @property
    def n_primary(self) -> int:
        return int(self.primary.to_numpy().sum())

    @property
    def n_complementary(self) -> int:
        return int(self.suppressed.to_numpy().sum()) - self.n_primary

    def to_frame(self) -> pd.DataFrame:
        return self.counts.astype("Int64").mask(self.suppressed)

    def bounds(self) -> pd.DataFrame:
        """`disclosure_bounds` of this table's suppressed cells."""
        return disclosure_bounds(self.counts, self.suppressed)

    def summary(self) -> str:
        return text_block(
            f"Small-cell suppression (threshold {self.threshold})",
            [
                f"cells: {self.counts.size}; primary suppressed: {self.n_primary}; "
                f"complementary: {self.n_complementary}",
                "zeros suppressed" if self.suppress_zeros else "zeros published",
            ],
            format_table(self.to_frame().astype(object).fillna("x")),
        )


def suppress_table(
    table: pd.DataFrame | pd.Series,
    threshold: int = 5,
    *,
    suppress_zeros: bool = False,
    audit: bool = True,
) -> SuppressionResult:
    """Primary and complementary suppression of a table of counts (margins assumed known).

    Parameters
    ----------
    table : DataFrame or Series of non-negative counts (a Series is one column with a known total).
    threshold : counts with ``0 < c < threshold`` are suppressed (default 5).
    suppress_zeros : also suppress zero cells.
    audit : after the standard rule, use linear programming to make sure no suppressed cell can be
        recomputed exactly from the margins (recommended; cheap for tables of a few hundred cells).
    """
    frame = _as_count_frame(table)
    threshold = check_positive_int("threshold", threshold)
    values = frame.to_numpy()
    primary = small_cells(values, threshold, suppress_zeros=suppress_zeros)
    mask = _audit(values, primary) if audit else _standard_rule(values, primary)
    return SuppressionResult(
        counts=frame,
        primary=pd.DataFrame(primary, index=frame.index, columns=frame.columns),
        suppressed=pd.DataFrame(mask, index=frame.index, columns=frame.columns),
        threshold=threshold,
        suppress_zeros=suppress_zeros,
    )


def publishable_proportions(cases: object, n: object, threshold: int = 5) -> np.ndarray:
    """Which units' (cases, n) may be published, with complementary suppression across units.

    A unit is unpublishable when ``n < threshold``, when ``0 < cases < threshold`` (few victims
    could be recognised) or when ``n - cases < threshold`` (almost everyone in the unit is a
    victim, so being recorded there discloses it). The (cases, non-cases) table over units is then
    complementary-suppressed against the overall totals, so a lone hidden unit cannot be recovered
    as total minus the others.
    """
    threshold = check_positive_int("threshold", threshold)
    y = np.asarray(cases, dtype=float)
    m = np.asarray(n, dtype=float)
    if y.shape != m.shape or y.ndim != 1:
        raise InvalidParameterError("cases and n must be one-dimensional and of equal length")
    if (y < 0).any() or (y > m).any():
        raise InvalidParameterError("need 0 <= cases <= n for every unit")
    if y.size == 0:
        return np.zeros(0, dtype=bool)
    values = np.column_stack([y, m - y])
    bad = (m < threshold) | ((y > 0) & (y < threshold)) | (m - y < threshold)
    mask = np.repeat(bad[:, None], 2, axis=1)
    mask = _audit(values, mask)
    return ~mask.any(axis=1)
