"""Private checks shared by every room: files and columns that exist, numbers in range."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from quartier.errors import (
    ColumnError,
    InputFileError,
    ParameterError,
    ValueParseError,
    format_list,
)


def existing_file(source: str | os.PathLike, *, suffixes: Iterable[str] | None = None,
                  folder_ok: bool = True, type_hint: str = "") -> Path:
    """Return ``source`` as a Path, or raise InputFileError that helps find the right one.

    Checks the file type (``suffixes``), that the file exists (suggesting similar names in
    its folder), that it is not empty, and, with ``folder_ok=False``, that it is not a folder.
    ``type_hint`` is added to the message about an unsupported type.
    """
    path = Path(source).expanduser()
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        if not path.name.lower().endswith(allowed) and not path.is_dir():
            raise InputFileError(
                f"file '{path}' has a type quartier does not read here. "
                f"Supported are: {format_list(allowed, limit=20)}.{type_hint}"
            )
    if not path.exists():
        folder = path.parent
        hint = ""
        if folder.is_dir():
            close = difflib.get_close_matches(path.name, sorted(os.listdir(folder)), n=5,
                                              cutoff=0.5)
            if close:
                hint = f" Similar files in '{folder}': {format_list(close)}."
        else:
            hint = f" The folder '{folder}' does not exist either."
        raise InputFileError(
            f"file '{path}' does not exist. Check the path and the spelling (relative paths "
            f"start at '{Path.cwd()}').{hint}"
        )
    if path.is_dir():
        if not folder_ok:
            raise InputFileError(f"'{path}' is a folder, not a file. Give the path of a file.")
    elif path.stat().st_size == 0:
        raise InputFileError(f"file '{path}' is empty (0 bytes). Export it again from its source.")
    return path


def column_error(column: str, present: Iterable[object], *, where: str,
                 role: str = "column") -> ColumnError:
    """ColumnError for a missing column: where it was looked for, close matches, what is there."""
    names = [str(c) for c in present if c != "geometry"]

    def squash(text: str) -> str:
        return "".join(ch for ch in str(text).lower() if ch.isalnum())

    close = [n for n in names if squash(n) == squash(column)]
    close = close or difflib.get_close_matches(str(column), names, n=3, cutoff=0.6)
    hint = f" Did you mean {format_list(close)}?" if close else ""
    return ColumnError(
        f"{role} '{column}' not found {where}.{hint} Columns are: {format_list(names, limit=30)}."
    )


def require_column(df: pd.DataFrame, column: str, *, source: str, role: str = "column") -> None:
    """Raise ColumnError naming the file, the missing column, the present ones and a close match."""
    if column not in df.columns:
        raise column_error(column, df.columns, where=f"in '{source}'", role=role)


def district_key(by: pd.DataFrame, by_key: str | None, *, source: str = "by",
                 param: str = "by_key") -> str:
    """The key column of districts, given explicitly as ``by_key``; checked to exist.

    Raises ColumnError naming the parameter to pass when ``by_key`` is None,
    and when the column is missing.
    """
    if by_key is None:
        raise ColumnError(
            f"say which column of `{source}` holds the district key: pass {param}='PLR_ID' "
            f"(the key column of `{source}`, as given to read_districts(..., key=...))."
        )
    require_column(by, by_key, source=source, role="key column")
    return by_key


def population_values(frame: pd.DataFrame, column: str, *, source: str = "demand",
                      role: str = "demand column") -> np.ndarray:
    """A column of people as float64: present, numeric, no missing and no negative values.

    Raises ColumnError when the column is missing and ValueParseError naming the rows when
    values are missing or negative.
    """
    require_column(frame, column, source=source, role=role)
    series = frame[column]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        fast = series.to_numpy(dtype=float, na_value=np.nan)
        if (fast >= 0).all():  # NaN compares False: falls through to the full check
            return fast
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        raise ValueParseError(
            f"{role} '{column}' has missing or negative values in {int(bad.sum())} row(s) "
            f"(index {format_list(frame.index[bad.to_numpy()])}). Populations must be zero or "
            "more; fill missing ones with 0 if they mean nobody (suppressed cells: decide how "
            "to estimate them first)."
        )
    return values.to_numpy(dtype=float)


#: Larger than any distance (metres) or travel time (minutes) in a German city or county:
#: a value above it is a typing error (or 1e300), not a reach.
MAX_REACH = 1e7


def positive_number(value, name: str, *, unit: str = "", upper: float = MAX_REACH) -> float:
    """``value`` as a float that is a finite number above 0 (and at most ``upper``), else a
    :class:`~quartier.errors.ParameterError` that names the parameter and what it accepts.

    One check for every reach, spacing, buffer and snapping distance where it enters, so no
    NaN, inf, 0, negative or absurd value reaches a kernel.

    Examples
    --------
    >>> positive_number(500, "max_cost")
    500.0
    >>> positive_number(float("inf"), "max_cost", unit="metres")
    Traceback (most recent call last):
    ...
    quartier.errors.ParameterError: max_cost must be greater than 0 metres and finite, not inf.
    """
    what = f"{name} must be greater than 0{' ' + unit if unit else ''} and finite"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ParameterError(f"{what}, not {value!r} ({type(value).__name__}).")
    number = float(value)
    if not np.isfinite(number) or number <= 0:
        raise ParameterError(f"{what}, not {value!r}.")
    if number > upper:
        raise ParameterError(f"{name}={value!r} is implausibly large (more than {upper:g}"
                             f"{' ' + unit if unit else ''}); check the value and its unit.")
    return number
