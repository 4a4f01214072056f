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
# # Risk factors for forced labour and trafficking
#
# A logistic model of exploitation among returned migrants on channel, agency licence status,
# number of brokers, destination, sector, sex, age, debt and documents, with odds ratios and
# standard errors clustered by commune. Records with a missing covariate are left out
# (complete cases); the notebook reports how many.

# %% tags=["parameters"]
register = "../demo/national.db"
output_dir = "results/30_risk_factors"
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
import numpy as np

from analysis.data import load_selection
from analysis.publish import save_figure
from analysis.risk import fit_risk_model

out = Path(output_dir)
out.mkdir(parents=True, exist_ok=True)
df = load_selection(register, province, period)

# %%
models = {}
for outcome in ("forced_labour", "trafficking"):
    models[outcome] = fit_risk_model(df, outcome=outcome, alpha=alpha)
    print(models[outcome].summary())
    # Odds ratios are model coefficients, not counts; levels with fewer than 20 journeys are
    # pooled by the model, so no small cell is published.
    models[outcome].to_frame().to_csv(out / f"odds_ratios_{outcome}.csv")

# %% [markdown]
# ## Odds ratios (95% intervals, log scale)

# %%
table = models["forced_labour"].to_frame()
table = table[table.index != "Intercept"] if "Intercept" in table.index else table
fig, ax = plt.subplots(figsize=(7, 0.3 * len(table) + 1))
y = np.arange(len(table))
ax.errorbar(table["odds_ratio"], y, xerr=[table["odds_ratio"] - table["lower"],
                                         table["upper"] - table["odds_ratio"]], fmt="o")
ax.axvline(1, color="grey", lw=0.8)
ax.set_xscale("log")
ax.set_yticks(y, table.index)
ax.set_xlabel("odds ratio of forced labour")
save_figure(fig, out / "odds_ratios_forced_labour.png")
