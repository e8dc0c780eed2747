"""Linked tables of one run: services of one target group share their people.

Two services on the same target group publish ``population = covered_1 + uncovered_1 =
covered_2 + uncovered_2`` per district; each service's own audit
(:func:`quartier.reporting.audit.audit_disclosure`) cannot see the second equation. This
interval attack (linear programming, HiGHS) takes every service of the group together, with
the sums over every level and the city, published cells exact and hidden cells at least 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from quartier.reporting.disclosure_control import DisclosureResult


@dataclass(frozen=True)
class Failure:
    """A hidden small count the group's services give away together."""

    service: str          # "" for the population (shared)
    level: str            # "table", a level column or "total"
    unit: str
    column: str
    value: float
    upper: float
    scopes: list          # district rows of the unit, then of each larger unit around it


def linked_failures(tables: dict[str, pd.DataFrame], results: dict[str, DisclosureResult],
                    levels: list[str], min_count: int, stats: dict | None = None
                    ) -> list[Failure]:
    """Hidden small counts that the services of one group give away together (``stats``
    counts the LPs under ``"lp"``)."""
    names = list(tables)
    first = tables[names[0]]
    n = len(first)
    # units of every level: codes of each district row
    codes = [np.arange(n)]
    units = [pd.Index(first.index.astype(str))]
    level_names = ["table"]
    for level in levels:
        labels = first[level].astype(str).to_numpy()
        index = pd.Index(pd.unique(labels))
        codes.append(index.get_indexer(labels))
        units.append(index)
        level_names.append(level)
    codes.append(np.zeros(n, dtype=int))
    units.append(pd.Index([""]))
    level_names.append("total")
    columns = [("", "population")] + [(s, c) for s in names for c in ("covered", "uncovered")]
    index: dict[tuple, int] = {}
    for k, u in enumerate(units):
        for j in range(len(u)):
            for col in columns:
                index[(k, j, col)] = len(index)
    rows, cols, vals, r = [], [], [], 0

    def add(terms):
        nonlocal r
        for var, v in terms:
            rows.append(r)
            cols.append(var)
            vals.append(v)
        r += 1

    for k, u in enumerate(units):
        for j in range(len(u)):
            for s in names:
                add([(index[(k, j, ("", "population"))], 1.0),
                     (index[(k, j, (s, "covered"))], -1.0),
                     (index[(k, j, (s, "uncovered"))], -1.0)])
    for k in range(1, len(units)):
        for j in range(len(units[k])):
            members = np.flatnonzero(codes[k] == j)
            for col in columns:
                add([(index[(k, j, col)], -1.0)] + [(index[(0, d, col)], 1.0) for d in members])
    a_eq = sp.csr_matrix((vals, (rows, cols)), shape=(r, len(index)))
    truth = np.zeros(len(index))
    hidden = np.zeros(len(index), dtype=bool)
    for col in columns:
        service, column = col
        table = tables[service or names[0]]
        values = table["population" if not service else column].to_numpy(dtype=float)
        for k in range(len(units)):
            sums = np.bincount(codes[k], values, len(units[k]))
            for j in range(len(units[k])):
                truth[index[(k, j, col)]] = sums[j]
        for s in ([service] if service else names):
            result = results[s]
            mask = result.suppressed[column].to_numpy(dtype=bool)
            for d in np.flatnonzero(mask):
                hidden[index[(0, d, col)]] = True
            for k in range(1, len(units)):
                totals = result.totals.get(level_names[k])
                if totals is None:
                    continue
                if level_names[k] == "total":
                    gone = totals[column].isna().to_numpy()[:1]
                else:
                    shown = totals.set_axis(totals.index.astype(str)).reindex(units[k])
                    gone = shown[column].isna().to_numpy()
                for j in np.flatnonzero(gone):
                    hidden[index[(k, j, col)]] = True
    failures = []
    inverse = {v: key for key, v in index.items()}
    for var, upper in _upper_bounds(a_eq, truth, hidden, min_count, stats):
        k, j, (service, column) = inverse[var]
        failures.append(Failure(service, level_names[k], str(units[k][j]), column,
                                float(truth[var]), float(upper), _scopes(codes, k, j)))
    return failures


def _upper_bounds(a_eq: sp.csr_matrix, truth: np.ndarray, hidden: np.ndarray,
                  min_count: float, stats: dict | None = None) -> list[tuple[int, float]]:
    """The hidden small counts whose largest value under ``a_eq x = 0`` (published cells
    exact, hidden cells at least 1) stays below ``min_count``, with that largest value.

    The published cells are moved to the right-hand side and the hidden cells fall apart
    into independent components (equations linking hidden cells); per component one LP
    maximises the sum of ``min(x_t, min_count)`` over the small counts still to certify
    (every solution is one the attacker cannot exclude, so each count reaching the threshold
    in it is safe), repeated while it certifies more; only the counts left get their exact
    upper bound, one LP each, whose solutions certify further counts.
    """
    stats = stats if stats is not None else {}
    small = hidden & (truth > 0) & (truth < min_count)
    if not small.any():
        return []
    h = np.flatnonzero(hidden)
    a = a_eq.tocsc()
    a_h = a[:, h].tocsr()
    b = -(a[:, ~hidden] @ truth[~hidden])
    touched = np.flatnonzero(a_h.getnnz(axis=1) > 0)
    a_h, b = a_h[touched], b[touched]
    pattern = a_h.copy()
    pattern.data[:] = 1.0
    _, comp = connected_components(pattern.T @ pattern, directed=False)
    found = []
    for c in np.unique(comp[small[h]]):
        var = np.flatnonzero(comp == c)
        rows = np.flatnonzero(a_h[:, var].getnnz(axis=1) > 0)
        ac, bc = a_h[rows][:, var].tocsc(), b[rows]
        k = var.size
        bounds = np.column_stack([np.ones(k), np.full(k, np.inf)])
        todo = np.flatnonzero(small[h[var]])
        while todo.size:    # maximise the sum of min(x_t, min_count) over the rest
            q = todo.size
            res = _lp(np.concatenate([np.zeros(k), -np.ones(q)]),
                      sp.hstack([ac, sp.csc_matrix((ac.shape[0], q))]).tocsc(), bc,
                      np.vstack([bounds, np.column_stack([np.zeros(q), np.full(q, min_count)])]),
                      sp.hstack([-sp.csc_matrix((np.ones(q), (np.arange(q), todo)),
                                                shape=(q, k)), sp.eye(q)]).tocsc(),
                      np.zeros(q), stats)
            if res.status != 0:
                break
            left = todo[res.x[todo] < min_count - 1e-6]
            if left.size == todo.size:
                break
            todo = left
        while todo.size:    # the exact upper bound of each count left
            t, todo = todo[0], todo[1:]
            cost = np.zeros(k)
            cost[t] = -1.0
            res = _lp(cost, ac, bc, bounds, stats=stats)
            upper = -res.fun if res.status == 0 else np.inf
            if res.status == 0:
                todo = todo[res.x[todo] < min_count - 1e-6]
            if upper < min_count - 1e-6:
                found.append((int(h[var[t]]), float(upper)))
    return sorted(found)


def _lp(c, a_eq, b_eq, bounds, a_ub=None, b_ub=None, stats=None):
    if stats is not None:
        stats["lp"] = stats.get("lp", 0) + 1
    return linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                   bounds=[(lo, None if np.isinf(hi) else hi) for lo, hi in bounds],
                   method="highs")


def _scopes(codes: list[np.ndarray], k: int, j: int) -> list[np.ndarray]:
    """District rows of unit ``j`` of level ``k`` and of every unit above it."""
    rows = np.flatnonzero(codes[k] == j)
    out = [rows]
    for above in codes[k + 1:]:
        out.append(np.flatnonzero(above == above[rows[0]]))
    return out
