"""MSS-style composite index (quartier.index) against the official MSS 2021 tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import quartier
from quartier.errors import ColumnError
from quartier.reporting.index import PRESETS, IndexPreset, composite_index

MSS = "berlin_mss_2021/"
CASES = [
    ("berlin_mss_status", ["S1", "S3", "S4"], "SI_V", "Status-summe",
     "Status-Index (standardisierte Statussumme)", "Zuordnung Klasse Status-Index"),
    ("berlin_mss_dynamics", ["D1", "D3", "D4"], "DI_V", "Dynamik-summe",
     "Dynamik-Index (standardisierte Dynamik-summe)", "Zuordnung Klasse Dynamik-Index"),
]


@pytest.fixture(scope="module")
def mss(shared):
    return quartier.read_table(shared / MSS / "mss_2021.csv", key="PLR_ID")


@pytest.fixture(scope="module")
def official_z(shared):
    return quartier.read_table(
        shared / MSS / "jascha_mss_2021_index-indikatoren_z-werte_plr.csv", key="PLR-ID")


@pytest.mark.parametrize(("preset", "indicators", "label", "sum_col", "index_col", "class_col"),
                         CASES)
def test_reproduces_official_mss_2021(mss, official_z, preset, indicators, label, sum_col,
                                      index_col, class_col):
    result = composite_index(mss, indicators, preset=preset, population_col="EW", key="PLR_ID")
    out = result.table
    assert not out.attrs and not mss.attrs
    official = mss[label]
    has = official.notna()
    assert has.sum() == 536
    match = (out["index_class"][has] == official[has]).mean()
    assert match >= 0.99, match
    # the official "Zuordnung" column of the z-value table says the same
    merged = out.merge(official_z, left_on="PLR_ID", right_on="PLR-ID", validate="1:1")
    rated = merged[class_col].notna()
    assert (merged.loc[rated, "index_class"] == merged.loc[rated, class_col]).mean() >= 0.99
    # numbers: official ones are rounded to 2 decimals, the inputs to 5
    for ind in indicators:
        diff = (merged.loc[rated, f"z_{ind}"] - merged.loc[rated, f"z{ind}"]).abs()
        assert diff.max() <= 0.005 + 1e-5, ind
    assert (merged.loc[rated, "index_value"] - merged.loc[rated, index_col]).abs().max() <= 0.005 + 1e-5
    # the official sum is the sum of rounded z-values: up to 3 roundings apart
    assert (merged.loc[rated, "index_sum"] - merged.loc[rated, sum_col]).abs().max() <= 0.02
    # the areas without an official class are not rated, and say why
    not_rated = out.loc[~has, ["PLR_ID", "index_class"]].set_index("PLR_ID")["index_class"].to_dict()
    assert not_rated["03300515"] == "nicht bewertet (< 300 EW)"
    assert not_rated["03400831"] == "nicht bewertet (EW unbekannt)"
    assert not_rated["10100205"] == "nicht bewertet (fehlende Werte)"
    assert out.loc[~has, ["z_" + indicators[0], "index_value"]].isna().all().all()


def test_exclude_labels_outlier(mss):
    raw = mss.copy()
    raw.loc[raw["PLR_ID"] == "10100205", ["S1", "S3", "S4"]] = [99.0, 99.0, 99.0]
    out = composite_index(raw, ["S1", "S3", "S4"], population_col="EW", key="PLR_ID",
                          exclude={"10100205": "Ausreißer"}).table
    assert out.set_index("PLR_ID").loc["10100205", "index_class"] == "nicht bewertet (Ausreißer)"
    has = mss["SI_V"].notna()
    assert (out["index_class"][has] == mss["SI_V"][has]).all()
    with pytest.raises(quartier.DistrictKeyError, match="exclude lists key.*'999'.*leading zeros"):
        composite_index(raw, ["S1"], population_col="EW", key="PLR_ID", exclude=["999"])


def test_hand_computed_index_and_bands():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 10.0], "b": [2.0, 1.0, 4.0, 3.0, 12.0]})
    result = composite_index(df, {"a": 1.0, "b": 2.0}, preset="berlin_mss_status")
    out = result.table
    za = (df["a"] - df["a"].mean()) / df["a"].std(ddof=0)
    zb = (df["b"] - df["b"].mean()) / df["b"].std(ddof=0)
    total = za + 2 * zb
    index = (total - total.mean()) / total.std(ddof=0)
    np.testing.assert_allclose(out["z_a"], za)
    np.testing.assert_allclose(out["index_sum"], total)
    np.testing.assert_allclose(out["index_value"], index)
    expected = pd.cut(index, [-np.inf, -1, 1, 1.5, np.inf],
                      labels=["hoch", "mittel", "niedrig", "sehr niedrig"]).astype(str)
    assert out["index_class"].tolist() == expected.tolist()
    assert list(result.report.weights) == [1.0, 2.0]
    assert "weights 1, 2" in result.report.text(lang="en") and "IndexResult" in repr(result)


def test_value_on_cutoff_goes_to_middle_band():
    # z of [0, 2] with ddof=0 is exactly [-1, 1]
    out = composite_index(pd.DataFrame({"x": [0.0, 2.0]}), ["x"],
                          preset="berlin_mss_dynamics").table
    assert out["index_value"].tolist() == [-1.0, 1.0]
    assert out["index_class"].tolist() == ["stabil", "stabil"]


def test_configurable_labels_cutoffs_language():
    df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 20.0]})
    out = composite_index(df, ["x"], preset=None, class_bounds=[0],
                          class_labels=["unten", "oben"]).table
    assert out["index_class"].tolist() == ["unten"] * 5 + ["oben"]
    en = composite_index(df, ["x"], preset="berlin_mss_dynamics", lang="en").table
    assert set(en["index_class"]) <= {"positive", "stable", "negative"}
    custom = IndexPreset(class_bounds=(0.0,), class_labels=("gut", "schlecht"), min_population=2,
                         standardize=False)
    pop = df.assign(ew=[1, 5, 5, 5, 5, 5])
    out = composite_index(pop, ["x"], preset=custom, population_col="ew").table
    assert out["index_class"].iloc[0] == "nicht bewertet (< 2 EW)"
    en = composite_index(pop, ["x"], preset=custom, population_col="ew", lang="en").table
    assert en["index_class"].iloc[0] == "not rated (< 2 inhabitants)"
    assert PRESETS["berlin_mss_status"].min_population == 300


def test_negative_weight_turns_indicator_round():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 10.0]})
    up = composite_index(df, {"x": 1.0}).table
    down = composite_index(df, {"x": -1.0}).table
    np.testing.assert_allclose(up["index_value"], -down["index_value"])


def test_errors_say_what_to_fix():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": [5.0, 5.0, 5.0], "t": ["a", "b", "c"]})
    with pytest.raises(ColumnError, match="'y' not found"):
        composite_index(df, ["y"])
    with pytest.raises(quartier.DataError, match="'c'.*same value.*Leave them out"):
        composite_index(df, ["x", "c"])
    with pytest.raises(ColumnError, match="'t'.*not numeric"):
        composite_index(df, ["t"])
    with pytest.raises(quartier.ParameterError, match="2 cut-off.*3 classes.*2 label"):
        composite_index(df, ["x"], class_bounds=[-1, 1], class_labels=["a", "b"])
    with pytest.raises(quartier.ParameterError, match="1 weight.*2 indicator"):
        composite_index(df, ["x", "c"], weights=[1])
    with pytest.raises(quartier.ParameterError, match="unknown preset 'mss'"):
        composite_index(df, ["x"], preset="mss")
    with pytest.raises(quartier.DataError, match="only 1 district"):
        composite_index(df.assign(ew=[500, 10, 10]), ["x"], population_col="ew")
