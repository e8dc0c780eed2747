"""Private: catchment maps as rasters of cells costed by the rule of reach.

Every cell centre of a regular grid (``resolution`` metres, aligned to
multiples of the resolution) is snapped onto the network exactly as
:func:`quartier.coverage` snaps a demand point (nearest ground-level street
within ``max_snap``, not across a bridge or a dropped island), and costs what
a demand point there would cost: the cost along the streets to its snap
point plus its access leg. A cell is drawn when its centre is within the
cut-off. Where the cost jumps between neighbouring cells (two streets that
meet nowhere near, the ``max_snap`` limit, a bridge, an island) a cell is
drawn only when none of its 8 neighbours is beyond the cut-off by more than
the distance between their centres, so no part of a drawn cell lies on the
far side of a jump. Drawn cells are turned into polygons with
``rasterio.features.shapes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from rasterio import features
from rasterio.transform import Affine

from quartier.access.network import _search
from quartier.access.network._snap import Snapped, snap_points

#: default side of the cells of catchment maps (metres)
RESOLUTION = 10.0


@dataclass
class CellGrid:
    """Cells ``(row, col)``, centre ``(x0 + (col + .5) res, y0 + (row + .5) res)``, snapped."""

    x0: float
    y0: float
    res: float
    nx: int
    ny: int
    snapped: Snapped
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
    s = snap_points(net, np.column_stack([gx.ravel(), gy.ravel()]), max_snap)
    off_u, off_v = _search.spokes(s, net._w)
    ok = s.ok
    return CellGrid(
        x0, y0, res, nx, ny, s,
        np.where(ok, off_u, np.inf).reshape(ny, nx),
        np.where(ok, off_v, np.inf).reshape(ny, nx),
        np.where(ok, s.u, net.n_nodes).reshape(ny, nx),
        np.where(ok, s.v, net.n_nodes).reshape(ny, nx),
        s.edge.reshape(ny, nx),
    )


def cell_costs(grid: CellGrid, rows, cols, dn: np.ndarray, w: float, fac: Snapped | None, i=None):
    """Costs of the cells of a window from node costs ``dn`` (length n_nodes + 1, last inf).

    With ``fac`` (snapped facilities) and ``i``, cells on the facility's own
    edge also get the direct way along the edge.
    """
    cost = np.minimum(dn[grid.u[rows, cols]] + grid.spoke_u[rows, cols],
                      dn[grid.v[rows, cols]] + grid.spoke_v[rows, cols])
    if fac is not None:
        same = grid.edge[rows, cols] == fac.edge[i]
        if same.any():
            s = grid.snapped
            flat = np.ravel_multi_index(np.nonzero(same), cost.shape)
            rr, cc = np.unravel_index(flat, cost.shape)
            gi = (rr + rows.start) * grid.nx + (cc + cols.start)
            direct = (s.access[gi] + fac.access[i] + np.abs(s.offset[gi] - fac.offset[i])) * w
            cost[rr, cc] = np.minimum(cost[rr, cc], direct)
    return cost


def drawn(cost: np.ndarray, cut: float, step: float) -> np.ndarray:
    """Cells within ``cut`` none of whose 8 neighbours jumps beyond ``cut + step``."""
    inside = cost <= cut
    jump = np.pad(~(cost <= cut + step), 1, constant_values=True)
    near_jump = np.zeros_like(inside)
    n, m = cost.shape
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            near_jump |= jump[dr:dr + n, dc:dc + m]
    return inside & ~near_jump


def polygon(mask: np.ndarray, grid: CellGrid, rows, cols):
    """The drawn cells of a window as one (Multi)Polygon."""
    if not mask.any():
        return shapely.Polygon()
    res = grid.res
    top = grid.y0 + rows.stop * res
    transform = Affine(res, 0.0, grid.x0 + cols.start * res, 0.0, -res, top)
    flipped = np.ascontiguousarray(mask[::-1]).astype(np.uint8)
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
