"""read_table's vectorised CSV path gives what the cell-by-cell reader gives (issue #19).

Each file is read twice: as read_table reads it (the vectorised path where the file is plain
enough) and with the vectorised path switched off (the cell-by-cell reader). Frames, reports,
warnings and error messages must be identical.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import quartier
from quartier.errors import QuartierError
from quartier.io import _fastcsv

pytestmark = pytest.mark.skipif(not _fastcsv.available(), reason="pyarrow not installed")

CASES = {
    "german": "Schlüssel;Einwohner;Quote\n01;1.234;12,5\n02;.;-\n03;12.345.678;x\n04;7;0,5\n",
    "grid": "x;y;Einwohner\n4321050;3210050;12\n4321150;3210050;.\n4321250;3210050;-\n"
            "4321350;3210050;3\n",
    "titles_footnotes": "Tabelle 1: Einwohner\nStand 31.12.2023\n\nBezirk;Einwohner;Anteil\n"
                        "Mitte;385.000;12,4\nPankow;410.716;13,1\nNeukölln;330.000;x\n"
                        "Spandau;250.000;8,0\n\nQuelle: Amt für Statistik\n",
    "unit_row": "Bezirk;Einwohner;Fläche\n;Anzahl;km²\nMitte;385.000;39,5\nPankow;410.716;103,0\n"
                "Spandau;250.000;91,9\nNeukölln;330.000;44,9\n",
    "one_point_cell": "a;b\n" + "".join(f"{i};{i},5\n" for i in range(20)) + "20;0.5\n",
    "decimal_point": "name,value,share\na,1200.5,0.25\nb,3.5,.707\nc,-0.25,1\n",
    "comma_groups": "name,value\na,\"1,234.5\"\nb,2.5\nc,7\n",
    "unicode": "k;v;w\nA;\u22121.234;1\u00a0234\nB;\u2212 5;12\u202f345,5\nC;7;9\nD;8;1\n",
    "few_text": "k;v\nA;1\nB;2\nC;n.v.\nD;kein Wert\n",
    "many_bad": "k;v\n" + "".join(f"K{i};{i}\n" for i in range(30)) + "K30;abc\nK31;1.2.3\n",
    "phone_and_zero": "name;telefon;plz\nKita A;+49 30 1234567;01067\nKita B;+49 30 7654321;10115\n",
    "crlf": "a;b;c\r\n1;2,5;x\r\n2;3,5;4\r\n3;.;5\r\n",
    "empty_cells": "a;b;c\n1;;3\n2;;\n3;;4\n",
    "trailing_sep": "a;b;\n1;2;\n3;4;\n",
    "na_values": "a;b\n1;k.A.\n2;3\n3;4\n4;5\n",
    "exponent": "a,b\n1,1e5\n2,2.5E-3\n3,4\n",
    "repeated_header": "a;a;b\n1;2;3\n4;5;6\n",
    "inner_tab": "k;v\nA;1\t234\nB;2\nC;3\nD;+4\n",
    "huge_ints": "k;v\nA;9223372036854775807\nB;2\nC;3\n",
    "plain_ints": "k;v;w\n0101;+1;5\n0102;-2;6\n0103;3;\n",
    "spaces_in_body": "k ; v\n A ; 1 \n B ;2,5\nC; 3\n",
    # quotes (#19: quoted files on the vectorised path; #15: stray quotes named)
    "quoted": 'name;wert;anteil\n"Kita ""Sonne""; Nord";"1.234";"12,5"\n"Haus B";5;1,0\n'
              'C;"";2,0\nD;7;"x"\n',
    "quoted_crlf": '"a";"b"\r\n"x;y";"1"\r\n"z";"2"\r\n"w";""\r\n',
    "quote_inside_cell": 'k;v\nHaus "Sonne";1\nB;2\nC;3\n',
    "quoted_multiline": 'k;v\n"Zeile\nzwei";1\nB;2\n',
    "stray_quote": "name;x;y\n" + "".join(("\"" if i == 3 else "") + f"K{i};{i};{i}\n"
                                           for i in range(9)),
    # footnotes and data rows below the table (#15)
    "last_row_empty_cells": "name;x;y\nA;1;2\nB;3;4\nC;5;6\nD;;\n",
    "footnote_below_keys": "Schlüssel;Einwohner\n01;1.000\n02;2.000\n03;3.000\n"
                           "Daten des Amtes;\n",
    "decimal_conflict": "k;n;a\n" + "".join(f"K{i};{i + 10}.{i:03d};{i}\n" for i in range(9))
                        + "K9;1.234;0.5\n",
}


def _read(path, fast: bool, monkeypatch, **kwargs):
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(_fastcsv, "layout", lambda *a, **k: None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = quartier.read_table(path, report=True, **kwargs)
            except QuartierError as err:
                result = (type(err), str(err))
    return result, [str(w.message) for w in caught]


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_path_equals_cell_by_cell(tmp_path, monkeypatch, name):
    path = tmp_path / f"{name}.csv"
    path.write_text(CASES[name], encoding="utf-8")
    kwargs = {"na_values": "k.A."} if name == "na_values" else {}
    fast, fast_warnings = _read(path, True, monkeypatch, **kwargs)
    slow, slow_warnings = _read(path, False, monkeypatch, **kwargs)
    assert fast_warnings == slow_warnings
    if isinstance(slow[0], type):
        assert fast == slow
        return
    (df_fast, rep_fast), (df_slow, rep_slow) = fast, slow
    pd.testing.assert_frame_equal(df_fast, df_slow)
    pd.testing.assert_frame_equal(rep_fast.suppressed, rep_slow.suppressed)
    assert rep_fast.text(lang="en") == rep_slow.text(lang="en")
    assert (rep_fast.decimal, rep_fast.thousands, rep_fast.skipped_lines) == (
        rep_slow.decimal, rep_slow.thousands, rep_slow.skipped_lines)


def test_plain_files_take_the_vectorised_path(tmp_path, monkeypatch):
    calls = []
    original = _fastcsv.layout
    monkeypatch.setattr(_fastcsv, "layout",
                        lambda *a, **k: calls.append(original(*a, **k)) or calls[-1])
    for name in ("german", "grid", "titles_footnotes", "unit_row", "unicode", "crlf", "quoted",
                 "quoted_crlf"):
        path = tmp_path / f"{name}.csv"
        path.write_text(CASES[name], encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quartier.read_table(path)
    assert all(lay is not None for lay in calls) and len(calls) == 8


def test_one_point_cell_does_not_flip_a_german_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(CASES["one_point_cell"], encoding="utf-8")
    with pytest.raises(quartier.errors.ValueParseError, match=r"'0\.5' \(line 22\)"):
        quartier.read_table(path)


def test_grid_with_suppressed_cells(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text(CASES["grid"], encoding="utf-8")
    df, rep = quartier.read_table(path, report=True)
    assert df["x"].dtype == np.int64
    assert df["Einwohner"].dtype == np.float64
    assert df["Einwohner"].isna().tolist() == [False, True, False, False]
    assert df["Einwohner"].iloc[2] == 0
    assert rep.suppressed["Einwohner"].tolist() == [False, True, False, False]


def test_bad_cells_are_named_with_their_lines(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(CASES["many_bad"], encoding="utf-8")
    with pytest.raises(quartier.errors.ValueParseError,
                       match=r"'abc' \(line 32\), '1\.2\.3' \(line 33\)"):
        quartier.read_table(path)


def _long(body_rows: int = 2500, middle: str = "", tail: str = "Quelle: Amt;;\n") -> str:
    lines = [f"K{i:05d};" + f"{(i * 37) % 20000:,}".replace(",", ".") + f";{i % 97},{i % 10}"
             if i % 50 else f"K{i:05d};.;-" for i in range(body_rows)]
    if middle:
        lines[body_rows // 2] = middle
    return "Tabelle 7\n\nSchlüssel;Einwohner;Anteil\n" + "\n".join(lines) + "\n" + tail


LONG = {
    "long_plain": _long(),
    "long_no_footnote": _long(tail=""),
    "long_blank_line_inside": _long(middle=""),
    "long_ragged_row_inside": _long(middle="K99999;1;2;3"),
    "long_short_row_inside": _long(middle="K99999;1"),
    "long_spaces_inside": _long(middle=" K99999 ; 1 914 ; 2,5 "),
    "long_two_footnotes": _long(tail="Quelle: Amt;;\n1) vorläufig\n"),
    "long_quoted": _long(middle='"K;99";"1.914";"2,5"'),
    "long_quoted_stray": _long(middle='"K99;1;2'),
    "long_quoted_unclosed": _long().replace("\nK0", '\n"K 0'),
    "long_quoted_names": re.sub(r"\n(K\d{5});", r'\n"\1; Haus ""A""";', _long()),
}


@pytest.mark.parametrize("name", sorted(LONG))
def test_long_files_read_from_their_first_and_last_lines(tmp_path, monkeypatch, name):
    # files from _fastcsv.BIG bytes on: line statistics only of the first and last lines,
    # pyarrow confirms the lines between; the same results as cell by cell
    monkeypatch.setattr(_fastcsv, "BIG", 0)
    path = tmp_path / f"{name}.csv"
    path.write_text(LONG[name], encoding="utf-8")
    fast, fast_warnings = _read(path, True, monkeypatch)
    slow, slow_warnings = _read(path, False, monkeypatch)
    assert fast_warnings == slow_warnings
    if isinstance(slow[0], type):
        assert fast == slow
        return
    (df_fast, rep_fast), (df_slow, rep_slow) = fast, slow
    pd.testing.assert_frame_equal(df_fast, df_slow)
    pd.testing.assert_frame_equal(rep_fast.suppressed, rep_slow.suppressed)
    assert rep_fast.text(lang="en") == rep_slow.text(lang="en")
    assert rep_fast.skipped_lines == rep_slow.skipped_lines


def test_long_plain_file_takes_the_short_way(tmp_path, monkeypatch):
    monkeypatch.setattr(_fastcsv, "BIG", 0)
    calls = []
    original = _fastcsv._layout
    monkeypatch.setattr(_fastcsv, "_layout",
                        lambda *a, **k: calls.append((k["big"], original(*a, **k))) or calls[-1][1])
    path = tmp_path / "long.csv"
    path.write_text(LONG["long_plain"], encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quartier.read_table(path)
    assert [(big, lay is not None) for big, lay in calls] == [(True, True)]
