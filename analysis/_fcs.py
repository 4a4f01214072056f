"""Chained equations for missing covariates, around the indicator block of `analysis.imputation`.

Fully conditional specification (van Buuren 2018, *Flexible Imputation of Missing Data*, ch. 4;
White, Royston & Wood 2011, *Stat Med* 30:377-399): each incomplete covariate in turn is imputed
by predictive mean matching on a linear model (one column per level for a categorical: the
multivariate PMM of Little 1988) of every other covariate, the recorded outcomes (with an
indicator where the outcome is not recorded) and the province, refitted on a commune bootstrap
of the rows where it is recorded. Each imputation is its own chain, started from random recorded
values and run for ``iterations`` cycles; the missing indicators, hence the outcomes, are then
drawn once from the completed covariates. Conditioning the covariates on the recorded outcome
and its missingness, rather than on imputed outcomes, spares an outcome draw per cycle; the
outcome draw that follows conditions on every completed covariate, so the joint imputation
keeps the outcome-covariate relations the risk model estimates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from analysis import _pmm
from analysis.covariates import CATEGORICAL, COVARIATES

__all__ = ["chained"]


def _target(values: np.ndarray, name: str) -> np.ndarray:
    if COVARIATES[name][0] == CATEGORICAL:
        levels = pd.Series(values, dtype="string")
        return pd.get_dummies(levels, dtype=float).to_numpy()
    return np.asarray(values, dtype=float)


def chained(step: tuple, values: dict[str, np.ndarray], targets: Sequence[str],
            province: np.ndarray, complete: np.ndarray, recipients: np.ndarray,
            areas: Sequence[np.ndarray], derive: Callable, k: int, min_donors: int,
            iterations: int, rng: np.random.Generator, outcome_step: Callable
            ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One chain: the outcomes (n, n_outcomes) and the completed ``targets`` after the last cycle
    (``outcome_step`` imputes the indicators given the completed covariates)."""
    y_rec = step[-1]
    current = {c: v.copy() for c, v in values.items()}
    missing = {c: pd.isna(pd.Series(values[c])).to_numpy() for c in targets}
    for c in targets:
        obs, miss = np.flatnonzero(~missing[c]), np.flatnonzero(missing[c])
        current[c][miss] = values[c][rng.choice(obs, len(miss))]
    recorded = np.column_stack([np.nan_to_num(y_rec), np.isnan(y_rec)]).astype(float)
    recorded = recorded[:, (recorded != recorded[0]).any(axis=0)]
    blocks = {c: _pmm.covariate_block(c, current[c], missing_indicator=c not in targets)
              for c in current}
    blocks["province"] = province
    blocks["outcomes"] = recorded
    for _ in range(iterations):
        for c in targets:
            x = _pmm.design(blocks, skip=c)
            obs = ~missing[c]
            boot = _pmm.commune_bootstrap(areas[0], obs, rng)
            target = _target(current[c], c)
            pred = x @ _pmm.fit_ols(x[boot], target[boot])
            opos, mpos = np.flatnonzero(obs), np.flatnonzero(missing[c])
            pick = _pmm.pmm(pred[opos], pred[mpos], k, rng)
            current[c][mpos] = values[c][opos[pick]]
            blocks[c] = _pmm.covariate_block(c, current[c], missing_indicator=False)
    x = _pmm.design({n: b for n, b in blocks.items() if n != "outcomes"})
    y = outcome_step(*step, x, complete, recipients, areas, derive, k, min_donors, rng)
    return y, {c: current[c] for c in targets}
