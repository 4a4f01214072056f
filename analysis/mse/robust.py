"""The default interval: bootstrap with model selection repeated, with its Monte Carlo error.

An interval from one selected model ignores that another sample would have selected another
model; in simulations with the true model among the candidates, profile and Wald intervals of
the stepwise model covered *N* about 70-80% of the time (issue 15; Silverman, Chan & Vincent
2024). The bootstrap with the selection repeated in every replicate is the default here.

**Which people are resampled.** SparseMSE resamples the *observed* people: every replicate sees
exactly as many people as the data. Between real samples that number varies (binomially, with
the probability of being seen), so those replicates understate the spread of the estimate: on
simulated five-list tables (``bench/sim_mse_coverage.py``, 400 tables, 2,000 replicates each)
their standard deviation was 16.4 against the estimates' real 19.4 and the percentile interval
covered N in 0.892 of the tables (MC s.e. 0.015), nearly every miss below N. Here the replicates
resample the *estimated population* - the observed people and the estimated unseen, ``round(N)``
people in all - and keep those seen (Buckland & Garthwaite 1991; Zwane & van der Heijden 2003
for the same point with the parametric bootstrap): standard deviation 19.4, coverage 0.935
(MC s.e. 0.012). ``kind='nonparametric'``
gives SparseMSE's replicates (and its BCa limits exactly); ``'parametric'`` draws Poisson counts
from the fitted model, which adds the Poisson variation of *N* itself and was too wide for a
fixed population (standard deviation 1.4 of the real one, coverage 0.985).

The remaining misses are the tables where the stepwise rule left out a real list dependence:
their estimate is low (by 3-7% in the bench) and no resampling of that table can tell (coverage
0.986 where the true model was chosen, 0.90 where one dependence was missed, 0.77 where both
were). Bias corrections make this worse, not better: BCa limits of the same replicates covered
0.868 (SparseMSE's 0.830), a bias-corrected percentile and a studentised interval (on log unseen,
with each replicate's model-based standard error) 0.78-0.87 in a 200-table trial, because a
table whose weak dependence was missed gives replicates that often find it, and the correction
then moves the interval down.

It is reported the way a Monte Carlo result should be:

* **Percentile and BCa limits side by side.** The percentile interval is the headline: it
  needs only the replicates. BCa (DiCiccio & Efron 1996) corrects bias and skewness but moves
  its tail levels by :math:`\\Phi(z_0 + (z_0 + z_\\alpha)/(1 - a(z_0 + z_\\alpha)))`; when that
  level is so extreme that only a few replicates lie beyond it, the BCa limit is essentially
  the most extreme replicate and moves from seed to seed. A warning then says so.
* **Monte Carlo standard errors of every limit.** Percentile limits are order statistics of
  independent replicates: their error comes from the distribution-free order-statistic bound
  (Beta quantiles of the rank of a sample quantile; Vehtari et al. 2021, see
  ``diagnostics.mcse_quantile``). BCa limits also depend on :math:`z_0`, itself estimated from the
  replicates, so their error is estimated by resampling the replicates and recomputing the limit
  (Koehler, Brown & Haneuse 2009, Sect. 3).
* **Enough replicates.** Without ``n_boot``, replicates are added in doublings from 2,000 until
  every limit's Monte Carlo standard error is at most ``mc_tol`` (default 1%) of that limit,
  or 20,000 replicates are reached; the replicates are drawn in order from one seeded generator,
  so the result does not depend on the number of processes.

References
----------
DiCiccio, T. J. and Efron, B. (1996). Bootstrap confidence intervals. *Statist. Sci.* 11,
189-228.
Buckland, S. T. and Garthwaite, P. H. (1991). Quantifying precision of mark-recapture estimates
using the bootstrap and related methods. *Biometrics* 47, 255-268.
Koehler, E., Brown, E. and Haneuse, S. J.-P. A. (2009). On the assessment of Monte Carlo error in
simulation-based statistical analyses. *Amer. Statist.* 63, 155-162.
Silverman, B. W., Chan, L. and Vincent, K. (2024). Bootstrapping multiple systems estimates to
account for model selection. *Statistics and Computing* 34, 44.
Zwane, E. N. and van der Heijden, P. G. M. (2003). Implementing the parametric bootstrap in
capture-recapture models with continuous covariates. *Statist. Probab. Lett.* 65, 121-125.
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C. (2021). Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC. *Bayesian Analysis*
16, 667-718.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .diagnostics import mcse_quantile
from .errors import InvalidParameterError, MSEError
from .intervals import KINDS, draw_rows, estimate_rows, jackknife_rows
from .models import ModelFit
from .table import CaptureTable

__all__ = ["RobustInterval", "robust_bootstrap"]

MIN_BOOT = 2_000
MAX_BOOT = 20_000
_MCSE_RESAMPLES = 200
_FEW_BEYOND = 10  # a BCa limit with fewer replicates beyond it is flagged


@dataclass(frozen=True, eq=False)
class RobustInterval:
    """Bootstrap replicates (model selection repeated), percentile and BCa limits, their Monte
    Carlo standard errors, and warnings."""

    estimates: np.ndarray = field(repr=False)
    n_boot: int
    n_failed: int
    kind: str
    alpha: float
    percentile: tuple[float, float]
    percentile_mcse: tuple[float, float]
    bca: tuple[float, float] | None
    bca_mcse: tuple[float, float] | None
    bca_levels: tuple[float, float] | None
    acceleration: float | None
    bias_correction: float | None
    mc_tol: float | None
    warnings: tuple[str, ...] = ()

    def rows(self) -> list[dict]:
        """Both intervals as rows: name, limits, Monte Carlo standard errors, tail levels."""
        out = [{"interval": "bootstrap percentile, model selection repeated",
                "low": self.percentile[0], "high": self.percentile[1],
                "mcse_low": self.percentile_mcse[0], "mcse_high": self.percentile_mcse[1],
                "levels": (self.alpha / 2, 1 - self.alpha / 2)}]
        if self.bca is not None:
            out.append({"interval": "bootstrap BCa, model selection repeated",
                        "low": self.bca[0], "high": self.bca[1],
                        "mcse_low": self.bca_mcse[0], "mcse_high": self.bca_mcse[1],
                        "levels": self.bca_levels})
        return out


def _bca(boot: np.ndarray, theta: float, acc: float, alpha: float) -> tuple[float, ...]:
    from scipy.special import ndtr, ndtri

    share = float(np.mean(boot < theta))
    if not 0.0 < share < 1.0:
        raise MSEError("every bootstrap estimate lies on one side of the estimate")
    z0 = float(ndtri(share))
    za = ndtri(np.array([alpha / 2.0, 1.0 - alpha / 2.0]))
    probs = ndtr(z0 + (z0 + za) / (1.0 - acc * (z0 + za)))
    # type-8 (median-unbiased) quantiles, as R's quantile(type = 8) used by SparseMSE
    low, high = np.quantile(boot, probs, method="median_unbiased")
    return float(low), float(high), float(probs[0]), float(probs[1]), z0


def _acceleration(jack: np.ndarray, weights: np.ndarray) -> float:
    """Jackknife acceleration over the distinct capture histories (DiCiccio & Efron 1996)."""
    ok = np.isfinite(jack)
    jack, weights = jack[ok], weights[ok]
    resid = float(weights @ jack) / weights.sum() - jack
    denom = 6.0 * float(weights @ resid**2) ** 1.5
    return float(weights @ resid**3) / denom if denom > 0 else 0.0


def _limits(
    boot: np.ndarray, theta: float, acc: float, alpha: float, gen: np.random.Generator
) -> dict:
    q = (alpha / 2.0, 1.0 - alpha / 2.0)
    out: dict = {
        "percentile": tuple(float(v) for v in np.quantile(boot, q)),
        "percentile_mcse": tuple(mcse_quantile(boot, p, independent=True) for p in q),
        "bca": None, "bca_mcse": None, "bca_levels": None, "z0": None, "warnings": [],
    }
    try:
        low, high, p_low, p_high, z0 = _bca(boot, theta, acc, alpha)
    except MSEError:
        out["warnings"].append(
            "BCa interval undefined: every bootstrap estimate lies on one side of the estimate"
        )
        return out
    again = np.empty((_MCSE_RESAMPLES, 2))
    for r in range(_MCSE_RESAMPLES):
        sample = boot[gen.integers(len(boot), size=len(boot))]
        try:
            again[r] = _bca(sample, theta, acc, alpha)[:2]
        except MSEError:
            again[r] = np.nan
    sd = np.nanstd(again, axis=0, ddof=1)
    out.update(bca=(low, high), bca_mcse=(float(sd[0]), float(sd[1])), bca_levels=(p_low, p_high), z0=z0)
    n = len(boot)
    for side, level, nominal in (("lower", p_low, q[0]), ("upper", 1.0 - p_high, q[0])):
        beyond = level * n
        if beyond < 1.0:
            out["warnings"].append(
                f"BCa {side} limit: its adjusted tail level {level:.2g} (nominal {nominal:g}) lies "
                f"beyond all {n:,} replicates, so the limit is the most extreme replicate; do not "
                "quote it (use the percentile interval)"
            )
        elif beyond < _FEW_BEYOND:
            out["warnings"].append(
                f"BCa {side} limit rests on the {beyond:.0f} most extreme of {n:,} replicates "
                f"(adjusted tail level {level:.2g}, nominal {nominal:g}); treat it with caution"
            )
    return out


def robust_bootstrap(
    table: CaptureTable,
    fit: ModelFit,
    method: str = "stepwise",
    *,
    pthresh: float = 0.02,
    alpha: float = 0.05,
    n_boot: int | None = None,
    mc_tol: float = 0.01,
    max_boot: int = MAX_BOOT,
    kind: str = "population",
    rng: np.random.Generator | int | None = None,
    n_jobs: int | None = None,
    n_top: int | None = None,
) -> RobustInterval:
    """Percentile and BCa bootstrap intervals with model selection repeated, and their Monte
    Carlo errors.

    Parameters
    ----------
    table, fit, method, pthresh, n_jobs, n_top
        As `intervals.bootstrap`.
    kind : {'population', 'nonparametric', 'parametric'}
        Replicates (module notes): the estimated population resampled (default), the observed
        people resampled (SparseMSE: the BCa limits are then SparseMSE's exactly), or Poisson
        counts from the fitted model. BCa limits use the replicates of ``kind``.
    n_boot : int, optional
        Fixed number of replicates. Default: adaptive (see the module notes).
    mc_tol : float
        Target Monte Carlo standard error of each limit, as a share of that limit.
    max_boot : int
        Most replicates drawn when adapting.
    rng : Generator, int or None
        Seed or generator; the same seed gives the same replicates and limits.
    """
    if kind not in KINDS:
        raise InvalidParameterError(f"kind must be one of {KINDS}, got {kind!r}")
    if n_boot is not None and (not isinstance(n_boot, int) or n_boot < 2):
        raise InvalidParameterError(f"n_boot must be an integer >= 2 or None, got {n_boot!r}")
    if not (isinstance(mc_tol, int | float) and mc_tol > 0):
        raise InvalidParameterError(f"mc_tol must be positive, got {mc_tol!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    cells = table.counts[1:]
    jack = estimate_rows(table, fit, method, jackknife_rows(table), pthresh=pthresh, n_jobs=n_jobs,
                         n_top=n_top)
    acc = _acceleration(jack, cells[cells > 0].astype(float))
    target = n_boot if n_boot is not None else min(MIN_BOOT, max_boot)
    values = np.empty(0)
    while True:
        rows = draw_rows(table, fit, kind, gen, target - len(values))
        new = estimate_rows(table, fit, method, rows, pthresh=pthresh, n_jobs=n_jobs, n_top=n_top)
        values = np.concatenate([values, new])
        finite = values[np.isfinite(values)]
        if len(finite) < 2:
            raise MSEError("fewer than two bootstrap replicates gave an estimate")
        limits = _limits(finite, fit.estimate, acc, alpha, np.random.default_rng(len(values)))
        pairs = zip([*limits["percentile"], *(limits["bca"] or ())],
                    [*limits["percentile_mcse"], *(limits["bca_mcse"] or ())], strict=True)
        worst = max(err / abs(lim) for lim, err in pairs)
        if n_boot is not None or worst <= mc_tol or len(values) >= max_boot:
            break
        target = min(max_boot, 2 * len(values))
    warnings = list(limits["warnings"])
    if n_boot is None and worst > mc_tol:
        warnings.append(
            f"after {len(values):,} replicates the largest Monte Carlo error of a limit is "
            f"{worst:.1%} of that limit (target {mc_tol:.1%}); quote limits to that precision"
        )
    n_failed = int(len(values) - len(finite))
    if n_failed > 0.1 * len(values):
        warnings.append(
            f"{n_failed:,} of {len(values):,} bootstrap replicates had no estimable model; the "
            "interval may be too narrow"
        )
    return RobustInterval(
        estimates=values,
        n_boot=len(values),
        n_failed=n_failed,
        kind=kind,
        alpha=alpha,
        percentile=limits["percentile"],
        percentile_mcse=limits["percentile_mcse"],
        bca=limits["bca"],
        bca_mcse=limits["bca_mcse"],
        bca_levels=limits["bca_levels"],
        acceleration=acc,
        bias_correction=limits["z0"],
        mc_tol=None if n_boot is not None else mc_tol,
        warnings=tuple(warnings),
    )

