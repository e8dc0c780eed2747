"""print_map: paper sizes, resolution, legend as on the web map, scale bar, disclosure."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from shapely import box

import quartier
from quartier.output import _classes
from quartier.output.maps import legend_labels
from quartier.output.printmap import nice_length, print_map


def _grid(n=4, size=1000.0):
    cells = [box(i * size, j * size, (i + 1) * size, (j + 1) * size)
             for i in range(n) for j in range(n)]
    values = np.linspace(1.0, 2000.0, len(cells))
    return gpd.GeoDataFrame({"name": [f"D{i}" for i in range(len(cells))], "wert": values},
                            geometry=cells, crs="EPSG:25832")


def _mediabox(pdf: bytes) -> tuple[float, float]:
    x0, y0, x1, y1 = map(float, re.search(rb"/MediaBox\s*\[\s*([^\]]+)\]", pdf).group(1).split())
    return x1 - x0, y1 - y0


@pytest.mark.parametrize(("paper", "orientation", "mm"), [
    ("A4", "landscape", (297, 210)), ("A4", "portrait", (210, 297)),
    ("A3", "landscape", (420, 297)), ("A3", "portrait", (297, 420)),
])
def test_png_pixels_and_pdf_page_size(tmp_path, paper, orientation, mm):
    png, pdf = tmp_path / "karte.png", tmp_path / "karte.pdf"
    written = print_map(_grid(), "wert", [png, pdf], title="Test", source="Musterstadt",
                        paper=paper, orientation=orientation, dpi=100 if paper == "A3" else 300)
    assert written == [png, pdf]
    dpi = 100 if paper == "A3" else 300
    expected = tuple(round(v / 25.4 * dpi) for v in mm)
    assert Image.open(png).size == expected
    if (paper, orientation) == ("A4", "landscape"):
        assert expected == (3508, 2480)
    w, h = _mediabox(pdf.read_bytes())
    assert w == pytest.approx(mm[0] / 25.4 * 72, abs=0.01)
    assert h == pytest.approx(mm[1] / 25.4 * 72, abs=0.01)
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".*.tmp"))


def test_berlin_a4_png_at_300_dpi(shared, tmp_path):
    districts = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                        key="PLR_ID", name="PLR_NAME")
    table = quartier.read_table(
        shared / "berlin_population" / "berlin-lor-population-2024-02-t2-planning-areas.csv",
        key="id")
    joined, _ = quartier.join_indicators(districts, table, left_on="PLR_ID", right_on="id")
    out = print_map(joined, "inhabitants_age_above_65_percentage", tmp_path / "berlin.png",
                    title="Anteil ab 65 Jahren", source="Amt für Statistik Berlin-Brandenburg",
                    licence="CC BY 3.0 DE", legend_title="Anteil 65+ (%)")
    image = Image.open(out[0]).convert("RGB")
    assert image.size == (3508, 2480)
    assert len(image.getcolors(maxcolors=1 << 22)) > 20  # drawn, not blank


def test_texts_legend_scale_bar_and_north_arrow(monkeypatch, tmp_path):
    captured = {}
    from matplotlib.figure import Figure

    real = Figure.savefig

    def spy(fig, *args, **kwargs):
        captured["fig"] = fig
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    gdf = _grid()
    print_map(gdf, "wert", tmp_path / "k.pdf", title="Kinderarmut", source="Statistikstelle",
              licence="dl-de/by-2-0", date="31.12.2024", k=4, decimals=1)
    fig = captured["fig"]
    texts = [t.get_text() for t in fig.texts]
    assert "Kinderarmut" in texts
    assert "Quelle: Statistikstelle · Lizenz: dl-de/by-2-0" in texts
    assert "Stand: 31.12.2024" in texts
    entries = [t.get_text() for t in fig.legends[0].get_texts()]
    # each entry ends with its number of districts: "bis unter 5,0 (4)"
    legend = [re.sub(r" \(\d+\)$", "", t) for t in entries]
    counts = [int(re.search(r"\((\d+)\)$", t).group(1)) for t in entries]
    assert sum(counts) == len(gdf)
    breaks = _classes.class_breaks(gdf["wert"], scheme="quantiles", k=4)
    assert legend == legend_labels(breaks, decimals=1, lang="de")
    assert any("." in label and "," in label for label in legend)  # German "1.234,5"
    ax = fig.axes[0]
    bar = [p for p in ax.patches if p.get_gid() == "quartier-scale-bar"]
    total = sum(p.get_width() for p in bar)  # in metres: the axes are in EPSG:25832
    width = np.diff(ax.get_xlim())[0]
    assert total == nice_length(width) and 0.1 * width < total <= 0.2 * width
    labels = [t.get_text() for t in ax.texts]
    assert f"{total / 1000:g} km".replace(".", ",") in labels or f"{total:g} m" in labels
    assert "N" in labels


def test_english_texts_and_suppression(monkeypatch, tmp_path):
    from matplotlib.figure import Figure

    captured = {}
    real = Figure.savefig
    monkeypatch.setattr(Figure, "savefig",
                        lambda fig, *a, **kw: (captured.setdefault("fig", fig), real(fig, *a, **kw)))
    gdf = _grid()
    gdf.loc[3, "wert"] = np.nan
    suppressed = pd.DataFrame({"wert": gdf.index == 5}, index=gdf.index)
    # sorted differently from the frame: the mask is matched by label, not by position
    print_map(gdf.iloc[::-1], "wert", tmp_path / "k.png", title="T", source="S", lang="en",
              dpi=50, date="2024-12-31", suppressed=suppressed)
    assert not gdf.attrs
    fig = captured["fig"]
    legend = [re.sub(r" \(\d+\)$", "", t.get_text()) for t in fig.legends[0].get_texts()]
    assert legend[-2:] == ["no data", "suppressed (confidentiality)"]
    assert "Source: S" in [t.get_text() for t in fig.texts]
    # the suppressed value does not shape the classes: the max is the largest other value
    assert legend[-3].endswith(_fmt_en(np.nanmax(np.delete(gdf["wert"].to_numpy(), 5))))
    hatched = [c for c in fig.axes[0].collections if c.get_hatch()]
    assert len(hatched) == 1 and len(hatched[0].get_paths()) == 1


def _fmt_en(v):
    return quartier.format_number(v, 1, lang="en")


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"\.png or \.pdf"):
        print_map(_grid(), "wert", tmp_path / "k.svg", title="T", source="S")
    with pytest.raises(ValueError, match="paper"):
        print_map(_grid(), "wert", tmp_path / "k.png", title="T", source="S", paper="A5")
    with pytest.raises(quartier.ColumnError):
        print_map(_grid(), "fehlt", tmp_path / "k.png", title="T", source="S")
    assert not list(tmp_path.iterdir())


def test_nice_length():
    assert nice_length(10_000) == 2000 and nice_length(9_999) == 1000
    assert nice_length(51) == 10 and nice_length(250_000) == 50_000
