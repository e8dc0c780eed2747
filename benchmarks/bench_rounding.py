"""Controlled rounding (round_table) on Berlin's Planungsräume x age groups with its hierarchy.

Berlin 2024: 542 Planungsräume x 8 age groups and the row total, hierarchy Bezirksregion ->
Prognoseraum -> Bezirk -> city (key prefixes 6, 4, 2 of the 8-digit key): 6,804 cells, of
which the non-multiples are the 0/1 variables of one HiGHS programme (its LP by dual simplex,
integral here; scipy milp as fallback). The machine is shared (2 cores), times vary. Plain
rounding of each cell (half up) is the reference: fast, but its parts do not add up. A
synthetic city of 10 x Berlin (the same table repeated as ten more Bezirke each) shows how the
time grows. Additivity is asserted inside the benchmark.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from _util import best_of, table

TITLE = "Controlled rounding: Berlin 542 x 9 with its hierarchy (issue #21)"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
AGES = ["below_6", "6_15", "15_18", "18_27", "27_45", "45_55", "55_65", "above_65"]
BASE = 5


def berlin() -> pd.DataFrame:
    pop = pd.read_csv(SHARED / "berlin_population"
                      / "berlin-lor-population-2024-02-t2-planning-areas.csv", dtype={"id": str})
    t = pd.DataFrame(pop[[f"inhabitants_age_{a}" for a in AGES]].to_numpy(),
                     index=pop["id"].to_numpy(), columns=AGES)
    t["total"] = pop["inhabitants"].to_numpy()
    return t


def bigger(t: pd.DataFrame, copies: int) -> pd.DataFrame:
    """``copies`` cities side by side: Bezirk keys 01-12 become 01-12, 13-24, ... (2 digits
    grow to 3 so the prefixes stay nested: keys get a leading copy digit)."""
    rng = np.random.default_rng(0)
    parts = []
    for k in range(copies):
        c = t.copy()
        c[AGES] = rng.binomial(c[AGES].to_numpy(), 0.9)
        c["total"] = c[AGES].sum(axis=1)
        c.index = [f"{k}{key}" for key in t.index]
        parts.append(c)
    return pd.concat(parts)


def _check(t, out, hierarchy) -> str:
    cols = [*AGES, "total"]
    r = out.table[cols]
    assert (r[AGES].sum(axis=1) == r["total"]).all()
    keys = pd.Series(t.index.astype(str), index=t.index)
    names = [f"prefix{h}" for h in hierarchy] + ["total"]
    for h, name in zip([*hierarchy, 0], names, strict=True):
        g = keys.str[:h] if h else pd.Series("total", index=t.index)
        assert (r.groupby(g.to_numpy()).sum().to_numpy() == out.totals[name].to_numpy()).all()
    dev = np.abs(r.to_numpy() - t[cols].to_numpy())
    assert (dev < BASE).all() and (r.to_numpy() % BASE == 0).all()
    return "yes" if out.zero_restricted else f"no ({out.relaxed} cells relaxed)"


def run(quick: bool) -> str:
    from quartier.reporting.rounding import round_table

    t = berlin()
    cases = [("Berlin 542 x 9", t, [6, 4, 2])]
    if not quick:
        cases.append(("10 x Berlin, 5,420 x 9", bigger(t, 10), [7, 5, 3, 1]))
    rows = []
    cols = [*AGES, "total"]
    for name, tab, hierarchy in cases:
        plain_s, plain = best_of(lambda tab=tab, cols=cols: np.floor(tab[cols] / BASE + 0.5) * BASE)
        not_adding = int((plain[AGES].sum(axis=1) != plain["total"]).sum())
        secs, out = best_of(lambda tab=tab, hierarchy=hierarchy: round_table(
            tab, BASE, total_column="total", hierarchy=hierarchy), repeat=3)
        zero = _check(tab, out, hierarchy)
        cells = sum(len(v) for v in out.totals.values()) * len(cols) + tab[cols].size
        rows.append({"table": name, "hierarchy": str(hierarchy), "cells (all levels)":
                     f"{cells:,}", "round_table s": f"{secs:.2f}", "zero-restricted": zero,
                     "plain rounding s": f"{plain_s:.3f}",
                     "rows not adding up (plain)": f"{not_adding} of {len(tab):,}",
                     "rows not adding up (round_table)": "0"})
    body = table(rows, ["table", "hierarchy", "cells (all levels)", "round_table s",
                        "zero-restricted", "plain rounding s", "rows not adding up (plain)",
                        "rows not adding up (round_table)"])
    return (f"Base {BASE}. `round_table(..., total_column='total', hierarchy=...)`: every "
            "cell, level total and row total rounded to a neighbouring multiple, all sums "
            "additive (asserted). Plain rounding: each cell half up on its own. No peer in the "
            "environment (tau-Argus, sdcTable).\n\n" + body)


if __name__ == "__main__":
    print(run(quick=True))
