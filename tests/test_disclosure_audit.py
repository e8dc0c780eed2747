"""Disclosure control against an interval attacker written here (scipy linprog, dense
constraints built from scratch), independent of the library's audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

import quartier

MIN = 3


def attacker_bounds(table, hidden, cols, total, levels):
    """Upper bound of every hidden small cell (lowest level) by LP.

    Published: unhidden lowest cells, every total of every level (group sums per column and
    the city), row totals when ``total``; hidden cells >= 1 (zeros are published).
    """
    values = table[cols].to_numpy(float)
    n, m = values.shape
    hid = hidden[cols].to_numpy(bool)
    idx = -np.ones((n, m), int)
    idx[hid] = np.arange(hid.sum())
    nv = int(hid.sum())
    A, b = [], []

    def equation(cells):  # cells: list of (row, col); their sum is published
        row = np.zeros(nv)
        rhs = 0.0
        for r, c in cells:
            if hid[r, c]:
                row[idx[r, c]] += 1
            else:
                rhs -= values[r, c]
        rhs += sum(values[r, c] for r, c in cells)
        if row.any():
            A.append(row)
            b.append(rhs)

    groups = [np.asarray(g) for g in levels] + [np.zeros(n, int)]
    for g in groups:
        for label in np.unique(g):
            rows = np.flatnonzero(g == label)
            for c in range(m):
                equation([(r, c) for r in rows])
    if total is not None:
        t = cols.index(total)
        for r in range(n):
            # total - parts = 0: publish as "parts sum to the total"
            row = np.zeros(nv)
            rhs = 0.0
            for c in range(m):
                sign = 1.0 if c == t else -1.0
                if hid[r, c]:
                    row[idx[r, c]] += sign
                else:
                    rhs -= sign * values[r, c]
            if row.any():
                A.append(row)
                b.append(rhs)
    A = np.array(A) if A else np.zeros((0, nv))
    out = {}
    for r, c in zip(*np.nonzero(hid & (values > 0) & (values < MIN)), strict=True):
        cost = np.zeros(nv)
        cost[idx[r, c]] = -1
        res = linprog(cost, A_eq=A, b_eq=np.array(b), bounds=[(1, None)] * nv, method="highs")
        assert res.status in (0, 3), res.message
        out[(r, c)] = np.inf if res.status == 3 else -res.fun
    return out


def assert_safe(table, result, cols, total, levels):
    values = table[cols].to_numpy(float)
    small = (values > 0) & (values < MIN)
    assert result.suppressed[cols].to_numpy(bool)[small].all()
    for cell, upper in attacker_bounds(table, result.suppressed, cols, total, levels).items():
        assert upper >= MIN - 1e-6, (cell, upper)


def test_the_quick_rule_alone_is_broken_on_berlin(berlin_rare):
    # the finding: the single-row/column rule leaves cells derivable
    table = berlin_rare.iloc[:60]
    cols = list(table.columns)
    levels = [table.index.str[:6], table.index.str[:4], table.index.str[:2]]
    old = quartier.protect_table(table, MIN, total_column="total")
    bounds = attacker_bounds(table, old.suppressed, cols, "total", levels)
    assert min(bounds.values()) < MIN


def test_audit_finds_what_the_old_rule_leaves(berlin_rare):
    table = berlin_rare.iloc[:60]
    old = quartier.protect_table(table, MIN, total_column="total")
    audit = quartier.audit_disclosure(table, old, min_count=MIN, total_column="total",
                                      hierarchy=[6, 4, 2], single_person=False)
    assert not audit.passed
    assert set(audit.cells["reason"]) <= {"exact", "upper bound below threshold", "published",
                                          "published totals"}
    assert (audit.cells["reason"] != "published totals").sum() > 0
    assert (audit.cells["upper"] < MIN).all()


def test_single_person_case():
    # two hidden cells in a row of three, one of them a 1: its person knows the other
    t = pd.DataFrame({"a": [1, 2, 9], "b": [9, 9, 9]}, index=list("xyz"))
    mask = pd.DataFrame({"a": [True, True, False], "b": [False, False, False]}, index=t.index)
    plain = quartier.audit_disclosure(t, mask, min_count=MIN, hierarchy=[], single_person=False)
    person = quartier.audit_disclosure(t, mask, min_count=MIN, hierarchy=[])
    assert not plain.passed   # a 1 and a 2 hidden in one column: both at most 2
    assert (person.cells["known_by"] != "").any()
    out = quartier.protect_table(t, MIN, hierarchy=[])
    assert quartier.audit_disclosure(t, out, min_count=MIN, hierarchy=[]).passed


