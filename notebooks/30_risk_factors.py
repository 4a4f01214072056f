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
# # Risk factors for forced labour and trafficking
#
# A logistic model of exploitation among returned migrants on channel, agency licence status,
# number of brokers, destination, sector, sex, age, debt, documents and year of departure, with
# odds ratios and standard errors clustered by commune. Each categorical factor is compared with
# a reference category, named in the chart. Missing covariates and indicators are multiply
# imputed by default (``missing = "complete_case"`` drops incomplete rows instead, and says how
# many).

# %% tags=["parameters"]
register = "../demo/national.db"
output_dir = "results/30_risk_factors"
province = None
period = None
seed = 1  # seeds the imputation
imputations = 10  # number of imputations, when missing = "impute"
missing = "impute"  # or "complete_case", "indicator"
covariates = ["channel", "unlicensed_agency", "n_brokers", "destination_country", "sector",
              "sex", "age_band", "has_debt", "has_passport", "has_work_permit", "departure_year"]
min_level_count = 20  # rarer levels are pooled; the published table needs >= threshold
threshold = 5
alpha = 0.05

# %%
import analysis as an

run = an.notebook_setup(register, output_dir, province=province, period=period,
                        threshold=threshold, seed=seed, alpha=alpha, missing=missing,
                        covariates=covariates, min_level_count=min_level_count)
df = run.frame

# one set of imputations (indicators and covariates) for both outcomes
imp = an.impute_outcomes(df, m=imputations, covariates=covariates, rng=seed) \
    if missing == "impute" else None

# %%
for outcome in ("forced_labour", "trafficking"):
    model = an.fit_risk_model(df, outcome=outcome, covariates=covariates, missing=missing,
                              alpha=alpha, min_level_count=min_level_count, imputations=imp)
    print(model.summary())
    run.table(an.odds_ratio_table(model, min_level_count=min_level_count),
              f"odds_ratios_{outcome}", counts=["min_journeys"], title=model.title,
              interval=("odds_ratio", "lower", "upper"), interval_unit="ratio",
              interval_label=f"odds ratio ({an.ci_label(alpha)})",
              columns={"p_value": "p-value"}, show=False)
    fig, _ = an.odds_ratio_plot(model, title=run.title(model.title, wrap=90))
    run.figure(fig, f"odds_ratios_{outcome}", title=model.title)
    for text in model.notes:
        run.note(f"{outcome.replace('_', ' ')} model: {text}")
