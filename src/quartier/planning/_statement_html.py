"""The HTML page of a development-plan statement (German by default)."""

from __future__ import annotations

import datetime as dt
import html

from quartier.output.formatting import format_date
from quartier.planning._statement_text import (
    ALLOCATION_NAME,
    SUPPRESSED,
    assumptions,
    distance,
    num,
    ratio,
    result_lines,
    verdict_text,
)

_COLOUR = {
    "ausreichend": "#1b7837",
    "durch das Vorhaben überlastet": "#b35806",
    "bereits heute überlastet": "#b2182b",
    "keine Einrichtung erreichbar": "#b2182b",
    "kein Richtwert": "#555555",
}


def _facility_table(statement, fac, fac_hidden, lang) -> str:
    de = lang == "de"
    e = html.escape
    if not len(fac):
        return ""
    head = (["Einrichtung", "Plätze", "Entfernung", "Zugerechnet heute",
             "Nachfrage je Platz heute", "nach Bezug"] if de else
            ["Facility", "Places", "Distance", "Allocated today", "Demand per place today",
             "after occupancy"])
    unit = statement.params["unit"]
    rows = []
    for i, (_, f) in enumerate(fac.iterrows()):
        hide = fac_hidden.iloc[i]
        rows.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in (
            str(f["label"]), num(f["places"], 0, lang), distance(f["cost"], unit, lang),
            SUPPRESSED[lang] if hide["allocated_before"] else num(f["allocated_before"], 0, lang),
            SUPPRESSED[lang] if hide["load_before"] else ratio(f["load_before"], lang),
            SUPPRESSED[lang] if hide["load_after"] else ratio(f["load_after"], lang),
        )) + "</tr>")
    return ("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>\n"
            + "\n".join(rows) + "</table>")


def _sensitivity(statement, sens, sens_hidden, service, lang) -> str:
    de = lang == "de"
    e = html.escape
    part = sens[sens["service"] == service]
    if not len(part):
        return ""
    unit = statement.params["unit"]
    head = (["Reichweite", "Zurechnung", "Einrichtungen", "Plätze", "Nachfrage je Platz heute",
             "nach Bezug", "Bewertung"] if de else
            ["Reach", "Allocation", "Facilities", "Places", "Demand per place today",
             "after occupancy", "Verdict"])
    rows = []
    for i, f in part.iterrows():
        hide = sens_hidden.loc[i]
        rows.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in (
            distance(f["max_cost"], unit, lang), ALLOCATION_NAME[lang][f["allocation"]],
            num(f["facilities_in_reach"], 0, lang), num(f["places"], 0, lang),
            SUPPRESSED[lang] if hide["load_before"] else ratio(f["load_before"], lang),
            SUPPRESSED[lang] if hide["load_after"] else ratio(f["load_after"], lang),
            verdict_text(str(f["verdict"]), lang),
        )) + "</tr>")
    title = ("Empfindlichkeit: andere Reichweiten und Zurechnungen" if de else
             "Sensitivity: other reaches and allocations")
    return (f"<h3>{e(title)}</h3><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head)
            + "</tr>\n" + "\n".join(rows) + "</table>")


def page(statement, protected, *, title: str, source: str, map_file: str | None, lang: str,
         data=None, date=None) -> str:
    """The whole HTML page; every text from the data is escaped.

    ``protected``: the tables after disclosure control, ``(table, hidden, facilities,
    facilities_hidden, sensitivity, sensitivity_hidden)``.
    """
    de = lang == "de"
    e = html.escape
    table, hidden, fac, fac_hidden, sens, sens_hidden = protected
    sections = []
    for i, (_, row) in enumerate(table.iterrows()):
        verdict = row["verdict"]
        cells = frozenset(c for c in hidden.columns if bool(hidden.iloc[i][c]))
        lines = "".join(f"<li>{e(t)}</li>" for t in result_lines(row, statement.params, lang,
                                                                  cells))
        mine = ((fac["service"] == row["service"]) & fac["in_reach"].astype(bool)).to_numpy()
        sections.append(
            f"<h2>{e(str(row['service']))}: <span style=\"color:{_COLOUR.get(verdict, '#333')}\">"
            f"{e(verdict_text(verdict, lang))}</span></h2>\n<ul>{lines}</ul>\n"
            + _facility_table(statement, fac[mine], fac_hidden[mine], lang)
            + _sensitivity(statement, sens, sens_hidden, row["service"], lang)
        )
    day = date or dt.date.today()
    img = (f'<p><img src="{e(map_file)}" alt="{"Karte" if de else "Map"}" '
           'style="max-width:100%;border:1px solid #ccc"></p>') if map_file else ""
    notes = "".join(f"<li>{e(t)}</li>" for t in assumptions(statement, lang, data))
    note = (
        "Erwartungswerte, gerundet. Kleine Fallzahlen sind nach den geltenden "
        "Geheimhaltungsregeln gesperrt." if de else
        "Expected values, rounded. Small counts are suppressed under the disclosure rules in "
        "force."
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font:15px/1.5 Arial,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}}
h1{{font-size:1.5em}}h2{{font-size:1.15em;margin-top:1.4em}}h3{{font-size:1em}}
table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #ccc;padding:2px 6px;
text-align:right}}td:first-child,th:first-child{{text-align:left}}
.klein{{color:#555;font-size:.9em}}</style>
</head><body>
<h1>{e(title)}</h1>
{img}
{chr(10).join(sections)}
<h2>{"Annahmen" if de else "Assumptions"}</h2>
<ul class="annahmen">{notes}</ul>
<p class="klein">{e(note)}</p>
<p class="klein">{"Quelle" if de else "Source"}: {e(source)} · {"Stand" if de else "Date"}: {e(format_date(day, lang))}</p>
</body></html>
"""
