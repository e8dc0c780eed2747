"""Exported files in real QGIS: each opens valid, in its CRS, with its stored style, every
district drawn (also those without a value and the suppressed ones), the web map's classes and
legend labels, the layer title QGIS shows, and a rendering that is not blank.

QGIS runs in a subprocess with Debian's Python (``python3-qgis``), through tests/qgis_check.py.
Without it the tests skip locally and fail in CI (``CI`` set), as .ci/run installs it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

import quartier
from quartier.output._classes import classify

QGIS_PYTHON = "/usr/bin/python3"
CHECK = Path(__file__).with_name("qgis_check.py")
VALUE = "share_covered"
FORMATS = ("gpkg", "geojson", "fgb", "shp")


def _require_qgis() -> None:
    ok = os.path.exists(QGIS_PYTHON) and subprocess.run(
        [QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=120).returncode == 0
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{QGIS_PYTHON} cannot import qgis; CI must have Debian's python3-qgis "
                        "(.ci/run installs it)")
        pytest.skip(f"QGIS not available to {QGIS_PYTHON} (apt-get install python3-qgis)")


def _run_check(out: Path, uris: list[str], key: str) -> list[dict]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_CHECK_KEY": key}
    env.pop("PYTHONPATH", None)  # QGIS's own Python, not the project's packages
    done = subprocess.run([QGIS_PYTHON, str(CHECK), str(out), *uris], capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])[:-1]


def _districts() -> tuple[gpd.GeoDataFrame, pd.Series]:
    """13 districts: values 1..11 (quantile bounds fall on values), one suppressed, one missing."""
    values = [float(v) for v in range(1, 13)] + [np.nan]
    gdf = gpd.GeoDataFrame(
        {"plr_id": [f"D{i:02d}" for i in range(13)], "inhabitants": range(100, 113),
         VALUE: values},
        geometry=[box(390000 + 500 * (i % 4), 5820000 + 500 * (i // 4),
                      390450 + 500 * (i % 4), 5820450 + 500 * (i // 4)) for i in range(13)],
        crs="EPSG:25833")
    office = pd.Series(False, index=gdf.index)
    office.iloc[11] = True  # suppressed by the statistics office
    return gdf, office


def _facilities() -> gpd.GeoDataFrame:
    """Points with coordinates as columns (never classified) and their places."""
    xy = [(390100 + 300 * i, 5820100 + 200 * i) for i in range(6)]
    return gpd.GeoDataFrame(
        {"kita_id": [f"K{i}" for i in range(6)], "gc_xwert": [float(x) for x, _ in xy],
         "gc_ywert": [float(y) for _, y in xy], "places": [10, 25, 40, 60, 80, 120]},
        geometry=[Point(x, y) for x, y in xy], crs="EPSG:25833")


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    _require_qgis()
    out = tmp_path_factory.mktemp("qgis")
    districts, office = _districts()
    meta = {"title": "Versorgung 65+", "source": "Amt für Statistik", "licence": "dl-de/by-2-0"}
    uris = []
    for fmt in FORMATS:
        quartier.export_layers({"versorgung": districts}, out / fmt, format=fmt,
                               styles={"versorgung": VALUE}, suppressed={"versorgung": office},
                               metadata=meta)
        file = out / fmt / f"versorgung.{fmt}"
        uris.append(f"{file}|layername=versorgung" if fmt == "gpkg" else str(file))
    quartier.export_layers({"versorgung": districts}, out / "en.gpkg", lang="en",
                           styles={"versorgung": VALUE}, suppressed={"versorgung": office})
    uris.append(f"{out / 'en.gpkg'}|layername=versorgung")
    quartier.export_layers({"kitas": _facilities()}, out / "kitas.gpkg")
    uris.append(f"{out / 'kitas.gpkg'}|layername=kitas")
    shares = _shares()
    quartier.export_layers({"anteile": shares}, out / "anteile.gpkg")
    uris.append(f"{out / 'anteile.gpkg'}|layername=anteile")
    cells = gpd.GeoDataFrame({"ew_80plus": [3, 0, 12, 7] * 4},
                             geometry=[Point(390050 + 100 * (i % 4), 5820050 + 100 * (i // 4))
                                       for i in range(16)], crs="EPSG:25833")
    tif = quartier.export_raster(cells, "ew_80plus", out / "ew_80plus.tif")
    uris.append(str(tif))
    results = _run_check(out, uris, key="plr_id")
    # the kitas are compared by their own key
    results[len(FORMATS) + 1] = _run_check(out, [uris[len(FORMATS) + 1]], key="kita_id")[0]
    return {"out": out, "districts": districts, "office": office, "results": results,
            "shares": shares}


def _shares() -> gpd.GeoDataFrame:
    """Shares 0..1 with zeros: the web map shows them in per cent with a class of their own."""
    values = [0.0, 0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0]
    return gpd.GeoDataFrame(
        {"plr_id": [f"S{i:02d}" for i in range(10)], "share_covered": values},
        geometry=[box(390000 + 500 * i, 5830000, 390450 + 500 * i, 5830450) for i in range(10)],
        crs="EPSG:25833")


def test_every_format_opens_styled_with_all_districts_drawn(checked):
    districts, office = checked["districts"], checked["office"]
    expected = classify(districts, VALUE, suppressed=office, lang="de", zero_class=True)
    labels = [*expected.labels, "gesperrt (Geheimhaltung)", "keine Angabe"]
    assert labels[:5] == ["bis unter 3,0", "3,0 bis unter 5,0", "5,0 bis unter 7,0",
                          "7,0 bis unter 9,0", "9,0 bis 11,0"]
    for fmt, r in zip(FORMATS, checked["results"], strict=False):
        assert r["valid"], fmt
        assert r["crs"] == ("EPSG:4326" if fmt == "geojson" else "EPSG:25833"), fmt
        assert r["features"] == len(districts), fmt
        assert r["style_loaded"], (fmt, r["style_message"])
        assert r["renderer"] == "RuleRenderer", fmt
        assert r["legend"] == labels, fmt
        # every district is drawn: those without a value and the suppressed one too
        assert r["rendered_features"] == r["features"], fmt
        assert r["title"] == "Versorgung 65+", fmt
        assert "Amt für Statistik" in r["abstract"], fmt
        assert r["drawn_share"] > 0.2, fmt
        if fmt != "shp":  # (Shapefile field names are cut to 10 characters)
            assert f"{VALUE}_suppressed" in r["fields"], fmt


def test_qgis_puts_every_district_in_the_web_maps_class(checked):
    """Values on a class bound belong to the class above, in QGIS as on the web map."""
    districts, office = checked["districts"], checked["office"]
    expected = classify(districts, VALUE, suppressed=office, lang="de", zero_class=True)
    assert set(expected.breaks[:-1]) <= set(districts[VALUE])  # bounds fall on values
    want = {}
    for key, status, fill in zip(districts["plr_id"], expected.status, expected.fill,
                                 strict=True):
        if status == "value":
            want[key] = [expected.labels[expected.colours.index(fill)], "root"]
        else:
            want[key] = ["gesperrt (Geheimhaltung)" if status == "suppressed" else "keine Angabe",
                         "root"]
    for fmt, r in zip(FORMATS, checked["results"], strict=False):
        assert r["legend_by_key"] == want, fmt


def test_english_legend(checked):
    r = checked["results"][len(FORMATS)]
    assert r["style_loaded"] and r["rendered_features"] == r["features"] == 13
    assert r["legend"][0] == "under 3.0" and r["legend"][4] == "9.0 to 11.0"
    assert r["legend"][5:] == ["suppressed (confidentiality)", "no data"]


def test_points_classified_by_places_not_by_coordinates(checked):
    r = checked["results"][len(FORMATS) + 1]
    assert r["valid"] and r["style_loaded"] and r["renderer"] == "RuleRenderer"
    places = classify(_facilities(), "places", lang="de")
    assert r["legend"] == places.labels  # no missing values: no "keine Angabe" entry
    assert r["rendered_features"] == r["features"] == 6
    assert r["drawn_share"] > 0


def test_raster_opens_as_integers(checked):
    r = checked["results"][-1]
    assert r["valid"] and r["crs"] == "EPSG:25833"
    assert (r["width"], r["height"]) == (4, 4)
    assert r["data_type"] == 5  # Qgis.DataType.Int32
    assert r["drawn_share"] > 0.2
    assert oct(os.stat(checked["out"] / "ew_80plus.tif").st_mode & 0o777) == "0o644"


def test_zero_class_and_per_cent_as_on_the_web_map(checked):
    """Shares are classified in per cent with a class for 0, in QGIS as on web and print maps."""
    r = checked["results"][len(FORMATS) + 2]
    shares = checked["shares"]
    expected = classify(shares, "share_covered", lang="de", zero_class=True, percent=True)
    assert expected.labels[0] == "0 %" and expected.labels[-1].endswith("100,0 %")
    assert r["style_loaded"] and r["legend"] == expected.labels
    want = {key: sorted([expected.labels[expected.colours.index(fill)], "root"])
            for key, fill in zip(shares["plr_id"], expected.fill, strict=True)}
    got = {key: sorted(labels) for key, labels in r["legend_by_key"].items()}
    assert got == want
    assert "0 %" in got["S00"] and "0 %" in got["S01"]
