"""Completeness of the register: what share of each field is missing, overall or by area."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from register.vocabulary import ILO_INDICATORS

JOURNEY_FIELDS = ("sex", "birth_year", "sector", "n_brokers", "has_passport", "has_visa",
                  "has_work_permit", "has_border_pass", "contract_seen", "fee_usd", "debt_usd")
RETURN_FIELDS = ("return_mode", *ILO_INDICATORS, "exploitation_type", "forced_labour")


def completeness(df: pd.DataFrame, by: str | None = None,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Share of records missing each field (return fields among returned journeys only).

    Columns ``missing_<field>`` (proportions), ``journeys`` and ``returns`` (counts).
    """
    journey_cols = [c for c in (columns or JOURNEY_FIELDS) if c in JOURNEY_FIELDS]
    return_cols = [c for c in (columns or RETURN_FIELDS) if c in RETURN_FIELDS]
    returned = df[df["returned"] == 1]
    if by is None:
        row = {f"missing_{c}": df[c].isna().mean() for c in journey_cols}
        row |= {f"missing_{c}": returned[c].isna().mean() for c in return_cols}
        row |= {"journeys": len(df), "returns": len(returned)}
        return pd.DataFrame([row], index=pd.Index(["all"], name="scope"))
    parts = [df.groupby(by)[list(journey_cols)].agg(lambda s: s.isna().mean())
             .add_prefix("missing_") if journey_cols else pd.DataFrame(),
             returned.groupby(by)[list(return_cols)].agg(lambda s: s.isna().mean())
             .add_prefix("missing_") if return_cols else pd.DataFrame()]
    out = pd.concat([p for p in parts if not p.empty], axis=1)
    out["journeys"] = df.groupby(by).size()
    out["returns"] = returned.groupby(by).size()
    out["returns"] = out["returns"].fillna(0).astype(int)
    return out


def counts_by_year(df: pd.DataFrame) -> pd.DataFrame:
    """Journeys by departure year, with returns and the share returned so far."""
    out = df.groupby("departure_year").agg(journeys=("journey_key", "size"),
                                            returns=("returned", "sum"))
    out["share_returned"] = out["returns"] / out["journeys"]
    return out


def indicator_completeness(df: pd.DataFrame, outcome: str = "forced_labour",
                           by: str | None = None) -> pd.DataFrame:
    """How the ILO indicators were recorded on returned journeys, and what that does to the outcome.

    Rows: ``complete`` (every indicator recorded), ``partial`` (some), ``not_asked`` (none); columns
    ``returns``, ``outcome_recorded`` and ``outcome_share`` (share with the outcome among those
    where it is recorded). A partly recorded return can be classified "yes" from one indicator but
    "no" only when all are recorded, so ``outcome_share`` of ``partial`` rows runs high: dropping
    the unrecorded ones biases prevalence upward (see `analysis.imputation`). With ``by``, one
    block of rows per area.
    """
    returned = df[df["returned"] == 1]
    recorded = returned[list(ILO_INDICATORS)].notna()
    status = pd.Series("partial", index=returned.index)
    status[recorded.all(axis=1)] = "complete"
    status[~recorded.any(axis=1)] = "not_asked"
    y = pd.to_numeric(returned[outcome], errors="coerce")
    frame = pd.DataFrame({"status": status, "y": y})
    if by is not None:
        frame[by] = returned[by]
    g = frame.groupby(["status"] if by is None else [by, "status"])["y"]
    return pd.DataFrame({"returns": g.size(), "outcome_recorded": g.count(),
                         "outcome_share": g.mean()})
