"""Right-censoring of recent departures: the observable share against its closed form, and a
trend figure that draws censored periods distinctly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.trends import follow_up, plot_trend

MEAN_STAY = 300.0  # days, exponential: F(t) = 1 - exp(-t / 300)
AS_OF = pd.Timestamp("2025-12-31")


def journeys(seed: int, n: int = 20000) -> pd.DataFrame:
    """Departures uniform over 2015-2025, exponential stays, everyone returns eventually; a
    return is recorded only if it happened by AS_OF."""
    rng = np.random.default_rng(seed)
    dep = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 4017, n), unit="D")
    stay = pd.to_timedelta(np.ceil(rng.exponential(MEAN_STAY, n)), unit="D")
    ret = dep + stay
    back = ret <= AS_OF
    return pd.DataFrame({
        "departure_date": dep.strftime("%Y-%m-%d"), "departure_year": dep.year,
        "returned": back.astype(int),
        "return_date": pd.Series(ret.strftime("%Y-%m-%d")).where(back, None),
    })


def closed_form(df: pd.DataFrame) -> pd.Series:
    elapsed = (AS_OF - pd.to_datetime(df["departure_date"])).dt.days.to_numpy()
    share = 1 - np.exp(-elapsed / MEAN_STAY)
    return pd.Series(share).groupby(df["departure_year"].astype(str).to_numpy()).mean()


def test_observable_share_matches_the_closed_form_and_flags_recent_years():
    df = journeys(1)
    res = follow_up(df, as_of="2025-12-31")
    t = res.to_frame()
    expected = closed_form(df).reindex(t.index)
    np.testing.assert_allclose(t["share_observable"], expected, atol=0.02)
    assert res.median_stay_days == pytest.approx(MEAN_STAY * np.log(2), rel=0.05)
    clear = (expected - 0.9).abs() > 0.02  # away from the threshold, the flag is exact
    assert (t.loc[clear, "censored"] == (expected[clear] < 0.9)).all()
    assert t["censored"].iloc[-1] and not t["censored"].iloc[0]
    assert "2025" in res.warning() and "not a fall" in res.warning()


def test_trend_figure_draws_censored_periods_apart():
    df = journeys(2, n=8000)
    follow = follow_up(df)
    years = sorted(df["departure_year"].astype(str).unique())
    table = pd.DataFrame({"estimate": 0.15, "lower": 0.12, "upper": 0.18},
                         index=pd.Index(years, name="departure_year"))
    table.loc[years[-1], "estimate"] = 0.05  # a "fall" in the last, censored year
    fig, ax = plot_trend({"forced labour": table}, follow, title="trend")
    censored = follow.censored_periods
    points = [line for line in ax.lines if line.get_gid() == "censored_points"][0]
    assert len(points.get_xdata()) == len(censored) and points.get_markerfacecolor() == "white"
    solid = ax.lines[0]
    assert len(solid.get_xdata()) == len(years) - len(censored)  # the solid line stops before
    assert any(p.get_gid() == "censored_band" for p in ax.patches)
    assert any("not yet all observed" in t.get_text() for t in ax.get_legend().get_texts())
    assert any(t.get_gid() == "censoring_note" for t in ax.texts)
