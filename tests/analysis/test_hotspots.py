"""Hotspots: planted spatial cluster on a grid, null behaviour, islands, real provinces."""

from __future__ import annotations

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal import weights
from shapely.geometry import box

from analysis._validation import InvalidParameterError
from analysis.hotspots import contiguity_weights, find_hotspots

PLANTED = {f"{10 * y + x:02d}" for x in range(3, 6) for y in range(3, 6)}  # 3x3 block


def grid(nx: int = 10, ny: int = 10) -> gpd.GeoDataFrame:
    cells = [box(i % nx, i // nx, i % nx + 1, i // nx + 1) for i in range(nx * ny)]
    return gpd.GeoDataFrame({"code": [f"{i:02d}" for i in range(nx * ny)]}, geometry=cells)


def simulate(seed: int, codes: list[str], hot: set[str], base: float = 0.10,
             hot_rate: float = 0.30, n_range: tuple[int, int] = (80, 200),
             by: str = "district_code") -> pd.DataFrame:
    """Returned migrants per area (area code in column ``by``) with a planted hot cluster."""
    rng = np.random.default_rng(seed)
    n = rng.integers(*n_range, size=len(codes))
    p = np.where(np.isin(codes, sorted(hot)), hot_rate, base)
    area = np.repeat(np.array(codes), n)
    y = rng.random(len(area)) < np.repeat(p, n)
    return pd.DataFrame({by: area, "returned": 1,
                         "forced_labour": pd.array(y.astype(int), dtype="Int64")})


def test_planted_cluster_is_found():
    g = grid()
    res = find_hotspots(simulate(1, list(g["code"]), PLANTED), g, rng=1)
    t = res.to_frame()
    assert res.moran.I > 0.2 and res.moran.p_value < 0.01
    hh = set(t.index[t["lisa_cluster"] == "HH"])
    hot = set(t.index[t["gi_cluster"] == "hot"])
    assert len(hh & PLANTED) >= 4 and hh <= PLANTED
    assert len(hot & PLANTED) >= 4 and hot <= PLANTED
    assert "44" in hh  # the centre of the block
    inside, outside = t.loc[sorted(PLANTED)], t.drop(index=sorted(PLANTED))
    assert inside["rate"].mean() == pytest.approx(0.30, abs=0.03)
    assert outside["rate"].mean() == pytest.approx(0.10, abs=0.01)
    # global EB pulls the hot cells toward the overall mean; spatial EB toward hot neighbours
    assert outside["rate"].mean() < inside["eb_rate"].mean() < inside["rate"].mean()
    assert t.loc["44", "seb_rate"] > t.loc["44", "eb_rate"]


def test_no_cluster_means_few_discoveries():
    g = grid()
    moran_sig, local_sig = 0, 0
    for seed in range(10):
        res = find_hotspots(simulate(100 + seed, list(g["code"]), set()), g, rng=seed,
                            permutations=999)
        t = res.to_frame()
        moran_sig += res.moran.p_value < 0.05
        local_sig += int((t["lisa_cluster"] != "ns").sum() + (t["gi_cluster"] != "ns").sum())
    assert moran_sig <= 3  # 10 tests at 5%: P(> 3) < 0.002
    assert local_sig <= 3


def test_statistics_match_esda_and_closed_forms():
    g = grid(6, 6)
    df = simulate(2, list(g["code"]), {"14", "15", "20", "21"}, n_range=(20, 60))
    res = find_hotspots(df, g, rng=2, permutations=199)
    t = res.to_frame()
    e, b = t["cases"].to_numpy(float), t["n"].to_numpy(float)
    w = weights.Queen.from_dataframe(g.set_index("code"), use_index=True)
    ref = esda.Moran_Rate(e, b, w, adjusted=True, permutations=0)
    assert abs(res.moran.I - ref.I) < 1e-12
    # Marshall's global EB: m = sum e / sum b, s2 = sum b (r - m)^2 / sum b - m / mean(b)
    r = e / b
    m = e.sum() / b.sum()
    s2 = np.sum(b * (r - m) ** 2) / b.sum() - m / b.mean()
    wgt = s2 / (s2 + m / b)
    np.testing.assert_allclose(t["eb_rate"], wgt * r + (1 - wgt) * m, rtol=1e-10)


def test_reproducible_and_leaves_global_numpy_state_alone():
    g = grid(6, 6)
    df = simulate(3, list(g["code"]), {"14", "15"})
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = find_hotspots(df, g, rng=7, permutations=499)
    assert (np.random.get_state()[1] == before).all()
    b = find_hotspots(df, g, rng=7, permutations=499)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.moran.p_value == b.moran.p_value


def test_islands_policies():
    g = grid(5, 5)
    island = gpd.GeoDataFrame({"code": ["99"]}, geometry=[box(8, 8, 9, 9)])
    g2 = pd.concat([g, island], ignore_index=True)
    df = simulate(4, list(g2["code"]), set())
    res = find_hotspots(df, g2, rng=4, permutations=99)
    assert res.islands == ("99",) and res.to_frame().loc["99", "n_neighbours"] == 1
    # nearest neighbour of the island (centre 8.5, 8.5) is the grid corner cell 24
    w, kept, isl = contiguity_weights(g2.set_index("code"), "nearest")
    assert w.neighbors["99"] == ["24"] and "99" in w.neighbors["24"]
    with pytest.warns(UserWarning, match="99"):
        dropped = find_hotspots(df, g2, rng=4, permutations=99, islands="drop")
    assert "99" not in dropped.to_frame().index
    with pytest.raises(InvalidParameterError, match="99"):
        find_hotspots(df, g2, rng=4, permutations=99, islands="error")


def test_unmatched_and_missing_areas():
    g = grid(5, 5)
    df = simulate(5, [*g["code"][:-1], "77"], set())  # area 24 has no data; 77 has no polygon
    with pytest.warns(UserWarning, match="77"):
        res = find_hotspots(df, g, rng=5, permutations=99)
    assert res.unmatched_codes == ("77",)
    gdf = res.to_geodataframe()
    assert gdf.loc[gdf["code"] == "24", "lisa_cluster"].item() == "no data"
    assert len(gdf) == 25 and "Moran's I" in res.summary()


def test_input_errors():
    g = grid(4, 4)
    df = simulate(6, list(g["code"]), set())
    with pytest.raises(TypeError):
        find_hotspots(df, pd.DataFrame(g), rng=1)
    with pytest.raises(InvalidParameterError, match="code"):
        find_hotspots(df, g.rename(columns={"code": "id"}), rng=1)
    with pytest.raises(InvalidParameterError, match="permutations"):
        find_hotspots(df, g, permutations=10)


def _real(level: str) -> gpd.GeoDataFrame:
    geo = pytest.importorskip("analysis.geo")
    try:
        return geo.load_boundaries(level)
    except (FileNotFoundError, OSError):  # pragma: no cover - shapefiles/ not copied yet
        pytest.skip("shapefiles/ not available")


def test_real_provinces_planted_north_west_cluster():
    prov = _real("province")
    # Banteay Meanchey, Battambang, Siem Reap, Oddar Meanchey, Pailin (calibration.md A5 idea)
    north_west = {"01", "02", "17", "22", "24"}
    df = simulate(7, list(prov["code"]), north_west, base=0.10, hot_rate=0.35,
                  n_range=(150, 400), by="province_code")
    res = find_hotspots(df, prov, by="province_code", rng=7)
    t = res.to_frame()
    assert len(t) == 25 and res.islands == ()
    assert res.moran.I > 0.2 and res.moran.p_value < 0.01
    flagged = set(t.index[t["lisa_cluster"] == "HH"]) | set(t.index[t["gi_cluster"] == "hot"])
    assert flagged and flagged <= north_west


def test_real_districts_island_is_attached():
    dist = _real("district")
    df = simulate(8, list(dist["code"]), set(), n_range=(20, 60), by="district_code")
    res = find_hotspots(df, dist, by="district_code", rng=8, permutations=199)
    assert "1805" in res.islands  # Kaoh Rung (Koh Rong) has no land neighbour
    assert res.to_frame().loc["1805", "n_neighbours"] >= 1


def test_spatial_eb_defined_where_a_neighbourhood_has_no_case():
    g = grid(5, 5)
    df = simulate(9, list(g["code"]), set(), n_range=(30, 60))
    corner = df["district_code"].isin(["00", "01", "05", "06"])
    df.loc[corner, "forced_labour"] = 0
    t = find_hotspots(df, g, rng=9, permutations=99).to_frame()
    assert np.isfinite(t["seb_rate"]).all()
    assert t.loc["00", "seb_rate"] == 0.0


def test_district_level_leads_and_few_areas_carry_a_power_note():
    import inspect

    assert inspect.signature(find_hotspots).parameters["by"].default == "district_code"
    small = grid(5, 5)
    res = find_hotspots(simulate(11, list(small["code"]), set(), by="province_code"), small,
                        by="province_code", rng=11, permutations=99)
    assert res.power_note() is not None
    assert "power: only 25 areas" in res.summary() and "by='district_code'" in res.summary()
    big = grid(10, 10)
    res = find_hotspots(simulate(12, list(big["code"]), set()), big, rng=12, permutations=99)
    assert res.by == "district_code" and res.power_note() is None
    assert "power:" not in res.summary()
