"""The table writer: what Excel shows, never a formula, rows never broken, written safely."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from quartier.errors import ColumnError, ParameterError
from quartier.output.spreadsheet import write_table

EVIL = ["=HYPERLINK(\"http://x\",\"klick\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
        "\tTab", "\rCR"]


def _summary():
    return pd.DataFrame({
        "key": ["01001", "01002", "01003"],
        "name": ["Alt-\nstadt", EVIL[0], EVIL[1]],
        "population": [900.0, 1370.0, np.nan],
        "covered": [852.0, 1370.0, 4.0],
        "share_covered": [0.946666666, 1.0, np.nan],
        "places_per_1000": [46.666666666666664, 64.23357664233576, 0.0],
        "places_deficit": [-28.0, -67.0, 20.0],
        "gap": [False, False, True],
    })


def _read_csv_like_excel(path, sep=";"):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=sep))


def test_csv_as_german_excel_reads_it(tmp_path):
    path = write_table(_summary(), tmp_path / "zusammenfassung.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel detects UTF-8
    rows = _read_csv_like_excel(path)
    assert rows[0] == ["Schlüssel", "Gebiet", "Zielgruppe (Personen)", "versorgt (Personen)",
                       "Anteil versorgt (%)", "Plätze je 1.000", "Fehlbedarf (Plätze)", "Lücke"]
    assert len(rows) == 4  # the line break in "Alt-\nstadt" did not break a row
    assert rows[1] == ["01001", "Alt- stadt", "900", "852", "94,7", "46,7", "-28", "nein"]
    assert rows[2][1] == "'" + EVIL[0] and rows[3][1] == "'" + EVIL[1]
    assert rows[3][2] == "" and rows[3][4] == ""  # missing stays empty, not 0 or "nan"
    assert rows[3][7] == "ja"


def test_csv_in_english(tmp_path):
    rows = _read_csv_like_excel(write_table(_summary(), tmp_path / "s.csv", lang="en"), sep=",")
    assert rows[0][4] == "share covered (%)" and rows[0][7] == "gap"
    assert rows[1][4:8] == ["94.7", "46.7", "-28", "no"]


def test_no_cell_is_ever_a_formula(tmp_path):
    frame = pd.DataFrame({"name": EVIL, "n": range(len(EVIL))})
    frame = frame.rename(columns={"n": "=EVIL()"})
    csv_rows = _read_csv_like_excel(write_table(frame, tmp_path / "a.csv"))
    for row in csv_rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    wb = load_workbook(write_table(frame, tmp_path / "a.xlsx"))
    ws = wb.active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert len(cells) == 2 * (len(EVIL) + 1)
    assert all(c.data_type != "f" for c in cells), [(c.coordinate, c.data_type) for c in cells]
    assert [ws.cell(row=i + 2, column=1).value for i in range(len(EVIL))] == \
        [e.replace("\r", " ") for e in EVIL]
    assert ws["A2"].value == EVIL[0] and ws["A2"].data_type == "s"


def test_xlsx_numbers_are_numbers_with_formats(tmp_path):
    ws = load_workbook(write_table(_summary(), tmp_path / "s.xlsx")).active
    header = [c.value for c in ws[1]]
    assert header[4] == "Anteil versorgt (%)"
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["Zielgruppe (Personen)"].value == 900 and isinstance(row["Zielgruppe (Personen)"].value, int)
    assert row["Anteil versorgt (%)"].value == pytest.approx(94.7)
    assert row["Anteil versorgt (%)"].number_format == "0.0"
    assert row["Plätze je 1.000"].value == pytest.approx(46.7)
    assert row["Lücke"].value == "nein"
    assert ws.cell(row=4, column=3).value is None  # missing population: an empty cell


def test_bad_arguments(tmp_path):
    with pytest.raises(ParameterError, match=r"\.csv or \.xlsx"):
        write_table(_summary(), tmp_path / "s.txt")
    with pytest.raises(ParameterError, match="kinds"):
        write_table(_summary(), tmp_path / "s.csv", kinds={"population": "money"})
    with pytest.raises(ColumnError, match="holds text"):
        write_table(pd.DataFrame({"population": ["viele"]}), tmp_path / "s.csv")


def test_rules_false_writes_without_disclosure_control_even_when_rules_are_in_force(tmp_path):
    import quartier

    frame = pd.DataFrame({"key": ["01", "02"], "covered": [2, 40]})
    with quartier.disclosure(3):
        write_table(frame, tmp_path / "off.csv", rules=False)
        write_table(frame, tmp_path / "on.csv")
    off = _read_csv_like_excel(tmp_path / "off.csv")
    on = _read_csv_like_excel(tmp_path / "on.csv")
    assert [row[1] for row in off[1:]] == ["2", "40"]
    assert on[1][1] == "" and on[2][1] != "2"
