"""Can the data support a model? Existence and identifiability checks, and list clean-up.

Two distinct failures are checked before any fit (Chan, Silverman & Vincent 2021, Sect. 2.6):

* **Existence.** By Haberman's theorem the Poisson log-linear MLE exists iff some strictly
  positive table has the same sufficient statistics :math:`A^T y` as the data; Fienberg &
  Rinaldo (2012) turn this into a linear program: maximise *s* subject to :math:`A^T x = A^T y`,
  :math:`x \\ge s`, :math:`x \\ge 0`; the MLE exists iff the optimum is positive. Whether it
  exists depends only on which cells are zero, so results are cached by the zero pattern.
  The check solves the equivalent dual problem, which is far smaller: it only involves the
  directions that leave the fitted values of the positive cells unchanged, and needs no LP at
  all when there are none or one of them (`_exists_and_rank`). The tests confirm it agrees
  with the primal LP of Fienberg & Rinaldo (`_lp_exists`) on random sparse tables.
* **Identifiability.** Cells of non-overlapping pairs in the model are removed (their fitted
  value is 0); the design restricted to the remaining cells must have full column rank.

`remove_noninformative_lists` implements the clean-up rule of SparseMSE's
``removenoninformativelists``: it drops lists with no cases, lists holding every observed case,
and lists identical to another list.

References
----------
Haberman, S. J. (1974). *The Analysis of Frequency Data*. University of Chicago Press, Thm 2.2.
Fienberg, S. E. and Rinaldo, A. (2012). Maximum likelihood estimation in log-linear models.
*Ann. Statist.* 40, 996-1023. doi:10.1214/12-AOS986.
Chan, L., Silverman, B. W. and Vincent, K. (2021). *JASA* 116, 1297-1306,
doi:10.1080/01621459.2019.1708748 (Sect. 2.6-2.7 and Table 2, the ``Artificial_3`` data).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .design import Design, build_design, parse_terms, term_names
from .errors import EstimateNotExistError, NotIdentifiableError
from .table import CaptureTable

__all__ = ["ModelCheck", "check_design", "check_model", "remove_noninformative_lists"]

_CACHE: dict[tuple, tuple[bool, int]] = {}
_CACHE_MAX = 200_000


@dataclass(frozen=True)
class ModelCheck:
    """Outcome of the existence and identifiability checks for one model.

    ``code`` follows SparseMSE's ``checkident``: 0 fine, 1 the MLE does not exist, 2 not
    identifiable, 3 both.
    """

    model: tuple[str, ...]
    exists: bool
    identifiable: bool
    message: str

    @property
    def ok(self) -> bool:
        return self.exists and self.identifiable

    @property
    def code(self) -> int:
        return int(not self.exists) + 2 * int(not self.identifiable)


def _pattern_label(lists: tuple[str, ...], cell: int) -> str:
    return "&".join(name for j, name in enumerate(lists) if cell >> j & 1)


def _lp_exists(X: np.ndarray, support: np.ndarray) -> bool:
    """Fienberg-Rinaldo LP on the 0/1 support (existence depends only on the zero pattern)."""
    from scipy.optimize import linprog

    n, p = X.shape
    target = X.T @ support.astype(float)
    c = np.zeros(n + 1)
    c[-1] = -1.0
    a_eq = np.hstack([X.T, np.zeros((p, 1))])
    a_ub = np.hstack([-np.eye(n), np.ones((n, 1))])
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=np.zeros(n),
        A_eq=a_eq,
        b_eq=target,
        bounds=[(0, None)] * n + [(0, 1)],
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > 1e-7)


def _exists_and_rank(X: np.ndarray, y: np.ndarray) -> tuple[bool, int]:
    """Exact existence test and rank of ``X``, via the dual of the Fienberg-Rinaldo problem.

    By Stiemke's alternative, a strictly positive table with the data's sufficient statistics
    exists unless some direction *c* has :math:`(Xc)_S = 0` on the positive cells *S* and
    :math:`(Xc)_Z \\ge 0`, not all zero, on the zero cells *Z* (along it the likelihood rises
    towards a supremum it never attains). Such *c* lie in the null space of :math:`X_S`: if
    that is trivial the MLE exists; if it is one-dimensional, spanned by *u*, the MLE fails
    exactly when :math:`X_Z u` is nonzero and of one sign; otherwise a small LP in the
    null-space coordinates decides.
    """
    rank = int(np.linalg.matrix_rank(X))
    zero = y == 0
    if not zero.any():
        return True, rank
    xs = X[~zero]
    _, sv, vt = np.linalg.svd(xs, full_matrices=True)
    tol = (sv[0] if len(sv) else 1.0) * max(xs.shape) * 1e-12
    null = vt[int((sv > tol).sum()) :].T  # basis of {c : X_S c = 0}
    if null.shape[1] == 0:
        return True, rank
    b = X[zero] @ null
    b[np.abs(b) < 1e-9] = 0.0
    if not b.any():
        return True, rank  # these directions change no fitted value: non-identifiable only
    if null.shape[1] == 1:
        col = b[:, 0]
        return not ((col >= 0).all() or (col <= 0).all()), rank
    return not _dual_direction(b), rank


def _dual_direction(b: np.ndarray) -> bool:
    """Whether some *u* makes ``b @ u`` non-negative and not zero (LP: max sum, 0 <= b u <= 1)."""
    from scipy.optimize import linprog

    k = b.shape[1]
    res = linprog(
        -b.sum(axis=0),
        A_ub=np.vstack([b, -b]),
        b_ub=np.concatenate([np.ones(len(b)), np.zeros(len(b))]),
        bounds=[(None, None)] * k,
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > 1e-7)


def check_design(design: Design, table: CaptureTable, raise_error: bool = False) -> ModelCheck:
    """Existence and identifiability of the MLE for a prepared `Design` (cached).

    Raises `EstimateNotExistError` or `NotIdentifiableError` when ``raise_error`` is true and a
    check fails.
    """
    lists = table.lists
    zero = design.y == 0
    key = (len(lists), design.terms, design.neg_inf_terms, np.packbits(zero).tobytes())
    hit = _CACHE.get(key)
    if hit is None:
        hit = _exists_and_rank(design.X, design.y)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = hit
    exists, rank = hit
    identifiable = rank == design.X.shape[1]
    model = term_names(lists, design.terms)
    label = "[" + ", ".join(model) + "]" if model else "the independence model"
    problems = []
    if not identifiable:
        removed = term_names(lists, design.neg_inf_terms)
        problems.append(
            f"{label} is not identifiable: the design has rank {rank} for {design.X.shape[1]} "
            f"parameters on the {design.X.shape[0]} cells it can fit"
            + (
                f" (cells with both lists of {', '.join(removed)} are structural zeros because "
                "those pairs never overlap)"
                if removed
                else ""
            )
        )
    if not exists:
        zeros = [_pattern_label(lists, int(c)) for c in design.cells[zero]]
        shown = ", ".join(zeros[:8]) + (" ..." if len(zeros) > 8 else "")
        problems.append(
            f"the maximum likelihood estimate does not exist for {label}: with the observed zero "
            f"cells ({shown}) the likelihood keeps increasing as fitted counts go to zero "
            "(Fienberg-Rinaldo linear-programming condition)"
        )
    message = "; ".join(problems) if problems else f"{label}: the MLE exists and is identifiable"
    check = ModelCheck(model=model, exists=exists, identifiable=identifiable, message=message)
    if raise_error and not check.ok:
        if design.terms:
            advice = (
                " Choose a smaller model, combine sparse lists, or use method='stepwise', "
                "which skips terms the data cannot support."
            )
        else:
            advice = (
                " Even the independence model cannot be fitted: the lists have too few people "
                "in common to say how many were missed. Check the record linkage, or combine "
                "lists that rarely overlap."
            )
        if not exists:
            raise EstimateNotExistError(message + "." + advice)
        raise NotIdentifiableError(message + "." + advice)
    return check


def check_model(table: CaptureTable, terms: Iterable[Any] | None = ()) -> ModelCheck:
    """Check that ``table`` supports the model with two-list ``terms`` (``'A:B'`` strings).

    Examples
    --------
    With the artificial table of Chan et al. (2021, Table 2), the model with all three
    two-list terms is not identifiable and any model with ``A:B`` has no MLE.
    """
    return check_design(build_design(table, parse_terms(table.lists, terms)), table=table)


def remove_noninformative_lists(
    table: CaptureTable,
) -> tuple[CaptureTable, tuple[tuple[str, str], ...]]:
    """Drop lists that carry no capture-recapture information.

    A list is removed, with its reason, when it

    1. has no cases;
    2. holds every observed case (its capture probability is estimated as 1, so it can say
       nothing about who is missed; people seen only on it then count as unseen by the lists
       that remain, exactly as in SparseMSE); or
    3. has exactly the same cases as an earlier list (a duplicate adds no information).

    The rules are applied again until nothing changes (removing a list that held everyone can
    make another list hold everyone of those remaining).

    Returns
    -------
    (CaptureTable, tuple of (list, reason))
        The reduced table and what was removed, in order.
    """
    removed: list[tuple[str, str]] = []
    while True:
        totals = table.list_totals()
        observed = table.observed
        drop: dict[str, str] = {}
        for name, total in totals.items():
            if total == 0:
                drop[name] = "no cases"
            elif total == observed:
                drop[name] = "contains every observed case"
        pats = table.patterns[table.counts > 0]
        seen: dict[bytes, str] = {}
        for j, name in enumerate(table.lists):
            if name in drop:
                continue
            key = pats[:, j].tobytes()
            if key in seen:
                drop[name] = f"identical to list {seen[key]}"
            else:
                seen[key] = name
        if not drop:
            return table, tuple(removed)
        removed.extend(drop.items())
        keep = [name for name in table.lists if name not in drop]
        if not keep:
            return CaptureTable((), np.zeros(1, dtype=np.int64)), tuple(removed)
        table = table.keep_lists(keep)
