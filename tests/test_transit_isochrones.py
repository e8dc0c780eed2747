"""Isochrones by public transport: hand-computed cells on a tiny feed, the lower bound that
picks the cells to cost, and the Uckermark catchment of Prenzlau against cost_matrix."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point

import quartier as q
from quartier.access.transit import _isochrones
from quartier.errors import ParameterError, QuartierWarning
from test_transit import SPEED, UCKERMARK, needs_data, stop_points, write_feed

DETOUR = 1.3


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_feed(tmp_path_factory.mktemp("feed") / "gtfs")


def _centres(poly, box, res):
    """Centres of the cells of ``res`` metres (aligned to multiples of res) in ``box``."""
    x0, y0, x1, y1 = (np.floor(np.asarray(box) / res) * res).tolist()
    xs = np.arange(x0, x1 + res, res) + res / 2
    ys = np.arange(y0, y1 + res, res) + res / 2
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _inside(poly, xy):
    return np.array([poly.contains(Point(x, y)) for x, y in xy], dtype=bool)


def _points(xy, crs):
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


# ---------------------------------------------------------------- tiny feed, by hand
def test_tiny_feed_cells_near_a_by_hand(tiny):
    """Facility at C; near A the journey is walk to A, t1 7:05 -> B 7:20, walk 104 s to B2,
    t2 7:25 -> C 7:40. Leaving at 6:55 ... 7:01 (7 departures), a departure d counts if
    d + walk <= 7:05 and takes 7:40 - d; the median is the 4th shortest."""
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="06:55", end="07:02",
                                     crs=25833)
    pts = stop_points(net, ["A", "C"])
    a = np.array([pts.geometry.x.iloc[0], pts.geometry.y.iloc[0]])
    res = 20.0
    iso = q.isochrones(pts.loc[["C"]], network=net, max_cost=[30, 42, 43, 44],
                       resolution=res)
    assert iso["max_cost"].tolist() == [30.0, 42.0, 43.0, 44.0]
    xy = _centres(None, [a[0] - 600, a[1] - 600, a[0] + 600, a[1] + 600], res)
    walked = DETOUR * np.hypot(xy[:, 0] - a[0], xy[:, 1] - a[1])
    walk = np.where(walked <= 800, walked / SPEED, np.inf)  # seconds to stop A
    deps = 6 * 3600 + 55 * 60 + 60 * np.arange(7)
    board, arrive = 7 * 3600 + 5 * 60, 7 * 3600 + 40 * 60
    travel = np.where(deps[None, :] + walk[:, None] <= board, arrive - deps[None, :], np.inf)
    cost = np.sort(travel, axis=1)[:, 3] / 60  # the median of 7: the 4th shortest
    counts = []
    for cut, poly in zip(iso["max_cost"], iso.geometry, strict=True):
        inside = _inside(poly, xy)
        np.testing.assert_array_equal(inside, cost <= cut)
        counts.append(int(inside.sum()))
    # 30 min: nothing near A (at least 42 minutes); 42/43/44 min: walks of 4/5/6 minutes
    assert counts[0] == 0
    assert 0 < counts[1] < counts[2] < counts[3]
    r = 360 * SPEED / DETOUR  # 6 minutes' walk: 346 m straight
    assert counts[3] == pytest.approx(np.pi * r**2 / res**2, rel=0.05)
    # around C itself: the direct walk (and nothing else) within 10 minutes
    assert iso.geometry.iloc[0].contains(pts.geometry.iloc[1])


def test_tiny_feed_columns_mode_dissolve_and_one_costing(tiny, monkeypatch):
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="07:02",
                                     crs=25833)
    fac = stop_points(net, ["C", "B"])
    calls = []
    real = net.cost_matrix

    def counting(origins, destinations, **kw):
        calls.append(len(origins))
        return real(origins, destinations, **kw)

    monkeypatch.setattr(net, "cost_matrix", counting)
    iso = q.isochrones(fac, network=net, max_cost=[15, 30])
    assert len(calls) == 1  # the cells are costed once for both cut-offs and facilities
    # (the second bound searches from the stops on copies of the network, one departure each)
    assert list(iso.columns) == ["point", "max_cost", "unit", "street_km", "mode", "geometry"]
    assert iso["point"].tolist() == ["C", "C", "B", "B"]
    assert (iso["unit"] == "min").all() and iso["street_km"].isna().all()
    assert (iso["mode"] == "ÖPNV, Dienstag 7:00–7:02 Uhr, Median").all()
    assert not iso.is_empty.any()
    # nested: 15 minutes inside 30 minutes
    for p in ("C", "B"):
        small, big = iso.loc[iso["point"] == p, "geometry"]
        assert small.difference(big).area == pytest.approx(0.0)
    # per facility: the cell centres around every stop inside exactly when cost_matrix
    # puts them within the cut-off
    sxy = np.column_stack([net.stops.geometry.x, net.stops.geometry.y])
    xy = np.vstack([_centres(None, [*(s - 900), *(s + 900)], 100.0) for s in sxy])
    for name in ("C", "B"):
        cm = real(_points(xy, net.crs), fac.loc[[name]], max_cost=30)
        cost = np.full(len(xy), np.inf)
        cost[cm.rows] = cm.cost
        part = iso[iso["point"] == name]
        for cut, poly in zip(part["max_cost"], part.geometry, strict=True):
            inside = _inside(poly, xy)
            np.testing.assert_array_equal(inside, cost <= cut)
            assert inside.sum() > 50
    merged = q.isochrones(fac, network=net, max_cost=[15, 30], dissolve=True)
    assert list(merged.columns) == ["max_cost", "unit", "points", "mode", "geometry"]
    assert merged["points"].tolist() == [2, 2]
    union = iso[iso["max_cost"] == 30].union_all()
    assert merged.geometry.iloc[1].symmetric_difference(union).area == pytest.approx(0.0)
    with q.language("en"):
        en = q.isochrones(fac.iloc[:1], network=net, max_cost=15)
    assert en["mode"].iloc[0] == "public transport, Tuesday 7:00–7:02, median"


def test_tiny_feed_errors_and_empty_catchments(tiny):
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="07:02",
                                     crs=25833)
    fac = stop_points(net, ["C"])
    with pytest.raises(ParameterError, match="horizon"):
        q.isochrones(fac, network=net, max_cost=150)
    with pytest.raises(ParameterError, match="max_walk_m"):
        q.isochrones(fac, network=net, max_cost=15, max_snap=50)
    with pytest.raises(ParameterError, match="resolution"):
        q.isochrones(fac, network=net, max_cost=15, resolution=0)
    # 1 minute's walk is 58 m straight: no centre of a 1 km cell is that close to (300, 300)
    far = gpd.GeoDataFrame(geometry=[Point(400_300, 5_800_300)], crs=25833, index=["weit"])
    with pytest.warns(QuartierWarning, match="reach no cell centre.*weit"):
        iso = q.isochrones(far, network=net, max_cost=1, resolution=1000)
    assert iso.is_empty.all() and len(iso) == 1


# ---------------------------------------------------------------- the lower bound
def test_tiny_feed_stop_bounds_by_hand(tiny):
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="07:02",
                                     crs=25833)
    st = net.stops.set_index("stop_name")
    xy = np.column_stack([st.geometry.x, st.geometry.y])
    c = st.index.get_loc("C")
    bound = dict(zip(st.index, _isochrones.stop_bounds(net, xy[[c]], 3600) / 60, strict=True))
    transfer = DETOUR * 100.0 / SPEED / 60  # B -> B2, 100 m
    # rides only, no waiting: A -> B 15 min, walk, B2 -> C 15 min; D -> X -> C 20 min
    assert bound["A"] == pytest.approx(15 + transfer + 15, abs=0.01)
    assert bound["B"] == pytest.approx(transfer + 15, abs=0.01)
    assert bound["B2"] == pytest.approx(15.0)
    assert bound["C"] == 0.0 and bound["D"] == pytest.approx(20.0)
    cm = net.cost_matrix(st[["geometry"]], st.loc[["C"], ["geometry"]], max_cost=90)
    got = dict(zip(st.index[cm.rows], cm.cost, strict=True))
    assert got["A"] == pytest.approx(39.5)
    for name, cost in got.items():
        assert bound[name] <= cost + 1e-9


def _lower_bound_holds(net, pxy, fxy, max_cost):
    """For each facility: every reachable point's cost is at least both its bounds, and the
    second bound (with waiting) is at least the first."""
    pts = _points(pxy, net.crs)
    checked = tighter = 0
    for f in range(len(fxy)):
        first = _isochrones.point_bounds(net, pxy, fxy[[f]], max_cost * 60) / 60
        timed = _isochrones.point_bounds(net, pxy, fxy[[f]], max_cost * 60, timed=True) / 60
        cm = net.cost_matrix(pts, _points(fxy[[f]], net.crs), max_cost=max_cost)
        assert np.isfinite(timed[cm.rows]).all()
        assert (cm.cost >= timed[cm.rows] - 1 / 60).all()
        assert (timed >= first - 1 / 60).all()
        checked += cm.n_pairs
        tighter += int(np.isfinite(first).sum() - np.isfinite(timed).sum())
    return checked, tighter


def test_tiny_feed_bound_is_a_lower_bound_on_random_points(tiny):
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="06:55", end="07:30",
                                     crs=25833)
    st = net.stops
    sxy = np.column_stack([st.geometry.x, st.geometry.y])
    rng = np.random.default_rng(3)
    pxy = np.vstack([sxy, sxy[rng.integers(0, len(sxy), 300)] + rng.uniform(-700, 700,
                                                                              (300, 2))])
    checked, _ = _lower_bound_holds(net, pxy, sxy, 60)
    assert checked > 100


# ---------------------------------------------------------------- Uckermark
@pytest.fixture(scope="module")
def uckermark():
    if not UCKERMARK.exists():
        pytest.skip("shared VBB feeds not available")
    nets = {day: q.TransitNetwork.from_gtfs(UCKERMARK, date=day, start="08:00", end="10:00",
                                            crs=25833, step=20)
            for day in ("2021-09-14", "2021-09-19")}
    st = nets["2021-09-14"].stops
    town = st[st["stop_name"] == "Prenzlau, Bahnhof"].iloc[:1][["geometry"]]
    assert len(town) == 1
    return nets, town


@needs_data
def test_uckermark_bound_is_a_lower_bound(uckermark):
    nets, town = uckermark
    net = nets["2021-09-14"]
    st = net.stops
    sxy = np.column_stack([st.geometry.x, st.geometry.y])
    fxy = np.column_stack([town.geometry.x, town.geometry.y])
    rng = np.random.default_rng(7)
    close = sxy[np.hypot(*(sxy - fxy[0]).T) < 25_000]  # stops within 25 km of Prenzlau
    near = close[rng.integers(0, len(close), 300)] + rng.uniform(-600, 600, (300, 2))
    pxy = np.vstack([close[rng.integers(0, len(close), 200)], near])
    checked, tighter = _lower_bound_holds(net, pxy, fxy, 45)
    assert checked > 50
    assert tighter > 50  # the waiting rules out many points the rides alone would leave


@needs_data
def test_uckermark_prenzlau_catchment_agrees_with_cost_matrix(uckermark):
    nets, town = uckermark
    net = nets["2021-09-14"]  # with walking transfers (costed in batches: see below)
    res, cuts = 200.0, [15.0, 30.0]
    iso = q.isochrones(town, network=net, max_cost=cuts, resolution=res)
    assert (iso["mode"] == "ÖPNV, Dienstag 8:00–10:00 Uhr, Median").all()
    fac = town.reset_index(drop=True)
    rng = np.random.default_rng(11)
    st = net.stops
    sxy = np.column_stack([st.geometry.x, st.geometry.y])
    fxy = fac.geometry.iloc[0].coords[0]
    # random cell centres: near stops within 30 km of Prenzlau, and anywhere around it
    close = sxy[np.hypot(*(sxy - fxy).T) < 30_000]
    raw = np.vstack([close[rng.integers(0, len(close), 500)] + rng.uniform(-800, 800, (500, 2)),
                     np.asarray(fxy) + rng.uniform(-15_000, 15_000, (200, 2))])
    sample = np.unique((np.floor(raw / res) + 0.5) * res, axis=0)
    cm = net.cost_matrix(_points(sample, net.crs), fac, max_cost=cuts[-1])
    cost = np.full(len(sample), np.inf)
    cost[cm.rows] = cm.cost
    for cut, poly in zip(cuts, iso.geometry, strict=True):
        inside = _inside(poly, sample)
        # the sample's centres inside have costs within the cut-off, those outside do not
        np.testing.assert_array_equal(inside, cost <= cut)
        assert inside.sum() >= 20 and (~inside).sum() >= 100
        # every centre of the polygon: its cost is within the cut-off
        xy = _centres(poly, poly.bounds, res)
        xy = xy[_inside(poly, xy)]
        assert len(xy) == pytest.approx(poly.area / res**2)
        own = net.cost_matrix(_points(xy, net.crs), fac, max_cost=cut)
        assert own.n_pairs == len(xy)
        assert (own.cost <= cut).all()


@needs_data
def test_uckermark_sunday_catchment_much_smaller_than_tuesday(uckermark):
    nets, town = uckermark
    area = {}
    for day in ("2021-09-14", "2021-09-19"):
        net = nets[day]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no catchment is empty
            iso = q.isochrones(town, network=net, max_cost=30, resolution=200)
        area[day] = float(iso.area.iloc[0])
    assert area["2021-09-19"] > 0
    assert area["2021-09-19"] < area["2021-09-14"] / 3


@needs_data
def test_router_batch_independence(uckermark):
    """A point's cost must not depend on the other origins costed in the same call (the
    polygons are costed in large batches, the comparison above in small ones)."""
    nets, town = uckermark
    net = nets["2021-09-14"]
    fac = town.reset_index(drop=True)
    p = np.array([[425_900.0, 5_908_700.0]])  # 10 minutes' walk from two stops in Prenzlau
    near = p + np.random.default_rng(0).uniform(-3000, 3000, (80, 2))
    solo = net.cost_matrix(_points(p, net.crs), fac, max_cost=30)
    batch = net.cost_matrix(_points(np.vstack([p, near]), net.crs), fac, max_cost=30)
    assert solo.cost[solo.rows == 0].tolist() == batch.cost[batch.rows == 0].tolist()


@pytest.mark.filterwarnings("ignore:.*from any street")  # stops D and X, far cells
def test_tiny_feed_walking_along_streets(tiny):
    """With streets= the walks follow the streets (only the first bound picks the cells):
    the centres in the polygon are those cost_matrix puts within the cut-off."""
    plain = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:20", end="07:22",
                                       crs=25833)
    pts = stop_points(plain, ["A", "B", "B2", "C"])
    a, b, b2, c = np.column_stack([pts.geometry.x, pts.geometry.y])
    streets = q.StreetNetwork(np.vstack([a, b, b2, c, (b + b2) / 2 + [200.0, 0.0]]),
                              [0, 1, 4, 2], [1, 4, 2, 3], crs=25833)
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:20", end="07:22",
                                     crs=25833, streets=streets)
    res = 50.0
    iso = q.isochrones(pts.loc[["C"]], network=net, max_cost=[15, 25], resolution=res)
    for around in (b2, c):
        xy = _centres(None, [*(around - 700), *(around + 700)], res)
        cm = net.cost_matrix(_points(xy, net.crs), pts.loc[["C"]], max_cost=25)
        cost = np.full(len(xy), np.inf)
        cost[cm.rows] = cm.cost
        for cut, poly in zip(iso["max_cost"], iso.geometry, strict=True):
            np.testing.assert_array_equal(_inside(poly, xy), cost <= cut)
    # near B2: the 7:25 bus to C (7:40) within 25 minutes only, not within 15
    near_b2 = _centres(None, [*(b2 - 100), *(b2 + 100)], res)
    assert _inside(iso.geometry.iloc[1], near_b2).any()
    assert not _inside(iso.geometry.iloc[0], near_b2).any()
