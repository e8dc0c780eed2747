"""The folium/branca behaviour quartier relies on, pinned: these fail loudly when folium changes.

quartier uses public API where there is one (``add_child``/``add_to``, ``get_name``,
``Figure.header/html/script``, ``folium.Element``). Two things have none and are pinned here:
subclassing ``MacroElement`` through ``_template``/``_name`` (output/_elements.py, ``_Legend``) and
rendering a map without its tile layers through ``_children`` (output/offline.py).
"""

from __future__ import annotations

import re

import folium
import geopandas as gpd
from branca.element import MacroElement, Template
from shapely import box

from quartier import add_layer, choropleth, save_map


def _districts():
    return gpd.GeoDataFrame({"wert": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]},
                            geometry=[box(0, 0, 900, 900), box(900, 0, 1800, 900),
                                      box(0, 900, 900, 1800)], crs="EPSG:25832")


def test_macro_element_subclassing_protocol():
    class Probe(MacroElement):
        _template = Template(
            "{% macro html(this, kwargs) %}<p id='{{ this.get_name() }}'>{{ this.text }}</p>"
            "{% endmacro %}{% macro script(this, kwargs) %}var {{ this.get_name() }}_x = "
            "{{ this.map_name|tojson }};{% endmacro %}")

        def __init__(self, map_name):
            super().__init__()
            self._name = "QuartierProbe"
            self.text = "hallo"
            self.map_name = map_name

    m = folium.Map(tiles=None)
    probe = Probe(m.get_name())
    probe.add_to(m)
    assert probe.get_name().startswith("quartier_probe_")
    page = m.get_root().render()
    assert f"<p id='{probe.get_name()}'>hallo</p>" in page
    assert f'var {probe.get_name()}_x = "{m.get_name()}";' in page


def test_children_mapping_used_for_offline_rendering():
    m = folium.Map(tiles="OpenStreetMap")
    tiles = [(k, c) for k, c in m._children.items() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1
    key, tile = tiles[0]
    figure = m.get_root()
    assert isinstance(figure, folium.Figure)
    page = figure.render()
    assert "L.tileLayer(" in page
    # an earlier render leaves the tile layer's code in the figure's script, under get_name()
    assert tile.get_name() in figure.script._children
    # removing the child and that code removes the tile layer from the page; restoring the
    # saved mappings restores it
    saved = m._children.copy(), figure.script._children.copy()
    del m._children[key]
    del figure.script._children[tile.get_name()]
    assert "L.tileLayer(" not in figure.render()
    m._children, figure.script._children = saved
    assert "L.tileLayer(" in figure.render()


def test_offline_render_leaves_the_map_unchanged(tmp_path):
    m = choropleth(_districts(), "wert", k=2, tiles="OpenStreetMap")
    before = list(m._children)
    page = save_map(m, tmp_path / "k.html", offline=True).read_text(encoding="utf-8")
    assert "L.tileLayer(" not in page
    assert list(m._children) == before and "L.tileLayer(" in m.get_root().render()


def test_layer_control_follows_every_layer_after_a_render():
    """A map shown (rendered) in a notebook and then given another layer: still one control,
    after every layer it names."""
    gdf = _districts()
    m = choropleth(gdf, ["wert", "b"], k=2, tiles=None)
    m.get_root().render()
    add_layer(m, gdf, "wert", name="Dritte", k=2)
    page = m.get_root().render()
    assert page.count("L.control.layers(") == 1
    control_at = page.index("L.control.layers(")
    layers = re.findall(r"var (geo_json_\w+) = ", page)
    assert len(layers) == 3
    assert all(page.index(f"var {name} = ") < control_at for name in layers)
    assert re.search(r'"Dritte" : geo_json_\w+', page[page.index("layer_control_"):])
