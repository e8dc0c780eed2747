"""The statement's map sheet, PDF, HTML and CSV looked at (issue #14): footer boxes that do not
overlap at 100, 200 and 300 dpi, labels present, wording and number format, disclosure."""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

import quartier
from quartier.planning.statement import ServiceCheck, development_statement, write_statement

pytest.importorskip("matplotlib")

# the worked example (as in tests/test_statement_allocation.py): Kitas A and B, 50 places
# each; 100 children in reach of both, 60 of B only; the site 350 m from A, 750 m from B
KITAS = gpd.GeoDataFrame({"name": ["A", "B"], "plaetze": [50, 50]},
                         geometry=[Point(0, 0), Point(400, 0)], crs=25833)
CHILDREN = gpd.GeoDataFrame({"unter_6": [100, 60]}, geometry=[Point(200, 0), Point(800, 0)],
                            crs=25833)
SITE = gpd.GeoDataFrame(geometry=[box(-360, -10, -340, 10)], crs=25833)
PROFILE = {"unter_6": 0.09, "rest": 0.91}

DISTRICTS = gpd.GeoDataFrame({"quote": [3.0, 7.0, 12.0, 20.0]}, geometry=[
    box(-1000, -1000, 0, 0), box(0, -1000, 1200, 0), box(-1000, 0, 0, 1000),
    box(0, 0, 1200, 1000)], crs=25833)


def _statement(**kw):
    kita = ServiceCheck("Kitas", KITAS, ["unter_6"], 500, "plaetze", 750, "Kinder unter 6 Jahren")
    return development_statement(SITE, housing_units=300, persons_per_unit=2.0,
                                 age_profile=PROFILE, population=CHILDREN, services=[kita], **kw)


@pytest.fixture
def captured(monkeypatch):
    from matplotlib.figure import Figure

    figures = []
    real = Figure.savefig

    def spy(fig, *args, **kwargs):
        figures.append(fig)
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    return figures


def _write(tmp_path, s, **kw):
    return write_statement(s, tmp_path, title="Stellungnahme B-Plan 1", source="Musterstadt, "
                           "Einwohnerregister und Kitaliste des Jugendamts mit vielen Worten, "
                           "damit die Quelle lang wird und umgebrochen werden muss, weil sie nicht "
                           "in eine Zeile neben dem Datum passt, auch nicht bei kleiner Schrift",
                           licence="dl-de/by-2-0", districts=DISTRICTS, column="quote",
                           legend_title="Quote (%)", date="31.12.2024",
                           data={"Kinder": "Melderegister, 31.12.2024"}, **kw)


def _boxes(fig):
    renderer = fig.canvas.get_renderer()
    texts = {t.get_text(): t.get_window_extent(renderer) for t in fig.texts}
    return renderer, texts


@pytest.mark.parametrize("dpi", [100, 200, 300])
def test_footer_and_notes_do_not_overlap_at_any_dpi(tmp_path, captured, dpi):
    _write(tmp_path, _statement(), dpi=dpi)
    fig = captured[0]
    assert fig.dpi == dpi
    renderer, texts = _boxes(fig)
    credit = next(b for t, b in texts.items() if t.startswith("Quelle:"))
    stand = texts["Stand: 31.12.2024"]
    assert credit.x1 < stand.x0  # the source is wrapped before "Stand"
    assert "\n" in next(t for t in texts if t.startswith("Quelle:"))
    width, height = fig.bbox.width, fig.bbox.height
    for b in (credit, stand):
        assert 0 <= b.x0 and b.x1 <= width and 0 <= b.y0 and b.y1 <= height
    notes = next(t for t in fig.texts if t.get_gid() == "quartier-notes")
    nb = notes.get_window_extent(renderer)
    legend = fig.legends[0].get_window_extent(renderer)
    assert nb.x1 <= width and not nb.overlaps(legend) and not nb.overlaps(credit)
    assert not nb.overlaps(fig.axes[0].get_window_extent(renderer))
    assert legend.x1 <= width  # no legend entry runs off the sheet
    text = notes.get_text().replace("\n", " ")
    assert "Altersprofil der neuen Bewohner: unter_6: 9,0\xa0%" in text
    assert "Reichweite 500\xa0m Luftlinie" in text and "Richtwert 750 Plätze je 1.000" in text
    assert "2,0 Personen je Wohneinheit" in text and "Melderegister, 31.12.2024" in text
    assert "Nachfrage je Platz 0,75 → 1,56" in text
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "quartier-point-label"]
    assert labels == ["A (50 Pl.)"]
    entries = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Kitas: 500\xa0m Luftlinie" in entries and "nicht in Reichweite" in entries
    assert not any("Auslastung" in t.get_text() for t in fig.texts)


def test_pdf_rendered_small_and_labelled(tmp_path):
    pymupdf = pytest.importorskip("pymupdf")
    files = _write(tmp_path, _statement())
    pdf = files[1]
    assert pdf.stat().st_size < 1_000_000
    doc = pymupdf.open(pdf)
    page = doc[0]
    words = page.get_text("words")  # (x0, y0, x1, y1, word, block, line, word_no)
    text = page.get_text()
    for needle in ("Stellungnahme B-Plan 1", "A (50 Pl.)", "Luftlinie", "Stand: 31.12.2024",
                   "nicht in Reichweite", "Plangebiet"):
        assert needle in text, needle
    stand = [w for w in words if w[4] == "Stand:"]
    quelle = [w for w in words if w[4] == "Quelle:"]
    assert len(stand) == 1 and len(quelle) == 1
    # every other word on the line of "Stand: 31.12.2024" ends at least 3 mm before it
    x0, y0, _, y1 = stand[0][:4]
    same_line = [w for w in words if w[1] < y1 and w[3] > y0 and w[0] < x0]
    assert len(same_line) >= 3  # the source's last line
    assert all(w[2] < x0 - 3 / 25.4 * 72 for w in same_line)
    pix = page.get_pixmap(dpi=72)
    png = tmp_path / "pdf.png"
    pix.save(png)
    from matplotlib.image import imread

    img = imread(png)
    assert img.shape[0] > 500 and (img[..., :3] < 0.5).any() and (img[..., :3] > 0.9).any()


def test_city_district_pdf_under_one_megabyte(tmp_path, shared):
    """A site in Moabit over all 542 Berlin Planungsräume: only what is seen is drawn."""
    plr = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                  key="PLR_ID", name="PLR_NAME")
    plr["flaeche"] = plr.area / 1e4
    kitas = quartier.read_facilities(
        shared / "berlin_kitas" / "berlin-daycare-centers-2026-07-details.csv",
        capacity="places", crs="EPSG:25833")
    site = gpd.GeoDataFrame(geometry=[box(387535, 5821083, 387635, 5821283)], crs=25833)
    s = development_statement(site, housing_units=300, services=[
        ServiceCheck("Kitas", kitas, ["unter_6"], 500, "places", 750)])
    files = write_statement(s, tmp_path, title="Moabit", source="LOR, Kitaliste",
                            districts=plr, column="flaeche")
    assert files[1].stat().st_size < 1_000_000
    # the facilities in reach are labelled with name and places on the sheet
    pymupdf = pytest.importorskip("pymupdf")
    text = pymupdf.open(files[1])[0].get_text()
    n = int(s.table["facilities_in_reach"].iloc[0])
    assert n > 0 and len(re.findall(r"\(\d+ Pl\.\)", text)) >= n


def test_html_and_csv_wording_numbers_and_disclosure(tmp_path):
    files = _write(tmp_path, _statement())
    page = files[3].read_text(encoding="utf-8")
    assert "1 Einrichtung mit 50 Plätzen liegt in Reichweite" in page
    assert "Einrichtungen liegen" not in page and "liegen 1 " not in page
    assert "Auslastung" not in page and "Nachfrage je Platz" in page
    assert "heute 0,75, nach Bezug 1,56" in page
    assert "Eigener Bedarf des Vorhabens: rund 54 Personen" in page and "40,5 Plätze" in page
    assert "Fehlbedarf heute 0,0 Plätze" in page
    assert "500\xa0m Luftlinie" in page and "Annahmen" in page
    assert "Altersprofil der neuen Bewohner" in page and "Melderegister, 31.12.2024" in page
    assert "<td>350\xa0m</td>" in page  # distances in whole metres
    # the sensitivity table: 300, 500, 750 m (0.6, 1, 1.5 x reach), three allocation rules
    for radius in ("300\xa0m", "500\xa0m", "750\xa0m"):
        assert f"<td>{radius}</td><td>nach Plätzen</td>" in page
    assert "<td>alle in Reichweite</td><td>1</td><td>50</td><td>1,50</td>" in page
    csv = files[2].read_text(encoding="utf-8-sig").splitlines()
    head, row = csv[0].split(";"), dict(zip(csv[0].split(";"), csv[1].split(";"), strict=True))
    assert head[:2] == ["leistung", "zielgruppe"]
    assert row["nachfrage_je_platz_vorher"] == "0,75" and row["nachfrage_je_platz_nachher"] == "1,56"
    assert row["zielgruppe_zugerechnet"] == "50" and row["eigenbedarf_plaetze"] == "40,5"
    assert row["zurechnung"] == "nach Plätzen" and row["messung"] == "Luftlinie"
    assert not any(re.search(r"\d[,.]\d{3,}", cell) for cell in csv[1].split(";"))  # rounded
    # disclosure in force: 50 children allocated are below 60: suppressed with what follows
    with quartier.disclosure(60):
        files = _write(tmp_path / "geheim", _statement())
    page = files[3].read_text(encoding="utf-8")
    assert "werden heute gesperrt Personen zugerechnet" in page
    assert "heute gesperrt, nach Bezug gesperrt" in page and "0,75" not in page
    row = dict(zip(*(line.split(";") for line in
                     files[2].read_text(encoding="utf-8-sig").splitlines()[:2]), strict=True))
    assert row["zielgruppe_zugerechnet"] == "" and row["nachfrage_je_platz_vorher"] == ""
    assert row["eigenbedarf_plaetze"] == "40,5"  # an expected value, not people counted


def test_network_statement_says_walking(tmp_path, captured):
    from quartier.access.network.streets import StreetNetwork

    # streets: a line along y=0 from -1000 to 1000, and a spur up to the children
    net = StreetNetwork([[-1000, 0], [1000, 0], [200, 0], [200, 300]], [0, 2, 2], [2, 1, 3],
                        crs=25833)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", quartier.QuartierWarning)
        s = _statement(network=net)
        files = _write(tmp_path, s)
    row = s.table.iloc[0]
    assert row["measure"] == "Fußweg (Profil: zu Fuß (4,5 km/h))"
    reach = s.reach.geometry.iloc[0]
    # along the street plus the straight access leg (the rule of reach): at most a diamond of
    # 2 r^2 around the site, never the circle of pi r^2
    assert reach.area <= 2 * 500**2 * 1.01
    assert reach.area < 0.7 * np.pi * 500**2
    page = files[3].read_text(encoding="utf-8")
    assert "500\xa0m Fußweg (Profil: zu Fuß (4,5 km/h))" in page and "Luftlinie" not in page
    entries = [t.get_text() for t in captured[0].legends[0].get_texts()]
    assert "Kitas: 500\xa0m Fußweg" in entries


def test_english_package_and_png_size(tmp_path):
    from matplotlib.image import imread

    files = _write(tmp_path, _statement(), lang="en", dpi=100)
    png = imread(files[0])
    assert png.shape[:2] == (round(210 / 25.4 * 100), round(297 / 25.4 * 100))
    page = files[3].read_text(encoding="utf-8")
    assert "1 facility with 50 places lies within reach" in page
    assert "today 0.75, after occupancy 1.56" in page and "straight line" in page
    assert "overloaded by the development" in page
    head = files[2].read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert head[:3] == ["service", "target_group", "measure"]
    assert "overloaded by the development" in files[2].read_text(encoding="utf-8-sig")


def test_network_in_minutes(tmp_path):
    from quartier.access.network.streets import StreetNetwork

    net = StreetNetwork([[-1000, 0], [1000, 0]], [0], [1], crs=25833, unit="min")
    kita = ServiceCheck("Kitas", KITAS, ["unter_6"], 6, "plaetze", 750)  # 6 min = 450 m
    s = development_statement(SITE, housing_units=300, persons_per_unit=2.0,
                              age_profile=PROFILE, population=CHILDREN, services=[kita],
                              network=net)
    row = s.table.iloc[0]
    # the worked example: A only in reach of the site (350 m), the children reach A and B
    assert row["unit"] == "min" and row["facilities_in_reach"] == 1
    assert row["load_before"] == pytest.approx(0.75)
    assert row["load_after"] == pytest.approx(104 * 0.75 / 50)
    assert sorted(set(s.sensitivity["max_cost"])) == pytest.approx([3.6, 6.0, 9.0])
    files = _write(tmp_path, s)
    page = files[3].read_text(encoding="utf-8")
    assert "6\xa0min Fußweg" in page and "<td>3,6\xa0min</td>" in page
