"""The choropleth basics the demo needs: German and English legends, missing values, escaping."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely import box

import quartier
from quartier.output.maps import class_breaks, legend_labels


def _districts(values, names=None):
    n = len(values)
    return gpd.GeoDataFrame(
        {"name": names or [f"G{i}" for i in range(n)], "wert": values},
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(n)],
        crs="EPSG:25832",
    )


def test_legend_number_formats():
    assert legend_labels([1234.5, 5000], lang="de") == ["bis unter 1.234,5", "1.234,5 bis 5.000,0"]
    assert legend_labels([1234.5, 5000], lang="en") == ["under 1,234.5", "1,234.5 to 5,000.0"]
    m = quartier.choropleth(_districts([1234.5, 10.0, 20.0, 3000.0]), "wert", k=2, tiles=None)
    html = m.get_root().render()
    assert "1.234,5" in html
    m_en = quartier.choropleth(
        _districts([1234.5, 10.0, 20.0, 3000.0]), "wert", k=2, lang="en", tiles=None
    )
    assert "1,234.5" in m_en.get_root().render()


def test_breaks_cover_the_data():
    values = np.arange(100.0)
    for scheme in ("quantiles", "equal_interval", "natural_breaks"):
        b = class_breaks(values, scheme=scheme, k=5)
        assert b[-1] == 99.0 and b == sorted(b)
    assert class_breaks(values, scheme="user_defined", bins=[10, 50]) == [10.0, 50.0, 99.0]


def test_missing_values_are_grey_and_named():
    m = quartier.choropleth(_districts([1.0, np.nan, 3.0]), "wert", k=2, tiles=None)
    html = m.get_root().render()
    assert "keine Angabe" in html and "#bdbdbd" in html


def test_script_in_a_name_is_escaped():
    gdf = _districts([1.0, 2.0], names=["<script>alert(1)</script>", "Mitte"])
    html = quartier.choropleth(gdf, "wert", tooltip=["name", "wert"], tiles=None).get_root().render()
    assert "<script>alert(1)</script>" not in html
    # escaped before it goes into the GeoJSON (folium writes & as \u0026 in JSON)
    assert "\\u0026lt;script\\u0026gt;alert(1)" in html


def test_many_zeros_give_no_empty_first_class():
    # 12 of 20 districts have nobody within reach: quantile bounds repeat at 0
    values = [0.0] * 12 + [5.0, 10.0, 20.0, 30.0, 50.0, 70.0, 90.0, 100.0]
    breaks = class_breaks(values, scheme="quantiles", k=5)
    assert breaks[0] > 0
    labels = legend_labels(breaks, lang="de")
    assert "bis unter 0,0" not in labels
    m = quartier.choropleth(_districts(values), "wert", tiles=None)
    assert "bis unter 0,0" not in m.get_root().render()
