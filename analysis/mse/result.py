"""The result of a multiple systems estimate: `MSEResult`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .intervals import BootstrapResult
from .models import ModelFit, term_names
from .robust import RobustInterval
from .select import StepwiseStep

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["MSEResult"]


def _ci_label(alpha: float) -> str:
    level = 100 * (1 - alpha)
    return f"{level:.0f}% CI" if abs(level - round(level)) < 1e-9 else f"{level:.1f}% CI"


def _num(value: float) -> str:
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf" if value < 0 else "n/a"
    return f"{value:,.0f}"


_CI_NAMES = {
    "bootstrap": "bootstrap percentile, model selection repeated",
    "profile": "profile likelihood, conditional on the chosen model",
    "wald": "Wald (log scale), conditional on the chosen model",
    "percentile": "bootstrap percentile",
    "bca": "bootstrap BCa",
    "none": "not computed",
}


def _json_float(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True, eq=False, repr=False)
class MSEResult:
    """A multiple systems estimate with its interval, model and fitted cells.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        Estimated total population and its ``1 - alpha`` interval (``inf`` when unbounded).
    observed : int
        People seen on at least one of the lists used (after removing non-informative lists).
    unseen, unseen_low, unseen_high : float
        Estimated number on no list, with its interval.
    method : str
        Model choice: 'stepwise', 'independence', 'aic', 'bic' or 'fixed'.
    ci_method : str
        'profile', 'wald', 'percentile' or 'bca' bootstrap, or 'none'.
    model : tuple of str
        Two-list terms of the selected model, ``('A:B', ...)``.
    lists, removed_lists
        Lists used, and ``(list, reason)`` for those removed as non-informative.
    alpha : float
    fit : ModelFit
        The fitted model (coefficients, fitted cells, AIC/BIC).
    steps : tuple of StepwiseStep
        Terms added by the stepwise rule, with their p-values.
    boot : BootstrapResult or None
        Bootstrap replicates when a single percentile or BCa interval was computed.
    robust : RobustInterval or None
        With the default ``ci='bootstrap'``: replicates, percentile and BCa limits and their
        Monte Carlo standard errors.
    conditional : (float, float) or None
        With ``ci='bootstrap'``: the profile-likelihood interval of the chosen model, which
        ignores that the model was chosen from the same data.
    """

    estimate: float
    ci_low: float
    ci_high: float
    observed: int
    unseen: float
    unseen_low: float
    unseen_high: float
    method: str
    ci_method: str
    model: tuple[str, ...]
    lists: tuple[str, ...]
    removed_lists: tuple[tuple[str, str], ...]
    alpha: float
    pthresh: float | None
    fit: ModelFit = field(repr=False)
    steps: tuple[StepwiseStep, ...] = ()
    boot: BootstrapResult | None = field(default=None, repr=False)
    robust: RobustInterval | None = field(default=None, repr=False)
    conditional: tuple[float, float] | None = None
    notes: tuple[str, ...] = ()

    def intervals(self) -> list[dict[str, Any]]:
        """Every interval computed, headline first: name, limits, Monte Carlo standard errors."""
        if self.robust is None:
            return [{"interval": _CI_NAMES[self.ci_method], "low": self.ci_low, "high": self.ci_high,
                     "mcse_low": None, "mcse_high": None}]
        rows = [dict(r) for r in self.robust.rows()]
        if self.conditional is not None:
            rows.append({"interval": _CI_NAMES["profile"], "low": self.conditional[0],
                         "high": self.conditional[1], "mcse_low": None, "mcse_high": None})
        return rows

    # -- presentation -------------------------------------------------------------------------
    @property
    def neg_inf_terms(self) -> tuple[str, ...]:
        """Model terms for non-overlapping pairs (extended MLE :math:`-\\infty`)."""
        return term_names(self.lists, self.fit.neg_inf_terms)

    def cells(self) -> list[dict[str, Any]]:
        """Observed and fitted count of every cell, unseen cell first."""
        pats = self.fit.table.patterns
        out = []
        for k in range(len(pats)):
            label = "&".join(n for j, n in enumerate(self.lists) if pats[k, j]) or "(unseen)"
            out.append(
                {
                    "pattern": label,
                    **{n: int(pats[k, j]) for j, n in enumerate(self.lists)},
                    "observed": None if k == 0 else int(self.fit.table.counts[k]),
                    "fitted": float(self.fit.fitted[k]),
                }
            )
        return out

    def to_frame(self) -> pd.DataFrame:
        """Fitted cells: list columns, ``observed`` (NA for the unseen cell) and ``fitted``."""
        import pandas as pd

        frame = pd.DataFrame(self.cells())
        frame["observed"] = frame["observed"].astype("Int64")
        return frame.drop(columns="pattern")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (infinite limits become ``None``)."""
        out: dict[str, Any] = {
            "estimate": _json_float(self.estimate),
            "ci_low": _json_float(self.ci_low),
            "ci_high": _json_float(self.ci_high),
            "observed": self.observed,
            "unseen": _json_float(self.unseen),
            "unseen_ci_low": _json_float(self.unseen_low),
            "unseen_ci_high": _json_float(self.unseen_high),
            "method": self.method,
            "ci_method": self.ci_method,
            "alpha": self.alpha,
            "pthresh": self.pthresh,
            "model": list(self.model),
            "neg_inf_terms": list(self.neg_inf_terms),
            "lists": list(self.lists),
            "removed_lists": [{"list": n, "reason": r} for n, r in self.removed_lists],
            "deviance": self.fit.deviance,
            "df_resid": self.fit.df_resid,
            "aic": self.fit.aic,
            "bic": self.fit.bic,
            "steps": [
                {"term": s.term, "overlap": s.overlap, "expected": s.expected, "pvalue": s.pvalue}
                for s in self.steps
            ],
            "cells": [
                {"pattern": c["pattern"], "observed": c["observed"], "fitted": c["fitted"]}
                for c in self.cells()
            ],
            "notes": list(self.notes),
        }
        if self.robust is not None:
            out["intervals"] = [
                {k: (_json_float(v) if isinstance(v, float) else v) for k, v in row.items()}
                for row in self.intervals()
            ]
            out["bootstrap"] = {"n_boot": self.robust.n_boot, "n_failed": self.robust.n_failed,
                                "kind": self.robust.kind, "interval": "percentile and bca",
                                "bca_levels": self.robust.bca_levels,
                                "acceleration": self.robust.acceleration,
                                "mc_tol": self.robust.mc_tol}
        if self.boot is not None:
            out["bootstrap"] = {
                "n_boot": self.boot.n_boot,
                "n_failed": self.boot.n_failed,
                "kind": self.boot.kind,
                "interval": self.boot.interval,
            }
        return out

    def summary(self, *, threshold: int | None = None) -> str:
        """Readable text: the estimate, interval, model, fit statistics and fitted cells.

        With ``threshold`` (for publication), the table of cells is left out and any overlap
        count below it is shown as ``<threshold``: no small count of people is printed.
        """

        def count(value: int) -> str:
            return f"<{threshold}" if threshold and 0 < value < threshold else str(value)

        title = f"Multiple systems estimate ({self.method}"
        title += f", p < {self.pthresh:g})" if self.method == "stepwise" else ")"
        ci_name = _CI_NAMES[self.ci_method]
        label = _ci_label(self.alpha)
        model = " + ".join(self.model) if self.model else "main effects only (independence)"
        lines = [
            f"Lists ({len(self.lists)}): {', '.join(self.lists)}",
            *(f"Removed list {n}: {r}" for n, r in self.removed_lists),
            f"Observed: {self.observed:,}",
            f"Model: {model}",
            f"Estimated total: {_num(self.estimate)} ({label} {_num(self.ci_low)} to "
            f"{_num(self.ci_high)}, {ci_name})",
            f"Estimated never seen: {_num(self.unseen)} ({label} {_num(self.unseen_low)} to "
            f"{_num(self.unseen_high)})",
            f"Deviance {self.fit.deviance:.2f} on {self.fit.df_resid} df; "
            f"AIC {self.fit.aic:.2f}; BIC {self.fit.bic:.2f}",
        ]
        if self.neg_inf_terms:
            lists = ", ".join(self.neg_inf_terms)
            lines.append(f"Non-overlapping pairs in the model (fitted 0): {lists}")
        if self.steps:
            lines.append(
                "Stepwise: "
                + "; ".join(
                    f"+{s.term} (overlap {count(s.overlap)}, expected {s.expected:.1f}, "
                    f"p={s.pvalue:.2g})"
                    for s in self.steps
                )
            )
        if self.robust is not None:
            rob = self.robust
            lines.append(f"Intervals ({label}; Monte Carlo s.e. of each limit in brackets):")
            for row in self.intervals():
                mc = (f" [{_num(row['mcse_low'])}, {_num(row['mcse_high'])}]"
                      if row["mcse_low"] is not None else "")
                lines.append(f"  {row['interval'] + ':':55s} {_num(row['low'])} to {_num(row['high'])}{mc}")
            lines.append(
                f"Bootstrap: {rob.n_boot:,} {rob.kind} replicates with model selection repeated, "
                f"{rob.n_failed} without an estimate"
                + (f"; BCa tail levels {rob.bca_levels[0]:.3g} and {rob.bca_levels[1]:.3g}"
                   if rob.bca_levels else "")
            )
        if self.boot is not None:
            lines.append(
                f"Bootstrap: {self.boot.n_boot} {self.boot.kind} replicates with model "
                f"selection repeated, {self.boot.n_failed} without an estimate"
            )
        lines.extend(f"Note: {n}" for n in self.notes)
        if threshold:
            return "\n".join([title, "=" * len(title), *lines])
        cells = [c for c in self.cells() if c["observed"] is None or c["observed"] > 0 or c["fitted"] >= 0.5]
        width = max(len(c["pattern"]) for c in cells)
        table = [f"{'cell':<{width}}  {'observed':>9}  {'fitted':>11}"]
        table += [
            f"{c['pattern']:<{width}}  "
            f"{'' if c['observed'] is None else c['observed']:>9}  {c['fitted']:>11.2f}"
            for c in cells
        ]
        parts = [title, "=" * len(title), *lines, "", *table]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"<MSEResult: {self.method} estimate {_num(self.estimate)} "
            f"({_ci_label(self.alpha)} {_num(self.ci_low)} to {_num(self.ci_high)})>"
        )
