"""Statement on a development plan in Berlin-Moabit (issue #14), on the shared real data:
Kitas from the official list, children under 10 from the Zensus 100 m grid, the OSM streets;
straight line and along the streets, the figures checked by an independent computation."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from scipy.spatial import cKDTree
from shapely import box

import quartier
from quartier.access.network.streets import StreetNetwork
from quartier.errors import QuartierWarning
from quartier.planning.statement import ServiceCheck, development_statement

CRS = "EPSG:25833"
# a 2 ha site (100 m x 200 m) in the middle of Moabit, 300 dwellings
SITE = gpd.GeoDataFrame(geometry=[box(387535, 5821083, 387635, 5821283)], crs=CRS)
PROFILE = {"unter_10": 0.15, "rest": 0.85}  # 300 x 2 x 0.15 = 90 children under 10
NORM = 750


@pytest.fixture(scope="module")
def children(shared):
    cells = quartier.read_points(
        shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_under10_cells.csv",
        x="x", y="y", source_crs="EPSG:3035", crs=CRS)
    return cells.rename(columns={"value": "unter_10"})


@pytest.fixture(scope="module")
def kitas(shared):
    return quartier.read_facilities(
        shared / "berlin_kitas" / "berlin-daycare-centers-2026-07-details.csv",
        capacity="places", crs=CRS)


@pytest.fixture(scope="module")
def net(shared):
    roads = gpd.read_file(shared / "berlin_streets_moabit" / "moabit_roads.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        return StreetNetwork.from_lines(roads, crs=CRS)


def _statement(kitas, children, network=None, allocation="capacity", reach=500):
    svc = ServiceCheck("Kitas", kitas, ["unter_10"], reach, "places", NORM,
                       "Kinder unter 10 Jahren")
    return development_statement(SITE, housing_units=300, persons_per_unit=2.0,
                                 age_profile=PROFILE, population=children, services=[svc],
                                 network=network, allocation=allocation)


def _by_hand(site_cost, pairs, demand, places, reach):
    """Hand allocation: each cell's children shared by places among its Kitas in reach
    (equally where those Kitas have no places at all)."""
    rows, cols, cost = pairs
    keep = cost <= reach
    rows, cols = rows[keep], cols[keep]
    w = places[cols]
    total = np.bincount(rows, weights=w, minlength=demand.size)
    w = np.where(total[rows] > 0, w, 1.0)  # Kitas with 0 places only: shared equally
    total = np.bincount(rows, weights=w, minlength=demand.size)
    carried = np.zeros(places.size)
    for r, c, wi in zip(rows, cols, w, strict=True):
        carried[c] += demand[r] * wi / total[r]
    near = site_cost <= reach
    everyone = demand[np.unique(rows[near[cols]])].sum()
    return near, carried, everyone


def test_moabit_straight_line_against_a_kd_tree(kitas, children):
    s = _statement(kitas, children)
    row = s.table.iloc[0]
    p = SITE.union_all().representative_point()
    kxy = np.column_stack([kitas.geometry.x, kitas.geometry.y])
    cxy = np.column_stack([children.geometry.x, children.geometry.y])
    demand = children["unter_10"].to_numpy(float)
    places = kitas["places"].to_numpy(float)
    site_cost = np.hypot(kxy[:, 0] - p.x, kxy[:, 1] - p.y)
    # every pair cell-Kita within 500 m in all of Berlin, by a KD-tree
    pairs = cKDTree(cxy).query_ball_tree(cKDTree(kxy), r=500)
    rows = np.repeat(np.arange(len(cxy)), [len(x) for x in pairs])
    cols = np.concatenate([np.asarray(x, dtype=np.int64) for x in pairs])
    cost = np.hypot(*(cxy[rows] - kxy[cols]).T)
    near, carried, everyone = _by_hand(site_cost, (rows, cols, cost), demand, places, 500)
    assert row["facilities_in_reach"] == near.sum() >= 3
    assert row["places"] == places[near].sum()
    assert row["target_group_today"] == pytest.approx(carried[near].sum())
    assert row["load_before"] == pytest.approx(carried[near].sum() * 0.75 / places[near].sum())
    assert row["new_target_group"] == pytest.approx(90.0)
    assert row["own_need"] == pytest.approx(67.5)
    assert row["load_after"] == pytest.approx(
        (carried[near].sum() + 90) * 0.75 / places[near].sum())
    around = np.hypot(cxy[:, 0] - p.x, cxy[:, 1] - p.y) <= 500
    assert row["target_group_near_site"] == demand[around].sum() > 0
    # each child counted once: over all Berlin Kitas the allocated children are those
    # in reach of any Kita
    assert carried.sum() == pytest.approx(demand[np.unique(rows)].sum())
    # the "everyone" rule counts the children in reach of the site's Kitas, against them alone
    every = _statement(kitas, children, allocation="everyone").table.iloc[0]
    assert every["target_group_today"] == pytest.approx(everyone)
    assert every["load_before"] > row["load_before"]  # overlapping catchments counted twice
    fac = s.facilities[s.facilities["in_reach"]]
    assert fac["allocated_before"].sum() == pytest.approx(row["target_group_today"])
    assert fac["allocated_after"].sum() == pytest.approx(row["target_group_today"] + 90)
    assert set(fac["label"]) == set(kitas.loc[near, "name"])
    assert s.params["measure"]["de"] == "Luftlinie" and row["measure"] == "Luftlinie"
    circle = s.reach.geometry.iloc[0]
    assert circle.area == pytest.approx(np.pi * 500**2, rel=0.01)


def test_moabit_along_the_streets(kitas, children, net):
    s = _statement(kitas, children, network=net)
    row = s.table.iloc[0]
    assert row["measure"].startswith("Fußweg (Profil: zu Fuß")
    straight = _statement(kitas, children).table.iloc[0]
    # walking is never shorter than the straight line: fewer (or as many) Kitas in reach
    assert 0 < row["facilities_in_reach"] <= straight["facilities_in_reach"]
    # independent: costs from the network's public cost matrix, allocation by hand
    p = gpd.GeoDataFrame(geometry=[SITE.union_all().representative_point()], crs=CRS)
    kx = kitas.geometry
    cand = kitas[np.hypot(kx.x - p.geometry.x[0], kx.y - p.geometry.y[0]).to_numpy() <= 1500]
    cx = children.geometry
    cells = children[np.hypot(cx.x - p.geometry.x[0], cx.y - p.geometry.y[0]).to_numpy() <= 1000]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        sc = net.cost_matrix(p, cand, max_cost=500).to_dense()[0]
        pc = net.cost_matrix(cells, cand, max_cost=500)
    site_cost = np.where(np.isnan(sc), np.inf, sc)
    near, carried, _ = _by_hand(site_cost, (pc.rows, pc.cols, pc.cost),
                                cells["unter_10"].to_numpy(float),
                                cand["places"].to_numpy(float), 500)
    assert row["facilities_in_reach"] == near.sum()
    assert row["target_group_today"] == pytest.approx(carried[near].sum())
    assert row["load_after"] == pytest.approx(
        (carried[near].sum() + 90) * 0.75 / cand["places"].to_numpy(float)[near].sum())
    # the reach drawn is the area along the streets, not a circle
    area = s.reach.geometry.iloc[0]
    assert 0 < area.area < 0.8 * np.pi * 500**2
    assert area.buffer(1).contains(p.geometry[0])


def test_moabit_no_care_home_in_reach_still_counts_the_old(shared):
    """No care home within 400 m: the people aged 80+ around the site still count, and the
    nearest home is named with its distance (issue #14)."""
    old = quartier.read_points(
        shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv",
        x="x", y="y", source_crs="EPSG:3035", crs=CRS).rename(columns={"value": "ab_80"})
    homes = quartier.read_facilities(shared / "berlin_facilities" / "pflegeeinrichtungen.geojson",
                                     capacity="platzzahl")
    svc = ServiceCheck("Pflegeheime", homes, ["ab_80"], 400, "platzzahl", 150,
                       "Menschen ab 80 Jahren", name_column="einrichtung_name")
    s = development_statement(SITE, housing_units=300, persons_per_unit=2.0,
                              age_profile={"ab_80": 0.04, "rest": 0.96}, population=old,
                              services=[svc])
    row = s.table.iloc[0]
    p = SITE.union_all().representative_point()
    d_cells = np.hypot(old.geometry.x - p.x, old.geometry.y - p.y).to_numpy()
    near = old["ab_80"].to_numpy(float)[d_cells <= 400].sum()
    d_homes = np.hypot(homes.geometry.x - p.x, homes.geometry.y - p.y).to_numpy()
    assert d_homes.min() > 400 and row["facilities_in_reach"] == 0
    assert row["verdict"] == "keine Einrichtung erreichbar"
    assert row["target_group_near_site"] == near > 0
    assert row["required_places_before"] == pytest.approx(round(near * 0.15, 1))
    assert row["own_need"] == pytest.approx(24 * 0.15)
    assert row["additional_places"] == np.ceil((near + 24) * 0.15)
    assert row["nearest_facility"] == homes["einrichtung_name"].iloc[d_homes.argmin()]
    assert row["nearest_cost"] == pytest.approx(d_homes.min())
