"""QGIS layer styles (QML) for exported layers, so they open classified and coloured in QGIS.

One style per layer, stored in a GeoPackage's ``layer_styles`` table or written as a ``.qml``
beside a single-layer file (QGIS loads either as the layer's default style).

Classified layers get a **rule-based renderer** whose filters implement the class rule of the
web map and the print map (:func:`quartier.output._classes.classify`): ``lower <= v < upper``,
the last class includes the maximum. A graduated renderer would use QGIS's own rule (upper bound
included) and draw nothing outside its ranges; the rules here also draw districts without a
value ("keine Angabe", grey) and suppressed ones ("gesperrt", hatched), each with a legend entry
only when such districts exist.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier.output._classes import (
    MISSING_COLOUR,
    PALETTES,
    SUPPRESSED_COLOUR,
    SUPPRESSED_EDGE,
    classify,
    missing_label,
    shown_in_percent,
    suppressed_label,
)

#: Suffix of the 0/1 column that marks suppressed cells of a layer's styled column.
SUPPRESSED_SUFFIX = "_suppressed"

# columns never classified: keys and ids, coordinates (a map coloured by northing says nothing)
_KEYISH = re.compile(r"(^|_)(id|key|nummer|fid|ogc_fid|gid|objectid)$|nr$"
                     r"|^(id|key|nr)_|_id_|schluessel|schlüssel")
_COORDS = re.compile(r"(^|_)(x|y|z|lon|lng|long|lat|latitude|longitude|easting|northing|"
                     r"rechtswert|hochwert|xwert|ywert|xcoord|ycoord|x_coord|y_coord|"
                     r"koordinate_x|koordinate_y)$|^(x|y)_|wert_?[xy]$|^gc_")
# the places of facilities (read_facilities(capacity=...)): what a point layer is classified on
_CAPACITY = re.compile(r"(capacity|kapazit|places|plaetze|plätze|platzzahl|betten|beds)",
                       re.IGNORECASE)


def _never_styled(column: str) -> bool:
    name = str(column).lower()
    return bool(_KEYISH.search(name) or _COORDS.search(name)) or name.endswith(SUPPRESSED_SUFFIX)


def _numeric(series: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
            and series.notna().any())


def geometry_kind(gdf: gpd.GeoDataFrame) -> str:
    """"fill", "line" or "marker": the QGIS symbol type of the layer's geometries."""
    geom = gdf.geom_type.dropna()
    if geom.str.contains("Polygon").any():
        return "fill"
    return "line" if geom.str.contains("Line").any() else "marker"


def style_column(gdf: gpd.GeoDataFrame, wanted: str | None) -> str | None:
    """The column to classify, or None for one symbol.

    The one asked for (``styles=``); else, for points, a capacity column (places, Plätze,
    platzzahl, ...); else, for areas and lines, the last float column. Keys, ids and coordinates
    are never chosen.
    """
    if wanted:
        return wanted if wanted in gdf.columns else None
    candidates = [c for c in gdf.columns if c != gdf.geometry.name and not _never_styled(c)]
    if geometry_kind(gdf) == "marker":
        for column in candidates:
            if _CAPACITY.search(str(column)) and _numeric(gdf[column]):
                return column
        return None
    for column in reversed(candidates):  # analyses append their results last
        if pd.api.types.is_float_dtype(gdf[column]) and gdf[column].notna().any():
            return column
    return None


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _layer(cls: str, props: dict[str, str]) -> str:
    options = "".join(
        f'<Option name={quoteattr(k)} value={quoteattr(v)} type="QString"/>' for k, v in props.items()
    )
    legacy = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())
    return (f'<layer class="{cls}" enabled="1" locked="0" pass="0"><Option type="Map">{options}'
            f"</Option>{legacy}</layer>")


def _symbol(kind: str, name: str, colour: str, *, hatched: bool = False) -> str:
    """A QGIS symbol; ``hatched`` draws the "gesperrt" look (hatched area, open marker, dashes)."""
    if kind == "fill":
        layers = [_layer("SimpleFill", {
            "color": _rgb(colour), "outline_color": _rgb(SUPPRESSED_EDGE if hatched else "#555555"),
            "outline_width": "0.26", "outline_width_unit": "MM", "style": "solid",
            "outline_style": "dash" if hatched else "solid"})]
        if hatched:
            layers.append(_layer("SimpleFill", {
                "color": _rgb(SUPPRESSED_EDGE), "outline_color": "0,0,0,0", "outline_width": "0",
                "style": "b_diagonal", "outline_style": "no"}))
    elif kind == "marker":
        layers = [_layer("SimpleMarker", {
            "color": _rgb(colour), "outline_color": _rgb(SUPPRESSED_EDGE if hatched else "#232323"),
            "size": "2.6", "size_unit": "MM", "name": "circle", "outline_width": "0.4" if hatched
            else "0.2", "outline_style": "solid"})]
        if hatched:
            layers.append(_layer("SimpleMarker", {
                "color": _rgb(SUPPRESSED_EDGE), "outline_color": _rgb(SUPPRESSED_EDGE),
                "size": "2.2", "size_unit": "MM", "name": "cross2", "outline_width": "0.2",
                "outline_style": "solid"}))
    else:
        layers = [_layer("SimpleLine", {
            "line_color": _rgb(SUPPRESSED_EDGE if hatched else colour), "line_width": "0.5",
            "line_width_unit": "MM", "line_style": "dash" if hatched else "solid"})]
    return (f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
            f'force_rhr="0">{"".join(layers)}</symbol>')


def _field(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _number(value: float) -> str:
    """A class bound as a QGIS expression literal: the shortest text that reads back the same."""
    text = repr(float(value))
    return text if "e" not in text else f"{float(value):.17f}".rstrip("0").rstrip(".")


def class_filters(field: str, breaks: list[float], *, zero: bool = False,
                  scale: float = 1.0) -> list[str]:
    """QGIS filter expressions, one per class, for the rule of :func:`classify`.

    ``lower <= v < upper``; the first class has no lower bound and the last no upper bound
    (it includes the maximum), exactly as ``classify`` assigns rows. With ``zero`` (the web
    and print maps' own class for 0), the first filter is ``v = 0`` and the classes above
    start above 0. ``scale`` is the factor the classes were computed on (100 for shares
    shown in per cent): the filter multiplies the field as ``classify`` multiplies the values,
    so a value on a bound lands in the same class in QGIS and on the web map.

    Examples
    --------
    >>> class_filters("v", [10.0, 20.0, 55.0])
    ['"v" < 10.0', '"v" >= 10.0 AND "v" < 20.0', '"v" >= 20.0']
    >>> class_filters("s", [50.0, 100.0], zero=True, scale=100)
    ['("s" * 100) = 0', '("s" * 100) > 0 AND ("s" * 100) < 50.0', '("s" * 100) >= 50.0']
    """
    f = _field(field)
    if scale != 1:
        f = f"({f} * {_number(scale).removesuffix('.0')})"
    out = [f"{f} = 0"] if zero else []
    positive = f"{f} > 0 AND " if zero else ""
    if len(breaks) == 1:
        return out + [f"{f} > 0" if zero else f"{f} IS NOT NULL"]
    for i in range(len(breaks)):
        if i == 0:
            out.append(f"{positive}{f} < {_number(breaks[0])}")
        elif i == len(breaks) - 1:
            out.append(f"{f} >= {_number(breaks[i - 1])}")
        else:
            out.append(f"{f} >= {_number(breaks[i - 1])} AND {f} < {_number(breaks[i])}")
    return out


@dataclass(frozen=True)
class LayerStyle:
    """A layer's QGIS style: the QML text and a one-line description."""

    qml: str
    description: str


_HEAD = ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
         '<qgis version="3.22.0" styleCategories="Symbology">')


def _rule(key: str, label: str, symbol: int, filter_: str) -> str:
    return (f"<rule key={quoteattr(key)} label={quoteattr(label)} symbol=\"{symbol}\" "
            f"filter={quoteattr(filter_)}/>")


def layer_style(gdf: gpd.GeoDataFrame, column: str | None, *, suppressed: pd.Series | None = None,
                fields: dict[str, str] | None = None, scheme: str = "quantiles", k: int = 5,
                palette: str = "YlGnBu", lang: str = "de",
                heading: str | None = None) -> LayerStyle:
    """The QGIS style of a layer: rule-based classes of ``column``, else one symbol.

    ``heading``: a legend line above the classes (e.g. how reach was measured: "ÖPNV,
    Dienstag 7:00–9:00 Uhr, Median, 30 min"), a parent rule without symbol or filter.

    ``suppressed`` (bool, aligned on the rows) marks suppressed cells of ``column``; the layer
    must then have the 0/1 column ``column + SUPPRESSED_SUFFIX``. ``fields`` maps column names to
    the field names in the file (Shapefile names are cut to 10 characters).
    """
    kind = geometry_kind(gdf)
    fields = fields or {}
    if column is None:
        body = (f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
                f'forceraster="0"><symbols>{_symbol(kind, "0", PALETTES[palette][3])}</symbols>'
                "</renderer-v2>")
        return LayerStyle(f"{_HEAD}{body}</qgis>", "quartier: one symbol")
    mask = (suppressed.reindex(gdf.index, fill_value=False).astype(bool) if suppressed is not None
            else pd.Series(False, index=gdf.index))
    percent = shown_in_percent(gdf, column)  # the web and print maps' rule
    classified = classify(pd.DataFrame({column: gdf[column]}, index=gdf.index), column,
                          scheme=scheme, k=k, palette=palette, lang=lang,
                          suppressed=mask, rules=False, zero_class=True, percent=percent)
    zero = len(classified.labels) == len(classified.breaks) + 1
    field = fields.get(column, column)
    flag = fields.get(f"{column}{SUPPRESSED_SUFFIX}", f"{column}{SUPPRESSED_SUFFIX}")
    rules, symbols = [], []
    filters = class_filters(field, classified.breaks, zero=zero, scale=100 if percent else 1)
    for i, (filter_, label, colour) in enumerate(zip(
            filters, classified.labels, classified.colours, strict=True)):
        rules.append(_rule(f"class-{i}", label, i, filter_))
        symbols.append(_symbol(kind, str(i), colour))
    status = classified.status
    has_flag = bool(np.any(status == "suppressed"))
    if has_flag:
        n = len(symbols)
        rules.append(_rule("suppressed", suppressed_label(lang), n, f"{_field(flag)} = 1"))
        symbols.append(_symbol(kind, str(n), SUPPRESSED_COLOUR, hatched=True))
    if np.any(status == "missing"):
        n = len(symbols)
        missing = f"{_field(field)} IS NULL"
        if has_flag:
            missing += f" AND coalesce({_field(flag)}, 0) <> 1"
        rules.append(_rule("missing", missing_label(lang), n, missing))
        symbols.append(_symbol(kind, str(n), MISSING_COLOUR))
    inner = "".join(rules)
    if heading:  # a parent rule: its label heads the classes in the legend, it draws nothing
        inner = f'<rule key="heading" label={quoteattr(heading)}>{inner}</rule>'
    body = (
        '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
        f'<rules key="root">{inner}</rules><symbols>{"".join(symbols)}</symbols>'
        "</renderer-v2>"
    )
    description = (f"quartier: {scheme}, {len(classified.breaks)} classes of {column} "
                   "(lower bound included, upper bound excluded; the last class includes the "
                   "maximum)")
    return LayerStyle(f"{_HEAD}{body}</qgis>", description)


def write_styles(path: str, styles: dict[str, LayerStyle]) -> None:
    """Store styles in the GeoPackage's ``layer_styles`` table as the layers' default styles.

    The geometry column is the one the file has (``gpkg_geometry_columns``): QGIS finds a stored
    style only by table and geometry column.
    """
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(path) as con:
        geom_cols = dict(con.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        con.execute(
            """CREATE TABLE IF NOT EXISTS layer_styles (
                id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
                f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
                styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
                description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)"""
        )
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', ?)", (now,)
        )
        for layer, style in styles.items():
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'quartier', '', ?)",
                (layer, geom_cols.get(layer, "geom"), layer, style.qml, style.description, now),
            )


def metadata_qmd(title: str, abstract: str, *, identifier: str, lang: str = "de") -> str:
    """QGIS layer metadata (a ``.qmd`` file): QGIS loads ``<name>.qmd`` beside a file as the
    layer's title and abstract when it adds the layer (Layer Properties > Information)."""
    from xml.sax.saxutils import escape

    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            '<qgis version="3.22.0">\n'
            f"  <identifier>{escape(identifier)}</identifier>\n"
            "  <parentidentifier></parentidentifier>\n"
            f"  <language>{escape(lang)}</language>\n"
            "  <type>dataset</type>\n"
            f"  <title>{escape(title)}</title>\n"
            f"  <abstract>{escape(abstract)}</abstract>\n"
            "</qgis>\n")
