"""Private: range-RAPTOR over a departure window, compiled with numba (``quartier[fast]``).

Imported only by :func:`quartier.access.transit._raptor_engine.numba_kernel`,
never by ``import quartier``: importing this module imports numba and sets up
numba's on-disk cache of the compiled function (``cache=True``; see
:mod:`quartier.access._fca_numba` for where the cache lives). When numba is
missing or cannot compile or cache, the caller warns once and uses the numpy
path (:mod:`quartier.access.transit._raptor`), which has the same rules and
gives the same travel times.

:func:`travel_times` runs one origin per (parallel) loop iteration, and for
an origin the departures of the window from the latest to the earliest
(rRAPTOR, Delling, Pajor and Werneck 2012): the labels of round ``k`` are
kept from one departure to the next earlier one, because a journey that
leaves later is also a journey for an earlier departure (waiting at the
origin). For a departure only the stops it improves are marked, and only
the patterns through them are scanned, from the first marked position on.
Labels per round ``k`` (0 = access walk) and stop:

``ride[k, s]``
    earliest arrival at ``s`` by a vehicle, with at most ``k`` vehicles;
    a new vehicle arrival must beat it, and the walking transfers start
    from the stops where it improved (no chained walks);
``best[k, s]``
    earliest arrival at ``s`` by any means with at most ``k`` vehicles;
    vehicles of round ``k + 1`` are boarded from it (plus ``min_transfer``
    from round 2 on), and the egress walks start from ``best[K]``.

Arrivals later than the departure plus ``limit_s`` (the network's horizon)
are dropped, as in the numpy path; the arithmetic is float32 as there (times of day in seconds), so
both paths give the same numbers. The arrival at each destination is kept
between departures too and updated from the stops improved by the
departure; the travel time of a departure is that arrival minus the
departure, at most the direct walk, and infinite beyond ``limit_s``.
"""

from __future__ import annotations

import numba
import numpy as np

INF32 = np.float32(np.inf)


@numba.njit(cache=True, inline="always")
def _push(s, flag, items, n):
    """Add stop ``s`` to the list ``items[:n]`` unless ``flag[s]`` says it is there; new n."""
    if flag[s]:
        return n
    flag[s] = True
    items[n] = s
    return n + 1


@numba.njit(cache=True, parallel=True, fastmath=False)
def travel_times(origins, deps, limit_s, max_rounds, change,
                 acc_ptr, acc_stop, acc_t,
                 dir_ptr, dir_dst, dir_t,
                 pat_ptr, pat_stops, pat_ntrips, pat_toff, pat_dep, pat_arr,
                 sp_ptr, sp_pat, sp_pos,
                 tr_ptr, tr_dst, tr_secs,
                 eg_ptr, eg_dst, eg_secs,
                 n_stops, n_dest):  # pragma: no cover - compiled
    """Travel times (seconds, inf where none) of ``origins`` x destinations x departures.

    ``deps`` ascending (float64 seconds). CSR arrays: access (origin -> stop,
    float64 s), direct walks (origin -> destination, float64 s), pattern
    stops, stop -> (pattern, first position), transfers (stop -> stop,
    float32 s) and egress (stop -> destination, float32 s). Pattern ``p``
    has ``pat_ntrips[p]`` trips; departure and arrival of trip ``t`` at
    position ``i`` are ``pat_dep/pat_arr[pat_toff[p] + i * T + t]``
    (float64 / float32, trips sorted and not overtaking).
    """
    n_orig = len(origins)
    nd = len(deps)
    n_pat = len(pat_ntrips)
    out = np.empty((n_orig, n_dest, nd))
    for oi in numba.prange(n_orig):
        o = origins[oi]
        kk = max_rounds + 1
        ride = np.full(n_stops * kk, INF32, dtype=np.float32)  # [stop * kk + round]
        best = np.full(n_stops * kk, INF32, dtype=np.float32)
        arrive = np.full(n_dest, INF32, dtype=np.float32)
        touched_flag = np.zeros(n_stops, np.bool_)
        touched = np.empty(n_stops, np.int64)
        mark_flag = np.zeros(n_stops, np.bool_)
        marked = np.empty(n_stops, np.int64)
        next_flag = np.zeros(n_stops, np.bool_)
        nxt = np.empty(n_stops, np.int64)
        rode_flag = np.zeros(n_stops, np.bool_)
        rode = np.empty(n_stops, np.int64)
        first = np.full(n_pat, -1, np.int64)
        queue = np.empty(n_pat, np.int64)
        direct = np.full(n_dest, np.inf)
        for e in range(dir_ptr[o], dir_ptr[o + 1]):
            if dir_t[e] < direct[dir_dst[e]]:
                direct[dir_dst[e]] = dir_t[e]
        for di in range(nd - 1, -1, -1):
            t0 = deps[di]
            horizon = np.float32(t0 + limit_s)
            n_touched = 0
            n_marked = 0
            for e in range(acc_ptr[o], acc_ptr[o + 1]):
                s = acc_stop[e]
                v = np.float32(acc_t[e] + t0)
                if v <= horizon and v < best[s * kk + 0]:
                    best[s * kk + 0] = v
                    n_marked = _push(s, mark_flag, marked, n_marked)
                    n_touched = _push(s, touched_flag, touched, n_touched)
            for k in range(1, kk):
                # labels with fewer vehicles are labels with at most k vehicles
                for j in range(n_touched):
                    s = touched[j]
                    if ride[s * kk + k - 1] < ride[s * kk + k]:
                        ride[s * kk + k] = ride[s * kk + k - 1]
                    if best[s * kk + k - 1] < best[s * kk + k]:
                        best[s * kk + k] = best[s * kk + k - 1]
                if n_marked == 0:
                    continue
                # the patterns through the marked stops, from their first marked position
                n_queue = 0
                for j in range(n_marked):
                    s = marked[j]
                    mark_flag[s] = False
                    for e in range(sp_ptr[s], sp_ptr[s + 1]):
                        p = sp_pat[e]
                        if first[p] < 0:
                            first[p] = sp_pos[e]
                            queue[n_queue] = p
                            n_queue += 1
                        elif sp_pos[e] < first[p]:
                            first[p] = sp_pos[e]
                n_marked = 0
                n_next = 0
                n_rode = 0
                for j in range(n_queue):
                    p = queue[j]
                    lo = pat_ptr[p]
                    n_pos = pat_ptr[p + 1] - lo
                    n_trips = pat_ntrips[p]
                    toff = pat_toff[p]
                    trip = n_trips
                    for i in range(first[p], n_pos):
                        s = pat_stops[lo + i]
                        if trip < n_trips:
                            a = pat_arr[toff + i * n_trips + trip]
                            if a <= horizon:
                                if a < ride[s * kk + k]:
                                    ride[s * kk + k] = a
                                    n_rode = _push(s, rode_flag, rode, n_rode)
                                if a < best[s * kk + k]:
                                    best[s * kk + k] = a
                                    n_next = _push(s, next_flag, nxt, n_next)
                                    n_touched = _push(s, touched_flag, touched, n_touched)
                        if i + 1 < n_pos:
                            b = best[s * kk + k - 1]
                            if b < INF32:
                                if k > 1:
                                    b = b + change
                                # earliest trip before the current one leaving at b or later
                                col = toff + i * n_trips
                                hi = trip
                                lo_t = 0
                                bb = np.float64(b)
                                if trip > 0 and pat_dep[col + trip - 1] >= bb:
                                    # an earlier trip than the current one can be boarded
                                    while lo_t < hi:
                                        mid = (lo_t + hi) // 2
                                        if pat_dep[col + mid] < bb:
                                            lo_t = mid + 1
                                        else:
                                            hi = mid
                                    trip = lo_t
                    first[p] = -1
                # walking transfers from the stops reached by a vehicle in this round
                for j in range(n_rode):
                    u = rode[j]
                    rode_flag[u] = False
                    r = ride[u * kk + k]
                    for e in range(tr_ptr[u], tr_ptr[u + 1]):
                        v = r + tr_secs[e]
                        t = tr_dst[e]
                        if v < best[t * kk + k]:
                            best[t * kk + k] = v
                            n_next = _push(t, next_flag, nxt, n_next)
                            n_touched = _push(t, touched_flag, touched, n_touched)
                for j in range(n_next):
                    s = nxt[j]
                    next_flag[s] = False
                    mark_flag[s] = True
                    marked[j] = s
                n_marked = n_next
            for j in range(n_marked):
                mark_flag[marked[j]] = False
            # arrivals at the destinations: the earlier ones stay valid
            last = kk - 1
            for j in range(n_touched):
                s = touched[j]
                touched_flag[s] = False
                v = best[s * kk + last]
                if v < INF32:
                    for e in range(eg_ptr[s], eg_ptr[s + 1]):
                        c = v + eg_secs[e]
                        if c < arrive[eg_dst[e]]:
                            arrive[eg_dst[e]] = c
            for d in range(n_dest):
                x = np.inf
                if arrive[d] < INF32:
                    x = np.float64(arrive[d]) - t0
                if direct[d] < x:
                    x = direct[d]
                if x > limit_s:
                    x = np.inf
                out[oi, d, di] = x
    return out
