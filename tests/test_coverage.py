"""Straight-line coverage: a hand calculation, and real Berlin data against brute force."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
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
    res = quartier.coverage(cells, homes, max_cost=500, demand_col="value", by=plr, by_key="PLR_ID")
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
    inhabited = d["population"] > 0
    assert inhabited.any() and d.loc[inhabited, "share_covered"].between(0, 1).all()
    assert d.loc[~inhabited, "share_covered"].isna().all()  # no people: no share, not 0


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


# ---------------------------------------------------------------- district demand


def _two_districts():
    return gpd.GeoDataFrame(
        {"id": ["W", "O"], "ew": [400.0, 100.0]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:25832",
    )


def test_district_demand_spread_by_area_matches_geometry():
    districts = _two_districts()
    # a facility at the west edge of W: within 500 m lies a half disc of W, nothing of O
    fac = gpd.GeoDataFrame(geometry=[Point(0, 500)], crs="EPSG:25832")
    res = quartier.coverage(districts, fac, max_cost=500, demand_col="ew", spacing=20,
                            by=districts, by_key="id")
    assert res.kind == "districts"
    u = res.units.set_index("id")
    exact = np.pi * 500**2 / 2 / 1e6  # share of W's area in reach
    assert u.loc["W", "share_covered"] == pytest.approx(exact, abs=0.01)
    assert u.loc["O", "share_covered"] == 0
    # mass: the samples of each district sum to its count
    sums = res.samples.groupby("unit")["population"].sum()
    assert np.allclose(sums.sort_index().to_numpy(), [400, 100])
    d = res.districts.set_index("id")
    assert d.loc["W", "covered_population"] == pytest.approx(u.loc["W", "covered_population"])
    assert np.isclose(d["population"].sum(), 500)


def test_district_demand_follows_a_population_grid():
    districts = _two_districts()
    # everyone of W lives in its east half (x = 750), the grid has nobody in O
    grid = gpd.GeoDataFrame(
        {"ew_gesamt": [30.0, 10.0, 0.0]},
        geometry=[Point(750, 250), Point(750, 750), Point(1500, 500)], crs="EPSG:25832",
    )
    fac = gpd.GeoDataFrame(geometry=[Point(1000, 500)], crs="EPSG:25832")
    with pytest.warns(quartier.QuartierWarning, match="no population in the grid"):
        res = quartier.coverage(districts, fac, max_cost=400, demand_col="ew",
                                population=grid, population_col="ew_gesamt")
    # W: 3/4 of 400 at (750, 250) [dist 354, covered], 1/4 at (750, 750) [354, covered]
    u = res.units.set_index("id")
    assert u.loc["W", "covered_population"] == pytest.approx(400)
    w = res.samples[res.samples["unit"] == 0]
    assert sorted(w["population"].round(6).tolist()) == [100.0, 300.0]
    # O has no grid population: spread by area (reported), 400 m around (1000, 500)
    assert res.report.area_fallback == [1]
    assert 0 < u.loc["O", "share_covered"] < 1


def test_district_demand_from_the_zensus_raster(shared):
    plr = quartier.read_districts(
        shared / "berlin_lor" / "lor_planungsraeume_2021.shp", key="PLR_ID")
    table = quartier.read_table(
        shared / "berlin_population" / "berlin-lor-population-2024-02-t2-planning-areas.csv",
        key="id")
    joined, _ = quartier.join_indicators(plr, table, left_on="PLR_ID", right_on="id")
    joined = joined[joined["PLR_ID"].str.startswith("01")]  # Mitte, to stay quick
    homes = quartier.read_facilities(
        shared / "berlin_facilities" / "pflegeeinrichtungen.geojson", capacity="platzzahl")
    raster = shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", quartier.QuartierWarning)
        res = quartier.coverage(joined, homes, max_cost=500, demand_col="inhabitants_age_above_65",
                                population=str(raster), by=joined, by_key="PLR_ID")
    u = res.units
    assert np.allclose(res.samples.groupby("unit")["population"].sum().reindex(u.index)
                       .fillna(0), u["population"])
    assert (u["covered_population"] <= u["population"] + 1e-9).all()
    inhabited = u["population"] > 0
    assert u.loc[inhabited, "share_covered"].between(0, 1).all()
    assert u.loc[~inhabited, "share_covered"].isna().all()  # no people: no share, not 0
    assert (res.samples["source"] == "grid").mean() > 0.9
    # independent: every sample's distance to its nearest home by brute force
    sx, sy = res.samples.geometry.x.to_numpy(), res.samples.geometry.y.to_numpy()
    hx, hy = homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy()
    dist = np.hypot(sx[:, None] - hx[None, :], sy[:, None] - hy[None, :]).min(axis=1)
    assert np.allclose(res.samples["cost"], dist)
    expected = pd.Series(np.where(dist <= 500, res.samples["population"], 0)).groupby(
        res.samples["unit"].to_numpy()).sum()
    assert np.allclose(u["covered_population"].loc[expected.index], expected)


def test_cells_as_polygons_count_at_their_centre():
    cells = gpd.GeoDataFrame({"ew": [5, 7]}, geometry=[box(0, 0, 100, 100), box(900, 0, 1000, 100)],
                             crs="EPSG:25832")
    fac = gpd.GeoDataFrame(geometry=[Point(50, 50)], crs="EPSG:25832")
    res = quartier.coverage(cells, fac, max_cost=500, demand_col="ew")
    assert res.kind == "cells" and res.samples is None
    assert res.units["covered_population"].tolist() == [5.0, 0.0]


def test_demand_kind_errors():
    fac = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs="EPSG:25832")
    pts = gpd.GeoDataFrame({"ew": [1]}, geometry=[Point(1, 1)], crs="EPSG:25832")
    with pytest.raises(quartier.QuartierError, match="district polygons"):
        quartier.coverage(pts, fac, max_cost=5, demand_col="ew", demand_kind="districts")
    with pytest.raises(ValueError, match="demand_kind"):
        quartier.coverage(pts, fac, max_cost=5, demand_col="ew", demand_kind="kreise")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, 1000), min_size=2, max_size=2),
    st.lists(st.tuples(st.floats(0, 2000), st.floats(0, 1000)), min_size=1, max_size=4),
    st.floats(50, 1500),
    st.sampled_from([50.0, 100.0, 333.0]),
)
def test_district_spreading_keeps_mass_and_bounds(counts, fac, radius, spacing):
    districts = _two_districts().assign(ew=counts)
    f = gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in fac], crs="EPSG:25832")
    res = quartier.coverage(districts, f, max_cost=radius, demand_col="ew", spacing=spacing,
                            by=districts, by_key="id")
    d = res.districts
    assert np.isclose(d["population"].sum() + res.unassigned["population"].sum(), sum(counts))
    assert (d["covered_population"] <= d["population"]).all()
    inhabited = d["population"] > 0
    assert d.loc[inhabited, "share_covered"].between(0, 1).all()
    assert d.loc[~inhabited, "share_covered"].isna().all()  # no people: no share, not 0
    assert (res.units["covered_population"] <= res.units["population"]).all()
