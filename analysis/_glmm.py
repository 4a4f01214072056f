"""The binomial mixed model of `analysis.smallarea` (``method="glmm"``): ``logit p_ij = b0 +
u_area + v_commune`` fitted by maximum marginal likelihood with the commune effects integrated
exactly (Gauss-Hermite) and the area effects on a grid; see `analysis.smallarea` for the method,
its coverage and why statsmodels' ``BinomialBayesMixedGLM`` is not used."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import expit, logsumexp

from analysis._direct import cluster_labels
from analysis._validation import ModelFitError

__all__ = ["fit_glmm"]

_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(24)
_LOG_GH_W = np.log(_GH_W / _GH_W.sum())
_GRID = np.linspace(-9.0, 6.0, 301)  # logit scale, step 0.05, for the area effects


def _area_loglik(cl_area: np.ndarray, m: np.ndarray, y: np.ndarray, n_areas: int,
                 sd_cluster: float) -> np.ndarray:
    """(areas x grid) log-likelihood of each area at ``b0 + u = grid``, communes integrated out.

    Each commune's effect is integrated exactly (up to 24-node Gauss–Hermite) — no mode-based
    approximation, which is what biases Laplace/PQL fits of small binary clusters.
    """
    out = np.zeros((n_areas, _GRID.size))
    nodes = _GRID[None, :, None] + sd_cluster * _GH_X[None, None, :]
    logp, log1mp = -np.logaddexp(0, -nodes), -np.logaddexp(0, nodes)
    for lo in range(0, len(m), 256):
        sl = slice(lo, lo + 256)
        ll = y[sl, None, None] * logp + (m - y)[sl, None, None] * log1mp + _LOG_GH_W
        lc = logsumexp(ll, axis=2)
        np.add.at(out, cl_area[sl], lc)
    return out


def _log_prior(b0: np.ndarray | float, sd_area: float) -> np.ndarray:
    return stats.norm.logpdf(_GRID[None, :], np.reshape(b0, (-1, 1)), sd_area)


def _fit_areas(loglik: np.ndarray) -> tuple[float, float, float, float]:
    """ML of (b0, sd_area) for a given commune sd; returns b0, sd_area, se(b0), -loglik."""
    def nll(par: np.ndarray) -> float:
        return -float(logsumexp(loglik + _log_prior(par[0], np.exp(par[1])), axis=1).sum())

    start = np.array([_GRID[np.argmax(loglik.sum(0))], np.log(0.5)])
    res = optimize.minimize(nll, start, method="Nelder-Mead",
                            options={"xatol": 1e-5, "fatol": 1e-7, "maxiter": 2000})
    b0, log_sd = res.x
    h = 1e-3  # curvature in b0 for its standard error
    curv = (nll(res.x + [h, 0]) - 2 * res.fun + nll(res.x - [h, 0])) / h**2
    se = 1 / np.sqrt(curv) if curv > 0 else np.inf
    return float(b0), float(np.exp(log_sd)), float(se), float(res.fun)


def _posterior(cl_area: np.ndarray, m: np.ndarray, yc: np.ndarray, n_areas: int,
               clustered: bool) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Posterior CDF of each area's prevalence on a grid: (areas x grid) CDF, the grid's
    prevalence values, and the fitted hyperparameters."""
    if not clustered:
        sd_cluster = 0.0
    else:
        res = optimize.minimize_scalar(
            lambda t: _fit_areas(_area_loglik(cl_area, m, yc, n_areas, np.exp(t)))[3],
            bounds=(np.log(0.01), np.log(3.0)), method="bounded", options={"xatol": 1e-3})
        sd_cluster = float(np.exp(res.x))
    loglik = _area_loglik(cl_area, m, yc, n_areas, sd_cluster)
    b0, sd_area, se_b0, _ = _fit_areas(loglik)
    if not np.isfinite(se_b0):
        raise ModelFitError("binomial mixed model: the intercept is not identified")
    # Posterior of each area's logit on the grid, averaged over b0 ~ N(b0_hat, se^2)
    # (9-point Gauss–Hermite); the variance components are plugged in (empirical Bayes).
    bx, bw = np.polynomial.hermite_e.hermegauss(9)
    post = np.zeros_like(loglik)
    for xj, wj in zip(bx, bw / bw.sum(), strict=True):
        lp = loglik + _log_prior(b0 + se_b0 * xj, sd_area)
        post += wj * np.exp(lp - logsumexp(lp, axis=1, keepdims=True))
    cdf = np.cumsum(post, axis=1)
    cdf /= cdf[:, -1:]
    # The area prevalence E_v[expit(b0 + u + v)] (same estimand as the direct and beta-binomial
    # estimates) is monotone in b0 + u, so the grid's CDF carries over.
    prevalence = expit(_GRID[:, None] + sd_cluster * _GH_X[None, :]) @ (_GH_W / _GH_W.sum())
    hyper = {"intercept": b0, "se_intercept": se_b0, "sd_area": sd_area}
    if clustered:
        hyper["sd_cluster"] = sd_cluster
    return cdf, prevalence, hyper


def fit_glmm(
    rows: pd.DataFrame, by: str, outcome: str, cluster: str | None, alpha: float,
    draws: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Posterior median and equal-tailed interval of each area's prevalence.

    ``draws`` (imputations x rows) replaces ``rows[outcome]`` by imputed outcomes: the model is
    fitted to each and the posteriors are mixed with equal weights, the Bayesian way of combining
    multiple imputations (Zhou & Reiter 2010, *Am Stat* 64:159-163); hyperparameters are averaged.
    """
    areas, area_idx = np.unique(rows[by].astype(str).to_numpy(), return_inverse=True)
    if cluster is not None:
        key = rows[by].astype(str).to_numpy(dtype=object) + "|" + cluster_labels(rows, cluster)
        _, groups = np.unique(key.astype(str), return_inverse=True)
    else:
        groups = area_idx
    m = np.bincount(groups).astype(float)
    cl_area = np.zeros(len(m), dtype=int)
    cl_area[groups] = area_idx
    ys = [rows[outcome].to_numpy(float)] if draws is None else list(draws)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # sd_area -> 0
        fits = [_posterior(cl_area, m, np.bincount(groups, weights=y, minlength=len(m)),
                           len(areas), cluster is not None) for y in ys]
    x = np.unique(np.concatenate([f[1] for f in fits]))
    mix = np.mean([[np.interp(x, prev, c) for c in cdf] for cdf, prev, _ in fits], axis=0)

    def quantile(q: float) -> np.ndarray:
        return np.array([np.interp(q, c, x) for c in mix])

    out = pd.DataFrame(
        {"estimate": quantile(0.5), "lower": quantile(alpha / 2),
         "upper": quantile(1 - alpha / 2)},
        index=pd.Index(areas, name=by),
    )
    hyper = {k: float(np.mean([f[2][k] for f in fits])) for k in fits[0][2]}
    return out, hyper
