"""The car profile: speeds by road class and limit, one-way streets, access; Bayreuth extract.

Oracles: hand calculations (length / speed) on a small synthetic OSM file, and
networkx's directed Dijkstra on the network's own edge arrays for the real
rural extract north of Bayreuth.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import quartier
from quartier.access.costs import CostMatrix
from quartier.access.network._driving import car_allows, oneway_of, parse_maxspeed
from quartier.access.network.streets import StreetNetwork
from quartier.errors import ParameterError, QuartierWarning

pytest.importorskip("osmium")

CRS = "EPSG:25832"
TO_UTM = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)

# a small OSM-like town: node id -> (lon, lat)
NODES = {
    1: (11.50, 50.00), 2: (11.51, 50.00), 3: (11.52, 50.00), 4: (11.52, 50.01),
    5: (11.53, 50.01), 6: (11.53, 50.00), 7: (11.50, 50.01), 8: (11.51, 50.01),
    9: (11.54, 50.00), 10: (11.525, 49.998),
}
WAYS = [
    (1, [1, 2], {"highway": "residential", "maxspeed": "30"}),
    (2, [2, 3], {"highway": "primary"}),
    (3, [3, 4], {"highway": "residential", "oneway": "yes"}),
    (4, [4, 5, 6, 3], {"highway": "tertiary"}),
    (5, [1, 7], {"highway": "residential", "access": "private"}),
    (6, [2, 8], {"highway": "footway"}),
    (7, [6, 9], {"highway": "unclassified", "oneway": "-1", "maxspeed": "DE:rural"}),
]


def osm_file(tmp_path: Path, ways=WAYS, nodes=NODES) -> Path:
    parts = ['<osm version="0.6">']
    for nid, (lon, lat) in nodes.items():
        parts.append(f'<node id="{nid}" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        parts.append(f'<way id="{wid}">{nd}{tg}</way>')
    parts.append("</osm>")
    path = tmp_path / "town.osm"
    path.write_text("\n".join(parts))
    return path


def utm(*node_ids) -> np.ndarray:
    lon, lat = zip(*(NODES[n] for n in node_ids), strict=True)
    x, y = TO_UTM.transform(lon, lat)
    return np.column_stack([x, y])


def at_nodes(*node_ids, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=shapely.points(utm(*node_ids)), crs=CRS, index=index)


def dist(a, b) -> float:
    pa, pb = utm(a, b)
    return float(np.hypot(*(pa - pb)))


def mpm(kmh) -> float:
    return kmh * 1000.0 / 60.0


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        return fn(*args, **kwargs)


@pytest.fixture()
def town(tmp_path):
    return quiet(StreetNetwork.from_osm, osm_file(tmp_path), "car", CRS, unit="min")


# --------------------------------------------------------------------------- tag rules
@pytest.mark.parametrize(
    ("value", "kmh"),
    [("50", 50.0), ("50 km/h", 50.0), ("30 mph", 30 * 1.609344), ("DE:urban", 50.0),
     ("DE:rural", 100.0), ("DE:zone30", 30.0), ("none", 77.0), ("DE:motorway", 77.0),
     ("fast", 77.0), ("0", 77.0), ("50;30", 77.0), (None, 77.0), ("walk", 7.0)],
)
def test_maxspeed_values(value, kmh):
    assert parse_maxspeed(value, 77.0) == pytest.approx(kmh)


def test_oneway_and_access_tags():
    assert [oneway_of({"oneway": v}) for v in ("yes", "true", "1", "-1", "no")] == [1, 1, 1, -1, 0]
    assert oneway_of({"highway": "primary", "junction": "roundabout"}) == 1
    assert oneway_of({"highway": "motorway"}) == 1
    assert oneway_of({"highway": "motorway_link"}) == 1
    assert oneway_of({"highway": "motorway", "oneway": "no"}) == 0
    assert oneway_of({"highway": "primary"}) == 0
    table = {"residential": 30.0, "service": 20.0}
    assert car_allows({"highway": "service"}, table)
    assert not car_allows({"highway": "residential", "access": "private"}, table)
    assert not car_allows({"highway": "residential", "motor_vehicle": "no"}, table)
    assert not car_allows({"highway": "residential", "motorcar": "private"}, table)
    assert car_allows({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, table)
    for hw in ("footway", "path", "pedestrian", "steps", "cycleway", "track"):
        assert not car_allows({"highway": hw}, table)
    assert car_allows({"highway": "track"}, {**table, "track": 15.0})  # speeds={"track": 15}
    assert not car_allows({"highway": "service"}, {**table, "service": 0.0})


# --------------------------------------------------------------------------- synthetic town
def test_speeds_per_edge_from_tags(tmp_path):
    net = quiet(StreetNetwork.from_osm, osm_file(tmp_path), "car", CRS, unit="min",
                islands="keep")
    e = net.edges
    xy = net.xy

    def edge(a, b):
        pa, pb = utm(a, b)
        iu = np.flatnonzero(np.hypot(*(xy - pa).T) < 1e-6)[0]
        iv = np.flatnonzero(np.hypot(*(xy - pb).T) < 1e-6)[0]
        row = e[((e.u == iu) & (e.v == iv)) | ((e.u == iv) & (e.v == iu))].iloc[0]
        along = (row.speed_kmh, row.speed_back_kmh) if row.u == iu else (
            row.speed_back_kmh, row.speed_kmh)
        return along  # km/h from a to b, from b to a

    assert edge(1, 2) == (30.0, 30.0)  # maxspeed=30
    assert edge(2, 3) == (80.0, 80.0)  # primary class speed
    assert edge(3, 4) == (30.0, 0.0)  # oneway=yes
    assert edge(5, 6) == (60.0, 60.0)
    assert edge(6, 9) == (0.0, 100.0)  # oneway=-1, DE:rural
    # private road and footway left out: no node at 7 or 8
    for n in (7, 8):
        assert np.hypot(*(xy - utm(n)[0]).T).min() > 100
    assert net.dropped.to_dict() == {"residential": 1, "footway": 1}


def test_one_way_street_differs_by_direction(town):
    pts = at_nodes(3, 4, index=["a", "b"])
    m = town.cost_matrix(pts, pts).to_dense()
    # 3 -> 4 along the one-way residential street at 30 km/h
    assert m[0, 1] == pytest.approx(dist(3, 4) / mpm(30), rel=1e-9)
    # 4 -> 3 only around: 4 - 5 - 6 - 3 on the tertiary road at 60 km/h
    around = (dist(4, 5) + dist(5, 6) + dist(6, 3)) / mpm(60)
    assert m[1, 0] == pytest.approx(around, rel=1e-9)
    assert m[1, 0] > m[0, 1]
    # searched from the single destination (reversed edges): the same times
    to_a = town.cost_matrix(pts, pts.iloc[:1]).to_dense()[:, 0]
    np.testing.assert_allclose(to_a, m[:, 0], rtol=1e-12)
    to_b = town.cost_matrix(pts, pts.iloc[1:], max_cost=10).to_dense()[:, 0]
    np.testing.assert_allclose(to_b, m[:, 1], rtol=1e-12)
    # nearest agrees with the matrix, in the right direction
    near = town.nearest(at_nodes(4, index=["b"]), at_nodes(3, index=["a"]))
    assert near["cost"].iloc[0] == pytest.approx(around, rel=1e-9)


def test_time_is_length_over_speed_by_hand(town):
    pts = at_nodes(1, 2, 3, index=["n1", "n2", "n3"])
    m = town.cost_matrix(pts, pts).to_dense()
    t12 = dist(1, 2) / mpm(30)  # residential, maxspeed=30
    t23 = dist(2, 3) / mpm(80)  # primary at its class speed
    assert m[0, 1] == pytest.approx(t12, rel=1e-9)
    assert m[1, 2] == pytest.approx(t23, rel=1e-9)
    assert m[0, 2] == pytest.approx(t12 + t23, rel=1e-9)
    assert m[2, 0] == pytest.approx(t12 + t23, rel=1e-9)


def test_point_off_the_street_and_on_one_way_edge(town):
    a, b = utm(3, 4)
    # two points beside the one-way street, 20 m off, at 1/4 and 3/4 of it
    normal = np.array([b[1] - a[1], a[0] - b[0]]) / np.hypot(*(b - a)) * 20.0
    p = a + 0.25 * (b - a) + normal
    q = a + 0.75 * (b - a) + normal
    pts = gpd.GeoDataFrame(geometry=shapely.points([p, q]), crs=CRS)
    m = town.cost_matrix(pts, pts).to_dense()
    leg = 2 * 20.0 / mpm(15)  # access legs at 15 km/h
    half = dist(3, 4) / 2
    assert m[0, 1] == pytest.approx(leg + half / mpm(30), rel=1e-6)
    # backwards: to 4, around to 3, then up the street
    back = (0.25 * dist(3, 4) / mpm(30) + (dist(4, 5) + dist(5, 6) + dist(6, 3)) / mpm(60)
            + 0.25 * dist(3, 4) / mpm(30))
    assert m[1, 0] == pytest.approx(leg + back, rel=1e-6)
    # the same from one side only (a single destination is searched backwards)
    assert town.cost_matrix(pts, pts.iloc[:1]).to_dense()[1, 0] == pytest.approx(m[1, 0])
    assert town.cost_matrix(pts, pts.iloc[1:]).to_dense()[0, 0] == pytest.approx(m[0, 1])
    assert town.nearest(pts.iloc[1:], pts.iloc[:1])["cost"].iloc[0] == pytest.approx(m[1, 0])


def test_locations_do_not_join_a_trunk_road(tmp_path):
    ways = [*WAYS, (8, [3, 10, 6], {"highway": "trunk"})]
    net = quiet(StreetNetwork.from_osm, osm_file(tmp_path, ways), "car", CRS,
                unit="min")
    near_trunk = utm(10)[0] + [0.0, 10.0]  # 10 m from the trunk road, about 210 m from others
    snap = net.snap(gpd.GeoDataFrame(geometry=[shapely.Point(near_trunk)], crs=CRS))
    assert snap["snapped"].iloc[0]
    a, b = utm(3, 6)  # onto the tertiary road 3 - 6 instead, straight north
    assert snap["access_m"].iloc[0] == pytest.approx(
        abs(np.cross(np.r_[b - a, 0], np.r_[near_trunk - a, 0])[2]) / np.hypot(*(b - a)),
        rel=1e-9)
    # the trunk road is still driven on: 3 -> 6 by it at 100 km/h
    m = net.cost_matrix(at_nodes(3), at_nodes(6)).to_dense()
    assert m[0, 0] == pytest.approx((dist(3, 10) + dist(10, 6)) / mpm(100), rel=1e-9)


def test_speeds_override_and_errors(tmp_path):
    path = osm_file(tmp_path)
    slow = quiet(StreetNetwork.from_osm, path, "car", CRS, unit="min",
                 speeds={"primary": 40})
    pts = at_nodes(2, 3)
    assert slow.cost_matrix(pts, pts).to_dense()[0, 1] == pytest.approx(
        dist(2, 3) / mpm(40), rel=1e-9)
    with pytest.raises(ParameterError, match="speeds"):
        StreetNetwork.from_osm(path, "walk", CRS, speeds={"primary": 40})
    with pytest.raises(ParameterError, match="top speed"):
        StreetNetwork.from_osm(path, "car", CRS, speeds={"primary": 400})
    with pytest.raises(ParameterError, match="class_col"):
        StreetNetwork.from_lines(quiet(StreetNetwork.from_osm, path).edges, "car")


def test_from_lines_by_car_equals_from_osm(town):
    """Geofabrik-style lines (fclass, maxspeed 0 = unknown, oneway B/F/T) give the same times."""
    codes = {"yes": "F", "-1": "T"}
    rows = [(wid, refs, tags) for wid, refs, tags in WAYS if "access" not in tags]
    lines = gpd.GeoDataFrame(
        {"fclass": [t["highway"] for _, _, t in rows],
         "maxspeed": [int(t["maxspeed"]) if t.get("maxspeed", "").isdigit() else 0
                      for _, _, t in rows],
         "oneway": [codes.get(t.get("oneway"), "B") for _, _, t in rows]},
        geometry=[shapely.LineString(utm(*refs)) for _, refs, _ in rows], crs=CRS)
    # DE:rural is not a number in Geofabrik data: give it as text, as OSM has it
    lines.loc[lines["oneway"] == "T", "maxspeed"] = 100
    net = quiet(StreetNetwork.from_lines, lines, "car", unit="min")
    assert net.directed and net.dropped.to_dict() == {"footway": 1}
    pts = at_nodes(1, 2, 3, 4, 5, 6)
    np.testing.assert_allclose(net.cost_matrix(pts, pts).to_dense(),
                               town.cost_matrix(pts, pts).to_dense(), rtol=1e-9)


def test_walking_on_same_file_unchanged(tmp_path):
    path = osm_file(tmp_path)
    walk = quiet(StreetNetwork.from_osm, path, "walk", CRS, unit="m")
    assert not walk.directed
    pts = at_nodes(3, 4)
    m = walk.cost_matrix(pts, pts).to_dense()
    assert m[0, 1] == m[1, 0] == pytest.approx(dist(3, 4), rel=1e-9)


# --------------------------------------------------------------------------- Bayreuth
@pytest.fixture(scope="module")
def bayreuth(request):
    shared = request.getfixturevalue("shared")
    path = shared / "osm_north_bayreuth" / "north-bayreuth.osm.pbf"
    return quiet(StreetNetwork.from_osm, path, "car", CRS, unit="min")


@pytest.fixture(scope="module")
def shared(request):  # module scope over the session fixture of conftest
    from conftest import shared_data_dir

    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip("shared data not found")
    return path


def joinable_nodes(net) -> np.ndarray:
    """Nodes where locations join the network exactly (no motorway or trunk edge there)."""
    bad = np.zeros(net.n_nodes, bool)
    no = ~net.edges["snap"].to_numpy()
    bad[net.u[no]] = bad[net.v[no]] = True
    return np.flatnonzero(~bad)


def _oracle(net):
    nx = pytest.importorskip("networkx")
    g = nx.DiGraph()
    for a, b, ln, (sf, sb) in zip(net.u, net.v, net.length, net.speed, strict=True):
        if sf > 0:
            g.add_edge(int(a), int(b), w=ln / mpm(sf))
        if sb > 0:
            g.add_edge(int(b), int(a), w=ln / mpm(sb))
    return nx, g


def test_bayreuth_network(bayreuth):
    net = bayreuth
    assert net.directed
    km = net.length.sum() / 1000
    assert 150 < km < 225  # README: about 220 km open to cars, less cut-off parts
    assert (net.speed[:, 0] != net.speed[:, 1]).sum() > 50  # one-way edges (motorways, ramps)
    assert set(np.unique(net.speed)) >= {0.0, 30.0, 100.0, 120.0}
    assert {"track", "footway", "path"} <= set(net.dropped.index)


def test_bayreuth_times_equal_networkx(bayreuth):
    net = bayreuth
    nx, g = _oracle(net)
    rng = np.random.default_rng(18)
    o = rng.choice(joinable_nodes(net), 6, replace=False)
    d = rng.choice(joinable_nodes(net), 6, replace=False)
    org = gpd.GeoDataFrame(geometry=shapely.points(net.xy[o]), crs=CRS)
    dst = gpd.GeoDataFrame(geometry=shapely.points(net.xy[d]), crs=CRS)
    m = net.cost_matrix(org, dst).to_dense()
    expect = np.array([[nx.shortest_path_length(g, int(a), int(b), weight="w") for b in d]
                       for a in o])
    assert np.isfinite(m).all()
    np.testing.assert_allclose(m, expect, rtol=1e-9, atol=1e-9)
    # a car never beats the straight line at the top speed on the network
    straight = np.hypot(*(net.xy[o][:, None, :] - net.xy[d][None, :, :]).transpose(2, 0, 1))
    assert (m >= straight / mpm(net.speed.max()) - 1e-9).all()
    assert (m > 0).all() and m.max() < 60
    # with a cut-off the local searches give the same
    cut = net.cost_matrix(org, dst, max_cost=8.0).to_dense()
    np.testing.assert_array_equal(np.where(expect <= 8.0, m, np.nan), cut)
    # fewer destinations than origins: searched backwards from them, same direction of travel
    few = net.cost_matrix(org, dst.iloc[:2]).to_dense()
    np.testing.assert_allclose(few, expect[:, :2], rtol=1e-9, atol=1e-9)
    few_cut = net.cost_matrix(org, dst.iloc[:2], max_cost=8.0).to_dense()
    np.testing.assert_array_equal(np.where(expect[:, :2] <= 8.0, few, np.nan), few_cut)


def test_bayreuth_coverage_and_fca_within_15_minutes(bayreuth):
    net = bayreuth
    nx, g = _oracle(net)
    rng = np.random.default_rng(7)
    homes = rng.choice(joinable_nodes(net), 12, replace=False)
    sites = rng.choice(joinable_nodes(net), 2, replace=False)
    demand = gpd.GeoDataFrame({"ew": np.arange(1, 13) * 10},
                              geometry=shapely.points(net.xy[homes]), crs=CRS,
                              index=[f"h{i}" for i in range(12)])
    facilities = gpd.GeoDataFrame({"places": [50, 80]}, geometry=shapely.points(net.xy[sites]),
                                  crs=CRS, index=["A", "B"])
    t = np.array([[nx.shortest_path_length(g, int(h), int(s), weight="w") if
                   nx.has_path(g, int(h), int(s)) else np.inf for s in sites] for h in homes])
    for limit in (15, 5):  # the extract is small: everyone within 15 minutes, some within 5
        units = quartier.coverage(demand, facilities, max_cost=limit, demand_col="ew",
                                  network=net).units
        np.testing.assert_allclose(units["cost"].to_numpy(), t.min(1), rtol=1e-9)
        assert units["covered"].tolist() == (t.min(1) <= limit).tolist()
        assert units["nearest"].tolist() == [["A", "B"][k] for k in t.argmin(1)]
    assert 0 < (t.min(1) <= 5).sum() < 12
    # FCA by car equals FCA on the oracle's own cost matrix
    r, c = np.nonzero(t <= 15)
    oracle = CostMatrix(demand.index, facilities.index, r, c, t[r, c], 15.0, "min")
    kw = {"max_cost": 15, "demand_col": "ew", "capacity": "places"}
    by_car = quartier.fca(demand, facilities, network=net, **kw).scores
    by_oracle = quartier.fca(demand, facilities, costs=oracle, **kw).scores
    pd.testing.assert_series_equal(by_car, by_oracle, rtol=1e-9)
    assert by_car.notna().all()


def test_bayreuth_speeds_match_the_osm_tags(bayreuth, shared):
    """Speeds and directions of the edges against the ways read here with pyosmium."""
    import osmium
    from scipy.spatial import cKDTree

    classes = {"motorway": 120, "motorway_link": 60, "primary": 80, "secondary": 70,
               "tertiary": 60, "unclassified": 50, "residential": 30, "service": 20}
    net = bayreuth
    tree = cKDTree(net.xy)
    path = shared / "osm_north_bayreuth" / "north-bayreuth.osm.pbf"
    segs = []  # (x0, y0, x1, y1, km/h along, km/h against)
    for way in osmium.FileProcessor(str(path)).with_locations().with_filter(
            osmium.filter.KeyFilter("highway")):
        if not way.is_way():
            continue
        tags = dict(way.tags)
        hw = tags["highway"]
        if hw not in classes or set(tags) & {"access", "vehicle", "motor_vehicle", "motorcar",
                                             "junction", "maxspeed:forward", "area"}:
            continue
        ms = tags.get("maxspeed", "none")
        kmh = classes[hw] if ms == "none" else float(ms)
        one = tags.get("oneway", "yes" if hw in ("motorway", "motorway_link") else "no")
        fwd, bwd = kmh, (0.0 if one == "yes" else kmh)
        assert one in ("yes", "no")
        lon = [n.location.lon for n in way.nodes]
        lat = [n.location.lat for n in way.nodes]
        x, y = TO_UTM.transform(lon, lat)
        segs += [(x[i], y[i], x[i + 1], y[i + 1], fwd, bwd) for i in range(len(lon) - 1)]
    segs = np.array(segs)
    d0, i0 = tree.query(segs[:, :2])
    d1, i1 = tree.query(segs[:, 2:4])
    on = (d0 < 1e-6) & (d1 < 1e-6)
    key = {(min(a, b), max(a, b)): k for k, (a, b) in enumerate(zip(net.u, net.v, strict=True))}
    checked = 0
    for (a, b), (fwd, bwd) in zip(zip(i0[on], i1[on], strict=True), segs[on, 4:], strict=True):
        k = key.get((min(a, b), max(a, b)))
        if k is None:
            continue
        got = net.speed[k] if net.u[k] == a else net.speed[k, ::-1]
        assert tuple(got) == (fwd, bwd), (a, b, got, fwd, bwd)
        checked += 1
    assert checked > 2000  # most edges of the network


def test_constructor_with_speeds_and_bad_inputs():
    xy = [[0, 0], [600, 0], [600, 800]]
    # 0 -> 1 at 36 km/h one way, 1 <-> 2 at 48 km/h
    net = StreetNetwork(xy, [0, 1], [1, 2], crs=CRS, unit="min", speed=[[36, 0], [48, 48]],
                        islands="keep")
    assert net.directed and not StreetNetwork(xy, [0, 1], [1, 2], crs=CRS).directed
    pts = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=CRS)
    m = quiet(net.cost_matrix, pts, pts).to_dense()
    assert m[0, 2] == pytest.approx(600 / 600 + 800 / 800)  # 1 min + 1 min
    assert np.isnan(m[2, 0]) and np.isnan(m[1, 0])  # against the one-way edge: no way
    with pytest.raises(ParameterError, match="one value per edge"):
        StreetNetwork(xy, [0, 1], [1, 2], crs=CRS, speed=[30, 30, 30])
    with pytest.raises(ParameterError, match="0 or more"):
        StreetNetwork(xy, [0, 1], [1, 2], crs=CRS, speed=[-1, 30])
    with pytest.raises(ParameterError, match="directed"):
        StreetNetwork(xy, [0, 1], [1, 2], crs=CRS, snap=[True, False])


def test_service_areas_by_car_agree_with_nearest(bayreuth):
    from quartier.access.catchments import service_areas

    net = bayreuth
    rng = np.random.default_rng(5)
    sites = rng.choice(joinable_nodes(net), 3, replace=False)
    fac = gpd.GeoDataFrame(geometry=shapely.points(net.xy[sites]), crs=CRS,
                           index=["A", "B", "C"])
    sa = quiet(service_areas, fac, network=net, max_cost=6, resolution=25)
    assert (sa["street_km"] > 0).all()
    pts = net.xy[sites].mean(0) + rng.uniform(-6000, 6000, (2000, 2))
    gp = gpd.GeoDataFrame(geometry=shapely.points(pts), crs=CRS)
    near = quiet(net.nearest, gp, fac, max_cost=6)
    drawn = np.full(len(pts), None, dtype=object)
    for label, poly in sa.geometry.items():
        drawn[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])] = label
    expect = near["nearest"].to_numpy(dtype=object)
    differ = drawn != expect
    assert (expect != None).sum() > 200  # noqa: E711
    assert differ.mean() < 0.01, differ.sum()



def test_isochrones_by_car_agree_with_the_cost_matrix(bayreuth):
    from quartier.access.catchments import isochrones

    net = bayreuth
    rng = np.random.default_rng(3)
    sites = rng.choice(joinable_nodes(net), 2, replace=False)
    fac = gpd.GeoDataFrame(geometry=shapely.points(net.xy[sites]), crs=CRS, index=["A", "B"])
    iso = quiet(isochrones, fac, network=net, max_cost=[2, 4], resolution=25)
    assert iso["unit"].eq("min").all() and (iso["street_km"] > 0).all()
    # random locations around each site: inside the polygon <=> drive to the site within the cut
    for k, label in enumerate(fac.index):
        pts = net.xy[sites[k]] + rng.uniform(-5000, 5000, (1500, 2))
        gp = gpd.GeoDataFrame(geometry=shapely.points(pts), crs=CRS)
        cost = quiet(net.cost_matrix, gp, fac.iloc[[k]]).to_dense()[:, 0]
        for cut in (2, 4):
            poly = iso[(iso["point"] == label) & (iso["max_cost"] == cut)].geometry.iloc[0]
            inside = shapely.contains_xy(poly, pts[:, 0], pts[:, 1])
            within = cost <= cut
            assert inside.sum() > 10 and within.sum() > 10
            differ = inside != within
            assert differ.mean() < 0.01, (label, cut, differ.sum())
            # every location drawn costs at most the cut plus the border tolerance
            tol = 25 / 2 / np.sqrt(2) * net._w_max
            assert (cost[inside] <= cut + tol + 1e-9).all()


def test_isochrone_by_car_respects_one_way_streets(town):
    from quartier.access.catchments import isochrones

    iso = quiet(isochrones, at_nodes(3), network=town, max_cost=1.0, resolution=10)
    poly = iso.geometry.iloc[0]
    p3, p4, p2 = utm(3, 4, 2)
    up_one_way = p3 + 150 / dist(3, 4) * (p4 - p3)  # 150 m up the one-way street 3 -> 4
    on_primary = p3 + 150 / dist(2, 3) * (p2 - p3)  # 150 m along the two-way primary
    # from the one-way street the car must go on to 4 and around: far more than a minute
    assert not poly.contains(shapely.Point(up_one_way))
    assert poly.contains(shapely.Point(on_primary))
    cm = town.cost_matrix(gpd.GeoDataFrame(geometry=shapely.points([up_one_way, on_primary]),
                                           crs=CRS), at_nodes(3)).to_dense()[:, 0]
    assert cm[0] > 3 and cm[1] == pytest.approx(150 / mpm(80), rel=1e-6)
