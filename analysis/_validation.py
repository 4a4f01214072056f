"""Input checks shared by the analysis functions (the named errors live in `analysis.errors`;
they stay importable from here).

Every public function validates its inputs here, at the boundary, so a researcher sees one clear
message naming the argument (or column) at fault instead of a traceback from deep inside pandas,
statsmodels or esda.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.errors import (
    AnalysisError,
    EmptyDataError,
    IdentifyingDataError,
    InvalidParameterError,
    MissingColumnsError,
    ModelFitError,
)
from register.model import MODEL

__all__ = [
    "AnalysisError",
    "EmptyDataError",
    "IdentifyingDataError",
    "InvalidParameterError",
    "MissingColumnsError",
    "ModelFitError",
    "OUTCOMES",
    "as_rng",
    "check_alpha",
    "check_choice",
    "check_export",
    "check_positive_int",
    "returned_with_outcome",
]

#: Outcomes defined in the researcher export (Int64 0/1, NA when not returned or not asked).
OUTCOMES = ("forced_labour", "trafficking")

#: Fields that never leave the register (the data model's ``sensitive`` fields: names, ID
#: numbers, phones, free text, exact birth date, village); the analysis never reads them.
IDENTIFYING_COLUMNS = frozenset(MODEL.sensitive)


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` as a float if it lies strictly between 0 and 0.5."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"alpha must be a number, got {alpha!r}") from None
    if not 0.0 < value < 0.5:
        raise InvalidParameterError(
            f"alpha must lie strictly between 0 and 0.5 (e.g. 0.05 for 95% intervals), got {alpha!r}"
        )
    return value


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; otherwise name the argument and the options."""
    options = tuple(allowed)
    if value not in options:
        raise InvalidParameterError(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return str(value)


def check_positive_int(name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn ``rng`` (a Generator, a seed or None) into a ``numpy.random.Generator``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise InvalidParameterError(
        f"rng must be a numpy.random.Generator, an integer seed or None, got {type(rng).__name__}"
    )


def check_export(df: object, columns: Iterable[str], what: str) -> pd.DataFrame:
    """Check that ``df`` is a researcher-export DataFrame holding ``columns``.

    Raises ``TypeError`` for a non-DataFrame, `IdentifyingDataError` when identifying columns are
    present and `MissingColumnsError` listing every missing column.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} takes a pandas DataFrame (the researcher export), got {type(df)}")
    leaked = sorted(IDENTIFYING_COLUMNS.intersection(map(str, df.columns)))
    if leaked:
        raise IdentifyingDataError(
            f"{what} reads the researcher export only; drop the identifying column(s) "
            f"{', '.join(leaked)} (use the register's researcher export)"
        )
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        raise MissingColumnsError(missing, what)
    return df


def returned_with_outcome(df: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, int, int]:
    """Rows of returned migrants whose ``outcome`` is recorded.

    Returns ``(rows, n_returned, n_outcome_missing)``; the outcome column of ``rows`` is int 0/1.
    Rows with ``returned`` missing count as not returned. Outcome values other than 0/1 raise.
    """
    check_choice("outcome", outcome, OUTCOMES)
    returned = pd.to_numeric(df["returned"], errors="coerce").fillna(0).astype(int) == 1
    sub = df.loc[returned]
    y = pd.to_numeric(sub[outcome], errors="coerce")
    known = y.notna()
    bad = ~y[known].isin([0, 1])
    if bad.any():
        raise InvalidParameterError(
            f"column {outcome!r} must hold 0/1 or NA; found {sorted(y[known][bad].unique())[:5]}"
        )
    rows = sub.loc[known].copy()
    rows[outcome] = y[known].astype(int).to_numpy()
    return rows, int(returned.sum()), int((~known).sum())
