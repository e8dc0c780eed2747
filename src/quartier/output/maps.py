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
from quartier.errors import ParameterError
from quartier.output._classes import (
    MISSING_COLOUR,
    PALETTES,
    SUPPRESSED_COLOUR,
    UNINHABITED_COLOUR,
    class_breaks,
    legend_labels,
)
from quartier.output._elements import (
    _Attribution,
    _controlled,
    _Names,
    _Scale,
)
from quartier.output._geom import map_extent, web_geometry
from quartier.output._maplayers import (
    _add_indicator,
    _add_outline,
    _per_column,
)
from quartier.output.formatting import credit_line, display_labels
from quartier.output.offline import map_page, save_map
from quartier.output.overlays import add_catchments, add_facilities  # noqa: F401 (old path)
from quartier.reporting.disclosure_control import DisclosureRules
from quartier.settings import resolve_language

__all__ = [
    "choropleth",
    "add_layer",
    "QuartierMap",
    "class_breaks",
    "legend_labels",
    "PALETTES",
    "MISSING_COLOUR",
    "SUPPRESSED_COLOUR",
    "UNINHABITED_COLOUR",
]


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


# --- internals ---------------------------------------------------------------------------------


