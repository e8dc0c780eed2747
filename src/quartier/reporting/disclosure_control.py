"""Disclosure control (statistische Geheimhaltung): small counts are confidential.

Once configured with :func:`set_disclosure`, the rules apply to every output
quartier writes: tables, GIS layers, map colours and tooltips. Output code
calls :func:`apply_disclosure` on a frame just before it is written or drawn.

The rules:

- **Minimum count** (primary suppression): count cells with ``0 < n <
  min_count`` are suppressed. Zeros stay (nothing to protect).
- **Secondary suppression**: a suppressed cell must not be recoverable from a
  published total. Every count column is assumed to have a published total
  (the city total), and every ``row_totals`` group (total = sum of parts) is
  an equation too. Where an equation has exactly one hidden cell, the
  smallest positive other cell is suppressed as well, until no equation has
  exactly one. :func:`protect_table` does this for a district x group table
  with margins.
- **Rates**: a rate is suppressed wherever its numerator or denominator is
  suppressed. Rates are linked to their counts explicitly:
  ``apply_disclosure(frame, rates={rate: (numerator, denominator)})`` or
  ``set_disclosure(rate_columns=...)``.
- **Rounding** (optional): published counts are rounded to a base.

Suppressed cells become NaN in :attr:`DisclosureResult.table` and True in
:attr:`DisclosureResult.suppressed`, a boolean mask aligned on the row labels,
merged with the cells the statistics office already suppressed (``suppressed=``,
e.g. ``TableReport.suppressed`` from ``read_table(..., report=True)``).

The rule "no equation with exactly one hidden cell" stops recovery from a
single row or column. It is not a full audit against combined equations
(linear programming); for official releases use the office's tools
(e.g. tau-argus).
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier._checks import require_column
from quartier.errors import ColumnError, QuartierWarning, format_list
from quartier.reporting import _suppress

__all__ = ["DisclosureRules", "DisclosureResult", "set_disclosure", "get_disclosure",
           "apply_disclosure", "disclosure", "protect_table"]

_KEY_LIKE = re.compile(
    r"(^|[_\s-])(id|nr|no|key|code|plz|jahr|year|schl(ü|ue)ssel|nummer|ags|ars)($|[_\s-])",
    re.IGNORECASE)


@dataclass(frozen=True)
class DisclosureRules:
    """The configured rules; ``None`` fields are off.

    Examples
    --------
    >>> DisclosureRules(min_count=3).secondary
    True
    """

    min_count: int | None = None
    round_to: int | None = None
    secondary: bool = True
    count_columns: tuple[str, ...] | None = None
    rate_columns: tuple[tuple[str, str, str], ...] = ()
    row_totals: tuple[tuple[str, tuple[str, ...]], ...] = ()


_rules: DisclosureRules | None = None


def _positive_int(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive whole number or None, not {value!r}.")
    return int(value)


def _make_rules(min_count, round_to, secondary, count_columns, rate_columns, row_totals
                ) -> DisclosureRules | None:
    min_count = _positive_int(min_count, "min_count")
    round_to = _positive_int(round_to, "round_to")
    if min_count is None and round_to is None:
        return None
    rates = []
    for name, spec in (rate_columns or {}).items():
        if not isinstance(spec, tuple | list) or len(spec) != 2:
            raise ValueError(f"rate_columns['{name}'] must be (numerator, denominator), "
                             f"not {spec!r}.")
        rates.append((str(name), str(spec[0]), str(spec[1])))
    totals = tuple((str(t), tuple(str(p) for p in parts))
                   for t, parts in (row_totals or {}).items())
    return DisclosureRules(min_count, round_to, bool(secondary),
                           tuple(count_columns) if count_columns else None, tuple(rates), totals)


def set_disclosure(
    min_count: int | None = None,
    *,
    round_to: int | None = None,
    secondary: bool = True,
    count_columns: list[str] | None = None,
    rate_columns: Mapping[str, tuple[str, str]] | None = None,
    row_totals: Mapping[str, Sequence[str]] | None = None,
) -> DisclosureRules | None:
    """Configure disclosure control for every output; ``set_disclosure(None)`` turns it off.

    Parameters
    ----------
    min_count : int or None
        Counts below this (and above zero) are suppressed.
    round_to : int, optional
        Round published counts to this base (half up), e.g. 5.
    secondary : bool, default True
        Suppress further cells so that suppressed ones cannot be recovered from totals.
    count_columns : list of str, optional
        Columns that hold counts; default: the integer columns, except the
        key and key-like columns (names such as ``id``, ``*_nr``, ``Jahr``).
        Name them when counts are stored as floats (e.g. with missing values).
    rate_columns : dict, optional
        ``{rate: (numerator, denominator)}``: rates to suppress where one of
        their counts is suppressed (in addition to ``rates=`` of
        :func:`apply_disclosure`).
    row_totals : dict, optional
        ``{total: [parts]}``: per row, column ``total`` is the sum of the
        ``parts`` columns (e.g. inhabitants = sum of age groups); secondary
        suppression then protects each row of that group too.

    Returns
    -------
    DisclosureRules or None

    Raises
    ------
    ValueError
        If ``min_count`` or ``round_to`` is not a positive whole number.

    Examples
    --------
    >>> set_disclosure(3).min_count
    3
    >>> set_disclosure(None)
    """
    global _rules
    _rules = _make_rules(min_count, round_to, secondary, count_columns, rate_columns, row_totals)
    return _rules


def get_disclosure() -> DisclosureRules | None:
    """The rules in force, or None when disclosure control is off.

    Returns
    -------
    DisclosureRules or None

    Examples
    --------
    >>> get_disclosure() is None
    True
    """
    return _rules


@contextmanager
def disclosure(min_count: int | None = None, **options) -> Iterator[DisclosureRules | None]:
    """Disclosure rules for a ``with`` block only; the previous rules come back afterwards.

    Parameters
    ----------
    min_count : int or None
        As in :func:`set_disclosure`.
    **options
        ``round_to``, ``secondary``, ``count_columns``, ``rate_columns``,
        ``row_totals`` as in :func:`set_disclosure`.

    Yields
    ------
    DisclosureRules or None

    Examples
    --------
    >>> import pandas as pd
    >>> with disclosure(3, secondary=False):
    ...     apply_disclosure(pd.DataFrame({"n": [1, 20]})).table["n"].tolist()
    [nan, 20.0]
    >>> get_disclosure() is None
    True
    """
    global _rules
    previous = _rules
    try:
        yield set_disclosure(min_count, **options)
    finally:
        _rules = previous


def _count_columns(frame: pd.DataFrame, rules: DisclosureRules) -> list[str]:
    if rules.count_columns is not None:
        cols = [c for c in rules.count_columns if c in frame.columns]
        for c in cols:
            if ptypes.is_bool_dtype(frame[c]) or not ptypes.is_numeric_dtype(frame[c]):
                raise ColumnError(
                    f"count column '{c}' is not numeric (dtype {frame[c].dtype}); disclosure "
                    "control needs numbers. Convert it or leave it out of count_columns.")
        return cols
    return [c for c in frame.columns
            if c != "geometry" and ptypes.is_integer_dtype(frame[c])
            and not ptypes.is_bool_dtype(frame[c]) and not _KEY_LIKE.search(str(c))]


def _align_mask(frame: pd.DataFrame, suppressed, *, name: str = "suppressed") -> pd.DataFrame:
    """``suppressed`` as a bool DataFrame with the index and columns of ``frame`` (by label).

    A Series marks whole rows (every column); missing labels, columns and NaN are False.
    """
    empty = pd.DataFrame(False, index=frame.index, columns=frame.columns, dtype=bool)
    if suppressed is None:
        return empty
    if isinstance(suppressed, pd.Series):
        suppressed = pd.DataFrame({c: suppressed for c in frame.columns})
    if not isinstance(suppressed, pd.DataFrame):
        raise ColumnError(f"{name}= must be a boolean pandas DataFrame (or Series) aligned on "
                          f"the index of the frame, not {type(suppressed).__name__}.")
    if not suppressed.index.equals(frame.index):
        if not (frame.index.is_unique and suppressed.index.is_unique):
            raise ColumnError(
                f"{name}= and the frame have different indexes with repeated labels, so their "
                "rows cannot be matched. Keep the index of the frame the mask came with (sort, "
                "filter and concat the frame and the mask alike), or give both a unique index.")
        suppressed = suppressed.reindex(index=frame.index)
    cols = [c for c in suppressed.columns if c in frame.columns]
    mask = empty.copy()
    for c in cols:
        column = suppressed[c]
        if isinstance(column, pd.DataFrame):  # repeated column name in the mask
            column = column.any(axis=1)
        mask[c] = column.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return mask


def _rate_links(rates, rules: DisclosureRules | None, columns) -> list[tuple[str, str, str]]:
    links = []
    for name, spec in (rates or {}).items():
        if not isinstance(spec, tuple | list) or len(spec) not in (2, 3):
            raise ColumnError(f"rates['{name}'] must be (numerator, denominator), not {spec!r}.")
        links.append((name, spec[0], spec[1]))
    links += list(rules.rate_columns) if rules is not None else []
    return [(n, a, b) for n, a, b in links if n in columns]


def _hide_rates(frame: pd.DataFrame, hidden: pd.DataFrame, links) -> pd.DataFrame:
    """Add to ``hidden`` the (present) rate cells whose numerator or denominator is hidden."""
    hidden = hidden.copy()
    for name, num, den in links:
        mask = np.zeros(len(frame), dtype=bool)
        for c in (num, den):
            if c in hidden.columns:
                mask |= hidden[c].to_numpy()
        hidden[name] = hidden[name].to_numpy() | (mask & frame[name].notna().to_numpy())
    return hidden


def _finish(frame: pd.DataFrame, cols: list[str], hidden: pd.DataFrame,
            round_to: int | None) -> pd.DataFrame:
    """A copy of ``frame`` with NaN in hidden cells and rounded count columns."""
    out = frame.copy()
    for c in hidden.columns[hidden.to_numpy().any(axis=0)]:
        if c in cols:
            continue
        values = out[c].to_numpy(dtype=float, na_value=np.nan).copy()
        values[hidden[c].to_numpy()] = np.nan
        out[c] = values
    for c in cols:
        rows = hidden[c].to_numpy()
        if not rows.any() and not round_to:
            continue
        values = out[c].to_numpy(dtype=float, na_value=np.nan).copy()
        values[rows] = np.nan
        if round_to:
            values = _suppress.round_to_base(values, round_to)
        whole = ptypes.is_integer_dtype(frame[c]) and not np.isnan(values).any()
        out[c] = values.astype("int64") if whole else values
    return out


def _warn_unresolved(unresolved, what: str) -> None:
    if unresolved:
        warnings.warn(
            f"secondary suppression could not protect {len(unresolved)} {what}: "
            f"{format_list(unresolved)}; all other cells there are hidden already, so the "
            "published total reveals the suppressed cell. Suppress or drop that total.",
            QuartierWarning, stacklevel=3)


@dataclass(frozen=True, eq=False)
class DisclosureResult:
    """A table after disclosure control, and which of its cells are suppressed.

    Attributes
    ----------
    table : pandas.DataFrame or geopandas.GeoDataFrame
        The values to publish: suppressed cells are NaN, counts rounded if
        the rules say so.
    suppressed : pandas.DataFrame
        Boolean, the same index and columns as ``table``: True where a cell
        is suppressed, by the statistics office (``suppressed=``) or by
        disclosure control. It is aligned on row labels, so sort, filter or
        concat it together with the table; maps take it as ``suppressed=``
        to draw those districts "gesperrt (Geheimhaltung)".

    Examples
    --------
    >>> import pandas as pd
    >>> with disclosure(3, secondary=False):
    ...     result = apply_disclosure(pd.DataFrame({"n": [1, 20]}))
    >>> result
    DisclosureResult(2 rows, 1 suppressed cell(s) in 'n')
    """

    table: pd.DataFrame
    suppressed: pd.DataFrame

    def __repr__(self) -> str:
        counts = self.suppressed.sum()
        where = [str(c) for c in counts.index[counts.to_numpy() > 0]]
        cells = int(counts.sum())
        return (f"DisclosureResult({len(self.table)} rows, {cells} suppressed cell(s)"
                + (f" in {format_list(where)})" if where else ")"))

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.table._repr_html_()


def _rules_in_force(rules: DisclosureRules | None) -> DisclosureRules | None:
    if rules is not None and not isinstance(rules, DisclosureRules):
        raise ColumnError(f"rules= must be DisclosureRules (from set_disclosure or "
                          f"DisclosureRules(...)) or None, not {type(rules).__name__}.")
    return rules if rules is not None else _rules


def apply_disclosure(frame: pd.DataFrame, *, rules: DisclosureRules | None = None,
                     rates: Mapping[str, tuple[str, str]] | None = None,
                     suppressed: pd.DataFrame | None = None) -> DisclosureResult:
    """Apply disclosure rules to a frame about to be written or drawn.

    Suppressed cells become missing values in ``.table`` and True in
    ``.suppressed`` (a boolean mask with the frame's index and columns,
    merged with the cells a statistics office suppressed, ``suppressed=``),
    so maps can show them as "gesperrt", distinct from "keine Angabe".
    Without rules the table is returned unchanged, with the office's mask.

    Each count column is treated as having a published total (secondary
    suppression within the column); ``row_totals`` groups are protected
    within each row; rate columns (``rates`` and the rules'
    ``rate_columns``) are suppressed with their counts; counts are rounded
    if ``round_to`` is set. Count columns with suppressed cells become float.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
    rules : DisclosureRules, optional
        The rules to apply; default the rules in force
        (:func:`set_disclosure`, :func:`disclosure`).
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns (e.g. made with
        :func:`quartier.rate`) to suppress wherever one of their counts is.
    suppressed : pandas.DataFrame, optional
        Cells already suppressed by the statistics office, a boolean mask
        aligned on the frame's index (e.g. ``TableReport.suppressed`` from
        ``read_table(..., report=True)``; missing rows or columns count as
        not suppressed). They take part in secondary suppression.

    Returns
    -------
    DisclosureResult
        ``.table`` (a protected copy, or ``frame`` itself without rules) and
        ``.suppressed``.

    Raises
    ------
    ColumnError
        If a configured count column is not numeric, or ``suppressed``
        cannot be matched to the frame's rows.

    Warns
    -----
    QuartierWarning
        If a suppressed cell cannot be protected (its column has one row).

    Examples
    --------
    >>> import pandas as pd
    >>> apply_disclosure(pd.DataFrame({"n": [1, 20]})).table["n"].tolist()
    [1, 20]
    >>> df = pd.DataFrame({"plr": ["01", "02", "03", "04"], "kinder": [2, 40, 7, 55]})
    >>> with disclosure(3):
    ...     out = apply_disclosure(df)
    >>> out.table["kinder"].tolist(), out.suppressed["kinder"].tolist()
    ([nan, 40.0, nan, 55.0], [True, False, True, False])
    """
    rules = _rules_in_force(rules)
    office = _align_mask(frame, suppressed)
    if rules is None:
        return DisclosureResult(frame, office)
    cols = _count_columns(frame, rules)
    values = np.column_stack([frame[c].to_numpy(dtype=float, na_value=np.nan) for c in cols]
                             ) if cols else np.zeros((len(frame), 0))
    prior = office[cols].to_numpy(dtype=bool).reshape(values.shape)
    sup = _suppress.primary(values, rules.min_count) | prior
    if rules.secondary and cols and rules.min_count:
        n, m = values.shape
        equations = _suppress.column_equations(n, m)
        position = {c: j for j, c in enumerate(cols)}
        for total, parts in rules.row_totals:
            group = [position[c] for c in (total, *parts) if c in position]
            if len(group) == len(parts) + 1:
                equations += _suppress.row_equations(n, m, group)
        prefer = np.ones(values.shape, dtype=bool)
        for total, _ in rules.row_totals:
            if total in position:
                prefer[:, position[total]] = False
        sup, unresolved = _suppress.secondary(values, sup, equations, prefer)
        _warn_unresolved([f"column '{cols[i]}'" if i < m else f"row total group {i - m}"
                          for i in unresolved], "equation(s)")
    hidden = office.copy()
    for j, c in enumerate(cols):
        hidden[c] = sup[:, j]
    hidden = _hide_rates(frame, hidden, _rate_links(rates, rules, frame.columns))
    return DisclosureResult(_finish(frame, cols, hidden, rules.round_to), hidden)


def protect_table(table: pd.DataFrame, min_count: int | None = None, *,
                  columns: Sequence[str] | None = None, total_row=None,
                  total_column: str | None = None, round_to: int | None = None,
                  rules: DisclosureRules | None = None,
                  rates: Mapping[str, tuple[str, str]] | None = None,
                  suppressed: pd.DataFrame | None = None) -> DisclosureResult:
    """Protect a district x group table with margins (row and column totals).

    Primary suppression hides counts ``0 < n < min_count``, margins
    included. Then every row and every column is treated as a published sum
    (with its total cell where the table has one, and otherwise assumed to be
    published elsewhere): while a row or column has exactly one hidden cell,
    its smallest positive other cell (inner cells before totals) is hidden as
    well, until none has exactly one.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows: districts (and optionally a total row); columns: groups (and
        optionally a total column), plus key or name columns, which are left
        as they are.
    min_count : int, optional
        Default: the value of ``rules`` (by default the rules in force).
    columns : list of str, optional
        The count columns (groups and total column); default every numeric
        column except key-like ones and the ``rates`` columns.
    total_row : label, optional
        Index label of the total row (e.g. ``"Summe"``), if any.
    total_column : str, optional
        Name of the total column, if any.
    round_to : int, optional
        Round published counts to this base; default the value of ``rules``.
    rules : DisclosureRules, optional
        Where ``min_count`` and ``round_to`` come from when not given;
        default the rules in force (:func:`set_disclosure`).
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns suppressed with
        their counts.
    suppressed : pandas.DataFrame, optional
        Cells the statistics office suppressed (boolean mask aligned on the
        table's index), as in :func:`apply_disclosure`.

    Returns
    -------
    DisclosureResult
        ``.table``, a protected copy (suppressed cells are NaN), and
        ``.suppressed``, the boolean mask of suppressed cells.

    Raises
    ------
    ColumnError
        If no minimum count is given or configured, or a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"u6": [2, 10, 12], "6_15": [8, 30, 38], "ges": [10, 40, 50]},
    ...                  index=["Nord", "Süd", "Summe"])
    >>> out = protect_table(t, 3, total_row="Summe", total_column="ges")
    >>> out.table.to_dict("list")
    {'u6': [nan, nan, 12.0], '6_15': [nan, nan, 38.0], 'ges': [10, 40, 50]}
    >>> out.suppressed.loc["Nord"].tolist()
    [True, True, False]
    """
    rules = _rules_in_force(rules)
    min_count = min_count if min_count is not None else (rules.min_count if rules else None)
    round_to = round_to if round_to is not None else (rules.round_to if rules else None)
    min_count, round_to = _positive_int(min_count, "min_count"), _positive_int(round_to, "round_to")
    if min_count is None:
        raise ColumnError("protect_table needs a minimum count: protect_table(table, 3) or "
                          "set_disclosure(3) first.")
    if columns is None:
        columns = [c for c in table.columns if c != "geometry"
                   and ptypes.is_numeric_dtype(table[c]) and not ptypes.is_bool_dtype(table[c])
                   and not _KEY_LIKE.search(str(c)) and c not in (rates or {})]
    cols = list(columns)
    for c in cols + ([total_column] if total_column is not None else []):
        require_column(table, c, source="the table", role="count column")
    if total_column is not None and total_column not in cols:
        cols.append(total_column)
    values = np.column_stack([table[c].to_numpy(dtype=float, na_value=np.nan) for c in cols])
    n, m = values.shape
    office = _align_mask(table, suppressed)
    prior = office[cols].to_numpy(dtype=bool).reshape(values.shape)
    prefer = np.ones(values.shape, dtype=bool)
    if total_row is not None:
        if total_row not in table.index:
            raise ColumnError(f"total_row {total_row!r} is not a row label of the table. Row "
                              f"labels are: {format_list(table.index[:10])}.")
        prefer[table.index.get_indexer([total_row])[0], :] = False
    if total_column is not None:
        prefer[:, cols.index(total_column)] = False
    equations = (_suppress.column_equations(n, m)
                 + _suppress.row_equations(n, m, list(range(m))))
    sup = _suppress.primary(values, min_count) | prior
    sup, unresolved = _suppress.secondary(values, sup, equations, prefer)
    _warn_unresolved([f"column '{cols[i]}'" if i < m else f"row {i - m}" for i in unresolved],
                     "row(s)/column(s)")
    hidden = office.copy()
    for j, c in enumerate(cols):
        hidden[c] = sup[:, j]
    hidden = _hide_rates(table, hidden, _rate_links(rates, None, table.columns))
    return DisclosureResult(_finish(table, cols, hidden, round_to), hidden)
