"""Rates and district levels: shares from explicit counts, aggregation to higher levels.

A rate (Quote, Anteil) is always computed from its two counts, never averaged:
when Planungsräume are combined to Bezirksregionen, the numerators and the
denominators are summed and the rate is computed again. An unweighted mean of
the small-area rates would give every area the same weight, whatever its size.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier._checks import positive_number, require_column
from quartier.errors import (
    ColumnError,
    DistrictKeyError,
    ParameterError,
    ParameterTypeError,
    QuartierWarning,
    format_list,
)
from quartier.io.keys import normalize_keys
from quartier.reporting._social import key_column, numeric_column, unique_keys

__all__ = ["rate", "aggregate"]


def _rate_values(num: pd.Series, den: pd.Series, per: float) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = num.to_numpy(dtype=float) / den.to_numpy(dtype=float) * per
    values[den.to_numpy(dtype=float) == 0] = np.nan
    return pd.Series(values, index=num.index)


def rate(table: pd.DataFrame, numerator: str, denominator: str, *, per: float = 100,
         name: str | None = None) -> pd.DataFrame:
    """Add a rate ``numerator / denominator * per`` as a new column.

    Parameters
    ----------
    table : pandas.DataFrame or geopandas.GeoDataFrame
        One row per district with the two count columns.
    numerator, denominator : str
        Count columns, e.g. ``"arbeitslose"`` and ``"ew_15_65"``.
    per : float, default 100
        100 for a percentage, 1000 for "per 1,000 inhabitants", 1 for a share.
    name : str, optional
        Name of the new column; default ``"<numerator>_je_<per>_<denominator>"``
        (``"<numerator>_anteil"`` is not used because it hides the denominator).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with the rate column added (or replaced). A zero
        denominator gives NaN (never ``inf``), as does a missing count.
        Nothing is recorded on the frame: pass the link on as
        ``rates={name: (numerator, denominator)}`` to
        :func:`quartier.apply_disclosure` (which then suppresses the rate
        wherever one of its counts is suppressed), to maps and to
        :func:`aggregate` (which recomputes it).

    Raises
    ------
    ColumnError
        If a column is missing or not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ew": [200, 0, 50], "ew_65plus": [50, 0, 5]})
    >>> out = rate(df, "ew_65plus", "ew", name="anteil_65plus")
    >>> out["anteil_65plus"].tolist()
    [25.0, nan, 10.0]
    >>> import quartier
    >>> with quartier.disclosure(6, secondary=False):
    ...     safe = quartier.apply_disclosure(out, rates={"anteil_65plus": ("ew_65plus", "ew")})
    >>> safe.table["anteil_65plus"].tolist()  # 5 people 65+ are too few: the rate goes too
    [25.0, nan, nan]
    """
    num = numeric_column(table, numerator, source="the table", role="numerator column")
    den = numeric_column(table, denominator, source="the table", role="denominator column")
    name = name or f"{numerator}_je_{_per_text(per)}_{denominator}"
    out = table.copy()
    out[name] = _rate_values(num, den, per).to_numpy()
    return out


def _per_text(per: float) -> str:
    return str(int(per)) if float(per).is_integer() else str(per)


def aggregate(table: pd.DataFrame, *, to: str, key: str | None = None,
              by_prefix: int | None = None, lookup=None, lookup_key: str | None = None,
              counts: Sequence[str] | None = None,
              rates: Mapping[str, tuple] | None = None) -> pd.DataFrame:
    """Aggregate districts to a higher level: sum counts, recompute rates.

    The higher-level key of each row comes either from the first
    ``by_prefix`` characters of its key (Berlin LOR: Planungsraum 8 digits,
    Bezirksregion 6, Prognoseraum 4, Bezirk 2) or from a ``lookup`` table
    (low key -> high key), e.g. the official LOR hierarchy.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per lower-level district.
    to : str
        Name of the higher-level key column of the result. With a lookup
        DataFrame it is also the lookup's column holding the higher key.
    key : str
        Lower-level key column (required; a ColumnError says so when missing).
    by_prefix : int, optional
        Length of the higher-level key as a prefix of the lower-level key.
    lookup : dict, pandas.Series or pandas.DataFrame, optional
        Mapping low key -> high key. A DataFrame needs the column ``to`` and
        the low key in column ``lookup_key``.
    lookup_key : str, optional
        Column of a lookup DataFrame with the lower-level keys; default the
        column named like ``key``.
    counts : list of str, optional
        Count columns to sum; default every integer column except the key.
        Numerators and denominators of ``rates`` are summed as well.
    rates : dict, optional
        ``{name: (numerator, denominator)}`` or ``{name: (numerator,
        denominator, per)}`` (``per`` default 100): rates recomputed from the
        summed counts (name here the rates made with :func:`rate`).

    Returns
    -------
    pandas.DataFrame
        One row per higher-level district (sorted by key) with the key
        column ``to``, the summed counts, the recomputed rates and
        ``n_areas`` (number of lower-level districts). Other columns (names,
        rates not listed in ``rates``) are not carried over. A sum is missing
        (NaN) if one of its cells is missing, e.g. suppressed; a warning says
        where.

    Raises
    ------
    DistrictKeyError
        If keys are duplicated, shorter than ``by_prefix``, or not in the
        lookup (all unknown keys are listed), or the lookup is ambiguous.
    ColumnError
        If a column is missing or not numeric, or neither or both of
        ``by_prefix`` and ``lookup`` are given.

    Warns
    -----
    QuartierWarning
        If lookup keys have no row in the table (their higher-level sums lack
        them) or sums are missing because a cell is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> plr = pd.DataFrame({"plr": ["01100101", "01100102", "01100205"],
    ...                     "ew": [100, 300, 50], "ew_65plus": [10, 90, 5]})
    >>> bzr = aggregate(plr, to="bzr", key="plr", by_prefix=6, counts=["ew"],
    ...                 rates={"anteil_65plus": ("ew_65plus", "ew")})
    >>> bzr[["bzr", "ew", "ew_65plus", "anteil_65plus"]].to_dict("list")
    {'bzr': ['011001', '011002'], 'ew': [400, 50], 'ew_65plus': [100, 5], 'anteil_65plus': [25.0, 10.0]}
    """
    source = "the table"
    key = key_column(table, key, source=source)
    keys = unique_keys(table, key, source=source)
    if (by_prefix is None) == (lookup is None):
        raise ParameterError(
            "aggregate needs exactly one of by_prefix=<length of the higher key> (e.g. 6 for "
            "Berlin Bezirksregionen) and lookup=<low key -> high key>."
        )
    high = _prefix_keys(keys, by_prefix, key) if by_prefix is not None else _lookup_keys(
        keys, lookup, to, key, lookup_key)

    rate_specs = _rate_specs(table, rates)
    counts = list(counts) if counts is not None else [
        c for c in table.columns
        if c != key and ptypes.is_integer_dtype(table[c]) and not ptypes.is_bool_dtype(table[c])]
    for num, den, _ in rate_specs.values():
        counts += [c for c in (num, den) if c not in counts]
    if to in counts:
        raise ColumnError(f"column '{to}' is both the new key (to=) and a count column. "
                          "Choose another name for to=.")
    data = pd.DataFrame({c: numeric_column(table, c, source=source, role="count column")
                         for c in counts}, index=table.index)
    data[to] = high.to_numpy()
    grouped = data.groupby(to, sort=True)
    summed = grouped[counts].sum(min_count=1)
    incomplete = grouped[counts].count().lt(grouped.size(), axis=0)
    summed = summed.mask(incomplete)
    if incomplete.to_numpy().any():
        where = {c: list(incomplete.index[incomplete[c]]) for c in counts if incomplete[c].any()}
        shown = "; ".join(f"'{c}' in {format_list(k, limit=5)}" for c, k in where.items())
        warnings.warn(
            f"sums are missing where a lower-level cell is missing (e.g. suppressed): {shown}. "
            "Fill or impute the missing cells first if you need these sums.",
            QuartierWarning, stacklevel=2)
    for c in counts:  # whole-number sums stay integers where complete
        whole = ptypes.is_integer_dtype(table[c])
        if whole and not summed[c].isna().any():
            summed[c] = summed[c].astype("int64")
    for name, (num, den, per) in rate_specs.items():
        summed[name] = _rate_values(summed[num], summed[den], per)
    summed["n_areas"] = grouped.size().astype("int64")
    return summed.reset_index()


def _prefix_keys(keys: pd.Series, length: int, key: str) -> pd.Series:
    if not isinstance(length, int | np.integer) or length < 1:
        raise ParameterError(f"by_prefix must be a positive whole number, not {length!r}.")
    short = keys[keys.str.len() < length]
    if len(short):
        raise DistrictKeyError(
            f"{len(short)} key(s) in column '{key}' are shorter than by_prefix={length}: "
            f"{format_list(short)}. Keys may have lost leading zeros: read the table with "
            "read_table(..., key_width=...) or check by_prefix.")
    return keys.str.slice(0, length)


def _lookup_keys(keys: pd.Series, lookup, to: str, key: str, lookup_key) -> pd.Series:
    if isinstance(lookup, pd.DataFrame):
        low = lookup_key if lookup_key is not None else (
            key if key in lookup.columns and key != to else None)
        if low is None:
            raise ColumnError(
                f"the lookup table has no column '{key}' (the lower-level key, key=). Say which "
                "of its columns holds the lower-level keys: lookup_key='<column>'.")
        require_column(lookup, low, source="the lookup table",
                       role="lower-level key column (lookup_key=)")
        require_column(lookup, to, source="the lookup table", role="higher-level key column (to=)")
        mapping = pd.Series(lookup[to].to_numpy(), index=lookup[low].to_numpy())
    elif isinstance(lookup, pd.Series):
        mapping = lookup
    elif isinstance(lookup, Mapping):
        mapping = pd.Series(dict(lookup), dtype=object)
    else:
        raise ParameterTypeError("lookup must be a dict, a pandas Series (low key -> high key) or a "
                          f"DataFrame, not {type(lookup).__name__}.")
    low_keys = normalize_keys(pd.Series(mapping.index), column="lookup keys")
    high_keys = normalize_keys(pd.Series(mapping.to_numpy()), column="lookup values",
                               allow_missing=True)
    table_map = pd.Series(high_keys.to_numpy(), index=low_keys.to_numpy())
    dup = table_map[table_map.index.duplicated(keep=False)]
    conflicting = [k for k, g in dup.groupby(level=0) if g.nunique(dropna=False) > 1]
    if conflicting:
        raise DistrictKeyError(
            f"the lookup maps {len(conflicting)} key(s) to more than one higher-level key: "
            f"{format_list(conflicting)}. Each lower-level district belongs to one higher one.")
    table_map = table_map[~table_map.index.duplicated()]
    unknown = keys[~keys.isin(table_map.index)]
    if len(unknown):
        raise DistrictKeyError(
            f"{len(unknown)} key(s) of column '{key}' are not in the lookup: "
            f"{format_list(unknown)}. Use the lookup of the same district edition (LOR 2021 "
            "keys differ from older ones) or add the missing keys to it.")
    high = keys.map(table_map)
    unmapped = keys[high.isna()]
    if len(unmapped):
        raise DistrictKeyError(
            f"{len(unmapped)} key(s) of column '{key}' have no higher-level key in the lookup: "
            f"{format_list(unmapped)}. Fill in column '{to}' of the lookup.")
    absent = table_map.index[~table_map.index.isin(keys)]
    if len(absent):
        warnings.warn(
            f"{len(absent)} district(s) of the lookup have no row in the table: "
            f"{format_list(absent)}. The sums of their higher-level districts lack them.",
            QuartierWarning, stacklevel=3)
    return high


def _rate_specs(table: pd.DataFrame, rates) -> dict[str, tuple[str, str, float]]:
    specs: dict[str, tuple[str, str, float]] = {}
    for name, spec in (rates or {}).items():
        if not isinstance(spec, tuple | list) or len(spec) not in (2, 3):
            raise ParameterError(
                f"rates['{name}'] must be (numerator, denominator) or (numerator, denominator, "
                f"per), not {spec!r}.")
        per = positive_number(spec[2], f"per of rates['{name}']", upper=1e9) \
            if len(spec) == 3 else 100
        specs[name] = (spec[0], spec[1], per)
    for name, (num, den, _) in specs.items():
        for col in (num, den):
            require_column(table, col, source="the table", role=f"count column of rate '{name}'")
    return specs
