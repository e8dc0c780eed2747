"""Statement on a development plan, issue #14: each person counted once (worked example by hand,
allocation property, sensitivity over radii)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

from quartier.errors import ParameterError
from quartier.planning._allocation import allocate
from quartier.planning.statement import ServiceCheck, development_statement

# The worked example of the issue and of docs/guide/needs-plan.md: Kitas A and B, 50 places
# each, 400 m apart; 100 children within 500 m of both, 60 more within 500 m of B only;
# norm 750 per 1,000; the site lies within 500 m of A only and brings 54 children.
KITAS = gpd.GeoDataFrame({"name": ["A", "B"], "plaetze": [50, 50]},
                         geometry=[Point(0, 0), Point(400, 0)], crs=25833)
CHILDREN = gpd.GeoDataFrame({"unter_6": [100, 60]}, geometry=[Point(200, 0), Point(800, 0)],
                            crs=25833)
SITE = gpd.GeoDataFrame(geometry=[box(-360, -10, -340, 10)], crs=25833)  # 350 m from A, 750 from B
PROFILE = {"unter_6": 0.09, "rest": 0.91}  # 300 units x 2 persons x 0.09 = 54 children


def _worked(allocation="capacity", **kw):
    kita = ServiceCheck("Kitas", KITAS, ["unter_6"], 500, "plaetze", 750)
    return development_statement(SITE, housing_units=300, persons_per_unit=2.0,
                                 age_profile=PROFILE, population=CHILDREN, services=[kita],
                                 allocation=allocation, **kw)


def test_worked_example_by_hand():
    s = _worked()
    row = s.table.iloc[0]
    assert row["new_target_group"] == pytest.approx(54.0)
    assert row["own_need"] == pytest.approx(40.5)                 # 54 x 0.75
    assert row["facilities_in_reach"] == 1 and row["places"] == 50  # A only
    assert row["target_group_today"] == pytest.approx(50.0)        # A carries half of the 100
    assert row["required_places_before"] == pytest.approx(37.5)
    assert row["load_before"] == pytest.approx(0.75)
    assert row["load_after"] == pytest.approx((50 + 54) * 0.75 / 50)  # 1.56
    assert round(row["load_after"], 2) == 1.56
    assert row["existing_deficit"] == 0
    assert row["additional_places"] == 28                           # (50 + 54) x 0.75 - 50
    assert row["verdict"] == "durch das Vorhaben überlastet"
    a = s.facilities.set_index("label").loc["A"]
    assert a["in_reach"] and a["allocated_before"] == pytest.approx(50.0)
    assert a["allocated_after"] == pytest.approx(104.0)
    assert not s.facilities.set_index("label").loc["B", "in_reach"]
    # B carries 50 + 60 = 110: the allocation over both Kitas by hand
    rows, cols = np.array([0, 0, 1]), np.array([0, 1, 1])
    assert allocate([100, 60], rows, cols, [50, 50]).tolist() == [50.0, 110.0]


def test_worked_example_everyone_and_equal():
    every = _worked("everyone").table.iloc[0]
    assert every["target_group_today"] == 100
    assert every["load_before"] == pytest.approx(1.5)               # 100 x 0.75 / 50
    assert every["load_after"] == pytest.approx((100 + 54) * 0.75 / 50)
    assert every["verdict"] == "bereits heute überlastet"
    equal = _worked("equal").table.iloc[0]                          # equal places: as capacity
    assert equal["load_before"] == pytest.approx(0.75)
    with pytest.raises(ParameterError, match="allocation='gravity'"):
        _worked("gravity")


def test_sensitivity_over_radii():
    s = _worked(radii=[300, 500, 750])
    t = s.sensitivity.set_index(["max_cost", "allocation"])
    assert len(t) == 9
    assert t.loc[(300.0, "capacity"), "facilities_in_reach"] == 0   # A is 350 m away
    assert t.loc[(500.0, "capacity"), "load_before"] == pytest.approx(0.75)
    assert t.loc[(500.0, "everyone"), "load_before"] == pytest.approx(1.5)
    # 750 m: A and B in reach, all 160 children on 100 places
    assert t.loc[(750.0, "capacity"), "facilities_in_reach"] == 2
    assert t.loc[(750.0, "capacity"), "load_before"] == pytest.approx(160 * 0.75 / 100)
    assert t.loc[(750.0, "everyone"), "load_before"] == pytest.approx(160 * 0.75 / 100)
    default = _worked().sensitivity
    assert sorted(set(default["max_cost"])) == [300.0, 500.0, 750.0]


@settings(max_examples=200, deadline=None)
@given(
    demand=st.lists(st.integers(0, 500), min_size=1, max_size=12),
    places=st.lists(st.integers(0, 120), min_size=1, max_size=8),
    links=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 7)), max_size=40),
    how=st.sampled_from(["capacity", "equal"]),
)
def test_allocated_demand_equals_demand_in_reach_of_any_facility(demand, places, links, how):
    pairs = sorted({(i % len(demand), j % len(places)) for i, j in links})
    rows = np.array([p[0] for p in pairs], dtype=np.int64)
    cols = np.array([p[1] for p in pairs], dtype=np.int64)
    allocated = allocate(demand, rows, cols, places, how)
    in_reach = np.zeros(len(demand), bool)
    in_reach[rows] = True
    assert allocated.sum() == pytest.approx(np.asarray(demand, float)[in_reach].sum())
    assert (allocated >= 0).all()
    if how == "capacity":  # a facility without places carries nobody where others have places
        for j in np.flatnonzero(np.asarray(places) == 0):
            users = rows[cols == j]
            if all(np.asarray(places)[cols[rows == u]].sum() > 0 for u in users):
                assert allocated[j] == 0


@settings(max_examples=25, deadline=None)
@given(
    fac=st.lists(st.tuples(st.floats(0, 2 * np.pi), st.floats(0, 480), st.integers(0, 80)),
                 min_size=1, max_size=6),
    cells=st.lists(st.tuples(st.floats(-1000, 1000), st.floats(-1000, 1000),
                             st.integers(0, 300)), min_size=1, max_size=15),
    how=st.sampled_from(["capacity", "equal"]),
)
def test_statement_allocates_every_person_in_reach_once(fac, cells, how):
    """Every facility in reach of the site (all within 480 m): the demand set against them is
    exactly the demand of the cells within 500 m of any facility (brute force), and the
    facilities' allocated demand adds up to it."""
    kx = np.array([r * np.cos(a) for a, r, _ in fac])
    ky = np.array([r * np.sin(a) for a, r, _ in fac])
    kitas = gpd.GeoDataFrame({"plaetze": [p for *_, p in fac]},
                             geometry=[Point(x, y) for x, y in zip(kx, ky, strict=True)],
                             crs=25833)
    people = gpd.GeoDataFrame({"unter_6": [n for *_, n in cells]},
                              geometry=[Point(x, y) for x, y, _ in cells], crs=25833)
    site = gpd.GeoDataFrame(geometry=[box(-1, -1, 1, 1)], crs=25833)  # inside point (0, 0)
    s = development_statement(site, housing_units=10, age_profile=PROFILE, population=people,
                              allocation=how, services=[
                                  ServiceCheck("Kitas", kitas, ["unter_6"], 500, "plaetze", 750)])
    cx = np.array([x for x, _, _ in cells])
    cy = np.array([y for _, y, _ in cells])
    reach = (np.hypot(cx[:, None] - kx[None, :], cy[:, None] - ky[None, :]) <= 500).any(axis=1)
    expected = people["unter_6"].to_numpy(float)[reach].sum()
    row = s.table.iloc[0]
    assert row["facilities_in_reach"] == len(fac)
    assert row["target_group_today"] == pytest.approx(expected, abs=1e-6)
    assert s.facilities["allocated_before"].sum() == pytest.approx(expected, abs=1e-6)
