"""Controlled rounding (round_table): every sum re-computed here with pandas from the rounded
lowest cells, the truth from the original table, and an interval attacker (scipy linprog)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import quartier
from quartier.errors import ColumnError, ParameterError, QuartierWarning

AGES = ["below_6", "6_15", "15_18", "18_27", "27_45", "45_55", "55_65", "above_65"]


def level_names(hierarchy):
    return [h if isinstance(h, str) else f"prefix{h}" for h in hierarchy] + ["total"]


def groupers(table, hierarchy):
    keys = pd.Series(table.index.astype(str), index=table.index)
    out = []
    for h in hierarchy:
        out.append(table[h].astype(str) if isinstance(h, str) else keys.str[:h])
    out.append(pd.Series("total", index=table.index))
    return out


def check_rounding(table, out, base, cols, total_column, hierarchy):
    """Independent checks of a controlled rounding: multiples, within one base, additive."""
    rounded = out.table[cols]
    truth = table[cols]
    assert not rounded.isna().any().any()
    r, t = rounded.to_numpy(float), truth.to_numpy(float)
    assert (r % base == 0).all()
    assert (np.abs(r - t) < base).all()
    assert (r[t % base == 0] == t[t % base == 0]).all()      # zero-restricted
    assert out.zero_restricted and out.relaxed == 0
    assert not out.suppressed.to_numpy().any()
    assert out.suppressed.shape == out.table.shape
    if total_column is not None:
        parts = [c for c in cols if c != total_column]
        assert (rounded[parts].sum(axis=1) == rounded[total_column]).all()
    assert list(out.totals) == level_names(hierarchy)
    for name, g in zip(level_names(hierarchy), groupers(table, hierarchy), strict=True):
        summed = rounded.groupby(g.to_numpy()).sum()
        true = truth.groupby(g.to_numpy()).sum()
        published = out.totals[name]
        assert published.index.astype(str).tolist() == summed.index.astype(str).tolist()
        p = published[cols].to_numpy(float)
        assert (p == summed.to_numpy(float)).all(), name                 # parts add up
        assert (p % base == 0).all()
        assert (np.abs(p - true.to_numpy(float)) < base).all(), name     # within one base
        if total_column is not None:
            assert (published[parts].sum(axis=1) == published[total_column]).all()


def test_hand_example():
    # two Bezirke of two Planungsräume; base 5
    t = pd.DataFrame({"a": [1, 4, 6, 5], "b": [6, 8, 5, 7]}, index=["0101", "0102", "0201", "0202"])
    t["ges"] = t["a"] + t["b"]
    out = quartier.round_table(t, 5, total_column="ges", hierarchy=[2])
    check_rounding(t, out, 5, ["a", "b", "ges"], "ges", [2])
    # the multiples stay: a of 0202 is 5, b of 0201 is 5
    assert out.table.loc["0202", "a"] == 5 and out.table.loc["0201", "b"] == 5
    # hand calculation of the least deviation: city totals a = 16, b = 26, ges = 42; the
    # cells 1, 4, 6, 6, 8, 7 and sums deviate at least by their distance to the nearest
    # multiple; the result is additive and its deviation is the least possible (brute force)
    import itertools
    vals = t.to_numpy()
    best = None
    for ups in itertools.product([0, 1], repeat=vals.size):
        r = (vals // 5 + np.array(ups).reshape(vals.shape)) * 5
        r[vals % 5 == 0] = vals[vals % 5 == 0]
        if (r[:, 0] + r[:, 1] != r[:, 2]).any():
            continue
        sums = [r[:2].sum(0), r[2:].sum(0), r.sum(0)]
        trues = [vals[:2].sum(0), vals[2:].sum(0), vals.sum(0)]
        if any((np.abs(s - v) >= 5).any() or (s % 5).any() or ((v % 5 == 0) & (s != v)).any()
               for s, v in zip(sums, trues, strict=True)):
            continue
        dev = np.abs(r - vals).sum() + sum(np.abs(s - v).sum()
                                           for s, v in zip(sums, trues, strict=True))
        best = dev if best is None else min(best, dev)
    got = out.table[["a", "b", "ges"]].to_numpy()
    got_dev = np.abs(got - vals).sum() + sum(
        np.abs(out.totals[k].to_numpy() - v).sum()
        for k, v in [("prefix2", np.array([vals[:2].sum(0), vals[2:].sum(0)])),
                     ("total", vals.sum(0)[None, :])])
    assert got_dev == best
    assert out.table["a"].dtype == np.int64
    assert repr(out) == "RoundingResult(4 rows rounded to base 5, zero-restricted)"


def test_no_hierarchy_rounds_columns_and_city_totals():
    t = pd.DataFrame({"n": [1, 1, 1, 1, 1, 1, 1], "name": list("abcdefg")})
    out = quartier.round_table(t, 3)
    assert out.table["name"].tolist() == list("abcdefg")
    assert out.totals["total"]["n"].tolist() == [int(out.table["n"].sum())]
    assert out.totals["total"]["n"].iloc[0] in (6, 9)
    assert set(out.table["n"]) <= {0, 3}


def test_seed_gives_the_same_rounding_and_float_columns_stay_float():
    rng = np.random.default_rng(3)
    t = pd.DataFrame(rng.integers(0, 20, (30, 4)).astype(float), columns=list("abcd"),
                     index=[f"{i // 10:02d}{i % 10:02d}" for i in range(30)])
    a = quartier.round_table(t, 5, columns=list("abcd"), hierarchy=[2], seed=4)
    b = quartier.round_table(t, 5, columns=list("abcd"), hierarchy=[2], seed=4)
    assert a.table.equals(b.table)
    assert a.table["a"].dtype == float
    check_rounding(t, a, 5, list("abcd"), None, [2])


@pytest.fixture(scope="module")
def berlin(shared):
    pop = pd.read_csv(shared / "berlin_population"
                      / "berlin-lor-population-2024-02-t2-planning-areas.csv", dtype={"id": str})
    table = pd.DataFrame(pop[[f"inhabitants_age_{a}" for a in AGES]].to_numpy(),
                         index=pop["id"].to_numpy(), columns=AGES)
    table["total"] = pop["inhabitants"].to_numpy()
    assert len(table) == 542 and (table[AGES].sum(axis=1) == table["total"]).all()
    return table


def test_berlin_planning_areas_by_age_add_up(berlin):
    cols = [*AGES, "total"]
    # plain rounding of each cell: the 310 of 542 rows do not add up
    plain = (np.floor(berlin[cols] / 5 + 0.5) * 5).astype(int)
    assert int((plain[AGES].sum(axis=1) != plain["total"]).sum()) == 310
    out = quartier.round_table(berlin, 5, total_column="total", hierarchy=[6, 4, 2])
    check_rounding(berlin, out, 5, cols, "total", [6, 4, 2])
    assert [len(out.totals[k]) for k in ("prefix6", "prefix4", "prefix2", "total")] == [
        143, 58, 12, 1]
    assert int((out.table[AGES].sum(axis=1) != out.table["total"]).sum()) == 0


def test_berlin_with_parent_columns_equals_key_prefixes(berlin):
    t = berlin.copy()
    t["BZR"], t["PGR"], t["BEZ"] = t.index.str[:6], t.index.str[:4], t.index.str[:2]
    by_columns = quartier.round_table(t, 5, columns=[*AGES, "total"], total_column="total",
                                      hierarchy=["BZR", "PGR", "BEZ"], seed=1)
    by_prefix = quartier.round_table(berlin, 5, total_column="total", hierarchy=[6, 4, 2],
                                     seed=1)
    check_rounding(t, by_columns, 5, [*AGES, "total"], "total", ["BZR", "PGR", "BEZ"])
    assert by_columns.table[[*AGES, "total"]].equals(by_prefix.table)
    assert by_columns.table["BEZ"].equals(t["BEZ"])
    assert (by_columns.totals["BEZ"].to_numpy() == by_prefix.totals["prefix2"].to_numpy()).all()


@st.composite
def small_tables(draw):
    n_bez = draw(st.integers(1, 3))
    keys = []
    for b in range(n_bez):
        for r in range(draw(st.integers(1, 3))):
            keys += [f"{b:02d}{r:02d}{p:02d}" for p in range(draw(st.integers(1, 3)))]
    m = draw(st.integers(1, 4))
    cells = draw(st.lists(st.integers(0, 12), min_size=len(keys) * m, max_size=len(keys) * m))
    t = pd.DataFrame(np.array(cells).reshape(len(keys), m), index=keys,
                     columns=[f"c{j}" for j in range(m)])
    with_total = draw(st.booleans())
    if with_total:
        t["tot"] = t.sum(axis=1)
    base = draw(st.integers(1, 6))
    hierarchy = draw(st.sampled_from([[], [2], [4, 2], [4]]))
    return t, base, ("tot" if with_total else None), hierarchy


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables(), st.integers(0, 3))
def test_random_small_tables_always_add_up(case, seed):
    t, base, total, hierarchy = case
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuartierWarning)   # zero-restricted: no relaxation
        out = quartier.round_table(t, base, total_column=total, hierarchy=hierarchy, seed=seed)
    check_rounding(t, out, base, list(t.columns), total, hierarchy)


def windows(r, base):
    """The true values an attacker allows for a published rounded value ``r``."""
    lo = np.where(r == 0, 0.0, r - base + 1)
    hi = np.where(r == 0, base - 1.0, r + base - 1)
    return lo, hi


def test_rounded_parts_and_totals_give_no_small_count_back(berlin):
    base = 5
    # a rare characteristic: many counts 1 and 2
    rng = np.random.default_rng(7)
    rare = pd.DataFrame(rng.binomial(berlin[AGES].to_numpy(), 0.002), index=berlin.index,
                        columns=AGES)
    rare = rare[rare.index.str[:2] == "01"]     # one Bezirk: the attacker's LP stays small
    rare["total"] = rare[AGES].sum(axis=1)
    cols = [*AGES, "total"]
    out = quartier.round_table(rare, base, total_column="total", hierarchy=[6, 4, 2])
    check_rounding(rare, out, base, cols, "total", [6, 4, 2])
    r = out.table[cols].to_numpy(float)
    # every difference "published total - other published parts" is a multiple of the base,
    # so it is never 1 or 2
    derived = r[:, -1:] - (r[:, :-1].sum(axis=1, keepdims=True) - r[:, :-1])
    assert (derived % base == 0).all() and not np.isin(derived, [1, 2]).any()
    for g, name in zip(groupers(rare, [6, 4, 2]), level_names([6, 4, 2]), strict=True):
        parent = out.totals[name].loc[g.to_numpy(), cols].to_numpy(float)
        sib = pd.DataFrame(r).groupby(g.to_numpy()).transform("sum").to_numpy()
        derived = parent - (sib - r)
        assert (derived % base == 0).all() and not np.isin(derived, [1, 2]).any()
    # the interval attacker: true lowest cells x (continuous), every published cell's true
    # value within its rounding window, all sums exact; a cell 1 or 2 is disclosed when its
    # upper bound is below 3
    n, m = r.shape
    lo, hi = windows(r[:, :-1].ravel(), base)          # parts; the total column is their sum
    A, blo, bhi = [], [], []
    for g, name in zip(groupers(rare, [6, 4, 2]), level_names([6, 4, 2]), strict=True):
        codes, units = pd.factorize(g.to_numpy())
        pub = out.totals[name].loc[units, cols].to_numpy(float)
        for u in range(len(units)):
            for j in range(m):
                row = np.zeros((n, m - 1))
                if j == m - 1:
                    row[codes == u, :] = 1
                else:
                    row[codes == u, j] = 1
                a, b = windows(np.array([pub[u, j]]), base)
                A.append(row.ravel())
                blo.append(a[0])
                bhi.append(b[0])
    for i in range(n):                                   # the total column of each row
        row = np.zeros((n, m - 1))
        row[i] = 1
        a, b = windows(np.array([r[i, -1]]), base)
        A.append(row.ravel())
        blo.append(a[0])
        bhi.append(b[0])
    A = np.array(A)
    A_ub = np.vstack([A, -A])
    b_ub = np.concatenate([bhi, -np.array(blo)])
    truth = rare[AGES].to_numpy(float).ravel()
    assert (A @ truth <= np.array(bhi) + 1e-9).all() and (A @ truth >= np.array(blo) - 1e-9).all()
    small = np.flatnonzero((truth >= 1) & (truth <= 2))
    assert small.size > 20
    for i in small:
        cost = np.zeros(truth.size)
        cost[i] = -1
        res = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=list(zip(lo, hi, strict=True)),
                      method="highs")
        assert res.status == 0, res.message
        assert -res.fun >= 3 - 1e-6, (i, -res.fun)


def test_relaxation_when_no_zero_restricted_rounding_exists():
    # three cells 1 with all three pairwise sums 2 published, base 2: rounding each cell to
    # 0 or 2 cannot keep the three sums at 2 (a three-way structure); one more base is needed
    import scipy.sparse as sp

    from quartier.reporting import _rounding

    vals = np.array([1, 1, 1, 2, 2, 2])
    A = sp.csr_matrix(np.array([[-1, -1, 0, 1, 0, 0], [0, -1, -1, 0, 1, 0],
                                [-1, 0, -1, 0, 0, 1]]))
    res = _rounding.solve(vals, A, 2)
    assert not res.zero_restricted and res.relaxed.sum() == 1
    assert (A @ res.values == 0).all() and (res.values % 2 == 0).all()
    assert (np.abs(res.values - vals) < 2 * 2).all()


def test_fallback_keeps_parts_adding_up(monkeypatch):
    # force the zero-restricted step to fail: the relaxed model (further bases allowed at a
    # high cost) finds the same kind of rounding, moving no cell further than needed
    from quartier.reporting import _rounding

    monkeypatch.setattr(_rounding, "_binary", lambda *args: None)
    t = pd.DataFrame({"a": [1, 4, 6, 5], "b": [6, 8, 5, 7]}, index=["0101", "0102", "0201", "0202"])
    t["ges"] = t["a"] + t["b"]
    out = quartier.round_table(t, 5, total_column="ges", hierarchy=[2])
    check_rounding(t, out, 5, ["a", "b", "ges"], "ges", [2])


def test_relaxation_is_reported(monkeypatch):
    from quartier.reporting import _rounding

    real = _rounding.solve

    def relaxed(values, A, base, seed=0, fixed=None):
        out = real(values, A, base, seed, fixed)
        out.relaxed[0] = True   # as if the first cell had moved by a further base
        return _rounding.Rounded(out.values, out.relaxed, False)

    monkeypatch.setattr(_rounding, "solve", relaxed)
    t = pd.DataFrame({"a": [1, 4], "b": [6, 8]}, index=["0101", "0102"])
    with pytest.warns(QuartierWarning, match="1 cell.s. moved by a further base"):
        out = quartier.round_table(t, 5)
    assert not out.zero_restricted and out.relaxed == 1
    assert repr(out) == "RoundingResult(2 rows rounded to base 5, 1 cell(s) moved by a further base)"


@pytest.mark.parametrize("base", [0, -5, 2.5, True, "5", float("nan")])
def test_bad_base(base):
    with pytest.raises(ParameterError, match="base must be a positive whole number"):
        quartier.round_table(pd.DataFrame({"n": [1]}), base)


@pytest.mark.parametrize("values, message", [
    ([1.0, np.nan], "'n' has missing or infinite values in 1 row"),
    ([1.0, np.inf], "'n' has missing or infinite values"),
    ([1, -2], "'n' has negative values"),
    ([1.5, 2.0], "'n' has values that are not whole numbers"),
])
def test_bad_counts(values, message):
    with pytest.raises(ColumnError, match=message):
        quartier.round_table(pd.DataFrame({"n": values}, index=["x", "y"]), 5, columns=["n"])


def test_bad_tables():
    t = pd.DataFrame({"a": [1, 2], "b": [3, 4], "ges": [4, 7]}, index=["0101", "0102"])
    with pytest.raises(ColumnError, match=r"total column 'ges' is not the sum.*0102"):
        quartier.round_table(t, 5, total_column="ges")
    with pytest.raises(ColumnError, match="'nope'"):
        quartier.round_table(t, 5, columns=["nope"])
    with pytest.raises(ColumnError, match="'BEZ'"):
        quartier.round_table(t, 5, columns=["a"], hierarchy=["BEZ"])
    with pytest.raises(ParameterError, match="hierarchy must be a list"):
        quartier.round_table(t, 5, columns=["a"], hierarchy=2)
    with pytest.raises(ParameterError, match="prefix lengths"):
        quartier.round_table(t, 5, columns=["a"], hierarchy=[0])
    with pytest.raises(ColumnError, match="row labels repeat"):
        quartier.round_table(t.set_axis(["x", "x"]), 5, columns=["a"])
    with pytest.raises(ColumnError, match="does not nest"):
        quartier.round_table(t.assign(p=["1", "2"], q=["z", "z"]).set_axis(["x", "y"]), 5,
                             columns=["a"], hierarchy=["q", "p"])
    with pytest.raises(ColumnError, match="not numeric"):
        quartier.round_table(t.assign(s=["1", "2"]), 5, columns=["s"])
    with pytest.raises(ColumnError, match="no count column"):
        quartier.round_table(pd.DataFrame({"name": ["a"]}), 5)


def draw_people(draw):
    """A hypothesis draw: Planungsraum-like keys (1-3 Bezirke x 1-3 Regionen x 1-3 Räume,
    prefixes 2 and 4) and 0-25 people in each."""
    keys = []
    for b in range(draw(st.integers(1, 3))):
        for r in range(draw(st.integers(1, 3))):
            keys += [f"{b:02d}{r:02d}{p:02d}" for p in range(draw(st.integers(1, 3)))]
    people = np.array(draw(st.lists(st.integers(0, 25), min_size=len(keys),
                                    max_size=len(keys))))
    return keys, people
