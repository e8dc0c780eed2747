"""A realistic run: Berlin-Mitte, people 80+ (Zensus 2011, 100 m cells) to the care homes, by
public transport (VBB timetable, a Tuesday morning) and in a straight line.

Every output of the run names how reach was measured, where a planner reads it: the summary in
Excel, the GeoPackage in QGIS (headless, Debian's python3-qgis), the web maps (also drawn in
headless Chromium), the console. The synthetic runs and the configuration errors are in
tests/test_run_modes.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import quartier as q

MODE = "ÖPNV, Dienstag 7:00–7:10 Uhr, Median, 10 min"
LINE = "Luftlinie 1.000 m"
REGIONS = ("011001", "011002")  # Bezirksregionen Tiergarten Süd and Regierungsviertel


def _berlin_config(folder: Path, shared: Path, *, lang: str = "de") -> Path:
    """The districts and the cells of two Bezirksregionen, as a planner cuts them out."""
    plr = q.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp", "PLR_ID",
                           name="PLR_NAME")
    plr["BZR_ID"] = plr["PLR_ID"].str[:6]
    plr = plr[plr["BZR_ID"].isin(REGIONS)]
    plr.to_file(folder / "plr.gpkg", layer="plr")
    zensus = shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv"
    cells = q.read_points(zensus, x="x", y="y", source_crs="EPSG:3035", crs="EPSG:25833")
    inside = cells.within(plr.union_all()).to_numpy()
    pd.read_csv(zensus)[inside].to_csv(folder / "zensus80.csv", index=False)
    text = f"""[project]
name = "Pflege Mitte"
lang = "{lang}"
crs = "EPSG:25833"
output = "ergebnisse"

[districts]
path = "plr.gpkg"
key = "PLR_ID"
name = "PLR_NAME"
levels = ["BZR_ID"]

[population]
path = "zensus80.csv"
x = "x"
y = "y"
source_crs = "EPSG:3035"

[target_groups]
hochaltrige = ["value"]

[networks.oepnv]
kind = "transit"
gtfs = "{shared / 'vbb_gtfs_2021' / 'berlin_2021-09-14_2021-09-19.zip'}"
date = "2021-09-14"
start = "07:00"
end = "07:10"
step = 5

[[services]]
name = "Pflegeheime ÖPNV"
facilities = "{shared / 'berlin_facilities' / 'pflegeeinrichtungen.geojson'}"
capacity = "platzzahl"
target_group = "hochaltrige"
network = "oepnv"
max_cost = 10

[[services]]
name = "Pflegeheime nah"
facilities = "{shared / 'berlin_facilities' / 'pflegeeinrichtungen.geojson'}"
capacity = "platzzahl"
target_group = "hochaltrige"
max_cost = 1000

[disclosure]
min_count = 3

[outputs]
layers = ["gpkg"]
summary = "xlsx"
maps_by = "BZR_ID"
"""
    path = folder / "analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def berlin(tmp_path_factory, shared):
    """``quartier run`` through the command line, as a planner starts it."""
    import contextlib
    import io

    from quartier.batch.cli import EXIT_OK, main

    folder = tmp_path_factory.mktemp("berlin_modes")
    path = _berlin_config(folder, shared)
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        warnings.simplefilter("ignore")  # care homes outside the two regions: warned, expected
        code = main(["run", str(path)])
    assert code == EXIT_OK, err.getvalue()
    return {"folder": folder, "out": folder / "ergebnisse", "stdout": out.getvalue(),
            "shared": shared}


def _xlsx(path: Path) -> pd.DataFrame:
    """The summary as Excel shows it: the cell values of the first sheet (openpyxl)."""
    import openpyxl

    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.mark.shared
def test_berlin_summary_in_excel_names_the_mode(berlin):
    table = _xlsx(berlin["out"] / "zusammenfassung.xlsx")
    assert list(table.columns[:5]) == ["Schlüssel", "Gebiet", "Angebot", "Zielgruppe",
                                       "Erreichbarkeit"]
    reach = table.groupby("Angebot")["Erreichbarkeit"].unique().map(list).to_dict()
    assert reach == {"Pflegeheime ÖPNV": [MODE], "Pflegeheime nah": [LINE]}
    assert len(table) == 14 and table["Schlüssel"].str.len().eq(8).all()


@pytest.mark.shared
def test_berlin_straight_line_coverage_matches_a_kdtree(berlin):
    """The numbers beside the label: covered 80+ per Planungsraum within 1,000 m of a care
    home, against a KD-tree over the same cells (suppressed cells are empty in the file)."""
    from scipy.spatial import cKDTree

    shared = berlin["shared"]
    cells = q.read_points(berlin["folder"] / "zensus80.csv", x="x", y="y",
                          source_crs="EPSG:3035", crs="EPSG:25833")
    homes = gpd.read_file(shared / "berlin_facilities" / "pflegeeinrichtungen.geojson")
    dist, _ = cKDTree(np.column_stack([homes.geometry.x, homes.geometry.y])).query(
        np.column_stack([cells.geometry.x, cells.geometry.y]))
    plr = gpd.read_file(berlin["folder"] / "plr.gpkg")
    joined = gpd.sjoin(cells.assign(near=dist <= 1000), plr[["PLR_ID", "geometry"]],
                       predicate="within")
    expected = (joined["value"] * joined["near"]).groupby(joined["PLR_ID"]).sum()
    table = _xlsx(berlin["out"] / "zusammenfassung.xlsx")
    near = table[table["Angebot"] == "Pflegeheime nah"].set_index("Schlüssel")
    shown = near["versorgt (Personen)"]
    assert shown.notna().sum() >= 5  # a few suppressed at most
    for key, value in shown.items():
        if value is not None and not pd.isna(value):
            assert value == expected[key], key
    # by public transport within 10 minutes: some covered, not all (the network cut)
    by_bus = table[table["Angebot"] == "Pflegeheime ÖPNV"]
    assert 0 < by_bus["versorgt (Personen)"].sum() < by_bus["Zielgruppe (Personen)"].sum()


@pytest.mark.shared
def test_berlin_geopackage_layers_name_the_mode(berlin):
    import pyogrio

    gpkg = berlin["out"] / "ebenen.gpkg"
    names = [n for n in pyogrio.list_layers(gpkg)[:, 0] if n != "layer_styles"]
    assert sorted(names) == sorted(
        f"pflegeheime_{s}_{kind}" for s in ("oepnv", "nah")
        for kind in ("gebiete", "bzr_id", "einrichtungen"))
    for name in names:
        label = MODE if "oepnv" in name else LINE
        meta = pyogrio.read_info(gpkg, layer=name)["layer_metadata"]
        assert meta["IDENTIFIER"].endswith(f" – {label}"), meta["IDENTIFIER"]
        assert f"reach: {label}" in meta["DESCRIPTION"]
        if not name.endswith("einrichtungen"):  # the attribute table says it too
            values = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)["reach"]
            assert values.tolist() == [label] * len(values) and len(values) > 0
    styles = pyogrio.read_dataframe(gpkg, layer="layer_styles", read_geometry=False)
    qml = dict(zip(styles["f_table_name"], styles["styleQML"], strict=True))
    assert f'<rule key="heading" label="{MODE}">' in qml["pflegeheime_oepnv_gebiete"]
    assert f'<rule key="heading" label="{LINE}">' in qml["pflegeheime_nah_bzr_id"]


@pytest.mark.shared
def test_berlin_geopackage_in_qgis_shows_the_mode(berlin, tmp_path):
    """Real QGIS (headless): the layer's title and the first line of its legend."""
    from test_qgis import _require_qgis, _run_check

    _require_qgis()
    gpkg = berlin["out"] / "ebenen.gpkg"
    layers = ["pflegeheime_oepnv_gebiete", "pflegeheime_oepnv_bzr_id",
              "pflegeheime_oepnv_einrichtungen", "pflegeheime_nah_gebiete"]
    results = _run_check(tmp_path, [f"{gpkg}|layername={n}" for n in layers], key="PLR_ID")
    for name, r in zip(layers, results, strict=True):
        label = MODE if "oepnv" in name else LINE
        assert r["valid"] and r["style_loaded"], (name, r.get("style_message"))
        assert r["title"].endswith(f" – {label}") and label in r["abstract"], name
        assert r["legend"][0] == label and len(r["legend"]) >= 2, (name, r["legend"])
        assert r["rendered_features"] == r["features"] > 0, name
    districts = results[0]
    assert districts["title"] == f"Pflegeheime ÖPNV: Anteil versorgt – {MODE}"
    # every district in exactly one class (besides the heading)
    for key, labels in districts["legend_by_key"].items():
        classes = [x for x in labels if x not in ("root", MODE)]
        assert len(classes) == 1, (key, labels)


@pytest.mark.shared
def test_berlin_maps_and_console_name_the_mode(berlin):
    import re

    for slug, label in (("oepnv", MODE), ("nah", LINE)):
        html = (berlin["out"] / f"karte_pflegeheime_{slug}.html").read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        assert title.endswith(f"Erreichbarkeit: {label} (%)"), title
        # the legend heading of the map (not only the page title)
        assert re.search(r'<div style="font-weight: bold[^"]*">[^<]*Erreichbarkeit: '
                         + re.escape(label), html), slug
    # the maps per Bezirksregion too
    for region in REGIONS:
        html = (berlin["out"] / f"karte_pflegeheime_oepnv_{region}.html").read_text(
            encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        assert title.endswith(f"Erreichbarkeit: {MODE} (%) – BZR_ID {region}"), title
    assert "Pflegeheime ÖPNV: " in berlin["stdout"]
    assert f"in Reichweite ({MODE})" in berlin["stdout"]
    assert f"in Reichweite ({LINE})" in berlin["stdout"]


@pytest.mark.shared
def test_berlin_map_legend_in_chromium_shows_the_mode(berlin):
    """The web map as a planner opens it (offline, headless Chromium): the legend drawn on
    the map reads the mode."""
    from test_offline_browser import Browser, _chromium_or_skip

    browser = Browser(_chromium_or_skip())
    try:
        page = berlin["out"] / "karte_pflegeheime_oepnv.html"
        browser.open(page.as_uri(),
                     ready="document.querySelectorAll('.quartier-legend').length >= 1")
        legends = browser.evaluate(
            "Array.from(document.querySelectorAll('.quartier-legend'))"
            ".filter(l => getComputedStyle(l).display !== 'none').map(l => l.innerText)")
        assert len(legends) == 1 and f"Erreichbarkeit: {MODE}" in legends[0], legends
        assert "(Anzahl Gebiete)" in legends[0]  # the classes below the heading
        assert browser.blocked == []  # offline: nothing left the page
        assert browser.evaluate("document.title").endswith(f"{MODE} (%)")
    finally:
        browser.close()
