"""Monte Carlo diagnostics: R-hat, effective sample size, and the Monte Carlo error of quantiles.

Used for the Markov chains of the Bayesian estimators (`latent`) and for the bootstrap
replicates behind the interval limits (`robust`), whose draws are independent (one chain, ESS
equal to the number of replicates).

Formulas (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, *Bayesian Analysis* 16, 667-718):

* chains are split in halves, so a chain that drifts shows as two chains that disagree;
* **rank normalisation**: all draws are replaced by :math:`\\Phi^{-1}((r - 3/8)/(S + 1/4))` of
  their pooled rank *r* among the *S* draws;
* :math:`\\hat R` from the within-chain variance *W* and between-chain variance *B*:
  :math:`\\widehat{\\mathrm{var}}^+ = \\frac{n-1}{n} W + \\frac{B}{n}`,
  :math:`\\hat R = \\sqrt{\\widehat{\\mathrm{var}}^+ / W}`; the reported value is the larger of the
  *bulk* R-hat (rank-normalised draws) and the *tail* R-hat (rank-normalised
  :math:`|\\theta - \\mathrm{median}|`, the "folded" draws);
* **effective sample size** :math:`S/\\hat\\tau` with
  :math:`\\hat\\tau = -1 + 2\\sum_t (\\hat\\rho_{2t} + \\hat\\rho_{2t+1})` over Geyer's initial
  positive, monotone sequence, and
  :math:`\\hat\\rho_t = 1 - (W - \\overline{\\mathrm{acov}}_t)/\\widehat{\\mathrm{var}}^+`;
  the bulk ESS uses the rank-normalised draws;
* **Monte Carlo standard error of a quantile** :math:`\\theta_q`: with :math:`S_q` the ESS of the
  indicator :math:`I(\\theta \\le \\hat\\theta_q)`, take the Beta
  :math:`(S_q q + 1, S_q(1-q) + 1)` quantiles *a*, *b* at :math:`\\Phi(\\mp 1)` and report half the
  distance between the draws of ranks :math:`\\lceil aS\\rceil` and :math:`\\lceil bS\\rceil` (a
  distribution-free one-sigma interval for the quantile from order statistics).

Values agree with the reference implementation (R package *posterior*) in the cases the tests
check by closed form: an AR(1) chain's ESS and independent draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidParameterError

__all__ = ["ChainSummary", "ess", "mcse_quantile", "rhat", "summarise_chains", "trace_plot"]


def _as_chains(draws: np.ndarray) -> np.ndarray:
    x = np.asarray(draws, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] < 4:
        raise InvalidParameterError("draws must be (chains, iterations) with at least 4 iterations")
    return x


def _split(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    return np.vstack([x[:, :half], x[:, -half:]])


def _rank_normalise(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri
    from scipy.stats import rankdata

    ranks = rankdata(x, method="average").reshape(x.shape)
    return ndtri((ranks - 0.375) / (x.size + 0.25))


def _rhat_basic(x: np.ndarray) -> float:
    n = x.shape[1]
    within = float(np.mean(np.var(x, axis=1, ddof=1)))
    between = n * float(np.var(x.mean(axis=1), ddof=1))
    if within <= 0:
        return float("nan") if between > 0 else 1.0
    var_plus = (n - 1) / n * within + between / n
    return float(np.sqrt(var_plus / within))


def rhat(draws: np.ndarray) -> float:
    """Rank-normalised split R-hat (the larger of bulk and tail); near 1 when chains agree."""
    x = _split(_as_chains(draws))
    bulk = _rhat_basic(_rank_normalise(x))
    folded = np.abs(x - np.median(x))
    tail = _rhat_basic(_rank_normalise(folded))
    return max(bulk, tail)


def _autocov(x: np.ndarray) -> np.ndarray:
    """Autocovariance of each row at every lag (FFT, biased estimator as in Geyer 1992)."""
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spec = np.fft.rfft(centred, size, axis=1)
    acov = np.fft.irfft(spec * np.conj(spec), size, axis=1)[:, :n]
    return acov / n


def _ess_basic(x: np.ndarray) -> float:
    m, n = x.shape
    acov = _autocov(x)
    chain_var = acov[:, 0] * n / (n - 1.0)
    within = float(chain_var.mean())
    var_plus = within * (n - 1.0) / n
    if m > 1:
        var_plus += float(np.var(x.mean(axis=1), ddof=1))
    if var_plus <= 0:
        return float(m * n)
    rho = 1.0 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer's initial positive sequence of pair sums, made monotone.
    total, previous = 0.0, np.inf
    for t in range(0, n - 1, 2):
        pair = rho[t] + rho[t + 1]
        if pair <= 0:
            break
        pair = min(pair, previous)
        total += pair
        previous = pair
    tau = max(-1.0 + 2.0 * total, 1.0 / np.log10(m * n))
    return float(m * n / tau)


def ess(draws: np.ndarray, *, bulk: bool = True) -> float:
    """Effective sample size of split chains (bulk: on rank-normalised draws)."""
    x = _split(_as_chains(draws))
    return _ess_basic(_rank_normalise(x) if bulk else x)


def mcse_quantile(draws: np.ndarray, q: float, *, independent: bool = False) -> float:
    """Monte Carlo standard error of the ``q`` quantile of ``draws`` (chains x iterations).

    ``independent=True`` treats the draws as independent (bootstrap replicates): the ESS of the
    indicator is then the number of draws.
    """
    from scipy.special import betaincinv

    if not 0.0 < q < 1.0:
        raise InvalidParameterError(f"q must lie in (0, 1), got {q!r}")
    x = np.asarray(draws, dtype=float)
    flat = np.sort(x.ravel())
    flat = flat[np.isfinite(flat)]
    s = len(flat)
    if s < 4:
        return float("nan")
    if independent:
        s_eff = float(s)
    else:
        indicator = (_as_chains(x) <= np.quantile(flat, q)).astype(float)
        s_eff = _ess_basic(_split(indicator)) if indicator.std() > 0 else float(s)
    a = betaincinv(s_eff * q + 1.0, s_eff * (1.0 - q) + 1.0, 0.1586553)
    b = betaincinv(s_eff * q + 1.0, s_eff * (1.0 - q) + 1.0, 0.8413447)
    lo = flat[min(s - 1, max(0, int(np.ceil(a * s)) - 1))]
    hi = flat[min(s - 1, max(0, int(np.ceil(b * s)) - 1))]
    return float((hi - lo) / 2.0)


@dataclass(frozen=True)
class ChainSummary:
    """Convergence summary of one quantity over several chains."""

    name: str
    rhat: float
    ess_bulk: float
    n_chains: int
    n_draws: int

    @property
    def converged(self) -> bool:
        """Vehtari et al. (2021) recommend R-hat < 1.01 and bulk ESS > 400 before trusting."""
        return self.rhat < 1.01 and self.ess_bulk > 400


def summarise_chains(name: str, draws: np.ndarray) -> ChainSummary:
    x = _as_chains(draws)
    return ChainSummary(name, rhat(x), ess(x), x.shape[0], x.size)


def trace_plot(traces: dict[str, np.ndarray], path=None, *, title: str | None = None):
    """Trace plots (one panel per quantity, one line per chain); saved to ``path`` if given."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(traces), 1, figsize=(8, 2.2 * len(traces)), squeeze=False)
    for ax, (name, draws) in zip(axes[:, 0], traces.items(), strict=True):
        for chain in _as_chains(draws):
            ax.plot(chain, lw=0.5, alpha=0.8)
        ax.set_ylabel(name)
    axes[-1, 0].set_xlabel("draw (after burn-in and thinning)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig
