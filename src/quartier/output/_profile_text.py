"""Private: the words and number formats of the district profiles (German and English)."""

from __future__ import annotations

import math

from quartier.output.formatting import format_number

TEXT = {
    "de": {
        "title": "Gebietsprofile", "overview": "Übersicht", "search": "Gebiet suchen",
        "search_hint": "Name oder Schlüssel", "go": "Anzeigen", "not_found": "nicht gefunden",
        "indicator": "Indikator", "value": "Wert", "city": "Stadt", "group": "Bezirk",
        "rank": "Rang", "change": "Veränderung", "key": "Schlüssel", "name": "Gebiet",
        "year": "Jahr", "suppressed": "gesperrt", "uninhabited": "unbewohnt, ohne Rang",
        "not_ranked": "ohne Rang", "print": "Dieses Gebiet drucken", "back": "zur Übersicht",
        "district": "Gebiet", "to": "bis", "to_below": "bis unter",
        "suppressed_legend": "gesperrt (Geheimhaltung)", "missing": "keine Angabe",
        "uninhabited_legend": "unbewohnt", "points": "Pp.",
        "system": "Gebietsstand geändert: keine Veränderung berechnet",
        "since": "seit", "charts": "im Vergleich", "years": "im Zeitverlauf",
        "notes": ("Stadt- und Bezirkswerte aus den Summen der Zählwerte berechnet (keine "
                  "Mittelwerte von Quoten). Rang 1 = höchster Wert; gleiche Werte teilen sich "
                  "den Rang. Veränderung gegenüber dem Vorjahr der Tabelle; bei Anteilen in "
                  "Prozentpunkten (Pp.)."),
        "disclosure": ("Kleine Fallzahlen sind gesperrt (Geheimhaltung), Anteile aus "
                       "gesperrten Zahlen ebenso."),
        "map_of": "Karte", "sort": "Zum Sortieren auf eine Spaltenüberschrift klicken.",
        "page": "Seite",
    },
    "en": {
        "title": "District profiles", "overview": "Overview", "search": "Find a district",
        "search_hint": "name or key", "go": "Show", "not_found": "not found",
        "indicator": "indicator", "value": "value", "city": "city", "group": "Bezirk",
        "rank": "rank", "change": "change", "key": "key", "name": "district", "year": "year",
        "suppressed": "suppressed", "uninhabited": "no inhabitants, not ranked",
        "not_ranked": "not ranked", "print": "Print this district", "back": "to the overview",
        "district": "district", "to": "up to", "to_below": "to under",
        "suppressed_legend": "suppressed (confidentiality)", "missing": "no data",
        "uninhabited_legend": "no inhabitants", "points": "pp",
        "system": "district system changed: no change computed",
        "since": "since", "charts": "compared", "years": "over the years",
        "notes": ("City and Bezirk values are computed from the sums of the counts (never "
                  "averaged rates). Rank 1 = highest value; equal values share a rank. Change "
                  "against the previous year of the tables; for shares in percentage points "
                  "(pp)."),
        "disclosure": ("Small counts are suppressed (confidentiality), and so are shares "
                       "computed from them."),
        "map_of": "Map", "sort": "Click a column header to sort.", "page": "page",
    },
}

_DECIMALS = {"count": 0, "share": 1, "rate": 1, "index": 2, "value": 1, "class": 0}


def value_text(value, kind: str, unit: str, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = format_number(value, _DECIMALS[kind], lang=lang)
    if unit == "%":
        return f"{text} %" if lang == "de" else f"{text}%"
    return text


def change_text(delta, kind: str, lang: str) -> str:
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "–"
    decimals = _DECIMALS[kind]
    if round(delta, decimals) == 0:
        text = "±" + format_number(0, decimals, lang=lang)
    else:
        sign = "+" if delta > 0 else "−"
        text = sign + format_number(abs(delta), decimals, lang=lang)
    if kind == "share":
        text += " " + TEXT[lang]["points"]
    return text


def rank_text(rank, ranked: int, uninhabited: bool, suppressed: bool, lang: str) -> str:
    if uninhabited:
        return TEXT[lang]["uninhabited"]
    if rank is None or (isinstance(rank, float) and math.isnan(rank)):
        return "–" if suppressed else TEXT[lang]["not_ranked"]
    return f"{int(rank)} / {ranked}" if lang == "en" else f"{int(rank)} von {ranked}"


def label_with_unit(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit and unit not in label else label
