"""Open GIS files in real QGIS (headless) and report what a planner would see, as JSON.

Run with Debian's Python that has ``python3-qgis`` (not the project's venv)::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py OUT_DIR FILE[|layername=L] ...

For every layer: validity, CRS, feature count, whether the default style (GeoPackage
``layer_styles`` or a ``.qml`` beside the file) loads, the renderer, the legend labels, how
many features the renderer draws, the metadata QGIS shows, and a PNG rendering.
Raster layers (GeoTIFF): validity, CRS, data type and a rendering.

With ``QGIS_CHECK_KEY=<field>`` set, ``legend_by_key`` gives, per value of that field, the
legend labels of the rules that draw the feature (to compare with quartier's own classes).
"""

from __future__ import annotations

import json
import os
import sys

if __name__ == "__main__":  # not when pytest merely collects this file
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

try:
    from qgis.core import (
        QgsApplication,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProviderRegistry,
        QgsRasterLayer,
        QgsRenderContext,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
except ImportError:  # collected by pytest (doctest-modules) in a Python without QGIS
    if __name__ == "__main__":
        raise


def _render(layer, png: str) -> dict:
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(400, 400))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png, "PNG")
    # how much of the image is not background: a blank rendering draws nothing
    drawn = 0
    step = 4
    for x in range(0, image.width(), step):
        for y in range(0, image.height(), step):
            if image.pixelColor(x, y).name() != "#ffffff":
                drawn += 1
    return {"png": png, "drawn_share": drawn / ((image.width() // step) * (image.height() // step))}


def _vector(uri: str, png: str) -> dict:
    layer = QgsVectorLayer(uri, "layer", "ogr")
    out = {"uri": uri, "valid": layer.isValid()}
    if not layer.isValid():
        return out
    message, ok = layer.loadDefaultStyle()
    layer.loadDefaultMetadata()  # as QGIS does when it adds a layer (a .qmd beside the file)
    renderer = layer.renderer()
    context = QgsRenderContext()
    renderer.startRender(context, layer.fields())
    labels = {item.ruleKey(): item.label() for item in renderer.legendSymbolItems()}
    key = os.environ.get("QGIS_CHECK_KEY")
    drawn, by_key = 0, {}
    for f in layer.getFeatures():
        drawn += bool(renderer.willRenderFeature(f, context))
        if key and key in layer.fields().names():
            keys = renderer.legendKeysForFeature(f, context)
            by_key[str(f[key])] = sorted(labels.get(k, k) for k in keys)
    renderer.stopRender(context)
    meta = layer.metadata()
    out.update({
        "crs": layer.crs().authid(),
        "features": layer.featureCount(),
        "geometry_type": int(layer.geometryType()),
        "fields": [f.name() for f in layer.fields()],
        "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())
                    if layer.attributeAlias(i)},
        "style_loaded": bool(ok),
        "style_message": message,
        "renderer": renderer.type(),
        "legend": [item.label() for item in renderer.legendSymbolItems()],
        "rendered_features": drawn,
        "legend_by_key": by_key,
        "title": meta.title(),
        "abstract": meta.abstract(),
        "provider_description": layer.dataProvider().description(),
    })
    out.update(_render(layer, png))
    return out


def _raster(path: str, png: str) -> dict:
    layer = QgsRasterLayer(path, "raster")
    out = {"uri": path, "valid": layer.isValid()}
    if not layer.isValid():
        return out
    provider = layer.dataProvider()
    out.update({"crs": layer.crs().authid(), "width": layer.width(), "height": layer.height(),
                "data_type": int(provider.dataType(1)),
                "style_loaded": bool(layer.loadDefaultStyle()[1])})
    out.update(_render(layer, png))
    return out


def main(argv: list[str]) -> int:
    out_dir, uris = argv[0], argv[1:]
    app = QgsApplication([], False)
    app.initQgis()
    results = []
    try:
        for i, uri in enumerate(uris):
            png = os.path.join(out_dir, f"qgis_{i}.png")
            path = uri.split("|")[0]
            if path.lower().endswith((".tif", ".tiff")):
                results.append(_raster(path, png))
            else:
                results.append(_vector(uri, png))
        results.append({"qgis": QgsApplication.QGIS_ORGANIZATION_NAME,
                        "providers": sorted(QgsProviderRegistry.instance().providerList())})
    finally:
        app.exitQgis()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
