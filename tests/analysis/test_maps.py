"""Maps: suppressed areas hatched and never coloured, attribution always printed."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from shapely.geometry import box

from analysis._validation import InvalidParameterError
from analysis.hotspots import find_hotspots
from analysis.maps import HATCH, LISA_COLOURS, choropleth, hotspot_map, prevalence_map
from analysis.prevalence import estimate_prevalence
from analysis.smallarea import small_area_prevalence

ATTRIBUTION = "Synthetic grid boundaries (test). Codes: none."


def grid(nx: int = 6, ny: int = 6) -> gpd.GeoDataFrame:
    cells = [box(i % nx, i // nx, i % nx + 1, i // nx + 1) for i in range(nx * ny)]
    return gpd.GeoDataFrame({"code": [f"{i:02d}" for i in range(nx * ny)]}, geometry=cells)


def export(seed: int, codes: list[str], n: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    area = np.repeat(np.array(codes), n)
    y = rng.random(len(area)) < np.repeat(p, n)
    return pd.DataFrame({"province_code": area, "commune_code": np.char.add(area, "0101"),
                         "returned": 1, "forced_labour": pd.array(y.astype(int), dtype="Int64")})


def by_gid(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    return found[0] if found else None


def test_choropleth_never_colours_suppressed_values():
    g = grid()
    g["value"] = np.linspace(0.05, 0.5, len(g))
    secret = [3, 17, 35]  # 35 holds the largest value
    g["publishable"] = ~g.index.isin(secret)
    fig, ax = choropleth(g, "value", attribution=ATTRIBUTION)
    coloured = by_gid(ax, "values")
    shown = np.asarray(coloured.get_array())
    assert len(coloured.get_paths()) == len(g) - len(secret)
    assert not np.isin(g.loc[secret, "value"].to_numpy(), shown).any()
    # the colour scale comes from published values only: the hidden maximum does not leak
    assert coloured.norm.vmax == pytest.approx(g.loc[g["publishable"], "value"].max())
    hidden = by_gid(ax, "suppressed")
    assert len(hidden.get_paths()) == len(secret) and hidden.get_hatch() == HATCH
    assert hidden.get_array() is None
    texts = [t.get_text() for t in ax.texts]
    assert any(ATTRIBUTION in t.replace("\n", " ") for t in texts)


def test_choropleth_requires_attribution_and_publishable_flags():
    g = grid(3, 3)
    g["value"] = 1.0
    with pytest.raises(InvalidParameterError, match="attribution"):
        choropleth(g.assign(publishable=True), "value", attribution=" ")
    with pytest.raises(InvalidParameterError, match="publishable"):
        choropleth(g, "value", attribution=ATTRIBUTION)
    fig, ax = choropleth(g, "value", attribution=ATTRIBUTION, publishable=None)
    assert by_gid(ax, "suppressed") is None
    flags = np.arange(len(g)) != 4
    fig, ax = choropleth(g, "value", attribution=ATTRIBUTION, publishable=flags)
    assert len(by_gid(ax, "suppressed").get_paths()) == 1


def test_prevalence_map_hatches_small_areas_and_marks_no_data():
    g = grid()
    codes = list(g["code"][:-1])  # last cell: no data
    n = np.full(len(codes), 120)
    n[[0, 7]] = 3  # too small to publish
    df = export(1, codes, n, np.full(len(codes), 0.2))
    res = estimate_prevalence(df)
    fig, ax = prevalence_map(res, g, attribution=ATTRIBUTION, title="Forced labour")
    hidden = by_gid(ax, "suppressed")
    n_hidden = int((~res.to_frame()["publishable"]).sum())
    assert n_hidden >= 2 and len(hidden.get_paths()) == n_hidden
    assert len(by_gid(ax, "no_data").get_paths()) == 1
    shown = np.sort(np.asarray(by_gid(ax, "values").get_array()))
    table = res.to_frame()
    np.testing.assert_array_equal(shown, np.sort(table.loc[table["publishable"], "estimate"]))
    assert ax.get_title() == "Forced labour"
    sa = small_area_prevalence(df)
    fig, ax = prevalence_map(sa, g, attribution=ATTRIBUTION)
    assert len(by_gid(ax, "suppressed").get_paths()) == n_hidden


def test_hotspot_map_shows_significant_classes_and_attribution():
    g = grid(10, 10)
    hot = np.array([(i % 10) in (3, 4, 5) and (i // 10) in (3, 4, 5) for i in range(100)])
    df = export(2, list(g["code"]), np.full(100, 150), np.where(hot, 0.3, 0.1))
    res = find_hotspots(df, g, by="province_code", rng=2, permutations=999)
    fig, ax = hotspot_map(res, attribution=ATTRIBUTION)
    hh = by_gid(ax, "class_HH")
    n_hh = int((res.to_frame()["lisa_cluster"] == "HH").sum())
    assert n_hh >= 3 and len(hh.get_paths()) == n_hh
    assert np.allclose(hh.get_facecolor()[0], to_rgba(LISA_COLOURS["HH"]))
    assert "BH q < 0.05" in ax.get_title()
    assert any(ATTRIBUTION in t.get_text().replace("\n", " ") for t in ax.texts)
    fig, ax = hotspot_map(res, attribution=ATTRIBUTION, statistic="gi")
    assert by_gid(ax, "class_hot") is not None
    with pytest.raises(InvalidParameterError):
        hotspot_map(res, attribution=ATTRIBUTION, statistic="moran")


def test_real_province_map_with_real_attribution(tmp_path):
    geo = pytest.importorskip("analysis.geo")
    try:
        prov = geo.load_boundaries("province")
    except (FileNotFoundError, OSError):  # pragma: no cover
        pytest.skip("shapefiles/ not available")
    text = geo.attribution("province")
    n = np.where(prov["code"].isin(["23", "24"]), 3, 200)  # Kep and Pailin tiny
    df = export(3, list(prov["code"]), n, np.full(len(prov), 0.15))
    res = estimate_prevalence(df)
    fig, ax = prevalence_map(res, prov, attribution=text)
    assert len(by_gid(ax, "suppressed").get_paths()) >= 2
    assert any(text[:60] in t.get_text().replace("\n", " ") for t in ax.texts)
    fig.savefig(tmp_path / "provinces.png", dpi=60)
    assert (tmp_path / "provinces.png").stat().st_size > 10_000
