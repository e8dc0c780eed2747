"""Queries of a street network: snapping, cost matrices, nearest destinations (private).

The methods of :class:`quartier.access.network.streets.StreetNetwork` that
answer questions about points; kept apart so that each module stays short.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import positive_number
from quartier.access.costs import DENSE_LIMIT, CostMatrix
from quartier.access.network import _search
from quartier.access.network._snap import Snapped, edge_lines, snap_frame
from quartier.errors import ParameterError


class NetworkQueries:
    """Mixin of :class:`StreetNetwork`: snapping and searches."""

    # ------------------------------------------------------------------ snapping
    def _lines(self):
        if self._edge_geoms is None:
            self._edge_geoms = edge_lines(self.xy, self.u, self.v)
        return self._edge_geoms

    def _snap(self, gdf: gpd.GeoDataFrame, what: str, max_snap: float | None) -> Snapped:
        return snap_frame(self, gdf, what, max_snap)

    def snap(self, points: gpd.GeoDataFrame, *, max_snap: float | None = None) -> pd.DataFrame:
        """Where points join the network: the snap report.

        Parameters
        ----------
        points : geopandas.GeoDataFrame
            Points (polygons count at a point inside) in the network's CRS.
        max_snap : float, optional
            Override the network's ``max_snap`` (metres).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``points``: ``snapped`` (bool), ``edge``, ``access_m``
            (straight distance to the street), ``snap_x``, ``snap_y``,
            ``component`` (0 = main network, -1 = not snapped) and ``reason``
            (why a point is unreachable, None where snapped: no street within
            ``max_snap``, the nearest street is a bridge, or it belongs to an
            island the profile cannot reach).

        Raises
        ------
        CRSError
            Points without a CRS or in another CRS than the network.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import Point
        >>> from quartier.access.network.streets import StreetNetwork
        >>> net = StreetNetwork([[0, 0], [100, 0]], [0], [1], crs=25832)
        >>> pts = gpd.GeoDataFrame(geometry=[Point(30, 40)], crs=25832)
        >>> net.snap(pts)[["snapped", "access_m", "snap_x", "snap_y"]]
           snapped  access_m  snap_x  snap_y
        0     True      40.0    30.0     0.0
        """
        s = self._snap(points, "points", max_snap)
        return pd.DataFrame(
            {
                "snapped": s.ok,
                "edge": s.edge,
                "access_m": s.access,
                "snap_x": s.snap_xy[:, 0],
                "snap_y": s.snap_xy[:, 1],
                "component": np.where(s.ok, self.component[np.maximum(s.u, 0)], -1),
                "reason": pd.Series(s.reasons(), index=points.index, dtype=object),
            },
            index=points.index,
        )

    # ------------------------------------------------------------------ queries
    @staticmethod
    def _limit(max_cost) -> float:
        if max_cost is None:
            return np.inf
        max_cost = positive_number(max_cost, "max_cost")
        return float(max_cost)

    def cost_matrix(
        self,
        origins: gpd.GeoDataFrame,
        destinations: gpd.GeoDataFrame,
        *,
        max_cost: float | None = None,
        max_snap: float | None = None,
    ) -> CostMatrix:
        """Costs along the streets from every origin to every destination within ``max_cost``.

        Searches run from the smaller of the two sides (on a directed network,
        from the destinations over the reversed edges) with a cut-off on a
        local part of the network, so memory and time grow with the pairs in
        reach. Points snap onto edges; costs include both access legs and the
        partial edges (and, for two points on one edge, the direct way).

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame
            Points (polygons count at a point inside) in the network's CRS.
        max_cost : float, optional
            Cut-off in the network's unit; pairs above it are not stored.
        max_snap : float, optional
            Override the network's ``max_snap`` (metres).

        Returns
        -------
        quartier.access.costs.CostMatrix
            Reachable pairs only: unreachable pairs (other island, point far
            from any street, above ``max_cost``) are absent.

        Raises
        ------
        CRSError
            Points in another CRS than the network.
        ValueError
            ``max_cost`` of 0 or below; too many pairs without ``max_cost``.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import Point
        >>> from quartier.access.network.streets import StreetNetwork
        >>> net = StreetNetwork([[0, 0], [100, 0], [100, 100]], [0, 1], [1, 2], crs=25832)
        >>> pts = gpd.GeoDataFrame(geometry=[Point(10, 5), Point(95, 80)], crs=25832)
        >>> net.cost_matrix(pts, pts).to_dense().tolist()
        [[0.0, 180.0], [180.0, 0.0]]
        """
        limit = self._limit(max_cost)
        a = self._snap(origins, "origin", max_snap)
        b = self._snap(destinations, "destination", max_snap)
        if max_cost is None and len(a) * len(b) > DENSE_LIMIT:
            raise ParameterError(
                f"{len(a):,} x {len(b):,} pairs are too many without a cut-off; pass max_cost=."
            )
        if len(b) < len(a):
            cols, rows, cost = _search.many_to_many(self, b, a, limit, reverse=True)
            order = np.lexsort((cols, rows))
            rows, cols, cost = rows[order], cols[order], cost[order]
        else:
            rows, cols, cost = _search.many_to_many(self, a, b, limit)
        return CostMatrix(
            origins.index, destinations.index, rows, cols, cost,
            None if max_cost is None else float(max_cost), self.unit,
        )

    def nearest(
        self,
        origins: gpd.GeoDataFrame,
        destinations: gpd.GeoDataFrame,
        *,
        max_cost: float | None = None,
        max_snap: float | None = None,
    ) -> pd.DataFrame:
        """The nearest destination of every origin along the streets, and its cost.

        One multi-source search from all destinations at once (each a
        virtual node on its edge; on a directed network over the reversed
        edges) finds the cheapest destination for every node; origins then
        add their access leg and partial edge.

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame
            Points in the network's CRS.
        max_cost : float, optional
            Search no further; origins without a destination in reach get
            ``nearest=None`` and ``cost=NaN``.
        max_snap : float, optional
            Override the network's ``max_snap`` (metres).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``origins``: ``nearest`` (destination label or None),
            ``cost`` (NaN when unreachable) and ``reason`` (why an origin has
            none, None otherwise: see :meth:`snap`, or no destination in reach).

        Raises
        ------
        CRSError
            Points in another CRS than the network.
        ValueError
            ``max_cost`` of 0 or below.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import Point
        >>> from quartier.access.network.streets import StreetNetwork
        >>> net = StreetNetwork([[0, 0], [100, 0], [100, 100]], [0, 1], [1, 2], crs=25832)
        >>> homes = gpd.GeoDataFrame(geometry=[Point(10, 5), Point(95, 80)], crs=25832)
        >>> kitas = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(100, 100)], crs=25832,
        ...                          index=["West", "Nord"])
        >>> net.nearest(homes, kitas)[["nearest", "cost"]]
          nearest  cost
        0    West  15.0
        1    Nord  25.0
        """
        limit = self._limit(max_cost)
        a = self._snap(origins, "origin", max_snap)
        b = self._snap(destinations, "destination", max_snap)
        arg, best = _search.nearest_from(self, a, b, limit)
        has = arg >= 0
        labels = np.empty(len(a), dtype=object)
        labels[has] = destinations.index.to_numpy()[arg[has]]
        reason = a.reasons()
        reason[~has & a.ok] = (
            "no destination in reach" if max_cost is None
            else f"no destination within max_cost={max_cost:g}"
        )
        return pd.DataFrame(
            {
                "nearest": pd.Series(labels, index=origins.index, dtype=object),
                "cost": pd.Series(np.where(has, best, np.nan), index=origins.index),
                "reason": pd.Series(reason, index=origins.index, dtype=object),
            }
        )
