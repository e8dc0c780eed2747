"""Fuzzing read_table (issue #15): any input ends in a DataFrame or a QuartierError.

Random bytes and German CSV files mutated at random (quotes, separators, decimal marks,
line breaks, NUL bytes, BOMs, encodings, cut files) are read with automatic detection and with
random options, on the vectorised path and cell by cell. Never another exception, never a
crash. Bounded to a few hundred examples (about 20 s).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quartier
from quartier.errors import QuartierError
from quartier.io import _fastcsv

BASE = (
    "Statistischer Bericht 2023\n"
    "Schlüssel;Stadtteil;Einwohner;Anteil in %;Telefon\n"
    "01;Mitte;12.345;12,5;+49 30 1234567\n"
    "02;\"Nord; Ost\";1.234;.;\n"
    "03;Süd;-;0,5;\n"
    "04;West;  1 914 ;x;\n"
    "Quelle: Amt für Statistik;;;;\n"
)
PIECES = [";", ",", ".", '"', "\n", "\r", "\r\n", "\t", " ", "-", "x", "0", "5", "12,5",
          "1.234", "ä", "\x00", "\ufeff", "\u00a0", "\u2212", "e9", "\"\"", ";;;;", "…"]
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@st.composite
def mutated(draw):
    text = BASE
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "cut"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        elif kind == "duplicate":
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            text = "\n".join(lines[:i] + [lines[i]] * draw(st.integers(2, 4)) + lines[i + 1:])
        else:
            text = text[:at]
    codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"]))
    return text.encode(codec, errors="replace")


OPTIONS = st.fixed_dictionaries({}, optional={
    "decimal": st.sampled_from([",", "."]),
    "thousands": st.sampled_from([".", ",", "", " "]),
    "sep": st.sampled_from([";", ",", "\t"]),
    "key": st.sampled_from(["Schlüssel", "Stadtteil"]),
    "key_width": st.integers(0, 6),
    "skiprows": st.integers(0, 3),
    "encoding": st.sampled_from(["utf-8", "cp1252", "utf-16", "latin-1"]),
    "na_values": st.sampled_from(["x", ["k.A.", "-"]]),
    "text_columns": st.just(["Einwohner"]),
})


def _read(tmp_path, data: bytes, fast: bool, options: dict, monkeypatch):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(_fastcsv, "layout", lambda *a, **k: None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                df = quartier.read_table(path, **options)
            except QuartierError:
                return
    assert isinstance(df, pd.DataFrame)


@pytest.mark.parametrize("fast", [True, False], ids=["vectorised", "cell_by_cell"])
@SETTINGS
@given(data=st.binary(min_size=1, max_size=300))
def test_random_bytes(tmp_path, monkeypatch, fast, data):
    _read(tmp_path, data, fast, {}, monkeypatch)


@pytest.mark.parametrize("fast", [True, False], ids=["vectorised", "cell_by_cell"])
@SETTINGS
@given(data=mutated(), options=OPTIONS)
def test_mutated_german_csv(tmp_path, monkeypatch, fast, data, options):
    _read(tmp_path, data, fast, options, monkeypatch)


def _workbook() -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in (["Bezirk", "Einwohner"], ["Mitte", 1234], ["Nord", "x"]):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook()


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(WORKBOOK)), at=st.integers(0, len(WORKBOOK) - 1),
       byte=st.integers(0, 255))
def test_damaged_workbook(tmp_path, cut, at, byte):
    data = bytearray(WORKBOOK)
    data[at] = byte
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(bytes(data[:max(cut, 1)]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            assert isinstance(quartier.read_table(path), pd.DataFrame)
        except QuartierError:
            pass
