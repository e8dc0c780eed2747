"""Protect a district x group table with margins and a hierarchy: :func:`protect_table`.

Secondary suppression that withstands the interval attack of
:func:`quartier.reporting.audit.audit_disclosure` over Planungsraum -> Bezirksregion -> ... ->
city; see :mod:`quartier.reporting.disclosure_control` for the rules in force and
:func:`quartier.apply_disclosure` for outputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier._checks import require_column
from quartier.errors import ColumnError, ParameterError, QuartierWarning, format_list
from quartier.reporting import _audit, _blocks, _suppress
from quartier.reporting._masks import (
    _KEY_LIKE,
    _align_mask,
    _finish,
    _hide_rates,
    _positive_int,
    _rate_links,
    _warn_unresolved,
)
from quartier.reporting.disclosure_control import (
    DisclosureResult,
    DisclosureRules,
    resolve_rules,
)

__all__ = ["protect_table"]


def protect_table(table: pd.DataFrame, min_count: int | None = None, *,
                  columns: Sequence[str] | None = None, total_row=None,
                  total_column: str | None = None, round_to: int | None = None,
                  rules: DisclosureRules | Literal[False] | None = None,
                  rates: Mapping[str, tuple[str, str]] | None = None,
                  suppressed: pd.DataFrame | None = None,
                  hierarchy: Sequence[str | int] | None = None,
                  single_person: bool = True,
                  totals_published: bool = True,
                  suppressed_totals: Mapping[str, pd.DataFrame] | None = None
                  ) -> DisclosureResult:
    """Protect a district x group table with margins (row and column totals).

    With ``hierarchy`` (recommended), suppression withstands the interval attack of
    :func:`audit_disclosure` under the statistics office's premise: every total above the
    table (e.g. Bezirksregion, Prognoseraum, Bezirk, city; every column and the total column)
    is published exactly, zeros are published (so a hidden cell is known to be at least 1),
    and a person alone in a hidden cell of 1 knows that cell (``single_person``). Hiding a
    total then protects nothing: only the table's own cells are hidden, never a zero. Small
    counts are hidden, then complements are added by linear programming (the cheapest
    published cells to hide so that each small count can be 3 or more, solved for every
    Bezirksregion at once) until the attack finds nothing. A small count that the published
    totals alone narrow (a Bezirksregion of one Planungsraum, or a column whose Bezirksregion
    total is 1 or 2) keeps the widest interval any suppression can give it: hiding every
    cell would not protect it better, and the office publishes that total anyway.
    Without ``hierarchy`` the older quick rule applies (no row or column with exactly one
    hidden cell), which an attacker combining equations can break.

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
        Default: the ``min_count`` of ``rules``.
    columns : list of str, optional
        The count columns (groups and total column); default every numeric
        column except key-like ones and the ``rates`` columns.
    total_row : label, optional
        Index label of the total row (e.g. ``"Summe"``), if any.
    total_column : str, optional
        Name of the total column, if any.
    round_to : int, optional
        Round published counts to this base; default the ``round_to`` of ``rules``.
    rules : DisclosureRules or False, optional
        Where ``min_count`` and ``round_to`` default from: None for the rules in force
        (:func:`get_disclosure`), a DisclosureRules for these, ``False`` for none (then
        ``min_count`` is needed). See :func:`resolve_rules`.
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns suppressed with
        their counts.
    suppressed : pandas.DataFrame, optional
        Cells the statistics office suppressed (boolean mask aligned on the
        table's index), as in :func:`apply_disclosure`.
    hierarchy : list of str or int, optional
        The levels above the table's rows, lowest first: column names holding each row's
        parent (e.g. ``["BZR_ID", "PGR_ID", "BEZ_ID"]``) or key prefix lengths of the index
        (``[6, 4, 2]`` for Berlin's 8-digit ``PLR_ID``). ``[]``: the city totals only. The
        table's rows are then the lowest units only (no ``total_row``), and ``.totals``
        holds the totals of every level, exact (published). Berlin's 542 Planungsräume x 9
        columns with ``[6, 4, 2]`` take 0.3-2 s, 1.5-7 s with ``single_person`` (rare to
        commoner characteristic, docs/performance.md); a block is one unit of the lowest
        parent level, so ``[]`` on a large table is much slower. Check every pattern with :func:`audit_disclosure`
        before it is published.
    single_person : bool, default True
        With ``hierarchy``: also protect against a person alone in a hidden cell of 1 who
        knows that cell.
    totals_published : bool, default True
        With ``hierarchy``: the office publishes every total above the table, as above.
        ``False`` lets the totals be hidden too (small totals first, then complements at
        every level); only for releases where the office suppresses its own totals, and
        much slower (about 30 s for Berlin without ``single_person``). ``.totals`` then
        has the hidden totals as NaN.
    suppressed_totals : dict of pandas.DataFrame, optional
        With ``hierarchy`` and ``totals_published=False``: totals to hide from the start, as
        ``{level: mask}`` with the level names of ``.totals`` (a column name, ``"prefix6"``
        for a prefix length, ``"total"`` for the city) and boolean masks indexed by the
        level's units (as in ``.totals``), e.g. the totals that a table sharing these people
        hides. Missing units and columns are False.

    Returns
    -------
    DisclosureResult
        ``.table``, a protected copy (suppressed cells are NaN), and
        ``.suppressed``, the boolean mask of suppressed cells; with ``hierarchy`` also
        ``.totals``.

    Raises
    ------
    ColumnError
        If no minimum count is given or configured, or a column is missing.
    quartier.errors.ParameterError
        If ``min_count``, ``round_to`` or ``rules`` is not valid.

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

    With a hierarchy (here key prefixes: two Bezirke "01" and "02"):

    >>> t = pd.DataFrame({"u6": [1, 4, 6, 5, 7, 9], "ab6": [6, 8, 5, 7, 9, 4]},
    ...                  index=["0101", "0102", "0103", "0201", "0202", "0203"])
    >>> t["ges"] = t["u6"] + t["ab6"]
    >>> out = protect_table(t, 3, total_column="ges", hierarchy=[2])
    >>> int(out.suppressed.to_numpy().sum()) >= 4, out.totals["prefix2"]["u6"].tolist()
    (True, [11.0, 21.0])
    >>> from quartier.reporting.audit import audit_disclosure
    >>> audit_disclosure(t, out, min_count=3, total_column="ges", hierarchy=[2]).passed
    True
    """
    rules = resolve_rules(rules)
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
    if hierarchy is not None:
        if total_row is not None:
            raise ParameterError("protect_table(hierarchy=...) takes the lowest units as rows "
                                 "and computes every total itself: drop the total row and "
                                 "leave total_row=None.")
        system = _audit.hier_system(table, cols, total_column, hierarchy)
        hidden = np.zeros(system.values.size, dtype=bool)
        hidden[:n * m] = prior.ravel()
        if suppressed_totals:
            if totals_published:
                raise ParameterError("protect_table(suppressed_totals=...) needs "
                                     "totals_published=False: published totals are not hidden.")
            names = _audit.level_names(hierarchy)
            for level, given in suppressed_totals.items():
                if level not in names:
                    raise ParameterError(f"suppressed_totals names level {level!r}; the levels "
                                         f"are {format_list(names)}.")
                k = names.index(level) + 1
                frame = pd.DataFrame(False, index=system.units[k], columns=cols)
                mask = _align_mask(frame, given, name="suppressed_totals")
                hidden[system.cells(k)] |= mask.to_numpy(dtype=bool).ravel()
        if totals_published:   # only the table's own cells are hidden, block by block
            low, failures, _ = _blocks.protect(_blocks.make_blocks(system), hidden[:n * m],
                                               min_count, single_person=single_person)
            hidden[:n * m] = low
        else:
            hidden, failures = _audit.protect(system, hidden, min_count,
                                              single_person=single_person)
        if failures:
            warnings.warn(f"disclosure control could not protect {len(failures)} cell(s) "
                          "against the interval attack; check with audit_disclosure().",
                          QuartierWarning, stacklevel=2)
        mask = office.copy()
        for j, c in enumerate(cols):
            mask[c] = hidden[:n * m].reshape(n, m)[:, j]
        mask = _hide_rates(table, mask, _rate_links(rates, None, table.columns))
        return DisclosureResult(_finish(table, cols, mask, round_to), mask,
                                _audit.level_tables(system, hidden, cols, hierarchy, round_to))
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
