"""Interactive choropleth maps of district indicators (folium / Leaflet)."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from branca.element import MacroElement, Template

from ._checks import require_column
from .crs import WEB_CRS
from .numbers import format_number
from .settings import get_language

__all__ = ["choropleth", "class_breaks", "legend_labels", "PALETTES"]

#: Colour-blind-safe sequential palettes (ColorBrewer), light to dark, by number of classes.
PALETTES = {
    "YlGnBu": ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
    "PuRd": ["#f1eef6", "#d4b9da", "#c994c7", "#df65b0", "#e7298a", "#ce1256", "#91003f"],
    "Oranges": ["#feedde", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#8c2d04"],
}
MISSING_COLOUR = "#bdbdbd"
_SCHEMES = {
    "quantiles": "Quantiles",
    "equal_interval": "EqualInterval",
    "natural_breaks": "NaturalBreaks",
    "fisher_jenks": "FisherJenks",
    "std_mean": "StdMean",
}


def class_breaks(values, *, scheme: str = "quantiles", k: int = 5, bins=None) -> list[float]:
    """Upper bounds of the classes of ``values`` (missing values ignored).

    Parameters
    ----------
    values : array-like
        Indicator values.
    scheme : {"quantiles", "equal_interval", "natural_breaks", "fisher_jenks", "std_mean", "user_defined"}
    k : int, default 5
        Number of classes (not used for ``user_defined`` and ``std_mean``).
    bins : list of float, optional
        Upper bounds for ``scheme="user_defined"``.

    Returns
    -------
    list of float
        Upper bounds, ascending; the last is the maximum.

    Examples
    --------
    >>> class_breaks([1, 2, 3, 4], scheme="equal_interval", k=3)
    [2.0, 3.0, 4.0]
    """
    data = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    if data.size == 0:
        return []
    if scheme == "user_defined":
        if not bins:
            raise ValueError("scheme='user_defined' needs bins=[upper bounds].")
        edges = sorted(float(b) for b in bins)
        if edges[-1] < data.max():
            edges.append(float(data.max()))
        return edges
    if scheme not in _SCHEMES:
        raise ValueError(
            f"unknown scheme {scheme!r}; use one of {sorted([*_SCHEMES, 'user_defined'])}."
        )
    k = min(k, len(np.unique(data)))
    if scheme == "std_mean":
        classifier = mapclassify.StdMean(data)
    else:
        classifier = getattr(mapclassify, _SCHEMES[scheme])(data, k=k)
    return [float(b) for b in np.unique(classifier.bins)]


def legend_labels(breaks: list[float], *, decimals: int = 1, lang: str | None = None) -> list[str]:
    """Class labels as planners write them: "bis unter 10,0", "10,0 bis unter 20,0", ...

    Parameters
    ----------
    breaks : list of float
        Upper bounds from :func:`class_breaks`.
    decimals : int, default 1
    lang : {"de", "en"}, optional

    Returns
    -------
    list of str

    Examples
    --------
    >>> legend_labels([10, 1234.5], lang="de")
    ['bis unter 10,0', '10,0 bis 1.234,5']
    >>> legend_labels([10, 1234.5], lang="en")
    ['under 10.0', '10.0 to 1,234.5']
    """
    lang = lang or get_language()
    fmt = lambda v: format_number(v, decimals, lang=lang)  # noqa: E731
    labels = []
    for i, upper in enumerate(breaks):
        last = i == len(breaks) - 1
        if i == 0 and not last:
            labels.append(f"bis unter {fmt(upper)}" if lang == "de" else f"under {fmt(upper)}")
            continue
        lower = breaks[i - 1] if i else upper
        if last:
            labels.append(f"{fmt(lower)} bis {fmt(upper)}" if lang == "de" else f"{fmt(lower)} to {fmt(upper)}")
        else:
            labels.append(
                f"{fmt(lower)} bis unter {fmt(upper)}" if lang == "de" else f"{fmt(lower)} to under {fmt(upper)}"
            )
    return labels


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins=None,
    lang: str | None = None,
    tooltip: list[str] | None = None,
    name: str | None = None,
    title: str | None = None,
    decimals: int = 1,
    palette: str = "YlGnBu",
    tiles: str | None = "OpenStreetMap",
    m: folium.Map | None = None,
) -> folium.Map:
    """An interactive choropleth map of one indicator per district.

    Values are classified with mapclassify; classes get colours from a
    colour-blind-safe palette; districts without a value are grey and named
    as such in the legend. Tooltips show the district name and the values,
    formatted in German (or English) and HTML-escaped.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Districts with the indicator.
    column : str
        Column to map.
    scheme : str, default "quantiles"
        ``"quantiles"``, ``"equal_interval"``, ``"natural_breaks"``,
        ``"fisher_jenks"``, ``"std_mean"`` or ``"user_defined"`` (with ``bins``).
    k : int, default 5
        Number of classes.
    bins : list of float, optional
        Upper class bounds for ``scheme="user_defined"``.
    lang : {"de", "en"}, optional
        Language of legend and tooltips; default German.
    tooltip : list of str, optional
        Columns shown in the tooltip; default: the district name (from
        ``read_districts(name=...)``) and ``column``.
    name : str, optional
        Layer name in the layer control; default ``column``.
    title : str, optional
        Legend title; default ``name``.
    decimals : int, default 1
        Decimals in legend and tooltips.
    palette : str, default "YlGnBu"
        One of :data:`PALETTES`.
    tiles : str or None, default "OpenStreetMap"
        Background tiles; None for a plain background.
    m : folium.Map, optional
        Add to this map instead of a new one.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> d = gpd.GeoDataFrame({"name": ["A", "B"], "quote": [1234.5, 7.0]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:25832")
    >>> m = choropleth(d, "quote", k=2, tiles=None)
    >>> "1.234,5" in m.get_root().render()
    True
    """
    require_column(gdf, column, source="the districts", role="column")
    lang = lang or get_language()
    name = name or column
    title = title or name
    values = pd.to_numeric(gdf[column], errors="coerce")
    breaks = class_breaks(values, scheme=scheme, k=k, bins=bins)
    colours = _colours(palette, len(breaks))
    labels = legend_labels(breaks, decimals=decimals, lang=lang)

    web = gdf.to_crs(WEB_CRS)
    classes = np.searchsorted(np.asarray(breaks), values.to_numpy(dtype=float), side="left")
    # searchsorted puts a value equal to an upper bound into that class: "bis unter" means
    # the bound belongs to the next class, except for the last class which includes the max
    if breaks:
        upper = np.asarray(breaks)[np.minimum(classes, len(breaks) - 1)]
        on_bound = (values.to_numpy(dtype=float) == upper) & (classes < len(breaks) - 1)
        classes = classes + on_bound
    fill = [
        MISSING_COLOUR if np.isnan(v) else colours[min(int(c), len(colours) - 1)]
        for v, c in zip(values.to_numpy(dtype=float), classes, strict=True)
    ]
    name_col = gdf.attrs.get("quartier_name")
    fields = tooltip or [c for c in (name_col, column) if c]
    shown = gpd.GeoDataFrame(
        {f"t{i}": _tooltip_text(gdf[c], decimals, lang) for i, c in enumerate(fields)},
        geometry=web.geometry.values,
        crs=WEB_CRS,
    )
    shown["_fill"] = fill

    if m is None:
        bounds = web.total_bounds
        m = folium.Map(tiles=tiles, control_scale=True, prefer_canvas=True)
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    folium.GeoJson(
        shown.__geo_interface__,
        name=html.escape(name),
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": "#555555",
            "weight": 0.6,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda f: {"weight": 2, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[f"t{i}" for i in range(len(fields))],
            aliases=[html.escape(str(c)) for c in fields],
        ),
    ).add_to(m)
    missing_label = "keine Angabe" if lang == "de" else "no data"
    entries = list(zip(colours, labels, strict=False))
    if values.isna().any():
        entries.append((MISSING_COLOUR, missing_label))
    _Legend(html.escape(title), entries).add_to(m)
    return m


def _colours(palette: str, n: int) -> list[str]:
    if palette not in PALETTES:
        raise ValueError(f"unknown palette {palette!r}; use one of {sorted(PALETTES)}.")
    full = PALETTES[palette]
    if n <= 0:
        return []
    if n >= len(full):
        return full[:n] if n <= len(full) else full + [full[-1]] * (n - len(full))
    picks = np.linspace(0, len(full) - 1, n).round().astype(int)
    return [full[i] for i in picks]


def _tooltip_text(series: pd.Series, decimals: int, lang: str) -> list[str]:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        integral = series.dropna().apply(lambda v: float(v).is_integer()).all()
        return [format_number(v, 0 if integral else decimals, lang=lang) for v in series]
    return [html.escape("" if pd.isna(v) else str(v)) for v in series]


class _Legend(MacroElement):
    """A class legend drawn as a box in the lower right corner."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="quartier-legend" style="position: fixed; bottom: 24px; right: 12px;
             z-index: 9999; background: white; padding: 8px 10px; border: 1px solid #999;
             font: 12px/1.4 Arial, sans-serif; max-width: 260px;">
          <div style="font-weight: bold; margin-bottom: 4px;">{{ this.title }}</div>
          {% for colour, label in this.entries %}
          <div><span style="display: inline-block; width: 14px; height: 12px;
               background: {{ colour }}; border: 1px solid #777; margin-right: 6px;
               vertical-align: middle;"></span>{{ label }}</div>
          {% endfor %}
        </div>
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries: list[tuple[str, str]]):
        super().__init__()
        self._name = "QuartierLegend"
        self.title = title
        self.entries = [(c, html.escape(label)) for c, label in entries]
