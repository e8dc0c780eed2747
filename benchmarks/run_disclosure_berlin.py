"""The disclosure step of a Berlin run with three services on a rare target group (by hand).

Not a ``bench_*`` topic (``run.py`` does not run it): the figures go by hand into
``results/disclosure.md``. Berlin's 542 Planungsräume (LOR 2021) with levels Bezirksregion,
Prognoseraum, Bezirk (key prefixes 6, 4, 2); the 80+ of the 2011 census 100 m grid thinned to
1 % (binomial, seed 7: many counts of 1 and 2); three services on these people, covered within
300, 500 and 1000 m straight-line of a care home (pflegeeinrichtungen); ``min_count = 3``. The
time is :func:`quartier.batch._protect.protect_run` (protection of the group, linked attack,
audit of each service), as ``quartier run`` calls it, with LP and call counts.

    PYTHONPATH=src python benchmarks/run_disclosure_berlin.py [01,02]   # optional Bezirke
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

import quartier
from quartier.batch import _protect
from quartier.reporting.disclosure_control import DisclosureRules

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LEVELS = ["BZR", "PGR", "BEZ"]


def tables(bezirke=None) -> tuple[dict, pd.DataFrame]:
    plr = gpd.read_file(SHARED / "berlin_lor" / "lor_planungsraeume_2021.shp")
    plr["PLR_ID"] = plr["PLR_ID"].astype(str)
    plr = plr.sort_values("PLR_ID").reset_index(drop=True)
    if bezirke:
        plr = plr[plr["PLR_ID"].str[:2].isin(bezirke)].reset_index(drop=True)
    cells = quartier.read_points(SHARED / "zensus2011_grid"
                                 / "berlin_zensus2011_100m_age_80plus_cells.csv",
                                 x="x", y="y", source_crs="EPSG:3035", crs="EPSG:25833")
    cells["rare"] = np.random.default_rng(7).binomial(cells["value"].to_numpy(), 0.01)
    joined = gpd.sjoin(cells, plr[["PLR_ID", "geometry"]], predicate="within")
    homes = gpd.read_file(SHARED / "berlin_facilities" / "pflegeeinrichtungen.geojson")
    homes = homes.to_crs("EPSG:25833")
    distance, _ = cKDTree(np.column_stack([homes.geometry.x, homes.geometry.y])).query(
        np.column_stack([joined.geometry.x, joined.geometry.y]))
    rows = {}
    for name, reach in {"A": 300, "B": 500, "C": 1000}.items():
        g = pd.DataFrame({"key": joined["PLR_ID"], "population": joined["rare"],
                          "covered": np.where(distance <= reach, joined["rare"], 0)})
        g = g.groupby("key")[["population", "covered"]].sum().reindex(plr["PLR_ID"],
                                                                       fill_value=0)
        g["uncovered"] = g["population"] - g["covered"]
        g["share_covered"] = g["covered"] / g["population"].where(g["population"] > 0)
        g["gap"] = False
        rows[name] = g.rename_axis("key").reset_index()
    parents = pd.DataFrame({lv: plr["PLR_ID"].str[:w] for lv, w in zip(LEVELS, (6, 4, 2),
                                                                        strict=True)})
    return rows, parents


def main() -> None:
    bezirke = sys.argv[1].split(",") if len(sys.argv) > 1 else None
    rows, parents = tables(bezirke)
    counts = {"protect_table": 0, "linked": 0, "linked LPs": 0}
    protect, linked = _protect.protect_table, _protect.linked_failures

    def count_protect(*args, **kwargs):
        counts["protect_table"] += 1
        return protect(*args, **kwargs)

    def count_linked(*args, **kwargs):
        counts["linked"] += 1
        stats: dict = {}
        out = linked(*args, stats=stats)
        counts["linked LPs"] += stats.get("lp", 0)
        return out

    _protect.protect_table, _protect.linked_failures = count_protect, count_linked
    services = [{"name": n, "target_group": "80+"} for n in rows]
    start = time.perf_counter()
    try:
        _protect.protect_run(rows, services, parents, LEVELS, DisclosureRules(min_count=3), "en")
        outcome = "published (audits pass)"
    except quartier.errors.DisclosureError as err:
        outcome = f"refused: {len(err.cells)} cell(s)"
    seconds = time.perf_counter() - start
    small = int(((rows["A"]["population"] > 0) & (rows["A"]["population"] < 3)).sum())
    print(f"{len(parents)} Planungsräume, {int(rows['A']['population'].sum())} people, {small} "
          f"populations of 1 or 2: {seconds:.1f} s, {outcome}; {counts}")


if __name__ == "__main__":
    main()
