"""Catchments by public transport (private): grid cells costed by the transit network.

A catchment by bus and train holds the locations from which the facility is
reached within the cut-off, by the rule of :meth:`TransitNetwork.cost_matrix`
(origin: the location, destination: the facility; median over the departure
window; walking all the way included), the same rule ``coverage(...,
network=transit)`` counts with. It is drawn from square cells of
``resolution`` metres (100 m by default), each in when its centre is.

Costing every cell of a county with the router would take long, so only
candidates are costed. A *lower bound* of the travel time from every stop to
the facilities ignores all waiting: a static graph whose edges are the
shortest ride between two consecutive stops of any trip of the timetable,
the walking transfers between stops and the walks from the stops to the
facilities, searched backwards from the facilities (Dijkstra). A journey
from a location walks to a stop ``s`` within ``max_walk_m``, so it takes at
least ``walk(location, s) + bound(s)``; walking all the way takes the direct
walk. A cell whose centre has neither within the largest cut-off is outside
for sure and is never costed.

A second, tighter bound counts the waiting: the earliest arrival ``EA_s(t)``
at the facilities from (the place of) every stop ``s`` the first bound
leaves, for some departures ``t`` of the window, searched with the router
(few origins). A journey leaving the cell at ``d`` and boarding first at
``s`` (walk ``w``) reaches ``s`` at ``d + w >= t`` for the last sampled
``t <= d``, so it arrives no earlier than ``EA_s(t)`` (earliest arrivals do
not decrease with the start time) and takes at least
``max(EA_s(t) - d, w + bound(s))``; the percentile over the window of the
least of these (and of the direct walk) is a lower bound of the cell's cost
(the percentile does not decrease in any of its values). It needs the walk
from a stop's place to the stop to be 0, so it is used with straight-line
walking only (not with ``streets=``). The remaining candidates are costed
with ``cost_matrix`` once for all cut-offs and facilities.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from quartier._checks import positive_number
from quartier.access import _cells
from quartier.errors import ParameterError, QuartierWarning, format_list

#: default side of the cells of catchments by public transport (metres)
RESOLUTION = 100.0
#: seconds of slack in the candidate test (the router keeps times as float32)
SLACK = 1.0
#: departures of the window searched from the stops for the second bound (at most)
STOP_DEPARTURES = 12
#: cells handled together in the second bound (bounds working memory)
CELLS_PER_CHUNK = 20_000


@dataclass
class _Frame:
    """Where cell (row, col) lies: lower left corner ``(x0 + col res, y0 + row res)``."""

    x0: float
    y0: float
    res: float


def _min_edges(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int):
    """One edge per (u, v) with the least weight (a sparse matrix would add duplicates)."""
    if u.size == 0:
        return u, v, w
    key = u.astype(np.int64) * n + v
    order = np.lexsort((w, key))
    key, w = key[order], w[order]
    first = np.r_[True, key[1:] != key[:-1]]
    return key[first] // n, key[first] % n, w[first]


def ride_edges(net):
    """Stop-to-stop edges of the bound graph: least ride between consecutive stops, transfers.

    Returns sources, targets and seconds (ride: arrival at the next stop minus
    departure, the dwell at intermediate stops left out; walks as the router's).
    """
    tt = net._tt
    nxt = np.flatnonzero(tt.trip[1:] == tt.trip[:-1])
    u = np.r_[tt.stop[nxt], net._transfers.src]
    v = np.r_[tt.stop[nxt + 1], net._transfers.dst]
    w = np.r_[np.maximum(tt.arr[nxt + 1] - tt.dep[nxt], 0).astype(float),
              np.asarray(net._transfers.secs, dtype=float)]
    keep = u != v
    return _min_edges(u[keep], v[keep], w[keep], len(net._xy))


def stop_bounds(net, fxy: np.ndarray, limit_s: float, *, min_only: bool = True) -> np.ndarray:
    """Lower bound (seconds) of the travel time from every stop to the facilities at ``fxy``.

    ``min_only``: to the nearest facility (n_stops,), else per facility
    (n_facilities, n_stops). Beyond ``limit_s`` the bound is inf.
    """
    n, m = len(net._xy), len(fxy)
    u, v, w = ride_edges(net)
    eg_f, eg_s, eg_t = net._walking.pairs(fxy, net._xy, net.max_walk_m)
    # reversed graph: from a facility node n + f back along the edges
    src = np.r_[v, eg_f + n]
    dst = np.r_[u, eg_s]
    secs = np.r_[w, np.asarray(eg_t, dtype=float)]
    src, dst, secs = _min_edges(src, dst, secs, n + m)
    graph = csr_matrix((secs, (src, dst)), shape=(n + m, n + m))
    d = dijkstra(graph, directed=True, indices=np.arange(n, n + m), limit=limit_s,
                 min_only=min_only)
    return d[:n] if min_only else d[:, :n]


def point_bounds(net, pxy: np.ndarray, fxy: np.ndarray, limit_s: float, *,
                 timed: bool = False) -> np.ndarray:
    """Lower bound (seconds) of the travel time from points to the nearest facility.

    The least of the direct walk and, over the stops within the access walk,
    walk to the stop plus :func:`stop_bounds`; with ``timed`` the second
    bound (waiting counted, straight-line walking only). Inf where the bound
    exceeds ``limit_s``.
    """
    out = np.full(len(pxy), np.inf)
    if len(pxy) == 0 or len(fxy) == 0:
        return out
    bound = stop_bounds(net, fxy, limit_s)
    near = np.flatnonzero(bound <= limit_s)
    if timed:
        out = _timed_bounds(net, pxy, net._xy[near], bound[near], fxy, limit_s)
        return np.where(out <= limit_s, out, np.inf)
    if near.size:
        r, c, t = net._walking.pairs(pxy, net._xy[near], net.max_walk_m)
        np.minimum.at(out, r, t + bound[near][c])
    r, _, t = net._walking.pairs(pxy, fxy, net.max_walk_m)
    np.minimum.at(out, r, np.asarray(t, dtype=float))
    return np.where(out <= limit_s, out, np.inf)


def _reach_m(net) -> float:
    """Straight-line metres the longest access walk can cover."""
    w = net._walking
    return net.max_walk_m / w.detour if w.streets is None else net.max_walk_m


def _points(xy: np.ndarray, crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def stop_arrivals(net, sxy: np.ndarray, fxy: np.ndarray, limit_s: float):
    """Sampled departures ``t`` and lower bounds of ``EA_s(t)`` (seconds after midnight).

    ``EA_s(t)``: the earliest arrival at the nearest facility leaving the
    place ``sxy[s]`` at ``t``, by the router. Departures are every
    ``ceil(n / STOP_DEPARTURES)``-th of the window. A journey leaving at a
    departure ``d`` up to the next sample that reaches a facility within
    ``limit_s`` arrives at ``EA_s(t) <= d + limit_s``, so the search goes that
    far (``L``, at most the horizon): where it finds nothing, the bound is inf,
    or ``t + L`` if the horizon cut the search short.
    """
    deps = net.departures
    every = int(np.ceil(len(deps) / STOP_DEPARTURES))
    times = deps[::every]
    needed = limit_s + (every - 1) * net.step * 60.0
    reach = min(net.horizon * 60.0, needed)
    missing = np.inf if reach >= needed else reach
    ea = np.repeat((times + missing)[None, :], len(sxy), axis=0)
    stops, fac = _points(sxy, net.crs), _points(fxy, net.crs)
    for j, t in enumerate(times):
        one = copy.copy(net)  # the same network, one departure
        one.start, one.end = float(t), float(t) + 1.0
        cm = type(net).cost_matrix(one, stops, fac, max_cost=reach / 60.0)
        np.minimum.at(ea[:, j], cm.rows, t + cm.cost * 60.0)
    return times, ea


def _timed_bounds(net, centres, sxy, bound, fxy, limit_s):
    """The second bound (seconds) per centre: the percentile over the window."""
    deps = net.departures
    times, ea = stop_arrivals(net, sxy, fxy, limit_s)
    last = np.searchsorted(times, deps, side="right") - 1
    wait = ea[:, last] - deps[None, :]  # (stops, departures): EA_s(t(d)) - d
    r, c, w = net._walking.pairs(centres, sxy, net.max_walk_m)
    order = np.argsort(r, kind="stable")
    r, c, w = r[order], c[order], w[order] + bound[c[order]]
    dr, _, dw = net._walking.pairs(centres, fxy, net.max_walk_m)
    direct = np.full(len(centres), np.inf)
    np.minimum.at(direct, dr, np.asarray(dw, dtype=float))
    out = np.full(len(centres), np.inf)
    for lo in range(0, len(centres), CELLS_PER_CHUNK):
        hi = min(len(centres), lo + CELLS_PER_CHUNK)
        a, b = np.searchsorted(r, [lo, hi])
        low = np.repeat(direct[lo:hi, None], len(deps), axis=1)
        if b > a:
            val = np.maximum(wait[c[a:b]], w[a:b, None])
            rr = r[a:b]
            first = np.r_[0, np.flatnonzero(np.diff(rr)) + 1]
            best = np.minimum.reduceat(val, first, axis=0)
            low[rr[first] - lo] = np.minimum(low[rr[first] - lo], best)
        big = np.where(np.isfinite(low), low, 1e12)
        out[lo:hi] = np.percentile(big, net.percentile, axis=1)
    return out


def candidate_cells(net, fxy: np.ndarray, limit_s: float, res: float):
    """Integer cells (ix, iy) near stops and facilities in reach, and which are candidates.

    Returns ``(ix, iy, first, candidate)``: every cell whose centre lies
    within the access walk of a stop whose bound fits, or of a facility;
    ``first`` marks those whose centre's first (waiting-free) lower bound is
    within ``limit_s`` (+ SLACK), ``candidate`` those the second bound
    (with waiting, straight-line walking only) leaves as well.
    """
    bound = stop_bounds(net, fxy, limit_s + SLACK)
    near = np.flatnonzero(bound <= limit_s + SLACK)
    seeds = np.vstack([net._xy[near], fxy])
    radius = _reach_m(net) + res
    k = int(np.ceil(radius / res))
    off = np.arange(-k, k + 1)
    ox, oy = np.meshgrid(off, off)
    ox, oy = ox.ravel(), oy.ravel()
    sx = np.floor(seeds[:, 0] / res).astype(np.int64)
    sy = np.floor(seeds[:, 1] / res).astype(np.int64)
    lo_x, lo_y = sx.min() - k, sy.min() - k
    width = int(sx.max() + k - lo_x + 1)
    flat = np.unique(((sy[:, None] + oy[None, :] - lo_y) * width
                      + (sx[:, None] + ox[None, :] - lo_x)).ravel())
    ix, iy = flat % width + lo_x, flat // width + lo_y
    centres = np.column_stack([(ix + 0.5) * res, (iy + 0.5) * res])
    lower = np.full(len(centres), np.inf)
    if near.size:
        r, c, t = net._walking.pairs(centres, net._xy[near], net.max_walk_m)
        np.minimum.at(lower, r, t + bound[near][c])
    r, _, t = net._walking.pairs(centres, fxy, net.max_walk_m)
    np.minimum.at(lower, r, np.asarray(t, dtype=float))
    first = lower <= limit_s + SLACK
    cand = first.copy()
    if net._walking.streets is None and near.size and first.any():
        sel = np.flatnonzero(first)
        timed = _timed_bounds(net, centres[sel], net._xy[near], bound[near], fxy, limit_s)
        cand[sel] = timed <= limit_s + SLACK
    return ix, iy, first, cand


def catchment_frame(points, network, cuts, *, dissolve, resolution, max_snap) -> gpd.GeoDataFrame:
    """:func:`quartier.isochrones` with a TransitNetwork (``cuts``: sorted cut-offs)."""
    if max_snap is not None:
        raise ParameterError(
            "max_snap= applies to street networks; a TransitNetwork walks at most its "
            "max_walk_m metres to a stop (TransitNetwork.from_gtfs(..., max_walk_m=)). "
            "Leave max_snap= out.")
    res = positive_number(RESOLUTION if resolution is None else resolution,
                          "resolution", unit="metres")
    if cuts[-1] > network.horizon:
        raise ParameterError(
            f"max_cost={cuts[-1]:g} minutes is beyond the network's horizon of "
            f"{network.horizon:g} minutes; build it with from_gtfs(..., horizon={cuts[-1]:g}).")
    xy = network._check(points, "points")
    geoms, _ = transit_isochrones(network, xy, list(points.index), cuts, res)
    mode = network.mode_label()
    rows = [(label, c, "min", np.nan, mode, geoms[(i, k)])
            for i, label in enumerate(points.index) for k, c in enumerate(cuts)]
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["point", "max_cost", "unit", "street_km", "mode",
                                    "geometry"]),
        geometry="geometry", crs=network.crs)
    if not dissolve:
        return out
    merged = []
    for c in cuts:
        part = out[out["max_cost"] == c]
        merged.append((c, "min", int((~part.is_empty).sum()), mode,
                       shapely.union_all(part.geometry.values)))
    return gpd.GeoDataFrame(
        pd.DataFrame(merged, columns=["max_cost", "unit", "points", "mode", "geometry"]),
        geometry="geometry", crs=network.crs)


def transit_isochrones(net, fxy: np.ndarray, labels, cuts: np.ndarray, res: float):
    """{(point position, cut-off position): polygon} and counts for the report.

    ``stats``: cells near stops in reach (``near``), candidates of the first
    bound (``first``), cells costed (``costed``) and the cells of the box
    around them (``box``).
    """
    out: dict = {}
    stats = {"near": 0, "first": 0, "costed": 0, "box": 0}
    if len(fxy) == 0:
        return out, stats
    limit_s = float(cuts[-1]) * 60.0
    ix, iy, first, cand = candidate_cells(net, fxy, limit_s, res)
    stats["box"] = int((np.ptp(ix) + 1) * (np.ptp(iy) + 1))
    ix, iy = ix[cand], iy[cand]
    stats["near"] = int(cand.size)
    stats["first"] = int(first.sum())
    stats["costed"] = int(ix.size)
    if ix.size:
        cells = _points(np.column_stack([(ix + 0.5) * res, (iy + 0.5) * res]), net.crs)
        cm = net.cost_matrix(cells, _points(fxy, net.crs), max_cost=float(cuts[-1]))
        rows, cols, cost = cm.rows, cm.cols, cm.cost
    else:
        rows = cols = np.zeros(0, np.int64)
        cost = np.zeros(0)
    order = np.argsort(cols, kind="stable")
    rows, cols, cost = rows[order], cols[order], cost[order]
    bounds = np.searchsorted(cols, np.arange(len(fxy) + 1))
    empty = []
    for f in range(len(fxy)):
        r, c = rows[bounds[f]:bounds[f + 1]], cost[bounds[f]:bounds[f + 1]]
        for k, cut in enumerate(cuts):
            sel = r[c <= cut]
            out[(f, k)] = _polygon(ix[sel], iy[sel], res)
        if all(out[(f, k)].is_empty for k in range(len(cuts))):
            empty.append(labels[f])
    if empty:
        warnings.warn(
            f"{len(empty)} point(s) reach no cell centre within {float(cuts[-1]):g} min by "
            f"public transport (index {format_list(empty)}); their catchments are empty. "
            "Use a smaller resolution= or a larger max_cost.",
            QuartierWarning,
            stacklevel=4,
        )
    return out, stats


def _polygon(ix: np.ndarray, iy: np.ndarray, res: float):
    """The cells (ix, iy) as one (Multi)Polygon."""
    if ix.size == 0:
        return shapely.Polygon()
    c0, r0 = ix.min(), iy.min()
    mask = np.zeros((int(iy.max() - r0 + 1), int(ix.max() - c0 + 1)), bool)
    mask[iy - r0, ix - c0] = True
    frame = _Frame(float(c0 * res), float(r0 * res), float(res))
    return _cells.polygon(mask, frame, slice(0, mask.shape[0]), slice(0, mask.shape[1]))
