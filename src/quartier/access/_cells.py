"""Private: catchment maps as rasters of cells costed by the rule of reach.

Every cell centre of a regular grid (``resolution`` metres, aligned to
multiples of the resolution) is snapped onto the network exactly as
:func:`quartier.coverage` snaps a demand point (nearest ground-level street
within ``max_snap``, not across a bridge or a dropped island) and costs what
a demand point there would cost: the cost along the streets to its snap
point plus its access leg.

A cell whose centre is within the cut-off by more than half its diagonal
(at the profile's speed), and whose 8 neighbours show no jump of the cost
(a jump: two neighbouring centres differ by more than the distance between
them, so they snap onto streets that meet nowhere near), is drawn whole; a
cell beyond the cut-off by as much, without a jump, is left out. Each of
the other cells (near the border of the catchment or near a jump) is split
into ``REFINE`` x ``REFINE`` sub-cells whose centres and corners are costed
by the same rule, their nearest street taken among the snap targets of the
3 x 3 cells around (exact unless a street shorter than a cell hides between
them). A sub-cell is drawn when its centre is within the cut-off and none of
its corners lies beyond it by more than half the sub-cell's diagonal: no
drawn sub-cell straddles a jump. Drawn cells become polygons with
``rasterio.features.shapes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.geometry
from rasterio import features
from rasterio.transform import Affine

from quartier.access.network import _search
from quartier.access.network._snap import OK, Snapped, snap_points, targets_of

#: default side of the cells of catchment maps (metres)
RESOLUTION = 10.0
#: border cells are split into REFINE x REFINE sub-cells
REFINE = 2


@dataclass
class CellGrid:
    """Cells ``(row, col)``, centre ``(x0 + (col + .5) res, y0 + (row + .5) res)``, snapped."""

    x0: float
    y0: float
    res: float
    nx: int
    ny: int
    snapped: Snapped
    target: np.ndarray  # (ny, nx) nearest snap target, -1 if none within max_snap
    spoke_u: np.ndarray  # (ny, nx) cost from the centre to the u end of its edge (inf if none)
    spoke_v: np.ndarray
    u: np.ndarray  # (ny, nx) node ids, n_nodes where not snapped
    v: np.ndarray
    edge: np.ndarray  # (ny, nx) edge ids, -1 where not snapped

    def window(self, lo, hi):
        """Row and column slices of the cells whose centres lie in the box [lo, hi]."""
        c0 = int(np.clip(np.floor((lo[0] - self.x0) / self.res), 0, self.nx))
        c1 = int(np.clip(np.ceil((hi[0] - self.x0) / self.res), 0, self.nx))
        r0 = int(np.clip(np.floor((lo[1] - self.y0) / self.res), 0, self.ny))
        r1 = int(np.clip(np.ceil((hi[1] - self.y0) / self.res), 0, self.ny))
        return slice(r0, r1), slice(c0, c1)


def make_grid(net, lo, hi, res: float, max_snap: float) -> CellGrid:
    """Snap the centres of the cells covering the box [lo, hi]."""
    x0 = np.floor(lo[0] / res) * res
    y0 = np.floor(lo[1] / res) * res
    nx = max(int(np.ceil((hi[0] - x0) / res)), 1)
    ny = max(int(np.ceil((hi[1] - y0) / res)), 1)
    xs = x0 + (np.arange(nx) + 0.5) * res
    ys = y0 + (np.arange(ny) + 0.5) * res
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    tgt, _ = targets_of(net).nearest(pts, max_snap)
    s = snap_points(net, pts, max_snap, tgt)
    if net._directed:  # costs out of the cell (maps by car: from the cells to the facility)
        off_u, off_v = _search.directed_spokes(net, s)[:2]
    else:
        off_u, off_v = _search.spokes(s, net._w)
    ok = s.ok
    return CellGrid(
        x0, y0, res, nx, ny, s, tgt.reshape(ny, nx),
        np.where(ok, off_u, np.inf).reshape(ny, nx),
        np.where(ok, off_v, np.inf).reshape(ny, nx),
        np.where(ok, s.u, net.n_nodes).reshape(ny, nx),
        np.where(ok, s.v, net.n_nodes).reshape(ny, nx),
        s.edge.reshape(ny, nx),
    )


def cell_costs(grid: CellGrid, rows, cols, dn: np.ndarray, w: float, fac: Snapped, i: int,
               net=None):
    """Costs of the cell centres of a window from node costs ``dn`` (n_nodes + 1, last inf).

    Cells on the facility's own edge also get the direct way along the edge
    (on a directed ``net``: from the cell to the facility).
    """
    cost = np.minimum(dn[grid.u[rows, cols]] + grid.spoke_u[rows, cols],
                      dn[grid.v[rows, cols]] + grid.spoke_v[rows, cols])
    same = grid.edge[rows, cols] == fac.edge[i]
    if same.any():
        s = grid.snapped
        rr, cc = np.nonzero(same)
        gi = (rr + rows.start) * grid.nx + (cc + cols.start)
        if net is not None and net._directed:
            e = np.full(gi.size, fac.edge[i])
            direct = _search.along_costs(net, e, s.offset[gi], fac.offset[i], s.access[gi],
                                         fac.access[i])
        else:
            direct = (s.access[gi] + fac.access[i] + np.abs(s.offset[gi] - fac.offset[i])) * w
        cost[rr, cc] = np.minimum(cost[rr, cc], direct)
    return cost


def point_costs(net, px, py, cand, dn, w, fac: Snapped, i: int, max_snap: float):
    """Costs of points (px, py: (m, p)) whose nearest snap target is among ``cand`` (m, k).

    ``cand`` holds target ids, -1 for none; the result has shape (m, p).
    """
    # each candidate once, ascending, the missing ones at the end; rows grouped by how many
    # candidates they have, so that few columns are computed
    big = np.iinfo(np.int64).max
    cand = np.sort(np.where(cand >= 0, cand, big), axis=1)
    dup = np.zeros(cand.shape, bool)
    dup[:, 1:] = cand[:, 1:] == cand[:, :-1]
    cand = np.sort(np.where(dup, big, cand), axis=1)
    count = (cand < big).sum(axis=1)
    cand = np.where(cand < big, cand, -1)
    out = np.full(px.shape, np.inf)
    lo = 0
    for hi in (1, 2, 3, 5, cand.shape[1]):
        rows = np.flatnonzero((count > lo) & (count <= hi))
        lo = hi
        if rows.size:
            out[rows] = _point_costs(net, px[rows], py[rows], cand[rows, :hi], dn, w, fac, i,
                                     max_snap)
    return out


def _point_costs(net, px, py, cand, dn, w, fac: Snapped, i: int, max_snap: float):
    """:func:`point_costs` for sorted, unique candidates (-1 at the end)."""
    t = targets_of(net)
    valid = (cand >= 0)[:, None, :]
    seg = np.where(cand >= 0, cand, 0)
    ax, ay = t.a[seg, 0][:, None, :], t.a[seg, 1][:, None, :]
    dx, dy = t.b[seg, 0][:, None, :] - ax, t.b[seg, 1][:, None, :] - ay
    dd = t.dd[seg][:, None, :]
    wx, wy = px[:, :, None] - ax, py[:, :, None] - ay
    s = (wx * dx + wy * dy) / np.where(dd > 0, dd, 1.0)
    np.clip(s, 0.0, 1.0, out=s)
    ex, ey = wx - s * dx, wy - s * dy
    d2 = ex * ex + ey * ey
    d = np.where(valid, d2 + t.penalty[seg][:, None, :], np.inf)
    # nearest candidate; candidates come sorted, so argmin takes the smallest id among ties
    col = np.argmin(d, axis=2)
    dmin = np.take_along_axis(d, col[:, :, None], axis=2)[:, :, 0]
    pick = np.take_along_axis(seg, col, axis=1)
    acc = np.sqrt(np.take_along_axis(d2, col[:, :, None], axis=2)[:, :, 0])
    ok = np.isfinite(dmin) & (acc <= max_snap + 1e-6) & (t.kind[pick] == OK)
    e = np.where(ok, t.edge[pick], 0)
    length = net.length[e]
    off = np.take_along_axis(s, col[:, :, None], axis=2)[:, :, 0] * length
    if net._directed:
        to_u, to_v = _search.leave_costs(net, acc, off, e)
        cost = np.minimum(dn[net.u[e]] + to_u, dn[net.v[e]] + to_v)
    else:
        cost = np.minimum(dn[net.u[e]] + (acc + off) * w,
                          dn[net.v[e]] + (acc + length - off) * w)
    same = ok & (e == fac.edge[i])
    if same.any() and net._directed:
        direct = _search.along_costs(net, e, off, fac.offset[i], acc, fac.access[i])
        cost = np.where(same, np.minimum(cost, direct), cost)
    elif same.any():
        direct = (acc + fac.access[i] + np.abs(off - fac.offset[i])) * w
        cost = np.where(same, np.minimum(cost, direct), cost)
    return np.where(ok, cost, np.inf)


def _shifted(a: np.ndarray, fill):
    """The 8 neighbours of every cell (padded with ``fill``), as a list of arrays."""
    p = np.pad(a, 1, constant_values=fill)
    n, m = a.shape
    return [p[1 + dr:1 + dr + n, 1 + dc:1 + dc + m]
            for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]


def catchment_masks(net, grid: CellGrid, rows, cols, cost, dn, fac, i, cuts, max_snap):
    """Fine masks (REFINE x finer than the window) of the locations within each cut-off."""
    w = net._w
    res = grid.res
    f = REFINE
    half = res / np.sqrt(2) * net._w_max  # the most a cost changes within half a diagonal
    fin = np.isfinite(cost)
    finite = np.where(fin, cost, 0.0)
    jumps = []  # per neighbour: the jump, and the neighbour's cost
    for nb in _shifted(cost, np.inf):
        nb_fin = np.isfinite(nb)
        step = np.abs(np.where(nb_fin, nb, 0.0) - finite)
        jumps.append(((fin != nb_fin) | (fin & nb_fin & (step > 2 * half * (1 + 1e-9))), nb))
    whole, borders = [], []
    for cut in cuts:
        # a neighbour across a jump (or an unreachable one) whose street could matter here
        doubt_in = np.zeros(cost.shape, bool)
        doubt_out = np.zeros(cost.shape, bool)
        for jump, nb in jumps:
            doubt_in |= jump & ~(nb <= cut - 3 * half)
            doubt_out |= jump & (nb <= cut + 3 * half)
        certain_in = (cost <= cut - half) & ~doubt_in
        certain_out = ~(cost <= cut + half) & ~doubt_out
        whole.append(certain_in)
        borders.append(~certain_in & ~certain_out)
    masks = [np.repeat(np.repeat(c, f, axis=0), f, axis=1) for c in whole]
    any_border = np.logical_or.reduce(borders)
    br, bc = np.nonzero(any_border)
    if not br.size:
        return masks
    tgt = np.pad(grid.target[rows, cols], 1, constant_values=-1)
    cand = np.stack([tgt[br + 1 + dr, bc + 1 + dc]
                     for dr in (-1, 0, 1) for dc in (-1, 0, 1)], axis=1)
    x0 = grid.x0 + (cols.start + bc) * res
    y0 = grid.y0 + (rows.start + br) * res
    sub = res / f
    # sub-cell centres (f x f) and corners ((f + 1) x (f + 1)) of every border cell
    k = np.arange(f)
    cy, cx = np.meshgrid((k + 0.5) * sub, (k + 0.5) * sub, indexing="ij")
    ky, kx = np.meshgrid(np.arange(f + 1) * sub, np.arange(f + 1) * sub, indexing="ij")
    px = np.concatenate([x0[:, None] + cx.ravel(), x0[:, None] + kx.ravel()], axis=1)
    py = np.concatenate([y0[:, None] + cy.ravel(), y0[:, None] + ky.ravel()], axis=1)
    cc = point_costs(net, px, py, cand, dn, w, fac, i, max_snap)
    centre = cc[:, : f * f].reshape(-1, f, f)
    corner = cc[:, f * f:].reshape(-1, f + 1, f + 1)
    worst = np.maximum.reduce([corner[:, :-1, :-1], corner[:, :-1, 1:],
                               corner[:, 1:, :-1], corner[:, 1:, 1:]])
    for cut, border, mask in zip(cuts, borders, masks, strict=True):
        sel = border[br, bc]
        ok = (centre[sel] <= cut) & (worst[sel] <= cut + half / f)
        sr = br[sel][:, None, None] * f + np.arange(f)[None, :, None]
        sc = bc[sel][:, None, None] * f + np.arange(f)[None, None, :]
        mask[np.broadcast_to(sr, ok.shape), np.broadcast_to(sc, ok.shape)] = ok
    return masks


def polygon(mask: np.ndarray, grid: CellGrid, rows, cols):
    """The drawn (sub-)cells of a window as one (Multi)Polygon."""
    if not mask.any():
        return shapely.Polygon()
    f = mask.shape[0] // max(rows.stop - rows.start, 1)
    res = grid.res / f
    rr = np.flatnonzero(mask.any(axis=1))
    cc = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = rr[0], rr[-1] + 1, cc[0], cc[-1] + 1
    crop = mask[r0:r1, c0:c1]
    x0 = grid.x0 + cols.start * grid.res + c0 * res
    top = grid.y0 + rows.start * grid.res + r1 * res
    transform = Affine(res, 0.0, x0, 0.0, -res, top)
    flipped = np.ascontiguousarray(crop[::-1]).astype(np.uint8)
    parts = [shapely.geometry.shape(g) for g, _ in features.shapes(
        flipped, mask=flipped.astype(bool), connectivity=4, transform=transform)]
    if len(parts) == 1:
        return parts[0]
    return shapely.MultiPolygon(parts)


def owner_polygons(owner: np.ndarray, grid: CellGrid, n: int) -> np.ndarray:
    """Polygons of the cells per owner 0..n-1 (``owner`` -1: no owner)."""
    out = np.full(n, shapely.Polygon(), dtype=object)
    if not (owner >= 0).any():
        return out
    res = grid.res
    transform = Affine(res, 0.0, grid.x0, 0.0, -res, grid.y0 + grid.ny * res)
    flipped = np.ascontiguousarray(owner[::-1]).astype(np.int32)
    parts: dict[int, list] = {}
    for g, val in features.shapes(flipped, mask=flipped >= 0, connectivity=4,
                                  transform=transform):
        parts.setdefault(int(val), []).append(shapely.geometry.shape(g))
    for k, polys in parts.items():
        out[k] = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return out
