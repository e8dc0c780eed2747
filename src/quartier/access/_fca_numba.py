r"""Private: the streaming straight-line FCA kernel, compiled with numba (``quartier[fast]``).

Imported only by :func:`quartier.access._fca_kernel.numba_kernel`, never by
``import quartier``: importing this module imports numba and sets up the
on-disk cache of the compiled functions (``cache=True``). numba's own cache
locators decide where: next to this file (``__pycache__``), else a user-wide
folder, or ``NUMBA_CACHE_DIR`` when that is set; when none is writable, the
decorators below raise (``no locator available``) and the caller falls back to
the numpy path with one warning. :func:`quartier.access._fca_kernel.weight` is
the one definition of the weights :math:`w(d)`; it is compiled here for one
cost at a time (numba's cache checks only this file's time stamp: after
editing ``weight``, touch this file).

:func:`straight_line_fca` computes 2SFCA/E2SFCA/gravity/Gaussian FCA for
straight-line distances without ever storing the reachable pairs (memory
O(demand + facilities)):

* both point sets get square grid cells of ``max_cost / 2`` with the origin
  and cell numbering of :func:`quartier.access.costs.straight_line_pairs` (so the
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

2SFCA (w = 1, :func:`_two_step`) uses finer cells, of ``max_cost / 8`` (4 or 2
for sparse demand), and counts the demand points only once (counting sort,
with the population per cell): per row of cells around a facility, the run
of cells wholly within the radius counts through the cell sums and counts (a
margin of 1e-9 of the radius keeps that test on the safe side), and only the
points of the cells on the circle are tested, exactly as above. Pass 2
scatters :math:`R_j` from each facility the same way, to the cells wholly
within reach and to the points in reach (bands of rows far enough apart run
in parallel), and :math:`A_i` is its cell's sum plus its own.

The first call compiles the kernels (20 s or more on 2 cores); later
processes load them from the cache (about 1 s). That is why
:func:`quartier.fca` uses this kernel only for inputs above
:data:`quartier.access._fca_kernel.NUMBA_MIN_PAIRS` (see there).
"""

from __future__ import annotations

import numba
import numpy as np

from quartier.access._fca_kernel import (
    DENSE_CELLS,
    FINE,
    POWER,
    SUB,
    TWO_STEP,
    weight,
)

_weight = numba.njit(cache=True, fastmath=False)(weight)


_weight = numba.njit(cache=True, fastmath=False)(weight)

@numba.njit(cache=True, fastmath=False)
def cell_numbers(x, y, x0, y0, size, ncols, shift=SUB):  # pragma: no cover - compiled
    """Cell of every point: ``(y - y0) // size`` and ``(x - x0) // size`` (float floor
    division, as numpy's and Python's), shifted by ``shift`` and numbered row by row.

    Serial: it is cheap, and each parallel region costs a thread hand-over."""
    out = np.empty(len(x), np.int64)
    for i in range(len(x)):
        out[i] = (np.int64((y[i] - y0) // size) + shift) * ncols + np.int64(
            (x[i] - x0) // size) + shift
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

@numba.njit(cache=True, fastmath=False, inline="always")
def _span(a, size):  # pragma: no cover - compiled
    """Nearest and farthest distance from 0 to the interval [a, a + size]."""
    b = a + size
    if a > 0.0:
        return a, b
    if b < 0.0:
        return -b, -a
    return 0.0, max(-a, b)

@numba.njit(cache=True, fastmath=False, inline="always")
def _row_runs(u, near_y, far_y, col, reach, inv, size, inner, outer):  # pragma: no cover
    """Cells ``c_lo .. c_hi`` of one row that may hold points within reach (generous:
    their points are tested), and ``i_lo .. i_hi`` among them that lie wholly within
    reach (farthest corner squared <= ``inner``; checked exactly at both ends, which
    bound the farthest corners of the run). ``u`` is the query's x - x0."""
    near_y2 = near_y * near_y
    half = np.sqrt(outer - near_y2)
    c_lo = max(col - reach, np.int64(np.floor((u - half) * inv)) - 1)
    c_hi = min(col + reach, np.int64(np.floor((u + half) * inv)) + 1)
    while c_lo < c_hi:  # drop the end cells wholly out of reach
        near_x = _span(c_lo * size - u, size)[0]
        if near_x * near_x + near_y2 <= outer:
            break
        c_lo += 1
    while c_hi > c_lo:
        near_x = _span(c_hi * size - u, size)[0]
        if near_x * near_x + near_y2 <= outer:
            break
        c_hi -= 1
    rest = inner - far_y * far_y
    if rest < 0.0:
        return c_lo, c_hi + 1, c_hi, c_hi
    h = np.sqrt(rest)
    i_lo = max(c_lo, np.int64(np.ceil((u - h) * inv)))
    i_hi = min(c_hi, np.int64(np.floor((u + h) * inv)) - 1)
    while i_lo <= i_hi:
        far_x = _span(i_lo * size - u, size)[1]
        if far_x * far_x <= rest:
            break
        i_lo += 1
    while i_hi >= i_lo:
        far_x = _span(i_hi * size - u, size)[1]
        if far_x * far_x <= rest:
            break
        i_hi -= 1
    if i_lo > i_hi:
        return c_lo, c_hi + 1, c_hi, c_hi
    return c_lo, i_lo, i_hi, c_hi

@numba.njit(cache=True, fastmath=False)
def _fine_sort(x, y, v, x0, y0, reach, inv, ncols, ncells):  # pragma: no cover - compiled
    """Points sorted by fine cell ``int((y - y0) * inv)``, ``int((x - x0) * inv)`` (shifted
    by reach, row by row; stable): order, x, y, v, the CSR pointer per cell and the sum
    of v per cell. (The cells are computed twice: cheaper than storing them.)"""
    n = len(x)
    ptr = np.zeros(ncells + 1, np.int64)
    for i in range(n):
        c = (np.int64((y[i] - y0) * inv) + reach) * ncols + np.int64((x[i] - x0) * inv)
        ptr[c + reach + 1] += 1
    for c in range(ncells):
        ptr[c + 1] += ptr[c]
    fill = ptr[:-1].copy()
    sums = np.zeros(ncells)
    order = np.empty(n, np.int64)
    pts = np.empty((n, 3))
    for i in range(n):
        c = (np.int64((y[i] - y0) * inv) + reach) * ncols + np.int64(
            (x[i] - x0) * inv) + reach
        k = fill[c]
        fill[c] = k + 1
        order[k] = i
        pts[k, 0], pts[k, 1], pts[k, 2] = x[i], y[i], v[i]
        sums[c] += v[i]
    return order, pts, ptr, sums

@numba.njit(cache=True, parallel=True, fastmath=False)
def _two_step_pass1(fx, fy, x0, y0, reach, inv, size, ncols, limit, inner, outer, pts, ptr,
                    cell_pop, weighted, pairs):  # pragma: no cover - compiled
    """2SFCA pass 1 over fine cells (``size = max_cost / FINE``): D_j and pairs per
    facility. Per row of cells, a run of cells wholly within reach (``inner`` <
    max_cost**2) counts through the cell sums; the points of the cells at both ends
    of the run are tested exactly (``dx*dx + dy*dy <= limit``)."""
    for j in numba.prange(len(fx)):
        x, y = fx[j], fy[j]
        u, v = x - x0, y - y0
        col, row = np.int64(u * inv), np.int64(v * inv)
        acc = 0.0
        count = 0
        for r in range(row - reach, row + reach + 1):
            near_y, far_y = _span(r * size - v, size)
            if near_y * near_y > outer:
                continue
            c_lo, i_lo, i_hi, c_hi = _row_runs(u, near_y, far_y, col, reach, inv, size,
                                               inner, outer)
            base = (r + reach) * ncols + reach
            for c in range(base + i_lo, base + i_hi + 1):
                acc += cell_pop[c]
            count += ptr[base + i_hi + 1] - ptr[base + i_lo]
            for k in range(ptr[base + c_lo], ptr[base + i_lo]):
                ddx = pts[k, 0] - x
                ddy = pts[k, 1] - y
                inside = ddx * ddx + ddy * ddy <= limit
                count += inside
                acc += pts[k, 2] if inside else 0.0
            for k in range(ptr[base + i_hi + 1], ptr[base + c_hi + 1]):
                ddx = pts[k, 0] - x
                ddy = pts[k, 1] - y
                inside = ddx * ddx + ddy * ddy <= limit
                count += inside
                acc += pts[k, 2] if inside else 0.0
        weighted[j] = acc
        pairs[j] = count

@numba.njit(cache=True, fastmath=False, inline="always")
def _scatter(x, y, rj, x0, y0, reach, inv, size, ncols, limit, inner, outer, pts, ptr,
             cell_acc, cell_hit, pt_hit):  # pragma: no cover - compiled
    """R_j of one facility to whole cells in reach and to points of boundary cells."""
    u, v = x - x0, y - y0
    col, row = np.int64(u * inv), np.int64(v * inv)
    for r in range(row - reach, row + reach + 1):
        near_y, far_y = _span(r * size - v, size)
        if near_y * near_y > outer:
            continue
        c_lo, i_lo, i_hi, c_hi = _row_runs(u, near_y, far_y, col, reach, inv, size, inner,
                                           outer)
        base = (r + reach) * ncols + reach
        for c in range(base + i_lo, base + i_hi + 1):
            cell_acc[c] += rj
            cell_hit[c] = True
        for k in range(ptr[base + c_lo], ptr[base + i_lo]):
            ddx = x - pts[k, 0]
            ddy = y - pts[k, 1]
            if ddx * ddx + ddy * ddy <= limit:
                pts[k, 2] += rj
                pt_hit[k] = True
        for k in range(ptr[base + i_hi + 1], ptr[base + c_hi + 1]):
            ddx = x - pts[k, 0]
            ddy = y - pts[k, 1]
            if ddx * ddx + ddy * ddy <= limit:
                pts[k, 2] += rj
                pt_hit[k] = True

@numba.njit(cache=True, parallel=True, fastmath=False)
def _two_step_pass2(fx, fy, ratio, bands, x0, y0, reach, inv, size, ncols, limit, inner, outer,
                    pts, ptr, dorder, cell_acc, cell_hit, pt_hit, access,
                    reached):  # pragma: no cover - compiled
    """2SFCA pass 2 by scattering R_j from each facility (sorted by cell) to whole cells
    and to the points in reach of boundary cells; then A_i = cell sum + point sum.

    Facilities come in bands of 2 reach rows of cells (``bands``: CSR pointer); a band
    writes only within reach rows of itself, so the even bands run in parallel, then
    the odd ones. ``pts[:, 2]`` (the populations, no longer needed) gets the sums per
    sorted point; ``cell_acc``, ``cell_hit`` and ``pt_hit`` come as zeros (allocated by
    numpy: inside, numba would fill them in parallel regions of their own)."""
    ncells = len(ptr) - 1
    for k in range(len(pts)):
        pts[k, 2] = 0.0
    nbands = len(bands) - 1
    for phase in range(2):
        for half in numba.prange((nbands - phase + 1) // 2):
            b = 2 * half + phase
            for j in range(bands[b], bands[b + 1]):
                _scatter(fx[j], fy[j], ratio[j], x0, y0, reach, inv, size, ncols, limit, inner,
                         outer, pts, ptr, cell_acc, cell_hit, pt_hit)
    for cell in numba.prange(ncells):
        whole, hit = cell_acc[cell], cell_hit[cell]
        for k in range(ptr[cell], ptr[cell + 1]):
            i = dorder[k]
            access[i] = whole + pts[k, 2]
            reached[i] = hit or pt_hit[k]



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


def _two_step(ax, ay, bx, by, population, places, max_cost: float):
    """2SFCA (w = 1) over cells of ``max_cost / fine``, or None when they are too many.

    ``fine`` is FINE, or 4 or 2 where that gives more cells than half the demand
    points (sparse demand: cells cost more than the points they save). Whole
    cells within the radius count through their sums; only the points of cells
    crossing the circle are tested, exactly as elsewhere (a margin of 1e-9 of
    the radius, plus rounding of the coordinates, keeps the whole-cell and
    skipped-cell tests on the safe side).
    """
    n, m = len(ax), len(bx)
    r = float(max_cost)
    x_lo, x_hi, y_lo, y_hi = ax.min(), ax.max(), ay.min(), ay.max()
    bx_lo, bx_hi, by_lo, by_hi = bx.min(), bx.max(), by.min(), by.max()
    x0, y0 = min(x_lo, bx_lo), min(y_lo, by_lo)
    width, height = max(x_hi, bx_hi) - x0, max(y_hi, by_hi) - y0
    fine = FINE
    while fine > 2 and (width * fine / r + 2 * fine + 3) * (
            height * fine / r + 2 * fine + 3) > n / 2:
        fine //= 2
    size, inv, reach = r / fine, fine / r, fine + 1
    ncols = int(width * inv) + 2 * reach + 1
    nrows = int(height * inv) + 2 * reach + 1
    ncells = ncols * nrows
    if ncells > max(DENSE_CELLS, 4 * (n + m)):
        return None
    big = max(abs(x0), abs(y0), abs(x_hi), abs(bx_hi), abs(y_hi), abs(by_hi))
    margin = 1e-9 * r + 1e-13 * big
    inner = (r - margin) ** 2 if r > margin else -1.0
    outer = (r + margin) ** 2
    d_order, pts, d_ptr, cell_pop = _fine_sort(ax, ay, population, x0, y0, reach, inv, ncols,
                                               ncells)
    f_row = ((by - y0) * inv).astype(np.int64)
    f_order = np.lexsort((((bx - x0) * inv).astype(np.int64), f_row))
    fx, fy = bx[f_order], by[f_order]
    weighted_sorted = np.empty(m)
    pairs = np.empty(m, np.int64)
    args = (x0, y0, reach, inv, size, ncols, r ** 2, inner, outer, pts, d_ptr)
    _two_step_pass1(fx, fy, *args, cell_pop, weighted_sorted, pairs)
    weighted = np.empty(m)
    weighted[f_order] = weighted_sorted
    ratios = np.divide(places, weighted, out=np.zeros(m), where=weighted > 0)
    bands = np.searchsorted(f_row[f_order], np.arange(0, nrows + 2 * reach, 2 * reach))
    access = np.empty(n)
    reached = np.empty(n, np.bool_)
    _two_step_pass2(fx, fy, ratios[f_order], bands, *args, d_order, np.zeros(ncells),
                    np.zeros(ncells, np.bool_), np.zeros(n, np.bool_), access, reached)
    return access, ratios, weighted, reached, int(pairs.sum()), 0


def straight_line_fca(ax, ay, bx, by, population: np.ndarray, places: np.ndarray,
                      max_cost: float, mode: int, uppers: np.ndarray, values: np.ndarray,
                      beta: float, floor: float, scale: float, s2: float):
    """FCA over straight lines without storing pairs (the numba kernel).

    ``ax, ay`` demand and ``bx, by`` facility coordinates in metres (float64),
    the populations and places as float64, the weight as for :func:`weight`.
    Returns what ``quartier.access.floating._fca_core`` returns: (A per demand point,
    R per facility with 0 where undefined, weighted demand per facility,
    reached demand points, number of pairs), plus the number of pairs at a
    cost where the power weight is infinite (then A and R are None; the
    caller raises).
    """
    n, m = len(ax), len(bx)
    if n == 0 or m == 0:
        return np.zeros(n), np.zeros(m), np.zeros(m), np.zeros(n, bool), 0, 0
    if mode == TWO_STEP:
        out = _two_step(ax, ay, bx, by, population, places, max_cost)
        if out is not None:
            return out
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
