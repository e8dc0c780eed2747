"""Cells of notebooks/06_oepnv_pflege.ipynb (reach by bus, train and car), used by
scripts/make_notebooks.py; kept apart so that script stays short."""

CELLS = [
    ("md", r"""# Erreichbarkeit mit Bus, Bahn und Auto: Pflegeheime in Berlin, Pflegestützpunkte in der Uckermark

Wie viele Menschen ab 80 erreichen das nächste Pflegeheim in 30 Minuten mit dem ÖPNV? Und
welche Dörfer der Uckermark erreichen einen Pflegestützpunkt am Dienstag – und welche am
Sonntag gar nicht? Und wie weit ist es mit dem Auto (Teil C, OpenStreetMap-Straßen nördlich
von Bayreuth)? Fahrzeiten mit Bus und Bahn kommen aus dem VBB-Fahrplan 2021 (GTFS, Dienstag
14.9.2021 und Sonntag 19.9.2021), berechnet mit `quartier.TransitNetwork`:

* Eine Fahrt beginnt am Startpunkt zu jeder Abfahrtszeit des Zeitfensters (alle `TAKT`
  Minuten); die Fahrzeit eines Paares ist der **Median** über diese Abfahrten, Wartezeit an
  der ersten Haltestelle eingeschlossen.
* Zu Fuß zur ersten und von der letzten Haltestelle: 1,3 × Luftlinie bei 4,5 km/h, höchstens
  800 m Fußweg; beim Umsteigen höchstens 400 m.
* **Nicht erreichbar ist nicht 0 Minuten**: Wer in mehr als der Hälfte der Abfahrten gar nicht
  ankommt (kein Bus, zu spät), hat keine Fahrzeit und zählt als nicht versorgt.

Fahrplandaten: VBB Verkehrsverbund Berlin-Brandenburg GmbH, CC BY 3.0, über die npm-Pakete
vbb-trips 3.13.1 und vbb-stations 7.3.1 (Jannis R); Auszug für zwei Tage und zwei Gebiete."""),
    ("code", r"""import ast
import io
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import Polygon

import quartier
from quartier.output.formatting import format_number

# the open data beside the checkout (../shared/data), or where QUARTIER_SHARED_DATA says
SHARED = Path(os.environ.get("QUARTIER_SHARED_DATA", Path.cwd().parents[1] / "shared" / "data"))
VBB = SHARED / "vbb_gtfs_2021"
OUT = Path("ergebnisse")
OUT.mkdir(exist_ok=True)

# Umfang der Rechnung (siehe unten): Zensus-Zellen je Bezirk als Stichprobe und Minuten
# zwischen zwei Abfahrten. Ganz Berlin, jede Minute: ZELLEN_JE_BEZIRK = None, TAKT = 1
ZELLEN_JE_BEZIRK = 100
TAKT = 10"""),
    ("md", r"""**Was verkleinert ist.** Damit das Notebook in gut einer Minute durchläuft (es läuft in der
Testsuite), rechnet es nicht alle 22.476 bewohnten 100-m-Zellen Berlins, sondern eine
**geschichtete Zufallsstichprobe von `ZELLEN_JE_BEZIRK` = 100 Zellen je Bezirk** (1.200 Zellen),
und es fährt nur **alle `TAKT` = 10 Minuten** ab (12 Abfahrten zwischen 7 und 9 Uhr, 24 zwischen
8 und 12 Uhr). Die Anteile je Bezirk sind daher Schätzungen aus der Stichprobe (Summe der
80-Jährigen in versorgten Stichprobenzellen / Summe in allen Stichprobenzellen des Bezirks);
die Zahl der Menschen außerhalb ist der geschätzte Anteil mal alle Menschen ab 80 des Bezirks.
Für das Ergebnis der ganzen Stadt oben `ZELLEN_JE_BEZIRK = None` und `TAKT = 1` setzen: dann
rechnet jede Zelle mit 120 Abfahrten: mit `quartier[fast]` (dem kompilierten Rechenkern)
etwa 10 bis 30 Minuten auf zwei Kernen, ohne ihn viele Stunden."""),
    ("md", r"""## Teil A: Pflegeheime in Berlin mit Bus und Bahn (Menschen ab 80)"""),
    ("code", r"""bezirke = quartier.read_districts(SHARED / "berlin_lor" / "berlin-lor-districts.geojson",
                                  key="id", name="name", crs="EPSG:25833")
zellen = quartier.read_points(SHARED / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv",
                              x="x", y="y", source_crs="EPSG:3035", crs=bezirke.crs)
heime = quartier.read_facilities(SHARED / "berlin_facilities" / "pflegeeinrichtungen.geojson",
                                 capacity="platzzahl", crs=bezirke.crs)
# Bezirk jeder Zelle (Mittelpunkt im Bezirk)
# die Datei enthält auch Zellen rund um Berlin: nur Zellen, deren Mittelpunkt in einem Bezirk liegt
zellen = zellen.sjoin(bezirke[["id", "geometry"]].rename(columns={"id": "bezirk_id"}),
                      how="inner", predicate="within").drop(columns="index_right")
print(f"{format_number(len(zellen))} Zellen in Berlin mit {format_number(zellen['value'].sum())} "
      f"Menschen ab 80; {len(heime)} Pflegeheime")"""),
    ("code", r"""if ZELLEN_JE_BEZIRK is None:
    stichprobe = zellen
else:
    stichprobe = zellen.groupby("bezirk_id", group_keys=False).sample(
        n=ZELLEN_JE_BEZIRK, random_state=18)
oepnv = quartier.TransitNetwork.from_gtfs(
    VBB / "berlin_2021-09-14_2021-09-19.zip", date="2021-09-14", start="07:00", end="09:00",
    crs=bezirke.crs, step=TAKT, horizon=45)
MODUS = oepnv.mode_label()
print(oepnv)
print(MODUS, "–", len(stichprobe), "Zellen gerechnet")"""),
    ("md", r"""Die Fahrzeiten werden bis 45 Minuten gesucht (`horizon=45`): So unterscheidet die Tabelle
„30 bis 45 Minuten“ von „über 45 Minuten oder gar nicht erreichbar“ (kürzerer Horizont,
kürzere Rechenzeit)."""),
    ("code", r"""erg = quartier.coverage(stichprobe, heime, max_cost=30, demand_col="value", network=oepnv,
                        by=bezirke, by_key="id")
u = erg.units
u["klasse"] = np.select([u["cost"] <= 30, u["cost"] <= 45], ["bis 30 min", "30 bis 45 min"],
                        "über 45 min / nicht erreichbar")
print(erg.report)
u.groupby("klasse")["value"].agg(["size", "sum"]).rename(
    columns={"size": "Zellen", "sum": "Menschen 80+ (Stichprobe)"})"""),
    ("md", r"""### Vergleich: zu Fuß und Luftlinie

Zum Vergleich dieselbe Frage ohne Fahrplan, für **alle** Zellen (das geht schnell): „30
Minuten zu Fuß“ nach derselben Regel wie im ÖPNV-Netz (1,3 × Luftlinie bei 4,5 km/h: 2.250 m
Fußweg = **1.731 m Luftlinie**) und die **Luftlinie von 1.000 m** aus Notebook 02. Das
ÖPNV-Netz lässt zu Fuß höchstens 800 m Weg zu; wer weiter laufen müsste und keinen Bus hat, ist
dort nicht versorgt, auch wenn er in 30 Minuten hinlaufen könnte. Der Fußweg wird auch für die
Stichprobe gerechnet: Der Unterschied zwischen Stichprobe und allen Zellen zeigt, wie genau die
Stichprobe ist."""),
    ("code", r"""FUSS_M = 30 * 4.5 / 60 * 1000 / 1.3   # 30 min x 75 m/min Fußweg, geteilt durch den Umweg 1,3
varianten = {
    "anteil_oepnv": erg,
    "anteil_fuss": quartier.coverage(zellen, heime, max_cost=FUSS_M, demand_col="value",
                                     by=bezirke, by_key="id"),
    "anteil_fuss_stichprobe": quartier.coverage(stichprobe, heime, max_cost=FUSS_M,
                                                demand_col="value", by=bezirke, by_key="id"),
    "anteil_1000m": quartier.coverage(zellen, heime, max_cost=1000, demand_col="value",
                                      by=bezirke, by_key="id"),
}
tab = bezirke[["id", "name", "geometry"]].copy()
tab["ew_80plus"] = tab["id"].map(zellen.groupby("bezirk_id")["value"].sum())
for spalte, res in varianten.items():
    d = res.districts.set_index("id")
    tab[spalte] = tab["id"].map(d["covered_population"] / d["population"])
tab["ausserhalb_oepnv"] = (tab["ew_80plus"] * (1 - tab["anteil_oepnv"])).round(-1)
fehler = (tab["anteil_fuss_stichprobe"] - tab["anteil_fuss"]).abs().max()
print(f"Genauigkeit der Stichprobe: Beim Fußweg weicht sie in einem Bezirk um bis zu "
      f"{format_number(100 * fehler, 1)} Prozentpunkte vom Ergebnis aller Zellen ab.")
anteil_stadt = (tab["ew_80plus"] * tab["anteil_oepnv"]).sum() / tab["ew_80plus"].sum()
print(f"Berlin: {format_number(100 * anteil_stadt, 1)} % der Menschen ab 80 erreichen ein "
      f"Pflegeheim in 30 Minuten ({MODUS}; Schätzung aus {len(stichprobe)} Zellen), "
      f"rund {format_number(tab['ausserhalb_oepnv'].sum())} nicht.")
def prozent(v):
    return format_number(100 * v, 1) + " %"

anzeige = tab.drop(columns="geometry").sort_values("anteil_oepnv").set_index("id")
anzeige = anzeige.assign(**{c: anzeige[c].map(prozent) for c in anzeige if c.startswith("anteil")},
                         ew_80plus=anzeige["ew_80plus"].map(format_number),
                         ausserhalb_oepnv=anzeige["ausserhalb_oepnv"].map(format_number))
anzeige.rename(columns={"name": "Bezirk", "ew_80plus": "ab 80", "anteil_oepnv": "ÖPNV 30 min",
                        "anteil_fuss": "zu Fuß 30 min", "anteil_fuss_stichprobe":
                        "zu Fuß 30 min (Stichprobe)", "anteil_1000m": "1.000 m Luftlinie",
                        "ausserhalb_oepnv": "ab 80 außerhalb ÖPNV 30 min"})"""),
    ("code", r"""LABELS = {
    "name": "Bezirk",
    "ew_80plus": "Menschen ab 80 (Zensus 2011)",
    "anteil_oepnv": f"Anteil 80+ in 30 min – {MODUS}",
    "anteil_fuss": "Anteil 80+ in 30 min zu Fuß (Luftlinie 1.731 m)",
    "anteil_fuss_stichprobe": "Anteil 80+ in 30 min zu Fuß, nur Stichprobe",
    "anteil_1000m": "Anteil 80+ in 1.000 m Luftlinie",
    "ausserhalb_oepnv": f"Menschen 80+ außerhalb von 30 min ({MODUS}), geschätzt",
}
karte = quartier.choropleth(
    tab, ["anteil_oepnv", "anteil_fuss", "anteil_1000m"], name_col="name",
    title=[f"Pflegeheime in 30 Minuten – {MODUS}",
           "Pflegeheime in 30 Minuten zu Fuß (Luftlinie 1.731 m)",
           "Pflegeheime in 1.000 m Luftlinie"],
    labels=LABELS, percent=True, tiles=None, decimals=1,
    scheme="user_defined", bins=[60, 80, 90, 95, 99, 100],
    tooltip=["name", "anteil_oepnv", "ausserhalb_oepnv"])
quartier.add_facilities(karte, heime, name="Pflegeheime", popup="einrichtung_name")
quartier.save_map(karte, OUT / "pflege_oepnv_berlin.html", offline=True)
quartier.write_table(tab.drop(columns="geometry"), OUT / "pflege_oepnv_berlin.csv",
                     labels=LABELS)
karte"""),
    ("md", r"""## Teil B: Uckermark – Dörfer und Pflegestützpunkte, Dienstag und Sonntag

**Dörfer.** Die Haltestellen des Uckermark-Feeds werden nach dem Ortsnamen gruppiert, dem Teil
des Haltestellennamens vor dem Komma („Gramzow (UM), Schule“ → „Gramzow (UM)“); nur
Haltestellen im Landkreis zählen (der Feed enthält auch Haltestellen außerhalb). Der
**Ortspunkt ist der Mittelwert der Koordinaten seiner Haltestellen** – nicht die Ortsmitte und
nicht der Wohnort der Menschen. Als Landkreisgrenze dient die genäherte Umrisslinie, mit der
der Feed geschnitten wurde (`UCKERMARK_APPROX` in `convert_vbb_trips.py`, etwa 1 km genau).

**Pflegestützpunkte.** Die Pflegestützpunkte in Prenzlau, Schwedt/Oder und Templin werden
**näherungsweise an den Bahnhof der Stadt** gesetzt (Haltestelle „…, Bahnhof“ des Feeds); die
echten Adressen liegen in der Stadt, einige Minuten Fußweg oder eine Busfahrt entfernt.

**Zeitfenster.** Abfahrt zwischen 8 und 12 Uhr, am Dienstag (14.9.2021) und am Sonntag
(19.9.2021), Median über die Abfahrten, Suche bis 120 Minuten."""),
    ("code", r"""UM = VBB / "uckermark_2021-09-14_2021-09-19.zip"
skript = ast.parse((VBB / "convert_vbb_trips.py").read_text(encoding="utf-8"))
umriss = next(ast.literal_eval(n.value) for n in skript.body if isinstance(n, ast.Assign)
              and getattr(n.targets[0], "id", None) == "UCKERMARK_APPROX")
kreis = gpd.GeoSeries([Polygon(umriss)], crs="EPSG:4326").to_crs("EPSG:25833").iloc[0]

with zipfile.ZipFile(UM) as zf:
    halte = pd.read_csv(io.BytesIO(zf.read("stops.txt")), dtype={"stop_id": str})
halte = halte[halte["location_type"] == 0]
halte = gpd.GeoDataFrame(halte, geometry=gpd.points_from_xy(halte["stop_lon"], halte["stop_lat"]),
                         crs="EPSG:4326").to_crs("EPSG:25833")
halte = halte[halte.within(kreis)].copy()
halte["ort"] = halte["stop_name"].str.split(",").str[0].str.strip()
gruppen = halte.groupby("ort")
orte = gpd.GeoDataFrame({"haltestellen": gruppen.size()},
                        geometry=gpd.points_from_xy(gruppen.apply(lambda g: g.geometry.x.mean()),
                                                    gruppen.apply(lambda g: g.geometry.y.mean())),
                        crs=halte.crs)
BAHNHOF = {"Prenzlau": "Prenzlau, Bahnhof", "Schwedt/Oder": "Schwedt, Bahnhof",
           "Templin": "Templin, Bahnhof"}
stuetzpunkte = gpd.GeoDataFrame(
    {"haltestelle": list(BAHNHOF.values())},
    geometry=[halte[halte["stop_name"] == n].sort_values("stop_id").geometry.iloc[0]
              for n in BAHNHOF.values()],
    index=pd.Index(list(BAHNHOF), name="pflegestuetzpunkt"), crs=halte.crs)
# Ortspunkte, von denen keine Haltestelle zu Fuß erreichbar ist (800 m Fußweg = 615 m Luftlinie)
weit = orte.geometry.apply(lambda p: halte.distance(p).min()) > 800 / 1.3
print(f"{len(halte)} Haltestellen im Landkreis, {len(orte)} Orte; bei {int(weit.sum())} Orten "
      "liegt der Ortspunkt weiter als 615 m Luftlinie von jeder Haltestelle")
stuetzpunkte"""),
    ("md", r"""Zwei Maße je Tag: der **Median** über die Abfahrten (die typische Fahrzeit, wenn man zu einer
beliebigen Zeit losgeht, Warten eingeschlossen) und die **beste Fahrt** (`percentile=0`: die
kürzeste Fahrzeit über alle Abfahrten, also mit dem passend gewählten Bus). Ein Ort ist
**nicht erreichbar**, wenn auch die beste Fahrt fehlt: Zwischen 8 und 12 Uhr kommt von dort
keine Verbindung innerhalb von 120 Minuten an einem Pflegestützpunkt an. Fehlt nur der Median,
gibt es Verbindungen, aber zu selten (bei weniger als der Hälfte der Abfahrtszeiten)."""),
    ("code", r"""tage = {"Dienstag": "2021-09-14", "Sonntag": "2021-09-19"}
dorf = orte.copy()
for tag, datum in tage.items():
    for mass, perzentil in (("median", 50), ("beste", 0)):
        netz = quartier.TransitNetwork.from_gtfs(UM, date=datum, start="08:00", end="12:00",
                                                 crs=halte.crs, step=TAKT, percentile=perzentil)
        n = netz.nearest(orte, stuetzpunkte)
        dorf[f"{mass}_{tag}"] = n["cost"]
        dorf[f"ziel_{mass}_{tag}"] = n["nearest"]
        print(f"{tag}, {'Median' if perzentil else 'beste Fahrt'}: {netz}")"""),
    ("code", r"""zeilen = {}
for tag in tage:
    median, beste = dorf[f"median_{tag}"], dorf[f"beste_{tag}"]
    ueber30 = ~(median <= 30)   # NaN (kein Median) zählt als über 30 Minuten
    ueber60 = ~(median <= 60)
    keine = beste.isna()
    zeilen[tag] = {
        "Orte": len(dorf),
        "Orte über 30 min (Median) oder nicht erreichbar": int(ueber30.sum()),
        "Orte über 60 min (Median) oder nicht erreichbar": int(ueber60.sum()),
        "Orte ohne Median (zu selten oder nicht erreichbar)": int(median.isna().sum()),
        "Orte nicht erreichbar (keine Verbindung)": int(keine.sum()),
        "Haltestellen": int(dorf["haltestellen"].sum()),
        "Haltestellen in Orten über 30 min": int(dorf.loc[ueber30, "haltestellen"].sum()),
        "Haltestellen in Orten über 60 min": int(dorf.loc[ueber60, "haltestellen"].sum()),
        "Haltestellen in Orten ohne Verbindung": int(dorf.loc[keine, "haltestellen"].sum()),
    }
zaehlung = pd.DataFrame(zeilen)
quartier.write_table(zaehlung.rename_axis("Anzahl").reset_index(), OUT / "uckermark_zaehlung.csv")
zaehlung"""),
    ("md", r"""Die Dorftabelle: Fahrzeit zum nächsten Pflegestützpunkt in Minuten (Median und beste Fahrt) und
welcher es ist (beim Median, sonst bei der besten Fahrt), am Dienstag und am Sonntag. Zuerst die Orte, die am Sonntag nicht
erreichbar sind, geordnet nach der besten Fahrt am Dienstag: oben die Orte, die werktags gut
angebunden sind und sonntags gar nicht."""),
    ("code", r"""def minuten(median, beste):
    if pd.isna(beste):
        return "nicht erreichbar"
    if pd.isna(median):
        return f"selten (beste Fahrt {format_number(beste)})"
    return f"{format_number(median)} (beste {format_number(beste)})"

tabelle = pd.DataFrame({"Haltestellen": dorf["haltestellen"]})
for tag in tage:
    tabelle[f"{tag} (min)"] = [minuten(m, b) for m, b in
                               zip(dorf[f"median_{tag}"], dorf[f"beste_{tag}"], strict=True)]
    tabelle[f"Pflegestützpunkt {tag}"] = (dorf[f"ziel_median_{tag}"]
                                          .fillna(dorf[f"ziel_beste_{tag}"]).fillna("–"))
reihenfolge = np.lexsort([dorf["beste_Dienstag"].fillna(1e9).to_numpy(),
                          dorf["beste_Sonntag"].notna().to_numpy()])
tabelle = tabelle.iloc[reihenfolge].rename_axis("Ort")
quartier.write_table(tabelle.reset_index(), OUT / "uckermark_pflegestuetzpunkte.csv")
so_nicht = dorf["beste_Sonntag"].isna()
nur_werktags = so_nicht & dorf["beste_Dienstag"].notna()
print(f"Am Sonntag sind {int(so_nicht.sum())} von {len(dorf)} Orten nicht erreichbar "
      f"(Dienstag: {int(dorf['beste_Dienstag'].isna().sum())}); {int(nur_werktags.sum())} Orte "
      "haben nur am Dienstag eine Verbindung zu einem Pflegestützpunkt.")
tabelle.head(20)"""),
    ("code", r"""tabelle.sort_values("Haltestellen", ascending=False).head(15)   # die größten Orte"""),
    ("md", r"""**Lesehilfe.** Der Median enthält die Wartezeit an der ersten Haltestelle: Fährt ein Bus nur
alle zwei Stunden, liegt die typische Fahrzeit weit über der Fahrt im Bus, und ein Ort mit nur
einem Bus am Vormittag hat keinen Median („selten“), obwohl es diese Fahrt gibt. Die beste
Fahrt zeigt, was mit dem passenden Bus möglich ist. Orte, deren Ortspunkt weiter als 615 m
Luftlinie von jeder Haltestelle liegt (Haltestellen eines Ortsnamens weit gestreut), sind
allein deshalb nicht erreichbar; ihre Zahl steht oben. Die Ergebnisse liegen in `ergebnisse/`:
`uckermark_pflegestuetzpunkte.csv`, `uckermark_zaehlung.csv` und die Ortspunkte mit allen
Fahrzeiten in `uckermark_orte.gpkg`."""),
    ("code", r"""# die Ortspunkte mit den Fahrzeiten als GIS-Ebene (für QGIS)
dorf.reset_index().to_file(OUT / "uckermark_orte.gpkg", layer="orte")"""),
    ("md", r"""## Teil C: mit dem Auto (ländlicher Raum nördlich von Bayreuth)

Für das Auto gibt es im Datenordner keinen Landkreis mit Einwohnerzahlen; das
OpenStreetMap-Straßennetz nördlich von Bayreuth (Stand 2014, Landkreise Kulmbach und Bayreuth,
etwa 9 × 8 km) zeigt das Verfahren. Orte sind die OSM-Punkte `place=village` und
`place=hamlet`; ein **angenommener** Pflegestützpunkt steht am Ortspunkt von Neudrossenfeld
(der größte Ort des Ausschnitts, kein echter Standort). Fahrzeiten: jede Straße mit ihrem
Tempolimit (`maxspeed`), sonst mit der Geschwindigkeit ihrer Straßenklasse (z. B.
Kreisstraße/`tertiary` 60 km/h, Wohnstraße 30 km/h), Einbahnstraßen nur in ihrer Richtung;
ohne Abbiegen, Ampeln, Stau und Parkplatzsuche – die Zeiten sind eher zu kurz. Deshalb
unterscheiden sich Hin- und Rückweg.

Kartendaten: © OpenStreetMap contributors, ODbL 1.0."""),
    ("code", r"""import osmium

OSM = SHARED / "osm_north_bayreuth" / "north-bayreuth.osm.pbf"
auto = quartier.StreetNetwork.from_osm(OSM, profile="car", crs="EPSG:25832", unit="min")
punkte = [(o.tags["name"], o.tags["place"], o.location.lon, o.location.lat)
          for o in osmium.FileProcessor(OSM).with_filter(osmium.filter.KeyFilter("place"))
          if o.is_node() and o.tags.get("place") in ("village", "hamlet") and "name" in o.tags]
punkte = pd.DataFrame(punkte, columns=["ort", "art", "lon", "lat"])
doerfer = gpd.GeoDataFrame(punkte[["ort", "art"]],
                           geometry=gpd.points_from_xy(punkte["lon"], punkte["lat"]),
                           crs="EPSG:4326").to_crs(auto.crs)
psp = doerfer.loc[doerfer["ort"] == "Neudrossenfeld", ["geometry"]].set_axis(
    ["Neudrossenfeld (angenommen)"])
print(auto)
print(f"{len(doerfer)} Orte ({int((doerfer['art'] == 'village').sum())} Dörfer, "
      f"{int((doerfer['art'] == 'hamlet').sum())} Weiler)")"""),
    ("code", r"""hin = quartier.nearest(doerfer, psp, network=auto)                  # Ort -> Pflegestützpunkt
zurueck = auto.cost_matrix(psp, doerfer, max_cost=60).to_dense()[0]   # und zurück
auto_tab = pd.DataFrame({
    "Ort": doerfer["ort"], "Art": doerfer["art"].map({"village": "Dorf", "hamlet": "Weiler"}),
    "Luftlinie (km)": (doerfer.distance(psp.geometry.iloc[0]) / 1000).round(1),
    "hin (min)": hin["cost"].round(1), "zurück (min)": np.round(zurueck, 1),
}).sort_values("hin (min)", ascending=False)
for grenze in (5, 10, 15):
    drin = int((hin["cost"] <= grenze).sum())
    print(f"in {grenze:>2} Minuten mit dem Auto: {drin} von {len(doerfer)} Orten")
print("nicht erreichbar (Ortspunkt an einem Straßenstück ohne Anschluss an das übrige Netz):",
      ", ".join(doerfer.loc[hin["cost"].isna(), "ort"]) or "keiner")
quartier.write_table(auto_tab, OUT / "bayreuth_auto_pflegestuetzpunkt.csv")
auto_tab.head(15)"""),
]
