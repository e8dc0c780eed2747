"""Disclosure control (statistische Geheimhaltung): small counts are confidential.

Once configured with :func:`set_disclosure`, the rules apply to every output
quartier writes: tables, GIS layers, map colours and tooltips. Output code
calls :func:`apply_disclosure` on a frame just before it is written or drawn.

This module is a stub with the final interface; the rules themselves
(minimum count, rounding, secondary suppression) come with the social
reporting issue.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["DisclosureRules", "set_disclosure", "get_disclosure", "apply_disclosure"]


@dataclass(frozen=True)
class DisclosureRules:
    """The configured rules; ``None`` fields are off."""

    min_count: int | None = None
    round_to: int | None = None
    secondary: bool = True
    count_columns: tuple[str, ...] | None = None


_rules: DisclosureRules | None = None


def set_disclosure(
    min_count: int | None = None,
    *,
    round_to: int | None = None,
    secondary: bool = True,
    count_columns: list[str] | None = None,
) -> DisclosureRules | None:
    """Configure disclosure control for every output; ``set_disclosure(None)`` turns it off.

    Parameters
    ----------
    min_count : int or None
        Counts below this (and above zero) are suppressed.
    round_to : int, optional
        Round published counts to this base.
    secondary : bool, default True
        Suppress further cells so that suppressed ones cannot be recovered from totals.
    count_columns : list of str, optional
        Columns that hold counts; default: the integer columns.

    Returns
    -------
    DisclosureRules or None

    Examples
    --------
    >>> set_disclosure(3).min_count
    3
    >>> set_disclosure(None)
    """
    global _rules
    _rules = None if min_count is None and round_to is None else DisclosureRules(
        min_count, round_to, secondary, tuple(count_columns) if count_columns else None
    )
    return _rules


def get_disclosure() -> DisclosureRules | None:
    """The rules in force, or None when disclosure control is off.

    Examples
    --------
    >>> get_disclosure() is None
    True
    """
    return _rules


def apply_disclosure(frame: pd.DataFrame) -> pd.DataFrame:
    """Apply the configured rules to a frame about to be written or drawn.

    Suppressed cells become missing values and are listed in
    ``attrs["quartier_suppressed"]`` (``{column: [row positions]}``, the same
    record :func:`quartier.read_table` keeps for cells a statistics office
    suppressed), so maps can show them as "gesperrt", distinct from "keine
    Angabe". Without configured rules the frame is returned unchanged.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A protected copy (or ``frame`` itself when disclosure control is off).

    Examples
    --------
    >>> import pandas as pd
    >>> apply_disclosure(pd.DataFrame({"n": [1, 20]}))["n"].tolist()
    [1, 20]
    """
    if _rules is None:
        return frame
    raise NotImplementedError("disclosure rules are implemented with the social reporting issue")
