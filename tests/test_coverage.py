"""Straight-line coverage: a hand calculation, and real Berlin data against brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

import quartier
from quartier.errors import CRSError, ValueParseError


def test_hand_calculated_three_points_two_facilities():
    # demand at x = 0, 400, 900 (y = 0); facilities at x = 100 and x = 1500
    demand = gpd.GeoDataFrame(
        {"ew": [10, 20, 30]},
        geometry=[Point(0, 0), Point(400, 0), Point(900, 0)],
        crs="EPSG:25832",
    )
    fac = gpd.GeoDataFrame(
        {"name": ["A", "B"]}, geometry=[Point(100, 0), Point(1500, 0)], crs="EPSG:25832",
        index=[7, 8],
    )
    districts = gpd.GeoDataFrame(
        {"id": ["W", "O"]}, geometry=[box(-50, -50, 500, 50), box(500, -50, 2000, 50)],
        crs="EPSG:25832",
    )
    res = quartier.coverage(demand, fac, max_cost=500, demand_col="ew", by=districts, by_key="id")
    assert res.units["cost"].tolist() == [100.0, 300.0, 600.0]
    assert res.units["nearest"].tolist() == [7, 7, 8]
    assert res.units["covered"].tolist() == [True, True, False]
    d = res.districts.set_index("id")
    assert d.loc["W", "population"] == 30 and d.loc["W", "covered_population"] == 30
    assert d.loc["O", "population"] == 30 and d.loc["O", "covered_population"] == 0
    assert d.loc["W", "share_covered"] == 1.0 and d.loc["O", "share_covered"] == 0.0
    # exactly at the limit counts as covered
    assert quartier.coverage(demand, fac, max_cost=600, demand_col="ew").units["covered"].all()


def test_no_facilities_and_empty_districts_are_defined():
    demand = gpd.GeoDataFrame({"ew": [5]}, geometry=[Point(0, 0)], crs="EPSG:25832")
    none = gpd.GeoDataFrame(geometry=[], crs="EPSG:25832")
    districts = gpd.GeoDataFrame(
        {"id": ["a", "leer"]}, geometry=[box(-1, -1, 1, 1), box(5, 5, 6, 6)], crs="EPSG:25832"
    )
    res = quartier.coverage(demand, none, max_cost=500, demand_col="ew", by=districts, by_key="id")
    assert np.isnan(res.units["cost"].iloc[0]) and not res.units["covered"].iloc[0]
    d = res.districts.set_index("id")
    assert d.loc["a", "share_covered"] == 0.0
    assert np.isnan(d.loc["leer", "share_covered"])  # nobody lives there: no share


def test_bad_inputs_have_clear_messages():
    demand = gpd.GeoDataFrame({"ew": [5, -1]}, geometry=[Point(0, 0)] * 2, crs="EPSG:25832")
    fac = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs="EPSG:25832")
    with pytest.raises(ValueParseError, match="negative"):
        quartier.coverage(demand, fac, max_cost=500, demand_col="ew")
    with pytest.raises(ValueError, match="greater than 0"):
        quartier.coverage(demand, fac, max_cost=0, demand_col="ew")
    with pytest.raises(CRSError, match="degrees"):
        quartier.coverage(demand.to_crs(4326), fac.to_crs(4326), max_cost=5, demand_col="ew")
    with pytest.raises(CRSError, match="to_crs"):
        quartier.coverage(demand, fac.to_crs(25833), max_cost=5, demand_col="ew")


def test_berlin_80plus_near_care_homes_matches_brute_force(shared):
    cells = quartier.read_points(
        shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv",
        x="x", y="y", source_crs="EPSG:3035", crs="EPSG:25833",
    )
    homes = quartier.read_facilities(
        shared / "berlin_facilities" / "pflegeeinrichtungen.geojson", capacity="platzzahl"
    )
    plr = quartier.read_districts(
        shared / "berlin_lor" / "lor_planungsraeume_2021.shp", key="PLR_ID", name="PLR_NAME"
    )
    res = quartier.coverage(cells, homes, max_cost=500, demand_col="value", by=plr)
    # independent: full distance matrix with shapely
    dist = np.min(
        np.hypot(
            cells.geometry.x.to_numpy()[:, None] - homes.geometry.x.to_numpy()[None, :],
            cells.geometry.y.to_numpy()[:, None] - homes.geometry.y.to_numpy()[None, :],
        ),
        axis=1,
    )
    assert np.allclose(res.units["cost"], dist)
    covered_total = cells["value"][dist <= 500].sum()
    d = res.districts
    assert d["covered_population"].sum() + res.unassigned["value"][res.unassigned["covered"]].sum() == covered_total
    # mass: every person is in a district or reported as unassigned
    assert d["population"].sum() + res.unassigned["value"].sum() == cells["value"].sum()
    assert (d["covered_population"] <= d["population"]).all()
    assert d["share_covered"].dropna().between(0, 1).all()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 5000), st.floats(0, 5000), st.integers(0, 500)),
             min_size=1, max_size=40),
    st.lists(st.tuples(st.floats(0, 5000), st.floats(0, 5000)), min_size=1, max_size=5),
    st.floats(1, 3000),
)
def test_covered_never_exceeds_population_and_totals_hold(demand, fac, radius):
    d = gpd.GeoDataFrame(
        {"ew": [p for _, _, p in demand]}, geometry=[Point(x, y) for x, y, _ in demand],
        crs="EPSG:25832",
    )
    f = gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in fac], crs="EPSG:25832")
    halves = gpd.GeoDataFrame(
        {"id": ["w", "o"]}, geometry=[box(0, 0, 2500, 5000), box(2500, 0, 5000, 5000)],
        crs="EPSG:25832",
    )
    res = quartier.coverage(d, f, max_cost=radius, demand_col="ew", by=halves, by_key="id")
    assert res.districts["population"].sum() + res.unassigned["ew"].sum() == d["ew"].sum()
    assert (res.districts["covered_population"] <= res.districts["population"]).all()
