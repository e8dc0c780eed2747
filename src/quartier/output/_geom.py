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


def core_mask(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Districts that are not far outliers (True), judged by the distance of a point inside each
    from the median point: beyond the third quartile plus three interquartile ranges (and more
    than twice the third quartile) is far. Hamburg's Neuwerk, 100 km out in the North Sea, is;
    a ring of outer districts is not.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> city = [box(x, y, x + 1000, y + 1000) for x in range(0, 5000, 1000)
    ...         for y in range(0, 5000, 1000)]
    >>> g = gpd.GeoDataFrame(geometry=city + [box(100_000, 0, 101_000, 1000)], crs="EPSG:25832")
    >>> core_mask(g).sum(), core_mask(g)[-1]
    (np.int64(25), np.False_)
    """
    keep = np.ones(len(gdf), dtype=bool)
    if len(gdf) < 4 or gdf.crs is None:
        return keep
    metric = gdf if is_metric(gdf.crs) else gdf.to_crs(DEFAULT_CRS)
    geoms = metric.geometry.values
    present = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
    points = shapely.point_on_surface(geoms[present])
    xy = shapely.get_coordinates(points)
    centre = np.median(xy, axis=0)
    dist = np.hypot(*(xy - centre).T)
    q1, q3 = np.percentile(dist, [25, 75])
    limit = max(q3 + 3 * (q3 - q1), 2 * q3)
    keep[np.flatnonzero(present)[dist > limit]] = False
    return keep


def map_extent(gdf: gpd.GeoDataFrame, extent=None, *, to_web: bool = False, crs=None):
    """(minx, miny, maxx, maxy) a map opens on: ``extent=`` of the map functions.

    ``None``: every district except far outliers (see :func:`core_mask`); ``"all"``: every
    district; a GeoDataFrame: its bounds; a tuple: bounds in the CRS of ``gdf``. The result is
    in ``crs`` (default the CRS of ``gdf``), or in WGS84 with ``to_web``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs="EPSG:25832")
    >>> [float(v) for v in map_extent(g, "all")]
    [0.0, 0.0, 10.0, 10.0]
    """
    from quartier.errors import ParameterError

    target = WEB_CRS if to_web else (crs or gdf.crs)
    if extent is None or (isinstance(extent, str) and extent == "all"):
        part = gdf if isinstance(extent, str) else gdf[core_mask(gdf)]
        return tuple(part.geometry.to_crs(target).total_bounds)
    if hasattr(extent, "total_bounds"):
        return tuple(extent.geometry.to_crs(target).total_bounds)
    if isinstance(extent, str):
        raise ParameterError(f"extent={extent!r} is not known; use None (every district but far "
                             "outliers), 'all', a GeoDataFrame or (minx, miny, maxx, maxy).")
    try:
        minx, miny, maxx, maxy = (float(v) for v in extent)
    except (TypeError, ValueError):
        raise ParameterError("extent= must be None, 'all', a GeoDataFrame or four numbers "
                             f"(minx, miny, maxx, maxy), not {extent!r}.") from None
    box = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=gdf.crs).to_crs(target)
    return tuple(box.total_bounds)
