# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
# notebook-version: 1

# %% [markdown]
# # Prevalence of forced labour and trafficking by province
#
# Among returned migrants: forced labour by the ICLS 2018 statistical definition (at least one
# involuntariness and one coercion indicator among the eleven ILO indicators) and trafficking
# (exploitation with deception or abuse of vulnerability). Intervals respect the clustering of
# migrants in communes (Wilson interval on the design-effect-adjusted sample size); small-area
# estimates shrink provinces with few returns toward the rest of the data. Provinces with too
# few returns or cases to publish are suppressed in tables and hatched on maps.

# %% tags=["parameters"]
register = "../demo/national.db"
output_dir = "results/20_prevalence"
province = None
period = None  # [first, last] departure year
seed = 1
threshold = 5
alpha = 0.05

# %%
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")
from analysis.data import load_selection
from analysis.geo import attribution, load_boundaries
from analysis.maps import prevalence_map
from analysis.prevalence import estimate_prevalence
from analysis.publish import save_figure, save_table
from analysis.smallarea import small_area_prevalence

out = Path(output_dir)
out.mkdir(parents=True, exist_ok=True)
df = load_selection(register, province, period)
by = "district_code" if province else "province_code"  # one province: its districts
print(f"{int(df['returned'].sum()):,} returned migrants in {df[by].nunique()} areas")

# %% [markdown]
# ## Direct estimates with commune-clustered intervals

# %%
results = {}
for outcome in ("forced_labour", "trafficking"):
    results[outcome] = estimate_prevalence(df, outcome=outcome, by=by, alpha=alpha,
                                           threshold=threshold)
    print(results[outcome].summary())
    save_table(results[outcome].to_frame(), out / f"prevalence_{outcome}.csv", threshold=threshold)

# %% [markdown]
# ## Small-area (empirical Bayes) estimates

# %%
smoothed = {}
for outcome in ("forced_labour", "trafficking"):
    smoothed[outcome] = small_area_prevalence(df, outcome=outcome, by=by, alpha=alpha,
                                              threshold=threshold)
    shown = save_table(smoothed[outcome].to_frame(), out / f"small_area_{outcome}.csv",
                       threshold=threshold)
shown

# %% [markdown]
# ## Per 100,000 residents (2019 census)
# Prevalence among returned migrants says how risky migration is; the rate per resident says
# how much of a province's population is affected. Recorded migrants only: a lower bound.

# %%
from analysis.geo import load_population

if not province:
    population = load_population()["population"]
    returned = df[df["returned"] == 1]
    per_resident = pd.DataFrame({
        "journeys": df.groupby("province_code").size(),
        "cases": returned.groupby("province_code")["forced_labour"].sum().astype(int),
    }).reindex(population.index, fill_value=0)
    per_resident["population"] = population
    per_resident["journeys_per_100k"] = 1e5 * per_resident["journeys"] / population
    per_resident["cases_per_100k"] = 1e5 * per_resident["cases"] / population
    shown = save_table(per_resident, out / "per_100k_residents.csv", threshold=threshold,
                       counts=["journeys", "cases"])
    shown

# %% [markdown]
# ## Maps (suppressed areas hatched)

# %%
level = "district" if province else "province"
boundaries = load_boundaries(level)
if province:
    boundaries = boundaries[boundaries["code"].str.startswith(province)]
for outcome, result in smoothed.items():
    fig, _ = prevalence_map(result, boundaries, attribution=attribution(level),
                            title=f"{outcome.replace('_', ' ')} among returned migrants "
                                  f"(small-area estimate)")
    save_figure(fig, out / f"map_{outcome}.png")
