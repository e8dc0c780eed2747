"""Bad input never crashes and never misleads (issue #15): one test per class of failure, each
example a row of a table with the error class and the words its message must contain.

CSV structure and file encodings have their own tests (test_tables*.py). The fuzz suites over
the configuration loader and the public functions are in test_bad_input_fuzz.py.
"""

from __future__ import annotations

import errno
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, Polygon, box

import quartier
from quartier.batch.cli import main
from quartier.batch.config import load_config
from quartier.errors import (
    ColumnError,
    ConfigError,
    CRSError,
    DataError,
    InputFileError,
    MissingFileError,
    OutputError,
    ParameterError,
    ParameterTypeError,
    QuartierError,
)

from conftest import REPO

CRS = "EPSG:25833"
X0, Y0 = 390_000.0, 5_820_000.0  # Berlin in EPSG:25833


def _districts(n=2):
    return gpd.GeoDataFrame(
        {"id": [str(i + 1) for i in range(n)], "ew": [100.0 * (i + 1) for i in range(n)]},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(n)],
        crs=CRS)


def _facilities(places=(50.0,)):
    return gpd.GeoDataFrame(
        {"plaetze": list(places)},
        geometry=[Point(X0 + 500 + 700 * i, Y0 + 500) for i in range(len(places))], crs=CRS)


def _demand(values=(100.0, 200.0)):
    return gpd.GeoDataFrame(
        {"ew": list(values)},
        geometry=[Point(X0 + 300 + 900 * i, Y0 + 400) for i in range(len(values))], crs=CRS)


def _fca(**kw):
    args = {"max_cost": 1000, "demand_col": "ew", "capacity": "plaetze"}
    demand = kw.pop("demand", None)
    supply = kw.pop("supply", None)
    return quartier.fca(_demand() if demand is None else demand,
                        _facilities() if supply is None else supply, **{**args, **kw})


# --- the table of classes: (id, call(tmp_path), error class, words of the message) ----------

def _write_geojson(tmp_path, coords, crs_member=None):
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": str(i), "plaetze": 10},
         "geometry": {"type": "Point", "coordinates": list(c)}} for i, c in enumerate(coords)]}
    if crs_member:
        data["crs"] = {"type": "name", "properties": {"name": crs_member}}
    path = tmp_path / "orte.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _lonlat_labelled_utm(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(13.40, 52.50, 13.41, 52.51)],
                           crs="EPSG:25832")
    gdf.to_file(tmp_path / "bezirke.gpkg")
    return quartier.read_districts(tmp_path / "bezirke.gpkg", key="id")


def _multilayer(tmp_path):
    path = tmp_path / "zwei.gpkg"
    _districts().to_file(path, layer="bezirke")
    _districts().to_file(path, layer="ortsteile")
    return quartier.read_districts(path, key="id")


def _empty_districts(tmp_path):
    _districts().iloc[0:0].to_file(tmp_path / "leer.gpkg")
    return quartier.read_districts(tmp_path / "leer.gpkg", key="id")


def _export_no_crs(tmp_path):
    return quartier.export_layers({"gebiete": _districts().set_crs(None, allow_override=True)},
                                  tmp_path / "gebiete.geojson")


def _irregular_raster(tmp_path):
    rng = np.random.default_rng(7)
    pts = gpd.GeoDataFrame({"v": rng.random(40)}, crs=CRS, geometry=gpd.points_from_xy(
        X0 + rng.random(40) * 20_000, Y0 + rng.random(40) * 20_000))
    return quartier.export_raster(pts, "v", tmp_path / "a.tif")


def _sparse_raster(tmp_path):
    # two cells 10,000 km apart on a 1 m grid: 10^14 cells, refused before any allocation
    pts = gpd.GeoDataFrame({"v": [1.0, 2.0]}, crs=CRS,
                           geometry=[Point(0.5, 0.5), Point(9_000_000.5, 9_000_000.5)])
    return quartier.export_raster(pts, "v", tmp_path / "a.tif", cell_size=1)


CASES = [
    # non-finite and absurd numbers
    ("max_cost inf", lambda t: _fca(max_cost=float("inf")), ParameterError,
     ["max_cost", "finite", "inf"]),
    ("max_cost 1e300", lambda t: _fca(max_cost=1e300), ParameterError,
     ["max_cost=1e+300", "implausibly large"]),
    ("max_cost nan", lambda t: _fca(max_cost=float("nan")), ParameterError, ["max_cost", "nan"]),
    ("capacity inf", lambda t: _fca(supply=_facilities([np.inf])), DataError,
     ["'plaetze'", "infinite", "index '0'"]),
    ("capacity negative", lambda t: _fca(supply=_facilities([-5.0])), DataError,
     ["'plaetze'", "negative"]),
    ("population inf", lambda t: _fca(demand=_demand([np.inf, 1.0])), DataError,
     ["'ew'", "infinite", "index '0'"]),
    ("population nan", lambda t: _fca(demand=_demand([np.nan, 1.0])), DataError,
     ["'ew'", "missing", "index '0'"]),
    ("norm nan", lambda t: quartier.supply(_districts(), _facilities(), demand_col="ew",
                                           capacity="plaetze", by_key="id", max_cost=1000,
                                           norm_per_1000=float("nan")),
     ParameterError, ["norm_per_1000", "finite", "nan"]),
    ("norm nan in a service_table spec", lambda t: quartier.service_table(
        _districts(), {"Kitas": _facilities()}, [{"service": "Kitas", "target": "ew",
                                                  "max_cost": 1000, "capacity": "plaetze",
                                                  "norm_per_1000": float("nan")}], by_key="id"),
     ParameterError, ["norm_per_1000", "nan"]),
    ("norm inf in required_places", lambda t: quartier.required_places(
        pd.DataFrame({"district": ["1"], "year": 2030, "group": "u6", "population": [10.0]}),
        norm_per_1000=float("inf")), ParameterError, ["norm_per_1000", "inf"]),
    ("coordinates inf", lambda t: quartier.read_facilities(
        pd.DataFrame({"x": [X0, np.inf], "y": [Y0, Y0]}), x="x", y="y", source_crs=CRS),
     DataError, ["not finite", "row(s) '2'"]),
    ("district with a NaN corner", lambda t: quartier.read_districts(gpd.GeoDataFrame(
        {"id": ["1", "2"]}, crs=CRS, geometry=[box(X0, Y0, X0 + 10, Y0 + 10), Polygon(
            [(X0, Y0), (np.nan, Y0), (X0, Y0 + 5)])]), key="id"), DataError,
     ["not finite", "row(s) '2'"]),
    ("growth factor inf", lambda t: quartier.project_population(
        base=pd.DataFrame({"k": ["01"], "ew": [100.0]}), key="k", value="ew", base_year=2024,
        growth={2030: float("inf")}), DataError, ["impossible populations", "'01 2030'"]),
    ("E2SFCA weight nan", lambda t: _fca(method="e2sfca", weights={500: 1.0, 1000: np.nan}),
     ParameterError, ["E2SFCA weight of 1000", "nan"]),
    ("gravity decay inf", lambda t: _fca(method="gravity", decay=float("inf")), ParameterError,
     ["decay", "inf"]),
    ("index weight inf", lambda t: quartier.composite_index(
        pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}), ["a", "b"],
        weights=[1.0, float("inf")]), ParameterError, ["weights must be finite", "b=inf"]),
    # coordinates that cannot be in the declared CRS
    ("lon/lat labelled EPSG:25832", _lonlat_labelled_utm, CRSError,
     ["EPSG:25832", "look like longitude/latitude (EPSG:4326)", "source_crs"]),
    ("UTM in GeoJSON without crs", lambda t: quartier.read_facilities(
        _write_geojson(t, [(X0, Y0), (X0 + 50, Y0 + 50)])), CRSError,
     ["orte.geojson", "EPSG:4326", "look like UTM metres (EPSG:25832 or EPSG:25833"]),
    ("UTM x/y read with source_crs=4326", lambda t: quartier.read_facilities(
        pd.DataFrame({"x": [X0], "y": [Y0]}), x="x", y="y", source_crs=4326), CRSError,
     ["EPSG:4326", "look like UTM metres"]),
    ("one stray point at 0, 0", lambda t: quartier.read_facilities(
        pd.DataFrame({"x": [X0, X0 + 10, 0.0], "y": [Y0, Y0 + 10, 0.0]}), x="x", y="y",
        source_crs=CRS), CRSError, ["1 of 3", "row(s) '3'", "placeholder"]),
    ("Zensus grid labelled UTM", lambda t: quartier.read_points(
        pd.DataFrame({"x": [4_550_050.0], "y": [3_250_050.0]}), x="x", y="y",
        source_crs=25832), CRSError, ["EPSG:25832", "EPSG:3035, the Zensus grid"]),
    ("Gauss-Krueger labelled UTM", lambda t: quartier.read_facilities(
        pd.DataFrame({"x": [4_590_000.0], "y": [5_820_000.0]}), x="x", y="y",
        source_crs=CRS), CRSError, ["Gauss-Krüger"]),
    # empty and degenerate inputs
    ("zero districts in a file", _empty_districts, InputFileError,
     ["leer.gpkg", "no districts (0 features)"]),
    ("zero districts as by=", lambda t: quartier.coverage(
        _demand(), _facilities(), demand_col="ew", max_cost=1000,
        by=_districts().iloc[0:0], by_key="id"), DataError, ["`by`", "no districts (0 rows)"]),
    ("zero candidates", lambda t: quartier.p_median(
        _districts(), _facilities().iloc[0:0], p=1, demand_col="ew", max_cost=2000),
     ParameterError, ["only 0 candidate sites", "add candidate sites"]),
    ("layer without CRS to GeoJSON", _export_no_crs, CRSError,
     ["'gebiete'", "no coordinate reference system", "set_crs"]),
    ("export_raster of irregular points", _irregular_raster, DataError,
     ["not lie on a regular grid", "cell_size=", "export_layers"]),
    ("export_raster too sparse", _sparse_raster, DataError, ["GiB", "larger cell_size"]),
    ("multi-layer GeoPackage without layer=", _multilayer, InputFileError,
     ["2 layers", "'bezirke', 'ortsteile'", "layer="]),
    # errors of the right kind
    ("missing file", lambda t: quartier.read_districts(t / "fehlt.gpkg", key="id"),
     MissingFileError, ["fehlt.gpkg", "does not exist"]),
    ("unknown method", lambda t: _fca(method="3sfca"), ParameterError, ["method", "3sfca"]),
    ("unknown palette", lambda t: quartier.choropleth(_districts(), "ew", palette="regenbogen"),
     ParameterError, ["palette", "regenbogen"]),
    ("not a GeoDataFrame", lambda t: quartier.raster_sums(pd.DataFrame(), t / "x.tif"),
     ParameterTypeError, ["GeoDataFrame", "DataFrame"]),
    ("export format unknown", lambda t: quartier.export_layers({"a": _districts()},
                                                               t / "a.xyz"),
     ParameterError, ["'.xyz'", ".gpkg"]),
    ("export columns differing in case", lambda t: quartier.export_layers(
        {"a": _districts().assign(EW=1)}, t / "a.gpkg"), ColumnError, ["'ew' and 'EW'"]),
]


@pytest.mark.parametrize(("call", "error", "words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_a_clear_error(call, error, words, tmp_path):
    with pytest.raises(error) as info:
        call(tmp_path)
    assert isinstance(info.value, QuartierError)
    text = str(info.value)
    for word in words:
        assert word in text, (word, text)


def test_the_hierarchy_keeps_its_promise():
    # every error class is a QuartierError; arguments are ValueErrors too
    import quartier.errors as errors

    classes = [getattr(errors, n) for n in errors.__all__
               if isinstance(getattr(errors, n), type)
               and issubclass(getattr(errors, n), Exception)
               and not issubclass(getattr(errors, n), Warning)]
    assert all(issubclass(c, QuartierError) for c in classes), classes
    assert issubclass(ParameterError, ValueError) and issubclass(DataError, ValueError)
    assert issubclass(ParameterTypeError, TypeError) and issubclass(MissingFileError,
                                                                    FileNotFoundError)
    # a file that exists but cannot be read is not "not found"
    assert not issubclass(InputFileError, FileNotFoundError)
    assert not issubclass(DataError, KeyError)
    assert str(MissingFileError("file 'x' does not exist.")) == "file 'x' does not exist."


def test_an_unreadable_file_is_not_file_not_found(tmp_path):
    path = tmp_path / "kaputt.gpkg"
    path.write_bytes(b"not a geopackage at all" * 10)
    with pytest.raises(InputFileError) as info:
        quartier.read_districts(path, key="id")
    assert not isinstance(info.value, FileNotFoundError)
    assert "kaputt.gpkg" in str(info.value) and "cannot be read" in str(info.value)
    assert info.value.__cause__ is not None  # GDAL's own words are kept as the cause


def test_no_plain_value_or_type_errors_are_raised_in_the_library():
    # internal checks may raise ValueError where their caller turns it into a QuartierError;
    # every other raise site uses a QuartierError subclass
    allowed = {("reporting", "_audit.py"), ("reporting", "_rounding.py"), ("io", "_csvsniff.py")}
    found = []
    for path in (REPO / "src" / "quartier").rglob("*.py"):
        if "_vendor" in path.parts or (path.parent.name, path.name) in allowed:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"raise (ValueError|TypeError|KeyError)\(", line):
                found.append(f"{path.relative_to(REPO)}:{n}")
    assert not found, found


# --- the configuration: duplicates, filters, numbers -------------------------------------

def _config(tmp_path, **replace):
    text = (REPO / "examples" / "musterstadt.toml").read_text(encoding="utf-8")
    text = text.replace('"../', f'"{REPO.as_posix()}/')
    text = re.sub(r"(?m)^output = .*$", 'output = "ergebnisse"', text)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "analyse.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "words"), [
    ('name = "Pflegeheime"', 'name = "Seniorentreffs"',
     ["'Seniorentreffs' (service 1)", "(service 2)", "same name", "overwrite"]),
    ('name = "Pflegeheime"', 'name = "seniorentreffs!"',
     ["'Seniorentreffs'", "'seniorentreffs!'", "same file name 'seniorentreffs'"]),
    ("max_cost = 1000", "max_cost = inf", ["line 51", "max_cost must be greater than 0 metres and finite, not inf"]),
    ("max_cost = 1000", "max_cost = 1e300", ["line 51", "max_cost", "implausibly large"]),
    ("norm_per_1000 = 150", "norm_per_1000 = nan", ["line 52", "norm_per_1000", "not nan"]),
    ("min_share = 0.5", "min_share = nan", ["min_share", "between 0 and 1"]),
    ('filter = { art = "pflegeheim" }', "filter = { art = { x = 1 } }", ["filter", "'art'"]),
])
def test_configuration_refuses(old, new, words, tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, **{old: new}))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_a_filter_matching_no_facility_names_the_values(tmp_path):
    from quartier.batch._facility_filter import filter_facilities

    fac = pd.DataFrame({"art": ["kita", "kita", "pflegeheim"], "plaetze": [1, 2, 3]})
    with pytest.raises(ConfigError) as info:
        filter_facilities(fac, {"name": "Kitas", "filter": {"art": "Kita"}}, source="e.gpkg")
    text = str(info.value)
    assert "matches none of the 3 facilities" in text and "'Kita' -> 'kita'" in text
    assert "'kita', 'pflegeheim'" in text and "Kitas" in text
    with pytest.warns(quartier.QuartierWarning, match="'Hort' matches no facility"):
        kept = filter_facilities(fac, {"name": "K", "filter": {"art": ["kita", "Hort"]}})
    assert kept["plaetze"].tolist() == [1, 2]


def test_the_cli_refuses_a_filter_matching_nothing(tmp_path, capsys):
    path = _config(tmp_path, **{'filter = { art = "kita" }': 'filter = { art = "Kita" }'})
    code = main(["--lang", "en", "run", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "'Kita' -> 'kita'" in err and "Kitas" in err
    assert not (tmp_path / "ergebnisse").exists()


def test_the_cli_exits_2_for_inf_in_a_dry_run(tmp_path, capsys):
    path = _config(tmp_path, **{"max_cost = 1000": "max_cost = inf"})
    code = main(["--lang", "en", "run", "--dry-run", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "max_cost" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2  # one message (and the help hint)


# --- faults while writing ------------------------------------------------------------------

def test_a_full_disk_while_exporting_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "gebiete.gpkg"
    quartier.export_layers({"gebiete": _districts()}, path)
    before = path.read_bytes()

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", full)
    with pytest.raises(OutputError, match="No space left on device.*unchanged"):
        quartier.export_layers({"gebiete": _districts(3)}, path)
    assert path.read_bytes() == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_gdal_write_error_is_an_output_error(tmp_path, monkeypatch):
    from pyogrio.errors import DataSourceError

    def broken(self, *args, **kwargs):
        raise DataSourceError("No space left on device (GDAL)")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", broken)
    with pytest.raises(OutputError, match="GDAL") as info:
        quartier.export_layers({"gebiete": _districts()}, tmp_path / "g.gpkg")
    assert isinstance(info.value.__cause__, DataSourceError)
    assert not list(tmp_path.iterdir())


def test_writing_below_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "ergebnisse").write_text("a file")
    with pytest.raises(OutputError, match="is a file"):
        quartier.export_layers({"gebiete": _districts()}, tmp_path / "ergebnisse" / "g.gpkg")
    assert (tmp_path / "ergebnisse").read_text() == "a file"


def test_a_read_only_folder_is_a_clear_error(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "access", lambda path, mode: False)  # root writes anywhere
    with pytest.raises(OutputError, match="read-only"):
        quartier.export_raster(
            gpd.GeoDataFrame({"v": [1.0]}, geometry=[Point(X0 + 50, Y0 + 50)], crs=CRS), "v",
            tmp_path / "a.tif")


def test_an_interrupted_run_leaves_the_previous_outputs(tmp_path):
    from quartier.output.files import run_lock, staged_folder

    out = tmp_path / "ergebnisse"
    with staged_folder(out) as stage:
        (stage / "zusammenfassung.csv").write_text("alt")
    with pytest.raises(KeyboardInterrupt):
        with run_lock(out), staged_folder(out) as stage:
            (stage / "zusammenfassung.csv").write_text("neu")
            raise KeyboardInterrupt  # Ctrl+C in the middle of a run
    assert (out / "zusammenfassung.csv").read_text() == "alt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ergebnisse"]


def test_the_refusals_page_lists_every_error_class():
    import quartier.errors as errors

    page = (REPO / "docs" / "guide" / "refusals.md").read_text(encoding="utf-8")
    assert "guide/refusals.md" in (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, QuartierError) and obj is not QuartierError:
            assert f"`{name}`" in page, name


def _error_classes():
    import quartier.errors as errors

    return [getattr(errors, n) for n in errors.__all__
            if isinstance(getattr(errors, n), type) and issubclass(getattr(errors, n),
                                                                   QuartierError)]


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_the_cli_exits_2_for_every_quartier_error(cls, monkeypatch, capsys):
    import quartier.batch.cli as cli

    def fail(args):
        raise cls("the file 'x.gpkg' is broken. Export it again.")

    monkeypatch.setitem(cli._COMMANDS, "demo", fail)
    code = main(["--lang", "en", "demo"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("Error: the file 'x.gpkg' is broken. Export it again.")
    assert "Traceback" not in err and "unexpected" not in err


def test_the_cli_exits_1_only_for_a_bug(monkeypatch, capsys):
    import quartier.batch.cli as cli

    def bug(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(cli._COMMANDS, "demo", bug)
    assert main(["--lang", "en", "demo"]) == 1
    err = capsys.readouterr().err
    assert "unexpected failure (ZeroDivisionError" in err and "--debug" in err
