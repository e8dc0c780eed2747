"""Keys stay strings (property tests), and exports are atomic."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import Point

import quartier
from quartier.errors import DistrictKeyError, InputFileError
from quartier.keys import normalize_keys


@given(st.lists(st.integers(0, 99_999_999), min_size=1, max_size=50))
def test_numbers_that_lost_zeros_are_repaired_by_key_width(numbers):
    padded = [f"{n:08d}" for n in numbers]
    as_int = normalize_keys(pd.Series(numbers), key_width=8)
    as_float = normalize_keys(pd.Series([float(n) for n in numbers]), key_width=8)
    as_text = normalize_keys(pd.Series([str(n) for n in numbers]), key_width=8)
    assert as_int.tolist() == as_float.tolist() == as_text.tolist() == padded


@given(st.lists(st.text(alphabet="0123456789", min_size=1, max_size=10), min_size=1))
def test_text_keys_are_never_changed_without_key_width(keys):
    assert normalize_keys(pd.Series(keys)).tolist() == keys


def test_empty_keys_name_their_rows():
    with pytest.raises(DistrictKeyError, match=r"1 empty key.*column 'id'.*row\(s\) '2'"):
        normalize_keys(pd.Series(["01", None, "03"]), column="id")


def test_export_replaces_atomically_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    pts = gpd.GeoDataFrame({"n": [1, 2]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:25832")
    path = tmp_path / "ergebnis.gpkg"
    quartier.export_layers({"a": pts}, path)
    before = path.read_bytes()

    calls = {"n": 0}
    original = gpd.GeoDataFrame.to_file

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing)
    with pytest.raises(OSError, match="simulated"):
        quartier.export_layers({"a": pts, "b": pts}, path)
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ergebnis.gpkg"]  # no leftovers


def test_export_rejects_case_clash_and_wrong_suffix(tmp_path):
    clash = gpd.GeoDataFrame(
        {"name": ["a"], "Name": ["b"]}, geometry=[Point(0, 0)], crs="EPSG:25832"
    )
    with pytest.raises(InputFileError, match="'name' and 'Name'"):
        quartier.export_layers({"x": clash}, tmp_path / "x.gpkg")
    with pytest.raises(InputFileError, match=r"\*\.gpkg"):
        quartier.export_layers({"x": clash}, tmp_path / "x.shp")
