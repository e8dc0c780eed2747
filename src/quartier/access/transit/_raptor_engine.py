"""Private: which RAPTOR engine runs (numpy or numba), and the travel times of both.

Nothing here imports numba. Two engines give the same travel times (the
rules of :mod:`quartier.access.transit._raptor`, float32 arithmetic; tests
in ``tests/test_transit_engine.py`` compare them):

``numpy`` (always there)
    :func:`quartier.access.transit._raptor.raptor`, one RAPTOR over
    (origin x departure) columns, 512 at a time: about 10 ms per origin and
    departure on the Berlin feed.
``numba`` (``pip install "quartier[fast]"``)
    :func:`quartier.access.transit._raptor_numba.travel_times`, a compiled
    range-RAPTOR per origin over the departures of the window, parallel over
    origins. Its first call in a new environment compiles it (about 30 s
    on 2 cores); later processes load it from numba's disk cache.

``TransitNetwork.from_gtfs(..., engine=)`` picks one: ``"auto"`` (default)
takes numba when it is installed and a query has at least
:data:`NUMBA_MIN_QUERIES` origins x departures, ``"numpy"`` and ``"numba"``
force one. When numba is wanted but cannot be used (not installed, no
writable cache folder, a compile error), :func:`numba_failed` warns once per
process and the numpy path runs.
"""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np

from quartier.access import _numba_loader
from quartier.access.transit._raptor import BIG
from quartier.errors import ParameterError

ENGINES = ("auto", "numpy", "numba")
#: ``engine="auto"``: numba from this many origins x departures (the numpy path needs
#: about 10 ms for each, so from here on it takes 20 s or more; loading the compiled
#: kernel from its cache about 1-2 s).
NUMBA_MIN_QUERIES = 2_000
#: Travel times (origins x destinations x departures, 8 bytes each) held at once.
CUBE_BYTES = 64 * 2**20

_KERNEL = _numba_loader.OptionalKernel(
    "quartier.access.transit._raptor_numba", stacklevel=6,
    silence='build the network with engine="numpy"',
    message="TransitNetwork: the compiled RAPTOR kernel is not used: {what}. quartier uses its "
            "numpy path instead for the rest of this session (same travel times, about 10 ms "
            "per origin and departure). {fix}")
_state = _KERNEL.state


def check_engine(engine) -> str:
    if engine not in ENGINES:
        raise ParameterError(f"engine={engine!r} is not one of {ENGINES}; 'auto' takes the "
                             "compiled kernel (numba) for large queries when it is installed.")
    return engine


def engine_for(engine: str, n_queries: int) -> str:
    """``"numba"`` or ``"numpy"`` for a query of ``n_queries`` origins x departures."""
    if engine == "numpy" or _state["failed"] is not None:
        return "numpy"
    if engine == "numba":
        return "numba"
    if n_queries < NUMBA_MIN_QUERIES:
        return "numpy"
    if _state["kernel"] is None and importlib.util.find_spec("numba") is None:
        numba_failed("numba is not installed", hint="install")
        return "numpy"
    return "numba"


def numba_kernel():
    """The compiled module (:mod:`quartier.access.transit._raptor_numba`), or None (warned)."""
    return _KERNEL.load()


def numba_failed(what: str, hint: str = "cache", stacklevel: int = 6) -> None:
    """Use the numpy path from now on in this process; warn once, saying what and the fix."""
    _KERNEL.fail(what, hint, stacklevel)


def _reset() -> None:
    """Forget the loaded kernel and any failure (tests)."""
    _KERNEL.reset()


# ---------------------------------------------------------------- flat arrays for numba
def csr(keys: np.ndarray, n: int, *cols):
    """Rows grouped by ``keys`` (0..n-1): ``ptr`` and the columns in that order."""
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return (ptr, *[c[order] for c in cols])


def flatten(patterns, transfers, n_stops: int) -> dict:
    """Patterns, stop -> (pattern, first position) and transfers as flat arrays."""
    n_pat = len(patterns)
    sizes = np.array([len(p.stops) for p in patterns], np.int64)
    trips = np.array([p.n_trips for p in patterns], np.int64)
    pat_ptr = np.zeros(n_pat + 1, np.int64)
    np.cumsum(sizes, out=pat_ptr[1:])
    toff = np.zeros(n_pat + 1, np.int64)
    np.cumsum(sizes * trips, out=toff[1:])
    stops = (np.concatenate([p.stops for p in patterns]).astype(np.int64) if n_pat
             else np.zeros(0, np.int64))
    dep = np.empty(int(toff[-1]))
    arr = np.empty(int(toff[-1]), np.float32)
    for k, p in enumerate(patterns):
        n = len(p.stops)
        offset = np.repeat(np.arange(n) * BIG, p.n_trips)
        dep[toff[k]:toff[k + 1]] = p.flat_dep - offset  # whole seconds: exact
        arr[toff[k]:toff[k + 1]] = p.arr[:-1].T.ravel()
    # stop -> patterns through it (not as the last stop), first position only
    pat = np.repeat(np.arange(n_pat), np.maximum(sizes - 1, 0))
    pos = (np.concatenate([np.arange(n - 1) for n in sizes]) if n_pat
           else np.zeros(0, np.int64)).astype(np.int64)
    stop = stops[pat_ptr[pat] + pos]
    order = np.lexsort((pos, pat, stop))
    stop, pat, pos = stop[order], pat[order], pos[order]
    keep = np.r_[True, (np.diff(stop) != 0) | (np.diff(pat) != 0)] if len(stop) else []
    stop, pat, pos = stop[keep], pat[keep], pos[keep]
    sp_ptr, sp_pat, sp_pos = csr(stop, n_stops, pat, pos)
    tr_ptr, tr_dst, tr_secs = csr(transfers.src.astype(np.int64), n_stops,
                                  transfers.dst.astype(np.int64),
                                  transfers.secs.astype(np.float32))
    return {"pat_ptr": pat_ptr, "pat_stops": stops, "pat_ntrips": trips, "pat_toff": toff[:-1],
            "pat_dep": dep, "pat_arr": arr, "sp_ptr": sp_ptr, "sp_pat": sp_pat.astype(np.int64),
            "sp_pos": sp_pos.astype(np.int64), "tr_ptr": tr_ptr, "tr_dst": tr_dst,
            "tr_secs": tr_secs}


def numba_cubes(kernel, flat: dict, n_stops: int, n_origins: int, n_dest: int,
                deps: np.ndarray, limit_s: float, max_rounds: int, min_transfer_s: float,
                access, egress, direct):
    """Yield ``(lo, hi, travel)``: seconds, origins lo..hi-1 x destinations x departures."""
    acc_o, acc_s, acc_t = access
    egr_d, egr_s, egr_t = egress
    dir_o, dir_d, dir_t = direct
    acc = csr(acc_o.astype(np.int64), n_origins, acc_s.astype(np.int64),
              acc_t.astype(np.float64))
    eg = csr(egr_s.astype(np.int64), n_stops, egr_d.astype(np.int64),
             egr_t.astype(np.float32))
    dr = csr(dir_o.astype(np.int64), n_origins, dir_d.astype(np.int64),
             dir_t.astype(np.float64))
    deps = np.ascontiguousarray(deps, dtype=np.float64)
    per = int(max(2, CUBE_BYTES // max(1, 8 * n_dest * len(deps))))
    for lo in range(0, n_origins, per):
        hi = min(n_origins, lo + per)
        cube = kernel.travel_times(
            np.arange(lo, hi, dtype=np.int64), deps, float(limit_s), int(max_rounds),
            np.float32(min_transfer_s), *acc, *dr,
            flat["pat_ptr"], flat["pat_stops"], flat["pat_ntrips"], flat["pat_toff"],
            flat["pat_dep"], flat["pat_arr"], flat["sp_ptr"], flat["sp_pat"], flat["sp_pos"],
            flat["tr_ptr"], flat["tr_dst"], flat["tr_secs"], *eg, int(n_stops), int(n_dest))
        yield lo, hi, cube
