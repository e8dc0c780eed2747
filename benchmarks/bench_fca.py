"""2SFCA and E2SFCA: quartier.fca against PySAL access, from 20,000 x 500 to 2,000,000 x 10,000.

Demand points and facilities are generated uniformly over a 30 km x 30 km
city; the catchment is 1,500 m (straight line). quartier runs end to end
(GeoDataFrames in, distances included) with its streaming kernel: no pair is
stored; the numba kernel is compiled/loaded once per process on a small
input before timing. access gets the reachable pairs
(quartier's own CostMatrix.to_frame(): its fastest use, distances not
timed) and, where it fits in memory, its usual full origin x destination
cost table. Every case asserts that the results agree to 1e-9 relative.
Peak memory is measured per case in a fresh process.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from _util import best_of, peak_rss_mb, table

TITLE = "Floating catchments (2SFCA, E2SFCA) against PySAL access"
SIDE = 30_000.0
MAX_COST = 1500.0
STEPS = {500.0: 1.0, 1000.0: 0.68, 1500.0: 0.22}
CASES = [(20_000, 500), (200_000, 2_000), (2_000_000, 10_000)]
#: bytes of one row of access' cost table (origin int64, destination int64, cost float64)
ROW_BYTES = 24
#: access on the reachable pairs runs where its estimated peak stays below this (MB)
ACCESS_LIMIT_MB = 8_000


def _inputs(n, m, seed=0):
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    demand = gpd.GeoDataFrame(
        {"P": rng.integers(0, 60, n).astype(float)},
        geometry=gpd.points_from_xy(*rng.uniform(0, SIDE, (2, n))), crs="EPSG:25833")
    supply = gpd.GeoDataFrame(
        {"S": rng.integers(10, 120, m).astype(float)},
        geometry=gpd.points_from_xy(*rng.uniform(0, SIDE, (2, m))), crs="EPSG:25833")
    return demand, supply


def _quartier(method, demand, supply):
    from quartier.access.floating import fca

    kw = {"weights": STEPS} if method == "e2sfca" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fca(demand, supply, method=method, max_cost=MAX_COST, demand_col="P",
                   capacity="S", **kw)


def run_quartier(n, m, repeat):
    """Child process: quartier end to end for both methods; seconds and the pair count."""
    import quartier.access.floating  # noqa: F401  (imports are not part of the timing)

    demand, supply = _inputs(n, m)
    for method in ("2sfca", "e2sfca"):  # JIT warm-up (compile or load from the disk cache)
        _quartier(method, *_inputs(200, 20, seed=1))
    out = {}
    for method in ("2sfca", "e2sfca"):
        secs, res = best_of(lambda method=method: _quartier(method, demand, supply), repeat)
        out[method] = secs
        out["pairs"] = res.report.n_pairs
    return out


def _access_run(method, demand, supply, costs):
    import pandas as pd
    from access import Access
    from access import weights as aw

    acc = Access(
        demand_df=pd.DataFrame({"P": demand["P"]}).rename_axis("geoid"), demand_index=True,
        demand_value="P", supply_df=pd.DataFrame({"S": supply["S"]}).rename_axis("geoid"),
        supply_index=True, supply_value="S", cost_df=costs, cost_origin="origin",
        cost_dest="destination", cost_name="cost")
    if method == "2sfca":
        res = acc.two_stage_fca(name="x", max_cost=MAX_COST)
    else:
        res = acc.enhanced_two_stage_fca(name="x", max_cost=MAX_COST,
                                         weight_fn=aw.step_fn(STEPS))
    return res["x_S"].reindex(demand.index)


def run_access(n, m, full, repeat):
    """Child process: access on the reachable pairs (or the full table); checks agreement."""
    import access  # noqa: F401

    from quartier.access._reach import reachable
    from quartier.access.costs import cost_matrix

    demand, supply = _inputs(n, m)
    start = time.perf_counter()
    if full:
        costs = cost_matrix(demand, supply).to_frame()  # every pair, no cut-off
    else:
        costs = reachable(demand, supply, max_cost=MAX_COST).to_frame()
    out = {"table": time.perf_counter() - start}
    for method in ("2sfca", "e2sfca"):
        secs, theirs = best_of(lambda method=method: _access_run(method, demand, supply, costs),
                               repeat)
        ours = _quartier(method, demand, supply).scores
        finite = np.isfinite(theirs.to_numpy())
        assert np.allclose(ours.to_numpy()[finite], theirs.to_numpy()[finite], rtol=1e-9,
                           atol=0), f"{method}: quartier and access disagree"
        assert (ours.to_numpy()[~finite] == 0).all()
        out[method] = secs
    return out


def run_network(n_side, n, m):
    """Child process: a whole city run on a street network, timed step by step."""
    import geopandas as gpd
    from bench_network import grid

    from quartier.access.floating import fca
    from quartier.access.network.streets import StreetNetwork

    xy, u, v = grid(n_side)
    rng = np.random.default_rng(7)
    lo, hi = xy.min(axis=0), xy.max(axis=0)

    def points(k, col, values):
        p = rng.uniform(lo, hi, (k, 2))
        return gpd.GeoDataFrame({col: values}, geometry=gpd.points_from_xy(p[:, 0], p[:, 1]),
                                crs="EPSG:25833")

    demand = points(n, "P", rng.integers(1, 40, n).astype(float))
    supply = points(m, "S", rng.integers(20, 120, m).astype(float))
    import warnings

    with warnings.catch_warnings():  # JIT warm-up, as in the straight-line cases
        warnings.simplefilter("ignore")
        fca(demand.head(50), supply.head(5), method="2sfca", max_cost=MAX_COST,
            demand_col="P", capacity="S")
    out = {"nodes": len(xy)}
    start = time.perf_counter()
    net = StreetNetwork(xy, u, v, crs="EPSG:25833")
    out["build"] = time.perf_counter() - start
    start = time.perf_counter()
    costs = net.cost_matrix(demand, supply, max_cost=MAX_COST)
    out["costs"] = time.perf_counter() - start
    out["pairs"] = costs.n_pairs
    for method in ("2sfca", "e2sfca"):
        start = time.perf_counter()
        res = fca(demand, supply, method=method, max_cost=MAX_COST, demand_col="P",
                  capacity="S", network=net,
                  weights=STEPS if method == "e2sfca" else None)
        out[method] = time.perf_counter() - start
        # access on the same network costs gives the same accessibility
        theirs = _access_run(method, demand, supply, costs.to_frame())
        finite = np.isfinite(theirs.to_numpy())
        assert np.allclose(res.scores.to_numpy()[finite], theirs.to_numpy()[finite], rtol=1e-9,
                           atol=0)
    return out


def _network_section(quick):
    if quick:
        return "Street-network case skipped in the quick run."
    import importlib

    me = importlib.import_module("bench_fca")
    mem, r = peak_rss_mb(me.run_network, 317, 20_000, 500)
    rows = [{
        "case": f"{r['nodes']:,}-node street grid, 20,000 demand x 500 facilities, {MAX_COST:g} m",
        "build s": f"{r['build']:.2f}",
        "network costs s": f"{r['costs']:.2f}",
        "pairs": f"{r['pairs']:,}",
        "2SFCA end to end s": f"{r['2sfca']:.2f}",
        "E2SFCA end to end s": f"{r['e2sfca']:.2f}",
        "peak MB": f"{mem:,.0f}",
    }]
    return ("A whole run for a city on a street network: building the network, snapping the "
            "points, the network costs within reach and the FCA, each method end to end "
            "(`fca(..., network=net)` computes its own costs). Results equal access on the same "
            "network costs to 1e-9 (asserted).\n\n"
            + table(rows, list(rows[0])))


def run(quick: bool) -> str:
    import importlib

    # run.py loads this file under another module object; the child processes need the
    # importable one (benchmarks/ is on sys.path) to unpickle the functions
    me = importlib.import_module("bench_fca")
    cases = CASES[:1] if quick else CASES
    rows, mem_rows, notes = [], [], []
    for n, m in cases:
        repeat = 20 if n <= 20_000 else (3 if n <= 200_000 else 1)
        t0 = time.perf_counter()
        q_mem, q = peak_rss_mb(me.run_quartier, n, m, repeat)
        pairs = q["pairs"]
        full_mb = n * m * ROW_BYTES / 1e6
        pairs_mb = pairs * ROW_BYTES / 1e6
        # access copies its cost table about four times (merge, cut, weight, group)
        if pairs_mb * 5 < ACCESS_LIMIT_MB:
            a_mem, a = peak_rss_mb(me.run_access, n, m, False, repeat)
        else:
            a_mem, a = None, None
            notes.append(
                f"{n:,} x {m:,}: access on the {pairs:,} reachable pairs is not run: its "
                f"cost table alone is {pairs_mb / 1e3:.1f} GB and it copies it about four "
                f"times (estimated peak about {pairs_mb * 5 / 1e3:.0f} GB; E2SFCA also calls "
                "a Python weight function per pair, twice).")
        if full_mb * 5 < ACCESS_LIMIT_MB:
            f_mem, f = peak_rss_mb(me.run_access, n, m, True, 1)
        else:
            f_mem, f = None, None
            notes.append(
                f"{n:,} x {m:,}: access on its full cost table does not fit: {n * m:,} rows "
                f"of {ROW_BYTES} bytes are {full_mb / 1e3:,.1f} GB before any copy "
                "(this machine has 23 GB).")
        for method in ("2sfca", "e2sfca"):
            row = {
                "case": f"{n:,} x {m:,}", "method": method, "pairs": f"{pairs:,}",
                "quartier s": f"{q[method]:.3f}",
            }
            if a:
                row["access (pairs) s"] = f"{a[method]:.3f}"
                row["ratio (pairs)"] = f"{a[method] / q[method]:.1f}"
                both = a[method] + a["table"]
                row["access + pair table s"] = f"{both:.3f}"
                row["ratio (end to end)"] = f"{both / q[method]:.1f}"
            else:
                row["access (pairs) s"] = row["ratio (pairs)"] = "not run"
                row["access + pair table s"] = row["ratio (end to end)"] = "not run"
            if f:
                row["access (full) s"] = f"{f[method]:.3f}"
                row["ratio (full)"] = f"{f[method] / q[method]:.1f}"
            else:
                row["access (full) s"] = row["ratio (full)"] = "does not fit"
            rows.append(row)
        mem_rows.append({
            "case": f"{n:,} x {m:,}", "pairs": f"{pairs:,}",
            "quartier peak MB": f"{q_mem:,.0f}",
            "access (pairs) peak MB": f"{a_mem:,.0f}" if a_mem else "not run",
            "access (full) peak MB": f"{f_mem:,.0f}" if f_mem else "does not fit",
            "full table GB": f"{full_mb / 1e3:,.2f}",
            "wall s": f"{time.perf_counter() - t0:.0f}",
        })
        print(rows[-2:], mem_rows[-1], flush=True)
    cols = ["case", "method", "pairs", "quartier s", "access (pairs) s", "ratio (pairs)",
            "access + pair table s", "ratio (end to end)", "access (full) s", "ratio (full)"]
    mcols = ["case", "pairs", "quartier peak MB", "access (pairs) peak MB",
             "access (full) peak MB", "full table GB", "wall s"]
    text = [
        f"Uniform points over {SIDE / 1000:.0f} km x {SIDE / 1000:.0f} km, catchment "
        f"{MAX_COST:g} m, E2SFCA steps {STEPS}. quartier: end to end from GeoDataFrames "
        "(coordinates, distances and both FCA steps included), best of 20 (3 at 200k, 1 for the largest "
        "case). For straight lines quartier stores no pairs: demand points and facilities "
        "are sorted into cells of half the catchment (counting sort), and a numba kernel "
        "sums the catchment demand in parallel over facilities and the accessibility in "
        "parallel over demand points, looking only at the 5 x 5 cells around each point "
        "(2SFCA: cells of an eighth of the catchment, whole cells inside the circle counted "
        "through their sums, only the cells on its edge scanned point by point); "
        "memory grows with demand + facilities, not with the pairs. The kernel is compiled "
        "(or loaded from numba's disk cache) once per process on a tiny input before "
        "timing; the first call in a fresh environment takes a few seconds more. "
        "access: `two_stage_fca` / "
        "`enhanced_two_stage_fca(weight_fn=step_fn(...))` on the same reachable pairs "
        "(distances not timed; 'access + pair table' adds the time to build that table with "
        "quartier and `to_frame()`) and on its full cost table. Ratios are access / quartier. "
        "Results agree to 1e-9 relative (asserted; access' NaN where nothing is in reach is "
        "quartier's 0).",
        "",
        table(rows, cols),
        "",
        "Peak resident memory of each case in a fresh process (both methods, inputs included):",
        "",
        table(mem_rows, mcols),
        "",
        *[f"- {note}" for note in notes],
        "",
        _network_section(quick),
    ]
    return "\n".join(text)
