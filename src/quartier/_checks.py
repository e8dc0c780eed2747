"""Private checks shared by the readers: files that exist, columns that exist."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ColumnError, InputFileError, ValueParseError, format_list


def existing_file(source: str | os.PathLike, *, suffixes: Iterable[str] | None = None) -> Path:
    """Return ``source`` as a Path, or raise InputFileError that helps find the right one."""
    path = Path(source).expanduser()
    if not path.exists():
        hint = "Check the path and the spelling."
        folder = path.parent if str(path.parent) else Path(".")
        if folder.is_dir():
            names = sorted(p.name for p in folder.iterdir())
            close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.5)
            if close:
                hint = f"Did you mean {format_list(close)} in '{folder}'?"
        else:
            hint = f"The folder '{folder}' does not exist either."
        raise InputFileError(f"file '{path}' does not exist. {hint}")
    if path.is_file() and path.stat().st_size == 0:
        raise InputFileError(f"file '{path}' is empty (0 bytes). Export it again from its source.")
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        name = path.name.lower()
        if not path.is_dir() and not name.endswith(allowed):
            raise InputFileError(
                f"file '{path}' has a type quartier does not read here. "
                f"Supported are: {format_list(allowed, limit=20)}."
            )
    return path


def require_column(df: pd.DataFrame, column: str, *, source: str, role: str = "column") -> None:
    """Raise ColumnError naming the file, the missing column, the present ones and a close match."""
    if column in df.columns:
        return
    present = [str(c) for c in df.columns if c != "geometry"]
    suggestion = close_column(column, present)
    hint = f" Did you mean '{suggestion}'?" if suggestion else ""
    raise ColumnError(
        f"{role} '{column}' not found in '{source}'.{hint} "
        f"Columns are: {format_list(present, limit=30)}."
    )


def district_key(by: pd.DataFrame, by_key: str | None, *, source: str = "by") -> str:
    """The key column of districts: ``by_key``, else the one ``read_districts`` recorded; checked."""
    key = by_key or by.attrs.get("quartier_key")
    if key is None:
        raise ColumnError(
            f"say which column of `{source}` holds the district key: by_key=... (or read the "
            "districts with quartier.read_districts(..., key=...), which records it)."
        )
    require_column(by, key, source=source, role="key column")
    return key


def close_column(column: str, present: list[str]) -> str | None:
    """The present column most like ``column`` (ignoring case, spaces, - and _), if any."""

    def squash(text: str) -> str:
        return "".join(ch for ch in str(text).lower() if ch.isalnum())

    squashed = {squash(c): c for c in present}
    if squash(column) in squashed:
        return squashed[squash(column)]
    close = difflib.get_close_matches(str(column), present, n=1, cutoff=0.6)
    return close[0] if close else None


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
