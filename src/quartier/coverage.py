"""How much of a target group lives within reach of a service, per district."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ._checks import require_column
from .costs import nearest
from .crs import require_metric
from .errors import CRSError, QuartierError, ValueParseError, format_list

__all__ = ["coverage", "CoverageResult"]


class CoverageResult:
    """The result of :func:`coverage`: per demand unit and per district.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        The demand units with ``nearest`` (index label of the nearest
        facility), ``cost`` (distance in metres to it, NaN when there is no
        facility) and ``covered`` (bool: cost <= max_cost).
    districts : geopandas.GeoDataFrame or None
        With ``by``: per district ``population``, ``covered_population``,
        ``share_covered`` (NaN where the district has no population of the
        target group) and ``uncovered_population``.
    unassigned : geopandas.GeoDataFrame
        Demand units that lie in no district of ``by`` (reported, not dropped).
    max_cost : float

    Examples
    --------
    See :func:`coverage`.
    """

    def __init__(self, units, districts, unassigned, max_cost):
        self.units = units
        self.districts = districts
        self.unassigned = unassigned
        self.max_cost = max_cost

    def __repr__(self) -> str:
        total = self.units.attrs.get("quartier_demand_total", float("nan"))
        covered = self.units.attrs.get("quartier_covered_total", float("nan"))
        share = covered / total if total else float("nan")
        return (
            f"CoverageResult(max_cost={self.max_cost:g}, units={len(self.units)}, "
            f"population={total:g}, covered={covered:g} ({share:.1%}), "
            f"unassigned={len(self.unassigned)})"
        )


def coverage(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    max_cost: float,
    demand_col: str,
    network: object = None,
    by: gpd.GeoDataFrame | None = None,
    by_key: str | None = None,
) -> CoverageResult:
    """Share of a target group within reach of a service, per demand unit and district.

    Demand units are points (address points, centres of grid cells) carrying
    the population of the target group in ``demand_col``. A unit is covered
    when the nearest facility is at most ``max_cost`` away. With
    ``network=None`` the cost is the straight-line distance in metres.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Points with the target-group population in ``demand_col``.
    facilities : geopandas.GeoDataFrame
        Points of the service's facilities.
    max_cost : float
        Reach: metres for straight lines (e.g. 500), the network's unit
        (metres or minutes) for a street network.
    demand_col : str
        Column of ``demand`` with the population of the target group.
    network : None or StreetNetwork
        None for straight-line distance; a street network for distances or
        walking times along the streets (see :mod:`quartier.costs`).
    by : geopandas.GeoDataFrame, optional
        Districts to summarise by; a demand point belongs to the district it
        lies in.
    by_key : str, optional
        Key column of ``by``; default the key recorded by
        :func:`quartier.read_districts`.

    Returns
    -------
    CoverageResult
        ``units`` per demand point and, with ``by``, ``districts`` with
        ``population``, ``covered_population``, ``share_covered``.

    Raises
    ------
    CRSError
        Inputs not in one projected metric CRS.
    ColumnError
        ``demand_col`` is missing.
    ValueParseError
        Negative or missing populations.

    Notes
    -----
    Covered population never exceeds population, and the sum over districts
    plus the unassigned units equals the total demand.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> homes = gpd.GeoDataFrame({"ew_65plus": [10, 20, 30]},
    ...     geometry=[Point(0, 0), Point(400, 0), Point(900, 0)], crs="EPSG:25832")
    >>> treffs = gpd.GeoDataFrame(geometry=[Point(100, 0)], crs="EPSG:25832")
    >>> res = coverage(homes, treffs, max_cost=500, demand_col="ew_65plus")
    >>> res.units["cost"].tolist(), res.units["covered"].tolist()
    ([100.0, 300.0, 800.0], [True, True, False])
    """
    if not max_cost > 0:
        raise ValueError(f"max_cost must be greater than 0 (metres), not {max_cost!r}.")
    require_metric(demand.crs, what="demand")
    if facilities.crs is None or not facilities.crs.equals(demand.crs):
        raise CRSError(
            f"facilities are in {facilities.crs} but demand is in {demand.crs}. Bring both into "
            "one planning CRS, e.g. facilities.to_crs(demand.crs)."
        )
    require_column(demand, demand_col, source="demand", role="demand column")
    population = pd.to_numeric(demand[demand_col], errors="coerce")
    bad = population.isna() | (population < 0)
    if bad.any():
        raise ValueParseError(
            f"demand column '{demand_col}' has missing or negative values in "
            f"{int(bad.sum())} row(s) (index {format_list(demand.index[bad])}). "
            "Populations must be zero or more; fill missing ones with 0 if they mean nobody."
        )
    units = demand.copy()
    found = nearest(demand, facilities, network=network)
    units["nearest"] = found["nearest"].to_numpy()
    units["cost"] = found["cost"].to_numpy()
    units["covered"] = units["cost"].to_numpy() <= max_cost  # NaN compares False
    units.attrs["quartier_demand_total"] = float(population.sum())
    units.attrs["quartier_covered_total"] = float(population[units["covered"]].sum())

    districts = None
    unassigned = units.iloc[0:0]
    if by is not None:
        districts, unassigned = _by_district(units, population, by, by_key)
    return CoverageResult(units, districts, unassigned, float(max_cost))


def _as_points(gdf):
    geoms = gdf.geometry
    if not (geoms.geom_type == "Point").all():
        # grid cells or address polygons count at their centre
        geoms = geoms.representative_point()
    return geoms


def _by_district(units, population, by, by_key):
    key = by_key or by.attrs.get("quartier_key")
    if key is None:
        raise QuartierError("say which column of `by` holds the district key: by_key=...")
    require_column(by, key, source="by", role="key column")
    if by.crs is None or not by.crs.equals(units.crs):
        raise CRSError(
            f"districts (by) are in {by.crs} but demand is in {units.crs}. "
            "Use by.to_crs(demand.crs)."
        )
    pts = gpd.GeoDataFrame(geometry=_as_points(units).values, index=units.index, crs=units.crs)
    hits = gpd.sjoin(pts, by[[key, by.geometry.name]], how="left", predicate="within")
    # a point on a shared border would fall in two districts: keep the first
    hits = hits[~hits.index.duplicated(keep="first")]
    district_of = hits[key].reindex(units.index)
    inside = district_of.notna()
    frame = pd.DataFrame(
        {
            "key": district_of[inside],
            "population": population[inside],
            "covered_population": population[inside].where(units["covered"][inside], 0.0),
        }
    )
    sums = frame.groupby("key").sum()
    out = by.copy()
    out["population"] = out[key].map(sums["population"]).fillna(0.0)
    out["covered_population"] = out[key].map(sums["covered_population"]).fillna(0.0)
    out["uncovered_population"] = out["population"] - out["covered_population"]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = out["covered_population"] / out["population"]
    out["share_covered"] = share.where(out["population"] > 0)
    units["district"] = district_of
    return out, units[~inside]
