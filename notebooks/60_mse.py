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
# # How many victims did no list see? Multiple systems estimation
#
# Each service sees part of the victims: MOSVY, the police, NGOs, and the commune registers.
# Linking the same person across the lists gives, for every combination of lists, how many
# people were seen by exactly that combination. A log-linear model of those counts estimates the
# number seen by none (Chan, Silverman & Vincent 2021; Home Office 2014).
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
register = "../demo/national.db"  # not used: this notebook needs the register itself
register_db = "../demo/national.db"  # the merged register (identities stay inside this step)
lists_dir = "../demo/communes/lists"  # victim lists: mosvy.csv, police.csv, ngo.csv
output_dir = "results/60_mse"
province = None
period = None
seed = 1
threshold = 5
alpha = 0.05
n_boot = 1000

# %%
import json
from pathlib import Path

from analysis.mse import compare, estimate, load_published
from analysis.mse.sources import link_lists, read_list, register_victims, true_pairs_from_truth
from analysis.publish import save_table

out = Path(output_dir)
out.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## 1. The method on published data: the UK 2013 strategic assessment (five lists)
# The Home Office reported about 11,300 potential victims (10,000-13,000), of whom 2,744 known.

# %%
uk = estimate(load_published("UKdat_5"), method="stepwise", alpha=alpha)
print(uk.summary())
compare(load_published("UKdat_5"), methods=("independence", "stepwise", "aic", "bic"))

# %% [markdown]
# ## 2. The lists and the register, linked

# %%
lists_path = Path(lists_dir)
lists = {p.stem: read_list(p) for p in sorted(lists_path.glob("*.csv"))}
lists["register"] = register_victims(register_db)
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
# ## 4. Estimates: models side by side, and the stepwise estimate with its intervals

# %%
models = compare(table, methods=("independence", "stepwise", "aic", "bic"))
models.to_csv(out / "models.csv")
models

# %%
result = estimate(table, method="stepwise", alpha=alpha, ci="profile")
boot = estimate(table, method="stepwise", alpha=alpha, ci="percentile", n_boot=n_boot, rng=seed)
print(result.summary(threshold=threshold))  # no table of small cells in published output
print(f"bootstrap ({n_boot} replicates, model chosen again in each): "
      f"{boot.ci_low:,.0f} to {boot.ci_high:,.0f}")
(out / "estimate.json").write_text(json.dumps(
    {"profile": result.to_dict(), "bootstrap": boot.to_dict()}, indent=1, default=str))
if truth:
    print(f"synthetic truth: {truth['mse']['N']:,} victims")

# %% [markdown]
# ## 5. How much the linkage matters: the estimate at other match thresholds
# A lower threshold links more pairs (fewer missed links, more false ones), a higher one fewer.

# %%
import pandas as pd

sensitivity = []
for cut in (0.5, 0.9, 0.99):
    relinked = link_lists(lists, seed=seed, threshold=cut)
    r = estimate(relinked.table(), method="stepwise", alpha=alpha)
    sensitivity.append({"threshold": cut, "persons": len(relinked.persons),
                        "estimate": round(r.estimate), "ci_low": round(r.ci_low),
                        "ci_high": round(r.ci_high), "model": " + ".join(r.model)})
sensitivity = pd.DataFrame(sensitivity).set_index("threshold")
sensitivity.to_csv(out / "linkage_sensitivity.csv")
sensitivity

# %% [markdown]
# ## 6. By sex (heterogeneity): separate estimates where the counts allow

# %%
rows = []
for sex in ("F", "M"):
    part = linked.persons[linked.persons["sex"] == sex]
    if len(part) < 50:
        continue
    from analysis.mse import capture_table

    r = estimate(capture_table(part, list(linked.lists)), method="stepwise", alpha=alpha)
    rows.append({"sex": sex, "observed": r.observed, "estimate": round(r.estimate),
                 "ci_low": round(r.ci_low), "ci_high": round(r.ci_high),
                 "model": " + ".join(r.model) or "independence"})
by_sex = pd.DataFrame(rows).set_index("sex")
by_sex.to_csv(out / "by_sex.csv")
by_sex
