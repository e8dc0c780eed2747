"""Private helpers of disclosure control: masks aligned on labels, rate links, the final copy."""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier.errors import ColumnError, ParameterError, QuartierWarning, format_list
from quartier.reporting import _suppress

if TYPE_CHECKING:  # the rules type only; disclosure_control imports this module
    from quartier.reporting.disclosure_control import DisclosureRules

_KEY_LIKE = re.compile(
    r"(^|[_\s-])(id|nr|no|key|code|plz|jahr|year|schl(ü|ue)ssel|nummer|ags|ars)($|[_\s-])",
    re.IGNORECASE)


def _positive_int(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(f"{name} must be a positive whole number or None, not {value!r}.")
    return int(value)


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
