"""Where should new facilities go? Location models solved exactly (HiGHS via scipy).

Three classic models, each with the city's existing facilities fixed open:

- :func:`maximal_coverage`: choose ``p`` new sites among candidates so that
  as many people as possible live within reach of a facility.
- :func:`p_median`: choose ``p`` new sites so that the total distance (or
  travel time) of all people to their nearest facility is smallest.
- :func:`set_cover`: the fewest new sites so that everybody is within reach.

Distances come from :func:`quartier.access.costs.cost_matrix` (straight lines, or a
street network passed as ``network=``). The models have variables only for
pairs within reach, are solved with :func:`scipy.optimize.milp` under a time
limit, and report the optimality gap when the solver stops early.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import (
    capacity_values,
    population_values,
    positive_number,
)
from quartier.access.costs import cost_matrix
from quartier.errors import (
    ParameterError,
    QuartierError,
    QuartierWarning,
    ValueParseError,
    format_list,
)
from quartier.io.crs import require_metric, require_same_crs
from quartier.planning import _siting_model as model
from quartier.planning._siting_result import Coverage, SitingResult, build_result

__all__ = ["Coverage", "SitingResult", "maximal_coverage", "p_median", "set_cover"]


# --------------------------------------------------------------------------- inputs


@dataclass
class _Inputs:
    demand: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame
    w: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    cost: np.ndarray
    cap: np.ndarray | None
    max_cost: float | None

    @property
    def m_cand(self) -> int:
        return len(self.candidates)


def _check_p(p, candidates):
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
        raise ParameterError(f"p must be a whole number of new sites (0 or more), not {p!r}.")
    if p > len(candidates):
        raise ParameterError(
            f"p={p} new sites were asked for, but there are only {len(candidates)} candidate "
            f"sites. Choose p <= {len(candidates)} (p={len(candidates)} opens every candidate), "
            "or add candidate sites."
        )


def _population(demand, demand_col):
    w = population_values(demand, demand_col)
    if len(w) == 0 or not w.sum() > 0:
        raise ValueParseError(
            f"demand column '{demand_col}' sums to 0 ({len(w)} demand units): there is nobody "
            "to plan for. Check that the column holds the target group's population."
        )
    return w


def _capacity(frame, column, what):
    return capacity_values(frame, column, source=what, stacklevel=5)


def _prepare(demand, candidates, existing, *, demand_col, max_cost, network, capacity,
             existing_capacity):
    if network is None:
        require_metric(demand.crs, what="demand")
    for frame, what in ((candidates, "candidates"), (existing, "existing")):
        if frame is not None:
            require_same_crs(frame, demand, what=what, reference_what="demand")
    w = _population(demand, demand_col)
    if existing is None:
        existing = candidates.iloc[0:0]
    cap = None
    if capacity is not None:
        ex_col = existing_capacity or capacity
        cap = np.concatenate([
            _capacity(candidates, capacity, "candidates"),
            _capacity(existing, ex_col, "existing") if len(existing) else np.zeros(0),
        ])
    elif existing_capacity is not None:
        raise ParameterError("existing_capacity= needs capacity= for the candidate sites as well.")
    geoms = pd.concat([candidates.geometry, existing.geometry], ignore_index=True)
    sites = gpd.GeoDataFrame(geometry=geoms.values, crs=demand.crs)
    cm = cost_matrix(demand, sites, max_cost=max_cost, network=network)
    return _Inputs(demand, candidates, existing, w, cm.rows, cm.cols, cm.cost, cap,
                   None if max_cost is None else float(max_cost))


def _exclude_unreachable(inp, messages, outcome="are left out"):
    """Units with population and no site at all in reach: reported (and left out)."""
    reached = np.zeros(len(inp.w), bool)
    reached[inp.rows] = True
    out = (inp.w > 0) & ~reached
    if out.any():
        labels = inp.demand.index[out].tolist()
        msg = (f"{len(labels)} demand unit(s) with {inp.w[out].sum():g} people have no candidate "
               f"site and no existing facility within max_cost={inp.max_cost:g} and {outcome}: "
               f"{format_list(labels)}. Add candidate sites near them or raise max_cost.")
        messages.append(msg)
        warnings.warn(msg, QuartierWarning, stacklevel=3)
    return out


def _solve_kwargs(time_limit, mip_gap):
    if not time_limit > 0:
        raise ParameterError(f"time_limit must be more than 0 seconds, not {time_limit!r}.")
    if not 0 <= mip_gap < 1:
        raise ParameterError(f"mip_gap must be between 0 and 1, not {mip_gap!r}.")
    return {"time_limit": time_limit, "mip_gap": mip_gap}


def _warn_status(sol, messages):
    if sol.status == "time_limit":
        msg = (f"the time limit was reached: the solution found may be up to {sol.gap:.2%} "
               "from the best possible. Raise time_limit= for a proven optimum.")
        messages.append(msg)
        warnings.warn(msg, QuartierWarning, stacklevel=3)


# --------------------------------------------------------------------------- models


def maximal_coverage(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    p: int,
    max_cost: float,
    demand_col: str,
    existing: gpd.GeoDataFrame | None = None,
    capacity: str | None = None,
    existing_capacity: str | None = None,
    network: object = None,
    time_limit: float = 60,
    mip_gap: float = 0.0,
) -> SitingResult:
    """Choose ``p`` new sites that bring the most people within reach (MCLP).

    The maximal covering location problem (Church & ReVelle 1974): a demand
    unit is covered when an open facility is at most ``max_cost`` away.
    Existing facilities are open and fixed (not counted in ``p``); people
    they already reach count as covered, so new sites go where the gaps are.

    Without capacities, the population covered is maximised. With
    ``capacity`` (places per site), each site serves at most its capacity,
    and the population *served* within reach is maximised; a demand unit's
    population may be split between several sites.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand units (points; polygons count at a point inside) with the
        target group's population in ``demand_col``.
    candidates : geopandas.GeoDataFrame
        Possible new sites, in the demand's CRS.
    p : int
        Number of new sites, at most the number of candidates.
    max_cost : float
        Reach in metres (straight line) or the network's unit.
    demand_col : str
        Column of ``demand`` with the population.
    existing : geopandas.GeoDataFrame, optional
        Existing facilities, fixed open.
    capacity : str, optional
        Column of ``candidates`` (and ``existing``) with places per site;
        turns on the capacitated model.
    existing_capacity : str, optional
        Capacity column of ``existing`` when it is named differently.
    network : None or StreetNetwork
        None for straight-line distances; see :func:`quartier.access.costs.cost_matrix`.
    time_limit : float, default 60
        Seconds the solver may use; when it stops early the best solution
        found is returned with ``status="time_limit"`` and its ``gap``.
    mip_gap : float, default 0
        Stop when proven within this relative gap of the optimum (0: exact).

    Returns
    -------
    SitingResult
        ``objective`` is the population covered (served) with existing and new
        sites; ``gain`` the population newly covered.

    Raises
    ------
    ValueError
        ``p`` is negative or larger than the number of candidates.
    ValueParseError
        Negative or missing populations, or no population at all.
    CRSError
        Geographic or differing CRS.

    Warns
    -----
    QuartierWarning
        When no candidate reaches anybody who is not yet covered (nothing is
        gained and no site is chosen), when fewer than ``p`` candidates add
        anything (only those are chosen), or when the time limit was hit.

    Examples
    --------
    Four villages on a line (x = 0, 1000, 2000, 3000 m) with 10, 20, 30 and
    40 older people; candidates at 500, 1500 and 2900 m; reach 600 m. Site A
    covers the villages at 0 and 1000 (30 people), B those at 1000 and 2000
    (50), C the one at 3000 (40). With p = 1, B wins (50 people); with p = 2,
    B and C cover 90, better than A and C (70).

    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> villages = gpd.GeoDataFrame({"ew65": [10, 20, 30, 40]},
    ...     geometry=[Point(x, 0) for x in (0, 1000, 2000, 3000)], crs="EPSG:25832")
    >>> sites = gpd.GeoDataFrame(index=["A", "B", "C"],
    ...     geometry=[Point(500, 0), Point(1500, 0), Point(2900, 0)], crs="EPSG:25832")
    >>> res = maximal_coverage(villages, sites, p=2, max_cost=600, demand_col="ew65")
    >>> res.selected, res.objective, res.status
    (['B', 'C'], 90.0, 'optimal')
    >>> res.coverage_after.share
    0.9
    >>> res.layers()["standorte"][["site", "kind", "population_assigned"]]
      site kind  population_assigned
    0    B  new                 50.0
    1    C  new                 40.0
    """
    _check_p(p, candidates)
    opts = _solve_kwargs(time_limit, mip_gap)
    max_cost = positive_number(max_cost, "max_cost")
    inp = _prepare(demand, candidates, existing, demand_col=demand_col, max_cost=max_cost,
                   network=network, capacity=capacity, existing_capacity=existing_capacity)
    messages: list[str] = []
    excluded = _exclude_unreachable(inp, messages, "stay uncovered whatever is chosen")
    if inp.cap is None:
        is_ex = inp.cols >= inp.m_cand
        before = np.zeros(len(inp.w), bool)
        before[inp.rows[is_ex]] = True
        open_pair = ~is_ex & ~before[inp.rows] & (inp.w[inp.rows] > 0)
        sol = model.max_cover(inp.w, inp.rows[open_pair], inp.cols[open_pair], inp.m_cand, p,
                              **opts)
        alloc_before = None
    else:
        before_sol = model.capacitated(inp.w, inp.rows, inp.cols, inp.cost, inp.cap,
                                       inp.m_cand, 0, kind="cover", **opts)
        alloc_before = before_sol.alloc
        sol = model.capacitated(inp.w, inp.rows, inp.cols, inp.cost, inp.cap, inp.m_cand, p,
                                kind="cover", **opts)
    _few_useful(sol, p, messages, "adds covered population")
    _warn_status(sol, messages)
    return build_result("maximal_coverage", inp, sol, alloc_before, excluded, messages)


def _few_useful(sol, p, messages, what):
    if len(sol.open_cand) == 0 and p > 0:
        msg = (f"no candidate site {what} within reach: nothing is gained and no site is "
               "chosen. Check max_cost and whether the candidates lie where the demand is.")
    elif len(sol.open_cand) < p and sol.status == "trivial":
        msg = (f"only {len(sol.open_cand)} candidate site(s) {what}; these are chosen, fewer "
               f"than p={p}.")
    else:
        return
    messages.append(msg)
    warnings.warn(msg, QuartierWarning, stacklevel=3)


def p_median(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    p: int,
    demand_col: str,
    existing: gpd.GeoDataFrame | None = None,
    max_cost: float | None = None,
    capacity: str | None = None,
    existing_capacity: str | None = None,
    network: object = None,
    time_limit: float = 60,
    mip_gap: float = 0.0,
) -> SitingResult:
    """Choose ``p`` new sites that make the total distance to the nearest facility smallest.

    The p-median problem (Hakimi 1964; ReVelle & Swain 1970): every person
    goes to the nearest open facility; the sum over all people of that
    distance (or travel time) is minimised. Existing facilities are fixed
    open. With ``max_cost`` people may only be assigned to sites within
    reach (units no site can reach are left out and reported). With
    ``capacity``, no site serves more people than its places and a unit's
    population may be split between sites.

    Parameters
    ----------
    demand, candidates, p, demand_col, existing, network, time_limit, mip_gap
        As in :func:`maximal_coverage`.
    max_cost : float, optional
        Longest admissible distance; without it every pair counts (only for
        small problems: all pairs are stored).
    capacity, existing_capacity : str, optional
        Capacity columns (places) of candidates and existing facilities.

    Returns
    -------
    SitingResult
        ``objective`` is the total population-weighted cost (person-metres);
        divide by the population for the average distance.

    Raises
    ------
    ValueError
        ``p`` out of range.
    QuartierError
        No solution: with ``max_cost``, ``p`` sites cannot bring every demand
        unit within reach; with capacities, there are not enough places.
    ValueParseError, CRSError
        As in :func:`maximal_coverage`.

    Examples
    --------
    The villages of :func:`maximal_coverage` (10, 20, 30, 40 people at
    0, 1000, 2000, 3000 m; sites A 500, B 1500, C 2900 m). With p = 1:
    A costs 10*500 + 20*500 + 30*1500 + 40*2500 = 160,000 person-metres,
    B 10*1500 + 20*500 + 30*500 + 40*1500 = 100,000 and
    C 10*2900 + 20*1900 + 30*900 + 40*100 = 98,000: C wins (the maximal
    covering model chose B, which reaches more people within 600 m). With
    p = 2, B and C give 15,000 + 10,000 + 15,000 + 4,000 = 44,000, better
    than A and C (46,000) and A and B (90,000).

    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> villages = gpd.GeoDataFrame({"ew65": [10, 20, 30, 40]},
    ...     geometry=[Point(x, 0) for x in (0, 1000, 2000, 3000)], crs="EPSG:25832")
    >>> sites = gpd.GeoDataFrame(index=["A", "B", "C"],
    ...     geometry=[Point(500, 0), Point(1500, 0), Point(2900, 0)], crs="EPSG:25832")
    >>> res = p_median(villages, sites, p=1, demand_col="ew65")
    >>> res.selected, res.objective
    (['C'], 98000.0)
    >>> p_median(villages, sites, p=2, demand_col="ew65").objective
    44000.0
    """
    _check_p(p, candidates)
    opts = _solve_kwargs(time_limit, mip_gap)
    inp = _prepare(demand, candidates, existing, demand_col=demand_col, max_cost=max_cost,
                   network=network, capacity=capacity, existing_capacity=existing_capacity)
    messages: list[str] = []
    excluded = _exclude_unreachable(inp, messages) if max_cost is not None else np.zeros(
        len(inp.w), bool)
    keep = ~excluded[inp.rows] & (inp.w[inp.rows] > 0)
    r, c, d = inp.rows[keep], inp.cols[keep], inp.cost[keep]
    try:
        if inp.cap is None:
            sol = model.p_median(inp.w, r, c, d, inp.m_cand, p, **opts)
            alloc_before = None
        else:
            _check_places(inp, p, excluded)
            sol = model.capacitated(inp.w, r, c, d, inp.cap, inp.m_cand, p, kind="median",
                                    **opts)
            alloc_before = None
    except model.Infeasible:
        reach = "" if max_cost is None else f" within max_cost={max_cost:g}"
        raise QuartierError(
            f"with p={p} new sites not every demand unit can be served{reach}"
            + (" by the places available" if inp.cap is not None else "")
            + ". Raise p or max_cost, add candidate sites"
            + (" or capacity" if inp.cap is not None else "")
            + "; or use maximal_coverage, which leaves people uncovered instead."
        ) from None
    _few_useful(sol, p, messages, "is nearer to anybody than the existing facilities")
    _warn_status(sol, messages)
    return build_result("p_median", inp, sol, alloc_before, excluded, messages)


def _check_places(inp, p, excluded):
    need = inp.w[~excluded].sum()
    cand_cap = np.sort(inp.cap[:inp.m_cand])[::-1][:p].sum()
    have = inp.cap[inp.m_cand:].sum() + cand_cap
    if have < need:
        raise QuartierError(
            f"not enough places: the existing facilities and the {p} largest candidate sites "
            f"have {have:g} places for {need:g} people. Raise p, add capacity, or use "
            "maximal_coverage with capacity=, which serves as many as the places allow."
        )


def set_cover(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    max_cost: float,
    demand_col: str,
    existing: gpd.GeoDataFrame | None = None,
    allow_uncoverable: bool = False,
    network: object = None,
    time_limit: float = 60,
    mip_gap: float = 0.0,
) -> SitingResult:
    """The fewest new sites so that everybody is within reach (location set covering).

    The location set covering problem (Toregas et al. 1971): every demand
    unit with population > 0 must have an open facility within
    ``max_cost``; existing facilities are fixed open, and the number of new
    sites is minimised. Units with population 0 need no coverage.

    Parameters
    ----------
    demand, candidates, max_cost, demand_col, existing, network, time_limit, mip_gap
        As in :func:`maximal_coverage`.
    allow_uncoverable : bool, default False
        Units that no candidate and no existing facility can reach make the
        problem infeasible: by default an error lists them. With True they
        are left out, reported in ``excluded`` and a warning, and the rest is
        covered.

    Returns
    -------
    SitingResult
        ``objective`` is the number of new sites.

    Raises
    ------
    QuartierError
        Some demand units cannot be reached by any site (listed by label).
    ValueParseError, CRSError
        As in :func:`maximal_coverage`.

    Examples
    --------
    The villages of :func:`maximal_coverage` with a reach of 600 m: the
    village at 0 is reached only by A, the one at 3000 only by C, the one
    at 2000 only by B, so all three sites are needed. With the existing
    facility at 2500 m (reaching 2000 and 3000), A alone suffices.

    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> villages = gpd.GeoDataFrame({"ew65": [10, 20, 30, 40]},
    ...     geometry=[Point(x, 0) for x in (0, 1000, 2000, 3000)], crs="EPSG:25832")
    >>> sites = gpd.GeoDataFrame(index=["A", "B", "C"],
    ...     geometry=[Point(500, 0), Point(1500, 0), Point(2900, 0)], crs="EPSG:25832")
    >>> set_cover(villages, sites, max_cost=600, demand_col="ew65").selected
    ['A', 'B', 'C']
    >>> home = gpd.GeoDataFrame(geometry=[Point(2500, 0)], crs="EPSG:25832")
    >>> set_cover(villages, sites, max_cost=600, demand_col="ew65", existing=home).selected
    ['A']
    """
    opts = _solve_kwargs(time_limit, mip_gap)
    max_cost = positive_number(max_cost, "max_cost")
    inp = _prepare(demand, candidates, existing, demand_col=demand_col, max_cost=max_cost,
                   network=network, capacity=None, existing_capacity=None)
    reached = np.zeros(len(inp.w), bool)
    reached[inp.rows] = True
    out = (inp.w > 0) & ~reached
    messages: list[str] = []
    if out.any():
        labels = inp.demand.index[out].tolist()
        text = (f"{len(labels)} demand unit(s) with {inp.w[out].sum():g} people cannot be "
                f"reached within max_cost={max_cost:g} by any candidate site or existing "
                f"facility: {format_list(labels, limit=20)}")
        if not allow_uncoverable:
            raise QuartierError(
                text + ". Add candidate sites near them, raise max_cost, or pass "
                "allow_uncoverable=True to cover everybody else and report these."
            )
        messages.append(text + "; they are left out.")
        warnings.warn(messages[-1], QuartierWarning, stacklevel=2)
    is_ex = inp.cols >= inp.m_cand
    before = np.zeros(len(inp.w), bool)
    before[inp.rows[is_ex]] = True
    need = ~is_ex & ~before[inp.rows] & (inp.w[inp.rows] > 0)
    sol = model.set_cover(inp.rows[need], inp.cols[need], len(inp.w), **opts)
    _warn_status(sol, messages)
    return build_result("set_cover", inp, sol, None, out, messages)
