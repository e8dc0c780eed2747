"""District keys: always strings, repaired explicitly, never by accident.

Official keys (Planungsraum ``01100101``, Stadtteil ``0101``, AGS ``11000000``)
look like numbers, and spreadsheets and GIS tools like to store them as
numbers, which drops their leading zeros. quartier keeps keys as strings and
repairs lost zeros only when the caller names a key width.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from quartier.errors import DistrictKeyError, format_list

__all__ = ["normalize_keys", "looks_like_lost_zeros"]

_FLOAT_INT = re.compile(r"^(-?\d+)\.0+$")


def _one_key(value: object) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    text = str(value).strip()
    if text == "" or text.lower() == "nan":
        return None
    # "1200520.0" is what a float column turns into when written as text
    match = _FLOAT_INT.match(text)
    return match.group(1) if match else text


def _text_keys(values: pd.Series) -> pd.Series | None:
    """:func:`_one_key` on a column of text, vectorised (None if it holds anything else)."""
    if not isinstance(values, pd.Series) or not (
            isinstance(values.dtype, pd.StringDtype) or (
            values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string")):
        return None
    try:
        text = values.astype(pd.StringDtype("pyarrow"))
    except ImportError:  # without pyarrow: the same string methods on Python strings
        text = values.astype(pd.StringDtype("python"))
    text = text.str.strip()
    missing = (text.isna() | (text == "") | (text.str.lower() == "nan")).to_numpy(
        dtype=bool, na_value=True)
    text = text.str.replace(_FLOAT_INT.pattern, r"\1", regex=True)
    out = text.to_numpy(dtype=object, na_value=None)
    out[missing] = None
    return pd.Series(out, index=values.index, dtype=object)


def normalize_keys(
    values: pd.Series,
    *,
    key_width: int | None = None,
    column: str | None = None,
    source: str | None = None,
    allow_missing: bool = False,
) -> pd.Series:
    """Turn a column of district keys into strings, optionally zero-padded.

    Integers and integral floats become their digits (``1200520.0`` becomes
    ``"1200520"``), text is stripped of surrounding spaces. With ``key_width``
    keys shorter than the width are padded with leading zeros; keys longer than
    the width are an error, because padding cannot repair them.

    Parameters
    ----------
    values : pandas.Series
        The keys, of any dtype.
    key_width : int, optional
        Total width of a key; shorter keys get leading zeros. For Berlin
        Planungsräume 8, Bezirksregionen 6, Bezirke 2.
    column, source : str, optional
        Column and file name, used in error messages.
    allow_missing : bool, default False
        If False, empty keys are an error that lists the rows.

    Returns
    -------
    pandas.Series
        Keys as Python strings (dtype ``object``; missing keys are ``None``),
        with the index of ``values``.

    Raises
    ------
    DistrictKeyError
        If keys are missing (and not allowed) or longer than ``key_width``.

    Examples
    --------
    >>> import pandas as pd
    >>> normalize_keys(pd.Series([1200520, 2200212.0, " 01100101 "]), key_width=8).tolist()
    ['01200520', '02200212', '01100101']
    """
    where = _where(column, source)
    keys = _text_keys(values)
    if keys is None:
        keys = pd.Series([_one_key(v) for v in values], index=values.index, dtype=object)
    missing = keys.isna()
    if missing.any() and not allow_missing:
        rows = [_row_label(i) for i in keys.index[missing]]
        raise DistrictKeyError(
            f"{int(missing.sum())} empty key(s){where}, in row(s) {format_list(rows)}. "
            "Every district needs a key: fill in the missing keys or remove those rows."
        )
    if key_width is not None:
        if not isinstance(key_width, int | np.integer) or key_width < 1:
            raise DistrictKeyError(f"key_width must be a positive whole number, not {key_width!r}.")
        present = keys[~missing]
        too_long = present[present.str.len() > key_width]
        if len(too_long):
            raise DistrictKeyError(
                f"{len(too_long)} key(s){where} are longer than key_width={key_width}: "
                f"{format_list(too_long.unique())}. Check key_width (a Berlin Planungsraum "
                "has 8 digits, a Bezirksregion 6, a Bezirk 2) or the key column."
            )
        keys[~missing] = present.str.zfill(key_width)
    return keys


def looks_like_lost_zeros(keys: pd.Series, reference: pd.Series) -> int | None:
    """Guess whether ``keys`` are ``reference`` keys that lost their leading zeros.

    Parameters
    ----------
    keys : pandas.Series
        Keys as strings, possibly shortened.
    reference : pandas.Series
        Keys as strings, all of one width.

    Returns
    -------
    int or None
        The width that would repair them (to suggest as ``key_width``), or
        None if padding would not make more keys match.

    Examples
    --------
    >>> import pandas as pd
    >>> looks_like_lost_zeros(pd.Series(["1200520"]), pd.Series(["01200520", "12000101"]))
    8
    """
    ref = pd.Series(reference).dropna().astype(str)
    got = pd.Series(keys).dropna().astype(str)
    widths = ref.str.len().unique()
    if len(widths) != 1 or got.empty:
        return None
    width = int(widths[0])
    ref_set = set(ref)
    before = got.isin(ref_set).sum()
    after = got.str.zfill(width).isin(ref_set).sum()
    return width if after > before else None


def _where(column: str | None, source: str | None) -> str:
    parts = []
    if column is not None:
        parts.append(f" in column '{column}'")
    if source is not None:
        parts.append(f" of '{source}'")
    return "".join(parts)


def _row_label(index: object) -> object:
    # rows are reported 1-based as a person counts them in a file (after the header)
    if isinstance(index, int | np.integer):
        return int(index) + 1
    return index
