"""Controlled rounding: every count and every total rounded to a base, the parts still adding up.

An alternative to cell suppression (:func:`quartier.protect_table`): nothing is hidden, every
published count is a multiple of the base (e.g. 5), and the rounded parts add up *exactly* to
the rounded totals at every level, so no reader can compare a sum of parts with a total and
learn from the difference. Plain rounding of each cell on its own (``round_to=`` of the
disclosure rules) does not do this: on Berlin's 542 Planungsräume x age groups, the rounded age
groups of 310 rows do not add up to the rounded row total.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier._checks import require_column
from quartier.errors import ColumnError, ParameterError, QuartierWarning, format_list
from quartier.reporting import _rounding
from quartier.reporting.disclosure_control import DisclosureResult, default_count_columns

__all__ = ["round_table", "RoundingResult"]


@dataclass(frozen=True, eq=False)
class RoundingResult(DisclosureResult):
    """A table after controlled rounding (a :class:`DisclosureResult` with nothing suppressed).

    Attributes
    ----------
    table : pandas.DataFrame
        A copy of the table with every count column rounded to a multiple of ``base``.
    suppressed : pandas.DataFrame
        All False (rounding hides no cell), the same index and columns as ``table``.
    totals : dict of str to pandas.DataFrame
        The rounded totals of every level, ``{level: table}`` indexed by the level's units:
        the parent column's name, or ``prefix<k>`` for key prefixes, and ``"total"`` for the
        city (one row).
    base : int
        The rounding base.
    zero_restricted : bool
        True when every cell is one of the two multiples of ``base`` next to its true value
        (multiples unchanged). False when no such rounding adds up (not possible for a
        hierarchy with a total column; see :func:`round_table`) and some cells moved by a
        further base.
    relaxed : int
        How many cells (all levels, totals included) moved by ``base`` or more.

    Examples
    --------
    >>> import pandas as pd
    >>> out = round_table(pd.DataFrame({"n": [3, 8]}, index=["a", "b"]), 5)
    >>> out
    RoundingResult(2 rows rounded to base 5, zero-restricted)
    >>> int(out.table["n"].sum()) == int(out.totals["total"]["n"].iloc[0])
    True
    """

    base: int = 1
    zero_restricted: bool = True
    relaxed: int = 0

    def __repr__(self) -> str:
        how = ("zero-restricted" if self.zero_restricted
               else f"{self.relaxed} cell(s) moved by a further base")
        return f"RoundingResult({len(self.table)} rows rounded to base {self.base}, {how})"


def _whole_base(base) -> int:
    ok = (not isinstance(base, bool) and isinstance(base, int | float | np.integer | np.floating)
          and np.isfinite(base) and float(base).is_integer() and base >= 1)
    if not ok:
        raise ParameterError(f"base must be a positive whole number such as 3 or 5, not "
                             f"{base!r}.")
    return int(base)


def _level_names(hierarchy) -> list[str]:
    return [h if isinstance(h, str) else f"prefix{int(h)}" for h in hierarchy] + ["total"]


def _counts(table: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """The count columns as an int64 matrix; every value finite, >= 0 and whole."""
    out = np.zeros((len(table), len(cols)), dtype=np.int64)
    for j, c in enumerate(cols):
        s = table[c]
        if ptypes.is_bool_dtype(s) or not ptypes.is_numeric_dtype(s):
            raise ColumnError(f"count column '{c}' is not numeric (dtype {s.dtype}); controlled "
                              "rounding needs counts. Convert it, or leave it out of columns=.")
        v = s.to_numpy(dtype=float, na_value=np.nan)
        checks = [(~np.isfinite(v), "missing or infinite values",
                   "fill in the true counts (round before cells are suppressed)"),
                  (v < 0, "negative values", "counts are at least 0"),
                  (np.isfinite(v) & (v != np.round(v)), "values that are not whole numbers",
                   "controlled rounding needs whole counts (e.g. before interpolation)")]
        for bad, what, fix in checks:
            if bad.any():
                rows = format_list(table.index[bad][:5].astype(str))
                raise ColumnError(f"count column '{c}' has {what} in {int(bad.sum())} row(s), "
                                  f"e.g. {rows}; {fix}.")
        out[:, j] = v.astype(np.int64)
    return out


def _parents(table: pd.DataFrame, hierarchy) -> list[np.ndarray]:
    if isinstance(hierarchy, str | int | np.integer):
        raise ParameterError("hierarchy must be a list of parent columns or key prefix lengths, "
                             f"lowest level first, e.g. ['BZR_ID'] or [6, 4, 2], not "
                             f"{hierarchy!r}.")
    keys = table.index.astype(str)
    parents = []
    for h in hierarchy:
        if isinstance(h, str):
            require_column(table, h, source="the table", role="hierarchy column")
            col = table[h]
            if col.isna().any():
                rows = format_list(table.index[col.isna().to_numpy()][:5].astype(str))
                raise ColumnError(f"hierarchy column '{h}' has missing parents in row(s) {rows}; "
                                  "every unit needs its parent.")
            parents.append(col.astype(str).to_numpy())
        elif isinstance(h, int | np.integer) and not isinstance(h, bool) and h >= 1:
            parents.append(np.asarray(keys.str[:int(h)]))
        else:
            raise ParameterError(f"hierarchy entries are column names or key prefix lengths "
                                 f"(whole numbers from 1), not {h!r}.")
    return parents


def _fixed_columns(fixed, total_column) -> list[str]:
    if fixed is None:
        return []
    if isinstance(fixed, str):
        raise ParameterError(f"fixed must be a list of column names, e.g. [{fixed!r}], not the "
                             f"string {fixed!r}.")
    keep = list(dict.fromkeys(fixed))
    if keep and total_column is not None and total_column not in keep:
        raise ParameterError(f"fixed={keep!r} keeps parts of the total column "
                             f"'{total_column}' but not the total itself; the true total is "
                             "then unknown. Fix the total too (fixed=[..., "
                             f"{total_column!r}]) or round the parts with the total unfixed.")
    return keep


def _splits(parts, total_column, cols) -> list[list[str]]:
    """The sets of parts of the total column: ``[[]]`` for the default (every other column)."""
    if parts is None:
        return [[]]
    if total_column is None:
        raise ParameterError("parts= names sets of columns adding up to the total column; "
                             "give total_column= too.")
    if isinstance(parts, str) or not all(not isinstance(p, str) and len(p) for p in parts) \
            or not len(parts):
        raise ParameterError(f"parts must be a list of lists of column names, each adding up "
                             f"to '{total_column}', e.g. [['covered_a', 'uncovered_a'], "
                             f"['covered_b', 'uncovered_b']], not {parts!r}.")
    out = [list(dict.fromkeys(p)) for p in parts]
    for p in out:
        if total_column in p:
            raise ParameterError(f"parts {p!r} holds the total column '{total_column}' itself; "
                                 "list only its parts.")
    return out


def _check_fixed_total(system, total: int, index: list[int], base: int, hierarchy,
                       total_column: str) -> None:
    """A fixed total must be a rounding of its parts: one of the two multiples of ``base``
    next to their sum (the sum itself when that is a multiple), in every row and every unit
    of every level."""
    for k, name in enumerate(["table", *_level_names(hierarchy)]):
        cells = system.level(k)
        parts = cells[:, index].sum(axis=1)
        bad = np.abs(cells[:, total] - parts) >= base
        if bad.any():
            units = format_list(system.units[k][bad][:5].astype(str))
            where = "row(s)" if k == 0 else f"unit(s) of level '{name}'"
            raise ColumnError(f"fixed total column '{total_column}' is not a rounding to "
                              f"{base} of the sum of its parts in {int(bad.sum())} {where}, "
                              f"e.g. {units}: a fixed total must be one of the two multiples of "
                              f"{base} next to the true sum of its parts (e.g. the rounded total "
                              "of another round_table of the same people).")


def round_table(table: pd.DataFrame, base: int, *, columns: Sequence[str] | None = None,
                total_column: str | None = None, hierarchy: Sequence[str | int] | None = None,
                seed: int | None = 0, fixed: Sequence[str] | None = None,
                parts: Sequence[Sequence[str]] | None = None) -> RoundingResult:
    """Controlled rounding of a district x group table: every cell and total to a multiple of
    ``base``, the rounded parts adding up exactly to the rounded totals.

    Every cell of the table, every total of every level of ``hierarchy`` up to the city, and
    the ``total_column`` of every unit is rounded to one of the two multiples of ``base`` next
    to its true value; multiples (zeros included) stay as they are (*zero-restricted*
    controlled rounding, as in tau-Argus). Which way each cell goes is chosen jointly (a binary
    programme solved with HiGHS through :func:`scipy.optimize.milp`) so that every published
    sum holds for the rounded values: each column of a unit is the sum of its child units'
    rounded cells, and ``total_column`` is the sum of the other rounded columns, at every
    level (with ``parts``: each listed set of columns is the sum). Among such roundings, the
    one with the least total absolute deviation is taken, ties broken at random (``seed``).

    For a hierarchy of units with a total column, such a rounding always exists (the sums form
    two nested families, whose constraint matrix is totally unimodular). With several sets of
    ``parts`` of one total (e.g. two services splitting the same people into covered and not
    covered) or a ``fixed`` total it need not (see below), though the solver usually finds
    one (none was missing for three splits of Berlin's people aged 80+ over Planungsräume,
    Bezirksregionen, Prognoseräume and Bezirke, bases 3, 5 and 10). If the solver finds
    none, cells are allowed to move by one more base, as few as possible (zeros and
    ``fixed`` cells never move): a :class:`~quartier.errors.QuartierWarning` says so and
    ``.zero_restricted`` is False. The parts always add up.

    **Totals rounded elsewhere** (``fixed=``): two tables of the same people (e.g. two
    services splitting one population into covered and not covered) must publish the *same*
    rounded population. Round them together (``parts=``) where you can; where the second table
    comes later, put the published rounded population into it and name that column in
    ``fixed``: it is kept as it is (and its level totals are the sums of
    its rounded rows), and the other columns are rounded to add up to it. A fixed total must
    be one of the two multiples of ``base`` next to the true sum of its parts, in every row and
    unit. A zero-restricted rounding then need not exist: with ``base=5``, rows (covered,
    uncovered) = (7, 5), (3, 0), (5, 8) of the Bezirke 00, 01, 01 and a fixed population 10,
    0, 15 force covered to 5, 0, 5 (a multiple stays, a part of 0 stays 0), whose sum 10 misses
    the city's 15 (a multiple, which stays). Then the fallback above applies.

    **What rounding protects, and what not.** Every published value is a multiple of
    ``base``, and so is every difference of published values (a total minus its other parts),
    so no count 1 or 2 can be read off or derived exactly from the rounded tables alone: a
    published 0 stands for a true 0 (zero-restricted: zeros stay), a published 5 for 1 to 9
    with base 5. Rounding does not hide that a cell is 0, nor that a cell rounded to 0 holds
    fewer than ``base``. It does not protect against exact values published elsewhere: an
    exact total (e.g. the office's Bezirk totals) next to rounded parts narrows their ranges,
    and a rate or share computed from the true counts gives them back; publish rates from the
    rounded counts, and the rounded totals only. Round one table once and use it for every
    output of a run: two different roundings of the same counts narrow the ranges too.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows: the lowest units (e.g. Planungsräume), index: their keys (strings; with key
        prefixes in ``hierarchy`` the prefixes of the key name the parents); columns: counts
        (groups and optionally a total column), plus key, name or parent columns, which are
        left as they are. No total row: the totals come from ``hierarchy``.
    base : int
        The rounding base, a positive whole number (e.g. 3 or 5).
    columns : list of str, optional
        The count columns (groups and total column). Default: the integer columns that are
        not key-like (:func:`quartier.default_count_columns`), except the hierarchy columns.
        Name them when counts are stored as floats.
    total_column : str, optional
        The column holding each row's total (the sum of the other count columns).
    hierarchy : list of str or int, optional
        The levels above the table's rows, lowest first: columns holding each row's parent
        (e.g. ``["BZR_ID", "PGR_ID", "BEZ_ID"]``) or key prefix lengths of the index (``[6,
        4, 2]`` for Berlin's 8-digit Planungsraum keys). Default ``[]``: the city totals
        only (one total per column).
    seed : int or None, default 0
        Seed of the random tie-break among roundings of equal deviation; None for fresh
        randomness. The same seed gives the same rounding.
    parts : list of list of str, optional
        With ``total_column``: the sets of columns that each add up to it, e.g. ``[["covered_a",
        "uncovered_a"], ["covered_b", "uncovered_b"]]`` for two splits of the same people,
        which then share one rounded total. Default: one set, every other count column.
    fixed : list of str, optional
        Count columns already rounded to ``base`` (multiples of it), kept as they are: the
        other columns are rounded to add up to them. A fixed total column must be a rounding
        of its parts' true sum (see above); fixing a part needs the total fixed too.

    Returns
    -------
    RoundingResult
        A :class:`DisclosureResult`: ``.table`` with rounded counts (integer columns stay
        integer), ``.suppressed`` all False, ``.totals`` the rounded totals of every level
        (``{"prefix6": ..., "prefix4": ..., "prefix2": ..., "total": ...}``); and ``.base``,
        ``.zero_restricted``, ``.relaxed``.

    Raises
    ------
    quartier.errors.ParameterError
        If ``base`` is not a positive whole number, ``hierarchy`` is not a list of parent
        columns or prefix lengths, ``fixed`` keeps parts of the total but not the total, or
        ``parts`` is not a list of lists of columns (without the total) or has no total.
    quartier.errors.ColumnError
        If a count, total or hierarchy column is missing or not numeric; a count is missing,
        infinite, negative or not whole; the total column is not the sum of the other
        columns (a fixed total: not a rounding of it); a fixed column holds a value that is
        not a multiple of ``base``; the row labels repeat; or the hierarchy does not nest.

    Warns
    -----
    QuartierWarning
        If no zero-restricted rounding adds up and some cells moved by a further base.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"u6": [1, 4, 6, 5], "ab6": [6, 8, 5, 7]},
    ...                  index=["0101", "0102", "0201", "0202"])
    >>> t["ges"] = t["u6"] + t["ab6"]
    >>> out = round_table(t, 5, total_column="ges", hierarchy=[2])
    >>> out.table.to_dict("list")
    {'u6': [0, 5, 5, 5], 'ab6': [5, 10, 5, 5], 'ges': [5, 15, 10, 10]}
    >>> out.totals["prefix2"].to_dict("list")
    {'u6': [5, 10], 'ab6': [15, 10], 'ges': [20, 20]}
    >>> out.totals["total"].to_dict("list")
    {'u6': [15], 'ab6': [25], 'ges': [40]}
    >>> out.zero_restricted, bool(out.suppressed.to_numpy().any())
    (True, False)

    A second split of the same people, with the rounded total of the first kept:

    >>> t2 = pd.DataFrame({"near": [3, 12, 2, 11], "far": [4, 0, 9, 1]}, index=t.index)
    >>> t2["ges"] = out.table["ges"]        # the rounded 5, 15, 10, 10 (true 7, 12, 11, 12)
    >>> out2 = round_table(t2, 5, total_column="ges", hierarchy=[2], fixed=["ges"])
    >>> out2.table["ges"].tolist() == out.table["ges"].tolist()
    True
    >>> bool((out2.table["near"] + out2.table["far"] == out2.table["ges"]).all())
    True
    >>> out2.totals["total"]["ges"].tolist()
    [40]
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"table must be a pandas DataFrame, not {type(table).__name__}.")
    base = _whole_base(base)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise ParameterError(f"seed must be a whole number or None, not {seed!r}.")
    hierarchy = [] if hierarchy is None else hierarchy
    parents = _parents(table, hierarchy)
    if columns is None:
        skip = {h for h in hierarchy if isinstance(h, str)}
        cols = [c for c in default_count_columns(table) if c not in skip]
    else:
        if isinstance(columns, str):
            raise ParameterError(f"columns must be a list of column names, e.g. [{columns!r}], "
                                 f"not the string {columns!r}.")
        cols = list(dict.fromkeys(columns))
    if total_column is not None and total_column not in cols:
        cols.append(total_column)
    keep = _fixed_columns(fixed, total_column)
    cols += [c for c in keep if c not in cols]
    splits = _splits(parts, total_column, cols)
    cols += [c for split in splits for c in split if c not in cols]
    if not cols:
        raise ColumnError("round_table found no count column (integer, not key-like); name "
                          "them with columns=[...].")
    for c in cols:
        require_column(table, c, source="the table", role="count column")
    if not table.index.is_unique:
        dup = format_list(table.index[table.index.duplicated()][:5].astype(str))
        raise ColumnError(f"the table's row labels repeat ({dup}); each row must be one unit: "
                          "aggregate the rows first or set a unique index.")
    values = _counts(table, cols)
    for c in keep:
        bad = values[:, cols.index(c)] % base != 0
        if bad.any():
            rows = format_list(table.index[bad][:5].astype(str))
            raise ColumnError(f"fixed column '{c}' has values that are not multiples of {base} "
                              f"in {int(bad.sum())} row(s), e.g. {rows}; fixed= names columns "
                              "already rounded to the same base (e.g. a column of another "
                              "round_table's .table).")
    total, split_index = None, None
    if total_column is not None:
        total = cols.index(total_column)
        split_index = [[cols.index(c) for c in split] if split else
                       [j for j in range(len(cols)) if j != total] for split in splits]
        for split, index in zip(splits, split_index, strict=True):
            bad = values[:, index].sum(axis=1) != values[:, total]
            if total_column in keep:    # checked on every level below, once the sums are built
                bad[:] = False
            if bad.any():
                rows = format_list(table.index[bad][:5].astype(str))
                named = format_list(cols[j] for j in index)
                fix = ("pass columns= with exactly the parts of the total, or leave "
                       "total_column out" if not split else "check parts=")
                raise ColumnError(f"total column '{total_column}' is not the sum of the count "
                                  f"columns {named} in {int(bad.sum())} row(s), e.g. {rows}; "
                                  f"{fix}.")
    try:
        system = _rounding.build(values, parents, table.index, total, split_index)
    except ValueError as exc:
        raise ColumnError(f"{exc}; check hierarchy=.") from None
    held = np.zeros(system.values.size, dtype=bool)
    for k, units in enumerate(system.units):
        first = system.offsets[k] + np.arange(len(units)) * system.m
        for c in keep:
            held[first + cols.index(c)] = True
    if total_column in keep:
        for index in split_index:
            _check_fixed_total(system, total, index, base, hierarchy, total_column)
    rounded = _rounding.solve(system.values, system.A, base, seed, fixed=held)
    if not rounded.zero_restricted:
        warnings.warn(f"controlled rounding: no rounding to the neighbouring multiples of {base} "
                      f"adds up; {int(rounded.relaxed.sum())} cell(s) moved by a further base "
                      "(RoundingResult.zero_restricted is False).", QuartierWarning,
                      stacklevel=2)
    n, m = values.shape
    out = table.copy()
    low = rounded.values[:n * m].reshape(n, m)
    for j, c in enumerate(cols):
        out[c] = low[:, j] if ptypes.is_integer_dtype(table[c]) else low[:, j].astype(float)
    totals = {}
    for k, name in enumerate(_level_names(hierarchy), start=1):
        cells = rounded.values[system.offsets[k]:system.offsets[k + 1]].reshape(-1, m)
        totals[name] = pd.DataFrame(cells, index=system.units[k], columns=cols)
    mask = pd.DataFrame(False, index=table.index, columns=table.columns, dtype=bool)
    return RoundingResult(out, mask, totals, base, rounded.zero_restricted,
                          int(rounded.relaxed.sum()))
