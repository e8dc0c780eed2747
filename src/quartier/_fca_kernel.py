r"""Private: the FCA distance weights and a streaming straight-line FCA kernel (numba).

:func:`weight` is the one definition of the weights :math:`w(d)` of
:mod:`quartier.fca`: :func:`quartier.fca_weights` applies it to arrays of
costs with numpy, and the kernel compiles the very same function with numba
for one cost at a time.

:func:`straight_line_fca` computes 2SFCA/E2SFCA/gravity/Gaussian FCA for
straight-line distances without ever storing the reachable pairs (memory
O(demand + facilities)):

* both point sets get square grid cells of ``max_cost / 2`` with the origin
  and cell numbering of :func:`quartier.costs.straight_line_pairs` (so the
  candidate pairs, the 5 x 5 cells around a point, are the same); each set is
  sorted by cell with numpy (``argsort``), and a point's candidates are 5
  contiguous runs of the other, sorted set (one per row of cells), found by
  binary search (``searchsorted``);
* pass 1, parallel over facilities: :math:`D_j = \sum_i P_i w(d_{ij})` over
  the demand points with ``dx*dx + dy*dy <= max_cost**2`` (float64, as
  ``straight_line_pairs``), :math:`d_{ij}` its square root;
* :math:`R_j = S_j / D_j` where :math:`D_j > 0` (numpy, in the caller);
* pass 2, parallel over demand points (each writes only its own
  :math:`A_i`): :math:`A_i = \sum_j R_j w(d_{ij})`.

numba is optional: if it cannot be imported, :data:`AVAILABLE` is False and
:func:`quartier.fca` uses its numpy path over the stored pairs instead (same
results, more memory). The first call compiles the kernels (a few seconds);
the machine code is cached on disk (``__pycache__``) for later processes.
"""

from __future__ import annotations

import numpy as np

try:  # optional: without numba, quartier.fca falls back to its numpy path
    import numba
except ImportError:  # pragma: no cover - numba is a dependency, but keep working without it
    numba = None

#: Weight modes, the ``mode`` of :func:`weight` (2SFCA: w = 1, never evaluated).
TWO_STEP, STEP, POWER, EXPONENTIAL, GAUSSIAN = 0, 1, 2, 3, 4
#: Cells of half the radius: the 5 x 5 cells around a point cover its circle.
SUB = 2


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


AVAILABLE = numba is not None
#: Largest dense cell index (cells, at 8 bytes each) beyond the O(n + m) arrays; above it
#: (points spread far apart for the radius) the sorted cell numbers are binary-searched.
DENSE_CELLS = 1 << 21

if AVAILABLE:
    _weight = numba.njit(cache=True, fastmath=False)(weight)

    @numba.njit(cache=True, fastmath=False)
    def cell_numbers(x, y, x0, y0, size, ncols):  # pragma: no cover - compiled
        """Cell of every point: ``(y - y0) // size`` and ``(x - x0) // size`` (float floor
        division, as numpy's and Python's), shifted by SUB and numbered row by row.

        Serial: it is cheap, and each parallel region costs a thread hand-over."""
        out = np.empty(len(x), np.int64)
        for i in range(len(x)):
            out[i] = (np.int64((y[i] - y0) // size) + SUB) * ncols + np.int64(
                (x[i] - x0) // size) + SUB
        return out

    @numba.njit(cache=True, fastmath=False)
    def _counting_sort(cell, ncells, x, y, v):  # pragma: no cover - compiled
        """Points sorted by cell (stable): order, x, y, v, cells and the CSR pointer per cell."""
        ptr = np.zeros(ncells + 1, np.int64)
        for c in cell:
            ptr[c + 1] += 1
        for c in range(ncells):
            ptr[c + 1] += ptr[c]
        fill = ptr[:-1].copy()
        n = len(cell)
        order = np.empty(n, np.int64)
        xs, ys, vs, cs = np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64)
        for i in range(n):
            c = cell[i]
            k = fill[c]
            fill[c] = k + 1
            order[k], xs[k], ys[k], vs[k], cs[k] = i, x[i], y[i], v[i], c
        return order, xs, ys, vs, cs, ptr

    @numba.njit(cache=True, fastmath=False, inline="always")
    def _run(cells, ptr, lo):  # pragma: no cover - compiled
        """Positions start:stop of the sorted points in cells lo .. lo + 2 * SUB."""
        if len(ptr):
            return ptr[lo], ptr[lo + 2 * SUB + 1]
        return (np.searchsorted(cells, lo, side="left"),
                np.searchsorted(cells, lo + 2 * SUB, side="right"))

    @numba.njit(cache=True, parallel=True, fastmath=False)
    def _pass1(fx, fy, fcell, dx_, dy_, dcell, dptr, pop, ncols, limit, mode, uppers, values,
               beta, floor, scale, s2, weighted, pairs, zero):  # pragma: no cover - compiled
        """Per facility j: weighted demand D_j, pairs in reach, pairs at power cost <= 0."""
        for j in numba.prange(len(fx)):
            x, y, cell = fx[j], fy[j], fcell[j]
            acc = 0.0
            count = 0
            bad = 0
            for row in range(-SUB, SUB + 1):
                start, stop = _run(dcell, dptr, cell + row * ncols - SUB)
                if mode == TWO_STEP:
                    for k in range(start, stop):
                        ddx = dx_[k] - x
                        ddy = dy_[k] - y
                        inside = ddx * ddx + ddy * ddy <= limit
                        count += inside
                        acc += pop[k] if inside else 0.0
                else:
                    for k in range(start, stop):
                        ddx = dx_[k] - x
                        ddy = dy_[k] - y
                        d2 = ddx * ddx + ddy * ddy
                        if d2 <= limit:
                            count += 1
                            d = np.sqrt(d2)
                            if mode == POWER and max(d, floor) <= 0.0:
                                bad += 1
                            else:
                                acc += pop[k] * _weight(mode, d, uppers, values, beta, floor,
                                                        scale, s2)
            weighted[j] = acc
            pairs[j] = count
            zero[j] = bad

    @numba.njit(cache=True, parallel=True, fastmath=False)
    def _pass2(dx_, dy_, dcell, dorder, fx, fy, fcell, fptr, ratio, ncols, limit, mode, uppers,
               values, beta, floor, scale, s2, access, reached):  # pragma: no cover - compiled
        """Per demand point (in cell order): A_i = sum_j R_j w(d_ij), and whether any j is in
        reach."""
        for k in numba.prange(len(dx_)):
            x, y, cell = dx_[k], dy_[k], dcell[k]
            acc = 0.0
            count = 0
            for row in range(-SUB, SUB + 1):
                start, stop = _run(fcell, fptr, cell + row * ncols - SUB)
                if mode == TWO_STEP:
                    for j in range(start, stop):
                        ddx = x - fx[j]
                        ddy = y - fy[j]
                        inside = ddx * ddx + ddy * ddy <= limit
                        count += inside
                        acc += ratio[j] if inside else 0.0
                else:
                    for j in range(start, stop):
                        ddx = x - fx[j]
                        ddy = y - fy[j]
                        d2 = ddx * ddx + ddy * ddy
                        if d2 <= limit:
                            count += 1
                            acc += ratio[j] * _weight(mode, np.sqrt(d2), uppers, values, beta,
                                                      floor, scale, s2)
            i = dorder[k]
            access[i] = acc
            reached[i] = count > 0


def grid(ax, ay, bx, by, max_cost: float):
    """Cell numbers of both point sets exactly as ``straight_line_pairs`` has them, and ncols.

    Same origin (the smallest coordinates), cells of ``max_cost / 2``, floor
    division and numbering; the largest cell column is that of the largest x
    (floor division is monotonic), so no pass over the cells is needed for it.
    """
    size = float(max_cost) / SUB
    x0, y0 = min(ax.min(), bx.min()), min(ay.min(), by.min())
    ncols = int(max((ax.max() - x0) // size, (bx.max() - x0) // size)) + 2 * SUB + 1
    nrows = int(max((ay.max() - y0) // size, (by.max() - y0) // size)) + 2 * SUB + 1
    return (cell_numbers(ax, ay, x0, y0, size, ncols), cell_numbers(bx, by, x0, y0, size, ncols),
            ncols, nrows)


def sort_by_cell(cell, ncells: int, x, y, v):
    """Points sorted by cell: (order, x, y, v, cells, ptr); ptr empty when not dense."""
    if ncells <= max(DENSE_CELLS, 4 * len(cell)):
        return _counting_sort(cell, ncells, x, y, v)
    order = np.argsort(cell)
    return order, x[order], y[order], v[order], cell[order], np.zeros(0, np.int64)


def straight_line_fca(ax, ay, bx, by, population: np.ndarray, places: np.ndarray,
                      max_cost: float, mode: int, uppers: np.ndarray, values: np.ndarray,
                      beta: float, floor: float, scale: float, s2: float):
    """FCA over straight lines without storing pairs (needs numba, see :data:`AVAILABLE`).

    ``ax, ay`` demand and ``bx, by`` facility coordinates in metres (float64),
    the populations and places as float64, the weight as for :func:`weight`.
    Returns what ``quartier.fca._fca_core`` returns: (A per demand point,
    R per facility with 0 where undefined, weighted demand per facility,
    reached demand points, number of pairs), plus the number of pairs at a
    cost where the power weight is infinite (then A and R are None; the
    caller raises).
    """
    n, m = len(ax), len(bx)
    if n == 0 or m == 0:
        return np.zeros(n), np.zeros(m), np.zeros(m), np.zeros(n, bool), 0, 0
    a_cell, b_cell, ncols, nrows = grid(ax, ay, bx, by, max_cost)
    ncells = ncols * nrows
    d_order, dx, dy, pop, d_cell, d_ptr = sort_by_cell(a_cell, ncells, ax, ay, population)
    f_order, fx, fy, _, f_cell, f_ptr = sort_by_cell(b_cell, ncells, bx, by, places)
    limit = float(max_cost) ** 2
    args = (int(ncols), limit, int(mode), np.ascontiguousarray(uppers, dtype=np.float64),
            np.ascontiguousarray(values, dtype=np.float64), float(beta), float(floor),
            float(scale), float(s2))
    weighted_sorted = np.empty(m)
    pairs = np.empty(m, np.int64)
    zero = np.empty(m, np.int64)
    _pass1(fx, fy, f_cell, dx, dy, d_cell, d_ptr, pop, *args, weighted_sorted, pairs, zero)
    del pop
    weighted = np.empty(m)
    weighted[f_order] = weighted_sorted
    n_zero = int(zero.sum())
    if n_zero:
        return None, None, weighted, None, int(pairs.sum()), n_zero
    ratios = np.divide(places, weighted, out=np.zeros(m), where=weighted > 0)
    access = np.empty(n)
    reached = np.empty(n, np.bool_)
    _pass2(dx, dy, d_cell, d_order, fx, fy, f_cell, f_ptr, ratios[f_order], *args, access,
           reached)
    return access, ratios, weighted, reached, int(pairs.sum()), 0
