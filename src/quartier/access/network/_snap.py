"""Snap points onto the nearest street edge: the one rule of reach (private helper).

A location (a facility, an address point, a grid cell, a raster cell of a
catchment map) is placed on the nearest *snap target*: a street edge at
ground level or on a bridge, of the usable network or of an island dropped
from it (tunnels are never snap targets: nobody at the surface stands in a
tunnel). Its snap point lies ``offset`` metres from the edge's first node
``u`` and ``access`` metres (straight line) from the location. The location
is reachable only when that nearest target is a usable ground-level edge
within ``max_snap``; otherwise it stays unreachable with a reason:

* ``"far"``: no street within ``max_snap`` metres;
* ``"level"``: the nearest street is a bridge (the location lies under or
  beside it, not on it);
* ``"island"``: the nearest street belongs to a part of the network dropped
  because the profile cannot reach it (e.g. footways reached only by steps
  for a wheelchair), so the location is not snapped to another street.

Nearest targets are found exactly with a KD-tree of points sampled along the
targets every ``s`` metres (:data:`SAMPLE`, or a third of the median target length if
longer): any target within distance ``d`` has a sample within ``d + s / 2``,
so the ``k`` nearest samples settle a point when the ``k``-th lies farther
than its best exact distance plus ``s / 2``; the few other points are settled with more samples, then with
the exact nearest search of a shapely STRtree.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from quartier._checks import positive_number
from quartier.access.costs import point_coordinates
from quartier.errors import CRSError, QuartierWarning, format_list
from quartier.io.crs import as_crs

#: metres between sample points along the snap targets
SAMPLE = 10.0
#: status codes of :class:`Snapped`
OK, FAR, LEVEL, ISLAND = 0, 1, 2, 3
#: readable reasons (English; reports translate them)
REASONS = {
    FAR: "no street within max_snap",
    LEVEL: "nearest street is on another level (bridge)",
    ISLAND: "nearest street is not connected for this profile (dropped island)",
}


@dataclass
class Snapped:
    """Points snapped onto edges; arrays of one entry per point."""

    xy: np.ndarray  # (n, 2) the points
    edge: np.ndarray  # edge index, -1 when not snapped
    offset: np.ndarray  # metres from the edge's u node to the snap point
    access: np.ndarray  # metres from the point to the snap point (NaN when not snapped)
    snap_xy: np.ndarray  # (n, 2) snap points (NaN when not snapped)
    u: np.ndarray  # node at offset 0 (-1 when not snapped)
    v: np.ndarray  # node at the far end (-1 when not snapped)
    length: np.ndarray  # edge length (NaN when not snapped)
    status: np.ndarray | None = None  # OK, FAR, LEVEL or ISLAND

    def __post_init__(self):
        if self.status is None:
            self.status = np.where(self.edge >= 0, OK, FAR).astype(np.int8)

    @property
    def ok(self) -> np.ndarray:
        """Points that were snapped."""
        return self.edge >= 0

    def reasons(self) -> np.ndarray:
        """Why each point is unreachable (object array; None where snapped)."""
        out = np.full(self.edge.size, None, dtype=object)
        for code, text in REASONS.items():
            out[self.status == code] = text
        return out

    def __len__(self) -> int:
        return int(self.edge.size)

    def take(self, idx) -> Snapped:
        """A subset (positions or a boolean mask)."""
        return Snapped(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def edge_lines(xy: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Straight LineStrings of the edges (vectorised)."""
    return shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))


class SnapTargets:
    """The segments points may snap onto, with a KD-tree of samples along them.

    The network's edges come first (those in a tunnel are left out), then
    the edges of dropped islands (not in a tunnel); by car not motorways and
trunk roads (``net._snap_ok``). ``kind``
    is OK (usable, ground level), LEVEL (bridge) or ISLAND.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, kind: np.ndarray, edge: np.ndarray):
        self.a, self.b, self.kind, self.edge = a, b, kind, edge
        d = b - a
        self.dd = np.einsum("ij,ij->i", d, d)
        length = np.sqrt(self.dd)
        # about four samples per typical target: long edges (large grids) stay cheap
        self.spacing = max(SAMPLE, float(np.median(length)) / 3 if length.size else SAMPLE)
        n_per = np.maximum(np.ceil(length / self.spacing).astype(np.int64), 1) + 1
        seg = np.repeat(np.arange(a.shape[0]), n_per)
        first = np.cumsum(n_per) - n_per
        f = (np.arange(seg.size) - first[seg]) / (n_per[seg] - 1)
        self.sample_of = seg
        self.tree = cKDTree(a[seg] + f[:, None] * d[seg]) if seg.size else None
        self._strtree = None
        # ties: usable ground edges before bridges and islands
        self.penalty = np.where(kind == OK, 0.0, 1e-6)

    def _exact(self, px, py, seg):
        """Squared distance from the points (px, py) to the segments ``seg`` (broadcast)."""
        ax, ay = self.a[seg, 0], self.a[seg, 1]
        dx, dy = self.b[seg, 0] - ax, self.b[seg, 1] - ay
        wx, wy = px - ax, py - ay
        dd = self.dd[seg]
        s = np.where(dd > 0, (wx * dx + wy * dy) / np.where(dd > 0, dd, 1.0), 0.0)
        np.clip(s, 0.0, 1.0, out=s)
        ex, ey = wx - s * dx, wy - s * dy
        return ex * ex + ey * ey

    def nearest(self, pts: np.ndarray, max_snap: float):
        """Nearest target of each point within ``max_snap`` (-1 if none) and its distance."""
        n = pts.shape[0]
        best = np.full(n, -1, np.int64)
        dist = np.full(n, np.inf)
        if self.tree is None or n == 0:
            return best, dist
        bound = max_snap + self.spacing / 2
        todo = np.arange(n)
        ns = self.sample_of.size
        for k in (4, 16, 64):
            if not todo.size:
                break
            k = min(k, ns)
            dk, ik = self.tree.query(pts[todo], k=k, distance_upper_bound=bound, workers=-1)
            dk, ik = dk.reshape(todo.size, k), ik.reshape(todo.size, k)
            valid = ik < ns
            seg = self.sample_of[np.where(valid, ik, 0)]
            d2 = self._exact(pts[todo, 0:1], pts[todo, 1:2], seg)
            d = np.where(valid, np.sqrt(d2) + self.penalty[seg], np.inf)
            # smallest distance, then smallest target id among ties
            dmin = d.min(axis=1)
            pick = np.where(d <= dmin[:, None], seg, np.iinfo(np.int64).max).min(axis=1)
            settled = ~np.isfinite(dk[:, -1]) | (dk[:, -1] > dmin + self.spacing / 2) | (k == ns)
            found = settled & (dmin <= max_snap + 1e-6)
            best[todo[found]] = pick[found]
            dist[todo[found]] = dmin[found]
            todo = todo[~settled]
        if todo.size:  # exact fallback for points among very many nearby samples
            if self._strtree is None:
                self._strtree = shapely.STRtree(shapely.linestrings(np.stack([self.a, self.b], 1)))
            (j, f), dd = self._strtree.query_nearest(
                shapely.points(pts[todo]), max_distance=max_snap, return_distance=True,
                all_matches=True,
            )
            dd = dd + self.penalty[f]
            order = np.lexsort((f, dd, j))
            j, f, dd = j[order], f[order], dd[order]
            first = np.r_[True, j[1:] != j[:-1]] if j.size else np.zeros(0, bool)
            best[todo[j[first]]] = f[first]
            dist[todo[j[first]]] = dd[first]
        return best, dist


def targets_of(net) -> SnapTargets:
    """The network's snap targets (built once, cached on the network)."""
    if net._targets is None:
        keep = (net.level >= 0) & net._snap_ok
        a = [net.xy[net.u[keep]]]
        b = [net.xy[net.v[keep]]]
        kind = [np.where(net.level[keep] > 0, LEVEL, OK)]
        edge = [np.flatnonzero(keep)]
        isl = net._island_segments
        if isl.shape[0]:
            a.append(isl[:, 0])
            b.append(isl[:, 1])
            kind.append(np.where(net._island_level > 0, LEVEL, ISLAND))
            edge.append(np.full(isl.shape[0], -1))
        net._targets = SnapTargets(
            np.concatenate(a).reshape(-1, 2), np.concatenate(b).reshape(-1, 2),
            np.concatenate(kind).astype(np.int8), np.concatenate(edge).astype(np.int64),
        )
    return net._targets


def snap_points(net, pts: np.ndarray, max_snap: float, tgt: np.ndarray | None = None) -> Snapped:
    """Snap points (coordinates) onto the network by the rule of reach.

    ``tgt``: the nearest snap target of each point (-1: none within
    ``max_snap``), when already known.
    """
    n = pts.shape[0]
    t = targets_of(net)
    if tgt is None:
        tgt, _ = t.nearest(pts, max_snap)
    has = tgt >= 0
    status = np.full(n, FAR, np.int8)
    status[has] = t.kind[tgt[has]]
    ok = status == OK
    edge = np.full(n, -1, np.int64)
    edge[ok] = t.edge[tgt[ok]]
    e0 = np.where(ok, edge, 0)
    eu = np.where(ok, net.u[e0] if net.n_edges else -1, -1)
    ev = np.where(ok, net.v[e0] if net.n_edges else -1, -1)
    a = net.xy[np.maximum(eu, 0)] if net.n_nodes else np.zeros((n, 2))
    b = net.xy[np.maximum(ev, 0)] if net.n_nodes else np.zeros((n, 2))
    d = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.einsum("ij,ij->i", pts - a, d) / np.einsum("ij,ij->i", d, d)
    length = net.length[e0] if net.n_edges else np.zeros(n)
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
        status=status,
    )


def snap_limit(net, max_snap) -> float:
    """The snapping limit in metres: ``max_snap`` or the network's."""
    limit = net.max_snap if max_snap is None else float(max_snap)
    return positive_number(limit, "max_snap", unit="metres")


def snap_frame(net, gdf, what: str, max_snap) -> Snapped:
    """Snap the points of a GeoDataFrame onto a network; warn about unreachable points."""
    if gdf.crs is None:
        raise CRSError(f"the {what} have no CRS. Set it, e.g. gdf.set_crs('EPSG:25832').")
    if not as_crs(gdf.crs).equals(net.crs):
        raise CRSError(
            f"the {what} are in {gdf.crs.to_string()} but the street network is in "
            f"{net.crs.to_string()}. Use gdf.to_crs(net.crs)."
        )
    limit = snap_limit(net, max_snap)
    pts = point_coordinates(gdf, what=what)
    s = snap_points(net, pts, limit)
    reasons = {
        FAR: (f"are more than {limit:g} m from any street", "check their coordinates, or raise "
              "max_snap=."),
        LEVEL: ("lie nearest to a bridge, under or beside it", "not moved to another street. "
                "Check their coordinates."),
        ISLAND: (f"lie nearest to streets the profile '{net.profile.name}' cannot reach from "
                 "the network (a dropped island, e.g. behind steps)", "not moved to another "
                 "street. Use islands='keep' to let them reach their own island."),
    }
    for status, (where, fix) in reasons.items():
        hit = s.status == status
        if hit.any():
            warnings.warn(
                f"{int(hit.sum())} {what} point(s) {where} (index {format_list(gdf.index[hit])});"
                f" they are unreachable (missing costs), {fix}",
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
