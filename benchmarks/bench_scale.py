"""Germany on one machine (issue #17, part 1): street networks of growing size.

Networks: jittered street grids with realistic degree and edge lengths (90 m
blocks, nodes moved up to ±15 m, 30 % of the block edges removed at random, so
about 2.8 edges meet at a node and edges are 60-120 m long), built with
``quartier.StreetNetwork`` (walking profile, metres, islands dropped). Demand:
clustered points (neighbourhood centres, normal spread of 400 m) with integer
populations; facilities: random points, 2 % as many as demand points.

Every size runs in a fresh process (``benchmarks/bench_scale.py --case ...``)
so that the peak resident memory (``ru_maxrss``) is that of the size alone; a
size whose linear extrapolation from the previous one exceeds the memory or
time budget is not started, and a run over the time budget is stopped.

``--flat`` re-measures the straight-line case the issue quotes (3.2 million
clustered 100 m cells against 60,000 facilities).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from _util import table

TITLE = "Germany on one machine: street networks of 1 to 20 million nodes"
CRS = "EPSG:25832"
BLOCK = 90.0
JITTER = 15.0
DROP = 0.30
MAX_COST = 1000.0
FAC_SHARE = 0.02
#: per-size budgets: a size predicted (linearly) above these is not started
MEM_BUDGET_MB = 15_000
TIME_BUDGET_S = 300
HERE = Path(__file__).resolve().parent


def street_grid(n_nodes: int, seed: int = 0):
    """A jittered grid of about ``n_nodes`` nodes with 30 % of its edges removed."""
    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(n_nodes)))
    ids = np.arange(side * side, dtype=np.int64).reshape(side, side)
    iy, ix = np.divmod(np.arange(side * side, dtype=np.int64), side)
    xy = np.empty((side * side, 2))
    xy[:, 0] = ix * BLOCK + rng.uniform(-JITTER, JITTER, side * side) + 280_000.0
    xy[:, 1] = iy * BLOCK + rng.uniform(-JITTER, JITTER, side * side) + 5_300_000.0
    del ix, iy
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(u.size) >= DROP
    return xy, u[keep], v[keep]


def clustered(n: int, lo, hi, seed: int = 1, spread: float = 400.0):
    """``n`` points around neighbourhood centres (one per 2,000 points, 400 m spread)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(lo, hi, (max(n // 2000, 1), 2))
    pts = centres[rng.integers(0, len(centres), n)] + rng.normal(0, spread, (n, 2))
    return np.clip(pts, lo, hi)


def _frame(xy, **cols):
    import geopandas as gpd

    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def case(n_nodes: int, demands: list[int]) -> dict:
    """One network size, all queries; run in a fresh process."""
    import resource

    import quartier

    out: dict = {"requested": n_nodes}
    t0 = time.perf_counter()
    xy, u, v = street_grid(n_nodes)
    out["generate_s"] = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        net = quartier.StreetNetwork(xy, u, v, crs=CRS, profile="walk", unit="m")
        out["build_s"] = time.perf_counter() - t0
        del xy, u, v
        out["nodes"], out["edges"] = net.n_nodes, net.n_edges
        out["degree"] = 2 * net.n_edges / net.n_nodes
        out["mean_edge_m"] = float(net.length.mean())
        out["km"] = float(net.length.sum() / 1000)
        lo, hi = net.xy.min(0), net.xy.max(0)
        t0 = time.perf_counter()
        net.snap(_frame(net.xy[:1]))
        out["first_snap_s"] = time.perf_counter() - t0
        out["net_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["queries"] = []
        for n in demands:
            rng = np.random.default_rng(n)
            demand = _frame(clustered(n, lo, hi), P=rng.integers(1, 60, n).astype(float))
            m = max(int(n * FAC_SHARE), 1)
            supply = _frame(rng.uniform(lo, hi, (m, 2)), S=rng.integers(10, 120, m).astype(float))
            q = {"demand": n, "facilities": m}
            t0 = time.perf_counter()
            near = quartier.nearest(demand, supply, network=net)
            q["nearest_s"] = time.perf_counter() - t0
            q["reached"] = float(near["cost"].notna().mean())
            q["median_m"] = float(near["cost"].median())
            t0 = time.perf_counter()
            cov = quartier.coverage(demand, supply, max_cost=MAX_COST, demand_col="P", network=net)
            q["coverage_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            res = quartier.fca(demand, supply, max_cost=MAX_COST, demand_col="P", capacity="S",
                               network=net)
            q["fca_s"] = time.perf_counter() - t0
            del res, cov, near
            out["queries"].append(q)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def flat(n_cells: int = 3_200_000, n_fac: int = 60_000) -> dict:
    """The straight-line case of the issue: clustered 100 m cells x facilities."""
    import resource

    import quartier

    rng = np.random.default_rng(17)
    side = 400_000.0  # about the extent of Germany in one projected plane
    # occupied 100 m cells: the distinct cells of twice as many clustered points (2 km
    # spread around towns), n_cells of them drawn at random
    pts = clustered(2 * n_cells, (0.0, 0.0), (side, side), seed=17, spread=2000.0)
    pts = np.unique(np.floor(pts / 100.0) * 100.0 + 50.0, axis=0)
    pts = pts[rng.choice(len(pts), min(n_cells, len(pts)), replace=False)]
    demand = _frame(pts + [280_000.0, 5_300_000.0], P=rng.integers(1, 60, len(pts)).astype(float))
    # facilities where people live: in random occupied cells
    sxy = pts[rng.choice(len(pts), n_fac, replace=False)] + rng.uniform(-50.0, 50.0, (n_fac, 2))
    sxy += [280_000.0, 5_300_000.0]
    supply = _frame(sxy, S=rng.integers(10, 120, n_fac).astype(float))
    out = {"cells": len(demand), "facilities": n_fac}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        quartier.coverage(demand, supply, max_cost=500.0, demand_col="P")
        out["coverage_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        quartier.fca(demand, supply, method="e2sfca", max_cost=1500.0, demand_col="P",
                     capacity="S", weights={500.0: 1.0, 1000.0: 0.68, 1500.0: 0.22})
        out["e2sfca_s"] = time.perf_counter() - t0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _subprocess(args: list[str], timeout: float) -> dict:
    env = dict(os.environ)
    try:
        done = subprocess.run([sys.executable, str(HERE / "bench_scale.py"), *args], env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _verdict(results: list[dict]) -> str:
    """Where one machine ends, extrapolated from the largest measured network."""
    if len(results) < 2:
        return "Too few sizes measured to extrapolate."
    a, b = results[-2], results[-1]
    k = b["nodes"] / a["nodes"]

    def growth(key):
        return np.log(b[key] / a[key]) / np.log(k)  # exponent: time ~ nodes ** growth

    # memory of the network part: a fixed part plus a slope per node (two-point line)
    slope = (b["net_peak_mb"] - a["net_peak_mb"]) / (b["nodes"] - a["nodes"]) * 1e6
    fixed = b["net_peak_mb"] - slope * b["nodes"] / 1e6
    q_mb = b["peak_mb"] - b["net_peak_mb"]
    per = b["nodes"] / 1e6

    def at(n_million):
        f = n_million / per
        # at least linear: two noisy points on shared cores can show less
        build = b["build_s"] * f ** max(growth("build_s"), 1.0)
        snap = b["first_snap_s"] * f ** max(growth("first_snap_s"), 1.0)
        return build, snap, fixed + slope * n_million, fixed + slope * n_million + q_mb

    g_build, g_snap = growth("build_s"), growth("first_snap_s")
    land = at(3.0)   # a large Land (Bavaria/NRW): about 2-4 million walkable nodes
    de = at(25.0)    # Germany: about 1.2 billion m of streets, 20-30 million nodes
    big = results[-1]["queries"][-1]
    small = results[-2]["queries"][-1]
    return (
        f"**Where one machine ends.** From {a['nodes'] / 1e6:.1f} to {b['nodes'] / 1e6:.1f} "
        f"million nodes the build grows like nodes^{g_build:.2f} and the first snap (spatial "
        f"index) like nodes^{g_snap:.2f} (both extrapolated below as at least linear, since "
        "two timings on shared cores are noisy); the network needs about "
        f"{slope:,.0f} MB per million "
        f"nodes (on {fixed:,.0f} MB of interpreter and libraries). With the same demand, the "
        "queries grow far less than the network: "
        f"{big['demand']:,} demand points and {big['facilities']:,} facilities need "
        f"{small['nearest_s']:.0f} / {big['nearest_s']:.0f} s for `nearest`, "
        f"{small['coverage_s']:.0f} / {big['coverage_s']:.0f} s for `coverage` and "
        f"{small['fca_s']:.0f} / {big['fca_s']:.0f} s for 2SFCA at {a['nodes'] / 1e6:.1f} / "
        f"{b['nodes'] / 1e6:.1f} million nodes, and "
        f"add {q_mb:,.0f} MB to the peak. Extrapolated, a large Land (about 3 million walkable "
        f"nodes) builds in {land[0]:.0f} s, indexes in {land[1]:.0f} s and peaks near "
        f"{land[3] / 1000:.1f} GB with those queries"
        + (": comfortably one machine. " if land[3] < 12_000 else ": a machine of this size at its limit. ")
        + "Germany's street "
        "network (about 1.2 billion m of streets, 20-30 million nodes; 25 million taken) would "
        f"build in about {de[0]:.0f} s, index in {de[1]:.0f} s, hold about "
        f"{de[2] / 1000:.0f} GB before any query and peak near {de[3] / 1000:.0f} GB with "
        f"{big['demand']:,} demand points"
        + (": it would just fit this 24 GB, 2-core machine, with query times set by the number of "
           "demand points (national 100 m cells: about 3 million, i.e. a few times the "
           "largest query above). " if de[3] < 20_000 else
           ": more than this 24 GB machine holds. ")
        + "Beyond that, or to use more cores, split into Länder or counties with a halo of "
        "`max_cost` (issue #17, parts 2 and 3)."
    )


def run(quick: bool = False) -> str:
    sizes = [100_000, 400_000] if quick else [1_000_000, 5_000_000, 20_000_000]
    demands = [20_000] if quick else [100_000, 1_000_000]
    results, skipped = [], []
    for n in sizes:
        if results and "error" not in results[-1]:
            prev = results[-1]
            k = n / prev["nodes"]
            # the network part grows with the nodes; the queries (same demand) about stay
            t_net = prev["generate_s"] + prev["build_s"] + prev["first_snap_s"]
            t_pred = t_net * k + (prev["wall_s"] - t_net) * 1.5
            m_pred = prev["net_peak_mb"] * k + (prev["peak_mb"] - prev["net_peak_mb"])
            if m_pred > MEM_BUDGET_MB or t_pred > TIME_BUDGET_S:
                skipped.append(f"{n / 1e6:g} million nodes not run: extrapolated from "
                               f"{prev['nodes'] / 1e6:.1f} million, it would need about "
                               f"{m_pred / 1000:.0f} GB and {t_pred:.0f} s "
                               f"(budget {MEM_BUDGET_MB / 1000:.0f} GB, {TIME_BUDGET_S} s).")
                break
        t0 = time.perf_counter()
        r = _subprocess(["--case", str(n), ",".join(map(str, demands))], TIME_BUDGET_S * 2)
        r["wall_s"] = time.perf_counter() - t0
        print(n, r, flush=True)
        if "error" in r:
            skipped.append(f"{n / 1e6:g} million nodes: {r['error']}.")
            break
        results.append(r)
    rows = []
    for r in results:
        per = r["nodes"] / 1e6
        rows.append({
            "nodes": f"{r['nodes']:,}", "edges": f"{r['edges']:,}", "km": f"{r['km']:,.0f}",
            "degree": f"{r['degree']:.2f}", "build s": f"{r['build_s']:.2f}",
            "build s / M nodes": f"{r['build_s'] / per:.2f}",
            "first snap s": f"{r['first_snap_s']:.2f}",
            "snap s / M nodes": f"{r['first_snap_s'] / per:.2f}",
            "peak MB network": f"{r['net_peak_mb']:,.0f}",
            "MB / M nodes": f"{r['net_peak_mb'] / per:,.0f}",
            "peak MB with queries": f"{r['peak_mb']:,.0f}",
        })
    qrows = []
    for r in results:
        for q in r["queries"]:
            qrows.append({
                "nodes": f"{r['nodes']:,}", "demand points": f"{q['demand']:,}",
                "facilities": f"{q['facilities']:,}",
                "nearest s": f"{q['nearest_s']:.2f}",
                "coverage s": f"{q['coverage_s']:.2f}", "2SFCA s": f"{q['fca_s']:.2f}",
                "µs / demand point (2SFCA)": f"{q['fca_s'] / q['demand'] * 1e6:.1f}",
                "median distance m": f"{q['median_m']:.0f}",
            })
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    text = [
        "Generated street networks: jittered grids (90 m blocks, nodes moved up to ±15 m, 30 % "
        "of the edges removed at random, islands dropped) built with `StreetNetwork(xy, u, v, "
        "crs=..., profile='walk', unit='m')`; degree and edge lengths as in German towns "
        "(about 2.8 edges per node, 60-120 m per edge). Demand: clustered points (centres "
        "every 2,000 points, 400 m spread), facilities 2 % as many as demand points, "
        "uniformly spread. One run each (no best-of at this size): `build` is the constructor "
        "(CSR adjacency, components), `first snap` the first `snap` (builds the spatial "
        "index of the edges), then `nearest(demand, facilities, network=net)` without limit, "
        f"`coverage(max_cost={MAX_COST:g})` and `fca` (2SFCA, `max_cost={MAX_COST:g}`), each "
        "including the snapping of its points. Peak memory is `ru_maxrss` of a fresh process "
        "per size: after generation, build and first snap ('network'), and at the end (all "
        "queries included).",
        "",
        f"Machine load at the end of the run: `{load}` (the 2 cores were shared with other "
        "work, so times are noisy).",
        "",
        table(rows, list(rows[0]) if rows else ["nodes"]),
        "",
        table(qrows, list(qrows[0]) if qrows else ["nodes"]),
        "",
    ]
    text += [f"- {s}" for s in skipped]
    text += ["", _verdict(results)]
    if not quick:
        f = _subprocess(["--flat"], 900)
        if "error" in f:
            text += [f"- straight line, 3.2 million cells x 60,000 facilities: {f['error']}."]
        else:
            text += [
                "",
                "Straight line, the case the issue quotes: "
                f"{f['cells']:,} occupied 100 m cells (drawn from the distinct cells of 6.4 "
                "million points clustered around towns, 2 km spread, over 400 km x 400 km) "
                f"against {f['facilities']:,} facilities in random occupied cells: `coverage(max_cost=500)` {f['coverage_s']:.1f} s, E2SFCA (steps "
                f"500/1000/1500 m) {f['e2sfca_s']:.1f} s, peak {f['peak_mb']:,.0f} MB "
                "(fresh process, imports included).",
            ]
    return "\n".join(text)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--case"]:
        print(json.dumps(case(int(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")])))
    elif sys.argv[1:2] == ["--flat"]:
        print(json.dumps(flat()))
    else:
        print(run(quick=True))
