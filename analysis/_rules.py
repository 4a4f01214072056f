"""The project's outcome rule, as the imputation uses it: derive ``forced_labour`` and
``trafficking`` from (completed) indicator columns, and check that the export's recorded
outcomes follow it. The rule itself lives in ``register.definitions``; nothing here restates it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis._validation import OUTCOMES, AnalysisError
from register.vocabulary import ILO_INDICATORS

__all__ = ["ILO_INDICATORS", "RuleMismatchError", "check_rule", "default_derive", "rulebook_derive"]


class RuleMismatchError(AnalysisError, ValueError):
    """The export's outcome columns do not follow the rule that derives them from indicators."""


def check_rule(rows: pd.DataFrame, derive: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    derived = derive(rows)
    for name in OUTCOMES:
        rec = pd.to_numeric(rows[name], errors="coerce")
        got = pd.to_numeric(derived[name], errors="coerce")
        bad = (rec.isna() != got.isna()) | (rec.notna() & got.notna() & (rec != got))
        if bad.any():
            raise RuleMismatchError(
                f"{int(bad.sum())} returned journeys have a {name} value that the project's rule "
                "does not derive from their indicators; re-export the register with the current "
                "rules (analysis.data.from_register) before imputing")


def _minor(rows: pd.DataFrame) -> np.ndarray:
    """1 under 18 at departure, 0 from 18, -1 unknown: from the exact age where the export has
    it, else from the age band (the standard export keeps only the band)."""
    age = pd.to_numeric(rows["age_at_departure"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan) if "age_at_departure" in rows.columns else \
        np.full(len(rows), np.nan)
    band = rows["age_band"].astype("string") if "age_band" in rows.columns else \
        pd.Series(pd.NA, index=rows.index, dtype="string")
    child = (band == "<18").fillna(False).to_numpy(dtype=bool)
    out = np.where(~np.isnan(age), age < 18, np.where(band.notna().to_numpy(), child, -1))
    return out.astype(np.int8)


def rulebook_derive(definitions: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The outcomes of a rule book written with three-valued column operations
    (``definitions.Columns``, ``forced_labour(ind, minor, kind, ops)``, ``trafficking(...)``,
    as ``register.definitions`` has them), as a frame-to-frame function."""
    def derive(rows: pd.DataFrame) -> pd.DataFrame:
        ops = definitions.Columns()  # type: ignore[attr-defined]
        ind = {n: pd.to_numeric(rows[n], errors="coerce").fillna(-1).to_numpy().astype(np.int8)
               for n in ILO_INDICATORS}
        kind = rows["exploitation_type"].astype("string").to_numpy(dtype=object, na_value=None)
        minor = _minor(rows)
        returned = pd.to_numeric(rows["returned"], errors="coerce").fillna(0).to_numpy() == 1
        out = pd.DataFrame(index=rows.index)
        for name in OUTCOMES:
            values = getattr(definitions, name)(ind, minor, kind, ops)
            out[name] = pd.array(np.where((values < 0) | ~returned, pd.NA, values),
                                 dtype="Int64")
        return out

    return derive


def default_derive() -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The project's rule: the column rule book of ``register.definitions``."""
    from register import definitions

    return rulebook_derive(definitions)
