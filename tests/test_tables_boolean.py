"""Yes/no columns of a table are read as booleans, written in any case or as Excel shows
them in German (WAHR/FALSCH); other words stay text."""

from __future__ import annotations

import pandas as pd
import pytest

import quartier as q


@pytest.mark.parametrize("words", [("True", "False"), ("TRUE", "false"), ("WAHR", "FALSCH")])
def test_flags_become_booleans_with_missing_cells_kept(tmp_path, words):
    yes, no = words
    path = tmp_path / "t.csv"
    path.write_text(f"Planungsraum;ew;im_gebiet\n01011101;12;{yes}\n01011102;7;{no}\n"
                    "01011103;3;\n", encoding="utf-8")
    t = q.read_table(path, key="Planungsraum")
    assert str(t["im_gebiet"].dtype) == "boolean"
    assert t["im_gebiet"].tolist()[:2] == [True, False]
    assert t["im_gebiet"].isna().tolist() == [False, False, True]  # the empty cell is missing


def test_other_words_and_forced_text_stay_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id;antwort;flag\n1;ja;True\n2;nein;False\n3;True;True\n", encoding="utf-8")
    t = q.read_table(path, text_columns=["flag"])
    assert t["antwort"].tolist() == ["ja", "nein", "True"]  # not only flag words: text
    assert t["flag"].tolist() == ["True", "False", "True"]  # asked for as text


def test_zensus_cells_flag_in_city_is_boolean(shared):
    cells = q.read_points(shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv",
                          x="x", y="y", source_crs="EPSG:3035", crs="EPSG:25833")
    assert str(cells["in_city"].dtype) == "boolean"
    raw = pd.read_csv(shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv")
    assert int(cells["in_city"].sum()) == int(raw["in_city"].sum())  # pandas' own reading
