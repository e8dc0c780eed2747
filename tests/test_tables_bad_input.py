"""Bad table input never crashes, never misleads (issue #15, classes "CSV structure" and
"Encodings"): every example of the issue with its message checked.

The vectorised reader and the cell-by-cell reader give the same results (tests/
test_tables_fast.py); the cases here go through whichever path read_table takes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

import quartier
from quartier.batch.config import load_config
from quartier.errors import (
    ConfigError,
    InputFileError,
    ParameterError,
    QuartierWarning,
    ValueParseError,
)
from quartier.io import _xlsx


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def facilities_text(n: int = 20) -> str:
    """n facilities with UTM coordinates (EPSG:25832), header at line 1, facility i at i+2."""
    return "name;adresse;x;y\n" + "".join(
        f"Kita {i};Hauptstr. {i};{400_000 + 10 * i};{5_700_000 + 10 * i}\n" for i in range(n))


# --- CSV structure: stray quotes -------------------------------------------------------------


def test_stray_quote_does_not_merge_facilities(tmp_path):
    # "20 facilities become 13 with merged names": a quote opened in line 7, closed in line 14
    text = facilities_text().replace("Kita 5;", '"Kita 5;', 1).replace("Kita 12;", 'Kita 12";', 1)
    path = write(tmp_path, "kitas.csv", text)
    message = (r"line 7 of '.*kitas.csv' opens a quote \(\"\) that is only closed in line 14: "
               r"lines 7 to 14 would be read as one cell \('Kita 5;Hauptstr. 5;400050;5700050 "
               r"\.\.\.'\). Remove the stray quote, or write a quote inside a cell twice")
    with pytest.raises(InputFileError, match=message):
        quartier.read_table(path)
    with pytest.raises(InputFileError, match=message):
        quartier.read_facilities(path, source_crs="EPSG:25832")


def test_stray_quote_does_not_turn_the_rest_into_a_footnote(tmp_path):
    # "151 rows vanish as one footnote": the quote is never closed
    text = facilities_text(200).replace("Kita 49;", '"Kita 49;', 1)
    path = write(tmp_path, "kitas.csv", text)
    with pytest.raises(InputFileError, match=r"line 51 of .* opens a quote \(\"\) that is never "
                                             r"closed: lines 51 to 201 would be read as one cell"):
        quartier.read_table(path)


def test_quotes_inside_and_around_cells_are_still_read(tmp_path):
    text = ('name;art;plätze\n"Kita ""Sonne""; Nord";Kita;"1.234"\nHaus "Eiche";Treff;12\n'
            '"Zeile\nzwei";Treff;3\n')
    df = quartier.read_table(write(tmp_path, "t.csv", text))
    assert df["name"].tolist() == ['Kita "Sonne"; Nord', 'Haus "Eiche"', "Zeile\nzwei"]
    assert df["plätze"].tolist() == [1234, 12, 3]


# --- CSV structure: footnotes are text lines, not data rows ----------------------------------


def test_last_row_without_coordinates_is_not_dropped_as_footnote(tmp_path):
    path = write(tmp_path, "kitas.csv", facilities_text(5) + "Kita Z;;;\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuartierWarning)  # nothing skipped
        df = quartier.read_table(path)
    assert df["name"].tolist()[-1] == "Kita Z" and len(df) == 6
    assert np.isnan(df["x"].iloc[-1])
    with pytest.raises(ValueParseError, match=r"1 facility has no usable coordinates .* "
                                              r"at line\(s\) '7' of the file"):
        quartier.read_facilities(path, source_crs="EPSG:25832")


def test_last_row_with_fewer_fields_is_kept_and_reported(tmp_path):
    path = write(tmp_path, "kitas.csv", facilities_text(5) + "Kita Z\n")
    with pytest.warns(QuartierWarning, match=r"1 line\(s\) of '.*kitas.csv' have fewer fields "
                                             r"than the header \(4\): line\(s\) 7; their missing "
                                             r"cells were read as empty"):
        df = quartier.read_table(path)
    assert len(df) == 6 and df["name"].iloc[-1] == "Kita Z"


def test_footnotes_below_the_table_are_still_skipped(tmp_path):
    text = (facilities_text(3) + "Quelle: Jugendamt;;;\n* vorläufig;;;\n"
            "Stand 31.12.2023\n")
    with pytest.warns(QuartierWarning, match=r"skipped 3 line\(s\).*line 5 \(Quelle: Jugendamt\)"):
        df, rep = quartier.read_table(write(tmp_path, "t.csv", text), report=True)
    assert len(df) == 3 and rep.skipped_lines == (5, 6, 7)
    keys = "Schlüssel;Einwohner\n01;1.000\n02;2.000\n03;3.000\nDaten des Amtes;\n"
    with pytest.warns(QuartierWarning, match=r"line 5 \(Daten des Amtes\)"):
        assert len(quartier.read_table(write(tmp_path, "k.csv", keys))) == 3


# --- CSV structure: the decimal mark decided on all cells ------------------------------------


def _one_point_file(tmp_path) -> Path:
    text = "Stadtteil;Einwohner;Anteil\n" + "".join(
        f"S{i};{i + 10}.{i * 7 % 1000:03d};{i}\n" for i in range(20)) + "S99;1.234;0.5\n"
    return write(tmp_path, "t.csv", text)


def test_one_point_cell_does_not_turn_thousands_into_decimals(tmp_path):
    path = _one_point_file(tmp_path)
    with pytest.raises(ValueParseError) as info:
        quartier.read_table(path)
    msg = str(info.value)
    assert "the decimal mark of '" in msg and "is unclear: 21 number(s) such as '10.000' " \
        "(column 'Einwohner', line 2), '11.007' (column 'Einwohner', line 3)" in msg
    assert "1 cell(s) such as '0.5' (column 'Anteil', line 22) have a decimal point" in msg
    assert "'10.000' would become 10.0 instead of 10000" in msg
    assert "Pass decimal=',' (thousands='.')" in msg and "or decimal='.'" in msg
    # either fix works as the message says
    assert quartier.read_table(path, decimal=".")["Einwohner"].iloc[1] == 11.007
    with pytest.raises(ValueParseError, match=r"column 'Anteil' .* '0\.5' \(line 22\)"):
        quartier.read_table(path, decimal=",")


def test_decimal_points_in_most_cells_still_decide(tmp_path):
    # many decimal points and few 12.345-like cells: a file with decimal points, no conflict
    text = "k;a\n" + "".join(f"K{i};{i}.25\n" for i in range(10)) + "K10;12.345\n"
    df = quartier.read_table(write(tmp_path, "t.csv", text))
    assert df["a"].iloc[-1] == 12.345


def test_thousands_alone_sets_the_decimal_mark(tmp_path):
    path = write(tmp_path, "t.csv", "a;b\n1.234;2,5\n5;6\n")
    df = quartier.read_table(path, thousands=".")
    assert df["a"].tolist() == [1234, 5] and df["b"].tolist() == [2.5, 6.0]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"sep": ";;"}, r"sep must be one character"),
    ({"sep": '"'}, r"sep must be one character"),
    ({"decimal": ";"}, r"decimal must be ',' or '\.', not ';'"),
    ({"decimal": ",", "thousands": ","}, r"thousands must be one character .* other than"),
    ({"encoding": "utf-99"}, r"unknown encoding 'utf-99'"),
])
def test_bad_options_are_parameter_errors(tmp_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        quartier.read_table(write(tmp_path, "t.csv", "a;b\n1;2\n"), **kwargs)


# --- Encodings ------------------------------------------------------------------------------


def test_excel_unicode_text_utf16_with_bom_tab_separated(tmp_path):
    text = "Stadtteil\tEinwohner\tAnteil\r\nMünchen-Süd\t1.234\t12,5\r\nKöln\t5.678\t3,0\r\n"
    path = write(tmp_path, "export.txt", "\ufeff" + text, "utf-16-le")
    df, rep = quartier.read_table(path, report=True)
    assert (rep.encoding, rep.sep) == ("utf-16", "\t")
    assert list(df.columns) == ["Stadtteil", "Einwohner", "Anteil"]
    assert df["Stadtteil"].tolist() == ["München-Süd", "Köln"]
    assert df["Einwohner"].tolist() == [1234, 5678] and df["Anteil"].tolist() == [12.5, 3.0]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(tmp_path, codec):
    path = write(tmp_path, "t.csv", "Straße;n\nÖsterreich;1\n", codec)
    df, rep = quartier.read_table(path, report=True)
    assert rep.encoding == codec and df["Straße"].tolist() == ["Österreich"]


def test_utf8_bom_and_cp1252_facilities(tmp_path):
    text = facilities_text(3).replace("Kita", "Kita Müller")
    for codec, name in (("utf-8-sig", "bom.csv"), ("cp1252", "ansi.csv"),
                        ("utf-16", "unicode.txt")):
        gdf = quartier.read_facilities(write(tmp_path, name, text, codec),
                                       source_crs="EPSG:25832")
        assert list(gdf.columns)[0] == "name", codec
        assert gdf["name"].tolist() == ["Kita Müller 0", "Kita Müller 1", "Kita Müller 2"], codec


def test_wrong_encoding_is_a_clear_error(tmp_path):
    path = write(tmp_path, "t.csv", "Größe;b\nx;1\n", "cp1252")
    with pytest.raises(InputFileError, match=r"cannot be read as utf-8: byte f6 at line 1 "
                                             r"\(invalid start byte\)\. Leave encoding= out"):
        quartier.read_table(path, encoding="utf-8")
    utf8 = write(tmp_path, "u.csv", "a;b\n1;2\n")
    with pytest.raises(InputFileError, match=r"does not look like utf-16 text .* The file is "
                                             r"valid UTF-8: pass encoding='utf-8'"):
        quartier.read_table(utf8, encoding="utf-16")
    odd = tmp_path / "odd.csv"
    odd.write_bytes(b"\xff\xfea\x00;\x00b\x00\n\x00x")
    with pytest.raises(InputFileError, match=r"looks like UTF-16 text .* cannot be read as "
                                             r"utf-16: .*Save it again as 'CSV UTF-8'"):
        quartier.read_table(odd)


def test_utf8_dbf_without_cpg(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": ["1", "2"], "name": ["München", "Köln"]},
        geometry=[shapely.box(400_000, 5_700_000, 401_000, 5_701_000),
                  shapely.box(401_000, 5_700_000, 402_000, 5_701_000)], crs="EPSG:25832")
    gdf.to_file(tmp_path / "d.shp", encoding="UTF-8")
    (tmp_path / "d.cpg").unlink()
    assert gpd.read_file(tmp_path / "d.shp")["name"].tolist() != ["München", "Köln"]  # garbled
    districts = quartier.read_districts(tmp_path / "d.shp", key="id", name="name")
    assert districts["name"].tolist() == ["München", "Köln"]
    # a .dbf in Windows-1252 without .cpg is still read as GDAL reads it
    gdf.to_file(tmp_path / "w.shp", encoding="cp1252")
    (tmp_path / "w.cpg").unlink()
    assert quartier.read_districts(tmp_path / "w.shp", key="id")["name"].tolist() == [
        "München", "Köln"]


CONFIG = '[project]\nname = "Größe Süd"\n[districts]\npath = "d.gpkg"\nkey = "id"\n'


@pytest.mark.parametrize("codec", ["cp1252", "utf-16", "utf-8-sig", "utf-16-le"])
def test_config_in_other_encodings(tmp_path, codec):
    gpkg = tmp_path / "d.gpkg"
    gpd.GeoDataFrame({"id": ["1"]}, geometry=[shapely.box(0, 0, 1, 1)],
                     crs="EPSG:25832").to_file(gpkg)
    path = write(tmp_path, "analysis.toml", CONFIG, codec)
    config = load_config(path)
    assert config.project["name"] == "Größe Süd"


def test_config_in_an_unreadable_encoding(tmp_path):
    path = tmp_path / "analysis.toml"
    path.write_bytes(b'[project]\nname = "\x81\x8d"\n')
    with pytest.raises(ConfigError, match=r"analysis.toml, line 2: not UTF-8 text \(byte 81\)\. "
                                          r"Save it as UTF-8"):
        load_config(path)


# --- XLSX: calamine and openpyxl give the same -------------------------------------------


def test_xlsx_calamine_and_openpyxl_agree(tmp_path, monkeypatch):
    import datetime as dt

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Daten"
    for row in ([None], ["Tabelle 1: Einwohner"], [None, "Bezirk", "Einwohner", "Anteil",
                                                    "Stand"],
                [None, "Mitte", 1234, 12.5, dt.datetime(2023, 12, 31)],
                [None, "Pankow", "x", 3.25, dt.datetime(2024, 1, 1)],
                [None, "Spandau", 7, None, None], [None], ["Quelle: Amt"]):
        ws.append(row)
    path = tmp_path / "t.xlsx"
    book.save(path)
    results = []
    for calamine in (_xlsx.python_calamine, None):
        if calamine is None and _xlsx.python_calamine is None:
            pytest.skip("python-calamine not installed")
        monkeypatch.setattr(_xlsx, "python_calamine", calamine)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df, rep = quartier.read_table(path, report=True)
        results.append((df, rep, [str(w.message) for w in caught]))
    (a, ra, wa), (b, rb, wb) = results
    pd.testing.assert_frame_equal(a, b)
    assert wa == wb and ra.skipped_lines == rb.skipped_lines == (2, 8)
    pd.testing.assert_frame_equal(ra.suppressed, rb.suppressed)
    assert a["Einwohner"].tolist()[0] == 1234 and np.isnan(a["Einwohner"].iloc[1])


def test_broken_xlsx_is_a_clear_error(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputFileError, match=r"cannot read '.*t.xlsx' as an Excel workbook"):
        quartier.read_table(path)


def test_facility_errors_name_the_lines_of_the_file(tmp_path):
    # a title and a blank line above the header: the row of B is line 5 of the file, not 3
    path = write(tmp_path, "t.csv", "Kitas 2023\n\nname;x;y\nA;400000;5700000\nB;;5700010\n"
                                    "C;400020;5700020\n")
    with pytest.warns(QuartierWarning, match="line 1 \\(Kitas 2023\\)"), \
            pytest.raises(ValueParseError, match=r"at line\(s\) '5' of the file"):
        quartier.read_facilities(path, source_crs="EPSG:25832")


def test_large_file_without_pyarrow_says_how_to_read_it_faster(tmp_path, monkeypatch):
    from quartier.io import _fastcsv, tables

    monkeypatch.setattr(_fastcsv, "available", lambda: False)
    monkeypatch.setattr(_fastcsv, "layout", lambda *a, **k: None)
    monkeypatch.setattr(tables, "_LARGE", 3)
    path = write(tmp_path, "t.csv", "a;b\n1;2\n3;4\n5;6\n")
    with pytest.warns(QuartierWarning, match=r"reading 4 lines of '.*t.csv' cell by cell; with "
                                             r"pyarrow installed \(pip install \"quartier\[fast\]\""):
        assert quartier.read_table(path)["a"].tolist() == [1, 3, 5]
