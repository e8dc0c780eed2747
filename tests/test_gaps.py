"""Gaps: the right rows, ranked largest first, labels optional, keys kept."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

import quartier
from quartier.access.gaps import coverage_gaps, label_columns, supply_gaps
from quartier.access.provision import supply
from quartier.errors import ColumnError, QuartierWarning


@pytest.fixture
def three():
    d = gpd.GeoDataFrame(
        {"key": ["01", "02", "03"], "ew": [100, 500, 50]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
        crs="EPSG:25832")
    homes = gpd.GeoDataFrame({"ew": [10, 300, 200, 40, 50]},
                             geometry=[Point(100, 500), Point(1100, 500), Point(1900, 500),
                                       Point(2500, 500), Point(900, 900)], crs="EPSG:25832")
    fac = gpd.GeoDataFrame({"plaetze": [20]}, geometry=[Point(1000, 500)], crs="EPSG:25832")
    return d, homes, fac


def test_coverage_gaps_ranked_by_uncovered_population(three):
    d, homes, fac = three
    res = quartier.coverage(homes, fac, max_cost=300, demand_col="ew", by=d, by_key="key")
    # covered: (1100,500) 100 m, (900,900) 412 m no -> 01: 0 of 60; 02: 300 of 500; 03: 0 of 40
    g = coverage_gaps(res, min_share=0.9)
    assert g["key"].tolist() == ["02", "01", "03"]
    assert g["gap"].tolist() == [200.0, 60.0, 40.0] and g["rank"].tolist() == [1, 2, 3]
    assert isinstance(g, gpd.GeoDataFrame) and g.crs == d.crs
    assert coverage_gaps(res, min_share=0.5)["key"].tolist() == ["01", "03"]
    assert coverage_gaps(res, min_share=0.9, min_population=50)["key"].tolist() == ["02", "01"]
    units = coverage_gaps(res, level="units")
    assert units["ew"].tolist() == [200, 50, 40, 10]
    de = coverage_gaps(res, min_share=0.9, lang="de")
    assert "key" in de and "nicht versorgt (Personen)" in de and "Rang" in de


def test_sample_gaps_of_district_demand(three):
    d, _, fac = three
    res = quartier.coverage(d, fac, max_cost=300, demand_col="ew", demand_kind="districts")
    s = coverage_gaps(res, level="samples")
    assert (s["gap"] > 0).all() and s["gap"].is_monotonic_decreasing
    assert np.isclose(s["gap"].sum(), res.units["population"].sum()
                      - res.units["covered_population"].sum())
    with pytest.raises(ValueError, match="by="):
        coverage_gaps(res)


def test_supply_gaps_by_deficit(three):
    d, _, fac = three
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        res = supply(d, fac, demand_col="ew", capacity="plaetze", by_key="key", max_cost=1200,
                     norm_per_1000=100)
    s = res.table
    # the facility lies on the border of 01 and 02: in no district's interior (reported)
    assert res.report.unassigned_facilities == [0]
    g = supply_gaps(res)
    assert g["gap"].is_monotonic_decreasing and (g["gap"] > 0).all()
    assert np.allclose(g.set_index("key")["gap"], (s.set_index("key")["required_places"]
                                                   - s.set_index("key")["places"])[g["key"]])
    r = supply_gaps(res, view="in_reach")
    assert np.allclose(r.set_index("key")["gap"],
                       (s.set_index("key")["required_places"]
                        - s.set_index("key")["places_in_reach"])[r["key"]])
    low = supply_gaps(s, min_per_1000=1e-6)
    assert set(low["key"]) == set(s["key"][s["places"] == 0])
    with pytest.raises(ColumnError, match="max_cost"):
        supply_gaps(s.drop(columns=["places_in_reach"]), view="in_reach")


def test_labels():
    import pandas as pd

    f = pd.DataFrame({"PLR_ID": ["01"], "share_covered": [0.5]})
    assert label_columns(f, "en").columns.tolist() == ["PLR_ID", "share covered"]
    with pytest.raises(ValueError, match="lang"):
        label_columns(f, "fr")
