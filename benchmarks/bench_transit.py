"""Public transport: Berlin 100 m cells with people aged 80+ to the care homes (TransitNetwork).

A subset (random cells with people 80+ inside Berlin, seed 0) of the Zensus 2011 100 m grid
to all 274 care homes of the Berlin WFS export, by bus and train on Tuesday 14 September
2021, 7:00-9:00, median over departures every ``STEP`` minutes, max 60 minutes. Reports
the time to read the feed and build the router, the time of the cost matrix, and peak
memory (fresh process). Results go to benchmarks/results/transit.md.

Run: PYTHONPATH=src python benchmarks/bench_transit.py [n_cells] [step]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from _util import peak_rss_mb, table

SHARED = Path(os.environ.get("QUARTIER_SHARED_DATA",
                             Path(__file__).resolve().parents[2] / "shared" / "data"))
FEED = SHARED / "vbb_gtfs_2021" / "berlin_2021-09-14_2021-09-19.zip"
CELLS = SHARED / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv"
HOMES = SHARED / "berlin_facilities" / "pflegeeinrichtungen.geojson"


def run(n_cells: int, step: float) -> dict:
    import quartier as q

    t = time.perf_counter()
    net = q.TransitNetwork.from_gtfs(FEED, date="2021-09-14", start="07:00", end="09:00",
                                     crs=25833, step=step, horizon=60)
    build = time.perf_counter() - t
    cells = pd.read_csv(CELLS)
    cells = cells[(cells["in_city"].astype(str) == "True") & (cells["value"] > 0)]
    cells = cells.sample(n_cells, random_state=0)
    origins = gpd.GeoDataFrame(cells[["value"]], crs=3035,
                               geometry=gpd.points_from_xy(cells["x"], cells["y"])).to_crs(25833)
    homes = q.read_facilities(HOMES, crs=25833)
    t = time.perf_counter()
    cm = net.cost_matrix(origins, homes, max_cost=60)
    matrix = time.perf_counter() - t
    near = cm.nearest()
    return {"cells": n_cells, "care homes": len(homes), "departures": len(net.departures),
            "stops": len(net.stops), "trips": net.n_trips, "build s": round(build, 1),
            "matrix s": round(matrix, 1), "pairs": cm.n_pairs,
            "median to nearest (min)": round(float(near["cost"].median()), 1),
            "cells without a home in 60 min": int(near["cost"].isna().sum())}


def main() -> None:
    n_cells = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    step = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    peak, row = peak_rss_mb(run, n_cells, step)
    row["peak MB"] = round(peak)
    print(table([row], list(row)))


if __name__ == "__main__":
    main()
