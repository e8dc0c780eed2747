"""TransitNetwork engines: the compiled range-RAPTOR (numba) gives the travel times of the
numpy RAPTOR on the VBB feeds and agrees with an independent connection scan; a minimum
transfer time checked by hand on a tiny feed; the fallback to numpy with one warning."""

from __future__ import annotations

import sys
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point

import quartier as q
from quartier.access.transit import _raptor_engine
from quartier.errors import ParameterError, QuartierWarning
from test_transit import BERLIN, UCKERMARK, needs_data, stop_points, write_feed


def _numba():
    pytest.importorskip("numba", reason="numba (quartier[fast]) is not installed")


@pytest.fixture(autouse=True)
def _fresh_engine_state():
    """Every test starts with no loaded kernel and no remembered numba failure."""
    _raptor_engine._reset()
    yield
    _raptor_engine._reset()


def dense(net, engine, origins, dests, max_cost):
    net.engine = engine
    cm = net.cost_matrix(origins, dests, max_cost=max_cost)
    return cm, cm.to_dense()


def assert_same(net, origins, dests, max_cost=60):
    """Both engines: the same reachable pairs and the same minutes (1e-6)."""
    cm_nb, a = dense(net, "numba", origins, dests, max_cost)
    cm_np, b = dense(net, "numpy", origins, dests, max_cost)
    net.engine = "auto"
    assert np.array_equal(np.isnan(a), np.isnan(b))
    both = ~np.isnan(a)
    assert np.abs(a[both] - b[both]).max() <= 1e-6
    assert cm_nb.n_pairs == cm_np.n_pairs
    return cm_nb


# ---------------------------------------------------------------- minimum transfer time
@pytest.fixture(scope="module")
def change_feed(tmp_path_factory):
    """The feed of test_transit.py plus t7: B 07:21 -> C 07:30, one minute after t1 arrives."""
    folder = write_feed(tmp_path_factory.mktemp("feed") / "gtfs")
    with open(folder / "trips.txt", "a") as f:
        f.write("r,wk,t7\n")
    with open(folder / "stop_times.txt", "a") as f:
        f.write("t7,07:21:00,07:21:00,B,1\nt7,07:30:00,07:30:00,C,2\n")
    return folder


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_min_transfer_by_hand(change_feed, engine):
    if engine == "numba":
        _numba()

    def matrix(minutes):
        net = q.TransitNetwork.from_gtfs(change_feed, date="2021-09-14", start="07:00",
                                         end="07:02", crs=25833, min_transfer=minutes,
                                         engine=engine)
        pts = stop_points(net, ["A", "B", "C"])
        return pd.DataFrame(net.cost_matrix(pts, pts, max_cost=90).to_dense(),
                            index=pts.index, columns=pts.index)

    # no transfer time: t1 reaches B at 7:20, t7 leaves B at 7:21 -> C 7:30 (30, 29 min)
    assert matrix(0).loc["A", "C"] == pytest.approx(29.5)
    # 2 minutes: t7 (1 minute later at the same stop) is missed; walking to B2 takes
    # 1.3 * 100 m at 4.5 km/h = 104 s, + 2 min = 7:23:44, t2 at 7:25 -> C 7:40
    two = matrix(2)
    assert two.loc["A", "C"] == pytest.approx(39.5)
    # 4 minutes: 7:25:44 at B2, t2 is gone: unreachable
    four = matrix(4)
    assert np.isnan(four.loc["A", "C"])
    # the first vehicle is boarded without it: B -> C by t7 at 7:21, C 7:30 (30, 29 min)
    assert four.loc["B", "C"] == pytest.approx(29.5)
    assert four.loc["A", "B"] == pytest.approx(19.5)


def test_engine_and_min_transfer_are_checked(tmp_path):
    feed = write_feed(tmp_path / "gtfs")
    with pytest.raises(ParameterError, match="engine="):
        q.TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:00", end="07:02",
                                   crs=25833, engine="fast")
    with pytest.raises(ParameterError, match="min_transfer"):
        q.TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:00", end="07:02",
                                   crs=25833, min_transfer=-1)


def test_fallback_to_numpy_warns_once(tmp_path, monkeypatch):
    feed = write_feed(tmp_path / "gtfs")
    net = q.TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:00", end="07:02",
                                     crs=25833, engine="numba")
    pts = stop_points(net, ["A", "B", "C"])

    monkeypatch.setitem(sys.modules, "quartier.access.transit._raptor_numba", None)
    with pytest.warns(QuartierWarning, match="compiled RAPTOR kernel is not used"):
        got = net.cost_matrix(pts, pts, max_cost=90).to_dense()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # only once per process
        again = net.cost_matrix(pts, pts, max_cost=90).to_dense()
    net.engine = "numpy"
    want = net.cost_matrix(pts, pts, max_cost=90).to_dense()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(again, want)
    assert got[0, 1] == pytest.approx(19.5)


def test_auto_without_numba_warns_only_for_large_queries(tmp_path, monkeypatch):
    find_spec = _raptor_engine.importlib.util.find_spec
    monkeypatch.setattr(_raptor_engine.importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba" else find_spec(name, *a))
    assert _raptor_engine.engine_for("auto", 10) == "numpy"
    assert _raptor_engine._state["failed"] is None  # small: numpy anyway, no warning
    with pytest.warns(QuartierWarning, match="quartier\\[fast\\]"):
        assert _raptor_engine.engine_for("auto", _raptor_engine.NUMBA_MIN_QUERIES) == "numpy"


# ---------------------------------------------------------------- the VBB feeds
def sample_points(net, n_origins, n_dests, seed):
    """Points scattered around random stops (within walking reach of some)."""
    st = net.stops
    xy = np.column_stack([st.geometry.x, st.geometry.y])
    rng = np.random.default_rng(seed)
    o = xy[rng.choice(len(xy), n_origins, replace=False)] + rng.normal(0, 250, (n_origins, 2))
    d = xy[rng.choice(len(xy), n_dests, replace=False)] + rng.normal(0, 250, (n_dests, 2))
    return (gpd.GeoDataFrame(geometry=[Point(p) for p in o], crs=25833),
            gpd.GeoDataFrame(geometry=[Point(p) for p in d], crs=25833))


@pytest.fixture(scope="module")
def berlin_window():
    return q.TransitNetwork.from_gtfs(BERLIN, date="2021-09-14", start="07:00", end="07:20",
                                      crs=25833, horizon=60)


@needs_data
@pytest.mark.parametrize("minutes", [0, 2])
def test_berlin_numba_equals_numpy(berlin_window, minutes):
    _numba()
    berlin_window.min_transfer = minutes
    try:
        origins, dests = sample_points(berlin_window, 30, 60, seed=7)
        cm = assert_same(berlin_window, origins, dests)
    finally:
        berlin_window.min_transfer = 0
    assert cm.n_pairs >= 300  # enough journeys compared
    assert (cm.cost > 0).all()


@needs_data
def test_uckermark_numba_equals_numpy():
    _numba()
    net = q.TransitNetwork.from_gtfs(UCKERMARK, date="2021-09-14", start="07:00",
                                     end="07:20", crs=25833, horizon=90)
    origins, dests = sample_points(net, 30, 60, seed=3)
    cm = assert_same(net, origins, dests, max_cost=90)
    assert cm.n_pairs >= 30
