"""Private engine under the statistics office's premise: every total above the table is published.

The office publishes the totals of every level above the lowest units (Bezirksregion,
Prognoseraum, Bezirk, city; every column and the row-total column) exactly, and zeros; a
hidden cell is therefore known to be at least 1. Hiding a higher-level cell protects nothing,
so only cells of the lowest level are hidden, and the table falls apart into independent
*blocks*, one per unit of the lowest parent level (e.g. one per Bezirksregion): a block's
column sums are published, and with a total column each of its rows is an equation too.
Equations never cross blocks.

The attack (the interval an LP attacker gets for each hidden small count) and the repair
(which published cells to hide so that a small count can reach the threshold) are solved
for all blocks at once: the sub-problems of different blocks, and of different attackers
within a block (the single-person case: a person alone in a hidden cell of 1 fixes that cell
at 1), are stacked into one block-diagonal LP, whose optimum is the optimum of every
sub-problem. A few LPs of a few thousand variables replace thousands of small ones.

Some small counts cannot reach the threshold under any suppression: the published totals
alone narrow them (a Bezirksregion of one Planungsraum, or a column whose Bezirksregion total
is 1 or 2). Their *achievable* bound is the attacker's bound when every positive cell of the
block is hidden; protection aims at ``min(threshold, achievable)`` and the audit reports the
cells below the threshold only because of the totals separately.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from quartier.reporting._audit import EPS, Failure, System

CHUNK = 4000   # variables per stacked LP


@dataclass
class Blocks:
    """The lowest level of a :class:`System`, cut into independent blocks."""

    values: np.ndarray           # (n * m,) true values of the lowest cells, row-major
    m: int
    total: int | None
    cells: list[np.ndarray]      # per block: its cells (global indices, sorted)
    eqs: list[tuple]             # per block: equations as (row, local column, coefficient)
    rhs: list[np.ndarray]        # per block: right-hand sides (published column sums, 0)
    block_of: np.ndarray         # (n * m,) block of each cell
    lower: np.ndarray            # what the attacker knows: a positive cell, hidden, is >= 1

    def overlap(self, a: int, b: int) -> bool:
        """Whether two lowest cells share people (same row, same or total column)."""
        m = self.m
        if a // m != b // m:
            return False
        return a % m == b % m or (self.total is not None and self.total in (a % m, b % m))

    def split(self, blk: int, hidden: np.ndarray):
        """Equations of a block with its hidden cells as variables.

        Returns the variables (global cells), the triplets (row, variable, coefficient), the
        number of rows and the right-hand side with the published cells moved over."""
        cells = self.cells[blk]
        er, ec, ev = self.eqs[blk]
        h = hidden[cells]
        pos = np.cumsum(h) - 1
        keep = h[ec]
        b = self.rhs[blk] - np.bincount(er[~keep], ev[~keep] * self.values[cells[ec[~keep]]],
                                        minlength=self.rhs[blk].size)
        return cells[h], (er[keep], pos[ec[keep]], ev[keep]), self.rhs[blk].size, b


def make_blocks(system: System) -> Blocks:
    """Blocks of the lowest level: one per unit of the level above it (the city if none)."""
    m = system.m
    n = system.offsets[1] // m
    values = system.values[:n * m]
    parent = system.codes[1]
    cells, eqs, rhs = [], [], []
    block_of = np.repeat(parent, m)
    order = np.argsort(parent, kind="stable")
    bounds = np.searchsorted(parent[order], np.arange(len(system.units[1]) + 1))
    up = system.values[system.cells(1)].reshape(-1, m)
    for b in range(len(system.units[1])):
        rows = order[bounds[b]:bounds[b + 1]]
        nb = rows.size
        local = np.arange(nb * m)
        er, ec, ev = [local % m], [local], [np.ones(nb * m)]     # column sums
        n_eq = m
        if system.total is not None and m > 1:                   # row totals
            er.append(m + local // m)
            ec.append(local)
            ev.append(np.where(local % m == system.total, 1.0, -1.0))
            n_eq += nb
        cells.append((rows[:, None] * m + np.arange(m)[None, :]).ravel())
        eqs.append((np.concatenate(er), np.concatenate(ec), np.concatenate(ev)))
        rhs.append(np.concatenate([up[b], np.zeros(n_eq - m)]))
    return Blocks(values, m, system.total, cells, eqs, rhs, block_of,
                  np.where(values > 0, 1.0, 0.0))


@dataclass
class _Part:
    """One LP of a stack: ``min c x`` s.t. ``A_eq x = b_eq``, ``A_ub x <= 0``, bounds."""

    c: np.ndarray
    eq: tuple                    # (row, column, value)
    n_eq: int
    b_eq: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    le: tuple | None = None      # (row, column, value), right-hand side 0
    n_le: int = 0


@dataclass
class _Problem:
    """One attacker's view of one block: hidden cells, known cell, cells to certify."""

    block: int
    var: np.ndarray              # global cells that are variables (sorted)
    eq: tuple
    n_eq: int
    b: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    known: int | None
    todo: np.ndarray             # positions in var still to certify
    thr: np.ndarray              # threshold of each position in var

    def part(self, c: np.ndarray) -> _Part:
        return _Part(c, self.eq, self.n_eq, self.b, self.lb, self.ub)


def _problem(B: Blocks, blk: int, hidden: np.ndarray, known: int | None, targets: np.ndarray,
             thr: np.ndarray) -> _Problem:
    var, eq, n_eq, b = B.split(blk, hidden)
    lb = B.lower[var]
    ub = np.full(var.size, np.inf)
    if known is not None:
        k = np.searchsorted(var, known)
        lb[k] = ub[k] = 1.0
    pos = np.searchsorted(var, targets)
    full = np.full(var.size, np.inf)
    full[pos] = thr
    return _Problem(blk, var, eq, n_eq, b, lb, ub, known, pos, full)


def _solve(parts: list[_Part], stats: dict, kind: str, presolve: bool = True):
    stats["lp"] = stats.get("lp", 0) + 1
    stats[kind] = stats.get(kind, 0) + 1
    col0 = np.cumsum([0] + [p.c.size for p in parts])
    row0 = np.cumsum([0] + [p.n_eq for p in parts])
    N = int(col0[-1])
    A_eq = sp.csc_matrix((np.concatenate([p.eq[2] for p in parts]),
                          (np.concatenate([p.eq[0] + r for p, r in zip(parts, row0[:-1], strict=True)]),
                           np.concatenate([p.eq[1] + c for p, c in zip(parts, col0[:-1], strict=True)]))),
                         shape=(int(row0[-1]), N))
    A_ub = b_ub = None
    ups = [(p, c) for p, c in zip(parts, col0[:-1], strict=True) if p.le is not None]
    if ups:
        lrow0 = np.cumsum([0] + [p.n_le for p, _ in ups])
        A_ub = sp.csc_matrix((np.concatenate([p.le[2] for p, _ in ups]),
                              (np.concatenate([p.le[0] + r for (p, _), r in zip(ups, lrow0[:-1], strict=True)]),
                               np.concatenate([p.le[1] + c for p, c in ups]))),
                             shape=(int(lrow0[-1]), N))
        b_ub = np.zeros(int(lrow0[-1]))
    bounds = np.column_stack([np.concatenate([p.lb for p in parts]),
                              np.concatenate([p.ub for p in parts])])
    res = linprog(np.concatenate([p.c for p in parts]), A_ub=A_ub, b_ub=b_ub, A_eq=A_eq,
                  b_eq=np.concatenate([p.b_eq for p in parts]), bounds=bounds, method="highs",
                  options={"presolve": presolve})
    return res, col0


def _stack(parts: list[_Part], stats: dict, kind: str, *, strict: bool = True) -> list:
    """Solve LPs at once (block-diagonal): one solution per part.

    Should the stacked LP fail, each part is solved alone (again without presolve, which
    now and then declares a problem infeasible at a bound within its tolerance); a part that
    still fails raises (``strict``) or gives None."""
    size = np.cumsum([p.c.size for p in parts])
    if size[-1] > CHUNK:      # simplex time grows faster than the size: cut into chunks
        cuts = np.searchsorted(size, np.arange(CHUNK, size[-1], CHUNK))
        out, start = [], 0
        for stop in [*np.unique(cuts[cuts > 0]), len(parts)]:
            if stop > start:
                out += _stack_one(parts[start:stop], stats, kind, strict)
                start = stop
        return out
    return _stack_one(parts, stats, kind, strict)


def _stack_one(parts: list[_Part], stats: dict, kind: str, strict: bool) -> list:
    res, col0 = _solve(parts, stats, kind)
    if res.status == 0:
        return [res.x[col0[i]:col0[i + 1]] for i in range(len(parts))]
    out = []
    for p in parts:
        one, _ = _solve([p], stats, kind)
        if one.status != 0:
            one, _ = _solve([p], stats, kind, presolve=False)
        if one.status != 0 and strict:
            raise RuntimeError(f"disclosure LP ({kind}) failed: {one.message}")
        out.append(one.x if one.status == 0 else None)
    return out


def needed(thr: dict | float, known: int | None, cell: int) -> float:
    """The threshold of ``cell`` against the attacker ``known`` (see :func:`achievable`)."""
    if not isinstance(thr, dict):
        return float(thr)
    if (known, cell) in thr:
        return thr[(known, cell)]
    cap = thr.get("cap")
    return thr["min_count"] if cap is None else min(thr["min_count"], cap[cell])


def column_caps(B: Blocks) -> np.ndarray:
    """An upper bound of each cell with every positive cell of its block hidden: its column's
    published sum less 1 for every other positive cell of that column."""
    cap = np.empty(B.values.size)
    m = B.m
    for blk, cells in enumerate(B.cells):
        v = B.values[cells].reshape(-1, m)
        cap[cells] = (B.rhs[blk][:m] - (v > 0).sum(axis=0) + (v > 0)).ravel()
    return cap


def _problems(B: Blocks, hidden: np.ndarray, primary: np.ndarray, single_person: bool,
              thr: dict | float, only: set | None = None) -> list[_Problem]:
    vals = B.values
    by_block = defaultdict(list)
    for t in np.flatnonzero(primary & hidden):
        by_block[int(B.block_of[t])].append(int(t))
    probs = []
    for blk, targets in by_block.items():
        scenarios: list[int | None] = [None]
        if single_person:
            scenarios += [t for t in targets if vals[t] == 1]
        for s in scenarios:
            todo = [t for t in targets if (s is None or (t != s and not (
                vals[t] == 1 and B.overlap(t, s)))) and (only is None or (s, t) in only)]
            if not todo:
                continue
            need = np.array([needed(thr, s, t) for t in todo])
            keep = need > B.lower[todo] + EPS     # a hidden cell reaches its lower bound
            if not keep.any():
                continue
            todo, need = np.array(todo)[keep], need[keep]
            probs.append(_problem(B, blk, hidden, s, todo, need))
    return probs


def attack(B: Blocks, hidden: np.ndarray, primary: np.ndarray, thr: dict | float, *,
           single_person: bool = True, exact: bool = True, with_lower: bool = True,
           only: set | None = None, stats: dict | None = None) -> list[Failure]:
    """Every (small count, attacker) whose upper bound stays below its threshold.

    ``thr``: the threshold, or ``{(known, cell): threshold, "min_count": default}``; ``only``:
    the (known, cell) pairs to check (default all). With ``exact=False`` the cells the
    sum-maximisation LPs do not certify are returned without bounds (NaN); else their exact
    upper (and lower) bounds decide.
    """
    stats = stats if stats is not None else {}
    vals = B.values
    failures = [Failure(int(i), vals[i], vals[i], None)
                for i in np.flatnonzero(primary & ~hidden)]
    probs = _problems(B, hidden, primary, single_person, thr, only)
    # phase 1: maximise the sum of min(x_t, thr_t) over the cells still to certify
    active = [p for p in probs if p.todo.size]
    while active:
        parts = []
        for p in active:
            k, q = p.var.size, p.todo.size
            le = (np.tile(np.arange(q), 2), np.concatenate([p.todo, k + np.arange(q)]),
                  np.concatenate([-np.ones(q), np.ones(q)]))      # y_t <= x_t
            parts.append(_Part(np.concatenate([np.zeros(k), -np.ones(q)]), p.eq, p.n_eq, p.b,
                               np.concatenate([p.lb, np.zeros(q)]),
                               np.concatenate([p.ub, p.thr[p.todo]]), le, q))
        xs = _stack(parts, stats, "sum")
        nxt = []
        for p, x in zip(active, xs, strict=True):
            left = p.todo[x[p.todo] < p.thr[p.todo] - EPS]
            progress = left.size < p.todo.size
            p.todo = left
            if progress and left.size:
                nxt.append(p)
        active = nxt
    pending = [p for p in probs if p.todo.size]
    if not exact:
        return failures + [Failure(int(p.var[t]), np.nan, np.nan, p.known)
                           for p in pending for t in p.todo]
    # phase 2: one target per sub-problem per LP, its exact upper bound
    while pending:
        parts, picked = [], []
        for p in pending:
            t = int(p.todo[0])
            c = np.zeros(p.var.size)
            c[t] = -1.0
            parts.append(p.part(c))
            picked.append(t)
        xs = _stack(parts, stats, "max")
        low_parts, low_of = [], []
        for p, t, x in zip(pending, picked, xs, strict=True):
            p.todo = p.todo[1:]
            p.todo = p.todo[x[p.todo] < p.thr[p.todo] - EPS]
            if x[t] < p.thr[t] - EPS:
                f = Failure(int(p.var[t]), np.nan, float(x[t]), p.known)
                failures.append(f)
                if with_lower:
                    c = np.zeros(p.var.size)
                    c[t] = 1.0
                    low_parts.append(p.part(c))
                    low_of.append((f, t))
        if low_parts:
            for (f, t), x in zip(low_of, _stack(low_parts, stats, "min"), strict=True):
                f.lower = float(x[t])
        pending = [p for p in pending if p.todo.size]
    return failures


def achievable(B: Blocks, hidden: np.ndarray, primary: np.ndarray, min_count: float, *,
               single_person: bool = True, only: set | None = None,
               stats: dict | None = None) -> dict:
    """Thresholds: ``min(min_count, bound with every positive cell hidden)`` of each (known,
    cell), for :func:`needed`.

    The published totals alone bound some small counts below ``min_count``; no suppression
    does better than hiding every positive cell of the block. The column bound
    (:func:`column_caps`) is tried first: a cell reaching it has that bound; the others get
    their exact bound by LP."""
    everything = hidden | (B.values > 0)
    thr: dict = {"min_count": float(min_count), "cap": column_caps(B)}
    for f in attack(B, everything, primary, thr, single_person=single_person,
                    exact=True, with_lower=False, only=only, stats=stats):
        upper = round(f.upper) if abs(f.upper - round(f.upper)) < EPS else f.upper
        thr[(f.known, f.cell)] = min(float(min_count), upper)
    return thr


def weights(B: Blocks) -> np.ndarray:
    """Cost per unit of change: inner cells 1, the total column 2."""
    w = np.ones(B.values.size)
    if B.total is not None:
        w[B.total::B.m] = 2.0
    return w


def prepass(B: Blocks, hidden: np.ndarray, confidential: np.ndarray) -> np.ndarray:
    """The quick rule within blocks: no equation with exactly one hidden confidential cell.

    The complement is the published positive cell of least weight, then smallest value;
    zeros are never complements."""
    hidden = hidden.copy()
    w = weights(B)
    for blk, cells in enumerate(B.cells):
        if not hidden[cells].any():
            continue
        er, ec, _ = B.eqs[blk]
        members = [cells[ec[er == r]] for r in range(B.rhs[blk].size)]
        changed = True
        while changed:
            changed = False
            for eq in members:
                h = hidden[eq]
                if h.sum() != 1 or not (confidential[eq[h]] | hidden[eq[h]]).all():
                    continue
                free = eq[~h & (B.values[eq] > 0)]
                if free.size:
                    hidden[free[np.lexsort((B.values[free], w[free]))[0]]] = True
                    changed = True
    return hidden


def _repair_part(B: Blocks, hidden: np.ndarray, f: Failure, need: float, w: np.ndarray):
    """The cheapest change of published cells (hidden ones free) that lets ``f.cell`` reach
    ``need``: variables are the hidden cells, then the published positive cells moved up,
    then moved down (at most to 1; zeros stay)."""
    blk = int(B.block_of[f.cell])
    cells = B.cells[blk]
    mov = ~hidden[cells] & (B.values[cells] > 0)
    free = hidden.copy()
    free[cells[mov]] = True                       # published positive cells as variables
    var, (er, ec, ev), n_eq, b = B.split(blk, free)
    is_mov = ~hidden[var]
    k, q = var.size, int(is_mov.sum())
    b = b - np.bincount(er[is_mov[ec]], ev[is_mov[ec]] * B.values[var[ec[is_mov[ec]]]],
                        minlength=n_eq)
    # x_var = hidden value, or published value + up - down; split the moved columns
    mpos = np.cumsum(is_mov) - 1
    sel = is_mov[ec]
    eq = (np.concatenate([er, er[sel], er[sel]]),
          np.concatenate([ec, k + mpos[ec[sel]], k + q + mpos[ec[sel]]]),
          np.concatenate([np.where(sel, 0.0, ev), ev[sel], -ev[sel]]))
    lb = np.concatenate([B.lower[var], np.zeros(2 * q)])
    ub = np.concatenate([np.full(k, np.inf), np.full(q, np.inf),
                         B.values[var[is_mov]] - 1.0])
    lb[:k][is_mov] = ub[:k][is_mov] = 0.0         # the published value enters through b
    lb[np.searchsorted(var, f.cell)] = need
    if f.known is not None:
        i = np.searchsorted(var, f.known)
        lb[i] = ub[i] = 1.0
    wp = w[var[is_mov]]
    part = _Part(np.concatenate([np.zeros(k), wp, wp]), eq, n_eq, b, lb, ub)
    return part, var, var[is_mov]


def protect(B: Blocks, hidden: np.ndarray, min_count: float, *, single_person: bool = True,
            quick_rule: bool = True, max_rounds: int = 10, stats: dict | None = None
            ) -> tuple[np.ndarray, list[Failure], dict]:
    """Hide small counts and complements (lowest level only) until the attack finds nothing.

    Returns the hidden cells, what is left failing (normally nothing) and the thresholds.
    """
    stats = stats if stats is not None else {}
    vals = B.values
    primary = (vals > 0) & (vals < min_count)
    hidden = hidden | primary
    if quick_rule:
        hidden = prepass(B, hidden, primary)
    first = attack(B, hidden, primary, float(min_count), single_person=single_person,
                   exact=False, stats=stats)
    only = {(f.known, f.cell) for f in first}
    thr = achievable(B, hidden, primary, min_count, single_person=single_person, only=only,
                     stats=stats)
    w = weights(B)
    failures: list[Failure] = []
    for _ in range(max_rounds):
        failures = attack(B, hidden, primary, thr, single_person=single_person, exact=False,
                          only=only, stats=stats)
        stats["rounds"] = stats.get("rounds", 0) + 1
        if not failures:
            break
        queue = defaultdict(list)
        for f in failures:
            queue[int(B.block_of[f.cell])].append(f)
        only = {(f.known, f.cell) for f in failures}   # hiding more never narrows
        solutions: dict[int, list[np.ndarray]] = defaultdict(list)
        before = int(hidden.sum())
        while queue:
            parts, meta = [], []
            for blk in list(queue):
                while queue[blk]:
                    f = queue[blk].pop(0)
                    need = needed(thr, f.known, f.cell)
                    if not any(x[f.cell] >= need - EPS and (f.known is None
                               or abs(x[f.known] - 1) < EPS) for x in solutions[blk]):
                        part, var, mov = _repair_part(B, hidden, f, need, w)
                        parts.append(part)
                        meta.append((blk, var, mov))
                        break
                if not queue[blk]:
                    del queue[blk]
            if not parts:
                break
            for (blk, var, mov), x in zip(meta, _stack(parts, stats, "repair", strict=False),
                                          strict=True):
                if x is None:
                    continue
                k, q = var.size, mov.size
                up, down = x[k:k + q], x[k + q:]
                full = vals.copy()
                full[var] = x[:k]
                full[mov] = vals[mov] + up - down
                hidden[mov[up + down > EPS]] = True
                solutions[blk].append(full)
        if int(hidden.sum()) == before:     # what is left is safe, or cannot be helped
            failures = attack(B, hidden, primary, thr, single_person=single_person,
                              only=only, stats=stats)
            break
    else:
        failures = attack(B, hidden, primary, thr, single_person=single_person, only=only,
                          stats=stats)
    return hidden, failures, thr
