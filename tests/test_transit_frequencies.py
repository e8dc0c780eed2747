"""GTFS frequencies.txt: a trip given by a headway runs every headway (hand-checked)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import quartier as q
from quartier.errors import DataError


def write_feed(folder: Path, frequencies: str) -> Path:
    """A bus A -> B (15 minutes) every 10 minutes from 7:00 to before 8:00 by frequencies.txt;
    the stops are 3.4 km apart, too far to walk."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nA,A,52.5,13.30\nB,B,52.5,13.35\n",
        "trips.txt": "route_id,service_id,trip_id\nr,wk,t1\n",
        "calendar_dates.txt": "service_id,date,exception_type\nwk,20210914,1\n",
        # the template's own times (5:00) are only running times: 15 minutes A -> B
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "t1,05:00:00,05:00:00,A,1\nt1,05:15:00,05:15:00,B,2\n",
        "frequencies.txt": frequencies,
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def stops(net):
    return net.stops.set_index("stop_name").loc[["A", "B"], ["geometry"]]


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_headway_trips_run_every_headway(tmp_path, engine):
    if engine == "numba":
        pytest.importorskip("numba")
    feed = write_feed(tmp_path / "gtfs", "trip_id,start_time,end_time,headway_secs\n"
                                         "t1,07:00:00,08:00:00,600\n")
    # leaving A at 7:01 ... 7:10: the bus at 7:10 arrives 7:25, 24 ... 15 minutes, median 19.5
    net = q.TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:01", end="07:11",
                                     crs=25833, engine=engine)
    assert net.n_trips == 6  # 7:00, 7:10, ..., 7:50; the template's own 5:00 run is not one
    cm = net.cost_matrix(stops(net), stops(net), max_cost=60)
    got = dict(zip(zip(cm.rows.tolist(), cm.cols.tolist()), cm.cost.tolist(), strict=True))
    assert got[(0, 1)] == pytest.approx(np.median(np.arange(24, 14, -1)))
    # the last run leaves at 7:50: leaving at 7:51 there is none (end_time is excluded)
    late = q.TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:51", end="07:53",
                                      crs=25833, engine=engine)
    assert np.isnan(late.cost_matrix(stops(late), stops(late), max_cost=60).to_dense()[0, 1])


def test_bad_headway_names_the_file_and_the_trip(tmp_path):
    feed = write_feed(tmp_path / "gtfs", "trip_id,start_time,end_time,headway_secs\n"
                                         "t1,07:00:00,08:00:00,0\n")
    with pytest.raises(DataError, match=r"frequencies\.txt.*'t1'.*headway_secs above 0"):
        q.TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:00", end="07:10",
                                   crs=25833)
