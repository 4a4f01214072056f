"""The result of a multiple systems estimate: `MSEResult`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .intervals import BootstrapResult
from .models import ModelFit, term_names
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
        Bootstrap replicates when a bootstrap interval was computed.
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
    notes: tuple[str, ...] = ()

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
        ci_name = {
            "profile": "profile likelihood",
            "wald": "Wald, log scale",
            "percentile": "bootstrap percentile",
            "bca": "bootstrap BCa",
            "none": "not computed",
        }[self.ci_method]
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
