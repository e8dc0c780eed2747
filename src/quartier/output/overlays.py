"""Facilities and catchments on an interactive map.

:func:`add_facilities` marks facilities (clustered, with popups), :func:`add_catchments`
draws catchment polygons (e.g. from :func:`quartier.isochrones`). Both are also importable
from :mod:`quartier.output.maps`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Literal

import folium
import geopandas as gpd

from quartier.errors import QuartierError
from quartier.output._elements import (
    _controlled,
    _ensure_layer_control,
)
from quartier.output._geom import web_geometry
from quartier.output._maplayers import (
    _detail,
    _text_features,
)
from quartier.reporting.disclosure_control import DisclosureRules
from quartier.settings import resolve_language

__all__ = ["add_facilities", "add_catchments"]


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
    labels: Mapping[str, str] | None = None,
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
    labels : dict, optional
        Display labels ``{column: label}`` for popups and tooltips.

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
    >>> from quartier.output.maps import choropleth
    >>> from shapely import Point, box
    >>> d = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[box(0, 0, 9, 9), box(9, 0, 18, 9)],
    ...     crs="EPSG:25832")
    >>> kitas = gpd.GeoDataFrame({"name": ["Kita <Sonne>"], "plaetze": [40]},
    ...     geometry=[Point(4, 4)], crs="EPSG:25832")
    >>> m = add_facilities(choropleth(d, "v", k=2), kitas, popup=["name", "plaetze"],
    ...                    labels={"plaetze": "Plätze"})
    >>> page = m.get_root().render()
    >>> "Kita <Sonne>" in page, "Kita \\u0026lt;Sonne\\u0026gt;" in page  # escaped text
    (False, True)
    """
    lang = resolve_language(lang if lang is not None else getattr(m, "lang", None))
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
        popup=_detail(folium.GeoJsonPopup, popup_cols, fields, labels, lang),
        tooltip=_detail(folium.GeoJsonTooltip, tooltip_cols, fields, labels, lang),
    ).add_to(m)
    _controlled(m).append(name)
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
    labels: Mapping[str, str] | None = None,
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
    labels : dict, optional
        Display labels ``{column: label}`` for popups and tooltips.

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
    >>> from quartier.output.maps import choropleth
    >>> from shapely import Point, box
    >>> d = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[box(0, 0, 900, 900),
    ...     box(900, 0, 1800, 900)], crs="EPSG:25832")
    >>> ring = gpd.GeoDataFrame({"einrichtung": ["Treff"]}, geometry=[Point(450, 450).buffer(300)],
    ...     crs="EPSG:25832")
    >>> m = add_catchments(choropleth(d, "v", k=2), ring, tooltip="einrichtung")
    >>> "Einzugsbereiche" in m.get_root().render()
    True
    """
    lang = resolve_language(lang if lang is not None else getattr(m, "lang", None))
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
        tooltip=_detail(folium.GeoJsonTooltip, cols, fields, labels, lang),
    ).add_to(m)
    _controlled(m).append(name)
    _ensure_layer_control(m)
    return m
