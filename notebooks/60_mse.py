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
# # How many victims did no list see? Multiple systems estimation
#
# Each service sees part of the victims: MOSVY, the police, NGOs, and the commune registers.
# Linking the same person across the lists gives, for every combination of lists, how many
# people were seen by exactly that combination. A log-linear model of those counts estimates the
# number seen by none (Chan, Silverman & Vincent 2021; Home Office 2014).
#
# **The headline interval** is the bootstrap with the model chosen again in every replicate
# (percentile limits, with the Monte Carlo error of each limit): it accounts for the model having
# been chosen from the same data. BCa limits and the profile interval (conditional on the chosen
# model) are shown beside it, then the other model families (model averaging over graphs, a
# latent-class model for heterogeneous catchability) with a reading of where they disagree.
#
# **Caveats to read before quoting a number.** (1) List dependence: lists that refer people to
# each other overlap more than chance; two-list interactions model that, chosen here by the
# stepwise rule used for the UK estimate. (2) Heterogeneity: people who are easier to find are on
# more lists, which biases estimates downward; stratify (by sex, age, province) where counts allow.
# (3) Linkage error: a missed link makes one person two and inflates the estimate; a false link
# does the reverse. The linkage precision and recall below are measured against the synthetic
# truth, and are unknown for real lists. (4) The population is closed: the lists must cover the
# same people over the same period.

# %% tags=["parameters"]
register = "../demo/national.db"  # the researcher export: the selection, its period, synthetic or not
register_db = "../demo/national.db"  # the merged register (identities stay inside this step)
lists_dir = "../demo/communes/lists"  # victim lists: mosvy.csv, police.csv, ngo.csv
output_dir = "results/60_mse"
province = None  # e.g. "01": estimate for the people of one province only
period = None  # [first, last] year of contact (list records) / departure (register)
seed = 1
threshold = 5  # smallest count published
alpha = 0.05
n_boot = 2000  # bootstrap replicates (None: until every limit's Monte Carlo error is <= 1%)
latent_chains = {"burnin": 10_000, "draws": 1_000, "thin": 50}  # latent-class sampler

# %%
import json
from pathlib import Path

import analysis as an
from analysis.mse import estimate, load_published
from analysis.mse.ensemble import ensemble
from analysis.mse.report import by_stratum, linked_interval, threshold_sensitivity
from analysis.mse.sources import link_lists, read_list, register_victims, true_pairs_from_truth

run = an.notebook_setup(register, output_dir, province=province, period=period,
                        threshold=threshold, seed=seed, alpha=alpha, n_boot=n_boot)


# %% [markdown]
# ## 1. The methods on published data: the UK 2013 strategic assessment (five lists)
# The Home Office reported about 11,300 potential victims (10,000-13,000), of whom 2,744 known.
# Published figures for the same table: LCMCR 20,232 (10,935-32,842), dga 23,016
# (10,408-33,481) (Binette & Steorts 2022).

# %%
uk = ensemble(load_published("UKdat_5"), alpha=alpha, n_boot=n_boot, rng=seed, latent=latent_chains)
print(uk.summary())

# %% [markdown]
# ## 2. The lists and the register, linked

# %%
lists_path = Path(lists_dir)
lists = {p.stem: an.select_records(read_list(p), province, period)
         for p in sorted(lists_path.glob("*.csv"))}
lists["register"] = an.select_records(register_victims(register_db), province, period)
linked = link_lists(lists, seed=seed)
print(linked.summary())
truth_file = lists_path.parent / "truth.json"
truth = json.loads(truth_file.read_text()) if truth_file.exists() else None
quality = None
if truth:  # synthetic data only: the true links are known
    quality = linked.quality(true_pairs_from_truth(truth))
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in quality.items()
           if k in ("precision", "recall", "f1", "n_true", "n_found")})

# %% [markdown]
# ## 3. Capture patterns (small cells suppressed in the published table)

# %%
table = linked.table()
run.table(table.set_index(list(linked.lists)), "capture_patterns", counts=["count"])

# %% [markdown]
# ## 4. The estimate: headline interval, and the intervals beside it
# The headline is the bootstrap percentile interval with the model chosen again in every
# replicate; the Monte Carlo error of each limit is in brackets. The profile interval is
# conditional on the chosen model: it leaves out the uncertainty of choosing it.

# %%
result = estimate(table, alpha=alpha, n_boot=n_boot, rng=seed)
print(result.summary(threshold=threshold))  # no table of small cells in published output
profile = estimate(table, alpha=alpha, ci="profile")
run.json({"headline": result.to_dict(), "profile": profile.to_dict()}, "estimate")
if truth:
    print(f"synthetic truth: {truth['mse']['N']:,} victims")

# %% [markdown]
# ## 5. Other model families side by side, and what their differences suggest

# %%
methods = ensemble(table, alpha=alpha, n_boot=n_boot, rng=seed, latent=latent_chains)
print(methods.summary())
run.table(methods.to_frame().assign(observed=methods.observed), "methods", counts=["observed"])

# %% [markdown]
# ## 6. Linkage uncertainty in the interval
# The interval above treats every link as certain. Resampling each candidate link from its match
# probability in every replicate carries the linkage uncertainty into the interval.

# %%
linkage = linked_interval(lists, seed=seed, alpha=alpha, n_boot=n_boot or 1000, rng=seed)
print(linkage.summary())
planted = an.planted_victims(truth, province, period)  # synthetic data, whole country only
run.table(an.mse_headline(result, linkage, profile, planted), "headline", counts=["observed"],
          title="Victims in total, seen by a list or not: the estimates side by side",
          interval=("value", "ci_low", "ci_high"), interval_unit="count",
          interval_label=f"victims ({an.ci_label(alpha)})",
          columns={"observed": "people on at least one list"}, key=True)
run.note(an.mse_linkage_caveat(result, linkage, quality, planted), key=True)

# %% [markdown]
# ## 7. How much the linkage threshold matters

# %%
sensitivity = threshold_sensitivity(lists, (0.5, 0.9, 0.99), seed=seed, alpha=alpha,
                                    n_boot=n_boot, rng=seed)
run.table(sensitivity, "linkage_sensitivity", counts=["persons", "observed"])

# %% [markdown]
# ## 8. By sex (heterogeneity): separate estimates where enough people were seen

# %%
by_sex = by_stratum(linked.persons, linked.lists, "sex", alpha=alpha, n_boot=n_boot, rng=seed)
run.table(by_sex, "by_sex", counts=["observed"])
