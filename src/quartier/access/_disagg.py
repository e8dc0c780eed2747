"""Private: spread the target group of districts over points inside them.

Coverage of a district-level population needs to know where in the district
people live. Three sources, best first:

* a population grid (points with a population column, e.g. Zensus 100 m
  cells) or a population raster (GeoTIFF, read with rasterio): each district's
  target group is spread in proportion to the grid population inside it;
* otherwise the district's area: a regular grid of ``spacing`` x ``spacing``
  squares is laid over the district and every square's piece inside the
  district becomes a sample point (a point on the piece) carrying the piece's
  share of the district area. Squares wholly inside carry exactly
  ``spacing**2 / area``; pieces on the border their exact intersection area.

Both keep the mass: the samples of a district sum to its target group.
"""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import numpy as np
import shapely

from quartier._checks import existing_file, population_values, positive_number
from quartier.errors import (
    CRSError,
    ParameterTypeError,
    QuartierWarning,
    ValueParseError,
    format_list,
)
from quartier.io.crs import require_metric


def area_samples(geoms: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner position, sample points, area share) for polygons, on a ``spacing`` grid.

    The grid is anchored at multiples of ``spacing`` so neighbouring
    districts use the same squares.
    """
    owners, points, shares = [], [], []
    for k, geom in enumerate(geoms):
        if geom is None or geom.is_empty or geom.area <= 0:
            continue
        area = geom.area
        x0, y0, x1, y1 = geom.bounds
        xs = np.arange(np.floor(x0 / spacing), np.ceil(x1 / spacing)) * spacing
        ys = np.arange(np.floor(y0 / spacing), np.ceil(y1 / spacing)) * spacing
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        squares = shapely.box(gx, gy, gx + spacing, gy + spacing)
        shapely.prepare(geom)
        inside = shapely.contains_properly(geom, squares)
        touching = ~inside & shapely.intersects(geom, squares)
        pieces = shapely.intersection(squares[touching], geom)
        piece_area = shapely.area(pieces)
        keep = piece_area > 0
        pts = np.concatenate([
            shapely.points(gx[inside] + spacing / 2, gy[inside] + spacing / 2),
            shapely.point_on_surface(pieces[keep]),
        ])
        share = np.concatenate([np.full(inside.sum(), spacing**2), piece_area[keep]]) / area
        if len(pts) == 0:  # smaller than a grid square's piece resolution
            pts, share = np.array([shapely.point_on_surface(geom)]), np.array([1.0])
        owners.append(np.full(len(pts), k))
        points.append(pts)
        shares.append(share / share.sum())  # exact mass despite rounding
    if not owners:
        return np.zeros(0, int), np.zeros(0, object), np.zeros(0)
    return np.concatenate(owners), np.concatenate(points), np.concatenate(shares)


def population_points(population, population_col, crs) -> tuple[np.ndarray, np.ndarray]:
    """(points, values) of a population grid: a GeoDataFrame or a raster path."""
    if isinstance(population, gpd.GeoDataFrame):
        if population_col is None:
            raise ValueParseError(
                "population= is a GeoDataFrame: say which column holds the people with "
                "population_col=..."
            )
        values = population_values(population, population_col, source="population",
                                   role="population column")
        require_metric(population.crs, what="population")
        grid = population if population.crs.equals(crs) else population.to_crs(crs)
        geoms = grid.geometry
        if not (geoms.geom_type == "Point").all():
            geoms = geoms.representative_point()
        return geoms.to_numpy(), values
    if isinstance(population, str | os.PathLike):
        import rasterio
        from rasterio.transform import xy

        path = existing_file(population, suffixes=(".tif", ".tiff", ".vrt", ".img", ".asc"))
        with rasterio.open(path) as src:
            band = src.read(1, masked=True)
            transform, src_crs = src.transform, src.crs
        data = np.ma.filled(band.astype(float), 0.0)
        data[~np.isfinite(data)] = 0.0
        rows, cols = np.nonzero(data > 0)
        xs, ys = xy(transform, rows, cols, offset="center")
        if src_crs is None:
            raise CRSError(f"the raster '{path}' has no CRS; set one in a GIS first.")
        pts = gpd.GeoSeries(shapely.points(np.asarray(xs), np.asarray(ys)), crs=src_crs)
        return pts.to_crs(crs).to_numpy(), data[rows, cols]
    raise ParameterTypeError(
        "population= must be a GeoDataFrame of grid cells (with population_col=) or the path "
        f"of a population raster (GeoTIFF), not {type(population).__name__}."
    )


def disaggregate(districts: gpd.GeoDataFrame, values: np.ndarray, *, population=None,
                 population_col: str | None = None,
                 spacing: float = 100.0) -> tuple[gpd.GeoDataFrame, list]:
    """Sample points of the districts carrying their share of ``values``.

    Returns ``(samples, fallback)``: a GeoDataFrame with ``unit`` (position of the district row),
    ``population`` (the district's value times the sample's share), ``share``
    and ``source`` ("grid" or "area"). Districts of a population grid without
    any grid population inside fall back to area samples.

    ``fallback`` lists the index labels of districts of a population grid
    without any grid population inside, which fall back to area samples
    (warned about when they have people of the target group).
    """
    spacing = positive_number(spacing, "spacing", unit="metres")
    geoms = districts.geometry.to_numpy()
    n = len(districts)
    parts = []
    need_area = np.ones(n, bool)
    fallback: list = []
    if population is not None:
        pts, pop = population_points(population, population_col, districts.crs)
        grid = gpd.GeoDataFrame({"pop": pop}, geometry=pts, crs=districts.crs)
        poly = gpd.GeoDataFrame({"unit": np.arange(n)}, geometry=geoms, crs=districts.crs)
        hits = gpd.sjoin(grid[grid["pop"] > 0], poly, how="inner", predicate="within")
        hits = hits[~hits.index.duplicated(keep="first")]
        unit = hits["unit"].to_numpy()
        total = np.bincount(unit, weights=hits["pop"].to_numpy(), minlength=n)
        ok = total[unit] > 0
        share = hits["pop"].to_numpy()[ok] / total[unit[ok]]
        parts.append((unit[ok], hits.geometry.to_numpy()[ok], share, "grid"))
        need_area = total <= 0
        fallback = list(districts.index[need_area])
        lost = need_area & (values > 0)
        if lost.any():
            warnings.warn(
                f"{int(lost.sum())} district(s) have people of the target group but no "
                f"population in the grid (index {format_list(districts.index[lost])}); their "
                "people are spread over the district's area instead.",
                QuartierWarning,
                stacklevel=4,
            )
    if need_area.any():
        where = np.flatnonzero(need_area)
        own, pts, share = area_samples(geoms[where], spacing)
        parts.append((where[own], pts, share, "area"))
    unit = np.concatenate([p[0] for p in parts]).astype(np.int64)
    out = gpd.GeoDataFrame(
        {
            "unit": unit,
            "population": values[unit] * np.concatenate([p[2] for p in parts]),
            "share": np.concatenate([p[2] for p in parts]),
            "source": np.concatenate([np.full(len(p[0]), p[3]) for p in parts]),
        },
        geometry=np.concatenate([p[1] for p in parts]),
        crs=districts.crs,
    ).sort_values("unit", kind="stable").reset_index(drop=True)
    return out, fallback
