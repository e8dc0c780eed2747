"""Rates and aggregation to higher district levels (quartier.rates)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quartier
from quartier.errors import ColumnError, DistrictKeyError, QuartierWarning
from quartier.reporting.rates import aggregate, rate

POP = "berlin_population/berlin-lor-population-2024-02-t2-{}.csv"


def _counts(table):
    return [c for c in table.columns if c.startswith("inhabitants") and not c.endswith("percentage")]


@pytest.fixture(scope="module")
def t2_plr(shared):
    return quartier.read_table(shared / POP.format("planning-areas"), key="id")


@pytest.mark.parametrize(("level", "width"), [("district-regions", 6), ("districts", 2)])
def test_aggregate_reproduces_office_tables(shared, t2_plr, level, width):
    counts = _counts(t2_plr)
    ours = aggregate(t2_plr, to="id", key="id", by_prefix=width, counts=counts,
                     rates={"share_65": ("inhabitants_age_above_65", "inhabitants")})
    office = quartier.read_table(shared / POP.format(level), key="id")
    assert ours["id"].tolist() == sorted(office["id"])
    merged = ours.merge(office, on="id", suffixes=("", "_office"), validate="1:1")
    for c in counts:
        assert (merged[c] == merged[f"{c}_office"]).all(), c
        assert merged[c].dtype == "int64"
    np.testing.assert_allclose(merged["share_65"], merged["inhabitants_age_above_65_percentage"],
                               rtol=0, atol=1e-9)
    assert ours["n_areas"].sum() == len(t2_plr)
    # the unweighted mean of the Planungsraum shares is not the office's value
    naive = t2_plr.groupby(t2_plr["id"].str[:width])["inhabitants_age_above_65_percentage"].mean()
    assert (naive.to_numpy() - merged["share_65"].to_numpy()).__abs__().max() > 0.1


def test_aggregate_by_official_lookup(shared, t2_plr):
    lor = quartier.read_table(shared / "berlin_lor/LOR_2021_hierarchy.csv",
                              key="Planungsraum (Nummer)")
    counts = _counts(t2_plr)
    by_lookup = aggregate(t2_plr, to="Prognoseraum (Nummer)", key="id", lookup=lor,
                          lookup_key="Planungsraum (Nummer)", counts=counts)
    by_prefix = aggregate(t2_plr, to="Prognoseraum (Nummer)", key="id", by_prefix=4,
                          counts=counts)
    assert not by_lookup.attrs and not by_prefix.attrs and not t2_plr.attrs
    assert len(by_lookup) == 58
    pd.testing.assert_frame_equal(by_lookup, by_prefix, check_like=True)


def test_lookup_reports_unknown_keys():
    table = pd.DataFrame({"plr": ["01", "02", "03", "04"], "ew": [1, 2, 3, 4]})
    with pytest.raises(DistrictKeyError, match="2 key.*not in the lookup: '03', '04'"):
        aggregate(table, to="bzr", key="plr", lookup={"01": "A", "02": "A"})


def test_lookup_reports_areas_without_rows():
    table = pd.DataFrame({"plr": ["01", "02"], "ew": [1, 2]})
    with pytest.warns(QuartierWarning, match="1 district.*no row in the table: '03'"):
        out = aggregate(table, to="bzr", key="plr",
                        lookup=pd.Series({"01": "A", "02": "A", "03": "B"}))
    assert out.to_dict("list") == {"bzr": ["A"], "ew": [3], "n_areas": [2]}


def test_lookup_frame_needs_key():
    table = pd.DataFrame({"plr": ["01"], "ew": [1]})
    lookup = pd.DataFrame({"low": ["01"], "bzr": ["A"]})
    with pytest.raises(ColumnError, match="lookup_key="):
        aggregate(table, to="bzr", key="plr", lookup=lookup)
    assert aggregate(table, to="bzr", key="plr", lookup=lookup,
                     lookup_key="low")["bzr"].tolist() == ["A"]
    lookup = lookup.rename(columns={"low": "plr"})
    assert aggregate(table, to="bzr", key="plr", lookup=lookup)["bzr"].tolist() == ["A"]


def test_rates_recomputed_not_averaged():
    table = pd.DataFrame({"plr": ["0101", "0102"], "alo": [1, 90], "ew": [10, 900]})
    table = rate(table, "alo", "ew", name="quote")
    assert table["quote"].tolist() == [10.0, 10.0]
    table.loc[0, "alo"] = 9  # 90 %, the naive mean would be 50 %
    table = rate(table, "alo", "ew", name="quote")
    assert not table.attrs  # the rate's counts are named explicitly below
    out = aggregate(table, to="bez", key="plr", by_prefix=2, rates={"quote": ("alo", "ew")})
    assert out["quote"].iloc[0] == pytest.approx(99 / 910 * 100)
    assert not out.attrs


def test_rate_zero_denominator_is_nan_not_inf():
    out = rate(pd.DataFrame({"a": [0, 5, 1], "b": [0, 0, 4]}), "a", "b", per=1000)
    assert np.isnan(out["a_je_1000_b"].iloc[0]) and np.isnan(out["a_je_1000_b"].iloc[1])
    assert out["a_je_1000_b"].iloc[2] == 250
    assert not np.isinf(out["a_je_1000_b"]).any()


def test_rate_errors_name_column():
    df = pd.DataFrame({"Einwohner": [1], "name": ["x"]})
    with pytest.raises(ColumnError, match="'EW' not found.*Columns are: 'Einwohner'"):
        rate(df, "Einwohner", "EW")
    with pytest.raises(ColumnError, match="'name'.*not numeric.*to_numeric"):
        rate(df, "name", "Einwohner")


def test_aggregate_missing_cells_warn_and_stay_missing():
    table = pd.DataFrame({"plr": ["0101", "0102", "0201"], "n": [1.0, np.nan, 3.0]})
    with pytest.warns(QuartierWarning, match="'n' in '01'"):
        out = aggregate(table, to="bez", key="plr", by_prefix=2, counts=["n"])
    assert np.isnan(out["n"].iloc[0]) and out["n"].iloc[1] == 3


def test_aggregate_argument_errors():
    table = pd.DataFrame({"plr": ["0101", "1"], "n": [1, 2]})
    with pytest.raises(quartier.ParameterError, match="exactly one of by_prefix"):
        aggregate(table, to="bez", key="plr")
    with pytest.raises(DistrictKeyError, match="shorter than by_prefix=2: '1'.*key_width"):
        aggregate(table, to="bez", key="plr", by_prefix=2)
    with pytest.raises(ColumnError, match="no key column"):
        aggregate(table, to="bez", by_prefix=2)
    dup = pd.DataFrame({"plr": ["0101", "0101"], "n": [1, 2]})
    with pytest.raises(DistrictKeyError, match="duplicate key.*'0101'"):
        aggregate(dup, to="bez", key="plr", by_prefix=2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 99), st.integers(0, 500)), min_size=1, max_size=30,
                unique_by=lambda t: t[0]))
def test_aggregate_preserves_totals(rows):
    table = pd.DataFrame({"k": [f"{k:04d}" for k, _ in rows], "n": [n for _, n in rows]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = aggregate(table, to="top", key="k", by_prefix=3)
    assert out["n"].sum() == table["n"].sum()
    assert out["n_areas"].sum() == len(table)
