"""Future demand: hand calculations, growth vs projection tables, norms, reserve, deficits."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

import quartier
from quartier.errors import QuartierWarning, ValueParseError
from quartier.planning.projection import (
    future_demand,
    place_deficit,
    project_population,
    required_places,
)

BASE = pd.DataFrame({"plr": ["01", "02", "03"], "ew65": [1000, 500, 0]})


def test_hand_calculated_future_demand():
    # 2030: 1000 * 1.2 = 1200, 500 * 1.2 = 600, 0.
    # norm 35 per 1,000, reserve 5 %: 1200 * 0.035 * 1.05 = 44.1 -> 45; 600 -> 22.05 -> 23; 0 -> 0.
    # existing 40, 25, 0 places: deficits 5, -2, 0.
    out = future_demand(BASE, key="plr", value="ew65", base_year=2024, growth={2030: 1.2},
                        years=[2030], norm_per_1000=35, reserve=0.05,
                        existing=pd.Series({"01": 40, "02": 25}))
    assert out["population"].tolist() == [1200, 600, 0]
    assert out["places_exact"].tolist() == pytest.approx([44.1, 22.05, 0])
    assert out["required_places"].tolist() == [45, 23, 0]
    assert out["existing_places"].tolist() == [40, 25, 0]
    assert out["deficit"].tolist() == [5, -2, 0]
    assert list(out.columns[:4]) == ["district", "year", "group", "population"]


def test_growth_factors_equal_long_and_wide_tables():
    # growth relative to 2024: 2030 +10 % everywhere, 2035 +25 % in 01 and -10 % in 02
    growth = pd.DataFrame({"plr": ["01", "02", "03"], "2030": [1.1, 1.1, 1.1],
                           "2035": [1.25, 0.9, 1.0]})
    by_growth = project_population(BASE, key="plr", value="ew65", base_year=2024, growth=growth,
                                   years=[2030, 2035], group="65+")
    # the same as a long table split into two age groups (60 % / 40 %), with a total row
    rows = []
    for plr, ew in zip(BASE["plr"], BASE["ew65"], strict=True):
        for year in (2030, 2035):
            f = growth.set_index("plr").loc[plr, str(year)]
            rows += [(plr, "65-79", year, ew * f * 0.6), (plr, "80+", year, ew * f * 0.4),
                     (plr, "insgesamt", year, ew * f * 9)]
    long = pd.DataFrame(rows, columns=["plr", "alter", "jahr", "personen"])
    by_table = project_population(table=long, key="plr", year_col="jahr", group_col="alter",
                                  value_col="personen", groups=["65-79", "80+"], group="65+")
    pd.testing.assert_frame_equal(by_growth, by_table)
    wide = long.pivot_table(index=["plr", "alter"], columns="jahr", values="personen")
    wide.columns = [f"EW_{c}" for c in wide.columns]
    by_wide = project_population(table=wide.reset_index(), key="plr", group_col="alter",
                                 groups=["65-79", "80+"], group="65+")
    pd.testing.assert_frame_equal(by_growth, by_wide)
    with pytest.raises(ValueError, match=r"age groups in 'alter': .*'insgesamt'.*groups="):
        project_population(table=long, key="plr", year_col="jahr", group_col="alter",
                           value_col="personen")


def test_annual_growth_compounds_like_factors():
    rate = project_population(BASE, key="plr", value="ew65", base_year=2024, annual_growth=0.02,
                              years=[2024, 2030])
    factors = project_population(BASE, key="plr", value="ew65", base_year=2024,
                                 growth={2030: 1.02 ** 6}, years=[2024, 2030])
    pd.testing.assert_frame_equal(rate, factors)
    per = project_population(BASE, key="plr", value="ew65", base_year=2024, years=[2026],
                             annual_growth=pd.Series({"01": 0.1, "02": -0.1, "03": 0.0}))
    assert per["population"].tolist() == pytest.approx([1210, 405, 0])


def test_reserve_and_ceil():
    pop = pd.DataFrame({"district": ["a", "b", "c"], "year": 2030, "group": "u3",
                        "population": [2000.0, 1999.0, 0.5]})
    # 2000 * 10 / 1000 * 1.05 = 21 exactly on paper (21.000000000000004 in floats) -> 21,
    # 1999 -> 20.9895 -> 21; 0.5 -> 0.00525 -> 1 (a started place is a place)
    out = required_places(pop, norm_per_1000=10, reserve=0.05)
    assert out["required_places"].tolist() == [21, 21, 1]
    assert out["required_places"].dtype == np.int64
    no_reserve = required_places(pop, norm_per_1000={"u3": 10})
    assert no_reserve["required_places"].tolist() == [20, 20, 1]
    with pytest.raises(ValueError, match="no norm for group"):
        required_places(pop, norm_per_1000={"65+": 35})
    with pytest.raises(ValueError, match="reserve must be 0 or more"):
        required_places(pop, norm_per_1000=10, reserve=-0.1)


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="exactly one source"):
        project_population(BASE, key="plr", value="ew65", base_year=2024)
    with pytest.raises(ValueError, match=r"year\(s\) '2040' are not in the projection"):
        t = pd.DataFrame({"plr": ["01"], "2030": [5]})
        project_population(table=t, key="plr", years=[2040])
    with pytest.raises(ValueParseError, match="negative"):
        project_population(table=pd.DataFrame({"plr": ["01"], "2030": [-5]}), key="plr")
    with pytest.raises(quartier.ColumnError, match="neither a year column"):
        project_population(table=pd.DataFrame({"plr": ["01"], "n": [5]}), key="plr")


def test_deficit_from_facility_points():
    districts = gpd.GeoDataFrame({"id": ["01", "02"]},
                                 geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=25832)
    fac = gpd.GeoDataFrame({"plaetze": [10, 15, 7]},
                           geometry=[Point(10, 10), Point(20, 20), Point(500, 500)], crs=25832)
    req = pd.DataFrame({"district": ["01", "02"], "year": 2030, "group": "65+",
                        "required_places": [30, 5]})
    with pytest.warns(QuartierWarning, match="1 facilities lie in no district"):
        out = place_deficit(req, fac, capacity="plaetze", districts=districts, key="id")
    assert out["existing_places"].tolist() == [25, 0] and out["deficit"].tolist() == [5, 5]


def test_berlin_care_places_per_planning_area(shared):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        table = quartier.read_table(shared / "berlin_population" /
                                    "berlin-lor-population-2024-02-t2-planning-areas.csv", key="id")
        plr = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                      key="PLR_ID")
        homes = quartier.read_facilities(shared / "berlin_facilities" /
                                         "pflegeeinrichtungen.geojson", capacity="platzzahl")
        out = future_demand(table, key="id", value="inhabitants_age_above_65", base_year=2024,
                            annual_growth=0.01, years=[2030, 2035], group="65+",
                            norm_per_1000=35, reserve=0.05, existing=homes,
                            capacity="platzzahl", districts=plr.rename(columns={"PLR_ID": "id"}))
    assert len(out) == 2 * 542 and set(out["year"]) == {2030, 2035}
    y30 = out[out["year"] == 2030]
    expected = table["inhabitants_age_above_65"].sum() * 1.01 ** 6
    assert y30["population"].sum() == pytest.approx(expected)
    # every place of a care home inside Berlin is counted once per year
    inside = gpd.sjoin(homes, plr, predicate="within")
    places = inside["platzzahl"]
    assert places.notna().sum() > 0.9 * len(places)  # most homes report their places
    # homes without a place count add nothing (not a guessed number)
    assert y30["existing_places"].sum() == pytest.approx(places.sum(skipna=True))
    assert (y30["required_places"] >= y30["places_exact"]).all()
    assert ((y30["required_places"] - y30["places_exact"]) < 1).all()
