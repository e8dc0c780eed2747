"""A run with reach by car and by public transport: networks named in the configuration."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

import quartier as q
from quartier.batch.config import load_config
from quartier.batch.runner import run_analysis
from quartier.errors import ConfigError

OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm_north_bayreuth" / \
    "north-bayreuth.osm.pbf"
if not OSM.exists():  # worktrees beside /work/main
    OSM = Path("/work/shared/data/osm_north_bayreuth/north-bayreuth.osm.pbf")


def write_feed(folder: Path) -> Path:
    """Stops 3.4 km apart on a line (as in tests/test_transit.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
                     "A,A,52.5,13.30\nB,B,52.5,13.35\nC,C,52.5,13.40\n",
        "trips.txt": "route_id,service_id,trip_id\nr,wk,t1\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                        "start_date,end_date\nwk,1,1,1,1,1,0,0,20210901,20210930\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                          "t1,07:05:00,07:05:00,A,1\nt1,07:20:00,07:20:00,B,2\n"
                          "t1,07:40:00,07:40:00,C,3\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def _write_inputs(folder: Path, districts, population, facilities) -> None:
    districts.to_file(folder / "gebiete.gpkg", layer="gebiete")
    facilities.to_file(folder / "einrichtungen.gpkg", layer="einrichtungen")
    pd.DataFrame({"x": population.geometry.x, "y": population.geometry.y,
                  "ab65": population["ab65"]}).to_csv(folder / "bev.csv", index=False)


def _config(folder: Path, networks: str, service: str, lang: str = "de") -> Path:
    text = f"""[project]
name = "Modes"
lang = "{lang}"
crs = "EPSG:25832"
output = "out"

[districts]
path = "gebiete.gpkg"
key = "id"

[population]
path = "bev.csv"
x = "x"
y = "y"
source_crs = "EPSG:25832"

[target_groups]
senioren = ["ab65"]

{networks}
[[services]]
name = "Beratung"
facilities = "einrichtungen.gpkg"
target_group = "senioren"
{service}
[outputs]
layers = ["gpkg"]
"""
    path = folder / "analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bayreuth(tmp_path_factory):
    folder = tmp_path_factory.mktemp("car")
    districts = gpd.GeoDataFrame({"id": ["01", "02"]},
                                 geometry=[box(676000, 5537000, 682000, 5549000),
                                           box(682000, 5537000, 688000, 5549000)],
                                 crs=25832)
    rng = np.random.default_rng(18)
    xy = np.column_stack([rng.uniform(677500, 686500, 60), rng.uniform(5539000, 5547500, 60)])
    population = gpd.GeoDataFrame({"ab65": rng.integers(5, 40, 60)},
                                  geometry=[Point(x, y) for x, y in xy], crs=25832)
    facilities = gpd.GeoDataFrame({"name": ["Nord", "Mitte"]},
                                  geometry=[Point(680000, 5546000), Point(683000, 5541000)],
                                  crs=25832)
    _write_inputs(folder, districts, population, facilities)
    return folder, districts, population, facilities


def test_car_run_equals_direct_coverage(bayreuth):
    folder, districts, population, facilities = bayreuth
    path = _config(folder, f"""[networks.auto]
kind = "streets"
path = "{OSM}"
profile = "car"
unit = "min"
""", 'network = "auto"\nmax_cost = 4\n')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_analysis(path, progress=None, rules=False)
        net = q.StreetNetwork.from_osm(OSM, profile="car", unit="min", crs="EPSG:25832")
        direct = q.coverage(population, facilities, max_cost=4, demand_col="ab65",
                            network=net, by=districts, by_key="id").districts
    direct = direct.set_index("id" if "id" in direct.columns else "district")
    summary = result.summary.set_index("key")
    for key in ("01", "02"):
        assert summary.loc[key, "covered"] == pytest.approx(direct.loc[key, "covered_population"])
        assert summary.loc[key, "population"] == pytest.approx(direct.loc[key, "population"])
    # neither all covered nor none: the network cut something off
    assert 0 < summary["covered"].sum() < summary["population"].sum()
    assert set(summary["reach"]) == {"Autofahrt 4 min"}
    csv = (folder / "out" / "zusammenfassung.csv").read_text(encoding="utf-8-sig")
    assert "Erreichbarkeit" in csv and "Autofahrt 4 min" in csv
    html = (folder / "out" / "karte_beratung.html").read_text(encoding="utf-8")
    assert "Erreichbarkeit: Autofahrt 4 min" in html


def test_straight_line_run_is_labelled_in_english(bayreuth):
    folder, *_ = bayreuth
    path = _config(folder, "", "max_cost = 1500\n", lang="en")
    result = run_analysis(path, progress=None, rules=False)
    # straight-line runs keep their columns; the label exists for runs that mix modes
    assert "reach" not in result.summary.columns
    from quartier.batch._networks import reach_label

    assert reach_label(None, 1500, "en") == "straight line 1,500 m"
    assert reach_label(None, 1500, "de") == "Luftlinie 1.500 m"


def test_transit_run_is_labelled(tmp_path):
    feed = write_feed(tmp_path / "gtfs")
    # EPSG:25833 around the stops; population at A, facility at B (15 min by bus)
    stops = gpd.GeoSeries([Point(13.30, 52.5), Point(13.35, 52.5), Point(13.40, 52.5)],
                          crs=4326).to_crs(25833)
    a, b, c = stops
    districts = gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(a.x - 2000, a.y - 2000,
                                                             c.x + 2000, c.y + 2000)], crs=25833)
    population = gpd.GeoDataFrame({"ab65": [10, 20]}, geometry=[a, c], crs=25833)
    facilities = gpd.GeoDataFrame({"name": ["B"]}, geometry=[b], crs=25833)
    _write_inputs(tmp_path, districts, population, facilities)
    path = _config(tmp_path, """[networks.oepnv]
kind = "transit"
gtfs = "gtfs"
date = "2021-09-14"
start = "07:00"
end = "07:02"
""", 'network = "oepnv"\nmax_cost = 30\n')
    path.write_text(path.read_text().replace('crs = "EPSG:25832"', 'crs = "EPSG:25833"')
                    .replace('source_crs = "EPSG:25832"', 'source_crs = "EPSG:25833"'))
    result = run_analysis(path, progress=None, rules=False)
    row = result.summary.iloc[0]
    assert row["reach"] == "ÖPNV, Dienstag 7:00–7:02 Uhr, Median, 30 min"
    # A reaches B by bus in 19.5 minutes (median of leaving 7:00 and 7:01); C has no way back
    assert row["covered"] == 10 and row["population"] == 30
    net = q.TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:00", end="07:02",
                                     crs=25833)
    assert row["reach"].startswith(net.mode_label("de"))
    html = (tmp_path / "out" / "karte_beratung.html").read_text(encoding="utf-8")
    assert "ÖPNV, Dienstag" in html
    # the CSV as a German Excel opens it: semicolons, decimal comma, UTF-8 with BOM
    csv = pd.read_csv(tmp_path / "out" / "zusammenfassung.csv", sep=";", decimal=",",
                      encoding="utf-8-sig", dtype={"Schlüssel": str})
    assert csv.loc[0, "Erreichbarkeit"] == "ÖPNV, Dienstag 7:00–7:02 Uhr, Median, 30 min"
    assert csv.loc[0, "versorgt (Personen)"] == 10


TRANSIT = ('[networks.bus]\nkind = "transit"\ngtfs = "gtfs"\ndate = "2021-09-14"\n'
           'start = "07:00"\nend = "09:00"\n')


@pytest.mark.parametrize("networks, service, line, words", [
    ('[networks.auto]\nkind = "streets"\npath = "OSM"\nprofile = "car"\n',
     'network = "autoo"\nmax_cost = 15\n', 29, ["network 'autoo' is not defined", "'auto'"]),
    ('[networks.auto]\nkind = "streets"\npath = "OSM"\nprofile = "car"\n',
     'network = "auto"\nmax_cost = 500\n', 30, ["500 minutes", "metres?"]),
    ('[networks.bus]\nkind = "transit"\ngtfs = "gtfs"\ndate = "2021-09-14"\nstart = "07:00"\n'
     'end = "09:00"\n', 'network = "bus"\nmax_cost = 150\n', 32, ["beyond the horizon"]),
    ('[networks.auto]\nkind = "streets"\npath = "fehlt.osm.pbf"\n', 'max_cost = 15\n', 22,
     ["fehlt.osm.pbf' does not exist"]),
    ('[networks.auto]\nkind = "strassen"\npath = "OSM"\n', 'max_cost = 15\n', 21,
     ['kind = "streets"']),
    ('[networks.auto]\nkind = "streets"\npath = "OSM"\nprofil = "car"\n', 'max_cost = 15\n', 23,
     ["unknown key 'profil'", "Did you mean 'profile'?"]),
    ('[networks.bus]\nkind = "transit"\ngtfs = "gtfs"\ndate = "2021-09-14"\nstart = "07:00"\n'
     'end = "09:00"\nstreets = "fuss"\n', 'max_cost = 15\n', 26, ['streets = \'fuss\'']),
    # transit: the date, the window, the feed, the network's name, [areas]
    (TRANSIT.replace('"2021-09-14"', '"14.09.2021"'), 'max_cost = 15\n', 23,
     ["[networks.bus] date = '14.09.2021' is not a date", 'date = "2021-09-14"']),
    (TRANSIT.replace('"2021-09-14"', '"2021-09-31"'), 'max_cost = 15\n', 23,
     ["date = '2021-09-31' is not a date"]),
    (TRANSIT.replace('start = "07:00"', 'start = "7 Uhr"'), 'max_cost = 15\n', 24,
     ["start = '7 Uhr' is not a time of day", 'start = "07:00"']),
    (TRANSIT.replace('end = "09:00"', 'end = "06:30"'), 'max_cost = 15\n', 25,
     ["end = '06:30' must be after start = '07:00'"]),
    (TRANSIT.replace('gtfs = "gtfs"', 'gtfs = ["gtfs", "vbb.zip"]'), 'max_cost = 15\n', 22,
     ["file 'vbb.zip' does not exist", "relative to the configuration file"]),
    (TRANSIT, 'network = "oepnv"\nmax_cost = 30\n', 31,
     ["network 'oepnv' is not defined (networks: 'bus')", "[networks.oepnv]"]),
    (TRANSIT, 'network = "bus"\nmax_cost = 121\n', 32,
     ["max_cost = 121 is beyond the horizon of network 'bus' (120 minutes", "raise horizon"]),
    (TRANSIT, 'network = "bus"\nmax_cost = 30\n\n[areas]\ncolumn = "id"\n', 31,
     ["cannot be combined with [areas]", "remove the [areas] section"]),
])
def test_config_errors_name_the_line(tmp_path, networks, service, line, words):
    write_feed(tmp_path / "gtfs")
    for name in ("gebiete.gpkg", "einrichtungen.gpkg", "bev.csv"):
        (tmp_path / name).write_text("")
    path = _config(tmp_path, networks.replace("OSM", str(OSM)), service)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert f"line {line}:" in message, message
    for word in words:
        assert word in message, message


def test_a_few_metres_in_a_straight_line_is_warned_about(tmp_path):
    for name in ("gebiete.gpkg", "einrichtungen.gpkg", "bev.csv"):
        (tmp_path / name).write_text("")
    path = _config(tmp_path, "", "max_cost = 15\n")
    with pytest.warns(q.errors.QuartierWarning, match=r"line 25: max_cost = 15 is 15 metres"):
        cfg = load_config(path)
    assert cfg.services[0]["max_cost"] == 15


def test_english_run_names_the_mode_everywhere(tmp_path):
    """lang = "en": the summary CSV, the layers (GeoPackage and GeoJSON with .qmd/.qml
    beside it), the map and the console say 'public transport, Tuesday ..., median'."""
    import contextlib
    import io
    import json
    import re

    import pyogrio

    from quartier.batch.cli import EXIT_OK, main

    write_feed(tmp_path / "gtfs")
    stops = gpd.GeoSeries([Point(13.30, 52.5), Point(13.35, 52.5), Point(13.40, 52.5)],
                          crs=4326).to_crs(25833)
    a, b, c = stops
    districts = gpd.GeoDataFrame({"id": ["1", "2"]}, geometry=[
        box(a.x - 2000, a.y - 2000, b.x + 1000, c.y + 2000),
        box(b.x + 1000, a.y - 2000, c.x + 2000, c.y + 2000)], crs=25833)
    population = gpd.GeoDataFrame({"ab65": [10, 20]}, geometry=[a, c], crs=25833)
    facilities = gpd.GeoDataFrame({"name": ["B"]}, geometry=[b], crs=25833)
    _write_inputs(tmp_path, districts, population, facilities)
    path = _config(tmp_path, """[networks.oepnv]
kind = "transit"
gtfs = "gtfs"
date = 2021-09-14
start = "07:00"
end = "07:02"
""", 'network = "oepnv"\nmax_cost = 30\n', lang="en")
    text = (path.read_text().replace('crs = "EPSG:25832"', 'crs = "EPSG:25833"')
            .replace('source_crs = "EPSG:25832"', 'source_crs = "EPSG:25833"')
            .replace('layers = ["gpkg"]', 'layers = ["gpkg", "geojson"]'))
    path.write_text(text + """
[[services]]
name = "Counselling near"
facilities = "einrichtungen.gpkg"
target_group = "senioren"
max_cost = 4000
""")
    mode = "public transport, Tuesday 7:00–7:02, median, 30 min"
    line = "straight line 4,000 m"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run", str(path), "--quiet"]) == EXIT_OK
    results = tmp_path / "out"
    summary = pd.read_csv(results / "zusammenfassung.csv", sep=None, engine="python",
                          encoding="utf-8-sig", dtype=str)
    assert "reach" in summary.columns
    assert dict(zip(summary["service"], summary["reach"], strict=True)) == {"Beratung": mode,
                                                              "Counselling near": line}
    # A reaches B by bus in 19.5 minutes; C (district 2) has no way back within 30
    by_bus = summary[summary["service"] == "Beratung"].set_index("key")
    assert by_bus.loc["1", "covered (people)"] == "10"
    assert by_bus.loc["2", "covered (people)"] == "0"
    meta = pyogrio.read_info(results / "ebenen.gpkg", layer="beratung_gebiete")["layer_metadata"]
    assert meta["IDENTIFIER"] == f"Beratung: share covered – {mode}"
    qmd = (results / "ebenen_geojson" / "beratung_gebiete.qmd").read_text(encoding="utf-8")
    assert f"<title>Beratung: share covered – {mode}</title>" in qmd
    qml = (results / "ebenen_geojson" / "counselling_near_gebiete.qml").read_text(
        encoding="utf-8")
    assert f'<rule key="heading" label="{line}">' in qml
    html = (results / "karte_beratung.html").read_text(encoding="utf-8")
    assert re.search(r"<title>(.*?)</title>", html).group(1).endswith(f"reach: {mode} (%)")
    assert f"reach: {line}" in (results / "karte_counselling_near.html").read_text(
        encoding="utf-8")
    assert re.search(r"Beratung: 33\.3% within reach \(" + re.escape(mode) + r"\)",
                     out.getvalue()), out.getvalue()
    assert f"within reach ({line})" in out.getvalue()
    side = json.loads((results / "ebenen.gpkg.metadata.json").read_text(encoding="utf-8"))
    assert side["configuration"] == "analysis.toml"
    assert side["layer_metadata"]["beratung_gebiete"]["reach"] == mode
    assert side["layer_metadata"]["counselling_near_einrichtungen"]["title"] == \
        f"Counselling near: facilities – {line}"


def _transit_config(folder: Path, networks: str, service: str) -> Path:
    write_feed(folder / "gtfs")
    for name in ("gebiete.gpkg", "einrichtungen.gpkg", "bev.csv"):
        (folder / name).write_text("")
    return _config(folder, networks, service)


@pytest.mark.parametrize("dry", [True, False])
@pytest.mark.parametrize("networks, service, where", [
    (TRANSIT.replace('"2021-09-14"', '"2021/09/14"'), 'network = "bus"\nmax_cost = 30\n',
     "analysis.toml, line 23: [networks.bus] date = '2021/09/14' is not a date"),
    (TRANSIT.replace('gtfs = "gtfs"', 'gtfs = "vbb_2021.zip"'), 'network = "bus"\nmax_cost = 30\n',
     "analysis.toml, line 22: file 'vbb_2021.zip' does not exist"),
    (TRANSIT, 'network = "ubahn"\nmax_cost = 30\n',
     "analysis.toml, line 31: network 'ubahn' is not defined"),
    (TRANSIT, 'network = "bus"\nmax_cost = 200\n',
     "analysis.toml, line 32: max_cost = 200 is beyond the horizon"),
])
def test_cli_exits_2_on_transit_config_errors(tmp_path, capsys, networks, service, where, dry):
    """``quartier run`` (and ``--dry-run``): exit 2, the file, the line and the fix, no
    traceback, nothing written."""
    from quartier.batch.cli import EXIT_BAD_INPUT, main

    path = _transit_config(tmp_path, networks, service)
    assert main(["run", str(path), *(["--dry-run"] if dry else [])]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert where in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_dry_run_checks_a_transit_network_without_building_it(tmp_path, capsys, monkeypatch):
    from quartier.access.transit.network import TransitNetwork
    from quartier.batch.cli import EXIT_OK, main

    def refuse(*args, **kwargs):
        raise AssertionError("--dry-run built the network")

    monkeypatch.setattr(TransitNetwork, "from_gtfs", refuse)
    path = _transit_config(tmp_path, TRANSIT.replace('"2021-09-14"', "2021-09-14"),
                           'network = "bus"\nmax_cost = 30\n')  # a TOML date works too
    assert main(["run", str(path), "--dry-run"]) == EXIT_OK
    assert "Konfiguration ist gültig" in capsys.readouterr().out
    cfg = load_config(path)
    assert cfg.networks["bus"]["date"] == "2021-09-14"
    assert cfg.networks["bus"]["gtfs"] == (tmp_path / "gtfs").resolve()


@pytest.mark.parametrize("date, broken, where", [
    ("2021-09-18", None, "analysis.toml, line 23: [networks.bus]: no trip"),
    ("2021-09-14", "stop_times.txt", "analysis.toml, line 20: [networks.bus]: "),
])
def test_a_feed_that_fails_when_built_names_the_section(tmp_path, capsys, date, broken, where):
    """The feed runs on weekdays: a Saturday is found when the network is built, and is
    reported as a configuration error on the date line; a feed missing one of its files on
    the section's line (exit 2, no traceback)."""
    from quartier.batch.cli import EXIT_BAD_INPUT, main

    stops = gpd.GeoSeries([Point(13.30, 52.5), Point(13.40, 52.5)], crs=4326).to_crs(25833)
    districts = gpd.GeoDataFrame({"id": ["1"]}, geometry=[stops.union_all().buffer(3000)],
                                 crs=25833)
    population = gpd.GeoDataFrame({"ab65": [10]}, geometry=[stops.iloc[0]], crs=25833)
    facilities = gpd.GeoDataFrame({"name": ["B"]}, geometry=[stops.iloc[1]], crs=25833)
    write_feed(tmp_path / "gtfs")
    if broken:
        (tmp_path / "gtfs" / broken).unlink()
    _write_inputs(tmp_path, districts, population, facilities)
    path = _config(tmp_path, TRANSIT.replace("2021-09-14", date),
                   'network = "bus"\nmax_cost = 30\n')
    path.write_text(path.read_text().replace("EPSG:25832", "EPSG:25833"))
    assert main(["run", str(path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert where in err, err
    if broken:
        assert broken in err
    else:
        assert "2021-09-18" in err and "Choose a date the feed runs" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_legend_titles_head_the_classes_and_name_given_layers(tmp_path):
    from xml.etree import ElementTree

    from quartier.errors import ParameterError

    areas = gpd.GeoDataFrame({"share_covered": [0.0, 0.4, 0.9]},
                             geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs=25833)
    q.export_layers({"a": areas}, tmp_path / "a.geojson", styles={"a": "share_covered"},
                    legend_titles={"a": "ÖPNV, Dienstag 7:00–7:10 Uhr, Median, 10 min"})
    rules = ElementTree.parse(tmp_path / "a.qml").getroot().find("renderer-v2/rules")
    heading = rules.find("rule")
    assert heading.get("label") == "ÖPNV, Dienstag 7:00–7:10 Uhr, Median, 10 min"
    assert heading.get("symbol") is None
    assert heading.get("filter") is None  # it holds every class below it
    assert [r.get("label") for r in heading.findall("rule")][0] == "0 %"
    with pytest.raises(ParameterError, match="legend_titles= names layer 'b'"):
        q.export_layers({"a": areas}, tmp_path / "b.gpkg", legend_titles={"b": "x"})


def test_straight_line_run_layers_name_the_distance(bayreuth):
    """Without any network the summary keeps its columns, but the layers still say how reach
    was measured: title, abstract and the QGIS legend heading."""
    import pyogrio

    folder, *_ = bayreuth
    path = _config(folder, "", "max_cost = 1500\n")
    run_analysis(path, progress=None, rules=False)
    gpkg = folder / "out" / "ebenen.gpkg"
    meta = pyogrio.read_info(gpkg, layer="beratung_gebiete")["layer_metadata"]
    assert meta["IDENTIFIER"] == "Beratung: Anteil versorgt – Luftlinie 1.500 m"
    assert "reach: Luftlinie 1.500 m" in meta["DESCRIPTION"]
    styles = pyogrio.read_dataframe(gpkg, layer="layer_styles", read_geometry=False)
    qml = dict(zip(styles["f_table_name"], styles["styleQML"], strict=True))
    assert '<rule key="heading" label="Luftlinie 1.500 m">' in qml["beratung_gebiete"]
    fields = pyogrio.read_info(gpkg, layer="beratung_gebiete")["fields"]
    assert "reach" not in fields


def test_straight_line_map_title_formats_the_distance(bayreuth):
    import re

    folder, *_ = bayreuth
    run_analysis(_config(folder, "", "max_cost = 1500\n"), progress=None, rules=False)
    html = (folder / "out" / "karte_beratung.html").read_text(encoding="utf-8")
    assert re.search(r"<title>(.*?)</title>", html).group(1) == \
        "Beratung: Anteil der Zielgruppe im Umkreis von 1.500 m (%)"
