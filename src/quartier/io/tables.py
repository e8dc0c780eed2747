"""Read statistical tables (CSV, XLSX) as German statistics offices deliver them.

The public names are :func:`read_table` and :class:`TableReport` (what was detected, returned
with ``report=True``).
"""

from __future__ import annotations

import functools
import gzip
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from quartier._checks import column_error, existing_file
from quartier._report import Report
from quartier.errors import (
    DistrictKeyError,
    InputFileError,
    ParameterError,
    QuartierWarning,
    format_list,
)
from quartier.io import _columns, _detect, _fastcsv, _xlsx
from quartier.io import _csvsniff as sniff
from quartier.io._columns import _NUMBER, _TEXT, _TEXTCELL, _UNKNOWN, _classify
from quartier.io.keys import normalize_keys
from quartier.settings import get_language

__all__ = ["read_table", "TableReport"]

_CSV_SUFFIXES = (".csv", ".txt", ".csv.gz", ".txt.gz")
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_LARGE = 200_000  # lines: without pyarrow, say how to read such a file faster


@dataclass(frozen=True, eq=False)
class TableReport(Report):
    """What :func:`read_table` detected in a file, and which cells were suppressed.

    Returned with ``read_table(..., report=True)``.

    Attributes
    ----------
    source : str
        The file read.
    encoding, sep : str or None
        Text encoding and field separator of a CSV file (None for XLSX).
    decimal : str
        Decimal separator (``","`` or ``"."``).
    thousands : str or None
        Thousands separator.
    sheet : str or None
        Worksheet read (XLSX only).
    skipped_lines : tuple of int
        Line numbers in the file (XLSX: row numbers) that were skipped as
        titles, units or footnotes.
    key : str or None
        The key column, if ``key=`` was given.
    suppressed : pandas.DataFrame
        Boolean mask, aligned on the frame's index, one column per column that
        held suppression markers (``.``, ``x``, ``*``, ...); True where a
        cell was suppressed by the statistics office (its value is NaN in the
        frame). No columns when nothing was suppressed. Pass it on as
        ``suppressed=`` to :func:`quartier.apply_disclosure` and to maps, so
        that "gesperrt" can be told from "keine Angabe".

    Examples
    --------
    >>> import pandas as pd
    >>> r = TableReport(source="t.csv", encoding="utf-8", sep=";", decimal=",",
    ...                 suppressed=pd.DataFrame({"n": [False, True]}))
    >>> print(r.text(lang="en"))
    Read 't.csv': 2 rows; separator ';', decimal ',', encoding utf-8.
      suppressed cells: 'n' (1)
    """

    source: str
    encoding: str | None = None
    sep: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | None = None
    skipped_lines: tuple[int, ...] = ()
    key: str | None = None
    suppressed: pd.DataFrame = field(default_factory=pd.DataFrame)

    def text(self, lang: str | None = None) -> str:
        """The report as readable text, German (``"de"``) or English (``"en"``).

        Parameters
        ----------
        lang : {"de", "en"}, optional
            Language; default from :func:`quartier.set_language`.

        Returns
        -------
        str
        """
        de = (lang or get_language()) == "de"
        n = len(self.suppressed)
        where = f"Blatt '{self.sheet}'" if de else f"sheet '{self.sheet}'"
        detected = [where] if self.sheet is not None else []
        if self.sep is not None:
            detected.append(f"{'Trennzeichen' if de else 'separator'} {self.sep!r}")
        detected.append(f"{'Dezimalzeichen' if de else 'decimal'} {self.decimal!r}")
        if self.encoding is not None:
            detected.append(f"{'Kodierung' if de else 'encoding'} {self.encoding}")
        lines = [(f"Gelesen '{self.source}': {n} Zeilen; " if de
                  else f"Read '{self.source}': {n} rows; ") + ", ".join(detected) + "."]
        if self.key is not None:
            lines.append(f"  {'Schlüsselspalte' if de else 'key column'}: '{self.key}'")
        if self.skipped_lines:
            lines.append(f"  {'übersprungene Zeilen' if de else 'skipped lines'}: "
                         f"{format_list(self.skipped_lines, 20)}")
        counts = {str(c): int(self.suppressed[c].sum()) for c in self.suppressed.columns}
        if counts:
            shown = ", ".join(f"'{c}' ({k})" for c, k in counts.items())
            lines.append(f"  {'gesperrte Zellen' if de else 'suppressed cells'}: {shown}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"TableReport(source={self.source!r}, rows={len(self.suppressed)}, "
                f"suppressed_columns={list(self.suppressed.columns)!r})")


def read_table(source, *, sheet=None, sep=None, decimal=None, thousands=None, encoding=None,
               key=None, key_width=None, na_values=None, text_columns=None,
               skiprows=None, report=False):
    """Read a CSV or XLSX table as German statistics offices publish it.

    Separator, encoding, decimal and thousands separators, title and footnote
    lines, suppression markers and column types are detected automatically;
    every guess can be overridden by the keyword of the same name.

    Parameters
    ----------
    source : str or os.PathLike
        Path of a ``.csv``/``.txt`` file (optionally gzip-compressed,
        ``.csv.gz``) or an ``.xlsx``/``.xlsm`` workbook.
    sheet : str or int, optional
        Worksheet name or 0-based index (XLSX only). Default: the first sheet.
    sep : str, optional
        Field separator of a CSV file. Default: detected (``;``, ``,``, tab, ``|``).
    decimal : {",", "."}, optional
        Decimal separator. Default: detected from the whole file (see Notes).
    thousands : str, optional
        Thousands separator (``"."`` or ``","``). Default: ``"."`` with a
        decimal comma, none with a decimal point. Spaces (also non-breaking)
        between groups of three digits are always accepted.
    encoding : str, optional
        Text encoding of a CSV file. Default: UTF-8 (with or without BOM),
        falling back to Windows-1252.
    key : str, optional
        Column with district keys. It is kept as text, normalized with
        :func:`quartier.io.keys.normalize_keys` and must be unique.
    key_width : int, optional
        Zero-pad the keys to this width (e.g. 8 for Berlin Planungsräume),
        repairing keys that lost their leading zeros in Excel.
    na_values : str or list of str, optional
        Further cell values that mean "missing".
    text_columns : list of str, optional
        Columns to keep as text even if they look numeric.
    skiprows : int, optional
        Skip exactly this many lines (XLSX: rows) before the header line and
        turn off the detection of title lines.
    report : bool, default False
        Also return a :class:`TableReport`: what was detected (encoding,
        separators, skipped lines, sheet) and a boolean mask of the cells that
        held a suppression marker, so that "suppressed" can be told from
        "really empty".

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, TableReport)
        One column per header field; numbers as ``int64`` (complete and
        whole) or ``float64``, text as strings, missing values as NaN.
        Nothing is recorded in ``attrs``; with ``report=True`` the pair
        ``(frame, report)``.

    Raises
    ------
    InputFileError
        If the file is missing, empty, has no data rows, has rows with more
        fields than the header, holds a quote that swallows the lines after it,
        cannot be decoded in the given or detected encoding, or its extension
        is not supported.
    ParameterError
        If ``sep``, ``decimal``, ``thousands`` or ``encoding`` is not valid.
    ColumnError
        If ``key`` or a column of ``text_columns`` is not in the table.
    DistrictKeyError
        If keys are empty, duplicated or longer than ``key_width``.
    ValueParseError
        If a column is clearly numeric (at least 3 and 80 % of its filled
        cells are numbers) but some cells are not numbers, or if the decimal
        mark is unclear (see Notes).

    Warns
    -----
    QuartierWarning
        When title, unit or footnote lines are skipped, when body rows have
        fewer fields than the header, when a workbook has several sheets and
        none was chosen, or when header names repeat.

    Notes
    -----
    Detection rules:

    - **Encoding**: a BOM decides (UTF-8, or UTF-16 as Excel's "Unicode
      text"); UTF-16 without BOM is recognised by its zero bytes; otherwise
      strict UTF-8, else Windows-1252.
    - **Separator**: of ``;``, ``,``, tab and ``|`` the one that splits most
      of the first 60 lines into the same number (more than one) of fields
      (quotes respected); ties go to more fields.
    - **Quotes**: a quote that opens a cell and is closed only lines later,
      taking separators and line breaks with it, is a stray quote: an error
      names its line and the lines it would swallow (a cell over two or three
      lines without separators, such as an address, is read as it is).
    - **Title and footnote lines**: the table width is the most frequent
      number of fields. Leading lines with another number of fields, or with
      no more than half of the fields filled, are title lines. Trailing lines
      wider than the table, or holding one text in the first field that reads
      as a note (``Quelle: ...``, ``1) ...``, ``* ...``, ``©``, a colon, a
      long sentence, text below a first column of numbers or keys), are
      footnotes; other trailing rows are data rows, also when cells are
      missing (a facility without coordinates stays and is reported where
      the coordinates are needed). Up to three lines right after the header
      that hold text (units, descriptions) where the columns below hold
      numbers are skipped as well. All skipped lines are reported in a
      warning, and so are rows with fewer fields than the header.
    - **Decimal separator**: decided from all number-looking cells of the
      file. ``12,6`` and ``1.234,5`` count for a decimal comma; ``-0.25``,
      ``.707``, ``1200.5``, ``0.123`` and ``1,234.5`` for a decimal point.
      The majority wins. Without such evidence, numbers like ``1.234`` or
      ``1.234.567`` (groups of exactly three digits) are read with ``.`` as
      thousands separator, except in ``,``-separated files, which default to
      a decimal point. In a file not separated by commas, a decimal point
      chosen on fewer cells than there are ``12.345``-like numbers is refused
      (ValueParseError naming both kinds of cells with column and line):
      one ``0.5`` does not turn 12,345 inhabitants into 12.345; pass
      ``decimal=``. Cells that contradict the chosen mark are named as bad
      cells of their column.
    - **Markers**: in numeric columns ``.``, ``x``, ``X``, ``*``, ``/``,
      ``…`` and ``...`` (suppressed, in ``TableReport.suppressed``), empty cells and
      ``na_values`` become NaN; ``-`` or ``–`` alone means zero. Negative
      numbers may have spaces after the sign (``-  73``).
    - **Types**: a column whose filled cells are all numbers becomes
      ``int64`` if it is complete and whole, else ``float64``; unless a cell
      is a digit string with a leading zero (``0101``): such key-like columns
      stay text, as do ``key`` and ``text_columns``. Header names are
      stripped and inner runs of whitespace collapsed.

    Large files: with pyarrow installed (extra ``quartier[fast]``), a CSV
    whose body rows all have the table's width, without blank lines, and
    whose quotes (if any) each open and close a cell within one line is read
    vectorised (the layout from per-line statistics, the body once by
    pyarrow's CSV reader, every rule above applied to whole columns and bad
    cells found by masks over them), within a few times the time of
    ``pandas.read_csv`` told every option (docs/performance.md). Other files
    are read cell by cell. Both give the same frame, report, warnings and
    errors. XLSX sheets are read by python-calamine where installed (same
    extra), else by openpyxl, with the same results.

    Examples
    --------
    >>> import os, tempfile
    >>> text = "Stadtteil;Bevölkerung;Anteil in %\\nHafenCity; 1 914 ;12,6\\nNeustadt;12.301;.\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "stadtteile.csv")
    ...     with open(path, "wb") as f:
    ...         _ = f.write(text.encode("cp1252"))
    ...     df, report = read_table(path, key="Stadtteil", report=True)
    >>> df["Bevölkerung"].tolist()
    [1914, 12301]
    >>> df["Anteil in %"].tolist()
    [12.6, nan]
    >>> report.suppressed["Anteil in %"].tolist()
    [False, True]
    >>> report.encoding, report.decimal
    ('cp1252', ',')
    """
    return _read_table(source, sheet=sheet, sep=sep, decimal=decimal, thousands=thousands,
                       encoding=encoding, key=key, key_width=key_width, na_values=na_values,
                       text_columns=text_columns, skiprows=skiprows, report=report)[0]


def _read_table(source, *, sheet=None, sep=None, decimal=None, thousands=None, encoding=None,
                key=None, key_width=None, na_values=None, text_columns=None,
                skiprows=None, report=False):
    """:func:`read_table`, and the file line (XLSX: row) of each row of the frame."""
    path = existing_file(source, suffixes=_CSV_SUFFIXES + _XLSX_SUFFIXES, folder_ok=False,
                         type_hint=" Save old .xls workbooks as .xlsx.")
    info = {"source": str(path), "encoding": None, "sep": None, "decimal": None,
            "thousands": None, "skipped_lines": [], "sheet": None}
    _check_options(sep, decimal, thousands)
    fast = None
    if path.name.lower().endswith(_XLSX_SUFFIXES):
        rows, lines, info["sheet"] = _xlsx.xlsx_rows(path, sheet)
        where = f"of sheet '{info['sheet']}' of '{path}'"
        line_word = "row"
    else:
        data = gzip.decompress(path.read_bytes()) if path.suffix.lower() == ".gz" else (
            path.read_bytes())
        text, info["encoding"] = sniff.decode(data, encoding, path)
        # the vectorised reader works on UTF-8 bytes: those of the file where they are
        utf8 = data.removeprefix(b"\xef\xbb\xbf") if info["encoding"].lower().replace(
            "_", "-") in ("utf-8", "utf8", "utf-8-sig") else None
        del data
        if not text or text.isspace():
            raise InputFileError(f"file '{path}' is empty. Check that it was exported completely.")
        info["sep"] = sep or sniff.sniff_separator(text)
        where, line_word = f"of '{path}'", "line"
        fast = _fastcsv.layout(text, info["sep"], skiprows, utf8)
        del utf8
        if fast is None and not _fastcsv.available() and text.count("\n") > _LARGE:
            warnings.warn(
                f"reading {text.count(chr(10)):,} lines {where} cell by cell; with pyarrow "
                "installed (pip install \"quartier[fast]\") large plain CSV files are read "
                "many times faster, with the same results.", QuartierWarning, stacklevel=3)
        if fast is None:
            rows, lines = sniff.split_rows(text, info["sep"], where)
            _detect.check_quotes(rows, lines, info["sep"], where)
        del text
    if fast is not None:
        header, head_line, body_lines = fast.header, fast.head_line, fast.lines
        skipped = list(fast.skipped)
        names = _detect.header_names(header, fast.above_rows, fast.above_lines, head_line, where)
        body = fast.sample
    else:
        header, head_line, body, body_lines, skipped = _detect.locate_table(
            rows, lines, skiprows, where, line_word)
        names = _detect.header_names(header, rows, lines, head_line, where)
    if decimal is None:
        if fast is not None:
            evidence = _fastcsv.decimal_evidence(fast.encoded)
        else:
            # the evidence is the same for a repeated cell: look at each distinct cell once
            evidence = sniff.decimal_evidence(
                dict.fromkeys(c for row in body for c in row if isinstance(c, str)))
        info["decimal"], guessed = sniff.decide_decimal(evidence, info["sep"])
        if thousands is None:
            info["thousands"] = guessed
            _detect.check_decimal(evidence, info["sep"], functools.partial(
                _fastcsv.examples, fast, names) if fast is not None else functools.partial(
                _examples, body, body_lines, names), where)
        else:
            info["thousands"] = thousands
            if thousands == info["decimal"]:
                info["decimal"] = "," if thousands == "." else "."
    else:
        info["decimal"] = decimal
        info["thousands"] = thousands if thousands is not None else ("." if decimal == "," else None)
    if info["thousands"] in ("", " "):
        info["thousands"] = None
    parse = functools.lru_cache(maxsize=None)(
        sniff.number_parser(info["decimal"], info["thousands"]))
    nas = {na_values} if isinstance(na_values, str) else set(na_values or ())
    nas = {str(v).strip() for v in nas}
    extra = _unit_rows(body, parse, nas)
    skipped += [(body_lines[i], body[i]) for i in range(extra)]
    body, body_lines = body[extra:], body_lines[extra:]
    if not len(body_lines):
        raise InputFileError(f"the table {where} has a header but no data rows. "
                             "Check the file or the skiprows= argument.")
    forced = set(text_columns or ())
    for wanted in sorted(forced) + ([key] if key is not None else []):
        if wanted not in names:
            raise column_error(wanted, names, where=f"in the table {where}")
    if key is not None:
        forced.add(key)
    columns, suppressed = {}, {}
    for j, name in enumerate(names):
        if fast is not None:
            columns[name], marks = _columns.fast_column(
                name, fast.cells[j][extra:], body_lines, parse, nas, name in forced, where,
                line_word, info, fast.odd, _UNKNOWN if extra else fast.plain[j],
                None if extra or fast.odd else fast.encoded[j])
        else:
            cells = [row[j] for row in body]
            columns[name], marks = _columns.convert_column(
                name, cells, body_lines, parse, nas, name in forced, where, line_word, info)
        if len(marks):
            suppressed[name] = marks
        if name not in forced:
            columns[name] = _columns.as_boolean(columns[name])
    df = pd.DataFrame(columns)
    if key is not None:
        df[key] = _check_keys(df[key], key, key_width, body_lines, where, line_word,
                              info["source"])
    info["skipped_lines"] = [int(line) for line, _ in skipped]
    if skipped:
        shown = "; ".join(f"{line_word} {line} ({_detect.preview(row)})" for line, row in skipped[:8])
        more = f" and {len(skipped) - 8} more" if len(skipped) > 8 else ""
        warnings.warn(
            f"skipped {len(skipped)} {line_word}(s) {where} that are not table rows "
            f"(titles, units, footnotes): {shown}{more}. The header is {line_word} {head_line}; "
            "pass skiprows=N to skip exactly N lines before the header instead.",
            QuartierWarning, stacklevel=3)
    if not report:
        return df, body_lines
    mask = pd.DataFrame(False, index=df.index, columns=list(suppressed), dtype=bool)
    for name, rows in suppressed.items():
        mask.iloc[rows, mask.columns.get_loc(name)] = True
    return (df, TableReport(
        source=info["source"], encoding=info["encoding"], sep=info["sep"],
        decimal=info["decimal"], thousands=info["thousands"], sheet=info["sheet"],
        skipped_lines=tuple(info["skipped_lines"]), key=key, suppressed=mask)), \
        body_lines


def _check_options(sep, decimal, thousands) -> None:
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1 or sep in '"\r\n'):
        raise ParameterError(f"sep must be one character such as ';', ',', '\\t' or '|', "
                             f"not {sep!r}.")
    if decimal is not None and decimal not in (",", "."):
        raise ParameterError(f"decimal must be ',' or '.', not {decimal!r}.")
    if thousands is not None and (not isinstance(thousands, str) or len(thousands) > 1
                                  or thousands == decimal):
        raise ParameterError(f"thousands must be one character ('.', ',', ' ' or '') other "
                             f"than the decimal mark, not {thousands!r}.")


def _examples(body, lines, names, pattern, limit):
    """Cells matching ``pattern``, column by column: [(cell, column, line), ...] up to limit."""
    regex = re.compile(pattern)
    found = []
    for j, name in enumerate(names):
        for row, line in zip(body, lines, strict=True):
            cell = row[j].strip(sniff._SPACE) if isinstance(row[j], str) else None
            if cell is not None and regex.match(cell):
                found.append((cell, name, line))
                if len(found) >= limit:
                    return found
    return found




def _unit_rows(body, parse, nas) -> int:
    """Count rows right after the header that hold text above numeric columns (units)."""
    if len(body) < 2 or any(_classify(c, parse, nas)[0] == _NUMBER for c in body[0]):
        return 0  # (the loop below stops at a first row holding a number)
    # which columns are numeric is clear from a sample of the rows below
    ref = body[min(3, len(body) - 1):][:500]
    numeric = []
    for j in range(len(body[0])):
        kinds = Counter(_classify(r[j], parse, nas)[0] for r in ref)
        if kinds[_NUMBER] and kinds[_NUMBER] >= 0.8 * (kinds[_NUMBER] + kinds[_TEXTCELL]):
            numeric.append(j)
    count = 0
    for row in body[:min(3, len(body) - 1)]:
        kinds = [_classify(c, parse, nas)[0] for c in row]
        texts = sum(kinds[j] == _TEXTCELL for j in numeric)
        if _NUMBER in kinds or texts < 2 or texts < len(numeric) / 2:
            break
        count += 1
    return count










def _check_keys(column, key, key_width, lines, where, line_word, source):
    keys = normalize_keys(column, key_width=key_width, column=key, source=source)
    dup = keys[keys.duplicated(keep=False)]
    if len(dup):
        shown = ", ".join(
            f"'{k}' ({line_word}s {', '.join(str(lines[i]) for i in dup.index[dup == k])})"
            for k in list(dict.fromkeys(dup))[:10])
        raise DistrictKeyError(
            f"{dup.nunique()} duplicate key(s) in column '{key}' {where}: {shown}. "
            "Each district must appear once: remove the duplicate rows or aggregate them "
            "first (or choose another key column).")
    return pd.Series(keys.tolist(), index=column.index, dtype=_TEXT)
