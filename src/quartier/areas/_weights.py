"""Private: checks of interpolation inputs and the sparse source -> target weights."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from quartier._checks import require_column
from quartier._overlay import assign_points, intersection_areas
from quartier.errors import ColumnError, CRSError, DataError, ParameterTypeError, format_list
from quartier.io.crs import crs_label, require_metric
from quartier.io.keys import normalize_keys


@dataclass
class InterpolationWeights:
    """How much of each source district goes to each target district.

    Computed once by :func:`quartier.interpolation_weights` and reusable for
    many columns, tables and years on the same two district systems (the
    intersections are the expensive part).

    Attributes
    ----------
    method : {"area", "population"}
        Area weights, or population (dasymetric) weights.
    shares : scipy.sparse.csr_matrix
        ``shares[i, j]``: the share of source ``i``'s counts that goes to target
        ``j`` (rows sum to 1 where the targets cover the source).
    mass : scipy.sparse.csr_matrix
        ``mass[i, j]``: the size of the piece ``i & j`` used to average plain
        intensive columns: its area (m²), or its population (targets without
        any population fall back to area).
    source_keys, target_keys : list of str
        Keys (or index labels) of the source and target districts, in order.
    zero_population : list of str
        Source keys without population, which fell back to area weights.
    population_outside : float
        Population (points/cells) outside every source district, not used.
    crs : pyproj.CRS
        The CRS both sides are in.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from quartier.areas.interpolate import interpolation_weights
    >>> src = gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(0, 0, 2, 1)], crs="EPSG:25832")
    >>> tgt = gpd.GeoDataFrame({"id": ["x", "y"]},
    ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:25832")
    >>> w = interpolation_weights(src, tgt, source_key="id", target_key="id")
    >>> w.shares.toarray().tolist()
    [[0.5, 0.5]]
    """

    method: str
    shares: sparse.csr_matrix
    mass: sparse.csr_matrix
    source_keys: list[str]
    target_keys: list[str]
    crs: object = None
    zero_population: list[str] = field(default_factory=list)
    population_outside: float = 0.0


def check_frames(source, target) -> None:
    """Both are polygon GeoDataFrames in the same metric CRS."""
    for what, gdf in (("source", source), ("target", target)):
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise ParameterTypeError(
                f"{what} must be a geopandas.GeoDataFrame of district polygons, not "
                f"{type(gdf).__name__}. Read it with quartier.read_districts(...)."
            )
        require_metric(gdf.crs, what=what)
    if not source.crs.equals(target.crs):
        raise CRSError(
            f"source is in {crs_label(source.crs)} but target is in {crs_label(target.crs)}; "
            "both must be in the same CRS. Reproject one of them first, e.g. "
            "target = target.to_crs(source.crs)."
        )
    for what, gdf in (("source", source), ("target", target)):
        geoms = gdf.geometry.values
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        types = set(shapely.get_type_id(geoms[present]).tolist())
        if not types <= {3, 6}:
            kinds = sorted(set(gdf.geometry[present].geom_type))
            raise DataError(
                f"{what} holds {format_list(kinds)} geometries; interpolation needs polygons."
            )
        invalid = present & ~shapely.is_valid(geoms)
        if invalid.any():
            raise DataError(
                f"{int(invalid.sum())} invalid polygon(s) in {what}, at row(s) "
                f"{format_list(np.flatnonzero(invalid) + 1)}. Repair them first, e.g. with "
                "quartier.read_districts(gdf, key=...) or gdf.geometry.make_valid()."
            )


def keys_of(gdf: gpd.GeoDataFrame, key: str | None, what: str) -> tuple[list[str], str | None]:
    """District keys as strings (the key column given, else the index labels)."""
    if key is None:
        return [str(i) for i in gdf.index], None
    require_column(gdf, key, source=what, role="key column")
    keys = normalize_keys(gdf[key], column=key, source=what, allow_missing=True)
    return [str(k) for k in keys], key


def numeric_column(df, column: str, *, what: str, role: str, keys: list[str],
                   counts: bool) -> np.ndarray:
    """A column as float, checked: numbers, finite, and (for counts) not negative."""
    require_column(df, column, source=what, role=role)
    values = df[column]
    if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
        raise ColumnError(
            f"{role} '{column}' of {what} is not numeric (dtype {values.dtype}). Read the "
            "table with quartier.read_table, or convert it with pd.to_numeric."
        )
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    bad = np.isinf(arr)
    if counts:
        bad |= arr < 0
    if bad.any():
        shown = [f"{keys[i]}: {arr[i]:g}" for i in np.flatnonzero(bad)]
        kind = "negative or infinite" if counts else "infinite"
        raise DataError(
            f"{role} '{column}' of {what} has {int(bad.sum())} {kind} value(s) "
            f"({format_list(shown)}). Counts must be 0 or more: correct the values or, "
            "if it is a rate or an index, pass the column as intensive=."
        )
    return arr


def area_weights(source, target, source_keys, target_keys) -> InterpolationWeights:
    src_idx, tgt_idx, area = intersection_areas(source.geometry.values, target.geometry.values)
    shape = (len(source), len(target))
    pieces = sparse.csr_matrix((area, (src_idx, tgt_idx)), shape=shape)
    src_area = shapely.area(source.geometry.values)
    src_area = np.where(np.isnan(src_area), 0.0, src_area)
    inv = np.divide(1.0, src_area, out=np.zeros_like(src_area), where=src_area > 0)
    shares = sparse.diags(inv) @ pieces
    return InterpolationWeights(
        "area", shares.tocsr(), pieces, source_keys, target_keys, crs=source.crs
    )


def population_weights(source, target, source_keys, target_keys, population,
                       population_col, band) -> InterpolationWeights:
    base = area_weights(source, target, source_keys, target_keys)
    points, values = population_points(population, population_col, band, source.crs)
    s = assign_points(points, source.geometry.values)
    t = assign_points(points, target.geometry.values)
    n_s, n_t = len(source), len(target)
    in_src = s >= 0
    pop_src = np.bincount(s[in_src], weights=values[in_src], minlength=n_s)
    both = in_src & (t >= 0)
    pieces = sparse.csr_matrix((values[both], (s[both], t[both])), shape=(n_s, n_t))
    has_pop = pop_src > 0
    inv_pop = np.divide(1.0, pop_src, out=np.zeros(n_s), where=has_pop)
    shares = sparse.diags(inv_pop) @ pieces + sparse.diags(np.where(has_pop, 0.0, 1.0)) @ base.shares
    pop_tgt = np.asarray(pieces.sum(axis=0)).ravel()
    no_pop_tgt = sparse.diags(np.where(pop_tgt > 0, 0.0, 1.0))
    mass = pieces + base.mass @ no_pop_tgt
    zero = [source_keys[i] for i in np.flatnonzero(~has_pop)]
    return InterpolationWeights(
        "population", shares.tocsr(), mass.tocsr(), source_keys, target_keys, crs=source.crs,
        zero_population=zero, population_outside=float(values[~in_src].sum()),
    )


def population_points(population, column, band, crs) -> tuple[np.ndarray, np.ndarray]:
    """Population as (points, values) in ``crs``, from a GeoDataFrame or a raster file."""
    if isinstance(population, gpd.GeoDataFrame):
        if column is None:
            raise ColumnError(
                "population is a GeoDataFrame: say which column holds the number of people "
                "with population_col=... (e.g. population_col='value')."
            )
        if population.crs is None:
            raise CRSError(
                "population has no coordinate reference system. Set it, e.g. "
                "population.set_crs('EPSG:3035') for Zensus grid cells."
            )
        if not population.crs.equals(crs):
            population = population.to_crs(crs)
        labels = [str(i) for i in population.index]
        values = numeric_column(population, column, what="population",
                                role="population column", keys=labels, counts=True)
        if np.isnan(values).any():
            rows = np.flatnonzero(np.isnan(values)) + 1
            raise DataError(
                f"population column '{column}' has {len(rows)} empty value(s), at row(s) "
                f"{format_list(rows)}. Fill them (e.g. .fillna(0) if empty means nobody) "
                "or drop those rows."
            )
        geoms = population.geometry.values
        polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])
        if polygonal.any():  # grid cells as squares: count them at their centre
            geoms = geoms.copy()
            geoms[polygonal] = shapely.centroid(geoms[polygonal])
        return np.asarray(geoms), values
    if isinstance(population, str | os.PathLike):
        from quartier.areas.rasters import raster_cells

        cells = raster_cells(population, band=band, crs=crs)
        return np.asarray(cells.geometry.values), cells["value"].to_numpy(dtype=float)
    raise ParameterTypeError(
        f"population must be a GeoDataFrame of points/cells or the path of a raster "
        f"(GeoTIFF), not {type(population).__name__}."
    )


def _as_list(value, what) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        raise ParameterTypeError(f"{what}= takes a column name or a list of names, not a dict.")
    return list(value)


def _as_mapping(value) -> dict[str, str | None]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, Mapping):
        return dict(value)
    return {v: None for v in value}
