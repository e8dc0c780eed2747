"""District profiles (issue #16): the whole Berlin report, 542 Planungsräume, two years."""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import quartier

from _util import table

TITLE = "District profiles: the whole Berlin report (issue #16)"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARES = ("inhabitants_age_below_6", "inhabitants_age_above_65", "inhabitants_foreigners")


def _inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", quartier.QuartierWarning)
        plr = quartier.read_districts(SHARED / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                      key="PLR_ID", name="PLR_NAME")
        t24 = quartier.read_table(SHARED / "berlin_population"
                                  / "berlin-lor-population-2024-02-t2-planning-areas.csv",
                                  key="id")
        t22 = quartier.read_table(SHARED / "berlin_population"
                                  / "einwohnerbestand_06-2022_plr.csv", key="PLR-ID")
    t22 = t22.rename(columns={"PLR-ID": "id", "Gesamt": "inhabitants",
                              "unter6": "inhabitants_age_below_6",
                              "65undmehr": "inhabitants_age_above_65",
                              "ausländer": "inhabitants_foreigners"})
    return plr, {2022: t22, 2024: t24}


def run(quick: bool) -> str:
    start = time.perf_counter()
    plr, tables = _inputs()
    read = time.perf_counter() - start
    indicators = [{"column": "inhabitants", "label": "Einwohner"}] + [
        {"column": c, "label": c, "kind": "share", "denominator": "inhabitants"}
        for c in SHARES]
    select = list(plr["PLR_ID"])[:30] if quick else None
    rows = []
    cases = [("html", ["html"]), ("csv + xlsx", ["csv", "xlsx"]), ("pdf", ["pdf"]),
             ("everything", ["html", "pdf", "csv", "xlsx"])]
    for rules, rules_name in ((False, "none"), (quartier.DisclosureRules(min_count=5), "min 5")):
        for name, formats in cases if rules is False else cases[-1:]:
            with tempfile.TemporaryDirectory() as out:
                t0, c0 = time.perf_counter(), time.process_time()
                res = quartier.district_profiles(
                    plr, tables, indicators=indicators, out=out, key="PLR_ID",
                    name="PLR_NAME", table_key="id", by="BEZ", population="inhabitants",
                    formats=formats, select=select, rules=rules)
                took, cpu = time.perf_counter() - t0, time.process_time() - c0
                sizes = {f: p.stat().st_size for f, p in res.paths.items()}
            pages = len(select) if select else 542
            rows.append({"output": name, "disclosure": rules_name, "s": f"{took:.1f}",
                         "CPU s": f"{cpu:.1f}",
                         "HTML MB": f"{sizes['html'] / 1e6:.1f}" if "html" in sizes else "",
                         "PDF KB / page": f"{sizes['pdf'] / 1e3 / pages:.0f}"
                         if "pdf" in sizes else ""})
    return (f"Berlin's 542 Planungsräume with the population register 2022 and 2024 (4 "
            f"indicators: inhabitants and three shares; Bezirk comparison; change since "
            f"2022). Reading the inputs took {read:.1f} s (not included). Each case runs once in "
            f"the same process ('pdf' includes importing matplotlib). PDF: "
            f"{len(select) if select else 542} pages, A4.\n\n"
            + table(rows, ["output", "disclosure", "s", "CPU s", "HTML MB", "PDF KB / page"])
            + "\n\n'CPU s' is the processor time of this process: on a shared machine the "
            "wall time ('s') includes waiting for the cores.")
