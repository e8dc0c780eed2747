"""Sharing the demand in reach of several facilities among them, each person counted once.

The rules of :func:`quartier.development_statement` (``allocation=``):

- ``"capacity"``: a unit's demand is shared among the facilities in its reach in
  proportion to their places (a capacity-weighted choice, as in the 3SFCA family).
- ``"equal"``: shared in equal parts among the facilities in its reach.
- ``"everyone"``: every facility counts all demand in its reach (people in reach of two
  facilities count twice; the rule before quartier 0.x, kept for comparison).

With ``"capacity"``, a unit whose facilities in reach have no places at all shares its
demand equally among them (nothing is lost).
"""

from __future__ import annotations

import numpy as np

from quartier.errors import ParameterError

ALLOCATIONS = ("capacity", "equal", "everyone")


def check_allocation(allocation: str) -> str:
    if allocation not in ALLOCATIONS:
        raise ParameterError(
            f"allocation={allocation!r} is not known: use 'capacity' (demand shared by places, "
            "the default), 'equal' (shared in equal parts) or 'everyone' (every facility counts "
            "all demand in its reach)."
        )
    return allocation


def weights(rows: np.ndarray, cols: np.ndarray, places: np.ndarray, n_units: int,
            how: str) -> np.ndarray:
    """Share of unit ``rows[k]``'s demand that goes to facility ``cols[k]`` (per pair)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if how == "everyone":
        return np.ones(rows.size)
    if how == "equal":
        w = np.ones(rows.size)
    else:
        w = np.asarray(places, dtype=float)[cols]
        total = np.bincount(rows, weights=w, minlength=n_units)
        no_places = total[rows] <= 0  # no places at all in reach: share equally
        w = np.where(no_places, 1.0, w)
    total = np.bincount(rows, weights=w, minlength=n_units)
    return w / total[rows] if rows.size else w


def allocate(demand, rows, cols, places, how: str = "capacity") -> np.ndarray:
    """Demand allocated to each facility.

    Parameters
    ----------
    demand : array (n_units,)
        Demand of each unit (people of the target group).
    rows, cols : int arrays
        The pairs (unit, facility) within reach.
    places : array (n_facilities,)
        Places of each facility.
    how : {"capacity", "equal", "everyone"}

    Returns
    -------
    numpy.ndarray (n_facilities,)
        With ``"capacity"`` and ``"equal"`` the sum equals the demand of the units
        with at least one facility in reach.
    """
    demand = np.asarray(demand, dtype=float)
    places = np.asarray(places, dtype=float)
    w = weights(rows, cols, places, demand.size, how)
    return np.bincount(np.asarray(cols, dtype=np.int64), weights=demand[rows] * w,
                       minlength=places.size)


def group_demand(demand, rows, cols, places, group: np.ndarray, how: str) -> float:
    """Demand set against a group of facilities (boolean mask over the facilities).

    ``"capacity"``/``"equal"``: the demand allocated to the group's facilities;
    ``"everyone"``: all demand in reach of any of them, each unit once.
    """
    demand = np.asarray(demand, dtype=float)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if how == "everyone":
        units = np.unique(rows[group[cols]])
        return float(demand[units].sum())
    return float(allocate(demand, rows, cols, places, how)[group].sum())
