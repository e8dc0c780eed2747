"""Private: the reachable demand -> facility pairs for coverage, supply and FCA.

Straight-line pairs come from :func:`quartier.access.costs.straight_line_pairs` (a
grid join whose working memory is bounded), stored as int32 positions and
float64 costs (16 bytes a pair), so memory grows with the reachable pairs
only, never with demand x facilities. With a street network the network's
own ``cost_matrix`` is used (see :mod:`quartier.costs`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from quartier.access.costs import CostMatrix, cost_matrix, point_coordinates, straight_line_pairs
from quartier.errors import ParameterError
from quartier.io.crs import require_same_metric_crs

#: Demand points per batch; bounds the working memory of one batch.
CHUNK = 500_000


def same_metric_crs(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                    what: str = "facilities") -> None:
    """Raise CRSError unless both frames are in one projected metric CRS."""
    require_same_metric_crs(facilities, demand, what=what, reference_what="demand")


def pairs_from_coordinates(a: np.ndarray, b: np.ndarray, max_cost: float,
                           chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reachable pairs (rows, cols, cost) with straight-line cost <= ``max_cost``, concatenated."""
    parts = chunked_pairs(a, b, max_cost, chunk)
    idx = parts[0][0].dtype if parts else np.int32
    out = []
    for k in range(3):
        out.append(_concat([p[k] for p in parts], idx if k < 2 else float))
        for p in parts:  # free each chunk's array once it is copied
            p[k] = None
    return out[0], out[1], out[2]


def chunked_pairs(a: np.ndarray, b: np.ndarray, max_cost: float,
                  chunk: int = CHUNK) -> list[list[np.ndarray]]:
    """Reachable pairs as a list of ``[rows, cols, cost]`` chunks (no concatenation).

    Origins are handled in chunks of ``chunk`` points, each joined with all
    destinations by :func:`quartier.access.costs.straight_line_pairs` (distances
    equal to the limit are kept). Pairs come in no particular order; int32
    positions when they fit.
    """
    idx = np.int32 if max(len(a), len(b)) < 2**31 - 1 else np.int64
    if len(a) == 0 or len(b) == 0:
        return []
    parts = []
    for start in range(0, len(a), chunk):
        rows, cols, cost = straight_line_pairs(a[start:start + chunk], b, max_cost)
        parts.append([(rows + start).astype(idx), cols.astype(idx), cost])
        del rows, cols
    return parts


def _concat(parts: list, dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def reachable_chunks(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *,
                     max_cost: float, network: object = None,
                     costs: CostMatrix | None = None) -> list[list[np.ndarray]]:
    """Like :func:`reachable`, as ``[rows, cols, cost]`` chunks (straight lines: unconcatenated)."""
    if costs is not None or network is not None:
        cm = reachable(demand, facilities, max_cost=max_cost, network=network, costs=costs)
        return [[cm.rows, cm.cols, cm.cost]]
    if not max_cost > 0:
        raise ParameterError(f"max_cost must be greater than 0, not {max_cost!r}.")
    same_metric_crs(demand, facilities)
    a = point_coordinates(demand, what="demand")
    b = point_coordinates(facilities, what="facility")
    return chunked_pairs(a, b, float(max_cost))


def reachable(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, max_cost: float,
              network: object = None, costs: CostMatrix | None = None) -> CostMatrix:
    """CostMatrix of the demand -> facility pairs within ``max_cost``.

    ``costs`` (a precomputed CostMatrix) is checked against the frames and cut
    at ``max_cost``; otherwise straight lines (``network=None``) or the network.
    """
    if not max_cost > 0:
        raise ParameterError(f"max_cost must be greater than 0, not {max_cost!r}.")
    if costs is not None:
        if not (costs.origins.equals(demand.index) and costs.destinations.equals(facilities.index)):
            raise ParameterError(
                "costs= was computed for other origins or destinations: its origins must be "
                "demand.index and its destinations facilities.index. Compute it with "
                "quartier.access.costs.cost_matrix(demand, facilities, max_cost=...)."
            )
        if costs.max_cost is not None and costs.max_cost < max_cost:
            raise ParameterError(
                f"costs= was cut at {costs.max_cost:g}, below max_cost={max_cost:g}: pairs "
                "between the two are missing. Compute it again with the larger max_cost."
            )
        keep = costs.cost <= max_cost
        if keep.all():
            return costs
        return CostMatrix(costs.origins, costs.destinations, costs.rows[keep], costs.cols[keep],
                          costs.cost[keep], float(max_cost), costs.unit)
    if network is not None:
        return cost_matrix(demand, facilities, max_cost=max_cost, network=network)
    same_metric_crs(demand, facilities)
    a = point_coordinates(demand, what="demand")
    b = point_coordinates(facilities, what="facility")
    rows, cols, cost = pairs_from_coordinates(a, b, float(max_cost))
    return CostMatrix(demand.index, facilities.index, rows, cols, cost, float(max_cost), "m")
