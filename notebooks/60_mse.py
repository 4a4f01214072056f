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
register = "../demo/national.db"  # the export the runner passes to every notebook (unused: MSE reads lists)
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

from analysis.mse import estimate, load_published
from analysis.mse.ensemble import ensemble
from analysis.mse.report import by_stratum, linked_interval, threshold_sensitivity
from analysis.mse.sources import link_lists, read_list, register_victims, true_pairs_from_truth
from analysis.publish import save_table

out = Path(output_dir)
out.mkdir(parents=True, exist_ok=True)


def selected(records):
    """Records of the chosen province and period (all when both are None)."""
    keep = []
    for r in records:
        year = int(str(r.get("contact_date") or "0")[:4] or 0)
        if province and r.get("province_code") != province:
            continue
        if period and not (period[0] <= year <= period[1]):
            continue
        keep.append(r)
    return keep


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
lists = {p.stem: selected(read_list(p)) for p in sorted(lists_path.glob("*.csv"))}
lists["register"] = selected(register_victims(register_db))
linked = link_lists(lists, seed=seed)
print(linked.summary())
truth_file = lists_path.parent / "truth.json"
truth = json.loads(truth_file.read_text()) if truth_file.exists() else None
if truth:  # synthetic data only: the true links are known
    quality = linked.quality(true_pairs_from_truth(truth))
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in quality.items()
           if k in ("precision", "recall", "f1", "n_true", "n_found")})

# %% [markdown]
# ## 3. Capture patterns (small cells suppressed in the published table)

# %%
table = linked.table()
save_table(table.set_index(list(linked.lists)), out / "capture_patterns.csv",
           threshold=threshold, counts=["count"])

# %% [markdown]
# ## 4. The estimate: headline interval, and the intervals beside it
# The headline is the bootstrap percentile interval with the model chosen again in every
# replicate; the Monte Carlo error of each limit is in brackets. The profile interval is
# conditional on the chosen model: it leaves out the uncertainty of choosing it.

# %%
result = estimate(table, alpha=alpha, n_boot=n_boot, rng=seed)
print(result.summary(threshold=threshold))  # no table of small cells in published output
profile = estimate(table, alpha=alpha, ci="profile")
(out / "estimate.json").write_text(json.dumps(
    {"headline": result.to_dict(), "profile": profile.to_dict()}, indent=1, default=str))
if truth:
    print(f"synthetic truth: {truth['mse']['N']:,} victims")

# %% [markdown]
# ## 5. Other model families side by side, and what their differences suggest

# %%
methods = ensemble(table, alpha=alpha, n_boot=n_boot, rng=seed, latent=latent_chains)
print(methods.summary())
save_table(methods.to_frame().assign(observed=methods.observed), out / "methods.csv",
           threshold=threshold, counts=["observed"])

# %% [markdown]
# ## 6. Linkage uncertainty in the interval
# The interval above treats every link as certain. Resampling each candidate link from its match
# probability in every replicate carries the linkage uncertainty into the interval.

# %%
linkage = linked_interval(lists, seed=seed, alpha=alpha, n_boot=n_boot or 1000, rng=seed)
print(linkage.summary())

# %% [markdown]
# ## 7. How much the linkage threshold matters

# %%
sensitivity = threshold_sensitivity(lists, (0.5, 0.9, 0.99), seed=seed, alpha=alpha,
                                    n_boot=n_boot, rng=seed)
save_table(sensitivity, out / "linkage_sensitivity.csv", threshold=threshold,
           counts=["persons", "observed"])

# %% [markdown]
# ## 8. By sex (heterogeneity): separate estimates where enough people were seen

# %%
by_sex = by_stratum(linked.persons, linked.lists, "sex", alpha=alpha, n_boot=n_boot, rng=seed)
save_table(by_sex, out / "by_sex.csv", threshold=threshold, counts=["observed"])
