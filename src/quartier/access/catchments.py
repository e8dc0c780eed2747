"""Catchment areas: what is reachable from a facility within 5, 10, 15 minutes.

:func:`isochrones` draws, per facility and cut-off, the area along the
streets reachable within the cut-off: every street piece in reach (streets
reached only partly are cut where the budget runs out) is widened by
``buffer`` metres to each side (the houses along the street) and the pieces
are merged. The polygons follow the streets: a river without a bridge or a
railway without an underpass stays outside, unlike a circle or convex hull.
Catchments are nested (5 minutes lies inside 10 minutes).

:func:`service_areas` splits the network between facilities: each street
piece goes to the facility nearest along the streets, and the areas are the
Voronoi cells of those pieces, clipped to the widened streets, so they do
not overlap.

With ``network=None`` catchments are plain circles of the cut-off in metres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier._checks import positive_number
from quartier.access.costs import point_coordinates
from quartier.access.network import _search
from quartier.errors import ParameterError, QuartierError
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
    buffer: float = 50.0,
    max_snap: float | None = None,
) -> gpd.GeoDataFrame:
    """Catchment polygons per point and cut-off, along the streets or as circles.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Facilities (polygons count at a point inside), in the network's CRS.
    network : StreetNetwork or None
        A street network (cut-offs in its unit, metres or minutes), or None
        for circles of the cut-off in metres around the points (keyword,
        required).
    max_cost : float or list of float
        Cut-off(s), e.g. ``10`` or ``[5, 10, 15]`` minutes; each must be above 0.
    dissolve : bool, default False
        Merge the catchments of all points per cut-off (the area within reach
        of any facility).
    buffer : float, default 50
        Metres the reachable street pieces are widened on each side.
    max_snap : float, optional
        Override the network's ``max_snap`` (metres).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per point and cut-off (``point``: the point's index label,
        ``max_cost`` (the cut-off), ``unit``, ``street_km``: street length in reach, NaN for
        circles) ordered by point and cut-off; with ``dissolve=True`` one row
        per cut-off (``points``: how many points). Points that could not be
        snapped get an empty polygon (and a warning).

    Raises
    ------
    ValueError
        A ``max_cost`` of 0 or below, or none.
    CRSError
        Points in a geographic CRS or another CRS than the network.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> from quartier.access.network.streets import StreetNetwork
    >>> net = StreetNetwork([[0, 0], [1000, 0]], [0], [1], crs=25832)
    >>> kita = gpd.GeoDataFrame(geometry=[Point(500, 0)], crs=25832)
    >>> iso = isochrones(kita, network=net, max_cost=[100, 200], buffer=10)
    >>> iso[["point", "max_cost", "street_km"]]
       point  max_cost  street_km
    0      0     100.0        0.2
    1      0     200.0        0.4
    >>> iso.geometry.bounds.round().values.tolist()[0]
    [390.0, -10.0, 610.0, 10.0]
    >>> circle = isochrones(kita, network=None, max_cost=100)  # a circle of 100 m
    >>> round(float(circle.area.iloc[0]) / 1e4, 2)  # in ha
    3.14
    """
    cuts = _cutoffs(max_cost)
    buffer = positive_number(buffer, "buffer", unit="metres")
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
        geoms = _network_isochrones(network, snapped, cuts, buffer)
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


def _widen(lines: np.ndarray, buffer: float):
    """Union of the lines widened by ``buffer`` metres (merged first: much faster)."""
    if lines.size == 0:
        return shapely.Polygon()
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
    return shapely.union_all(shapely.buffer(merged, buffer, quad_segs=4))


def _pieces(net, edges, du, dv, budget):
    """Reachable parts [s0, s1] (metres from u) of edges given the costs of their ends."""
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


def _segments(net, edges, s0, s1):
    """(n, 2, 2) coordinates of the edge pieces [s0, s1]."""
    a = net.xy[net.u[edges]]
    d = net.xy[net.v[edges]] - a
    length = np.where(net.length[edges] > 0, net.length[edges], 1.0)
    f0 = (s0 / length)[:, None]
    f1 = (s1 / length)[:, None]
    return np.stack([a + f0 * d, a + f1 * d], axis=1)


def _own_edge(net, snapped, i, budget):
    """The piece of the point's own edge and its access leg reachable within the budget."""
    reach = budget / net._w - snapped.access[i]
    p = snapped.xy[i]
    q = snapped.snap_xy[i]
    if reach < 0:  # not even the street is reached: part of the access leg
        f = budget / net._w / max(snapped.access[i], 1e-12)
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0), [(p, p + f * (q - p))]
    e = snapped.edge[i]
    t = snapped.offset[i]
    return (
        np.array([e]),
        np.array([max(t - reach, 0.0)]),
        np.array([min(t + reach, net.length[e])]),
        [(p, q)],
    )


def _network_isochrones(net, snapped, cuts, buffer):
    """{(point position, cut-off position): (polygon, street km)}."""
    out = {}
    inc = net._incidence()
    for src, node_idx, d_nodes, _, _ in _search.search_chunks(net, snapped, float(cuts[-1])):
        for r, i in enumerate(src):
            d = d_nodes[r]
            reached_local = np.flatnonzero(d <= cuts[-1])
            reached = node_idx[reached_local]
            cost = np.full(net.n_nodes, np.inf) if reached.size else None
            edges = np.zeros(0, np.int64)
            if reached.size:
                cost[reached] = d[reached_local]
                edges = np.unique(inc[reached].indices)
            prev = shapely.Polygon()
            for k, c in enumerate(cuts):
                if edges.size:
                    e, s0, s1 = _pieces(net, edges, cost[net.u[edges]], cost[net.v[edges]], c)
                else:
                    e, s0, s1 = np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
                oe, o0, o1, legs = _own_edge(net, snapped, i, c)
                e, s0, s1 = np.r_[e, oe], np.r_[s0, o0], np.r_[s1, o1]
                seg = _segments(net, e, s0, s1)
                leg = np.array([[a, b] for a, b in legs]).reshape(-1, 2, 2)
                lines = shapely.linestrings(np.concatenate([seg, leg]))
                km = _covered_km(e, s0, s1)
                geom = _widen(lines, buffer)
                geom = shapely.union(geom, prev) if not prev.is_empty else geom
                out[(i, k)] = (geom, km)
                prev = geom
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
    buffer: float = 50.0,
    max_snap: float | None = None,
    spacing: float = 20.0,
) -> gpd.GeoDataFrame:
    """Which facility is nearest along the streets, as non-overlapping polygons.

    One multi-source search from all facilities gives every node its
    nearest facility and the cost. The streets are sampled every
    ``spacing`` metres; each sample goes to the facility nearest along the
    streets (through either end of its edge, or directly along the edge
    from a facility on it). The Voronoi cells of the samples are merged per
    facility and clipped to the streets widened by ``buffer`` metres, so
    the areas do not overlap; borders are exact to about ``spacing``.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Facility points in the network's CRS.
    network : StreetNetwork
        The street network (keyword, required).
    max_cost : float, optional
        Leave out streets farther than this (network unit) from every facility.
    buffer : float, default 50
        Metres the streets are widened on each side.
    max_snap : float, optional
        Override the network's ``max_snap`` (metres).
    spacing : float, default 20
        Distance (metres) between sample points along the streets.

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
        ``max_cost`` or ``buffer`` of 0 or below.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> from quartier.access.network.streets import StreetNetwork
    >>> net = StreetNetwork([[0, 0], [1000, 0]], [0], [1], crs=25832)
    >>> kitas = gpd.GeoDataFrame(geometry=[Point(100, 0), Point(500, 0)], crs=25832,
    ...                          index=["A", "B"])
    >>> sa = service_areas(kitas, network=net, buffer=10)
    >>> sa["street_km"].tolist()
    [0.3, 0.7]
    >>> sa.geometry.bounds.round().values.tolist()
    [[-10.0, -10.0, 300.0, 10.0], [300.0, -10.0, 1010.0, 10.0]]
    """
    if network is None:
        raise QuartierError(
            "service_areas needs a street network; for straight lines use "
            "isochrones(points, network=None, max_cost=...) or a Voronoi diagram of the "
            "facilities."
        )
    buffer = positive_number(buffer, "buffer", unit="metres")
    limit = network._limit(max_cost)
    snapped = network._snap(facilities, "facility", max_snap)
    net = network
    w = net._w
    dist, which = _search.multi_source(net, snapped, limit)
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
    direct = (snapped.access[fac] + np.abs(pos[rows] - snapped.offset[fac])) * w
    for r, f, c in zip(rows, fac, direct, strict=True):
        if c < cost[r]:
            cost[r], owner[r] = c, f
    keep = (cost <= limit) & (owner >= 0)
    xy0 = net.xy[net.u[se]]
    frac = np.where(net.length[se] > 0, pos / np.where(net.length[se] > 0, net.length[se], 1), 0)
    samples = xy0 + frac[:, None] * (net.xy[net.v[se]] - xy0)
    # street pieces between consecutive kept samples of an edge
    nxt = np.r_[piece[1:] == piece[:-1], False]
    pair = nxt & keep & np.r_[keep[1:], False]
    a_idx = np.flatnonzero(pair)
    seg = np.stack([samples[a_idx], samples[a_idx + 1]], axis=1)
    seg_len = pos[a_idx + 1] - pos[a_idx]
    # a piece whose ends go to two facilities is split where both are equally far
    c0, c1 = cost[a_idx], cost[a_idx + 1]
    x = np.clip((c1 - c0 + seg_len * w) / (2 * w), 0, seg_len)
    x = np.where(owner[a_idx] == owner[a_idx + 1], seg_len, x)
    km = (
        np.bincount(owner[a_idx], weights=x, minlength=len(snapped))
        + np.bincount(owner[a_idx + 1], weights=seg_len - x, minlength=len(snapped))
    ) / 1000
    ok = snapped.ok
    legs = shapely.linestrings(np.stack([snapped.xy[ok], snapped.snap_xy[ok]], axis=1))
    band = _widen(np.r_[shapely.linestrings(seg.reshape(-1, 2, 2)), legs], buffer)
    # border points: just before and after each split, so the cells meet there
    dif = np.flatnonzero(owner[a_idx] != owner[a_idx + 1])
    unit_dir = (seg[dif, 1] - seg[dif, 0]) / np.maximum(seg_len[dif], 1e-9)[:, None]
    at = seg[dif, 0] + x[dif, None] * unit_dir
    eps = np.minimum(0.01, seg_len[dif] / 4)[:, None]
    samples = np.vstack(
        [samples[keep], snapped.xy[ok], at - eps * unit_dir, at + eps * unit_dir]
    )
    owner = np.r_[owner[keep], np.flatnonzero(ok), owner[a_idx[dif]], owner[a_idx[dif] + 1]]
    geoms = np.full(len(snapped), shapely.Polygon(), dtype=object)
    if samples.shape[0] >= 2:
        # identical samples would make one cell for two owners: keep the first
        _, firsts = np.unique(np.round(samples, 3), axis=0, return_index=True)
        samples, owner = samples[firsts], owner[firsts]
        cells = shapely.get_parts(
            shapely.voronoi_polygons(
                shapely.multipoints(samples), extend_to=band.envelope, ordered=True
            )
        )
        for f in np.unique(owner):
            geoms[f] = shapely.intersection(shapely.union_all(cells[owner == f]), band)
    elif samples.shape[0] == 1:
        geoms[owner[0]] = band
    return gpd.GeoDataFrame(
        {"street_km": np.round(km, 6)}, geometry=list(geoms), index=facilities.index, crs=net.crs
    )
