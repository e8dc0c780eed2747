r"""Supply against demand: places per 1,000 people of a target group, against a Richtwert.

Two views per district, as needs plans (Bedarfsplanung) use them:

* **located in the district** ("Versorgungsquote"): the places of the
  facilities that lie in the district per 1,000 people of the target group
  living there, :math:`1000 \cdot \sum_{j \in k} S_j / \sum_{i \in k} P_i`.
  Simple and official, but blind to the district border (a Kita across the
  street in the next district counts for nobody here).
* **within reach** (``max_cost``): every facility's places are shared among
  all the people who can reach it (two-step floating catchment, see
  :mod:`quartier.access.floating`). A district's places in reach are
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
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np

from quartier._checks import district_key, nonnegative_number
from quartier._overlay import locate_points
from quartier._report import Report, Result
from quartier.access._reach import reachable_chunks, same_metric_crs
from quartier.access.floating import FCAReport, _demand_values, _supply_values, fca
from quartier.errors import QuartierWarning, format_list
from quartier.io.crs import require_same_crs
from quartier.settings import get_language

__all__ = ["supply", "SupplyResult", "SupplyReport"]


@dataclass(frozen=True)
class SupplyReport(Report):
    """What :func:`supply` used and what lay in no district.

    Attributes
    ----------
    demand_col : str
    capacity : str or None
        The capacity column (None: one place per facility).
    key : str or None
        Key column of the districts (None for point demand without ``by``).
    norm_per_1000 : float or None
        The Richtwert given.
    max_cost : float or None
    fca : FCAReport or None
        The FCA report of the view within reach (with ``max_cost``).
    unassigned_facilities : list
        Index labels of facilities in no district (not in any located count).
    unassigned_population : float
        People of the target group in no district.

    Examples
    --------
    >>> r = SupplyReport("u6", "places", "id", unassigned_facilities=[3])
    >>> print(r.text(lang="en"))
    Supply of 'places' for 'u6' by 'id'; 1 facility(ies) in no district: '3'
    """

    demand_col: str
    capacity: str | None
    key: str | None
    norm_per_1000: float | None = None
    max_cost: float | None = None
    fca: FCAReport | None = None
    unassigned_facilities: list = field(default_factory=list)
    unassigned_population: float = 0.0

    def text(self, lang: str | None = None) -> str:
        """The report as readable text, German (``"de"``) or English (``"en"``)."""
        de = (lang or get_language()) == "de"
        cap = f"'{self.capacity}'" if self.capacity else ("1 je Einrichtung" if de
                                                            else "1 per facility")
        by = f" by '{self.key}'" if self.key and not de else (
            f" nach '{self.key}'" if self.key else "")
        parts = [f"Plätze {cap} für '{self.demand_col}'{by}" if de
                 else f"Supply of {cap} for '{self.demand_col}'{by}"]
        if self.unassigned_facilities:
            n = len(self.unassigned_facilities)
            ids = format_list(self.unassigned_facilities)
            parts.append(f"{n} Einrichtung(en) in keinem Gebiet: {ids}" if de
                         else f"{n} facility(ies) in no district: {ids}")
        if self.unassigned_population:
            parts.append(f"{self.unassigned_population:g} Personen in keinem Gebiet" if de
                         else f"{self.unassigned_population:g} people in no district")
        text = "; ".join(parts)
        if self.fca is not None:
            text += "\n  " + self.fca.text(lang)
        return text


@dataclass(frozen=True, repr=False)
class SupplyResult(Result):
    """The result of :func:`supply`: the table per district and the report.

    Attributes
    ----------
    table : geopandas.GeoDataFrame
        One row per district (see :func:`supply`, Returns).
    report : SupplyReport

    Examples
    --------
    See :func:`supply`.
    """

    table: gpd.GeoDataFrame
    report: SupplyReport

    def __repr__(self) -> str:
        r = self.report
        return (f"SupplyResult(rows={len(self.table)}, demand_col={r.demand_col!r}, "
                f"capacity={r.capacity!r}, unassigned_facilities={len(r.unassigned_facilities)})")


def supply(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    demand_col: str,
    capacity: str | None,
    by: gpd.GeoDataFrame | None = None,
    by_key: str | None = None,
    max_cost: float | None = None,
    norm_per_1000: float | None = None,
    method: str = "2sfca",
    weights: dict | None = None,
    decay: float | None = None,
    network: object = None,
) -> SupplyResult:
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
    capacity : str or None
        Column of ``facilities`` with the places (required keyword; ``None``:
        every facility counts as one place).
    by : geopandas.GeoDataFrame, optional
        Districts to report on. Default: ``demand`` itself when it holds
        polygons; for point demand without ``by``, one row per point.
    by_key : str, optional
        Key column of ``by`` (or of ``demand`` when it holds the districts);
        required when there are districts.
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
    SupplyResult
        ``table``: one row per district (the columns of ``by`` kept) with
        ``population``, ``facilities``, ``places``, ``places_per_1000``; with
        ``max_cost`` also ``places_in_reach``, ``places_in_reach_per_1000``
        and ``places_reachable_mean``; with ``norm_per_1000`` also
        ``norm_per_1000``, ``required_places``, ``balance``, ``deficit`` and,
        with ``max_cost``, ``balance_in_reach`` and ``deficit_in_reach``.
        Per-1,000 values are NaN where nobody of the target group lives.
        ``report`` (:class:`SupplyReport`) holds the FCA report (see
        :func:`quartier.fca`), ``unassigned_facilities`` and
        ``unassigned_population`` (in no district, reported).

    Raises
    ------
    ColumnError, ValueParseError, CRSError
        Missing columns (or districts without ``by_key``), bad values, CRS mismatch.
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
    >>> res = supply(d, kita, demand_col="u6", capacity="places", by_key="id",
    ...              max_cost=1000, norm_per_1000=400)
    >>> res.table[["id", "places", "places_per_1000", "places_in_reach", "deficit", "deficit_in_reach"]]
      id  places  places_per_1000  places_in_reach  deficit  deficit_in_reach
    0  W    50.0            500.0             25.0      0.0              15.0
    1  O     0.0              0.0             25.0     40.0              15.0
    """
    if norm_per_1000 is not None:
        norm_per_1000 = nonnegative_number(norm_per_1000, "norm_per_1000",
                                           unit="places per 1,000 persons", upper=1000)
    same_metric_crs(demand, facilities)
    values = _demand_values(demand, demand_col)
    places = _supply_values(facilities, capacity)
    polygonal = _polygonal(demand)
    if by is None and polygonal:
        by = demand
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
                capacity=capacity, weights=weights, decay=decay, network=network)
        info = a.report
        got = values * a.scores.to_numpy()
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
    report = SupplyReport(
        demand_col=demand_col, capacity=capacity, key=key,
        norm_per_1000=None if norm_per_1000 is None else float(norm_per_1000),
        max_cost=None if max_cost is None else float(max_cost), fca=info,
        unassigned_facilities=list(lost), unassigned_population=unassigned_pop,
    )
    return SupplyResult(out, report)


def _per_1000(places: np.ndarray, pop: np.ndarray) -> np.ndarray:
    return np.divide(1000 * places, pop, out=np.full(len(pop), np.nan), where=pop > 0)


def _polygonal(gdf) -> bool:
    types = set(gdf.geom_type.dropna())
    return bool(types) and types <= {"Polygon", "MultiPolygon"}


