"""Catchment maps agree with the coverage numbers: one rule of reach for both.

The rule (see quartier.access.catchments): a location snaps onto its nearest
street (ground level or bridge, of the usable network or of a dropped island;
never a tunnel) within max_snap, is unreachable when that street is a bridge or
on a dropped island, and costs the street cost to its snap point plus the access
leg. The oracle here rebuilds the rule from the public edge table of a network
that keeps its islands, with shapely for the snapping and networkx for the
street costs.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely import LineString, Point

import quartier
from quartier.access.catchments import isochrones, service_areas
from quartier.access.covering import coverage
from quartier.access.network.streets import StreetNetwork
from quartier.errors import QuartierWarning

CRS = "EPSG:25833"
#: documented: border cells are split into 5 m sub-cells; a point inside a polygon costs at
#: most the cut-off plus half a sub-cell diagonal
TOLERANCE_M = 5.0 / np.sqrt(2)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        return fn(*args, **kwargs)


class Oracle:
    """The rule of reach rebuilt from a network with islands kept (metres)."""

    def __init__(self, keep: StreetNetwork, max_snap: float):
        edges = keep.edges
        self.edges = edges[edges["level"] >= 0].reset_index(drop=True)
        self.usable = ((self.edges["level"] == 0) & (self.edges["component"] == 0)).to_numpy()
        self.tree = shapely.STRtree(self.edges.geometry.values)
        self.max_snap = max_snap
        main = edges[edges["component"] == 0]
        self.graph = nx.Graph()
        self.graph.add_weighted_edges_from(
            zip(main["u"].tolist(), main["v"].tolist(), main["length_m"].tolist(), strict=True))

    def snap(self, xy):
        """Per point: edge row (-1 unreachable), offset from u, access leg."""
        pts = shapely.points(xy)
        (i, j), dist = self.tree.query_nearest(pts, max_distance=self.max_snap,
                                               return_distance=True, all_matches=True)
        row = np.full(len(xy), -1)
        best = {}
        for a, b, d in zip(i.tolist(), j.tolist(), dist.tolist(), strict=True):
            # among equally near streets a usable one is taken
            key = (not self.usable[b], b)
            if a not in best or key < best[a][0]:
                best[a] = (key, b, d)
        for a, (_, b, _) in best.items():
            row[a] = b if self.usable[b] else -1
        ok = row >= 0
        geoms = self.edges.geometry.values[np.maximum(row, 0)]
        offset = np.where(ok, shapely.line_locate_point(geoms, pts), np.nan)
        access = np.where(ok, shapely.distance(geoms, pts), np.nan)
        return row, offset, access

    def costs(self, fac_xy, xy):
        """Metres from the facility to every point under the rule (inf: unreachable)."""
        frow, foff, facc = self.snap(np.asarray([fac_xy]))
        assert frow[0] >= 0
        e = self.edges.iloc[frow[0]]
        g = self.graph.copy()
        g.add_edge("F", int(e["u"]), weight=facc[0] + foff[0])
        g.add_edge("F", int(e["v"]), weight=facc[0] + e["length_m"] - foff[0])
        dist = nx.single_source_dijkstra_path_length(g, "F")
        row, off, acc = self.snap(xy)
        out = np.full(len(xy), np.inf)
        for k in np.flatnonzero(row >= 0):
            r = self.edges.iloc[row[k]]
            c = min(dist.get(int(r["u"]), np.inf) + acc[k] + off[k],
                    dist.get(int(r["v"]), np.inf) + acc[k] + r["length_m"] - off[k])
            if row[k] == frow[0]:
                c = min(c, acc[k] + facc[0] + abs(off[k] - foff[0]))
            out[k] = c
        return out


@pytest.fixture(scope="module")
def moabit(shared):
    roads = gpd.read_file(shared / "berlin_streets_moabit" / "moabit_roads.gpkg")
    district = gpd.read_file(shared / "berlin_streets_moabit" / "moabit_district.gpkg").to_crs(CRS)
    net = quiet(StreetNetwork.from_lines, roads, crs=CRS, unit="min")
    keep = quiet(StreetNetwork.from_lines, roads, crs=CRS, islands="keep")
    kitas = quartier.read_facilities(
        shared / "berlin_facilities" / "kindertagesstaetten_2022-12.geojson").to_crs(CRS)
    kitas = kitas[kitas.within(district.geometry.union_all())]
    assert len(kitas) > 50
    return net, keep, kitas


def test_map_and_numbers_agree_on_the_moabit_streets(moabit):
    """10 minutes on foot around several Kitas: polygon vs coverage vs an oracle."""
    net, keep, kitas = moabit
    rng = np.random.default_rng(20)
    pick = kitas.iloc[np.sort(rng.choice(len(kitas), 4, replace=False))]
    iso = quiet(isochrones, pick, network=net, max_cost=10)
    oracle = Oracle(keep, net.max_snap)
    speed = net.profile.metres_per_minute
    n_all = n_diff = 0
    for (label, kita), geom in zip(pick.iterrows(), iso.geometry, strict=True):
        r = 900 * np.sqrt(rng.uniform(0, 1, 1500))
        a = rng.uniform(0, 2 * np.pi, 1500)
        xy = np.column_stack([kita.geometry.x + r * np.cos(a), kita.geometry.y + r * np.sin(a)])
        pts = gpd.GeoDataFrame({"kinder": np.ones(len(xy))}, geometry=shapely.points(xy), crs=CRS)
        res = quiet(coverage, pts, pick.loc[[label]], max_cost=10, demand_col="kinder",
                    network=net)
        inside = shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
        covered = res.units["covered"].to_numpy()
        assert 0.1 < covered.mean() < 0.6 and inside.any()
        n_all += len(xy)
        n_diff += int((inside != covered).sum())
        # the numbers follow the rule: coverage costs equal the oracle's
        truth = oracle.costs((kita.geometry.x, kita.geometry.y), xy) / speed
        cost = res.units["cost"].to_numpy()
        assert np.array_equal(np.isfinite(truth), np.isfinite(cost))
        assert np.allclose(cost[np.isfinite(cost)], truth[np.isfinite(truth)], atol=1e-6)
        # unreachable units say why
        assert res.units.loc[~np.isfinite(cost), "reason"].notna().all()
        # the map draws nothing beyond the cut-off by more than the documented resolution
        assert truth[inside].max() <= 10 + TOLERANCE_M / speed + 1e-9
    assert n_diff / n_all <= 0.01, n_diff / n_all


def test_service_areas_hold_every_location_nearest_assigns(moabit):
    net, _, kitas = moabit
    pick = kitas.iloc[::6]
    sa = quiet(service_areas, pick, network=net, max_cost=10)
    union = shapely.union_all(sa.geometry.values)
    assert sa.area.sum() == pytest.approx(union.area, rel=1e-9)  # no overlaps
    rng = np.random.default_rng(3)
    lo, hi = net.xy.min(0), net.xy.max(0)
    xy = rng.uniform(lo, hi, (4000, 2))
    pts = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=CRS)
    near = quiet(net.nearest, pts, pick, max_cost=10)
    has = near["nearest"].notna().to_numpy()
    assert has.mean() > 0.3
    owner = np.full(len(xy), None, dtype=object)
    for label, geom in zip(sa.index, sa.geometry, strict=True):
        owner[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])] = label
    in_area = np.array([o is not None for o in owner])
    # every location nearest() assigns lies in an area, up to the resolution at the borders
    assert (has & ~in_area).mean() <= 0.01
    same = owner[has & in_area] == near["nearest"].to_numpy()[has & in_area]
    assert same.mean() >= 0.99
    assert (in_area & ~has).mean() <= 0.01


def stairs_city(profile):
    """A street, steps up from its middle to a terrace of footways (an island without steps)."""
    lines = gpd.GeoDataFrame(
        {"fclass": ["residential", "steps", "footway", "footway"]},
        geometry=[LineString([(x, 0) for x in range(0, 401, 50)]), LineString([(200, 0), (200, 30)]),
                  LineString([(120, 30), (280, 30)]), LineString([(200, 30), (200, 90)])],
        crs=CRS,
    )
    return quiet(StreetNetwork.from_lines, lines, profile, crs=CRS, max_snap=100)


def test_an_island_behind_steps_is_unreachable_by_wheelchair_in_map_and_numbers():
    wheel, walk = stairs_city("wheelchair"), stairs_city("walk")
    assert wheel.dropped.to_dict() == {"steps": 1} and len(wheel.dropped_islands) == 1
    kita = gpd.GeoDataFrame(geometry=[Point(150, -10)], crs=CRS, index=["Kita"])
    homes = gpd.GeoDataFrame({"kinder": [5, 7, 3]},
                             geometry=[Point(180, 40), Point(210, 70), Point(300, -8)],
                             crs=CRS, index=["Terrasse", "Oben", "Straße"])
    # on foot: up the steps (50 along the street, 30 up, access legs 10 + 10)
    on_foot = coverage(homes, kita, max_cost=400, demand_col="kinder", network=walk)
    assert on_foot.units["cost"].tolist() == pytest.approx(
        [10 + 50 + 30 + 20 + 10, 10 + 50 + 30 + 40 + 10, 10 + 150 + 8])
    assert on_foot.report.covered_total == 15
    # wheelchair: the terrace is not moved onto the street below (10-40 m away): unreachable
    with pytest.warns(QuartierWarning, match="cannot reach from the network"):
        res = coverage(homes, kita, max_cost=400, demand_col="kinder", network=wheel)
    assert res.units["covered"].tolist() == [False, False, True]
    assert np.isnan(res.units["cost"].to_numpy()[:2]).all()
    assert res.units["reason"].tolist()[:2] == [
        "nearest street is not connected for this profile (dropped island)"] * 2
    assert res.units["reason"].iloc[2] is None
    assert res.report.covered_total == 3
    snap = quiet(wheel.snap, homes)
    assert snap["snapped"].tolist() == [False, False, True]
    # the map says the same: the terrace is in the walking catchment, not in the wheelchair one
    terrace = shapely.box(125, 25, 275, 95)
    map_walk = isochrones(kita, network=walk, max_cost=400).geometry.iloc[0]
    map_wheel = quiet(isochrones, kita, network=wheel, max_cost=400).geometry.iloc[0]
    assert map_walk.contains(Point(180, 40)) and map_walk.contains(Point(210, 70))
    assert not map_wheel.contains(Point(180, 40)) and not map_wheel.contains(Point(210, 70))
    assert map_wheel.contains(Point(300, -8))
    # nothing of the terrace's catchment (locations nearest to its footways) is drawn
    nearest_terrace = terrace.intersection(map_wheel)
    assert nearest_terrace.area < 0.05 * terrace.area
    xs, ys = np.meshgrid(np.arange(120, 281, 2.0), np.arange(20, 96, 2.0))
    grid = gpd.GeoDataFrame(geometry=shapely.points(xs.ravel(), ys.ravel()), crs=CRS)
    on_terrace = quiet(wheel.snap, grid)["reason"].notna().to_numpy()
    drawn = shapely.contains_xy(map_wheel, xs.ravel(), ys.ravel())
    assert on_terrace.any() and not (drawn & on_terrace).any()


def test_a_point_under_a_bridge_is_not_served_from_the_bridge():
    lines = gpd.GeoDataFrame(
        {"bridge": ["F", "T", "F"]},
        geometry=[LineString([(0, 0), (0, 300)]), LineString([(0, 150), (300, 150)]),
                  LineString([(300, 0), (300, 300)])],
        crs=CRS,
    )
    # the bridge ends on both roads (bridge heads): a road - bridge - road network
    net = quiet(StreetNetwork.from_lines, lines, crs=CRS, max_snap=60)
    kita = gpd.GeoDataFrame(geometry=[Point(10, 60)], crs=CRS)
    below = gpd.GeoDataFrame({"kinder": [4]}, geometry=[Point(150, 140)], crs=CRS)
    with pytest.warns(QuartierWarning, match="nearest to a bridge"):
        res = coverage(below, kita, max_cost=1000, demand_col="kinder", network=net)
    assert not res.units["covered"].iloc[0]
    assert res.units["reason"].iloc[0] == "nearest street is on another level (bridge)"
    iso = quiet(isochrones, kita, network=net, max_cost=1000).geometry.iloc[0]
    assert not iso.contains(Point(150, 140))
    assert iso.contains(Point(290, 20))  # across the bridge, beside the road there
    sa = quiet(service_areas, kita, network=net).geometry.iloc[0]
    assert not sa.contains(Point(150, 140)) and sa.contains(Point(290, 20))


def test_osm_bridges_and_tunnels_give_levels(tmp_path):
    pytest.importorskip("osmium")
    xml = """<osm version="0.6">
<node id="1" lat="52.5000" lon="13.4000"/><node id="2" lat="52.5000" lon="13.4030"/>
<node id="3" lat="52.4990" lon="13.4015"/><node id="4" lat="52.5010" lon="13.4015"/>
<node id="5" lat="52.4990" lon="13.4050"/><node id="6" lat="52.5010" lon="13.4050"/>
<way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
<way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="footway"/>
  <tag k="bridge" v="yes"/><tag k="layer" v="1"/></way>
<way id="12"><nd ref="5"/><nd ref="6"/><tag k="highway" v="footway"/>
  <tag k="tunnel" v="yes"/></way>
</osm>"""
    path = tmp_path / "levels.osm"
    path.write_text(xml)
    net = quiet(StreetNetwork.from_osm, path, crs=CRS, islands="keep")
    assert sorted(net.level.tolist()) == [-1, 0, 1]
    bridge = net.edges[net.edges["level"] == 1].geometry.iloc[0]
    tunnel = net.edges[net.edges["level"] == -1].geometry.iloc[0]
    # beside the bridge (not on the road): unreachable; above the tunnel: the road takes it
    pts = gpd.GeoDataFrame(geometry=[
        shapely.Point(bridge.interpolate(0.25, normalized=True).x + 2,
                      bridge.interpolate(0.25, normalized=True).y),
        tunnel.interpolate(0.4, normalized=True)], crs=CRS)
    snap = quiet(net.snap, pts)
    assert snap["reason"].tolist() == ["nearest street is on another level (bridge)", None]
    assert net.edges.loc[snap["edge"].iloc[1], "level"] == 0
