"""Disclosure control: minimum counts, secondary suppression, rates, rounding, export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quartier
from quartier.errors import ColumnError, QuartierWarning
from quartier.reporting.disclosure_control import (
    apply_disclosure,
    disclosure,
    get_disclosure,
    protect_table,
    set_disclosure,
)
from quartier.reporting.rates import rate


def flags(mask: pd.DataFrame) -> dict[str, list[int]]:
    """``{column: [row positions]}`` of the True cells of a suppression mask."""
    return {c: np.flatnonzero(mask[c].to_numpy()).tolist() for c in mask.columns
            if mask[c].any()}


@pytest.fixture(autouse=True)
def _off():
    set_disclosure(None)
    yield
    set_disclosure(None)


def test_off_returns_frame_unchanged():
    df = pd.DataFrame({"n": [1, 2]})
    result = apply_disclosure(df)
    assert result.table is df
    assert not result.suppressed.to_numpy().any()
    assert list(result.suppressed.columns) == ["n"] and not df.attrs


def test_single_column_primary_and_secondary():
    df = pd.DataFrame({"plr": ["01", "02", "03", "04"], "n": [2, 50, 9, 0]})
    set_disclosure(3)
    result = apply_disclosure(df)
    out = result.table
    # 2 is primary; the smallest positive other cell (9, not the 0) goes as well
    assert out["n"].isna().tolist() == [True, False, True, False]
    assert out["n"].iloc[[1, 3]].tolist() == [50, 0]
    assert flags(result.suppressed) == {"n": [0, 2]}
    assert df["n"].tolist() == [2, 50, 9, 0]  # input untouched
    assert not out.attrs and not df.attrs
    set_disclosure(3, secondary=False)
    assert flags(apply_disclosure(df).suppressed) == {"n": [0]}


def test_two_primary_cells_need_no_secondary():
    df = pd.DataFrame({"n": [1, 2, 30, 40]})
    with disclosure(3):
        out = apply_disclosure(df)
    assert flags(out.suppressed) == {"n": [0, 1]}


def test_key_like_and_text_columns_are_not_counts():
    df = pd.DataFrame({"id": [1, 2, 3], "Jahr": [2024, 2024, 2024], "PLR_NR": [1, 2, 3],
                       "name": ["a", "b", "c"], "anteil": [1.5, 20.0, 0.5], "n": [1, 10, 20]})
    with disclosure(3):
        out = apply_disclosure(df)
    assert list(flags(out.suppressed)) == ["n"]
    assert out.table["id"].tolist() == [1, 2, 3] and out.table["PLR_NR"].tolist() == [1, 2, 3]
    with disclosure(3, count_columns=["anteil"]):  # named counts only
        out = apply_disclosure(df)
    assert flags(out.suppressed) == {"anteil": [0, 2]}
    with disclosure(3, count_columns=["name"]), pytest.raises(ColumnError, match="'name'"):
        apply_disclosure(df)


def test_rates_follow_their_counts():
    df = pd.DataFrame({"alo": [2, 40, 30, 50], "ew": [100, 800, 700, 900]})
    df = rate(df, "alo", "ew", name="quote")
    df["quote2"] = df["quote"]
    assert not df.attrs  # rate() records nothing: the link is passed explicitly
    with disclosure(3, rate_columns={"quote2": ("alo", "ew")}):
        out = apply_disclosure(df, rates={"quote": ("alo", "ew")})
    assert flags(out.suppressed)["alo"] == [0, 2]
    assert flags(out.suppressed)["quote"] == [0, 2]
    assert flags(out.suppressed)["quote2"] == [0, 2]
    assert out.table["quote"].iloc[1] == pytest.approx(5.0)
    # the same through explicit rules= instead of the rules in force
    rules = quartier.DisclosureRules(min_count=3)
    again = apply_disclosure(df, rules=rules, rates={"quote": ("alo", "ew")})
    assert flags(again.suppressed) == {"alo": [0, 2], "quote": [0, 2]}


def test_row_totals_protect_rows():
    df = pd.DataFrame({"ew": [100, 200, 300], "u6": [2, 20, 30], "ab6": [98, 180, 270]})
    with disclosure(3, row_totals={"ew": ["u6", "ab6"]}):
        out = apply_disclosure(df)
    sup = flags(out.suppressed)
    # row 0: u6 is primary, so ab6 (not the total) goes too; columns then need a second cell
    assert sup["u6"] == [0, 1] and sup["ab6"] == [0, 1]
    assert "ew" not in sup


def test_office_flags_are_merged(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("plr;n;m\n0101;1;.\n0102;40;50\n0103;30;60\n0104;45;70\n", encoding="utf-8")
    df, report = quartier.read_table(path, key="plr", report=True)
    assert flags(report.suppressed) == {"m": [0]}
    with disclosure(3, count_columns=["n", "m"]):
        out = apply_disclosure(df, suppressed=report.suppressed)
    assert flags(out.suppressed)["m"][0] == 0
    assert flags(out.suppressed)["n"] == [0, 2]


def test_rounding_and_context_manager():
    df = pd.DataFrame({"n": [12, 17, 33, 1000]})
    set_disclosure(3)
    with disclosure(None, round_to=5):
        assert get_disclosure().round_to == 5
        assert apply_disclosure(df).table["n"].tolist() == [10, 15, 35, 1000]
    assert get_disclosure().min_count == 3  # restored
    with pytest.raises(ValueError, match="min_count must be a positive whole number"):
        set_disclosure(0)


def test_export_layers_applies_disclosure(tmp_path):
    import geopandas as gpd
    from shapely import Point

    gdf = gpd.GeoDataFrame({"n": [1, 50, 60]}, geometry=[Point(0, 0), Point(1, 1), Point(2, 2)],
                           crs="EPSG:25832")
    with disclosure(3):
        [path] = quartier.export_layers({"x": gdf}, tmp_path / "out.gpkg")
    back = gpd.read_file(path, layer="x")
    assert back["n"].isna().tolist() == [True, True, False]


def test_protect_table_with_margins():
    t = pd.DataFrame({"u6": [2, 10, 5, 17], "6_15": [8, 30, 20, 58], "ges": [10, 40, 25, 75]},
                     index=["Nord", "Süd", "Ost", "Summe"])
    out = protect_table(t, 3, total_row="Summe", total_column="ges")
    sup = flags(out.suppressed)
    assert list(out.suppressed.index) == list(t.index) and not out.table.attrs
    assert sup["u6"] == [0, 2] and sup["6_15"] == [0, 2]  # the smallest partners
    assert "ges" not in sup
    with pytest.raises(ColumnError, match="needs a minimum count"):
        protect_table(t)
    with pytest.raises(ColumnError, match="total_row 'Gesamt'"):
        protect_table(t, 3, total_row="Gesamt")


def test_unprotectable_cell_is_reported():
    with disclosure(3), pytest.warns(QuartierWarning, match="column 'n'"):
        apply_disclosure(pd.DataFrame({"n": [2]}))


def _equations(n, m):
    return [[(i, j) for i in range(n)] for j in range(m)] + [
        [(i, j) for j in range(m)] for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 7).flatmap(lambda n: st.integers(2, 5).flatmap(
    lambda m: st.lists(st.lists(st.integers(0, 12), min_size=m, max_size=m),
                       min_size=n, max_size=n))), st.integers(2, 5))
def test_property_no_cell_recoverable_from_a_total(cells, min_count):
    inner = pd.DataFrame(cells, columns=[f"g{j}" for j in range(len(cells[0]))])
    inner["ges"] = inner.sum(axis=1)
    table = pd.concat([inner, inner.sum().to_frame().T], ignore_index=True)
    table.index = [*range(len(inner)), "Summe"]
    result = protect_table(table, min_count, total_row="Summe", total_column="ges")
    out = result.table
    values = table.to_numpy(dtype=float)
    hidden = out.isna().to_numpy()
    n, m = values.shape
    # every primary cell is hidden, flags say exactly what is hidden
    assert (hidden[(values > 0) & (values < min_count)]).all()
    flagged = np.zeros_like(hidden)
    for c, rows in flags(result.suppressed).items():
        flagged[rows, table.columns.get_loc(c)] = True
    assert (flagged == hidden).all()
    # no row or column (margins included) with exactly one hidden cell
    for eq in _equations(n, m):
        assert sum(hidden[i, j] for i, j in eq) != 1, eq
    # published cells are untouched
    assert (out.to_numpy(dtype=float)[~hidden] == values[~hidden]).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=2, max_size=15), st.integers(2, 6))
def test_property_single_column_with_total(counts, min_count):
    df = pd.DataFrame({"n": counts})
    with disclosure(min_count):
        out = apply_disclosure(df).table
    hidden = out["n"].isna().to_numpy()
    values = np.asarray(counts, dtype=float)
    assert hidden[(values > 0) & (values < min_count)].all()
    assert hidden.sum() != 1
    assert (out["n"].to_numpy()[~hidden] == values[~hidden]).all()


def test_masks_follow_labels_through_sort_filter_and_concat():
    df = pd.DataFrame({"plr": ["01", "02", "03", "04"], "n": [2, 50, 9, 40]},
                      index=[10, 11, 12, 13])
    with disclosure(3):
        result = apply_disclosure(df)
    assert flags(result.suppressed) == {"n": [0, 2]}
    # sort the protected table: its mask still marks the districts 01 and 03 (by label)
    ordered = result.table.sort_values("n", ascending=False, na_position="first")
    again = apply_disclosure(ordered, suppressed=result.suppressed)
    assert again.suppressed.index.tolist() == ordered.index.tolist()
    hidden = again.table.loc[again.suppressed["n"], "plr"].tolist()
    assert sorted(hidden) == ["01", "03"]
    # a mask from another order is matched by label, not by position
    shuffled = result.suppressed.loc[[13, 12, 11, 10]]
    assert apply_disclosure(df, suppressed=shuffled).suppressed["n"].tolist() == [
        True, False, True, False]
    # concat two years with their masks (same RangeIndex labels twice): still lined up
    a = pd.DataFrame({"n": [1, 30, 40]})
    b = pd.DataFrame({"n": [50, 2, 60]})
    with disclosure(3, secondary=False):
        ra, rb = apply_disclosure(a), apply_disclosure(b)
    both = pd.concat([ra.table, rb.table], ignore_index=True)
    mask = pd.concat([ra.suppressed, rb.suppressed], ignore_index=True)
    back = apply_disclosure(both, suppressed=mask)
    assert back.suppressed["n"].tolist() == [True, False, False, False, True, False]
    assert back.table["n"].isna().tolist() == back.suppressed["n"].tolist()
    # a merge keeps values and the mask travels with the key
    names = pd.DataFrame({"plr": ["01", "02", "03", "04"], "name": ["A", "B", "C", "D"]})
    merged = result.table.merge(names, on="plr")
    mask = result.suppressed.set_index(df["plr"]).loc[merged["plr"]].set_axis(merged.index)
    assert merged.loc[mask["n"], "name"].tolist() == ["A", "C"]
    assert merged.loc[~mask["n"], "n"].tolist() == [50, 40]


def test_mask_with_repeated_labels_in_another_order_is_refused():
    df = pd.DataFrame({"n": [1, 30]}, index=[0, 0])
    mask = pd.DataFrame({"n": [True, False]}, index=[0, 1])
    with pytest.raises(ColumnError, match="repeated labels"):
        apply_disclosure(df, suppressed=mask)


def test_no_attrs_written():
    df = pd.DataFrame({"plr": ["01", "02", "03"], "n": [2, 50, 40], "ew": [10, 90, 80]})
    assert not rate(df, "n", "ew").attrs
    with disclosure(3):
        assert not apply_disclosure(df).table.attrs
        assert not protect_table(df[["n", "ew"]], 3).table.attrs
    assert not df.attrs
