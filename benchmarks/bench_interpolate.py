"""Area-weighted interpolation: quartier.area_interpolate vs PySAL tobler, same inputs."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from _util import best_of, table

TITLE = "Area-weighted interpolation (quartier vs tobler)"

DATA = Path(os.environ.get("QUARTIER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _voronoi(n: int, seed: int, size: float = 30_000.0) -> gpd.GeoDataFrame:
    """A partition of a size x size m square into n Voronoi cells (district-like shapes)."""
    rng = np.random.default_rng(seed)
    pts = shapely.multipoints(rng.uniform(0, size, (n, 2)))
    square = shapely.box(0, 0, size, size)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=square))
    cells = shapely.intersection(cells, square)
    gdf = gpd.GeoDataFrame({"key": [str(i) for i in range(len(cells))]}, geometry=cells,
                           crs="EPSG:25832")
    gdf["ew"] = rng.integers(0, 10_000, len(gdf)).astype(float)
    gdf["quote"] = rng.uniform(0, 1, len(gdf))
    return gdf


def _berlin():
    import quartier

    lor = DATA / "berlin_lor"
    raw = gpd.read_file(lor / "lor_planungsraeume_until2020.shp")
    wrong = (raw["broker Dow"] == "06010102") & (raw["BEZIRKSNAM"] == "Charlottenburg-Wilmersdorf")
    raw.loc[wrong, "broker Dow"] = "04030417"
    old = quartier.read_districts(raw, key="broker Dow", key_width=8)
    new = quartier.read_districts(lor / "lor_planungsraeume_2021.shp", key="PLR_ID", key_width=8)
    rng = np.random.default_rng(1)
    old["ew"] = rng.integers(0, 20_000, len(old)).astype(float)
    old["quote"] = rng.uniform(0, 1, len(old))
    return old, new


def _case(name, source, target, repeat):
    from tobler.area_weighted import area_interpolate as tobler_area

    from quartier.areas.interpolate import area_interpolate

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return area_interpolate(source, target, extensive="ew", intensive=["quote"]).table

    def theirs():
        return tobler_area(source, target, extensive_variables=["ew"],
                           intensive_variables=["quote"], allocate_total=False)

    t_q, r_q = best_of(ours, repeat)
    t_t, r_t = best_of(theirs, repeat)
    diff = float(np.max(np.abs(r_q["ew"].to_numpy() - r_t["ew"].to_numpy())
                        / np.maximum(r_q["ew"].to_numpy(), 1.0)))
    return {
        "case": name,
        "source -> target": f"{len(source):,} -> {len(target):,}",
        "quartier s": f"{t_q:.3f}",
        "tobler s": f"{t_t:.3f}",
        "ratio (tobler / quartier)": f"{t_t / t_q:.2f}",
        "max rel. diff (counts)": f"{diff:.1e}",
    }


def run(quick: bool) -> str:
    rows = []
    if (DATA / "berlin_lor").is_dir():
        old, new = _berlin()
        rows.append(_case("Berlin PLR 2006 -> 2021", old, new, 3 if quick else 5))
    sizes = [(1_000, 1_200)] if quick else [(1_000, 1_200), (10_000, 12_000)]
    for n_src, n_tgt in sizes:
        rows.append(_case("Voronoi partitions", _voronoi(n_src, 1), _voronoi(n_tgt, 2),
                          1 if n_src >= 10_000 else 3))
    cols = ["case", "source -> target", "quartier s", "tobler s", "ratio (tobler / quartier)",
            "max rel. diff (counts)"]
    return (
        "`quartier.area_interpolate(extensive='ew', intensive=['quote'])` against\n"
        "`tobler.area_weighted.area_interpolate(..., allocate_total=False)` (same definition of\n"
        "counts), best of several runs, same process and inputs. quartier skips the intersection\n"
        "for pairs where one polygon covers the other and spreads the remaining intersections\n"
        f"over threads (shapely releases the GIL; {os.cpu_count()} cores here); tobler runs with its\n"
        "default `n_jobs=1`. The differences in the counts come from tobler's float32 area table.\n\n"
        + table(rows, cols)
    )
