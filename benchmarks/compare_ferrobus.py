"""Engine choice for TransitNetwork: ferrobus (Rust RAPTOR on PyPI) against quartier's RAPTOR.

The tiny hand-checked feed of tests/test_transit.py, moved onto the OpenStreetMap extract
north of Bayreuth (ferrobus needs an .osm.pbf street network for every walk), is routed by
both engines at 07:00, 24:00 and 00:55. Needs ``pip install ferrobus`` (not a dependency).
Results are summarised in benchmarks/results/transit.md.

Run: PYTHONPATH=src python benchmarks/compare_ferrobus.py
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

import quartier as q

HERE = Path(__file__).resolve().parent
PBF = HERE.parent / ".." / "shared" / "data" / "osm_north_bayreuth" / "north-bayreuth.osm.pbf"
sys.path.insert(0, str(HERE.parent / "tests"))
from test_transit import write_feed  # noqa: E402

MOVE = [("52.5009", "50.0009"), (",52.5,", ",50.0,"), ("13.30", "11.45"), ("13.35", "11.50"),
        ("13.40", "11.55"), ("13.45", "11.60"), ("13.55", "11.65")]


def main() -> None:
    import ferrobus

    folder = write_feed(Path(tempfile.mkdtemp()) / "feed")
    text = (folder / "stops.txt").read_text()
    for a, b in MOVE:
        text = text.replace(a, b)
    (folder / "stops.txt").write_text(text)
    (folder / "agency.txt").write_text("agency_id,agency_name,agency_url,agency_timezone\n"
                                       "a,A,http://example.org,Europe/Berlin\n")
    (folder / "routes.txt").write_text("route_id,agency_id,route_short_name,route_type\nr,a,1,3\n")
    stops = pd.read_csv(folder / "stops.txt")
    model = ferrobus.create_transit_model(str(PBF), [str(folder)], dt.date(2021, 9, 14), 1800)
    points, names = [], []
    for r in stops.itertuples():
        try:
            points.append(ferrobus.create_transit_point(r.stop_lat, r.stop_lon, model, 1200, 10))
            names.append(r.stop_id)
        except ValueError as err:
            print(f"ferrobus: stop {r.stop_id}: {err}")
    streets = q.StreetNetwork.from_osm(PBF, "walk", crs=25832)
    gdf = gpd.GeoDataFrame(stops, geometry=gpd.points_from_xy(stops.stop_lon, stops.stop_lat),
                           crs=4326).to_crs(25832).set_index("stop_id").loc[names, ["geometry"]]
    for start in ["07:00", "24:00", "00:55"]:
        h, m = map(int, start.split(":"))
        mat = ferrobus.travel_time_matrix(model, points, h * 3600 + m * 60, 5)
        fb = pd.DataFrame([[None if v is None else round(v / 60, 1) for v in row] for row in mat],
                          index=names, columns=names)
        print(f"\nferrobus, departure {start} (minutes)\n{fb}")
        end = f"{h:02d}:{m + 1:02d}"
        for label, kw in [("straight line x 1.3", {}), ("streets", {"streets": streets})]:
            net = q.TransitNetwork.from_gtfs(folder, date="2021-09-14", start=start, end=end,
                                             crs=25832, max_walk_m=1500, **kw)
            ours = pd.DataFrame(net.cost_matrix(gdf, gdf, max_cost=120).to_dense(),
                                index=names, columns=names).round(1)
            print(f"quartier ({label}), departure {start}\n{ours}")


if __name__ == "__main__":
    main()
