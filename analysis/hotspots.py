"""Where exploitation clusters on the map: smoothed rates, Moran's I, LISA and Getis-Ord Gi*.

Rates are cases / returned migrants with the outcome recorded, per area (province, district or
commune), joined to boundaries on the NCDD ``code``. Areas without any such migrant carry no
rate and are left out of the statistics (they stay in the map as "no data").

* Smoothing: global empirical Bayes (Marshall 1991; ``esda.smoothing.Empirical_Bayes``) and
  spatial EB (neighbourhood prior mean; ``Spatial_Empirical_Bayes``).
* Global Moran's I of the Assunção–Reis (1999) EB-standardised rates (``esda.assuncao_rate``:
  negative variance estimates are replaced by ``b / x_i`` as in the paper, i.e. PySAL's
  non-GeoDa variant), row-standardised queen contiguity. Inference by permutation with the
  caller's ``rng``; ``p_value`` is one-sided for positive autocorrelation (clustering).
* Local Moran (``esda.Moran_Local_Rate``, same EB standardisation) and Getis-Ord Gi* on the global
  EB-smoothed rate (``esda.G_Local(star=True)``, binary weights with self-weight 1, then
  row-standardised), each by conditional permutation with a two-sided pseudo p-value
  ``min(1, 2 min(P(sim >= obs), P(sim <= obs)))`` computed from the simulations, then
  Benjamini–Hochberg adjusted across areas (statsmodels ``multipletests(method='fdr_bh')``).
  An area is labelled HH/LL/HL/LH (LISA) or hot/cold (Gi*) only when its BH q-value is below
  ``alpha``.
* Islands (areas with no queen neighbour, e.g. an offshore district): attached to their nearest
  neighbour by centroid distance (``islands='nearest'``, default; the link is made symmetric),
  dropped with a warning (``'drop'``), or refused (``'error'``).
* Level: districts (``by='district_code'``) by default. With few areas the local tests have
  little power: on three synthetic national registers (seeds 4242, 21, 7; scale 0.03) with a
  planted cluster of 4 high-risk provinces, the province-level tests flagged 1 of the 4 each
  time, while the district level flagged 22, 26 and 19 of the cluster's 41 districts and none
  outside it (bench/sim_hotspots.py). With fewer than `FEW_AREAS` areas the summary says so:
  finding no hotspot there is no evidence that there is none.
* Rates use the returns whose outcome is recorded (complete cases): a relative comparison
  between areas; `analysis.prevalence` gives levels with missing indicators imputed.

References
----------
Anselin L (1995) Local indicators of spatial association — LISA. *Geogr Anal* 27:93–115.
Assunção RM, Reis EA (1999) A new proposal to adjust Moran's I for population density.
*Stat Med* 18:2147–2162.
Ord JK, Getis A (1995) Local spatial autocorrelation statistics. *Geogr Anal* 27:286–306.
Benjamini Y, Hochberg Y (1995) Controlling the false discovery rate. *JRSS B* 57:289–300.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal import weights
from statsmodels.stats.multitest import multipletests

from analysis._validation import (
    OUTCOMES,
    EmptyDataError,
    InvalidParameterError,
    as_rng,
    check_alpha,
    check_choice,
    check_export,
    check_positive_int,
    returned_with_outcome,
)
from analysis.prevalence import area_label
from analysis.results import Result, format_table, text_block
from analysis.scope import Scope, describe_scope
from analysis.suppress import publishable_proportions

__all__ = ["FEW_AREAS", "HotspotResult", "MoranResult", "contiguity_weights", "find_hotspots"]

_QUADS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}  # esda's default (non-GeoDa) quadrant numbers
#: below this many areas the summary warns that the local tests have little power
FEW_AREAS = 50


@contextlib.contextmanager
def _global_numpy_state() -> Iterator[None]:
    """esda seeds numpy's *global* generator; restore the caller's state afterwards."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def contiguity_weights(
    areas: gpd.GeoDataFrame, islands: str = "nearest"
) -> tuple[weights.W, list[str], list[str]]:
    """Queen contiguity on ``areas`` (indexed by code) with an explicit policy for islands.

    Returns ``(w, kept_codes, island_codes)``: ``w`` is binary over ``kept_codes``; islands were
    linked to their nearest neighbour (``'nearest'``) or removed (``'drop'``).
    """
    check_choice("islands", islands, ("nearest", "drop", "error"))
    if len(areas) < 3:
        raise EmptyDataError(f"need at least 3 areas with data for spatial statistics, got "
                             f"{len(areas)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands; handled below
        w = weights.Queen.from_dataframe(areas, use_index=True, silence_warnings=True)
    isl = [str(c) for c in w.islands]
    if not isl:
        return w, list(map(str, w.id_order)), []
    if islands == "error":
        raise InvalidParameterError(f"areas without neighbours: {', '.join(isl)} "
                                    "(use islands='nearest' or 'drop')")
    if islands == "drop":
        warnings.warn(f"dropping areas without neighbours: {', '.join(isl)}", stacklevel=3)
        w_kept, kept, _ = contiguity_weights(areas.drop(index=isl), "drop")
        return w_kept, kept, isl
    pts = areas.geometry
    if areas.crs is not None and areas.crs.is_geographic:
        pts = pts.to_crs(areas.estimate_utm_crs())
    cent = pts.centroid
    neighbours = {k: list(v) for k, v in w.neighbors.items()}
    for code in w.islands:
        dist = cent.distance(cent.loc[code]).drop(index=code)
        nearest = dist.idxmin()
        neighbours[code].append(nearest)
        neighbours[nearest].append(code)
    w2 = weights.W(neighbours, id_order=list(w.id_order), silence_warnings=True)
    return w2, list(map(str, w2.id_order)), isl


@dataclass(frozen=True, eq=False, repr=False)
class MoranResult(Result):
    """Global Moran's I of EB-standardised rates with normal and permutation inference."""

    I: float  # noqa: E741 - the statistic's name
    expected: float
    z_norm: float
    p_norm: float
    p_value: float
    permutations: int
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(self, k) for k in
                              ("I", "expected", "z_norm", "p_norm", "p_value", "permutations")}])

    def summary(self) -> str:
        return (f"Moran's I = {self.I:.3f} (E[I] = {self.expected:.3f}); permutation p = "
                f"{self.p_value:.4f} ({self.permutations} permutations, one-sided: clustering); "
                f"normal-approximation p = {self.p_norm:.4f}")


def _global_moran(z: np.ndarray, w: weights.W, permutations: int, alpha: float,
                  rng: np.random.Generator) -> MoranResult:
    w.transform = "r"
    ref = esda.Moran(z, w, transformation="r", permutations=0)
    s = w.sparse.tocsr()
    zc = z - z.mean()
    stat = lambda v: (v * (s @ v.T).T).sum(axis=1) / (v * v).sum(axis=1) * len(z) / s.sum()  # noqa: E731
    larger, done = 0, 0
    while done < permutations:
        batch = min(1000, permutations - done)
        perm = rng.permuted(np.tile(zc, (batch, 1)), axis=1)
        larger += int((stat(perm) >= ref.I).sum())
        done += batch
    return MoranResult(I=float(ref.I), expected=float(ref.EI), z_norm=float(ref.z_norm),
                       p_norm=float(ref.p_norm), p_value=(larger + 1) / (permutations + 1),
                       permutations=permutations, alpha=alpha)


def _two_sided(observed: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """Two-sided conditional-permutation p-value from the simulated statistics (perms x n).

    Computed here rather than taken from esda's ``p_sim``, whose default alternative
    ('directed', folded) is announced to change in the next major release.
    """
    perms = sims.shape[0]
    greater = ((sims >= observed).sum(axis=0) + 1) / (perms + 1)
    lesser = ((sims <= observed).sum(axis=0) + 1) / (perms + 1)
    return np.minimum(1.0, 2 * np.minimum(greater, lesser))


def _bh(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    reject, q, _, _ = multipletests(p, alpha=alpha, method="fdr_bh")
    return reject, q


@dataclass(frozen=True, eq=False, repr=False)
class HotspotResult(Result):
    """Rates, smoothed rates and local statistics per area; ``moran`` holds the global test.

    ``to_frame()`` is indexed by area code: n, cases, rate, eb_rate, seb_rate, lisa_I, lisa_p,
    lisa_q, lisa_cluster, gi_z, gi_p, gi_q, gi_cluster, publishable. ``to_geodataframe()`` joins it
    to the boundaries (areas without data included, cluster "no data").
    """

    outcome: str
    by: str
    alpha: float
    permutations: int
    table: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    moran: MoranResult
    islands: tuple[str, ...]
    island_policy: str
    unmatched_codes: tuple[str, ...]
    scope: Scope | None = None

    @property
    def title(self) -> str:
        what = f"Hotspots of {self.outcome.replace('_', ' ')} by {area_label(self.by)}"
        return self.scope.title(what) if self.scope else what

    def power_note(self) -> str | None:
        """A warning when there are too few areas for the local tests to find a cluster."""
        k = len(self.table)
        if k >= FEW_AREAS:
            return None
        return (f"power: only {k} areas, so the local tests have little power: no hotspot found "
                "is no evidence that there is none (on synthetic registers a planted cluster of "
                "4 high-risk provinces had 1 of its 4 provinces flagged; at district level about "
                "half its districts, and no false ones)")

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        gdf = self.boundaries.merge(self.table, left_on="code", right_index=True, how="left")
        for col in ("lisa_cluster", "gi_cluster"):
            gdf[col] = gdf[col].fillna("no data")
        gdf["publishable"] = gdf["publishable"].fillna(False).astype(bool)
        return gdf

    def summary(self) -> str:
        t = self.table
        note = self.power_note()
        lines = [
            f"outcome: {self.outcome}; areas: {self.by}; {len(t)} with data, "
            f"{len(self.boundaries) - len(t)} without",
            *([f"note: {note}" + (" — use by='district_code'" if self.by == "province_code"
                                  else "")] if note else []),
            *(self.scope.lines() if self.scope else []),
            "rates: returns with the outcome recorded (complete cases; a relative comparison)",
            self.moran.summary(),
            f"LISA clusters (BH q < {self.alpha}): "
            + ", ".join(f"{k} {v}" for k, v in t["lisa_cluster"].value_counts().items()),
            f"Gi* (BH q < {self.alpha}): "
            + ", ".join(f"{k} {v}" for k, v in t["gi_cluster"].value_counts().items()),
            f"islands ({self.island_policy}): {', '.join(self.islands) or 'none'}",
        ]
        if self.unmatched_codes:
            lines.append(f"codes in the data but not the boundaries (excluded): "
                         f"{', '.join(self.unmatched_codes)}")
        # A summary is what gets printed and published: unpublishable areas are blanked.
        shown = t.copy()
        numbers = [c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])
                   and c != "publishable"]
        shown[numbers] = shown[numbers].astype(float).mask(~t["publishable"].astype(bool), axis=0)
        return text_block(self.title, lines, format_table(shown))


def _check_boundaries(boundaries: object) -> gpd.GeoDataFrame:
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise TypeError("boundaries must be a GeoDataFrame (see analysis.geo.load_boundaries)")
    if "code" not in boundaries.columns:
        raise InvalidParameterError("boundaries need a 'code' column with the NCDD area codes")
    coded = boundaries[boundaries["code"].notna()][["code", "geometry"]].copy()
    coded["code"] = coded["code"].astype(str)
    if coded["code"].duplicated().any():
        raise InvalidParameterError("boundaries have duplicated codes: "
                                    f"{', '.join(coded['code'][coded['code'].duplicated()])}")
    return coded.reset_index(drop=True)


def find_hotspots(
    df: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    outcome: str = "forced_labour",
    by: str = "district_code",
    alpha: float = 0.05,
    permutations: int = 9999,
    islands: str = "nearest",
    threshold: int = 5,
    rng: np.random.Generator | int | None = None,
) -> HotspotResult:
    """Smoothed rates, global Moran's I, local Moran and Gi* with FDR control, per area.

    Parameters
    ----------
    df : researcher export.
    boundaries : GeoDataFrame with a ``code`` column matching ``df[by]`` (rows without a code
        are ignored).
    outcome : as in `analysis.prevalence.estimate_prevalence`.
    by : area column: ``"district_code"`` (default; see the module docstring on power),
        ``"province_code"`` or ``"commune_code"``.
    alpha : false discovery rate for the local statistics.
    permutations : permutations for every permutation test (>= 99; 9999 keeps the smallest
        two-sided p-value, 2/10000, well below BH thresholds with hundreds of areas).
    islands : ``'nearest'`` (default), ``'drop'`` or ``'error'``.
    threshold : small-cell threshold for the ``publishable`` flag.
    rng : seeds every permutation test (results are reproducible for a given seed).
    """
    alpha = check_alpha(alpha)
    outcome = check_choice("outcome", outcome, OUTCOMES)
    permutations = check_positive_int("permutations", permutations, 99)
    threshold = check_positive_int("threshold", threshold)
    generator = as_rng(rng)
    check_export(df, ["returned", outcome, by], "find_hotspots")
    bounds = _check_boundaries(boundaries)
    rows, _, _ = returned_with_outcome(df, outcome)
    rows = rows[rows[by].notna()]
    g = rows.groupby(rows[by].astype(str))[outcome]
    counts = pd.DataFrame({"n": g.size(), "cases": g.sum()})
    unmatched = tuple(sorted(set(counts.index) - set(bounds["code"])))
    if unmatched:
        warnings.warn(f"{len(unmatched)} area code(s) in the data have no boundary and are "
                      f"excluded: {', '.join(unmatched[:10])}", stacklevel=2)
    areas = bounds[bounds["code"].isin(counts.index)].set_index("code")
    w, kept, island_codes = contiguity_weights(areas, islands)
    c = counts.loc[kept]
    e = c["cases"].to_numpy(float)
    b = c["n"].to_numpy(float)
    if e.sum() == 0:
        raise EmptyDataError(f"no {outcome} cases among the areas analysed")
    w.transform = "r"
    eb = esda.smoothing.Empirical_Bayes(e[:, None], b[:, None]).r.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        seb = esda.smoothing.Spatial_Empirical_Bayes(e[:, None], b[:, None], w).r.ravel()
    # a neighbourhood without any case has no between-area variance: its smoothed rate is the
    # neighbourhood rate itself (esda returns 0/0 there)
    local = esda.smoothing.Spatial_Rate(e[:, None], b[:, None], w).r.ravel()
    seb = np.where(np.isfinite(seb), seb, local)
    z = esda.smoothing.assuncao_rate(e, b)
    moran = _global_moran(z, w, permutations, alpha, generator)
    seeds = generator.integers(1, 2**31 - 1, size=2)
    with _global_numpy_state(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="esda")
        lisa = esda.Moran_Local_Rate(e, b, w, adjusted=True, transformation="r",
                                     permutations=permutations, seed=int(seeds[0]), n_jobs=1,
                                     keep_simulations=True)
        wb = weights.fill_diagonal(weights.W(w.neighbors, id_order=w.id_order,
                                             silence_warnings=True), 1.0)
        gi = esda.G_Local(eb, wb, transform="R", star=None, permutations=permutations,
                          seed=int(seeds[1]), n_jobs=1, keep_simulations=True)
    lisa_p = _two_sided(lisa.Is, np.asarray(lisa.sim))
    gi_p = _two_sided(gi.Gs, np.asarray(gi.sim))
    lisa_sig, lisa_q = _bh(lisa_p, alpha)
    gi_sig, gi_q = _bh(gi_p, alpha)
    table = pd.DataFrame(
        {
            "n": c["n"].astype(int), "cases": c["cases"].astype(int), "rate": e / b,
            "eb_rate": eb, "seb_rate": seb, "lisa_I": lisa.Is, "lisa_p": lisa_p,
            "lisa_q": lisa_q,
            "lisa_cluster": np.where(lisa_sig, pd.Series(lisa.q).map(_QUADS), "ns"),
            "gi_z": gi.Zs, "gi_p": gi_p, "gi_q": gi_q,
            "gi_cluster": np.where(gi_sig, np.where(gi.Zs > 0, "hot", "cold"), "ns"),
            "n_neighbours": [w.cardinalities[k] for k in kept],
            "publishable": publishable_proportions(e, b, threshold),
        },
        index=pd.Index(kept, name=by),
    )
    return HotspotResult(
        outcome=outcome, by=by, alpha=alpha, permutations=permutations, table=table,
        boundaries=boundaries.copy(), moran=moran, islands=tuple(island_codes),
        island_policy=islands, unmatched_codes=unmatched, scope=describe_scope(df),
    )
