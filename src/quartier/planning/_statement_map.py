"""The map sheet of a development-plan statement (PNG and PDF, drawn by print_map)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from quartier.output.printmap import print_map
from quartier.planning._statement_text import (
    assumptions,
    distance,
    num,
    plural,
    ratio,
    reach_phrase,
    verdict_text,
)

COLOURS = ["#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#e6ab02"]
GREY = "#8c8c8c"


def facility_label(row, lang: str) -> str:
    """'Kita Sonnenschein (50 Pl.)' / '(50 places)'."""
    places = row.get("places")
    if places is None or places != places:
        return str(row["label"])
    n = int(round(float(places)))
    unit = ("Pl." if lang == "de" else plural(n, "place", "places"))
    return f"{row['label']} ({num(n, 0, lang)} {unit})"


def overlays(statement, lang: str) -> list[dict]:
    de = lang == "de"
    crs = statement.plan_area.crs
    layers = [{"data": statement.plan_area[[statement.plan_area.geometry.name]],
               "label": "Plangebiet" if de else "Plan area", "color": "#b2182b",
               "facecolor": "#f4a58266", "linewidth": 1.6}]
    fac = statement.facilities
    away = fac[~fac["in_reach"].astype(bool)] if len(fac) else fac
    if len(away):  # drawn first and greyed: facilities near the site but out of its reach
        layers.append({"data": away[[away.geometry.name]], "color": GREY, "markersize": 12,
                       "zorder": 4.6, "label": "nicht in Reichweite" if de else "not in reach"})
    reach = statement.reach
    for i, (_, row) in enumerate(statement.table.iterrows()):
        colour = COLOURS[i % len(COLOURS)]
        area = reach[reach["service"] == row["service"]] if reach is not None else reach
        label = f"{row['service']}: {reach_phrase(row, statement.params, lang, short=True)}"
        if area is not None and len(area):
            layers.append({"data": gpd.GeoDataFrame(geometry=list(area.geometry), crs=crs),
                           "label": label, "color": colour, "linestyle": "--",
                           "linewidth": 1.0})
        own = fac[(fac["service"] == row["service"]) & fac["in_reach"].astype(bool)] \
            if len(fac) else fac
        if len(own):
            layers.append({"data": own[[own.geometry.name]],
                           "label": (f"{row['service']} in Reichweite" if de
                                     else f"{row['service']} in reach"),
                           "color": colour, "zorder": 5.5,
                           "labels": [facility_label(r, lang) for _, r in own.iterrows()]})
    return layers


def notes(statement, table, lang: str, data=None) -> list[str]:
    """Results in short, then the assumptions: the sheet can be read on its own."""
    de = lang == "de"
    lines = []
    for _, row in table.iterrows():
        n = int(row["facilities_in_reach"])
        parts = []
        own = row.get("own_need")
        if own == own and own is not None:
            parts.append(f"Eigener Bedarf {num(own, 1, lang)} Plätze" if de else
                         f"own need {num(own, 1, lang)} places")
        if n == 0:  # the verdict says that none is in reach: name the nearest
            if row.get("nearest_facility") is not None and row["nearest_cost"] == row["nearest_cost"]:
                unit = "m" if row.get("nearest_measure") == "straight" else row.get("unit", "m")
                parts.append(f"{'nächste Einrichtung' if de else 'nearest facility'}: "
                             f"{row['nearest_facility']}, "
                             f"{distance(row['nearest_cost'], unit, lang)}")
        else:
            parts.append(f"{num(n, 0, lang)} {plural(n, 'Einrichtung', 'Einrichtungen')} in "
                         "Reichweite" if de else
                         f"{num(n, 0, lang)} {plural(n, 'facility', 'facilities')} in reach")
        if n and "load_after" in row and row["load_after"] == row["load_after"]:
            parts.append(f"{'Nachfrage je Platz' if de else 'demand per place'} "
                         f"{ratio(row['load_before'], lang)} → {ratio(row['load_after'], lang)}")
        text = f"{row['service']}: {verdict_text(row['verdict'], lang)}. " + "; ".join(parts)
        lines.append(text + ".")
    lines.append("Annahmen:" if de else "Assumptions:")
    return lines + assumptions(statement, lang, data)


def draw(statement, table, paths, *, title, source, licence, districts, column, legend_title,
         lang, paper, rules, data, date=None, dpi=200):
    extent = pd.concat([statement.plan_area[[statement.plan_area.geometry.name]],
                        gpd.GeoDataFrame(geometry=list(statement.reach.geometry),
                                         crs=statement.plan_area.crs)
                        if statement.reach is not None and len(statement.reach) else None])
    extent = extent[~extent.geometry.is_empty]
    return print_map(districts, column, paths, title=title, source=source, licence=licence,
                     legend_title=legend_title, overlays=overlays(statement, lang),
                     extent=gpd.GeoDataFrame(extent, crs=statement.plan_area.crs), paper=paper,
                     lang=lang, rules=rules, dpi=dpi, date=date,
                     notes=notes(statement, table, lang, data))
