"""How much of a target group lives within reach of a service, per demand unit and district.

A person is *covered* when the nearest facility of the service is at most
``max_cost`` away (metres in a straight line, or metres/minutes along the
streets with a street network). Demand comes as

* points (address points, centres of grid cells) or grid cells (polygons,
  counted at a point inside): each unit is covered or not;
* districts (polygons with a district-level count, e.g. the Planungsräume of
  a population register): their people are first spread over points inside
  the district, in proportion to a population grid or raster when one is
  given (``population=``), else to area (a regular grid of sample points
  carrying area shares, ``spacing`` metres apart), and each sample is
  covered or not. A district's covered population is then a share.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import district_key, positive_number
from quartier._overlay import locate_points
from quartier._report import Report
from quartier.access._disagg import disaggregate
from quartier.access._reach import same_metric_crs
from quartier.access.costs import nearest
from quartier.access.floating import _demand_values
from quartier.errors import ParameterError, QuartierError, format_list
from quartier.io.crs import require_same_crs
from quartier.output.formatting import format_number, format_percent
from quartier.settings import get_language

__all__ = ["coverage", "CoverageResult", "CoverageReport", "DEMAND_KINDS"]

#: How demand rows are read: see :func:`coverage`.
DEMAND_KINDS = ("auto", "points", "cells", "districts")
#: Polygons with a median area above this (m², 500 m x 500 m) count as districts.
CELL_AREA_LIMIT = 250_000.0


@dataclass(frozen=True)
class CoverageReport(Report):
    """What :func:`coverage` counted: totals, the columns used, and what fit nowhere.

    Attributes
    ----------
    demand_col : str
        The demand column counted.
    demand_total : float
        People of the target group over all demand rows.
    covered_total : float
        Of them, people within ``max_cost`` of a facility.
    max_cost : float
    kind : str
        How demand was read: "points", "cells" or "districts".
    key : str or None
        Key column of ``by`` (None without ``by``).
    unassigned_population : float
        People (of units or samples) in no district of ``by``.
    area_fallback : list
        District demand with a population grid: index labels of demand
        districts without grid population, spread by area instead.

    Examples
    --------
    >>> r = CoverageReport("ew", 100.0, 80.0, 500.0, "points")
    >>> r.share_covered
    0.8
    >>> print(r.text(lang="en"))
    Coverage of 'ew' within 500: 80 of 100 people (80.0%) covered.
    >>> print(CoverageReport("ew", 1500.0, 1200.0, 1000.0, "points", unit="m").text(lang="de"))
    Versorgung von 'ew' bis 1.000 m: 1.200 von 1.500 Personen (80,0 %) versorgt.
    """

    demand_col: str
    demand_total: float
    covered_total: float
    max_cost: float
    kind: str
    key: str | None = None
    unassigned_population: float = 0.0
    area_fallback: list = field(default_factory=list)
    unit: str = ""

    @property
    def share_covered(self) -> float:
        """Covered share of all people of the target group (NaN without any)."""
        return self.covered_total / self.demand_total if self.demand_total else float("nan")

    def text(self, lang: str | None = None) -> str:
        """The report as readable text, German (``"de"``) or English (``"en"``)."""
        lang = lang or get_language()
        de = lang == "de"
        share = format_percent(self.share_covered, lang=lang)
        def num(value):
            return format_number(value, 0 if float(value).is_integer() else 1, lang=lang)
        reach = num(self.max_cost) + (f" {self.unit}" if self.unit else "")
        covered, total = num(self.covered_total), num(self.demand_total)
        unassigned = num(self.unassigned_population)
        if de:
            lines = [f"Versorgung von '{self.demand_col}' bis {reach}: "
                     f"{covered} von {total} Personen ({share}) versorgt."]
            if self.unassigned_population:
                lines.append(f"  {unassigned} Personen in keinem Gebiet von `by`.")
            if self.area_fallback:
                lines.append(f"  {len(self.area_fallback)} Gebiet(e) ohne Rasterbevölkerung, nach "
                             f"Fläche verteilt: {format_list(self.area_fallback)}")
        else:
            lines = [f"Coverage of '{self.demand_col}' within {reach}: "
                     f"{covered} of {total} people ({share}) covered."]
            if self.unassigned_population:
                lines.append(f"  {unassigned} people in no district of `by`.")
            if self.area_fallback:
                lines.append(f"  {len(self.area_fallback)} district(s) without grid population, "
                             f"spread by area: {format_list(self.area_fallback)}")
        return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class CoverageResult:
    """The result of :func:`coverage`: per demand unit, per district, and what fit nowhere.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        The demand rows with ``nearest`` (index label of the nearest
        facility), ``cost`` (cost to it, NaN when there is none), ``covered``
        (bool: cost <= max_cost), ``population``, ``covered_population`` and
        ``share_covered``; with a street network also ``reason`` (why a unit
        has no facility, e.g. no street within ``max_snap``, under a bridge,
        on an island the profile cannot reach; None otherwise). For district demand, ``nearest``/``cost``/``covered``
        are taken at the district's representative point, while
        ``covered_population`` and ``share_covered`` come from the samples,
        and ``cost_mean`` is the population-weighted mean cost of the samples.
        With ``by`` also ``district`` (the key of the district a unit lies in).
    districts : geopandas.GeoDataFrame or None
        With ``by``: per district ``population``, ``covered_population``,
        ``uncovered_population`` and ``share_covered`` (NaN where the district
        has no population of the target group).
    unassigned : geopandas.GeoDataFrame
        Demand units (or samples of district demand) that lie in no district
        of ``by``: reported, not dropped.
    max_cost : float
    samples : geopandas.GeoDataFrame or None
        District demand only: the sample points with ``unit`` (index label of
        the demand row), ``population``, ``share``, ``source`` ("grid" or
        "area"), ``nearest``, ``cost`` and ``covered``.
    kind : str
        How demand was read: "points", "cells" or "districts".
    report : CoverageReport
        Totals (``demand_total``, ``covered_total``), ``demand_col``, the
        district ``key`` and the ``area_fallback`` districts.

    Examples
    --------
    See :func:`coverage`.
    """

    units: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame | None
    unassigned: gpd.GeoDataFrame
    max_cost: float
    samples: gpd.GeoDataFrame | None = None
    kind: str = "points"
    report: CoverageReport | None = None

    def __repr__(self) -> str:
        r = self.report
        total = r.demand_total if r else float("nan")
        covered = r.covered_total if r else float("nan")
        share = covered / total if total else float("nan")
        return (
            f"CoverageResult(max_cost={self.max_cost:g}, units={len(self.units)}, "
            f"kind={self.kind}, population={total:g}, covered={covered:g} ({share:.1%}), "
            f"unassigned={len(self.unassigned)})"
        )

    def _repr_html_(self) -> str:
        text = repr(self) + ("\n" + self.report.text() if self.report else "")
        return "<pre>" + html.escape(text) + "</pre>"


def coverage(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    max_cost: float,
    demand_col: str,
    network: object = None,
    by: gpd.GeoDataFrame | None = None,
    by_key: str | None = None,
    population: object = None,
    population_col: str | None = None,
    spacing: float = 100.0,
    demand_kind: str = "auto",
) -> CoverageResult:
    """Share of a target group within reach of a service, per demand unit and district.

    A demand unit is covered when the nearest facility is at most
    ``max_cost`` away (the limit included). With ``network=None`` the cost
    is the straight-line distance in metres.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand units with the target-group population in ``demand_col``:
        points, grid cells (polygons) or districts (polygons), see
        ``demand_kind``.
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
        Districts to summarise by; a demand point (or sample) belongs to the
        district it lies in.
    by_key : str, optional
        Key column of ``by``; required with ``by`` (e.g. ``by_key="PLR_ID"``).
    population : geopandas.GeoDataFrame or path, optional
        District demand only: where people live inside the districts. Points
        (or cells) with the population in ``population_col`` (e.g. a Zensus
        100 m grid), or the path of a population raster (GeoTIFF; cells > 0
        count, nodata is 0). Without it, people are spread by area.
    population_col : str, optional
        Column of a ``population`` GeoDataFrame with the people.
    spacing : float, default 100
        District demand spread by area: the side of the sample grid squares
        in metres.
    demand_kind : {"auto", "points", "cells", "districts"}, default "auto"
        "auto": points are points; polygons are districts when
        ``population`` is given or their median area exceeds 0.25 km²,
        else grid cells (counted at a point inside).

    Returns
    -------
    CoverageResult
        ``units`` per demand row, ``districts`` per district of ``by``,
        ``unassigned``, for district demand ``samples``, and ``report`` (a
        :class:`CoverageReport` with the totals).

    Raises
    ------
    CRSError
        Inputs not in one projected metric CRS.
    ColumnError
        ``demand_col`` (or ``population_col``) is missing, or ``by`` is given
        without ``by_key``.
    ValueParseError
        Negative or missing populations.
    ValueError
        ``max_cost`` or ``spacing`` of 0 or below, unknown ``demand_kind``.

    Warns
    -----
    QuartierWarning
        Districts with people of the target group but no grid population
        (spread by area instead).

    Notes
    -----
    Covered population never exceeds population, and the sum over districts
    plus the unassigned units equals the total demand (spreading districts
    over samples keeps every district's total).

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
    >>> res.report.demand_total, res.report.covered_total
    (60.0, 30.0)

    A district of 1 km x 1 km with 400 people aged 65+ and a meeting place at
    the middle of its west edge: spread by area (100 m samples), the people in
    the half disc of 500 m around it are in reach (exactly pi * 500**2 / 2 =
    0.39 km², so 39 %; the samples give 40 %).

    >>> district = gpd.GeoDataFrame({"ew_65plus": [400]}, geometry=[box(0, 0, 1000, 1000)],
    ...                             crs="EPSG:25832")
    >>> edge = gpd.GeoDataFrame(geometry=[Point(0, 500)], crs="EPSG:25832")
    >>> res = coverage(district, edge, max_cost=500, demand_col="ew_65plus",
    ...                demand_kind="districts")
    >>> res.kind, len(res.samples), round(float(res.units["share_covered"].iloc[0]), 3)
    ('districts', 100, 0.4)
    """
    max_cost = positive_number(max_cost, "max_cost")
    same_metric_crs(demand, facilities)
    values = _demand_values(demand, demand_col)
    kind = _demand_kind(demand, demand_kind, population)

    units = demand.copy()
    found = nearest(demand, facilities, network=network)
    units["nearest"] = found["nearest"].to_numpy()
    units["cost"] = found["cost"].to_numpy()
    units["covered"] = units["cost"].to_numpy() <= max_cost  # NaN compares False
    if "reason" in found.columns:  # street network: why a unit has no facility
        units["reason"] = pd.Series(found["reason"].to_numpy(), index=units.index, dtype=object)
    units["population"] = values
    samples = None
    fallback: list = []
    if kind == "districts":
        samples, fallback = disaggregate(demand, values, population=population,
                               population_col=population_col, spacing=spacing)
        near = nearest(samples, facilities, network=network)
        samples["nearest"] = near["nearest"].to_numpy()
        samples["cost"] = near["cost"].to_numpy()
        samples["covered"] = samples["cost"].to_numpy() <= max_cost
        if "reason" in near.columns:
            samples["reason"] = pd.Series(near["reason"].to_numpy(), index=samples.index,
                                          dtype=object)
        pos = samples["unit"].to_numpy()
        pop = samples["population"].to_numpy()
        covered = np.bincount(pos, weights=np.where(samples["covered"], pop, 0.0),
                              minlength=len(units))
        units["covered_population"] = np.minimum(covered, values)
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted = np.bincount(pos, weights=pop * samples["cost"].to_numpy(),
                                   minlength=len(units))
            units["cost_mean"] = np.where(values > 0, weighted / values, np.nan)
        samples["unit"] = demand.index.to_numpy()[pos]
    else:
        units["covered_population"] = np.where(units["covered"], values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = units["covered_population"] / units["population"]
    units["share_covered"] = share.where(units["population"] > 0)
    districts = None
    key = None
    unassigned = units.iloc[0:0]
    if by is not None:
        if kind == "districts":
            points = samples
            pop = samples["population"]
            cov = pd.Series(np.where(samples["covered"], pop, 0.0), index=samples.index)
        else:
            points = units
            pop = units["population"]
            cov = units["covered_population"]
        key = district_key(by, by_key)
        districts, district_of = _by_district(points, pop, cov, by, key)
        inside = district_of.notna()
        if kind == "districts":
            samples["district"] = district_of
            unassigned = samples[~inside]
            # a demand district lies in the by-district where most of its people are
            main = (samples[inside].groupby(["unit", "district"])["population"].sum()
                    .sort_values(ascending=False))
            main = main[~main.index.get_level_values(0).duplicated()]
            units["district"] = pd.Series(main.index.get_level_values(1),
                                          index=main.index.get_level_values(0)
                                          ).reindex(units.index)
        else:
            units["district"] = district_of
            unassigned = units[~inside]
    report = CoverageReport(
        demand_col=demand_col, demand_total=float(values.sum()),
        covered_total=float(units["covered_population"].sum()), max_cost=float(max_cost),
        kind=kind, key=key, unassigned_population=float(unassigned["population"].sum()),
        area_fallback=list(fallback), unit=getattr(network, "unit", None) or "m",
    )
    return CoverageResult(units, districts, unassigned, float(max_cost), samples, kind, report)


def _demand_kind(demand, demand_kind, population):
    if demand_kind not in DEMAND_KINDS:
        raise ParameterError(f"demand_kind must be one of {DEMAND_KINDS}, not {demand_kind!r}.")
    types = set(demand.geom_type.dropna())
    polygonal = bool(types) and types <= {"Polygon", "MultiPolygon"}
    if demand_kind == "districts" and not polygonal:
        raise QuartierError(
            "demand_kind='districts' needs district polygons, but demand holds "
            f"{sorted(types)} geometries. Join the counts to the district polygons first "
            "(quartier.join_indicators)."
        )
    if demand_kind != "auto":
        return demand_kind
    if not polygonal:
        if population is not None:
            raise QuartierError(
                "population= spreads district counts over a grid, but demand holds "
                f"{sorted(types)} geometries, not district polygons. Leave population= out."
            )
        return "points"
    if population is not None or float(np.median(demand.area)) > CELL_AREA_LIMIT:
        return "districts"
    return "cells"


def _by_district(points, population, covered, by, key):
    """Sum population and covered population of points per district of ``by``."""
    require_same_crs(by, points, what="districts (by)", reference_what="demand",
                     fix="by.to_crs(demand.crs)")
    pos = locate_points(points, by)
    keys = by[key].to_numpy(dtype=object)
    district_of = pd.Series(np.where(pos >= 0, keys[pos], None), index=points.index,
                            dtype=object)
    inside = district_of.notna()
    frame = pd.DataFrame(
        {
            "key": district_of[inside],
            "population": population[inside],
            "covered_population": covered[inside],
        }
    )
    sums = frame.groupby("key").sum()
    out = by.copy()
    out["population"] = out[key].map(sums["population"]).fillna(0.0)
    out["covered_population"] = out[key].map(sums["covered_population"]).fillna(0.0)
    out["covered_population"] = np.minimum(out["covered_population"], out["population"])
    out["uncovered_population"] = out["population"] - out["covered_population"]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = out["covered_population"] / out["population"]
    out["share_covered"] = share.where(out["population"] > 0)
    return out, district_of
