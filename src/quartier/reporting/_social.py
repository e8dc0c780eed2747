"""Private helpers of the social-reporting modules (rates, index, years, disclosure)."""

from __future__ import annotations

import pandas as pd
from pandas.api import types as ptypes

from quartier._checks import require_column
from quartier.errors import ColumnError, DistrictKeyError, format_list
from quartier.io.keys import normalize_keys


def key_column(table: pd.DataFrame, key: str | None, *, source: str, required: bool = True
               ) -> str | None:
    """The key column ``key``, checked; None (when not ``required``) or a ColumnError if not given."""
    if key is None:
        if not required:
            return None
        raise ColumnError(
            f"no key column given for {source}. Pass key='<column with district keys>', "
            "e.g. key='PLR_ID'."
        )
    require_column(table, key, source=source, role="key column")
    return key


def unique_keys(table: pd.DataFrame, key: str, *, source: str) -> pd.Series:
    """The keys of ``table`` as strings; duplicates are an error that lists them."""
    keys = normalize_keys(table[key], column=key, source=source)
    dup = keys[keys.duplicated()]
    if len(dup):
        raise DistrictKeyError(
            f"{len(dup)} duplicate key(s) in column '{key}' of {source}: "
            f"{format_list(dup.unique())}. Each district needs exactly one row: aggregate or "
            "remove the duplicates first."
        )
    return keys


def numeric_column(table: pd.DataFrame, column: str, *, source: str, role: str = "column"
                   ) -> pd.Series:
    """``table[column]`` as float; a text column is a ColumnError with a fix."""
    require_column(table, column, source=source, role=role)
    values = table[column]
    if ptypes.is_bool_dtype(values) or not ptypes.is_numeric_dtype(values):
        raise ColumnError(
            f"{role} '{column}' of {source} is not numeric (dtype {values.dtype}). Convert it "
            "with pandas.to_numeric or read the file with quartier.read_table, which parses "
            "German number formats."
        )
    return values.astype(float)
