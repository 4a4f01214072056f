"""Rubin's rules: combining estimates from multiply imputed data sets.

With ``m`` imputations giving estimates ``q_i`` and complete-data variances ``u_i``:
``q = mean(q_i)``, within ``W = mean(u_i)``, between ``B = var(q_i)`` (ddof 1), total
``T = W + (1 + 1/m) B`` (Rubin 1987, section 3.1). The relative increase in variance is
``r = (1 + 1/m) B / W``; the degrees of freedom are Rubin's ``v_m = (m - 1)(1 + 1/r)^2``, with
the small-sample correction of Barnard & Rubin (1999) when the complete-data analysis has finite
degrees of freedom ``v_com``: ``v = 1 / (1/v_m + 1/v_obs)``, ``v_obs = (v_com + 1)/(v_com + 3)
v_com (1 - gamma)``, ``gamma = (1 + 1/m) B / T``. The fraction of missing information is
reported as ``(r + 2/(v + 3)) / (r + 1)``.

References
----------
Rubin DB (1987) *Multiple Imputation for Nonresponse in Surveys*. Wiley.
Barnard J, Rubin DB (1999) Small-sample degrees of freedom with multiple imputation.
*Biometrika* 86:948-955. doi:10.1093/biomet/86.4.948
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Pooled", "pool"]


@dataclass(frozen=True)
class Pooled:
    """Pooled estimates (arrays, one entry per quantity)."""

    estimate: np.ndarray
    within: np.ndarray
    between: np.ndarray
    total: np.ndarray
    df: np.ndarray
    fmi: np.ndarray
    m: int


def pool(estimates: np.ndarray, variances: np.ndarray, df_complete: float | np.ndarray = np.inf
         ) -> Pooled:
    """Combine ``estimates`` and ``variances`` (shape ``(m, k)``: imputations x quantities)."""
    q = np.atleast_2d(np.asarray(estimates, dtype=float))
    u = np.atleast_2d(np.asarray(variances, dtype=float))
    m = q.shape[0]
    if m < 2:
        raise ValueError("Rubin's rules need at least two imputations")
    qbar = q.mean(axis=0)
    w = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = w + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(w > 0, (1 + 1 / m) * b / w, np.where(b > 0, np.inf, 0.0))
        v_m = np.where(r > 0, (m - 1) * (1 + 1 / r) ** 2, np.inf)
        gamma = np.where(t > 0, (1 + 1 / m) * b / t, 0.0)
        v_com = np.broadcast_to(np.asarray(df_complete, dtype=float), qbar.shape)
        v_obs = np.where(np.isfinite(v_com), (v_com + 1) / (v_com + 3) * v_com * (1 - gamma),
                         np.inf)
        inv = np.where(np.isfinite(v_m), 1 / v_m, 0.0) + np.where(np.isfinite(v_obs),
                                                                   1 / v_obs, 0.0)
        df = np.where(inv > 0, 1 / inv, np.inf)
        fmi = np.where(np.isfinite(r), (r + 2 / (df + 3)) / (r + 1), 1.0)
    return Pooled(estimate=qbar, within=w, between=b, total=t, df=df, fmi=fmi, m=m)
