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
# notebook-version: 2

# %% [markdown]
# # Hotspots: where the risk clusters on the map
#
# Rates of forced labour among returned migrants by district (the whole country, or the
# districts of one province), empirical-Bayes smoothed, global Moran's I, and local statistics
# (Local Moran, Getis-Ord Gi*) with permutation inference and a Benjamini-Hochberg
# false-discovery-rate correction. Districts lead: with only 25 provinces the local tests have
# little power (a planted cluster of 4 provinces was missed), and the province maps say so.

# %% tags=["parameters"]
register = "../demo/national.db"
output_dir = "results/40_hotspots"
province = None
period = None
seed = 1  # seeds the permutation tests
threshold = 5
alpha = 0.05  # false discovery rate
permutations = 9999

# %%
import analysis as an

run = an.notebook_setup(register, output_dir, province=province, period=period,
                        threshold=threshold, seed=seed, alpha=alpha, permutations=permutations)
df = run.frame
levels = ("district",) if province else ("district", "province")

# %%
for level in levels:
    try:
        hot = an.find_hotspots(df, an.area_boundaries(level, province), outcome="forced_labour",
                               by=f"{level}_code", alpha=alpha, permutations=permutations,
                               threshold=threshold, rng=seed)
    except an.AnalysisError as exc:  # e.g. a province of two districts: no map of clusters
        run.note(f"No spatial statistics by {level} for this selection: {exc}")
        continue
    print(hot.summary())
    run.table(hot.to_frame(), f"hotspots_{level}", show=False)
    if hot.power_note():
        run.note(f"{level} level — {hot.power_note()}")
    for statistic, name in (("lisa", "Local Moran clusters"),
                            ("gi", "Getis-Ord Gi* hot and cold spots")):
        title = f"{hot.title}: {name} (false discovery rate {alpha})"
        fig, _ = an.hotspot_map(hot, attribution=an.attribution(level), statistic=statistic,
                                title=run.title(title, wrap=80))
        run.figure(fig, f"hotspots_{level}_{statistic}", title=title)
