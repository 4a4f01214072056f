"""The computations behind `analysis.prevalence`: analysis units, clustered direct estimates per
area, and their combination over imputations (Rubin's rules) or over worst/best cases (bounds).
See the docstring of `analysis.prevalence` for the methods and references."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis._validation import check_alpha
from analysis.rubin import pool

__all__ = ["Units", "area_table", "cluster_counts", "cluster_labels", "estimate_icc",
           "make_units", "overall", "pooled_table", "wilson_interval"]


def wilson_interval(
    p: np.ndarray | float, n: np.ndarray | float, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportion ``p`` on (possibly fractional, effective) size ``n``."""
    z = stats.norm.isf(check_alpha(alpha) / 2)
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def cluster_labels(rows: pd.DataFrame, cluster: str | None) -> np.ndarray:
    """Cluster label per row; a missing code (or ``cluster=None``) makes the row its own cluster."""
    if cluster is None:
        return np.array([f"__row_{i}" for i in range(len(rows))], dtype=object)
    labels = rows[cluster].astype("string").to_numpy(dtype=object, na_value=None)
    missing = np.flatnonzero(pd.isna(labels))
    labels[missing] = [f"__missing_{i}" for i in range(len(missing))]
    return labels


def cluster_counts(rows: pd.DataFrame, by: str, outcome: str, cluster: str | None) -> pd.DataFrame:
    """Per (area, cluster) totals ``m`` and cases ``y`` (columns unit, cluster, m, y)."""
    frame = pd.DataFrame(
        {"unit": rows[by].astype(str).to_numpy(), "cluster": cluster_labels(rows, cluster),
         "y": rows[outcome].to_numpy()}
    )
    g = frame.groupby(["unit", "cluster"], sort=True)["y"]
    return pd.DataFrame({"m": g.size(), "y": g.sum()}).reset_index()


def estimate_icc(clusters: pd.DataFrame) -> float:
    """ANOVA intra-cluster correlation of a 0/1 outcome, clusters nested within units.

    ``clusters`` has columns unit, cluster, m, y (see `cluster_counts`). Returns a value in
    [0, 1); 0 when there is no within-unit replication of clusters to estimate it from.
    """
    m = clusters["m"].to_numpy(float)
    y = clusters["y"].to_numpy(float)
    units = clusters["unit"].to_numpy()
    n_u = clusters.groupby("unit")["m"].transform("sum").to_numpy(float)
    p_u = clusters.groupby("unit")["y"].transform("sum").to_numpy(float) / n_u
    n, k, n_units = m.sum(), len(m), len(np.unique(units))
    df_b, df_w = k - n_units, n - k
    if df_b <= 0 or df_w <= 0:
        return 0.0
    msb = np.sum(m * (y / m - p_u) ** 2) / df_b
    msw = np.sum(y - y**2 / m) / df_w
    m0 = (n - np.sum(m**2 / n_u)) / df_b
    denom = msb + (m0 - 1) * msw
    if denom <= 0:
        return 0.0
    return float(np.clip((msb - msw) / denom, 0.0, 0.999))


def area_table(clusters: pd.DataFrame, icc: float, method: str, alpha: float) -> pd.DataFrame:
    """Direct estimate and clustered interval per area (see `analysis.prevalence`)."""
    z = stats.norm.isf(alpha / 2)
    g = clusters.groupby("unit")
    n = g["m"].sum().astype(float)
    cases = g["y"].sum().astype(float)
    k = g.size().astype(float)
    p = cases / n
    m_tilde = (clusters["m"] ** 2).groupby(clusters["unit"]).sum() / n
    deff = 1 + (m_tilde - 1) * icc
    if method == "wilson":
        deff = pd.Series(1.0, index=n.index)
    n_eff = n / deff
    if method == "design":
        resid = clusters["y"] - clusters["unit"].map(p).to_numpy() * clusters["m"]
        ss = (resid**2).groupby(clusters["unit"]).sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            v = k / (k - 1) * ss / n**2
            lin = (p * (1 - p) / v).clip(upper=n)
            t = stats.t.isf(alpha / 2, np.maximum(k - 1, 1))
            lin = lin * (z / t) ** 2
        usable = (k >= 2) & (p > 0) & (p < 1) & (v > 0)
        n_eff = n_eff.where(~usable, lin)
        deff = n / n_eff
    lower, upper = wilson_interval(p.to_numpy(), n_eff.to_numpy(), alpha)
    return pd.DataFrame({"n": n.astype(int), "cases": cases, "estimate": p, "lower": lower,
                         "upper": upper, "deff": deff, "n_eff": n_eff,
                         "n_clusters": k.astype(int)})


def overall(table: pd.DataFrame) -> tuple[float, float]:
    """All areas together (areas as strata): estimate and variance."""
    n_tot = table["n"].sum()
    p_all = table["cases"].sum() / n_tot
    var = np.sum((table["n"] / n_tot) ** 2 * table["estimate"] * (1 - table["estimate"])
                 / table["n_eff"])
    return float(p_all), float(var)


def overall_interval(p: float, var: float, n_eff_fallback: float, alpha: float
                     ) -> tuple[float, float]:
    n_eff = p * (1 - p) / var if var > 0 else n_eff_fallback
    lo, hi = wilson_interval(p, n_eff, alpha)
    return float(lo), float(hi)


@dataclass(frozen=True)
class Units:
    """Analysis units (journeys, or persons) of the returned rows that have an area code."""

    area: np.ndarray  # area label per unit
    cluster: np.ndarray  # cluster label per unit
    index: np.ndarray  # unit of each returned row with an area (-1: row not used)
    persons: np.ndarray | None  # person key per unit (None when the export has none)

    def outcome(self, y_rows: np.ndarray) -> np.ndarray:
        """Unit outcomes from row outcomes (NaN = not recorded): a person is 1 if any returned
        journey is 1, 0 if all are 0, else not recorded. ``y_rows`` may be (m, n_rows)."""
        y = np.atleast_2d(y_rows)
        used = self.index >= 0
        idx = self.index[used]
        size = len(self.area)
        if np.array_equal(idx, np.arange(size)):  # one row per unit (journeys)
            out = y[:, used].astype(float)
            return out if np.ndim(y_rows) == 2 else out[0]
        out = np.empty((y.shape[0], size))
        total = np.bincount(idx, minlength=size)
        for i, row in enumerate(y[:, used]):
            one = np.bincount(idx, weights=(row == 1), minlength=size) > 0
            zero = np.bincount(idx, weights=(row == 0), minlength=size) == total
            out[i] = np.where(one, 1.0, np.where(zero, 0.0, np.nan))
        return out if np.ndim(y_rows) == 2 else out[0]


def make_units(rows: pd.DataFrame, by: str, cluster: str | None, unit: str) -> Units:
    """Units of ``rows`` (returned journeys): one per row, or one per ``person_key`` placed in
    the area (and cluster) of the person's latest returned journey."""
    has_area = rows[by].notna().to_numpy()
    clusters = cluster_labels(rows, cluster)
    area = rows[by].astype("string").to_numpy(dtype=object, na_value=None)
    persons = (rows["person_key"].astype("string").to_numpy(dtype=object, na_value=None)
               if "person_key" in rows.columns else None)
    index = np.full(len(rows), -1)
    if unit == "journey":
        index[has_area] = np.arange(int(has_area.sum()))
        return Units(area[has_area], clusters[has_area], index,
                     None if persons is None else persons[has_area])
    order = (rows["departure_date"].astype("string").fillna("").to_numpy(dtype=object)
             if "departure_date" in rows.columns else np.zeros(len(rows), dtype=object))
    frame = pd.DataFrame({"person": persons, "order": order, "pos": np.arange(len(rows))})
    frame = frame[has_area]
    last = frame.sort_values(["person", "order"]).groupby("person", sort=True).tail(1)
    codes = pd.Index(last["person"]).get_indexer(frame["person"])
    index[frame["pos"].to_numpy()] = codes
    pos = last["pos"].to_numpy()
    return Units(area[pos], clusters[pos], index, last["person"].to_numpy(dtype=object))


def unit_clusters(units: Units, known: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """(area, cluster) groups of the known units (columns unit, cluster, m) and each known
    unit's group number."""
    frame = pd.DataFrame({"unit": units.area[known].astype(str),
                          "cluster": units.cluster[known].astype(str)})
    grouped = frame.groupby(["unit", "cluster"], sort=True)
    groups = grouped.ngroup().to_numpy()
    table = grouped.size().rename("m").reset_index()
    return table, groups


def pooled_table(tables: list[pd.DataFrame], alpha: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Combine per-imputation area tables with Rubin's rules; the interval is Wilson's on the
    effective size ``p(1-p)/T`` shrunk by ``(z / t_df)^2`` (Barnard-Rubin degrees of freedom)."""
    est = np.stack([t["estimate"].to_numpy(float) for t in tables])
    n_eff = np.stack([t["n_eff"].to_numpy(float) for t in tables])
    res = pool(est, est * (1 - est) / n_eff)
    p = res.estimate
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = np.where((res.total > 0) & (p > 0) & (p < 1), p * (1 - p) / res.total,
                       n_eff.mean(axis=0))
    z = stats.norm.isf(alpha / 2)
    finite = np.isfinite(res.df)
    t = stats.t.isf(alpha / 2, np.where(finite, np.maximum(res.df, 1.0), 1.0))
    eff = np.where(finite, eff * (z / t) ** 2, eff)
    lower, upper = wilson_interval(p, eff, alpha)
    first = tables[0]
    out = pd.DataFrame({
        "n": first["n"], "cases": np.stack([t["cases"] for t in tables]).mean(axis=0),
        "estimate": p, "lower": lower, "upper": upper,
        "deff": np.stack([t["deff"] for t in tables]).mean(axis=0),
        "n_eff": eff, "n_clusters": first["n_clusters"], "fmi": res.fmi,
    }, index=first.index)
    return out, est
