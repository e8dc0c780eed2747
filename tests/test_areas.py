"""`quartier run` over many areas (``[areas]``): each area with a halo, on a dask cluster or one
after another, gathered into the outputs of a single run (issue #17, part 2)."""

from __future__ import annotations

import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from quartier.batch.cli import EXIT_AREAS_FAILED, EXIT_BAD_INPUT, EXIT_OK, main
from quartier.batch.config import load_config
from quartier.batch.runner import run_analysis
from quartier.errors import ConfigError, MissingDependencyError
from quartier.io.districts import read_districts
from quartier.output.spreadsheet import HEADER_LABELS

from conftest import REPO

AREAS = '\n[areas]\ncolumn = "bezirk_id"\n'


def _config(folder, *, extra: str = "", output: str = "ergebnisse", population=None) -> str:
    """The example configuration (absolute paths), writing into ``folder/output``."""
    text = (REPO / "examples" / "musterstadt.toml").read_text(encoding="utf-8")
    text = text.replace('"../', f'"{REPO.as_posix()}/').replace(
        f'output = "{REPO.as_posix()}/quartier-demo/musterstadt-run"', f'output = "{output}"')
    if population is not None:
        text = text.replace(f'"{REPO.as_posix()}/data/geometries/bevoelkerung_100m.csv"',
                            f'"{population.as_posix()}"')
    path = folder / f"{output}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The single run of the demo city (no [areas]): the reference."""
    folder = tmp_path_factory.mktemp("serial")
    return run_analysis(_config(folder), progress=None)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Every column and row: text exactly, numbers to 1e-9 (NaN where NaN)."""
    assert list(a.columns) == list(b.columns) and len(a) == len(b) > 0
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            x, y = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            assert np.array_equal(np.isnan(x), np.isnan(y)), column
            assert np.allclose(x[~np.isnan(x)], y[~np.isnan(y)], rtol=0, atol=1e-9), column
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), column


def test_local_cluster_of_two_workers_equals_the_serial_run(tmp_path, serial, capsys):
    path = _config(tmp_path, extra=AREAS)
    assert main(["run", str(path), "--workers", "2"]) == EXIT_OK
    err = capsys.readouterr().err
    assert "10 Bereiche (bezirk_id), lokaler Cluster mit 2 Prozessen" in err
    assert "[10/10] bezirk_id" in err  # a progress line per area
    out = tmp_path / "ergebnisse"
    key = HEADER_LABELS["de"]["key"]
    written = pd.read_csv(out / "zusammenfassung.csv", sep=";", decimal=",",
                          encoding="utf-8-sig", dtype={key: str})
    reference = pd.read_csv(serial.files[0].parent / "zusammenfassung.csv", sep=";",
                            decimal=",", encoding="utf-8-sig", dtype={key: str})
    assert len(written) == 3 * 53
    _same(written, reference)  # one summary over all areas, one pattern: as the serial run
    # the layers: one per service over all areas, equal to the serial run's
    for layer in ("kitas_gebiete", "pflegeheime_gebiete", "seniorentreffs_gebiete"):
        a = gpd.read_file(out / "ebenen.gpkg", layer=layer)
        b = gpd.read_file(serial.files[0].parent / "ebenen.gpkg", layer=layer)
        _same(a.drop(columns="geometry"), b.drop(columns="geometry"))
    areas = pd.read_csv(out / "bereiche.csv", sep=";", encoding="utf-8-sig", dtype=str)
    assert areas["area"].tolist() == [f"{i:02d}" for i in range(1, 11)]
    assert set(areas["status"]) == {"ok"}
    assert areas["districts"].astype(int).sum() == 53
    # a folder per area: its rows of the one protected summary
    parts = [pd.read_csv(out / "bereiche" / a / "zusammenfassung.csv", sep=";", decimal=",",
                         encoding="utf-8-sig", dtype={key: str}) for a in areas["area"]]
    assert all(p[key].str[:2].eq(a).all() for p, a in zip(parts, areas["area"], strict=True))
    gathered = pd.concat(parts, ignore_index=True)
    order = written.sort_values([key, HEADER_LABELS["de"]["service"]]).reset_index(drop=True)
    _same(gathered.sort_values([key, HEADER_LABELS["de"]["service"]]).reset_index(drop=True),
          order)
    layer = gpd.read_file(out / "bereiche" / "02" / "ebenen.gpkg", layer="kitas_gebiete")
    assert layer["stadtteil_id"].str.startswith("02").all() and len(layer) == 6


def test_areas_one_after_another_equal_the_serial_run(tmp_path, serial):
    result = run_analysis(_config(tmp_path, extra=AREAS), progress=None)
    _same(result.summary, serial.summary)
    _same(result.published, serial.published)
    assert result.suppressed.equals(serial.suppressed)
    assert result.failed_areas == [] and len(result.areas) == 10
    # the Bezirke together are the city: the halo adds nobody twice
    assert result.summary["population"].sum() == serial.summary["population"].sum() > 0


def _bad_population(tmp_path) -> tuple:
    """The demo population with one negative count, far (> 2 km) from every other Bezirk."""
    districts = read_districts(REPO / "data" / "geometries" / "musterstadt.gpkg",
                               "stadtteil_id", layer="stadtteile")
    table = pd.read_csv(REPO / "data" / "geometries" / "bevoelkerung_100m.csv", sep=";",
                        dtype={"gitter_id": str})
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["x"], table["y"]),
                              crs=districts.crs)
    best = (None, None, -1.0)
    for area in sorted(districts["bezirk_id"].unique()):
        own = districts[districts["bezirk_id"] == area].union_all()
        other = districts[districts["bezirk_id"] != area].union_all()
        inside = points[points.within(own)]
        far = inside.distance(other)
        if far.max() > best[2]:
            best = (area, far.idxmax(), float(far.max()))
    area, row, distance = best
    assert distance > 2 * 1000 + 1  # beyond the widest halo (Pflegeheime: 2 x 1000 m)
    table.loc[row, "unter_6"] = -5
    path = tmp_path / "bevoelkerung_fehler.csv"
    table.to_csv(path, sep=";", index=False)
    return path, area


def test_a_failing_area_is_reported_and_the_others_delivered(tmp_path, serial, capsys):
    population, bad = _bad_population(tmp_path)
    path = _config(tmp_path, extra=AREAS, population=population)
    assert main(["run", str(path)]) == EXIT_AREAS_FAILED
    err = capsys.readouterr().err
    assert f"bezirk_id {bad}: FEHLER" in err  # progress line
    assert "1 von 10 Bereichen (bezirk_id) fehlgeschlagen" in err
    assert f"bezirk_id {bad}: ValueParseError" in err and "negative" in err.lower()
    out = tmp_path / "ergebnisse"
    areas = pd.read_csv(out / "bereiche.csv", sep=";", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    failed = areas[areas["status"] != "ok"]
    assert failed["area"].tolist() == [bad] and "negative" in failed["error"].iloc[0].lower()
    assert "ValueParseError" in (out / "bereiche" / bad / "fehler.txt").read_text("utf-8")
    # the other areas are delivered, with the figures of the serial run on the good data
    result = run_analysis(path, progress=None)
    assert result.failed_areas == [bad]
    s = result.summary
    assert len(s) == 3 * (53 - int(areas.loc[areas["area"] == bad, "districts"].iloc[0]))
    assert not s["key"].str.startswith(bad).any()
    expected = serial.summary[~serial.summary["key"].str.startswith(bad)]
    _same(s.reset_index(drop=True), expected.reset_index(drop=True))


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as running:
        yield running


def test_failing_area_on_a_running_scheduler(tmp_path, serial, cluster):
    population, bad = _bad_population(tmp_path)
    result = run_analysis(_config(tmp_path, extra=AREAS, population=population),
                          progress=None, scheduler=cluster.scheduler_address)
    assert result.failed_areas == [bad]
    assert "ValueParseError" in result.areas.set_index("area").loc[bad, "error"]
    expected = serial.summary[~serial.summary["key"].str.startswith(bad)]
    _same(result.summary.reset_index(drop=True), expected.reset_index(drop=True))


def test_unknown_area_column_names_the_line(tmp_path):
    path = _config(tmp_path, extra='\n[areas]\ncolumn = "bezirk"\n')
    line = path.read_text(encoding="utf-8").splitlines().index('column = "bezirk"') + 1
    with pytest.raises(ConfigError, match=rf"line {line}: column 'bezirk' is not a column of "
                                          r"'musterstadt.gpkg'.*bezirk_id.*Did you mean "
                                          r"'bezirk_id'") as info:
        load_config(path)
    assert info.value.line == line


@pytest.mark.parametrize("extra, message", [
    ('\n[areas]\ncolumn = "stadtteil_id"\n', "is the districts' key"),
    ('\n[areas]\nspalte = "bezirk_id"\n', "unknown key 'spalte' in \\[areas\\]"),
    ("\n[areas]\ncolumn = 3\n", "'column' must be a text"),
])
def test_bad_areas_sections(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=r"line \d+: .*" + message):
        load_config(_config(tmp_path, extra=extra))


def test_workers_need_an_areas_section(tmp_path, capsys):
    path = _config(tmp_path)
    assert main(["run", str(path), "--workers", "2", "--quiet"]) == EXIT_BAD_INPUT
    assert "[areas]" in capsys.readouterr().err
    assert not (tmp_path / "ergebnisse").exists()
    assert main(["run", str(path), "--workers", "0"]) == EXIT_BAD_INPUT
    areas = _config(tmp_path, extra=AREAS, output="mit_bereichen")
    assert main(["run", str(areas), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1",
                 "--quiet"]) == EXIT_BAD_INPUT
    assert "nur eines von beiden" in capsys.readouterr().err


def test_runs_without_areas_are_unchanged(serial):
    assert serial.areas is None and serial.failed_areas == []
    folder = serial.files[0].parent
    assert not (folder / "bereiche.csv").exists() and not (folder / "bereiche").exists()


def test_workers_without_dask_name_the_extra(tmp_path, monkeypatch, capsys):
    for name in list(sys.modules):
        if name.partition(".")[0] in ("distributed", "dask"):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    path = _config(tmp_path, extra=AREAS)
    with pytest.raises(MissingDependencyError, match=r'quartier\[areas\]'):
        run_analysis(path, progress=None, workers=2)
    assert main(["run", str(path), "--workers", "2", "--quiet"]) == EXIT_BAD_INPUT
    assert "quartier[areas]" in capsys.readouterr().err
    # without --workers the areas run one after another, with no dask at all
    assert run_analysis(path, progress=None).failed_areas == []


def test_every_area_failing_writes_nothing(tmp_path, capsys):
    table = pd.read_csv(REPO / "data" / "geometries" / "bevoelkerung_100m.csv", sep=";",
                        dtype={"gitter_id": str})
    table["unter_6"] = -1
    population = tmp_path / "alle_negativ.csv"
    table.to_csv(population, sep=";", index=False)
    path = _config(tmp_path, extra=AREAS, population=population)
    assert main(["run", str(path), "--quiet"]) == EXIT_BAD_INPUT
    assert "every area of [areas] column 'bezirk_id' failed (10)" in capsys.readouterr().err
    assert not (tmp_path / "ergebnisse").exists()


def test_berlin_split_into_bezirke_equals_the_serial_run(shared, tmp_path, cluster):
    text = (REPO / "examples" / "berlin.toml").read_text(encoding="utf-8")
    text = text.replace('"../../shared/', f'"{shared.parent.as_posix()}/').replace(
        'output = "../quartier-demo/berlin-run"', 'output = "ergebnisse"')
    text = text.replace("maps = true", "maps = false")
    whole = tmp_path / "berlin.toml"
    whole.write_text(text, encoding="utf-8")
    parts = tmp_path / "berlin_bezirke.toml"
    parts.write_text(text.replace('output = "ergebnisse"', 'output = "bezirke"')
                     + '\n[areas]\ncolumn = "BEZ"\n', encoding="utf-8")
    serial_run = run_analysis(whole, progress=None)
    result = run_analysis(parts, progress=None, scheduler=cluster.scheduler_address)
    assert len(result.areas) == 12 and result.failed_areas == []
    assert result.areas["districts"].sum() == len(result.summary) == 542
    _same(result.summary, serial_run.summary)
    _same(result.published, serial_run.published)
