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

import numpy as np
import pandas as pd

from quartier._checks import column_error, existing_file
from quartier._report import Report
from quartier.errors import (
    DistrictKeyError,
    InputFileError,
    ParameterError,
    QuartierWarning,
    ValueParseError,
    format_list,
)
from quartier.io import _csvsniff as sniff
from quartier.io import _detect, _fastcsv, _xlsx
from quartier.io._detect import is_empty as _is_empty
from quartier.io.keys import normalize_keys
from quartier.settings import get_language

__all__ = ["read_table", "TableReport"]

_CSV_SUFFIXES = (".csv", ".txt", ".csv.gz", ".txt.gz")
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_TEXT = "str" if int(pd.__version__.split(".")[0]) >= 3 else object
_LEADING_ZERO = re.compile(r"^0\d+$")
# phone numbers (+49 30 1234567) are digits but not numbers
_PHONE = re.compile(r"^\+\s?\d[\d\s/()\-–+]{7,}$")
_EMPTY, _NA, _SUPPRESSED, _NUMBER, _TEXTCELL, _OTHER = range(6)
_UNKNOWN = object()  # _fast_column: not yet known whether a column holds plain integers
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
        fields than the header, or its extension is not supported.
    ColumnError
        If ``key`` or a column of ``text_columns`` is not in the table.
    DistrictKeyError
        If keys are empty, duplicated or longer than ``key_width``.
    ValueParseError
        If a column is clearly numeric (at least 3 and 80 % of its filled
        cells are numbers) but some cells are not numbers.

    Warns
    -----
    QuartierWarning
        When title, unit or footnote lines are skipped, when a workbook has
        several sheets and none was chosen, or when header names repeat.

    Notes
    -----
    Detection rules:

    - **Encoding**: strict UTF-8 (a BOM is removed), otherwise Windows-1252.
    - **Separator**: of ``;``, ``,``, tab and ``|`` the one that splits most
      of the first 60 lines into the same number (more than one) of fields
      (quotes respected); ties go to more fields.
    - **Title and footnote lines**: the table width is the most frequent
      number of fields. Leading lines with another number of fields, or with
      no more than half of the fields filled, are title lines; trailing lines
      with another number of fields, or with only the first field filled,
      are footnotes. Up to three lines right after the header that hold text
      (units, descriptions) where the columns below hold numbers are skipped
      as well. All skipped lines are reported in a warning.
    - **Decimal separator**: decided once per file from all number-looking
      cells. ``12,6`` and ``1.234,5`` count for a decimal comma; ``-0.25``,
      ``.707``, ``1200.5``, ``0.123`` and ``1,234.5`` for a decimal point.
      The majority wins. Without such evidence, numbers like ``1.234`` or
      ``1.234.567`` (groups of exactly three digits) are read with ``.`` as
      thousands separator, except in ``,``-separated files, which default to
      a decimal point.
    - **Markers**: in numeric columns ``.``, ``x``, ``X``, ``*``, ``/``,
      ``…`` and ``...`` (suppressed, in ``TableReport.suppressed``), empty cells and
      ``na_values`` become NaN; ``-`` or ``–`` alone means zero. Negative
      numbers may have spaces after the sign (``-  73``).
    - **Types**: a column whose filled cells are all numbers becomes
      ``int64`` if it is complete and whole, else ``float64``; unless a cell
      is a digit string with a leading zero (``0101``): such key-like columns
      stay text, as do ``key`` and ``text_columns``. Header names are
      stripped and inner runs of whitespace collapsed.

    Large CSV files: with pyarrow installed (extra ``quartier[parquet]``), a
    CSV without quote characters whose body rows all have the table's width
    and no blank lines is read vectorised (the layout from per-line
    statistics, the body once by pyarrow's CSV reader, every rule above
    applied to whole columns), within a few times the time of
    ``pandas.read_csv`` told every option (docs/performance.md). Other files
    are read cell by cell. Both give the same frame, report, warnings and
    errors.

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
        del data
        if not text or text.isspace():
            raise InputFileError(f"file '{path}' is empty. Check that it was exported completely.")
        info["sep"] = sep or sniff.sniff_separator(text)
        where, line_word = f"of '{path}'", "line"
        fast = _fastcsv.layout(text, info["sep"], skiprows)
        if fast is None and not _fastcsv.available() and text.count("\n") > _LARGE:
            warnings.warn(
                f"reading {text.count(chr(10)):,} lines {where} cell by cell; with pyarrow "
                "installed (pip install \"quartier[fast]\") large plain CSV files are read "
                "many times faster, with the same results.", QuartierWarning, stacklevel=2)
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
            columns[name], marks = _fast_column(
                name, fast.cells[j][extra:], body_lines, parse, nas, name in forced, where,
                line_word, info, fast.odd, _UNKNOWN if extra else fast.plain[j],
                None if extra or fast.odd else fast.encoded[j])
        else:
            cells = [row[j] for row in body]
            columns[name], marks = _convert_column(
                name, cells, body_lines, parse, nas, name in forced, where, line_word, info)
        if len(marks):
            suppressed[name] = marks
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
            QuartierWarning, stacklevel=2)
    if not report:
        return df
    mask = pd.DataFrame(False, index=df.index, columns=list(suppressed), dtype=bool)
    for name, rows in suppressed.items():
        mask.iloc[rows, mask.columns.get_loc(name)] = True
    return df, TableReport(
        source=info["source"], encoding=info["encoding"], sep=info["sep"],
        decimal=info["decimal"], thousands=info["thousands"], sheet=info["sheet"],
        skipped_lines=tuple(info["skipped_lines"]), key=key, suppressed=mask)


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


def _classify(cell, parse, nas):
    """Return (kind, value) of one cell."""
    if _is_empty(cell):
        return _EMPTY, None
    if isinstance(cell, bool):
        return _OTHER, cell
    if isinstance(cell, int | float | np.integer | np.floating):
        return _NUMBER, cell
    if not isinstance(cell, str):
        return _OTHER, cell
    text = cell.strip(sniff._SPACE)
    if text in nas:
        return _NA, None
    if text in sniff.SUPPRESSED:
        return _SUPPRESSED, None
    if text in sniff.ZERO:
        return _NUMBER, 0
    value = parse(text)
    return (_TEXTCELL, text) if value is None else (_NUMBER, value)


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


def _classify_all(cells, parse, nas):
    """(kinds, values) of all cells; each distinct text cell is classified once."""
    if cells and all(type(c) is str for c in cells):
        codes, uniques = pd.factorize(pd.Series(cells, dtype=object), use_na_sentinel=False)
        done = [_classify(u, parse, nas) for u in uniques]
        kinds = [k for k, _ in done]
        values = [v for _, v in done]
        return [kinds[c] for c in codes], [values[c] for c in codes]
    return zip(*(_classify(c, parse, nas) for c in cells), strict=True)


def _convert_column(name, cells, lines, parse, nas, force_text, where, line_word, info):
    kinds, values = _classify_all(cells, parse, nas)
    kinds, values = tuple(kinds), tuple(values)
    n_num, n_text = kinds.count(_NUMBER), kinds.count(_TEXTCELL)
    marks = [i for i, k in enumerate(kinds) if k == _SUPPRESSED]
    distinct = {c.strip() for c in cells if isinstance(c, str)}
    key_like = any(_LEADING_ZERO.match(c) or _PHONE.match(c) for c in distinct)
    numeric = not force_text and not key_like and n_text == 0 and _OTHER not in kinds
    if n_text and not force_text and not key_like and n_num >= 3 \
            and n_num >= 0.8 * (n_num + n_text):
        bad = [(values[i], lines[i]) for i, k in enumerate(kinds) if k == _TEXTCELL]
        shown = ", ".join(f"'{v}' ({line_word} {line})" for v, line in bad[:10])
        other = "." if info["decimal"] == "," else ","
        hint = ""
        if any(sniff.number_parser(other, None)(v) is not None for v, _ in bad):
            hint = f" The file was read with decimal='{info['decimal']}'; if that is wrong, " \
                   f"pass decimal='{other}'."
        raise ValueParseError(
            f"column '{name}' {where} holds numbers ({n_num} cells) but {len(bad)} cell(s) are "
            f"not numbers: {shown}{' ...' if len(bad) > 10 else ''}.{hint} Correct the "
            f"cell, or pass text_columns=['{name}'] to keep the column as text.")
    if n_num and n_text and not force_text and not key_like and n_num >= n_text:
        # mostly numbers, but too few to be sure the text cells are mistakes: keep it as text,
        # and say so (a silent text column would fail much later, far from its cause)
        bad = [(values[i], lines[i]) for i, k in enumerate(kinds) if k == _TEXTCELL][:5]
        shown = ", ".join(f"'{v}' ({line_word} {line})" for v, line in bad)
        warnings.warn(
            f"column '{name}' {where} holds {n_num} numbers and {n_text} text cell(s) "
            f"({shown}); it was kept as text. If it holds numbers, correct those cells; "
            f"pass text_columns=['{name}'] to confirm it is text.",
            QuartierWarning, stacklevel=4)
    if numeric:
        floats = np.array([np.nan if v is None else v for v in values], dtype="float64")
        whole = all(v is not None and float(v).is_integer() for v in values)
        if whole and np.all(np.abs(floats) < 2**63):
            return pd.Series(floats.astype("int64")), marks
        return pd.Series(floats), marks
    if _OTHER in kinds:  # dates or booleans from Excel: keep the cells as they are
        return pd.Series([None if k == _EMPTY else c for k, c in zip(kinds, cells, strict=True)],
                         dtype=object), []
    texts = [None if k in (_EMPTY, _NA) else _as_text(c) for k, c in zip(kinds, cells, strict=True)]
    return pd.Series(texts, dtype=_TEXT), []


def _fast_column(name, cells, lines, parse, nas, force_text, where, line_word, info, odd=True,
                 plain=_UNKNOWN, encoded=None):  # plain: None = not plain integers
    """:func:`_convert_column` on a whole pyarrow column of stripped cells (same results).

    The rules of :func:`_classify` run vectorised over the distinct cells (the dictionary of
    the column); cells in unusual forms (spaces inside, non-ASCII) go through ``_classify``
    itself, once per distinct cell.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(cells)
    if plain is _UNKNOWN:
        plain = _fastcsv.plain_integers(cells)
    if plain is not None and not force_text and not _fastcsv.key_like(cells):
        # every cell a whole number in plain digits: the same result as the rules below,
        # which go through float64 (whole numbers beyond 2**53 are rounded there)
        none = np.array([], dtype=np.int64)
        if len(plain) and np.abs(plain).max() < 2**53:
            return pd.Series(plain.astype(np.int64, copy=False)), none
        plain = plain.astype(np.float64)
        if np.all(np.abs(plain) < 2**63):
            return pd.Series(plain.astype("int64")), none
        return pd.Series(plain), none
    if encoded is None:
        encoded = pc.dictionary_encode(
            cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells)
    distinct, codes = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
    m = len(distinct)
    kinds_d = np.full(m, _TEXTCELL, dtype=np.int8)
    values_d = np.full(m, np.nan)
    # one look-up for all markers, in the order of _classify: empty, na_values, suppressed, zero
    known, kind_of = [""], [_EMPTY]
    for group, kind in ((sorted(nas), _NA), (sorted(sniff.SUPPRESSED), _SUPPRESSED),
                        (sorted(sniff.ZERO), _NUMBER)):
        for value in group:
            if value not in known:
                known.append(value)
                kind_of.append(kind)
    found = pc.index_in(distinct, value_set=pa.array(known, pa.string()))
    taken = pc.is_valid(found)
    found = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    kind_of = np.array(kind_of + [_TEXTCELL], dtype=np.int8)
    is_marker = found >= 0
    kinds_d[is_marker] = kind_of[found[is_marker]]
    values_d[is_marker & (kinds_d == _NUMBER)] = 0.0
    slow = pc.and_(pc.invert(taken), _fastcsv._slow_subset(distinct, odd))
    pattern = _fastcsv.number_pattern(info["decimal"], info["thousands"])
    number = pc.and_(pc.and_(pc.invert(taken), pc.invert(slow)),
                     pc.match_substring_regex(distinct, pattern))
    number_np = number.to_numpy(zero_copy_only=False)
    if number_np.any():
        values_d[number_np] = _fastcsv.to_numbers(
            distinct, number, info["decimal"], info["thousands"])[number_np]
        kinds_d[number_np] = _NUMBER
    at = np.flatnonzero(slow.to_numpy(zero_copy_only=False))
    if len(at):  # unusual forms: the cell-by-cell rules, once per distinct cell
        for i, c in zip(at, distinct.take(pa.array(at)).to_pylist(), strict=True):
            kind, value = _classify(c, parse, nas)
            kinds_d[i] = kind
            if kind == _NUMBER:
                values_d[i] = value
    kinds, values = kinds_d[codes], values_d[codes]
    is_text = kinds == _TEXTCELL
    n_num, n_text = int(np.count_nonzero(kinds == _NUMBER)), int(np.count_nonzero(is_text))
    marks = np.flatnonzero(kinds == _SUPPRESSED)
    key_like = _fastcsv.key_like(distinct)
    numeric = not force_text and not key_like and n_text == 0
    if n_text and not force_text and not key_like:
        where_text = np.flatnonzero(is_text)
        texts = distinct.take(pa.array(codes[where_text[:10]])).to_pylist()
    if n_text and not force_text and not key_like and n_num >= 3 \
            and n_num >= 0.8 * (n_num + n_text):
        shown = ", ".join(f"'{v}' ({line_word} {lines[i]})"
                          for v, i in zip(texts, where_text[:10], strict=True))
        other = "." if info["decimal"] == "," else ","
        hint = ""
        bad = distinct.filter(pa.array(kinds_d == _TEXTCELL)).to_pylist()
        if any(sniff.number_parser(other, None)(v) is not None for v in bad):
            hint = f" The file was read with decimal='{info['decimal']}'; if that is wrong, " \
                   f"pass decimal='{other}'."
        raise ValueParseError(
            f"column '{name}' {where} holds numbers ({n_num} cells) but {n_text} cell(s) are "
            f"not numbers: {shown}{' ...' if n_text > 10 else ''}.{hint} Correct the "
            f"cell, or pass text_columns=['{name}'] to keep the column as text.")
    if n_num and n_text and not force_text and not key_like and n_num >= n_text:
        shown = ", ".join(f"'{v}' ({line_word} {lines[i]})"
                          for v, i in zip(texts[:5], where_text[:5], strict=True))
        warnings.warn(
            f"column '{name}' {where} holds {n_num} numbers and {n_text} text cell(s) "
            f"({shown}); it was kept as text. If it holds numbers, correct those cells; "
            f"pass text_columns=['{name}'] to confirm it is text.",
            QuartierWarning, stacklevel=4)
    if numeric:
        whole = n_num == n and bool(np.all(np.mod(values, 1) == 0))
        if whole and np.all(np.abs(values) < 2**63):
            return pd.Series(values.astype("int64")), marks
        return pd.Series(values), marks
    text_d = distinct.to_numpy(zero_copy_only=False).astype(object)
    text_d[(kinds_d == _EMPTY) | (kinds_d == _NA)] = None
    return pd.Series(text_d[codes], dtype=_TEXT), []


def _as_text(cell) -> str:
    if isinstance(cell, str):
        return cell.strip(sniff._SPACE)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


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
