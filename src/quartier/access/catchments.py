"""Catchment areas: what is reachable from a facility within 5, 10, 15 minutes.

Catchment maps follow the same rule of reach as the coverage numbers
(:func:`quartier.coverage`), the cost matrices and the floating catchments:
a location snaps onto its nearest street at ground level (within the
network's ``max_snap``; not across a bridge above it or onto an island the
profile cannot reach, see :meth:`quartier.StreetNetwork.snap`) and costs
the cost along the streets to its snap point plus its straight access leg
at the profile's speed.

:func:`isochrones` draws, per facility and cut-off, the locations within
the cut-off under that rule, on a raster of ``resolution`` metres (10 m by
default): each cell is costed at its centre, exactly like a demand point. A
cell well inside the cut-off (by more than half its diagonal) with no jump of
the cost to its neighbours (a railway or river between two streets, the
``max_snap`` limit, a bridge) is drawn whole, one well beyond it is left out;
the cells in between are split into 5 m sub-cells costed at their centres and
corners, and a sub-cell is drawn when its centre is within the cut-off and no
corner lies beyond it by more than half the sub-cell's diagonal (so no drawn
sub-cell straddles a jump). Any point inside a polygon therefore costs at
most the cut-off plus 3.5 m (at the profile's speed), and a reachable point
outside lies within a sub-cell of the border: the map and the numbers agree
up to the resolution. Catchments are nested (5 minutes lies inside 10
minutes); nothing is drawn that the rule does not reach (no round ends past
the cut-off, no water or tracks beyond ``max_snap``, nothing under a bridge).

:func:`service_areas` gives every location (the same raster) to the facility
that :func:`quartier.access.costs.nearest` gives it, so the areas do not
overlap and cover every location in reach.

With ``network=None`` catchments are plain circles of the cut-off in metres.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier._checks import positive_number
from quartier.access import _cells
from quartier.access._cells import RESOLUTION
from quartier.access.costs import point_coordinates
from quartier.access.network import _search
from quartier.access.network._snap import snap_limit
from quartier.access.transit import _isochrones as _transit
from quartier.access.transit.network import TransitNetwork
from quartier.errors import ParameterError, QuartierWarning
from quartier.io.crs import require_metric

__all__ = ["isochrones", "service_areas"]


def _cutoffs(max_cost) -> np.ndarray:
    values = np.atleast_1d(np.asarray(max_cost, dtype=float))
    if values.size == 0:
        raise ParameterError("give at least one cut-off, e.g. max_cost=[5, 10, 15].")
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise ParameterError(
            f"max_cost must be greater than 0 (and finite), not {values[bad].tolist()}. "
            "Give e.g. max_cost=[5, 10, 15] (minutes) or max_cost=[500, 1000] (metres)."
        )
    return np.unique(values)


def isochrones(
    points: gpd.GeoDataFrame,
    *,
    network,
    max_cost,
    dissolve: bool = False,
    resolution: float | None = None,
    max_snap: float | None = None,
    buffer: float | None = None,
) -> gpd.GeoDataFrame:
    """Catchment polygons per point and cut-off: streets, public transport or circles.

    With a network, a polygon holds the locations whose cost under the rule
    of reach (cost along the streets to the location's snap point plus its
    access leg, see :mod:`quartier.access.catchments`) is within the
    cut-off, the same rule :func:`quartier.coverage` counts with. It is
    built from cells of ``resolution`` metres costed at their centres, the
    border cells split into halves of that: every point inside costs at most
    the cut-off plus half the diagonal of a border sub-cell (3.5 m at 10 m
    cells, at the profile's speed).

    By car (a directed network) the cost is the drive from the location to
    the point (as :func:`quartier.coverage` counts it), with one-way streets
    and the speed of every street; the border tolerance is half a sub-cell's
    diagonal at the slowest speed on the network.

    By public transport (a :class:`quartier.TransitNetwork`) a polygon holds
    the locations from which the point is reached within the cut-off by bus,
    train and walking, under the rule of :meth:`TransitNetwork.cost_matrix
    <quartier.TransitNetwork.cost_matrix>` (origin: the location, destination:
    the point; the median, or the network's percentile, over the departure
    window; walking all the way counts), the rule ``coverage(...,
    network=transit)`` counts with. It is built from square cells of
    ``resolution`` metres (100 m by default), each in when its centre is: a
    point of a border cell may cost more or less than its centre (the border
    is accurate to one cell). Only cells that lower bounds of the travel time
    (rides and walks without waiting, then the earliest arrivals from the
    stops) put within the cut-off are costed; the others cannot be reached
    in time. A column ``mode`` names the network
    (:meth:`TransitNetwork.mode_label <quartier.TransitNetwork.mode_label>`,
    e.g. "ÖPNV, Dienstag 7:00–9:00 Uhr, Median").

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Facilities (polygons count at a point inside), in the network's CRS.
    network : StreetNetwork, TransitNetwork or None
        A street network (cut-offs in its unit, metres or minutes), a public
        transport network (minutes, at most its ``horizon``), or None for
        circles of the cut-off in metres around the points (keyword,
        required).
    max_cost : float or list of float
        Cut-off(s), e.g. ``10`` or ``[5, 10, 15]`` minutes; each must be above 0.
    dissolve : bool, default False
        Merge the catchments of all points per cut-off (the area within reach
        of any facility).
    resolution : float, optional
        Side of the raster cells in metres: 10 along streets, 100 by public
        transport.
    max_snap : float, optional
        Override the network's ``max_snap`` (metres): locations farther from
        every street are unreachable. Not for a TransitNetwork (its walks are
        limited by its ``max_walk_m``).
    buffer : None
        No longer used (catchments were street pieces widened by ``buffer``
        metres, which drew places the rule does not reach); a warning says so.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per point and cut-off (``point``: the point's index label,
        ``max_cost`` (the cut-off), ``unit``, ``street_km``: street length in reach, NaN for
        circles) ordered by point and cut-off; with ``dissolve=True`` one row
        per cut-off (``points``: how many points). Points that are
        unreachable (far from any street, under a bridge, on a dropped
        island: see :meth:`quartier.StreetNetwork.snap`) get an empty polygon
        (and a warning). By public transport ``unit`` is ``"min"``,
        ``street_km`` NaN, and a column ``mode`` names the network; a point
        reaching no cell centre gets an empty polygon and a warning.

    Raises
    ------
    ValueError
        A ``max_cost`` or ``resolution`` of 0 or below, or no ``max_cost``;
        by public transport a ``max_cost`` beyond the network's horizon, or
        ``max_snap``.
    CRSError
        Points in a geographic CRS or another CRS than the network.

    Examples
    --------
    A street from (0, 0) to (1000, 0) and a Kita on it at (500, 0): within
    100 m are the locations whose distance along the street plus their
    straight way to it is at most 100 m, a diamond (cells of 10 m).

    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> from quartier.access.network.streets import StreetNetwork
    >>> net = StreetNetwork([[0, 0], [1000, 0]], [0], [1], crs=25832)
    >>> kita = gpd.GeoDataFrame(geometry=[Point(500, 0)], crs=25832)
    >>> iso = isochrones(kita, network=net, max_cost=[100, 200])
    >>> iso[["point", "max_cost", "street_km"]]
       point  max_cost  street_km
    0      0     100.0        0.2
    1      0     200.0        0.4
    >>> iso.geometry.bounds.round().values.tolist()[0]  # border cells split into 5 m
    [405.0, -95.0, 595.0, 95.0]
    >>> float(iso.area.iloc[0]) / 1e4  # in ha; the exact diamond has 2 * 100**2 m² = 2 ha
    1.9
    >>> circle = isochrones(kita, network=None, max_cost=100)  # a circle of 100 m
    >>> round(float(circle.area.iloc[0]) / 1e4, 2)  # in ha
    3.14

    By public transport: one bus from Dorf (7:10) to Stadt (7:25), leaving
    between 7:00 and 7:09; within 30 minutes of Stadt are the locations around
    Stadt within a walk, and those around Dorf from which at least half of the
    departures catch the bus (cells of 100 m):

    >>> import tempfile, pathlib
    >>> from quartier import TransitNetwork
    >>> feed = pathlib.Path(tempfile.mkdtemp())
    >>> files = {
    ...     "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\\n"
    ...                  "A,Dorf,52.50,13.40\\nB,Stadt,52.50,13.50\\n",
    ...     "trips.txt": "route_id,service_id,trip_id\\nr,wk,t1\\n",
    ...     "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\\n"
    ...                       "t1,07:10:00,07:10:00,A,1\\nt1,07:25:00,07:25:00,B,2\\n",
    ...     "calendar_dates.txt": "service_id,date,exception_type\\nwk,20210914,1\\n",
    ... }
    >>> for name, text in files.items():
    ...     _ = (feed / name).write_text(text)
    >>> bus = TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:00", end="07:10",
    ...                                crs=25833)
    >>> stadt = bus.stops.set_index("stop_name").loc[["Stadt"], ["geometry"]]
    >>> iso = isochrones(stadt, network=bus, max_cost=30)
    >>> iso[["point", "max_cost", "unit", "mode"]]
       point  max_cost unit                                  mode
    0  Stadt      30.0  min  ÖPNV, Dienstag 7:00–7:10 Uhr, Median
    >>> len(iso.geometry.iloc[0].geoms)  # around Stadt and around Dorf
    2
    """
    cuts = _cutoffs(max_cost)
    _no_buffer(buffer)
    if isinstance(network, TransitNetwork):
        return _transit.catchment_frame(points, network, cuts, dissolve=dissolve,
                                        resolution=resolution, max_snap=max_snap)
    resolution = positive_number(RESOLUTION if resolution is None else resolution,
                                 "resolution", unit="metres")
    if network is None:
        require_metric(points.crs, what="points")
        xy = point_coordinates(points, what="points")
        rows = []
        for i, label in enumerate(points.index):
            pt = shapely.Point(xy[i])
            for c in cuts:
                rows.append((label, c, "m", np.nan, pt.buffer(c, quad_segs=16)))
        crs, unit = points.crs, "m"
    else:
        snapped = network._snap(points, "points", max_snap)
        crs, unit = network.crs, network.unit
        geoms = _network_isochrones(network, snapped, cuts, resolution,
                                    snap_limit(network, max_snap))
        rows = []
        for i, label in enumerate(points.index):
            for k, c in enumerate(cuts):
                geom, km = geoms.get((i, k), (shapely.Polygon(), 0.0))
                rows.append((label, c, unit, km, geom))
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["point", "max_cost", "unit", "street_km", "geometry"]),
        geometry="geometry",
        crs=crs,
    )
    if not dissolve:
        return out
    merged = []
    for c in cuts:
        part = out[out["max_cost"] == c]
        merged.append((c, unit, int((~part.is_empty).sum()), shapely.union_all(part.geometry.values)))
    return gpd.GeoDataFrame(
        pd.DataFrame(merged, columns=["max_cost", "unit", "points", "geometry"]),
        geometry="geometry",
        crs=crs,
    )


def _no_buffer(buffer) -> None:
    if buffer is not None:
        warnings.warn(
            "buffer= is no longer used: catchments hold the locations within the cut-off "
            "under the rule of reach (street cost plus access leg), on cells of resolution= "
            "metres. Leave buffer= out.",
            QuartierWarning,
            stacklevel=3,
        )


def _pieces_directed(net, edges, du, dv, budget):
    """:func:`_pieces` by car: from a point of the edge toward u runs against the edge."""
    length = net.length[edges]
    out = [[edges[:0]], [np.zeros(0)], [np.zeros(0)]]
    for d, cost, at_u in ((du, net._cost[1][edges], True), (dv, net._cost[0][edges], False)):
        with np.errstate(divide="ignore", invalid="ignore"):
            per_m = np.where(length > 0, cost / length, 0.0)
            reach = np.where(per_m > 0, (budget - d) / per_m, length)
        reach = np.minimum(reach, length)
        ok = (d <= budget) & np.isfinite(cost) & (reach > 0)
        out[0].append(edges[ok])
        out[1].append(np.zeros(ok.sum()) if at_u else length[ok] - reach[ok])
        out[2].append(reach[ok] if at_u else length[ok])
    return tuple(np.concatenate(x) for x in out)


def _pieces(net, edges, du, dv, budget):
    """Reachable parts [s0, s1] (metres from u) of edges given the costs of their ends."""
    if net._directed:
        return _pieces_directed(net, edges, du, dv, budget)
    w = net._w
    length = net.length[edges]
    full = (du + dv + length * w) / 2 <= budget
    a_end = np.where(du <= budget, np.minimum((budget - du) / w, length), -1.0)
    b_start = np.where(dv <= budget, np.maximum(length - (budget - dv) / w, 0.0), np.inf)
    e, s0, s1 = [edges[full]], [np.zeros(full.sum())], [length[full]]
    part = ~full
    from_u = part & (a_end > 0)
    from_v = part & np.isfinite(b_start) & (b_start < length)
    e += [edges[from_u], edges[from_v]]
    s0 += [np.zeros(from_u.sum()), b_start[from_v]]
    s1 += [a_end[from_u], length[from_v]]
    return np.concatenate(e), np.concatenate(s0), np.concatenate(s1)


def _own_edge(net, snapped, i, budget):
    """The piece of the point's own edge reachable within the budget."""
    if net._directed:  # by car: from points before it along the edge, after it against
        rem = budget - snapped.access[i] * net._w
        e, t = snapped.edge[i], snapped.offset[i]
        if rem < 0:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        length = net.length[e]
        lo, hi = t, t
        for cost, sign in ((net._cost[0][e], -1), (net._cost[1][e], 1)):
            if np.isfinite(cost) and length > 0:
                step = rem / (cost / length) if cost > 0 else length
                lo, hi = (max(t - step, 0.0), hi) if sign < 0 else (lo, min(t + step, length))
        return np.array([e]), np.array([lo]), np.array([hi])
    reach = budget / net._w - snapped.access[i]
    if reach < 0:  # not even the street is reached
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    e = snapped.edge[i]
    t = snapped.offset[i]
    return (
        np.array([e]),
        np.array([max(t - reach, 0.0)]),
        np.array([min(t + reach, net.length[e])]),
    )


def _network_isochrones(net, snapped, cuts, res, max_snap):
    """{(point position, cut-off position): (polygon, street km)} on a raster of cells."""
    out = {}
    ok = np.flatnonzero(snapped.ok)
    if not ok.size:
        return out
    w = net._w
    radius = float(cuts[-1]) / net._w_min + 2 * res  # no location farther is in reach
    xy = snapped.xy[ok]
    # no cell farther than max_snap from every street is reached: clip to the network
    lo = np.maximum(xy.min(0) - radius, net.xy.min(0) - max_snap - res)
    hi = np.minimum(xy.max(0) + radius, net.xy.max(0) + max_snap + res)
    grid = _cells.make_grid(net, lo, hi, res, max_snap)
    inc = net._incidence()
    dn = np.full(net.n_nodes + 1, np.inf)
    # by car the costs from the locations to the point (reversed edges)
    for src, node_idx, d_nodes, _, _ in _search.search_chunks(net, snapped, float(cuts[-1]),
                                                              reverse=True):
        for r, i in enumerate(src):
            d = d_nodes[r]
            reached_local = np.flatnonzero(d <= cuts[-1])
            reached = node_idx[reached_local]
            dn[reached] = d[reached_local]
            rows, cols = grid.window(snapped.xy[i] - radius, snapped.xy[i] + radius)
            cost = _cells.cell_costs(grid, rows, cols, dn, w, snapped, i, net)
            edges = np.unique(inc[reached].indices) if reached.size else np.zeros(0, np.int64)
            masks = _cells.catchment_masks(net, grid, rows, cols, cost, dn, snapped, i, cuts,
                                           max_snap)
            for k, c in enumerate(cuts):
                if edges.size:
                    e, s0, s1 = _pieces(net, edges, dn[net.u[edges]], dn[net.v[edges]], c)
                else:
                    e, s0, s1 = np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
                oe, o0, o1 = _own_edge(net, snapped, i, c)
                km = _covered_km(np.r_[e, oe], np.r_[s0, o0], np.r_[s1, o1])
                out[(i, k)] = (_cells.polygon(masks[k], grid, rows, cols), km)
            dn[reached] = np.inf
    return out


def _covered_km(e, s0, s1):
    """Street length (km) of the union of pieces [s0, s1] per edge."""
    if e.size == 0:
        return 0.0
    order = np.lexsort((s0, e))
    e, s0, s1 = e[order], s0[order], s1[order]
    total = 0.0
    cur_e, cur_a, cur_b = e[0], s0[0], s1[0]
    for ee, a, b in zip(e[1:], s0[1:], s1[1:], strict=True):
        if ee == cur_e and a <= cur_b:
            cur_b = max(cur_b, b)
        else:
            total += cur_b - cur_a
            cur_e, cur_a, cur_b = ee, a, b
    total += cur_b - cur_a
    return round(total / 1000, 6)


def service_areas(
    facilities: gpd.GeoDataFrame,
    *,
    network,
    max_cost: float | None = None,
    resolution: float = RESOLUTION,
    max_snap: float | None = None,
    spacing: float = 20.0,
    buffer: float | None = None,
) -> gpd.GeoDataFrame:
    """Which facility is nearest along the streets, as non-overlapping polygons.

    One multi-source search from all facilities gives every node its
    nearest facility and the cost. Every location goes to the facility
    :func:`quartier.access.costs.nearest` gives it, under the same rule of
    reach (snap onto the nearest ground-level street, plus the access leg):
    the areas are built from cells of ``resolution`` metres, each given to
    the facility nearest to its centre, so they do not overlap, cover every
    location in reach up to the resolution and keep to the level of the
    streets (a place under a bridge is not served from the bridge).
    ``street_km`` samples the streets every ``spacing`` metres. By car (a
    directed network) a location goes to the facility it drives to fastest,
    one-way streets included.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Facility points in the network's CRS.
    network : StreetNetwork
        The street network (keyword, required).
    max_cost : float, optional
        Leave out locations farther than this (network unit) from every facility.
    resolution : float, default 10
        Side of the raster cells in metres.
    max_snap : float, optional
        Override the network's ``max_snap`` (metres).
    spacing : float, default 20
        Distance (metres) between sample points along the streets for ``street_km``.
    buffer : None
        No longer used; a warning says so.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed like ``facilities``: ``street_km`` (street length served) and
        the area; facilities that could not be snapped get an empty polygon.

    Raises
    ------
    QuartierError
        Without a network (use :func:`isochrones` with ``network=None``).
    ValueError
        ``max_cost``, ``resolution`` or ``spacing`` of 0 or below.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> from quartier.access.network.streets import StreetNetwork
    >>> net = StreetNetwork([[0, 0], [1000, 0]], [0], [1], crs=25832, max_snap=20)
    >>> kitas = gpd.GeoDataFrame(geometry=[Point(100, 0), Point(500, 0)], crs=25832,
    ...                          index=["A", "B"])
    >>> sa = service_areas(kitas, network=net)
    >>> sa["street_km"].tolist()
    [0.3, 0.7]
    >>> sa.geometry.bounds.round().values.tolist()
    [[-20.0, -20.0, 300.0, 20.0], [300.0, -20.0, 1020.0, 20.0]]
    """
    if network is None:
        raise ParameterError(
            "service_areas needs a street network; for straight lines use "
            "isochrones(points, network=None, max_cost=...) or a Voronoi diagram of the "
            "facilities."
        )
    resolution = positive_number(resolution, "resolution", unit="metres")
    spacing = positive_number(spacing, "spacing", unit="metres")
    _no_buffer(buffer)
    limit = network._limit(max_cost)
    snapped = network._snap(facilities, "facility", max_snap)
    net = network
    w = net._w
    # by car the costs from the streets to the facilities (reversed edges)
    dist, which = _search.multi_source(net, snapped, limit, reverse=True)
    # sample every edge with a reached end: both ends and every `spacing` metres
    hosts = np.zeros(net.n_edges, bool)
    hosts[snapped.edge[snapped.ok]] = True
    edges = np.flatnonzero(np.isfinite(dist[net.u]) | np.isfinite(dist[net.v]) | hosts)
    length = net.length[edges]
    n_per = np.maximum(np.ceil(length / spacing).astype(np.int64), 1) + 1
    first = np.cumsum(n_per) - n_per
    piece = np.repeat(np.arange(edges.size), n_per)
    k = np.arange(piece.size) - first[piece]
    pos = length[piece] * k / (n_per[piece] - 1)
    se = edges[piece]
    # cost and owner at each sample: via u, via v, or straight from a facility on the edge
    if net._directed:
        to_u, to_v = _search.leave_costs(net, np.zeros(se.size), pos, se)
        cu, cv = dist[net.u[se]] + to_u, dist[net.v[se]] + to_v
    else:
        cu = dist[net.u[se]] + pos * w
        cv = dist[net.v[se]] + (net.length[se] - pos) * w
    cost = np.minimum(cu, cv)
    owner = np.where(cu <= cv, which[net.u[se]], which[net.v[se]])
    fi = np.flatnonzero(snapped.ok)
    fi = fi[np.argsort(snapped.edge[fi], kind="stable")]
    lo = np.searchsorted(snapped.edge[fi], se, side="left")
    hi = np.searchsorted(snapped.edge[fi], se, side="right")
    cnt = hi - lo
    rows = np.repeat(np.arange(se.size), cnt)
    fac = fi[np.arange(int(cnt.sum())) + np.repeat(lo - np.r_[0, np.cumsum(cnt)[:-1]], cnt)]
    if net._directed:
        direct = _search.along_costs(net, se[rows], pos[rows], snapped.offset[fac],
                                     np.zeros(rows.size), snapped.access[fac])
    else:
        direct = (snapped.access[fac] + np.abs(pos[rows] - snapped.offset[fac])) * w
    for r, f, c in zip(rows, fac, direct, strict=True):
        if c < cost[r]:
            cost[r], owner[r] = c, f
    keep = (cost <= limit) & (owner >= 0)
    # street pieces between consecutive kept samples of an edge
    nxt = np.r_[piece[1:] == piece[:-1], False]
    pair = nxt & keep & np.r_[keep[1:], False]
    a_idx = np.flatnonzero(pair)
    seg_len = pos[a_idx + 1] - pos[a_idx]
    # a piece whose ends go to two facilities is split where both are equally far
    c0, c1 = cost[a_idx], cost[a_idx + 1]
    we = w
    if net._directed:  # by car: the split at the faster direction's pace (approximate)
        e_a = se[a_idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            we = np.minimum(net._cost[0][e_a], net._cost[1][e_a]) / net.length[e_a]
        we = np.where(np.isfinite(we) & (we > 0), we, net._w_min)
    x = np.clip((c1 - c0 + seg_len * we) / (2 * we), 0, seg_len)
    x = np.where(owner[a_idx] == owner[a_idx + 1], seg_len, x)
    km = (
        np.bincount(owner[a_idx], weights=x, minlength=len(snapped))
        + np.bincount(owner[a_idx + 1], weights=seg_len - x, minlength=len(snapped))
    ) / 1000
    geoms = _owner_areas(net, snapped, dist, which, limit, resolution, snap_limit(net, max_snap))
    return gpd.GeoDataFrame(
        {"street_km": np.round(km, 6)}, geometry=list(geoms), index=facilities.index, crs=net.crs
    )


def _owner_areas(net, snapped, dist, which, limit, res, max_snap):
    """Per facility the cells it is nearest to (the rule of reach), as polygons."""
    n = len(snapped)
    if not snapped.ok.any():
        return np.full(n, shapely.Polygon(), dtype=object)
    w = net._w
    wm = net._w_min  # the least cost per metre: the farthest reach
    reach = min(max_snap, limit / wm) + res
    lo = net.xy.min(0) - reach
    hi = net.xy.max(0) + reach
    if np.isfinite(limit):  # nothing beyond the limit around the facilities
        fxy = snapped.xy[snapped.ok]
        lo = np.maximum(lo, fxy.min(0) - limit / wm - res)
        hi = np.minimum(hi, fxy.max(0) + limit / wm + res)
    grid = _cells.make_grid(net, lo, hi, res, max_snap)
    d = np.r_[dist, np.inf]
    o = np.r_[which, -1]
    cu = d[grid.u] + grid.spoke_u
    cv = d[grid.v] + grid.spoke_v
    cost = np.minimum(cu, cv)
    owner = np.where(cu <= cv, o[grid.u], o[grid.v])
    # cells on a facility's own edge: the direct way along the edge
    fi = np.flatnonzero(snapped.ok)
    s = grid.snapped
    flat_edge = grid.edge.ravel()
    for f in fi:
        at = np.flatnonzero(flat_edge == snapped.edge[f])
        if net._directed:
            direct = _search.along_costs(net, np.full(at.size, snapped.edge[f]), s.offset[at],
                                         snapped.offset[f], s.access[at], snapped.access[f])
        else:
            direct = (s.access[at] + snapped.access[f]
                      + np.abs(s.offset[at] - snapped.offset[f])) * w
        better = direct < cost.ravel()[at]
        cost.ravel()[at[better]] = direct[better]
        owner.ravel()[at[better]] = f
    owner = np.where(cost <= limit, owner, -1)
    return _cells.owner_polygons(owner, grid, n)
