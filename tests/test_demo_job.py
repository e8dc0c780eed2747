"""The main job: `quartier demo` end to end, checked against an independent computation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import quartier
from quartier.batch.cli import main


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, quartier.run_demo(out)


def _independent_shares(radius=500.0):
    """Share of 65+ within `radius` of a Seniorentreff per Stadtteil, with plain pandas/shapely."""
    cells = pd.read_csv(quartier.demo_path("bevoelkerung_100m.csv"), sep=";")
    ew = cells["65_bis_79"] + cells["80_und_aelter"]
    gpkg = quartier.demo_path("musterstadt.gpkg")
    fac = gpd.read_file(gpkg, layer="einrichtungen")
    treffs = fac[fac["art"] == "seniorentreff"]
    d = np.hypot(
        cells["x"].to_numpy()[:, None] - treffs.geometry.x.to_numpy()[None, :],
        cells["y"].to_numpy()[:, None] - treffs.geometry.y.to_numpy()[None, :],
    ).min(axis=1)
    teile = gpd.read_file(gpkg, layer="stadtteile")
    pts = shapely.points(cells["x"], cells["y"])
    owner = np.full(len(cells), None, dtype=object)
    for key, poly in zip(teile["stadtteil_id"], teile.geometry, strict=True):
        owner[shapely.contains(poly, pts)] = key
    frame = pd.DataFrame({"key": owner, "ew": ew, "cov": np.where(d <= radius, ew, 0)})
    sums = frame.groupby("key")[["ew", "cov"]].sum()
    return sums["cov"] / sums["ew"], sums


def test_demo_shares_agree_with_independent_computation(demo_run):
    _, result = demo_run
    expected, sums = _independent_shares()
    got = result.summary.set_index("stadtteil_id")["anteil_versorgt"]
    assert len(got) == len(expected) >= 40
    assert np.allclose(got.loc[expected.index], expected, atol=1e-12)
    assert result.summary["ew_65plus"].sum() == sums["ew"].sum()
    assert result.report.complete
    # the demo city is meant to show gaps as well as good coverage
    assert got.min() < 0.2 and got.max() > 0.8


def test_demo_writes_map_and_geopackage(demo_run):
    out, result = demo_run
    assert result.map_path == out / "musterstadt_seniorentreffs.html"
    html = result.map_path.read_text(encoding="utf-8")
    assert "Anteil 65+ im Umkreis von 500 m eines Seniorentreffs" in html
    assert "bis unter" in html  # German class labels
    layers = gpd.list_layers(result.gpkg_path)["name"].tolist()
    assert layers == ["stadtteile_versorgung", "seniorentreffs", "gitterzellen_65plus", "layer_styles"]
    back = gpd.read_file(result.gpkg_path, layer="stadtteile_versorgung")
    assert back.crs.to_epsg() == 25832 and len(back) == len(result.summary)
    assert back["stadtteil_id"].str.len().eq(5).all()  # keys stay strings in the file


def test_cli_prints_summary_and_paths(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Verknüpfung:" in text and "von" in text
    assert str(tmp_path / "musterstadt_seniorentreffs.html") in text
    assert "Gesamt:" in text and " %" in text  # German percentage format


def test_cli_english_and_version(tmp_path, capsys):
    assert main(["--lang", "en", "demo", "--out", str(tmp_path)]) == 0
    assert "Total:" in capsys.readouterr().out
    quartier.set_language("de")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("quartier ")
