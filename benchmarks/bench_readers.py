"""Readers and joins: quartier against plain pandas/geopandas doing the same reads."""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import quartier

from _util import best_of, table

TITLE = "Readers and joins (issue: foundation)"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _german_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(1)
    keys = [f"{i:08d}" for i in range(rows)]
    ew = rng.integers(0, 30_000, rows)
    quote = rng.uniform(0, 40, rows)
    lines = ["Schlüssel;Einwohner;SGB-II-Quote in %;Arbeitslose"]
    for k, e, q, a in zip(keys, ew, quote, rng.integers(0, 2000, rows), strict=True):
        e_txt = f"{e:,}".replace(",", ".")
        lines.append(f"{k};{e_txt};{q:.1f}".replace(".", ",", 0) + f";{a}")
    text = "\n".join(lines).replace(";", "\t")
    # decimal comma for the rate column only
    out = []
    for line in text.split("\n"):
        parts = line.split("\t")
        if parts[0] != "Schlüssel":
            parts[2] = parts[2].replace(".", ",")
        out.append(";".join(parts))
    path.write_text("\n".join(out) + "\n", encoding="cp1252")


def run(quick: bool) -> str:
    rows_out = []
    sizes = [10_000] if quick else [10_000, 100_000]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"t{n}.csv"
            _german_csv(path, n)
            tq, df = best_of(lambda p=path: quartier.read_table(p, key="Schlüssel"), 2)
            tp, ref = best_of(
                lambda p=path: pd.read_csv(
                    p, sep=";", decimal=",", thousands=".", encoding="cp1252",
                    dtype={"Schlüssel": str},
                ),
                2,
            )
            assert np.array_equal(df["Einwohner"].to_numpy(), ref["Einwohner"].to_numpy())
            rows_out.append({
                "case": f"German CSV, {n:,} rows (detection automatic vs. all options given)",
                "quartier s": f"{tq:.3f}", "peer": "pandas.read_csv", "peer s": f"{tp:.3f}",
                "peer / quartier": f"{tp / tq:.2f}",
            })
    plr_path = SHARED / "berlin_lor" / "lor_planungsraeume_2021.shp"
    t2_path = SHARED / "berlin_population" / "berlin-lor-population-2024-02-t2-planning-areas.csv"
    if plr_path.exists():
        tq, plr = best_of(lambda: quartier.read_districts(plr_path, key="PLR_ID"), 3)
        tp, _ = best_of(lambda: gpd.read_file(plr_path), 3)
        rows_out.append({"case": "Berlin 542 Planungsräume (Shapefile)", "quartier s": f"{tq:.3f}",
                         "peer": "geopandas.read_file", "peer s": f"{tp:.3f}",
                         "peer / quartier": f"{tp / tq:.2f}"})
        t2 = quartier.read_table(t2_path, key="id")
        tq, _ = best_of(lambda: quartier.join_indicators(plr, t2, left_on="PLR_ID",
                                                               right_on="id"), 5)
        tp, _ = best_of(lambda: plr.merge(t2, left_on="PLR_ID", right_on="id", how="left"), 5)
        rows_out.append({"case": "join 542 x 542 with report", "quartier s": f"{tq:.4f}",
                         "peer": "GeoDataFrame.merge (no report)", "peer s": f"{tp:.4f}",
                         "peer / quartier": f"{tp / tq:.2f}"})
    body = table(rows_out, ["case", "quartier s", "peer", "peer s", "peer / quartier"])
    return body + (
        "\n\nquartier's reader parses cells in Python to detect formats, markers and keys "
        "(and to name the line of a bad cell), so it is slower than a `pandas.read_csv` call "
        "that is told every option. For district tables (hundreds to a few thousand rows) "
        "this is well under a second; see the open point in the issue notes for large files."
    )
