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
for sure and is never costed; the candidates are costed with
``cost_matrix`` once for all cut-offs and facilities.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from quartier.access import _cells
from quartier.errors import QuartierWarning, format_list

#: default side of the cells of catchments by public transport (metres)
RESOLUTION = 100.0
#: seconds of slack in the candidate test (the router keeps times as float32)
SLACK = 1.0


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


def point_bounds(net, pxy: np.ndarray, fxy: np.ndarray, limit_s: float) -> np.ndarray:
    """Lower bound (seconds) of the travel time from points to the nearest facility.

    The least of the direct walk and, over the stops within the access walk,
    walk to the stop plus :func:`stop_bounds`; inf where both exceed ``limit_s``.
    """
    out = np.full(len(pxy), np.inf)
    if len(pxy) == 0 or len(fxy) == 0:
        return out
    bound = stop_bounds(net, fxy, limit_s)
    near = np.flatnonzero(bound <= limit_s)
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


def candidate_cells(net, fxy: np.ndarray, limit_s: float, res: float):
    """Integer cells (ix, iy) near stops and facilities in reach, and which are candidates.

    Returns ``(ix, iy, candidate)``: every cell whose centre lies within the
    access walk of a stop whose bound fits, or of a facility; ``candidate``
    marks those whose centre's lower bound is within ``limit_s`` (+ SLACK).
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
    return ix, iy, lower <= limit_s + SLACK


def transit_isochrones(net, fxy: np.ndarray, labels, cuts: np.ndarray, res: float):
    """{(point position, cut-off position): polygon} and counts for the report.

    ``stats``: cells near stops in reach (``near``), candidates costed
    (``costed``) and the cells of the box around them (``box``).
    """
    out: dict = {}
    stats = {"near": 0, "costed": 0, "box": 0}
    if len(fxy) == 0:
        return out, stats
    limit_s = float(cuts[-1]) * 60.0
    ix, iy, cand = candidate_cells(net, fxy, limit_s, res)
    ix, iy = ix[cand], iy[cand]
    stats["near"] = int(cand.size)
    stats["costed"] = int(ix.size)
    if ix.size:
        stats["box"] = int((ix.max() - ix.min() + 1) * (iy.max() - iy.min() + 1))
        cells = gpd.GeoDataFrame(geometry=gpd.points_from_xy((ix + 0.5) * res, (iy + 0.5) * res),
                                 crs=net.crs)
        fac = gpd.GeoDataFrame(geometry=gpd.points_from_xy(fxy[:, 0], fxy[:, 1]), crs=net.crs)
        cm = net.cost_matrix(cells, fac, max_cost=float(cuts[-1]))
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
