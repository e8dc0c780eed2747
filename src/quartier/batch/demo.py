"""The main job on the embedded demo city "Musterstadt" (synthetic data).

``quartier demo`` joins the indicator table to the Stadtteile, computes per
Stadtteil the share of people aged 65 and over who live within 500 m
(straight line) of a senior meeting place, and writes an interactive map and
a GeoPackage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from quartier.access.covering import coverage
from quartier.errors import MissingFileError
from quartier.io.districts import read_districts
from quartier.io.facilities import read_facilities, read_points
from quartier.io.joins import JoinReport, join_indicators
from quartier.io.tables import read_table
from quartier.output.export import export_layers
from quartier.output.formatting import format_number, format_percent
from quartier.output.maps import add_facilities, choropleth
from quartier.output.offline import save_map
from quartier.output.spreadsheet import output_rules
from quartier.reporting.disclosure_control import DisclosureRules
from quartier.settings import get_language, resolve_language

__all__ = ["demo_path", "run_demo", "DemoResult"]

_REPO_DATA = Path(__file__).resolve().parents[3] / "data" / "geometries"


def demo_path(name: str = "") -> Path:
    """Path of a file of the demo city "Musterstadt" (synthetic data).

    Parameters
    ----------
    name : str
        File name, e.g. ``"musterstadt.gpkg"``, ``"bevoelkerung_100m.csv"``,
        ``"indikatoren_stadtteile.csv"``; empty for the folder.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputFileError
        If the demo data is not installed.

    Examples
    --------
    >>> demo_path("musterstadt.gpkg").name
    'musterstadt.gpkg'
    """
    candidates = [_REPO_DATA, Path(str(resources.files("quartier") / "_demo_data"))]
    for folder in candidates:
        if (folder / "musterstadt.gpkg").exists():
            path = folder / name if name else folder
            if name and not path.exists():
                files = sorted(p.name for p in folder.iterdir())
                raise MissingFileError(f"the demo city has no file '{name}'. It has: {files}.")
            return path
    raise MissingFileError(
        "the demo city data is not installed. Run 'make demo' in the quartier checkout, or "
        "regenerate it with 'python scripts/make_demo_city.py'."
    )


@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    summary : pandas.DataFrame
        Per Stadtteil: key, name, people 65+, covered, not covered, share
        covered; sorted by the people not covered (the largest gaps first).
    report : JoinReport
        How the indicator table joined to the Stadtteile.
    map_path, gpkg_path : pathlib.Path
        The files written.
    """

    summary: pd.DataFrame
    report: JoinReport
    map_path: Path
    gpkg_path: Path


def run_demo(out: str | os.PathLike = "quartier-demo", *, radius: float = 500.0) -> DemoResult:
    """Run the main job on the demo city and write its outputs to ``out``.

    Parameters
    ----------
    out : path, default "quartier-demo"
        Output folder (created if missing).
    radius : float, default 500
        Straight-line reach of a senior meeting place in metres.

    Returns
    -------
    DemoResult

    Examples
    --------
    >>> import tempfile
    >>> result = run_demo(tempfile.mkdtemp())
    >>> result.report.matched == len(result.summary)
    True
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gpkg = demo_path("musterstadt.gpkg")

    stadtteile = read_districts(gpkg, key="stadtteil_id", name="name", layer="stadtteile")
    indikatoren = read_table(demo_path("indikatoren_stadtteile.csv"), key="Stadtteil")
    joined, report = join_indicators(stadtteile, indikatoren, left_on="stadtteil_id",
                                     right_on="Stadtteil")

    cells = read_points(demo_path("bevoelkerung_100m.csv"), x="x", y="y", source_crs="EPSG:25832")
    cells["ew_65plus"] = cells["65_bis_79"] + cells["80_und_aelter"]
    facilities = read_facilities(gpkg, layer="einrichtungen", capacity="plaetze")
    treffs = facilities[facilities["art"] == "seniorentreff"]

    result = coverage(cells, treffs, max_cost=radius, demand_col="ew_65plus", by=joined,
                      by_key="stadtteil_id")
    districts = result.districts.rename(
        columns={
            "population": "ew_65plus",
            "covered_population": "ew_65plus_versorgt",
            "uncovered_population": "ew_65plus_unversorgt",
            "share_covered": "anteil_versorgt",
        }
    )
    districts["anteil_versorgt_prozent"] = 100 * districts["anteil_versorgt"]

    rules = _demo_rules()
    lang = get_language()
    title = (
        f"Anteil 65+ im Umkreis von {format_number(radius)} m eines Seniorentreffs (%)"
        if lang == "de"
        else f"Share of people 65+ within {format_number(radius, lang='en')} m of a senior meeting place (%)"
    )
    m = choropleth(
        districts,
        "anteil_versorgt_prozent",
        k=5,
        title=title,
        name=title,
        tiles=None,
        tooltip=["name", "ew_65plus", "ew_65plus_versorgt", "anteil_versorgt_prozent"],
        rules=rules,
    )
    add_facilities(m, treffs, name="Seniorentreffs" if lang == "de" else "Senior meeting places",
                   popup="name", rules=rules)
    # self-contained: opens without internet access, as on many administration PCs
    map_path = save_map(m, out / "musterstadt_seniorentreffs.html", offline=True, title=title)
    gpkg_path = export_layers(
        {
            "stadtteile_versorgung": districts,
            "seniorentreffs": treffs,
            "gitterzellen_65plus": result.units[
                ["gitter_id", "ew_65plus", "cost", "covered", "geometry"]
            ].rename(columns={"cost": "distanz_m", "covered": "versorgt"}),
        },
        out / "musterstadt_seniorentreffs.gpkg",
        styles={"stadtteile_versorgung": "anteil_versorgt_prozent"},
        metadata={
            "source": "Musterstadt, synthetische Demo-Daten (quartier, CC0)",
            "method": f"Luftlinie, Umkreis {radius:g} m um Seniorentreffs",
        },
        rules=rules,
    )[0]
    summary = districts[
        ["stadtteil_id", "name", "ew_65plus", "ew_65plus_versorgt", "ew_65plus_unversorgt",
         "anteil_versorgt"]
    ].sort_values(["ew_65plus_unversorgt", "stadtteil_id"], ascending=[False, True])
    return DemoResult(pd.DataFrame(summary), report, map_path, gpkg_path)


def _demo_rules() -> DisclosureRules | bool:
    """The rules in force, with the demo's people counts and shares known (False: none)."""
    rules = output_rules()
    if rules is None:
        return False
    counts = ("ew_65plus", "ew_65plus_versorgt", "ew_65plus_unversorgt")
    rates = tuple((r, "ew_65plus_versorgt", "ew_65plus")
                  for r in ("anteil_versorgt", "anteil_versorgt_prozent"))
    return DisclosureRules(rules.min_count, rules.round_to, rules.secondary,
                           (*rules.count_columns, *counts), (*rules.rate_columns, *rates),
                           (*rules.row_totals, ("ew_65plus", counts[1:])))


def format_summary(result: DemoResult, *, rows: int = 10, lang: str | None = None) -> str:
    """The demo's summary as text: the Stadtteile with the largest gaps, totals and the files.

    Parameters
    ----------
    result : DemoResult
    rows : int, default 10
        How many Stadtteile to list (those with the most people not covered).
    lang : {"de", "en"}, optional

    Returns
    -------
    str

    Examples
    --------
    >>> import tempfile
    >>> text = format_summary(run_demo(tempfile.mkdtemp()), rows=3, lang="en")
    >>> text.splitlines()[0]
    'Musterstadt (synthetic demo data): people aged 65+ within 500 m'
    """
    lang = resolve_language(lang)
    de = lang == "de"
    s = result.summary
    total, covered = s["ew_65plus"].sum(), s["ew_65plus_versorgt"].sum()
    head = (
        ["Musterstadt (synthetische Demo-Daten): Versorgung der Menschen ab 65 Jahren",
         "mit Seniorentreffs (Luftlinie 500 m)", ""]
        if de
        else ["Musterstadt (synthetic demo data): people aged 65+ within 500 m",
              "(straight line) of a senior meeting place", ""]
    )
    lines = [*head, result.report.text(lang=lang), ""]
    lines.append(
        "Stadtteile mit den meisten nicht versorgten Menschen ab 65:"
        if de
        else "Districts with the most people 65+ not within reach:"
    )
    cols = ("Stadtteil", "Name", "Ew. 65+", "versorgt", "Anteil") if de else (
        "District", "Name", "Pop. 65+", "covered", "share")
    lines.append(f"{cols[0]:<10}{cols[1]:<24}{cols[2]:>10}{cols[3]:>10}{cols[4]:>9}")
    for _, r in s.head(rows).iterrows():
        lines.append(
            f"{r['stadtteil_id']:<10}{str(r['name'])[:23]:<24}"
            f"{format_number(r['ew_65plus'], lang=lang):>10}"
            f"{format_number(r['ew_65plus_versorgt'], lang=lang):>10}"
            f"{format_percent(r['anteil_versorgt'], lang=lang):>9}"
        )
    lines.append(f"... ({len(s)} Stadtteile)" if de else f"... ({len(s)} districts)")
    share = covered / total if total else float("nan")
    lines += [
        "",
        (f"Gesamt: {format_number(covered, lang=lang)} von {format_number(total, lang=lang)} "
         f"Menschen ab 65 ({format_percent(share, lang=lang)}) wohnen im Umkreis.")
        if de
        else (f"Total: {format_number(covered, lang=lang)} of {format_number(total, lang=lang)} "
              f"people 65+ ({format_percent(share, lang=lang)}) live within reach."),
        "",
        ("Karte:      " if de else "Map:        ") + str(result.map_path),
        ("GeoPackage: ") + str(result.gpkg_path),
    ]
    return "\n".join(lines)
