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
# # Trends over time
#
# Departures by year and channel, and the prevalence of forced labour and trafficking among
# returned migrants by year of departure, with commune-clustered intervals. Recent departures
# have had less time to come back (right-censoring): their returns are not all observed, and
# the ones observed are the short stays. Those years are drawn open and dashed on a grey band,
# and are not a fall.

# %% tags=["parameters"]
register = "../demo/national.db"
output_dir = "results/50_trends"
province = None
period = None
seed = 1  # seeds the imputation of missing indicators
imputations = 20
threshold = 5
alpha = 0.05

# %%
import analysis as an

run = an.notebook_setup(register, output_dir, province=province, period=period,
                        threshold=threshold, seed=seed, alpha=alpha)
df = run.frame
follow = an.follow_up(df)
print(follow.summary())
if follow.warning():
    run.note(follow.warning())

# %%
channels = an.departures_by_year(df, "channel")
run.table(channels, "departures_by_channel", **an.departures_cells(channels),
          title="Journeys by year of departure and recruitment channel")

# %%
imp = an.impute_outcomes(df, m=imputations, rng=seed)
trends = {}
for outcome in ("forced_labour", "trafficking"):
    result = an.estimate_prevalence(df, outcome=outcome, by="departure_year", alpha=alpha,
                                    threshold=threshold, imputations=imp)
    trends[outcome.replace("_", " ")] = result
    run.table(result.to_frame(), f"{outcome}_by_year", title=result.title,
              interval=("estimate", "lower", "upper"),
              interval_label=f"{outcome.replace('_', ' ')}, % ({an.ci_label(alpha)})",
              columns={"n": "returned journeys"}, show=False, **result.cells())
title = result.scope.title("Forced labour and trafficking by year of departure")
fig, ax = an.plot_trend(trends, follow, title=run.title(title, wrap=80),
                        ylabel=f"per cent of returned journeys ({an.ci_label(alpha)} shaded)")
an.percent_axis(ax)
run.figure(fig, "trends", title=title,
           note="Open markers on the grey band: years whose returns are not all observed yet.")
