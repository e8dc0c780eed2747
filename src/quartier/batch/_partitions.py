"""Partitions with a halo: one area too large for one pass (private helper, issue #17 part 3).

The demand units are cut into square tiles of ``size`` metres (by their representative
point). Each tile is computed on its own with the facilities within ``max_cost`` of its demand
units (coverage) and, for floating catchments, the demand units within ``2 * max_cost`` (the
catchment of every facility in reach); only the tile's own units are kept. Any larger set
gives the same figures, so the results equal the unpartitioned run. Tiles can run one after
another or on a dask.distributed client (``client.map``).

Costs are straight lines, or a street network: its costs count the access legs, so metres
along the streets are never shorter than the straight line and the straight-line halo holds;
for a network in minutes the halo is ``max_cost`` times the profile's metres per minute.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import shapely

from quartier.access.covering import coverage
from quartier.access.floating import fca
from quartier.errors import ParameterError

_SLACK = 1e-6


def tiles(demand, size: float) -> list[np.ndarray]:
    """Positions of the demand units per square tile of ``size`` metres (non-empty tiles)."""
    if not size > 0:
        raise ParameterError(f"size must be a length above 0 metres, not {size!r}.")
    points = shapely.point_on_surface(demand.geometry.to_numpy())
    xy = shapely.get_coordinates(points)
    cell = np.floor(xy / size).astype(np.int64)
    _, group = np.unique(cell, axis=0, return_inverse=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    return np.split(order, bounds)


def _halo(max_cost: float, network) -> float:
    """The straight-line distance that every unit within ``max_cost`` lies within."""
    if network is None or getattr(network, "unit", "m") == "m":
        return float(max_cost)
    # the fastest way to move: the fastest edge (a car network's motorway), or the pace
    metres_per_minute = float(network.profile.metres_per_minute)
    speed = getattr(network, "speed", None)
    if speed is not None and np.size(speed):
        metres_per_minute = max(metres_per_minute, float(np.max(speed)) * 1000 / 60)
    return float(max_cost) * metres_per_minute


def _within(tree, shapes, distance) -> np.ndarray:
    hits = np.unique(tree.query(shapes, predicate="dwithin",
                                distance=distance * (1 + _SLACK) + 1e-3)[1])
    if len(hits) == 0:
        hits = np.unique(tree.nearest(shapes))
    return hits


def _run(jobs, fn, client):
    if client is None:
        return [fn(*job) for job in jobs]
    futures = client.map(fn, *zip(*jobs, strict=True), pure=False) if jobs else []
    return client.gather(futures)


def _coverage_tile(demand, facilities, max_cost, demand_col, network):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the halo's units lie outside the tile by design
        units = coverage(demand, facilities, max_cost=max_cost, demand_col=demand_col,
                         network=network, demand_kind="points").units
    return units[["covered", "covered_population", "cost"]]


def partitioned_coverage(demand, facilities, *, max_cost: float, demand_col: str,
                         size: float, network=None, client=None) -> pd.DataFrame:
    """Coverage per demand unit (``covered``, ``covered_population``, ``cost``), tile by tile.

    ``cost`` is the cost to the nearest facility where it is within ``max_cost`` (NaN
    beyond: a tile knows only the facilities of its halo). Indexed like ``demand``."""
    fac_tree = shapely.STRtree(facilities.geometry.to_numpy())
    jobs = []
    for rows in tiles(demand, size):
        part = demand.iloc[rows]
        near = _within(fac_tree, part.geometry.to_numpy(), _halo(max_cost, network))
        jobs.append((part, facilities.iloc[near], max_cost, demand_col, network))
    parts = _run(jobs, _coverage_tile, client)
    out = pd.concat(parts).reindex(demand.index)
    out["cost"] = out["cost"].where(out["covered"])
    return out


def _fca_tile(own, demand, facilities, max_cost, demand_col, capacity, network):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # facilities of the halo may reach none of the tile
        scores = fca(demand, facilities, max_cost=max_cost, demand_col=demand_col,
                     capacity=capacity, network=network).scores
    return scores.loc[own]


def partitioned_fca(demand, facilities, *, max_cost: float, demand_col: str,
                    capacity: str | None, size: float, network=None,
                    client=None) -> pd.Series:
    """2SFCA scores per demand unit, tile by tile (halo: facilities within ``max_cost``,
    demand within ``2 * max_cost``). Indexed like ``demand``."""
    fac_tree = shapely.STRtree(facilities.geometry.to_numpy())
    demand_tree = shapely.STRtree(demand.geometry.to_numpy())
    jobs = []
    for rows in tiles(demand, size):
        shapes = demand.geometry.to_numpy()[rows]
        near = _within(fac_tree, shapes, _halo(max_cost, network))
        halo = np.union1d(_within(demand_tree, shapes, 2 * _halo(max_cost, network)), rows)
        jobs.append((demand.index[rows], demand.iloc[halo], facilities.iloc[near], max_cost,
                     demand_col, capacity, network))
    parts = _run(jobs, _fca_tile, client)
    return pd.concat(parts).reindex(demand.index)
