"""Boundaries in shapefiles/ and the 2019 census populations, checked against the gazetteer."""

from __future__ import annotations

import geopandas as gpd
import pytest
from libpysal.graph import Graph

from analysis.geo import (
    ATTRIBUTIONS,
    UnknownLayerError,
    attribution,
    load_boundaries,
    load_population,
)
from register.gazetteer import load_gazetteer

NATIONAL_FINAL_2019 = 15_552_211  # NIS final results, Jan 2021 (male 7,571,837 + female 7,980,374)
SUM_OF_17_FINALS = 11_848_316  # analysis/data/population/README.md


@pytest.fixture(scope="module")
def provinces() -> gpd.GeoDataFrame:
    return load_boundaries("province")


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return load_boundaries("district")


@pytest.fixture(scope="module")
def communes() -> gpd.GeoDataFrame:
    return load_boundaries("commune")


def _codes(level: str) -> set[str]:
    return {p.code for p in load_gazetteer().places(level)}


# -- boundaries ---------------------------------------------------------------------------------
def test_provinces_and_districts_cover_the_gazetteer(provinces, districts) -> None:
    assert len(provinces) == 25 and set(provinces["code"]) == _codes("province")
    assert len(districts) == 210 and set(districts["code"]) == _codes("district")
    assert (districts["code"].str[:2] == districts["province_code"]).all()
    osm = load_boundaries("province", source="osm")
    assert set(osm["code"]) == _codes("province")


def test_names_and_crs_match_the_gazetteer(provinces, districts) -> None:
    gaz = load_gazetteer()
    for gdf in (provinces, districts):
        assert gdf.crs.to_epsg() == 4326
        assert list(gdf.columns[:3]) == ["code", "name_en", "name_km"]
        for row in gdf.itertuples():
            assert isinstance(row.code, str)
            assert row.name_en == gaz.get(row.code).name_en
    assert provinces.set_index("code").loc["12", "name_km"] == gaz.get("12").name_km


def test_communes_layer(communes) -> None:
    coded = communes[communes["code"].notna()]
    assert len(communes) == 1633 and len(coded) == 1625
    assert coded["code"].is_unique and set(coded["code"]) <= _codes("commune")
    assert len(_codes("commune") - set(coded["code"])) == 27  # documented in shapefiles/README
    assert (coded["code"].str[:4] == coded["district_code"]).all()
    uncoded = communes[communes["code"].isna()]
    assert (uncoded["province_code"] == "12").all()
    assert all(set(c.split(";")) <= _codes("commune") for c in uncoded["candidate_codes"])


def test_geometries_valid_and_levels_nest(provinces, districts, communes) -> None:
    for gdf in (provinces, districts, communes):
        assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    utm = 32648  # UTM 48N, metres
    area_p = provinces.to_crs(utm).area.sum()
    area_d = districts.to_crs(utm).area.sum()
    area_c = communes.to_crs(utm).area.sum()
    # SOURCES.md: derived layers 179,082 km2; they nest exactly (same commune parts)
    assert area_p / 1e6 == pytest.approx(179_082, rel=1e-3)
    assert area_d == pytest.approx(area_p, rel=1e-4) and area_c == pytest.approx(area_p, rel=1e-4)
    # each district lies inside its province
    joined = districts.to_crs(utm).merge(
        provinces.to_crs(utm)[["code", "geometry"]].rename(columns={"code": "province_code"}),
        on="province_code", suffixes=("", "_p"))
    inside = joined.geometry.intersection(gpd.GeoSeries(joined["geometry_p"], crs=utm)).area
    assert (inside / joined.geometry.area).min() > 0.999


def test_province_contiguity_makes_sense(provinces) -> None:
    graph = Graph.build_contiguity(provinces.set_index("code").geometry, rook=False)
    assert graph.n_components == 1 and len(graph.isolates) == 0
    assert set(graph["12"].index) == {"08"}  # Phnom Penh is a hole in Kandal
    assert set(graph["23"].index) == {"07"}  # Kep lies within Kampot's land border
    assert {"03", "04", "05", "12", "14", "21"} == set(graph["08"].index)
    assert "18" not in set(graph["12"].index)


def test_attribution_texts() -> None:
    assert "ODbL" in attribution("province", "osm")
    assert "OpenStreetMap" in attribution("province", "osm")
    for level in ("province", "district", "commune"):
        text = attribution(level)
        assert "CC BY 4.0" in text and "Open Development Cambodia" in text and "NCDD" in text
    assert load_boundaries("district").attrs["attribution"] == ATTRIBUTIONS[("district",
                                                                             "derived")]
    with pytest.raises(UnknownLayerError, match="level='district', source='osm'"):
        attribution("district", "osm")  # type: ignore[arg-type]
    with pytest.raises(UnknownLayerError):
        load_boundaries("village")  # type: ignore[arg-type]


# -- population ---------------------------------------------------------------------------------
def test_population_sums_to_the_national_final_total() -> None:
    pop = load_population()
    assert list(pop.index) == sorted(_codes("province"))
    # Tolerance: exact. The 8 provinces without a final total share the remainder exactly.
    assert int(pop["population"].sum()) == NATIONAL_FINAL_2019
    assert int(pop.loc[pop["status"] == "final", "population"].sum()) == SUM_OF_17_FINALS
    assert (pop["population"] > 0).all() and pop["population"].dtype == "int64"


def test_population_status_flags() -> None:
    pop = load_population()
    status = pop["status"]
    assert (status == "final").sum() == 17
    assert set(status[status == "provisional_scaled"].index) == {"04", "07", "10", "15"}
    assert set(status[status == "imputed"].index) == {"13", "14", "18", "19"}
    final = pop[status == "final"]
    assert (final["population"] == final["final"]).all()
    scaled = pop[status == "provisional_scaled"]
    ratio = scaled["population"] / scaled["provisional"].astype(float)
    assert ratio.max() - ratio.min() < 1e-5  # one common factor
    assert 1.0 <= ratio.iloc[0] < 1.02  # finals are a little above provisional totals
    assert pop.loc["12", "population"] == 2_281_951 and pop.loc["23", "population"] == 42_665
    assert "NIS" in pop.attrs["source"]


def test_missing_boundaries_are_a_named_error(tmp_path) -> None:
    """An installed package has no shapefiles/ folder: geopandas' own error named no remedy."""
    from analysis.errors import AnalysisError
    from analysis.geo import load_boundaries

    with pytest.raises(AnalysisError, match="shapefiles/"):
        load_boundaries("province", directory=tmp_path)
