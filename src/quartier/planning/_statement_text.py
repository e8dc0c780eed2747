"""Words and numbers of a development-plan statement: German by default, English on request.

One place for the phrases of the HTML page and the map sheet, so that both say the same:
singular and plural ("1 Einrichtung liegt", "2 Einrichtungen liegen"), distances ("1.000 m",
"10 min"), demand per place with a decimal comma, and the assumptions of the statement.
"""

from __future__ import annotations

import math

from quartier.output.formatting import format_number, format_percent

VERDICT_EN = {
    "ausreichend": "sufficient",
    "durch das Vorhaben überlastet": "overloaded by the development",
    "bereits heute überlastet": "already overloaded today",
    "keine Einrichtung erreichbar": "no facility within reach",
    "kein Richtwert": "no norm given",
}
ALLOCATION_TEXT = {
    "de": {
        "capacity": "Wer mehrere Einrichtungen erreicht, wird ihnen im Verhältnis ihrer Plätze "
                    "zugerechnet; jede Person zählt einmal.",
        "equal": "Wer mehrere Einrichtungen erreicht, wird ihnen zu gleichen Teilen "
                 "zugerechnet; jede Person zählt einmal.",
        "everyone": "Jede Einrichtung zählt alle Personen in ihrer Reichweite (Personen in "
                    "Reichweite mehrerer Einrichtungen zählen mehrfach; nur zum Vergleich).",
    },
    "en": {
        "capacity": "People in reach of several facilities are allocated to them in proportion "
                    "to their places; each person counts once.",
        "equal": "People in reach of several facilities are allocated to them in equal parts; "
                 "each person counts once.",
        "everyone": "Every facility counts all people in its reach (people in reach of several "
                    "facilities count several times; for comparison only).",
    },
}
ALLOCATION_NAME = {
    "de": {"capacity": "nach Plätzen", "equal": "zu gleichen Teilen",
           "everyone": "alle in Reichweite"},
    "en": {"capacity": "by places", "equal": "equal shares", "everyone": "everyone in reach"},
}
SUPPRESSED = {"de": "gesperrt", "en": "suppressed"}


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def num(value, decimals: int = 0, lang: str = "de") -> str:
    return "–" if missing(value) else format_number(value, decimals, lang=lang)


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def distance(value, unit: str, lang: str) -> str:
    """'1.000 m' or '10 min' (the number formatted as everywhere else, a no-break space)."""
    if missing(value):
        return "–"
    decimals = 0 if unit == "m" or float(value).is_integer() else 1
    return f"{num(value, decimals, lang)}\xa0{unit}"  # no line break inside "1.000 m"


def ratio(value, lang: str) -> str:
    """Demand per place: '1,56'."""
    return num(value, 2, lang)


def reach_phrase(row, params, lang: str, short: bool = False) -> str:
    """'500 m Fußweg (Profil: zu Fuß (4,5 km/h))' or '500 m Luftlinie'."""
    how = params["measure"][lang]
    if short:
        how = how.split(" (")[0]
    return f"{distance(row['max_cost'], row.get('unit', 'm'), lang)} {how}"


def facilities_phrase(n: int, places, lang: str) -> str:
    """'1 Einrichtung mit 50 Plätzen liegt' / '2 Einrichtungen ... liegen'."""
    if n == 0:
        return "keine Einrichtung liegt" if lang == "de" else "no facility lies"
    if lang == "de":
        with_places = "" if missing(places) else (
            f" mit {num(places, 0, lang)} {plural(int(places), 'Platz', 'Plätzen')}")
        return f"{num(n, 0, lang)} {plural(n, 'Einrichtung', 'Einrichtungen')}{with_places} " \
               f"{plural(n, 'liegt', 'liegen')}"
    with_places = "" if missing(places) else (
        f" with {num(places, 0, lang)} {plural(int(places), 'place', 'places')}")
    return f"{num(n, 0, lang)} {plural(n, 'facility', 'facilities')}{with_places} " \
           f"{plural(n, 'lies', 'lie')}"


def verdict_text(verdict: str, lang: str) -> str:
    return verdict if lang == "de" else VERDICT_EN.get(verdict, verdict)


def result_lines(row, params, lang: str, hidden=frozenset()) -> list[str]:
    """The figures of one service, one statement per line (cells in ``hidden`` are shown as
    suppressed by disclosure control)."""
    de = lang == "de"

    def val(col, decimals=0):
        if col in hidden:
            return SUPPRESSED[lang]
        return num(row.get(col), decimals, lang)

    group = row["target_group"]
    reach = reach_phrase(row, params, lang)
    lines = []
    new, own = row["new_target_group"], row.get("own_need")
    norm = row.get("norm_per_1000")
    if de:
        line = f"Eigener Bedarf des Vorhabens: rund {num(new, 0, lang)} Personen der Zielgruppe " \
               f"„{group}“"
        if not missing(own):
            line += f", nach Richtwert ({num(norm, 0, lang)} Plätze je 1.000) " \
                    f"{num(own, 1, lang)} Plätze"
    else:
        line = f"The development's own demand: about {num(new, 0, lang)} people of the target " \
               f"group '{group}'"
        if not missing(own):
            line += f", by the norm ({num(norm, 0, lang)} places per 1,000) " \
                    f"{num(own, 1, lang)} places"
    lines.append(line + ".")
    n_fac = int(row["facilities_in_reach"])
    near = val("target_group_near_site")
    if de:
        lines.append(f"Im Umkreis von {reach} um das Plangebiet leben heute {near} Personen der "
                     f"Zielgruppe; {facilities_phrase(n_fac, row.get('places'), lang)} in "
                     "Reichweite.")
    else:
        lines.append(f"Within {reach} of the plan area live {near} people of the target group "
                     f"today; {facilities_phrase(n_fac, row.get('places'), lang)} within reach.")
    if n_fac == 0 and not missing(row.get("nearest_facility")):
        straight = row.get("nearest_measure") == "straight"
        how = (" (Luftlinie)" if de else " (straight line)") if straight else ""
        dist = distance(row["nearest_cost"], "m" if straight else row.get("unit", "m"), lang)
        lines.append(f"Nächste Einrichtung: {row['nearest_facility']}, {dist}{how}." if de else
                     f"Nearest facility: {row['nearest_facility']}, {dist}{how}.")
    if "load_after" not in row or row["verdict"] == "kein Richtwert":
        return lines
    if n_fac:
        if de:
            lines.append(
                f"Bestand: den Einrichtungen in Reichweite werden heute "
                f"{val('target_group_today')} Personen zugerechnet; nach Richtwert werden "
                f"{val('required_places_before', 1)} Plätze benötigt, Fehlbedarf heute "
                f"{val('existing_deficit', 1)} Plätze.")
            lines.append(
                f"Nachfrage je Platz (benötigte Plätze je vorhandenem Platz; über 1 reichen die "
                f"Plätze nicht): heute {_r(row, 'load_before', hidden, lang)}, nach Bezug "
                f"{_r(row, 'load_after', hidden, lang)}; das Vorhaben erhöht sie um "
                f"{_r(row, 'added_load', hidden, lang)} und trägt "
                f"{_p(row, 'development_share', hidden, lang)} des Bedarfs nach Bezug.")
        else:
            lines.append(
                f"Today: {val('target_group_today')} people are allocated to the facilities in "
                f"reach; by the norm they need {val('required_places_before', 1)} places, "
                f"a deficit today of {val('existing_deficit', 1)} places.")
            lines.append(
                f"Demand per place (places needed per place; above 1 the places do not "
                f"suffice): today {_r(row, 'load_before', hidden, lang)}, after occupancy "
                f"{_r(row, 'load_after', hidden, lang)}; the development adds "
                f"{_r(row, 'added_load', hidden, lang)} and makes "
                f"{_p(row, 'development_share', hidden, lang)} of the need after occupancy.")
    else:
        lines.append(
            f"Ohne Einrichtung in Reichweite braucht die Zielgruppe im Umkreis heute "
            f"{val('required_places_before', 1)} Plätze nach Richtwert." if de else
            f"With no facility in reach, the target group around the site needs "
            f"{val('required_places_before', 1)} places by the norm today.")
    extra = row.get("additional_places")
    if "additional_places" in hidden or missing(extra):
        extra_text = SUPPRESSED[lang] if "additional_places" in hidden else "–"
        unit_de = "Plätze"
    else:
        extra_text = num(extra, 0, lang)
        unit_de = plural(int(extra), "Platz", "Plätze")
    if de:
        lines.append(f"Fehlbedarf nach Bezug im Umkreis: {extra_text} {unit_de} (eigener "
                     f"Bedarf des Vorhabens: {num(own, 1, lang)} Plätze).")
    else:
        lines.append(f"Places missing around the site after occupancy: {extra_text} (the "
                     f"development's own need: {num(own, 1, lang)} places).")
    return lines


def _r(row, col, hidden, lang):
    return SUPPRESSED[lang] if col in hidden else ratio(row.get(col), lang)


def _p(row, col, hidden, lang):
    return SUPPRESSED[lang] if col in hidden else format_percent(row.get(col), 0, lang)


def assumptions(statement, lang: str, data=None) -> list[str]:
    """The assumptions a reader needs to check the statement, one line each."""
    de = lang == "de"
    p = statement.params
    profile = ", ".join(f"{k}: {format_percent(v, 1, lang)}".replace(" %", "\xa0%")
                        for k, v in p["age_profile"].items())
    lines = [
        (f"Vorhaben: {num(p['housing_units'], 0, lang)} Wohneinheiten × "
         f"{num(p['persons_per_unit'], 1, lang)} Personen je Wohneinheit = rund "
         f"{num(p['residents'], 0, lang)} neue Bewohnerinnen und Bewohner." if de else
         f"Development: {num(p['housing_units'], 0, lang)} dwellings × "
         f"{num(p['persons_per_unit'], 1, lang)} persons per dwelling = about "
         f"{num(p['residents'], 0, lang)} new residents."),
        (f"Altersprofil der neuen Bewohner: {profile}." if de else
         f"Age profile of the new residents: {profile}."),
    ]
    for _, row in statement.table.iterrows():
        norm = row.get("norm_per_1000")
        norm_text = (f"Richtwert {num(norm, 0, lang)} Plätze je 1.000" if de else
                     f"norm {num(norm, 0, lang)} places per 1,000") if not missing(norm) else (
            "kein Richtwert" if de else "no norm")
        lines.append(f"{row['service']} ({row['target_group']}): "
                     f"{'Reichweite' if de else 'reach'} {reach_phrase(row, p, lang)} "
                     f"{'ab einem Punkt im Plangebiet' if de else 'from a point in the plan area'}"
                     f"; {norm_text}.")
    lines.append(("Zurechnung: " if de else "Allocation: ")
                  + ALLOCATION_TEXT[lang][p["allocation"]])
    for what, note in (data or {}).items():
        lines.append(f"{'Daten' if de else 'Data'}: {what}: {note}.")
    return lines
