"""The short HTML page of a development-plan statement (German by default)."""

from __future__ import annotations

import datetime as dt
import html
import math

from quartier.output.formatting import format_number, format_percent

_VERDICT_EN = {
    "ausreichend": "sufficient",
    "durch das Vorhaben überlastet": "overloaded by the development",
    "bereits heute überlastet": "already overloaded today",
    "keine Einrichtung erreichbar": "no facility within reach",
    "kein Richtwert": "no norm given",
}
_COLOUR = {
    "ausreichend": "#1b7837",
    "durch das Vorhaben überlastet": "#b35806",
    "bereits heute überlastet": "#b2182b",
    "keine Einrichtung erreichbar": "#b2182b",
    "kein Richtwert": "#555555",
}


def _n(value, decimals=0, lang="de"):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format_number(value, decimals, lang=lang)


def sentence(row, lang: str) -> str:
    """One paragraph per service, in plain words."""
    de = lang == "de"
    reach = _n(row["max_cost"], 0, lang)
    new = _n(row["new_target_group"], 0, lang)
    group = row["target_group"]
    n_fac = int(row["facilities_in_reach"])
    parts = [
        (f"Das Vorhaben lässt rund {new} zusätzliche Personen der Zielgruppe „{group}“ erwarten."
         if de else f"The development is expected to add about {new} people of the target "
         f"group '{group}'."),
    ]
    if n_fac == 0:
        parts.append(f"Im Umkreis von {reach} m liegt keine Einrichtung." if de
                     else f"No facility lies within {reach} m.")
    else:
        places = row.get("places")
        places_text = (f" mit {_n(places, 0, lang)} Plätzen" if de else
                       f" with {_n(places, 0, lang)} places") if places == places else ""
        parts.append(
            f"Im Umkreis von {reach} m liegen {n_fac} Einrichtungen{places_text}." if de
            else f"{n_fac} facilities{places_text} lie within {reach} m."
        )
    if "load_after" in row and row["verdict"] not in ("kein Richtwert",):
        if n_fac:
            parts.append(
                (f"Nach Richtwert ({_n(row['norm_per_1000'], 0, lang)} Plätze je 1.000) "
                 f"werden heute {_n(row['required_places_before'], 0, lang)} und nach Bezug "
                 f"{_n(row['required_places_after'], 0, lang)} Plätze benötigt "
                 f"(Auslastung {format_percent(row['load_before'], 0, lang)} → "
                 f"{format_percent(row['load_after'], 0, lang)}).")
                if de else
                (f"By the norm ({_n(row['norm_per_1000'], 0, lang)} places per 1,000), "
                 f"{_n(row['required_places_before'], 0, lang)} places are needed today and "
                 f"{_n(row['required_places_after'], 0, lang)} after occupancy (load "
                 f"{format_percent(row['load_before'], 0, lang)} → "
                 f"{format_percent(row['load_after'], 0, lang)}).")
            )
        extra = int(row.get("additional_places", 0) or 0)
        if extra:
            parts.append(f"Zusätzlich benötigt: {_n(extra, 0, lang)} Plätze." if de
                         else f"Additional places needed: {_n(extra, 0, lang)}.")
    return " ".join(parts)


def page(statement, *, title: str, source: str, map_file: str | None, lang: str) -> str:
    """The whole HTML page; every text from the data is escaped."""
    de = lang == "de"
    e = html.escape
    p = statement.params
    rows = []
    for _, row in statement.table.iterrows():
        verdict = row["verdict"]
        shown = verdict if de else _VERDICT_EN.get(verdict, verdict)
        rows.append(
            f"<h2>{e(str(row['service']))}: <span style=\"color:{_COLOUR.get(verdict, '#333')}\">"
            f"{e(shown)}</span></h2>\n<p>{e(sentence(row, lang))}</p>"
        )
    facts = (
        f"{_n(p['housing_units'], 0, lang)} Wohneinheiten × {_n(p['persons_per_unit'], 1, lang)} "
        f"Personen je Wohneinheit = rund {_n(p['residents'], 0, lang)} neue Bewohnerinnen und "
        "Bewohner."
        if de else
        f"{_n(p['housing_units'], 0, lang)} dwellings × {_n(p['persons_per_unit'], 1, lang)} "
        f"persons per dwelling = about {_n(p['residents'], 0, lang)} new residents."
    )
    today = dt.date.today()
    date = today.strftime("%d.%m.%Y") if de else today.isoformat()
    img = (f'<p><img src="{e(map_file)}" alt="{"Karte" if de else "Map"}" '
           'style="max-width:100%;border:1px solid #ccc"></p>') if map_file else ""
    note = (
        "Grundlage: Richtwerte und Altersprofil der Neubewohner wie angegeben; Erreichbarkeit "
        "als Luftlinie oder Fußweg ab einem Punkt im Plangebiet. Erwartungswerte, gerundet."
        if de else
        "Based on the norms and the age profile of new residents given; reach measured as "
        "straight line or walking distance from a point in the plan area. Expected values, rounded."
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font:15px/1.5 Arial,sans-serif;max-width:900px;margin:2em auto;padding:0 1em}}
h1{{font-size:1.5em}}h2{{font-size:1.15em;margin-top:1.4em}}.klein{{color:#555;font-size:.9em}}</style>
</head><body>
<h1>{e(title)}</h1>
<p>{e(facts)}</p>
{img}
{chr(10).join(rows)}
<p class="klein">{e(note)}</p>
<p class="klein">{"Quelle" if de else "Source"}: {e(source)} · {"Stand" if de else "Date"}: {date}</p>
</body></html>
"""
