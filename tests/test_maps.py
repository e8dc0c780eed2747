"""choropleth and friends: schemes, legends, missing vs suppressed, layers, simplification,
offline HTML."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import Point, box

import quartier
from quartier.output import _classes
from quartier.output._classes import MISSING_COLOUR, SUPPRESSED_COLOUR
from quartier.output._geom import web_geometry
from quartier.output.maps import (
    add_catchments,
    add_facilities,
    add_layer,
    choropleth,
    class_breaks,
    legend_labels,
)
from quartier.output.offline import save_map


def _districts(values, names=None):
    n = len(values)
    return gpd.GeoDataFrame(
        {"name": names or [f"G{i}" for i in range(n)], "wert": values},
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(n)],
        crs="EPSG:25832",
    )


def _features(html: str) -> list[dict]:
    """The district features embedded in a rendered map."""
    out = []
    for m in re.finditer(r'_add\((\{"features".*?\})\);', html, flags=re.S):
        out.extend(json.loads(m.group(1))["features"])
    return out


def _legends(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", block) for block in
            re.findall(r'<div class="quartier-legend".*?</div>\s*</div>', html, flags=re.S)]


@pytest.fixture(scope="module")
def berlin(shared):
    districts = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                        key="PLR_ID", name="PLR_NAME")
    table = quartier.read_table(
        shared / "berlin_population" / "berlin-lor-population-2024-02-t2-planning-areas.csv",
        key="id")
    joined, report = quartier.join_indicators(districts, table, left_on="PLR_ID", right_on="id")
    assert report.complete
    return joined


# --- classes ------------------------------------------------------------------------------------


def test_schemes_agree_with_mapclassify():
    rng = np.random.default_rng(1)
    values = rng.lognormal(3, 1, 300)
    assert class_breaks(values, scheme="quantiles", k=5) == pytest.approx(
        mapclassify.Quantiles(values, k=5).bins)
    assert class_breaks(values, scheme="equal_interval", k=4) == pytest.approx(
        np.linspace(values.min(), values.max(), 5)[1:])
    assert class_breaks(values, scheme="natural_breaks", k=5)[-1] == values.max()
    assert class_breaks(values, scheme="fisher_jenks", k=5) == pytest.approx(
        mapclassify.FisherJenks(values, k=5).bins)
    # standard-deviation bands: mean +- 1 and 2 standard deviations inside the data range
    sd = class_breaks(values, scheme="std_mean")
    mean, std = values.mean(), values.std(ddof=1)
    expected = [b for b in (mean - 2 * std, mean - std, mean + std, mean + 2 * std)
                if values.min() < b < values.max()] + [values.max()]
    assert sd == pytest.approx(expected)
    with pytest.raises(ValueError, match="unknown scheme"):
        class_breaks(values, scheme="jenks")
    with pytest.raises(ValueError, match="bins"):
        class_breaks(values, scheme="user_defined")


def test_colours_follow_bis_unter_classes():
    gdf = _districts([5.0, 10.0, 15.0, 20.0, 30.0])
    html = choropleth(gdf, "wert", scheme="user_defined", bins=[10, 20], tiles=None,
                      palette="Blues").get_root().render()
    fills = [f["properties"]["_fill"] for f in _features(html)]
    c = _classes.colours("Blues", 3)
    # 10 is "10 bis unter 20", 20 is "20 bis 30" (the last class includes the maximum)
    assert fills == [c[0], c[1], c[1], c[2], c[2]]
    assert "bis unter 10,0" in html and "10,0 bis unter 20,0" in html and "20,0 bis 30,0" in html


def test_palettes_are_distinct_and_interpolated():
    assert len(set(_classes.colours("YlGnBu", 9))) == 9
    with pytest.raises(ValueError, match="palette"):
        _classes.colours("Rainbow", 3)


# --- legends and numbers ------------------------------------------------------------------------


def test_legend_reads_german_and_english_numbers():
    gdf = _districts([1234.5, 10.0, 20.0, 3000.0, 5000.0])
    de = _legends(choropleth(gdf, "wert", scheme="user_defined", bins=[1234.5], tiles=None,
                             lang="de").get_root().render())
    en = _legends(choropleth(gdf, "wert", scheme="user_defined", bins=[1234.5], tiles=None,
                             lang="en").get_root().render())
    assert "bis unter 1.234,5" in de[0] and "1.234,5 bis 5.000,0" in de[0]
    assert "under 1,234.5" in en[0] and "1,234.5 to 5,000.0" in en[0]
    assert legend_labels([0.5, 1], decimals=2, lang="de") == ["bis unter 0,50", "0,50 bis 1,00"]


def test_language_setting_is_the_default():
    gdf = _districts([1234.5, 10.0, 3000.0])
    quartier.set_language("en")
    try:
        html = choropleth(gdf, "wert", k=2, tiles=None).get_root().render()
    finally:
        quartier.set_language("de")
    assert "to " in _legends(html)[0] and "bis" not in _legends(html)[0]


# --- missing and suppressed ---------------------------------------------------------------------


def test_missing_and_suppressed_are_distinct_and_never_show_the_value():
    gdf = _districts([1.0, np.nan, 987654.0, 4.0, 5.0])
    suppressed = pd.Series([False, False, True, False, False], index=gdf.index)
    html = choropleth(gdf, "wert", k=2, tiles=None, name_col="name",
                      suppressed=suppressed).get_root().render()
    assert not gdf.attrs
    props = [f["properties"] for f in _features(html)]
    assert [p["_fill"] for p in props][1:3] == [MISSING_COLOUR, SUPPRESSED_COLOUR]
    assert MISSING_COLOUR != SUPPRESSED_COLOUR
    assert props[1]["t1"] == "keine Angabe" and props[2]["t1"] == "gesperrt (Geheimhaltung)"
    legend = _legends(html)[0]
    assert "keine Angabe" in legend and "gesperrt (Geheimhaltung)" in legend
    # the suppressed value is in no feature, class bound or legend text (the whole page may hold
    # "987" by chance: folium's element ids are random hex)
    assert not any("987" in str(v) for p in props for v in p.values())
    assert "987" not in legend
    assert "987.654" not in html and "987654" not in html
    assert "5,0" in legend  # the maximum of the values that may be shown


def test_disclosure_control_is_applied_before_classifying(monkeypatch):
    calls = []

    def fake_disclosure(frame, *, rates=None, suppressed=None, rules=None):  # counts below 3
        calls.append(len(frame))
        out = frame.copy()
        rows = [i for i, v in enumerate(out["n"]) if 0 < v < 3]
        out["n"] = out["n"].astype(float)
        out.iloc[rows, out.columns.get_loc("n")] = np.nan
        mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
        mask.iloc[rows, mask.columns.get_loc("n")] = True
        return quartier.DisclosureResult(out, mask)

    monkeypatch.setattr(_classes, "apply_disclosure", fake_disclosure)
    gdf = _districts([10.0, 20.0, 30.0, 40.0])
    gdf["n"] = [2, 17, 1, 40]
    html = choropleth(gdf, "wert", k=2, tiles=None, tooltip=["name", "wert", "n"]).get_root().render()
    assert calls
    props = [f["properties"] for f in _features(html)]
    assert [p["t2"] for p in props] == ["gesperrt (Geheimhaltung)", "17",
                                        "gesperrt (Geheimhaltung)", "40"]
    # the suppressed counts colour the "n" layer as suppressed
    html = choropleth(gdf, "n", k=2, tiles=None).get_root().render()
    assert [f["properties"]["_fill"] for f in _features(html)].count(SUPPRESSED_COLOUR) == 2


def test_sorted_protected_table_marks_the_right_district():
    gdf = _districts([10.0, 20.0, 30.0, 40.0], names=["Nord", "Ost", "Süd", "West"])
    gdf["n"] = [2, 17, 1, 40]
    with quartier.disclosure(3, secondary=False):
        protected = quartier.apply_disclosure(gdf)
    assert protected.suppressed["n"].tolist() == [True, False, True, False]
    # sort the protected table (largest first), then map it with its mask: matched by label
    ordered = protected.table.sort_values("wert", ascending=False)
    html = choropleth(ordered, "n", k=2, tiles=None, name_col="name",
                      suppressed=protected.suppressed).get_root().render()
    props = [f["properties"] for f in _features(html)]
    blocked = [p["t0"] for p in props if p["_fill"] == SUPPRESSED_COLOUR]
    assert sorted(blocked) == ["Nord", "Süd"]
    assert [p["t1"] for p in props if p["t0"] in ("Ost", "West")] == ["40", "17"]
    # a Series mask of the office, sorted differently from the frame, also goes by label
    office = pd.Series([False, False, False, True], index=gdf.index)  # "West"
    html = choropleth(ordered, "wert", k=2, tiles=None, name_col="name",
                      suppressed=office.sort_index(ascending=False)).get_root().render()
    props = [f["properties"] for f in _features(html)]
    assert [p["t0"] for p in props if p["_fill"] == SUPPRESSED_COLOUR] == ["West"]
    assert not ordered.attrs and not gdf.attrs


def test_rates_follow_their_counts_on_the_map():
    gdf = _districts([10.0, 20.0, 30.0, 40.0])
    gdf["n"] = [2, 17, 1, 40]
    gdf["ew"] = [100, 170, 150, 400]
    gdf["quote"] = 100 * gdf["n"] / gdf["ew"]
    with quartier.disclosure(3, secondary=False):
        html = choropleth(gdf, "quote", k=2, tiles=None, rates={"quote": ("n", "ew")},
                          tooltip=["name", "quote"]).get_root().render()
    props = [f["properties"] for f in _features(html)]
    assert [p["_fill"] == SUPPRESSED_COLOUR for p in props] == [True, False, True, False]


def test_name_col_is_checked():
    with pytest.raises(quartier.ColumnError, match="name_col"):
        choropleth(_districts([1.0, 2.0]), "wert", name_col="NAME", tiles=None)


# --- escaping -----------------------------------------------------------------------------------


def test_markup_in_names_aliases_and_titles_is_escaped():
    gdf = _districts([1.0, 2.0], names=["<script>alert(1)</script>", "Mitte"])
    gdf["<b>x</b>"] = [1, 2]
    html = choropleth(gdf, "wert", tooltip=["name", "<b>x</b>"], title="<i>T</i>",
                      tiles=None).get_root().render()
    assert "<script>alert(1)</script>" not in html and "<b>x</b>" not in html
    assert "<i>T</i>" not in html and "&lt;i&gt;T&lt;/i&gt;" in html
    assert _features(html)[0]["properties"]["t0"] == "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- layers -------------------------------------------------------------------------------------


def test_several_indicators_are_switchable_layers_with_their_own_legend():
    gdf = _districts([1.0, 2.0, 3.0])
    gdf["b"] = [30.0, 20.0, 10.0]
    m = choropleth(gdf, ["wert", "b"], name=["Wert", "B-Wert"], k=2, tiles="OpenStreetMap")
    pts = gpd.GeoDataFrame({"name": ["Kita 1"]}, geometry=[Point(500, 500)], crs="EPSG:25832")
    add_facilities(m, pts, popup="name")
    add_catchments(m, gpd.GeoDataFrame(geometry=[Point(500, 500).buffer(300)],
                                       crs="EPSG:25832"))
    add_layer(m, gdf, "wert", name="Wert (Brüche)", scheme="user_defined", bins=[2])
    html = m.get_root().render()
    controls = [c for c in m._children.values() if isinstance(c, folium.LayerControl)]
    assert len(controls) == 1 and list(m._children.values())[-1] is controls[0]
    assert list(controls[0].base_layers) == ["Wert", "B-Wert", "Wert (Brüche)"]
    assert list(controls[0].overlays) == ["Hintergrundkarte", "Einrichtungen", "Einzugsbereiche"]
    assert len(_legends(html)) == 3
    assert html.count("display: block;") == 1 and html.count("display: none;") == 2
    assert html.count('on("baselayerchange"') == 3
    # the layer control is rendered after every layer it names
    control_at = html.index("L.control.layers(")
    for layer in [*controls[0].base_layers.values(), *controls[0].overlays.values()]:
        assert html.index(f"var {layer} = ") < control_at


def test_facilities_must_be_points():
    gdf = _districts([1.0, 2.0])
    with pytest.raises(quartier.QuartierError, match="add_catchments"):
        add_facilities(choropleth(gdf, "wert", k=2, tiles=None), gdf)


# --- geometry -----------------------------------------------------------------------------------


def test_simplified_berlin_keeps_neighbours_together(berlin):
    web = web_geometry(berlin, simplify=10.0)
    simple = gpd.GeoSeries(web, crs="EPSG:4326").to_crs(berlin.crs)
    orig = berlin.geometry
    before = shapely.get_num_coordinates(orig.values).sum()
    after = shapely.get_num_coordinates(simple.values).sum()
    assert after < 0.25 * before
    # no gaps and no overlaps: the pieces still add up to the city
    union = shapely.union_all(simple.values)
    assert simple.area.sum() == pytest.approx(union.area, rel=1e-5)
    assert union.area == pytest.approx(shapely.union_all(orig.values).area, rel=2e-3)
    # every pair of neighbours with a real shared edge still shares an edge
    left, right = orig.sindex.query(orig.values, predicate="touches")
    pairs = [(a, b) for a, b in zip(left, right, strict=True) if a < b]
    shared = shapely.length(shapely.intersection(orig.values[[a for a, _ in pairs]].boundary,
                                                 orig.values[[b for _, b in pairs]].boundary))
    pairs = [p for p, s in zip(pairs, shared, strict=True) if s > 50]
    assert len(pairs) > 1000
    kept = shapely.length(shapely.intersection(
        simple.values[[a for a, _ in pairs]].boundary, simple.values[[b for _, b in pairs]].boundary))
    assert (kept > 0).all()
    # simplifying each district on its own, as a naive map would, opens gaps
    naive = orig.simplify(10.0)
    assert naive.area.sum() - shapely.union_all(naive.values).area > 0 or \
        shapely.union_all(naive.values).area < shapely.union_all(orig.values).area


def test_berlin_offline_html_is_small_and_self_contained(berlin, tmp_path):
    path = save_map(choropleth(berlin, "inhabitants", tiles="OpenStreetMap"),
                    tmp_path / "berlin.html", offline=True)
    html = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 2_000_000
    assert len(_features(html)) == 542
    assert "L.tileLayer(" not in html and "openstreetmap" not in html.lower()
    assert not re.search(r'<(script|link)[^>]+(src|href)="', html)
    assert 't.version="1.9.4"' in html  # the vendored Leaflet
    assert "jquery" not in html.lower()  # not needed by this map, not embedded
    assert not list(tmp_path.glob(".*.tmp"))


# --- save_map -----------------------------------------------------------------------------------


def test_save_map_online_keeps_cdn_and_tiles(tmp_path):
    m = choropleth(_districts([1.0, 2.0]), "wert", k=2, tiles="OpenStreetMap")
    html = save_map(m, tmp_path / "k.html", title="Karte <1>", offline=False).read_text(
        encoding="utf-8")
    assert "cdn.jsdelivr.net/npm/leaflet" in html and "L.tileLayer(" in html
    assert "<title>Karte &lt;1&gt;</title>" in html
    # saving offline does not change the map itself
    save_map(m, tmp_path / "o.html", offline=True)
    assert "L.tileLayer(" in m.get_root().render()


def test_offline_embeds_jquery_only_when_the_map_uses_it(tmp_path):
    m = choropleth(_districts([1.0, 2.0]), "wert", k=2, tiles=None)
    folium.Marker([0.0045, 9.0], popup=folium.Popup("Hallo")).add_to(m)  # popups use jQuery
    html = save_map(m, tmp_path / "k.html", offline=True).read_text(encoding="utf-8")
    assert "jQuery" in html and "https://code.jquery.com" not in html
    assert "iconUrl: \"data:image/png;base64," in html  # default marker images inlined
    assert "url(images/" not in html


def test_offline_refuses_what_it_cannot_embed(tmp_path):
    m = choropleth(_districts([1.0, 2.0]), "wert", k=2, tiles=None)
    folium.Marker([0.0045, 9.0], icon=folium.Icon(icon="home")).add_to(m)
    with pytest.raises(quartier.QuartierError, match="add_facilities"):
        save_map(m, tmp_path / "k.html", offline=True)
    m = choropleth(_districts([1.0, 2.0]), "wert", k=2, tiles=None)
    from folium.plugins import Fullscreen

    Fullscreen().add_to(m)
    with pytest.raises(quartier.QuartierError, match="Fullscreen|fullscreen"):
        save_map(m, tmp_path / "k.html", offline=True)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_save_map_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "k.html"
    target.write_text("old", encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    import quartier.output.files as files  # save_map writes through write_atomic

    monkeypatch.setattr(files.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        save_map(choropleth(_districts([1.0, 2.0]), "wert", k=2), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["k.html"]


def test_tooltip_numbers_are_formatted():
    gdf = _districts([1234.5, 2.25])
    gdf["ew"] = pd.array([12345, 7], dtype="int64")
    props = [f["properties"] for f in _features(
        choropleth(gdf, "wert", k=2, tiles=None, tooltip=["name", "wert", "ew"])
        .get_root().render())]
    assert [p["t1"] for p in props] == ["1.234,5", "2,2"] or [p["t1"] for p in props] == [
        "1.234,5", "2,3"]
    assert [p["t2"] for p in props] == ["12.345", "7"]
