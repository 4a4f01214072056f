"""Coverage of the 95% prevalence intervals: a simulation study with planted truth.

Each replicate draws a national register of returned migrants in 25 provinces (three of them
with only two communes and a handful of returns): province logits ``mu + u_p`` with
``u_p ~ N(0, sd_province)``, a commune effect ``v_c ~ N(0, sd_commune)`` (this is the clustering),
Poisson commune sizes, Bernoulli outcomes. For every province we check whether each interval
covers the truth, the province prevalence ``E_v[expit(mu + u_p + v)]`` (Gauss–Hermite
quadrature): direct intervals (``wilson_deff`` default, ``design``, naive ``wilson``) and the
small-area intervals (Fay-Herriot hierarchical Bayes, the default; beta-binomial empirical Bayes;
binomial GLMM). The last scenario is the province-01 case of issue 14: 9 districts of one
province that do not differ at all (``sd_province`` 0), where empirical Bayes estimates the
between-area variance as zero; the median interval width is printed too.

Run:  .venv/bin/python bench/sim_coverage.py [--reps 500] [--glmm-reps 100] [--seed 2026]
(``beta_binomial, no fallback`` is the empirical Bayes interval as it was before issue 14.)
It prints coverage per method and scenario (all provinces, and the small ones separately), with
the Monte Carlo standard error. About 3 minutes for 500 replicates without the GLMM; each GLMM
fit adds about 1 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.special import expit

from analysis.prevalence import estimate_prevalence
from analysis.smallarea import _beta_binomial, small_area_prevalence

GH_X, GH_W = np.polynomial.hermite_e.hermegauss(40)
GH_W = GH_W / GH_W.sum()

SCENARIOS = {
    # name: (sd_commune, mean commune size, number of areas, sd between areas, small areas)
    "calibration (sd_commune 0.3, m 8)": (0.3, 8, 25, 0.5, (2, 11, 19)),
    "strong clustering (sd_commune 0.8, m 8)": (0.8, 8, 25, 0.5, (2, 11, 19)),
    "strong clustering, big communes (sd_commune 0.8, m 20)": (0.8, 20, 25, 0.5, (2, 11, 19)),
    "9 equal districts (sd_area 0, sd_commune 0.3, m 8)": (0.3, 8, 9, 0.0, ()),
}


def simulate(
    rng: np.random.Generator,
    *,
    sd_commune: float,
    mean_m: float,
    n_prov: int = 25,
    mu: float = -2.0,
    sd_province: float = 0.5,
    small: tuple[int, ...] = (2, 11, 19),
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Export-shaped frame (the columns prevalence needs) plus both truths per province."""
    eta = mu + rng.normal(0, sd_province, size=n_prov)
    codes = np.array([f"{p + 1:02d}" for p in range(n_prov)])
    conditional = pd.Series(expit(eta), index=codes)
    marginal = pd.Series((GH_W * expit(eta[:, None] + sd_commune * GH_X)).sum(1), index=codes)
    n_communes = np.where(np.isin(np.arange(n_prov), small), 2, rng.integers(5, 60, size=n_prov))
    prov_of_commune = np.repeat(np.arange(n_prov), n_communes)
    mean_size = np.where(np.isin(prov_of_commune, small), 3, mean_m)
    sizes = rng.poisson(mean_size)
    eta_c = eta[prov_of_commune] + rng.normal(0, sd_commune, size=len(sizes))
    commune_idx = np.repeat(np.arange(len(sizes)), sizes)
    y = rng.random(len(commune_idx)) < expit(eta_c[commune_idx])
    prov = prov_of_commune[commune_idx]
    df = pd.DataFrame({
        "province_code": codes[prov],
        "commune_code": np.char.add(codes[prov], np.char.zfill(commune_idx.astype(str), 4)),
        "returned": 1,
        "forced_labour": pd.array(y.astype(int), dtype="Int64"),
    })
    return df, pd.Series(marginal), pd.Series(conditional)


def _covers(table: pd.DataFrame, truth: pd.Series) -> pd.Series:
    t = truth.reindex(table.index)
    return (table["lower"] <= t) & (t <= table["upper"])


def run(reps: int, glmm_reps: int, seed: int) -> pd.DataFrame:
    rows = []
    for s_i, (name, (sd_c, m, n_prov, sd_p, small_ones)) in enumerate(SCENARIOS.items()):
        rng = np.random.default_rng([seed, s_i])
        hits: dict[str, list[pd.Series]] = {}
        widths: dict[str, list[float]] = {}
        small_flags = []
        for r in range(reps):
            df, marginal, _ = simulate(rng, sd_commune=sd_c, mean_m=m, n_prov=n_prov,
                                       sd_province=sd_p, small=small_ones)
            direct = estimate_prevalence(df)
            small = direct.table["n"] < 15
            small_flags.append(small)
            for method in ("wilson_deff", "design", "wilson"):
                res = direct if method == "wilson_deff" else estimate_prevalence(df, method=method)
                hits.setdefault(method, []).append(_covers(res.table, marginal))
            fits = {"fay_herriot (HB)": small_area_prevalence(df),
                    "beta_binomial (EB)": small_area_prevalence(df, method="beta_binomial")}
            if r < glmm_reps:
                fits["glmm"] = small_area_prevalence(df, method="glmm")
            raw_eb = _beta_binomial(direct.table, 0.05)[0]  # as before issue 14: no fallback
            hits.setdefault("beta_binomial, no fallback", []).append(_covers(raw_eb, marginal))
            widths.setdefault("beta_binomial, no fallback", []).append(
                float((raw_eb["upper"] - raw_eb["lower"]).median()))
            for label, fit in {"wilson_deff": direct, **fits}.items():
                t = fit.table
                widths.setdefault(label, []).append(float((t["upper"] - t["lower"]).median()))
            for label, fit in fits.items():
                hits.setdefault(label, []).append(_covers(fit.table, marginal))
        flags = pd.concat(small_flags, ignore_index=True)
        for method, h in hits.items():
            allh = pd.concat(h, ignore_index=True)
            f = flags.iloc[: len(allh)].to_numpy()
            cov = allh.mean()
            rows.append({
                "scenario": name, "method": method, "replicates": len(h),
                "coverage": cov, "mc_se": np.sqrt(cov * (1 - cov) / len(allh)),
                "coverage_small_n": allh[f].mean() if f.any() else np.nan,
                "n_small": int(f.sum()),
                "median_width": np.mean(widths[method]) if method in widths else np.nan,
            })
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--glmm-reps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    start = time.perf_counter()
    out = run(args.reps, args.glmm_reps, args.seed)
    pd.set_option("display.width", 160)
    print(out.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nnominal 0.95; province-level coverage pooled over provinces and replicates; "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
