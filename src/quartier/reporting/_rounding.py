"""Private engine of controlled rounding: additive rounding to a base with HiGHS (scipy milp).

The table is a set of *cells* (the lowest units x columns and the same columns summed to every
level of a hierarchy up to the city) and *equations* between them, ``A x = 0`` with ``A`` a
sparse matrix of +1 (the total) and -1 (its parts), one row per published sum.

Each cell ``x`` is rounded to ``base * (x // base + y)`` with ``y`` binary where ``x`` is not a
multiple of ``base`` and ``y = 0`` where it is (*zero-restricted*: multiples, zeros included,
stay as they are). The rounded cells must satisfy the same equations, ``A (lo + y) = 0``, i.e.
``A_free y = -A lo``, integer equality constraints on the binaries. The objective is the total
absolute deviation ``sum(rem + (base - 2 rem) y)`` plus a small random tie-break (``seed``)
below one unit in total, so that the optimum deviation is kept and the choice among equally
good roundings is not predictable from the method alone.

For a table whose sums are the columns over a hierarchy of units (a tree) and, optionally, a
total column per unit, every published sum is a sum of lowest-level inner cells over a set
from one of two laminar families (unit x one column; unit x all columns). The constraint
matrix of such a system is totally unimodular, and ``x / base`` is a fractional solution, so a
zero-restricted integer solution always exists (Cox's result for two-way tables, extended to a
hierarchy on one side), and every vertex of the LP is one: :func:`_binary` solves the LP by
dual simplex and uses :func:`scipy.optimize.milp` only when that vertex is not integral.
Other structures (e.g. three-way tables with all two-way margins) may have no such rounding:
then :func:`solve` relaxes, letting cells move by whole further bases (``p - q``) at a cost
above any deviation, so the fewest extra bases are used, and reports which cells moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components


@dataclass
class Rounded:
    """The rounded cells of a system."""

    values: np.ndarray        # (N,) rounded values (int64), multiples of base
    relaxed: np.ndarray       # (N,) True where a cell moved by base or more
    zero_restricted: bool     # no cell relaxed


def solve(values: np.ndarray, A: sp.csr_matrix, base: int, seed: int | None = 0,
          fixed: np.ndarray | None = None) -> Rounded:
    """Round every cell of ``values`` (whole, >= 0) to a multiple of ``base`` with ``A r = 0``.

    ``A`` must hold ``A values = 0`` exactly, except for ``fixed`` cells (a boolean mask):
    multiples of ``base`` already rounded elsewhere, kept as they are (also by the relaxation),
    whose sums the other cells must meet. Independent blocks (connected components of the
    equations over the cells that are not multiples) are solved one by one.
    """
    values = np.asarray(values, dtype=np.int64)
    fixed = (np.zeros(values.size, dtype=bool) if fixed is None
             else np.asarray(fixed, dtype=bool))
    A = sp.csr_matrix(A)
    lo, rem = np.divmod(values, base)
    free = rem > 0
    out = lo.copy()
    relaxed = np.zeros(values.size, dtype=bool)
    F = np.flatnonzero(free)
    if F.size:
        rng = np.random.default_rng(seed)
        # tie-break: |noise| sums to less than 1/2, below one unit of (integer) deviation
        noise = (rng.random(values.size) - 0.5) / max(values.size, 1)
        A_F = A[:, F].tocsr()
        rows = np.flatnonzero(A_F.getnnz(axis=1) > 0)
        rhs_all = -(A @ lo)
        B = A_F[rows].copy()
        B.data[:] = 1
        n_comp, comp = connected_components(B.T @ B, directed=False)
        for c in range(n_comp):
            var = F[comp == c]
            block_rows = rows[np.flatnonzero(A_F[rows][:, comp == c].getnnz(axis=1) > 0)]
            Ab = A[block_rows][:, var]
            cost = (base - 2 * rem[var]).astype(float) + noise[var]
            y = _binary(cost, Ab, rhs_all[block_rows].astype(float))
            if y is not None:
                out[var] += y
        bad = np.abs(A @ out) > 0
        if bad.any():
            # no zero-restricted solution in some block(s): solve those cells with relaxation
            cells = np.unique(A[np.flatnonzero(bad)].indices)
            out, relaxed = _relaxed(values, lo, rem, A, base, noise, cells, out, fixed)
    return Rounded(out * base, relaxed, not relaxed.any())


def _binary(cost, A, rhs) -> np.ndarray | None:
    """The 0/1 vector of least ``cost`` with ``A y = rhs``, or None if there is none.

    First the LP relaxation by dual simplex: its optimum is a vertex, integral when ``A`` is
    totally unimodular (a hierarchy with a total column), and several times quicker than the
    branch-and-bound of :func:`scipy.optimize.milp`, which decides otherwise.
    """
    if A.shape[0] == 0:
        return (cost < 0).astype(np.int64)
    res = linprog(cost, A_eq=A, b_eq=rhs, bounds=(0, 1), method="highs-ds")
    if res.status == 2:     # infeasible even with fractions: no 0/1 solution either
        return None
    if res.status == 0:
        y = np.round(res.x)
        if np.abs(res.x - y).max(initial=0) < 1e-7 and np.array_equal(A @ y, rhs):
            return y.astype(np.int64)
    res = milp(cost, constraints=LinearConstraint(A, rhs, rhs), integrality=np.ones(cost.size),
               bounds=Bounds(0, 1))
    if res.status != 0 or res.x is None:
        return None
    return np.round(res.x).astype(np.int64)


def _relaxed(values, lo, rem, A, base, noise, cells, current, fixed):
    """Re-solve the component(s) of ``cells`` letting any of their cells (also multiples, but
    not zeros nor ``fixed`` cells) move by further whole bases; each extra base costs more
    than every deviation together. A solution always exists: without fixed cells, every cell
    at 0 adds up; with a fixed total (a rounding of its parts' sum), its non-zero parts moved
    freely meet it."""
    # every cell linked to a failing equation, closed over the equations (the whole component)
    B = A.copy()
    B.data[:] = 1
    n_comp, comp = connected_components(B.T @ B, directed=False)
    var = np.flatnonzero(np.isin(comp, np.unique(comp[cells])))
    rows = np.flatnonzero(A[:, var].getnnz(axis=1) > 0)
    Ab = A[rows][:, var]
    k = var.size
    free = rem[var] > 0
    heavy = float(base) * values.size + 1.0
    # variables: y (binary, 0 for multiples), p >= 0 (extra bases up), q >= 0 (extra down)
    cost = np.concatenate([(base - 2 * rem[var]) + noise[var], np.full(k, heavy),
                           np.full(k, heavy)])
    eq = sp.hstack([Ab, Ab, -Ab]).tocsr()
    rhs = -(A[rows] @ lo).astype(float)
    # rounded value stays >= 0: lo + y + p - q >= 0
    nonneg = sp.hstack([sp.eye(k), sp.eye(k), -sp.eye(k)]).tocsr()
    keep = fixed[var] | (values[var] == 0)      # fixed cells and zeros never move
    upper = np.concatenate([free.astype(float), np.where(keep, 0.0, np.inf),
                            np.where(keep, 0.0, lo[var] + 1.0)])
    res = milp(cost, constraints=[LinearConstraint(eq, rhs, rhs),
                                  LinearConstraint(nonneg, -lo[var].astype(float), np.inf)],
               integrality=np.ones(3 * k), bounds=Bounds(0, upper))
    if res.status != 0 or res.x is None:   # r = 0 everywhere is a solution when nothing is fixed
        raise RuntimeError(f"controlled rounding failed: {res.message}")
    x = np.round(res.x).astype(np.int64)
    y, p, q = x[:k], x[k:2 * k], x[2 * k:]
    out = current.copy()
    out[var] = lo[var] + y + p - q
    relaxed = np.zeros(values.size, dtype=bool)
    relaxed[var] = (p + q) > 0
    return out, relaxed


# --- a table with a hierarchy as the public function takes it ---------------------------


@dataclass
class System:
    """Cells of every level (lowest first, city last) and the equations between them."""

    values: np.ndarray        # (N,) true values
    A: sp.csr_matrix          # (E, N) equations A x = 0
    offsets: list[int]        # first cell of each level
    units: list[pd.Index]     # unit labels per level
    codes: list[np.ndarray]   # per level: the unit of each lowest row
    m: int

    def level(self, k: int) -> np.ndarray:
        return self.values[self.offsets[k]:self.offsets[k + 1]].reshape(-1, self.m)


def build(values: np.ndarray, parents: list[np.ndarray], labels: pd.Index,
          total: int | None, splits: list[list[int]] | None = None) -> System:
    """``values`` (n x m, whole numbers) of the lowest units; ``parents``: one label array per
    level above, lowest first (the city is added); ``splits``: the column indices of each set
    of parts adding up to column ``total`` (default: one set, every other column). Raises
    ValueError naming the level when the levels do not nest."""
    n, m = values.shape
    codes = [np.arange(n)]
    units = [pd.Index(labels)]
    for k, p in enumerate(parents):
        c, u = pd.factorize(np.asarray(p), sort=True)
        pairs = pd.DataFrame({"b": codes[-1], "c": c}).drop_duplicates()
        twice = pairs["b"].duplicated()
        if twice.any():
            bad = units[-1][pairs.loc[twice, "b"].to_numpy()[:3]]
            raise ValueError(f"hierarchy level {k + 1} does not nest: {list(map(str, bad))} of "
                             "the level below have more than one parent")
        codes.append(c)
        units.append(pd.Index(u))
    codes.append(np.zeros(n, dtype=np.intp))
    units.append(pd.Index(["total"]))
    sizes = [len(u) for u in units]
    offsets = [0]
    for s in sizes:
        offsets.append(offsets[-1] + s * m)
    level_vals = []
    for k, code in enumerate(codes):
        agg = np.zeros((sizes[k], m), dtype=np.int64)
        np.add.at(agg, code, values)
        level_vals.append(agg)
    rows, cols, data = [], [], []
    eq = 0
    for k in range(1, len(codes)):
        parent_of = np.zeros(sizes[k - 1], dtype=np.intp)
        parent_of[codes[k - 1]] = codes[k]
        n_eq = sizes[k] * m
        rows.append(eq + np.arange(n_eq))
        cols.append(offsets[k] + np.arange(n_eq))
        data.append(np.ones(n_eq))
        rows.append(eq + np.repeat(parent_of, m) * m + np.tile(np.arange(m), sizes[k - 1]))
        cols.append(offsets[k - 1] + np.arange(sizes[k - 1] * m))
        data.append(-np.ones(sizes[k - 1] * m))
        eq += n_eq
    if splits is None:
        splits = [[j for j in range(m) if j != total]]
    for split in (splits if total is not None and m > 1 else []):
        others = np.asarray(split, dtype=np.intp)
        for k in range(len(codes)):
            first = offsets[k] + np.arange(sizes[k]) * m
            rows.append(eq + np.arange(sizes[k]))
            cols.append(first + total)
            data.append(np.ones(sizes[k]))
            rows.append(np.repeat(eq + np.arange(sizes[k]), others.size))
            cols.append((first[:, None] + others[None, :]).ravel())
            data.append(-np.ones(sizes[k] * others.size))
            eq += sizes[k]
    A = sp.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(eq, offsets[-1]))
    return System(np.concatenate([v.ravel() for v in level_vals]), A, offsets, units, codes, m)
