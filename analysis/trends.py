"""Trends by year of departure, with the right-censoring of recent departures marked.

A journey that left recently has had little time to come back: if its migrant returns, the
return is not yet in the register (right-censored). So the last periods have fewer returns than
they will have, and the returns recorded so far are the short stays, whose outcomes need not be
typical. Drawn naively, the last period looks like a fall.

`follow_up` measures it. The distribution of the time from departure to return is estimated by
Kaplan–Meier (statsmodels ``SurvfuncRight``), each journey without a recorded return censored at
``as_of`` (default: the latest date in the data); for a journey that left at ``d`` the share of
eventual returns already observable is ``F(as_of - d) / F(t_max)`` with ``F = 1 - S``, and a
period's share is the mean over its journeys. A period whose share is below ``complete`` (0.9 by
default) is flagged ``censored``. Assumption: the length of stay does not depend on the
departure period (the estimate pools all periods).

`plot_trend` draws estimates by period with their intervals and draws the censored periods
distinctly (open markers, dashed line, shaded band, and a note in the legend).

References
----------
Kaplan EL, Meier P (1958) Nonparametric estimation from incomplete observations. *JASA*
53:457–481.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from statsmodels.duration.survfunc import SurvfuncRight

from analysis._validation import EmptyDataError, InvalidParameterError, check_export
from analysis.prevalence import PrevalenceResult
from analysis.results import Result, format_table, text_block
from analysis.scope import Scope, describe_scope

__all__ = ["FollowUpResult", "follow_up", "plot_trend"]


@dataclass(frozen=True, eq=False, repr=False)
class FollowUpResult(Result):
    """Per departure period: journeys, recorded returns, share of the eventual returns already
    observable (``share_observable``) and the ``censored`` flag."""

    by: str
    as_of: str
    complete: float
    median_stay_days: float
    table: pd.DataFrame
    scope: Scope | None = None

    @property
    def censored_periods(self) -> list[str]:
        return [str(p) for p in self.table.index[self.table["censored"]]]

    def warning(self) -> str | None:
        """One sentence for a figure or table whose last periods are censored."""
        periods = self.censored_periods
        if not periods:
            return None
        return (f"departures in {', '.join(periods)}: fewer than {self.complete:.0%} of their "
                f"eventual returns are observable by {self.as_of}; their figures describe early "
                "returners only and are not comparable (not a fall)")

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [
            f"returns observed to {self.as_of}; median time abroad (Kaplan–Meier) "
            f"{self.median_stay_days:.0f} days",
            *(self.scope.lines() if self.scope else []),
            self.warning() or "every period has had time for its returns to be observed",
        ]
        return text_block(f"Follow-up of departures by {self.by}", lines,
                          format_table(self.table))


def _days(dates: pd.Series) -> np.ndarray:
    return pd.to_datetime(dates, errors="coerce").to_numpy(dtype="datetime64[D]")


def follow_up(df: pd.DataFrame, *, by: str = "departure_year", as_of: str | None = None,
              complete: float = 0.9) -> FollowUpResult:
    """How much of each departure period's returns can already be observed (module docstring)."""
    check_export(df, ["departure_date", "returned", "return_date", by], "follow_up")
    if not 0 < complete < 1:
        raise InvalidParameterError(f"complete must lie strictly between 0 and 1, got {complete}")
    dep = _days(df["departure_date"])
    ret = _days(df["return_date"])
    known = ~np.isnat(dep)
    if not known.any():
        raise EmptyDataError("no journey has a departure date")
    latest = np.nanmax(np.concatenate([dep[known], ret[~np.isnat(ret)]]))
    end = np.datetime64(as_of, "D") if as_of else latest
    returned = (pd.to_numeric(df["returned"], errors="coerce").fillna(0).to_numpy() == 1) \
        & ~np.isnat(ret)
    stay = np.where(returned, ret - dep, end - dep).astype("timedelta64[D]").astype(float)
    use = known & (stay >= 0)
    km = SurvfuncRight(np.maximum(stay[use], 0.5), returned[use].astype(int))
    times, surv = np.asarray(km.surv_times), np.asarray(km.surv_prob)
    f_max = 1 - surv[-1] if len(surv) else 0.0
    if f_max <= 0:
        raise EmptyDataError("no return recorded: nothing to estimate the time abroad from")
    elapsed = (end - dep[known]).astype("timedelta64[D]").astype(float)
    at = np.searchsorted(times, elapsed, side="right") - 1
    f = np.where(at >= 0, 1 - surv[np.clip(at, 0, None)], 0.0)
    frame = pd.DataFrame({"period": df.loc[known, by].astype("string").to_numpy(),
                          "observable": f / f_max, "returned": returned[known]})
    g = frame.groupby("period")
    table = pd.DataFrame({"journeys": g.size(), "returns": g["returned"].sum().astype(int)})
    table["share_returned"] = table["returns"] / table["journeys"]
    table["share_observable"] = g["observable"].mean()
    table["censored"] = table["share_observable"] < complete
    table.index.name = by
    median = float(km.quantile(0.5 * f_max)) if f_max > 0 else float("nan")
    return FollowUpResult(by=by, as_of=str(end), complete=complete, median_stay_days=median,
                          table=table, scope=describe_scope(df))


def plot_trend(
    series: Mapping[str, PrevalenceResult | pd.DataFrame],
    follow: FollowUpResult,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "share of returned journeys",
    figsize: tuple[float, float] = (7, 4),
) -> tuple[Figure, Axes]:
    """Estimates by period (``estimate``, ``lower``, ``upper`` indexed by period) with intervals;
    censored periods are drawn open and dashed on a shaded band, and the legend says why.

    A `PrevalenceResult` is drawn from its published table (unpublishable periods blank).
    """
    if ax is None:
        fig = Figure(figsize=figsize)
        ax = fig.add_subplot()
    else:
        fig = ax.figure  # type: ignore[assignment]
    censored = set(follow.censored_periods)
    shaded = False
    for label, data in series.items():
        table = data.published() if isinstance(data, PrevalenceResult) else data
        table = table.sort_index()
        periods = table.index.astype(str)
        x = pd.to_numeric(pd.Series(periods), errors="coerce").to_numpy(float)
        if np.isnan(x).any():
            x = np.arange(len(periods), dtype=float)
        est = table["estimate"].astype(float).to_numpy()
        lo, hi = table["lower"].astype(float).to_numpy(), table["upper"].astype(float).to_numpy()
        late = np.isin(periods, list(censored))
        first_late = int(np.argmax(late)) if late.any() else len(x)
        solid = slice(0, first_late)
        line = ax.plot(x[solid], est[solid], marker="o", label=label)[0]
        colour = line.get_color()
        ax.fill_between(x, lo, hi, color=colour, alpha=0.15, linewidth=0)
        if late.any():
            start = max(first_late - 1, 0)
            ax.plot(x[start:], est[start:], linestyle="--", color=colour, gid="censored_line")
            ax.plot(x[late], est[late], linestyle="none", marker="o", markerfacecolor="white",
                    markeredgecolor=colour, gid="censored_points")
            if not shaded:
                ax.axvspan(x[late].min() - 0.5, x[late].max() + 0.5, color="0.9", zorder=0,
                           gid="censored_band",
                           label=f"returns not yet all observed (< {follow.complete:.0%})")
                shaded = True
    ax.set_xlabel(follow.by.replace("_", " "))
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    warning = follow.warning()
    if warning:
        ax.annotate("\n".join(textwrap.wrap(warning, 120)), xy=(0, 0), xycoords="axes fraction",
                    xytext=(0, -38), textcoords="offset points", va="top", fontsize=6.5,
                    color="0.3", gid="censoring_note")
    return fig, ax
