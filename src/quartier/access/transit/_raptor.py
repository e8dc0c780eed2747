"""A round-based public transit router (RAPTOR), vectorised with numpy (private).

RAPTOR (Delling, Pajor, Werneck 2012) works in rounds: round k finds the
earliest arrival at every stop with at most k vehicles. Here one search
serves many queries at once: every column of the arrival array ``tau``
(stops x queries) is one origin at one departure time. A route pattern (the
trips that serve the same sequence of stops without overtaking) is scanned
for all positions and all queries together:

1. at each position, the earliest trip that can be boarded is found by one
   ``searchsorted`` over the departures of all positions (offset per position);
2. the trip available at a later position is the running minimum of the
   trips boarded before it (trips do not overtake within a pattern);
3. arrivals are read from the pattern's arrival matrix.

Two labels per stop and query: ``tau``, the earliest arrival by any means
(access walk, vehicle, or a vehicle and one walk; this is where vehicles are
boarded and where the egress walks start), and ``ride``, the earliest arrival
by a vehicle. A vehicle arrival prunes against ``ride`` and a walk starts
from the stops whose ``ride`` improved in the round, so a walk after a
vehicle is never lost because the stop was reached earlier on foot, and
walks are never chained. Boarding after the first vehicle needs
``min_transfer`` seconds more. Both engines (this one and the compiled
range-RAPTOR of :mod:`quartier.access.transit._raptor_numba`) compute the
same earliest arrival with these rules, in the same float32 arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quartier.access.transit._gtfs import Timetable

#: Offset between positions in the flattened departure array (seconds; above any time).
BIG = 4 * 86_400.0


@dataclass
class Pattern:
    stops: np.ndarray  # (P,) stop positions
    flat_dep: np.ndarray  # (P*T,) dep[t, p] + p*BIG in position-major order
    arr: np.ndarray  # (T+1, P) arrivals, last row inf (no trip)
    n_trips: int
    repeats: bool  # a stop occurs twice in the pattern


def build_patterns(tt: Timetable) -> tuple[list[Pattern], list[np.ndarray]]:
    """Group trips into patterns without overtaking; also the patterns through each stop."""
    if tt.n_trips == 0:
        return [], [np.zeros(0, np.int64) for _ in range(len(tt.stop_ids))]
    starts = np.r_[0, np.flatnonzero(np.diff(tt.trip)) + 1]
    ends = np.r_[starts[1:], len(tt.trip)]
    keys = pd.Series([tt.stop[a:b].tobytes() for a, b in zip(starts, ends, strict=True)])
    groups = keys.groupby(keys).indices
    patterns: list[Pattern] = []
    for idx in groups.values():
        lo = starts[idx]
        n = ends[idx[0]] - lo[0]
        if n < 2:
            continue
        pos = lo[:, None] + np.arange(n)[None, :]
        dep = tt.dep[pos].astype(float)
        arr = tt.arr[pos].astype(float)
        order = np.lexsort((arr[:, -1], dep[:, 0]))
        dep, arr = dep[order], arr[order]
        stops = tt.stop[lo[0]:lo[0] + n]
        # split into chains where every column is non-decreasing (no overtaking)
        remaining = np.arange(len(dep))
        while remaining.size:
            chain, last = [], None
            rest = []
            for t in remaining:
                if last is None or (np.all(dep[t] >= dep[last]) and np.all(arr[t] >= arr[last])):
                    chain.append(t)
                    last = t
                else:
                    rest.append(t)
            remaining = np.asarray(rest, dtype=np.int64)
            d, a = dep[chain], arr[chain]
            n_t = len(chain)
            flat = (d + (np.arange(n) * BIG)[None, :]).T.ravel()
            arr_x = np.vstack([a, np.full((1, n), np.inf)]).astype(np.float32)
            patterns.append(Pattern(stops, flat, arr_x, n_t, len(np.unique(stops)) < n))
    through: list[list[int]] = [[] for _ in range(len(tt.stop_ids))]
    for k, p in enumerate(patterns):
        for s in np.unique(p.stops[:-1]):
            through[s].append(k)
    return patterns, [np.asarray(x, dtype=np.int64) for x in through]


@dataclass
class Transfers:
    """Walking links between stops, sorted by source stop: ``src``, ``dst``, seconds."""

    src: np.ndarray
    dst: np.ndarray
    secs: np.ndarray

    def relax(self, tau: np.ndarray, improved: np.ndarray, ride: np.ndarray,
              chunk: int = 4_000_000) -> np.ndarray:
        """Walk from the stops whose vehicle arrival ``ride`` improved into ``tau``.

        Returns the stops where ``tau`` improved by walking.
        """
        sel = np.flatnonzero(improved[self.src])
        if sel.size == 0:
            return np.zeros(len(tau), bool)
        src, dst, secs = self.src[sel], self.dst[sel], self.secs[sel]
        order = np.argsort(dst, kind="stable")
        src, dst, secs = src[order], dst[order], secs[order]
        out = np.zeros(len(tau), bool)
        per = max(1, chunk // max(1, tau.shape[1]))
        lo = 0
        while lo < len(dst):
            hi = min(len(dst), lo + per)
            while hi < len(dst) and dst[hi] == dst[hi - 1]:  # keep a target in one chunk
                hi += 1
            d = dst[lo:hi]
            cand = ride[src[lo:hi]] + secs[lo:hi, None]
            first = np.r_[0, np.flatnonzero(np.diff(d)) + 1]
            best = np.minimum.reduceat(cand, first, axis=0)
            targets = d[first]
            better = best < tau[targets]
            if better.any():
                tau[targets] = np.where(better, best, tau[targets])
                out[targets[better.any(axis=1)]] = True
            lo = hi
        return out


def raptor(patterns: list[Pattern], through: list[np.ndarray], transfers: Transfers,
           tau: np.ndarray, *, horizon: np.ndarray, max_rounds: int,
           min_transfer: float = 0.0) -> np.ndarray:
    """Earliest arrivals (stops x queries), starting from the access arrivals ``tau``.

    ``horizon`` (per query) bounds useful arrivals: later ones are dropped.
    ``min_transfer`` (seconds) is added to the arrival at a stop before
    boarding the second and any later vehicle.
    """
    horizon = horizon.astype(tau.dtype)
    tau = np.where(tau <= horizon[None, :], tau, np.inf).astype(tau.dtype)
    ride = np.full_like(tau, np.inf)
    change = np.float32(min_transfer)
    marked = np.isfinite(tau).any(axis=1)
    for rnd in range(max_rounds):
        if not marked.any():
            break
        prev = tau.copy()
        if rnd > 0 and change > 0:
            prev += change
        todo = np.unique(np.concatenate([through[s] for s in np.flatnonzero(marked)]
                                        or [np.zeros(0, np.int64)]))
        improved = np.zeros(len(tau), bool)  # vehicle arrival improved: walk from here
        marked_now = np.zeros(len(tau), bool)  # tau improved: board here next round
        for k in todo:
            p = patterns[k]
            stops = p.stops
            n_pos = len(stops)
            board_at = np.minimum(prev[stops[:-1]], BIG - 1.0)
            q = board_at + (np.arange(n_pos - 1) * BIG)[:, None]
            trip = (np.searchsorted(p.flat_dep, q.ravel(), "left").reshape(q.shape)
                    - (np.arange(n_pos - 1) * p.n_trips)[:, None])
            np.minimum(trip, p.n_trips, out=trip)
            trip = np.minimum.accumulate(trip, axis=0)
            arrival = p.arr[trip, np.arange(1, n_pos)[:, None]]
            arrival[arrival > horizon[None, :]] = np.inf
            targets = stops[1:]
            if p.repeats:
                old = tau[targets].copy()
                np.minimum.at(tau, targets, arrival)
                better = tau[targets] < old
                old = ride[targets].copy()
                np.minimum.at(ride, targets, arrival)
                rode = ride[targets] < old
            else:
                old = tau[targets]
                better = arrival < old
                tau[targets] = np.where(better, arrival, old)
                old = ride[targets]
                rode = arrival < old
                ride[targets] = np.where(rode, arrival, old)
            marked_now[targets[better.any(axis=1)]] = True
            improved[targets[rode.any(axis=1)]] = True
        walked = transfers.relax(tau, improved, ride)
        marked = marked_now | walked
    return tau
