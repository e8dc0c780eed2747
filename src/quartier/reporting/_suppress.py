"""Private engine of disclosure control: primary and secondary cell suppression.

Cells live in a float matrix (rows x columns). An *equation* is a set of cells
whose sum is published (a row or column with its total). A suppressed cell can
be recovered from an equation in which it is the only hidden cell, so
secondary suppression hides one more cell there (the smallest positive one,
interior cells before totals) and repeats until no equation has exactly one
hidden cell.
"""

from __future__ import annotations

import numpy as np


def primary(values: np.ndarray, min_count: int | None) -> np.ndarray:
    """Cells ``0 < n < min_count`` (missing cells are never primary)."""
    if not min_count:
        return np.zeros(values.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return (values > 0) & (values < min_count)


def secondary(values: np.ndarray, suppressed: np.ndarray, equations: list[np.ndarray],
              prefer: np.ndarray | None = None) -> tuple[np.ndarray, list[int]]:
    """Suppress further cells until no equation has exactly one hidden confidential cell.

    Parameters
    ----------
    values : 2-D float array
        Cell values; NaN cells are not published (hidden) but not confidential.
    suppressed : 2-D bool array
        Cells suppressed so far (confidential).
    equations : list of 1-D int arrays
        Flat cell indices of each published sum.
    prefer : 2-D bool array, optional
        Cells to pick first as secondary suppressions (interior cells).

    Returns
    -------
    suppressed : 2-D bool array
        The suppressed cells after secondary suppression.
    unresolved : list of int
        Positions in ``equations`` where no further cell could be hidden.
    """
    flat_values = values.ravel()
    sup = suppressed.copy().ravel()
    missing = np.isnan(flat_values)
    pref = np.ones(flat_values.shape, dtype=bool) if prefer is None else prefer.ravel()
    unresolved: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, eq in enumerate(equations):
            hidden = sup[eq] | missing[eq]
            if hidden.sum() != 1 or not sup[eq][hidden].all():
                continue
            free = eq[~hidden]
            if free.size == 0:
                unresolved.add(i)
                continue
            vals = flat_values[free]
            # interior before totals, positive before zero, then smallest, then first
            order = np.lexsort((np.arange(free.size), vals, vals <= 0, ~pref[free]))
            sup[free[order[0]]] = True
            changed = True
    return sup.reshape(suppressed.shape), sorted(unresolved)


def exactly_one_hidden(suppressed: np.ndarray, values: np.ndarray,
                       equations: list[np.ndarray]) -> list[int]:
    """Equations in which a suppressed cell is the only hidden one (for checks and tests)."""
    sup, missing = suppressed.ravel(), np.isnan(values.ravel())
    bad = []
    for i, eq in enumerate(equations):
        hidden = sup[eq] | missing[eq]
        if hidden.sum() == 1 and sup[eq][hidden].all():
            bad.append(i)
    return bad


def column_equations(n_rows: int, n_cols: int, columns: list[int] | None = None
                     ) -> list[np.ndarray]:
    """One equation per column (its cells in all rows)."""
    cols = range(n_cols) if columns is None else columns
    return [np.arange(n_rows) * n_cols + j for j in cols]


def row_equations(n_rows: int, n_cols: int, columns: list[int]) -> list[np.ndarray]:
    """One equation per row over the given columns."""
    cols = np.asarray(columns, dtype=int)
    return [i * n_cols + cols for i in range(n_rows)]


def round_to_base(values: np.ndarray, base: int) -> np.ndarray:
    """Round half up to a multiple of ``base`` (NaN stays NaN)."""
    return np.floor(values / base + 0.5) * base
