"""`quartier run` with `[disclosure] round_to = 5`: every published table adds up.

The run of tests/test_disclosure_run.py (the demo city with a rare characteristic, two services
on the same target group, a Bezirk level) with `min_count = 3` and `round_to = 5`. Its files
are read back as a user reads them (csv, openpyxl, pyogrio) and checked: every count a
multiple of 5; covered + uncovered = people in every row; each Bezirk's published total the
sum of its published districts; one rounded population per target group; and, against the
true counts computed independently from the raw files (cKDTree, shapely:
``expected_summary``), every published count one of the two multiples of 5 next to its true
value, zeros as zeros. No check fills or drops missing values first.
"""

from __future__ import annotations

import warnings
from collections import defaultdict

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from quartier.batch._protect import protect_run
from quartier.batch.config import load_config
from quartier.batch.runner import _slug, run_analysis
from quartier.output.spreadsheet import HEADER_LABELS
from quartier.reporting.disclosure_control import DisclosureRules
from test_batch_outputs import expected_summary
from test_disclosure_run import _write_config, read_csv_summary, read_layer

BASE = 5
PEOPLE = ("population", "covered", "uncovered")
KEY = "stadtteil_id"


def _rounded_config(folder, summary="csv"):
    path = _write_config(folder, summary=summary, maps=False)
    text = path.read_text(encoding="utf-8")
    assert "min_count = 3\n" in text
    path.write_text(text.replace("min_count = 3\n", f"min_count = 3\nround_to = {BASE}\n"),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rounded_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gerundet")
    path = _rounded_config(folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_analysis(path, progress=None)
    rounding_warnings = [str(w.message) for w in caught if "rounding" in str(w.message)]
    return path, result, folder / "ergebnisse", rounding_warnings


@pytest.fixture(scope="module")
def files(rounded_run):
    """What a user reads: {service: (summary rows, district layer rows, Bezirk layer rows)}."""
    path, _, out, _ = rounded_run
    cfg = load_config(path)
    summary = read_csv_summary(out / "zusammenfassung.csv")
    views = {}
    for s in cfg.services:
        slug = _slug(s["name"])
        views[s["name"]] = ([r for r in summary if r["service"] == s["name"]],
                            read_layer(out / "ebenen.gpkg", f"{slug}_gebiete"),
                            read_layer(out / "ebenen.gpkg", f"{slug}_bezirk_id"))
    assert set(views) == {"Treffs", "Pflege", "Kitas"}
    return views


@pytest.fixture(scope="module")
def truth(rounded_run):
    """True counts per district and per Bezirk, from the raw files (not from quartier)."""
    path = rounded_run[0]
    exact = expected_summary(path)
    cfg = load_config(path)
    d = cfg.districts
    districts = gpd.read_file(d["path"], layer=d["layer"])
    bezirk = dict(zip(districts[d["key"]].astype(str).str.zfill(5),
                      districts["bezirk_id"].astype(str), strict=True))
    exact["bezirk_id"] = exact["key"].map(bezirk)
    assert exact["bezirk_id"].notna().all()
    levels = exact.groupby(["service", "bezirk_id"])[list(PEOPLE)].sum()
    return exact.set_index(["service", "key"]), levels


def test_the_demo_rounding_needs_no_fallback(rounded_run):
    assert rounded_run[3] == []


def test_every_published_count_is_a_multiple_of_the_base(files):
    published = 0
    for rows, layer, level in files.values():
        for r in (*rows, *layer, *level):
            for c in PEOPLE:
                if c in r:
                    published += 1
                    assert r[c] % BASE == 0, (r, c)
    assert published > 500


def test_every_row_adds_up(files, truth):
    exact, _ = truth
    complete = 0
    for rows, layer, level in files.values():
        for r in (*rows, *layer, *level):
            if all(c in r for c in PEOPLE):
                complete += 1
                assert r["covered"] + r["uncovered"] == r["population"], r
    assert complete > 3 * 53
    # rounding each cell half up, as runs did before, does not add up in many rows
    half_up = np.floor(exact[list(PEOPLE)].to_numpy(float) / BASE + 0.5) * BASE
    assert int((half_up[:, 1] + half_up[:, 2] != half_up[:, 0]).sum()) == 17   # of 159


def test_each_bezirk_is_the_sum_of_its_districts(files, truth):
    _, true_levels = truth
    summed, differences = 0, 0
    for service, (_, layer, level) in files.items():
        children = defaultdict(list)
        for r in layer:
            children[r["bezirk_id"]].append(r)
        assert {r["bezirk_id"] for r in level} == set(children)
        for unit in level:
            for c in PEOPLE:
                if c not in unit:
                    continue
                kids = children[unit["bezirk_id"]]
                shown = sum(k[c] for k in kids if c in k)
                if all(c in k for k in kids):
                    summed += 1
                    assert unit[c] == shown, (service, unit["bezirk_id"], c)
                else:    # the hidden districts' rounded cells: a multiple of 5, at least 0
                    differences += 1
                    assert unit[c] - shown >= 0 and (unit[c] - shown) % BASE == 0
                true = true_levels.loc[(service, unit["bezirk_id"]), c]
                assert abs(unit[c] - true) < BASE, (service, unit["bezirk_id"], c, true)
                assert unit[c] == true if true % BASE == 0 else True
    assert summed > 30 and differences > 5


def test_one_population_per_target_group(files):
    """Treffs and Pflege count the same rare people: the same rounded population in every
    district and every Bezirk, hidden in the same places."""
    for view in range(3):
        by_unit = [{r.get("key", r.get(KEY, r.get("bezirk_id"))): r.get("population")
                    for r in files[name][view]} for name in ("Treffs", "Pflege")]
        assert by_unit[0] == by_unit[1]
        assert sum(v is not None for v in by_unit[0].values()) > 5


def test_every_count_is_next_to_its_true_value_and_zeros_stay(files, truth):
    exact, _ = truth
    checked, zeros, moved = 0, 0, 0
    for service, (rows, layer, _) in files.items():
        for r in (*rows, *[{**x, "key": x[KEY]} for x in layer]):
            for c in PEOPLE:
                if c not in r:
                    continue
                true = exact.loc[(service, r["key"]), c]
                low = np.floor(true / BASE) * BASE
                assert r[c] in ({true} if true % BASE == 0 else {low, low + BASE}), (
                    service, r["key"], c, true, r[c])
                checked += 1
                zeros += true == 0
                moved += r[c] != np.floor(true / BASE + 0.5) * BASE
    assert checked > 3 * 53 * 3 and zeros > 20
    assert moved > 0     # not plain rounding: some cells go to the farther multiple


def test_suppression_is_unchanged_and_hidden_cells_stay_hidden(rounded_run, files):
    """Rounding comes after suppression: the same cells are hidden with and without it, and
    the published files show a rounded count exactly where the pattern shows the count."""
    path, result, _, _ = rounded_run
    cfg = load_config(path)
    d = cfg.districts
    districts = gpd.read_file(d["path"], layer=d["layer"])
    parents = districts[["bezirk_id"]].astype(str).reset_index(drop=True)
    summary = result.summary
    by_service = {s["name"]: summary[summary["service"] == s["name"]].reset_index(drop=True)
                  for s in cfg.services}
    masks = {}
    for round_to in (None, BASE):
        rules = DisclosureRules(min_count=3, round_to=round_to)
        patterns = protect_run(by_service, cfg.services, parents, ["bezirk_id"], rules, "de",
                               cfg.target_groups)
        masks[round_to] = {n: p.mask[list(PEOPLE)].to_numpy() for n, p in patterns.items()}
        levels = {n: p.levels["bezirk_id"][list(PEOPLE)].isna().to_numpy()
                  for n, p in patterns.items()}
    hidden = 0
    for name, (rows, _, level) in files.items():
        assert (masks[None][name] == masks[BASE][name]).all()
        shown = np.array([[c in r for c in PEOPLE] for r in rows])
        assert (shown == ~masks[BASE][name]).all()
        hidden += int(masks[BASE][name].sum())
        level_shown = np.array([[c in r for c in PEOPLE] for r in level])
        assert (level_shown == ~levels[name]).all()
    assert hidden > 10


def test_the_excel_summary_publishes_the_same_rounding(tmp_path, files):
    """The run with `summary = "xlsx"`, read with openpyxl: the same counts as the CSV of the
    same data (one rounding, the same every time)."""
    from openpyxl import load_workbook

    path = _rounded_config(tmp_path, summary="xlsx")
    run_analysis(path, progress=None)
    sheet = load_workbook(tmp_path / "ergebnisse" / "zusammenfassung.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    labels = {HEADER_LABELS["de"][c]: c for c in (*PEOPLE, "key", "service")}
    header = [labels.get(h, h) for h in rows[0]]
    records = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert len(records) == 3 * 53
    csv_rows = {(r["service"], r["key"]): r for rows_, _, _ in files.values() for r in rows_}
    for r in records:
        other = csv_rows[(r["service"], r["key"])]
        for c in PEOPLE:
            assert r[c] == other.get(c), (r["service"], r["key"], c)
            assert r[c] is None or (isinstance(r[c], int) and r[c] % BASE == 0)
        if all(r[c] is not None for c in PEOPLE):
            assert r["covered"] + r["uncovered"] == r["population"]


def test_one_rounding_for_three_splits_of_the_same_people():
    """Three services split one population per district over a two-level hierarchy (542 rows,
    as many as Berlin's Planungsräume): the same rounded population for all, every row and
    every unit of every level adding up, recomputed here with pandas."""
    from quartier.batch._round_run import round_group

    rng = np.random.default_rng(11)
    keys = [f"{b:02d}{r:02d}{p:04d}" for b in range(12) for r in range(5) for p in range(10)]
    keys = keys[:542]
    people = rng.poisson(6, len(keys))
    tables = {}
    for name, share in (("A", 0.3), ("B", 0.6), ("C", 0.9)):
        covered = rng.binomial(people, share)
        tables[name] = pd.DataFrame({"population": people, "covered": covered,
                                     "uncovered": people - covered,
                                     "bzr": [k[:4] for k in keys], "bez": [k[:2] for k in keys]},
                                    index=pd.Index(keys, name="key"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rounded = round_group(tables, ["bzr", "bez"], BASE)
    relaxed = sum(r.relaxed for r in rounded.values())
    assert bool(caught) == bool(relaxed)
    population = rounded["A"].table["population"]
    for name, result in rounded.items():
        t, v = tables[name], result.table
        assert (v["population"] == population).all()
        assert (v["covered"] + v["uncovered"] == v["population"]).all()
        r = v[list(PEOPLE)].to_numpy()
        assert (r % BASE == 0).all() and (r[t[list(PEOPLE)].to_numpy() == 0] == 0).all()
        for level in ("bzr", "bez"):
            sums = v.groupby(t[level].to_numpy())[list(PEOPLE)].sum()
            published = result.totals[level][list(PEOPLE)]
            assert (published.to_numpy() == sums.to_numpy()).all()
            assert (published["population"].to_numpy()
                    == rounded["A"].totals[level]["population"].to_numpy()).all()
        if not result.relaxed:
            assert (np.abs(r - t[list(PEOPLE)].to_numpy()) < BASE).all()


def test_indicator_row_totals_add_up_after_rounding(tmp_path):
    """The indicator layer with `row_totals = { ew = ["ew_u18", "ew_18plus"] }`: read back
    from the GeoPackage, the published parts add up to the published total in every row
    where all three are shown, each a multiple of 5 next to its true value from the table."""
    from conftest import REPO

    districts = gpd.read_file(REPO / "data" / "geometries" / "musterstadt.gpkg",
                              layer="stadtteile")
    rng = np.random.default_rng(8)
    keys = districts["stadtteil_id"].tolist()
    young = rng.choice([0, 1, 2, 3, 4, 7, 12, 26, 40], len(keys))
    adult = rng.integers(0, 300, len(keys))
    pd.DataFrame({"Stadtteil": keys, "ew_u18": young, "ew_18plus": adult,
                  "ew": young + adult}).to_csv(tmp_path / "tabelle.csv", sep=";", index=False)
    path = _rounded_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("[population]", '[[tables]]\npath = "tabelle.csv"\nkey = "Stadtteil"\n'
                        'key_width = 5\n\n[population]')
    text = text.replace("min_count = 3\n", 'min_count = 3\ncount_columns = ["ew_u18", '
                        '"ew_18plus", "ew"]\nrow_totals = { ew = ["ew_u18", "ew_18plus"] }\n')
    text = text.replace("maps_by", "indicators = true\nmaps_by")
    path.write_text(text, encoding="utf-8")
    run_analysis(path, progress=None)
    rows = read_layer(tmp_path / "ergebnisse" / "ebenen.gpkg", "indikatoren")
    assert len(rows) == len(keys)
    truth = {k: {"ew_u18": y, "ew_18plus": a, "ew": y + a}
             for k, y, a in zip(keys, young, adult, strict=True)}
    complete, hidden = 0, 0
    for r in rows:
        for c in ("ew_u18", "ew_18plus", "ew"):
            if c not in r:
                hidden += 1
                continue
            true = truth[r[KEY]][c]
            low = true // BASE * BASE
            assert r[c] in ({true} if true % BASE == 0 else {low, low + BASE}), (r[KEY], c)
        if all(c in r for c in ("ew_u18", "ew_18plus", "ew")):
            complete += 1
            assert r["ew_u18"] + r["ew_18plus"] == r["ew"], r
    assert complete > 30 and hidden > 3
    # half up, as before, the parts would miss the total in some rows
    half = {c: np.floor(np.array([truth[k][c] for k in keys]) / BASE + 0.5) * BASE
            for c in ("ew_u18", "ew_18plus", "ew")}
    assert (half["ew_u18"] + half["ew_18plus"] != half["ew"]).sum() > 5
