"""Reporting years: changes per district, and one set of map classes for several years.

Maps of different years compare only if they share their class breaks: compute
them once from all years with :func:`shared_breaks` and pass them to every map
as ``choropleth(gdf, column, scheme="user_defined", bins=breaks)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quartier._report import Report
from quartier.errors import ParameterError, QuartierWarning, format_list
from quartier.reporting._social import key_column, numeric_column, unique_keys
from quartier.settings import get_language

__all__ = ["ChangeReport", "ChangeResult", "change", "shared_breaks"]

_KINDS = ("absolute", "percent", "points")


@dataclass(frozen=True)
class ChangeReport(Report):
    """What :func:`change` compared, and which districts are in one year only.

    Attributes
    ----------
    kind : str
        ``"absolute"``, ``"percent"`` or ``"points"``.
    key : str
        The key column.
    suffixes : tuple of str
        Suffixes of the two years' columns.
    only_in_a, only_in_b : tuple of str
        Keys of districts present only in the first or only in the second year.

    Examples
    --------
    >>> print(ChangeReport("points", "plr", ("2022", "2024"), ("03",), ()).text(lang="en"))
    Change 2022 -> 2024 (points), key 'plr'.
      1 district(s) only in 2022: '03'
    """

    kind: str
    key: str
    suffixes: tuple[str, str]
    only_in_a: tuple[str, ...] = ()
    only_in_b: tuple[str, ...] = ()

    def text(self, lang: str | None = None) -> str:
        """The report as readable text, German (``"de"``) or English (``"en"``).

        Parameters
        ----------
        lang : {"de", "en"}, optional

        Returns
        -------
        str
        """
        de = (lang or get_language()) == "de"
        a, b = self.suffixes
        lines = [f"Veränderung {a} -> {b} ({self.kind}), Schlüssel '{self.key}'." if de
                 else f"Change {a} -> {b} ({self.kind}), key '{self.key}'."]
        for keys, year in ((self.only_in_a, a), (self.only_in_b, b)):
            if keys:
                lines.append(f"  {len(keys)} " + (f"Gebiet(e) nur in {year}: " if de else
                                                   f"district(s) only in {year}: ")
                             + format_list(keys, 20))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class ChangeResult:
    """The result of :func:`change`: ``.table`` and ``.report``.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per district present in either year (sorted by key).
    report : ChangeReport
        Kind of change and the districts present in one year only.
    """

    table: pd.DataFrame
    report: ChangeReport

    def __repr__(self) -> str:
        return (f"ChangeResult({len(self.table)} districts, {len(self.report.only_in_a)} only "
                f"in '{self.report.suffixes[0]}', {len(self.report.only_in_b)} only in "
                f"'{self.report.suffixes[1]}')")

    def _repr_html_(self) -> str:
        return self.report._repr_html_() + self.table._repr_html_()


def change(table_a: pd.DataFrame, table_b: pd.DataFrame, columns: str | Sequence[str], *,
           key: str | None = None, kind: str = "absolute",
           suffixes: tuple[str, str] = ("a", "b")) -> ChangeResult:
    """Change of indicators per district between two reporting years.

    Parameters
    ----------
    table_a, table_b : pandas.DataFrame
        The earlier and the later year, one row per district, with the same
        key column and the ``columns``.
    columns : str or list of str
        Numeric columns to compare.
    key : str
        District key column of both tables (required; a ColumnError says so
        when missing).
    kind : {"absolute", "percent", "points"}, default "absolute"
        ``"absolute"``: ``b - a`` (counts); ``"percent"``: ``(b - a) / a * 100``
        (relative change in %, NaN where ``a`` is 0); ``"points"``: ``b - a``
        for rates in percent, i.e. the change in percentage points
        (Prozentpunkte), which is what a change of a rate should be reported as.
    suffixes : tuple of str, default ("a", "b")
        Suffixes of the two years' value columns, e.g. ``("2022", "2024")``.

    Returns
    -------
    ChangeResult
        ``.table``: one row per district present in either year (sorted by
        key): the key, ``<column>_<suffix a>``, ``<column>_<suffix b>`` and
        ``<column>_change`` per column. Districts present in only one year
        have NaN changes; they are listed in ``.report.only_in_a`` and
        ``.report.only_in_b`` (:class:`ChangeReport`) and in a warning.

    Raises
    ------
    ColumnError
        If a column is missing or not numeric, or ``kind`` is unknown.
    DistrictKeyError
        If keys repeat within a year.

    Warns
    -----
    QuartierWarning
        If districts are present in only one year (e.g. after a boundary
        reform: translate old keys to new ones first).

    Examples
    --------
    >>> import pandas as pd
    >>> y22 = pd.DataFrame({"plr": ["01", "02", "03"], "quote": [10.0, 20.0, 5.0]})
    >>> y24 = pd.DataFrame({"plr": ["01", "02", "04"], "quote": [12.5, 15.0, 7.0]})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     out = change(y22, y24, "quote", key="plr", kind="points", suffixes=("2022", "2024"))
    >>> "only in the first year ('03')" in str(caught[0].message)
    True
    >>> out.table[["plr", "quote_2022", "quote_2024", "quote_change"]].values.tolist()
    [['01', 10.0, 12.5, 2.5], ['02', 20.0, 15.0, -5.0], ['03', 5.0, nan, nan], ['04', nan, 7.0, nan]]
    >>> out.report.only_in_b
    ('04',)
    """
    if kind not in _KINDS:
        raise ParameterError(f"unknown kind {kind!r}; use one of {format_list(_KINDS)}.")
    columns = [columns] if isinstance(columns, str) else list(columns)
    suffixes = tuple(suffixes)
    if len(suffixes) != 2 or suffixes[0] == suffixes[1]:
        raise ParameterError(f"suffixes must be two different suffixes, not {suffixes!r}.")
    key = key_column(table_a, key, source="the first table (table_a)")
    key_column(table_b, key, source="the second table (table_b)")
    parts = []
    for table, label, which in ((table_a, suffixes[0], "table_a"), (table_b, suffixes[1], "table_b")):
        source = f"the {'first' if which == 'table_a' else 'second'} table ({which})"
        keys = unique_keys(table, key, source=source)
        data = {f"{c}_{label}": numeric_column(table, c, source=source).to_numpy()
                for c in columns}
        parts.append(pd.DataFrame(data, index=pd.Index(keys.to_numpy(), name=key)))
    a, b = parts
    only_a = sorted(set(a.index) - set(b.index))
    only_b = sorted(set(b.index) - set(a.index))
    out = a.join(b, how="outer").sort_index()
    for c in columns:
        va, vb = out[f"{c}_{suffixes[0]}"], out[f"{c}_{suffixes[1]}"]
        if kind == "percent":
            with np.errstate(divide="ignore", invalid="ignore"):
                diff = (vb - va) / va * 100
            diff[va == 0] = np.nan
        else:
            diff = vb - va
        out[f"{c}_change"] = diff
    out = out[[f"{c}_{s}" for c in columns for s in (*suffixes, "change")]].reset_index()
    if only_a or only_b:
        warnings.warn(
            f"{len(only_a)} district(s) only in the first year ({format_list(only_a)}) and "
            f"{len(only_b)} only in the second ({format_list(only_b)}); their change is missing. "
            "If districts were redrawn, translate the old keys to the new ones first.",
            QuartierWarning, stacklevel=2)
    return ChangeResult(out, ChangeReport(kind, key, suffixes, tuple(only_a), tuple(only_b)))


def shared_breaks(frames_or_series, column: str | None = None, *, scheme: str = "quantiles",
                  k: int = 5) -> list[float]:
    """One set of class breaks for several years, so that their maps compare.

    The values of all years are pooled and classified with
    :func:`quartier.output.maps.class_breaks`. Pass the result to each map with
    ``choropleth(gdf, column, scheme="user_defined", bins=breaks)``.

    Parameters
    ----------
    frames_or_series : list or dict of DataFrames or Series
        The years, e.g. ``{"2022": df22, "2024": df24}`` or ``[s22, s24]``.
    column : str, optional
        Column to classify (needed for DataFrames).
    scheme : str, default "quantiles"
        A scheme of :func:`quartier.output.maps.class_breaks`.
    k : int, default 5
        Number of classes.

    Returns
    -------
    list of float
        Upper class bounds, ascending; the last is the maximum of all years.

    Raises
    ------
    ColumnError
        If no years are given, ``column`` is missing or not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> y22, y24 = pd.Series([1.0, 2.0, 3.0]), pd.Series([4.0, 5.0, 6.0])
    >>> shared_breaks([y22, y24], scheme="equal_interval", k=2)
    [3.5, 6.0]
    """
    items = list(frames_or_series.values()) if isinstance(frames_or_series, Mapping) else (
        [frames_or_series] if isinstance(frames_or_series, pd.DataFrame | pd.Series)
        else list(frames_or_series))
    if not items:
        raise ParameterError("shared_breaks needs the tables (or series) of at least one year.")
    pooled = []
    for i, item in enumerate(items):
        if isinstance(item, pd.DataFrame):
            if column is None:
                raise ParameterError("shared_breaks got tables: name the column to classify, "
                                  "e.g. shared_breaks([df22, df24], 'quote').")
            pooled.append(numeric_column(item, column, source=f"table {i + 1}"))
        else:
            pooled.append(pd.to_numeric(pd.Series(item), errors="raise").astype(float))
    from quartier.output.maps import class_breaks  # output imports reporting: load when used

    return class_breaks(pd.concat(pooled, ignore_index=True), scheme=scheme, k=k)
