"""Street networks: build, many-to-many with a cut-off, nearest facility; vs pandana and networkx.

Inputs: the Berlin-Moabit streets (if the shared data is present) and jittered
street grids of about 10k, 100k and 1M nodes (100 m blocks, nodes moved up to
±20 m). Every library gets the same node and edge arrays; quartier's query
points lie on nodes so that snapping adds nothing and distances must agree.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from _util import best_of, table

TITLE = "Street networks (quartier.StreetNetwork vs pandana and networkx)"
SHARED = Path(os.environ.get("QUARTIER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
CRS = "EPSG:25833"


def grid(n_side: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(n_side), np.arange(n_side))
    ids = (iy * n_side + ix)
    xy = np.column_stack([ix.ravel() * 100.0, iy.ravel() * 100.0]) + rng.uniform(-20, 20, (ids.size, 2))
    xy += [390_000.0, 5_810_000.0]
    h = np.c_[ids[:, :-1].ravel(), ids[:, 1:].ravel()]
    v = np.c_[ids[:-1, :].ravel(), ids[1:, :].ravel()]
    e = np.r_[h, v]
    return xy, e[:, 0], e[:, 1]


def moabit():
    from quartier.access.network.streets import StreetNetwork

    path = SHARED / "berlin_streets_moabit" / "moabit_roads.gpkg"
    if not path.exists():
        return None
    roads = gpd.read_file(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, net = best_of(lambda: StreetNetwork.from_lines(roads, crs=CRS), 3)
    return net.xy, net.u, net.v, t


def _points(xy, idx):
    return gpd.GeoDataFrame(geometry=shapely.points(xy[idx]), crs=CRS)


def run_case(name, xy, u, v, *, n_od, cutoff, n_fac, n_orig, pandana_ok, networkx_ok, lines_build=None):
    import networkx as nx
    import pandana

    from quartier.access.network.streets import StreetNetwork

    rows, notes = [], []
    # pandana keeps edge weights as whole millimetres, truncating: both libraries get lengths
    # in whole millimetres (pandana k + 0.5 mm, which it truncates to exactly k)
    mm = np.round(np.hypot(*(xy[u] - xy[v]).T) * 1000)
    length = mm / 1000
    n = xy.shape[0]
    rng = np.random.default_rng(42)

    def build_q():
        return StreetNetwork(xy, u, v, length, crs=CRS, islands="keep")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_build, net = best_of(build_q, 3 if n <= 200_000 else 1)
        # query points on nodes that snap onto one of their own edges (not onto a bridge
        # passing over them), so that node-to-node distances of the peers are comparable
        cand = rng.permutation(n)[: min(n, 4 * max(n_od, n_orig))]
        sn = net.snap(_points(xy, cand))
        cand = cand[(net.u[sn["edge"]] == cand) | (net.v[sn["edge"]] == cand)]

        def pick(k):
            return rng.choice(cand, min(k, cand.size), replace=False)

        o_idx, d_idx, f_idx, q_idx = pick(n_od), pick(n_od), pick(n_fac), pick(n_orig)
        pts_o, pts_d, pts_f, pts_q = (_points(xy, i) for i in (o_idx, d_idx, f_idx, q_idx))
        t_index, _ = best_of(lambda: shapely.STRtree(shapely.linestrings(np.stack([xy[u], xy[v]], 1))), 1)
        net.snap(pts_o.iloc[:1])  # builds the spatial index once (timed separately above)
        t_cm, cm = best_of(lambda: net.cost_matrix(pts_o, pts_d, max_cost=cutoff), 3)
        t_nn, nn = best_of(lambda: net.nearest(pts_q, pts_f, max_cost=3 * cutoff), 3)
    res = {"quartier": (t_build, t_cm, t_nn)}
    if lines_build is not None:
        res["quartier from_lines"] = (lines_build, None, None)

    if pandana_ok:
        nodes = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=np.arange(n))
        edges_w = pd.DataFrame({"w": (mm + 0.5) / 1000})

        def build_p():
            return pandana.Network(nodes.x, nodes.y, pd.Series(u), pd.Series(v), edges_w, twoway=True)

        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            tp_build, pnet = best_of(build_p, 1)

            def cm_p():
                r = pnet.nodes_in_range(list(o_idx), float(cutoff))
                return r[r["destination"].isin(set(d_idx.tolist()))]

            tp_cm, prange = best_of(cm_p, 3)

            def nn_p():
                pnet.set_pois("fac", 3 * cutoff, 1, xy[f_idx, 0], xy[f_idx, 1])
                r = pnet.nearest_pois(3 * cutoff, "fac", num_pois=1)
                return r.iloc[:, 0].to_numpy()[q_idx]

            tp_nn, pnear = best_of(nn_p, 3)
        res["pandana"] = (tp_build, tp_cm, tp_nn)
        # identical distances: our pairs against pandana's shortest_path_lengths
        frame = cm.to_frame()
        sample = frame.sample(min(2000, len(frame)), random_state=0)
        so = o_idx[sample["origin"].to_numpy()]
        sd = d_idx[sample["destination"].to_numpy()]
        with contextlib.redirect_stdout(io.StringIO()):
            pl = np.asarray(pnet.shortest_path_lengths(so, sd), float)
        rel = np.abs(pl - sample["cost"].to_numpy()) / np.maximum(pl, 1e-9)
        assert rel.max() <= 1e-6, f"{name}: distances differ from pandana (max rel {rel.max():.2e})"
        # same number of pairs in range as pandana's range query
        n_same = len(prange) == cm.n_pairs
        got = nn["cost"].to_numpy()
        reached = pnear < 3 * cutoff
        rel_n = np.abs(pnear[reached] - got[reached]) / np.maximum(pnear[reached], 1e-9)
        assert rel_n.max(initial=0) <= 1e-6, f"{name}: nearest differs from pandana"
        notes.append(
            f"{name}: {len(sample)} pairs vs pandana `shortest_path_lengths`: max relative "
            f"difference {rel.max():.1e}; pairs within {cutoff:g} m: quartier {cm.n_pairs}, "
            f"pandana `nodes_in_range` {len(prange)}{'' if n_same else ' (differ)'}; "
            f"nearest facility: max relative difference {rel_n.max(initial=0):.1e}."
        )
    else:
        notes.append(f"{name}: pandana skipped (its contraction hierarchy build grows faster than linearly: minutes at 100k nodes, far longer at 1M).")

    if networkx_ok:
        def build_x():
            g = nx.Graph()
            g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), length.tolist(), strict=True))
            return g

        tx_build, g = best_of(build_x, 1)
        dset = set(d_idx.tolist())

        def cm_x():
            out = 0
            for s in o_idx.tolist():
                dist = nx.single_source_dijkstra_path_length(g, s, cutoff=cutoff)
                out += sum(1 for k in dist if k in dset)
            return out

        tx_cm, nx_pairs = best_of(cm_x, 1)

        def nn_x():
            dist = nx.multi_source_dijkstra_path_length(g, set(f_idx.tolist()), cutoff=3 * cutoff)
            return np.array([dist.get(q, np.inf) for q in q_idx.tolist()])

        tx_nn, xnear = best_of(nn_x, 1)
        res["networkx"] = (tx_build, tx_cm, tx_nn)
        ok = np.isfinite(xnear)
        assert np.allclose(xnear[ok], nn["cost"].to_numpy()[ok], rtol=1e-9)
        assert nx_pairs == cm.n_pairs, (nx_pairs, cm.n_pairs)
    else:
        notes.append(f"{name}: networkx skipped (too slow at this size).")

    base = res["quartier"]
    for lib, (tb, tc, tn) in res.items():
        def fmt(x):
            return "" if x is None else f"{x:.3f}"

        def ratio(x, b, lib=lib):
            return "" if x is None or lib.startswith("quartier") else f"{x / b:.1f}"

        rows.append({
            "network": name, "nodes": f"{n:,}", "edges": f"{u.size:,}", "library": lib,
            "build s": fmt(tb), "build ratio": ratio(tb, base[0]),
            "many-to-many s": fmt(tc), "m2m ratio": ratio(tc, base[1]),
            "nearest s": fmt(tn), "nearest ratio": ratio(tn, base[2]),
        })
    notes.append(f"{name}: quartier spatial index for snapping (built on first query): {t_index:.3f} s.")
    return rows, notes


def catchments() -> str:
    """Catchment maps of every Kita of Moabit at 10 minutes on foot (isochrones)."""
    import quartier
    from quartier.access.catchments import isochrones, service_areas
    from quartier.access.network.streets import StreetNetwork

    roads_path = SHARED / "berlin_streets_moabit" / "moabit_roads.gpkg"
    if not roads_path.exists():
        return "Catchment maps: skipped (shared data missing)."
    roads = gpd.read_file(roads_path)
    district = gpd.read_file(SHARED / "berlin_streets_moabit" / "moabit_district.gpkg").to_crs(CRS)
    kitas = quartier.read_facilities(
        SHARED / "berlin_facilities" / "kindertagesstaetten_2022-12.geojson").to_crs(CRS)
    kitas = kitas[kitas.within(district.geometry.union_all())]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for max_snap in (500.0, 100.0):
            net = StreetNetwork.from_lines(roads, crs=CRS, unit="min", max_snap=max_snap)

            def iso(net=net):
                net._targets = None  # the snapping index is built in every run
                return isochrones(kitas, network=net, max_cost=10)

            t_iso, polys = best_of(iso, 3)
            t_multi, _ = best_of(lambda net=net: isochrones(kitas, network=net, max_cost=[5, 10, 15]), 1)
            t_sa, _ = best_of(lambda net=net: service_areas(kitas, network=net, max_cost=10), 1)
            rows.append({
                "max_snap m": f"{max_snap:g}", "Kitas": len(kitas),
                "isochrones 10 min s": f"{t_iso:.2f}", "isochrones 5/10/15 min s": f"{t_multi:.2f}",
                "service_areas 10 min s": f"{t_sa:.2f}",
                "mean area ha": f"{polys.area.mean() / 1e4:.1f}",
            })
    cols = ["max_snap m", "Kitas", "isochrones 10 min s", "isochrones 5/10/15 min s",
            "service_areas 10 min s", "mean area ha"]
    return "\n".join([
        "Catchment maps of every Kita of Berlin-Moabit (Kita list 2022-12, walking, minutes) on "
        "the Moabit streets: `isochrones(kitas, network=net, max_cost=10)` end to end (snapping "
        "index, 10 m raster snapped once, per Kita the street search, the cells, the 5 m border "
        "sub-cells and the polygons), best of 3; 5/10/15 minutes and `service_areas` one run.",
        "",
        table(rows, cols),
    ])


def car() -> str:
    """Issue #18: the car network of the Bayreuth extract, a cost matrix and nearest, vs networkx."""
    import networkx as nx

    from quartier.access.network.streets import StreetNetwork

    path = SHARED / "osm_north_bayreuth" / "north-bayreuth.osm.pbf"
    if not path.exists():
        return "Car network: skipped (shared data missing)."
    crs = "EPSG:25832"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_build, net = best_of(lambda: StreetNetwork.from_osm(path, "car", crs, unit="min"), 3)
        # 250 m grid cells over the network's extent, 20 facilities on random nodes
        lo, hi = net.xy.min(0), net.xy.max(0)
        gx, gy = np.meshgrid(np.arange(lo[0], hi[0], 250.0), np.arange(lo[1], hi[1], 250.0))
        cells = gpd.GeoDataFrame(geometry=shapely.points(np.c_[gx.ravel(), gy.ravel()]), crs=crs)
        rng = np.random.default_rng(18)
        fac_idx = rng.choice(net.n_nodes, 20, replace=False)
        fac = gpd.GeoDataFrame(geometry=shapely.points(net.xy[fac_idx]), crs=crs)

        def cm(max_cost=None):
            net._targets = None  # the snapping index is built in every run
            return net.cost_matrix(cells, fac, max_cost=max_cost)

        t_cm, full = best_of(cm, 3)
        t_cm15, cut = best_of(lambda: cm(15.0), 3)
        t_nn, near = best_of(lambda: net.nearest(cells, fac), 3)
        from quartier.access.catchments import isochrones

        t_iso, iso = best_of(lambda: isochrones(fac.iloc[:5], network=net, max_cost=[5, 10],
                                                resolution=25), 1)
    # networkx: directed Dijkstra on the same edges, one search per facility on the reversed graph
    g = nx.DiGraph()
    for a, b, ln, (sf, sb) in zip(net.u, net.v, net.length, net.speed, strict=True):
        if sf > 0:
            g.add_edge(int(b), int(a), w=ln / (sf * 1000 / 60))  # reversed: b <- a
        if sb > 0:
            g.add_edge(int(a), int(b), w=ln / (sb * 1000 / 60))
    t0 = time.perf_counter()
    to_fac = [nx.single_source_dijkstra_path_length(g, int(f), weight="w") for f in fac_idx]
    t_x = time.perf_counter() - t0
    # node-to-facility times of the networkx runs against quartier for facility-to-facility pairs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fm = net.cost_matrix(fac, fac).to_dense()
    xm = np.array([[to_fac[j].get(int(i), np.inf) for j in range(len(fac_idx))] for i in fac_idx])
    rel = np.nanmax(np.abs(fm - xm) / np.maximum(xm, 1e-9))
    assert rel < 1e-9, rel
    reached = int(near["cost"].notna().sum())
    why = "; ".join(f"{k}: {v:,}" for k, v in near["reason"].value_counts().items())
    rows = [{
        "network": "north of Bayreuth (car)", "nodes": f"{net.n_nodes:,}",
        "edges": f"{net.n_edges:,}", "km": f"{net.length.sum() / 1000:.0f}",
        "from_osm s": f"{t_build:.2f}", "cells": f"{len(cells):,}", "facilities": len(fac),
        "cost_matrix all s": f"{t_cm:.3f}", "cost_matrix 15 min s": f"{t_cm15:.3f}",
        "nearest s": f"{t_nn:.3f}", "networkx 20 searches s": f"{t_x:.3f}",
        "isochrones 5 x 5/10 min s": f"{t_iso:.2f}",
    }]
    cols = list(rows[0])
    return "\n".join([
        "The car network of the OSM extract north of Bayreuth (issue #18): "
        "`StreetNetwork.from_osm(pbf, 'car', unit='min')` (reading with pyosmium, speeds, one-way "
        "streets, strongly connected parts), then 250 m grid cells over its extent to 20 "
        "facilities on random nodes: `cost_matrix` without and with `max_cost=15` (incl. "
        "snapping; the snapping index rebuilt each run) and `nearest`, best of 3; "
        "`isochrones` of 5 facilities at 5 and 10 minutes on 25 m cells, one run. networkx: 20 "
        "`single_source_dijkstra_path_length` on the reversed directed graph (one per facility; "
        "graph build not timed).",
        "",
        table(rows, cols),
        "",
        f"- {full.n_pairs:,} pairs reachable, {cut.n_pairs:,} within 15 minutes; {reached:,} of "
        f"{len(cells):,} cells reach a facility (the others: {why}).",
        f"- facility-to-facility times against networkx: max relative difference {rel:.1e}.",
        f"- isochrones: mean area {iso.area[iso['max_cost'] == 10].mean() / 1e6:.1f} km² at "
        f"10 minutes, {iso.area[iso['max_cost'] == 5].mean() / 1e6:.1f} km² at 5.",
    ])


def run(quick: bool) -> str:
    from quartier.access.network.streets import StreetNetwork

    rows, notes = [], []
    m = moabit()
    if m is not None:
        xy, u, v, t_lines = m
        r, nt = run_case("Moabit", xy, u, v, n_od=500, cutoff=1000.0, n_fac=100, n_orig=2000,
                         pandana_ok=True, networkx_ok=True, lines_build=t_lines)
        rows += r
        notes += nt
    sizes = [100] if quick else [100, 316, 1000]
    for side in sizes:
        xy, u, v = grid(side)
        n = side * side
        name = f"grid {n // 1000}k" if n < 1_000_000 else "grid 1M"
        # GIS lines of the same grid: the noding path
        lines = gpd.GeoDataFrame(geometry=shapely.linestrings(np.stack([xy[u], xy[v]], 1)), crs=CRS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            StreetNetwork.from_lines(lines, islands="keep")
            t_lines = time.perf_counter() - t0
        r, nt = run_case(
            name, xy, u, v, n_od=1000, cutoff=1000.0, n_fac=max(n // 100, 10), n_orig=10_000,
            pandana_ok=n <= 100_000, networkx_ok=n <= 100_000, lines_build=t_lines,
        )
        rows += r
        notes += nt
    cols = ["network", "nodes", "edges", "library", "build s", "build ratio", "many-to-many s",
            "m2m ratio", "nearest s", "nearest ratio"]
    text = [
        "Build: quartier `StreetNetwork(xy, u, v, length)` (CSR adjacency, components) and "
        "`from_lines` (GIS lines incl. noding); pandana `Network` (incl. its contraction "
        "hierarchy); networkx `Graph`. Many-to-many: 1000 origins x 1000 destinations (500 x 500 "
        "in Moabit) within 1000 m: quartier `cost_matrix(max_cost=1000)` (incl. snapping), "
        "pandana `nodes_in_range` filtered to the destinations, networkx "
        "`single_source_dijkstra_path_length(cutoff=)` per origin. Nearest: facilities on 1% of "
        "the nodes, nearest within 3000 m for 10,000 origins (2000 in Moabit): quartier "
        "`nearest`, pandana `set_pois` + `nearest_pois`, networkx `multi_source_dijkstra`. "
        "Edge lengths are rounded to whole millimetres for all libraries, because pandana "
        "stores weights as integer millimetres; distances are then checked for equality. "
        "Seconds are the best of 3 runs (1 run for pandana/networkx builds and networkx "
        "queries, and for the 1M build); ratios are peer / quartier (above 1: quartier faster).",
        "",
        table(rows, cols),
        "",
    ]
    text += [f"- {n}" for n in notes]
    text += ["", catchments(), "", car()]
    return "\n".join(text)


if __name__ == "__main__":
    import sys

    if "catchments" in sys.argv[1:]:
        print(catchments())
    elif "car" in sys.argv[1:]:
        print(car())
    else:
        print(run(quick=True))
