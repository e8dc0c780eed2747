"""The catchment map and the coverage table of one Kita in Berlin-Moabit (docs figure).

Writes docs/guide/img/catchment-kita.png and prints the Markdown table used in
docs/guide/networks.md. Run: ``python benchmarks/figure_catchment.py``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

import quartier
from quartier.access.catchments import isochrones
from quartier.access.covering import coverage
from quartier.access.network.streets import StreetNetwork

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("QUARTIER_SHARED_DATA", REPO.parent / "shared" / "data"))
CRS = "EPSG:25833"
#: metres: locations farther from every street are unreachable (water, the edge of the data)
MAX_SNAP = 100.0


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    warnings.simplefilter("ignore")
    roads = gpd.read_file(SHARED / "berlin_streets_moabit" / "moabit_roads.gpkg")
    district = gpd.read_file(SHARED / "berlin_streets_moabit" / "moabit_district.gpkg").to_crs(CRS)
    net = StreetNetwork.from_lines(roads, crs=CRS, unit="min", max_snap=MAX_SNAP)
    kitas = quartier.read_facilities(
        SHARED / "berlin_facilities" / "kindertagesstaetten_2022-12.geojson").to_crs(CRS)
    kitas = kitas[kitas.within(district.geometry.union_all())]
    kita = kitas[kitas["e_platz"] == kitas["e_platz"].max()].iloc[[0]]
    cells = quartier.read_points(
        SHARED / "zensus2011_grid" / "berlin_zensus2011_100m_age_under10_cells.csv",
        x="x", y="y", source_crs="EPSG:3035", crs=CRS)
    area = district.geometry.union_all()
    near = cells[(cells.distance(kita.geometry.iloc[0]) < 1200) & cells.within(area)]
    iso = isochrones(kita, network=net, max_cost=10).geometry.iloc[0]
    res = coverage(near, kita, max_cost=10, demand_col="value", network=net)
    units = res.units
    xy = shapely.get_coordinates(near.geometry)
    inside = shapely.contains_xy(iso, xy[:, 0], xy[:, 1])
    covered = units["covered"].to_numpy()
    kids = units["value"].to_numpy(float)
    rows = [
        ("Kinder unter 10 in Moabit bis 1,2 km Luftlinie (Zensus 2011, 100-m-Zellen)",
         kids.sum(), len(kids)),
        ("davon versorgt laut `coverage` (10 min zu Fuß)", kids[covered].sum(), covered.sum()),
        ("davon Zellmittelpunkt in der Karte (`isochrones`)", kids[inside].sum(), inside.sum()),
        ("versorgt, aber nicht in der Karte", kids[covered & ~inside].sum(), (covered & ~inside).sum()),
        ("in der Karte, aber nicht versorgt", kids[inside & ~covered].sum(), (inside & ~covered).sum()),
        ("nicht erreichbar (Grund angegeben)", kids[units["reason"].notna().to_numpy()].sum(),
         int(units["reason"].notna().sum())),
    ]
    print(f"Kita: {kita['e_name'].iloc[0]} ({kita['e_platz'].iloc[0]} Plätze)")
    print("| | Kinder | Zellen |\n|---|---|---|")
    for label, k, n in rows:
        print(f"| {label} | {k:.0f} | {n} |")

    fig, ax = plt.subplots(figsize=(7, 7))
    lo = kita.geometry.iloc[0].buffer(1000).bounds
    view = shapely.box(*lo)
    streets = net.edges[net.edges.intersects(view)]
    streets.plot(ax=ax, color="#999999", linewidth=0.5)
    gpd.GeoSeries([iso], crs=CRS).plot(ax=ax, color="#2b8cbe", alpha=0.35, edgecolor="#08519c",
                                       linewidth=0.6)
    ax.scatter(*xy[covered].T, s=np.sqrt(kids[covered]) * 6, color="#006d2c",
               label="versorgt (coverage)", zorder=3)
    ax.scatter(*xy[~covered].T, s=np.sqrt(kids[~covered]) * 6, color="#d95f0e",
               label="nicht versorgt", zorder=3)
    kita.plot(ax=ax, color="black", marker="*", markersize=150, zorder=4, label="Kita")
    ax.set_xlim(lo[0], lo[2])
    ax.set_ylim(lo[1], lo[3])
    ax.set_axis_off()
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("Einzugsbereich 10 min zu Fuß (10-m-Raster, Ränder 5 m, max_snap 100 m) und Kinder unter 10",
                 fontsize=9)
    out = REPO / "docs" / "guide" / "img" / "catchment-kita.png"
    fig.savefig(out, dpi=110, bbox_inches="tight")
    print(f"written {out}")


if __name__ == "__main__":
    main()
