"""Berlin-Moabit streets: distances against networkx, the straight-line bound, catchments."""

from __future__ import annotations

import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

import quartier
from quartier.access.catchments import isochrones, service_areas
from quartier.access.network.streets import StreetNetwork
from quartier.errors import QuartierWarning

CRS = "EPSG:25833"


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def roads(shared):
    return gpd.read_file(shared / "berlin_streets_moabit" / "moabit_roads.gpkg")


@pytest.fixture(scope="module")
def district(shared):
    return gpd.read_file(shared / "berlin_streets_moabit" / "moabit_district.gpkg").to_crs(CRS)


@pytest.fixture(scope="module")
def net(roads):
    with pytest.warns(QuartierWarning, match="not connected to the largest part"):
        return StreetNetwork.from_lines(roads, crs=CRS)


def random_points(net, n, seed, spread=30.0):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, net.n_edges, n)
    f = rng.uniform(0, 1, n)[:, None]
    on = net.xy[net.u[idx]] + f * (net.xy[net.v[idx]] - net.xy[net.u[idx]])
    xy = on + rng.normal(0, spread, (n, 2))
    return gpd.GeoDataFrame(geometry=shapely.points(xy), crs=net.crs)


def test_islands_and_dropped_classes_are_reported(net, roads):
    assert len(net.components) == 1
    assert len(net.dropped_islands) > 0 and (net.dropped_islands["nodes"] < 100).all()
    assert set(net.dropped.index) == {"trunk", "motorway"}
    keep = quiet(StreetNetwork.from_lines, roads, crs=CRS, islands="keep")
    assert keep.n_nodes == net.n_nodes + net.dropped_islands["nodes"].sum()
    assert len(keep.components) == len(net.dropped_islands) + 1
    # a point on an island reaches only its island: explicit missing costs
    island = keep.edges[keep.edges["component"] > 0].geometry.iloc[0].interpolate(0.5, normalized=True)
    main = keep.edges[keep.edges["component"] == 0].geometry.iloc[0].interpolate(0.5, normalized=True)
    pts = gpd.GeoDataFrame(geometry=[island, main], crs=CRS)
    with pytest.warns(QuartierWarning, match="not connected to the main network"):
        cm = keep.cost_matrix(pts, pts)
    assert np.isnan(cm.to_dense()[0, 1]) and np.isnan(cm.to_dense()[1, 0])


def test_distances_equal_networkx_on_the_same_edge_list(net):
    """Points snapped onto edges: the oracle splits their edges inside networkx."""
    pts = random_points(net, 40, seed=1)
    snap = net.snap(pts)
    cm = net.cost_matrix(pts, pts).to_dense()
    g = nx.Graph()
    g.add_weighted_edges_from(zip(net.u.tolist(), net.v.tolist(), net.length.tolist(), strict=True))
    assert snap["snapped"].sum() >= 35  # the others are unreachable, with a reason
    assert snap.loc[~snap["snapped"], "reason"].notna().all()
    for i, row in snap[snap["snapped"]].iterrows():
        e = int(row["edge"])
        u, v = int(net.u[e]), int(net.v[e])
        t = float(np.hypot(row["snap_x"] - net.xy[u, 0], row["snap_y"] - net.xy[u, 1]))
        g.add_edge(("p", i), u, weight=row["access_m"] + t)
        g.add_edge(("p", i), v, weight=row["access_m"] + net.length[e] - t)
    # points on one edge see each other directly along it
    for _e, grp in snap[snap["snapped"]].groupby("edge"):
        rows = grp.index.tolist()
        for a in rows:
            for b in rows:
                if a < b:
                    along = np.hypot(*(grp.loc[a, ["snap_x", "snap_y"]].to_numpy(float)
                                       - grp.loc[b, ["snap_x", "snap_y"]].to_numpy(float)))
                    g.add_edge(("p", a), ("p", b),
                               weight=grp.loc[a, "access_m"] + grp.loc[b, "access_m"] + along)
    for i in range(len(pts)):
        if not snap["snapped"].iloc[i]:
            assert np.isnan(cm[i]).all() and np.isnan(cm[:, i]).all()
            continue
        dist = nx.single_source_dijkstra_path_length(g, ("p", i))
        expected = np.array([dist.get(("p", j), np.nan) for j in range(len(pts))])
        expected[i] = 0.0
        assert np.allclose(cm[i], expected, atol=0.01, equal_nan=True)


def test_distances_equal_an_independent_graph_from_the_line_geometries(roads):
    """networkx graph built here from the coordinates of GEOS-noded lines (all on one level)."""
    lines = roads[~roads["fclass"].isin(["motorway", "trunk"])].to_crs(CRS)
    net = quiet(StreetNetwork.from_lines, lines, bridge_col=None, tunnel_col=None,
                layer_col=None, islands="keep")
    noded = shapely.get_parts(shapely.union_all(shapely.get_parts(lines.geometry.values)))
    g = nx.Graph()
    for line in noded:
        c = np.round(shapely.get_coordinates(line), 3)
        for (x0, y0), (x1, y1) in zip(c[:-1], c[1:], strict=True):
            if (x0, y0) != (x1, y1):
                w = float(np.hypot(x1 - x0, y1 - y0))
                old = g.get_edge_data((x0, y0), (x1, y1), {"weight": np.inf})["weight"]
                g.add_edge((x0, y0), (x1, y1), weight=min(w, old))
    rng = np.random.default_rng(7)
    verts = shapely.get_coordinates(lines.geometry.values)
    pick = verts[rng.choice(len(verts), 25, replace=False)]
    pts = gpd.GeoDataFrame(geometry=shapely.points(pick), crs=CRS)
    cm = net.cost_matrix(pts, pts).to_dense()
    keys = [tuple(np.round(p, 3)) for p in pick]
    checked = 0
    for i, k in enumerate(keys):
        dist = nx.single_source_dijkstra_path_length(g, k)
        expected = np.array([dist.get(kk, np.nan) for kk in keys])
        assert np.allclose(cm[i], expected, atol=0.01, equal_nan=True), i
        checked += np.isfinite(expected).sum()
    assert checked > 300


def test_walking_distance_is_never_below_the_straight_line(net):
    a = random_points(net, 300, seed=3, spread=80)
    b = random_points(net, 200, seed=4, spread=80)
    cm = net.cost_matrix(a, b, max_cost=2500)
    xa = shapely.get_coordinates(a.geometry)[cm.rows]
    xb = shapely.get_coordinates(b.geometry)[cm.cols]
    straight = np.hypot(*(xa - xb).T)
    assert cm.n_pairs > 10_000
    assert (cm.cost >= straight - 1e-9).all()
    # the cut-off changes nothing below it
    full = net.cost_matrix(a.iloc[:30], b, max_cost=None).to_dense()
    cut = cm.to_dense()[:30]
    within = full <= 2500
    assert np.allclose(full[within], cut[within]) and np.isnan(cut[~within]).all()
    # nearest = row minimum of the matrix
    near = net.nearest(a, b, max_cost=2500)
    dense = cm.to_dense()
    best = np.where(np.isnan(dense), np.inf, dense).min(axis=1)
    assert np.allclose(np.where(np.isinf(best), np.nan, best), near["cost"], equal_nan=True)


@pytest.fixture(scope="module")
def moabit_facilities(shared, district):
    care = quartier.read_facilities(shared / "berlin_facilities" / "pflegeeinrichtungen.geojson")
    kitas = quartier.read_facilities(
        shared / "berlin_kitas" / "berlin-daycare-centers-2026-07-details.csv", crs=CRS
    )
    area = district.geometry.union_all()
    care = care[care.within(area)]
    kitas = kitas[kitas.within(area)]
    assert len(care) > 0 and len(kitas) > 10
    return care, kitas


def test_catchments_of_care_homes_and_kitas_are_nested(roads, moabit_facilities):
    walk = quiet(StreetNetwork.from_lines, roads, "senior", crs=CRS, unit="min")
    care, kitas = moabit_facilities
    for fac in (care, kitas):
        iso = isochrones(fac, network=walk, max_cost=[5, 10, 15])
        assert len(iso) == 3 * len(fac)
        assert not iso.is_empty.any() and (iso.area > 0).all()
        for _, grp in iso.groupby("point", sort=False):
            g5, g10, g15 = grp.sort_values("max_cost").geometry.to_numpy()
            assert g5.difference(g10).area < 1e-3 and g10.difference(g15).area < 1e-3
            assert g5.area < g15.area
        # within 15 minutes at 3 km/h: at most 750 m (plus the resolution) from the facility
        pts = shapely.get_coordinates(fac.geometry)
        far = iso[iso["max_cost"] == 15].geometry.to_numpy()
        reach = [shapely.hausdorff_distance(shapely.Point(p), g) for p, g in zip(pts, far, strict=True)]
        assert max(reach) <= 750 + 5 / np.sqrt(2) + 1e-6
    merged = isochrones(kitas, network=walk, max_cost=[5, 10, 15], dissolve=True)
    assert merged["max_cost"].tolist() == [5, 10, 15] and (merged["points"] == len(kitas)).all()
    # straight-line circles contain the street catchments of the same reach in metres
    # (up to the documented resolution: half the diagonal of a 5 m border sub-cell)
    walk_m = quiet(StreetNetwork.from_lines, roads, crs=CRS)
    street = quiet(isochrones, care.iloc[:3], network=walk_m, max_cost=[500])
    circles = isochrones(care.iloc[:3], network=None, max_cost=[500 + 5 / np.sqrt(2)])
    for s, c in zip(street.geometry, circles.geometry, strict=True):
        assert s.difference(c).area < 1e-6


def test_service_areas_split_moabit_between_care_homes(roads, moabit_facilities):
    walk = quiet(StreetNetwork.from_lines, roads, crs=CRS)
    care, _ = moabit_facilities
    sa = service_areas(care, network=walk)
    assert list(sa.index) == list(care.index)
    assert (sa.area > 0).all()
    union = shapely.union_all(sa.geometry.values)
    assert sa.area.sum() == pytest.approx(union.area, rel=1e-6)  # no overlaps
    # every care home lies in its own area, and the streets served add up to the network
    assert sa.geometry.buffer(1e-6).contains(care.geometry, align=False).all()
    assert sa["street_km"].sum() == pytest.approx(walk.length.sum() / 1000, rel=1e-6)
