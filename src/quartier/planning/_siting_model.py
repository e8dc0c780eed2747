"""Private: the mixed-integer models behind :mod:`quartier.siting`, solved with HiGHS.

Everything here works on positions and arrays: demand weights ``w`` (n,),
the reachable pairs ``rows``/``cols``/``cost`` of one cost matrix from the
demand units to all sites (candidate sites first, ``0 .. m_cand - 1``, then
the existing facilities, ``m_cand .. m_cand + m_exist - 1``) and, for the
capacitated variants, one capacity per site. Variables exist only for
reachable pairs; the constraint matrices are sparse.

Existing facilities are fixed open. In the uncapacitated models they are
not variables at all: demand they reach is covered (maximal covering) or
costs its distance to the nearest existing facility unless a new site is
nearer (p-median), which is the same optimum as fixing them open and keeps
the model small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from quartier.errors import QuartierError

_STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded", 4: "error"}


@dataclass
class Solution:
    """What a solve returns: open candidates, allocations and the solver's report."""

    open_cand: np.ndarray  # positions of the chosen candidate sites (sorted)
    status: str  # "optimal", "time_limit" or "trivial" (no solver needed)
    gap: float  # relative optimality gap (0 when proven optimal)
    alloc: tuple | None = None  # (rows, cols, share) for capacitated models
    message: str = ""


class Infeasible(Exception):
    """The model has no solution (the caller explains why in planners' words)."""


def solve(c, integrality, lb, ub, blocks, *, time_limit, mip_gap):
    """Solve ``min c x`` with HiGHS; ``blocks`` are (A, lower, upper) triples stacked together."""
    blocks = [b for b in blocks if b[0].shape[0]]
    constraints = ()
    if blocks:
        a = sparse.vstack([b[0] for b in blocks], format="csr")
        lo = np.concatenate([np.broadcast_to(b[1], b[0].shape[0]) for b in blocks])
        hi = np.concatenate([np.broadcast_to(b[2], b[0].shape[0]) for b in blocks])
        constraints = LinearConstraint(a, lo, hi)
    options = {"time_limit": float(time_limit), "disp": False, "mip_rel_gap": float(mip_gap)}
    res = milp(c, integrality=integrality, bounds=Bounds(lb, ub), constraints=constraints,
               options=options)
    status = _STATUS.get(res.status, "error")
    if status == "infeasible":
        raise Infeasible(res.message)
    if res.x is None:
        if status == "time_limit":
            raise QuartierError(
                f"no solution was found within time_limit={time_limit:g} s. Give the solver "
                "more time (time_limit=...), or make the problem smaller (fewer candidate "
                "sites, a smaller max_cost)."
            )
        raise QuartierError(f"the solver failed: {res.message}")
    gap = getattr(res, "mip_gap", None)
    gap = 0.0 if gap is None or not np.isfinite(gap) else max(float(gap), 0.0)
    if status == "optimal" and gap <= mip_gap + 1e-12:
        gap = gap if mip_gap > 0 else 0.0
    return res.x, status, gap


def _csr(n_rows, n_cols, r, c, v):
    return sparse.csr_array((v, (r, c)), shape=(n_rows, n_cols))


def group_identical_rows(r, c, n_rows):
    """Group rows (demand units) that reach exactly the same columns (sites).

    Returns (group of each row with pairs, or -1; number of groups;
    group-level rows and cols (unique pairs)).
    """
    order = np.lexsort((c, r))
    r, c = r[order], c[order]
    starts = np.searchsorted(r, np.arange(n_rows + 1))
    keys = np.full(n_rows, None, dtype=object)
    has = starts[1:] > starts[:-1]
    for i in np.flatnonzero(has):
        keys[i] = c[starts[i]:starts[i + 1]].tobytes()
    group = np.full(n_rows, -1)
    codes, uniques = pd.factorize(pd.Series(keys[has], dtype=object))
    group[has] = codes
    first = np.full(len(uniques), -1)
    first[codes[::-1]] = np.flatnonzero(has)[::-1]  # first row of each group
    keep = np.isin(r, first)
    return group, len(uniques), group[r[keep]], c[keep]


def max_cover(w, rows, cols, m_cand, p, *, time_limit, mip_gap):
    """Uncapacitated maximal covering: choose <= p candidates to cover most uncovered weight.

    ``rows``/``cols`` are the pairs within reach between demand units that
    are not yet covered (weight > 0) and candidate sites.
    """
    useful = np.unique(cols)
    if useful.size <= p:
        return Solution(useful, "trivial", 0.0)
    # variables: y (one per useful candidate), z (one per group of identical demand units)
    cand_pos = np.searchsorted(useful, cols)
    group, n_groups, g_r, g_c = group_identical_rows(rows, cand_pos, len(w))
    weight = np.bincount(group[group >= 0], weights=w[group >= 0], minlength=n_groups)
    k = useful.size
    c = np.concatenate([np.zeros(k), -weight])
    integrality = np.concatenate([np.ones(k), np.zeros(n_groups)])
    # z_g - sum_{j reaches g} y_j <= 0
    a_cover = sparse.hstack([
        _csr(n_groups, k, g_r, g_c, -np.ones(g_r.size)),
        sparse.identity(n_groups, format="csr"),
    ])
    a_p = _csr(1, k + n_groups, np.zeros(k, int), np.arange(k), np.ones(k))
    x, status, gap = solve(
        c, integrality, np.zeros(k + n_groups), np.ones(k + n_groups),
        [(a_cover, -np.inf, 0.0), (a_p, 0.0, float(p))],
        time_limit=time_limit, mip_gap=mip_gap,
    )
    return Solution(useful[x[:k] > 0.5], status, gap)


def set_cover(rows, cols, n_units, *, time_limit, mip_gap):
    """Fewest candidates such that every unit in ``rows`` is reached by one of them."""
    useful = np.unique(cols)
    cand_pos = np.searchsorted(useful, cols)
    _, n_groups, g_r, g_c = group_identical_rows(rows, cand_pos, n_units)
    if n_groups == 0:
        return Solution(useful[:0], "trivial", 0.0)
    k = useful.size
    a = _csr(n_groups, k, g_r, g_c, np.ones(g_r.size))
    x, status, gap = solve(
        np.ones(k), np.ones(k), np.zeros(k), np.ones(k), [(a, 1.0, np.inf)],
        time_limit=time_limit, mip_gap=mip_gap,
    )
    return Solution(useful[x > 0.5], status, gap)


def p_median(w, rows, cols, cost, m_cand, p, *, time_limit, mip_gap):
    """Uncapacitated p-median with existing facilities fixed open.

    Every unit in ``rows`` (weight > 0, something in reach) is assigned to
    its nearest open site; sites are columns ``< m_cand`` (candidates) or
    existing. Raises :class:`Infeasible` when some unit can reach no
    existing facility and ``p`` candidates cannot reach all such units.
    """
    n = len(w)
    is_exist = cols >= m_cand
    d0 = np.full(n, np.inf)
    np.minimum.at(d0, rows[is_exist], cost[is_exist])
    # candidate pairs that could beat the nearest existing facility
    better = ~is_exist & (cost < d0[rows])
    cr, cc, cd = rows[better], cols[better], cost[better]
    useful = np.unique(cc)
    in_model = np.unique(cr)
    if useful.size <= p:
        return Solution(useful, "trivial", 0.0)
    k, n_pairs = useful.size, cr.size
    unit_pos = np.searchsorted(in_model, cr)
    n_units = in_model.size
    stay = np.isfinite(d0[in_model])  # units that may stay with an existing facility
    n_stay = int(stay.sum())
    stay_units = np.flatnonzero(stay)
    # variables: y (k), x (pairs), s (units that can stay with an existing facility)
    c = np.concatenate([
        np.zeros(k), w[cr] * cd, w[in_model[stay]] * d0[in_model[stay]],
    ])
    n_var = k + n_pairs + n_stay
    integrality = np.concatenate([np.ones(k), np.zeros(n_pairs + n_stay)])
    # assignment: sum_j x_ij + s_i = 1
    a_assign = _csr(
        n_units, n_var,
        np.concatenate([unit_pos, stay_units]),
        np.concatenate([k + np.arange(n_pairs), k + n_pairs + np.arange(n_stay)]),
        np.ones(n_pairs + n_stay),
    )
    # opening: x_ij - y_j <= 0
    pos = np.searchsorted(useful, cc)
    a_open = _csr(
        n_pairs, n_var,
        np.concatenate([np.arange(n_pairs), np.arange(n_pairs)]),
        np.concatenate([k + np.arange(n_pairs), pos]),
        np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
    )
    a_p = _csr(1, n_var, np.zeros(k, int), np.arange(k), np.ones(k))
    x, status, gap = solve(
        c, integrality, np.zeros(n_var), np.ones(n_var),
        [(a_assign, 1.0, 1.0), (a_open, -np.inf, 0.0), (a_p, 0.0, float(p))],
        time_limit=time_limit, mip_gap=mip_gap,
    )
    return Solution(useful[x[:k] > 0.5], status, gap)


def capacitated(w, rows, cols, cost, cap, m_cand, p, *, kind, time_limit, mip_gap):
    """Capacitated maximal covering (``kind="cover"``) or p-median (``kind="median"``).

    ``x_ij`` (share of unit i served by site j, 0..1) exists for every
    reachable pair with a site of positive capacity; ``sum_i w_i x_ij <=
    cap_j y_j`` (candidates) or ``<= cap_j`` (existing, fixed open). The
    covering model maximises the served weight with ``sum_j x_ij <= 1``; the
    median model serves every unit fully (``= 1``) at least weighted cost.
    """
    keep = cap[cols] > 0
    r, c_, d = rows[keep], cols[keep], cost[keep]
    cand = np.unique(c_[c_ < m_cand])
    exist = np.unique(c_[c_ >= m_cand])
    k, e, n_pairs = cand.size, exist.size, r.size
    units = np.unique(r)
    u_pos = np.searchsorted(units, r)
    site_pos = np.where(c_ < m_cand, np.searchsorted(cand, c_), k + np.searchsorted(exist, c_))
    n_var = k + n_pairs
    if kind == "cover":
        obj = np.concatenate([np.zeros(k), -w[r]])
        assign = (-np.inf, 1.0)
    else:
        obj = np.concatenate([np.zeros(k), w[r] * d])
        assign = (1.0, 1.0)
    integrality = np.concatenate([np.ones(k), np.zeros(n_pairs)])
    xs = k + np.arange(n_pairs)
    a_assign = _csr(units.size, n_var, u_pos, xs, np.ones(n_pairs))
    # capacity: sum_i w_i x_ij - cap_j y_j <= 0 (candidates), <= cap_j (existing)
    a_cap = _csr(
        k + e, n_var,
        np.concatenate([site_pos, np.arange(k)]),
        np.concatenate([xs, np.arange(k)]),
        np.concatenate([w[r], -cap[cand]]),
    )
    cap_hi = np.concatenate([np.zeros(k), cap[exist]])
    # opening: x_ij - y_j <= 0 for candidate pairs (tightens the relaxation)
    is_c = c_ < m_cand
    nc = int(is_c.sum())
    a_open = _csr(
        nc, n_var,
        np.concatenate([np.arange(nc), np.arange(nc)]),
        np.concatenate([xs[is_c], site_pos[is_c]]),
        np.concatenate([np.ones(nc), -np.ones(nc)]),
    )
    a_p = _csr(1, n_var, np.zeros(k, int), np.arange(k), np.ones(k))
    x, status, gap = solve(
        obj, integrality, np.zeros(n_var), np.ones(n_var),
        [(a_assign, *assign), (a_cap, -np.inf, cap_hi), (a_open, -np.inf, 0.0),
         (a_p, 0.0, float(min(p, k)))],
        time_limit=time_limit, mip_gap=mip_gap,
    )
    share = x[k:]
    used = share > 1e-9
    return Solution(cand[x[:k] > 0.5], status, gap, alloc=(r[used], c_[used], share[used]))
