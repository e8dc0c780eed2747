r"""Supply against demand: places per 1,000 people of a target group, against a Richtwert.

Two views per district, as needs plans (Bedarfsplanung) use them:

* **located in the district** ("Versorgungsquote"): the places of the
  facilities that lie in the district per 1,000 people of the target group
  living there, :math:`1000 \cdot \sum_{j \in k} S_j / \sum_{i \in k} P_i`.
  Simple and official, but blind to the district border (a Kita across the
  street in the next district counts for nobody here).
* **within reach** (``max_cost``): every facility's places are shared among
  all the people who can reach it (two-step floating catchment, see
  :mod:`quartier.fca`). A district's places in reach are
  :math:`\sum_{i \in k} P_i A_i`: the places its people get, so the places
  in reach over all districts add up to the places of the facilities that
  have demand in reach. Also given: the mean number of places a person of
  the district can reach within ``max_cost`` (places reachable, not shared).

With a Richtwert (``norm_per_1000``, places per 1,000 people of the target
group, set by the planner) each view gets the required places
:math:`P_k \cdot norm / 1000`, the balance (places minus required: positive
is a surplus, negative a deficit) and the deficit in places (0 if none).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np

from quartier._checks import district_key
from quartier._overlay import locate_points
from quartier.access._reach import reachable_chunks, same_metric_crs
from quartier.access.floating import _demand_values, _supply_values, fca
from quartier.errors import QuartierWarning, format_list
from quartier.io.crs import require_same_crs

__all__ = ["supply"]


def supply(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    demand_col: str,
    capacity: str | None = None,
    by: gpd.GeoDataFrame | None = None,
    by_key: str | None = None,
    max_cost: float | None = None,
    norm_per_1000: float | None = None,
    method: str = "2sfca",
    weights: dict | None = None,
    decay: float | None = None,
    network: object = None,
) -> gpd.GeoDataFrame:
    """Places per 1,000 people of a target group per district, located and within reach.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        The target group in ``demand_col``: district polygons (e.g.
        Planungsräume joined to a population table; each counts at its
        representative point) or points / grid cells.
    facilities : geopandas.GeoDataFrame
        Facilities (points) with their places in ``capacity``.
    demand_col : str
        Column of ``demand`` with the population of the target group.
    capacity : str, optional
        Column of ``facilities`` with the places; default the capacity
        recorded by :func:`quartier.read_facilities`, else 1 per facility.
    by : geopandas.GeoDataFrame, optional
        Districts to report on. Default: ``demand`` itself when it holds
        polygons; for point demand without ``by``, one row per point.
    by_key : str, optional
        Key column of ``by`` (default the key recorded by
        :func:`quartier.read_districts`).
    max_cost : float, optional
        Catchment size for the view "within reach" (metres in a straight
        line, or the network's unit). Without it only the located view.
    norm_per_1000 : float, optional
        The Richtwert: places needed per 1,000 people of the target group.
    method : str, default "2sfca"
        FCA method for the places in reach (see :func:`quartier.fca`).
    weights, decay : optional
        Passed to :func:`quartier.fca` (E2SFCA steps, gravity/Gaussian parameter).
    network : None or StreetNetwork
        Straight lines (None) or along the streets.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per district (the columns of ``by`` kept) with
        ``population``, ``facilities``, ``places``, ``places_per_1000``; with
        ``max_cost`` also ``places_in_reach``, ``places_in_reach_per_1000``
        and ``places_reachable_mean``; with ``norm_per_1000`` also
        ``norm_per_1000``, ``required_places``, ``balance``, ``deficit`` and,
        with ``max_cost``, ``balance_in_reach`` and ``deficit_in_reach``.
        Per-1,000 values are NaN where nobody of the target group lives.
        ``attrs`` hold ``quartier_fca`` (see :func:`quartier.fca`),
        ``quartier_unassigned_facilities`` and
        ``quartier_unassigned_population`` (in no district, reported).

    Raises
    ------
    ColumnError, ValueParseError, CRSError
        Missing columns, bad values, CRS mismatch.
    ValueError
        A negative Richtwert or a bad FCA parameter.

    Warns
    -----
    QuartierWarning
        Facilities or people that lie in no district.

    Examples
    --------
    Two districts side by side, 100 children each; 50 places in the west,
    none in the east, but the east's children reach the western Kita:

    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoDataFrame({"id": ["W", "O"], "u6": [100, 100]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:25833")
    >>> kita = gpd.GeoDataFrame({"places": [50]}, geometry=[Point(900, 500)], crs="EPSG:25833")
    >>> out = supply(d, kita, demand_col="u6", capacity="places", by_key="id",
    ...              max_cost=1000, norm_per_1000=400)
    >>> out[["id", "places", "places_per_1000", "places_in_reach", "deficit", "deficit_in_reach"]]
      id  places  places_per_1000  places_in_reach  deficit  deficit_in_reach
    0  W    50.0            500.0             25.0      0.0              15.0
    1  O     0.0              0.0             25.0     40.0              15.0
    """
    if norm_per_1000 is not None and not norm_per_1000 >= 0:
        raise ValueError(f"norm_per_1000 must be 0 or more, not {norm_per_1000!r}.")
    same_metric_crs(demand, facilities)
    values = _demand_values(demand, demand_col)
    places = _supply_values(facilities, capacity)
    polygonal = _polygonal(demand)
    if by is None and polygonal:
        by = demand
        by_key = by_key or demand.attrs.get("quartier_key")
    if by is not None:
        key = district_key(by, by_key)
        require_same_crs(by, demand, what="districts (by)", reference_what="demand",
                         fix="by.to_crs(demand.crs)")
        out = by.copy()
        if by is demand:
            unit_pos = np.arange(len(demand))
        else:
            unit_pos = locate_points(demand, by)
        fac_pos = locate_points(facilities, by)
    else:
        key = None
        out = demand.copy()
        unit_pos = np.arange(len(demand))
        fac_pos = np.full(len(facilities), -1)
    n = len(out)

    in_d = unit_pos >= 0
    pop = np.bincount(unit_pos[in_d], weights=values[in_d], minlength=n)
    unassigned_pop = float(values[~in_d].sum())
    out["population"] = pop
    if by is not None:
        has = fac_pos >= 0
        out["facilities"] = np.bincount(fac_pos[has], minlength=n)
        out["places"] = np.bincount(fac_pos[has], weights=places[has], minlength=n)
        lost = facilities.index[~has]
        if len(lost):
            warnings.warn(
                f"{len(lost)} facilities with {places[~has].sum():g} places lie in no district "
                f"(index {format_list(lost)}); they count in no district's located places "
                "(but in the places within reach).",
                QuartierWarning,
                stacklevel=2,
            )
    else:
        lost = facilities.index[:0]
    if unassigned_pop > 0:
        warnings.warn(
            f"{unassigned_pop:g} people of the target group lie in no district of `by`; "
            "they are left out of the district totals.",
            QuartierWarning,
            stacklevel=2,
        )
    if "places" in out:
        out["places_per_1000"] = _per_1000(out["places"].to_numpy(), pop)

    info = None
    if max_cost is not None:
        points = demand.set_geometry(demand.representative_point()) if polygonal else demand
        a = fca(points, facilities, method=method, max_cost=max_cost, demand_col=demand_col,
                supply_col=capacity, weights=weights, decay=decay, network=network)
        info = a.attrs["quartier_fca"]
        got = values * a.to_numpy()
        out["places_in_reach"] = np.bincount(unit_pos[in_d], weights=got[in_d], minlength=n)
        out["places_in_reach_per_1000"] = _per_1000(out["places_in_reach"].to_numpy(), pop)
        reach = np.zeros(len(demand))
        for rows, cols, _ in reachable_chunks(points, facilities, max_cost=max_cost,
                                              network=network):
            reach += np.bincount(rows, weights=places[cols], minlength=len(demand))
        mean = np.bincount(unit_pos[in_d], weights=(values * reach)[in_d], minlength=n)
        out["places_reachable_mean"] = np.divide(mean, pop, out=np.full(n, np.nan),
                                                 where=pop > 0)
    if norm_per_1000 is not None:
        out["norm_per_1000"] = float(norm_per_1000)
        out["required_places"] = pop * norm_per_1000 / 1000
        for view, col in (("", "places"), ("_in_reach", "places_in_reach")):
            if col in out:
                out["balance" + view] = out[col] - out["required_places"]
                out["deficit" + view] = np.maximum(-out["balance" + view], 0.0)
    out.attrs.update(
        quartier_key=key,
        quartier_demand_col=demand_col,
        quartier_fca=info,
        quartier_unassigned_facilities=list(lost),
        quartier_unassigned_population=unassigned_pop,
    )
    return out


def _per_1000(places: np.ndarray, pop: np.ndarray) -> np.ndarray:
    return np.divide(1000 * places, pop, out=np.full(len(pop), np.nan), where=pop > 0)


def _polygonal(gdf) -> bool:
    types = set(gdf.geom_type.dropna())
    return bool(types) and types <= {"Polygon", "MultiPolygon"}


