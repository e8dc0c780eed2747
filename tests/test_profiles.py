"""District profiles (Stadtteilprofile) on Berlin's and Hamburg's real data.

Every figure is checked against an independent pandas computation from the delivered tables
or against a total the statistics office published; the HTML is opened in a headless
Chromium with the network blocked (helpers of test_offline_browser), the PDF is rendered.
"""

from __future__ import annotations

import base64
import warnings

import numpy as np
import pandas as pd
import pytest

import quartier
from quartier.errors import ColumnError, ParameterError
from test_offline_browser import Browser, _chromium_or_skip

BERLIN_TOTAL_2024 = 3_897_145  # sum of the 542 Planungsräume, t2 planning areas 31.12.2024
UNINHABITED = ["03400831", "06200418"]
SHARES = {"inhabitants_age_below_6": "Kinder unter 6",
          "inhabitants_age_above_65": "65 und älter",
          "inhabitants_foreigners": "Ausländerinnen und Ausländer"}


def _indicators():
    return ([{"column": "inhabitants", "label": "Einwohner"}]
            + [{"column": c, "label": lab, "kind": "share", "denominator": "inhabitants"}
               for c, lab in SHARES.items()]
            + [{"column": "SI_N", "label": "Status-Index MSS 2021", "kind": "index",
                "rank": "asc"},
               {"column": "SI_V", "label": "Status MSS 2021", "kind": "class"}])


@pytest.fixture(scope="module")
def berlin_inputs(shared):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", quartier.QuartierWarning)
        plr = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                      key="PLR_ID", name="PLR_NAME")
        t24 = quartier.read_table(shared / "berlin_population"
                                  / "berlin-lor-population-2024-02-t2-planning-areas.csv",
                                  key="id")
        t22 = quartier.read_table(shared / "berlin_population" / "einwohnerbestand_06-2022_plr.csv",
                                  key="PLR-ID")
        mss = quartier.read_table(shared / "berlin_mss_2021" / "mss_2021.csv", key="PLR_ID")
    t22 = t22.rename(columns={"PLR-ID": "id", "Gesamt": "inhabitants",
                              "unter6": "inhabitants_age_below_6",
                              "65undmehr": "inhabitants_age_above_65",
                              "ausländer": "inhabitants_foreigners"})
    t24 = t24.merge(mss[["PLR_ID", "SI_N", "SI_V"]], left_on="id", right_on="PLR_ID",
                    how="left").drop(columns="PLR_ID")
    return plr, {2022: t22, 2024: t24}


@pytest.fixture(scope="module")
def berlin(berlin_inputs, tmp_path_factory):
    plr, tables = berlin_inputs
    out = tmp_path_factory.mktemp("profiles_berlin")
    return quartier.district_profiles(
        plr, tables, indicators=_indicators(), out=out, key="PLR_ID", name="PLR_NAME",
        table_key="id", by="BEZ", population="inhabitants",
        map_indicator="inhabitants_age_below_6", formats=["html", "pdf", "csv"],
        select=["01100101", "11501341", "06200418"], source="Amt für Statistik Berlin-Brandenburg")


def _fig(res, key, indicator, year=2024):
    f = res.figures
    row = f[(f["key"] == key) & (f["indicator"] == indicator) & (f["year"] == year)]
    assert len(row) == 1
    return row.iloc[0]


def test_berlin_has_542_sections_and_city_totals(berlin, berlin_inputs):
    _, tables = berlin_inputs
    html = berlin.paths["html"].read_text(encoding="utf-8")
    assert html.count('<section class="district"') == 542
    assert berlin.report.districts == 542 and berlin.report.years == [2022, 2024]
    city = berlin.figures.query("indicator == 'inhabitants' and year == 2024")["city"]
    assert city.nunique() == 1
    assert city.iloc[0] == BERLIN_TOTAL_2024 == tables[2024]["inhabitants"].sum()
    city22 = berlin.figures.query("indicator == 'inhabitants' and year == 2022")["city"]
    assert city22.iloc[0] == tables[2022]["inhabitants"].sum() == 3_821_881
    assert "3.897.145" in html  # German number format
    assert sorted(berlin.report.uninhabited) == UNINHABITED


def test_berlin_sample_equals_independent_computation(berlin, berlin_inputs):
    _, tables = berlin_inputs
    t24 = tables[2024].set_index("id")
    t22 = tables[2022].set_index("id")
    # Bezirk from the table's own district_id column (not from the geometry's BEZ)
    bez = t24.groupby("district_id")[["inhabitants", *SHARES]].sum()
    inhabited = t24["inhabitants"] > 0
    rng = np.random.default_rng(16)
    sample = list(rng.choice(t24.index.to_numpy(), 12, replace=False)) + ["01100101"]
    for col in SHARES:
        share = t24[col] / t24["inhabitants"] * 100
        share22 = t22[col] / t22["inhabitants"] * 100
        ranks = share[inhabited].rank(method="min", ascending=False)
        city = t24[col].sum() / t24["inhabitants"].sum() * 100
        for key in sample:
            got = _fig(berlin, key, col)
            b = t24.loc[key, "district_id"]
            assert got["city"] == pytest.approx(city, rel=1e-12)
            assert got["group_value"] == pytest.approx(
                bez.loc[b, col] / bez.loc[b, "inhabitants"] * 100, rel=1e-12)
            if t24.loc[key, "inhabitants"] == 0:
                assert np.isnan(got["value"]) and np.isnan(got["rank"]) and got["uninhabited"]
                continue
            assert got["value"] == pytest.approx(share[key], rel=1e-12)
            assert got["rank"] == ranks[key]
            assert got["ranked"] == inhabited.sum() == 540
            assert got["change"] == pytest.approx(share[key] - share22[key], rel=1e-9)
    got = _fig(berlin, "01100101", "inhabitants")
    assert got["value"] == 3580 and got["change"] == 3580 - 3503
    assert got["group_value"] == t24.loc[t24["district_id"] == "01", "inhabitants"].sum()
    # the section shows the same numbers
    html = berlin.paths["html"].read_text(encoding="utf-8")
    section = html[html.index('id="d-01100101"'):html.index('id="d-01100102"')]
    share = t24.loc["01100101", "inhabitants_age_below_6"] / 3580 * 100
    assert quartier.format_number(share, 1) + " %" in section
    assert "+77" in section and "Veränderung seit 2022" in section


def test_ties_share_a_rank_and_index_ranks_ascending(berlin, berlin_inputs):
    _, tables = berlin_inputs
    si = tables[2024].set_index("id")["SI_N"]
    f = berlin.figures.query("indicator == 'SI_N' and year == 2024").set_index("key")
    ok = si.notna() & (tables[2024].set_index("id")["inhabitants"] > 0)
    expected = si[ok].rank(method="min", ascending=True)
    assert (f.loc[expected.index, "rank"] == expected).all()
    assert f.loc[expected.index, "rank"].nunique() == si[ok].nunique()  # ties share a rank
    assert np.isnan(f["city"]).all()  # an index cannot be recomputed from counts
    cls = berlin.figures.query("indicator == 'SI_V' and year == 2024").set_index("key")
    mss = tables[2024].set_index("id")["SI_V"]
    has_class = mss.notna().to_numpy()
    assert has_class.sum() > 500  # the index classes are there, not an empty column
    assert (cls.loc[mss.index[has_class], "text"].to_numpy() == mss[has_class].to_numpy()).all()
    assert cls.loc[mss.index[~has_class], "text"].isna().all()


def test_uninhabited_districts_are_marked_not_ranked(berlin):
    html = berlin.paths["html"].read_text(encoding="utf-8")
    for key in UNINHABITED:
        got = _fig(berlin, key, "inhabitants_age_above_65")
        assert got["uninhabited"] and np.isnan(got["rank"])
        section = html[html.index(f'id="d-{key}"'):]
        section = section[:section.index("</section>")]
        assert "unbewohnt, ohne Rang" in section


def test_table_has_the_same_figures(berlin):
    table = pd.read_csv(berlin.paths["csv"], sep=";", decimal=",", encoding="utf-8-sig",
                        dtype={"Schlüssel": str})
    assert len(table) == 542
    row = table.set_index("Schlüssel").loc["01100101"]
    assert row["Einwohner: Wert 2024"] == 3580
    assert row["Einwohner: Stadt"] == BERLIN_TOTAL_2024
    got = _fig(berlin, "01100101", "inhabitants_age_below_6")
    assert row["Kinder unter 6 (%): Wert 2024"] == round(got["value"], 1)
    assert row["Kinder unter 6 (%): Rang"] == got["rank"]


def test_disclosure_hides_small_counts_and_their_shares(berlin_inputs, tmp_path):
    plr, tables = berlin_inputs
    rules = quartier.DisclosureRules(min_count=20)
    res = quartier.district_profiles(
        plr, tables, indicators=_indicators(), out=tmp_path, key="PLR_ID", name="PLR_NAME",
        table_key="id", by="BEZ", population="inhabitants", formats=["html", "csv"],
        rules=rules)
    t24 = tables[2024].set_index("id")
    small = t24.index[(t24["inhabitants_age_below_6"] > 0)
                      & (t24["inhabitants_age_below_6"] < 20)]
    assert len(small) > 0
    f = res.figures.query("indicator == 'inhabitants_age_below_6' and year == 2024")
    f = f.set_index("key")
    assert f.loc[small, "suppressed"].all()
    assert f.loc[small, "value"].isna().all() and f.loc[small, "rank"].isna().all()
    assert f.loc[small, "change"].isna().all()
    # no Bezirk total with exactly one hidden cell (it would give the cell back)
    hidden = f["suppressed"] & ~f["uninhabited"]
    per_bezirk = hidden.groupby(t24["district_id"].reindex(f.index)).sum()
    assert not (per_bezirk == 1).any()
    # the city value is still the true total, from counts
    assert f["city"].iloc[0] == pytest.approx(
        t24["inhabitants_age_below_6"].sum() / BERLIN_TOTAL_2024 * 100)
    html = res.paths["html"].read_text(encoding="utf-8")
    key = small[0]
    section = html[html.index(f'id="d-{key}"'):]
    section = section[:section.index("</section>")]
    assert "gesperrt" in section and "Geheimhaltung" in section
    table = pd.read_csv(res.paths["csv"], sep=";", decimal=",", encoding="utf-8-sig",
                        dtype={"Schlüssel": str}).set_index("Schlüssel")
    assert pd.isna(table.loc[key, "Kinder unter 6 (%): Wert 2024"])


def test_changes_only_within_one_district_system(berlin_inputs, tmp_path):
    plr, tables = berlin_inputs
    res = quartier.district_profiles(
        plr, tables, indicators=_indicators()[:2], out=tmp_path, key="PLR_ID",
        table_key="id", formats=["html"], systems={2022: "LOR 2019", 2024: "LOR 2021"})
    f = res.figures.query("year == 2024")
    assert f["change"].isna().all() and (f["note"] == "system").all()
    assert res.report.not_comparable == [2022]
    assert "Gebietsstand geändert" in res.paths["html"].read_text(encoding="utf-8")
    assert "Gebietsstand geändert" in str(res.report)
    # a table on another key set is another system: no change either
    old = tables[2022].iloc[:-5]
    res = quartier.district_profiles(
        plr, {2022: old, 2024: tables[2024]}, indicators=_indicators()[:1], out=tmp_path,
        key="PLR_ID", table_key="id", formats=["csv"])
    assert res.figures.query("year == 2024")["change"].isna().all()


def test_english(berlin_inputs, tmp_path):
    plr, tables = berlin_inputs
    res = quartier.district_profiles(
        plr, tables[2024], indicators=_indicators()[:2], out=tmp_path, key="PLR_ID",
        table_key="id", formats=["html"], lang="en")
    html = res.paths["html"].read_text(encoding="utf-8")
    assert "District profiles" in html and "3,897,145" in html and 'lang="en"' in html
    assert "Gebiet" not in html
    # one table: no previous year, no change
    assert res.report.years == [None] and res.figures["change"].isna().all()


def test_bad_input_is_named(berlin_inputs, tmp_path):
    plr, tables = berlin_inputs
    with pytest.raises(ColumnError, match="kinder"):
        quartier.district_profiles(plr, tables[2024], indicators={"kinder": "Kinder"},
                                   out=tmp_path, key="PLR_ID", table_key="id")
    with pytest.raises(ParameterError, match="denominator"):
        quartier.district_profiles(plr, tables[2024], out=tmp_path, key="PLR_ID",
                                   table_key="id", indicators=[{"column": "inhabitants",
                                                                "kind": "share"}])
    with pytest.raises(ParameterError, match="formats"):
        quartier.district_profiles(plr, tables[2024], indicators={"inhabitants": "EW"},
                                   out=tmp_path, key="PLR_ID", table_key="id", formats=["doc"])


# --- Hamburg: the Stadtteil-Profile 2014 as delivered ------------------------------------

MERGED = {"Kleiner Grasbrook": "Kleiner Grasbrook und Steinwerder",
          "Steinwerder": "Kleiner Grasbrook und Steinwerder",
          "Waltershof": "Waltershof und Finkenwerder",
          "Finkenwerder": "Waltershof und Finkenwerder",
          "Neuland": "Neuland und Gut Moor", "Gut Moor": "Neuland und Gut Moor",
          "Moorburg": "Moorburg und Altenwerder", "Altenwerder": "Moorburg und Altenwerder"}


@pytest.fixture(scope="module")
def hamburg(shared, tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", quartier.QuartierWarning)
        geo = quartier.read_districts(shared / "hamburg_geometries"
                                      / "hamburg-district-regions.geojson", key="id", name="name")
        table = quartier.read_table(shared / "hamburg_stadtteilprofile_2014"
                                    / "Daten_fuer_die_Stadtteilprofile_2014.csv")
    # the profile table merges eight Stadtteile into four; rows 99.. are Bezirke and the city
    geo["stadtteil"] = geo["name"].replace(MERGED)
    geo = geo.dissolve(by="stadtteil", as_index=False, aggfunc="first")
    stadtteile = table.iloc[:99]
    out = tmp_path_factory.mktemp("profiles_hamburg")
    res = quartier.district_profiles(
        geo, stadtteile, key="stadtteil", table_key="Stadtgebiet", by="district_name",
        population="Bevölkerung", out=out, formats=["html", "pdf", "xlsx"],
        indicators=[{"column": "Bevölkerung", "label": "Bevölkerung"},
                    {"column": "Unter 18-Jährige", "label": "Unter 18-Jährige",
                     "kind": "share", "denominator": "Bevölkerung"},
                    {"column": "Arbeitslose (Dez 2013)", "label": "Arbeitslose",
                     "kind": "count"},
                    {"column": "Durchschnitt-liches Einkommen je Steuerpflichtigen in EUR (2010)",
                     "label": "Einkommen je Steuerpflichtigen", "kind": "value",
                     "unit": "EUR"}])
    return res, table


def test_hamburg_city_and_bezirk_equal_the_published_totals(hamburg):
    res, table = hamburg
    published = table.iloc[99:].set_index("Stadtgebiet")
    assert res.report.districts == 99 + 1  # 95 single + 4 merged Stadtteile, and Neuwerk
    f = res.figures.query("indicator == 'Bevölkerung'").set_index("key")
    stadtteile = table.iloc[:99]
    # the city value is the sum of the Stadtteile (1,782,217); the office's "Hamburg" row
    # (1,788,994) also counts people without a Stadtteil, so it is not the comparison
    assert f["city"].iloc[0] == stadtteile["Bevölkerung"].sum() == 1_782_217
    assert published.loc["Hamburg", "Bevölkerung"] - f["city"].iloc[0] == 6_777
    # Bezirke whose Stadtteile are all single ones equal the published Bezirk rows
    for stadtteil, bezirk in (("Ottensen", "Altona"), ("Eppendorf", "Hamburg-Nord"),
                              ("Rahlstedt", "Wandsbek"), ("Lohbrügge", "Bergedorf")):
        assert f.loc[stadtteil, "group_value"] == published.loc[bezirk, "Bevölkerung"]
    share = res.figures.query("indicator == 'Unter 18-Jährige'")["city"].iloc[0]
    assert share == pytest.approx(stadtteile["Unter 18-Jährige"].sum()
                                  / stadtteile["Bevölkerung"].sum() * 100, rel=1e-12)
    assert np.isnan(f.loc["Neuwerk", "value"])  # no row in the table: shown as missing
    html = res.paths["html"].read_text(encoding="utf-8")
    assert html.count('<section class="district"') == 100


@pytest.mark.parametrize("rules", [None, quartier.DisclosureRules(min_count=3)])
def test_cells_the_office_suppressed_are_shown_suppressed(shared, hamburg, rules, tmp_path):
    res, _ = hamburg
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", quartier.QuartierWarning)
        table, rep = quartier.read_table(shared / "hamburg_stadtteilprofile_2014"
                                         / "Daten_fuer_die_Stadtteilprofile_2014.csv",
                                         report=True)
        geo = quartier.read_districts(shared / "hamburg_geometries"
                                      / "hamburg-district-regions.geojson", key="id",
                                      name="name")
    price = "Preise für Grundstücke in EUR/m² (Jan 2014)"
    out = quartier.district_profiles(
        geo, table.iloc[:99], key="name", table_key="Stadtgebiet", out=tmp_path,
        formats=["html"], suppressed=rep.suppressed.iloc[:99], rules=rules,
        indicators=[{"column": "Bevölkerung", "label": "Bevölkerung"},
                    {"column": price, "label": "Grundstückspreise", "kind": "value"}])
    f = out.figures.query("indicator == @price").set_index("key")
    office = rep.suppressed.iloc[:99].set_axis(table["Stadtgebiet"].iloc[:99])[price]
    hidden = office[office].index.intersection(f.index)
    assert "HafenCity" in hidden
    assert f.loc[hidden, "suppressed"].all() and f.loc[hidden, "value"].isna().all()
    assert not f.drop(hidden)["suppressed"].any()
    html = out.paths["html"].read_text(encoding="utf-8")
    section = html[html.index('id="d-HafenCity"'):]
    assert "gesperrt" in section[:section.index("</section>")]


def test_pdf_pages_render_and_are_not_blank(berlin, hamburg, tmp_path):
    pymupdf = pytest.importorskip("pymupdf")
    for res, pages in ((berlin, 3), (hamburg[0], 100)):
        path = res.paths["pdf"]
        assert path.stat().st_size < 100_000 * pages
        doc = pymupdf.open(path)
        assert doc.page_count == pages
        for i in (0, pages - 1):
            page = doc[i]
            assert page.rect.width == pytest.approx(595, abs=2)  # A4 portrait
            assert page.rect.height == pytest.approx(842, abs=2)
            pix = page.get_pixmap(dpi=50)
            pix.save(tmp_path / f"page{i}.png")
            img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.h, pix.w, pix.n)
            ink = (img[..., :3] < 200).any(axis=2).mean()
            red = ((img[..., 0] > 180) & (img[..., 1] < 90)).mean()
            assert ink > 0.02 and red > 0.0001, (i, ink, red)  # text, bars; the red district
        assert "Karlshorst" in "".join(doc[i].get_text() for i in range(pages)) \
            or res is not berlin


# --- the HTML in a real browser, network blocked --------------------------------------


@pytest.fixture(scope="module")
def browser():
    b = Browser(_chromium_or_skip())
    yield b
    b.close()


def test_html_offline_search_and_print_one_district(browser, berlin):
    page = berlin.paths["html"]
    browser.open(page.as_uri(), ready="typeof window.quartierFind === 'function'")
    assert browser.evaluate("document.querySelectorAll('section.district').length") == 542
    assert browser.evaluate("document.querySelectorAll('.overview-map path').length") >= 542
    # search by name (any case, no accents needed) and by key, through the form
    assert browser.evaluate("window.quartierFind('stulerstrasse') || "
                            "window.quartierFind('Stülerstr')") == "01100101"
    browser.evaluate("""(() => {document.getElementById('q-find').value = '11501341';
        document.getElementById('q-search').requestSubmit(); return true;})()""")
    assert browser.evaluate("location.hash") == "#d-11501341"
    top = browser.evaluate(
        "document.getElementById('d-11501341').getBoundingClientRect().top")
    assert 0 <= top < 120
    assert browser.evaluate("window.quartierFind('gibt es nicht')") is None
    assert browser.evaluate("document.getElementById('q-found').textContent") == "nicht gefunden"
    # sortable overview table: sort by the value column of inhabitants
    order = browser.evaluate("""(() => {
        const th = document.querySelectorAll('table.all thead th')[3]; th.click(); th.click();
        return Array.from(document.querySelectorAll('table.all tbody tr')).slice(0, 2)
          .map(r => r.cells[0].innerText);})()""")
    assert len(order) == 2
    # printing one district gives one A4 page
    assert browser.evaluate("window.quartierPrintOnly('01100101')") is True
    pdf = base64.b64decode(browser.call("Page.printToPDF", session=True, paperWidth=8.27,
                                        paperHeight=11.69, timeout=120)["data"])
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1
    # after printing the whole report is back, in its order
    browser.evaluate("window.quartierPrintAll()")
    keys = browser.evaluate("Array.from(document.querySelectorAll('section.district'))"
                            ".map(s => s.dataset.key)")
    assert len(keys) == 542 and keys == sorted(keys)
    assert browser.evaluate("document.querySelector('main').firstElementChild.id") == "overview"
    # nothing left the page
    urls = browser.requested_urls()
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls
    assert browser.blocked == []


def test_profiles_from_config_reads_years_and_renames(tmp_path):
    """The function a `[report]` section of `quartier run` calls (demo city, two "years")."""
    demo = quartier.demo_path("indikatoren_stadtteile.csv")
    old = tmp_path / "alt.csv"
    text = demo.read_text(encoding="cp1252").replace("Einwohner insgesamt", "EW")
    old.write_text(text.replace("Stadtteil;", "Gebiet;", 1), encoding="cp1252")
    res = quartier.profiles_from_config({
        "districts": str(quartier.demo_path("musterstadt.gpkg")), "layer": "stadtteile",
        "key": "stadtteil_id", "name": "name", "table_key": "Stadtteil",
        "tables": [{"year": 2023, "path": str(old), "key": "Gebiet",
                    "rename": {"EW": "Einwohner insgesamt"}},
                   {"year": 2024, "path": str(demo)}],
        "indicators": [{"column": "Einwohner insgesamt", "label": "Einwohner"},
                       {"column": "Einwohner unter 6", "label": "unter 6", "kind": "share",
                        "denominator": "Einwohner insgesamt"}],
        "formats": ["csv"]}, out=tmp_path / "out")
    assert res.report.years == [2023, 2024] and not res.report.not_comparable
    f = res.figures.query("year == 2024")
    # the same table twice: every change 0, none missing where both years have a value
    assert f["change"].notna().all() and (f["change"] == 0).all()
    table = quartier.read_table(demo, key="Stadtteil")
    assert f.query("indicator == 'Einwohner insgesamt'")["city"].iloc[0] == \
        table["Einwohner insgesamt"].sum()
    with pytest.raises(ParameterError, match="unknown"):
        quartier.profiles_from_config({"districts": "x", "colour": 1}, out=tmp_path)
