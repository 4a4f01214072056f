"""Analyses behind notebook 60 that loop over settings: linkage thresholds, strata, linkage-aware
intervals from real lists. The notebook stays a thin sequence of calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import MSEError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .linkage import LinkageInterval

__all__ = ["by_stratum", "linked_interval", "threshold_sensitivity"]

#: Fewer people than this in a stratum: no estimate (too few overlaps to estimate anything).
MIN_OBSERVED = 50


def _row(result: Any) -> dict[str, Any]:
    return {"observed": result.observed, "estimate": round(result.estimate),
            "ci_low": round(result.ci_low), "ci_high": round(result.ci_high),
            "model": " + ".join(result.model) or "(independence)"}


def threshold_sensitivity(
    lists: Mapping[str, Sequence[Mapping[str, Any]]],
    thresholds: Sequence[float] = (0.5, 0.9, 0.99),
    *,
    seed: int = 1,
    alpha: float = 0.05,
    n_boot: int | None = 2000,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Estimate (default interval) after linking the lists at each match threshold.

    A lower threshold links more pairs (fewer missed links, more false ones), a higher one fewer.
    """
    import pandas as pd

    from .api import estimate
    from .sources import link_lists

    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    rows = []
    for cut in thresholds:
        linked = link_lists(lists, seed=seed, threshold=cut)
        res = estimate(linked.table(), alpha=alpha, n_boot=n_boot, rng=gen)
        rows.append({"threshold": cut, "persons": len(linked.persons), **_row(res)})
    return pd.DataFrame(rows).set_index("threshold")


def by_stratum(
    persons: pd.DataFrame,
    lists: Sequence[str],
    column: str,
    *,
    min_observed: int = MIN_OBSERVED,
    alpha: float = 0.05,
    n_boot: int | None = 2000,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Separate estimates per value of ``column`` (e.g. sex) where at least ``min_observed``
    people were seen; other strata get a reason instead of numbers.

    Stratifying by a variable that drives catchability removes that part of the heterogeneity
    (Chan, Silverman & Vincent 2021; Silverman 2020, Sect. 6).
    """
    import pandas as pd

    from .api import estimate
    from .table import CaptureTable

    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    rows = []
    for value, part in persons.groupby(column, sort=True):
        if len(part) < min_observed:
            rows.append({column: value, "observed": len(part),
                         "note": f"fewer than {min_observed} people seen: not estimated"})
            continue
        try:
            table = CaptureTable.from_patterns(list(lists), part[list(lists)].to_numpy(),
                                               np.ones(len(part), dtype=int))
            res = estimate(table, alpha=alpha, n_boot=n_boot, rng=gen)
        except MSEError as exc:
            rows.append({column: value, "observed": len(part), "note": str(exc)})
            continue
        rows.append({column: value, **_row(res), "note": ""})
    return pd.DataFrame(rows).set_index(column)


def linked_interval(
    lists: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    seed: int = 1,
    threshold: float = 0.9,
    floor: float = 0.05,
    alpha: float = 0.05,
    n_boot: int = 1000,
    rng: np.random.Generator | int | None = None,
) -> LinkageInterval:
    """Naive and linkage-aware intervals from victim lists linked by `register.linkage`.

    The lists are linked once keeping every scored pair with match probability >= ``floor``;
    the naive analysis keeps the pairs >= ``threshold``, the linkage-aware one resamples every
    pair from its probability in each replicate (`linkage.linkage_bootstrap`). Splink's
    probabilities are taken as calibrated; the linkage quality report of the notebook (against
    synthetic truth) is the check that they are.
    """
    from .linkage import linkage_bootstrap
    from .sources import link_lists

    linked = link_lists(lists, seed=seed, threshold=floor)
    names = list(lists)
    records = sorted(linked.linkage.clusters)
    index = {r: k for k, r in enumerate(records)}
    sources = np.array([names.index(r.split(":", 1)[0]) for r in records])
    pairs = [(index[a], index[b], p) for a, b, p in linked.linkage.pairs]
    return linkage_bootstrap(sources, names, pairs, threshold=threshold, alpha=alpha,
                             n_boot=n_boot, rng=rng)
