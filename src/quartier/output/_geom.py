"""Light geometry for web maps: topology-preserving simplification and short coordinates."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import shapely

from quartier.errors import CRSError, QuartierWarning
from quartier.io.crs import DEFAULT_CRS, WEB_CRS, is_metric


def web_geometry(
    gdf: gpd.GeoDataFrame,
    *,
    simplify: float | None,
    coverage: bool = True,
    decimals: int = 5,
    what: str = "the districts",
) -> np.ndarray:
    """Geometries in WGS84 for Leaflet, simplified by ``simplify`` metres, rounded.

    With ``coverage=True`` (districts that tile the city) shared edges are
    simplified once (``shapely.coverage_simplify``), so neighbours still meet
    without gaps or overlaps. Rounding to ``decimals`` (5 is about 1 m) maps a
    shared vertex to the same rounded vertex on both sides.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:25832")
    >>> web_geometry(g, simplify=5)[0].geom_type
    'Polygon'
    """
    if gdf.crs is None:
        raise CRSError(
            f"{what} have no coordinate reference system; set it (gdf.set_crs('EPSG:25832')) "
            "or read them with quartier.read_districts."
        )
    geoms = gdf
    if simplify:
        if not is_metric(gdf.crs):
            geoms = gdf.to_crs(DEFAULT_CRS)  # tolerance in metres
        values = geoms.geometry.values
        empty = shapely.is_empty(values) | shapely.is_missing(values)
        if coverage and hasattr(shapely, "coverage_simplify"):
            valid = bool(shapely.coverage_is_valid(values[~empty]))
            if not valid:
                warnings.warn(
                    f"{what} overlap or leave slivers between neighbours (not a clean coverage), "
                    "so each one was simplified on its own and small gaps may show between "
                    "neighbours on the map. Repair the geometries (e.g. in QGIS: 'Check "
                    "validity', 'Fix geometries') or pass simplify=None.",
                    QuartierWarning,
                    stacklevel=3,
                )
        else:
            valid = False
        out = values.copy()
        if valid:
            out[~empty] = shapely.coverage_simplify(values[~empty], simplify)
        else:
            out[~empty] = shapely.simplify(values[~empty], simplify, preserve_topology=True)
        geoms = gpd.GeoSeries(out, crs=geoms.crs)
    else:
        geoms = geoms.geometry
    web = geoms.to_crs(WEB_CRS).values
    return shapely.transform(np.asarray(web, dtype=object), lambda xy: np.round(xy, decimals))
