"""Boundaries of Cambodia's provinces, districts and communes, and 2019 census populations.

Boundaries are read from the project's ``shapefiles/`` folder (see its README for sources,
licences and caveats); populations from ``analysis/data/population/``. Every map made from
these layers must show ``attribution(level, source)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from register.gazetteer import load_gazetteer

Level = Literal["province", "district", "commune"]
Source = Literal["derived", "osm"]

SHAPEFILES_DIR = Path(__file__).resolve().parents[1] / "shapefiles"
POPULATION_DIR = Path(__file__).resolve().parent / "data" / "population"

# (level, source) -> (file in shapefiles/, column holding the NCDD code)
_LAYERS: dict[tuple[str, str], tuple[str, str]] = {
    ("province", "derived"): ("khm_adm1_provinces_derived.gpkg", "adm1_code"),
    ("province", "osm"): ("khm_adm1_provinces_geoboundaries_osm.gpkg", "adm1_code"),
    ("district", "derived"): ("khm_adm2_districts_current_derived.gpkg", "adm2_code"),
    ("commune", "derived"): ("khm_adm3_communes_geoboundaries_2014.gpkg", "adm3_code"),
}
_RENAME = {"adm1_code": "province_code", "adm2_code": "district_code", "adm2_type": "type_en",
           "adm3_type": "type_en"}

_GAZETTEER = "Codes and names: NCDD gazetteer (db.ncdd.gov.kh), 14 Oct 2024."
_ODC = ("Open Development Cambodia / Open Development Mekong, Administrative boundaries of "
        "Cambodia 2014, CC BY 4.0; via geoBoundaries (Runfola et al. 2020, PLoS ONE 15(4): "
        "e0231866)")
ATTRIBUTIONS: dict[tuple[str, str], str] = {
    ("province", "derived"): (f"Province boundaries dissolved from commune boundaries: {_ODC}, "
                              f"KHM-ADM3-89927896. {_GAZETTEER}"),
    ("province", "osm"): ("Province boundaries © OpenStreetMap contributors, ODbL 1.0; via "
                          "geoBoundaries (Runfola et al. 2020, PLoS ONE 15(4): e0231866), "
                          f"boundary KHM-ADM1-37992800. {_GAZETTEER}"),
    ("district", "derived"): (f"District boundaries dissolved from commune boundaries: {_ODC}, "
                              f"KHM-ADM3-89927896 (KHM-ADM2-14789045). {_GAZETTEER}"),
    ("commune", "derived"): f"Commune boundaries: {_ODC}, KHM-ADM3-89927896. {_GAZETTEER}",
}
POPULATION_SOURCE = ("Population: NIS, General Population Census of the Kingdom of Cambodia "
                     "2019 - Final Results (Jan 2021) and Provisional Population Totals (Aug "
                     "2019), as transcribed in analysis/data/population/; 8 provinces "
                     "estimated (see its README).")


class UnknownLayerError(AnalysisError, LookupError):
    """No boundary layer for this level and source."""


def _layer(level: str, source: str) -> tuple[str, str]:
    try:
        return _LAYERS[(level, source)]
    except KeyError:
        options = ", ".join(f"{lv}/{src}" for lv, src in _LAYERS)
        raise UnknownLayerError(f"no boundary layer for level={level!r}, source={source!r}; "
                                f"available: {options}") from None


def attribution(level: Level, source: Source = "derived") -> str:
    """The text every map drawn from ``load_boundaries(level, source)`` must show."""
    _layer(level, source)
    return ATTRIBUTIONS[(level, source)]


def load_boundaries(level: Level, source: Source = "derived",
                    directory: Path | str | None = None) -> gpd.GeoDataFrame:
    """Boundaries at ``level`` with NCDD ``code`` (str), ``name_en``, ``name_km``; EPSG:4326.

    Names are the register's gazetteer names (``register.gazetteer``), so maps and tables agree.

    ``source='derived'`` (all levels) is the Open Development Cambodia 2014 commune layer with
    NCDD codes, and provinces/districts dissolved from it, so the three levels nest exactly.
    ``source='osm'`` (provinces only) is OpenStreetMap's layer; it includes the Tonle Sap lake
    but does not nest with the others. District rows carry ``province_code``; commune rows
    ``province_code`` and ``district_code`` (the commune's current district).

    Communes: 1,633 polygons for 1,652 NCDD communes. Eight Phnom Penh polygons were split after
    2014 and have no single code: their ``code`` is missing, ``candidate_codes`` lists the
    communes they now hold (';'-separated) and ``name_en`` is the 2014 name. 27 communes have no
    polygon of their own (shapefiles/README.md).
    """
    filename, code_column = _layer(level, source)
    path = Path(directory or SHAPEFILES_DIR) / filename
    if not path.is_file():
        raise AnalysisError(
            f"no boundaries at {path}: the maps read the project's shapefiles/ folder, which a "
            "clone of the repository has (an installed package does not); pass directory= to "
            "read them from elsewhere")
    gdf = gpd.read_file(path)
    gdf = gdf.rename(columns={code_column: "code"}).rename(columns=_RENAME)
    keep = ["code", "name_en", "name_km"]
    keep += {"province": ["iso_3166_2"], "district": ["province_code", "type_en"],
             "commune": ["province_code", "district_code", "type_en",
                         "candidate_codes"]}[level]
    if source == "osm":
        keep += ["name_en_mef", "gb_shapeName", "gb_shapeID"]
    if level == "commune":
        uncoded = gdf["code"].isna() | (gdf["code"] == "")
        gdf.loc[uncoded, "name_en"] = gdf.loc[uncoded, "gb_shapeName"].str.strip()
        gdf["code"] = gdf["code"].where(~uncoded, None)
        gdf["candidate_codes"] = [";".join(sorted(c.split(";"))) if isinstance(c, str) and c
                                  else None for c in gdf["candidate_codes"]]
    gaz = load_gazetteer()  # one source of names for register and maps
    named = gdf["code"].notna()
    gdf.loc[named, "name_en"] = [gaz.get(c).name_en for c in gdf.loc[named, "code"]]
    gdf.loc[named, "name_km"] = [gaz.get(c).name_km for c in gdf.loc[named, "code"]]
    gdf = gdf[[*keep, "geometry"]].sort_values("code", na_position="last", kind="stable")
    gdf = gdf.reset_index(drop=True)
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    gdf.attrs["attribution"] = ATTRIBUTIONS[(level, source)]
    return gdf


# -- population ---------------------------------------------------------------------------------
def _largest_remainder(total: int, weights: pd.Series) -> pd.Series:
    """Split the integer ``total`` in proportion to ``weights``; the parts sum to ``total``."""
    exact = weights / weights.sum() * total
    parts = np.floor(exact).astype("int64")
    short = int(total - parts.sum())
    order = (exact - parts).sort_values(ascending=False, kind="stable").index[:short]
    parts[order] += 1
    return parts


def load_population(directory: Path | str | None = None) -> pd.DataFrame:
    """2019 census population of the 25 provinces, indexed by province ``code``.

    Columns: ``name_en``, ``name_km``, ``population`` (int), ``status``, ``final``,
    ``provisional`` (the transcribed totals, Int64 with NA), ``note``.

    ``status`` says where ``population`` comes from:

    * ``final`` (17 provinces): the NIS final total as transcribed (Pailin from a secondary
      source only - see the note).
    * ``provisional_scaled`` (04, 07, 10, 15) and ``imputed`` (13, 14, 18, 19): no final total
      was found. Together these 8 provinces must hold the national final total 15,552,211 minus
      the 17 finals = 3,703,895 people; that remainder is split in proportion to each
      province's provisional total (``provisional_scaled``), or, for the 4 provinces with no
      provisional total either, to a weight from ``imputation_weights.csv`` (unverified 2019
      figures, and for Preah Sihanouk the part of the national provisional total not accounted
      for by the other provinces) - ``imputed``. Treat ``imputed`` values as uncertain by
      roughly +/-10 %.

    The national sum equals the final total exactly. ``df.attrs`` holds the source text.
    """
    folder = Path(directory or POPULATION_DIR)
    raw = pd.read_csv(folder / "khm_population_census2019_by_province.csv",
                      dtype={"adm1_code": str}).set_index("adm1_code")
    facts = pd.read_csv(folder / "khm_census2019_national_and_migration_facts.csv"
                        ).set_index("fact")["value"]
    weights_table = pd.read_csv(folder / "imputation_weights.csv",
                                dtype={"adm1_code": str}).set_index("adm1_code")
    national_final = int(facts["total_population"])
    national_provisional = int(facts["total_population_provisional"])
    final = raw["pop2019_final_total"].astype("Int64")
    provisional = raw["pop2019_provisional_total"].astype("Int64")

    missing = final.isna()
    both = final.notna() & provisional.notna()
    ratio = final[both].sum() / provisional[both].sum()  # pooled final / provisional
    neither = missing & provisional.isna()
    # provisional total of the provinces without one, less those with a final (final / ratio)
    implied = (national_provisional - provisional.sum()
               - (final[provisional.isna() & final.notna()] / ratio).sum())
    weight = provisional[missing & provisional.notna()].astype(float)
    given = weights_table.loc[neither[neither].index, "weight"].astype(float)
    if given.isna().sum() != 1:
        raise ValueError("imputation_weights.csv must leave exactly one weight blank")
    given[given.isna()] = implied - given.sum()
    weight = pd.concat([weight, given])

    population = final.copy()
    population[weight.index] = _largest_remainder(national_final - int(final.sum()), weight)
    status = pd.Series("final", index=raw.index)
    status[missing & provisional.notna()] = "provisional_scaled"
    status[neither] = "imputed"
    out = pd.DataFrame({
        "name_en": raw["name_en"], "name_km": raw["name_km"],
        "population": population.astype("int64"), "status": status,
        "final": final, "provisional": provisional, "note": raw["note"].fillna(""),
    })
    out.index.name = "code"
    out.attrs["source"] = POPULATION_SOURCE
    out.attrs["national_final_total"] = national_final
    return out.sort_index()
