"""Controlled rounding with a total rounded elsewhere (``round_table(..., fixed=[...])``): the
fixed column is kept, the other columns add up to it in every row and every unit; every sum is
recomputed here with pandas from the rounded lowest cells, the truth from the original table."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quartier
from quartier.errors import ColumnError, ParameterError, QuartierWarning
from test_rounding import check_rounding, draw_people, groupers, level_names


def check_fixed(table, fixed_total, out, base, parts, total, hierarchy):
    """``table``: the true parts (and true total); ``fixed_total``: the rounded total kept."""
    r = out.table
    assert (r[total].to_numpy() == np.asarray(fixed_total)).all()          # kept as it was
    assert (r[parts].sum(axis=1).to_numpy() == r[total].to_numpy()).all()  # rows add up
    t = table[parts].to_numpy(float)
    rounded = r[parts].to_numpy(float)
    assert not np.isnan(rounded).any()
    assert (rounded % base == 0).all()
    assert (rounded[t == 0] == 0).all()                                    # zeros stay zeros
    if out.zero_restricted:
        assert (np.abs(rounded - t) < base).all()
        assert (rounded[t % base == 0] == t[t % base == 0]).all()
    for name, g in zip(level_names(hierarchy), groupers(table, hierarchy), strict=True):
        summed = r[[*parts, total]].groupby(g.to_numpy()).sum()
        true = table[parts].groupby(g.to_numpy()).sum()
        published = out.totals[name]
        assert (published[[*parts, total]].to_numpy() == summed.to_numpy()).all(), name
        assert (published[parts].sum(axis=1) == published[total]).all(), name
        p = published[parts].to_numpy(float)
        assert (p[true.to_numpy() == 0] == 0).all()
        if out.zero_restricted:
            assert (np.abs(p - true.to_numpy(float)) < base).all(), name


def test_a_second_split_of_the_same_people_keeps_the_rounded_total():
    t = pd.DataFrame({"covered": [1, 4, 6, 5], "uncovered": [6, 8, 5, 7]},
                     index=["0101", "0102", "0201", "0202"])
    t["people"] = t.sum(axis=1)
    first = quartier.round_table(t, 5, total_column="people", hierarchy=[2])
    check_rounding(t, first, 5, ["covered", "uncovered", "people"], "people", [2])
    second = pd.DataFrame({"covered": [3, 12, 2, 11], "uncovered": [4, 0, 9, 1]}, index=t.index)
    assert (second.sum(axis=1) == t["people"]).all()
    second["people"] = first.table["people"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuartierWarning)
        out = quartier.round_table(second, 5, total_column="people", hierarchy=[2],
                                   fixed=["people"])
    check_fixed(second.assign(people=t["people"]), first.table["people"], out, 5,
                ["covered", "uncovered"], "people", [2])
    # the same rounded population at every level as the first rounding
    for level in ("prefix2", "total"):
        assert out.totals[level]["people"].tolist() == first.totals[level]["people"].tolist()
    assert out.zero_restricted and out.relaxed == 0


def test_no_zero_restricted_rounding_with_a_fixed_total_falls_back():
    """The docstring's case: covered (7, 3, 5) with uncovered (5, 0, 8), a population fixed at
    (10, 0, 15): a multiple stays (5 uncovered, 5 covered) and a population 0 takes its parts
    to 0, so covered must be 5, 0, 5, whose sum 10 misses the city's covered 15 (a multiple,
    which stays). Every choice is tried by hand; then the fallback moves one cell."""
    t = pd.DataFrame({"covered": [7, 3, 5], "uncovered": [5, 0, 8]},
                     index=["0000", "0101", "0102"])
    fixed = np.array([10, 0, 15])
    truth = t.assign(people=t.sum(axis=1))
    # hand check: no zero-restricted choice adds up
    options = []
    for c, u, p in zip(t["covered"], t["uncovered"], fixed, strict=True):
        near = lambda v: {v} if v % 5 == 0 else {v // 5 * 5, v // 5 * 5 + 5}  # noqa: E731
        options.append([(a, p - a) for a in near(c) if p - a in near(u)])
    assert [len(o) for o in options] == [1, 1, 1]
    assert sum(o[0][0] for o in options) == 10 and t["covered"].sum() == 15
    with pytest.warns(QuartierWarning, match="1 cell.s. moved by a further base"):
        out = quartier.round_table(t.assign(people=fixed), 5, total_column="people",
                                   hierarchy=[2], fixed=["people"])
    assert not out.zero_restricted and out.relaxed == 1
    check_fixed(truth, fixed, out, 5, ["covered", "uncovered"], "people", [2])


@st.composite
def splits(draw):
    """A population over a hierarchy, split twice into parts (two services)."""
    keys, people = draw_people(draw)
    shares = np.array(draw(st.lists(st.floats(0, 1), min_size=len(keys), max_size=len(keys))))
    covered = np.floor(people * shares).astype(int)
    table = pd.DataFrame({"covered": covered, "uncovered": people - covered}, index=keys)
    table["people"] = people
    base = draw(st.integers(2, 6))
    hierarchy = draw(st.sampled_from([[], [2], [4, 2], [4]]))
    return table, base, hierarchy


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(splits(), st.integers(0, 3))
def test_random_splits_always_add_up_to_the_fixed_total(case, seed):
    table, base, hierarchy = case
    population = quartier.round_table(table[["people"]], base, columns=["people"],
                                      hierarchy=hierarchy, seed=seed)
    fixed = population.table["people"].to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QuartierWarning)
        out = quartier.round_table(table.assign(people=fixed), base, total_column="people",
                                   hierarchy=hierarchy, seed=seed, fixed=["people"])
    assert bool(caught) == (not out.zero_restricted)
    check_fixed(table, fixed, out, base, ["covered", "uncovered"], "people", hierarchy)
    for level in level_names(hierarchy):
        assert (out.totals[level]["people"].to_numpy()
                == population.totals[level]["people"].to_numpy()).all()


def test_fixed_part_and_total_and_a_column_without_total():
    t = pd.DataFrame({"a": [5, 10], "b": [3, 4]}, index=["x", "y"])
    t["ges"] = [10, 15]                     # a fixed at 5, 10; b must be 5, 5
    out = quartier.round_table(t, 5, total_column="ges", fixed=["a", "ges"])
    assert out.table.to_dict("list") == {"a": [5, 10], "b": [5, 5], "ges": [10, 15]}
    # a fixed column without a total: kept, its city total is its sum
    out = quartier.round_table(pd.DataFrame({"a": [5, 10], "b": [3, 4]}), 5, fixed=["a"])
    assert out.table["a"].tolist() == [5, 10] and out.totals["total"]["a"].tolist() == [15]
    assert set(out.table["b"]) <= {0, 5}


def test_bad_fixed_columns():
    t = pd.DataFrame({"a": [1, 4], "b": [6, 8]}, index=["0101", "0202"])
    with pytest.raises(ColumnError, match=r"fixed column 'ges' has values that are not "
                                          r"multiples of 5 in 1 row.*0202"):
        quartier.round_table(t.assign(ges=[5, 12]), 5, total_column="ges", fixed=["ges"])
    # 7 and 12 true: 10 and 15 are roundings, 0 is not (and a city total of 10 neither)
    with pytest.raises(ColumnError, match=r"not a rounding to 5 of the sum of its parts in 1 "
                                          r"row.*0202"):
        quartier.round_table(t.assign(ges=[10, 0]), 5, total_column="ges", fixed=["ges"])
    # each row 1 -> 5 is a rounding, but the Bezirk's 2 -> 10 is not
    with pytest.raises(ColumnError, match=r"in 1 unit\(s\) of level 'prefix2', e.g. .*02"):
        t3 = pd.DataFrame({"a": [1, 1], "b": [0, 0]}, index=["0201", "0202"])
        quartier.round_table(t3.assign(ges=[5, 5]), 5, total_column="ges", fixed=["ges"],
                             hierarchy=[2])
    with pytest.raises(ParameterError, match="but not the total itself"):
        quartier.round_table(t.assign(ges=[7, 12]), 5, total_column="ges", fixed=["a"])
    with pytest.raises(ParameterError, match="fixed must be a list"):
        quartier.round_table(t.assign(ges=[10, 10]), 5, total_column="ges", fixed="ges")


def test_relaxation_never_moves_zeros_or_fixed_cells():
    """Three cells 1 with all three pairwise sums 2, base 2 (no zero-restricted rounding);
    with a zero and a fixed cell beside them, the relaxation moves neither."""
    import scipy.sparse as sp

    from quartier.reporting import _rounding

    vals = np.array([1, 1, 1, 2, 2, 2, 0, 4])
    A = sp.csr_matrix(np.array([[-1, -1, 0, 1, 0, 0, 0, 0], [0, -1, -1, 0, 1, 0, 0, 0],
                                [-1, 0, -1, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 0],
                                [-1, 0, 0, 0, 0, 0, -1, 1]]))
    # the last row: cell 7 (4, fixed) = cell 0 + cell 6 (a zero): cell 0 must become 4
    fixed = np.zeros(vals.size, dtype=bool)
    fixed[7] = True
    res = _rounding.solve(vals, A, 2, fixed=fixed)
    assert not res.zero_restricted
    assert res.values[6] == 0 and res.values[7] == 4 and res.values[0] == 4
    assert (A @ res.values == 0).all() and (res.values % 2 == 0).all()


def test_every_choice_checked_by_brute_force_on_small_tables():
    """Zero-restricted with a fixed total exactly when a brute-force search over every choice
    finds one (six rows in three Bezirke, base 5; one of the 100 tables has none)."""
    rng = np.random.default_rng(1)
    base = 5
    keys = ["0101", "0102", "0201", "0202", "0301", "0302"]
    units = [[0, 1], [2, 3], [4, 5], [0, 1, 2, 3, 4, 5]]

    def near(v):
        return [v] if v % base == 0 else [v // base * base, v // base * base + base]

    found = []
    for _ in range(100):
        people = rng.integers(0, 15, 6)
        covered = rng.integers(0, people + 1)
        uncovered = people - covered
        t = pd.DataFrame({"c": covered, "u": uncovered}, index=keys)
        fixed = quartier.round_table(pd.DataFrame({"p": people}, index=keys), base,
                                     columns=["p"], hierarchy=[2],
                                     seed=int(rng.integers(9))).table["p"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuartierWarning)
            out = quartier.round_table(t.assign(p=fixed), base, total_column="p",
                                       hierarchy=[2], fixed=["p"])
        exists = False
        for cs in itertools.product(*[near(c) for c in covered]):
            cs = np.array(cs)
            us = fixed - cs
            if all(u in near(v) for u, v in zip(us, uncovered, strict=True)) and all(
                    cs[g].sum() in near(covered[g].sum()) and us[g].sum() in near(
                        uncovered[g].sum()) for g in units):
                exists = True
                break
        assert out.zero_restricted == exists, (t, fixed)
        check_fixed(t.assign(p=people), fixed, out, base, ["c", "u"], "p", [2])
        found.append(exists)
    assert found.count(False) == 1
