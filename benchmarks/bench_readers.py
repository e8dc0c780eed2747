"""Readers and joins: quartier against plain pandas/geopandas doing the same reads."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import quartier

from _util import best_of, table

TITLE = "Readers and joins (issues: foundation, #19 fast reading)"
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


def _grid_csv(path: Path, rows: int) -> None:
    """A Zensus-style 100 m grid in German format: x;y;Einwohner;Anteil with suppressed cells."""
    rng = np.random.default_rng(19)
    side = int(np.ceil(np.sqrt(rows)))
    x = 4_000_050 + 100 * (np.arange(rows) % side)
    y = 3_000_050 + 100 * (np.arange(rows) // side)
    ew = rng.integers(3, 2_500, rows)
    share = rng.integers(0, 1000, rows)
    hidden_ew = rng.random(rows) < 0.08  # statistics offices suppress small counts with "."
    hidden_share = hidden_ew | (rng.random(rows) < 0.02)
    ew_txt = np.where(hidden_ew, ".", [f"{v:,}".replace(",", ".") for v in ew.tolist()])
    share_txt = np.where(hidden_share, ".", [f"{v // 10},{v % 10}" for v in share.tolist()])
    lines = [f"{a};{b};{c};{d}" for a, b, c, d in zip(
        x.tolist(), y.tolist(), ew_txt.tolist(), share_txt.tolist(), strict=True)]
    path.write_text("x_mitte;y_mitte;Einwohner;Anteil_65_plus\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")


def _quartier_grid(path):
    return quartier.read_table(path, report=True)[0]


def _pandas_grid(path):
    return pd.read_csv(path, sep=";", decimal=",", thousands=".", encoding="utf-8",
                       na_values=["."], keep_default_na=False)


_PEAK_CODE = """
import sys
from pathlib import Path
sys.path.insert(0, {here!r})
import bench_readers
which, path = {which!r}, {path!r}
if which == "quartier":
    bench_readers._quartier_grid(path)
elif which == "pandas":
    bench_readers._pandas_grid(path)
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]) / 1024)
"""


def _peak(which: str, path) -> float:
    """Peak resident memory (MB, VmHWM) of one read in a fresh interpreter (imports included).

    Not ``_util.peak_rss_mb``: ``ru_maxrss`` of a spawned child starts from the parent's
    resident size at the fork, which here holds the generated files and frames.
    """
    code = _PEAK_CODE.format(here=str(Path(__file__).resolve().parent), which=which,
                             path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ})
    return float(done.stdout.strip().splitlines()[-1])


def _same(df: pd.DataFrame, ref: pd.DataFrame) -> str:
    """'yes' when columns, dtypes, values and missing cells are identical (asserted)."""
    assert list(df.columns) == list(ref.columns)
    assert df.dtypes.tolist() == ref.dtypes.tolist(), (df.dtypes, ref.dtypes)
    for col in df.columns:
        assert np.array_equal(df[col].isna().to_numpy(), ref[col].isna().to_numpy()), col
        assert np.array_equal(df[col].to_numpy(), ref[col].to_numpy(), equal_nan=True), col
    return "yes"


def grid_rows(quick: bool) -> list[dict]:
    sizes = [10_000] if quick else [10_000, 100_000, 1_000_000, 3_200_000]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        base = _peak("imports", None)
        for n in sizes:
            path = Path(tmp) / f"grid{n}.csv"
            _grid_csv(path, n)
            repeat = 3 if n > 1_000_000 else 7
            tq, df = best_of(lambda p=path: _quartier_grid(p), repeat)
            tp, ref = best_of(lambda p=path: _pandas_grid(p), repeat)
            same = _same(df, ref)
            out.append({
                "rows": f"{n:,}", "MB": f"{path.stat().st_size / 1e6:.0f}",
                "quartier s": f"{tq:.3f}", "pandas s": f"{tp:.3f}",
                "quartier / pandas": f"{tq / tp:.1f}x",
                "quartier peak MB": f"{_peak('quartier', path):,.0f}",
                "pandas peak MB": f"{_peak('pandas', path):,.0f}",
                "identical": same,
                "suppressed": f"{int(df['Einwohner'].isna().sum()):,}",
            })
            del df, ref
    return out, base


def _quoted_csv(path: Path, rows: int) -> None:
    """Facilities with quoted names (some holding the separator) and UTM coordinates."""
    rng = np.random.default_rng(7)
    x = 400_000 + rng.integers(0, 30_000, rows)
    y = 5_700_000 + rng.integers(0, 30_000, rows)
    places = rng.integers(10, 120, rows)
    lines = [f'"Kita {i}; Haus {i % 97}";"Kita";{a};{b};{c}' for i, a, b, c in zip(
        range(rows), x.tolist(), y.tolist(), places.tolist(), strict=True)]
    path.write_text("name;art;x;y;plaetze\n" + "\n".join(lines) + "\n", encoding="utf-8")


def _xlsx(path: Path, rows: int) -> None:
    import openpyxl

    rng = np.random.default_rng(3)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Daten")
    sheet.append(["Schluessel", "Einwohner", "Anteil"])
    for i, e, a in zip(range(rows), rng.integers(0, 30_000, rows).tolist(),
                       rng.uniform(0, 40, rows).round(1).tolist(), strict=True):
        sheet.append([f"{i:08d}", e, a])
    book.save(path)


def other_rows(quick: bool) -> list[dict]:
    """Quoted CSV, read_points on a grid CSV, XLSX with calamine and with openpyxl."""
    from quartier.io import _xlsx as xlsx_module

    n_csv, n_xlsx = (10_000, 2_000) if quick else (1_000_000, 100_000)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        quoted = Path(tmp) / "kitas.csv"
        _quoted_csv(quoted, n_csv)
        tq, df = best_of(lambda: quartier.read_table(quoted), 5)
        tp, ref = best_of(lambda: pd.read_csv(quoted, sep=";", encoding="utf-8"), 5)
        assert df["name"].tolist()[:3] == ref["name"].tolist()[:3]
        assert np.array_equal(df["plaetze"].to_numpy(), ref["plaetze"].to_numpy())
        out.append({"case": f"CSV with quoted names, {n_csv:,} rows: read_table",
                    "quartier s": f"{tq:.3f}", "peer": "pandas.read_csv",
                    "peer s": f"{tp:.3f}", "quartier / peer": f"{tq / tp:.1f}x"})
        tq, pts = best_of(lambda: quartier.read_points(quoted, source_crs="EPSG:25832"), 3)

        def peer():
            frame = pd.read_csv(quoted, sep=";", encoding="utf-8")
            return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["x"], frame["y"]),
                                    crs="EPSG:25832")

        tp, ref_pts = best_of(peer, 3)
        assert len(pts) == len(ref_pts)
        out.append({"case": "the same, read_points (checks, CRS, points)",
                    "quartier s": f"{tq:.3f}",
                    "peer": "pandas.read_csv + geopandas.points_from_xy",
                    "peer s": f"{tp:.3f}", "quartier / peer": f"{tq / tp:.1f}x"})
        book = Path(tmp) / "t.xlsx"
        _xlsx(book, n_xlsx)
        tc, a = best_of(lambda: quartier.read_table(book, key="Schluessel"), 3)
        calamine = xlsx_module.python_calamine
        xlsx_module.python_calamine = None
        try:
            to, b = best_of(lambda: quartier.read_table(book, key="Schluessel"), 2)
        finally:
            xlsx_module.python_calamine = calamine
        pd.testing.assert_frame_equal(a, b)
        tp, _ = best_of(lambda: pd.read_excel(book, dtype={"Schluessel": str}), 2)
        out.append({"case": f"XLSX, {n_xlsx:,} rows: read_table with python-calamine",
                    "quartier s": f"{tc:.3f}", "peer": "pandas.read_excel (openpyxl)",
                    "peer s": f"{tp:.3f}", "quartier / peer": f"{tc / tp:.1f}x"})
        out.append({"case": "the same, read_table with openpyxl (calamine not installed)",
                    "quartier s": f"{to:.3f}", "peer": "pandas.read_excel (openpyxl)",
                    "peer s": f"{tp:.3f}", "quartier / peer": f"{to / tp:.1f}x"})
    return out


PATH_TEXT = (
    "quartier reads a CSV whose body rows all have one width (quotes allowed when each opens "
    "and closes a cell within its line) with a vectorised path: the table layout from "
    "per-line statistics on the bytes (from 2 MB on only of the first and last lines; "
    "pyarrow's reader confirms that every line between is a row of the table's width), the "
    "body read once as text by pyarrow, and every decision made on whole columns; other files "
    "(cells over several lines, stray quotes, ragged rows) and installations without pyarrow "
    "(extra `quartier[fast]`) are read cell by cell (same results and messages).")


def run(quick: bool) -> str:
    grid, base = grid_rows(quick)
    others = other_rows(quick)
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
                "case": f"German CSV with keys, {n:,} rows (detection automatic vs. all "
                        "options given)",
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
    grid_table = table(grid, ["rows", "MB", "quartier s", "pandas s", "quartier / pandas",
                              "quartier peak MB", "pandas peak MB", "identical", "suppressed"])
    return (
        "### Zensus-style grid, automatic detection against `pandas.read_csv` told every option\n\n"
        "Generated German CSVs `x_mitte;y_mitte;Einwohner;Anteil_65_plus` (thousands `.`, "
        "decimal `,`, about 8 % of the counts and 10 % of the shares suppressed with `.`). "
        "quartier: `read_table(path, report=True)` with everything detected (encoding, "
        "separator, decimal and thousands marks, markers, title and footnote lines, key-like "
        "columns) and the suppressed-cell mask built. pandas: `read_csv(sep=';', decimal=',', "
        "thousands='.', encoding='utf-8', na_values=['.'], keep_default_na=False)`. Same "
        "process, best of 7 (3 runs at 3.2 million rows); 'identical' asserts the same columns, "
        "dtypes, values and missing cells. Peak resident memory of one read in a fresh process "
        f"(imports included; a process that only imports quartier peaks at {base:,.0f} MB). "
        "The machine's 2 cores were shared with other work during the run, so timings are "
        "noisy; pyarrow's CSV reader (used by quartier's fast path) is multi-threaded.\n\n"
        + grid_table + "\n\n"
        + PATH_TEXT + "\n\n"
        "### Other inputs\n\n"
        "A facility list with quoted names (some holding the separator), automatic detection "
        "against `pandas.read_csv(sep=';')`; `read_points` on it (coordinate checks, CRS, "
        "points) against `read_csv` + `points_from_xy`; an XLSX sheet read with python-calamine "
        "(extra `quartier[fast]`) and with openpyxl (the fallback; same frame, asserted) "
        "against `pandas.read_excel`. Best of 2 to 5.\n\n"
        + table(others, ["case", "quartier s", "peer", "peer s", "quartier / peer"]) + "\n\n"
        "### District tables and joins\n\n" + body
    )
