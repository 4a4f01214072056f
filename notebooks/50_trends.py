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
# # Trends over time
#
# Departures by year and channel, and the prevalence of forced labour and trafficking among
# returned migrants by year of departure, with commune-clustered intervals. Recent years have
# fewer returns (people are still abroad), so their intervals are wider.

# %% tags=["parameters"]
register = "../demo/national.db"
output_dir = "results/50_trends"
province = None
period = None
seed = 1
threshold = 5
alpha = 0.05

# %%
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from analysis.data import load_selection
from analysis.prevalence import estimate_prevalence
from analysis.publish import save_figure, save_table

out = Path(output_dir)
out.mkdir(parents=True, exist_ok=True)
df = load_selection(register, province, period)
df = df.assign(departure_year_text=df["departure_year"].astype("string"))

# %%
channels = df.pivot_table(index="departure_year", columns="channel", values="journey_key",
                          aggfunc="size", fill_value=0)
shown = save_table(channels, out / "departures_by_channel.csv", threshold=threshold,
                   counts=list(channels.columns))
shown

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for outcome in ("forced_labour", "trafficking"):
    result = estimate_prevalence(df, outcome=outcome, by="departure_year_text", alpha=alpha,
                                 threshold=threshold)
    table = save_table(result.to_frame(), out / f"{outcome}_by_year.csv", threshold=threshold)
    years = table.index.astype(int)
    ax.plot(years, table["estimate"], marker="o", label=outcome.replace("_", " "))
    ax.fill_between(years, table["lower"].astype(float), table["upper"].astype(float),
                    alpha=0.2)
ax.set_xlabel("year of departure")
ax.set_ylabel("share of returned migrants")
ax.legend()
save_figure(fig, out / "trends.png")
