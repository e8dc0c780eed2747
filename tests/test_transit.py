"""Public transport travel times (TransitNetwork): hand-computed feed, Berlin vs. an
independent connection scan, walking bounds, Uckermark on a Sunday."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely import Point

import quartier as q
from quartier.errors import CRSError, DataError, MissingFileError, ParameterError

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "vbb_gtfs_2021"
BERLIN = DATA / "berlin_2021-09-14_2021-09-19.zip"
UCKERMARK = DATA / "uckermark_2021-09-14_2021-09-19.zip"
needs_data = pytest.mark.skipif(not BERLIN.exists(), reason="shared VBB feeds not available")

SPEED = 4.5 / 3.6  # m/s
DETOUR = 1.3


# ---------------------------------------------------------------- a tiny synthetic feed
def write_feed(folder: Path) -> Path:
    """Stops 3.4 km apart on a line (no walking between them); B2 is 100 m north of B."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
                     "A,A,52.5,13.30\nB,B,52.5,13.35\nB2,B2,52.5009,13.35\n"
                     "C,C,52.5,13.40\nD,D,52.5,13.45\nX,X,52.5,13.55\n",
        "trips.txt": "route_id,service_id,trip_id\n"
                     "r,wk,t1\nr,extra,t2\nr,gone,t3\nr,wk,t4\nr,mon,t5\nr,wk,t6\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                        "start_date,end_date\n"
                        "wk,1,1,1,1,1,0,0,20210901,20210930\n"
                        "gone,1,1,1,1,1,0,0,20210901,20210930\n"
                        "mon,1,0,0,0,0,0,0,20210901,20210930\n",
        "calendar_dates.txt": "service_id,date,exception_type\n"
                              "extra,20210914,1\ngone,20210914,2\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "t1,07:05:00,07:05:00,A,1\nt1,07:20:00,07:20:00,B,2\n"
                          "t2,07:25:00,07:25:00,B2,1\nt2,07:40:00,07:40:00,C,2\n"
                          "t3,07:06:00,07:06:00,A,1\nt3,07:15:00,07:15:00,C,2\n"
                          "t4,24:10:00,24:10:00,C,1\nt4,24:40:00,24:40:00,D,2\n"
                          "t5,25:00:00,25:00:00,D,1\nt5,25:30:00,25:30:00,A,2\n"
                          "t6,08:00:00,08:00:00,D,1\nt6,,,X,2\nt6,08:20:00,08:20:00,C,3\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def stop_points(net, names):
    st = net.stops.set_index("stop_name")
    return st.loc[list(names), ["geometry"]]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_feed(tmp_path_factory.mktemp("feed") / "gtfs")


def test_tiny_feed_transfer_and_calendar_exceptions(tiny):
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="07:02",
                                     crs=25833)
    pts = stop_points(net, ["A", "B", "C"])
    dense = pd.DataFrame(net.cost_matrix(pts, pts, max_cost=90).to_dense(),
                         index=pts.index, columns=pts.index)
    # leaving 7:00 and 7:01: t1 arrives at B 7:20 -> 20 and 19 minutes, median 19.5
    assert dense.loc["A", "B"] == pytest.approx(19.5)
    # t3 (A 7:06 -> C 7:15) is removed by calendar_dates; t2 (added by calendar_dates) leaves
    # from B2, 100 m from B: walk 1.3 * 100 m at 4.5 km/h = 104 s, arrival C 7:40
    assert dense.loc["A", "C"] == pytest.approx(39.5)
    assert dense.loc["B", "C"] == pytest.approx(39.5)
    # no way back: unreachable is NaN, never 0
    assert np.isnan(dense.loc["C", "A"]) and np.isnan(dense.loc["B", "A"])
    assert dense.loc["A", "A"] == 0.0


def test_tiny_feed_after_midnight_and_previous_day(tiny):
    late = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="24:00", end="24:02",
                                      crs=25833)
    pts = stop_points(late, ["C", "D"])
    assert late.cost_matrix(pts, pts).to_dense()[0, 1] == pytest.approx(39.5)  # 24:10 -> 24:40
    # the Monday trip at 25:00 (01:00 on Tuesday) serves an early window on Tuesday
    early = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="00:55", end="00:57",
                                       crs=25833)
    pts = stop_points(early, ["D", "A"])
    assert early.cost_matrix(pts, pts).to_dense()[0, 1] == pytest.approx(34.5)
    # ... but not on Wednesday (Tuesday has no 'mon' service)
    with pytest.raises(DataError, match="no trip"):
        q.TransitNetwork.from_gtfs(tiny, date="2021-09-15", start="00:55", end="00:57",
                                   crs=25833)
    wed = q.TransitNetwork.from_gtfs(tiny, date="2021-09-15", start="00:30", end="00:32",
                                     crs=25833)
    assert wed.n_trips == 1  # only Tuesday's t4 (24:10-24:40), not Monday's t5


def test_tiny_feed_missing_times_are_interpolated(tiny):
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:55", end="07:57",
                                     crs=25833)
    pts = stop_points(net, ["D", "X", "C"])
    dense = net.cost_matrix(pts, pts).to_dense()
    assert dense[0, 1] == pytest.approx(14.5)  # X at 08:10, halfway between 08:00 and 08:20
    assert dense[0, 2] == pytest.approx(24.5)


def test_tiny_feed_zip_several_feeds_percentile_and_errors(tiny, tmp_path):
    zpath = tmp_path / "feed.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in tiny.iterdir():
            zf.write(f, f.name)
    net = q.TransitNetwork.from_gtfs([zpath, tiny], date="2021-09-14", start="07:00",
                                     end="07:02", crs=25833, percentile=100)
    assert len(net.stops) == 2 * len(set(net.stops["stop_name"]))  # ids kept apart
    pts = stop_points(net.__class__.from_gtfs(tiny, date="2021-09-14", start="07:00",
                                              end="07:02", crs=25833), ["A", "B"])
    assert net.cost_matrix(pts, pts).to_dense()[0, 1] == pytest.approx(20.0)  # worst case
    with pytest.raises(CRSError):
        q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="08:00",
                                   crs=4326)
    with pytest.raises(ParameterError):
        q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="08:00", end="07:00",
                                   crs=25833)
    with pytest.raises(MissingFileError):
        q.TransitNetwork.from_gtfs(tmp_path / "nope", date="2021-09-14", start="07:00",
                                   end="08:00", crs=25833)
    with pytest.raises(CRSError):
        net.cost_matrix(pts.to_crs(4326), pts)
    with pytest.raises(DataError, match="2021-09-18"):  # a Saturday: nothing runs
        q.TransitNetwork.from_gtfs(tiny, date="2021-09-18", start="07:00", end="08:00",
                                   crs=25833)
    with pytest.raises(ParameterError, match="horizon"):
        net.cost_matrix(pts, pts, max_cost=150)


# ---------------------------------------------------------------- Berlin vs. a plain scan
def oracle_scan(path, date, deps, origins_xy, dests_xy, *, max_walk=800.0, max_transfer=400.0,
                horizon_s=45 * 60):
    """Connection scan over the stop_times of the date, in plain Python (independent)."""
    zf = zipfile.ZipFile(path)

    def read(name):
        return pd.read_csv(io.BytesIO(zf.read(name)), dtype=str)
    cal = read("calendar_dates.txt")  # the VBB extract has no calendar.txt
    key = date.replace("-", "")
    services = set(cal.loc[(cal["date"] == key) & (cal["exception_type"] == "1"), "service_id"])
    trips = read("trips.txt")
    run = set(trips.loc[trips["service_id"].isin(services), "trip_id"])
    st = read("stop_times.txt")
    st = st[st["trip_id"].isin(run)].copy()

    def secs(col):
        hms = st[col].str.split(":", expand=True).astype(int)
        return hms[0] * 3600 + hms[1] * 60 + hms[2]
    st["arr"], st["dep"] = secs("arrival_time"), secs("departure_time")
    st["seq"] = st["stop_sequence"].astype(int)
    st = st.sort_values(["trip_id", "seq"])
    nxt = st.groupby("trip_id").shift(-1)
    conns = pd.DataFrame({"trip": st["trip_id"], "s": st["stop_id"], "t": st["dep"],
                          "r": nxt["stop_id"], "a": nxt["arr"]}).dropna()
    lo, hi = min(deps), max(deps) + horizon_s
    conns = conns[(conns["t"] >= lo) & (conns["t"] <= hi)].sort_values(["t", "a"])
    stops = read("stops.txt").set_index("stop_id")
    used = pd.Index(pd.unique(np.r_[conns["s"].to_numpy(), conns["r"].to_numpy()]))
    tr = Transformer.from_crs(4326, 25833, always_xy=True)
    x, y = tr.transform(stops.loc[used, "stop_lon"].astype(float).to_numpy(),
                        stops.loc[used, "stop_lat"].astype(float).to_numpy())
    xy = np.column_stack([x, y])
    pos = {s: i for i, s in enumerate(used)}

    def walks(p, limit):  # straight line x 1.3 at 4.5 km/h, up to `limit` walked metres
        d = np.hypot(xy[:, 0] - p[0], xy[:, 1] - p[1]) * DETOUR
        near = np.flatnonzero(d <= limit)
        return list(zip(near.tolist(), (d[near] / SPEED).tolist(), strict=True))
    foot = [[(j, w) for j, w in walks(xy[i], max_transfer) if j != i] for i in range(len(xy))]
    egress = [walks(p, max_walk) for p in dests_xy]
    c_s = [pos[s] for s in conns["s"]]
    c_r = [pos[s] for s in conns["r"]]
    c_t, c_a, c_trip = conns["t"].tolist(), conns["a"].tolist(), conns["trip"].tolist()
    out = np.full((len(origins_xy), len(dests_xy), len(deps)), np.inf)
    for i, o in enumerate(origins_xy):
        access = walks(o, max_walk)
        for k, t0 in enumerate(deps):
            tau = [np.inf] * len(xy)
            for j, w in access:
                tau[j] = min(tau[j], t0 + w)
            on = set()
            for s, r, t, a, trip in zip(c_s, c_r, c_t, c_a, c_trip, strict=True):
                if t < t0:
                    continue
                if trip in on or tau[s] <= t:
                    on.add(trip)
                    if a < tau[r]:
                        tau[r] = a
                        for j, w in foot[r]:
                            if a + w < tau[j]:
                                tau[j] = a + w
            for d_i, p in enumerate(dests_xy):
                best = min([tau[j] + w for j, w in egress[d_i]] or [np.inf])
                direct = np.hypot(*(np.asarray(p) - o)) * DETOUR
                if direct <= max_walk:
                    best = min(best, t0 + direct / SPEED)
                out[i, d_i, k] = best - t0
    return out


@pytest.fixture(scope="module")
def berlin():
    return q.TransitNetwork.from_gtfs(BERLIN, date="2021-09-14", start="07:00", end="07:05",
                                      crs=25833, horizon=45, max_rounds=12)


@needs_data
@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_berlin_journeys_match_connection_scan(berlin, engine):
    if engine == "numba":  # the same network, searched by the compiled router
        pytest.importorskip("numba")
        berlin = q.TransitNetwork.from_gtfs(BERLIN, date="2021-09-14", start="07:00",
                                            end="07:05", crs=25833, horizon=45, max_rounds=12,
                                            engine="numba")
    st = berlin.stops
    rng = np.random.default_rng(18)
    pick = rng.choice(len(st), 20, replace=False)
    xy = np.column_stack([st.geometry.x, st.geometry.y])[pick] + [30.0, -40.0]
    origins = gpd.GeoDataFrame(geometry=[Point(p) for p in xy[:4]], crs=25833)
    dests = gpd.GeoDataFrame(geometry=[Point(p) for p in xy[4:]], crs=25833)
    got = berlin.cost_matrix(origins, dests, max_cost=45).to_dense()
    times = oracle_scan(BERLIN, "2021-09-14", list(berlin.departures), xy[:4], xy[4:])
    want = np.median(np.where(np.isfinite(times), times, 1e9), axis=2) / 60
    inside = want <= 44
    print(f"compared {int(inside.sum())} pairs, largest difference "
          f"{np.abs(got[inside] - want[inside]).max():.3f} min")
    assert inside.sum() >= 15  # enough journeys are compared
    assert np.abs(got[inside] - want[inside]).max() <= 1.0
    assert np.isnan(got[want > 46]).all()


@needs_data
def test_berlin_never_slower_than_walking_and_not_faster_than_trains(berlin):
    st = berlin.stops
    sub = st.iloc[::400]
    xy = np.column_stack([sub.geometry.x, sub.geometry.y])
    # origins 300 m from the stops: the stop and its neighbours are in walking reach
    origins = gpd.GeoDataFrame(geometry=[Point(p) for p in xy + [0.0, 300.0]], crs=25833)
    dests = gpd.GeoDataFrame(geometry=[Point(p) for p in xy], crs=25833)
    cm = berlin.cost_matrix(origins, dests, max_cost=45)
    straight = np.hypot(*(xy[cm.rows] + [0.0, 300.0] - xy[cm.cols]).T)
    walk_min = straight * DETOUR / SPEED / 60
    walkable = straight * DETOUR <= 800
    assert walkable.sum() >= len(sub)  # every origin has its stop in walking reach
    assert (cm.cost[walkable] <= walk_min[walkable] + 1e-9).all()
    assert (cm.cost >= straight / (160 / 3.6) / 60).all()  # no faster than 160 km/h
    assert (cm.cost > 0).all()  # origins are never on a destination: no zero


# ---------------------------------------------------------------- Uckermark on a Sunday
@needs_data
def test_uckermark_sunday_villages_unreachable_not_zero():
    tue = q.TransitNetwork.from_gtfs(UCKERMARK, date="2021-09-14", start="08:00",
                                     end="10:00", crs=25833, step=20)
    sun = q.TransitNetwork.from_gtfs(UCKERMARK, date="2021-09-19", start="08:00",
                                     end="10:00", crs=25833, step=20)
    served = set(sun.stops["stop_id"])
    st = tue.stops
    lone = st[~st["stop_id"].isin(served)]
    # villages: Tuesday-only stops with no Sunday stop within 2 km
    sun_xy = np.column_stack([sun.stops.geometry.x, sun.stops.geometry.y])
    d = np.hypot(lone.geometry.x.to_numpy()[:, None] - sun_xy[None, :, 0],
                 lone.geometry.y.to_numpy()[:, None] - sun_xy[None, :, 1]).min(axis=1)
    villages = lone[d > 2000].iloc[:40][["stop_name", "geometry"]]
    assert len(villages) >= 10
    town = sun.stops[sun.stops["stop_name"] == "Prenzlau, Bahnhof"].iloc[:1][["geometry"]]
    assert len(town) == 1
    res = q.coverage(villages.assign(people=1.0), town, max_cost=90, demand_col="people",
                     network=sun)
    assert res.units["cost"].isna().all()
    assert not res.units["covered"].any()
    assert res.units["reason"].notna().all()
    # the same villages reach Prenzlau on Tuesday (some of them, within two hours)
    weekday = tue.cost_matrix(villages, town, max_cost=120)
    assert weekday.n_pairs >= 1
    assert (weekday.cost > 0).all()


def test_tiny_feed_fca_and_coverage_accept_the_network(tiny):
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="07:02",
                                     crs=25833)
    pts = stop_points(net, ["A", "B", "C"])
    demand = pts.loc[["A", "B"]].assign(people=[10.0, 30.0])
    supply = pts.loc[["C"]].assign(places=[8.0])
    res = q.fca(demand, supply, max_cost=45, demand_col="people", capacity="places",
                network=net)
    # both reach C in 39.5 min: R = 8 / (10 + 30) = 0.2
    assert res.scores.to_numpy() == pytest.approx([0.2, 0.2])
    cov = q.coverage(demand, supply, max_cost=30, demand_col="people", network=net)
    assert cov.units["cost"].to_numpy() == pytest.approx([39.5, 39.5])
    assert not cov.units["covered"].any()
    assert "TransitNetwork(2021-09-14 07:00-07:02" in repr(net)


FV = DATA.parent / "gtfs_de_fv_2023" / "gtfs_de_fv_free_2023-12-03_2024-01-02.zip"


@pytest.mark.skipif(not FV.exists(), reason="shared long-distance feed not available")
def test_long_distance_feed_calendar_txt_trip_count():
    """calendar.txt + calendar_dates.txt of gtfs.de: trips of Tuesday 5 December 2023."""
    zf = zipfile.ZipFile(FV)

    def read(name):
        return pd.read_csv(io.BytesIO(zf.read(name)), dtype=str)
    cal, ex, trips = read("calendar.txt"), read("calendar_dates.txt"), read("trips.txt")

    def running(day: str, weekday: str) -> set:
        on = set(cal.loc[(cal[weekday] == "1") & (cal["start_date"] <= day)
                         & (cal["end_date"] >= day), "service_id"])
        on |= set(ex.loc[(ex["date"] == day) & (ex["exception_type"] == "1"), "service_id"])
        return on - set(ex.loc[(ex["date"] == day) & (ex["exception_type"] == "2"),
                               "service_id"])
    st = read("stop_times.txt")
    last = st.groupby("trip_id")["arrival_time"].max()
    first = st.groupby("trip_id")["departure_time"].min()
    today = set(trips.loc[trips["service_id"].isin(running("20231205", "tuesday")), "trip_id"])
    # trips of the day that start after end + horizon (24:59) are left out
    today = {t for t in today if first.get(t, "99") <= "24:59:00"}
    night = set(trips.loc[trips["service_id"].isin(running("20231204", "monday")), "trip_id"])
    night = {t for t in night if last.get(t, "00") >= "24:00:00"}
    net = q.TransitNetwork.from_gtfs(FV, date="2023-12-05", start="00:00", end="23:59",
                                     crs=25832, horizon=60)
    assert net.n_trips == len(today) + len(night)
    assert len(today) > 100


@pytest.mark.filterwarnings("ignore:.*from any street")  # stops D and X: no street near
def test_tiny_feed_walks_along_streets(tiny):
    """With streets=, the transfer B -> B2 takes the street detour and misses the 7:25 bus."""
    plain = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="07:02",
                                       crs=25833)
    pts = stop_points(plain, ["A", "B", "B2", "C"])
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    a, b, b2, c = xy
    w = (b + b2) / 2 + [200.0, 0.0]  # B -> W -> B2: 2 x 206.2 m instead of 100 m
    streets = q.StreetNetwork(np.vstack([a, b, b2, c, w]), [0, 1, 4, 2], [1, 4, 2, 3],
                              crs=25833)
    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="07:02",
                                     crs=25833, streets=streets)
    dense = pd.DataFrame(net.cost_matrix(pts, pts, max_cost=90).to_dense(),
                         index=pts.index, columns=pts.index)
    walk = 2 * np.hypot(200.0, 50.0) / SPEED / 60  # 5.5 minutes along the streets
    assert dense.loc["B", "B2"] == pytest.approx(walk, abs=0.01)
    assert dense.loc["A", "B"] == pytest.approx(19.5)
    # arrive B 7:20, walk 5.5 min: the 7:25 bus at B2 is gone; no later one
    assert np.isnan(dense.loc["A", "C"])
    assert dense.loc["B", "C"] == pytest.approx(39.5)
    straight = pd.DataFrame(plain.cost_matrix(pts, pts, max_cost=90).to_dense(),
                            index=pts.index, columns=pts.index)
    assert straight.loc["A", "C"] == pytest.approx(39.5)


def test_the_mode_is_named_in_labels_and_in_the_statement(tiny):
    from quartier.planning._statement_compute import measure

    net = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="09:00",
                                     crs=25833)
    assert net.mode_label("de") == "ÖPNV, Dienstag 7:00–9:00 Uhr, Median"  # 14.9.2021: Tue
    assert net.mode_label("en") == "public transport, Tuesday 7:00–9:00, median"
    p90 = q.TransitNetwork.from_gtfs(tiny, date="2021-09-14", start="07:00", end="07:30",
                                     crs=25833, percentile=90)
    assert p90.mode_label("de") == "ÖPNV, Dienstag 7:00–7:30 Uhr, 90. Perzentil"
    assert measure(net, "de") == net.mode_label("de")
