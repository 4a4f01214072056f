"""Maps: choropleths of rates and maps of hotspot clusters (geopandas + matplotlib).

Privacy rule: an area whose numbers fail the small-cell rule (``publishable`` False) is drawn
white with a hatch and is never coloured by its value; the colour scale is computed from the
published areas only, so its range does not leak a hidden value either. Areas without data are
light grey. The ``attribution`` text (e.g. ``analysis.geo.attribution(level)``) is required and
always printed under the map.

Honest colour scales: a colour scale stretched over differences far smaller than the estimates'
uncertainty paints noise as a pattern (issue 14: a bar spanning 0.21730-0.21738 showed
differences of 0.00008 as dark red against pale yellow). ``choropleth(min_span=...)`` widens the
scale around its midpoint to at least ``min_span``; `prevalence_map` sets it to the median width of
the mapped areas' intervals and says so in the colour bar's label.

Prevalence maps show per cents: the colour bar reads "21%" where the estimate is 0.21.
`area_map` draws a result on the boundaries of its own level (province, district or commune),
nationally or within one province, with the attribution of that layer.

Every function returns ``(figure, axes)``; nothing is shown or saved here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from analysis._validation import InvalidParameterError, check_choice
from analysis.hotspots import HotspotResult
from analysis.prevalence import PrevalenceResult
from analysis.results import ci_label
from analysis.smallarea import SmallAreaResult

__all__ = ["HATCH", "LISA_COLOURS", "GI_COLOURS", "area_boundaries", "area_map", "choropleth",
           "colour_limits",
           "hotspot_map", "prevalence_map"]

HATCH = "////"
SUPPRESSED_LABEL = "not shown (small numbers)"
NO_DATA = "0.85"
LISA_COLOURS = {"HH": "#d7191c", "HL": "#fdae61", "LH": "#abd9e9", "LL": "#2c7bb6",
                "ns": "#f7f7f7"}
GI_COLOURS = {"hot": "#d7191c", "cold": "#2c7bb6", "ns": "#f7f7f7"}


def _figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=figsize)  # not registered with pyplot: no global state, no leaks
    return fig, fig.add_subplot()


def _check(gdf: object, attribution: object) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"expected a GeoDataFrame, got {type(gdf).__name__}")
    if not isinstance(attribution, str) or not attribution.strip():
        raise InvalidParameterError("attribution text is required on every map "
                                    "(e.g. analysis.geo.attribution('province'))")
    return gdf


def _publishable(gdf: gpd.GeoDataFrame, publishable: str | Sequence[bool] | None) -> np.ndarray:
    if publishable is None:
        return np.ones(len(gdf), dtype=bool)
    if isinstance(publishable, str):
        if publishable not in gdf.columns:
            raise InvalidParameterError(f"publishable column {publishable!r} not in the frame")
        values = gdf[publishable]
    else:
        values = pd.Series(list(publishable))
    if len(values) != len(gdf):
        raise InvalidParameterError("publishable must have one flag per area")
    return values.fillna(False).astype(bool).to_numpy()


def _finish(fig: Figure, ax: Axes, attribution: str, title: str | None,
            handles: list[Patch]) -> tuple[Figure, Axes]:
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.8)
    text = "\n".join(textwrap.wrap(attribution, 110))
    ax.annotate(text, xy=(0, 0), xycoords="axes fraction", xytext=(0, -4),
                textcoords="offset points", va="top", ha="left", fontsize=5.5, color="0.3",
                gid="attribution")
    return fig, ax


def _draw_hidden(ax: Axes, gdf: gpd.GeoDataFrame, hidden: np.ndarray, nodata: np.ndarray,
                 handles: list[Patch]) -> None:
    if nodata.any():
        gdf[nodata].plot(ax=ax, facecolor=NO_DATA, edgecolor="white", linewidth=0.3)
        ax.collections[-1].set_gid("no_data")
        handles.append(Patch(facecolor=NO_DATA, edgecolor="0.5", label="no data"))
    if hidden.any():
        gdf[hidden].plot(ax=ax, facecolor="white", edgecolor="0.45", hatch=HATCH,
                         linewidth=0.3)
        ax.collections[-1].set_gid("suppressed")
        handles.append(Patch(facecolor="white", edgecolor="0.45", hatch=HATCH,
                             label=SUPPRESSED_LABEL))


def colour_limits(values: np.ndarray, min_span: float | None = None) -> tuple[float, float]:
    """(vmin, vmax) of a colour scale over ``values``, at least ``min_span`` wide (widened around
    the midpoint, kept at or above 0 when every value is)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if min_span is None or not np.isfinite(min_span) or hi - lo >= min_span:
        return lo, hi
    mid = (lo + hi) / 2
    lo, hi = mid - min_span / 2, mid + min_span / 2
    if lo < 0 <= float(np.min(values)):
        lo, hi = 0.0, min_span
    return lo, hi


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    attribution: str,
    publishable: str | Sequence[bool] | None = "publishable",
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "YlOrRd",
    legend_label: str | None = None,
    figsize: tuple[float, float] = (7, 6),
    min_span: float | None = None,
    percent: bool = False,
) -> tuple[Figure, Axes]:
    """Choropleth of ``gdf[column]``; unpublishable areas hatched, never coloured.

    ``publishable`` is a boolean column name (default ``"publishable"``; pass ``None`` when every
    value may be shown) or one flag per row. ``min_span`` is the smallest range the colour scale
    may cover (e.g. the typical interval width): a narrower range of values is widened around its
    midpoint, so differences smaller than that do not show as different colours. ``percent``
    labels the colour bar in per cents (the values being proportions).
    """
    gdf = _check(gdf, attribution)
    if column not in gdf.columns:
        raise InvalidParameterError(f"column {column!r} not in the frame")
    if isinstance(publishable, str) and publishable not in gdf.columns:
        raise InvalidParameterError(f"the frame has no {publishable!r} column; pass "
                                    "publishable=None only if every value has passed the "
                                    "small-cell rule")
    pub = _publishable(gdf, publishable)
    values = pd.to_numeric(gdf[column], errors="coerce").to_numpy(float)
    shown = pub & np.isfinite(values)
    hidden = ~pub
    nodata = pub & ~np.isfinite(values)
    fig, ax = _figure(ax, figsize)
    handles: list[Patch] = []
    if shown.any():
        layer = gdf[shown].assign(_value=values[shown])  # only published values reach the plot
        vmin, vmax = colour_limits(values[shown], min_span)
        legend = {"label": legend_label or column, "shrink": 0.6}
        if percent:
            legend["format"] = PercentFormatter(1.0, decimals=None)
        layer.plot(ax=ax, column="_value", cmap=cmap, edgecolor="white", linewidth=0.3,
                   vmin=vmin, vmax=vmax, legend=True, legend_kwds=legend)
        ax.collections[-1].set_gid("values")
    _draw_hidden(ax, gdf, hidden, nodata, handles)
    return _finish(fig, ax, attribution, title, handles)


def prevalence_map(
    result: PrevalenceResult | SmallAreaResult,
    boundaries: gpd.GeoDataFrame,
    *,
    attribution: str,
    column: str = "estimate",
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "YlOrRd",
) -> tuple[Figure, Axes]:
    """Map a prevalence (direct or small-area) result on ``boundaries`` (joined on ``code``).

    The title defaults to the result's (outcome, areas, unit and period); the colour scale spans
    at least the median width of the mapped areas' intervals (see the module docstring).
    """
    if not isinstance(result, PrevalenceResult | SmallAreaResult):
        raise TypeError("result must come from estimate_prevalence or small_area_prevalence")
    table = result.to_frame()
    if column not in table.columns:
        raise InvalidParameterError(f"column {column!r} not in the result table")
    if table[column].isna().all():
        raise InvalidParameterError(f"the result has no {column!r} values to map (bounds have no "
                                    "point estimate: map 'lower' or 'upper')")
    gdf = _check(boundaries, attribution)
    if "code" not in gdf.columns:
        raise InvalidParameterError("boundaries need a 'code' column")
    merged = gdf.merge(table[[column, "publishable"]], left_on="code", right_index=True,
                       how="left")
    has_data = merged["publishable"].notna().to_numpy()
    merged["publishable"] = merged["publishable"].where(has_data, True).astype(bool)
    merged.loc[~has_data, column] = np.nan
    shown = table[table["publishable"].astype(bool) & table.index.isin(gdf["code"])]
    widths = (shown["upper"] - shown["lower"]).dropna()
    span = float(widths.median()) if len(widths) else None
    values = shown[column].dropna()
    scope = result.direct.scope if isinstance(result, SmallAreaResult) else result.scope
    unit = scope.unit_label if scope is not None else "returned migrants"
    label = f"{result.outcome.replace('_', ' ')} ({column}), per cent of {unit}"
    if span is not None and len(values) and values.max() - values.min() < span:
        label += f"\nscale widened to the median {ci_label(result.alpha)} width " \
                 f"({100 * span:.1f} percentage points):\nareas differ less than their uncertainty"
    return choropleth(merged, column, attribution=attribution, publishable="publishable", ax=ax,
                      title=title or result.title, cmap=cmap, legend_label=label, min_span=span,
                      percent=True)


LEVELS = {"province_code": "province", "district_code": "district", "commune_code": "commune"}


def area_boundaries(level: str, province: str | None = None) -> gpd.GeoDataFrame:
    """`analysis.geo.load_boundaries` at ``level``, of the whole country or of one ``province``
    (nationally, the few uncoded commune polygons stay, drawn as "no data")."""
    from analysis.geo import load_boundaries

    check_choice("level", level, LEVELS.values())
    boundaries = load_boundaries(level)  # type: ignore[arg-type]
    if province:
        inside = boundaries["code"].fillna("").str.startswith(str(province).zfill(2))
        boundaries = boundaries[inside.to_numpy()]
    return boundaries


def area_map(result: PrevalenceResult | SmallAreaResult, *, province: str | None = None,
             column: str = "estimate", title: str | None = None,
             figsize: tuple[float, float] | None = None) -> tuple[Figure, Axes]:
    """`prevalence_map` of ``result`` on the boundaries of its own level (``result.by``:
    province, district or commune codes), of the whole country or of one ``province``, with that
    layer's attribution (`analysis.geo`)."""
    from analysis.geo import attribution

    level = LEVELS.get(result.by)
    if level is None:
        raise InvalidParameterError(f"no boundaries for areas {result.by!r}; map results by "
                                    f"{', '.join(LEVELS)}")
    boundaries = area_boundaries(level, province)
    size = figsize or ((9, 7.5) if level == "commune" and not province else (7, 6))
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    return prevalence_map(result, boundaries, attribution=attribution(level),  # type: ignore[arg-type]
                          column=column, ax=ax, title=title, cmap="YlOrRd")


def hotspot_map(
    result: HotspotResult,
    *,
    attribution: str,
    statistic: str = "lisa",
    ax: Axes | None = None,
    title: str | None = None,
    hide_unpublishable: bool = True,
    figsize: tuple[float, float] = (7, 6),
) -> tuple[Figure, Axes]:
    """Map of significant clusters after FDR: LISA HH/LL/HL/LH or Gi* hot/cold spots.

    The default title names the outcome, level, unit and period; with few areas the legend
    carries the result's power note (no hotspot found is no evidence of none).
    """
    if not isinstance(result, HotspotResult):
        raise TypeError("result must come from find_hotspots")
    statistic = check_choice("statistic", statistic, ("lisa", "gi"))
    gdf = _check(result.to_geodataframe(), attribution)
    col, colours = (("lisa_cluster", LISA_COLOURS) if statistic == "lisa"
                    else ("gi_cluster", GI_COLOURS))
    labels = gdf[col].to_numpy()
    nodata = labels == "no data"
    hidden = ~gdf["publishable"].to_numpy() & ~nodata
    if not hide_unpublishable:
        hidden[:] = False
    fig, ax = _figure(ax, figsize)
    handles: list[Patch] = []
    for name, colour in colours.items():
        sel = (labels == name) & ~hidden
        if sel.any():
            gdf[sel].plot(ax=ax, facecolor=colour, edgecolor="0.6", linewidth=0.3)
            ax.collections[-1].set_gid(f"class_{name}")
            text = "not significant" if name == "ns" else name
            handles.append(Patch(facecolor=colour, edgecolor="0.6", label=text))
    _draw_hidden(ax, gdf, hidden, nodata, handles)
    default = (f"Local Moran clusters (BH q < {result.alpha})" if statistic == "lisa"
               else f"Getis-Ord Gi* hot/cold spots (BH q < {result.alpha})")
    default = f"{result.title}\n{default}"
    note = result.power_note()
    if note:
        handles.append(Patch(facecolor="none", edgecolor="none",
                             label="\n".join(textwrap.wrap(note, 60))))
    return _finish(fig, ax, attribution, title or default, handles)
