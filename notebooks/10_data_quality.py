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
# # Data quality and completeness by commune
#
# How complete is the register? For each field of the researcher export: the share missing, by
# province and for the communes with the most gaps. Counts below the publication threshold are
# suppressed. Reads only the researcher export (no names, ID numbers or phones).

# %% tags=["parameters"]
register = "../demo/national.db"  # a register file or a researcher export
output_dir = "results/10_data_quality"
province = None  # e.g. "01" to look at one province
period = None  # e.g. [2018, 2025]: departure years
seed = 1
threshold = 5

# %%
from pathlib import Path

from analysis.data import load_selection
from analysis.publish import save_table
from analysis.quality import completeness, counts_by_year

out = Path(output_dir)
out.mkdir(parents=True, exist_ok=True)
df = load_selection(register, province, period)
print(f"{len(df):,} journeys, {df['person_key'].nunique():,} persons, "
      f"{df['commune_code'].nunique():,} home communes")

# %% [markdown]
# ## Share of records missing each field

# %%
fields = save_table(completeness(df), out / "missing_by_field.csv", threshold=threshold)
fields

# %% [markdown]
# ## Missing shares by province (fee, debt, documents, indicators)

# %%
by_province = save_table(completeness(df, by="province_code"),
                         out / "missing_by_province.csv", threshold=threshold)
by_province

# %% [markdown]
# ## Communes with the most gaps (returned migrants without any indicator asked)

# %%
by_commune = completeness(df, by="register_commune", columns=["forced_labour"])
safe = save_table(by_commune, out / "missing_by_commune.csv", threshold=threshold)
worst = safe[~safe["suppressed"]].sort_values("missing_forced_labour", ascending=False).head(15)
worst

# %% [markdown]
# ## Journeys and returns by departure year (recent departures have had less time to return)

# %%
years = save_table(counts_by_year(df), out / "journeys_by_year.csv", threshold=threshold)
years
