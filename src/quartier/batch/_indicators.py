"""The run's indicator layer: the districts with the [[tables]] joined, protected as declared.

Counts are the columns ``[disclosure] count_columns`` names (whatever their dtype: decimals
after a join or an interpolation, names such as ``ew_unter_1_jahr``), the members of
``row_totals`` and the integer columns that are not keys; rates are those of
``rate_columns``, suppressed with their counts (and, with ``round_to``, recomputed from the
rounded counts). With ``round_to``, each ``row_totals`` group of whole counts is rounded by
controlled rounding over the levels (:func:`quartier.round_table`: its parts add up to its
total in every row); other counts, decimals and counts in two groups are rounded half up. Other numeric columns have no declared kind, so they are left out with a
note: a rate nobody linked to its counts would give suppressed counts back.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier.batch._protect import round_half_up
from quartier.errors import QuartierWarning, format_list
from quartier.reporting.audit import audit_disclosure
from quartier.reporting.disclosure_control import (
    DisclosureRules,
    default_count_columns,
    protect_table,
)
from quartier.reporting.rounding import round_table


def protect_indicators(frame: pd.DataFrame, key: str, keep: list[str], levels: list[str],
                       rules: DisclosureRules | None, declared: dict
                       ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the layer as published, its suppression mask, the audit failures)."""
    columns = [c for c in frame.columns if c != "geometry"]
    if rules is None:
        return frame, pd.DataFrame(False, index=frame.index, columns=frame.columns), \
            pd.DataFrame()
    fixed = {key, *keep, *levels}
    rates = {r: (a, b) for r, (a, b) in declared.get("rate_columns", {}).items()
             if r in columns}
    totals = {t: list(p) for t, p in declared.get("row_totals", {}).items()
              if t in columns and all(c in columns for c in p)}
    counts = [c for c in declared.get("count_columns", []) if c in columns]
    counts += [c for t, parts in totals.items() for c in (t, *parts) if c not in counts]
    counts += [c for c in default_count_columns(frame.drop(columns="geometry"))
               if c not in counts and c not in fixed and c not in rates]
    unknown = [c for c in columns if c not in fixed and c not in counts and c not in rates
               and ptypes.is_numeric_dtype(frame[c]) and not ptypes.is_bool_dtype(frame[c])]
    if unknown:
        warnings.warn(
            f"indicator layer: column(s) {format_list(unknown)} are numbers of no declared "
            "kind and are left out (a rate not linked to its counts would give suppressed "
            "counts back). Declare them in [disclosure]: count_columns, or rate_columns = "
            '{ rate = ["numerator", "denominator"] }.', QuartierWarning, stacklevel=3)
    for c in counts:
        if ptypes.is_bool_dtype(frame[c]) or not ptypes.is_numeric_dtype(frame[c]):
            from quartier.errors import ColumnError
            raise ColumnError(f"count column '{c}' ([disclosure] count_columns) holds no "
                              f"numbers (dtype {frame[c].dtype}); leave it out or fix the table.")
    out = frame.drop(columns=unknown)
    mask = pd.DataFrame(False, index=out.index, columns=out.columns)
    failures = []
    values = out[counts].apply(lambda s: s.astype(float)).fillna(0.0)
    values.index = out[key].astype(str)
    for level in levels:
        values[level] = out[level].astype(str).to_numpy()
    blocks = [(parts, total) for total, parts in totals.items()]
    grouped = {c for parts, total in blocks for c in (*parts, total)}
    rest = [c for c in counts if c not in grouped]
    if rest:
        blocks.append((rest, None))
    hidden = pd.DataFrame(False, index=values.index, columns=counts)
    if rules.min_count:
        for parts, total in blocks:
            cols = [*parts, *([total] if total else [])]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", QuartierWarning)  # the audit says it
                result = protect_table(values[[*cols, *levels]], rules.min_count, columns=parts,
                                       total_column=total, hierarchy=levels, rules=False,
                                       suppressed=hidden[cols])
            audit = audit_disclosure(values[[*cols, *levels]], result,
                                     min_count=rules.min_count, columns=parts,
                                     total_column=total, hierarchy=levels)
            if not audit.passed:
                failures.append(audit.cells.assign(service="indikatoren"))
            for c in cols:
                hidden[c] = hidden[c].to_numpy() | result.suppressed[c].to_numpy(dtype=bool)
    rounded = _controlled(values, blocks, levels, rules.round_to) if rules.round_to else {}
    for c in counts:
        cells = out[c].to_numpy(dtype=float, na_value=np.nan).copy()
        if c in rounded:    # a district without a row in the tables keeps its empty cell
            cells = np.where(np.isnan(cells), np.nan, rounded[c])
        elif rules.round_to:
            cells = round_half_up(cells, rules.round_to)
        cells[hidden[c].to_numpy()] = np.nan
        out[c] = cells
        mask[c] = hidden[c].to_numpy()
    for rate, (num, den) in rates.items():
        gone = np.zeros(len(out), dtype=bool)
        for c in (num, den):
            if c in hidden.columns:
                gone |= hidden[c].to_numpy()
        cells = out[rate].to_numpy(dtype=float, na_value=np.nan).copy()
        if rules.round_to and num in counts and den in counts:
            cells = _recomputed(frame, rate, num, den, out)
        cells[gone] = np.nan
        out[rate] = cells
        mask[rate] = gone & frame[rate].notna().to_numpy()
    return out, mask, (pd.concat(failures, ignore_index=True) if failures else pd.DataFrame())


def _controlled(values: pd.DataFrame, blocks, levels: list[str], base: int
                ) -> dict[str, np.ndarray]:
    """The controlled rounding of every ``row_totals`` group of whole counts whose columns are
    in no other group: ``{column: rounded values}``."""
    seen: dict[str, int] = {}
    for parts, total in blocks:
        for c in (*parts, *([total] if total else [])):
            seen[c] = seen.get(c, 0) + 1
    out = {}
    for parts, total in blocks:
        cols = [*parts, *([total] if total else [])]
        if total is None or any(seen[c] > 1 for c in cols):
            continue
        v = values[cols].to_numpy(dtype=float)
        if (v != np.round(v)).any() or (v < 0).any() or \
                (v[:, :-1].sum(axis=1) != v[:, -1]).any():
            continue
        table = values[[*levels]].assign(**{c: v[:, j].astype(np.int64)
                                            for j, c in enumerate(cols)})
        result = round_table(table, base, columns=cols, total_column=total, hierarchy=levels)
        out.update({c: result.table[c].to_numpy(dtype=float) for c in cols})
    return out


def _recomputed(frame, rate, num, den, out) -> np.ndarray:
    """The rate from the rounded counts, on the scale the table uses (share, %, per 1,000)."""
    true_rate = frame[rate].to_numpy(dtype=float, na_value=np.nan)
    n = frame[num].to_numpy(dtype=float, na_value=np.nan)
    d = frame[den].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = true_rate / (n / d)
        scale = np.nanmedian(ratio[np.isfinite(ratio) & (ratio > 0)]) if np.isfinite(
            ratio).any() else 1.0
        pn = out[num].to_numpy(dtype=float, na_value=np.nan)
        pd_ = out[den].to_numpy(dtype=float, na_value=np.nan)
        return np.where(pd_ > 0, pn / pd_ * scale, np.nan)
