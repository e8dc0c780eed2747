"""Reporting years: changes per district and shared class breaks (quartier.years)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import quartier
from quartier.errors import ColumnError, DistrictKeyError, QuartierWarning
from quartier.output.maps import class_breaks
from quartier.reporting.years import change, shared_breaks


def test_change_kinds_by_hand():
    a = pd.DataFrame({"k": ["1", "2", "3"], "n": [100, 0, 50], "q": [10.0, 20.0, 30.0]})
    b = pd.DataFrame({"k": ["3", "2", "1"], "n": [40, 5, 110], "q": [33.0, 18.0, 12.0]})
    out = change(a, b, ["n", "q"], key="k").table
    assert out["n_change"].tolist() == [10, 5, -10]
    assert out.columns.tolist() == ["k", "n_a", "n_b", "n_change", "q_a", "q_b", "q_change"]
    pct = change(a, b, "n", key="k", kind="percent").table
    assert pct["n_change"].iloc[0] == pytest.approx(10.0)
    assert np.isnan(pct["n_change"].iloc[1])  # from 0: no percentage
    assert pct["n_change"].iloc[2] == pytest.approx(-20.0)
    result = change(a, b, "q", key="k", kind="points", suffixes=("2022", "2024"))
    pts = result.table
    np.testing.assert_allclose(pts["q_change"], [2.0, -2.0, 3.0])
    report = result.report
    assert (report.kind, report.only_in_a, report.only_in_b) == ("points", (), ())
    assert pts.columns.tolist() == ["k", "q_2022", "q_2024", "q_change"]
    assert not pts.attrs and not a.attrs


def test_change_reports_districts_of_one_year():
    a = pd.DataFrame({"k": ["1", "2"], "n": [1, 2]})
    b = pd.DataFrame({"k": ["2", "9"], "n": [3, 4]})
    with pytest.warns(QuartierWarning, match="1 district.*first year \\('1'\\).*second \\('9'\\)"):
        result = change(a, b, "n", key="k")
    out = result.table
    assert out["k"].tolist() == ["1", "2", "9"]
    assert list(result.report.only_in_a) == ["1"]
    assert list(result.report.only_in_b) == ["9"]


def test_change_errors():
    a = pd.DataFrame({"k": ["1", "1"], "n": [1, 2]})
    with pytest.raises(DistrictKeyError, match="duplicate key.*'1'"):
        change(a, a, "n", key="k")
    b = pd.DataFrame({"k": ["1"], "n": [1]})
    with pytest.raises(quartier.ParameterError, match="unknown kind 'ratio'"):
        change(b, b, "n", key="k", kind="ratio")
    with pytest.raises(ColumnError, match="'m' not found"):
        change(b, b, "m", key="k")


def test_change_real_years_2022_2024(shared):
    pop = shared / "berlin_population"
    y22 = quartier.read_table(pop / "einwohnerbestand_06-2022_plr.csv", key="PLR-ID", key_width=8)
    y24 = quartier.read_table(pop / "berlin-lor-population-2024-02-t1-planning-areas.csv", key="id")
    y24 = y24.rename(columns={"id": "PLR-ID", "inhabitants": "Gesamt"})
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        result = change(y22, y24, "Gesamt", key="PLR-ID", suffixes=("2022", "2024"))
    out, report = result.table, result.report
    assert list(report.only_in_a) == sorted(set(y22["PLR-ID"]) - set(y24["PLR-ID"]))
    assert list(report.only_in_b) == sorted(set(y24["PLR-ID"]) - set(y22["PLR-ID"]))
    assert len(out) == len(set(y22["PLR-ID"]) | set(y24["PLR-ID"]))
    both = out.dropna(subset=["Gesamt_change"])
    assert (both["Gesamt_2024"] - both["Gesamt_2022"] == both["Gesamt_change"]).all()
    assert both["Gesamt_change"].sum() == both["Gesamt_2024"].sum() - both["Gesamt_2022"].sum()
    breaks = shared_breaks([y22, y24], "Gesamt", k=5)
    assert breaks[-1] == max(y22["Gesamt"].max(), y24["Gesamt"].max())


def test_shared_breaks_pool_all_years():
    y1 = pd.Series([1.0, 2.0, 3.0, np.nan])
    y2 = pd.DataFrame({"q": [10.0, 20.0, 30.0]})
    pooled = pd.Series([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
    assert shared_breaks({"2020": y1, "2024": y2["q"]}, k=3) == class_breaks(pooled, k=3)
    assert shared_breaks([y2, y2.assign(q=y1.iloc[:3].to_numpy())], "q", scheme="equal_interval",
                         k=2) == class_breaks(pooled, scheme="equal_interval", k=2)
    with pytest.raises(quartier.ParameterError, match="name the column"):
        shared_breaks([y2])
    with pytest.raises(quartier.ParameterError, match="at least one year"):
        shared_breaks([])


def test_shared_breaks_feed_choropleth():
    import geopandas as gpd
    from shapely import box

    breaks = shared_breaks([pd.Series([1.0, 5.0]), pd.Series([2.0, 9.0])], k=2)
    d = gpd.GeoDataFrame({"q": [1.0, 9.0]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
                         crs="EPSG:25832")
    m = quartier.choropleth(d, "q", scheme="user_defined", bins=breaks, tiles=None)
    assert m is not None
