"""Latent-class multiple systems estimation (LCMCR): people differ in how easy they are to find.

Log-linear models treat everyone alike given the list interactions. When catchability varies
from person to person (some victims are known to every service, others to none), the overlaps
look like a population smaller than it is and log-linear estimates are biased downwards. The
latent-class model of Manrique-Vallier (2016) lets the population be a mixture of classes, each
with its own probability of being on each list, and lets the data decide how many classes
matter:

* person *i* belongs to class :math:`z_i \\in \\{1..K\\}` with probabilities
  :math:`\\pi = (\\pi_1 .. \\pi_K)` from a truncated stick-breaking (Dirichlet-process) prior:
  :math:`V_k \\sim \\mathrm{Beta}(1, \\alpha)` for :math:`k < K`, :math:`V_K = 1`,
  :math:`\\pi_k = V_k \\prod_{l<k}(1 - V_l)`;
* given the class, lists catch independently: :math:`x_{ij} \\mid z_i = k \\sim
  \\mathrm{Bernoulli}(\\lambda_{jk})`, :math:`\\lambda_{jk} \\sim \\mathrm{Beta}(1, 1)`;
* :math:`\\alpha \\sim \\mathrm{Gamma}(a_\\alpha, b_\\alpha)` with :math:`a_\\alpha = b_\\alpha =
  0.25`, and :math:`p(N) \\propto 1/N` (Manrique-Vallier 2016, Sect. 2-3; the defaults of the R
  package LCMCR 0.4.14, ``lcmCR``). ``K = 10`` classes, as MSETools' ``lcmcr`` (Binette &
  Steorts) whose UK figure is the published comparison; LCMCR's own default is 5.

Gibbs sampler with data augmentation (Manrique-Vallier 2016, Sect. 3): (1) classes of the
observed people; (2) the number never seen, :math:`n_0 \\mid \\cdot \\sim
\\mathrm{NegBin}(n, 1 - \\pi_0)` with :math:`\\pi_0 = \\sum_k \\pi_k \\prod_j (1 - \\lambda_{jk})`
the probability of being on no list (this is where the :math:`1/N` prior makes the conditional
closed-form), and their classes; (3) :math:`\\lambda_{jk} \\sim \\mathrm{Beta}(1 + s_{jk}, 1 +
n_k - s_{jk})`; (4) :math:`V_k \\sim \\mathrm{Beta}(1 + n_k, \\alpha + \\sum_{l>k} n_l)`; (5)
:math:`\\alpha \\sim \\mathrm{Gamma}(a_\\alpha + K - 1, b_\\alpha - \\sum_{k<K}\\log(1 - V_k))`.

People with the same capture pattern share a full conditional, so step (1) draws class counts
per pattern (a multinomial per observed cell) rather than one class per person. Two moves help
the chains mix: the unseen people's class counts are also moved with the capture probabilities
integrated out (a Metropolis step), and neighbouring classes swap labels with the stick-breaking
fractions integrated out. The sampler is compiled with numba (`_latent_kernel`, cached on disk)
and the chains run side by side on threads (it releases the GIL); the draws do not depend on the
number of threads.

**Convergence.** The result carries split R-hat and bulk ESS (`diagnostics`, Vehtari et al.
2021) of *N*, :math:`\\pi_0` and the number of occupied classes, and trace plots. The defaults
(4 chains x (10,000 + 1,000 x 50) iterations) converge (R-hat < 1.01, bulk ESS > 400) at once
on NewOrl_5 and Western and on simulated five-list tables of 2,000 people
(``bench/sim_mse_latent.py``); chains that have not are continued, doubling their draws and
discarding the first half, up to ``max_draws``, and flagged if still short: UKdat_5 converges
after two doublings (about 10 s of CPU), Ned_5 never does (R-hat 1.87 after 8,000 draws a chain,
its posterior of N spanning 44,000-290,000: flagged). The UK table shows why extension is
needed: about 3% of its posterior lies in a second mode near 12,000 which chains rarely cross
to; a chain that starts there can stay 30,000 iterations. That mode is also why the UK lower
limit is fragile: the 2.5% quantile falls between the modes (8 chains x 8,000 draws: 14,664
with Monte Carlo s.e. 1,256, against LCMCR's published 10,935).

**Where it can and cannot help.** On two-class populations the interval covers N when the hard
class is seen often enough to be estimated; when the hard class is rarely seen (capture 0.10-0.14
per list, half of it never seen) its capture probabilities are weakly identified, the posterior
leans on the Beta(1, 1) prior and centres about 9% low; with continuous (logit-normal)
heterogeneity no model identifies N without assumptions (Link 2003). Coverage of each case is in
the bench's output, quoted in the report of issue 15.

References
----------
Manrique-Vallier, D. (2016). Bayesian population size estimation using Dirichlet process
mixtures. *Biometrics* 72(4), 1246-1254. doi:10.1111/biom.12502.
Link, W. A. (2003). Nonidentifiability of population size from capture-recapture data with
heterogeneous detection probabilities. *Biometrics* 59, 1123-1130.
Binette, O. and Steorts, R. C. (2022). On the reliability of multiple systems estimation for the
quantification of modern slavery. *J. R. Statist. Soc. A* 185, 640-676 (MSETools README: UK
five lists, LCMCR 20,232, 95% interval 10,935-32,842).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._parallel import resolve_jobs
from .diagnostics import ChainSummary, mcse_quantile, summarise_chains, trace_plot
from .errors import InvalidParameterError, TooFewListsError
from .table import CaptureTable

__all__ = ["LatentClassResult", "latent_class"]



@dataclass(frozen=True, eq=False)
class LatentClassResult:
    """Posterior of the total population under the latent-class model."""

    estimate: float  # posterior median
    ci_low: float
    ci_high: float
    observed: int
    alpha: float
    draws: np.ndarray = field(repr=False)  # (chains, draws) of N
    prob_zero: np.ndarray = field(repr=False)
    k_star: np.ndarray = field(repr=False)
    diagnostics: tuple[ChainSummary, ...]
    mcse_low: float
    mcse_high: float
    settings: dict = field(repr=False)

    @property
    def converged(self) -> bool:
        return all(d.converged for d in self.diagnostics[:2])

    def notes(self) -> list[str]:
        out = []
        for d in self.diagnostics:
            if not d.converged:
                out.append(
                    f"latent-class chains not yet converged for {d.name} (R-hat {d.rhat:.3f}, "
                    f"bulk ESS {d.ess_bulk:.0f}; want < 1.01 and > 400): run longer (draws, max_draws)"
                )
        return out

    def summary(self) -> str:
        level = f"{100 * (1 - self.alpha):g}%"
        lines = [
            "Latent-class estimate (LCMCR model, Manrique-Vallier 2016)",
            f"Estimated total (posterior median): {self.estimate:,.0f} ({level} credible interval "
            f"{self.ci_low:,.0f} to {self.ci_high:,.0f}; Monte Carlo s.e. of the limits "
            f"{self.mcse_low:,.0f} and {self.mcse_high:,.0f})",
            f"Chains: {self.draws.shape[0]} x {self.draws.shape[1]} draws "
            f"(burn-in {self.settings['burnin']:,}, thinning {self.settings['thin']}, "
            f"K = {self.settings['K']})",
            *(f"  {d.name}: R-hat {d.rhat:.3f}, bulk ESS {d.ess_bulk:,.0f}" for d in self.diagnostics),
        ]
        lines += [f"Note: {n}" for n in self.notes()]
        return "\n".join(lines)

    def trace_plot(self, path=None):
        """Trace plots of N, the probability of being on no list, and the occupied classes."""
        return trace_plot(
            {"N": self.draws, "P(on no list)": self.prob_zero, "occupied classes": self.k_star},
            path,
            title="Latent-class sampler: one line per chain",
        )


def _kernel():
    """The compiled sampler (`_latent_kernel`; about 1,000x less overhead per iteration than the
    same steps as numpy calls on these tiny arrays)."""
    from ._latent_kernel import run

    return run




def _summaries(out_n: np.ndarray, out_p0: np.ndarray, out_k: np.ndarray) -> tuple[ChainSummary, ...]:
    diags = (summarise_chains("N", out_n), summarise_chains("P(on no list)", out_p0))
    if out_k.std() > 0:
        diags = (*diags, summarise_chains("occupied classes", out_k))
    return diags


def latent_class(
    table: CaptureTable,
    *,
    K: int = 10,
    a_alpha: float = 0.25,
    b_alpha: float = 0.25,
    chains: int = 4,
    burnin: int = 10_000,
    draws: int = 1_000,
    thin: int = 50,
    max_draws: int | None = None,
    alpha: float = 0.05,
    rng: np.random.Generator | int | None = None,
    collapsed: bool = True,
    n_jobs: int | None = None,
) -> LatentClassResult:
    """Posterior of the population size under the latent-class model (LCMCR).

    Parameters
    ----------
    table : CaptureTable
        At least three lists (with two, a latent-class model is not identifiable).
    K : int
        Truncation of the stick-breaking prior (maximum number of classes).
    a_alpha, b_alpha : float
        Gamma prior (shape, rate) of the stick-breaking concentration.
    chains, burnin, draws, thin : int
        Independent chains (from dispersed random starts), iterations discarded, draws kept per
        chain, and iterations between kept draws. The defaults (4 x (10,000 + 1,000 x 50)
        iterations) give a bulk ESS of N of about 1,000-4,000 on the published tables and on
        simulated 5-list tables of 2,000 people (``bench/sim_mse_latent.py``).
    max_draws : int, optional
        While the chains have not converged (R-hat of N or of the probability of being on no list
        at least 1.01, or bulk ESS at most 400; Vehtari et al. 2021), every chain is continued
        from where it stopped, doubling its draws, and the first half of them becomes burn-in;
        at most ``max_draws`` draws per chain (default ``8 * draws``; ``draws`` turns the
        extension off). A result still short of that is flagged (``converged`` False, a note in
        ``notes()`` and the summary).
    alpha : float
        ``1 - alpha`` equal-tailed credible interval.
    rng : Generator, int or None
    n_jobs : int or None
        Chains run side by side on this many threads (the compiled sampler releases the GIL;
        ``None``: every core). The draws do not depend on it.

    Returns
    -------
    LatentClassResult
        Posterior median and interval of *N*, draws, and convergence diagnostics.
    """
    if table.n_lists < 3:
        raise TooFewListsError("the latent-class model needs at least three lists")
    max_draws = 8 * draws if max_draws is None else max_draws
    for name, value, low in (("K", K, 2), ("chains", chains, 1), ("burnin", burnin, 0),
                             ("draws", draws, 4), ("thin", thin, 1), ("max_draws", max_draws, draws)):
        if not isinstance(value, int) or value < low:
            raise InvalidParameterError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0.0 < alpha < 0.5:
        raise InvalidParameterError(f"alpha must lie strictly between 0 and 0.5, got {alpha!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    cells = np.flatnonzero(table.counts)
    x = table.patterns[cells].astype(float)  # (P, J) observed capture patterns
    counts = table.counts[cells].astype(np.int64)
    n = int(counts.sum())
    run = _kernel()
    scales = n * np.array([0.002, 0.02, 0.2, 1.0])
    # Dispersed starts: lambda and the stick fractions from their priors, concentration 1.
    lam = [gen.beta(1.0, 1.0, size=(K, table.n_lists)) for _ in range(chains)]
    v = [gen.beta(1.0, 1.0, size=K) for _ in range(chains)]
    for vc in v:
        vc[-1] = 1.0
    conc = [np.ones(1) for _ in range(chains)]
    threads = min(chains, resolve_jobs(n_jobs))

    def block(first: bool, size: int) -> list[tuple[np.ndarray, ...]]:
        seeds = [int(s) for s in gen.integers(2**31 - 1, size=chains)]

        def one(c: int) -> tuple[np.ndarray, ...]:
            return run(seeds[c], x, counts, K, float(a_alpha), float(b_alpha),
                       burnin if first else 0, size, thin, collapsed, scales, lam[c], v[c], conc[c])

        if threads <= 1:
            return [one(c) for c in range(chains)]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(one, range(chains)))

    parts = [block(True, draws)]
    while True:
        out_n, out_p0, out_k = (np.vstack([np.concatenate([p[c][i] for p in parts])
                                           for c in range(chains)]) for i in range(3))
        if len(parts) > 1:  # extended: the first half of the draws becomes burn-in
            half = out_n.shape[1] // 2
            out_n, out_p0, out_k = out_n[:, half:], out_p0[:, half:], out_k[:, half:]
        diags = _summaries(out_n, out_p0, out_k)
        drawn = draws * 2 ** (len(parts) - 1)
        if all(d.converged for d in diags[:2]) or 2 * drawn > max_draws:
            break
        parts.append(block(False, drawn))
    flat = out_n.ravel()
    low_q, high_q = alpha / 2.0, 1.0 - alpha / 2.0
    low, med, high = np.quantile(flat, [low_q, 0.5, high_q])
    return LatentClassResult(
        estimate=float(med),
        ci_low=float(low),
        ci_high=float(high),
        observed=n,
        alpha=alpha,
        draws=out_n,
        prob_zero=out_p0,
        k_star=out_k,
        diagnostics=diags,
        mcse_low=mcse_quantile(out_n, low_q),
        mcse_high=mcse_quantile(out_n, high_q),
        settings={"K": K, "a_alpha": a_alpha, "b_alpha": b_alpha, "chains": chains,
                  "burnin": burnin + thin * (drawn - out_n.shape[1]), "draws": out_n.shape[1],
                  "thin": thin, "max_draws": max_draws, "extended": len(parts) - 1,
                  "collapsed": collapsed},
    )
