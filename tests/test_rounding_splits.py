"""Controlled rounding of one total split several ways (``round_table(..., parts=[...])``):
one rounded total, each split adding up to it in every row and unit; every sum recomputed here
with pandas from the rounded lowest cells, the truth from the original table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quartier
from quartier.errors import ColumnError, ParameterError, QuartierWarning
from test_rounding import AGES, draw_people, groupers, level_names


def check_splits(table, out, base, total, splits, hierarchy):
    cols = [total, *(c for s in splits for c in s)]
    r = out.table[cols]
    assert not r.isna().any().any()
    v, t = r.to_numpy(float), table[cols].to_numpy(float)
    assert (v % base == 0).all()
    assert (v[t == 0] == 0).all()                                     # zeros stay zeros
    if out.zero_restricted:
        assert (np.abs(v - t) < base).all()
        assert (v[t % base == 0] == t[t % base == 0]).all()
    for s in splits:
        assert (r[s].sum(axis=1) == r[total]).all()
    for name, g in zip(level_names(hierarchy), groupers(table, hierarchy), strict=True):
        summed = r.groupby(g.to_numpy()).sum()
        published = out.totals[name][cols]
        assert (published.to_numpy() == summed.to_numpy()).all(), name
        for s in splits:
            assert (published[s].sum(axis=1) == published[total]).all(), name
        if out.zero_restricted:
            true = table[cols].groupby(g.to_numpy()).sum().to_numpy(float)
            assert (np.abs(published.to_numpy(float) - true) < base).all(), name


def test_two_services_share_one_rounded_population():
    t = pd.DataFrame({"people": [7, 12, 11, 12], "near_a": [1, 4, 6, 5], "far_a": [6, 8, 5, 7],
                      "near_b": [3, 12, 2, 11], "far_b": [4, 0, 9, 1]},
                     index=["0101", "0102", "0201", "0202"])
    splits = [["near_a", "far_a"], ["near_b", "far_b"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuartierWarning)
        out = quartier.round_table(t, 5, total_column="people", parts=splits, hierarchy=[2])
    check_splits(t, out, 5, "people", splits, [2])
    assert out.zero_restricted
    # the multiples stay: 5 and 5, the 0 and the 12 of far_b/near_b are next to 0 and 10/15
    assert out.table.loc["0202", "near_a"] == 5 and out.table.loc["0102", "far_b"] == 0


def test_berlin_people_by_age_and_by_two_broad_groups(shared):
    """Berlin's 542 Planungsräume: the people split into 8 age groups and into under 18 and
    18 and over, rounded once over Bezirksregion, Prognoseraum and Bezirk."""
    pop = pd.read_csv(shared / "berlin_population"
                      / "berlin-lor-population-2024-02-t2-planning-areas.csv", dtype={"id": str})
    t = pd.DataFrame(pop[[f"inhabitants_age_{a}" for a in AGES]].to_numpy(),
                     index=pop["id"].to_numpy(), columns=AGES)
    t["total"] = pop["inhabitants"].to_numpy()
    t["young"] = t[["below_6", "6_15", "15_18"]].sum(axis=1)
    t["adult"] = t["total"] - t["young"]
    assert (t[AGES].sum(axis=1) == t["total"]).all() and (t["adult"] >= 0).all()
    splits = [AGES, ["young", "adult"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuartierWarning)
        out = quartier.round_table(t, 5, total_column="total", parts=splits,
                                   hierarchy=[6, 4, 2])
    check_splits(t, out, 5, "total", splits, [6, 4, 2])
    assert out.zero_restricted and len(out.totals["prefix6"]) == 143


@st.composite
def tables(draw):
    keys, people = draw_people(draw)
    t = pd.DataFrame({"people": people}, index=keys)
    splits = []
    for k in range(draw(st.integers(1, 3))):
        shares = np.array(draw(st.lists(st.floats(0, 1), min_size=len(keys),
                                        max_size=len(keys))))
        part = np.floor(people * shares).astype(int)
        t[f"in{k}"], t[f"out{k}"] = part, people - part
        splits.append([f"in{k}", f"out{k}"])
    return t, splits, draw(st.integers(2, 6)), draw(st.sampled_from([[], [2], [4, 2]]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.integers(0, 3))
def test_random_splits_always_add_up(case, seed):
    t, splits, base, hierarchy = case
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QuartierWarning)
        out = quartier.round_table(t, base, total_column="people", parts=splits,
                                   hierarchy=hierarchy, seed=seed)
    assert bool(caught) == (not out.zero_restricted)
    check_splits(t, out, base, "people", splits, hierarchy)


def test_bad_parts():
    t = pd.DataFrame({"ges": [7, 12], "a": [1, 4], "b": [6, 8], "c": [7, 11]},
                     index=["x", "y"])
    with pytest.raises(ColumnError, match=r"not the sum of the count columns 'c' in 1 "
                                          r"row.*'y'.*check parts="):
        quartier.round_table(t, 5, total_column="ges", parts=[["a", "b"], ["c"]])
    with pytest.raises(ParameterError, match="give total_column"):
        quartier.round_table(t, 5, parts=[["a", "b"]])
    with pytest.raises(ParameterError, match="list of lists"):
        quartier.round_table(t, 5, total_column="ges", parts=["a", "b"])
    with pytest.raises(ParameterError, match="list of lists"):
        quartier.round_table(t, 5, total_column="ges", parts=[])
    with pytest.raises(ParameterError, match="holds the total column 'ges' itself"):
        quartier.round_table(t, 5, total_column="ges", parts=[["a", "b", "ges"]])
