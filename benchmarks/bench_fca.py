"""2SFCA and E2SFCA: quartier.fca against PySAL access, from 20,000 x 500 to 2,000,000 x 10,000.

Demand points and facilities are generated uniformly over a 30 km x 30 km
city; the catchment is 1,500 m (straight line). quartier runs end to end
(GeoDataFrames in, distances included) with its default engine ("auto") and
the extra quartier[fast] installed: numpy over the reachable pairs for small
inputs, the numba streaming kernel (no pair stored) from NUMBA_MIN_PAIRS
estimated pairs on; the numba kernel is compiled/loaded once per process on a
small input before timing. A second table times the first call in a fresh
process (numpy; numba with a cold and with a warm disk cache), imports
apart. access gets the reachable pairs
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
    """Child process: quartier end to end for both methods; seconds, pairs and the engine."""
    import quartier
    from quartier.access import _fca_kernel
    from quartier.access.costs import point_coordinates

    demand, supply = _inputs(n, m)
    quartier.set_fca_engine("numba")
    for method in ("2sfca", "e2sfca"):  # JIT warm-up (compile or load from the disk cache)
        _quartier(method, *_inputs(200, 20, seed=1))
    quartier.set_fca_engine("auto")
    a, b = point_coordinates(demand, what="demand"), point_coordinates(supply, what="facility")
    out = {"engine": _fca_kernel.engine_for(a[:, 0], a[:, 1], b[:, 0], b[:, 1], MAX_COST)}
    for method in ("2sfca", "e2sfca"):
        secs, res = best_of(lambda method=method: _quartier(method, demand, supply), repeat)
        out[method] = secs
        out["pairs"] = res.report.n_pairs
    return out


#: the first call in a fresh process: Berlin-sized (30,000 demand points x 2,500 facilities)
FIRST_CALL = (30_000, 2_500)
_FIRST_CALL_CODE = """
import json, sys, time, warnings
sys.path.insert(0, {bench!r})
start = time.perf_counter()
import quartier
from bench_fca import _inputs, _quartier
imported = time.perf_counter() - start
demand, supply = _inputs({n}, {m})
out = {{"import": imported}}
for method in ("2sfca", "e2sfca"):
    start = time.perf_counter()
    res = _quartier(method, demand, supply)
    out[method] = time.perf_counter() - start
out["numba imported"] = "numba" in sys.modules
out["pairs"] = res.report.n_pairs
print(json.dumps(out))
"""


def first_call(engine, cache_dir=None):
    """Seconds of the imports and of the first 2SFCA and E2SFCA call in a fresh process."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR",)}
    env["QUARTIER_FCA_ENGINE"] = engine
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    code = _FIRST_CALL_CODE.format(bench=str(Path(__file__).resolve().parent),
                                   n=FIRST_CALL[0], m=FIRST_CALL[1])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: numpy against numba by size (straight lines, both in one process, numba loaded)
CROSSOVER = [(20_000, 500), (30_000, 2_500), (100_000, 2_500), (200_000, 2_000),
             (200_000, 5_000)]


def run_crossover(cases):
    """Child process: best of 3 for each engine, method and case; the engine auto picks."""
    import quartier
    from quartier.access import _fca_kernel
    from quartier.access.costs import point_coordinates

    quartier.set_fca_engine("numba")
    for method in ("2sfca", "e2sfca"):  # compile or load the kernel before timing
        _quartier(method, *_inputs(200, 20, seed=1))
    out = []
    for n, m in cases:
        demand, supply = _inputs(n, m)
        a = point_coordinates(demand, what="demand")
        b = point_coordinates(supply, what="facility")
        quartier.set_fca_engine("auto")
        row = {"n": n, "m": m, "auto": _fca_kernel.engine_for(
            a[:, 0], a[:, 1], b[:, 0], b[:, 1], MAX_COST),
            "estimate": _fca_kernel.estimated_pairs(a[:, 0], a[:, 1], b[:, 0], b[:, 1],
                                                    MAX_COST)}
        for engine in ("numpy", "numba"):
            quartier.set_fca_engine(engine)
            for method in ("2sfca", "e2sfca"):
                secs, res = best_of(
                    lambda method=method, d=demand, s=supply: _quartier(method, d, s), 3)
                row[engine, method] = secs
        row["pairs"] = res.report.n_pairs
        out.append(row)
    return out


def _crossover_section():
    import importlib

    from quartier.access._fca_kernel import NUMBA_MIN_PAIRS

    me = importlib.import_module("bench_fca")
    rows = []
    for r in peak_rss_mb(me.run_crossover, CROSSOVER)[1]:
        row = {"case": f"{r['n']:,} x {r['m']:,}", "pairs": f"{r['pairs']:,}",
               "estimated": f"{r['estimate']:,.0f}", "auto uses": r["auto"]}
        for method in ("2sfca", "e2sfca"):
            row[f"{method} numpy s"] = f"{r['numpy', method]:.3f}"
            row[f"{method} numba s"] = f"{r['numba', method]:.3f}"
        rows.append(row)
        print(row, flush=True)
    return ("numpy or numba by size: both engines in one process with the numba kernel already "
            "loaded (best of 3, same city and catchment). With `set_fca_engine(\"auto\")` "
            f"(the default) numba runs from {NUMBA_MIN_PAIRS:,} estimated pairs within reach "
            "(counted on a grid of cells of the catchment size, O(demand + facilities)): below "
            "that the numpy path is fast in absolute terms and wins the first call of a process, "
            "which for numba includes importing numba and loading its cache (next table).\n\n"
            + table(rows, list(rows[0])))


def _first_call_section():
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        runs = [("numpy (default, auto)", "auto", None),
                ("numba, cold cache (first use: compile)", "numba", cache),
                ("numba, warm cache (later processes)", "numba", cache)]
        for label, engine, cache_dir in runs:
            r = first_call(engine, cache_dir)
            rows.append({
                "engine": label, "pairs": f"{r['pairs']:,}",
                "imports s": f"{r['import']:.2f}",
                "first 2SFCA s": f"{r['2sfca']:.2f}",
                "then first E2SFCA s": f"{r['e2sfca']:.2f}",
                "numba imported": "yes" if r["numba imported"] else "no",
            })
            print(rows[-1], flush=True)
    return (f"First call in a fresh process on Berlin-sized input ({FIRST_CALL[0]:,} demand "
            f"points x {FIRST_CALL[1]:,} facilities, same city and catchment): the imports "
            "(`import quartier`, geopandas) apart, then the first 2SFCA and the first E2SFCA "
            "call, end to end. numpy is what `fca` does by default for inputs of this size "
            "(also in a read-only installation: numba is not even imported); numba is forced "
            "with `QUARTIER_FCA_ENGINE=numba`, with `NUMBA_CACHE_DIR` set to an empty folder "
            "(cold: the kernel is compiled, once per installation) and then again with the same "
            "folder (warm: loaded from the disk cache, in every new process).\n\n"
            + table(rows, list(rows[0])))


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
    from quartier.access._fca_kernel import NUMBA_MIN_PAIRS

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
                "engine": q["engine"], "quartier s": f"{q[method]:.3f}",
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
    cols = ["case", "method", "pairs", "engine", "quartier s", "access (pairs) s",
            "ratio (pairs)",
            "access + pair table s", "ratio (end to end)", "access (full) s", "ratio (full)"]
    mcols = ["case", "pairs", "quartier peak MB", "access (pairs) peak MB",
             "access (full) peak MB", "full table GB", "wall s"]
    text = [
        f"Uniform points over {SIDE / 1000:.0f} km x {SIDE / 1000:.0f} km, catchment "
        f"{MAX_COST:g} m, E2SFCA steps {STEPS}. quartier: end to end from GeoDataFrames "
        "(coordinates, distances and both FCA steps included), best of 20 (3 at 200k, 1 for the largest "
        "case). quartier runs with its default engine (`set_fca_engine(\"auto\")`) and the "
        "optional extra `quartier[fast]` (numba) installed: below about "
        f"{NUMBA_MIN_PAIRS:,} estimated pairs within reach the numpy path (the reachable pairs, "
        "summed with `bincount`), from there on the numba kernel (column 'engine'). The numba "
        "kernel stores no pairs: "
        "demand points and facilities are sorted into cells of half the catchment (counting "
        "sort), and it sums the catchment demand in parallel over facilities and the "
        "accessibility in parallel over demand points, looking only at the 5 x 5 cells around "
        "each point (2SFCA: cells of an eighth of the catchment, whole cells inside the circle "
        "counted through their sums, only the cells on its edge scanned point by point); "
        "memory grows with demand + facilities, not with the pairs. The kernel is compiled "
        "(or loaded from numba's disk cache) once per process on a tiny input before "
        "timing; what that costs in a fresh process is in the last table. "
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
        _crossover_section(),
        "",
        _first_call_section(),
        "",
        _network_section(quick),
    ]
    return "\n".join(text)
