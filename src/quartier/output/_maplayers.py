"""Private helpers of :mod:`quartier.output.maps`: indicator layers, outlines, tooltips."""

from __future__ import annotations

import html
from collections.abc import Mapping

import folium
import geopandas as gpd

from quartier._checks import require_column
from quartier.errors import ParameterError
from quartier.output._classes import (
    SUPPRESSED_EDGE,
    as_mask,
    cell_text,
    classify,
    protect,
    shown_in_percent,
)
from quartier.output._elements import (
    _controlled,
    _ensure_layer_control,
    _Legend,
)
from quartier.output._geom import web_geometry
from quartier.output.formatting import display_labels

_EDGE = "#555555"


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
