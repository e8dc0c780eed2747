"""Every file `quartier run` writes, checked column by column against an independent computation.

The independent computation reads the raw files with geopandas/pandas and uses scipy's cKDTree
(nearest facility) and shapely (point in district), not quartier's own functions. No check
drops or fills missing values first: an empty column fails.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

import quartier
from quartier.batch.cli import EXIT_BAD_INPUT, main
from quartier.batch.config import load_config
from quartier.batch.runner import SUMMARY_COLUMNS, _slug, run_analysis
from quartier.output.files import RUN_MARKER, run_lock
from quartier.output.spreadsheet import HEADER_LABELS, PEOPLE_COUNTS

from conftest import REPO

COUNTS = ["population", "covered", "uncovered", "places", "places_required", "places_deficit"]
FLOATS = ["share_covered", "places_per_1000", "norm_per_1000"]
PEOPLE = ["population", "covered", "uncovered"]
FROM_PEOPLE = ["share_covered", "places_per_1000", "places_required", "places_deficit"]


def _config(tmp_path, example="musterstadt", shared=None, **replace) -> os.PathLike:
    text = (REPO / "examples" / f"{example}.toml").read_text(encoding="utf-8")
    if shared is not None:
        text = text.replace('"../../shared/', f'"{shared.parent.as_posix()}/')
    text = text.replace('"../', f'"{REPO.as_posix()}/')
    text = re.sub(r'(?m)^output = .*$', 'output = "ergebnisse"', text)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{example}.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the independent computation -------------------------------------------------------------

def expected_summary(config_path) -> pd.DataFrame:
    """The summary from the raw files: cKDTree for reach, shapely for point in district."""
    cfg = load_config(config_path)
    d = cfg.districts
    districts = gpd.read_file(d["path"], layer=d.get("layer"))
    if cfg.project.get("crs"):
        districts = districts.to_crs(cfg.project["crs"])
    keys = districts[d["key"]].astype(str).str.zfill(d.get("key_width") or 0).to_numpy()
    names = districts[d["name"]].astype(str).to_numpy()
    polys = districts.geometry.to_numpy()

    def district_of(x, y):
        where = np.full(len(x), -1)
        for i, poly in enumerate(polys):
            inside = shapely.contains_xy(poly, x, y) & (where < 0)
            where[inside] = i
        return where

    p = cfg.population
    raw = pd.read_csv(p["path"], sep=None, engine="python")
    pts = gpd.GeoSeries(gpd.points_from_xy(raw[p["x"]], raw[p["y"]]), crs=p["source_crs"])
    pts = pts.to_crs(districts.crs)
    px, py = pts.x.to_numpy(), pts.y.to_numpy()
    pop_district = district_of(px, py)
    rows = []
    for s in cfg.services:
        fac = gpd.read_file(s["facilities"], layer=s.get("layer")).to_crs(districts.crs)
        for column, wanted in (s.get("filter") or {}).items():
            fac = fac[fac[column].isin(wanted if isinstance(wanted, list) else [wanted])]
        fx, fy = fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy()
        dist, _ = cKDTree(np.column_stack([fx, fy])).query(np.column_stack([px, py]))
        target = raw[cfg.target_groups[s["target_group"]]].sum(axis=1).to_numpy(dtype=float)
        reached = dist <= s["max_cost"]
        n = len(keys)
        population = np.bincount(pop_district[pop_district >= 0], target[pop_district >= 0], n)
        ok = (pop_district >= 0) & reached
        covered = np.bincount(pop_district[ok], target[ok], n)
        cap = s.get("capacity")
        fac_district = district_of(fx, fy)
        places = (np.bincount(fac_district[fac_district >= 0],
                              fac[cap].to_numpy(dtype=float)[fac_district >= 0], n)
                  if cap else np.full(n, np.nan))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(population > 0, covered / population, np.nan)
            per_1000 = np.where(population > 0, places / population * 1000, np.nan)
        norm = s.get("norm_per_1000")
        required = np.ceil(np.round(population * norm / 1000, 6)) if norm else np.full(n, np.nan)
        deficit = required - places if norm and cap else np.full(n, np.nan)
        gap = np.zeros(n, bool)
        if "min_share" in s:
            gap |= np.nan_to_num(share, nan=np.inf) < s["min_share"]
        if norm and cap:
            gap |= deficit > 0
        rows.append(pd.DataFrame({
            "key": keys, "name": names, "service": s["name"], "target_group": s["target_group"],
            "population": population, "covered": covered, "uncovered": population - covered,
            "share_covered": share, "places": places,
            "places_per_1000": per_1000 if cap else np.nan,
            "norm_per_1000": norm if norm else np.nan, "places_required": required,
            "places_deficit": deficit, "gap": gap,
        }))
    return pd.concat(rows, ignore_index=True)


# --- readers, as a planner's software reads the files ------------------------------------------

def _german_number(text: str) -> float:
    if text == "":
        return math.nan
    return float(text.replace(".", "").replace(",", ".")) if "," in text or "." in text else (
        float(text))


def read_summary_csv(path, lang="de") -> pd.DataFrame:
    """As Excel reads it: csv module, ';' (German) or ',' (English); headers back to names."""
    sep = ";" if lang == "de" else ","
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=sep))
    by_label = {}
    for name in SUMMARY_COLUMNS:
        label = HEADER_LABELS[lang][name]
        by_label[label + (" (%)" if name == "share_covered" else "")] = name
    header = [by_label[h] for h in rows[0]]
    out = {}
    for j, name in enumerate(header):
        cells = [r[j] for r in rows[1:]]
        if name in COUNTS or name in FLOATS:
            values = [math.nan if c == "" else float(c.replace(",", ".")) if lang == "de"
                      else float(c) if c else math.nan for c in cells]
            out[name] = np.array(values) / (100 if name == "share_covered" else 1)
        elif name == "gap":
            yes, no = ("ja", "nein") if lang == "de" else ("yes", "no")
            # empty where disclosure control hides the counts the flag rests on
            assert set(cells) <= {yes, no, ""}, set(cells)
            out[name] = np.array([None if c == "" else c == yes for c in cells], dtype=object)
        else:
            out[name] = cells
    return pd.DataFrame(out)


def read_map_data(path) -> tuple[list[str], list[dict]]:
    """The tooltip headers and the properties of every district feature of a map."""
    page = path.read_text(encoding="utf-8")
    aliases = json.loads(re.search(r"aliases = (\[[^\]]*\])", page).group(1))
    props = [json.loads(m) for m in re.findall(r'"properties": (\{[^{}]*"_fill"[^{}]*\})', page)]
    return aliases, props


def _close(actual, expected, *, atol, what):
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, what
    assert (np.isnan(actual) == np.isnan(expected)).all(), (
        f"{what}: missing values differ (published {int(np.isnan(actual).sum())} empty, "
        f"expected {int(np.isnan(expected).sum())})")
    assert np.allclose(actual, expected, atol=atol, rtol=0, equal_nan=True), what


def check_table(table: pd.DataFrame, expected: pd.DataFrame, *, key="key", name="name",
                rounded=False, what=""):
    """Every summary column of ``table`` (one service) against ``expected`` (same order)."""
    assert table[key].astype(str).tolist() == expected["key"].tolist(), what
    assert table[name].astype(str).tolist() == expected["name"].tolist(), what
    for col in ("service", "target_group"):
        assert table[col].tolist() == expected[col].tolist(), (what, col)
    for col in COUNTS:
        _close(table[col], expected[col], atol=1e-6, what=f"{what} {col}")
    for col in FLOATS:
        atol = {"share_covered": 0.000501}.get(col, 0.0501) if rounded \
            else 1e-9
        _close(table[col], expected[col], atol=atol, what=f"{what} {col}")
    assert table["gap"].astype(bool).tolist() == expected["gap"].tolist(), what


# --- runs ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    path = _config(tmp)
    result = run_analysis(path, progress=None, rules=False)
    return path, result, tmp / "ergebnisse"


def _check_run(path, result, out, layer_formats):
    cfg = load_config(path)
    expected = expected_summary(path)
    key, name = cfg.districts["key"], cfg.districts["name"]
    # the returned summary and the written one
    assert result.summary.columns.tolist() == SUMMARY_COLUMNS
    summary = read_summary_csv(out / "zusammenfassung.csv")
    assert summary.columns.tolist() == SUMMARY_COLUMNS
    for s in cfg.services:
        exp = expected[expected["service"] == s["name"]].reset_index(drop=True)
        check_table(result.summary[result.summary["service"] == s["name"]].reset_index(drop=True),
                    exp, what=f"result {s['name']}")
        check_table(summary[summary["service"] == s["name"]].reset_index(drop=True), exp,
                    rounded=True, what=f"CSV {s['name']}")
        slug = _slug(s["name"])
        fac = gpd.read_file(s["facilities"], layer=s.get("layer"))
        for column, wanted in (s.get("filter") or {}).items():
            fac = fac[fac[column].isin(wanted if isinstance(wanted, list) else [wanted])]
        for fmt in layer_formats:
            if fmt == "gpkg":
                layer = gpd.read_file(out / "ebenen.gpkg", layer=f"{slug}_gebiete")
                points = gpd.read_file(out / "ebenen.gpkg", layer=f"{slug}_einrichtungen")
            else:
                layer = gpd.read_file(out / "ebenen_geojson" / f"{slug}_gebiete.geojson")
                points = gpd.read_file(out / "ebenen_geojson" / f"{slug}_einrichtungen.geojson")
            # GIS layers keep the machine names: the district key and name, then the summary
            assert layer.columns.tolist() == [key, name, *SUMMARY_COLUMNS[2:], "geometry"]
            check_table(layer, exp, key=key, name=name, what=f"{fmt} {s['name']}")
            assert len(points) == len(fac)
            for column in fac.columns:
                if column != "geometry":
                    assert points[column].tolist() == fac[column].tolist(), (fmt, column)
        # the map: tooltip texts and colours of every district
        aliases, props = read_map_data(out / f"karte_{slug}.html")
        labels = HEADER_LABELS["de"]
        assert aliases[:4] == [labels["name"], labels["population"], labels["covered"],
                               labels["share_covered"] + " (%)"]
        assert len(props) == len(exp)
        assert [p["t0"] for p in props] == exp["name"].tolist()
        for i, col in ((1, "population"), (2, "covered")):
            _close([_german_number(p[f"t{i}"]) for p in props], exp[col], atol=1e-6,
                   what=f"map {s['name']} {col}")
        populated = exp["population"].to_numpy() > 0
        shares = [_german_number(p["t3"]) if p["t3"] != "keine Angabe" else math.nan
                  for p in props]
        _close(np.array(shares) / 100, exp["share_covered"], atol=0.000501,
               what=f"map {s['name']} share")
        fills = np.array([p["_fill"] for p in props])
        from quartier.output._classes import MISSING_COLOUR
        assert (fills[populated] != MISSING_COLOUR).all(), "populated districts drawn grey"
        assert not any(p["_s"] for p in props)
        if s.get("capacity"):
            assert aliases[4] == labels["places"]
            _close([_german_number(p["t4"]) for p in props], exp["places"], atol=1e-6,
                   what=f"map {s['name']} places")
        if s.get("capacity") and s.get("norm_per_1000"):
            assert aliases[5] == labels["places_deficit"]
            _close([_german_number(p["t5"]) for p in props], exp["places_deficit"], atol=1e-6,
                   what=f"map {s['name']} deficit")
    # min_share gaps are flagged
    if any("min_share" in s for s in cfg.services):
        assert summary["gap"].any()


def test_demo_run_every_output_matches_an_independent_computation(demo_run):
    path, result, out = demo_run
    _check_run(path, result, out, ["gpkg", "geojson"])
    # counts whole, shares in per cent with one decimal: no 46,666666666666664, no 900,0
    text = (out / "zusammenfassung.csv").read_text(encoding="utf-8-sig")
    assert not re.search(r"\d,\d{2,}", text) and ",0;" not in text.split("\n", 2)[1][:40]
    first = next(csv.reader(text.splitlines()[1:2], delimiter=";"))
    assert first[4] == "900" and first[7] == "94,7"
    assert "True" not in text and "False" not in text


def test_berlin_run_every_output_matches_an_independent_computation(shared, tmp_path):
    path = _config(tmp_path, "berlin", shared=shared)
    result = run_analysis(path, progress=None, rules=False)
    _check_run(path, result, tmp_path / "ergebnisse", ["gpkg"])


def test_summary_in_english_and_xlsx(tmp_path):
    import openpyxl

    path = _config(tmp_path, **{'lang = "de"': 'lang = "en"', 'summary = "csv"': 'summary = "xlsx"',
                                'layers = ["gpkg", "geojson"]': "layers = []",
                                "maps = true": "maps = false"})
    run_analysis(path, progress=None, rules=False)
    wb = openpyxl.load_workbook(tmp_path / "ergebnisse" / "zusammenfassung.xlsx")
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header[:8] == ["key", "district", "service", "target group", "target group (people)",
                          "covered (people)", "not covered (people)", "share covered (%)"]
    row = [c.value for c in ws[2]]
    assert row[4] == 900 and isinstance(row[4], int) and row[7] == 94.7
    assert row[-1] in ("yes", "no")


# --- names from data never become formulas or break rows ---------------------------------------

EVIL_DISTRICT = '=HYPERLINK("http://x","x")'
EVIL_SERVICE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("summary", ["csv", "xlsx"])
def test_names_from_data_are_never_formulas(tmp_path, summary):
    gpkg = tmp_path / "stadt.gpkg"
    teile = gpd.read_file(quartier.demo_path("musterstadt.gpkg"), layer="stadtteile")
    teile.loc[0, "name"] = EVIL_DISTRICT
    teile.loc[1, "name"] = "Nord\r\nSüd;\"Mitte\""
    teile.to_file(gpkg, layer="stadtteile")
    path = _config(tmp_path, **{
        f'"{REPO.as_posix()}/data/geometries/musterstadt.gpkg"\nlayer = "stadtteile"':
            f'"{gpkg.as_posix()}"\nlayer = "stadtteile"',
        'name = "Seniorentreffs"': f'name = "{EVIL_SERVICE}"',
        'summary = "csv"': f'summary = "{summary}"', "maps = true": "maps = false",
        'layers = ["gpkg", "geojson"]': "layers = []"})
    run_analysis(path, progress=None, rules=False)
    out = tmp_path / "ergebnisse" / f"zusammenfassung.{summary}"
    if summary == "csv":
        with open(out, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
        cells = [c for r in rows for c in r]
        assert len(rows) == 1 + 3 * 53  # a line break in a name does not break the row
        assert rows[1][1] == "'" + EVIL_DISTRICT and rows[1][2] == "'" + EVIL_SERVICE
        assert rows[2][1] == 'Nord Süd;"Mitte"'
    else:
        import openpyxl

        ws = openpyxl.load_workbook(out).active
        rows = list(ws.iter_rows())
        assert len(rows) == 1 + 3 * 53
        cells = [c for r in rows for c in r]
        assert all(c.data_type != "f" for c in cells)
        assert rows[1][1].value == EVIL_DISTRICT and rows[1][1].data_type == "s"
        assert rows[1][2].value == EVIL_SERVICE and rows[1][2].data_type == "s"
        cells = [str(c.value) for c in cells if c.data_type != "s"]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


# --- disclosure control everywhere --------------------------------------------------------------

def _small(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return (v >= 1) & (v <= 9)


@pytest.mark.parametrize("summary", ["csv", "xlsx"])
def test_min_count_protects_every_output(tmp_path, summary):
    path = _config(tmp_path, **{"min_count = 3": "min_count = 10",
                                'summary = "csv"': f'summary = "{summary}"'})
    cfg = load_config(path)
    truth = expected_summary(path)
    assert _small(truth[PEOPLE].to_numpy()).any()  # there is something to protect
    result = run_analysis(path, progress=None)
    out = tmp_path / "ergebnisse"
    if summary == "csv":
        written = read_summary_csv(out / "zusammenfassung.csv")
    else:
        written = pd.read_excel(out / "zusammenfassung.xlsx")
        by_label = {HEADER_LABELS["de"][c] + (" (%)" if c == "share_covered" else ""): c
                    for c in SUMMARY_COLUMNS}
        written = written.rename(columns=by_label)
    tables = {"summary": written, "published": result.published}
    for s in cfg.services:
        slug = _slug(s["name"])
        tables[f"gpkg {slug}"] = gpd.read_file(out / "ebenen.gpkg", layer=f"{slug}_gebiete")
        tables[f"geojson {slug}"] = gpd.read_file(out / "ebenen_geojson"
                                                  / f"{slug}_gebiete.geojson")
    truth_by = {s["name"]: truth[truth["service"] == s["name"]].reset_index(drop=True)
                for s in cfg.services}
    for what, table in tables.items():
        for col in PEOPLE:
            assert not _small(table[col]).any(), f"{what}: {col} publishes 1 to 9 people"
        services = list(dict.fromkeys(table["service"]))
        assert services and set(services) <= set(truth_by), what
        for service in services:
            exp = truth_by[service]
            rows = table[table["service"] == service].reset_index(drop=True)
            assert len(rows) == len(exp), what
            # a rate or a norm figure computed from 1 to 9 people is not published; a share
            # also not when its numerator or the difference (not covered) is small
            by_population = _small(exp["population"])
            by_any = by_population | _small(exp["covered"]) | _small(exp["uncovered"])
            for col in FROM_PEOPLE:
                hidden = np.isnan(rows[col].to_numpy(dtype=float))
                must_hide = by_any if col == "share_covered" else by_population
                assert hidden[must_hide].all(), f"{what} {service}: {col}"
    # the maps' embedded data: no 1 to 9 people in any tooltip, suppressed cells named
    for s in cfg.services:
        aliases, props = read_map_data(out / f"karte_{_slug(s['name'])}.html")
        for i, alias in enumerate(aliases):
            if alias in (HEADER_LABELS["de"].get(c) for c in PEOPLE_COUNTS):
                texts = [p[f"t{i}"] for p in props]
                values = [_german_number(t) for t in texts if t[0].isdigit()]
                assert not _small(values).any(), alias
        exp = truth_by[s["name"]]
        suppressed = np.array([p["_s"] for p in props], dtype=bool)
        small = _small(exp["population"]) | _small(exp["covered"]) | _small(exp["uncovered"])
        assert suppressed[small].all()  # the mapped share is gesperrt there
        assert all(p["t3"] == "gesperrt (Geheimhaltung)" for p, s_ in zip(props, suppressed, strict=True)
                   if s_)


def test_rules_argument_and_set_disclosure_apply_without_a_config_section(tmp_path):
    path = _config(tmp_path, **{"[disclosure]\nmin_count = 3": ""})
    quartier.set_disclosure(10)
    try:
        result = run_analysis(path, progress=None)
    finally:
        quartier.set_disclosure(None)
    assert result.rules.min_count == 10
    assert not _small(result.published[PEOPLE].to_numpy()).any()
    result = run_analysis(path, progress=None, rules=quartier.DisclosureRules(min_count=10))
    assert not _small(result.published[PEOPLE].to_numpy()).any()
    # facility places are not people: not suppressed
    fac = gpd.read_file(tmp_path / "ergebnisse" / "ebenen.gpkg", layer="kitas_einrichtungen")
    assert fac["plaetze"].notna().all()


# --- written safely -----------------------------------------------------------------------------

def _contents(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_run_failing_in_its_last_service_leaves_the_previous_outputs(demo_run, tmp_path,
                                                                       monkeypatch):
    path, _, out = demo_run
    work = tmp_path / "work"
    shutil.copytree(out.parent, work)
    before = _contents(work / "ergebnisse")
    assert "zusammenfassung.csv" in before and RUN_MARKER in before
    import quartier.batch.runner as runner

    original = runner._write_map

    def fail_on_kitas(layer, mask, facilities, s, *args, **kwargs):
        if s["name"] == "Kitas":
            raise RuntimeError("disk full (simulated)")
        return original(layer, mask, facilities, s, *args, **kwargs)

    monkeypatch.setattr(runner, "_write_map", fail_on_kitas)
    with pytest.raises(RuntimeError, match="simulated"):
        run_analysis(work / path.name, progress=None, rules=False)
    assert _contents(work / "ergebnisse") == before
    assert not [p.name for p in work.iterdir() if ".staging" in p.name or p.name.endswith(".lock")]


def test_a_symlinked_summary_is_replaced_not_followed(demo_run, tmp_path):
    path, _, out = demo_run
    work = tmp_path / "work"
    shutil.copytree(out.parent, work)
    victim = tmp_path / "victim.csv"
    victim.write_text("keep me", encoding="utf-8")
    summary = work / "ergebnisse" / "zusammenfassung.csv"
    summary.unlink()
    summary.symlink_to(victim)
    run_analysis(work / path.name, progress=None, rules=False)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not summary.is_symlink() and summary.read_text(encoding="utf-8-sig").startswith(
        "Schlüssel;")
    assert oct(summary.stat().st_mode & 0o777) == "0o644"


def test_output_in_the_way_or_busy_gives_a_clear_error(tmp_path, capsys):
    path = _config(tmp_path, **{"maps = true": "maps = false"})
    (tmp_path / "ergebnisse").write_text("not a folder", encoding="utf-8")
    assert main(["run", str(path), "--quiet"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "ergebnisse" in err and "is a file" in err and "Traceback" not in err
    (tmp_path / "ergebnisse").unlink()
    with run_lock(tmp_path / "ergebnisse"):
        assert main(["run", str(path), "--quiet"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "another quartier run is writing" in err and "Traceback" not in err
    assert not (tmp_path / "ergebnisse").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a user that file permissions apply to")
def test_read_only_output_folder_gives_a_clear_error(tmp_path, capsys):
    path = _config(tmp_path, **{'output = "ergebnisse"': 'output = "ro/ergebnisse"'})
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    try:
        assert main(["run", str(path), "--quiet"]) == EXIT_BAD_INPUT
    finally:
        (tmp_path / "ro").chmod(0o755)
    err = capsys.readouterr().err
    assert "read-only" in err and "Traceback" not in err


def test_output_folder_of_the_configuration_itself_is_refused_before_any_work(tmp_path, capsys):
    path = _config(tmp_path, **{'output = "ergebnisse"': 'output = "."'})
    assert main(["run", str(path), "--dry-run"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "line 7: output '.'" in err and "folder of its own" in err
