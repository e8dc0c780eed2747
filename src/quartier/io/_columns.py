"""Private helpers of :func:`quartier.io.tables.read_table`: cells to typed columns.

The rules of ``read_table`` (markers, numbers, key-like columns, bad cells named with their
lines) applied to one column: cell by cell (:func:`convert_column`) or on a whole pyarrow
column of the vectorised path (:func:`fast_column`, the same results). Nothing here is public
API.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from quartier.errors import QuartierWarning, ValueParseError
from quartier.io import _csvsniff as sniff
from quartier.io import _fastcsv
from quartier.io._detect import is_empty as _is_empty

_TEXT = "str" if int(pd.__version__.split(".")[0]) >= 3 else object
_LEADING_ZERO = re.compile(r"^0\d+$")
# phone numbers (+49 30 1234567) are digits but not numbers
_PHONE = re.compile(r"^\+\s?\d[\d\s/()\-–+]{7,}$")
_EMPTY, _NA, _SUPPRESSED, _NUMBER, _TEXTCELL, _OTHER = range(6)
_UNKNOWN = object()  # _fast_column: not yet known whether a column holds plain integers


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


def _classify_all(cells, parse, nas):
    """(kinds, values) of all cells; each distinct text cell is classified once."""
    if cells and all(type(c) is str for c in cells):
        codes, uniques = pd.factorize(pd.Series(cells, dtype=object), use_na_sentinel=False)
        done = [_classify(u, parse, nas) for u in uniques]
        kinds = [k for k, _ in done]
        values = [v for _, v in done]
        return [kinds[c] for c in codes], [values[c] for c in codes]
    if cells and set(map(type, cells)) <= {int, float, type(None)}:  # numbers from Excel
        kinds = [_EMPTY if c is None or c != c else _NUMBER for c in cells]
        return kinds, [None if k == _EMPTY else c for k, c in zip(kinds, cells, strict=True)]
    return zip(*(_classify(c, parse, nas) for c in cells), strict=True)


#: Words of a yes/no column: Python and pandas (True/False), Excel's German display (WAHR/FALSCH).
_BOOLEAN = {"true": True, "false": False, "wahr": True, "falsch": False}


def as_boolean(column: pd.Series) -> pd.Series:
    """A text column whose every filled cell is True/False (any case) or WAHR/FALSCH as
    pandas' nullable ``boolean``; any other column as it is. ("ja"/"nein" stay text: they are
    answers as often as flags.)"""
    if column.dtype == bool or pd.api.types.is_numeric_dtype(column.dtype):
        return column
    filled = column.dropna()
    values = filled.unique()
    if not 0 < len(values) <= 2 * len(_BOOLEAN) or not all(
            isinstance(v, str) and v.strip().lower() in _BOOLEAN for v in values):
        return column
    out = pd.Series(pd.NA, index=column.index, dtype="boolean")
    out[filled.index] = filled.map(lambda v: _BOOLEAN[v.strip().lower()]).astype(bool)
    return out


def _not_numbers(name, where, n_num, n_bad, shown, bad_values, info) -> ValueParseError:
    """The error for a numeric column with ``n_bad`` text cells (``shown``: the first ten with
    their lines), with the other decimal mark as the fix where it would read them."""
    other = "." if info["decimal"] == "," else ","
    hint = ""
    if any(sniff.number_parser(other, None)(v) is not None for v in bad_values):
        hint = f" The file was read with decimal='{info['decimal']}'; if that is wrong, " \
               f"pass decimal='{other}'."
    return ValueParseError(
        f"column '{name}' {where} holds numbers ({n_num} cells) but {n_bad} cell(s) are "
        f"not numbers: {shown}{' ...' if n_bad > 10 else ''}.{hint} Correct the "
        f"cell, or pass text_columns=['{name}'] to keep the column as text.")


def convert_column(name, cells, lines, parse, nas, force_text, where, line_word, info):
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
        raise _not_numbers(name, where, n_num, len(bad), shown, [v for v, _ in bad], info)
    if n_num and n_text and not force_text and not key_like and n_num >= n_text:
        # mostly numbers, but too few to be sure the text cells are mistakes: keep it as text,
        # and say so (a silent text column would fail much later, far from its cause)
        bad = [(values[i], lines[i]) for i, k in enumerate(kinds) if k == _TEXTCELL][:5]
        shown = ", ".join(f"'{v}' ({line_word} {line})" for v, line in bad)
        warnings.warn(
            f"column '{name}' {where} holds {n_num} numbers and {n_text} text cell(s) "
            f"({shown}); it was kept as text. If it holds numbers, correct those cells; "
            f"pass text_columns=['{name}'] to confirm it is text.",
            QuartierWarning, stacklevel=5)
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


def fast_column(name, cells, lines, parse, nas, force_text, where, line_word, info, odd=True,
                 plain=_UNKNOWN, encoded=None):  # plain: None = not plain integers
    """:func:`convert_column` on a whole pyarrow column of stripped cells (same results).

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
        encoded = _fastcsv._encode(cells)
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
        bad = distinct.filter(pa.array(kinds_d == _TEXTCELL)).to_pylist()
        raise _not_numbers(name, where, n_num, n_text, shown, bad, info)
    if n_num and n_text and not force_text and not key_like and n_num >= n_text:
        shown = ", ".join(f"'{v}' ({line_word} {lines[i]})"
                          for v, i in zip(texts[:5], where_text[:5], strict=True))
        warnings.warn(
            f"column '{name}' {where} holds {n_num} numbers and {n_text} text cell(s) "
            f"({shown}); it was kept as text. If it holds numbers, correct those cells; "
            f"pass text_columns=['{name}'] to confirm it is text.",
            QuartierWarning, stacklevel=5)
    if numeric:
        whole = n_num == n and bool(np.all(np.mod(values, 1) == 0))
        if whole and np.all(np.abs(values) < 2**63):
            return pd.Series(values.astype("int64")), marks
        return pd.Series(values), marks
    missing = (kinds_d == _EMPTY) | (kinds_d == _NA)
    if _TEXT == "str":  # pandas >= 3: its text columns are pyarrow strings, no Python objects
        text_d = pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), distinct)
        return pd.Series(text_d.take(pa.array(codes)), dtype=_TEXT), []
    text_d = distinct.to_numpy(zero_copy_only=False).astype(object)
    text_d[missing] = None
    return pd.Series(text_d[codes], dtype=_TEXT), []


def _as_text(cell) -> str:
    if isinstance(cell, str):
        return cell.strip(sniff._SPACE)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
