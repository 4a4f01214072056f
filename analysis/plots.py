"""Charts for the report: odds ratios with their reference categories named, per-cent axes.

Every function returns ``(figure, axes)`` (a ``matplotlib.figure.Figure`` not registered with
pyplot); nothing is shown or saved here (`analysis.publish.save_figure` does that).
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, PercentFormatter

from ._risk_core import RiskModelResult
from .covariates import BINARY, COVARIATES, NUMERIC
from .results import ci_label

__all__ = ["odds_ratio_plot", "percent_axis", "term_label"]

_PER = {"n_brokers": "per broker", "age10": "per 10 years of age",
        "departure_year": "per year of departure"}
_TERM = re.compile(r"^(?P<name>\w+)\[(?P<level>.*)\]$")


def term_label(term: str, references: dict[str, str]) -> str:
    """A model term in words: ``'sector: agriculture (vs construction)'``,
    ``'has_debt: yes (vs no)'``, ``'n_brokers (per broker)'``."""
    match = _TERM.match(term)
    if match:
        name, level = match["name"], match["level"]
        ref = references.get(name)
        return f"{name.replace('_', ' ')}: {level}" + (f" (vs {ref})" if ref else "")
    base = term.removesuffix("_missing")
    if base != term:
        return f"{base.replace('_', ' ')}: not recorded (vs recorded)"
    kind = COVARIATES.get(term, ("", ""))[0]
    if kind == BINARY:
        return f"{term.replace('_', ' ')}: yes (vs no)"
    if kind == NUMERIC:
        return f"{term.replace('_', ' ')} ({_PER.get(term, 'per unit')})"
    return term.replace("_", " ")


def odds_ratio_plot(result: RiskModelResult, *, ax: Axes | None = None,
                    title: str | None = None) -> tuple[Figure, Axes]:
    """Odds ratios with their intervals on a log scale, one row per term, each categorical
    level labelled with the reference it is compared with; reference levels listed below."""
    if not isinstance(result, RiskModelResult):
        raise TypeError("result must come from fit_risk_model")
    table = result.to_frame()
    table = table[table.index != "Intercept"]
    labels = [term_label(t, result.references) for t in table.index]
    if ax is None:
        fig = Figure(figsize=(7.5, 0.22 * len(table) + 1.6))
        ax = fig.add_subplot()
    else:
        fig = ax.figure  # type: ignore[assignment]
    y = np.arange(len(table))[::-1]
    ratio = table["odds_ratio"].to_numpy(float)
    low, high = table["lower"].to_numpy(float), table["upper"].to_numpy(float)
    ax.errorbar(ratio, y, xerr=[ratio - low, high - ratio], fmt="o", color="#2c7bb6",
                ecolor="#2c7bb6", capsize=2, gid="odds_ratios")
    ax.axvline(1, color="0.4", lw=0.8)
    ax.set_xscale("log")
    ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16)
             if np.nanmin(low) / 1.5 <= t <= np.nanmax(high) * 1.5]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks], fontsize=8)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.set_yticks(y, labels, fontsize=7.5)
    ax.set_xlabel(f"odds ratio of {result.outcome.replace('_', ' ')} with its "
                  f"{ci_label(result.alpha)} (log scale; 1 = no difference)")
    refs = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in result.references.items())
    if refs:
        ax.annotate("\n".join(textwrap.wrap("Reference categories — " + refs, 110)),
                    xy=(0, 0), xycoords="axes fraction", xytext=(0, -34),
                    textcoords="offset points", va="top", fontsize=7, color="0.25",
                    gid="references")
    ax.set_title(title or result.title, fontsize=9)
    return fig, ax


def percent_axis(ax: Axes, axis: str = "y", *, label: str | None = None) -> Axes:
    """Show proportions (0-1) on ``axis`` as per cents; ``label`` replaces the axis label."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(1.0, decimals=None))
    if label is not None:
        (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)
    return ax
