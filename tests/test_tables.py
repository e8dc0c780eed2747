"""Tests of quartier.io.tables.read_table."""

from __future__ import annotations

import csv
import gzip
import math
import os
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quartier
from quartier.errors import (
    ColumnError,
    DistrictKeyError,
    InputFileError,
    QuartierWarning,
    ValueParseError,
)
from quartier.io.tables import read_table


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_quiet(path, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuartierWarning)
        return read_table(path, **kwargs)


def flags(report) -> dict[str, list[int]]:
    """``{column: [row positions]}`` of the suppressed cells of a TableReport."""
    return {c: np.flatnonzero(report.suppressed[c].to_numpy()).tolist()
            for c in report.suppressed.columns}


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


# --- separators, encodings -------------------------------------------------------------


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_separator_is_detected(tmp_path, sep):
    text = sep.join(["Bezirk", "Einwohner", "Fläche"]) + "\n"
    text += sep.join(["Mitte", "100", "2"]) + "\n" + sep.join(["Pankow", "200", "3"]) + "\n"
    df, rep = read_quiet(write(tmp_path, "t.csv", text), report=True)
    assert list(df.columns) == ["Bezirk", "Einwohner", "Fläche"]
    assert df["Einwohner"].tolist() == [100, 200]
    assert rep.sep == sep


def test_semicolon_file_with_decimal_commas_is_not_split_on_commas(tmp_path):
    path = write(tmp_path, "t.csv", "a;b\n1,5;2,25\n3,5;4,75\n")
    df, rep = read_quiet(path, report=True)
    assert rep.sep == ";"
    assert df["a"].tolist() == [1.5, 3.5]
    assert df["b"].tolist() == [2.25, 4.75]


def test_quoted_separator_inside_cell(tmp_path):
    path = write(tmp_path, "t.csv", 'Name,Wert\n"Mitte, Alt",1.5\n"Wedding",2.5\n')
    df = read_quiet(path)
    assert df["Name"].tolist() == ["Mitte, Alt", "Wedding"]
    assert df["Wert"].tolist() == [1.5, 2.5]


def test_sep_override(tmp_path):
    path = write(tmp_path, "t.txt", "a|b;c\n1|2;3\n4|5;6\n")
    df, rep = read_quiet(path, sep=";", report=True)
    assert list(df.columns) == ["a|b", "c"]
    assert rep.sep == ";"


def test_utf8_bom_does_not_end_up_in_first_column(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfPLR-ID;Einw\xc3\xb6hner\r\n01100101;5\r\n01100102;6\r\n")
    df, rep = read_quiet(path, report=True)
    assert list(df.columns) == ["PLR-ID", "Einwöhner"]
    assert rep.encoding == "utf-8-sig"


def test_cp1252_fallback(tmp_path):
    path = write(tmp_path, "t.csv", "Stadtteil;Bevölkerung\nEißendorf;1.234\nÖjendorf;12\n", "cp1252")
    df, rep = read_quiet(path, report=True)
    assert df["Stadtteil"].tolist() == ["Eißendorf", "Öjendorf"]
    assert df["Bevölkerung"].tolist() == [1234, 12]
    assert rep.encoding == "cp1252"


def test_encoding_override(tmp_path):
    # latin-1 bytes of "Größe"; forced as cp1252 reads the same, forced utf-8 fails loudly,
    # with a QuartierError naming the byte and its line (no raw UnicodeDecodeError, #15)
    path = write(tmp_path, "t.csv", "Größe;b\nx1;1\nx2;2\n", "latin-1")
    assert read_quiet(path, encoding="cp1252").columns[0] == "Größe"
    with pytest.raises(InputFileError, match=r"cannot be read as utf-8: byte f6 at line 1"):
        read_table(path, encoding="utf-8")


def test_gzip_csv(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress("a;b\nx;1,5\ny;2\n".encode("cp1252")))
    df = read_quiet(path)
    assert df["b"].tolist() == [1.5, 2.0]


# --- numbers -----------------------------------------------------------------------------


def test_decimal_comma_and_dot_thousands(tmp_path):
    path = write(tmp_path, "t.csv", "a;b\n1.234,5;1.234.567\n12,6;-3\n")
    df, rep = read_quiet(path, report=True)
    assert df["a"].tolist() == [1234.5, 12.6]
    assert df["b"].tolist() == [1234567, -3]
    assert (rep.decimal, rep.thousands) == (",", ".")


def test_decimal_point_in_semicolon_file(tmp_path):
    path = write(tmp_path, "t.csv", "a;b;c\n-0.25;.70700312;1200.5\n1.30;-.5;1\n")
    df, rep = read_quiet(path, report=True)
    assert df["a"].tolist() == [-0.25, 1.3]
    assert df["b"].tolist() == [0.70700312, -0.5]
    assert df["c"].tolist() == [1200.5, 1.0]
    assert rep.decimal == "."


def test_ambiguous_dots_are_thousands_in_semicolon_file(tmp_path):
    df = read_quiet(write(tmp_path, "t.csv", "a;b\n1.234;x\n12.500;y\n"))
    assert df["a"].tolist() == [1234, 12500]


def test_ambiguous_dots_decided_by_other_cells(tmp_path):
    # 1.5 elsewhere in the file proves that the dot is the decimal separator
    df, rep = read_quiet(write(tmp_path, "t.csv", "a;b\n1.234;1.5\n12.500;2.25\n"),
                         report=True)
    assert df["a"].tolist() == [1.234, 12.5]
    assert rep.decimal == "."


def test_ambiguous_dots_in_comma_file_are_decimals(tmp_path):
    df = read_quiet(write(tmp_path, "t.csv", "a,b\n1.234,x\n12.500,y\n"))
    assert df["a"].tolist() == [1.234, 12.5]


def test_decimal_and_thousands_override(tmp_path):
    path = write(tmp_path, "t.csv", "a;b\n1.234;x\n12.500;y\n")
    assert read_quiet(path, decimal=".")["a"].tolist() == [1.234, 12.5]
    df = read_quiet(write(tmp_path, "u.csv", "a,b\n\"1,234.5\",x\n\"2,000\",y\n"),
                    decimal=".", thousands=",")
    assert df["a"].tolist() == [1234.5, 2000.0]


def test_space_thousands_and_spaced_negatives_hamburg_style(tmp_path):
    text = "Gebiet;EW;Saldo;Anteil\nA; 1 914    ;-  73    ; 12,6    \nB;12 301    ; 81 470;9,7\n"
    text += "C;1\u00a0788\u00a0994;\u2212 5;1\u202f000,5\n"
    df = read_quiet(write(tmp_path, "t.csv", text))
    assert df["EW"].tolist() == [1914, 12301, 1788994]
    assert df["Saldo"].tolist() == [-73, 81470, -5]
    assert df["Anteil"].tolist() == [12.6, 9.7, 1000.5]
    assert df["EW"].dtype == np.int64


def test_headers_are_cleaned(tmp_path):
    df = read_quiet(write(tmp_path, "t.csv", " 65-Jährige und   Ältere ;Anteil\tin %\nx;1\ny;2\n"))
    assert list(df.columns) == ["65-Jährige und Ältere", "Anteil in %"]


def test_markers_missing_zero_and_suppressed(tmp_path):
    text = "Gebiet;a;b;c\nA;.;-;1\nB;x;–;2\nC;X; - ;\nD;*;5;4\nE;…;6;k.A.\nF;...;7;8\n"
    df, rep = read_quiet(write(tmp_path, "t.csv", text), na_values=["k.A."], report=True)
    assert df["a"].isna().all() and df["a"].dtype == np.float64
    assert df["b"].tolist() == [0, 0, 0, 5, 6, 7]
    assert df["b"].dtype == np.int64
    assert df["c"].tolist()[:2] == [1.0, 2.0]
    assert math.isnan(df["c"][2]) and math.isnan(df["c"][4])
    assert flags(rep) == {"a": [0, 1, 2, 3, 4, 5]}


def test_missing_stays_distinguishable_from_zero(tmp_path):
    df, rep = read_quiet(write(tmp_path, "t.csv", "g;n\nA;-\nB;.\nC;\nD;3\n"), report=True)
    assert df["n"].iloc[0] == 0
    assert df["n"].iloc[1:3].isna().all()
    assert flags(rep) == {"n": [1]}


def test_int_float_and_text_dtypes(tmp_path):
    text = "name;ganz;luecke;komma;text\nA;1;1;1,5;foo\nB;2;;2;bar\nC;3;3;3;\n"
    df = read_quiet(write(tmp_path, "t.csv", text))
    assert df["ganz"].dtype == np.int64
    assert df["luecke"].dtype == np.float64
    assert df["komma"].dtype == np.float64
    assert pd.api.types.is_string_dtype(df["text"])
    assert df["text"].tolist()[:2] == ["foo", "bar"] and pd.isna(df["text"][2])


def test_leading_zero_columns_stay_text(tmp_path):
    df = read_quiet(write(tmp_path, "t.csv", "PLR;Bezirk;n\n01100101;01;5\n12601236;12;6\n"))
    assert df["PLR"].tolist() == ["01100101", "12601236"]
    assert df["Bezirk"].tolist() == ["01", "12"]
    assert df["n"].dtype == np.int64


def test_text_columns_forces_text(tmp_path):
    df = read_quiet(write(tmp_path, "t.csv", "plz;n\n10115;1\n12345;2\n"), text_columns=["plz"])
    assert df["plz"].tolist() == ["10115", "12345"]
    with pytest.raises(ColumnError, match="'PLZ' not found.*Did you mean 'plz'"):
        read_table(tmp_path / "t.csv", text_columns=["PLZ"])


# --- keys ------------------------------------------------------------------------------


def test_key_is_text_and_padded(tmp_path):
    df, rep = read_quiet(write(tmp_path, "t.csv", "id;n\n1100101;1\n12601236;2\n"), key="id",
                         key_width=8, report=True)
    assert df["id"].tolist() == ["01100101", "12601236"]
    assert rep.key == "id"
    assert not df.attrs


def test_duplicate_keys(tmp_path):
    path = write(tmp_path, "dup.csv", "id;n\n0101;1\n0102;2\n0101;3\n")
    with pytest.raises(DistrictKeyError) as info:
        read_table(path, key="id")
    msg = str(info.value)
    assert "'0101'" in msg and "dup.csv" in msg and "'id'" in msg
    assert "lines 2, 4" in msg
    assert "each district must appear once" in msg.lower()
    assert "aggregate" in msg


def test_missing_key_column_suggests_close_match(tmp_path):
    path = write(tmp_path, "k.csv", "PLR_ID;Einwohner\n01;1\n02;2\n")
    with pytest.raises(ColumnError) as info:
        read_table(path, key="plr id")
    msg = str(info.value)
    assert "'plr id' not found" in msg and "k.csv" in msg
    assert "Did you mean 'PLR_ID'" in msg and "'Einwohner'" in msg


def test_key_too_long_for_width(tmp_path):
    path = write(tmp_path, "t.csv", "id;n\n123456789;1\n2;2\n")
    with pytest.raises(DistrictKeyError, match="key_width=8"):
        read_table(path, key="id", key_width=8)


# --- unparseable values ---------------------------------------------------------------


def test_unparseable_number_names_column_value_and_line(tmp_path):
    path = write(tmp_path, "bad.csv", "Gebiet;EW\nA;1\nB;2\nC;12a\nD;4\nE;zwölf\n"
                 + "".join(f"G{i};{i}\n" for i in range(6)))
    with pytest.raises(ValueParseError) as info:
        read_table(path)
    msg = str(info.value)
    assert "'EW'" in msg and "bad.csv" in msg
    assert "'12a' (line 4)" in msg and "'zwölf' (line 6)" in msg
    assert "text_columns=['EW']" in msg and "correct the cell" in msg.lower()
    df = read_quiet(path, text_columns=["EW"])
    assert df["EW"].tolist()[2] == "12a"


def test_unparseable_number_hints_at_decimal(tmp_path):
    path = write(tmp_path, "t.csv", "g;v\nA;1,5\nB;2,5\nC;3,5\nD;1.25\nE;4,5\n")
    with pytest.raises(ValueParseError) as info:
        read_table(path)
    assert "'1.25' (line 5)" in str(info.value)
    assert "read with decimal=','" in str(info.value) and "pass decimal='.'" in str(info.value)


def test_mostly_text_column_stays_text(tmp_path):
    df = read_quiet(write(tmp_path, "t.csv", "g;v\nA;ja\nB;nein\nC;3\nD;vielleicht\n"))
    assert df["v"].tolist() == ["ja", "nein", "3", "vielleicht"]


# --- title and footnote lines ----------------------------------------------------------


def test_title_and_footnote_lines_are_skipped_with_warning(tmp_path):
    text = (
        "Statistischer Bericht A I 1\nEinwohner am 31.12.2023;;\n"
        "Bezirk;Einwohner;Anteil\nMitte;1.000;1,5\nPankow;2.000;2,5\nSpandau;3.000;3,5\n"
        "Quelle: Amt für Statistik;;\n1) vorläufig\n"
    )
    path = write(tmp_path, "t.csv", text)
    with pytest.warns(QuartierWarning) as caught:
        df, rep = read_table(path, report=True)
    msg = str(caught[0].message)
    assert "line 1" in msg and "line 7" in msg and "line 8" in msg
    assert "skiprows=" in msg and "Quelle: Amt für Statistik" in msg
    assert list(df.columns) == ["Bezirk", "Einwohner", "Anteil"]
    assert df["Einwohner"].tolist() == [1000, 2000, 3000]
    assert list(rep.skipped_lines) == [1, 2, 7, 8]


def test_skiprows_override(tmp_path):
    text = "Tabelle;Stand;2023\nx;y;z\na;b;c\n1;2;3\n4;5;6\n"
    df = read_quiet(write(tmp_path, "t.csv", text), skiprows=2)
    assert list(df.columns) == ["a", "b", "c"]
    assert df["a"].tolist() == [1, 4]


def test_unit_row_below_header_is_skipped(tmp_path):
    text = "Gebiet;EW;Anteil\n;Anzahl;Prozent\nA;1;2,5\nB;2;3,5\nC;3;4,5\n"
    with pytest.warns(QuartierWarning, match="line 2"):
        df = read_table(write(tmp_path, "t.csv", text))
    assert df["EW"].tolist() == [1, 2, 3]


def test_ragged_row_with_extra_fields_is_an_error(tmp_path):
    path = write(tmp_path, "t.csv", "a;b\n1;2\n3;4;5\n6;7\n8;9\n")
    with pytest.raises(InputFileError, match="line 3 .*3 fields but the header has 2"):
        read_table(path)


# --- files --------------------------------------------------------------------------------


def test_missing_file_lists_similar_files(tmp_path):
    write(tmp_path, "einwohner_2023.csv", "a;b\n1;2\n")
    with pytest.raises(InputFileError) as info:
        read_table(tmp_path / "einwohner_2022.csv")
    msg = str(info.value)
    assert "einwohner_2022.csv" in msg and "does not exist" in msg and "Check the path" in msg
    assert "einwohner_2023.csv" in msg
    assert isinstance(info.value, FileNotFoundError)


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(InputFileError, match="empty"):
        read_table(write(tmp_path, "e.csv", ""))
    with pytest.raises(InputFileError, match="empty"):
        read_table(write(tmp_path, "b.csv", "\n \n"))
    with pytest.raises(InputFileError, match="no data rows"):
        read_table(write(tmp_path, "h.csv", "a;b;c\n"))


def test_unknown_extension(tmp_path):
    with pytest.raises(InputFileError) as info:
        read_table(write(tmp_path, "t.json", "{}"))
    assert "'.csv'" in str(info.value) and "'.xlsx'" in str(info.value)


def test_read_report(tmp_path):
    path = write(tmp_path, "t.csv", "a;b\nx;1,5\ny;2\n")
    df, info = read_quiet(path, report=True)
    assert (info.source, info.encoding, info.sep, info.decimal, info.thousands,
            list(info.skipped_lines), info.sheet) == (str(path), "utf-8", ";", ",", ".", [], None)
    # no suppressed cells: a mask without columns, aligned on the rows
    assert list(info.suppressed.columns) == [] and info.suppressed.index.equals(df.index)
    assert "';'" in info.text(lang="en") and "Gelesen" in str(info.text(lang="de"))
    # no attrs on the frame, with or without the report
    assert not df.attrs and not read_quiet(path).attrs
    assert isinstance(read_quiet(path), pd.DataFrame)


def test_concat_of_two_tables_keeps_values_and_suppression(tmp_path):
    a, ra = read_quiet(write(tmp_path, "a.csv", "plr;n;m\n01;5;.\n02;7;3\n"), key="plr",
                       report=True)
    b, rb = read_quiet(write(tmp_path, "b.csv", "plr;n;q\n03;.;1,5\n04;9;.\n"), key="plr",
                       report=True)
    both = pd.concat([a, b], ignore_index=True)
    # columns without markers in one table are absent there: apply_disclosure aligns the mask
    # (absent = not suppressed) to every column of the table
    mask = quartier.apply_disclosure(
        both, suppressed=pd.concat([ra.suppressed, rb.suppressed], ignore_index=True)).suppressed
    mask = mask[["m", "n", "q"]]
    assert both["plr"].tolist() == ["01", "02", "03", "04"]
    assert both["n"].tolist()[:2] == [5, 7] and both["n"].tolist()[3] == 9
    suppressed = {c: both.loc[mask[c], "plr"].tolist() for c in mask.columns}
    assert suppressed == {"m": ["01"], "n": ["03"], "q": ["04"]}
    assert both.loc[mask["n"], "n"].isna().all() and both.loc[mask["m"], "m"].isna().all()
    # sorting the table and the mask alike keeps them together (label alignment)
    ordered = both.sort_values("plr", ascending=False)
    assert ordered.loc[mask["n"].reindex(ordered.index), "plr"].tolist() == ["03"]
    assert not both.attrs


# --- XLSX ---------------------------------------------------------------------------------


def test_xlsx_cleaning_pipeline(tmp_path):
    rows = [["Bezirk ", "Einwohner", "Anteil", "Code"],
            [1100101, 1000, 1.5, "0101"], [2100102, "2.000", "2,5", "0102"],
            [3100103, ".", "x", "0103"], [4100104, "-", 4, "0104"]]
    path = write_xlsx(tmp_path / "t.xlsx", {"Daten": rows})
    df, rep = read_quiet(path, key="Bezirk", key_width=8, report=True)
    assert df["Bezirk"].tolist() == ["01100101", "02100102", "03100103", "04100104"]
    assert df["Einwohner"].tolist()[:2] == [1000, 2000] and df["Einwohner"][3] == 0
    assert math.isnan(df["Einwohner"][2])
    assert df["Anteil"].tolist()[:2] == [1.5, 2.5] and df["Anteil"][3] == 4
    assert df["Code"].tolist() == ["0101", "0102", "0103", "0104"]
    assert flags(rep) == {"Einwohner": [2], "Anteil": [2]}
    assert rep.sheet == "Daten"


def test_xlsx_sheet_choice_and_warning(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"Erst": [["a"], [1], [2]],
                                            "Zweit": [["b", "c"], [3, 4], [5, 6]]})
    with pytest.warns(QuartierWarning, match="'Erst', 'Zweit'.*sheet="):
        assert list(read_table(path).columns) == ["a"]
    assert read_quiet(path, sheet="Zweit")["c"].tolist() == [4, 6]
    assert read_quiet(path, sheet=1)["b"].tolist() == [3, 5]
    with pytest.raises(InputFileError, match="'Dritt' not found.*'Erst', 'Zweit'"):
        read_table(path, sheet="Dritt")


def test_xlsx_parse_error_names_excel_row_and_sheet(tmp_path):
    rows = [["Titel der Tabelle"], ["g", "v"], ["A", 1], ["B", 2], ["C", "3a"], ["D", 4], ["E", 5]]
    path = write_xlsx(tmp_path / "t.xlsx", {"Blatt": rows})
    with pytest.raises(ValueParseError) as info:
        read_table(path)
    msg = str(info.value)
    assert "'3a' (row 5)" in msg and "sheet 'Blatt'" in msg


# --- real data --------------------------------------------------------------------------------


def shared_data() -> Path:
    root = Path(os.environ.get("QUARTIER_SHARED_DATA")
                or Path(__file__).resolve().parents[2] / "shared" / "data")
    if not root.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data folder {root} missing (set QUARTIER_SHARED_DATA)")
        pytest.skip(f"shared data folder {root} not available")
    return root


HAMBURG = "hamburg_stadtteilprofile_2014/Daten_fuer_die_Stadtteilprofile_2014"


@pytest.mark.shared
def test_hamburg_csv():
    df, rep = read_quiet(shared_data() / f"{HAMBURG}.csv", report=True)
    assert (rep.encoding, rep.sep, rep.decimal) == ("utf-8", ";", ",")
    assert len(df) == 107 and "65-Jährige und Ältere" in df.columns
    row = df.set_index("Stadtgebiet").loc["HafenCity"]
    assert row["Bevölkerung"] == 1914
    assert row["Anteil der unter 18-Jährigen in %"] == pytest.approx(12.6)
    assert row["Durchschnitt-liches Einkommen je Steuerpflichtigen in EUR (2010)"] == 81470
    neustadt = df.set_index("Stadtgebiet").loc["Neustadt"]
    assert neustadt["Wanderungssaldo"] == -73
    assert df["Wanderungssaldo"].dtype == np.int64
    price = "Preise für Grundstücke in EUR/m² (Jan 2014)"
    assert pd.isna(row[price])
    suppressed = flags(rep)
    assert 1 in suppressed[price]  # HafenCity is row 1
    assert all(pd.isna(df.loc[rows, col]).all() for col, rows in suppressed.items())
    # Bezirke repeat Stadtteil names (Bergedorf, Harburg, ...): not unique as a key
    with pytest.raises(DistrictKeyError, match="Bergedorf"):
        read_table(shared_data() / f"{HAMBURG}.csv", key="Stadtgebiet")


@pytest.mark.shared
def test_hamburg_xlsx_matches_csv():
    csv_df, csv_rep = read_quiet(shared_data() / f"{HAMBURG}.csv", report=True)
    with pytest.warns(QuartierWarning, match="row 1 .*row 2 .*row 4"):
        xl, xl_rep = read_table(shared_data() / f"{HAMBURG}.xlsx", report=True)
    assert list(xl.columns) == list(csv_df.columns)
    assert list(xl_rep.skipped_lines) == [1, 2, 4]
    assert xl["Stadtgebiet"].tolist() == csv_df["Stadtgebiet"].tolist()
    for col in ["Bevölkerung", "Wanderungssaldo", "Anteil der unter 18-Jährigen in %"]:
        np.testing.assert_allclose(xl[col].to_numpy(float), csv_df[col].to_numpy(float))
    # the CSV has rounded values, the workbook full precision
    np.testing.assert_allclose(xl["PKW-Dichte (Jan 2014)"], csv_df["PKW-Dichte (Jan 2014)"],
                               atol=0.5)
    assert flags(xl_rep) == flags(csv_rep)


@pytest.mark.shared
def test_berlin_mss_decimal_points_and_bom():
    df, rep = read_quiet(
        shared_data() / "berlin_mss_2021/jascha_mss_2021_index-indikatoren_z-werte_plr.csv",
                    key="PLR-ID", key_width=8, report=True)
    assert len(df) == 542
    assert df.columns[0] == "PLR-ID"
    assert "Zuordnung Klasse Status-Index" in df.columns  # trailing space stripped
    assert (df["PLR-ID"].str.len() == 8).all() and df["PLR-ID"][0] == "01100101"
    assert df["zS1"].dtype == np.float64
    assert df["zS1"][0] == -0.25 and df["zS1"][1] == -1.30
    assert (df["zS1"] > 0).any() and (df["zS1"] < 0).any()
    assert rep.decimal == "."


@pytest.mark.shared
def test_berlin_gssa_comma_separated():
    df, rep = read_quiet(shared_data() / "berlin_gssa_2022/gssa_2022_planungsraeume.csv",
                         report=True)
    assert rep.sep == ","
    assert df["plrID"][0] == "01011101"
    assert df["GESIx_2013"][0] == pytest.approx(0.70700312)
    assert df["GESIx_2013"].isna().any() and df["GESIx_2013"].dtype == np.float64
    assert flags(rep) == {}


@pytest.mark.shared
def test_berlin_population_key_last_column():
    df = read_quiet(shared_data() / "berlin_population/einwohnerbestand_06-2022_plr.csv",
                    key="PLR-ID", key_width=8)
    assert df.columns[0] == "Gesamt" and df.columns[-1] == "PLR-ID"
    assert df["PLR-ID"][0] == "01100101" and df["Gesamt"][0] == 3503
    assert df["Gesamt"].dtype == np.int64 and len(df) == 542


@pytest.mark.shared
def test_berlin_population_2024_total():
    path = shared_data() / "berlin_population/berlin-lor-population-2024-02-t2-planning-areas.csv"
    with open(path, newline="", encoding="utf-8") as f:
        expected = sum(int(r["inhabitants"]) for r in csv.DictReader(f))
    df = read_quiet(path, key="id")
    assert len(df) == 542
    assert (df["id"].str.len() == 8).all() and df["id"].is_unique
    assert df["inhabitants"].dtype == np.int64
    assert df["inhabitants"].sum() == expected
    assert df["district_id"][0] == "01"


# --- property ---------------------------------------------------------------------------------


def german(value) -> str:
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    text = f"{value:,.6f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ints=st.lists(st.integers(-10**12, 10**12), min_size=1, max_size=20),
       floats=st.lists(st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: round(x, 6)),
                       min_size=1, max_size=20))
def test_german_numbers_round_trip(tmp_path, ints, floats):
    n = max(len(ints), len(floats))
    ints = (ints * n)[:n]
    floats = (floats * n)[:n]
    lines = ["Gebiet;Ganz;Komma"] + [f"G{i};{german(a)};{german(b)}"
                                     for i, (a, b) in enumerate(zip(ints, floats, strict=True))]
    path = write(tmp_path, "prop.csv", "\n".join(lines) + "\n", "cp1252")
    df = read_quiet(path, decimal=",")
    assert df["Ganz"].tolist() == ints
    np.testing.assert_allclose(df["Komma"].to_numpy(float), floats, rtol=1e-9, atol=1e-9)
    detected = read_quiet(path)
    np.testing.assert_allclose(detected["Komma"].to_numpy(float), floats, rtol=1e-9, atol=1e-9)


def test_phone_numbers_stay_text(tmp_path):
    path = tmp_path / "kitas.csv"
    path.write_text(
        "id,name,phone_number,places\n01010010,A,+49302816473,69\n01010020,B,+4930 2291378,155\n"
        "01010030,C,+4930+49304655897,40\n01010040,D,+4930,12\n",
        encoding="utf-8",
    )
    df = read_table(path)
    assert df["phone_number"].tolist()[:2] == ["+49302816473", "+4930 2291378"]
    assert df["places"].dtype == "int64"


def test_small_mixed_column_warns_with_the_cells(tmp_path):
    path = tmp_path / "klein.csv"
    path.write_text("Stadtteil;Einwohner\n0101;1.234\n0102;zwölf\n0103;2.345\n0104;3.456\n",
                    encoding="utf-8")
    with pytest.warns(QuartierWarning, match=r"'Einwohner'.*3 numbers and 1 text.*'zwölf' \(line 3\)"):
        df = read_table(path)
    assert df["Einwohner"].tolist()[1] == "zwölf"
    with pytest.raises(ColumnError, match="column 'einwohner' not found in the table of"):
        read_table(path, key="einwohner")
