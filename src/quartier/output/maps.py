"""Interactive choropleth maps of district indicators (folium / Leaflet), offline by default.

:func:`choropleth` draws one or several indicators (switchable layers when
there are several) with a class legend; :func:`add_layer`,
:func:`add_facilities` and :func:`add_catchments` add further layers. The map
is a :class:`QuartierMap`: a ``folium.Map`` whose ``save`` and notebook
display embed Leaflet, so the page works without a network. Background tiles
only when asked for (``tiles="OpenStreetMap"``). Classes, colours and labels
are the same as on :func:`quartier.print_map`.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from typing import Literal

import folium
import geopandas as gpd
import numpy as np

from quartier._checks import require_column
from quartier.errors import ParameterError, QuartierError
from quartier.output._classes import (
    MISSING_COLOUR,
    PALETTES,
    SUPPRESSED_COLOUR,
    SUPPRESSED_EDGE,
    UNINHABITED_COLOUR,
    as_mask,
    cell_text,
    class_breaks,
    classify,
    legend_labels,
    protect,
    shown_in_percent,
)
from quartier.output._elements import (
    _Attribution,
    _controlled,
    _ensure_layer_control,
    _Legend,
    _Names,
    _Scale,
)
from quartier.output._geom import map_extent, web_geometry
from quartier.output.formatting import credit_line, display_labels
from quartier.output.offline import map_page, save_map
from quartier.reporting.disclosure_control import DisclosureRules
from quartier.settings import resolve_language

__all__ = [
    "choropleth",
    "add_layer",
    "add_facilities",
    "add_catchments",
    "QuartierMap",
    "class_breaks",
    "legend_labels",
    "PALETTES",
    "MISSING_COLOUR",
    "SUPPRESSED_COLOUR",
    "UNINHABITED_COLOUR",
]

_EDGE = "#555555"


class QuartierMap(folium.Map):
    """A ``folium.Map`` that saves and shows itself without a network.

    :func:`choropleth` returns one. ``save(path)`` writes the page with
    Leaflet embedded (as :func:`quartier.save_map` does), and the notebook
    display embeds it too, so the map draws on a PC without internet access.
    Background tiles are only there when asked for (``tiles=``); they then
    load when a network is there, the districts draw either way.

    Parameters
    ----------
    lang : {"de", "en"}, optional
        Language of the page (``<html lang="de">``); default from
        :func:`quartier.set_language`.
    **kwargs
        Passed to ``folium.Map``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> m = QuartierMap(tiles=None)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "karte.html"
    >>> m.save(out)
    >>> page = out.read_text(encoding="utf-8")
    >>> "https://cdn" in page, '<html lang="de">' in page
    (False, True)
    """

    def __init__(self, *args, lang: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lang = resolve_language(lang)

    def save(self, outfile, close_file: bool = True, **kwargs) -> None:
        """Write the map as an HTML page that needs no network (see :func:`quartier.save_map`).

        Parameters
        ----------
        outfile : str, os.PathLike or a writable text file
            Where to write the page.
        close_file : bool, default True
            Close ``outfile`` afterwards when it is a file object.
        **kwargs
            ``offline=`` and ``title=`` of :func:`quartier.save_map`.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "k.html"
        >>> QuartierMap(tiles=None).save(out)
        >>> "L.map(" in out.read_text(encoding="utf-8")
        True
        """
        if hasattr(outfile, "write"):
            outfile.write(map_page(self, offline=kwargs.get("offline"), title=kwargs.get("title")))
            if close_file:
                outfile.close()
            return
        save_map(self, outfile, **kwargs)

    def _repr_html_(self, **kwargs) -> str:
        """The notebook display: the offline page in an iframe (no network needed)."""
        page = html.escape(map_page(self))
        return (
            '<div style="width:100%;"><div style="position:relative;width:100%;height:0;'
            'padding-bottom:60%;">'
            f'<iframe srcdoc="{page}" style="position:absolute;width:100%;height:100%;left:0;'
            'top:0;border:none !important;" allowfullscreen></iframe></div></div>'
        )


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str | Sequence[str],
    *,
    kind: Literal["numeric", "categorical"] = "numeric",
    scheme: str = "quantiles",
    k: int = 5,
    bins=None,
    colours: Mapping | None = None,
    class_labels: Mapping | None = None,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
    labels: Mapping[str, str] | None = None,
    tooltip: Sequence[str] | Mapping[str, str] | None = None,
    popup: bool | Sequence[str] = True,
    name: str | Sequence[str] | None = None,
    title: str | Sequence[str] | None = None,
    decimals: int = 1,
    palette: str | None = None,
    percent: bool | Sequence[str] | None = None,
    population_col: str | None = None,
    tiles: str | None = None,
    source: str | None = None,
    licence: str | None = None,
    date: dt.date | str | None = None,
    outline: gpd.GeoDataFrame | None = None,
    show_names: bool = False,
    extent=None,
    simplify: float | None = 10.0,
    prefer_canvas: bool = True,
    m: folium.Map | None = None,
    name_col: str | None = None,
    suppressed=None,
    rates: Mapping[str, tuple[str, str]] | None = None,
) -> QuartierMap:
    """An interactive choropleth map of one or several indicators per district.

    Disclosure control (:func:`quartier.apply_disclosure`) is applied first.
    Values are classified with mapclassify; classes get colours from a
    colour-blind-safe palette, and 0 gets a class of its own. Districts
    without a value are grey ("keine Angabe"); districts whose value is
    suppressed (``suppressed=`` or disclosure control) are white with a dashed
    outline ("gesperrt (Geheimhaltung)"), and their value appears neither in
    colours, class breaks, tooltips nor popups; with ``population_col``,
    districts without inhabitants are "unbewohnt". The legend lists each
    class with its number of districts, and these entries only when present.
    Tooltips show the district name and the value, a click shows the
    district's profile; texts use display labels (``labels=``), German (or
    English) numbers and shares in per cent, HTML-escaped. Several columns
    become switchable layers (one shown at a time, each with its own legend).

    The map is a :class:`QuartierMap`: ``m.save("karte.html")``,
    :func:`quartier.save_map` and the notebook display need no network.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Districts with the indicators, in any CRS.
    column : str or list of str
        Column(s) to map; with a list, the first is shown and the others can be
        switched on in the layer control.
    kind : {"numeric", "categorical"}, default "numeric"
        ``"categorical"`` draws each value (a class such as the MSS status,
        a key such as the Bezirk) in its own colour (``colours=``). A text
        column in a numeric map is an error that says so.
    scheme : str, default "quantiles"
        ``"quantiles"``, ``"equal_interval"``, ``"natural_breaks"``,
        ``"fisher_jenks"``, ``"std_mean"`` (standard-deviation bands) or
        ``"user_defined"`` (with ``bins``).
    k : int, default 5
        Number of classes (2 or more).
    bins : list of float, optional
        Upper class bounds for ``scheme="user_defined"`` (in per cent for
        columns shown in per cent).
    colours : dict, optional
        For ``kind="categorical"``: ``{value: colour}``, in legend order,
        e.g. ``{1: "#1a9641", 2: "#a6d96a", 3: "#fdae61", 4: "#d7191c"}``.
        Default: up to 8 colour-blind-safe colours.
    class_labels : dict, optional
        For ``kind="categorical"``: ``{value: legend label}``.
    lang : {"de", "en"}, optional
        Language of legend, tooltips and page; default from
        :func:`quartier.set_language` (German).
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.
    labels : dict, optional
        Display labels ``{column: label}`` for tooltips, popups and legend
        titles. Columns of quartier's results (``share_covered``, ...) have
        labels already (see :func:`quartier.label_columns`); others show
        their name.
    tooltip : list of str or dict, optional
        Columns shown on hover (a dict also gives their labels); default
        ``name_col`` (if given) and the mapped column.
    popup : bool or list of str, default True
        Shown on click: the district's profile (``name_col``, the mapped
        columns and every column with a display label), or these columns;
        ``False`` for none.
    name : str or list of str, optional
        Layer name(s) in the layer control; default the display label.
    title : str or list of str, optional
        Legend title(s); default ``name``.
    decimals : int, default 1
        Decimals in legend and tooltips.
    palette : str, optional
        One of :data:`PALETTES`; default ``"YlGnBu"`` (``"PuOr"`` for
        ``std_mean``).
    percent : bool or list of str, optional
        Columns holding shares (0..1) shown in per cent; default quartier's
        share columns (``share_covered``, ...).
    population_col : str, optional
        Inhabitants per district: districts with 0 are drawn as "unbewohnt"
        instead of joining a class.
    tiles : str, optional
        Background tiles, e.g. ``"OpenStreetMap"`` (needs a network when the
        page is opened; the districts draw without it). Default none: a
        plain background.
    source, licence : str, optional
        Data source and licence, shown at the bottom of the map ("Quelle:
        ... · Lizenz: ...").
    date : datetime.date or str, optional
        Date of the data, shown as "Stand: ...".
    outline : geopandas.GeoDataFrame, optional
        Outlines of the next higher level drawn on top (e.g. Bezirke over
        Planungsräume).
    show_names : bool, default False
        Write the district names (``name_col``) on the map.
    extent : None, "all", geopandas.GeoDataFrame or (minx, miny, maxx, maxy), optional
        The area the map opens on. Default: every district except far
        outliers (such as Hamburg's Neuwerk, 100 km out in the North Sea),
        which stay on the map but do not shrink the city; ``"all"`` for every
        district; a GeoDataFrame or bounds in the CRS of ``gdf``.
    simplify : float or None, default 10.0
        Simplify the outlines by this many metres. Shared edges are simplified
        once, so neighbours keep meeting without gaps. None keeps every vertex.
    prefer_canvas : bool, default True
        Draw on a canvas (fast for many districts) instead of SVG.
    m : folium.Map, optional
        Add to this map instead of a new one (as by :func:`add_layer`).
    name_col : str, optional
        Column with the district names, shown first in tooltips and popups.
    suppressed : pandas.Series or pandas.DataFrame, optional
        Cells a statistics office suppressed, aligned on the index of
        ``gdf`` (by label): a boolean Series marks districts whose mapped
        value(s) are suppressed, a DataFrame marks cells per column (e.g.
        ``TableReport.suppressed`` or ``DisclosureResult.suppressed``). Merged
        with what disclosure control suppresses.
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns suppressed
        wherever one of their counts is (see :func:`quartier.apply_disclosure`).

    Returns
    -------
    QuartierMap
        A ``folium.Map``; ``save`` writes a page that needs no network.

    Raises
    ------
    quartier.errors.ColumnError
        If a column is missing.
    quartier.errors.ParameterError
        For an unknown scheme, palette or kind, ``k`` below 2, a text column
        in a numeric map, a value without a colour in ``colours``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> d = gpd.GeoDataFrame({"name": ["A", "B"], "quote": [1234.5, 7.0], "n": [3, 9]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:25832")
    >>> m = choropleth(d, "quote", k=2, labels={"quote": "Quote je 1.000"}, source="Amt")
    >>> page = m.get_root().render()
    >>> "1.234,5" in page, "Quote je 1.000" in page, "L.control.layers(" in page
    (True, True, False)
    >>> m = choropleth(d, ["quote", "n"], k=2, lang="en")
    >>> m.get_root().render().count("L.control.layers(")  # one control for both layers
    1
    """
    columns = [column] if isinstance(column, str) else list(column)
    if not columns:
        raise ParameterError("choropleth needs at least one column to map: column='...'.")
    for col in columns:
        require_column(gdf, col, source="the districts", role="column")
    lang = resolve_language(lang)
    labels = dict(labels or {})
    if isinstance(tooltip, Mapping):
        labels = {**labels, **{c: str(v) for c, v in tooltip.items()}}
        tooltip = list(tooltip)
    shown = display_labels(columns, labels, lang=lang)
    names = _per_column(name, columns, "name")
    titles = _per_column(title, columns, "title")
    web = web_geometry(gdf, simplify=simplify, what="the districts")
    if m is None:
        m = QuartierMap(tiles=None, control_scale=False, prefer_canvas=prefer_canvas, lang=lang)
        _Scale().add_to(m)
        if tiles:
            folium.TileLayer(
                tiles,
                name="Hintergrundkarte" if lang == "de" else "Background map",
                overlay=True,
                control=True,
            ).add_to(m)
            _controlled(m).append("tiles")
        minx, miny, maxx, maxy = map_extent(gdf, extent, to_web=True)
        if np.isfinite([minx, miny, maxx, maxy]).all():
            m.fit_bounds([[miny, minx], [maxy, maxx]])
    credit = credit_line(source, licence, date, lang=lang)
    if credit:
        _Attribution(credit).add_to(m)
    for col, nm, tl in zip(columns, names, titles, strict=True):
        _add_indicator(m, gdf, col, web, kind=kind, scheme=scheme, k=k, bins=bins,
                       colours=colours, class_labels=class_labels, lang=lang, rules=rules,
                       labels=labels, tooltip=tooltip, popup=popup, name=nm or shown[col],
                       title=tl or nm or shown[col], decimals=decimals, palette=palette,
                       percent=percent, population_col=population_col, name_col=name_col,
                       suppressed=suppressed, rates=rates)
    if outline is not None:
        _add_outline(m, outline, simplify=simplify)
    if show_names:
        if name_col is None:
            raise ParameterError("show_names=True needs name_col= (the column with the names).")
        _Names(gdf, name_col).add_to(m)
    return m


def add_layer(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    kind: Literal["numeric", "categorical"] = "numeric",
    scheme: str = "quantiles",
    k: int = 5,
    bins=None,
    colours: Mapping | None = None,
    class_labels: Mapping | None = None,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
    labels: Mapping[str, str] | None = None,
    tooltip: Sequence[str] | Mapping[str, str] | None = None,
    popup: bool | Sequence[str] = True,
    name: str | None = None,
    title: str | None = None,
    decimals: int = 1,
    palette: str | None = None,
    percent: bool | Sequence[str] | None = None,
    population_col: str | None = None,
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
    kind, scheme, k, bins, colours, class_labels, lang, rules, labels, tooltip, popup
        As in :func:`choropleth`.
    name, title, decimals, palette, percent, population_col, simplify
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
    >>> m = add_layer(choropleth(d, "a", k=2), d, "b", k=2, name="Indikator B")
    >>> "Indikator B" in m.get_root().render()
    True
    """
    require_column(gdf, column, source="the districts", role="column")
    lang = resolve_language(lang if lang is not None else getattr(m, "lang", None))
    labels = dict(labels or {})
    if isinstance(tooltip, Mapping):
        labels = {**labels, **{c: str(v) for c, v in tooltip.items()}}
        tooltip = list(tooltip)
    shown = display_labels([column], labels, lang=lang)[column]
    web = web_geometry(gdf, simplify=simplify, what="the districts")
    _add_indicator(m, gdf, column, web, kind=kind, scheme=scheme, k=k, bins=bins,
                   colours=colours, class_labels=class_labels, lang=lang, rules=rules,
                   labels=labels, tooltip=tooltip, popup=popup, name=name or shown,
                   title=title or name or shown, decimals=decimals, palette=palette,
                   percent=percent, population_col=population_col, name_col=name_col,
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
        raise ParameterError(
            f"{what} has {len(value)} entries for {len(columns)} columns {columns}.")
    return value


def _percent_columns(percent, frame, columns) -> set[str]:
    if percent is True:
        return set(columns)
    if percent is False:
        return set()
    if percent is not None:
        return set(percent)
    return {col for col in columns if shown_in_percent(frame, col)}


def _profile_columns(gdf, column, name_col, labels, lang) -> list[str]:
    """The columns of a district's profile: its name, the mapped column, every labelled one."""
    from quartier.access.gaps import LABELS  # display labels of quartier's own columns

    known = {**LABELS.get(lang, {}), **LABELS["de"], **labels}
    geometry = gdf.geometry.name
    cols = [c for c in (name_col, column) if c]
    cols += [c for c in gdf.columns if c in known and c != geometry]
    return list(dict.fromkeys(cols))


def _add_indicator(m, gdf, column, web, *, kind, scheme, k, bins, colours, class_labels, lang,
                   labels, tooltip, popup, name, title, decimals, palette, percent,
                   population_col, name_col, suppressed, rates, rules=None) -> None:
    if name_col is not None:
        require_column(gdf, name_col, source="the districts", role="name column (name_col)")
    if population_col is not None:
        require_column(gdf, population_col, source="the districts",
                       role="population column (population_col)")
    fields = list(dict.fromkeys(tooltip or [col for col in (name_col, column) if col]))
    if popup is True:
        details = _profile_columns(gdf, column, name_col, labels, lang)
    else:
        details = list(popup or [])
    for col in [*fields, *details]:
        require_column(gdf, col, source="the districts", role="tooltip or popup column")
    as_percent = _percent_columns(percent, gdf, [column, *fields, *details])
    c = classify(gdf, column, kind=kind, scheme=scheme, k=k, bins=bins, palette=palette,
                 colours=dict(colours) if colours else None,
                 class_labels=dict(class_labels) if class_labels else None,
                 decimals=decimals, lang=lang, suppressed=suppressed, rates=rates, rules=rules,
                 zero_class=True, percent=column in as_percent,
                 population=gdf[population_col] if population_col else None)
    # every shown column goes through disclosure control, with the mapped column's mask merged
    shown_cols = list(dict.fromkeys([*fields, *details]))
    protected, blocked = protect(gdf, shown_cols, suppressed=as_mask(gdf, suppressed, [column]),
                                 rates=rates, rules=rules)
    if column in blocked.columns:
        blocked[column] = blocked[column].to_numpy(dtype=bool) | c.suppressed[column].to_numpy(
            dtype=bool)
    protected = protected.copy()
    if column in protected.columns:
        protected[column] = protected[column].mask(blocked[column])
    texts = {col: [html.escape(t) for t in cell_text(protected, col, blocked, decimals=decimals,
                                                     lang=lang, percent=col in as_percent)]
             for col in shown_cols}
    props = {f"t{i}": texts[col] for i, col in enumerate(fields)}
    props.update({f"p{i}": texts[col] for i, col in enumerate(details)})
    props["_fill"] = c.fill
    props["_s"] = [1 if s == "suppressed" else 0 for s in c.status]
    shown = gpd.GeoDataFrame(props, geometry=list(web), crs="EPSG:4326")
    aliases = display_labels(shown_cols, labels, lang=lang)

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
            aliases=[html.escape(aliases[col]) for col in fields],
        ) if fields else None,
        popup=folium.GeoJsonPopup(
            fields=[f"p{i}" for i in range(len(details))],
            aliases=[html.escape(aliases[col]) for col in details],
        ) if details else None,
    )
    layer.add_to(m)
    layers.append(layer)
    _controlled(m).append(name)
    _Legend(html.escape(title), c.legend(), map_name=m.get_name(), layer=layer,
            visible=first, lang=lang).add_to(m)
    _ensure_layer_control(m)


def _district_style(feature):
    p = feature["properties"]
    if p["_s"]:
        return {"fillColor": p["_fill"], "color": SUPPRESSED_EDGE, "weight": 1.2,
                "dashArray": "4 3", "fillOpacity": 0.9}
    return {"fillColor": p["_fill"], "color": _EDGE, "weight": 0.6, "fillOpacity": 0.8}


def _add_outline(m, outline: gpd.GeoDataFrame, *, simplify) -> None:
    """Outlines of the next higher level, above the districts, not clickable, always shown."""
    if not isinstance(outline, gpd.GeoDataFrame):
        raise ParameterError("outline= must be a GeoDataFrame of areas (e.g. the Bezirke), not "
                             f"{type(outline).__name__}.")
    folium.map.CustomPane("quartier-outline", z_index=450, pointer_events=False).add_to(m)
    geometry = web_geometry(outline, simplify=simplify, coverage=False, what="the outline")
    data = gpd.GeoDataFrame({"_": [0] * len(outline)}, geometry=list(geometry), crs="EPSG:4326")
    folium.GeoJson(
        data.to_geo_dict(show_bbox=False),
        name="outline",
        control=False,
        style_function=lambda f: {"color": "#1a1a1a", "weight": 2.2, "fill": False,
                                  "fillOpacity": 0},
        pane="quartier-outline",
        interactive=False,
    ).add_to(m)


def _text_features(frame, columns, *, lang, decimals, geometry, rules=None) -> dict:
    """GeoJSON with only display texts (formatted, escaped, disclosure applied) as properties."""
    for col in columns:
        require_column(frame, col, source="the layer", role="column")
    protected, blocked = protect(frame, columns, rules=rules)
    as_percent = _percent_columns(None, frame, columns)
    props = {
        f"t{i}": [html.escape(t) for t in cell_text(protected, col, blocked, decimals=decimals,
                                                    lang=lang, percent=col in as_percent)]
        for i, col in enumerate(dict.fromkeys(columns))
    }
    out = gpd.GeoDataFrame(props or {"_": [0] * len(frame)}, geometry=list(geometry),
                           crs="EPSG:4326")
    return out.to_geo_dict(show_bbox=False)


def _detail(cls, columns, fields, labels=None, lang="de"):
    if not columns:
        return None
    shown = display_labels(columns, labels or {}, lang=lang)
    return cls(fields=[fields[c] for c in columns],
               aliases=[html.escape(str(shown[c])) for c in columns])
