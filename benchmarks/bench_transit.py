"""Public transport: Berlin 100 m cells with people aged 80+ to the care homes (TransitNetwork).

The acceptance case of issue #18: the Zensus 2011 100 m cells with people 80+ inside
Berlin (all of them, or a random sample, seed 0) to all 274 care homes of the Berlin WFS
export, by bus and train on Tuesday 14 September 2021, 7:00-9:00, median over departures
every minute, cut-off 60 minutes, with the compiled engine (numba). Reports the time to
read the feed and build the router, the time of the cost matrix, peak memory (fresh
process), the pairs, and the share of the people 80+ (weighted by the cell counts) with
a care home within 30 minutes. Beside it, in the same process, both engines on a small
sample of the same cells: milliseconds per origin x departure, the ratio, and whether
the travel times agree. Results go to benchmarks/results/transit.md.

Run: PYTHONPATH=src python benchmarks/bench_transit.py [n_cells|all] [n_compare]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from _util import peak_rss_mb, table

SHARED = Path(os.environ.get("QUARTIER_SHARED_DATA",
                             Path(__file__).resolve().parents[2] / "shared" / "data"))
FEED = SHARED / "vbb_gtfs_2021" / "berlin_2021-09-14_2021-09-19.zip"
CELLS = SHARED / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv"
HOMES = SHARED / "berlin_facilities" / "pflegeeinrichtungen.geojson"


def all_cells() -> gpd.GeoDataFrame:
    cells = pd.read_csv(CELLS)
    cells = cells[(cells["in_city"].astype(str) == "True") & (cells["value"] > 0)]
    return gpd.GeoDataFrame(cells[["value"]], crs=3035,
                            geometry=gpd.points_from_xy(cells["x"], cells["y"])).to_crs(25833)


def run(n_cells: int | None, n_compare: int) -> dict:
    import quartier as q

    t = time.perf_counter()
    net = q.TransitNetwork.from_gtfs(FEED, date="2021-09-14", start="07:00", end="09:00",
                                     crs=25833, step=1, horizon=60, engine="numba")
    build = time.perf_counter() - t
    cells = all_cells()
    n_all = len(cells)
    if n_cells is not None and n_cells < n_all:
        cells = cells.sample(n_cells, random_state=0)
    homes = q.read_facilities(HOMES, crs=25833)
    nd = len(net.departures)
    # warm-up: load (or compile) the kernel outside the timing
    t = time.perf_counter()
    net.cost_matrix(cells.iloc[:2], homes, max_cost=60)
    load = time.perf_counter() - t
    t = time.perf_counter()
    cm = net.cost_matrix(cells, homes, max_cost=60)
    matrix = time.perf_counter() - t
    near = cm.nearest()
    within30 = near["cost"].to_numpy() <= 30  # NaN (none in 60 min) compares False
    share = float(cells["value"].to_numpy()[within30].sum() / cells["value"].sum())
    row = {"cells": f"{len(cells):,} of {n_all:,}", "care homes": len(homes),
           "departures": nd, "stops": len(net.stops), "trips": net.n_trips,
           "build s": round(build, 1), "kernel load s": round(load, 1),
           "matrix s": round(matrix, 1),
           "ms per origin x departure": round(1000 * matrix / (len(cells) * nd), 3),
           "pairs": cm.n_pairs,
           "80+ with a home within 30 min": f"{100 * share:.1f} %",
           "median to nearest (min)": round(float(near["cost"].median()), 1),
           "cells without a home in 60 min": int(near["cost"].isna().sum())}
    # both engines side by side on a small sample of the same cells
    sample = cells.sample(n_compare, random_state=1)
    times, dense = {}, {}
    for engine in ("numba", "numpy"):
        net.engine = engine
        t = time.perf_counter()
        dense[engine] = net.cost_matrix(sample, homes, max_cost=60).to_dense()
        times[engine] = time.perf_counter() - t
    a, b = dense["numba"], dense["numpy"]
    same_pairs = bool((np.isnan(a) == np.isnan(b)).all())
    both = ~np.isnan(a) & ~np.isnan(b)
    diff = float(np.abs(a[both] - b[both]).max()) if both.any() else 0.0
    compare = {"cells": n_compare, "departures": nd,
               "numpy ms per origin x departure": round(1000 * times["numpy"] / (n_compare * nd), 2),
               "numba ms per origin x departure": round(1000 * times["numba"] / (n_compare * nd), 3),
               "ratio (numpy / numba)": round(times["numpy"] / times["numba"], 1),
               "same pairs": same_pairs, "largest difference (min)": f"{diff:.1e}"}
    return {"full": row, "compare": compare}


def main() -> None:
    arg = sys.argv[1] if len(sys.argv) > 1 else "all"
    n_cells = None if arg == "all" else int(arg)
    n_compare = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    peak, res = peak_rss_mb(run, n_cells, n_compare)
    res["full"]["peak MB"] = round(peak)
    print(table([res["full"]], list(res["full"])))
    print()
    print(table([res["compare"]], list(res["compare"])))


if __name__ == "__main__":
    main()
