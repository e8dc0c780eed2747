"""Map details: clear errors, categorical maps, unbewohnt, outlines, names, print-map extent."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

import quartier
from quartier.errors import ParameterError
from quartier.output._classes import UNINHABITED_COLOUR, classify
from quartier.output._geom import core_mask


def _grid(n=12):
    return gpd.GeoDataFrame({
        "key": [f"{i + 1:02d}" for i in range(n)],
        "wert": np.arange(n, dtype=float),
        "ew": [0] + [100] * (n - 1),
        "mss": [1, 2, 3, 4] * (n // 4),
    }, geometry=[box(i * 1000, 0, i * 1000 + 1000, 1000) for i in range(n)], crs="EPSG:25832")


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"k": 1}, "k=1"), ({"k": 0}, "k=0"), ({"scheme": "jenks"}, "scheme='jenks'"),
    ({"column": "key"}, "kind='categorical'"), ({"kind": "bunt"}, "kind='bunt'"),
])
def test_clear_errors(kwargs, needle):
    column = kwargs.pop("column", "wert")
    with pytest.raises(ParameterError, match=needle.replace("(", r"\(")):
        quartier.choropleth(_grid(), column, **kwargs)


def test_categorical_map_with_given_colours():
    colours = {1: "#1a9641", 2: "#a6d96a", 3: "#fdae61", 4: "#d7191c"}
    names = {1: "hoch", 2: "mittel", 3: "niedrig", 4: "sehr niedrig"}
    c = classify(_grid(), "mss", kind="categorical", colours=colours, class_labels=names)
    assert c.labels == ["hoch", "mittel", "niedrig", "sehr niedrig"] and c.counts == [3] * 4
    assert c.fill[:4] == list(colours.values())
    keys = classify(_grid(), "key", kind="categorical", colours={
        f"{i + 1:02d}": "#000000" for i in range(12)})
    assert keys.labels[0] == "01"  # keys stay text, not numbers
    with pytest.raises(ParameterError, match="'4'|4"):
        classify(_grid(), "mss", kind="categorical", colours={1: "#000", 2: "#111", 3: "#222"})
    page = quartier.choropleth(_grid(), "mss", kind="categorical", colours=colours,
                               class_labels=names).get_root().render()
    assert "sehr niedrig" in page and "#d7191c" in page


def test_uninhabited_and_zero_class():
    c = classify(_grid(), "wert", population=_grid()["ew"], zero_class=True, k=3)
    assert c.status[0] == "uninhabited" and c.fill[0] == UNINHABITED_COLOUR
    assert [e[1] for e in c.legend()][-1] == "unbewohnt"
    c = classify(_grid(), "wert", zero_class=True, k=3)
    assert c.labels[0] == "0" and c.counts[0] == 1 and c.labels[1].startswith("über 0 bis unter")
    assert "keine Angabe" not in [e[1] for e in c.legend()]


def test_outline_and_names_on_the_web_map():
    g = _grid()
    bezirke = g.dissolve(by=g.index // 4)
    page = quartier.choropleth(g, "wert", outline=bezirke, show_names=True,
                               name_col="key").get_root().render()
    assert "quartier-outline" in page and "quartier-name" in page
    with pytest.raises(ParameterError, match="name_col"):
        quartier.choropleth(g, "wert", show_names=True)


def test_core_mask_keeps_a_ring_and_drops_an_island():
    g = _grid()
    assert core_mask(g).all()
    far = g.iloc[[0]].copy()
    far["geometry"] = [box(150_000, 0, 151_000, 1000)]
    both = gpd.GeoDataFrame(pd.concat([g, far], ignore_index=True), crs=g.crs)
    assert core_mask(both).tolist() == [True] * 12 + [False]


def test_print_map_extent_ignores_the_island(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    captured = {}
    real = Figure.savefig
    monkeypatch.setattr(Figure, "savefig",
                        lambda fig, *a, **kw: (captured.setdefault("fig", fig), real(fig, *a, **kw)))
    g = _grid()
    far = g.iloc[[0]].copy()
    far["geometry"] = [box(150_000, 0, 151_000, 1000)]
    both = gpd.GeoDataFrame(pd.concat([g, far], ignore_index=True), crs=g.crs)
    quartier.print_map(both, "wert", tmp_path / "k.png", title="T", source="S", dpi=30,
                       labels={"wert": "Mein Wert"})
    fig = captured["fig"]
    x0, x1 = fig.axes[0].get_xlim()
    assert x1 < 100_000
    assert fig.legends[0].get_title().get_text() == "Mein Wert"


def test_print_map_extent_as_a_frame_of_districts(tmp_path):
    pytest.importorskip("matplotlib")
    g = _grid()
    written = quartier.print_map(g, "wert", tmp_path / "k.png", title="T", source="S", dpi=30,
                                 extent=g.iloc[:3])
    assert written == [tmp_path / "k.png"]
