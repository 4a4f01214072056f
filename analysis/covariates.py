"""The covariates the analysis models use, built from the researcher export's columns.

One catalogue (`COVARIATES`) serves the risk model (`analysis.risk`) and the imputation models
(`analysis.imputation`), so a covariate is derived the same way everywhere:

============================  ==========================================================  =====
name                          built from                                                  kind
============================  ==========================================================  =====
channel                       channel (reference licensed_agency)                          cat
unlicensed_agency             agency_status in {expired, suspended, revoked, unlicensed}   0/1
                              vs {licensed, none}; 'unknown' is missing
n_brokers                     n_brokers (odds ratio per broker)                            num
destination_country           destination_country (reference TH)                           cat
sector                        sector (reference: the most common sector)                   cat
sex                           sex (reference M)                                            cat
age_band                      age_band (reference 25-34)                                   cat
age10                         age_at_departure / 10 (odds ratio per 10 years)              num
minor                         age_at_departure < 18 (else age_band '<18')                  0/1
has_debt                      debt_usd > 0                                                 0/1
has_passport, has_visa,       the document flags                                           0/1
has_work_permit,
has_border_pass, contract_seen
departure_year                departure_year (odds ratio per year)                         num
============================  ==========================================================  =====
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BINARY", "COVARIATES", "CATEGORICAL", "covariate_values", "reference_levels"]

_DOCUMENTS = ("has_passport", "has_visa", "has_work_permit", "has_border_pass", "contract_seen")
CATEGORICAL, BINARY, NUMERIC = "cat", "bin", "num"
#: covariate name -> (kind, source column)
COVARIATES: dict[str, tuple[str, str]] = {
    "channel": (CATEGORICAL, "channel"),
    "unlicensed_agency": (BINARY, "agency_status"),
    "n_brokers": (NUMERIC, "n_brokers"),
    "destination_country": (CATEGORICAL, "destination_country"),
    "sector": (CATEGORICAL, "sector"),
    "sex": (CATEGORICAL, "sex"),
    "age_band": (CATEGORICAL, "age_band"),
    "age10": (NUMERIC, "age_at_departure"),
    "minor": (BINARY, "age_at_departure"),
    "has_debt": (BINARY, "debt_usd"),
    **{name: (BINARY, name) for name in _DOCUMENTS},
    "departure_year": (NUMERIC, "departure_year"),
}
_REFERENCES = {"channel": "licensed_agency", "destination_country": "TH", "sex": "M",
               "age_band": "25-34"}
_UNLICENSED = ("expired", "suspended", "revoked", "unlicensed")


def reference_levels() -> dict[str, str]:
    """Default reference level of each categorical covariate (others: the most common level)."""
    return dict(_REFERENCES)


def covariate_values(rows: pd.DataFrame, name: str) -> pd.Series:
    """The covariate's values: categorical as ``string`` with NA, others as float with NaN."""
    kind, col = COVARIATES[name]
    s = rows[col]
    if kind == CATEGORICAL:
        return s.astype("string")
    if name == "unlicensed_agency":
        status = s.astype("string")
        out = pd.Series(np.nan, index=rows.index)
        out[status.isin(["licensed", "none"]).fillna(False).to_numpy()] = 0.0
        out[status.isin(list(_UNLICENSED)).fillna(False).to_numpy()] = 1.0
        return out
    x = pd.to_numeric(s, errors="coerce").astype(float)
    if name == "age10":
        return x / 10
    if name == "minor":  # the standard export keeps the age band only
        band = rows["age_band"].astype("string") if "age_band" in rows.columns else None
        from_band = (band == "<18").astype(float).where(band.notna()) if band is not None \
            else pd.Series(np.nan, index=rows.index)
        return (x < 18).astype(float).where(x.notna(), from_band)
    if name == "has_debt":
        return (x > 0).astype(float).where(x.notna())
    return x
