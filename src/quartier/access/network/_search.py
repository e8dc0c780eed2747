"""Shortest-path searches on a street graph with points snapped onto edges (private helper).

Snapped points become virtual nodes joined to both ends of their edge by
"spokes" costing the access leg plus the partial edge length. Searches with a
cut-off run on a local subgraph: a path of cost ``c`` never leaves the circle
of radius ``c / w`` (metres) around its start, because every edge is at least
as long as the straight line between its ends. Two points on the same edge
are also joined directly along the edge (the spokes cannot see that path).

Directed networks (the car: a cost per edge and direction, one-way streets)
have four spokes per point, out to and in from either end, each only where
that direction of the edge is open; their radius uses the least cost per
metre of any edge or access leg.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from quartier.access.network._snap import Snapped

#: floats of dense search output held at once (about 120 MB)
_DENSE_BUDGET = 15_000_000
#: sources searched together on one subgraph
_CHUNK = 48


def spokes(snapped: Snapped, w: float):
    """Costs from each snapped point to the u and v ends of its edge."""
    off_u = (snapped.access + snapped.offset) * w
    off_v = (snapped.access + snapped.length - snapped.offset) * w
    return off_u, off_v


def _part(x, length, cost):
    """Cost of ``x`` metres of an edge of ``length`` metres costing ``cost`` (inf: closed)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(length > 0, x / length, 0.0)
        return np.where(x <= 0, 0.0, np.where(np.isfinite(cost), frac * cost, np.inf))


def directed_spokes(net, snapped: Snapped):
    """Costs out to u, out to v, in from u, in from v of each snapped point (inf: closed)."""
    e = np.maximum(snapped.edge, 0)
    cf, cb = net._cost[0][e], net._cost[1][e]
    a = snapped.access * net._w
    before = snapped.offset
    after = snapped.length - snapped.offset
    ln = snapped.length
    return (a + _part(before, ln, cb), a + _part(after, ln, cf),
            a + _part(before, ln, cf), a + _part(after, ln, cb))


def leave_costs(net, acc, off, e):
    """Costs from points (``acc`` metres off the street, ``off`` metres from u on edge ``e``)
    out to the u and the v end of their edge (inf where closed)."""
    length = net.length[e]
    if not net._directed:
        return (acc + off) * net._w, (acc + length - off) * net._w
    a = acc * net._w
    return a + _part(off, length, net._cost[1][e]), a + _part(length - off, length, net._cost[0][e])


def along_costs(net, e, off_from, off_to, acc_from, acc_to):
    """Direct costs along edge ``e`` between two points on it (inf against a one-way edge)."""
    if not net._directed:
        return (acc_from + acc_to + np.abs(off_to - off_from)) * net._w
    d = off_to - off_from
    length = net.length[e]
    along = np.where(d >= 0, _part(d, length, net._cost[0][e]),
                     _part(-d, length, net._cost[1][e]))
    return (acc_from + acc_to) * net._w + along


def nodes_in_box(net, lo, hi) -> np.ndarray:
    """Sorted ids of the nodes inside the box [lo, hi]."""
    xs = net._x_sorted
    a = np.searchsorted(xs, lo[0], side="left")
    b = np.searchsorted(xs, hi[0], side="right")
    cand = net._x_order[a:b]
    y = net.xy[cand, 1]
    return np.sort(cand[(y >= lo[1]) & (y <= hi[1])])


def _subgraph(net, node_idx):
    """Rows, cols, data of the base graph restricted to ``node_idx`` (local numbering)."""
    csr = net._csr
    if node_idx is None:
        coo = net._coo
        return coo[0], coo[1], coo[2], net.n_nodes, None
    k = node_idx.size
    g2l = np.full(net.n_nodes, -1, np.int64)
    g2l[node_idx] = np.arange(k)
    starts = csr.indptr[node_idx].astype(np.int64)
    counts = csr.indptr[node_idx + 1].astype(np.int64) - starts
    total = int(counts.sum())
    offs = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts)
    take = np.arange(total) + offs
    cols = g2l[csr.indices[take]]
    rows = np.repeat(np.arange(k), counts)
    keep = cols >= 0
    return rows[keep], cols[keep], csr.data[take][keep], k, g2l


def _with_virtual(net, node_idx, groups, w):
    """A CSR graph of the subgraph plus virtual nodes for each group of snapped points.

    Returns the graph and, per group, the local ids of its virtual nodes.
    """
    rows, cols, data, k, g2l = _subgraph(net, node_idx)
    r_parts, c_parts, d_parts, ids = [rows], [cols], [data], []
    nxt = k
    for snapped in groups:
        n = len(snapped)
        vid = np.arange(nxt, nxt + n)
        ids.append(vid)
        nxt += n
        if net._directed:
            out_u, out_v, in_u, in_v = directed_spokes(net, snapped)
            for end, off, outward in ((snapped.u, out_u, True), (snapped.v, out_v, True),
                                      (snapped.u, in_u, False), (snapped.v, in_v, False)):
                loc = end if g2l is None else g2l[end]
                ok = (loc >= 0) & np.isfinite(off)
                r_parts.append(vid[ok] if outward else loc[ok])
                c_parts.append(loc[ok] if outward else vid[ok])
                d_parts.append(off[ok])
            continue
        off_u, off_v = spokes(snapped, w)
        for end, off in ((snapped.u, off_u), (snapped.v, off_v)):
            loc = end if g2l is None else g2l[end]
            ok = loc >= 0
            r_parts += [vid[ok], loc[ok]]
            c_parts += [loc[ok], vid[ok]]
            d_parts += [off[ok], off[ok]]
    g = sparse.csr_array(
        (np.concatenate(d_parts), (np.concatenate(r_parts), np.concatenate(c_parts))),
        shape=(nxt, nxt),
    )
    return g, ids


def _order(xy, cell):
    """Positions of points in a spatially coherent order (rows of cells, snake-wise)."""
    if xy.shape[0] == 0:
        return np.zeros(0, np.int64)
    cx = np.floor((xy[:, 0] - xy[:, 0].min()) / cell).astype(np.int64)
    cy = np.floor((xy[:, 1] - xy[:, 1].min()) / cell).astype(np.int64)
    cx = np.where(cy % 2 == 1, -cx, cx)
    return np.lexsort((xy[:, 0], cx, cy))


def search_chunks(net, sources: Snapped, limit: float, targets: Snapped | None = None,
                  reverse: bool = False):
    """Run bounded searches from the (snapped) sources, chunk by chunk.

    ``reverse``: costs from the targets (and nodes) to the sources instead
    (the same on undirected networks).

    Yields ``(src_pos, node_idx, d_nodes, tgt_pos, d_targets)``: positions of
    the chunk's sources in ``sources``, global ids of the subgraph's nodes (or
    None for the whole graph), costs from each source to those nodes, the
    positions of the targets in reach and the costs to them (or None).
    """
    w = net._w
    si = np.flatnonzero(sources.ok)
    ti = np.flatnonzero(targets.ok) if targets is not None else np.zeros(0, np.int64)
    finite = np.isfinite(limit)
    radius = limit / net._w_min if finite else np.inf
    if finite:
        span = net.xy.max(0) - net.xy.min(0) if net.n_nodes else np.ones(2)
        cell = max(radius, float(np.sqrt(span[0] * span[1] / max(si.size, 1))), 1.0)
        si = si[_order(sources.xy[si], cell)]
    else:
        si = si[_order(sources.xy[si], max(float(np.ptp(net.xy[:, 0])) / 64, 1.0))] if si.size else si
    n_tot = net.n_nodes + ti.size
    size = _CHUNK if finite else max(1, min(_CHUNK, _DENSE_BUDGET // max(n_tot, 1)))
    full_nodes = None
    for start in range(0, si.size, size):
        src = si[start : start + size]
        node_idx, tsel = None, ti
        if finite:
            lo = sources.xy[src].min(0) - radius
            hi = sources.xy[src].max(0) + radius
            node_idx = nodes_in_box(net, lo, hi)
            if node_idx.size > 0.5 * net.n_nodes:
                node_idx = None
            if ti.size:
                txy = targets.xy[ti]
                tsel = ti[(txy >= lo).all(1) & (txy <= hi).all(1)]
        groups = [sources.take(src)] + ([targets.take(tsel)] if targets is not None else [])
        g, ids = _with_virtual(net, node_idx, groups, w)
        if reverse and net._directed:
            g = g.T.tocsr()
        if node_idx is None:
            if full_nodes is None:
                full_nodes = np.arange(net.n_nodes)
            k = net.n_nodes
        else:
            k = node_idx.size
        d = csgraph.dijkstra(g, directed=True, indices=ids[0], limit=limit)
        d_t = d[:, ids[1]] if targets is not None else None
        yield src, (full_nodes if node_idx is None else node_idx), d[:, :k], tsel, d_t


def same_edge_pairs(a: Snapped, b: Snapped, w: float, cost=None):
    """Direct costs along the edge for pairs of points snapped onto the same edge.

    ``cost``: for directed networks the edges' costs (u -> v, v -> u); pairs
    against a closed direction get inf.
    """
    ai = np.flatnonzero(a.ok)
    bi = np.flatnonzero(b.ok)
    if not ai.size or not bi.size:
        e = np.zeros(0, np.int64)
        return e, e, np.zeros(0)
    bi = bi[np.argsort(b.edge[bi], kind="stable")]
    be = b.edge[bi]
    lo = np.searchsorted(be, a.edge[ai], side="left")
    hi = np.searchsorted(be, a.edge[ai], side="right")
    cnt = hi - lo
    rows = np.repeat(ai, cnt)
    offs = np.repeat(lo - np.r_[0, np.cumsum(cnt)[:-1]], cnt)
    cols = bi[np.arange(int(cnt.sum())) + offs]
    if cost is None:
        cost = (a.access[rows] + b.access[cols] + np.abs(a.offset[rows] - b.offset[cols])) * w
    else:
        e = a.edge[rows]
        d = b.offset[cols] - a.offset[rows]
        along = np.where(d >= 0, _part(d, a.length[rows], cost[0][e]),
                         _part(-d, a.length[rows], cost[1][e]))
        cost = (a.access[rows] + b.access[cols]) * w + along
    # a point to itself (an origin at the facility) costs nothing
    cost[(a.xy[rows] == b.xy[cols]).all(1)] = 0.0
    return rows, cols, cost


def many_to_many(net, a: Snapped, b: Snapped, limit: float, reverse: bool = False):
    """Reachable pairs (rows in a, cols in b, cost), cheapest per pair, sorted.

    ``reverse``: the cost of each pair is from the point in ``b`` to the one
    in ``a`` (the same on undirected networks).
    """
    rows, cols, costs = [], [], []
    cost = None
    if net._directed:
        cost = net._cost[::-1] if reverse else net._cost
    r, c, x = same_edge_pairs(a, b, net._w, cost)
    ok = (x <= limit) & np.isfinite(x)  # inf: against a one-way edge
    rows.append(r[ok])
    cols.append(c[ok])
    costs.append(x[ok])
    for src, _, _, tsel, d_t in search_chunks(net, a, limit, b, reverse=reverse):
        rr, cc = np.nonzero(np.isfinite(d_t))
        rows.append(src[rr])
        cols.append(tsel[cc])
        costs.append(d_t[rr, cc])
    rows, cols, costs = (np.concatenate(p) for p in (rows, cols, costs))
    order = np.lexsort((costs, cols, rows))
    rows, cols, costs = rows[order], cols[order], costs[order]
    first = np.ones(rows.size, bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return rows[first].astype(np.int64), cols[first].astype(np.int64), costs[first]


def multi_source(net, sources: Snapped, limit: float, reverse: bool = False):
    """Cost to every node from the nearest source, and which source (position, -1 if none).

    ``reverse``: costs from every node to its nearest source instead (the
    same on undirected networks).
    """
    si = np.flatnonzero(sources.ok)
    n = net.n_nodes
    dist = np.full(n, np.inf)
    which = np.full(n, -1, np.int64)
    if not si.size or not n:
        return dist, which
    g, ids = _with_virtual(net, None, [sources.take(si)], net._w)
    if reverse and net._directed:
        g = g.T.tocsr()
    d, _, src = csgraph.dijkstra(
        g, directed=True, indices=ids[0], limit=limit, min_only=True, return_predecessors=True
    )
    dist = d[:n]
    reached = src[:n] >= 0
    which[reached] = si[src[:n][reached] - n]
    return dist, which


def nearest_from(net, origins: Snapped, targets: Snapped, limit: float):
    """For each origin the position of the cheapest target and the cost (-1 / inf if none)."""
    no = len(origins)
    best = np.full(no, np.inf)
    arg = np.full(no, -1, np.int64)
    oi = np.flatnonzero(origins.ok)
    if not oi.size:
        return arg, best
    dist, which = multi_source(net, targets, limit, reverse=True)
    if net._directed:
        off_u, off_v = directed_spokes(net, origins)[:2]
    else:
        off_u, off_v = spokes(origins, net._w)
    for end, off in ((origins.u, off_u), (origins.v, off_v)):
        cand = off[oi] + dist[end[oi]]
        better = cand < best[oi]
        best[oi[better]] = cand[better]
        arg[oi[better]] = which[end[oi]][better]
    r, c, x = same_edge_pairs(origins, targets, net._w, net._cost if net._directed else None)
    if r.size:
        new = best.copy()
        np.minimum.at(new, r, x)
        wins = (x < best[r]) & (x <= new[r])
        arg[r[wins]] = c[wins]
        best = new
    out = best > limit
    best[out], arg[out] = np.inf, -1
    return arg, best
