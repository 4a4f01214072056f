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
# # Prevalence of forced labour and trafficking
#
# Among returned migrants: forced labour by the ICLS 2018 statistical definition (at least one
# involuntariness and one coercion indicator among the eleven ILO indicators; children by the
# separate rule for children) and trafficking (exploitation with a means such as deception; for
# a minor no means is needed, Palermo Protocol art. 3(c)). Indicators left unrecorded are
# multiply imputed once and the imputations shared by every estimate below (Rubin's rules).
# Intervals respect the clustering of migrants in communes. Small-area estimates shrink areas
# with few returns toward the rest and keep their uncertainty. Areas with too few returns or
# cases to publish are suppressed in tables and hatched on maps.

# %% tags=["parameters"]
register = "../demo/national.db"
output_dir = "results/20_prevalence"
province = None  # one province: its districts
period = None  # [first, last] departure year
seed = 1  # seeds the imputation of missing indicators
imputations = 20  # number of imputations
threshold = 5
alpha = 0.05

# %%
import analysis as an

run = an.notebook_setup(register, output_dir, province=province, period=period,
                        threshold=threshold, seed=seed, alpha=alpha)
df = run.frame
by = "district_code" if province else "province_code"
imp = an.impute_outcomes(df, m=imputations, rng=seed)
print(imp.summary())

# %% [markdown]
# ## Direct estimates with commune-clustered intervals

# %%
for outcome in ("forced_labour", "trafficking"):
    result = an.estimate_prevalence(df, outcome=outcome, by=by, alpha=alpha, threshold=threshold,
                                    imputations=imp)
    print(result.summary())
    run.note(an.prevalence_finding(result), kind="finding", key=True)
    run.table(result.to_frame(), f"prevalence_{outcome}", title=result.title,
              interval=("estimate", "lower", "upper"),
              interval_label=f"{outcome.replace('_', ' ')}, % ({an.ci_label(alpha)})",
              columns={"n": "returned journeys", "n_persons": "persons"},
              key=outcome == "forced_labour", show=False, **result.cells())

# %% [markdown]
# ## Small-area estimates (Fay-Herriot)

# %%
smoothed = {}
for outcome in ("forced_labour", "trafficking"):
    smoothed[outcome] = an.small_area_prevalence(df, outcome=outcome, by=by, alpha=alpha,
                                                 threshold=threshold, imputations=imp)
    print(smoothed[outcome].summary())
    run.table(smoothed[outcome].to_frame(), f"small_area_{outcome}", show=False)
    for text in smoothed[outcome].notes:
        run.note(f"{outcome.replace('_', ' ')}, small-area estimates: {text}")

# %% [markdown]
# ## Maps (suppressed areas hatched; the colour scale never narrower than the uncertainty)

# %%
for outcome, result in smoothed.items():
    fig, _ = an.area_map(result, province=province, title=run.title(result.title, wrap=80))
    run.figure(fig, f"map_{outcome}", title=result.title, key=outcome == "forced_labour")

# %% [markdown]
# ## The whole country by district and by commune
# Finer areas have fewer returns each: their estimates lean more on the national level, and
# more of them are suppressed.

# %%
if not province:
    for level in ("district_code", "commune_code"):
        fine = an.small_area_prevalence(df, outcome="forced_labour", by=level, alpha=alpha,
                                        threshold=threshold, imputations=imp)
        run.table(fine.to_frame(), f"small_area_forced_labour_{level}", show=False)
        fig, _ = an.area_map(fine, title=run.title(fine.title, wrap=80))
        run.figure(fig, f"map_forced_labour_{level.removesuffix('_code')}", title=fine.title)

# %% [markdown]
# ## Per 100,000 residents (2019 census)
# Prevalence among returned migrants says how risky migration is; the rate per resident says
# how much of a province's population is affected. Recorded migrants and recorded cases only:
# lower bounds.

# %%
if not province:
    run.table(an.rates_per_resident(df), "per_100k_residents", counts=["journeys", "cases"],
              title="Journeys and recorded forced-labour cases per 100,000 residents "
                    "(population: 2019 census)",
              columns={"journeys": "journeys", "cases": "recorded cases",
                       "journeys_per_100k": "journeys per 100,000",
                       "cases_per_100k": "cases per 100,000"})
