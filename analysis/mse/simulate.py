"""Simulated capture-history tables with a known total, for checks and teaching.

People are assigned to the ``2**t`` capture patterns by a multinomial draw whose probabilities
follow a log-linear model, :math:`\\pi_\\omega \\propto \\exp(\\sum_{j\\in\\omega}\\theta_j +
\\sum_{\\{i,j\\}\\subseteq\\omega}\\gamma_{ij})` with :math:`\\theta_j = \\mathrm{logit}(p_j)`.
Without interactions the lists are independent and list *j* catches each person with
probability :math:`p_j`; a positive :math:`\\gamma_{ij}` makes people on list *i* more likely to
be on list *j* (positive dependence, which biases the independence estimate downwards). The
log-linear model with terms :math:`\\{ij : \\gamma_{ij} \\ne 0\\}` is then correctly specified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .errors import InvalidParameterError
from .table import CaptureTable

__all__ = ["cell_probabilities", "simulate_capture", "simulate_heterogeneous"]


def cell_probabilities(
    capture_probs: Sequence[float], interactions: Mapping[tuple[int, int], float] | None = None
) -> np.ndarray:
    """Probabilities of the ``2**t`` capture patterns (cell 0 = on no list)."""
    p = np.asarray(capture_probs, dtype=float)
    if p.ndim != 1 or len(p) < 2 or ((p <= 0) | (p >= 1)).any():
        raise InvalidParameterError("capture_probs must hold at least two values in (0, 1)")
    t = len(p)
    pats = ((np.arange(2**t)[:, None] >> np.arange(t)) & 1).astype(float)
    logits = pats @ np.log(p / (1 - p))
    for (i, j), gamma in (interactions or {}).items():
        if not (0 <= i < t and 0 <= j < t and i != j):
            raise InvalidParameterError(f"interaction {(i, j)} does not name two lists")
        logits += gamma * pats[:, i] * pats[:, j]
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


def simulate_capture(
    n_total: int,
    capture_probs: Sequence[float],
    interactions: Mapping[tuple[int, int], float] | None = None,
    rng: np.random.Generator | int | None = None,
    lists: Sequence[str] | None = None,
) -> tuple[CaptureTable, int]:
    """Draw a capture-history table for a population of ``n_total`` people.

    Parameters
    ----------
    n_total : int
        True population size *N*.
    capture_probs : sequence of float
        Per-list capture probabilities :math:`p_j` (the main effects).
    interactions : mapping, optional
        ``{(i, j): gamma}`` two-list log-linear interactions.
    rng : numpy.random.Generator, int or None
        Random generator or seed.
    lists : sequence of str, optional
        List names (default ``A``, ``B``, ...).

    Returns
    -------
    (CaptureTable, int)
        The observable table and the true number never seen.
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    probs = cell_probabilities(capture_probs, interactions)
    counts = gen.multinomial(int(n_total), probs)
    unseen = int(counts[0])
    counts[0] = 0
    t = len(capture_probs)
    names = tuple(lists) if lists is not None else tuple("ABCDEFGHIJKLMNOP"[:t])
    return CaptureTable(names, counts), unseen


def simulate_heterogeneous(
    n_total: int,
    capture_probs: Sequence[float],
    *,
    sd: float = 1.0,
    classes: Sequence[tuple[float, Sequence[float]]] | None = None,
    rng: np.random.Generator | int | None = None,
    lists: Sequence[str] | None = None,
) -> tuple[CaptureTable, int]:
    """Capture histories when people differ in how easy they are to find (heterogeneity).

    Either a **latent catchability shared across lists** (the Rasch model of capture-recapture,
    Fienberg, Johnson & Junker 1999): person *i* is on list *j* with probability
    :math:`\\mathrm{expit}(\\mathrm{logit}(p_j) + \\sigma u_i)`, :math:`u_i \\sim N(0, 1)`
    independently given :math:`u_i`; or, with ``classes = [(share, probs), ...]``, a **finite
    mixture**: a share of the people has its own capture probabilities per list (the model class
    of Manrique-Vallier 2016). Either way the lists are independent within a person but
    positively dependent in the population, which log-linear models with two-list terms cannot
    fully absorb: their estimates fall short of *N*.

    Returns ``(table, unseen)`` as `simulate_capture`.

    References
    ----------
    Fienberg, S. E., Johnson, M. S. and Junker, B. W. (1999). Classical multilevel and Bayesian
    approaches to population size estimation using multiple lists. *J. R. Statist. Soc. A* 162,
    383-405.
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    p = np.asarray(capture_probs, dtype=float)
    if p.ndim != 1 or len(p) < 2 or ((p <= 0) | (p >= 1)).any():
        raise InvalidParameterError("capture_probs must hold at least two values in (0, 1)")
    n_total = int(n_total)
    if classes is None:
        if sd < 0:
            raise InvalidParameterError(f"sd must be >= 0, got {sd!r}")
        eta = np.log(p / (1 - p))[None, :] + sd * gen.standard_normal((n_total, 1))
        probs = 1.0 / (1.0 + np.exp(-eta))
    else:
        shares = np.array([c[0] for c in classes], dtype=float)
        table_p = np.array([c[1] for c in classes], dtype=float)
        if table_p.shape != (len(classes), len(p)) or not np.isclose(shares.sum(), 1.0):
            raise InvalidParameterError("classes must be (share, probs per list) with shares summing to 1")
        probs = table_p[gen.choice(len(classes), size=n_total, p=shares)]
    caught = gen.random(probs.shape) < probs
    index = caught.astype(np.int64) @ (1 << np.arange(len(p)))
    counts = np.bincount(index, minlength=2 ** len(p)).astype(np.int64)
    unseen = int(counts[0])
    counts[0] = 0
    names = tuple(lists) if lists is not None else tuple("ABCDEFGHIJKLMNOP"[: len(p)])
    return CaptureTable(names, counts), unseen
