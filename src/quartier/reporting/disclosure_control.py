"""Disclosure control (statistische Geheimhaltung): small counts are confidential.

Once configured with :func:`set_disclosure` (or a ``with disclosure(...)`` block), the
rules apply to every output quartier writes: tables, GIS layers, map colours and tooltips.
Output code calls :func:`apply_disclosure` on a frame just before it is written or drawn.

The rules in force are **context-local** (a :class:`contextvars.ContextVar`): each thread and
each asyncio task has its own, so a ``with disclosure(None)`` block in one thread never
un-protects what another thread writes. Where the rules for one output come from, first match
wins:

1. ``rules=`` given to the output function (one call only; see :func:`resolve_rules`):
   a :class:`DisclosureRules`, or ``False`` for no disclosure control in that call;
2. the rules set in the current context by :func:`set_disclosure` or a ``with
   disclosure(...)`` block;
3. the process-wide default: none, or what ``set_disclosure(..., process_wide=True)`` set.

A new thread starts from an empty context: it does **not** see rules the main thread set with
``set_disclosure`` and falls back to the process-wide default. Start workers with
``contextvars.copy_context().run``, pass ``rules=get_disclosure()`` explicitly, or configure
the rules with ``process_wide=True`` at start-up, so that no worker writes unprotected
output. asyncio tasks copy the context where they are created.

The rules:

- **Minimum count** (primary suppression): count cells with ``0 < n <
  min_count`` are suppressed. Zeros stay (nothing to protect).
- **Secondary suppression**: a suppressed cell must not be recoverable from a
  published total. Every count column is assumed to have a published total
  (the city total), and every ``row_totals`` group (total = sum of parts) is
  an equation too. Where an equation has exactly one hidden cell, the
  smallest positive other cell is suppressed as well, until no equation has
  exactly one. :func:`quartier.reporting.protection.protect_table` does this for a district x group table
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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier.errors import ColumnError, ParameterError, format_list
from quartier.reporting import _suppress
from quartier.reporting._masks import (
    _KEY_LIKE,
    _align_mask,
    _finish,
    _hide_rates,
    _positive_int,
    _rate_links,
    _warn_unresolved,
)

__all__ = ["DisclosureRules", "DisclosureResult", "set_disclosure", "get_disclosure",
           "apply_disclosure", "disclosure", "resolve_rules",
           "default_count_columns"]


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


class _Unset:
    def __repr__(self) -> str:
        return "<follow the process-wide default>"


_UNSET = _Unset()
_process_default: dict[str, DisclosureRules | None] = {"rules": None}
# _UNSET: nothing set in this context, follow the process-wide default; None: control is off
_RULES: ContextVar[DisclosureRules | None | _Unset] = ContextVar("quartier_disclosure",
                                                                 default=_UNSET)


def _make_rules(min_count, round_to, secondary, count_columns, rate_columns, row_totals
                ) -> DisclosureRules | None:
    min_count = _positive_int(min_count, "min_count")
    round_to = _positive_int(round_to, "round_to")
    if min_count is None and round_to is None:
        return None
    rates = []
    for name, spec in (rate_columns or {}).items():
        if not isinstance(spec, tuple | list) or len(spec) != 2:
            raise ParameterError(f"rate_columns['{name}'] must be (numerator, denominator), "
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
    process_wide: bool = False,
) -> DisclosureRules | None:
    """Configure disclosure control for every output; ``set_disclosure(None)`` turns it off.

    The rules are set for the current context (this thread, or this asyncio task) only; other
    threads and tasks keep theirs. For a temporary change prefer :func:`disclosure` (a
    ``with`` block that restores the previous rules), and for one call ``rules=``.

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
    process_wide : bool, default False
        Also make these rules the process-wide default: what every context sees that has not
        set rules of its own, including threads started later (so workers cannot forget
        them). The current context then follows that default. Meant for start-up code.

    Returns
    -------
    DisclosureRules or None

    Raises
    ------
    quartier.errors.ParameterError
        If ``min_count`` or ``round_to`` is not a positive whole number (a ``ValueError``
        too).

    Examples
    --------
    >>> set_disclosure(3).min_count
    3
    >>> set_disclosure(None)
    """
    rules = _make_rules(min_count, round_to, secondary, count_columns, rate_columns, row_totals)
    if process_wide:
        _process_default["rules"] = rules
        _RULES.set(_UNSET)
    else:
        _RULES.set(rules)
    return rules


def get_disclosure() -> DisclosureRules | None:
    """The rules in force in the current context, or None when disclosure control is off.

    Returns
    -------
    DisclosureRules or None
        The rules set in this context (:func:`set_disclosure`, :func:`disclosure`), else the
        process-wide default (none unless set with ``process_wide=True``).

    Examples
    --------
    >>> get_disclosure() is None
    True
    """
    rules = _RULES.get()
    return _process_default["rules"] if rules is _UNSET else rules


def resolve_rules(rules: DisclosureRules | Literal[False] | None = None
                  ) -> DisclosureRules | None:
    """The disclosure rules for one call: ``rules`` if given, else the rules in force.

    Every output function resolves its ``rules=`` argument with this.

    Parameters
    ----------
    rules : DisclosureRules, False or None
        None: the rules in force (:func:`get_disclosure`); a :class:`DisclosureRules`
        (e.g. from :func:`set_disclosure` or ``get_disclosure()`` of another thread): those
        rules for this call; ``False``: no disclosure control for this call.

    Returns
    -------
    DisclosureRules or None
        None when disclosure control is off for this call.

    Raises
    ------
    quartier.errors.ParameterError
        For anything else (e.g. a number: use ``DisclosureRules(min_count=3)``).

    Examples
    --------
    >>> resolve_rules(DisclosureRules(min_count=5)).min_count
    5
    >>> with disclosure(3):
    ...     resolve_rules(None).min_count, resolve_rules(False)
    (3, None)
    """
    if rules is None:
        return get_disclosure()
    if rules is False:
        return None
    if isinstance(rules, DisclosureRules):
        return rules
    raise ParameterError(
        f"rules must be None (the rules in force), a DisclosureRules or False (no disclosure "
        f"control for this call), not {rules!r}. For a minimum count of 3 pass "
        "rules=DisclosureRules(min_count=3).")


@contextmanager
def disclosure(min_count: int | None = None, **options) -> Iterator[DisclosureRules | None]:
    """Disclosure rules for a ``with`` block only; the previous rules come back afterwards.

    Restores with :meth:`contextvars.ContextVar.reset`, so nested blocks unwind correctly and
    a ``set_disclosure`` inside the block ends with the block. Only the current thread or
    asyncio task is affected: ``with disclosure(None)`` in one thread does not switch off
    the rules of another.

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

    Raises
    ------
    quartier.errors.ParameterError
        As :func:`set_disclosure`.

    Examples
    --------
    >>> import pandas as pd
    >>> with disclosure(3, secondary=False):
    ...     apply_disclosure(pd.DataFrame({"n": [1, 20]})).table["n"].tolist()
    [nan, 20.0]
    >>> get_disclosure() is None
    True
    """
    if "process_wide" in options:
        raise ParameterError("disclosure(...) is for one block of the current context; use "
                             "set_disclosure(..., process_wide=True) for a process-wide default.")
    rules = _make_rules(min_count, options.pop("round_to", None), options.pop("secondary", True),
                        options.pop("count_columns", None), options.pop("rate_columns", None),
                        options.pop("row_totals", None))
    if options:
        raise ParameterError(f"disclosure() got unknown option(s) {format_list(options)}; "
                             "options are round_to, secondary, count_columns, rate_columns, "
                             "row_totals.")
    token = _RULES.set(rules)
    try:
        yield rules
    finally:
        _RULES.reset(token)


def default_count_columns(frame: pd.DataFrame) -> list[str]:
    """The columns taken as counts when the rules name none: integer columns, not key-like.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pandas as pd
    >>> default_count_columns(pd.DataFrame({"plr_id": [1], "kinder": [4], "quote": [0.5]}))
    ['kinder']
    """
    return [c for c in frame.columns
            if c != "geometry" and ptypes.is_integer_dtype(frame[c])
            and not ptypes.is_bool_dtype(frame[c]) and not _KEY_LIKE.search(str(c))]


def _count_columns(frame: pd.DataFrame, rules: DisclosureRules) -> list[str]:
    if rules.count_columns is not None:
        cols = [c for c in rules.count_columns if c in frame.columns]
        for c in cols:
            if ptypes.is_bool_dtype(frame[c]) or not ptypes.is_numeric_dtype(frame[c]):
                raise ColumnError(
                    f"count column '{c}' is not numeric (dtype {frame[c].dtype}); disclosure "
                    "control needs numbers. Convert it or leave it out of count_columns.")
        return cols
    return default_count_columns(frame)


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
    totals : dict of str to pandas.DataFrame
        With a ``hierarchy`` (:func:`quartier.reporting.protection.protect_table`): the published totals of every level
        above the table, ``{level: table}`` (a level is named after its parent column, or
        ``prefix<k>`` for key prefixes, and ``"total"`` for the city): exact, as the office
        publishes them (with ``totals_published=False`` suppressed totals are NaN); empty
        otherwise.

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
    totals: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        counts = self.suppressed.sum()
        where = [str(c) for c in counts.index[counts.to_numpy() > 0]]
        cells = int(counts.sum())
        return (f"DisclosureResult({len(self.table)} rows, {cells} suppressed cell(s)"
                + (f" in {format_list(where)})" if where else ")"))

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.table._repr_html_()


def apply_disclosure(frame: pd.DataFrame, *,
                     rules: DisclosureRules | Literal[False] | None = None,
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
    rules : DisclosureRules or False, optional
        Rules for this call instead of those in force (:func:`get_disclosure`); ``False``
        for none. See :func:`resolve_rules`.
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
    quartier.errors.ParameterError
        If ``rules`` is not None, False or a DisclosureRules.

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
    >>> apply_disclosure(df, rules=DisclosureRules(min_count=3)).table["kinder"].tolist()
    [nan, 40.0, nan, 55.0]
    """
    rules = resolve_rules(rules)
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


def __getattr__(name: str):
    # protect_table lives in quartier.reporting.protection (it imports this module); the old
    # path keeps working
    if name == "protect_table":
        from quartier.reporting.protection import protect_table

        return protect_table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
