"""Private: the map elements quartier adds to folium maps (scale bar, credits, district names,
legend) and the one layer control of a map.

Each element is a ``MacroElement`` subclass with its own ``_template`` (folium's documented way
to add HTML and JavaScript; pinned by tests/test_folium_api.py).
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement, Template

from quartier._checks import require_column
from quartier.output.formatting import format_number


def _controlled(m) -> list:
    """The layers of ``m`` a layer control would list (tiles, indicators, overlays)."""
    return m.__dict__.setdefault("_quartier_controlled", [])


def _ensure_layer_control(m: folium.Map) -> None:
    """Keep at most one layer control of quartier's, rendered after every layer it lists.

    A map with one layer gets none (nothing to switch). The control's script names the layers,
    so it must come after them: each new layer gets a new control at the end of the map's
    children. The previous one, and whatever an earlier render of it left in the page, is
    replaced by an empty element of the same name (``add_child`` replaces a child of that name
    in place; public folium/branca API).
    """
    if len(_controlled(m)) < 2:
        return
    old = m.__dict__.get("_quartier_control")
    if old is not None:
        m.add_child(folium.Element(""), name=old.get_name())
        figure = m.get_root()
        if isinstance(figure, folium.Figure):
            for part in (figure.header, figure.html, figure.script):
                part.add_child(folium.Element(""), name=old.get_name())
    control = m.__dict__["_quartier_control"] = folium.LayerControl(collapsed=False)
    control.add_to(m)


class _Scale(MacroElement):
    """A metric scale bar (Leaflet's own shows feet and miles too)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, maxWidth: 160}).addTo(
            {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "QuartierScale"


class _Attribution(MacroElement):
    """Source, licence and date of the data in the map's attribution line (escaped text)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "QuartierAttribution"
        self.text = html.escape(text)


class _Names(MacroElement):
    """District names written on the map (permanent tooltips at a point inside each district)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>.quartier-name { background: transparent; border: none; box-shadow: none;
          font: 11px/1.1 Arial, Helvetica, sans-serif; color: #222;
          text-shadow: 0 0 2px #fff, 0 0 2px #fff; padding: 0; }
        .quartier-name:before { display: none; }</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var names = {{ this.data|tojson }};
          var group = L.layerGroup();
          names.forEach(function (n) {
            L.tooltip({permanent: true, direction: "center", className: "quartier-name",
                       interactive: false})
              .setLatLng([n[1], n[0]]).setContent(n[2]).addTo(group);
          });
          group.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, gdf: gpd.GeoDataFrame, name_col: str):
        super().__init__()
        require_column(gdf, name_col, source="the districts", role="name column (name_col)")
        self._name = "QuartierNames"
        points = gpd.GeoSeries(gdf.geometry.representative_point(), crs=gdf.crs).to_crs(
            "EPSG:4326")
        self.data = [
            [round(p.x, 5), round(p.y, 5), html.escape(str(n))]
            for p, n in zip(points, gdf[name_col], strict=True)
            if p is not None and not p.is_empty and not pd.isna(n)
        ]


class _Legend(MacroElement):
    """The class legend of one indicator layer, shown while that layer is shown.

    ``_template`` (with ``header``/``html``/``script`` macros) and ``_name`` are how folium and
    branca document subclassing ``MacroElement``; there is no public alternative. The test
    ``test_legend_uses_folium_subclassing_protocol`` in tests/test_maps.py fails if folium stops
    honouring them.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="quartier-legend" id="{{ this.get_name() }}" style="position: fixed;
             bottom: 24px; right: 12px; z-index: 1000; background: white; padding: 8px 10px;
             border: 1px solid #999; font: 12px/1.4 Arial, Helvetica, sans-serif; max-width: 260px;
             display: {{ 'block' if this.visible else 'none' }};">
          <div style="font-weight: bold; margin-bottom: 4px;">{{ this.title }}</div>
          {% for colour, label, kind, count in this.entries %}
          <div class="quartier-legend-entry"><span style="display: inline-block; width: 14px;
               height: 12px; background: {{ colour }}; margin-right: 6px; vertical-align: middle;
               border: 1px {{ 'dashed' if kind == 'suppressed' else 'solid' }}
               {{ '#525252' if kind == 'suppressed' else '#777' }};"></span>{{ label }}
               <span class="quartier-count" style="color: #555;">({{ count }})</span></div>
          {% endfor %}
          <div class="quartier-legend-note" style="color: #555; margin-top: 3px;">{{ this.note }}</div>
        </div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {% if this.layer_name %}
        {{ this.map_name }}.on("baselayerchange", function (e) {
            document.getElementById({{ this.get_name()|tojson }}).style.display =
                e.layer === {{ this.layer_name }} ? "block" : "none";
        });
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries, *, map_name: str, layer=None, visible: bool = True,
                 lang: str = "de"):
        super().__init__()
        self._name = "QuartierLegend"
        self.map_name = map_name
        self.title = title
        self.entries = [(c, html.escape(label), kind, format_number(n, 0, lang=lang))
                        for c, label, kind, n in entries]
        self.note = "(Anzahl Gebiete)" if lang == "de" else "(number of districts)"
        self.layer = layer
        self.visible = visible

    def render(self, **kwargs):
        self.layer_name = self.layer.get_name() if self.layer is not None else None
        super().render(**kwargs)

