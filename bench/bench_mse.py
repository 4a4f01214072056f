"""Benchmarks for analysis.mse (prints numbers; no assertions).

Run: ``.venv/bin/python bench/bench_mse.py [--boot 1000] [--jobs 2] [--skip-six]``

Measures, on the published UK 2013 data (five-list form unless stated):

1. stepwise selection (the default model choice);
2. the exhaustive search over all 1,024 two-list models (and 32,768 for the six-list UK data);
3. a 1,000-replicate bootstrap with the stepwise selection repeated in every replicate, on one
   and on all cores (the issue's target: ~6 s on 2 cores, 10x the R implementation's ~60 s);
4. the lean Newton solver against statsmodels' GLM (largest differences and time per fit).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np


def timed(func, repeat: int = 1):
    """(result, best seconds, median seconds) over ``repeat`` runs."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return result, min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap replicates")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for 'all cores'")
    parser.add_argument("--skip-six", action="store_true", help="skip the 32,768-model search")
    args = parser.parse_args()

    start = time.perf_counter()
    from analysis.mse import all_models, estimate, fit_model, load_published, stepwise

    print(f"import analysis.mse: {time.perf_counter() - start:.3f} s")
    uk5, uk6 = load_published("UKdat_5"), load_published("UKdat")

    _, cold, _ = timed(lambda: stepwise(uk5))
    (fit, steps), best, med = timed(lambda: stepwise(uk5), repeat=20)
    print(
        f"\n1. stepwise on UKdat_5: first call {cold * 1e3:.1f} ms (loads scipy); "
        f"then best {best * 1e3:.2f} ms, median {med * 1e3:.2f} ms"
    )
    print(f"   -> estimate {fit.estimate:,.2f}, model {', '.join(fit.model)}")

    search, best, med = timed(lambda: all_models(uk5), repeat=3)
    top = search.to_frame("bic", top=1).iloc[0]
    print(
        f"\n2. exhaustive search, 1,024 models (UKdat_5): best {best:.3f} s, median {med:.3f} s"
        f"; {int(search.ok.sum())} supported; BIC-best {top['estimate']:,.0f} ({top['model']})"
    )
    if not args.skip_six:
        for jobs in (1, args.jobs):
            search6, secs, _ = timed(lambda j=jobs: all_models(uk6, n_jobs=j))
            print(
                f"   32,768 models (UKdat, 6 lists), {jobs} process(es): {secs:.2f} s; "
                f"{int(search6.ok.sum())} supported"
            )

    print(f"\n3. bootstrap, {args.boot} replicates, stepwise selection repeated (UKdat_5):")
    for jobs, ci in ((1, "percentile"), (args.jobs, "percentile"), (args.jobs, "bca")):
        res, secs, _ = timed(lambda j=jobs, c=ci: estimate(uk5, ci=c, n_boot=args.boot, rng=1234, n_jobs=j))
        print(
            f"   {ci:>10}, {jobs} process(es): {secs:.2f} s -> 95% CI {res.ci_low:,.0f} to "
            f"{res.ci_high:,.0f} ({res.boot.n_failed} failed replicates)"
        )
    print("   (R SparseMSE estimatepopulation, 1,000 replicates, reported ~60 s on this machine)")

    import statsmodels.api as sm

    from analysis.mse._loglinear import fit_poisson
    from analysis.mse.models import build_design

    print("\n4. lean solver vs statsmodels GLM (Poisson), stepwise models of each table:")
    for name in ("UKdat_5", "UKdat", "Ned_5", "Ned", "Western", "NewOrl", "NewOrl_5"):
        table = load_published(name)
        model = stepwise(table)[0]
        design = build_design(table, model.terms)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref, t_sm, _ = timed(
                lambda d=design: sm.GLM(d.y, d.X, family=sm.families.Poisson()).fit(tol=1e-13, maxiter=200),
                repeat=5,
            )
        _, t_lean, _ = timed(lambda d=design: fit_poisson(d.X, d.y), repeat=20)
        lean = fit_model(table, model.terms)
        print(
            f"   {name:>8}: max |coef diff| {np.max(np.abs(lean.coef - ref.params)):.1e}, "
            f"|deviance diff| {abs(lean.deviance - ref.deviance):.1e}; per fit "
            f"{t_lean * 1e6:,.0f} us vs statsmodels {t_sm * 1e6:,.0f} us"
        )


if __name__ == "__main__":
    main()
