"""Snap points onto the nearest street edge (private helper).

A point is placed on the nearest edge (not the nearest node): its snap point
lies ``offset`` metres from the edge's first node ``u`` and ``access``
metres (straight line) from the point itself. Points farther than
``max_snap`` from every edge are not snapped (edge ``-1``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import shapely

from quartier._checks import positive_number
from quartier.access.costs import point_coordinates
from quartier.errors import CRSError, QuartierWarning, format_list
from quartier.io.crs import as_crs


@dataclass
class Snapped:
    """Points snapped onto edges; arrays of one entry per point."""

    xy: np.ndarray  # (n, 2) the points
    edge: np.ndarray  # edge index, -1 when farther than max_snap
    offset: np.ndarray  # metres from the edge's u node to the snap point
    access: np.ndarray  # metres from the point to the snap point (NaN when not snapped)
    snap_xy: np.ndarray  # (n, 2) snap points (NaN when not snapped)
    u: np.ndarray  # node at offset 0 (-1 when not snapped)
    v: np.ndarray  # node at the far end (-1 when not snapped)
    length: np.ndarray  # edge length (NaN when not snapped)

    @property
    def ok(self) -> np.ndarray:
        """Points that were snapped."""
        return self.edge >= 0

    def __len__(self) -> int:
        return int(self.edge.size)

    def take(self, idx) -> Snapped:
        """A subset (positions or a boolean mask)."""
        return Snapped(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def edge_lines(xy: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Straight LineStrings of the edges (vectorised)."""
    return shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))


def _seg_dist(p, a, b):
    d = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.einsum("ij,ij->i", p - a, d) / np.einsum("ij,ij->i", d, d)
    s = np.clip(np.nan_to_num(s, nan=0.0), 0.0, 1.0)
    q = a + s[:, None] * d
    return np.hypot(*(p - q).T)


def _nearest_edges(tree, xy, u, v, pts, max_snap, first=30.0):
    """Nearest edge of each point within max_snap (-1 if none).

    A box query of ``first`` metres (bounding boxes only, exact distances in
    numpy) settles most points; the rest go through the tree's exact
    nearest search.
    """
    n = pts.shape[0]
    edge = np.full(n, -1, np.int64)
    r = min(first, max_snap)
    boxes = shapely.box(pts[:, 0] - r, pts[:, 1] - r, pts[:, 0] + r, pts[:, 1] + r)
    i, e = tree.query(boxes)
    d = _seg_dist(pts[i], xy[u[e]], xy[v[e]])
    ok = d <= r
    i, e, d = i[ok], e[ok], d[ok]
    order = np.lexsort((e, d, i))
    i, e = i[order], e[order]
    firsts = np.r_[True, i[1:] != i[:-1]] if i.size else np.zeros(0, bool)
    edge[i[firsts]] = e[firsts]
    rest = np.flatnonzero(edge < 0)
    if rest.size and max_snap > r:
        (j, f), _ = tree.query_nearest(
            shapely.points(pts[rest]), max_distance=max_snap, return_distance=True,
            all_matches=False,
        )
        edge[rest[j]] = f
    return edge


def snap(tree: shapely.STRtree, xy_nodes, u, v, elen, pts: np.ndarray, max_snap: float) -> Snapped:
    """Snap points to the nearest edge within ``max_snap`` metres."""
    n = pts.shape[0]
    edge = np.full(n, -1, np.int64)
    if n and len(tree):
        edge = _nearest_edges(tree, xy_nodes, u, v, pts, max_snap)
    ok = edge >= 0
    eu = np.where(ok, u[np.where(ok, edge, 0)] if u.size else -1, -1)
    ev = np.where(ok, v[np.where(ok, edge, 0)] if v.size else -1, -1)
    a = xy_nodes[np.maximum(eu, 0)] if xy_nodes.size else np.zeros((n, 2))
    b = xy_nodes[np.maximum(ev, 0)] if xy_nodes.size else np.zeros((n, 2))
    d = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.einsum("ij,ij->i", pts - a, d) / np.einsum("ij,ij->i", d, d)
    length = elen[np.maximum(edge, 0)] if elen.size else np.zeros(n)
    s = np.clip(np.nan_to_num(s, nan=0.0), 0.0, 1.0)
    snap_xy = a + s[:, None] * d
    access = np.hypot(*(pts - snap_xy).T)
    nan = np.where(ok, 1.0, np.nan)
    return Snapped(
        xy=pts,
        edge=edge,
        offset=s * length * nan,
        access=access * nan,
        snap_xy=snap_xy * nan[:, None],
        u=eu,
        v=ev,
        length=length * nan,
    )


def snap_frame(net, gdf, what: str, max_snap) -> Snapped:
    """Snap the points of a GeoDataFrame onto a network; warn about far and island points."""
    if gdf.crs is None:
        raise CRSError(f"the {what} have no CRS. Set it, e.g. gdf.set_crs('EPSG:25832').")
    if not as_crs(gdf.crs).equals(net.crs):
        raise CRSError(
            f"the {what} are in {gdf.crs.to_string()} but the street network is in "
            f"{net.crs.to_string()}. Use gdf.to_crs(net.crs)."
        )
    limit = net.max_snap if max_snap is None else float(max_snap)
    limit = positive_number(limit, "max_snap", unit="metres")
    pts = point_coordinates(gdf, what=what)
    if net._tree is None:
        net._tree = shapely.STRtree(net._lines())
    s = snap(net._tree, net.xy, net.u, net.v, net.length, pts, limit)
    far = ~s.ok
    if far.any():
        warnings.warn(
            f"{int(far.sum())} {what} point(s) are more than {limit:g} m from any street "
            f"(index {format_list(gdf.index[far])}); they are unreachable (missing costs). "
            "Check their coordinates, or raise max_snap=.",
            QuartierWarning,
            stacklevel=4,
        )
    island = s.ok & (net.component[np.maximum(s.u, 0)] > 0)
    if island.any():
        warnings.warn(
            f"{int(island.sum())} {what} point(s) snap onto small street parts not "
            f"connected to the main network (index {format_list(gdf.index[island])}); "
            "they reach only their own part.",
            QuartierWarning,
            stacklevel=4,
        )
    return s
