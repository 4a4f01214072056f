"""Small-cell suppression: primary rule, complementary rule, and attacks from the margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis._validation import InvalidParameterError
from analysis.suppress import (
    disclosure_bounds,
    publishable_proportions,
    small_cells,
    suppress_table,
)


def recompute_from_margins(table: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    """An attacker who knows every row and column total and solves lines with one unknown.

    Returns the mask of hidden cells the attacker recovered (iterating to a fixed point, so a cell
    recovered in a row can unlock its column).
    """
    values = table.to_numpy(float)
    unknown = hidden.copy()
    recovered = np.zeros_like(hidden)
    nrow, ncol = values.shape
    progress = True
    while progress:
        progress = False
        lines = [(i, None) for i in range(nrow)] if ncol > 1 else []
        lines += [(None, j) for j in range(ncol)] if nrow > 1 else []
        for i, j in lines:
            sel = unknown[i] if j is None else unknown[:, j]
            if sel.sum() == 1:
                k = int(np.flatnonzero(sel)[0])
                cell = (i, k) if j is None else (k, j)
                unknown[cell] = False
                recovered[cell] = True
                progress = True
    return recovered


def test_primary_rule_boundaries():
    assert small_cells([0, 1, 4, 5, 6], 5).tolist() == [False, True, True, False, False]
    assert small_cells([0, 1, 4, 5], 5, suppress_zeros=True).tolist() == [True, True, True, False]
    assert small_cells([10, 11], 11).tolist() == [True, False]  # CTDC's k = 11


def test_single_small_cell_gets_row_and_column_complements():
    table = pd.DataFrame([[3, 20, 30], [40, 50, 60], [25, 70, 80]],
                         index=list("abc"), columns=list("xyz"))
    res = suppress_table(table)
    hidden = res.suppressed.to_numpy()
    assert res.n_primary == 1 and hidden[0, 0]
    for line in (*hidden, *hidden.T):  # no row or column with exactly one hidden cell
        assert line.sum() != 1
    # smallest other cells (20 in the row, 25 in the column), closed by one cell: a rectangle
    assert hidden[0, 1] and hidden[2, 0] and hidden[2, 1] and hidden.sum() == 4
    assert not recompute_from_margins(table, hidden).any()
    assert not res.bounds()["exact"].any()
    published = res.to_frame()
    assert published.isna().to_numpy().sum() == hidden.sum()
    assert published.loc["b", "y"] == 50


@pytest.mark.parametrize("seed", range(12))
def test_random_tables_cannot_be_recomputed_from_margins(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 9)), int(rng.integers(2, 7)))
    table = pd.DataFrame(rng.poisson(rng.choice([3.0, 8.0, 30.0], size=shape)))
    res = suppress_table(table, threshold=5)
    hidden = res.suppressed.to_numpy()
    assert (hidden | ~small_cells(table.to_numpy(), 5)).all()  # every small cell hidden
    assert not recompute_from_margins(table, hidden).any()
    bounds = disclosure_bounds(table, hidden)
    assert not bounds["exact"].any()
    # the true value always lies within what the attacker can bound
    assert ((bounds["lower"] <= bounds["value"] + 1e-9)
            & (bounds["value"] <= bounds["upper"] + 1e-9)).all()


def test_audit_catches_a_bridge_that_the_standard_rule_misses():
    # two suppressed 2x2 cycles joined by one cell: every line has 0 or >= 2 hidden cells, yet
    # the joining cell is fixed by the margins.
    values = np.full((4, 4), 50)
    small = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)]
    for i, j in small:
        values[i, j] = 2 + (i + j) % 3
    table = pd.DataFrame(values)
    plain = suppress_table(table, audit=False)
    exact = plain.bounds().query("exact")
    assert list(zip(exact["row"], exact["column"], strict=True)) == [(1, 2)]
    audited = suppress_table(table)
    assert not audited.bounds()["exact"].any()
    assert audited.n_complementary > plain.n_complementary


def test_series_is_one_column_with_a_known_total():
    s = pd.Series([2, 40, 55, 61], index=["01", "02", "03", "04"])
    res = suppress_table(s)
    hidden = res.suppressed.to_numpy().ravel()
    assert hidden.tolist() == [True, True, False, False]


def test_publishable_proportions_rules_and_complement():
    cases = np.array([0, 3, 40, 12, 50, 8])
    n = np.array([30, 60, 200, 100, 52, 90])
    pub = publishable_proportions(cases, n, 5)
    # unit 1: 3 cases; unit 4: only 2 non-cases -> both unpublishable; two hidden units already
    assert pub.tolist() == [True, False, True, True, False, True]
    # a lone hidden unit gets a partner so national totals do not reveal it
    pub = publishable_proportions(np.array([3, 40, 12, 20]), np.array([60, 200, 100, 90]), 5)
    assert (~pub).sum() == 2 and not pub[0]
    table = pd.DataFrame({"cases": [3, 40, 12, 20], "non": [57, 160, 88, 70]})
    hidden = np.repeat(~pub[:, None], 2, axis=1)
    assert not recompute_from_margins(table, hidden).any()
    assert not disclosure_bounds(table, hidden)["exact"].any()


def test_small_unit_is_unpublishable_even_with_zero_cases():
    assert publishable_proportions([0], [4], 5).tolist() == [False]


@pytest.mark.parametrize("bad", [[[1, -2]], [[1.5, 2]], [[np.nan, 3]]])
def test_rejects_bad_counts(bad):
    with pytest.raises(InvalidParameterError):
        suppress_table(pd.DataFrame(bad))


def test_rejects_bad_threshold_and_summary_reads():
    with pytest.raises(InvalidParameterError, match="threshold"):
        suppress_table(pd.DataFrame([[1, 2]]), threshold=0)
    res = suppress_table(pd.DataFrame([[1, 20], [30, 40]]))
    text = res.summary()
    assert "threshold 5" in text and "primary suppressed: 1" in text


def test_two_column_closed_form_matches_linear_programme():
    rng = np.random.default_rng(99)
    for _ in range(50):
        k = int(rng.integers(2, 8))
        n = rng.integers(0, 40, k)
        c = np.floor(rng.random(k) * (n + 1))
        hide = rng.random(k) < 0.5
        if not hide.any():
            continue
        two = pd.DataFrame({"cases": c, "non": n - c})
        mask = np.repeat(hide[:, None], 2, axis=1)
        closed = disclosure_bounds(two, mask)
        # a third, fully published column of zeros sends the same problem to the LP solver
        lp = disclosure_bounds(two.assign(zero=0), np.column_stack([mask, np.zeros(k, bool)]))
        np.testing.assert_allclose(closed[["lower", "upper"]], lp[["lower", "upper"]], atol=1e-9)
