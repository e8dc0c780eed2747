"""Street networks: distances and travel times along the streets, for a target group.

A :class:`StreetNetwork` is built from OpenStreetMap files
(:meth:`StreetNetwork.from_osm`) or from the street lines a city keeps in
its GIS (:meth:`StreetNetwork.from_lines`), for a travel profile: ``walk``
(4.5 km/h), ``senior`` (older people, with a walker: 3 km/h), ``wheelchair``
(3 km/h, no steps) or ``bike`` (15 km/h). Costs are metres (``unit="m"``)
or minutes (``unit="min"``). Every function of quartier that takes
``network=`` (:func:`quartier.access.costs.cost_matrix`, :func:`quartier.access.costs.nearest`,
:func:`quartier.coverage`, :func:`quartier.access.catchments.isochrones`) accepts it.

Points (facilities, address points, grid cells) are snapped onto the nearest
street *edge*; the straight access leg from the point to the street counts,
at the profile's speed. Points farther than ``max_snap`` (500 m) from every
street and pairs without a connection are reported and stay unreachable
(absent / ``NaN``), never a made-up number.
"""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import existing_file, positive_number
from quartier.access.costs import DENSE_LIMIT, CostMatrix
from quartier.access.network import _search
from quartier.access.network._graph import (
    adjacency,
    components,
    dedupe_edges,
    island_warning,
    lines_to_edges,
)
from quartier.access.network._osm import OSM_SUFFIXES, read_osm_ways
from quartier.access.network._profiles import Profile, check_unit, get_profile
from quartier.access.network._snap import Snapped, edge_lines, snap_frame
from quartier.errors import (
    DataError,
    ParameterError,
    ParameterTypeError,
    QuartierWarning,
)
from quartier.io.crs import DEFAULT_CRS, as_crs, require_metric, to_planning_crs

__all__ = ["StreetNetwork"]


class StreetNetwork:
    """A street network for one travel profile, with costs in metres or minutes.

    Usually built with :meth:`from_lines` or :meth:`from_osm`. The
    constructor takes the graph itself: node coordinates and edges.

    Parameters
    ----------
    xy : array-like, shape (n, 2)
        Node coordinates in ``crs`` (metres).
    u, v : array-like of int
        The two end nodes of each edge (straight pieces; undirected).
    length : array-like of float, optional
        Edge lengths in metres; default the straight distance between the ends.
    crs : str, int or pyproj.CRS
        A projected metric CRS (e.g. ``"EPSG:25832"``).
    profile : {"walk", "senior", "wheelchair", "bike"}, default "walk"
        The travel profile (speed; which ways are usable is decided when
        reading OSM data or lines).
    unit : {"m", "min"}, default "m"
        Cost unit: metres, or minutes at the profile's speed.
    max_snap : float, default 500
        Points farther than this many metres from every street are not
        snapped and stay unreachable (reported in a warning).
    islands : {"drop", "keep"}, default "drop"
        Parts of the network not connected to its largest part (often
        footways whose end misses the street by a few metres, or pieces cut
        off at the edge of the data). ``"drop"``: they are left out, so
        points snap onto the main network; they are listed in
        :attr:`dropped_islands`. ``"keep"``: they stay (listed in
        :attr:`components`), and points snapping onto them reach only their
        own island: costs toward the main network are missing. Either way a
        warning says how many nodes and edges lie outside the main network.
    source : str
        Where the network comes from (for messages).

    Attributes
    ----------
    xy : numpy.ndarray
        Node coordinates.
    u, v, length : numpy.ndarray
        Edges and their lengths in metres.
    component : numpy.ndarray
        Connected component of each node; 0 is the largest.
    dropped_islands : pandas.DataFrame
        The islands left out with ``islands="drop"`` (``nodes``, ``edges``,
        ``length_m`` per island); empty otherwise.
    dropped : pandas.Series
        Lines / OSM ways left out because the profile may not use them, by class.
    crs : pyproj.CRS
    profile : Profile
    unit : str
    max_snap : float

    Raises
    ------
    QuartierError
        An empty network, an unknown profile or unit.
    CRSError
        A geographic or missing CRS.

    Examples
    --------
    >>> net = StreetNetwork([[0, 0], [100, 0], [100, 100]], [0, 1], [1, 2], crs=25832)
    >>> net.n_nodes, net.n_edges, float(net.length.sum())
    (3, 2, 200.0)
    """

    def __init__(
        self,
        xy,
        u,
        v,
        length=None,
        *,
        crs,
        profile: str | Profile = "walk",
        unit: str = "m",
        max_snap: float = 500.0,
        islands: str = "drop",
        source: str = "edges",
    ):
        self.crs = require_metric(crs, what=f"the street network ({source})")
        self.profile = get_profile(profile)
        self.unit = check_unit(unit)
        max_snap = positive_number(max_snap, "max_snap", unit="metres")
        self.max_snap = float(max_snap)
        if islands not in ("keep", "drop"):
            raise ParameterError(f"islands={islands!r}: use 'keep' or 'drop'.")
        self.source = source
        xy = np.asarray(xy, float).reshape(-1, 2)
        u = np.asarray(u, np.int64)
        v = np.asarray(v, np.int64)
        if length is None:
            length = np.hypot(*(xy[u] - xy[v]).T) if u.size else np.zeros(0)
        u, v, length = dedupe_edges(u, v, np.asarray(length, float))
        if u.size == 0:
            raise DataError(
                f"the street network from {source} is empty: no street the profile "
                f"'{self.profile.name}' may use. Check the file, the area and the profile."
            )
        if (length < 0).any() or not np.isfinite(length).all():
            raise DataError(f"edge lengths in {source} must be finite and not negative.")
        comp = components(xy.shape[0], u, v)
        island_warning(self.source, xy, u, length, comp, islands)
        self.xy, self.u, self.length, self.component = xy, u, length, comp
        summary = self.components
        self.dropped_islands = summary.iloc[0:0].drop(columns="main")
        self.dropped = pd.Series(dtype="int64")
        if islands == "drop":
            self.dropped_islands = summary[~summary["main"]].drop(columns="main")
            keep_node = comp == 0
            remap = np.cumsum(keep_node) - 1
            keep_edge = keep_node[u]
            xy, u, v, length = xy[keep_node], remap[u[keep_edge]], remap[v[keep_edge]], length[keep_edge]
            comp = comp[keep_node]
        self.xy, self.u, self.v, self.length, self.component = xy, u, v, length, comp
        self._w = 1.0 if unit == "m" else 1.0 / self.profile.metres_per_minute
        self._csr = adjacency(xy.shape[0], u, v, length * self._w)
        m = self._csr.tocoo()
        self._coo = (m.row.astype(np.int64), m.col.astype(np.int64), m.data)
        self._x_order = np.argsort(xy[:, 0], kind="stable")
        self._x_sorted = xy[self._x_order, 0]
        self._tree = None
        self._edge_geoms = None
        self._inc = None

    def _incidence(self):
        """Node x edge incidence (CSR): the edges at each node."""
        if self._inc is None:
            from scipy import sparse

            e = np.arange(self.n_edges)
            self._inc = sparse.csr_array(
                (np.ones(2 * e.size, bool), (np.r_[self.u, self.v], np.r_[e, e])),
                shape=(self.n_nodes, self.n_edges),
            )
        return self._inc

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_lines(
        cls,
        lines: gpd.GeoDataFrame,
        profile: str | Profile = "walk",
        *,
        unit: str = "m",
        crs: object = None,
        class_col: str | None = "fclass",
        bridge_col: str | None = "bridge",
        tunnel_col: str | None = "tunnel",
        layer_col: str | None = "layer",
        tolerance: float = 0.001,
        max_snap: float = 500.0,
        islands: str = "drop",
    ) -> StreetNetwork:
        """Build a network from a GIS line layer (a city's street data, Geofabrik roads).

        Lines are split where they cross or touch each other, except where
        they pass over each other: a line marked as bridge or tunnel, or
        with a different ``layer``, connects to a line crossing it only at
        a point where one of the two lines ends (bridge heads, ramps). Lines
        always connect at shared end points. MultiLineStrings are split into
        their parts.

        Parameters
        ----------
        lines : geopandas.GeoDataFrame
            LineStrings / MultiLineStrings. A geographic CRS is reprojected to
            ``crs`` or EPSG:25832.
        profile : {"walk", "senior", "wheelchair", "bike"}, default "walk"
            Travel profile: speed and usable way classes.
        unit : {"m", "min"}, default "m"
            Cost unit.
        crs : optional
            Planning CRS (projected, metres); default the data's own metric CRS.
        class_col : str or None, default "fclass"
            Column with the way class (OSM ``highway`` values, as in Geofabrik
            data). Lines the profile may not use (motorway, trunk; steps for
            wheelchair and bike; footways for bike) are left out and
            reported. Ignored when the column is missing; None keeps all lines.
        bridge_col, tunnel_col, layer_col : str or None
            Columns saying a line is a bridge / tunnel (T/F, yes/no, 1/0) and
            its OSM layer. Missing columns mean ground level.
        tolerance : float, default 0.001
            End points closer than this (metres) are one node.
        max_snap, islands
            See :class:`StreetNetwork`.

        Returns
        -------
        StreetNetwork

        Raises
        ------
        CRSError
            No CRS, or a geographic ``crs``.
        QuartierError
            No usable line (empty network).

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import LineString
        >>> lines = gpd.GeoDataFrame({"bridge": ["F", "T"]},
        ...     geometry=[LineString([(0, 50), (100, 50)]), LineString([(50, 0), (50, 100)])],
        ...     crs="EPSG:25832")
        >>> net = StreetNetwork.from_lines(lines, islands="keep")
        >>> len(net.components)  # the bridge does not meet the road below
        2
        """
        what = "the street lines"
        if not isinstance(lines, gpd.GeoDataFrame):
            raise ParameterTypeError("from_lines needs a GeoDataFrame of street lines.")
        if crs is not None:
            require_metric(crs, what="crs")
        prof = get_profile(profile)
        check_unit(unit)
        gdf = to_planning_crs(lines, crs=crs, what=what)
        xy, u, v, length, dropped = lines_to_edges(
            gdf, prof, what, class_col, bridge_col, tunnel_col, layer_col, tolerance
        )
        if len(dropped):
            warnings.warn(
                f"{int(dropped.sum())} line(s) not usable for profile '{prof.name}' were left "
                f"out ({', '.join(f'{k}: {v}' for k, v in dropped.items())}).",
                QuartierWarning,
                stacklevel=2,
            )
        net = cls(
            xy, u, v, length, crs=gdf.crs, profile=prof, unit=unit, max_snap=max_snap,
            islands=islands, source=what,
        )
        net.dropped = dropped
        return net

    @classmethod
    def from_osm(
        cls,
        path: str | os.PathLike,
        profile: str | Profile = "walk",
        crs: object = None,
        *,
        unit: str = "m",
        max_snap: float = 500.0,
        islands: str = "drop",
    ) -> StreetNetwork:
        """Build a network from an OpenStreetMap file (.osm, .osm.gz, .osm.pbf).

        Keeps the ways the profile may use. On foot: footways, paths,
        pedestrian zones, steps, residential, living streets, service roads,
        tracks, primary to tertiary roads and cycleways, unless ``foot=no``;
        motorways and trunk roads only with ``foot=yes``; nothing under
        construction; nothing with ``access=private``/``no`` unless
        ``foot=yes``. The wheelchair profile also leaves out steps and
        ``wheelchair=no``; the bike profile uses the ``bicycle`` tag and
        footways only with ``bicycle=yes``. Ways connect where they share an
        OSM node, so bridges and tunnels are handled by the data itself.

        Parameters
        ----------
        path : str or path-like
            The OSM file.
        profile : {"walk", "senior", "wheelchair", "bike"}, default "walk"
        crs : optional
            Planning CRS (projected, metres); default EPSG:25832.
        unit : {"m", "min"}, default "m"
        max_snap, islands
            See :class:`StreetNetwork`.

        Returns
        -------
        StreetNetwork

        Raises
        ------
        InputFileError
            Missing or unreadable file.
        CRSError
            A geographic ``crs``.
        QuartierError
            No usable way in the file.
        MissingDependencyError
            osmium is not installed (``pip install "quartier[osm]"``).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> xml = '''<osm version="0.6">
        ... <node id="1" lat="52.5" lon="13.40"/><node id="2" lat="52.5" lon="13.401"/>
        ... <way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>'''
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "mini.osm"
        >>> _ = path.write_text(xml)
        >>> net = StreetNetwork.from_osm(path, crs="EPSG:25833")
        >>> net.n_edges, round(float(net.length[0]))
        (1, 68)
        """
        path = existing_file(path, suffixes=OSM_SUFFIXES)
        target = require_metric(crs, what="crs") if crs is not None else as_crs(DEFAULT_CRS)
        prof = get_profile(profile)
        check_unit(unit)
        node_ids, lon, lat, u, v, report = read_osm_ways(path, prof)
        from pyproj import Transformer

        tr = Transformer.from_crs("EPSG:4326", target, always_xy=True)
        x, y = tr.transform(lon, lat)
        net = cls(
            np.column_stack([x, y]), u, v, crs=target, profile=prof, unit=unit,
            max_snap=max_snap, islands=islands, source=f"'{path.name}'",
        )
        net.dropped = pd.Series(report["ways_skipped"], dtype="int64")
        return net

    # ------------------------------------------------------------------ reports
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.u.size)

    @property
    def components(self) -> pd.DataFrame:
        """Connected parts of the network: ``nodes``, ``edges``, ``length_m``, ``main``.

        Component 0 is the largest (the main network); the others are islands.
        """
        ce = self.component[self.u]
        n = int(self.component.max()) + 1 if self.n_nodes else 0
        frame = pd.DataFrame(
            {
                "nodes": np.bincount(self.component, minlength=n),
                "edges": np.bincount(ce, minlength=n),
                "length_m": np.bincount(ce, weights=self.length, minlength=n),
            }
        )
        frame["main"] = frame.index == 0
        frame.index.name = "component"
        return frame

    @property
    def edges(self) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame: ``u``, ``v``, ``length_m``, ``cost``, ``component``."""
        return gpd.GeoDataFrame(
            {
                "u": self.u,
                "v": self.v,
                "length_m": self.length,
                "cost": self.length * self._w,
                "component": self.component[self.u],
            },
            geometry=self._lines(),
            crs=self.crs,
        )

    def __repr__(self) -> str:
        main = float((self.component == 0).mean()) if self.n_nodes else 0.0
        return (
            f"StreetNetwork(profile='{self.profile.name}', unit='{self.unit}', "
            f"nodes={self.n_nodes}, edges={self.n_edges}, "
            f"length={self.length.sum() / 1000:.1f} km, components={len(self.components)} "
            f"(main: {main:.1%} of nodes), crs={self.crs.to_string()})"
        )

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
            ``component`` (0 = main network, -1 = not snapped).

        Raises
        ------
        CRSError
            Points without a CRS or in another CRS than the network.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import Point
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

        Searches run from the smaller of the two sides with a cut-off on a
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
            cols, rows, cost = _search.many_to_many(self, b, a, limit)
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
        virtual node on its edge) finds the cheapest destination for every
        node; origins then add their access leg and partial edge.

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
            Indexed like ``origins``: ``nearest`` (destination label or None)
            and ``cost`` (NaN when unreachable).

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
        >>> net = StreetNetwork([[0, 0], [100, 0], [100, 100]], [0, 1], [1, 2], crs=25832)
        >>> homes = gpd.GeoDataFrame(geometry=[Point(10, 5), Point(95, 80)], crs=25832)
        >>> kitas = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(100, 100)], crs=25832,
        ...                          index=["West", "Nord"])
        >>> net.nearest(homes, kitas)
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
        return pd.DataFrame(
            {
                "nearest": pd.Series(labels, index=origins.index, dtype=object),
                "cost": pd.Series(np.where(has, best, np.nan), index=origins.index),
            }
        )
