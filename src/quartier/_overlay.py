"""Private geometry kernels for interpolation: intersection areas and point assignment.

Everything is vectorised with shapely 2 (which releases the GIL, so large jobs
are split over threads) and returns plain index arrays, ready for
``scipy.sparse``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

# pairs per thread chunk; below this, threads cost more than they bring
_CHUNK = 4096


def _threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def intersection_areas(
    source: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Areas of all non-empty source/target intersections.

    Parameters
    ----------
    source, target : numpy.ndarray of shapely geometries (polygons; missing allowed)

    Returns
    -------
    (src_idx, tgt_idx, area) : positional indices and intersection areas (> 0).
    """
    tree = shapely.STRtree(target)
    src_idx, tgt_idx = tree.query(source, predicate="intersects")
    if len(src_idx) == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, np.empty(0, dtype=float)
    src_area = shapely.area(source)
    tgt_area = shapely.area(target)
    area = np.full(len(src_idx), np.nan)

    # Shortcuts that need no intersection geometry: a polygon lying inside the
    # other one (very common when district systems are nested or nearly so).
    # covers() on prepared geometries is far cheaper than an intersection.
    shapely.prepare(target)
    shapely.prepare(source)
    inside_tgt = _chunked(shapely.covers, target[tgt_idx], source[src_idx])
    area[inside_tgt] = src_area[src_idx[inside_tgt]]
    rest = ~inside_tgt
    inside_src = np.zeros(len(src_idx), dtype=bool)
    inside_src[rest] = _chunked(shapely.covers, source[src_idx[rest]], target[tgt_idx[rest]])
    area[inside_src] = tgt_area[tgt_idx[inside_src]]
    rest &= ~inside_src
    if rest.any():
        area[rest] = _intersection_area(source[src_idx[rest]], target[tgt_idx[rest]])
    keep = area > 0
    return src_idx[keep], tgt_idx[keep], area[keep]


def _intersection_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Areas of ``a & b`` (GEOS overlay), split over threads for many pairs.

    Only pure GEOS calls run in threads: some shapely functions (``is_valid``,
    ``total_bounds``) change the process-wide warning filters, which is not
    thread-safe. (Clipping both polygons to the overlap of their boxes first
    was tried: no faster on real district layers, slower on simple ones.)
    """
    return _chunked(_area_of_intersection, a, b)


def _area_of_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return shapely.area(shapely.intersection(a, b))


def _chunked(func, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``func(a, b)`` elementwise, split over threads for large inputs."""
    n = len(a)
    workers = _threads()
    if n < 2 * _CHUNK or workers == 1:
        return func(a, b)
    bounds = np.linspace(0, n, min(workers * 4, n // _CHUNK) + 1).astype(int)
    parts = list(zip(bounds[:-1], bounds[1:], strict=True))
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda se: func(a[se[0]:se[1]], b[se[0]:se[1]]), parts))
    return np.concatenate(results)


def assign_points(points: np.ndarray, polygons: np.ndarray, *,
                  predicate: str = "intersects") -> np.ndarray:
    """Position of the polygon each point lies in (-1 if none).

    With ``predicate="intersects"`` a point on the shared border of two
    polygons goes to the first of them (lowest position), so that it is
    counted exactly once; with ``"within"`` it belongs to none (and callers
    report it).
    """
    out = np.full(len(points), -1, dtype=np.intp)
    if len(points) == 0 or len(polygons) == 0:
        return out
    tree = shapely.STRtree(polygons)
    pt_idx, poly_idx = tree.query(points, predicate="within" if predicate == "within"
                                  else "intersects")
    if len(pt_idx):
        # keep the first polygon per point: sort by (point, polygon), take first of each point
        order = np.lexsort((poly_idx, pt_idx))
        pt_idx, poly_idx = pt_idx[order], poly_idx[order]
        first = np.ones(len(pt_idx), dtype=bool)
        first[1:] = pt_idx[1:] != pt_idx[:-1]
        out[pt_idx[first]] = poly_idx[first]
    return out


def locate_points(points, districts) -> np.ndarray:
    """Position in ``districts`` of the district each row of ``points`` lies in (-1 if none).

    Polygons (grid cells, address areas) count at a point inside them. A point must lie in
    a district's interior: one exactly on a border belongs to none and is reported by the
    callers (coverage, supply), as it cannot be told which district it serves.
    """
    from quartier.access.costs import point_coordinates

    xy = point_coordinates(points, what="point")
    return assign_points(shapely.points(xy), np.asarray(districts.geometry.array),
                         predicate="within")
