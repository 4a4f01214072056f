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
# # Hotspots: where the risk clusters on the map
#
# Rates of forced labour among returned migrants by province (or district), empirical-Bayes
# smoothed, global Moran's I, and local statistics (Local Moran, Getis-Ord Gi*) with
# permutation inference and a Benjamini-Hochberg false-discovery-rate correction.

# %% tags=["parameters"]
register = "../demo/national.db"
output_dir = "results/40_hotspots"
province = None
period = None
seed = 1
threshold = 5
alpha = 0.05
permutations = 9999

# %%
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from analysis.data import load_selection
from analysis.geo import attribution, load_boundaries
from analysis.hotspots import find_hotspots
from analysis.maps import hotspot_map
from analysis.publish import save_figure, save_table

out = Path(output_dir)
out.mkdir(parents=True, exist_ok=True)
df = load_selection(register, province, period)
level = "district" if province else "province"  # one province: its districts
by = f"{level}_code"
boundaries = load_boundaries(level)
if province:
    boundaries = boundaries[boundaries["code"].str.startswith(province)]

# %%
from analysis._validation import EmptyDataError

try:
    hot = find_hotspots(df, boundaries, outcome="forced_labour", by=by, alpha=alpha,
                        permutations=permutations, threshold=threshold, rng=seed)
except EmptyDataError as exc:  # e.g. a province with two districts: no map of clusters
    hot = None
    print(f"No spatial statistics for this selection: {exc}")
if hot is not None:
    print(hot.summary())
    save_table(hot.to_frame(), out / "hotspots.csv", threshold=threshold)

# %%
for statistic in ("lisa", "gi") if hot is not None else ():
    fig, _ = hotspot_map(hot, attribution=attribution(level), statistic=statistic,
                         title=f"Forced labour hotspots ({statistic}, FDR {alpha})")
    save_figure(fig, out / f"hotspots_{statistic}.png")
