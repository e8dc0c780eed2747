"""Walking legs of public transport journeys (private): straight line x detour, or streets."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from quartier.access.costs import straight_line_pairs


class Walking:
    """The walking rule: ``detour`` x straight line at ``speed`` m/s, or along ``streets``."""

    def __init__(self, speed_ms: float, detour: float, streets=None, crs=None):
        self.speed = speed_ms
        self.detour = detour
        self.streets = streets
        self.crs = crs

    def pairs(self, a: np.ndarray, b: np.ndarray, max_m: float):
        """Pairs of ``a`` and ``b`` within ``max_m`` walking metres: rows, cols, seconds."""
        if self.streets is None:
            r, c, d = straight_line_pairs(a, b, max_m / self.detour)
            return r, c, d * self.detour / self.speed
        streets = self.streets
        ga = gpd.GeoDataFrame(geometry=gpd.points_from_xy(a[:, 0], a[:, 1]), crs=self.crs)
        gb = gpd.GeoDataFrame(geometry=gpd.points_from_xy(b[:, 0], b[:, 1]), crs=self.crs)
        if streets.unit == "m":
            cm = streets.cost_matrix(ga, gb, max_cost=max_m)
            return cm.rows, cm.cols, cm.cost / self.speed
        minutes = max_m / self.speed / 60.0
        cm = streets.cost_matrix(ga, gb, max_cost=minutes)
        return cm.rows, cm.cols, cm.cost * 60.0


def min_plus(tau: np.ndarray, src: np.ndarray, dst: np.ndarray, secs: np.ndarray,
             n_dst: int, chunk: int = 4_000_000) -> np.ndarray:
    """``out[d] = min over pairs (s, d) of tau[s] + secs`` (inf where no pair)."""
    out = np.full((n_dst, tau.shape[1]), np.inf, dtype=tau.dtype)
    secs = secs.astype(tau.dtype)
    if len(src) == 0:
        return out
    order = np.argsort(dst, kind="stable")
    src, dst, secs = src[order], dst[order], secs[order]
    per = max(1, chunk // max(1, tau.shape[1]))
    lo = 0
    while lo < len(dst):
        hi = min(len(dst), lo + per)
        while hi < len(dst) and dst[hi] == dst[hi - 1]:
            hi += 1
        d = dst[lo:hi]
        first = np.r_[0, np.flatnonzero(np.diff(d)) + 1]
        out[d[first]] = np.minimum.reduceat(tau[src[lo:hi]] + secs[lo:hi, None], first, axis=0)
        lo = hi
    return out
