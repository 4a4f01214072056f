"""Building blocks of the imputation models: design matrices, small regression fits, the
commune bootstrap and predictive mean matching (used by `analysis.imputation`).

Predictive mean matching (PMM; Little 1988, JBES 6:287-296; van Buuren 2018, *Flexible
Imputation of Missing Data*, 2nd ed., section 3.4): a recipient takes the recorded value of one of
the ``k`` donors whose predicted values are nearest its own, so every imputed value is a value
that was really recorded. The models that give the predictions are refitted in each imputation
on a bootstrap sample of communes, which makes the imputations *proper* (they carry the
uncertainty of the imputation model; Rubin 1987, section 4.2; the approximate Bayesian bootstrap
of Rubin & Schenker 1986, JASA 81:366-374), and the communes, not the journeys, are resampled
because journeys from one commune are correlated.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.special import expit

from analysis.covariates import CATEGORICAL, COVARIATES

__all__ = ["Block", "covariate_block", "fit_logit", "fit_ols", "pmm", "commune_bootstrap"]

#: a categorical level seen fewer times than this is pooled with the other rare levels
RARE = 20


class Block:
    """Design columns of one covariate (one-hot for a categorical, standardised otherwise)."""

    def __init__(self, name: str, values: np.ndarray, missing_indicator: bool) -> None:
        self.name = name
        kind = COVARIATES[name][0] if name in COVARIATES else CATEGORICAL
        if kind == CATEGORICAL:
            v = pd.Series(values, dtype="string").fillna("(missing)")
            counts = v.value_counts()
            rare = counts.index[counts < RARE]
            v = v.where(~v.isin(rare), "(rare)")
            levels = sorted(v.unique())[1:]
            self.matrix = np.column_stack([(v == lv).to_numpy(float) for lv in levels]) \
                if levels else np.zeros((len(v), 0))
            return
        x = np.asarray(values, dtype=float)
        na = np.isnan(x)
        centre = float(np.nanmean(x)) if (~na).any() else 0.0
        scale = float(np.nanstd(x)) if (~na).sum() > 1 else 1.0
        filled = np.where(na, centre, x)
        cols = [(filled - centre) / (scale if scale > 0 else 1.0)]
        if missing_indicator and na.any():
            cols.append(na.astype(float))
        self.matrix = np.column_stack(cols)


def covariate_block(name: str, values: np.ndarray, missing_indicator: bool = True) -> np.ndarray:
    """The design columns of covariate ``name`` (an area code column is treated as categorical);
    constant columns are left out."""
    matrix = Block(name, values, missing_indicator).matrix
    if not matrix.shape[1]:
        return matrix
    varies = (matrix != matrix[0]).any(axis=0)
    return matrix if varies.all() else matrix[:, varies]


def design(blocks: Mapping[str, np.ndarray], skip: str | None = None) -> np.ndarray:
    """Intercept plus every block except ``skip``."""
    n = len(next(iter(blocks.values())))
    cols = [b for k, b in blocks.items() if k != skip and b.shape[1]]
    return np.column_stack([np.ones(n), *cols]) if cols else np.ones((n, 1))


def fit_logit(x: np.ndarray, y: np.ndarray, penalty: float = 1.0, iterations: int = 50) -> np.ndarray:
    """Ridge-penalised logistic regression by Newton-Raphson (intercept unpenalised), each
    step halved until the penalised log-likelihood rises.

    The small penalty keeps the fit finite when a bootstrap sample separates a rare level
    perfectly; on standardised columns with thousands of rows its effect on the predictions is
    negligible. Plain Newton steps overshoot when a few events are almost separated by several
    columns (a province's last two years: 4 cases among 91 returns), and diverged until the
    Hessian was singular; the halving keeps every step uphill.
    """
    p_dim = x.shape[1]
    pen = np.full(p_dim, penalty)
    pen[0] = 0.0
    beta = np.zeros(p_dim)
    mean = float(np.clip(y.mean(), 1e-4, 1 - 1e-4)) if len(y) else 0.5
    beta[0] = np.log(mean / (1 - mean))

    def objective(b: np.ndarray) -> float:
        eta = x @ b
        return float(y @ eta - np.logaddexp(0.0, eta).sum() - 0.5 * pen @ (b * b))

    current = objective(beta)
    for _ in range(iterations):
        p = expit(x @ beta)
        w = p * (1 - p)
        hess = (x * w[:, None]).T @ x + np.diag(pen)
        grad = x.T @ (y - p) - pen * beta
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        size = 1.0
        while size > 1e-10 and objective(beta + size * step) < current:
            size /= 2
        beta = beta + size * step
        current = objective(beta)
        if np.max(np.abs(size * step)) < 1e-8:
            break
    return beta


def fit_ols(x: np.ndarray, y: np.ndarray, penalty: float = 1e-6) -> np.ndarray:
    """Least squares (``y`` may have several columns), with a tiny ridge for aliased columns."""
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += penalty * len(x)
    return np.linalg.solve(gram, x.T @ y)


def commune_bootstrap(clusters: np.ndarray, eligible: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """Positions of a bootstrap sample of the ``eligible`` rows, resampling whole clusters."""
    pos = np.flatnonzero(eligible)
    if pos.size == 0:
        return pos
    codes, inverse = np.unique(clusters[pos], return_inverse=True)
    draws = np.bincount(rng.integers(0, len(codes), len(codes)), minlength=len(codes))
    return np.repeat(pos, draws[inverse])


def pmm(donor_scores: np.ndarray, recipient_scores: np.ndarray, k: int,
        rng: np.random.Generator) -> np.ndarray:
    """For each recipient, the position of one of the ``k`` donors with the nearest scores.

    Scores are standardised by the donors' spread; a tiny random jitter breaks ties, so that
    recipients with identical scores do not all draw from the same few donors.
    """
    d = np.atleast_2d(donor_scores.T).T
    r = np.atleast_2d(recipient_scores.T).T
    if len(r) == 0:
        return np.zeros(0, dtype=int)
    scale = d.std(axis=0)
    scale[~(scale > 0)] = 1.0
    d = d / scale + 1e-7 * rng.standard_normal(d.shape)
    r = r / scale + 1e-7 * rng.standard_normal(r.shape)
    k = min(k, len(d))
    if d.shape[1] == 1:  # one score: a sorted search is much faster than a tree
        order = np.argsort(d[:, 0])
        pad = np.concatenate([np.full(k, -np.inf), d[order, 0], np.full(k, np.inf)])
        pos = np.searchsorted(pad, r[:, 0])
        cand = pos[:, None] + np.arange(-k, k)[None, :]
        dist = np.abs(pad[cand] - r[:, 0][:, None])
        near = np.take_along_axis(cand, np.argpartition(dist, k - 1, axis=1)[:, :k], axis=1)
        chosen = near[np.arange(len(r)), rng.integers(0, k, len(r))]
        return order[chosen - k]
    _, idx = cKDTree(d).query(r, k=k)
    idx = np.asarray(idx).reshape(len(r), k)
    return idx[np.arange(len(r)), rng.integers(0, k, len(r))]
