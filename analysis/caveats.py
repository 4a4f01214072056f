"""Sentences the report states next to a number (findings and caveats), written from the
results themselves.

`prevalence_finding` gives a prevalence overall with its interval, unit and population.

`mse_headline` and `mse_linkage_caveat` put the hidden-victims estimate beside the interval that
carries the linkage uncertainty, and say plainly when the estimate misses what the synthetic
generator planted. Issue 14, defect 1: on the demo register the headline 6,253 (bootstrap
5,607-6,717) missed the planted 4,923 because record linkage found 81% of the true links; a
missed link makes one person look like two people each seen by fewer lists, which inflates the
estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["mse_headline", "mse_linkage_caveat", "planted_victims", "prevalence_finding"]

#: Below this recall, missed links are frequent enough to bias the estimate visibly.
LOW_RECALL = 0.95


def _interval(low: float, high: float) -> str:
    return f"{low:,.0f} to {high:,.0f}"


def _covers(low: float, high: float, value: float) -> bool:
    return low <= value <= high


def mse_headline(result: Any, linkage: Any | None = None, profile: Any | None = None,
                 truth: int | None = None) -> pd.DataFrame:
    """The estimates of the total number of victims side by side: the headline (bootstrap with
    the model chosen again in every replicate), the profile interval (conditional on the model),
    the linkage-aware interval and, for synthetic data, the planted number. Columns
    ``estimate``, ``ci_low``, ``ci_high``, ``observed`` (people on at least one list)."""
    rows = [{"estimate": "headline (bootstrap, model chosen in each replicate)",
             "value": result.estimate, "ci_low": result.ci_low, "ci_high": result.ci_high}]
    if profile is not None:
        rows.append({"estimate": "profile likelihood (given the chosen model)",
                     "value": profile.estimate, "ci_low": profile.ci_low,
                     "ci_high": profile.ci_high})
    if linkage is not None:
        rows.append({"estimate": "linkage-aware (links resampled from their probabilities)",
                     "value": linkage.estimate, "ci_low": linkage.ci_low,
                     "ci_high": linkage.ci_high})
    if truth is not None:
        rows.append({"estimate": "planted by the synthetic generator (the truth)",
                     "value": float(truth), "ci_low": float("nan"), "ci_high": float("nan")})
    frame = pd.DataFrame(rows).set_index("estimate")
    frame["observed"] = int(result.observed)
    return frame


def mse_linkage_caveat(result: Any, linkage: Any | None = None,
                       quality: Mapping[str, Any] | None = None,
                       truth: int | None = None) -> str:
    """The caveat on record linkage for the report, with the numbers of this run."""
    level = f"{100 * (1 - result.alpha):g}%"
    text = [f"The estimate of {result.estimate:,.0f} victims ({level} interval "
            f"{_interval(result.ci_low, result.ci_high)}) treats every link between the lists as "
            "certain. A missed link makes one person look like two people each seen by fewer "
            "lists, which pushes the estimate up; a false link does the reverse."]
    if linkage is not None:
        text.append(f"With the links resampled from their match probabilities the estimate is "
                    f"{linkage.estimate:,.0f} ({level} interval "
                    f"{_interval(linkage.ci_low, linkage.ci_high)}); quote this interval beside "
                    "the headline.")
    recall = None if quality is None else quality.get("recall")
    if recall is not None:
        precision = quality.get("precision") if quality else None
        text.append(f"Against the synthetic truth, the linkage found {recall:.0%} of the true "
                    "links" + (f" (precision {precision:.0%})" if precision is not None else "")
                    + ("; at this recall the estimate is biased upward." if recall < LOW_RECALL
                       else "."))
    else:
        text.append("For real lists the linkage's recall is unknown: check a sample of "
                    "candidate pairs by hand before quoting a number.")
    if truth is not None:
        head = _covers(result.ci_low, result.ci_high, truth)
        msg = (f"The generator planted {truth:,} victims: the headline interval "
               f"{'covers' if head else 'does NOT cover'} it")
        if linkage is not None:
            aware = _covers(linkage.ci_low, linkage.ci_high, truth)
            msg += f", the linkage-aware interval {'covers' if aware else 'does not cover'} it"
        text.append(msg + ".")
        lows = [result.ci_low] + ([linkage.ci_low] if linkage is not None else [])
        if all(low > truth for low in lows):
            text.append("Every interval lies above it: with links missed, read the estimates as "
                        "upper bounds.")
        if not head:
            text.append("Do not quote the headline estimate alone: the linkage, not the model, "
                        "limits its accuracy here.")
    return " ".join(text)


def prevalence_finding(result: Any) -> str:
    """``'Forced labour: 15.3% of returned journeys (95% CI 14.8-15.9%) ...'`` from a
    `analysis.prevalence.PrevalenceResult` (all its areas together)."""
    from .labels import percent, percent_interval
    from .results import ci_label

    what = result.outcome.replace("_", " ").capitalize()
    scope = result.scope
    unit = scope.unit_label if scope is not None else "returned migrants"
    if result.overall_bounds is not None:
        low, high = result.overall_bounds
        share = f"between {percent(low)} and {percent(high)} of {unit}"
    else:
        est, low, high = result.overall
        share = (f"{percent(est)} of {unit} ({ci_label(result.alpha)} "
                 f"{percent_interval(None, low, high)})")
    who = ""
    if scope is not None:
        persons = f" of {scope.returned_persons:,} persons" if scope.returned_persons else ""
        who = (f"; {scope.returned_journeys:,} returned journeys{persons}; "
               f"{scope.abroad_journeys:,} journeys without a recorded return are not counted")
    return f"{what}: {share}{who}."


def planted_victims(truth: Mapping[str, Any] | None, province: str | None = None,
                    period: object = None) -> int | None:
    """The number of victims the synthetic generator planted (``truth.json``), when the run
    covers what it counts: the whole country and every year. ``None`` otherwise, and for real
    data (no truth)."""
    if not truth or province or period:
        return None
    total = truth.get("mse", {}).get("N")
    return None if total is None else int(total)
