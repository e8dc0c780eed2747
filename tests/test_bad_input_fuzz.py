"""Fuzzing (hypothesis): whatever the configuration file or the numbers, the result is a result
or a QuartierError, never another exception or a crash (issue #15).

Bounded: a few dozen examples per property, no deadline per example; the whole module takes well
under a minute. The text of configurations is valid UTF-8 here (encodings: test_tables*.py).
"""

from __future__ import annotations

import math
import re
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import Point

import quartier
from quartier._checks import nonnegative_number, positive_number
from quartier.batch.config import load_config
from quartier.errors import QuartierError

from conftest import REPO

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

# --- the configuration loader -----------------------------------------------------------

_BASE = (REPO / "examples" / "musterstadt.toml").read_text(encoding="utf-8").replace(
    '"../', f'"{REPO.as_posix()}/')
_BASE = re.sub(r"(?m)^output = .*$", 'output = "ergebnisse"', _BASE)
_LINES = _BASE.splitlines()

_VALUES = st.sampled_from([
    "inf", "-inf", "nan", "-1", "0", "1e300", "-0.0", "1.5", "true", '""', '"x"', "[]", "{}",
    '["a", 1]', "{ a = 1 }", '"../../etc/passwd"', '"\\u0000"', "2024-01-01", "'''a\nb'''",
    '"EPSG:99999"', "25833", '"kita"', '{ art = ["kita", 3] }', "[[1]]", '"ä ö ü"',
])
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@st.composite
def _mutated(draw):
    lines = list(_LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["value", "delete", "duplicate", "text", "key", "header"]))
        if kind == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(_VALUES)}"
        elif kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "text":
            lines.insert(i, draw(_TEXT))
        elif kind == "key":
            lines.insert(i, f"{draw(st.from_regex(r'[a-z_]{1,12}', fullmatch=True))} = "
                            f"{draw(_VALUES)}")
        else:
            lines.insert(i, draw(st.sampled_from(["[[services]]", "[project]", "[outputs]",
                                                  "[target_groups]", "[[tables]]", "[x]"])))
        if not lines:
            break
    return "\n".join(lines) + "\n"


def _load(text: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "analyse.toml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_config(path)
        except QuartierError as err:
            assert str(err).strip(), "an error without a message"
            return err


@FUZZ
@given(_mutated())
def test_a_mutated_configuration_loads_or_is_a_config_error(text):
    _load(text)


@FUZZ
@given(st.text(max_size=300))
def test_random_text_is_a_config_error(text):
    _load(text)


@FUZZ
@given(st.sampled_from(["max_cost", "norm_per_1000", "min_share", "key_width", "min_count",
                        "round_to"]),
       st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30)))
def test_numbers_in_a_configuration(key, value):
    text = _BASE
    number = repr(value) if not isinstance(value, float) or math.isfinite(value) else (
        "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if re.search(rf"(?m)^{key} = ", text):
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {number}", text, count=1)
    else:
        text = text.replace("[disclosure]\n", f"[disclosure]\n{key} = {number}\n")
    _load(text)


# --- public functions with random numbers --------------------------------------------------

CRS = "EPSG:25833"
X0, Y0 = 390_000.0, 5_820_000.0
_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, -1.0, 1e-300, 1e300, 1e7, 1e7 + 1, float("inf"), float("nan")]),
    st.integers(-10**20, 10**20),
)


def _ok_or_quartier_error(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call()
        except QuartierError as err:
            assert str(err).strip()
            return err


def _demand(values):
    return gpd.GeoDataFrame({"ew": values}, crs=CRS, geometry=[
        Point(X0 + 400 * i, Y0) for i in range(len(values))])


def _supply(values):
    return gpd.GeoDataFrame({"plaetze": values}, crs=CRS, geometry=[
        Point(X0 + 300 + 500 * i, Y0 + 100) for i in range(len(values))])


@FUZZ
@given(_NUMBER)
def test_reach_checks(value):
    for check in (positive_number, nonnegative_number):
        out = _ok_or_quartier_error(lambda check=check: check(value, "x"))
        if not isinstance(out, QuartierError):
            assert math.isfinite(out) and out >= 0


@FUZZ
@given(max_cost=_NUMBER,
       demand=st.lists(_NUMBER, min_size=1, max_size=4),
       places=st.lists(_NUMBER, min_size=1, max_size=3))
def test_fca_with_random_numbers(max_cost, demand, places):
    out = _ok_or_quartier_error(lambda: quartier.fca(
        _demand(demand), _supply(places), max_cost=max_cost, demand_col="ew",
        capacity="plaetze"))
    if not isinstance(out, QuartierError):
        # whatever came in, what comes out is finite where it is defined
        scores = out.scores.to_numpy(dtype=float)
        assert not np.isinf(scores).any()


@FUZZ
@given(norm=_NUMBER, reserve=_NUMBER, population=st.lists(_NUMBER, min_size=1, max_size=3))
def test_required_places_with_random_numbers(norm, reserve, population):
    pop = pd.DataFrame({"district": [str(i) for i in range(len(population))], "year": 2030,
                        "group": "u6", "population": population})
    out = _ok_or_quartier_error(
        lambda: quartier.required_places(pop, norm_per_1000=norm, reserve=reserve))
    if not isinstance(out, QuartierError):
        assert out["required_places"].notna().all()


@FUZZ
@given(norm=_NUMBER, max_cost=_NUMBER)
def test_supply_with_random_norms(norm, max_cost):
    districts = gpd.GeoDataFrame({"id": ["1"], "ew": [100.0]}, crs=CRS, geometry=[
        Point(X0, Y0).buffer(800)])
    out = _ok_or_quartier_error(lambda: quartier.supply(
        districts, _supply([40.0]), demand_col="ew", capacity="plaetze", by_key="id",
        max_cost=max_cost, norm_per_1000=norm))
    if not isinstance(out, QuartierError):
        assert out.table["deficit"].notna().all()


@FUZZ
@given(x=_NUMBER, y=_NUMBER, crs=st.sampled_from([4326, 25832, 25833, 3035, 31468]))
def test_read_points_with_random_coordinates(x, y, crs):
    table = pd.DataFrame({"x": [x, X0], "y": [y, Y0], "plaetze": [1, 2]})
    _ok_or_quartier_error(lambda: quartier.read_facilities(table, x="x", y="y",
                                                           source_crs=crs))


@FUZZ
@given(cell=st.one_of(st.none(), _NUMBER), dx=st.floats(-1e7, 1e7), dy=st.floats(-1e7, 1e7))
def test_export_raster_with_random_cells(cell, dx, dy):
    points = gpd.GeoDataFrame({"v": [1.0, 2.0]}, crs=CRS, geometry=[
        Point(X0 + 50, Y0 + 50), Point(X0 + 50 + dx, Y0 + 50 + dy)])
    with tempfile.TemporaryDirectory() as folder:
        _ok_or_quartier_error(lambda: quartier.export_raster(
            points, "v", Path(folder) / "a.tif", cell_size=cell))


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1.0, 1e300])
def test_coverage_refuses_absurd_reaches(value):
    with pytest.raises(QuartierError):
        quartier.coverage(_demand([1.0, 2.0]), _supply([1.0]), demand_col="ew",
                          max_cost=value)


_COORD = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64),
                   st.sampled_from([0.0, 13.4, 52.5, 390_000.0, 5_820_000.0, 1e300, -1e300]))


@FUZZ
@given(points=st.lists(st.tuples(_COORD, _COORD), min_size=1, max_size=4),
       crs=st.sampled_from([None, "EPSG:4326", "EPSG:25832", "EPSG:25833", "EPSG:3035"]),
       as_polygons=st.booleans())
def test_geojson_with_random_coordinates(points, crs, as_polygons):
    import json

    def geometry(x, y):
        if not as_polygons:
            return {"type": "Point", "coordinates": [x, y]}
        ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y]]
        return {"type": "Polygon", "coordinates": [ring]}

    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": str(i), "plaetze": 1},
         "geometry": geometry(x, y)} for i, (x, y) in enumerate(points)]}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orte.geojson"
        path.write_text(json.dumps(data), encoding="utf-8")
        reader = (lambda: quartier.read_districts(path, key="id")) if as_polygons else (
            lambda: quartier.read_facilities(path, capacity="plaetze"))
        out = _ok_or_quartier_error(reader)
        if not isinstance(out, QuartierError):
            geoms = out.geometry[~out.geometry.is_empty]
            assert np.isfinite(geoms.bounds.to_numpy()).all()
