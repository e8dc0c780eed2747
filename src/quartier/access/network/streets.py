"""Street networks: distances and travel times along the streets, for a target group.

A :class:`StreetNetwork` is built from OpenStreetMap files
(:meth:`StreetNetwork.from_osm`) or from the street lines a city keeps in
its GIS (:meth:`StreetNetwork.from_lines`), for a travel profile: ``walk``
(4.5 km/h), ``senior`` (older people, with a walker: 3 km/h), ``wheelchair``
(3 km/h, no steps) or ``bike`` (15 km/h). Costs are metres (``unit="m"``)
or minutes (``unit="min"``). Every function of quartier that takes
``network=`` (:func:`quartier.access.costs.cost_matrix`, :func:`quartier.access.costs.nearest`,
:func:`quartier.coverage`, :func:`quartier.access.catchments.isochrones`) accepts it.

Points (facilities, address points, grid cells, the cells of catchment maps)
are snapped onto the nearest street *edge*; the straight access leg from the
point to the street counts, at the profile's speed. This one rule of reach
serves costs, coverage, floating catchments and the catchment maps alike.
Points farther than ``max_snap`` (500 m) from every street, points whose
nearest street is a bridge (they lie under or beside it) or belongs to an
island the profile cannot reach (e.g. behind steps for a wheelchair), and
pairs without a connection are reported with the reason and stay unreachable
(absent / ``NaN``), never a made-up number or a point moved to another street.
"""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import existing_file, positive_number
from quartier.access.network._driving import (
    directed_adjacency,
    directed_costs,
    merge_directed,
    speed_array,
    strong_components,
)
from quartier.access.network._graph import (
    adjacency,
    components,
    dedupe_edges,
    island_warning,
    lines_to_edges,
)
from quartier.access.network._osm import OSM_SUFFIXES, read_osm_ways
from quartier.access.network._profiles import Profile, check_unit, get_profile, with_speeds
from quartier.access.network._queries import NetworkQueries
from quartier.errors import (
    DataError,
    ParameterError,
    ParameterTypeError,
    QuartierWarning,
)
from quartier.io.crs import DEFAULT_CRS, as_crs, require_metric, to_planning_crs

__all__ = ["StreetNetwork"]


class StreetNetwork(NetworkQueries):
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
    profile : {"walk", "senior", "wheelchair", "bike", "car"}, default "walk"
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
    level : array-like of int, optional
        The level of each edge: 0 ground, above 0 bridge, below 0 tunnel
        (default: all at ground level). Locations (facilities, homes, grid
        and map cells) snap only onto ground-level edges; a location whose
        nearest street is a bridge is unreachable (it lies under or beside
        it), and tunnels are never snapped onto.
    speed : array-like, optional
        Speeds in km/h per edge, or per edge and direction (shape (n, 2):
        from ``u`` to ``v`` and back; 0 closes a direction, e.g. a one-way
        street). Makes the network directed; the ``car`` profile always is
        (default: its top speed everywhere). Access legs from locations to
        the street count at the profile's ``access_kmh``.
    snap : array-like of bool, optional
        Directed networks only: whether locations may join each edge
        (default all; ``from_osm`` by car: not motorways and trunk roads, so
        a house beside a motorway joins the nearest ordinary road).

    Attributes
    ----------
    xy : numpy.ndarray
        Node coordinates.
    u, v, length : numpy.ndarray
        Edges and their lengths in metres.
    level : numpy.ndarray
        Level of each edge (0 ground, above 0 bridge, below 0 tunnel).
    speed : numpy.ndarray
        Shape (n_edges, 2): km/h from ``u`` to ``v`` and from ``v`` to ``u``
        (0: closed in that direction); the profile's speed for walking.
    component : numpy.ndarray
        Connected component of each node; 0 is the largest. For the car
        these are strongly connected parts (every node reaches every other
        one of its part, respecting one-way streets).
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
        level=None,
        speed=None,
        snap=None,
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
        level = np.zeros(u.size, np.int64) if level is None else np.asarray(level, np.int64)
        if level.shape != u.shape:
            raise ParameterError(
                f"level must give one value per edge ({u.size}), not {level.size} ({source})."
            )
        directed = self.profile.driving or speed is not None
        if directed:
            speed = speed_array(speed, u.size, self.profile, source)
            snap = np.ones(u.size, bool) if snap is None else np.asarray(snap, bool)
            if snap.shape != u.shape:
                raise ParameterError(
                    f"snap must give one value per edge ({u.size}), not {snap.size} ({source})."
                )
            u, v, length, level, speed, snap = merge_directed(u, v, length, level, speed, snap)
            usable = (speed > 0).any(axis=1)
            u, v, length, level, speed, snap = (
                x[usable] for x in (u, v, length, level, speed, snap))
        else:
            if snap is not None:
                raise ParameterError(
                    f"snap= applies to directed networks (with speed=) only ({source})."
                )
            u, v, length, level = dedupe_edges(u, v, np.asarray(length, float), level)
        if u.size == 0:
            raise DataError(
                f"the street network from {source} is empty: no street the profile "
                f"'{self.profile.name}' may use. Check the file, the area and the profile."
            )
        if (length < 0).any() or not np.isfinite(length).all():
            raise DataError(f"edge lengths in {source} must be finite and not negative.")
        if directed:
            comp = strong_components(xy.shape[0], u, v, speed)
        else:
            comp = components(xy.shape[0], u, v)
        island_warning(self.source, xy, u, length, comp, islands)
        self.xy, self.u, self.length, self.component = xy, u, length, comp
        summary = self.components
        self.dropped_islands = summary.iloc[0:0].drop(columns="main")
        self.dropped = pd.Series(dtype="int64")
        # edges of dropped islands (not tunnels): points nearest to them stay unreachable
        self._island_segments = np.zeros((0, 2, 2))
        self._island_level = np.zeros(0, np.int64)
        if islands == "drop":
            self.dropped_islands = summary[~summary["main"]].drop(columns="main")
            keep_node = comp == 0
            remap = np.cumsum(keep_node) - 1
            keep_edge = keep_node[u] & keep_node[v]
            out = ~keep_edge & (level >= 0) & (snap if directed else True)
            self._island_segments = np.stack([xy[u[out]], xy[v[out]]], axis=1)
            self._island_level = level[out]
            xy, u, v = xy[keep_node], remap[u[keep_edge]], remap[v[keep_edge]]
            length, level = length[keep_edge], level[keep_edge]
            if directed:
                speed, snap = speed[keep_edge], snap[keep_edge]
            comp = comp[keep_node]
        self.xy, self.u, self.v, self.length, self.component = xy, u, v, length, comp
        self.level = level
        self._targets = None
        self._directed = directed
        #: edges locations may join (all but motorways and trunk roads by car)
        self._snap_ok = snap if directed else np.ones(u.size, bool)
        if directed:
            self.speed = speed
            self._cost = directed_costs(length, speed, unit)
            # access legs; the least cost per metre bounds the local searches
            self._w = 1.0 if unit == "m" else 1.0 / self.profile.access_metres_per_minute
            pos = length > 0
            per_m = [c[pos] / length[pos] for c in self._cost]
            self._w_min = float(min([self._w] + [p.min() for p in per_m if p.size]))
            fin = [p[np.isfinite(p)] for p in per_m]
            self._w_max = float(max([self._w] + [p.max() for p in fin if p.size]))
            self._csr = directed_adjacency(xy.shape[0], u, v, *self._cost)
        else:
            self.speed = np.full((u.size, 2), self.profile.speed_kmh)
            self._w = 1.0 if unit == "m" else 1.0 / self.profile.metres_per_minute
            self._w_min = self._w_max = self._w
            self._csr = adjacency(xy.shape[0], u, v, length * self._w)
        m = self._csr.tocoo()
        self._coo = (m.row.astype(np.int64), m.col.astype(np.int64), m.data)
        self._x_order = np.argsort(xy[:, 0], kind="stable")
        self._x_sorted = xy[self._x_order, 0]
        self._tree = None
        self._edge_geoms = None
        self._inc = None

    @property
    def directed(self) -> bool:
        """Whether costs differ by direction (the car: speeds per edge, one-way streets)."""
        return self._directed

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
        maxspeed_col: str | None = "maxspeed",
        oneway_col: str | None = "oneway",
        speeds=None,
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
        profile : {"walk", "senior", "wheelchair", "bike", "car"}, default "walk"
            Travel profile: speed and usable way classes. By car the class
            column is required, and speeds and one-way streets are read as in
            :meth:`from_osm` (no access tags: restricted roads must be left
            out beforehand).
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
        maxspeed_col, oneway_col : str or None
            Car only: columns with the speed limit (numbers or OSM values such
            as ``"DE:urban"``; 0 or empty: the class speed) and the direction
            (Geofabrik ``B`` both, ``F`` along the line, ``T`` against it, or
            OSM ``yes``/``no``/``-1``); missing columns: class speeds, two-way
            (motorways and their links one-way along the line).
        speeds : mapping, optional
            Car only: class speeds to replace, as in :meth:`from_osm`.

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
        prof = with_speeds(get_profile(profile), speeds)
        check_unit(unit)
        gdf = to_planning_crs(lines, crs=crs, what=what)
        xy, u, v, length, level, dropped, car = lines_to_edges(
            gdf, prof, what, class_col, bridge_col, tunnel_col, layer_col, tolerance,
            maxspeed_col, oneway_col,
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
            islands=islands, source=what, level=level, speed=car.get("speed"),
            snap=car.get("snap"),
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
        speeds=None,
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
        OSM node, so bridges and tunnels are handled by the data itself; their
        ``layer``, ``bridge`` and ``tunnel`` tags give the edges' ``level``
        (points do not snap onto tunnels, and not across bridges).

        By car (``profile="car"``, costs best in minutes): the roads of the
        classes below, at the tagged ``maxspeed`` where it can be read
        (``"50"``, ``"30 mph"``, ``"DE:urban"`` 50, ``"DE:rural"`` 100,
        ``"DE:zone30"`` 30; ``"none"``, ``"DE:motorway"`` and unreadable
        values give the class speed; ``maxspeed:forward/backward`` per
        direction), else at the class speed, never above 130 km/h. One-way
        streets (``oneway=yes/true/1``, ``oneway=-1``, ``junction=roundabout``,
        motorways and their links unless ``oneway=no``) are driven one way
        only: the network is directed. Left out:
        ``access``/``vehicle``/``motor_vehicle``/``motorcar`` = ``no``,
        ``private``, ``agricultural``, ``forestry``, ... (the most specific
        tagged key decides), footways, paths, pedestrian zones, steps,
        cycleways and tracks. The access leg from a location to the street
        counts at 15 km/h; locations do not join motorways and trunk roads
        (they join the nearest other road). Not modelled: turns and turn
        restrictions, traffic lights, congestion, parking.

        | class | km/h | class | km/h |
        |---|---|---|---|
        | motorway | 120 | motorway_link | 60 |
        | trunk | 100 | trunk_link | 50 |
        | primary | 80 | primary_link | 50 |
        | secondary | 70 | secondary_link | 50 |
        | tertiary | 60 | tertiary_link | 40 |
        | unclassified | 50 | road | 40 |
        | residential | 30 | living_street | 7 |
        | service | 20 | | |

        Parameters
        ----------
        path : str or path-like
            The OSM file.
        profile : {"walk", "senior", "wheelchair", "bike", "car"}, default "walk"
        crs : optional
            Planning CRS (projected, metres); default EPSG:25832.
        unit : {"m", "min"}, default "m"
        max_snap, islands
            See :class:`StreetNetwork`.
        speeds : mapping, optional
            Car only: class speeds (km/h) to replace, e.g.
            ``{"residential": 25, "track": 15}`` (a class added is driven on,
            a class at 0 is left out).

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

        By car, a one-way residential street at ``maxspeed=30``: 68 m take
        about 0.14 minutes one way and cannot be driven the other way.

        >>> xml = xml.replace('v="footway"/>', 'v="residential"/><tag k="oneway" v="yes"/>'
        ...                   '<tag k="maxspeed" v="30"/>')
        >>> _ = path.write_text(xml)
        >>> car = StreetNetwork.from_osm(path, "car", "EPSG:25833", unit="min", islands="keep")
        >>> car.speed.tolist(), round(float(car.length[0] / (30000 / 60)), 3)
        ([[30.0, 0.0]], 0.136)
        """
        path = existing_file(path, suffixes=OSM_SUFFIXES)
        target = require_metric(crs, what="crs") if crs is not None else as_crs(DEFAULT_CRS)
        prof = with_speeds(get_profile(profile), speeds)
        check_unit(unit)
        node_ids, lon, lat, u, v, level, report = read_osm_ways(path, prof)
        from pyproj import Transformer

        tr = Transformer.from_crs("EPSG:4326", target, always_xy=True)
        x, y = tr.transform(lon, lat)
        net = cls(
            np.column_stack([x, y]), u, v, crs=target, profile=prof, unit=unit,
            max_snap=max_snap, islands=islands, source=f"'{path.name}'", level=level,
            speed=report.get("speed"), snap=report.get("snap"),
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
        """The edges as a GeoDataFrame: ``u``, ``v``, ``length_m``, ``cost``, ``level``, ``component``.

        Directed networks (car) also have ``cost_back`` (from ``v`` to ``u``),
        ``speed_kmh``, ``speed_back_kmh`` and ``snap`` (whether locations
        may join the edge); ``cost`` is from ``u`` to ``v`` (inf where closed).
        """
        cols = {
            "u": self.u,
            "v": self.v,
            "length_m": self.length,
            "cost": self._cost[0] if self._directed else self.length * self._w,
            "level": self.level,
            "component": self.component[self.u],
        }
        if self._directed:
            cols.update(cost_back=self._cost[1], speed_kmh=self.speed[:, 0],
                        speed_back_kmh=self.speed[:, 1], snap=self._snap_ok)
        return gpd.GeoDataFrame(
            cols,
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
