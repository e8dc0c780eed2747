"""join_indicators on the acceptance cases with real Berlin data."""

from __future__ import annotations

import csv
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

import quartier
from quartier.errors import ColumnError, JoinError


@pytest.fixture(scope="module")
def plr(shared):
    return quartier.read_districts(
        shared / "berlin_lor" / "lor_planungsraeume_2021.shp", key="PLR_ID", name="PLR_NAME"
    )


@pytest.fixture(scope="module")
def t2_path(shared):
    return shared / "berlin_population" / "berlin-lor-population-2024-02-t2-planning-areas.csv"


def _total_with_csv_module(path, column):
    with open(path, encoding="utf-8") as f:
        return sum(int(row[column]) for row in csv.DictReader(f))


def test_planungsraeume_join_population_t2_completely_and_keep_the_total(plr, t2_path):
    t2 = quartier.read_table(t2_path, key="id")
    joined, report = quartier.join_indicators(plr, t2, left_on="PLR_ID", right_on="id",
                                              strict=True)
    assert not joined.attrs and not t2.attrs
    assert report.matched == 542 and len(joined) == 542
    assert report.complete
    assert report.unmatched_districts == [] and report.unmatched_rows == []
    assert report.duplicate_keys == []
    expected = _total_with_csv_module(t2_path, "inhabitants")
    assert joined["inhabitants"].sum() == expected == t2["inhabitants"].sum()
    assert expected > 3_800_000  # Berlin
    assert "542 von 542" in report.text("de") and "542 of 542" in report.text("en")


def test_osm_points_with_lost_zeros_join_completely_with_key_width(plr, shared):
    pois = quartier.read_facilities(
        shared / "berlin_osm_pois" / "berlin-points-of-interest-community-centers-details.geojson"
    )
    # count community centres per Planungsraum: the table has one row per PLR id
    counts = (
        pd.DataFrame(pois.drop(columns="geometry"))
        .groupby("planning-area-id").size().rename("n").reset_index()
    )
    assert counts["planning-area-id"].astype(str).str.len().min() == 7  # zeros were lost
    with pytest.warns(quartier.QuartierWarning):
        _, without = quartier.join_indicators(
            plr, counts, left_on="PLR_ID", right_on="planning-area-id"
        )
    assert "key_width=8" in without.hint
    with pytest.warns(quartier.QuartierWarning):  # Planungsräume without a centre remain
        joined, report = quartier.join_indicators(
            plr, counts, left_on="PLR_ID", right_on="planning-area-id", key_width=8
        )
    assert report.unmatched_rows == []  # every table key found its Planungsraum
    assert report.matched == len(counts)
    assert joined["n"].sum() == len(pois)


def test_broken_keys_are_listed_exactly(plr, t2_path):
    t2 = quartier.read_table(t2_path, key="id")
    broken = t2.copy()
    originals = ["01100101", "04300414", "12601235"]
    replaced = {"01100101": "1100101", "04300414": "0430041X", "12601235": "99999999"}
    broken["id"] = broken["id"].replace(replaced)
    with pytest.warns(quartier.QuartierWarning):
        joined, report = quartier.join_indicators(plr, broken, left_on="PLR_ID", right_on="id")
    assert sorted(report.unmatched_districts) == sorted(originals)
    assert report.unmatched_rows == sorted(replaced.values())
    assert report.matched == 539
    assert joined.loc[joined["PLR_ID"].isin(originals), "inhabitants"].isna().all()
    text = str(report)
    for key in [*originals, *replaced.values()]:
        assert key in text
    with pytest.raises(JoinError) as err:
        quartier.join_indicators(plr, broken, left_on="PLR_ID", right_on="id", strict=True)
    assert "01100101" in str(err.value) and "strict=False" in str(err.value)


def _districts():
    return gpd.GeoDataFrame(
        {"id": ["01", "02", "03"], "name": ["A", "B", "C"]},
        geometry=[box(i, 0, i + 1, 1) for i in range(3)],
        crs="EPSG:25832",
    )


def test_duplicate_table_keys_are_reported_and_not_joined():
    table = pd.DataFrame({"id": ["01", "02", "02", "03"], "ew": [10, 20, 21, 30]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        joined, report = quartier.join_indicators(_districts(), table, on="id")
    assert report.duplicate_keys == ["02"]
    assert report.matched == 2
    assert joined["ew"].tolist()[0] == 10 and pd.isna(joined["ew"].tolist()[1])
    assert len(joined) == 3  # no district row was duplicated


def test_column_clash_gets_suffix_and_missing_key_column_is_named():
    table = pd.DataFrame({"id": ["01", "02", "03"], "name": ["x", "y", "z"]})
    joined, _ = quartier.join_indicators(_districts(), table, on="id")
    assert joined["name"].tolist() == ["A", "B", "C"]
    assert joined["name_table"].tolist() == ["x", "y", "z"]
    with pytest.raises(ColumnError, match="key column 'id' not found in 'table'. Did you mean 'ID'"):
        quartier.join_indicators(_districts(), table.rename(columns={"id": "ID"}), on="id")


def test_keys_must_be_named():
    with pytest.raises(ColumnError, match="left_on=.*right_on=.*on="):
        quartier.join_indicators(_districts(), pd.DataFrame({"id": ["01"]}))
    with pytest.raises(ColumnError, match="right_on=") as err:
        quartier.join_indicators(_districts(), pd.DataFrame({"id": ["01"]}), left_on="id")
    assert "left_on=" not in str(err.value).split("Pass")[1].split(",")[0]
    with pytest.raises(JoinError, match="either on= or left_on="):
        quartier.join_indicators(_districts(), pd.DataFrame({"id": ["01"]}), on="id",
                                 left_on="id")


def test_integer_keys_are_compared_as_strings_after_padding():
    table = pd.DataFrame({"id": [1, 2, 3], "ew": [1.5, 2.5, 3.5]})
    joined, report = quartier.join_indicators(_districts(), table, on="id", key_width=2)
    assert report.complete and joined["ew"].tolist() == [1.5, 2.5, 3.5]
    assert joined["id"].tolist() == ["01", "02", "03"]


def test_rate_links_survive_the_join_under_the_joined_names():
    import geopandas as gpd
    from shapely import box

    import quartier
    from quartier.errors import ColumnError

    d = gpd.GeoDataFrame({"id": ["01", "02", "03"], "ew": [10, 20, 30]},
                         geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs="EPSG:25832")
    t = pd.DataFrame({"id": ["01", "02", "03"], "EW": [900.0, 800.0, 700.0],
                      "u1": [1.0, 40.0, 50.0], "quote": [1 / 900, 40 / 800, 50 / 700]})
    joined, report = quartier.join_indicators(d, t, on="id", rates={"quote": ("u1", "EW")})
    assert report.renamed == {"EW": "EW_table"}          # "EW" clashes with "ew" in GIS files
    assert report.rates == {"quote": ("u1", "EW_table")}
    assert "attrs" not in repr(report) and joined.attrs == {}
    out = quartier.apply_disclosure(joined, rules=quartier.DisclosureRules(
        min_count=3, count_columns=("u1", "EW_table")), rates=report.rates)
    # 1 person under one year: the count and its rate are suppressed (and a complement)
    assert np.isnan(out.table.loc[0, "u1"]) and np.isnan(out.table.loc[0, "quote"])
    assert out.suppressed.loc[0, "quote"]
    with pytest.raises(ColumnError, match="'nenner'"):
        quartier.join_indicators(d, t, on="id", rates={"quote": ("u1", "nenner")})
