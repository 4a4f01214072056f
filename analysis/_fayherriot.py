"""Hierarchical Bayes Fay-Herriot model on the arcsine-square-root scale (`analysis.smallarea`).

``theta_hat_i | theta_i ~ N(theta_i, D_i)``, ``theta_i | mu, A ~ N(mu, A)``, flat priors on
``mu`` and ``A >= 0``. Given ``A`` everything is Gaussian: with ``w_i = 1/(A + D_i)``,
``mu_hat(A) = sum(w theta_hat) / sum(w)`` and, ``mu`` integrated out,

    theta_i | A, data ~ N(g_i theta_hat_i + (1 - g_i) mu_hat(A),
                          g_i D_i + (1 - g_i)^2 / sum(w)),     g_i = A / (A + D_i),

while the marginal (residual, REML) likelihood of ``A`` is
``L(A) ∝ prod(w_i)^(1/2) sum(w)^(-1/2) exp(-sum(w_i (theta_hat_i - mu_hat)^2) / 2)``. The
posterior of ``A`` (flat prior) is ``L(A)`` normalised on a grid, and each ``theta_i`` a mixture
of normals over that grid: exact up to the grid, no sampling. ``L(A)`` decays like
``A^(-(k-1)/2)``, so the posterior is proper only with ``k >= 4`` areas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

__all__ = ["fay_herriot_hb", "MIN_AREAS", "ZERO_SHARE"]

MIN_AREAS = 4
#: the between-area variance is "at or near zero" when its REML estimate is below this share of
#: the median sampling variance
ZERO_SHARE = 0.01


def _grid(theta: np.ndarray, d: np.ndarray) -> np.ndarray:
    top = 100 * (np.var(theta) + d.max())
    return np.concatenate([[0.0], np.geomspace(1e-4 * np.median(d), top, 600)])


def _mixture_quantiles(mean: np.ndarray, var: np.ndarray, weight: np.ndarray,
                       probs: tuple[float, ...]) -> np.ndarray:
    """Quantiles (len(probs) x areas) of per-area normal mixtures (grid x areas) by bisection."""
    sd = np.sqrt(var)
    out = []
    for q in probs:
        lo = (mean - 10 * sd).min(axis=0)
        hi = (mean + 10 * sd).max(axis=0)
        for _ in range(60):
            mid = (lo + hi) / 2
            cdf = (weight[:, None] * ndtr((mid[None, :] - mean) / sd)).sum(axis=0)
            lo, hi = np.where(cdf < q, mid, lo), np.where(cdf < q, hi, mid)
        out.append((lo + hi) / 2)
    return np.array(out)


def fay_herriot_hb(p_hat: np.ndarray, n_eff: np.ndarray, alpha: float
                   ) -> tuple[pd.DataFrame | None, dict[str, float], bool, str | None]:
    """Posterior median, interval and mean shrinkage weight per area.

    Returns ``(table or None, hyperparameters, variance_zero, note)``; the table is None when
    there are fewer than `MIN_AREAS` areas (the note says so).
    """
    k = len(p_hat)
    if k < MIN_AREAS:
        return None, {}, False, (f"only {k} areas: too few to estimate how much they differ "
                                 "(fay_herriot needs 4); direct estimates shown")
    theta = np.arcsin(np.sqrt(np.clip(p_hat, 0.0, 1.0)))
    d = 1.0 / (4.0 * np.asarray(n_eff, dtype=float))
    a = _grid(theta, d)
    w = 1.0 / (a[:, None] + d[None, :])
    sw = w.sum(axis=1)
    mu = (w * theta).sum(axis=1) / sw
    loglik = 0.5 * np.log(w).sum(axis=1) - 0.5 * np.log(sw) \
        - 0.5 * (w * (theta[None, :] - mu[:, None]) ** 2).sum(axis=1)
    widths = np.gradient(a)  # trapezoid weights of the flat prior on A
    logpost = loglik + np.log(widths)
    post = np.exp(logpost - logpost.max())
    post /= post.sum()
    g = a[:, None] * w
    mean = g * theta[None, :] + (1 - g) * mu[:, None]
    var = g * d[None, :] + (1 - g) ** 2 / sw[:, None]
    med, lo, hi = _mixture_quantiles(mean, var, post, (0.5, alpha / 2, 1 - alpha / 2))

    def back(t: np.ndarray) -> np.ndarray:
        return np.sin(np.clip(t, 0.0, np.pi / 2)) ** 2

    table = pd.DataFrame({"estimate": back(med), "lower": back(lo), "upper": back(hi),
                          "weight": post @ g})
    a_reml = float(a[np.argmax(loglik)])
    positive = a > 0
    a_ll = float(a[positive][np.argmax(loglik[positive] + np.log(a[positive]))])
    zero = a_reml < ZERO_SHARE * float(np.median(d))
    hyper = {"mean": float(back(np.array([post @ mu]))[0]), "A_reml": a_reml,
             "A_li_lahiri": a_ll, "A_posterior_mean": float(post @ a),
             "median_sampling_var": float(np.median(d))}
    return table, hyper, zero, None
