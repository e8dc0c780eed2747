"""Area-weighted and population-weighted interpolation between district systems.

Oracles: PySAL tobler (area weights), a hand computation with geopandas.overlay and
sjoin (population weights), direct raster sums (population weights reproduce them),
and hypothesis properties (mass preservation).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from shapely import Point, box

import quartier
from quartier.areas.interpolate import (
    InterpolationReport,
    area_interpolate,
    dasymetric_interpolate,
    interpolation_weights,
)
from quartier.areas.rasters import raster_sums
from quartier.errors import ColumnError, CRSError, QuartierWarning

INDICES = ["GESIx_2022", "ESIx_2022", "DI_2022", "DII_2022", "DIII_2022"]


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    scale = np.maximum(np.abs(b[ok]), 1e-12)
    return float(np.max(np.abs(a[ok] - b[ok]) / scale)) if ok.any() else 0.0


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        return func(*args, **kwargs)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def lor(shared):
    """Old (448) and new (542) Berlin Planungsräume, GSSA 2022 + EW 2020 on the old ones."""
    lor_dir = shared / "berlin_lor"
    raw = gpd.read_file(lor_dir / "lor_planungsraeume_until2020.shp")
    # The shapefile gives Charlottenburg-Wilmersdorf's "Schloßstraße" the key of
    # Steglitz-Zehlendorf's (06010102); GSSA and MSS tables know it as 04030417.
    wrong = (raw["broker Dow"] == "06010102") & (raw["BEZIRKSNAM"] == "Charlottenburg-Wilmersdorf")
    assert wrong.sum() == 1
    raw.loc[wrong, "broker Dow"] = "04030417"
    old = quartier.read_districts(raw, key="broker Dow", key_width=8)
    new = quartier.read_districts(lor_dir / "lor_planungsraeume_2021.shp", key="PLR_ID", key_width=8)
    gssa = quartier.read_table(shared / "berlin_gssa_2022" / "gssa_2022_planungsraeume.csv",
                               key="plrID", key_width=8)
    ew = quartier.read_table(
        shared / "berlin_mss_2021" / "raw_mss_2021_kontext_indikatoren_k08_k14_k15.csv",
        key="PLR_ID", key_width=8)
    old, report = quartier.join_indicators(old, gssa, left_on="broker Dow", right_on="plrID",
                                           key_width=8, strict=True)
    assert report.matched == 448
    with pytest.warns(QuartierWarning, match="09041403"):  # Allende II: no EW row in the MSS
        old, report = quartier.join_indicators(old, ew[["PLR_ID", "EW"]], left_on="broker Dow",
                                               right_on="PLR_ID", key_width=8)
    assert report.unmatched_districts == ["09041403"]
    zensus = shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus.tif"
    old = quiet(raster_sums, zensus, old, key="broker Dow", column="ew80").table
    new_80 = quiet(raster_sums, zensus, new, key="PLR_ID", column="ew80").table
    return {"old": old, "new": new, "new_80": new_80, "zensus": zensus}


@pytest.fixture(scope="module")
def cells(shared):
    """Zensus 2011 100 m cells (under 10 and 80+) as points: where people live."""
    grid = shared / "zensus2011_grid"
    parts = [
        quartier.read_points(grid / f"berlin_zensus2011_100m_age_{g}_cells.csv", x="x", y="y",
                             source_crs="EPSG:3035", crs="EPSG:25833")
        for g in ("under10", "80plus")
    ]
    return gpd.GeoDataFrame(pd.concat([p[["value", "geometry"]] for p in parts],
                                      ignore_index=True), crs="EPSG:25833")


@pytest.fixture(scope="module")
def area_result(lor):
    with pytest.warns(QuartierWarning, match="not fully covered"):
        return area_interpolate(
            lor["old"], lor["new"], extensive=["EW", "ew80"],
            intensive={**dict.fromkeys(INDICES, "EW"), "GESIx_2013": None},
            source_key="broker Dow", target_key="PLR_ID",
        )


def overlay_table(source, target):
    """Intersection areas by geopandas.overlay, in float64 (independent of quartier)."""
    pieces = gpd.overlay(source[["geometry"]].reset_index(names="si"),
                         target[["geometry"]].reset_index(names="ti"),
                         how="intersection", keep_geom_type=True)
    table = coo_matrix((pieces.area.to_numpy(), (pieces["si"], pieces["ti"])),
                       shape=(len(source), len(target))).tocsr()
    return pieces, table


def test_gssa_area_totals_preserved_and_losses_reported(lor, area_result):
    out, old = area_result.table, lor["old"]
    report = area_result.report
    assert isinstance(report, InterpolationReport) and report.method == "area"
    assert out["PLR_ID"].tolist() == lor["new"]["PLR_ID"].tolist()
    # complete counts (Zensus 80+ summed on the old PLR): nothing is lost but the border slivers
    t = report.totals.loc["ew80"]
    assert t["source"] == old["ew80"].sum()
    assert abs(t["target"] + t["outside"] - t["source"]) <= 1e-9 * t["source"]
    assert out["ew80"].sum() == pytest.approx(t["target"], rel=1e-12)
    assert 0 < t["outside_share"] < 1e-4  # the two LOR versions differ only in slivers
    lost = report.outside
    assert set(lost.index) <= set(old["broker Dow"])
    assert lost["ew80"].sum() == pytest.approx(t["outside"], rel=1e-9)
    # EW has one empty source (Allende II): the targets it reaches stay empty, and the
    # known counts that went there are accounted for
    e = report.totals.loc["EW"]
    assert report.missing_values["EW"] == ["09041403"]
    assert out["EW"].isna().sum() >= 1
    assert abs(e["target"] + e["outside"] + e["in_empty_targets"] - e["source"]) <= 1e-9 * e["source"]
    # the empty GSSA indices (unpopulated areas) are listed
    assert "01011102" in report.missing_values["GESIx_2022"]  # Großer Tiergarten


def test_gssa_area_agrees_with_tobler(lor, area_result):
    from tobler.area_weighted import area_interpolate as tobler_area

    old, new, out = lor["old"], lor["new"], area_result.table
    src = gpd.GeoDataFrame(geometry=old.geometry, crs=old.crs)
    src["EW"] = old["EW"].fillna(0.0).astype(float)  # tobler would fill NaN itself (read-only)
    src["ew80"] = old["ew80"].astype(float)
    src["g13"] = old["GESIx_2013"].fillna(0.0)
    src["g13_known"] = old["GESIx_2013"].notna().astype(float)
    for c in INDICES:  # rate weighted by denominator = ratio of two extensive interpolations
        ok = old[c].notna() & old["EW"].notna()
        src[f"{c}_num"] = np.where(ok, old[c] * old["EW"], 0.0)
        src[f"{c}_den"] = np.where(ok, old["EW"], 0.0)
    ext = ["EW", "ew80"] + [f"{c}_{p}" for c in INDICES for p in ("num", "den")]
    reached_by_missing = out["EW"].isna().to_numpy()

    # 1) tobler's own table (float32 areas): agreement limited by float32
    tb = tobler_area(src, new, extensive_variables=["ew80", "EW"],
                     intensive_variables=["g13", "g13_known"], allocate_total=False)
    assert rel_diff(out["ew80"], tb["ew80"]) < 1e-6
    assert rel_diff(out["GESIx_2013"], tb["g13"] / tb["g13_known"]) < 1e-5

    # 2) tobler's weighting on float64 areas from geopandas.overlay: 1e-9
    _, table = overlay_table(src, new)
    tb = tobler_area(src, new, extensive_variables=ext, intensive_variables=["g13", "g13_known"],
                     table=table, allocate_total=False)
    assert rel_diff(out["ew80"], tb["ew80"]) < 1e-9
    assert rel_diff(out["EW"][~reached_by_missing], tb["EW"][~reached_by_missing]) < 1e-9
    assert rel_diff(out["GESIx_2013"], tb["g13"] / tb["g13_known"]) < 1e-9
    for c in INDICES:
        expected = (tb[f"{c}_num"] / tb[f"{c}_den"]).to_numpy()
        assert rel_diff(out[c], expected) < 1e-9, c


def test_gssa_population_weights_against_hand_oracle(lor, cells):
    old, new = lor["old"], lor["new"]
    with pytest.warns(QuartierWarning):
        res = dasymetric_interpolate(old, new, extensive=["EW", "ew80"],
                                     intensive=dict.fromkeys(INDICES, "EW"),
                                     population=cells, population_col="value",
                                     source_key="broker Dow", target_key="PLR_ID")
    out, report = res.table, res.report
    t = report.totals.loc["ew80"]
    assert abs(t["target"] + t["outside"] - t["source"]) <= 1e-9 * t["source"]
    assert t["outside_share"] < 1e-3

    # Oracle: overlay pieces, people per piece by sjoin of the cells, then by hand
    pieces, _ = overlay_table(old, new)
    in_piece = gpd.sjoin(cells, pieces[["si", "ti", "geometry"]], predicate="within")
    in_piece = in_piece[~in_piece.index.duplicated()]
    pop_piece = in_piece.groupby(["si", "ti"])["value"].sum()
    in_src = gpd.sjoin(cells, old[["geometry"]], predicate="within")
    pop_src = in_src[~in_src.index.duplicated()].groupby("index_right")["value"].sum()
    pop_src = pop_src.reindex(range(len(old)), fill_value=0.0)
    pieces["pop"] = pop_piece.reindex(pd.MultiIndex.from_frame(pieces[["si", "ti"]]),
                                      fill_value=0.0).to_numpy()
    src_pop = pop_src.to_numpy()[pieces["si"]]
    src_area = old.area.to_numpy()[pieces["si"]]
    pieces["w"] = np.where(src_pop > 0, pieces["pop"] / np.where(src_pop > 0, src_pop, 1),
                           pieces.area / src_area)
    assert sorted(report.zero_population) == sorted(old["broker Dow"][pop_src.to_numpy() == 0])

    def by_hand(values):
        v = values.to_numpy(dtype=float)[pieces["si"]]
        return pd.Series(pieces["w"] * v).groupby(pieces["ti"]).sum().reindex(
            range(len(new)), fill_value=0.0).to_numpy()

    assert rel_diff(out["ew80"], by_hand(old["ew80"])) < 1e-9
    for c in INDICES:
        ok = old[c].notna() & old["EW"].notna()
        num = by_hand((old[c] * old["EW"]).where(ok, 0.0))
        den = by_hand(old["EW"].where(ok, 0.0))
        expected = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        assert rel_diff(out[c], expected) < 1e-9, c


def test_population_weights_reproduce_direct_raster_sums(lor):
    """80+ counts moved old -> new with the 80+ grid as weights = 80+ grid summed on new."""
    old = lor["old"][["broker Dow", "ew80", "geometry"]]
    with pytest.warns(QuartierWarning, match="without population"):
        out = dasymetric_interpolate(old, lor["new"], extensive="ew80", population=lor["zensus"],
                                     source_key="broker Dow", target_key="PLR_ID").table
    assert rel_diff(out["ew80"], lor["new_80"]["ew80"]) < 1e-9
    assert out["ew80"].sum() == pytest.approx(old["ew80"].sum(), rel=1e-9)


def test_raster_population_equals_csv_cells(lor, shared):
    old = lor["old"]
    cells = quartier.read_points(
        shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv",
        x="x", y="y", source_crs="EPSG:3035")  # stays in EPSG:3035: reprojected inside
    a = quiet(dasymetric_interpolate, old, lor["new"], extensive="EW",
              population=lor["zensus"], source_key="broker Dow", target_key="PLR_ID").table
    b = quiet(dasymetric_interpolate, old, lor["new"], extensive="EW", population=cells,
              population_col="value", source_key="broker Dow", target_key="PLR_ID").table
    assert rel_diff(a["EW"], b["EW"]) < 1e-12


# --------------------------------------------------------------------------- small cases


def squares(keys, boxes, crs="EPSG:25832", **cols):
    return gpd.GeoDataFrame({"key": keys, **cols}, geometry=[box(*b) for b in boxes], crs=crs)


def test_rates_with_denominator_and_missing_values():
    src = squares(["a", "b", "c"], [(0, 0, 1, 1), (1, 0, 2, 1), (2, 0, 3, 1)],
                  ew=[100.0, 300.0, 50.0], quote=[0.1, 0.3, np.nan])
    tgt = squares(["x"], [(0, 0, 3, 1)])
    with pytest.warns(QuartierWarning, match="without a value"):
        out = area_interpolate(src, tgt, extensive="ew",
                               intensive={"quote": "ew"}, source_key="key", target_key="key").table
    assert out["quote"].iloc[0] == pytest.approx((0.1 * 100 + 0.3 * 300) / 400, rel=1e-12)
    assert out["ew"].iloc[0] == pytest.approx(450.0)
    out = quiet(area_interpolate, src, tgt, intensive=["quote"], source_key="key").table
    assert out["quote"].iloc[0] == pytest.approx(0.2, rel=1e-12)  # area mean of known rates


def test_uncovered_source_and_empty_target_are_reported():
    src = squares(["a", "b"], [(0, 0, 2, 1), (10, 10, 11, 11)], ew=[100.0, 7.0])
    tgt = squares(["x", "y"], [(0, 0, 1, 1), (50, 50, 51, 51)])
    with pytest.warns(QuartierWarning) as caught:
        res = area_interpolate(src, tgt, extensive="ew", source_key="key", target_key="key")
    text = str(caught[0].message)
    assert "'b'" in text and "'y'" in text and "outside every target" in text
    out, report = res.table, res.report
    assert report.totals.loc["ew", "outside"] == pytest.approx(57.0)
    assert report.outside.loc["b", "ew"] == pytest.approx(7.0)
    assert report.outside.loc["a", "share"] == pytest.approx(0.5)
    assert report.targets_without_source == ["y"]
    assert out["ew"].tolist() == [50.0, 0.0]
    assert "außerhalb aller Zielgebiete" in report.text(lang="de")


def test_overlapping_targets_are_reported():
    src = squares(["a"], [(0, 0, 2, 1)], ew=[10.0])
    tgt = squares(["x", "y"], [(0, 0, 2, 1), (1, 0, 2, 1)])
    with pytest.warns(QuartierWarning, match="overlap"):
        out = area_interpolate(src, tgt, extensive="ew", source_key="key")
    assert out.report.overlapping == ["a"]


def test_weights_are_reusable_and_checked():
    src = squares(["a", "b"], [(0, 0, 1, 1), (1, 0, 2, 1)], ew=[10.0, 20.0], k=[1.0, 2.0])
    tgt = squares(["x", "y"], [(0, 0, 1.5, 1), (1.5, 0, 2, 1)])
    w = interpolation_weights(src, tgt, source_key="key", target_key="key")
    a = area_interpolate(src, tgt, extensive=["ew", "k"], weights=w, source_key="key",
                         target_key="key").table
    b = area_interpolate(src, tgt, extensive=["ew", "k"], source_key="key",
                         target_key="key").table
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    with pytest.raises(quartier.ParameterError, match="other districts"):
        area_interpolate(src, tgt.iloc[:1], extensive="ew", weights=w, source_key="key",
                         target_key="key")
    with pytest.raises(quartier.ParameterError, match="area weights"):
        dasymetric_interpolate(src, tgt, extensive="ew", weights=w, source_key="key",
                               target_key="key")


def test_dasymetric_zero_population_falls_back_to_area():
    src = squares(["a", "b"], [(0, 0, 2, 1), (2, 0, 4, 1)], ew=[90.0, 40.0])
    tgt = squares(["x", "y"], [(0, 0, 1, 1), (1, 0, 4, 1)])
    pop = gpd.GeoDataFrame({"p": [1.0, 2.0]}, geometry=[Point(0.5, 0.5), Point(1.5, 0.5)],
                           crs="EPSG:25832")
    with pytest.warns(QuartierWarning, match="without population"):
        res = dasymetric_interpolate(src, tgt, extensive="ew", population=pop,
                                     population_col="p", source_key="key")
    assert res.table["ew"].tolist() == pytest.approx([30.0, 60.0 + 40.0])
    assert res.report.zero_population == ["b"]


@st.composite
def partition(draw, width=100.0, height=60.0, max_cuts=5):
    """A random partition of the rectangle into a grid of rectangles."""
    xs = sorted(set(draw(st.lists(st.floats(1, width - 1), max_size=max_cuts))))
    ys = sorted(set(draw(st.lists(st.floats(1, height - 1), max_size=max_cuts))))
    xs, ys = [0.0, *xs, width], [0.0, *ys, height]
    return [(x0, y0, x1, y1)
            for x0, x1 in zip(xs[:-1], xs[1:], strict=True)
            for y0, y1 in zip(ys[:-1], ys[1:], strict=True)
            if x1 - x0 > 1e-6 and y1 - y0 > 1e-6]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=partition(), target=partition(),
       counts=st.lists(st.floats(0, 1e6), min_size=36, max_size=36),
       shrink=st.floats(0.3, 1.0))
def test_mass_is_preserved_on_random_partitions(source, target, counts, shrink):
    src = squares([str(i) for i in range(len(source))], source,
                  n=counts[: len(source)] + [0.0] * max(0, len(source) - 36))
    tgt = squares([str(i) for i in range(len(target))], target)
    total = src["n"].sum()
    out = area_interpolate(src, tgt, extensive="n").table
    assert abs(out["n"].sum() - total) <= 1e-9 * max(total, 1.0)
    # targets covering only part of the area: what is not placed is reported
    part = tgt.assign(geometry=tgt.scale(shrink, 1.0, origin=(0, 0)))
    res = quiet(area_interpolate, src, part, extensive="n")
    t = res.report.totals.loc["n"]
    assert abs(res.table["n"].sum() + t["outside"] - total) <= 1e-9 * max(total, 1.0)


# --------------------------------------------------------------------------- bad inputs


def test_geographic_crs_is_refused():
    src = squares(["a"], [(13.3, 52.4, 13.4, 52.5)], crs="EPSG:4326", ew=[1.0])
    with pytest.raises(CRSError, match="source is in EPSG:4326.*geographic.*EPSG:25833"):
        area_interpolate(src, src, extensive="ew")


def test_mismatched_crs_names_both_and_the_fix():
    src = squares(["a"], [(0, 0, 1, 1)], ew=[1.0])
    tgt = squares(["a"], [(0, 0, 1, 1)], crs="EPSG:25833")
    with pytest.raises(CRSError, match=r"EPSG:25832.*EPSG:25833.*to_crs\(source.crs\)"):
        area_interpolate(src, tgt, extensive="ew")


def test_missing_column_suggests_the_close_one():
    src = squares(["a"], [(0, 0, 1, 1)], Einwohner=[1.0])
    with pytest.raises(ColumnError, match="count column 'einwohner' not found.*'Einwohner'"):
        area_interpolate(src, src, extensive="einwohner")
    with pytest.raises(ColumnError, match="denominator column 'EW'"):
        area_interpolate(src, src, intensive={"Einwohner": "EW"})
    with pytest.raises(quartier.ParameterError, match="nothing to interpolate"):
        area_interpolate(src, src)


def test_negative_and_text_counts_are_refused():
    src = squares(["a", "b"], [(0, 0, 1, 1), (1, 0, 2, 1)], ew=[5.0, -3.0], txt=["1", "2"])
    with pytest.raises(quartier.DataError, match=r"'ew'.*negative.*'b: -3'.*intensive="):
        area_interpolate(src, src, extensive="ew", source_key="key")
    with pytest.raises(ColumnError, match="'txt' of source is not numeric"):
        area_interpolate(src, src, extensive="txt")
    # a negative rate (an index) is fine as intensive
    out = area_interpolate(src, src, intensive=["ew"], source_key="key").table
    assert out["ew"].tolist() == pytest.approx([5.0, -3.0])


def test_population_input_errors():
    src = squares(["a"], [(0, 0, 1, 1)], ew=[1.0])
    pop = gpd.GeoDataFrame({"p": [np.nan]}, geometry=[Point(0.5, 0.5)], crs="EPSG:25832")
    with pytest.raises(quartier.ParameterError, match="needs population="):
        dasymetric_interpolate(src, src, extensive="ew")
    with pytest.raises(ColumnError, match="population_col="):
        dasymetric_interpolate(src, src, extensive="ew", population=pop)
    with pytest.raises(quartier.DataError, match="empty value.*fillna"):
        dasymetric_interpolate(src, src, extensive="ew", population=pop, population_col="p")
    with pytest.raises(quartier.DataError, match="negative"):
        dasymetric_interpolate(src, src, extensive="ew", population=pop.assign(p=-1.0),
                               population_col="p")
