"""Write the tutorial notebooks in notebooks/ from the cells below (no outputs are stored).

Run `python scripts/make_notebooks.py` after changing a notebook's cells here; the tests
execute every notebook on the real data in ../shared/data (tests/test_notebooks.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf
from notebook_06_oepnv import CELLS as OEPNV_CELLS  # scripts/notebook_06_oepnv.py

HERE = Path(__file__).resolve().parents[1] / "notebooks"

SETUP = '''import os
from pathlib import Path

import quartier

# the open data beside the checkout (../shared/data), or where QUARTIER_SHARED_DATA says
SHARED = Path(os.environ.get("QUARTIER_SHARED_DATA", Path.cwd().parents[1] / "shared" / "data"))
OUT = Path("ergebnisse")
OUT.mkdir(exist_ok=True)'''

NOTEBOOKS = {
    "01_sozialbericht_berlin.ipynb": [
        ("md", """# Sozialbericht: Indikatoren je Planungsraum (Berlin)

This notebook walks through the first steps of a social report on Berlin's open data:
read the 542 Planungsräume and the population register, join them with a report of what did
not match, derive rates, aggregate to Bezirksregionen, compute the status index of the
Monitoring Soziale Stadtentwicklung (MSS), and write a map and GIS layers."""),
        ("code", SETUP),
        ("md", "## Districts and the population table, joined on the official key"),
        ("code", '''plr = quartier.read_districts(SHARED / "berlin_lor" / "lor_planungsraeume_2021.shp",
                              key="PLR_ID", name="PLR_NAME")
ew = quartier.read_table(SHARED / "berlin_population" /
                         "berlin-lor-population-2024-02-t2-planning-areas.csv", key="id")
gebiete, bericht = quartier.join_indicators(plr, ew, left_on="PLR_ID", right_on="id")
print(bericht)
assert bericht.complete'''),
        ("md", "## Rates from counts, and Bezirksregionen by key prefix (counts summed, rates recomputed)"),
        ("code", '''gebiete = quartier.rate(gebiete, "inhabitants_age_above_65", "inhabitants", name="anteil_65plus")
bzr = quartier.aggregate(gebiete.drop(columns="geometry"), to="bzr", key="PLR_ID", by_prefix=6,
                         counts=["inhabitants", "inhabitants_age_above_65"],
                         rates={"anteil_65plus": ("inhabitants_age_above_65", "inhabitants", 100)})
bzr.sort_values("anteil_65plus", ascending=False).head()'''),
        ("md", "## The MSS status index from the indicators S1, S3, S4"),
        ("code", '''mss = quartier.read_table(SHARED / "berlin_mss_2021" / "mss_2021.csv", key="PLR_ID")
index = quartier.composite_index(mss, ["S1", "S3", "S4"], preset="berlin_mss_status",
                                 population_col="EW", key="PLR_ID")
print(index.report)
status = index.table
agree = (status["index_class"] == mss["SI_V"])[mss["SI_V"].notna()].mean()
print(f"classes equal to the official ones: {agree:.1%}")
status["index_class"].value_counts()'''),
        ("md", "## Map (self-contained HTML) and GIS layers"),
        ("code", '''karte = gebiete.merge(status[["PLR_ID", "index_value", "index_class"]], on="PLR_ID", how="left")
m = quartier.choropleth(karte, "index_value", scheme="std_mean", title="Status-Index MSS 2021",
                        name_col="PLR_NAME", tooltip=["PLR_NAME", "index_value", "index_class"],
                        tiles=None)
quartier.save_map(m, OUT / "status_index.html", offline=True)
quartier.export_layers({"planungsraeume": karte}, OUT / "sozialbericht.gpkg",
                       styles={"planungsraeume": "index_value"},
                       metadata={"source": "Amt für Statistik Berlin-Brandenburg; SenStadt MSS 2021",
                                 "licence": "CC BY 3.0 DE"})'''),
        ("md", "## Disclosure control: small counts never leave the house"),
        ("code", '''klein = gebiete[["PLR_ID", "PLR_NAME", "inhabitants_age_below_6", "geometry"]].copy()
with quartier.disclosure(min_count=30, count_columns=["inhabitants_age_below_6"]):
    geschuetzt = quartier.apply_disclosure(klein)
n = int(geschuetzt.suppressed["inhabitants_age_below_6"].sum())
print(f"{n} Planungsräume with fewer than 30 children (or needed to protect them) are suppressed")'''),
    ],
    "02_versorgung_pflege_berlin.ipynb": [
        ("md", """# Versorgung: care homes for people aged 80+ (Berlin)

How many people aged 80 and over live within 1,000 m (straight line) of a care home, per
Planungsraum; how many places there are per 1,000 people of the target group; and where the
gaps are. Population: Zensus 2011 100 m grid of people aged 80+."""),
        ("code", SETUP),
        ("code", '''plr = quartier.read_districts(SHARED / "berlin_lor" / "lor_planungsraeume_2021.shp",
                              key="PLR_ID", name="PLR_NAME")
zellen = quartier.read_points(SHARED / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv",
                              x="x", y="y", source_crs="EPSG:3035", crs=plr.crs)
heime = quartier.read_facilities(SHARED / "berlin_facilities" / "pflegeeinrichtungen.geojson",
                                 capacity="platzzahl", crs=plr.crs)
len(zellen), len(heime)'''),
        ("code", '''versorgung = quartier.coverage(zellen, heime, max_cost=1000, demand_col="value", by=plr,
                               by_key="PLR_ID")
print(versorgung.report)
versorgung'''),
        ("code", '''d = versorgung.districts
print(f"covered: {d['covered_population'].sum() / d['population'].sum():.1%} of people 80+")
d.sort_values("uncovered_population", ascending=False)[
    ["PLR_ID", "PLR_NAME", "population", "covered_population", "share_covered"]].head(10)'''),
        ("code", '''m = quartier.choropleth(d, "share_covered", title="Anteil 80+ im Umkreis von 1.000 m eines Pflegeheims",
                        tooltip=["PLR_NAME", "population", "share_covered"], tiles=None, decimals=2)
quartier.add_facilities(m, heime, name="Pflegeheime", popup="einrichtung_name")
quartier.save_map(m, OUT / "pflege_versorgung.html", offline=True)'''),
    ],
    "03_bedarfsplan_berlin.ipynb": [
        ("md", """# Bedarfsplan: where new senior meeting places would reach the most people (Berlin)

People aged 65+ per Planungsraum as demand, the OpenStreetMap community centres as candidate
sites, the care homes fixed as existing facilities; then future demand with a growth factor."""),
        ("code", SETUP),
        ("code", '''plr = quartier.read_districts(SHARED / "berlin_lor" / "lor_planungsraeume_2021.shp",
                              key="PLR_ID", name="PLR_NAME")
ew = quartier.read_table(SHARED / "berlin_population" /
                         "berlin-lor-population-2024-02-t2-planning-areas.csv", key="id")
gebiete, _ = quartier.join_indicators(plr, ew, left_on="PLR_ID", right_on="id")
nachfrage = gebiete[["PLR_ID", "PLR_NAME", "inhabitants_age_above_65", "geometry"]].copy()
nachfrage["geometry"] = nachfrage.representative_point()
kandidaten = quartier.read_facilities(
    SHARED / "berlin_osm_pois" / "berlin-points-of-interest-community-centers-details.geojson",
    crs=plr.crs)
bestand = quartier.read_facilities(SHARED / "berlin_facilities" / "pflegeeinrichtungen.geojson",
                                   crs=plr.crs)'''),
        ("code", '''ergebnis = quartier.maximal_coverage(nachfrage, kandidaten, p=10, max_cost=1000,
                                    demand_col="inhabitants_age_above_65", existing=bestand)
print(ergebnis.summary())'''),
        ("code", '''ebenen = ergebnis.layers()
quartier.export_layers(ebenen, OUT / "standorte.gpkg")
list(ebenen)'''),
        ("md", "## Future demand: 65+ growing by 1.5 % a year, 20 places per 1,000, 5 % reserve"),
        ("code", '''basis = gebiete[["PLR_ID", "inhabitants_age_above_65"]]
zukunft = quartier.future_demand(basis, key="PLR_ID", value="inhabitants_age_above_65",
                                 base_year=2024, years=[2030, 2035], annual_growth=0.015,
                                 norm_per_1000=20, reserve=0.05)
zukunft.groupby("year")[["population", "required_places"]].sum()'''),
    ],
    "04_stellungnahme_bebauungsplan.ipynb": [
        ("md", """# Stellungnahme zu einem Bebauungsplan (demo city)

What does a new development with 450 dwellings need? Added demand per target group, the
facilities within reach, their load before and after, and a verdict: written as a statement
package (map, table, HTML). The demo city "Musterstadt" is synthetic."""),
        ("code", SETUP),
        ("code", '''import geopandas as gpd

gpkg = quartier.demo_path("musterstadt.gpkg")
plan = gpd.read_file(gpkg, layer="baugebiet")
einrichtungen = quartier.read_facilities(gpkg, layer="einrichtungen", capacity="plaetze")
zellen = quartier.read_points(quartier.demo_path("bevoelkerung_100m.csv"), x="x", y="y",
                              source_crs="EPSG:25832")
teile = quartier.read_districts(gpkg, key="stadtteil_id", name="name", layer="stadtteile")
tabelle = quartier.read_table(quartier.demo_path("indikatoren_stadtteile.csv"), key="Stadtteil")
teile, _ = quartier.join_indicators(teile, tabelle, left_on="stadtteil_id",
                                    right_on="Stadtteil")'''),
        ("code", '''dienste = [
    quartier.ServiceCheck("Kitas", einrichtungen[einrichtungen["art"] == "kita"], ["unter_6"],
                          800, "plaetze", 700, "Kinder unter 6 Jahren"),
    quartier.ServiceCheck("Seniorentreffs", einrichtungen[einrichtungen["art"] == "seniorentreff"],
                          ["65_bis_79", "80_und_aelter"], 500, "plaetze", 20, "Menschen ab 65 Jahren"),
]
stellungnahme = quartier.development_statement(plan, housing_units=450, persons_per_unit=2.1,
                                               population=zellen, services=dienste)
stellungnahme.table'''),
        ("code", '''dateien = quartier.write_statement(
    stellungnahme, OUT / "stellungnahme", title="Stellungnahme zum Bebauungsplan Nr. 123",
    source="Musterstadt (synthetische Demo-Daten)", districts=teile,
    column="SGB-II-Quote in %", legend_title="SGB-II-Quote (%)")
[f.name for f in dateien]'''),
    ],
    "05_district_profiles.ipynb": [
        ("md", """# Gebietsprofile: one page per district (Berlin and Hamburg)

District profiles as social reports publish them: each district's indicators next to the city
and its Bezirk, its rank, its change since the last report, a locator map and charts. One
offline HTML report (overview map, sortable table, search box, one printed page per
district), a PDF with one A4 page per district and a table. City and Bezirk values come from
the sums of the counts, never from averaged rates."""),
        ("code", SETUP),
        ("md", "## Berlin: 542 Planungsräume, population register 2022 and 2024, MSS 2021"),
        ("code", '''plr = quartier.read_districts(SHARED / "berlin_lor" / "lor_planungsraeume_2021.shp",
                              key="PLR_ID", name="PLR_NAME")
ew24 = quartier.read_table(SHARED / "berlin_population" /
                           "berlin-lor-population-2024-02-t2-planning-areas.csv", key="id")
ew22 = quartier.read_table(SHARED / "berlin_population" / "einwohnerbestand_06-2022_plr.csv",
                           key="PLR-ID")
# 2022 has German column names: give them the names of 2024 (same district system, LOR 2021)
ew22 = ew22.rename(columns={"PLR-ID": "id", "Gesamt": "inhabitants",
                            "unter6": "inhabitants_age_below_6",
                            "65undmehr": "inhabitants_age_above_65",
                            "ausländer": "inhabitants_foreigners"})
mss = quartier.read_table(SHARED / "berlin_mss_2021" / "mss_2021.csv", key="PLR_ID")
ew24 = ew24.merge(mss[["PLR_ID", "SI_N", "SI_V"]], left_on="id", right_on="PLR_ID",
                  how="left").drop(columns="PLR_ID")
bezirke = {"01": "Mitte", "02": "Friedrichshain-Kreuzberg", "03": "Pankow",
           "04": "Charlottenburg-Wilmersdorf", "05": "Spandau", "06": "Steglitz-Zehlendorf",
           "07": "Tempelhof-Schöneberg", "08": "Neukölln", "09": "Treptow-Köpenick",
           "10": "Marzahn-Hellersdorf", "11": "Lichtenberg", "12": "Reinickendorf"}
indikatoren = [
    {"column": "inhabitants", "label": "Einwohnerinnen und Einwohner"},
    {"column": "inhabitants_age_below_6", "label": "Kinder unter 6", "kind": "share",
     "denominator": "inhabitants"},
    {"column": "inhabitants_age_above_65", "label": "65 Jahre und älter", "kind": "share",
     "denominator": "inhabitants"},
    {"column": "inhabitants_foreigners", "label": "Ausländerinnen und Ausländer",
     "kind": "share", "denominator": "inhabitants"},
    {"column": "SI_N", "label": "Status-Index MSS 2021 (1 = hoch)", "kind": "index",
     "rank": "asc"},
    {"column": "SI_V", "label": "Status MSS 2021", "kind": "class"},
]
berlin = quartier.district_profiles(
    plr, {2022: ew22, 2024: ew24}, indicators=indikatoren, key="PLR_ID", name="PLR_NAME",
    table_key="id", by="BEZ", by_names=bezirke, population="inhabitants",
    map_indicator="inhabitants_age_below_6", out=OUT / "profile_berlin",
    select=["01100101", "08100102", "11501341"],      # PDF pages for three districts
    title="Gebietsprofile Berlin 2024", source="Amt für Statistik Berlin-Brandenburg; SenStadt",
    rules=quartier.DisclosureRules(min_count=5))
print(berlin.report)
berlin.paths'''),
        ("code", '''f = berlin.figures
f[(f.key == "01100101") & (f.year == 2024)][["label", "value", "city", "group_value", "rank",
                                              "ranked", "change"]]'''),
        ("md", """## Hamburg: the Stadtteil-Profile 2014 as delivered

The profile table merges eight Stadtteile into four ("Kleiner Grasbrook und Steinwerder", ...)
and adds rows for the Bezirke and the city. The geometries are merged alike; the table's
Stadtteil rows (the first 99) are keyed by name."""),
        ("code", '''stadtteile = quartier.read_districts(SHARED / "hamburg_geometries" /
                                    "hamburg-district-regions.geojson", key="id", name="name")
profil = quartier.read_table(SHARED / "hamburg_stadtteilprofile_2014" /
                             "Daten_fuer_die_Stadtteilprofile_2014.csv")
zusammen = {"Kleiner Grasbrook": "Kleiner Grasbrook und Steinwerder",
            "Steinwerder": "Kleiner Grasbrook und Steinwerder",
            "Waltershof": "Waltershof und Finkenwerder",
            "Finkenwerder": "Waltershof und Finkenwerder",
            "Neuland": "Neuland und Gut Moor", "Gut Moor": "Neuland und Gut Moor",
            "Moorburg": "Moorburg und Altenwerder", "Altenwerder": "Moorburg und Altenwerder"}
stadtteile["stadtteil"] = stadtteile["name"].replace(zusammen)
stadtteile = stadtteile.dissolve(by="stadtteil", as_index=False, aggfunc="first")
hamburg = quartier.district_profiles(
    stadtteile, profil.iloc[:99], key="stadtteil", table_key="Stadtgebiet",
    by="district_name", population="Bevölkerung", out=OUT / "profile_hamburg",
    formats=["html", "pdf", "xlsx"], select=["HafenCity", "Billstedt", "Blankenese"],
    title="Stadtteilprofile Hamburg 2014", source="Statistikamt Nord",
    indicators=[
        {"column": "Bevölkerung", "label": "Bevölkerung"},
        {"column": "Unter 18-Jährige", "label": "Unter 18-Jährige", "kind": "share",
         "denominator": "Bevölkerung"},
        {"column": "65-Jährige und Ältere", "label": "65-Jährige und Ältere",
         "kind": "share", "denominator": "Bevölkerung"},
        {"column": "Arbeitslose (Dez 2013)", "label": "Arbeitslose (Dez 2013)"},
        {"column": "Durchschnitt-liches Einkommen je Steuerpflichtigen in EUR (2010)",
         "label": "Einkommen je Steuerpflichtigen 2010", "kind": "value", "unit": "EUR"},
    ])
print(hamburg.report)'''),
        ("md", """Open `ergebnisse/profile_berlin/profile.html` in any browser (it needs no
internet): search a Planungsraum by name or key, sort the table, print a district with
"Dieses Gebiet drucken"."""),
    ],
    "06_oepnv_pflege.ipynb": OEPNV_CELLS,
}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbf.v4.new_markdown_cell(text) if kind == "md" else nbf.v4.new_code_cell(text)
                    for kind, text in cells]
        nbf.write(nb, HERE / name)
        print(HERE / name)


if __name__ == "__main__":
    main()
