"""Audit of published tables: what an interval attacker learns (statistische Geheimhaltung).

:func:`audit_disclosure` runs the attack that statistics offices check against (tau-Argus,
sdcTable): for each hidden small count, the lowest and highest value it can have given every
published cell and every published total of every level, by linear programming (HiGHS).
:func:`quartier.protect_table` with ``hierarchy=`` repairs patterns until this audit passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier._checks import require_column
from quartier._report import Report
from quartier.errors import ParameterError
from quartier.reporting import _audit, _blocks
from quartier.reporting._masks import _KEY_LIKE, _align_mask, _positive_int
from quartier.reporting.disclosure_control import DisclosureResult

__all__ = ["audit_disclosure", "DisclosureAudit"]


@dataclass(frozen=True)
class DisclosureAudit(Report):
    """What an interval attacker learns from a protected table (:func:`audit_disclosure`).

    Attributes
    ----------
    passed : bool
        True when no small count is published or narrowed below the threshold by the
        suppression pattern (cells narrowed by the published totals alone do not fail; see
        ``by_totals``).
    cells : pandas.DataFrame
        One row per cell whose interval stays below the threshold: ``level`` (``"table"``
        or a level name), ``unit``, ``column``, ``value``, ``lower``, ``upper`` (the
        attacker's interval; equal to the value when the cell is published), ``known_by``
        (the cell of 1 whose person attacks, single-person case, else empty) and
        ``reason``: ``"published"``, ``"exact"``, ``"upper bound below threshold"``, or
        ``"published totals"`` (no suppression in the table could do better: the office's
        own totals narrow the cell; these do not fail the audit).
    primary : int
        Cells ``0 < n < min_count``: of the table (totals published), or at all levels.
    suppressed : int
        Hidden cells: of the table (totals published), or at all levels.
    lp_solved : int
        Linear programs solved (each may hold many blocks).
    by_totals : int
        Rows of ``cells`` with reason ``"published totals"``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [1, 5], "b": [6, 7]}, index=["x", "y"])
    >>> mask = pd.DataFrame({"a": [True, False], "b": [False, False]}, index=t.index)
    >>> audit = audit_disclosure(t, mask, min_count=3, hierarchy=[])
    >>> audit.passed, audit.cells["reason"].tolist()
    (False, ['exact'])
    """

    passed: bool
    cells: pd.DataFrame
    primary: int
    suppressed: int
    lp_solved: int
    by_totals: int = 0

    def text(self, lang: str | None = None) -> str:
        head = (f"Interval attack: {self.primary} small count(s), {self.suppressed} hidden "
                f"cell(s), {self.lp_solved} LP(s): ")
        totals = (f"; {self.by_totals} small count(s) are narrowed by the published totals "
                  "alone, which no suppression in the table can change"
                  if self.by_totals else "")
        if self.passed:
            return (head + "passed, every small count keeps an interval reaching the threshold"
                    + (" or as wide as the published totals allow" if self.by_totals else "")
                    + totals + ".")
        bad = self.cells[self.cells["reason"] != "published totals"]
        return (head + f"FAILED for {len(bad)} cell(s){totals}\n" + bad.head(20).to_string())


def audit_disclosure(table: pd.DataFrame, published, *, min_count: int,
                     columns: Sequence[str] | None = None, total_column: str | None = None,
                     hierarchy: Sequence[str | int] = (), zeros_published: bool = True,
                     single_person: bool = True,
                     totals_published: bool = True) -> DisclosureAudit:
    """Attack a protected table as a statistics office's audit does (linear programming).

    The premise (``totals_published``, the default) is the office's: every total above
    the table, at every level of ``hierarchy`` and of the city (every column and the
    ``total_column``), is published exactly, and zeros are published, so a hidden cell is
    known to be at least 1. The attacker knows every published cell, those totals, the row
    totals (``total_column``), and with ``single_person`` also attacks as each person alone
    in a hidden cell of 1, who knows that cell is 1. For every small count of the table
    (``0 < n < min_count``) the attacker's interval is computed with HiGHS
    (:func:`scipy.optimize.linprog`); the table falls apart into blocks (one per unit of
    the lowest parent level, e.g. a Bezirksregion), all solved in a few stacked LPs. A cell
    fails when it is published, or its upper bound stays below ``min_count`` (so it is
    exact, or known to be small) although hiding more cells could widen it. A small count
    that the published totals alone narrow (e.g. the only Planungsraum of its
    Bezirksregion) is listed with reason ``"published totals"`` and does not fail, when its
    interval is as wide as hiding every cell of its block would make it: no suppression in
    the table does better, and the totals are the office's. Berlin's 542 x 9 table with
    ``[6, 4, 2]`` takes 0.4-1.2 s, 3-7 s with ``single_person``.

    With ``totals_published=False`` the totals of ``published.totals`` that are NaN (a
    :class:`DisclosureResult` of ``protect_table(..., totals_published=False)``) count as
    hidden, small totals are audited too, and the whole table is one system (slow on
    large tables).

    Parameters
    ----------
    table : pandas.DataFrame
        The true counts: rows are the lowest units, as given to :func:`protect_table`.
    published : DisclosureResult or pandas.DataFrame
        What was published: a result of :func:`protect_table` / :func:`apply_disclosure`,
        or a boolean mask (True = suppressed) aligned on the table.
    min_count : int
        The threshold (e.g. 3: ones and twos are confidential).
    columns : list of str, optional
        The count columns; default the mask's count columns among the numeric ones (the
        total column included).
    total_column : str, optional
        The column that is the sum of the others in every row.
    hierarchy : list of str or int, default ()
        As in :func:`protect_table`; ``()``: only the city totals are published.
    zeros_published : bool, default True
        Whether the attacker may take hidden cells as at least 1 (with
        ``totals_published=False``; the premise includes it otherwise).
    single_person : bool, default True
        Also attack as each person alone in a hidden cell of 1.
    totals_published : bool, default True
        The office's premise above; ``False``: totals may be hidden.

    Returns
    -------
    DisclosureAudit

    Raises
    ------
    ColumnError
        If a column is missing, counts are missing, or the hierarchy does not nest.

    Examples
    --------
    >>> import pandas as pd
    >>> from quartier import protect_table
    >>> t = pd.DataFrame({"a": [1, 5, 4], "b": [6, 7, 8]}, index=["x", "y", "z"])
    >>> out = protect_table(t, 3, hierarchy=[])
    >>> audit_disclosure(t, out, min_count=3).passed
    True

    A Bezirk ("01") of one Planungsraum: its published totals are that Planungsraum's
    counts, and no suppression can hide them:

    >>> t = pd.DataFrame({"a": [1, 4, 5], "b": [6, 7, 8]}, index=["0101", "0201", "0202"])
    >>> audit = audit_disclosure(t, protect_table(t, 3, hierarchy=[2]), min_count=3,
    ...                          hierarchy=[2])
    >>> audit.passed, audit.by_totals, audit.cells["reason"].tolist()
    (True, 1, ['published totals'])
    """
    min_count = _positive_int(min_count, "min_count")
    if min_count is None:
        raise ParameterError("audit_disclosure needs min_count, e.g. min_count=3.")
    mask = published.suppressed if isinstance(published, DisclosureResult) else published
    mask = _align_mask(table, mask, name="published")
    if columns is None:
        columns = [c for c in table.columns if c != "geometry"
                   and ptypes.is_numeric_dtype(table[c]) and not ptypes.is_bool_dtype(table[c])
                   and not _KEY_LIKE.search(str(c))
                   and not (isinstance(hierarchy, list | tuple) and c in hierarchy)]
    cols = list(columns)
    if total_column is not None and total_column not in cols:
        cols.append(total_column)
    for c in cols:
        require_column(table, c, source="the table", role="count column")
    system = _audit.hier_system(table, cols, total_column, list(hierarchy))
    n, m = len(table), len(cols)
    hidden = np.zeros(system.values.size, dtype=bool)
    hidden[:n * m] = mask[cols].to_numpy(dtype=bool).ravel()
    names = _audit.level_names(list(hierarchy))
    stats: dict = {}
    by_totals: set[tuple] = set()
    if totals_published:
        blocks = _blocks.make_blocks(system)
        primary = np.zeros(system.values.size, dtype=bool)
        primary[:n * m] = (blocks.values > 0) & (blocks.values < min_count)
        failures = _blocks.attack(blocks, hidden[:n * m], primary[:n * m], float(min_count),
                                  single_person=single_person, stats=stats)
        only = {(f.known, f.cell) for f in failures if hidden[f.cell]}
        if only:
            thr = _blocks.achievable(blocks, hidden[:n * m], primary[:n * m], min_count,
                                     single_person=single_person, only=only, stats=stats)
            by_totals = {(f.known, f.cell) for f in failures if hidden[f.cell] and f.upper
                         >= _blocks.needed(thr, f.known, f.cell) - _audit.EPS}
    else:
        if isinstance(published, DisclosureResult):
            for k, name in enumerate(names, start=1):
                level = published.totals.get(name)
                if level is not None:
                    hid = level.reindex(index=system.units[k], columns=cols).isna().to_numpy()
                    hidden[system.cells(k)] = hid.ravel()
        primary = (system.values > 0) & (system.values < min_count)
        failures = _audit.attack(system, hidden, primary, min_count,
                                 zeros_published=zeros_published, single_person=single_person,
                                 stats=stats)
    level_name = ["table", *names]
    rows = []
    for f in failures:
        lvl, unit, col = (int(system.level[f.cell]), int(system.unit[f.cell]),
                          int(system.col[f.cell]))
        known = ""
        if f.known is not None:
            kl = int(system.level[f.known])
            known = (f"{level_name[kl]} {system.units[kl][system.unit[f.known]]} "
                     f"{cols[system.col[f.known]]}")
        published_cell = not hidden[f.cell]
        reason = ("published" if published_cell
                  else "published totals" if (f.known, f.cell) in by_totals
                  else "exact" if abs(f.upper - f.lower) < 1e-6 else "upper bound below threshold")
        rows.append({"level": level_name[lvl], "unit": system.units[lvl][unit],
                     "column": cols[col], "value": system.values[f.cell], "lower": f.lower,
                     "upper": f.upper, "known_by": known, "reason": reason})
    cells = pd.DataFrame(rows, columns=["level", "unit", "column", "value", "lower", "upper",
                                        "known_by", "reason"])
    n_totals = int((cells["reason"] == "published totals").sum())
    return DisclosureAudit(n_totals == len(rows), cells, int(primary.sum()),
                           int(hidden.sum()), int(stats.get("lp", 0)), n_totals)
