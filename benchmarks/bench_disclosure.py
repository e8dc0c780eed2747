"""Secondary suppression over Berlin's LOR hierarchy: quartier's block engine vs the quick rule.

Berlin's 542 Planungsräume x 8 age groups + total (Einwohnerbestand 2024-02 from the shared
data), a characteristic drawn per cell as binomial(population, p) with seed 7: p = 0.0003 (rare,
the fixture of tests/test_disclosure_audit.py) and p = 0.002 (commoner). Hierarchy key prefixes
[6, 4, 2] (Bezirksregion, Prognoseraum, Bezirk) and the city, every total published exactly
(the office's premise, ``totals_published=True``), threshold 3. The time is
``protect_table(..., hierarchy=[6, 4, 2])`` end to end, best of 3; 'audit' is
``audit_disclosure`` on the result (it must pass). The quick rule is ``protect_table`` without
``hierarchy`` (no row or column with exactly one hidden cell), which the interval attack
breaks ('exact after quick rule': small counts the attack recovers exactly from its pattern).
sdcTable (R) is not installed here. tau-Argus runs through pytauargus (the engine with
HiGHS): microdata of one row per person, ``protect(..., ["PLR", "AGE"], response="one",
safety_rules="FREQ(3,0)", suppress="MOD(1)", hrc={"PLR": "2 2 2 2"})`` (HiTaS, modular),
the files written and read back included (one run, the first loads the library). tau-Argus' premise differs: it may hide totals of
every level (it hides small totals first), and knows neither that zeros are published nor
the single-person case. Its pattern of the lowest level is therefore also audited under
quartier's premise ('tau-Argus fails premise': small counts narrowed below 3 by its pattern
when every total is published, not counting those the totals alone narrow).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from _util import best_of, table

TITLE = "Disclosure control: attack-proof suppression over Berlin's LOR hierarchy"
DATA = (Path(__file__).resolve().parents[2] / "shared" / "data" / "berlin_population"
        / "berlin-lor-population-2024-02-t2-planning-areas.csv")


def berlin(p: float) -> pd.DataFrame:
    pop = pd.read_csv(DATA, dtype={"id": str})
    ages = [c for c in pop.columns if c.startswith("inhabitants_age")
            and not c.endswith("percentage")]
    counts = np.random.default_rng(7).binomial(pop[ages].to_numpy(), p)
    out = pd.DataFrame(counts, index=pop["id"].to_numpy(), columns=[a[16:] for a in ages])
    out["total"] = out.sum(axis=1)
    return out


def tau_argus(t: pd.DataFrame):
    """pytauargus MOD(1) on the table as microdata: (seconds, mask of the lowest cells,
    hidden higher-level cells), or None without pytauargus."""
    try:
        from pytauargus import protect
    except ImportError:
        return None
    import contextlib
    import tempfile

    ages = [c for c in t.columns if c != "total"]
    values = t[ages].to_numpy()
    rows, cols = np.nonzero(values)
    reps = values[rows, cols]
    micro = pd.DataFrame({"PLR": np.repeat(t.index.to_numpy()[rows], reps),
                          "AGE": np.repeat((cols + 1).astype(str), reps), "one": 1.0})
    with tempfile.TemporaryDirectory() as work, contextlib.chdir(work):  # its log files
        start = time.perf_counter()
        res = protect(micro, ["PLR", "AGE"], response="one", safety_rules="FREQ(3,0)",
                      suppress="MOD(1)", hrc={"PLR": "2 2 2 2"}, workdir=work)
        df = res.tables[0].dataframe()
        took = time.perf_counter() - start
    plr, age = df["PLR"].astype(str), df["AGE"].astype(str)
    hidden = df["status"].isin(["U", "M"]).to_numpy()
    low = (plr.str.len() == 8).to_numpy()
    mask = pd.DataFrame(False, index=t.index, columns=t.columns)
    for key, a in zip(plr[low & hidden], age[low & hidden], strict=True):
        mask.loc[key, "total" if a == "Total" else ages[int(a) - 1]] = True
    return took, mask, int((hidden & ~low).sum())


def run(quick: bool) -> str:
    import quartier

    rows = []
    for p in ([0.0003] if quick else [0.0003, 0.002]):
        t = berlin(p)
        values = t.to_numpy()
        small = int(((values > 0) & (values < 3)).sum())
        positive = int((values > 0).sum())
        start = time.perf_counter()
        q = quartier.protect_table(t, 3, total_column="total")
        quick_s = time.perf_counter() - start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            broken = quartier.audit_disclosure(t, q, min_count=3, total_column="total",
                                               hierarchy=[6, 4, 2], single_person=False)
        exact = int((broken.cells["reason"] == "exact").sum())
        tau = tau_argus(t)
        if tau is not None:
            tau_audit = quartier.audit_disclosure(t, tau[1], min_count=3, total_column="total",
                                                  hierarchy=[6, 4, 2], single_person=False)
            tau_cols = {"tau-Argus MOD s": f"{tau[0]:.2f}",
                        "tau-Argus hidden (+ totals)": f"{int(tau[1].to_numpy().sum())} "
                                                       f"(+ {tau[2]})",
                        "tau-Argus fails premise": int((tau_audit.cells["reason"].isin(
                            ["exact", "upper bound below threshold"])).sum())}
        else:
            tau_cols = dict.fromkeys(["tau-Argus MOD s", "tau-Argus hidden (+ totals)",
                                      "tau-Argus fails premise"], "not installed")
        for sp in (False, True):
            took, out = best_of(lambda t=t, sp=sp: quartier.protect_table(
                t, 3, total_column="total", hierarchy=[6, 4, 2], single_person=sp),
                repeat=1 if quick else 3)
            start = time.perf_counter()
            audit = quartier.audit_disclosure(t, out, min_count=3, total_column="total",
                                              hierarchy=[6, 4, 2], single_person=sp)
            audit_s = time.perf_counter() - start
            assert audit.passed, audit.text()
            rows.append({
                "p": p, "single person": "yes" if sp else "no", "small counts": small,
                "positive cells": positive, "quartier s": f"{took:.2f}",
                "hidden": int(out.suppressed.to_numpy().sum()),
                "narrowed by totals": audit.by_totals, "audit s": f"{audit_s:.2f}",
                "audit LPs": audit.lp_solved, "quick rule s": f"{quick_s:.3f}",
                "quick rule hidden": int(q.suppressed.to_numpy().sum()),
                "exact after quick rule": exact, **tau_cols})
    cols = ["p", "single person", "small counts", "positive cells", "quartier s", "hidden",
            "narrowed by totals", "audit s", "audit LPs", "quick rule s", "quick rule hidden",
            "exact after quick rule", "tau-Argus MOD s", "tau-Argus hidden (+ totals)",
            "tau-Argus fails premise"]
    return (__doc__.split("\n", 1)[1].strip() + "\n\n" + table(rows, cols) + "\n\n"
            "- 'narrowed by totals': small counts (or single-person pairs) whose interval the "
            "published totals alone keep below 3 (e.g. the only Planungsraum of a "
            "Bezirksregion, or a column whose Bezirksregion total is 1 or 2); they keep the "
            "widest interval any suppression gives.\n"
            "- The machine was shared with other jobs during the run (load about 4 on 2 "
            "cores), so times are upper bounds.\n")
