"""A method ensemble: the main MSE families side by side, and a plain reading of where they differ.

No single MSE model is right for real lists: published estimates from one table span a factor of
two between methods (UK 2013: log-linear stepwise 11,313, independence 13,444, LCMCR 20,232, dga
23,016; Binette & Steorts 2022). Reporting them side by side, with what their disagreement
suggests, is the honest summary (Silverman 2020, Sect. 7). The rows:

* **stepwise** log-linear with the default interval (bootstrap, selection repeated; percentile
  headline, BCa beside it, Monte Carlo errors) - the package's headline;
* **independence**, **AIC**, **BIC** log-linear models with profile intervals *conditional on the
  chosen model* (labelled so);
* **model average** over decomposable graphs (`bma`, dga's priors);
* **latent class** (`latent`, the LCMCR model), which allows heterogeneous catchability.

`reading` turns the comparison into sentences; each rule says which pattern it looks for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import MSEError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .table import CaptureTable

__all__ = ["Ensemble", "ensemble"]

ROWS = ("stepwise", "independence", "aic", "bic", "model average", "latent class")


@dataclass(frozen=True, eq=False)
class Ensemble:
    """Estimates of several methods (rows) and a reading of their differences."""

    rows: tuple[dict[str, Any], ...]
    reading: tuple[str, ...]
    observed: int
    alpha: float
    details: dict[str, Any] = field(repr=False, default_factory=dict)

    def row(self, method: str) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["method"] == method and r.get("estimate")), None)

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self.rows)).set_index("method")

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {"observed": self.observed, "alpha": self.alpha,
                "rows": [{k: clean(v) for k, v in r.items()} for r in self.rows],
                "reading": list(self.reading)}

    def summary(self) -> str:
        level = f"{100 * (1 - self.alpha):g}%"
        head = f"{'method':14s} {'estimate':>9s}   {level + ' interval':>21s}  interval kind"
        lines = ["Multiple systems estimates side by side", f"Observed: {self.observed:,}", "", head]
        for r in self.rows:
            if r.get("error"):
                lines.append(f"{r['method']:14s} not available: {r['error']}")
                continue
            lines.append(f"{r['method']:14s} {r['estimate']:>9,.0f}   {r['ci_low']:>9,.0f} to "
                         f"{r['ci_high']:>9,.0f}  {r['interval']}")
        rob = self.details.get("robust")
        if rob is not None:
            mc = rob.percentile_mcse
            lines += ["", f"Stepwise bootstrap: {rob.n_boot:,} replicates, model selection repeated; "
                      f"Monte Carlo s.e. of the percentile limits {mc[0]:,.0f} and {mc[1]:,.0f}"]
            if rob.bca is not None:
                lines.append(f"  BCa beside it: {rob.bca[0]:,.0f} to {rob.bca[1]:,.0f} (Monte Carlo "
                             f"s.e. {rob.bca_mcse[0]:,.0f} and {rob.bca_mcse[1]:,.0f}; tail levels "
                             f"{rob.bca_levels[0]:.2g} and {rob.bca_levels[1]:.3g})")
            lines += [f"  Warning: {w}" for w in rob.warnings]
        lc = self.details.get("latent")
        if lc is not None:
            lines.append(f"Latent class: {lc.draws.shape[0]} chains x {lc.draws.shape[1]:,} draws; "
                         + "; ".join(f"{d.name} R-hat {d.rhat:.3f}, ESS {d.ess_bulk:,.0f}"
                                     for d in lc.diagnostics))
        lines += ["", "Reading:", *(f"- {s}" for s in self.reading)]
        return "\n".join(lines)


def _fmt(v: float) -> str:
    return f"{v:,.0f}"


def _reading(rows: list[dict[str, Any]], details: dict[str, Any]) -> list[str]:
    ok = {r["method"]: r for r in rows if not r.get("error")}
    out: list[str] = []
    if len(ok) >= 2:
        lo = min(ok.values(), key=lambda r: r["estimate"])
        hi = max(ok.values(), key=lambda r: r["estimate"])
        out.append(f"The estimates range from {_fmt(lo['estimate'])} ({lo['method']}) to "
                   f"{_fmt(hi['estimate'])} ({hi['method']}), a factor of "
                   f"{hi['estimate'] / lo['estimate']:.2f}.")
        apart = [(a, b) for a in ok.values() for b in ok.values()
                 if a["ci_high"] < b["ci_low"]]
        if apart:
            a, b = apart[0]
            out.append(f"Some intervals do not overlap (e.g. {a['method']} and {b['method']}): the "
                       "choice of method matters more than sampling error here, so no single "
                       "interval tells the whole uncertainty.")
        else:
            out.append("All intervals overlap: the methods are compatible with each other.")
    step, lat = ok.get("stepwise"), ok.get("latent class")
    if step and lat:
        if lat["ci_low"] > step["estimate"] and lat["estimate"] > 1.2 * step["estimate"]:
            out.append(f"The latent-class estimate ({_fmt(lat['estimate'])}) is well above the "
                       f"stepwise log-linear one ({_fmt(step['estimate'])}): people seem to differ in "
                       "how easy they are to find (heterogeneous catchability). People found by one "
                       "list are then more often found by others too, which log-linear models read "
                       "as a small population: their estimates are biased downwards.")
        elif lat["ci_high"] < step["estimate"]:
            out.append("The latent-class estimate is below the log-linear one: the log-linear model "
                       "may be over-fitting list interactions, or the latent classes absorb real "
                       "list dependence (referrals between services).")
        else:
            out.append("Log-linear and latent-class estimates agree within their intervals: no sign "
                       "of heterogeneity that these lists reveal (heterogeneity that affects every "
                       "list alike cannot be detected from the lists alone; Link 2003).")
        if details.get("latent_notes"):
            out.append("The latent-class chains have not converged (see R-hat and ESS): treat its "
                       "figure as provisional and run longer chains.")
    ind = ok.get("independence")
    if step and ind and abs(ind["estimate"] / step["estimate"] - 1) > 0.2:
        way = "above" if ind["estimate"] > step["estimate"] else "below"
        out.append(f"List dependence matters: assuming independent lists gives "
                   f"{_fmt(ind['estimate'])}, {way} the stepwise {_fmt(step['estimate'])} whose "
                   f"interactions are {step['model'] or 'none'}.")
    aic, bic = ok.get("aic"), ok.get("bic")
    if aic and bic and abs(aic["estimate"] / bic["estimate"] - 1) > 0.2:
        out.append(f"AIC and BIC choose different models ({_fmt(aic['estimate'])} vs "
                   f"{_fmt(bic['estimate'])}): the data cannot pin down the dependence between lists; "
                   "prefer intervals that account for model choice (bootstrap, model average).")
    rob = details.get("robust")
    if rob is not None and rob.bca is not None:
        p_hi, b_hi = rob.percentile[1], rob.bca[1]
        if max(p_hi, b_hi) / min(p_hi, b_hi) > 1.3:
            out.append(f"The bootstrap percentile and BCa upper limits differ widely ({_fmt(p_hi)} vs "
                       f"{_fmt(b_hi)}): re-selecting the model in each replicate makes the "
                       "distribution of estimates long-tailed; the percentile interval is the "
                       "headline because BCa's adjustment rests on few extreme replicates.")
    bma = ok.get("model average")
    if step and bma and not step["ci_low"] <= bma["estimate"] <= step["ci_high"]:
        out.append(f"Model averaging ({_fmt(bma['estimate'])}) lies outside the stepwise interval: "
                   f"it weighs other dependence structures ({bma['model']}) more than the stepwise "
                   "rule does.")
    return out


def ensemble(
    data: CaptureTable | pd.DataFrame | str | Path,
    *,
    alpha: float = 0.05,
    pthresh: float = 0.02,
    n_boot: int | None = None,
    rng: np.random.Generator | int | None = None,
    n_jobs: int | None = None,
    latent: dict[str, Any] | None = None,
    methods: tuple[str, ...] = ROWS,
) -> Ensemble:
    """Estimates from the main MSE families side by side, with a plain-words reading.

    ``latent`` holds keyword arguments for `latent.latent_class` (chains, draws ...). Methods the
    data cannot support get a row with the reason instead of numbers.
    """
    from .api import _as_table, estimate
    from .bma import model_average
    from .existence import remove_noninformative_lists
    from .latent import latent_class

    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    table, _ = remove_noninformative_lists(_as_table(data, None))
    rows: list[dict[str, Any]] = []
    details: dict[str, Any] = {}
    for method in methods:
        try:
            if method in ("stepwise", "independence", "aic", "bic"):
                ci = "bootstrap" if method == "stepwise" else "profile"
                res = estimate(table, method, alpha=alpha, pthresh=pthresh, ci=ci, n_boot=n_boot,
                               rng=gen, n_jobs=n_jobs)
                if res.robust is not None:
                    details["robust"] = res.robust
                kind = ("bootstrap percentile, selection repeated" if res.robust is not None
                        else "profile, conditional on the chosen model")
                rows.append({"method": method, "estimate": res.estimate, "ci_low": res.ci_low,
                             "ci_high": res.ci_high, "interval": kind,
                             "model": " + ".join(res.model) or "(independence)"})
            elif method == "model average":
                bma = model_average(table, alpha=alpha)
                details["bma"] = bma
                top = bma.top_models(1)[0]
                rows.append({"method": method, "estimate": bma.estimate, "ci_low": bma.ci_low,
                             "ci_high": bma.ci_high, "interval": "posterior, decomposable graphs",
                             "model": f"{top['model']} (p = {top['probability']:.2f})"})
            elif method == "latent class":
                lc = latent_class(table, alpha=alpha, rng=gen, **(latent or {}))
                details["latent"] = lc
                details["latent_notes"] = lc.notes()
                rhat = max(d.rhat for d in lc.diagnostics)
                rows.append({"method": method, "estimate": lc.estimate, "ci_low": lc.ci_low,
                             "ci_high": lc.ci_high, "interval": f"posterior, LCMCR (R-hat {rhat:.3f})",
                             "model": f"K = {lc.settings['K']} classes at most"})
            else:
                raise MSEError(f"unknown method {method!r}; choose from {ROWS}")
        except MSEError as exc:
            rows.append({"method": method, "error": str(exc)})
    return Ensemble(tuple(rows), tuple(_reading(rows, details)), table.observed, alpha, details)
