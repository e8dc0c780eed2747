"""Private engine: the interval attack on a hierarchical table, and suppression that withstands it.

The table is a set of *cells*: the lowest units (e.g. Planungsräume) x columns, and the same
columns aggregated to every level of a hierarchy up to the city (one unit). With a total
column, every unit's total is the sum of its other columns. All these relations are linear
equations ``A x = 0`` (a sparse matrix, one row per published sum).

The attacker knows every published cell and every equation, and that a hidden cell is at
least 1 where zeros are published (else at least 0). For each hidden confidential cell the
attacker's interval is [min x_i, max x_i] over the solutions; it is too narrow when its upper
bound is below the threshold (which also covers "exact"). Only the maximum decides, so the
attack maximises, and one LP often certifies many cells at once: maximise the sum of
``min(x_i, threshold)`` over the cells not yet certified, certify every cell that reached the
threshold, repeat; cells left are solved one by one. Hidden cells fall apart into independent
blocks (connected components of the equations restricted to hidden cells); each block is
solved alone.

The single-person case: a person who is the only one in a hidden cell knows that cell is 1;
with ``single_person`` every cell of value 1 is, in turn, fixed at 1 and the others audited.

Protection: a cell that fails gets, in one LP, the cheapest way to move it up to the
threshold by changing published cells (a deviation cost per unit, lowest-level inner cells
cheapest, higher levels and totals dearer, zeros never); every published cell that moved is
suppressed. The LP's solution is then feasible for the attacker, so that cell is protected,
and hiding more cells never narrows an interval: audit and repair repeat until the audit
passes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from quartier._checks import require_column
from quartier.errors import ColumnError, ParameterError, format_list
from quartier.reporting._suppress import round_to_base

EPS = 1e-6


@dataclass
class System:
    """Cells of every level and the equations between them."""

    values: np.ndarray          # (N,) true values
    A: sp.csr_matrix            # (E, N) equations A x = 0
    level: np.ndarray           # (N,) 0 = lowest, n_levels - 1 = city
    unit: np.ndarray            # (N,) position of the unit within its level
    col: np.ndarray             # (N,) column position
    block: np.ndarray           # (N,) top block (unit just below the city); -1 for city cells
    offsets: list[int]          # first cell of each level
    units: list[pd.Index]       # unit labels per level
    m: int
    total: int | None
    codes: list[np.ndarray] = field(default_factory=list)  # per level: unit of each lowest row
    stats: dict = field(default_factory=dict)

    def overlap(self, a: int, b: int) -> bool:
        """Whether cells ``a`` and ``b`` share a lowest-level cell (people in both)."""
        if self.level[a] < self.level[b]:
            a, b = b, a
        outer, inner = a, b
        ko, ki = int(self.level[outer]), int(self.level[inner])
        jo, ji = int(self.col[outer]), int(self.col[inner])
        if not (jo == ji or (self.total is not None and self.total in (jo, ji))):
            return False
        row = int(np.flatnonzero(self.codes[ki] == self.unit[inner])[0])
        return bool(self.codes[ko][row] == self.unit[outer])

    def cells(self, level: int) -> slice:
        return slice(self.offsets[level], self.offsets[level + 1])


def build_system(values: np.ndarray, parents: list[np.ndarray], labels: pd.Index,
                 total: int | None) -> System:
    """``values`` (n x m) of the lowest units; ``parents``: one label array (length n) per level
    above, lowest first (the city is added). Raises ValueError when the levels do not nest or a
    total column is not the sum of the others."""
    n, m = values.shape
    codes = [np.arange(n)]
    units = [labels]
    for k, p in enumerate(parents):
        c, u = pd.factorize(np.asarray(p), sort=True)
        if (c < 0).any():
            raise ValueError(f"hierarchy level {k + 1} has missing parent labels")
        # nesting: each unit of the level below has exactly one parent here
        below = codes[-1]
        pairs = pd.DataFrame({"b": below, "c": c}).drop_duplicates()
        if pairs["b"].duplicated().any():
            bad = units[-1][pairs.loc[pairs["b"].duplicated(), "b"].to_numpy()[:3]]
            raise ValueError(f"hierarchy level {k + 1} does not nest: {list(bad)} of the level "
                             "below have more than one parent")
        codes.append(c)
        units.append(pd.Index(u))
    codes.append(np.zeros(n, dtype=int))
    units.append(pd.Index(["total"]))
    n_levels = len(codes)
    sizes = [len(u) for u in units]
    offsets = [0]
    for s in sizes:
        offsets.append(offsets[-1] + s * m)
    level_vals = []
    for k in range(n_levels):
        agg = np.zeros((sizes[k], m))
        np.add.at(agg, codes[k], values)
        level_vals.append(agg)
    vals = np.concatenate([v.ravel() for v in level_vals])
    N = offsets[-1]
    level = np.concatenate([np.full(sizes[k] * m, k) for k in range(n_levels)])
    unit = np.concatenate([np.repeat(np.arange(sizes[k]), m) for k in range(n_levels)])
    col = np.concatenate([np.tile(np.arange(m), sizes[k]) for k in range(n_levels)])
    # block: the ancestor just below the city
    top = n_levels - 2
    block = np.full(N, -1)
    if top >= 0:
        for k in range(top + 1):
            # map unit of level k to its ancestor at level `top`
            anc = np.zeros(sizes[k], dtype=int)
            anc[codes[k]] = codes[top]
            block[offsets[k]:offsets[k + 1]] = np.repeat(anc, m)
    rows, cols_, data = [], [], []
    eq = 0
    for k in range(1, n_levels):
        # child unit (level k-1) -> parent unit (level k)
        parent_of = np.zeros(sizes[k - 1], dtype=int)
        parent_of[codes[k - 1]] = codes[k]
        n_eq = sizes[k] * m
        parent_cells = offsets[k] + np.arange(n_eq)
        rows.append(eq + np.arange(n_eq))
        cols_.append(parent_cells)
        data.append(np.ones(n_eq))
        child_cells = offsets[k - 1] + np.arange(sizes[k - 1] * m)
        child_eq = eq + np.repeat(parent_of, m) * m + np.tile(np.arange(m), sizes[k - 1])
        rows.append(child_eq)
        cols_.append(child_cells)
        data.append(-np.ones(child_cells.size))
        eq += n_eq
    if total is not None and m > 1:
        others = np.array([j for j in range(m) if j != total])
        for k in range(n_levels):
            base = offsets[k] + np.arange(sizes[k]) * m
            rows.append(eq + np.arange(sizes[k]))
            cols_.append(base + total)
            data.append(np.ones(sizes[k]))
            rows.append(np.repeat(eq + np.arange(sizes[k]), others.size))
            cols_.append((base[:, None] + others[None, :]).ravel())
            data.append(-np.ones(sizes[k] * others.size))
            eq += sizes[k]
    A = sp.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols_))),
                      shape=(eq, N))
    residual = np.abs(A @ vals)
    if total is not None and residual.max(initial=0) > 1e-6:
        raise ValueError("the total column is not the sum of the other columns in "
                         f"{int((residual > 1e-6).sum())} unit(s)")
    return System(vals, A, level, unit, col, block, offsets, units, m, total, codes)


def lower_bounds(system: System, zeros_published: bool) -> np.ndarray:
    return np.where(zeros_published & (system.values > 0), 1.0, 0.0)


def _lp(c, A, b, bounds, A_ub=None, b_ub=None, stats=None, kind="lp"):
    if stats is not None:
        stats["lp"] = stats.get("lp", 0) + 1
        stats[kind] = stats.get(kind, 0) + 1
    return linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A, b_eq=b, bounds=bounds, method="highs")


@dataclass
class Failure:
    cell: int
    lower: float
    upper: float
    known: int | None   # the cell of value 1 whose person attacks (single-person case)


def attack(system: System, hidden: np.ndarray, primary: np.ndarray, min_count: float, *,
           zeros_published: bool = True, single_person: bool = True,
           with_lower: bool = True, exact: bool = True, stats: dict | None = None) -> list[Failure]:
    """Every (primary cell, attacker) whose upper bound stays below ``min_count``."""
    stats = stats if stats is not None else {}
    vals = system.values
    failures: list[Failure] = []
    for i in np.flatnonzero(primary & ~hidden):      # published small count
        failures.append(Failure(int(i), vals[i], vals[i], None))
    H = np.flatnonzero(hidden)
    if H.size == 0:
        return failures
    A = system.A
    A_H = A[:, H].tocsr()
    touched = np.flatnonzero(A_H.getnnz(axis=1) > 0)
    A_H = A_H[touched]
    pub = np.ones(vals.size, dtype=bool)
    pub[H] = False
    b = -(A[touched][:, pub] @ vals[pub])
    lb_all = lower_bounds(system, zeros_published)
    B = A_H.copy()
    B.data[:] = 1
    n_comp, comp = connected_components(B.T @ B, directed=False)
    prim_h = primary[H]
    shape = _fingerprint(system)
    for c in np.unique(comp[prim_h]):
        var = np.flatnonzero(comp == c)
        rows = np.flatnonzero(A_H[:, var].getnnz(axis=1) > 0)
        Ac = A_H[rows][:, var].tocsc()
        bc = b[rows]
        lb = lb_all[H[var]]
        targets = np.flatnonzero(prim_h[var])
        # a component's answer depends on its LP data only: remembered across calls (the
        # services of a run are protected again and again with most components unchanged)
        key = _memo_key(shape, H[var], Ac, bc, lb, targets, vals[H[var]], min_count,
                        single_person, with_lower, exact)
        if key in _MEMO:
            failures += [Failure(*f) for f in _MEMO[key]]
            stats["memo"] = stats.get("memo", 0) + 1
            continue
        first_new = len(failures)
        scenarios: list[int | None] = [None]
        if single_person:
            scenarios += [int(t) for t in targets if vals[H[var[t]]] == 1]
        pool: list[np.ndarray] = []
        for s in scenarios:
            bnd = np.column_stack([lb, np.full(var.size, np.inf)])
            todo = targets if s is None else targets[targets != s]
            if s is not None:
                bnd[s] = (1.0, 1.0)
                # a cell of 1 sharing people with s holds the same person: it
                # what that person knows already: no disclosure
                ks = H[var[s]]
                todo = np.array([t for t in todo if not (
                    vals[H[var[t]]] == 1 and system.overlap(H[var[t]], ks))], dtype=int)
            for x in pool:
                if s is None or abs(x[s] - 1) < EPS:
                    todo = todo[x[todo] < min_count - EPS]
            while todo.size:
                # maximise sum of min(x_t, threshold) over cells still to certify
                k = todo.size
                cvec = np.concatenate([np.zeros(var.size), -np.ones(k)])
                A_eq = sp.hstack([Ac, sp.csc_matrix((Ac.shape[0], k))]).tocsc()
                A_ub = sp.hstack([-sp.csc_matrix((np.ones(k), (np.arange(k), todo)),
                                                 shape=(k, var.size)), sp.eye(k)]).tocsc()
                bounds = np.vstack([bnd, np.column_stack([np.zeros(k),
                                                          np.full(k, float(min_count))])])
                res = _lp(cvec, A_eq, bc, bounds, A_ub, np.zeros(k), stats, "sum")
                if res.status != 0:
                    break
                x = res.x[:var.size]
                pool.append(x)
                left = todo[x[todo] < min_count - EPS]
                if left.size == todo.size:
                    break
                todo = left
            if not exact:   # protect(): repair() settles these (adds nothing if safe)
                failures += [Failure(int(H[var[t]]), np.nan, np.nan,
                                     None if s is None else int(H[var[s]])) for t in todo]
                continue
            for t in todo:   # one by one: the exact upper bound
                cvec = np.zeros(var.size)
                cvec[t] = -1
                res = _lp(cvec, Ac, bc, bnd, stats=stats, kind="max")
                if res.status == 3:
                    continue
                if res.status != 0:
                    raise RuntimeError(f"interval attack LP failed: {res.message}")
                pool.append(res.x)
                upper = -res.fun
                if upper < min_count - EPS:
                    low = np.nan
                    if with_lower:
                        cvec[t] = 1
                        low = float(_lp(cvec, Ac, bc, bnd, stats=stats, kind="min").fun)
                    failures.append(Failure(int(H[var[t]]), low, float(upper),
                                            None if s is None else int(H[var[s]])))
        _remember(key, [(f.cell, f.lower, f.upper, f.known) for f in failures[first_new:]])
    return failures


_MEMO: dict[bytes, list[tuple]] = {}
_MEMO_SIZE = 20000


def _fingerprint(system: System) -> bytes:
    """What of a system, besides a component's own LP data, decides its attack: which cells
    share people (:meth:`System.overlap`)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(np.asarray([system.m, -1 if system.total is None else system.total,
                         *system.offsets]).tobytes())
    for c in system.codes:
        h.update(np.ascontiguousarray(c, dtype=np.int64).tobytes())
    return h.digest()


def _memo_key(shape: bytes, cells, Ac, bc, lb, targets, values, *options) -> bytes:
    h = hashlib.blake2b(shape, digest_size=20)
    for a in (cells, Ac.indptr, Ac.indices, Ac.data, bc, lb, targets, values):
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + np.asarray(a.shape).tobytes() + a.tobytes())
    h.update(repr(tuple(float(o) for o in options)).encode())
    return h.digest()


def _remember(key: bytes, found: list[tuple]) -> None:
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))    # the oldest
    _MEMO[key] = found


def repair(system: System, hidden: np.ndarray, failure: Failure, min_count: float, weight:
           np.ndarray, *, zeros_published: bool = True, whole: bool = False,
           stats: dict | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Published cells to suppress so that ``failure.cell`` can reach ``min_count``.

    Minimises the weighted change of published cells (in the block of the cell, or the whole
    table) over the attacker's solutions with ``x_cell >= min_count``. None if impossible.
    """
    vals = system.values
    i = failure.cell
    if whole or system.block[i] < 0:
        inside = np.ones(vals.size, dtype=bool)
    else:
        inside = system.block == system.block[i]
    lb_all = lower_bounds(system, zeros_published)
    hvar = np.flatnonzero(inside & hidden)
    hvar = np.union1d(hvar, [i])
    movable = inside & ~hidden & (vals > lb_all)
    movable[i] = False
    if failure.known is not None:
        movable[failure.known] = False
    pvar = np.flatnonzero(movable)
    var_mask = np.zeros(vals.size, dtype=bool)
    var_mask[hvar] = True
    var_mask[pvar] = True
    A = system.A
    rows = np.flatnonzero(A[:, np.flatnonzero(var_mask)].getnnz(axis=1) > 0)
    Ar = A[rows]
    fixed = ~var_mask
    b = -(Ar[:, fixed] @ vals[fixed]) - Ar[:, pvar] @ vals[pvar]
    Ah, Ap = Ar[:, hvar], Ar[:, pvar]
    A_eq = sp.hstack([Ah, Ap, -Ap]).tocsc()
    lb_h = lb_all[hvar].copy()
    ub_h = np.full(hvar.size, np.inf)
    pos_i = np.searchsorted(hvar, i)
    lb_h[pos_i] = min_count
    if failure.known is not None and hidden[failure.known]:
        k = np.searchsorted(hvar, failure.known)
        lb_h[k] = ub_h[k] = vals[failure.known]
    w = weight[pvar]
    cvec = np.concatenate([np.zeros(hvar.size), w, w])
    bounds = np.vstack([np.column_stack([lb_h, ub_h]),
                        np.column_stack([np.zeros(pvar.size), np.full(pvar.size, np.inf)]),
                        np.column_stack([np.zeros(pvar.size), vals[pvar] - lb_all[pvar]])])
    res = _lp(cvec, A_eq, b, bounds, stats=stats, kind="repair")
    if res.status != 0:
        if not whole and system.block[i] >= 0:
            return repair(system, hidden, failure, min_count, weight,
                          zeros_published=zeros_published, whole=True, stats=stats)
        return None
    p, m = res.x[hvar.size:hvar.size + pvar.size], res.x[hvar.size + pvar.size:]
    x = vals.copy()
    x[hvar] = res.x[:hvar.size]
    x[pvar] += p - m
    return pvar[p + m > EPS], x


def cell_weights(system: System) -> np.ndarray:
    """Cost per unit of change: lowest-level inner cells 1, each level up x4, totals x2."""
    w = 4.0 ** system.level
    if system.total is not None:
        w = np.where(system.col == system.total, 2 * w, w)
    return w


def protect(system: System, hidden: np.ndarray, min_count: float, *, zeros_published: bool =
            True, single_person: bool = True, max_rounds: int = 20,
            stats: dict | None = None) -> tuple[np.ndarray, list[Failure]]:
    """Suppress primary cells and complements until the attack finds nothing (or rounds end)."""
    stats = stats if stats is not None else {}
    vals = system.values
    primary = (vals > 0) & (vals < min_count)
    hidden = prepass(system, hidden | primary, primary)
    weight = cell_weights(system)
    failures: list[Failure] = []
    for _ in range(max_rounds):
        failures = attack(system, hidden, primary, min_count, zeros_published=zeros_published,
                          single_person=single_person, exact=False, stats=stats)
        stats["rounds"] = stats.get("rounds", 0) + 1
        if not failures:
            break
        progress = False
        solutions: list[np.ndarray] = []
        for f in failures:
            if any(x[f.cell] >= min_count - EPS
                   and (f.known is None or abs(x[f.known] - vals[f.known]) < EPS)
                   for x in solutions[-50:]):
                continue
            fixed = repair(system, hidden, f, min_count, weight,
                           zeros_published=zeros_published, stats=stats)
            if fixed is None:
                continue
            add, x = fixed
            solutions.append(x)
            if add.size:
                hidden[add] = True
                progress = True
        if not progress:
            failures = attack(system, hidden, primary, min_count,
                              zeros_published=zeros_published, single_person=single_person,
                              stats=stats)
            break
    return hidden, failures


def prepass(system: System, hidden: np.ndarray, confidential: np.ndarray) -> np.ndarray:
    """The quick rule first: no equation with exactly one hidden confidential cell.

    The complement is the published positive cell of least weight (then smallest value);
    zeros are never complements. Cuts the LP work of :func:`protect`.
    """
    hidden = hidden.copy()
    A = system.A.tocsr()
    vals = system.values
    weight = cell_weights(system)
    conf = confidential | hidden
    changed = True
    while changed:
        changed = False
        for r in range(A.shape[0]):
            cells = A.indices[A.indptr[r]:A.indptr[r + 1]]
            h = hidden[cells]
            if h.sum() != 1 or not conf[cells[h]].all():
                continue
            free = cells[~h & (vals[cells] > 0)]
            if free.size == 0:
                continue
            order = np.lexsort((vals[free], weight[free]))
            hidden[free[order[0]]] = True
            changed = True
    return hidden


# --- tables and hierarchies as the public functions take them ---------------------------


def level_names(hierarchy) -> list[str]:
    return [h if isinstance(h, str) else f"prefix{h}" for h in hierarchy] + ["total"]


def hier_system(table: pd.DataFrame, cols: list[str], total_column, hierarchy) -> System:
    if isinstance(hierarchy, str | int):
        raise ParameterError("hierarchy must be a list of parent columns or key prefix "
                             f"lengths, lowest level first, e.g. ['BZR_ID'], not {hierarchy!r}.")
    values = np.column_stack([table[c].to_numpy(dtype=float, na_value=np.nan) for c in cols])
    if np.isnan(values).any():
        bad = [c for j, c in enumerate(cols) if np.isnan(values[:, j]).any()]
        raise ColumnError(f"count column(s) {format_list(bad)} have missing values; the audit "
                          "and the protection need every true count (protect the table before "
                          "cells are suppressed, and pass those as suppressed=).")
    parents = []
    keys = table.index.astype(str)
    for h in hierarchy:
        if isinstance(h, bool) or not isinstance(h, str | int | np.integer):
            raise ParameterError(f"hierarchy entries are column names or prefix lengths, "
                                 f"not {h!r}.")
        if isinstance(h, str):
            require_column(table, h, source="the table", role="hierarchy column")
            parents.append(table[h].astype(str).to_numpy())
        else:
            parents.append(np.asarray(keys.str[:int(h)]))
    total = cols.index(total_column) if total_column is not None else None
    try:
        return build_system(values, parents, table.index, total)
    except ValueError as exc:
        raise ColumnError(f"{exc}; check hierarchy= and total_column=.") from None


def level_tables(system: System, hidden: np.ndarray, cols, hierarchy, round_to
                  ) -> dict[str, pd.DataFrame]:
    out = {}
    for k, name in enumerate(level_names(hierarchy), start=1):
        sl = system.cells(k)
        values = system.values[sl].reshape(-1, system.m).copy()
        if round_to:
            values = round_to_base(values, round_to)
        values[hidden[sl].reshape(-1, system.m)] = np.nan
        out[name] = pd.DataFrame(values, index=system.units[k], columns=cols)
    return out
