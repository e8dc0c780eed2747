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
