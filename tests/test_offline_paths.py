"""Every way a planner saves or shows a map works without a network, in a real Chromium with
every outside request blocked: ``m.save``, ``save_map``, ``quartier map`` and the notebook
display. The rendered page shows labels, per cent, a metric scale, the source and the legend
as a planner reads them."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pytest
from shapely import box

import quartier
from test_offline_browser import Browser, _chromium_or_skip

from conftest import REPO


@pytest.fixture(scope="module")
def browser():
    b = Browser(_chromium_or_skip())
    yield b
    b.close()


def _city(n=24):
    x0, y0 = 560_000, 5_930_000  # plausible UTM 32N metres (northern Germany)
    cells = [box(x0 + x * 1000, y0 + y * 1000, x0 + x * 1000 + 1000, y0 + y * 1000 + 1000)
             for x in range(6) for y in range(n // 6)]
    gdf = gpd.GeoDataFrame({
        "id": [f"{i:02d}" for i in range(n)],
        "name": [f"Gebiet {i}" for i in range(n)],
        "share_covered": np.linspace(0, 0.9, n),
        "platzzahl": np.arange(n, dtype=float),
    }, geometry=cells, crs="EPSG:25832")
    gdf.loc[0, "share_covered"] = 0.0
    gdf.loc[1, "share_covered"] = 0.0
    return gdf


DRAWN = "document.querySelectorAll('path.leaflet-interactive').length"


def _check_drawn(browser, url, n):
    browser.open(url, ready=f"{DRAWN} >= {n}")
    assert browser.evaluate(DRAWN) == n
    urls = browser.requested_urls()
    assert all(u.startswith(("file:", "data:", "about:")) for u in urls), urls
    assert browser.blocked == []


def test_quartier_map_save_is_offline(browser, tmp_path):
    m = quartier.choropleth(_city(), "share_covered", name_col="name", prefer_canvas=False,
                            labels={"platzzahl": "Plätze"}, source="Amt für Statistik",
                            licence="dl-de/by-2-0", date="31.12.2024")
    m.save(tmp_path / "karte.html")  # folium's own method, as the README quickstart calls it
    page = (tmp_path / "karte.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in page
    _check_drawn(browser, (tmp_path / "karte.html").as_uri(), 24)
    # metric scale only, the source line, no layer switcher for one layer
    scale = browser.evaluate("document.querySelector('.leaflet-control-scale').innerText")
    assert ("m" in scale or "km" in scale) and "ft" not in scale and "mi" not in scale
    credit = browser.evaluate("document.querySelector('.leaflet-control-attribution').innerText")
    assert "Quelle: Amt für Statistik · Lizenz: dl-de/by-2-0 · Stand: 31.12.2024" in credit
    assert browser.evaluate("document.querySelector('.leaflet-control-layers') === null")
    # legend: the display label, a class of its own for 0 with its count, per cent, and no
    # "keine Angabe" because nothing is missing
    legend = browser.evaluate("document.querySelector('.quartier-legend').innerText")
    assert "Anteil versorgt" in legend and "share_covered" not in legend
    assert "0 % (2)" in legend and "über 0 bis unter" in legend
    assert "keine Angabe" not in legend and "gesperrt" not in legend
    # tooltip and popup: labels, per cent, German numbers, the profile of the district
    texts = browser.evaluate("""
        (() => {
          const g = Object.values(window).find(v => v instanceof L.GeoJSON);
          const l = g.getLayers().find(x => x.feature.properties.t0 === 'Gebiet 23');
          l.fire('mouseover', {latlng: l.getCenter()}, true);
          const tip = document.querySelector('.leaflet-tooltip').innerText;
          l.fire('click', {latlng: l.getCenter()}, true);
          const pop = document.querySelector('.leaflet-popup-content').innerText;
          return [tip, pop];
        })()
    """)
    tip, pop = texts
    assert "Anteil versorgt" in tip and "90,0 %" in tip and "share_covered" not in tip
    assert "Plätze" in pop and "23" in pop and "Anteil versorgt" in pop and "platzzahl" not in pop


def test_save_map_and_notebook_display_are_offline(browser, tmp_path):
    m = quartier.choropleth(_city(), ["share_covered", "platzzahl"], prefer_canvas=False)
    path = quartier.save_map(m, tmp_path / "zwei.html")
    _check_drawn(browser, path.as_uri(), 24)
    assert browser.evaluate("document.querySelector('.leaflet-control-layers') !== null")
    # the notebook display: the cell's HTML in a page, the map in its iframe
    cell = tmp_path / "notebook.html"
    cell.write_text(f"<html><body>{m._repr_html_()}</body></html>", encoding="utf-8")
    browser.open(cell.as_uri(), ready="document.querySelector('iframe') !== null && "
                 "document.querySelector('iframe').contentDocument.querySelectorAll("
                 "'path.leaflet-interactive').length >= 24")
    assert browser.evaluate("document.querySelector('iframe').contentDocument"
                            ".querySelectorAll('path.leaflet-interactive').length") == 24
    assert browser.blocked == []


def test_quartier_map_command_is_offline(browser, tmp_path):
    gpkg = tmp_path / "gebiete.gpkg"
    _city().to_file(gpkg, layer="gebiete")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([sys.executable, "-m", "quartier.batch.cli", "map", str(gpkg),
                             "share_covered", "--name", "name", "--source", "Amt",
                             "--out", str(tmp_path / "karte.html")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "karte.html").read_text(encoding="utf-8")
    assert "cdn." not in page and "L.tileLayer(" not in page
    browser.open((tmp_path / "karte.html").as_uri(),
                 ready="document.querySelector('.leaflet-overlay-pane canvas') !== null")
    time.sleep(0.3)
    n = browser.evaluate("Object.values(window).find(v => v instanceof L.GeoJSON)"
                         ".getLayers().length")
    assert n == 24
    assert browser.blocked == []


def test_far_outlier_does_not_shrink_the_city(browser, tmp_path):
    city = _city()
    island = city.iloc[[0]].copy()
    island["geometry"] = [box(100_000, 90_000, 101_000, 91_000)]  # 100 km out, like Neuwerk
    island["id"] = "99"
    gdf = gpd.GeoDataFrame(pd_concat([city, island]), crs=city.crs)
    path = quartier.choropleth(gdf, "platzzahl", prefer_canvas=False).save(tmp_path / "h.html")
    assert path is None
    _check_drawn(browser, (tmp_path / "h.html").as_uri(), 25)
    # the city fills most of the frame; the island lies outside it
    width = browser.evaluate("""
        (() => {
          const g = Object.values(window).find(v => v instanceof L.GeoJSON);
          const m = Object.values(window).find(v => v instanceof L.Map);
          const b = L.latLngBounds([]);
          g.getLayers().filter(l => l.feature.properties.t0 !== undefined)
            .slice(0, 24).forEach(l => b.extend(l.getBounds()));
          const a = m.latLngToContainerPoint(b.getNorthWest());
          const c = m.latLngToContainerPoint(b.getSouthEast());
          return [c.x - a.x, m.getSize().x];
        })()
    """)
    assert width[0] > 0.4 * width[1]
    everything = quartier.choropleth(gdf, "platzzahl", extent="all")
    assert everything is not None


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)
