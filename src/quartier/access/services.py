"""Several services and target groups at once: one tidy table for a needs plan.

A small declarative spec says which service serves which target group, how
far people may go, and the Richtwert, e.g.::

    spec = [
        {"service": "Pflegeheime", "target": "ew_80plus", "max_cost": 1000,
         "capacity": "platzzahl", "norm_per_1000": 120},
        {"service": "Seniorentreffs", "target": "ew_65plus", "max_cost": 500},
        {"service": "Kitas", "target": "ew_unter6", "max_cost": 500,
         "capacity": "plaetze", "norm_per_1000": 650},
    ]

and :func:`service_table` returns one row per district, service and target
group, computed with :func:`quartier.coverage` and :func:`quartier.supply`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import district_key, positive_number
from quartier.access.covering import coverage
from quartier.access.provision import supply
from quartier.errors import ColumnError, ParameterError, format_list

__all__ = ["service_table", "SPEC_KEYS", "TABLE_COLUMNS"]

#: Keys a spec entry may have (``service``, ``target`` and ``max_cost`` are required).
SPEC_KEYS = ("service", "target", "max_cost", "capacity", "norm_per_1000", "source", "label",
             "method", "population", "population_col", "spacing")
#: Columns of the table :func:`service_table` returns (after the district key).
TABLE_COLUMNS = ("service", "target_group", "population", "covered_population",
                 "share_covered", "facilities", "places", "places_per_1000",
                 "places_in_reach", "places_in_reach_per_1000", "norm_per_1000",
                 "required_places", "deficit", "deficit_in_reach", "max_cost")


def service_table(
    demand_sources: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
    facilities_by_service: Mapping[str, gpd.GeoDataFrame],
    spec: Sequence[Mapping] | pd.DataFrame,
    *,
    by: gpd.GeoDataFrame | None = None,
    by_key: str | None = None,
    network: object = None,
) -> pd.DataFrame:
    """One tidy table: per district, service and target group, coverage and places.

    Parameters
    ----------
    demand_sources : geopandas.GeoDataFrame or dict of them
        Where the target groups live: district polygons with a column per
        target group (e.g. Planungsräume joined to the population table), or
        points / grid cells. Several sources by name (e.g. ``{"plr": ...,
        "zensus": ...}``) are picked per entry with ``source``.
    facilities_by_service : dict
        ``{service name: GeoDataFrame of its facilities}``.
    spec : list of dict or pandas.DataFrame
        One entry per service and target group with the keys ``service`` (a
        key of ``facilities_by_service``), ``target`` (the demand column),
        ``max_cost``, and optionally ``capacity`` (column with places),
        ``norm_per_1000`` (Richtwert), ``source``, ``label`` (name of the
        target group in the table; default ``target``), ``method`` (FCA
        method for places in reach, default "2sfca"), ``population``,
        ``population_col`` and ``spacing`` (how district demand is spread,
        see :func:`quartier.coverage`).
    by : geopandas.GeoDataFrame, optional
        Districts of the table; default the demand source itself when it
        holds district polygons.
    by_key : str
        Key column of ``by`` (or of the demand source when it holds the
        districts); required.
    network : None or StreetNetwork
        Straight lines (None) or along the streets, for every entry.

    Returns
    -------
    pandas.DataFrame
        Columns ``district`` (the key, as string) and :data:`TABLE_COLUMNS`:
        population, covered population and share covered (within
        ``max_cost``), facilities and places located in the district, places
        per 1,000, places in reach (2SFCA) and per 1,000, the Richtwert, the
        required places and the deficits (located and in reach; NaN without
        a Richtwert). Join it to the district geometries on ``district`` for
        maps.

    Raises
    ------
    QuartierError
        A spec entry is incomplete or names an unknown service or source.
    ColumnError
        A target or capacity column is missing, or ``by_key`` is not given.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoDataFrame({"id": ["W", "O"], "u6": [100, 100], "ab65": [300, 500]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:25833")
    >>> fac = {"Kitas": gpd.GeoDataFrame({"plaetze": [50]}, geometry=[Point(900, 500)],
    ...                                  crs="EPSG:25833"),
    ...        "Seniorentreffs": gpd.GeoDataFrame(geometry=[Point(1500, 500)], crs="EPSG:25833")}
    >>> spec = [{"service": "Kitas", "target": "u6", "max_cost": 1000, "capacity": "plaetze",
    ...          "norm_per_1000": 400, "label": "unter 6"},
    ...         {"service": "Seniorentreffs", "target": "ab65", "max_cost": 500}]
    >>> t = service_table(d, fac, spec, by_key="id")
    >>> t[["district", "service", "target_group", "population", "places", "deficit"]]
      district         service target_group  population  places  deficit
    0        W           Kitas      unter 6       100.0    50.0      0.0
    1        O           Kitas      unter 6       100.0     0.0     40.0
    2        W  Seniorentreffs         ab65       300.0     0.0      NaN
    3        O  Seniorentreffs         ab65       500.0     1.0      NaN
    """
    entries = _entries(spec)
    rows = []
    for n, entry in enumerate(entries):
        demand = _source(demand_sources, entry, n)
        service = entry["service"]
        if service not in facilities_by_service:
            raise ParameterError(
                f"spec entry {n} names the service '{service}', but facilities_by_service has "
                f"{format_list(facilities_by_service)}."
            )
        fac = facilities_by_service[service]
        target = entry["target"]
        if target not in demand.columns:
            raise ColumnError(
                f"spec entry {n} ({service}): target group column '{target}' is not in the "
                f"demand. Columns are {format_list([c for c in demand.columns if c != 'geometry'], 30)}."
            )
        districts = by
        if districts is None:
            types = set(demand.geom_type.dropna())
            if not types or not types <= {"Polygon", "MultiPolygon"}:
                raise ParameterError(
                    "point or cell demand needs districts for the table: pass by= (and by_key=)."
                )
            districts = demand
        key = district_key(districts, by_key,
                           source="by" if by is not None else "demand_sources")
        max_cost = positive_number(entry["max_cost"], f"spec entry {n} ({service}): max_cost")
        kind = "districts" if districts is demand else "auto"
        cov = coverage(demand, fac, max_cost=max_cost, demand_col=target, by=districts,
                       by_key=key, network=network, population=entry.get("population"),
                       population_col=entry.get("population_col"),
                       spacing=positive_number(entry.get("spacing", 100.0), f"spec entry {n}: spacing",
                                               unit="metres", upper=1e4), demand_kind=kind)
        sup = supply(demand, fac, demand_col=target, capacity=entry.get("capacity"),
                     by=districts, by_key=key, max_cost=max_cost,
                     norm_per_1000=entry.get("norm_per_1000"),
                     method=entry.get("method", "2sfca"), network=network).table
        table = pd.DataFrame({
            "district": cov.districts[key].astype(str).to_numpy(),
            "service": service,
            "target_group": str(entry.get("label") or target),
            "population": sup["population"].to_numpy(dtype=float),
            "covered_population": cov.districts["covered_population"].to_numpy(dtype=float),
            "share_covered": cov.districts["share_covered"].to_numpy(dtype=float),
        })
        # the supply columns (after share_covered, before max_cost); share_covered comes
        # from coverage above and must not be overwritten by supply's (absent) column
        for col in TABLE_COLUMNS[TABLE_COLUMNS.index("facilities"):-1]:
            table[col] = sup[col].to_numpy(dtype=float) if col in sup else np.nan
        table["max_cost"] = max_cost
        rows.append(table)
    return pd.concat(rows, ignore_index=True)


def _entries(spec) -> list[dict]:
    # an empty cell of a DataFrame spec means "not given"; a NaN written in a dict is a value
    # (and refused where it is checked: norm_per_1000=nan would make every gap disappear)
    table = isinstance(spec, pd.DataFrame)
    if table:
        spec = spec.to_dict("records")
    entries = []
    for n, raw in enumerate(spec):
        entry = {k: v for k, v in dict(raw).items() if not (_missing(v) if table else v is None)}
        unknown = sorted(set(entry) - set(SPEC_KEYS))
        if unknown:
            raise ParameterError(f"spec entry {n} has unknown key(s) {format_list(unknown)}; "
                                f"known are {format_list(SPEC_KEYS)}.")
        need = [k for k in ("service", "target", "max_cost") if k not in entry]
        if need:
            raise ParameterError(f"spec entry {n} lacks {format_list(need)}: every entry needs "
                                "service, target and max_cost.")
        entries.append(entry)
    if not entries:
        raise ParameterError("the spec is empty: give at least one service entry.")
    return entries


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _source(demand_sources, entry, n):
    if isinstance(demand_sources, gpd.GeoDataFrame):
        return demand_sources
    name = entry.get("source")
    if name is None:
        if len(demand_sources) == 1:
            return next(iter(demand_sources.values()))
        raise ParameterError(f"spec entry {n} needs source= (one of {format_list(demand_sources)}).")
    if name not in demand_sources:
        raise ParameterError(f"spec entry {n}: unknown source '{name}'; there are "
                            f"{format_list(demand_sources)}.")
    return demand_sources[name]
