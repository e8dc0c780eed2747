"""The reach of each service in the GIS layers of a run: layer titles and abstracts.

QGIS shows a GeoPackage layer's title and abstract (Layer Properties > Information) from
``gpkg_contents``; :func:`quartier.export_layers` writes them from the ``title`` and the
other metadata entries of each layer. A run names the service and its reach there
("Pflegeheime: Anteil versorgt – ÖPNV, Dienstag 7:00–9:00 Uhr, Median, 30 min"), so a layer
says how it was measured wherever it is opened.
"""

from __future__ import annotations

_WHAT = {
    "de": {"districts": "Anteil versorgt", "level": "Anteil versorgt je {level}",
           "facilities": "Einrichtungen"},
    "en": {"districts": "share covered", "level": "share covered per {level}",
           "facilities": "facilities"},
}


def layer_metadata(service: str, reach: str | None, layers: dict[str, str],
                   lang: str) -> dict[str, dict]:
    """Per-layer metadata of one service's layers for :func:`quartier.export_layers`.

    ``layers`` maps each layer name to what it holds: ``"districts"``, ``"facilities"`` or
    ``"level:<column>"``. Without ``reach`` (a straight-line run) only the service is named.

    Examples
    --------
    >>> meta = layer_metadata("Pflege", "Luftlinie 1.000 m", {"pflege_gebiete": "districts"},
    ...                       "de")
    >>> meta["pflege_gebiete"]["title"]
    'Pflege: Anteil versorgt – Luftlinie 1.000 m'
    >>> layer_metadata("Care", None, {"care_x": "facilities"}, "en")["care_x"]["title"]
    'Care: facilities'
    """
    words = _WHAT[lang]
    out = {}
    for name, kind in layers.items():
        if kind.startswith("level:"):
            what = words["level"].format(level=kind.removeprefix("level:"))
        else:
            what = words[kind]
        title = f"{service}: {what}" + (f" – {reach}" if reach else "")
        out[name] = {"title": title, "service": service, **({"reach": reach} if reach else {})}
    return out
