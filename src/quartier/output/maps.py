"""Interactive choropleth maps of district indicators (folium / Leaflet).

:func:`choropleth` draws one or several indicators as switchable layers with a
class legend; :func:`add_layer`, :func:`add_facilities` and
:func:`add_catchments` add further layers. Save with :func:`quartier.save_map`
(``offline=True`` for a self-contained file). Classes, colours and labels are
the same as on :func:`quartier.print_map`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
from branca.element import MacroElement, Template

from quartier._checks import require_column
from quartier.errors import QuartierError
from quartier.output._classes import (
    MISSING_COLOUR,
    PALETTES,
    SUPPRESSED_COLOUR,
    SUPPRESSED_EDGE,
    cell_text,
    class_breaks,
    classify,
    legend_labels,
    protect,
)
from quartier.output._geom import web_geometry
from quartier.reporting.disclosure_control import DisclosureRules
from quartier.settings import resolve_language

__all__ = [
    "choropleth",
    "add_layer",
    "add_facilities",
    "add_catchments",
    "class_breaks",
    "legend_labels",
    "PALETTES",
    "MISSING_COLOUR",
    "SUPPRESSED_COLOUR",
]

_EDGE = "#555555"


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str | Sequence[str],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins=None,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
    tooltip: list[str] | None = None,
    name: str | Sequence[str] | None = None,
    title: str | Sequence[str] | None = None,
    decimals: int = 1,
    palette: str | None = None,
    tiles: str | None = "OpenStreetMap",
    simplify: float | None = 10.0,
    prefer_canvas: bool = True,
    m: folium.Map | None = None,
    name_col: str | None = None,
    suppressed=None,
    rates: Mapping[str, tuple[str, str]] | None = None,
) -> folium.Map:
    """An interactive choropleth map of one or several indicators per district.

    Disclosure control (:func:`quartier.reporting.disclosure_control.apply_disclosure`) is
    applied first. Values are classified with mapclassify; classes get
    colours from a colour-blind-safe palette. Districts without a value are
    grey ("keine Angabe"); districts whose value is suppressed (marked in
    ``suppressed=`` or suppressed by disclosure control) are white with a dashed outline ("gesperrt (Geheimhaltung)"), and their
    value appears neither in colours, class breaks nor tooltips. Tooltips show
    the district name and the values, formatted in German (or English) and
    HTML-escaped. Several columns become switchable layers (one shown at a
    time, each with its own legend) in a layer control.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Districts with the indicators, in any CRS.
    column : str or list of str
        Column(s) to map; with a list, the first is shown and the others can be
        switched on in the layer control.
    scheme : str, default "quantiles"
        ``"quantiles"``, ``"equal_interval"``, ``"natural_breaks"``,
        ``"fisher_jenks"``, ``"std_mean"`` (standard-deviation bands) or
        ``"user_defined"`` (with ``bins``).
    k : int, default 5
        Number of classes.
    bins : list of float, optional
        Upper class bounds for ``scheme="user_defined"``.
    lang : {"de", "en"}, optional
        Language of legend and tooltips; default from
        :func:`quartier.set_language` (German).
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.
    tooltip : list of str, optional
        Columns shown in the tooltip; default: ``name_col`` (if given) and
        the mapped column.
    name : str or list of str, optional
        Layer name(s) in the layer control; default the column name(s).
    title : str or list of str, optional
        Legend title(s); default ``name``.
    decimals : int, default 1
        Decimals in legend and tooltips.
    palette : str, optional
        One of :data:`PALETTES`; default ``"YlGnBu"`` (``"PuOr"`` for
        ``std_mean``).
    tiles : str or None, default "OpenStreetMap"
        Background tiles (a switchable overlay); None for a plain background.
        Offline maps (``save_map(offline=True)``) never have tiles.
    simplify : float or None, default 10.0
        Simplify the outlines by this many metres. Shared edges are simplified
        once, so neighbours keep meeting without gaps. None keeps every vertex.
    prefer_canvas : bool, default True
        Draw on a canvas (fast for many districts) instead of SVG.
    m : folium.Map, optional
        Add to this map instead of a new one (as by :func:`add_layer`).
    name_col : str, optional
        Column with the district names, shown first in the tooltips (e.g.
        the ``name=`` column given to :func:`quartier.read_districts`).
    suppressed : pandas.Series or pandas.DataFrame, optional
        Cells a statistics office suppressed, aligned on the index of
        ``gdf`` (by label, so a sorted or filtered frame still matches): a
        boolean Series marks districts whose mapped value(s) are suppressed,
        a DataFrame marks cells per column (e.g. ``TableReport.suppressed``
        or ``DisclosureResult.suppressed``). Merged with what disclosure
        control suppresses.
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns suppressed
        wherever one of their counts is (see :func:`quartier.apply_disclosure`).

    Returns
    -------
    folium.Map

    Raises
    ------
    quartier.errors.ColumnError
        If a column is missing.
    ValueError
        For an unknown scheme or palette.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> d = gpd.GeoDataFrame({"name": ["A", "B"], "quote": [1234.5, 7.0], "n": [3, 9]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:25832")
    >>> m = choropleth(d, "quote", k=2, tiles=None)
    >>> "1.234,5" in m.get_root().render()
    True
    >>> m = choropleth(d, ["quote", "n"], k=2, tiles=None, lang="en")
    >>> m.get_root().render().count("L.control.layers(")  # one control for both layers
    1
    """
    columns = [column] if isinstance(column, str) else list(column)
    if not columns:
        raise ValueError("choropleth needs at least one column to map.")
    for col in columns:
        require_column(gdf, col, source="the districts", role="column")
    names = _per_column(name, columns, "name")
    titles = _per_column(title, columns, "title")
    web = web_geometry(gdf, simplify=simplify, what="the districts")
    if m is None:
        m = folium.Map(tiles=None, control_scale=True, prefer_canvas=prefer_canvas)
        if tiles:
            folium.TileLayer(
                tiles,
                name="Hintergrundkarte" if resolve_language(lang) == "de" else "Background map",
                overlay=True,
                control=True,
            ).add_to(m)
        bounds = gpd.GeoSeries(web).total_bounds
        if np.isfinite(bounds).all():
            m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    for col, nm, tl in zip(columns, names, titles, strict=True):
        _add_indicator(m, gdf, col, web, scheme=scheme, k=k, bins=bins, lang=lang, rules=rules,
                       tooltip=tooltip, name=nm or col, title=tl or nm or col,
                       decimals=decimals, palette=palette, name_col=name_col,
                       suppressed=suppressed, rates=rates)
    return m


def add_layer(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins=None,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
    tooltip: list[str] | None = None,
    name: str | None = None,
    title: str | None = None,
    decimals: int = 1,
    palette: str | None = None,
    simplify: float | None = 10.0,
    name_col: str | None = None,
    suppressed=None,
    rates: Mapping[str, tuple[str, str]] | None = None,
) -> folium.Map:
    """Add another indicator to a choropleth map as a switchable layer.

    Indicator layers are exclusive (radio buttons in the layer control): the
    legend switches with the layer. The first indicator of a map is shown,
    later ones are hidden until chosen. Parameters as in :func:`choropleth`.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`choropleth` (or any folium map).
    gdf : geopandas.GeoDataFrame
        Districts with the indicator.
    column : str
        Column to map.
    scheme, k, bins, lang, rules, tooltip, name, title, decimals, palette, simplify
        As in :func:`choropleth`.
    name_col, suppressed, rates
        As in :func:`choropleth`.

    Returns
    -------
    folium.Map
        ``m``, for chaining.

    Raises
    ------
    quartier.errors.ColumnError
        If the column is missing.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> d = gpd.GeoDataFrame({"a": [1.0, 2.0], "b": [10.0, 20.0]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:25832")
    >>> m = add_layer(choropleth(d, "a", k=2, tiles=None), d, "b", k=2, name="Indikator B")
    >>> "Indikator B" in m.get_root().render()
    True
    """
    require_column(gdf, column, source="the districts", role="column")
    web = web_geometry(gdf, simplify=simplify, what="the districts")
    _add_indicator(m, gdf, column, web, scheme=scheme, k=k, bins=bins, lang=lang, rules=rules,
                   tooltip=tooltip, name=name or column, title=title or name or column,
                   decimals=decimals, palette=palette, name_col=name_col,
                   suppressed=suppressed, rates=rates)
    return m


def add_facilities(
    m: folium.Map,
    points: gpd.GeoDataFrame,
    *,
    name: str | None = None,
    popup: str | list[str] | None = None,
    tooltip: str | list[str] | None = None,
    colour: str = "#d95f02",
    radius: float = 5,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
    decimals: int = 1,
    show: bool = True,
) -> folium.Map:
    r"""Add facilities (points) as a toggleable overlay of circle markers.

    Circle markers are drawn by Leaflet itself, so they need no icon fonts or
    images and work in offline maps. Popup and tooltip texts are formatted
    like the choropleth tooltips and HTML-escaped; disclosure control applies.

    Parameters
    ----------
    m : folium.Map
        The map.
    points : geopandas.GeoDataFrame
        Facilities with point geometries (e.g. from :func:`quartier.read_facilities`).
    name : str, optional
        Layer name; default "Einrichtungen" ("Facilities" in English).
    popup : str or list of str, optional
        Column(s) shown when a marker is clicked.
    tooltip : str or list of str, optional
        Column(s) shown on hover; default the first popup column.
    colour : str, default "#d95f02"
        Marker colour (dark orange: stands out from the blue/green palettes).
    radius : float, default 5
        Marker radius in pixels.
    lang : {"de", "en"}, optional
        Language of texts.
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.
    decimals : int, default 1
        Decimals of numbers in popups.
    show : bool, default True
        Whether the overlay is switched on when the map opens.

    Returns
    -------
    folium.Map
        ``m``, for chaining.

    Raises
    ------
    quartier.errors.QuartierError
        If the geometries are not points.
    quartier.errors.ColumnError
        If a popup/tooltip column is missing.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[box(0, 0, 9, 9), box(9, 0, 18, 9)],
    ...     crs="EPSG:25832")
    >>> kitas = gpd.GeoDataFrame({"name": ["Kita <Sonne>"], "plaetze": [40]},
    ...     geometry=[Point(4, 4)], crs="EPSG:25832")
    >>> m = add_facilities(choropleth(d, "v", k=2, tiles=None), kitas, popup=["name", "plaetze"])
    >>> page = m.get_root().render()
    >>> "Kita <Sonne>" in page, "Kita \\u0026lt;Sonne\\u0026gt;" in page  # escaped text
    (False, True)
    """
    lang = resolve_language(lang)
    kinds = set(points.geom_type.dropna())
    if not kinds <= {"Point", "MultiPoint"}:
        raise QuartierError(
            f"add_facilities needs point geometries, but the layer has {sorted(kinds)}. "
            "Draw areas (catchments, districts) with add_catchments instead."
        )
    name = name or ("Einrichtungen" if lang == "de" else "Facilities")
    popup_cols = [popup] if isinstance(popup, str) else list(popup or [])
    tooltip_cols = [tooltip] if isinstance(tooltip, str) else list(tooltip or popup_cols[:1])
    data = _text_features(points, [*popup_cols, *tooltip_cols], lang=lang, decimals=decimals,
                          rules=rules, geometry=web_geometry(points, simplify=None, what=name))
    fields = {c: f"t{i}" for i, c in enumerate(dict.fromkeys([*popup_cols, *tooltip_cols]))}
    folium.GeoJson(
        data,
        name=html.escape(name),
        overlay=True,
        show=show,
        marker=folium.CircleMarker(radius=radius, color="#ffffff", weight=1, fill=True,
                                   fill_color=colour, fill_opacity=0.95),
        popup=_detail(folium.GeoJsonPopup, popup_cols, fields),
        tooltip=_detail(folium.GeoJsonTooltip, tooltip_cols, fields),
    ).add_to(m)
    _ensure_layer_control(m)
    return m


def add_catchments(
    m: folium.Map,
    polygons: gpd.GeoDataFrame,
    *,
    name: str | None = None,
    tooltip: str | list[str] | None = None,
    colour: str = "#7570b3",
    fill_opacity: float = 0.12,
    simplify: float | None = 5.0,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
    decimals: int = 1,
    show: bool = True,
) -> folium.Map:
    """Add catchment areas (polygons) as a toggleable overlay of outlines.

    Catchments are drawn as dashed outlines with a light fill above the
    choropleth, so the district colours stay readable.

    Parameters
    ----------
    m : folium.Map
        The map.
    polygons : geopandas.GeoDataFrame
        Catchment polygons (they may overlap).
    name : str, optional
        Layer name; default "Einzugsbereiche" ("Catchments").
    tooltip : str or list of str, optional
        Column(s) shown on hover.
    colour : str, default "#7570b3"
        Outline and fill colour.
    fill_opacity : float, default 0.12
        Opacity of the fill.
    simplify : float or None, default 5.0
        Simplify each outline by this many metres (catchments may overlap, so
        each is simplified on its own).
    lang : {"de", "en"}, optional
        Language of texts.
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.
    decimals : int, default 1
        Decimals of numbers in tooltips.
    show : bool, default True
        Whether the overlay is switched on when the map opens.

    Returns
    -------
    folium.Map
        ``m``, for chaining.

    Raises
    ------
    quartier.errors.ColumnError
        If a tooltip column is missing.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[box(0, 0, 900, 900),
    ...     box(900, 0, 1800, 900)], crs="EPSG:25832")
    >>> ring = gpd.GeoDataFrame({"einrichtung": ["Treff"]}, geometry=[Point(450, 450).buffer(300)],
    ...     crs="EPSG:25832")
    >>> m = add_catchments(choropleth(d, "v", k=2, tiles=None), ring, tooltip="einrichtung")
    >>> "Einzugsbereiche" in m.get_root().render()
    True
    """
    lang = resolve_language(lang)
    name = name or ("Einzugsbereiche" if lang == "de" else "Catchments")
    cols = [tooltip] if isinstance(tooltip, str) else list(tooltip or [])
    geometry = web_geometry(polygons, simplify=simplify, coverage=False, what=name)
    data = _text_features(polygons, cols, lang=lang, decimals=decimals, rules=rules,
                          geometry=geometry)
    fields = {c: f"t{i}" for i, c in enumerate(dict.fromkeys(cols))}
    folium.GeoJson(
        data,
        name=html.escape(name),
        overlay=True,
        show=show,
        style_function=lambda f: {"color": colour, "weight": 2, "dashArray": "6 4",
                                  "fillColor": colour, "fillOpacity": fill_opacity},
        tooltip=_detail(folium.GeoJsonTooltip, cols, fields),
    ).add_to(m)
    _ensure_layer_control(m)
    return m


# --- internals ---------------------------------------------------------------------------------


def _per_column(value, columns: list[str], what: str) -> list[str | None]:
    if value is None:
        return [None] * len(columns)
    if isinstance(value, str):
        return [value] + [None] * (len(columns) - 1)
    if isinstance(value, Mapping):
        return [value.get(c) for c in columns]
    value = list(value)
    if len(value) != len(columns):
        raise ValueError(f"{what} has {len(value)} entries for {len(columns)} columns {columns}.")
    return value


def _add_indicator(m, gdf, column, web, *, scheme, k, bins, lang, tooltip, name, title,
                   decimals, palette, name_col, suppressed, rates, rules=None) -> None:
    lang = resolve_language(lang)
    if name_col is not None:
        require_column(gdf, name_col, source="the districts", role="name column (name_col)")
    c = classify(gdf, column, scheme=scheme, k=k, bins=bins, palette=palette,
                 decimals=decimals, lang=lang, suppressed=suppressed, rates=rates, rules=rules)
    fields = list(dict.fromkeys(tooltip or [col for col in (name_col, column) if col]))
    for col in fields:
        require_column(gdf, col, source="the districts", role="tooltip column")
    props = {
        f"t{i}": [html.escape(t) for t in cell_text(c.frame, col, c.suppressed, decimals=decimals,
                                                    lang=lang)]
        for i, col in enumerate(fields)
    }
    props["_fill"] = c.fill
    props["_s"] = [1 if s == "suppressed" else 0 for s in c.status]
    shown = gpd.GeoDataFrame(props, geometry=list(web), crs="EPSG:4326")

    layers = m.__dict__.setdefault("_quartier_layers", [])
    first = not layers
    layer = folium.GeoJson(
        shown.to_geo_dict(show_bbox=False),
        name=html.escape(name),
        overlay=False,
        show=first,
        style_function=_district_style,
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[f"t{i}" for i in range(len(fields))],
            aliases=[html.escape(str(col)) for col in fields],
        ) if fields else None,
    )
    layer.add_to(m)
    layers.append(layer)
    _Legend(html.escape(title), c.legend(), layer=layer, visible=first).add_to(m)
    _ensure_layer_control(m)


def _district_style(feature):
    p = feature["properties"]
    if p["_s"]:
        return {"fillColor": p["_fill"], "color": SUPPRESSED_EDGE, "weight": 1.2,
                "dashArray": "4 3", "fillOpacity": 0.9}
    return {"fillColor": p["_fill"], "color": _EDGE, "weight": 0.6, "fillOpacity": 0.8}


def _text_features(frame, columns, *, lang, decimals, geometry, rules=None) -> dict:
    """GeoJSON with only display texts (formatted, escaped, disclosure applied) as properties."""
    for col in columns:
        require_column(frame, col, source="the layer", role="column")
    protected, blocked = protect(frame, columns, rules=rules)
    props = {
        f"t{i}": [html.escape(t) for t in cell_text(protected, col, blocked, decimals=decimals,
                                                    lang=lang)]
        for i, col in enumerate(dict.fromkeys(columns))
    }
    out = gpd.GeoDataFrame(props or {"_": [0] * len(frame)}, geometry=list(geometry),
                           crs="EPSG:4326")
    return out.to_geo_dict(show_bbox=False)


def _detail(cls, columns, fields):
    if not columns:
        return None
    return cls(fields=[fields[c] for c in columns], aliases=[html.escape(str(c)) for c in columns])


def _ensure_layer_control(m: folium.Map) -> None:
    """Keep exactly one layer control, rendered after every layer it lists."""
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[key]
    folium.LayerControl(collapsed=False).add_to(m)


class _Legend(MacroElement):
    """The class legend of one indicator layer, shown while that layer is shown."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="quartier-legend" id="{{ this.get_name() }}" style="position: fixed;
             bottom: 24px; right: 12px; z-index: 1000; background: white; padding: 8px 10px;
             border: 1px solid #999; font: 12px/1.4 Arial, Helvetica, sans-serif; max-width: 260px;
             display: {{ 'block' if this.visible else 'none' }};">
          <div style="font-weight: bold; margin-bottom: 4px;">{{ this.title }}</div>
          {% for colour, label, kind in this.entries %}
          <div class="quartier-legend-entry"><span style="display: inline-block; width: 14px;
               height: 12px; background: {{ colour }}; margin-right: 6px; vertical-align: middle;
               border: 1px {{ 'dashed' if kind == 'suppressed' else 'solid' }}
               {{ '#525252' if kind == 'suppressed' else '#777' }};"></span>{{ label }}</div>
          {% endfor %}
        </div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {% if this.layer_name %}
        {{ this.map_name }}.on("baselayerchange", function (e) {
            document.getElementById({{ this.get_name()|tojson }}).style.display =
                e.layer === {{ this.layer_name }} ? "block" : "none";
        });
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries, *, layer=None, visible: bool = True):
        super().__init__()
        self._name = "QuartierLegend"
        self.title = title
        self.entries = [(c, html.escape(label), kind) for c, label, kind in entries]
        self.layer = layer
        self.visible = visible

    def render(self, **kwargs):
        self.map_name = self._parent.get_name()
        self.layer_name = self.layer.get_name() if self.layer is not None else None
        super().render(**kwargs)

