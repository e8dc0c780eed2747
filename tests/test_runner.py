"""`quartier run analysis.toml` and the single-step subcommands, end to end."""

from __future__ import annotations

import re
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import quartier
from quartier.batch.cli import EXIT_BAD_INPUT, EXIT_OK, main
from quartier.batch.config import load_config
from quartier.batch.runner import run_analysis
from quartier.output.spreadsheet import HEADER_LABELS

from conftest import REPO


@pytest.fixture
def demo_config(tmp_path):
    """The example configuration, writing into a temporary folder."""
    text = (REPO / "examples" / "musterstadt.toml").read_text(encoding="utf-8")
    text = text.replace('"../', f'"{REPO.as_posix()}/').replace(
        f'output = "{REPO.as_posix()}/quartier-demo/musterstadt-run"', 'output = "ergebnisse"')
    path = tmp_path / "analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_config_runs_end_to_end(demo_config):
    result = run_analysis(demo_config, progress=None)
    out = demo_config.parent / "ergebnisse"
    names = sorted(p.name for p in out.iterdir())
    assert {"karte_seniorentreffs.html", "karte_pflegeheime.html", "karte_kitas.html",
            "ebenen.gpkg", "zusammenfassung.csv", "ebenen_geojson"} <= set(names)
    s = result.summary
    assert list(s["service"].unique()) == ["Seniorentreffs", "Pflegeheime", "Kitas"]
    assert len(s) == 3 * 53
    # independent: the straight-line demo job gives the same Seniorentreffs shares
    demo = quartier.run_demo(demo_config.parent / "demo").summary.set_index("stadtteil_id")
    treffs = s[s["service"] == "Seniorentreffs"].set_index("key")
    assert np.allclose(treffs.loc[demo.index, "covered"], demo["ew_65plus_versorgt"])
    # places per district add up to all places of that kind
    fac = gpd.read_file(quartier.demo_path("musterstadt.gpkg"), layer="einrichtungen")
    for service, art in [("Kitas", "kita"), ("Pflegeheime", "pflegeheim")]:
        rows = s[s["service"] == service]
        assert rows["places"].sum() == fac.loc[fac["art"] == art, "plaetze"].sum()
        expected = np.ceil(rows["population"] * rows["norm_per_1000"] / 1000) - rows["places"]
        assert np.allclose(rows["places_deficit"], expected)
    key = HEADER_LABELS["de"]["key"]  # the summary has German headers ("Schlüssel")
    csv = pd.read_csv(out / "zusammenfassung.csv", sep=";", decimal=",", encoding="utf-8-sig",
                      dtype={key: str})
    assert csv[key].str.len().eq(5).all()  # keys stay strings with their zeros
    html = (out / "karte_kitas.html").read_text(encoding="utf-8")
    # offline: no script, stylesheet or image is fetched from elsewhere
    assert not re.search(r"""<(script|img|iframe)[^>]+src\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"""<link[^>]+href\s*=\s*["']?(https?:)?//""", html)
    layers = gpd.list_layers(out / "ebenen.gpkg")["name"].tolist()
    assert "kitas_gebiete" in layers and "layer_styles" in layers


def test_berlin_config_runs_end_to_end(shared, tmp_path):
    text = (REPO / "examples" / "berlin.toml").read_text(encoding="utf-8")
    text = text.replace('"../../shared/', f'"{shared.parent.as_posix()}/').replace(
        'output = "../quartier-demo/berlin-run"', 'output = "ergebnisse"')
    path = tmp_path / "berlin.toml"
    path.write_text(text, encoding="utf-8")
    result = run_analysis(path, progress=None)
    s = result.summary
    assert len(s) == 542 and s["key"].str.len().eq(8).all()
    cells = pd.read_csv(shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv")
    # the grid is cut to a rectangle around Berlin; the cells flagged in_city are in Berlin
    assert s["population"].sum() == cells.loc[cells["in_city"], "value"].sum()
    populated = s["population"] > 0
    assert (s["covered"] <= s["population"]).all()
    assert s.loc[populated, "share_covered"].between(0, 1).all()  # NaN fails between
    assert s.loc[~populated, "share_covered"].isna().all()
    assert result.reports["berlin-lor-population-2024-02-t2-planning-areas.csv"].complete


def test_misspelt_key_fails_before_any_work(demo_config, capsys):
    text = demo_config.read_text(encoding="utf-8").replace("max_cost = 1000", "max_kost = 1000")
    demo_config.write_text(text, encoding="utf-8")
    assert main(["run", str(demo_config)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "analysis.toml, line 51: unknown key 'max_kost'" in err and "max_cost" in err
    assert not (demo_config.parent / "ergebnisse").exists()  # nothing was done


def test_missing_file_fails_before_any_work(demo_config, capsys):
    text = demo_config.read_text(encoding="utf-8").replace("bevoelkerung_100m.csv", "bevoelkerung.csv")
    demo_config.write_text(text, encoding="utf-8")
    assert main(["run", str(demo_config), "--dry-run"]) == EXIT_BAD_INPUT
    assert "line 23: file" in capsys.readouterr().err


def test_dry_run_and_cli_run(demo_config, capsys):
    assert main(["run", str(demo_config), "--dry-run"]) == EXIT_OK
    assert "Konfiguration ist gültig" in capsys.readouterr().out
    assert not (demo_config.parent / "ergebnisse").exists()
    assert main(["run", str(demo_config)]) == EXIT_OK
    captured = capsys.readouterr()
    assert "[1/" in captured.err  # progress lines
    assert "Seniorentreffs:" in captured.out and " %" in captured.out


def test_join_subcommand_reports_broken_keys(shared, tmp_path, capsys):
    t2 = shared / "berlin_population" / "berlin-lor-population-2024-02-t2-planning-areas.csv"
    broken = tmp_path / "t2_broken.csv"
    text = t2.read_text(encoding="utf-8").replace("\n01100101,", "\n1100101,", 1)
    broken.write_text(text, encoding="utf-8")
    code = main(["join", str(shared / "berlin_lor" / "lor_planungsraeume_2021.shp"), str(broken),
                 "--key", "PLR_ID", "--table-key", "id", "--out", str(tmp_path / "j.gpkg")])
    assert code == EXIT_OK
    out = capsys.readouterr()
    assert "541 von 542" in out.out and "'01100101'" in out.out and "'1100101'" in out.out
    assert (tmp_path / "j.gpkg").exists()


def test_coverage_map_and_export_subcommands(tmp_path, capsys):
    gpkg = str(quartier.demo_path("musterstadt.gpkg"))
    shutil.copy(quartier.demo_path("musterstadt.gpkg"), tmp_path / "stadt.gpkg")
    assert main(["coverage", "--districts", gpkg, "--layer", "stadtteile", "--key", "stadtteil_id",
                 "--population", str(quartier.demo_path("bevoelkerung_100m.csv")), "--x", "x",
                 "--y", "y", "--source-crs", "EPSG:25832", "--demand-col", "80_und_aelter",
                 "--facilities", gpkg, "--facilities-layer", "einrichtungen",
                 "--max-cost", "400", "--out", str(tmp_path / "cov.gpkg")]) == EXIT_OK
    cov = gpd.read_file(tmp_path / "cov.gpkg", layer="coverage")
    assert cov["share_covered"].between(0, 1).all() and len(cov) == 53
    assert main(["map", str(tmp_path / "cov.gpkg"), "share_covered", "--layer", "coverage",
                 "--key", "stadtteil_id", "--name", "name", "--offline",
                 "--out", str(tmp_path / "karte.html")]) == EXIT_OK
    assert (tmp_path / "karte.html").stat().st_size > 20_000
    assert main(["export", str(tmp_path / "cov.gpkg"), str(tmp_path / "cov.geojson")]) == EXIT_OK
    assert len(gpd.read_file(tmp_path / "cov.geojson")) == 53
    assert main(["--lang", "en", "join", gpkg, "/nonexistent.csv", "--key", "stadtteil_id",
                 "--layer", "stadtteile"]) == EXIT_BAD_INPUT
    assert "does not exist" in capsys.readouterr().err


def test_example_config_is_loadable():
    assert load_config(REPO / "examples" / "musterstadt.toml").project["lang"] == "de"


def test_report_section_writes_district_profiles(demo_config):
    """[report] in the configuration: the profiles of every Stadtteil, protected by the run's
    rules, and figures equal to the indicator table."""
    text = demo_config.read_text(encoding="utf-8")
    text = re.sub(r"\[outputs\].*?(?=\n\[|\Z)", "", text, flags=re.S)
    text += ('\n[outputs]\nmaps = false\nlayers = []\n\n[report]\nformats = ["html", "csv"]\n'
             'population = "Einwohner insgesamt"\n'
             '[[report.indicators]]\ncolumn = "Einwohner insgesamt"\nlabel = "Einwohner"\n'
             'kind = "count"\n'
             '[[report.indicators]]\ncolumn = "Einwohner 65 und älter"\nlabel = "65+"\n'
             'kind = "count"\n')
    demo_config.write_text(text, encoding="utf-8")
    cfg = load_config(demo_config)
    assert cfg.report["formats"] == ["html", "csv"]
    result = run_analysis(cfg, progress=None)
    out = demo_config.parent / "ergebnisse" / "profile"
    written = sorted(p.name for p in out.iterdir())
    assert any(n.endswith(".html") for n in written) and any(n.endswith(".csv") for n in written)
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    table = quartier.read_table(quartier.demo_path("indikatoren_stadtteile.csv"),
                                key="Stadtteil", key_width=5)
    assert len(table) == 53
    for key in table["Stadtteil"]:
        assert key in html
    city = int(table["Einwohner insgesamt"].sum())  # the city value: summed counts
    assert f"{city:,}".replace(",", ".") in html
    assert any(str(p).endswith(".html") for p in result.files)
