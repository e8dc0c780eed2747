"""GIS export: every format reopens with the same rows, columns, CRS and geometries; atomic writes;
styles in the GeoPackage; metadata; disclosure control; GeoTIFF surfaces."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio

import quartier


@pytest.fixture(scope="module")
def plr(shared):
    d = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                key="PLR_ID", name="PLR_NAME")
    t2 = quartier.read_table(shared / "berlin_population" /
                             "berlin-lor-population-2024-02-t2-planning-areas.csv", key="id")
    joined, _ = quartier.join_indicators(d, t2[["id", "inhabitants", "inhabitants_age_above_65",
                                                "inhabitants_age_above_65_percentage"]],
                                         left_on="PLR_ID", right_on="id")
    return joined.head(60)


def _same(back, original, crs=None, columns=None, rel=1e-9):
    assert len(back) == len(original)
    cols = columns or [c for c in original.columns if c != "geometry"]
    for c in cols:
        assert c in back.columns, c
    assert back["PLR_ID"].tolist() == original["PLR_ID"].tolist()  # keys stay strings
    assert back.crs.equals(crs or original.crs)
    geo = original.geometry.reset_index(drop=True)
    got = back.to_crs(original.crs).geometry.reset_index(drop=True)
    # same geometries, compared in metres
    assert (got.symmetric_difference(geo).area <= rel * geo.area).all()


def test_every_format_reopens_the_same(plr, tmp_path):
    for fmt in ("gpkg", "fgb", "parquet"):
        out = quartier.export_layers({"plr": plr}, tmp_path / fmt, format=fmt)[0]
        back = gpd.read_parquet(out) if fmt == "parquet" else gpd.read_file(out, layer="plr" if fmt == "gpkg" else None)
        if fmt == "fgb":  # FlatGeobuf stores features in spatial-index order
            back = back.set_index("PLR_ID").loc[plr["PLR_ID"]].reset_index()
        _same(back, plr)
        assert np.allclose(back["inhabitants"], plr["inhabitants"])
    gj = quartier.export_layers({"plr": plr}, tmp_path / "plr.geojson")[0]
    text = gj.read_text(encoding="utf-8")
    assert '"crs"' not in text  # RFC 7946: WGS84, no crs member
    back = gpd.read_file(gj)
    # GeoJSON rounds coordinates to 7 decimals of a degree (about 1 cm)
    _same(back, plr, crs=gpd.GeoSeries(crs=4326).crs, rel=1e-4)


def test_shapefile_with_field_mapping(plr, tmp_path):
    out = quartier.export_layers({"plr": plr}, tmp_path / "plr.shp")[0]
    back = gpd.read_file(out)
    mapping = pd.read_csv(tmp_path / "plr.fields.csv")
    assert (mapping["field"].str.len() <= 10).all() and mapping["field"].is_unique
    back = back.rename(columns=dict(zip(mapping["field"], mapping["column"], strict=True)))
    _same(back, plr)
    assert np.allclose(back["inhabitants_age_above_65_percentage"],
                       plr["inhabitants_age_above_65_percentage"])


def test_geopackage_holds_styles_and_metadata(plr, tmp_path):
    out = quartier.export_layers(
        {"plr": plr, "punkte": gpd.GeoDataFrame(plr[["PLR_ID"]], geometry=plr.representative_point())},
        tmp_path / "bericht.gpkg", styles={"plr": "inhabitants_age_above_65_percentage"},
        metadata={"source": "Amt für Statistik Berlin-Brandenburg", "licence": "CC BY 3.0 DE"},
    )[0]
    with sqlite3.connect(out) as con:
        rows = con.execute("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles").fetchall()
    styles = {name: ET.fromstring(qml.split("\n", 1)[1]) for name, qml, _ in rows}
    assert set(styles) == {"plr", "punkte"} and all(r[2] == 1 for r in rows)
    renderer = styles["plr"].find("renderer-v2")
    # rule-based: the filters implement the web map's rule (lower <= v < upper)
    assert renderer.get("type") == "RuleRenderer"
    rules = list(renderer.iter("rule"))
    assert all('"inhabitants_age_above_65_percentage"' in r.get("filter") for r in rules)
    labels = [r.get("label") for r in rules]
    assert len(labels) == 5 and labels[0].startswith("bis unter")
    assert styles["punkte"].find("renderer-v2").get("type") == "singleSymbol"
    meta = gpd.read_file(out, layer="plr")  # data still reads
    assert len(meta) == len(plr)
    import pyogrio
    info = pyogrio.read_info(out, layer="plr")
    assert info["layer_metadata"]["licence"] == "CC BY 3.0 DE"
    side = json.loads((tmp_path / "bericht.gpkg.metadata.json").read_text(encoding="utf-8"))
    assert side["layers"] == ["plr", "punkte"] and side["software"].startswith("quartier")


def test_styles_and_metadata_per_layer_are_explicit(tmp_path):
    from shapely import Point, box

    areas = gpd.GeoDataFrame({"id": ["01", "02", "03"], "a": [1.5, 2.5, 3.5],
                              "share": [0.1, 0.5, 0.9], "b": [9.0, 8.0, 7.0]},
                             geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs="EPSG:25832")
    sites = gpd.GeoDataFrame({"n": [1.0]}, geometry=[Point(0, 0)], crs="EPSG:25832")
    sites.attrs["not json"] = object()  # a caller's attrs are neither read nor written out
    out = quartier.export_layers(
        {"areas": areas, "sites": sites}, tmp_path / "x.gpkg", styles={"areas": "share"},
        metadata={"source": "Test", "sites": {"model": "p-median", "source": "Modell"}})[0]
    with sqlite3.connect(out) as con:
        qml = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
    filters = [r.get("filter") for r in ET.fromstring(qml["areas"].split("\n", 1)[1]).iter("rule")]
    assert filters and all('"share"' in f for f in filters)  # not the last float column "b"
    import pyogrio
    from shapely import Point
    assert pyogrio.read_info(out, layer="areas")["layer_metadata"]["source"] == "Test"
    site_meta = pyogrio.read_info(out, layer="sites")["layer_metadata"]
    assert (site_meta["model"], site_meta["source"]) == ("p-median", "Modell")
    assert "areas" not in pyogrio.read_info(out, layer="areas")["layer_metadata"]
    # one GeoJSON layer: its own metadata goes into the sidecar file
    quartier.export_layers({"sites": sites}, tmp_path / "s.geojson",
                           metadata={"sites": {"model": "p-median"}})
    side = json.loads((tmp_path / "s.geojson.metadata.json").read_text(encoding="utf-8"))
    assert side["model"] == "p-median" and side["layer"] == "sites"
    quartier.export_layers({"sites": sites}, tmp_path / "s.parquet")  # attrs not carried along
    assert len(gpd.read_parquet(tmp_path / "s.parquet")) == 1
    with pytest.raises(quartier.ColumnError, match="'areas'.*'quote'"):
        quartier.export_layers({"areas": areas}, tmp_path / "y.gpkg", styles={"areas": "quote"})
    assert not areas.attrs


def test_failed_export_leaves_the_previous_file_intact(plr, tmp_path, monkeypatch):
    path = tmp_path / "ergebnis.gpkg"
    quartier.export_layers({"a": plr}, path)
    before = path.read_bytes()
    calls = {"n": 0}
    original = gpd.GeoDataFrame.to_file

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing)
    with pytest.raises(OSError, match="simulated"):
        quartier.export_layers({"a": plr, "b": plr}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ergebnis.gpkg", "ergebnis.gpkg.metadata.json"]


def test_disclosure_applies_to_exported_layers(plr, tmp_path):
    small = plr.copy()
    small["n"] = [1, 2] + [50] * (len(plr) - 2)
    with quartier.disclosure(3, count_columns=["n"]):
        out = quartier.export_layers({"x": small}, tmp_path / "x.gpkg")[0]
    back = gpd.read_file(out, layer="x")
    assert back["n"].isna().sum() >= 2 and back["n"].iloc[:2].isna().all()


def test_bad_requests(plr, tmp_path):
    clash = plr[["PLR_ID", "geometry"]].assign(name="a", Name="b")
    with pytest.raises(quartier.ColumnError, match="'name' and 'Name'"):
        quartier.export_layers({"x": clash}, tmp_path / "x.gpkg")
    with pytest.raises(quartier.ParameterError, match="one layer only"):
        quartier.export_layers({"a": plr, "b": plr}, tmp_path / "x.geojson")
    with pytest.raises(quartier.ParameterError, match="unknown file type '.xyz'"):
        quartier.export_layers({"a": plr}, tmp_path / "x.xyz")
    with pytest.raises(quartier.ParameterError, match="format="):
        quartier.export_layers({"a": plr}, tmp_path / "ordner")


def test_raster_surface_matches_cell_values(shared, tmp_path):
    cells = quartier.read_points(
        shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv",
        x="x", y="y", source_crs="EPSG:3035")
    cells = cells[cells["value"] > 0].head(2000)
    tif = quartier.export_raster(cells, "value", tmp_path / "hochaltrige.tif",
                                 metadata={"source": "Zensus 2011"})
    with rasterio.open(tif) as r:
        assert r.res == (100.0, 100.0) and r.crs.to_epsg() == 3035
        vals = [v[0] for v in r.sample(zip(cells.geometry.x, cells.geometry.y, strict=True))]
        assert r.tags()["source"] == "Zensus 2011"
    assert np.array_equal(np.array(vals), cells["value"].to_numpy(dtype="float32"))


def test_suppressed_flag_points_and_sidecar_styles(tmp_path):
    """<column>_suppressed only when the styled column has suppressed cells; points classified
    by their places, never by coordinates; .qml and .qmd beside single-layer files; 0644."""
    import os

    from shapely import Point, box

    areas = gpd.GeoDataFrame({"id": ["01", "02", "03"], "share": [0.1, 0.5, 0.9]},
                             geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs="EPSG:25832")
    out = quartier.export_layers({"areas": areas}, tmp_path / "plain.gpkg")[0]
    assert "share_suppressed" not in gpd.read_file(out, layer="areas").columns
    with sqlite3.connect(out) as con:  # the style names the file's geometry column
        assert con.execute("SELECT f_geometry_column FROM layer_styles").fetchall() == [("geom",)]
    office = pd.Series([False, True, False], index=areas.index)
    out = quartier.export_layers({"areas": areas}, tmp_path / "flag.gpkg",
                                 suppressed={"areas": office})[0]
    back = gpd.read_file(out, layer="areas")
    assert back["share_suppressed"].tolist() == [0, 1, 0]
    assert back["share"].isna().tolist() == [False, True, False]  # never the value itself
    again = quartier.export_layers({"areas": back}, tmp_path / "again.geojson")[0]
    assert gpd.read_file(again)["share_suppressed"].tolist() == [0, 1, 0]  # re-export keeps it
    with pytest.raises(quartier.ParameterError, match="suppressed= names layer 'x'"):
        quartier.export_layers({"areas": areas}, tmp_path / "y.gpkg", suppressed={"x": office})

    kitas = gpd.GeoDataFrame({"kita_id": ["a", "b"], "gc_xwert": [1.0, 2.0],
                              "gc_ywert": [5.0, 6.0], "places": [20, 80]},
                             geometry=[Point(1, 5), Point(2, 6)], crs="EPSG:25832")
    files = quartier.export_layers({"kitas": kitas}, tmp_path / "shp", format="shp")
    qml = (tmp_path / "shp" / "kitas.qml").read_text(encoding="utf-8")
    assert '"places"' in qml and "gc_" not in qml
    qmd = (tmp_path / "shp" / "kitas.qmd").read_text(encoding="utf-8")
    assert "<title>kitas: places</title>" in qmd
    assert all(os.stat(p).st_mode & 0o777 == 0o644 for p in (tmp_path / "shp").iterdir())
    assert files == [tmp_path / "shp" / "kitas.shp"]
    no_places = kitas.drop(columns="places")
    quartier.export_layers({"kitas": no_places}, tmp_path / "k.fgb")
    assert 'type="singleSymbol"' in (tmp_path / "k.qml").read_text(encoding="utf-8")


def test_raster_counts_are_integers(tmp_path):
    from shapely import Point

    cells = gpd.GeoDataFrame({"n": [3, 0, 12], "score": [0.5, 1.25, np.nan]},
                             geometry=[Point(50 + 100 * i, 50) for i in range(3)],
                             crs="EPSG:25832")
    counts = quartier.export_raster(cells, "n", tmp_path / "n.tif")
    score = quartier.export_raster(cells, "score", tmp_path / "score.tif")
    with rasterio.open(counts) as r:
        assert r.dtypes[0] == "int32" and r.nodata == -9999 and r.read(1).tolist() == [[3, 0, 12]]
    with rasterio.open(score) as r:
        assert r.dtypes[0] == "float32" and r.read(1).tolist() == [[0.5, 1.25, -9999.0]]
    import os

    assert {os.stat(p).st_mode & 0o777 for p in (counts, score)} == {0o644}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.tif", "score.tif"]


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "fgb", "shp"])
def test_counts_with_suppressed_cells_stay_integer_fields(tmp_path, fmt):
    import pyogrio
    from shapely import Point

    gdf = gpd.GeoDataFrame(
        {"key": ["a", "b", "c"], "population": [120.0, np.nan, 45.0],  # NaN: suppressed
         "n_int": [3, 40, 50], "share_covered": [0.5, np.nan, 0.25]},
        geometry=[Point(0, 0), Point(100, 0), Point(200, 0)], crs="EPSG:25832")
    with quartier.disclosure(10, secondary=False, count_columns=["n_int"]):
        (path,) = quartier.export_layers({"l": gdf}, tmp_path / f"l.{fmt}", styles=False)
    info = pyogrio.read_info(path)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    share = next(f for f in types if f.startswith("share_co"))  # Shapefile: 10 characters
    assert types["population"].startswith("int") and types["n_int"].startswith("int"), types
    assert types[share].startswith("float"), types
    back = pyogrio.read_dataframe(path).set_index("key").loc[["a", "b", "c"]]  # FGB reorders
    assert back["population"].tolist()[0::2] == [120, 45] and pd.isna(back["population"]["b"])
    assert pd.isna(back["n_int"]["a"]) and back["n_int"].tolist()[1:] == [40, 50]
