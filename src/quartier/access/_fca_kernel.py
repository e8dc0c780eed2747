r"""Private: the FCA distance weights, and which straight-line FCA engine runs (numpy or numba).

Nothing here imports numba. :func:`weight` is the one definition of the
weights :math:`w(d)` of :mod:`quartier.access.floating`:
:func:`quartier.fca_weights` applies it to arrays of costs with numpy, and the
optional numba kernel (:mod:`quartier.access._fca_numba`, installed with
``pip install "quartier[fast]"``) compiles the very same function for one cost
at a time.

Straight-line FCA has two engines with the same results (to rounding, 1e-12
relative; ``tests/test_fca.py`` compares them):

``numpy`` (default, always there)
    the reachable pairs from :func:`quartier.access.costs.straight_line_pairs`,
    summed with ``bincount``; memory grows with the pairs.
``numba`` (``quartier[fast]``)
    a compiled, parallel streaming kernel that stores no pairs. Its first call
    in a new environment compiles it (20 s or more on 2 cores), every later
    process loads it from numba's disk cache (about 1 s plus importing numba),
    so it pays only for large inputs.

:func:`engine_for` picks one: with ``quartier.set_fca_engine("auto")`` (the
default) numba runs when it is installed and the input is estimated to have at
least :data:`NUMBA_MIN_PAIRS` pairs within reach (:func:`estimated_pairs`);
``"numpy"`` and ``"numba"`` force one. When numba is wanted but cannot be
used (not installed, no writable cache folder, a compile or cache error at
the first call), :func:`numba_failed` warns once per process and the numpy
path runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import math

import numpy as np

from quartier.access import _numba_loader

#: Weight modes, the ``mode`` of :func:`weight` (2SFCA: w = 1, never evaluated).
TWO_STEP, STEP, POWER, EXPONENTIAL, GAUSSIAN = 0, 1, 2, 3, 4
#: Cells of half the radius: the 5 x 5 cells around a point cover its circle.
SUB = 2
#: 2SFCA: cells of max_cost / FINE at most (a power of 2); the points within reach of a
#: point lie within FINE + 1 cells of its own (one more: the cells come from a
#: multiplication, which may round across a border), most of them in whole cells.
FINE = 8
#: Largest dense cell index (cells, at 8 bytes each) beyond the O(n + m) arrays; above it
#: (points spread far apart for the radius) the sorted cell numbers are binary-searched.
DENSE_CELLS = 1 << 21
#: ``set_fca_engine("auto")``: numba from this many (estimated) pairs within reach.
#: Measured on 2 shared cores (benchmarks/bench_fca.py, docs/performance.md, table "numpy
#: or numba by size"): the numpy path takes about 0.1 us a pair on a quiet machine (570,000
#: pairs, Berlin-sized: 0.07 s; 3 million: 0.3 s; 7.5 million: 0.7-1 s) and 2-5 times that
#: when the cores are busy; the numba kernel, once loaded, 3 to 10 times less. Loading it
#: costs about 0.8 s in every new process (importing numba, reading its disk cache), its
#: very first compile 25 s or more. So numpy wins every input of a city's size (up to
#: about 2 million pairs) outright; above, numba wins every call after the first, the first
#: too when the machine is busy (on a quiet one numpy would still win it by under 1 s up
#: to about 10 million pairs), and the numpy path's pair arrays grow past 100 MB.
NUMBA_MIN_PAIRS = 2_000_000

#: :func:`estimated_pairs` counts at most about this many demand points (a regular sample).
ESTIMATE_SAMPLE = 100_000

_KERNEL = _numba_loader.OptionalKernel(
    "quartier.access._fca_numba", stacklevel=5, silence='call quartier.set_fca_engine("numpy")',
    message="fca: the fast straight-line kernel is not used: {what}. quartier uses its numpy "
            "path instead for the rest of this session (same results, more memory and time "
            "for large inputs). {fix}")
_state = _KERNEL.state


def weight(mode, d, uppers, values, beta, floor, scale, s2):
    """The FCA weight w(d) for costs ``d`` (an array with numpy, a float in the kernel).

    ``STEP``: ``values[k]`` for the first upper bound ``uppers[k] >= d``
    (``values`` has one more entry, 0, for beyond the last bound);
    ``POWER``: ``(max(d, floor) / scale) ** -beta``; ``EXPONENTIAL``:
    ``exp(-beta * d)``; ``GAUSSIAN``: ``exp(-d**2 / s2)`` with ``s2 = 2 sigma**2``.
    (``TWO_STEP`` is 1 and handled by the callers.) Costs of 0 with a power
    weight and ``floor <= 0`` give inf: the callers check that first.
    """
    if mode == STEP:
        return values[np.searchsorted(uppers, d, side="left")]
    if mode == POWER:
        return np.power(np.maximum(d, floor) / scale, -beta)
    if mode == EXPONENTIAL:
        return np.exp(-beta * d)
    return np.exp(-np.square(d) / s2)


def estimated_pairs(ax, ay, bx, by, max_cost: float) -> float:
    """About how many demand -> facility pairs lie within ``max_cost`` (straight line).

    Both point sets are counted in square cells of ``max_cost``; every demand
    point pairs with the facilities of the 3 x 3 cells around its own, times
    pi / 9 (the share of the circle in those cells for evenly spread points).
    O(n + m) with ``bincount`` (sorted unique cells when the points are spread
    too far apart for a dense grid), on every k-th demand point when there are
    more than :data:`ESTIMATE_SAMPLE` (scaled up): a few milliseconds.

    >>> import numpy as np
    >>> a = np.arange(0.0, 3000.0, 10.0)
    >>> round(estimated_pairs(a, a, np.array([1500.0]), np.array([1500.0]), 300.0))
    31
    """
    n, m = len(ax), len(bx)
    if n == 0 or m == 0:
        return 0.0
    step = max(1, n // ESTIMATE_SAMPLE)
    if step > 1:  # a regular sample of the demand points (views, no copies)
        scale = n / len(ax[::step])
        return scale * estimated_pairs(ax[::step], ay[::step], bx, by, max_cost)
    size = float(max_cost)
    x0, y0 = min(ax.min(), bx.min()), min(ay.min(), by.min())
    ncols = int(max((ax.max() - x0) // size, (bx.max() - x0) // size)) + 3
    nrows = int(max((ay.max() - y0) // size, (by.max() - y0) // size)) + 3

    def cells(x, y):  # one empty cell around the points: no wrap-around between rows
        inv = 1.0 / size  # x - x0 >= 0: truncation is floor (to rounding, enough here)
        return ((y - y0) * inv).astype(np.int64) * ncols + ((x - x0) * inv).astype(
            np.int64) + ncols + 1

    da, fb = cells(ax, ay), cells(bx, by)
    if ncols * nrows <= max(DENSE_CELLS, 4 * (n + m)):
        demand = np.bincount(da, minlength=ncols * nrows).reshape(nrows, ncols)
        fac = np.bincount(fb, minlength=ncols * nrows).reshape(nrows, ncols)
        near = np.zeros_like(fac)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                near[1:-1, 1:-1] += fac[1 + dy:nrows - 1 + dy, 1 + dx:ncols - 1 + dx]
        total = float((demand * near).sum())
    else:
        uniq, inverse = np.unique(np.r_[da, fb], return_inverse=True)
        demand = np.bincount(inverse[:n], minlength=len(uniq))
        fac = np.bincount(inverse[n:], minlength=len(uniq))
        near = np.zeros_like(fac)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                want = uniq + dy * ncols + dx
                pos = np.minimum(np.searchsorted(uniq, want), len(uniq) - 1)
                hit = uniq[pos] == want
                near[hit] += fac[pos[hit]]
        total = float((demand * near).sum())
    return total * math.pi / 9


def engine_for(ax, ay, bx, by, max_cost: float) -> str:
    """``"numba"`` or ``"numpy"``: the straight-line engine for these points.

    Follows :func:`quartier.settings.get_fca_engine`; ``"auto"`` takes numba
    when it is installed and :func:`estimated_pairs` reaches
    :data:`NUMBA_MIN_PAIRS` (the size where it pays, see there).
    """
    from quartier.settings import get_fca_engine

    engine = get_fca_engine()
    if engine == "numpy" or _state["failed"] is not None:
        return "numpy"
    if engine == "numba":
        return "numba"
    if len(ax) * len(bx) < NUMBA_MIN_PAIRS or estimated_pairs(
            ax, ay, bx, by, max_cost) < NUMBA_MIN_PAIRS:
        return "numpy"
    if _state["kernel"] is None and importlib.util.find_spec("numba") is None:
        numba_failed("numba is not installed", hint="install")
        return "numpy"
    return "numba"


def numba_kernel():
    """The numba kernel module (:mod:`quartier.access._fca_numba`), or None when unusable.

    Importing it imports numba and prepares numba's disk cache; any error
    (numba missing or broken, no writable cache folder: "no locator
    available") is reported once by :func:`numba_failed`.
    """
    return _KERNEL.load()


def numba_failed(what: str, hint: str = "cache", stacklevel: int = 5) -> None:
    """Use the numpy path from now on in this process; warn once, saying what and how to fix it."""
    _KERNEL.fail(what, hint, stacklevel)


def _reset() -> None:
    """Forget the loaded kernel and any failure (tests)."""
    _KERNEL.reset()
