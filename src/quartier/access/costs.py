"""Travel costs between origins and destinations: straight line or along a street network.

Every analysis that asks "who can reach what" (coverage, floating catchments,
siting) takes ``network=None`` for straight-line distances in metres, or a
street network object (:class:`quartier.StreetNetwork`) for distances or
walking times along the streets. Both give a :class:`CostMatrix` that keeps
only the reachable pairs, so memory grows with the pairs within reach and not
with origins x destinations. Unreachable pairs are absent (``NaN`` in a dense
view), never a sentinel number.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from quartier._checks import check_coordinates, positive_number
from quartier.errors import DataError, ParameterError
from quartier.io.crs import require_same_metric_crs

__all__ = ["CostMatrix", "cost_matrix", "nearest", "point_coordinates", "straight_line_pairs"]

#: Above this many origin x destination pairs a matrix without max_cost is refused.
DENSE_LIMIT = 50_000_000
#: Candidate pairs examined at once by :func:`straight_line_pairs` (bounds working memory).
CANDIDATES_PER_BATCH = 8_000_000


def straight_line_pairs(
    a: np.ndarray, b: np.ndarray, max_cost: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs of points of ``a`` and ``b`` at most ``max_cost`` apart (straight line).

    A vectorised grid join: the points of ``a`` are sorted into square cells
    of half the search radius; each point of ``b`` examines the 5 x 5 cells
    around it (one contiguous run of sorted points per row of cells) and keeps
    the candidates within reach. Working memory is bounded by handling the
    points of ``b`` in batches; the result grows with the pairs found.

    Parameters
    ----------
    a, b : numpy.ndarray
        (n, 2) and (m, 2) coordinates in metres.
    max_cost : float
        Search radius; a pair exactly at the radius is included.

    Returns
    -------
    rows, cols, cost : numpy.ndarray
        Positions in ``a`` and ``b`` (int64) and distances, grouped by batch
        and row of cells (no particular order).

    Examples
    --------
    >>> import numpy as np
    >>> r, c, d = straight_line_pairs(np.array([[0.0, 0.0], [5.0, 0.0]]),
    ...                               np.array([[3.0, 4.0]]), 5.0)
    >>> sorted(zip(r.tolist(), c.tolist(), d.tolist()))
    [(0, 0, 5.0), (1, 0, 4.47213595499958)]
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(a) == 0 or len(b) == 0:
        return empty, empty, np.zeros(0)
    sub = 2  # cells of half the radius: 5 x 5 cells cover the circle
    size = float(max_cost) / sub
    x0 = min(a[:, 0].min(), b[:, 0].min())
    y0 = min(a[:, 1].min(), b[:, 1].min())
    ax = ((a[:, 0] - x0) // size).astype(np.int64)
    ay = ((a[:, 1] - y0) // size).astype(np.int64)
    bx = ((b[:, 0] - x0) // size).astype(np.int64)
    by = ((b[:, 1] - y0) // size).astype(np.int64)
    ncols = int(max(ax.max(), bx.max())) + 2 * sub + 1
    a_cell = (ay + sub) * ncols + (ax + sub)
    order = np.argsort(a_cell, kind="stable")
    cells = a_cell[order]
    sx, sy = a[order, 0], a[order, 1]
    b_cell = (by + sub) * ncols + (bx + sub)
    limit = float(max_cost) ** 2
    # candidates per point of b, to cut b into batches of bounded working memory
    per_b = np.zeros(len(b), dtype=np.int64)
    for dy in range(-sub, sub + 1):
        lo = b_cell + dy * ncols - sub
        per_b += np.searchsorted(cells, lo + 2 * sub, "right") - np.searchsorted(cells, lo, "left")
    bounds = np.searchsorted(np.cumsum(per_b), np.arange(1, per_b.sum() // CANDIDATES_PER_BATCH + 1)
                             * CANDIDATES_PER_BATCH)
    rows, cols, dist = [], [], []
    for lo_b, hi_b in zip(np.r_[0, bounds], np.r_[bounds, len(b)], strict=True):
        if hi_b <= lo_b:
            continue
        part = np.arange(lo_b, hi_b)
        for dy in range(-sub, sub + 1):
            lo = b_cell[part] + dy * ncols - sub
            start = np.searchsorted(cells, lo, "left")
            counts = np.searchsorted(cells, lo + 2 * sub, "right") - start
            total = int(counts.sum())
            if not total:
                continue
            j = np.repeat(part, counts)
            pos = np.arange(total) + np.repeat(start - (np.cumsum(counts) - counts), counts)
            dx, dy_ = sx[pos] - b[j, 0], sy[pos] - b[j, 1]
            d2 = dx * dx + dy_ * dy_
            keep = d2 <= limit
            rows.append(order[pos[keep]])
            cols.append(j[keep])
            dist.append(np.sqrt(d2[keep]))
    if not rows:
        return empty, empty, np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(dist)


@dataclass
class CostMatrix:
    """Costs of the reachable origin-destination pairs (a sparse matrix).

    Attributes
    ----------
    origins, destinations : pandas.Index
        Labels (the index of the origin and destination GeoDataFrames).
    rows, cols : numpy.ndarray of int
        Positions of each reachable pair in ``origins`` and ``destinations``
        (in no particular order; :meth:`to_frame` sorts).
    cost : numpy.ndarray of float
        Cost of each pair (metres, or minutes for a network in minutes).
    max_cost : float or None
        The cut-off used; pairs above it are not stored.
    unit : str
        ``"m"`` or ``"min"``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> o = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(1000, 0)], crs="EPSG:25832")
    >>> d = gpd.GeoDataFrame(geometry=[Point(300, 400)], crs="EPSG:25832", index=["Treff"])
    >>> cm = cost_matrix(o, d, max_cost=800)
    >>> cm.to_frame()
       origin destination   cost
    0       0       Treff  500.0
    >>> cm.to_dense().tolist()
    [[500.0], [nan]]
    """

    origins: pd.Index
    destinations: pd.Index
    rows: np.ndarray
    cols: np.ndarray
    cost: np.ndarray
    max_cost: float | None = None
    unit: str = "m"

    @property
    def n_pairs(self) -> int:
        """Number of reachable pairs stored."""
        return int(self.cost.size)

    @property
    def shape(self) -> tuple[int, int]:
        """(number of origins, number of destinations)."""
        return len(self.origins), len(self.destinations)

    def to_frame(self) -> pd.DataFrame:
        """Reachable pairs as a long table: ``origin``, ``destination``, ``cost``.

        Sorted by origin and destination position (the arrays themselves are
        in no particular order).
        """
        order = np.lexsort((self.cols, self.rows))
        return pd.DataFrame(
            {
                "origin": self.origins.to_numpy()[self.rows[order]],
                "destination": self.destinations.to_numpy()[self.cols[order]],
                "cost": self.cost[order],
            }
        )

    def to_sparse(self) -> sparse.csr_array:
        """A ``scipy.sparse.csr_array``; stored entries are the reachable pairs.

        A pair at cost 0 (origin on the facility) is stored as an explicit
        zero: test reachability with the sparsity structure, not the value.
        """
        return sparse.csr_array((self.cost, (self.rows, self.cols)), shape=self.shape)

    def to_dense(self) -> np.ndarray:
        """A dense array with ``NaN`` for unreachable pairs (small problems only)."""
        out = np.full(self.shape, np.nan)
        out[self.rows, self.cols] = self.cost
        return out

    def nearest(self) -> pd.DataFrame:
        """Per origin the cheapest reachable destination and its cost.

        Returns
        -------
        pandas.DataFrame
            Indexed like the origins, with ``nearest`` (destination label, or
            None) and ``cost`` (NaN when nothing is in reach).
        """
        n = len(self.origins)
        best_cost = np.full(n, np.inf)
        np.minimum.at(best_cost, self.rows, self.cost)
        has = np.isfinite(best_cost)
        # the destination achieving the minimum (first one in case of ties)
        best_col = np.full(n, -1)
        is_best = self.cost == best_cost[self.rows]
        order = np.lexsort((self.cols[is_best], self.rows[is_best]))
        r, c = self.rows[is_best][order], self.cols[is_best][order]
        first = np.r_[True, r[1:] != r[:-1]] if r.size else np.zeros(0, bool)
        best_col[r[first]] = c[first]
        labels = np.empty(n, dtype=object)
        labels[has] = self.destinations.to_numpy()[best_col[has]]
        return pd.DataFrame(
            {
                "nearest": pd.Series(labels, index=self.origins, dtype=object),
                "cost": pd.Series(np.where(has, best_cost, np.nan), index=self.origins),
            }
        )


def point_coordinates(gdf: gpd.GeoDataFrame, *, what: str) -> np.ndarray:
    """(n, 2) coordinates of points; polygons (grid cells, districts) count at a point inside.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
    what : str
        Name for messages ("demand", "facilities").

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> point_coordinates(gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=25832), what="x")
    array([[50., 50.]])
    """
    geoms = np.asarray(gdf.geometry.array)
    if len(geoms) == 0:
        return np.zeros((0, 2))
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        labels = gdf.index[bad]
        raise DataError(
            f"{len(labels)} {what} row(s) have no geometry (index {list(labels[:10])}). "
            "Give them a location or remove them."
        )
    if not (shapely.get_type_id(geoms) == 0).all():  # polygons count at a point inside
        geoms = shapely.point_on_surface(geoms)
    xy = np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)])
    if not np.isfinite(xy).all():
        check_coordinates(geoms, None, what=f"the {what} locations", rows=gdf.index)
    return xy


def cost_matrix(
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    max_cost: float | None = None,
    network: object = None,
) -> CostMatrix:
    """Costs from every origin to every destination within ``max_cost``.

    Parameters
    ----------
    origins, destinations : geopandas.GeoDataFrame
        Points (polygons count at a point inside), in one metric CRS.
    max_cost : float, optional
        Cut-off: metres for straight lines, the network's unit otherwise.
        Without it every pair is stored (refused above 50 million pairs).
    network : None or StreetNetwork
        None for straight-line distance in metres; a street network for
        costs along the streets (its ``cost_matrix`` method is used).

    Returns
    -------
    CostMatrix

    Raises
    ------
    CRSError
        Geographic or differing CRS.
    ValueError
        ``max_cost`` of 0 or below.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> o = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(0, 100)], crs="EPSG:25832")
    >>> cm = cost_matrix(o, o, max_cost=150)
    >>> cm.n_pairs, cm.to_dense().tolist()
    (4, [[0.0, 100.0], [100.0, 0.0]])
    """
    if max_cost is not None:
        max_cost = positive_number(max_cost, "max_cost")
    if network is not None:
        return network.cost_matrix(origins, destinations, max_cost=max_cost)
    require_same_metric_crs(destinations, origins, what="destinations", reference_what="origins")
    a = point_coordinates(origins, what="origin")
    b = point_coordinates(destinations, what="destination")
    if max_cost is None:
        if len(a) * len(b) > DENSE_LIMIT:
            raise ParameterError(
                f"{len(a):,} x {len(b):,} pairs are too many without a cut-off; pass max_cost=."
            )
        d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        rows, cols = np.indices(d.shape)
        return CostMatrix(
            origins.index, destinations.index, rows.ravel(), cols.ravel(), d.ravel(), None, "m"
        )
    if len(a) == 0 or len(b) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return CostMatrix(origins.index, destinations.index, empty, empty, np.zeros(0), max_cost)
    rows, cols, cost = straight_line_pairs(a, b, float(max_cost))
    return CostMatrix(origins.index, destinations.index, rows, cols, cost, float(max_cost), "m")


def nearest(
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    network: object = None,
    max_cost: float | None = None,
) -> pd.DataFrame:
    """The nearest destination of every origin and its cost.

    Parameters
    ----------
    origins, destinations : geopandas.GeoDataFrame
    network : None or StreetNetwork
        Straight line (None) or along the streets.
    max_cost : float, optional
        Search no further than this; origins without a destination in reach
        get ``nearest=None`` and ``cost=NaN``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``origins``: ``nearest`` (destination label) and ``cost``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> o = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(900, 0)], crs="EPSG:25832")
    >>> d = gpd.GeoDataFrame(geometry=[Point(100, 0), Point(1000, 0)], crs="EPSG:25832",
    ...                      index=["A", "B"])
    >>> nearest(o, d)
      nearest   cost
    0       A  100.0
    1       B  100.0
    """
    if network is not None:
        return network.nearest(origins, destinations, max_cost=max_cost)
    require_same_metric_crs(destinations, origins, what="destinations", reference_what="origins")
    a = point_coordinates(origins, what="origin")
    b = point_coordinates(destinations, what="destination")
    labels = np.empty(len(a), dtype=object)
    cost = np.full(len(a), np.nan)
    if len(a) and len(b):
        bound = np.inf if max_cost is None else float(max_cost)
        dist, idx = cKDTree(b).query(a, k=1, distance_upper_bound=bound)
        found = np.isfinite(dist)
        labels[found] = destinations.index.to_numpy()[idx[found]]
        cost[found] = dist[found]
    return pd.DataFrame(
        {
            "nearest": pd.Series(labels, index=origins.index, dtype=object),
            "cost": pd.Series(cost, index=origins.index),
        }
    )
