"""StreetNetwork: hand calculations, bridges, bad inputs, and the demo city."""

from __future__ import annotations

import importlib
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, Point

import quartier
from quartier.access import costs
from quartier.access.catchments import isochrones
from quartier.access.network.streets import StreetNetwork
from quartier.errors import CRSError, QuartierError, QuartierWarning

CRS = "EPSG:25832"


def lines(*coords, **cols):
    return gpd.GeoDataFrame(cols, geometry=[LineString(c) for c in coords], crs=CRS)


def points(*xy, index=None):
    return gpd.GeoDataFrame(geometry=[Point(p) for p in xy], crs=CRS, index=index)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- building
def test_x_crossing_connects_but_bridge_over_road_does_not():
    x = [[(0, 50), (100, 50)], [(50, 0), (50, 100)]]
    plain = StreetNetwork.from_lines(lines(*x))
    assert plain.n_nodes == 5 and plain.n_edges == 4
    pts = points((0, 50), (50, 0))
    assert plain.cost_matrix(pts, pts).to_dense()[0, 1] == pytest.approx(100.0)

    with pytest.warns(QuartierWarning, match="not connected to the largest part"):
        bridged = StreetNetwork.from_lines(lines(*x, bridge=["F", "T"]), islands="keep")
    assert bridged.n_nodes == 4 and len(bridged.components) == 2
    with pytest.warns(QuartierWarning, match="nearest to a bridge"):
        cm = bridged.cost_matrix(pts, pts)
    # no way from the road onto the bridge; the point at the bridge is not moved onto the road
    assert cm.n_pairs == 1 and cm.to_dense()[0, 0] == 0
    assert np.isnan(cm.to_dense()[0, 1]) and np.isnan(cm.to_dense()[1, 1])
    assert quiet(bridged.snap, pts)["reason"].tolist() == [
        None, "nearest street is on another level (bridge)"]
    # the layer column alone says the same, and so does a tunnel
    for cols in ({"layer": [0, 1]}, {"tunnel": ["no", "yes"]}):
        net = quiet(StreetNetwork.from_lines, lines(*x, **cols), islands="keep")
        assert len(net.components) == 2


def test_bridge_connects_where_it_ends_on_a_road():
    # a bridge whose end lies in the middle of a road (a bridge head), and a road end on a road
    net = StreetNetwork.from_lines(
        lines([(0, 0), (100, 0)], [(50, 0), (50, 80)], [(50, 80), (120, 80)],
              bridge=["no", "yes", "no"])
    )
    assert len(net.components) == 1
    cm = net.cost_matrix(points((0, 0)), points((120, 80)))
    assert cm.cost.tolist() == [pytest.approx(50 + 80 + 70)]


def test_touching_lines_split_and_multilines_are_read():
    gdf = gpd.GeoDataFrame(
        geometry=[
            shapely.MultiLineString([[(0, 0), (100, 0)], [(200, 0), (300, 0)]]),
            LineString([(100, 0), (200, 0)]),
            LineString([(150, 0), (150, 60)]),  # T-junction on the middle line
        ],
        crs=CRS,
    )
    net = StreetNetwork.from_lines(gdf)
    assert len(net.components) == 1
    cm = net.cost_matrix(points((0, 0)), points((150, 60), (300, 0)))
    assert cm.to_dense().tolist() == [[210.0, 300.0]]


def test_hand_calculated_costs_with_access_legs_same_edge_and_minutes():
    # an L: (0,0)-(100,0)-(100,100)
    gdf = lines([(0, 0), (100, 0), (100, 100)])
    net = StreetNetwork.from_lines(gdf)
    a, b, c = (10, 5), (60, -10), (95, 80)
    pts = points(a, b, c, index=["a", "b", "c"])
    d = net.cost_matrix(pts, pts).to_dense()
    # a and b lie on the same edge: 5 + 50 + 10 (not via a node)
    assert d[0, 1] == pytest.approx(65.0)
    assert d[0, 2] == pytest.approx(5 + 90 + 80 + 5)
    assert d[1, 2] == pytest.approx(10 + 40 + 80 + 5)
    assert np.allclose(d, d.T) and (np.diag(d) == 0).all()
    senior = StreetNetwork.from_lines(gdf, profile="senior", unit="min")
    assert senior.cost_matrix(pts, pts).to_dense()[0, 2] == pytest.approx(180 / 50)
    walk = StreetNetwork.from_lines(gdf, profile="walk", unit="min")
    assert walk.cost_matrix(pts, pts).to_dense()[0, 2] == pytest.approx(180 / 75)
    # the cut-off keeps only pairs within reach (65 <= 100 < 135, 180)
    cm = net.cost_matrix(pts, pts, max_cost=100)
    assert cm.to_frame().query("origin != destination")["cost"].tolist() == [65.0, 65.0]
    near = net.nearest(points(c, (0, 0)), points(a, b, index=["A", "B"]))
    assert near["nearest"].tolist() == ["B", "A"]
    assert near["cost"].tolist() == [pytest.approx(135.0), pytest.approx(15.0)]


def test_profiles_keep_the_ways_they_may_use():
    gdf = lines(
        [(0, 0), (100, 0)], [(100, 0), (200, 0)], [(200, 0), (300, 0)], [(300, 0), (400, 0)],
        fclass=["residential", "steps", "footway", "motorway"],
    )
    with pytest.warns(QuartierWarning, match="motorway: 1"):
        walk = StreetNetwork.from_lines(gdf)
    assert walk.length.sum() == 300
    with pytest.warns(QuartierWarning, match="steps: 1"):
        wheel = StreetNetwork.from_lines(gdf, profile="wheelchair")
    assert wheel.length.sum() == 100  # the footway beyond the steps is an island, dropped
    assert wheel.dropped_islands["length_m"].sum() == 100
    with pytest.raises(QuartierError, match="unknown profile 'jogging'"):
        StreetNetwork.from_lines(gdf, profile="jogging")
    with pytest.raises(QuartierError, match="unit='min'"):
        StreetNetwork.from_lines(gdf, unit="h")


# --------------------------------------------------------------------------- bad inputs
def test_empty_network_is_an_error():
    empty = gpd.GeoDataFrame(geometry=[], crs=CRS)
    with pytest.raises(QuartierError, match="street network .* is empty"):
        StreetNetwork.from_lines(empty)
    only_motorway = lines([(0, 0), (1, 0)], fclass=["motorway"])
    with pytest.raises(QuartierError, match="is empty: no street the profile 'walk'"):
        quiet(StreetNetwork.from_lines, only_motorway)


def test_geographic_crs_is_an_error():
    gdf = lines([(0, 0), (100, 0)])
    with pytest.raises(CRSError, match="geographic CRS in degrees"):
        StreetNetwork.from_lines(gdf, crs="EPSG:4326")
    with pytest.raises(CRSError, match="geographic"):
        StreetNetwork([[0, 0], [1, 1]], [0], [1], crs=4326)
    net = StreetNetwork.from_lines(gdf)
    with pytest.raises(CRSError, match="Use gdf.to_crs"):
        net.cost_matrix(points((0, 0)).to_crs(4326), points((1, 0)))
    # geographic lines are reprojected to EPSG:25832
    lonlat = gpd.GeoDataFrame(geometry=[LineString([(13.40, 52.5), (13.41, 52.5)])], crs=4326)
    assert StreetNetwork.from_lines(lonlat).crs.to_epsg() == 25832


def test_points_far_from_streets_are_unreachable_and_reported():
    net = StreetNetwork.from_lines(lines([(0, 0), (100, 0)]))
    pts = points((50, 10), (50, 5000), index=["near", "far"])
    with pytest.warns(QuartierWarning, match=r"1 origin point\(s\) are more than 500 m .*'far'"):
        cm = net.cost_matrix(pts, pts)
    assert cm.n_pairs == 1
    with pytest.warns(QuartierWarning, match="500 m"):
        near = net.nearest(pts, points((0, 0)))
    assert near["cost"].iloc[0] == pytest.approx(60.0)
    assert np.isnan(near["cost"].iloc[1]) and near["nearest"].iloc[1] is None
    with pytest.warns(QuartierWarning, match="more than 20 m"):
        report = net.snap(pts, max_snap=20)
    assert report["snapped"].tolist() == [True, False]


def test_cutoffs_of_zero_or_below_are_errors():
    net = StreetNetwork.from_lines(lines([(0, 0), (100, 0)]))
    pts = points((0, 0))
    for bad in (0, -5):
        with pytest.raises(ValueError, match="max_cost must be greater than 0"):
            net.cost_matrix(pts, pts, max_cost=bad)
        with pytest.raises(ValueError, match="max_cost must be greater than 0"):
            net.nearest(pts, pts, max_cost=bad)
        with pytest.raises(ValueError, match="max_cost must be greater than 0"):
            isochrones(pts, network=net, max_cost=[5, bad])
    with pytest.raises(ValueError, match="max_snap must be greater than 0"):
        StreetNetwork.from_lines(lines([(0, 0), (1, 0)]), max_snap=0)


def test_costs_module_delegates_to_the_network():
    net = StreetNetwork.from_lines(lines([(0, 0), (100, 0), (100, 100)]))
    o = points((0, 0), (100, 100))
    d = points((100, 0), index=["Treff"])
    cm = costs.cost_matrix(o, d, network=net, max_cost=150)
    assert cm.to_frame()["cost"].tolist() == [100.0, 100.0]
    near = costs.nearest(o, d, network=net)
    assert near["nearest"].tolist() == ["Treff", "Treff"]
    # straight line for comparison: the diagonal is shorter
    assert costs.cost_matrix(o, o).to_dense()[0, 1] < net.cost_matrix(o, o).to_dense()[0, 1]


# --------------------------------------------------------------------------- OSM
def test_osm_xml_siegessaeule(shared):
    path = shared / "berlin_osm_siegessaeule" / "berlin-siegessaeule.osm.gz"
    net = quiet(StreetNetwork.from_osm, path, "walk", crs="EPSG:25833")
    assert net.n_nodes > 100 and net.n_edges > 100
    assert net.crs.to_epsg() == 25833 and quartier.io.crs.is_metric(net.crs)
    # the roundabout Großer Stern is foot=no: it is left out and reported
    assert net.dropped["primary"] > 0
    assert quiet(StreetNetwork.from_osm, path).crs.to_epsg() == 25832
    bike = quiet(StreetNetwork.from_osm, path, "bike", unit="min")
    assert bike.unit == "min" and bike.n_edges > 0
    with pytest.raises(CRSError, match="geographic"):
        StreetNetwork.from_osm(path, crs="EPSG:4326")
    with pytest.raises(quartier.InputFileError, match="does not exist"):
        StreetNetwork.from_osm(path.with_name("missing.osm"))


# --------------------------------------------------------------------------- demo city
@pytest.fixture(scope="module")
def demo():
    gpkg = quartier.demo_path("musterstadt.gpkg")
    streets = gpd.read_file(gpkg, layer="strassen")
    river = gpd.read_file(gpkg, layer="gewaesser").geometry.iloc[0]
    net = quiet(StreetNetwork.from_lines, streets, unit="m")
    return net, streets, river


def test_demo_river_is_crossed_only_at_bridges(demo):
    net, streets, river = demo
    bridges = shapely.union_all(streets.geometry[streets["bridge"] == "T"].values)
    xmin, _, xmax, _ = river.bounds
    found = 0
    for x in np.linspace(xmin + 500, xmax - 500, 40):
        cut = shapely.intersection(LineString([(x, 0), (x, 1e7)]), river)
        if cut.is_empty or cut.geom_type != "LineString":
            continue
        y0, y1 = cut.bounds[1], cut.bounds[3]
        north, south = Point(x, y1 + 20), Point(x, y0 - 20)
        if shapely.distance(north, bridges) < 1000 or shapely.distance(south, bridges) < 1000:
            continue
        pts = gpd.GeoDataFrame(geometry=[north, south], crs=net.crs)
        snapped = net.snap(pts)
        legs = shapely.linestrings(
            np.stack([shapely.get_coordinates(pts.geometry), snapped[["snap_x", "snap_y"]]], 1)
        )
        if shapely.intersects(legs, river).any():
            continue  # the nearest street lies across the river (a known limit of snapping)
        d = quiet(net.cost_matrix, pts, pts).to_dense()[0, 1]
        straight = north.distance(south)
        assert straight < 150
        assert d > 10 * straight  # a detour over the next bridge
        found += 1
    assert found >= 3


def test_demo_coverage_along_the_streets(demo):
    net, _, _ = demo
    walk = quiet(
        StreetNetwork.from_lines,
        gpd.read_file(quartier.demo_path("musterstadt.gpkg"), layer="strassen"),
        profile="senior",
        unit="min",
    )
    cells = quartier.read_points(
        quartier.demo_path("bevoelkerung_100m.csv"), x="x", y="y", source_crs="EPSG:25832"
    )
    cells["ew_65plus"] = cells["65_bis_79"] + cells["80_und_aelter"]
    fac = quartier.read_facilities(quartier.demo_path("musterstadt.gpkg"), layer="einrichtungen")
    treffs = fac[fac["art"] == "seniorentreff"]
    coverage = importlib.import_module("quartier.access.covering").coverage
    res = quiet(
        coverage, cells, treffs, max_cost=10, demand_col="ew_65plus",
        network=walk,
    )
    straight = coverage(cells, treffs, max_cost=500, demand_col="ew_65plus")
    share = res.report.covered_total / res.report.demand_total
    share_straight = (
        straight.report.covered_total
        / straight.report.demand_total
    )
    assert 0 < share < 1
    # 10 minutes at 3 km/h is 500 m along the streets: never more than 500 m straight
    assert share <= share_straight
    covered = res.units[res.units["covered"]]
    assert (covered["cost"] <= 10).all()
    # cross-check the nearest costs with a dense matrix for a sample of cells
    sample = cells.iloc[::200]
    cm = quiet(walk.cost_matrix, sample, treffs).to_dense()
    best = np.where(np.isnan(cm), np.inf, cm).min(axis=1)
    got = res.units.loc[sample.index, "cost"].to_numpy()
    assert np.allclose(np.where(np.isinf(best), np.nan, best), got, equal_nan=True)
