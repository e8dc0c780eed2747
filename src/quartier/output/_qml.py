"""QGIS layer styles (QML) for layers written to GeoPackage, so they open classified and coloured."""

from __future__ import annotations

import datetime as dt
import sqlite3
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier.output._classes import MISSING_COLOUR, PALETTES, class_breaks, colours, legend_labels

_KEYISH = ("id", "key", "nr", "schluessel", "schlüssel")


def style_column(gdf: gpd.GeoDataFrame, wanted: str | None) -> str | None:
    """The column to classify: the one asked for (``styles=``), else the last float column."""
    if wanted:
        return wanted if wanted in gdf.columns else None
    for column in reversed(list(gdf.columns)):  # analyses append their results last
        if column == gdf.geometry.name or str(column).lower().endswith(_KEYISH):
            continue
        series = gdf[column]
        if pd.api.types.is_float_dtype(series) and series.notna().any():
            return column
    return None


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _symbol(kind: str, name: str, colour: str) -> str:
    if kind == "fill":
        props = {"color": _rgb(colour), "outline_color": "85,85,85,255", "outline_width": "0.26",
                 "style": "solid", "outline_style": "solid"}
        cls = "SimpleFill"
    elif kind == "marker":
        props = {"color": _rgb(colour), "outline_color": "35,35,35,255", "size": "2.6",
                 "name": "circle", "outline_width": "0.2"}
        cls = "SimpleMarker"
    else:
        props = {"line_color": _rgb(colour), "line_width": "0.5", "line_style": "solid"}
        cls = "SimpleLine"
    options = "".join(
        f'<Option name={quoteattr(k)} value={quoteattr(v)} type="QString"/>' for k, v in props.items()
    )
    legacy = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())
    return (
        f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{cls}" enabled="1" locked="0" pass="0"><Option type="Map">{options}</Option>'
        f"{legacy}</layer></symbol>"
    )


def qml_for(gdf: gpd.GeoDataFrame, column: str | None, *, scheme="quantiles", k=5,
            palette="YlGnBu", lang="de") -> tuple[str, str]:
    """(QML text, description) for a layer: graduated on ``column``, else a single symbol."""
    geom = gdf.geom_type.dropna()
    kind = "fill" if geom.str.contains("Polygon").any() else (
        "line" if geom.str.contains("Line").any() else "marker")
    head = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.28.0\" styleCategories=\"Symbology\">"
    values = pd.to_numeric(gdf[column], errors="coerce") if column else pd.Series(dtype=float)
    breaks = class_breaks(values, scheme=scheme, k=k) if column and values.notna().any() else []
    if not breaks:
        body = (f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
                f"<symbols>{_symbol(kind, '0', PALETTES[palette][3])}</symbols></renderer-v2>")
        return f"{head}{body}</qgis>", "quartier: single symbol"
    fills = colours(palette, len(breaks))
    labels = legend_labels(breaks, lang=lang)
    lows = [float(np.nanmin(values))] + breaks[:-1]
    ranges, symbols = [], []
    for i, (low, high, label, colour) in enumerate(zip(lows, breaks, labels, fills, strict=True)):
        ranges.append(f'<range lower="{low!r}" upper="{high!r}" symbol="{i}" '
                      f"label={quoteattr(label)} render=\"true\"/>")
        symbols.append(_symbol(kind, str(i), colour))
    body = (
        f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(str(column))} '
        'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<ranges>{''.join(ranges)}</ranges><symbols>{''.join(symbols)}</symbols>"
        f'<source-symbol>{_symbol(kind, "0", MISSING_COLOUR)}</source-symbol></renderer-v2>'
    )
    return f"{head}{body}</qgis>", f"quartier: {scheme}, {len(breaks)} classes of {column}"


def write_styles(path: str, styles: dict[str, tuple[str, str, str]]) -> None:
    """Store styles in the GeoPackage's ``layer_styles`` table, as QGIS does (default style)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(path) as con:
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
        for layer, (geom_col, qml, description) in styles.items():
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'quartier', '', ?)",
                (layer, geom_col, layer, qml, description, now),
            )
