"""Street graphs as arrays: noding of GIS lines, edge lists, CSR adjacency (private helper).

Nodes are points in a projected CRS (``xy``); edges are straight pieces
``u -- v`` with their ``length`` in metres. The adjacency is a symmetric
``scipy.sparse.csr_array`` (walking is undirected).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from quartier.access.network._driving import line_speeds
from quartier.access.network._profiles import truthy
from quartier.errors import QuartierError, QuartierWarning, format_list

#: level given to points where lines end: they connect whatever their level
_ANY_LEVEL = 10_000


def group_rows(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group equal rows of integer key columns.

    Returns (group id per row, position of the first row of each group).
    """
    n = keys[0].size
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort(keys[::-1])
    change = np.zeros(n, bool)
    change[0] = True
    for k in keys:
        ks = k[order]
        change[1:] |= ks[1:] != ks[:-1]
    gid_sorted = np.cumsum(change) - 1
    gid = np.empty(n, np.int64)
    gid[order] = gid_sorted
    first = order[change]
    return gid, first


def dedupe_edges(u, v, length, level=None):
    """Drop self-loops; keep the shortest of parallel edges; order u < v.

    With ``level`` (one per edge) the level of the kept edges is returned too.
    """
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    length = np.asarray(length, float)
    lev = np.zeros(u.size, np.int64) if level is None else np.asarray(level, np.int64)
    keep = u != v
    u, v, length, lev = u[keep], v[keep], length[keep], lev[keep]
    a, b = np.minimum(u, v), np.maximum(u, v)
    # parallel edges: the shortest, and among equal ones the one at ground level
    order = np.lexsort((np.abs(lev), length, b, a))
    a, b, length, lev = a[order], b[order], length[order], lev[order]
    first = np.ones(a.size, bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    if level is None:
        return a[first], b[first], length[first]
    return a[first], b[first], length[first], lev[first]


def adjacency(n: int, u, v, weight) -> sparse.csr_array:
    """Symmetric CSR adjacency of an undirected graph (weights stored both ways)."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    data = np.concatenate([weight, weight]).astype(float)
    idx = np.int32 if n < 2**31 - 1 else np.int64
    m = sparse.csr_array((data, (rows.astype(idx), cols.astype(idx))), shape=(n, n))
    m.sort_indices()
    return m


def components(n: int, u, v) -> np.ndarray:
    """Connected component label of every node, 0 = largest component."""
    if n == 0:
        return np.zeros(0, np.int64)
    graph = sparse.csr_array((np.ones(u.size), (u, v)), shape=(n, n))
    _, labels = csgraph.connected_components(graph, directed=False)
    counts = np.bincount(labels)
    rank = np.empty(counts.size, np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(counts.size)
    return rank[labels]


def node_lines(lines: np.ndarray, level: np.ndarray, tolerance: float = 1e-3,
               merge: bool = True):
    """Split lines where they cross or touch, respecting levels, and build an edge list.

    Parameters
    ----------
    lines : numpy.ndarray of shapely LineString
        Single-part lines in a metric CRS.
    level : numpy.ndarray of int
        Vertical level of each line (0 ground, 1 bridge, -1 tunnel, ...).
        Lines on different levels connect only at points where one of the
        lines ends (ramps, bridge heads); crossings in the middle of both
        lines connect only on the same level.
    tolerance : float
        Points closer than this (metres, on a grid) are the same node.

    Returns
    -------
    xy : (N, 2) float array
    u, v : (E,) int arrays
    length : (E,) float array
    level : (E,) int array
        The level of the line each edge comes from.
    line : (E,) int array
        Only with ``merge=False``: the line each edge comes from; edges then
        run in the line's direction and parallel edges are not merged.
    """
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    if coords.shape[0] == 0:
        empty = np.zeros(0, np.int64)
        return np.zeros((0, 2)), empty, empty, np.zeros(0), empty
    same = line_of[1:] == line_of[:-1]
    a = coords[:-1][same]
    b = coords[1:][same]
    seg_line = line_of[:-1][same]
    seg_level = np.asarray(level, np.int64)[seg_line]
    nseg = a.shape[0]
    # line ends: first and last coordinate of each line
    starts = np.r_[True, line_of[1:] != line_of[:-1]]
    ends = np.r_[line_of[1:] != line_of[:-1], True]
    end_xy = np.vstack([coords[starts], coords[ends]])

    # candidate pairs of segments whose boxes intersect
    si, sj = _candidate_pairs(a, b, seg_line)
    px, py, pi, pp, pj, pq = _intersections(a, b, si, sj, tolerance)

    # entries: segment vertices (param 0 and 1) and split points
    seg_ids = np.arange(nseg)
    e_seg = np.concatenate([seg_ids, seg_ids, pi, pj])
    e_par = np.concatenate([np.zeros(nseg), np.ones(nseg), pp, pq])
    e_x = np.concatenate([a[:, 0], b[:, 0], px, px])
    e_y = np.concatenate([a[:, 1], b[:, 1], py, py])
    e_lev = seg_level[e_seg]
    kx = np.round(e_x / tolerance).astype(np.int64)
    ky = np.round(e_y / tolerance).astype(np.int64)
    ex = np.round(end_xy[:, 0] / tolerance).astype(np.int64)
    ey = np.round(end_xy[:, 1] / tolerance).astype(np.int64)
    loc, _ = group_rows(np.r_[kx, ex], np.r_[ky, ey])
    is_end_loc = np.zeros(loc.max() + 1, bool)
    is_end_loc[loc[kx.size :]] = True
    loc = loc[: kx.size]
    # split points of pairs on different levels count only where a line ends
    n_vert = 2 * nseg
    npair = px.size
    pair_ok = (seg_level[pi] == seg_level[pj]) | is_end_loc[loc[n_vert : n_vert + npair]]
    keep = np.r_[np.ones(n_vert, bool), pair_ok, pair_ok]
    lev_key = np.where(is_end_loc[loc], _ANY_LEVEL, e_lev)
    node, first = group_rows(loc[keep], lev_key[keep])
    xy = np.column_stack([e_x[keep][first], e_y[keep][first]])
    e_seg, e_par = e_seg[keep], e_par[keep]
    order = np.lexsort((e_par, e_seg))
    s_seg, s_node = e_seg[order], node[order]
    cont = s_seg[1:] == s_seg[:-1]
    u = s_node[:-1][cont]
    v = s_node[1:][cont]
    e_level = seg_level[s_seg[:-1][cont]]
    length = np.hypot(*(xy[u] - xy[v]).T)
    if not merge:  # directed networks merge per direction themselves
        return xy, u, v, length, e_level, seg_line[s_seg[:-1][cont]]
    u, v, length, e_level = dedupe_edges(u, v, length, e_level)
    # drop nodes no edge uses (possible after merging)
    used = np.zeros(xy.shape[0], bool)
    used[u] = used[v] = True
    remap = np.cumsum(used) - 1
    return xy[used], remap[u], remap[v], length, e_level


def _candidate_pairs(a, b, seg_line):
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    tree = shapely.STRtree(segs)
    i, j = tree.query(segs)
    keep = i < j
    i, j = i[keep], j[keep]
    # consecutive segments of one line share their vertex already
    adjacent = (seg_line[i] == seg_line[j]) & (j - i == 1)
    return i[~adjacent], j[~adjacent]


def _cross(ax, ay, bx, by):
    return ax * by - ay * bx


def _intersections(a, b, i, j, tol):
    """Intersection points of segment pairs (i, j): coordinates and parameters on both."""
    a1, b1, a2, b2 = a[i], b[i], a[j], b[j]
    r = b1 - a1
    w = b2 - a2
    qp = a2 - a1
    lr = np.hypot(r[:, 0], r[:, 1])
    lw = np.hypot(w[:, 0], w[:, 1])
    den = _cross(r[:, 0], r[:, 1], w[:, 0], w[:, 1])
    proper = np.abs(den) > 1e-12 * lr * lw
    with np.errstate(divide="ignore", invalid="ignore"):
        s = _cross(qp[:, 0], qp[:, 1], w[:, 0], w[:, 1]) / den
        t = _cross(qp[:, 0], qp[:, 1], r[:, 0], r[:, 1]) / den
    es, et = tol / lr, tol / lw
    hit = proper & (s >= -es) & (s <= 1 + es) & (t >= -et) & (t <= 1 + et)
    s, t = np.clip(s, 0, 1), np.clip(t, 0, 1)
    p = a1 + s[:, None] * r
    # snap onto existing vertices so that equal points are bit-identical
    for par, eps, start, end in ((t, et, a2, b2), (s, es, a1, b1)):
        at0 = hit & (par <= eps)
        at1 = hit & (par >= 1 - eps)
        p[at0], p[at1] = start[at0], end[at1]
        par[at0], par[at1] = 0.0, 1.0
    out = [(p[hit, 0], p[hit, 1], i[hit], s[hit], j[hit], t[hit])]
    # collinear overlaps: each endpoint lying on the other segment is a split point
    col = ~proper & (np.abs(_cross(qp[:, 0], qp[:, 1], r[:, 0], r[:, 1])) <= tol * lr)
    if col.any():
        for pts, on, other_a, other_r, other_len, flip in (
            ((a2, b2), i, a1, r, lr, False),
            ((a1, b1), j, a2, w, lw, True),
        ):
            for pt in pts:
                with np.errstate(divide="ignore", invalid="ignore"):
                    par = np.einsum("ij,ij->i", pt - other_a, other_r) / other_len**2
                ok = col & (par >= -tol / other_len) & (par <= 1 + tol / other_len)
                par = np.clip(par, 0, 1)
                n = int(ok.sum())
                # the point is a vertex of the other segment: param there is 0 or 1
                self_par = np.where(np.all(pt == (a2 if not flip else a1), axis=1), 0.0, 1.0)
                seg_on = on[ok]
                seg_self = (j if not flip else i)[ok]
                if n:
                    x, y = pt[ok, 0], pt[ok, 1]
                    out.append((x, y, seg_on, par[ok], seg_self, self_par[ok]))
    px, py, pi, pp, pj, pq = (np.concatenate(c) for c in zip(*out, strict=True))
    return px, py, pi, pp, pj, pq


def lines_to_edges(gdf, prof, what, class_col, bridge_col, tunnel_col, layer_col, tolerance,
                   maxspeed_col=None, oneway_col=None):
    """Usable lines of a GIS layer -> noded edge list with levels, the lines left out, and
    for the car ``{"speed": (E, 2) km/h, "snap": (E,) bool}`` (else empty)."""
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    types = set(gdf.geom_type.unique())
    if not types <= {"LineString", "MultiLineString"}:
        raise QuartierError(
            f"{what} contain {format_list(sorted(types - {'LineString', 'MultiLineString'}))}"
            " geometries; from_lines needs LineString or MultiLineString."
        )
    dropped = pd.Series(dtype="int64")
    if class_col is not None and class_col in gdf.columns:
        values = gdf[class_col].astype(object).where(gdf[class_col].notna(), "")
        usable = np.array([prof.allows_class(c) for c in values], bool)
        dropped = values[~usable].astype(str).value_counts()
        gdf = gdf[usable]
    level = np.zeros(len(gdf), np.int64)
    if layer_col is not None and layer_col in gdf.columns:
        lay = pd.to_numeric(gdf[layer_col], errors="coerce").fillna(0).to_numpy()
        level = np.round(lay).astype(np.int64)
    if bridge_col is not None and bridge_col in gdf.columns:
        level = np.where((level == 0) & truthy(gdf[bridge_col]), 1, level)
    if tunnel_col is not None and tunnel_col in gdf.columns:
        level = np.where((level == 0) & truthy(gdf[tunnel_col]), -1, level)
    parts, part_of = shapely.get_parts(gdf.geometry.to_numpy(), return_index=True)
    if not prof.driving:
        xy, u, v, length, e_level = node_lines(parts, level[part_of], tolerance)
        return xy, u, v, length, e_level, dropped, {}
    speed, snap = line_speeds(gdf, prof, class_col, maxspeed_col, oneway_col)
    xy, u, v, length, e_level, part = node_lines(parts, level[part_of], tolerance, merge=False)
    row = part_of[part]
    return xy, u, v, length, e_level, dropped, {"speed": speed[row], "snap": snap[row]}


def island_warning(source, xy, u, length, comp, islands):
    """Warn about the parts of a network outside its largest part."""
    n_comp = int(comp.max()) + 1 if comp.size else 0
    if n_comp <= 1:
        return
    out_nodes = int((comp > 0).sum())
    out_edges = comp[u] > 0
    km = float(length[out_edges].sum()) / 1000
    what = (
        "They are left out (islands='drop')."
        if islands == "drop"
        else "Points snapping onto them reach only their own part: costs toward the main "
        "network stay missing. Use islands='drop' to snap points onto the main network."
    )
    warnings.warn(
        f"street network ({source}): {out_nodes} node(s) and {int(out_edges.sum())} "
        f"edge(s) ({km:.1f} km) lie in {n_comp - 1} small part(s) not connected to the "
        f"largest part ({int((comp == 0).sum())} nodes). {what} See .components.",
        QuartierWarning,
        stacklevel=4,
    )
