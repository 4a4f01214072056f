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
# # How complete is the register?
#
# For each field of the researcher export: the share missing, overall, by province and for the
# communes with the most gaps; how the ILO indicators were recorded on returns (a partly recorded
# return biases a naive prevalence upward); and how much of each departure year's returns can
# already be observed. Counts below the publication threshold are suppressed. Reads only the
# researcher export (no names, ID numbers or phones).

# %% tags=["parameters"]
register = "../demo/national.db"  # a register file or a researcher export
output_dir = "results/10_data_quality"
province = None  # e.g. "01" to look at one province
period = None  # e.g. [2018, 2025]: departure years
threshold = 5  # smallest count published

# %%
import analysis as an

run = an.notebook_setup(register, output_dir, province=province, period=period,
                        threshold=threshold)
df = run.frame

# %% [markdown]
# ## Share of records missing each field

# %%
# What the count columns of the tables below count (the ledger of published cells checks every
# table against those published before from the same data, so none can be subtracted).
RETURNED = {"journeys": None, "returns": "returned == 1"}
run.table(an.missing_shares(df), "missing_by_field", counts=["records"],
          title="Share of records missing each field",
          columns={"share_missing": "missing", "records": "records", "among": "among"},
          percent=["share_missing"],
          note="Fields the researcher export leaves out by design (birth year, exact age: the "
               "age band stays) are not listed.")

# %% [markdown]
# ## How the ILO indicators were recorded on returns
# A return can be classified "forced labour" from one recorded indicator, but "no" only when
# every indicator was recorded: partly recorded returns without an outcome are mostly would-be
# negatives. The prevalence notebook imputes them rather than leaving them out.

# %%
run.table(an.indicator_completeness(df), "indicators_recorded",
          counts=["returns", "outcome_recorded"],
          title="Returned journeys by how completely the ILO indicators were recorded",
          columns={"returns": "returned journeys", "outcome_recorded": "outcome recorded",
                   "outcome_share": "forced labour among those recorded"},
          percent=["outcome_share"])

# %% [markdown]
# ## Returns observed so far, by year of departure
# Recent departures have had less time to come back: their returns are not all observed yet
# (right-censoring), so their shares describe early returners only.

# %%
follow = an.follow_up(df)
print(follow.summary())
run.table(follow.to_frame(), "follow_up_by_year", counts=["journeys", "returns"],
          by="departure_year", populations=RETURNED,
          title="Journeys and returns by year of departure, with the share of returns observable",
          columns={"journeys": "journeys", "returns": "returns recorded",
                   "share_returned": "returned so far",
                   "share_observable": "eventual returns observable (Kaplan-Meier)",
                   "censored": "too recent to compare"},
          percent=["share_*"])
if follow.warning():
    run.note(follow.warning())

# %% [markdown]
# ## Missing shares by province, and the communes with the most gaps

# %%
run.table(an.completeness(df, by="province_code"), "missing_by_province", show=False,
          counts=["journeys", "returns"], by="province_code", populations=RETURNED)
by_commune = run.table(an.completeness(df, by="register_commune", columns=["forced_labour"]),
                       "missing_by_commune", show=False, counts=["journeys", "returns"],
                       by="register_commune", populations=RETURNED)
an.largest(by_commune, "missing_forced_labour", 15) if by_commune is not None else None
