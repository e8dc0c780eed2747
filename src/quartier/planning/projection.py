"""Future demand: target groups projected per district, places needed by a norm, deficits.

Three steps, each a plain function on a tidy table with the columns
``district``, ``year``, ``group``, ``population`` (one row per district and
year):

1. :func:`project_population` reads a population projection as cities
   publish it (long: district, age group, year, persons; or wide: one column
   per year), or applies growth factors to a base year.
2. :func:`required_places` turns the target group into places by a norm
   (places per 1,000 of the group) plus a reserve for unforeseen demand,
   rounded *up* to whole places.
3. :func:`place_deficit` sets the existing places against them.

:func:`future_demand` does all three in one call.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import nonnegative_number, require_column
from quartier.errors import (
    ColumnError,
    DataError,
    DistrictKeyError,
    ParameterError,
    QuartierWarning,
    ValueParseError,
    format_list,
)
from quartier.io.keys import normalize_keys

__all__ = ["project_population", "required_places", "place_deficit", "future_demand"]

_YEAR = re.compile(r"^\D*((?:19|20)\d{2})\D*$")
_COLUMNS = ["district", "year", "group", "population"]


def _numbers(values: pd.Series, what: str) -> pd.Series:
    out = pd.to_numeric(values, errors="coerce")
    bad = out.isna() | (out < 0)
    if bad.any():
        raise ValueParseError(
            f"{what} has missing, non-numeric or negative values in {int(bad.sum())} row(s) "
            f"(rows {format_list(np.flatnonzero(bad.to_numpy()))}). Persons and places must be "
            "numbers of 0 or more."
        )
    return out.astype(float)


def _year_columns(table: pd.DataFrame) -> dict[object, int]:
    found = {}
    for col in table.columns:
        m = _YEAR.match(str(col))
        if m:
            found[col] = int(m.group(1))
    return found


def _from_table(table, *, key, years, groups, group, year_col, group_col, value_col, key_width):
    require_column(table, key, source="the projection table", role="district key column")
    if group_col is not None:
        require_column(table, group_col, source="the projection table", role="age group column")
    frame = table.copy()
    frame[key] = normalize_keys(frame[key], key_width=key_width, column=key,
                                source="the projection table")
    if year_col in frame.columns:  # long form
        if value_col is None:
            raise ColumnError(
                f"the projection table is in long form (column '{year_col}'): say which column "
                "holds the persons with value_col=..."
            )
        require_column(frame, value_col, source="the projection table", role="persons column")
        long = frame[[key, year_col, value_col] + ([group_col] if group_col else [])].copy()
        long[year_col] = pd.to_numeric(long[year_col], errors="coerce")
        long = long.rename(columns={year_col: "year", value_col: "population"})
    else:  # wide form: one column per year
        ycols = _year_columns(frame)
        if not ycols:
            raise ColumnError(
                f"the projection table has neither a year column '{year_col}' (long form) nor "
                "columns named by year such as '2025' or 'EW_2030' (wide form). Columns are: "
                f"{format_list(frame.columns, limit=30)}. Pass year_col= for a long table."
            )
        ids = [key] + ([group_col] if group_col else [])
        long = frame.melt(id_vars=ids, value_vars=list(ycols), var_name="year",
                          value_name="population")
        long["year"] = long["year"].map(ycols)
    long["population"] = _numbers(long["population"], "the projection table's persons")
    if group_col is not None:
        present = sorted(long[group_col].astype(str).unique())
        if groups is None:
            raise ParameterError(
                f"the projection table has age groups in '{group_col}': {format_list(present)}. "
                "Say which make up the target group with groups=[...] (a total row such as "
                "'insgesamt' would otherwise be counted twice)."
            )
        groups = [groups] if isinstance(groups, str) else list(groups)
        missing = [g for g in groups if str(g) not in present]
        if missing:
            raise ParameterError(
                f"age group(s) {format_list(missing)} not found in column '{group_col}'. "
                f"The table has: {format_list(present, limit=30)}."
            )
        long = long[long[group_col].astype(str).isin([str(g) for g in groups])]
    label = group or ("+".join(str(g) for g in groups) if groups else (value_col or "population"))
    long = long.groupby([key, "year"], as_index=False)["population"].sum()
    long = long.rename(columns={key: "district"})
    long["year"] = long["year"].astype(int)
    long["group"] = label
    return _select_years(long, years)


def _select_years(long, years):
    if years is not None:
        years = [int(y) for y in years]
        have = set(long["year"])
        missing = [y for y in years if y not in have]
        if missing:
            raise ParameterError(
                f"year(s) {format_list(missing)} are not in the projection; it has "
                f"{format_list(sorted(have), limit=30)}."
            )
        long = long[long["year"].isin(years)]
    per_year = long.groupby("year")["district"].nunique()
    if per_year.nunique() > 1:
        warnings.warn(
            "the projection does not have the same districts in every year (districts per "
            f"year: {per_year.to_dict()}). Missing district-years are left out.",
            QuartierWarning, stacklevel=3,
        )
    return long.sort_values(["district", "year"]).reset_index(drop=True)[_COLUMNS]


def _from_growth(base, *, key, value, base_year, years, growth, annual_growth, group, key_width):
    if base is None or key is None or value is None or base_year is None:
        raise ParameterError(
            "growth factors need the base population: base=<table>, key=<district column>, "
            "value=<population column> and base_year=<year of the base>."
        )
    require_column(base, key, source="base", role="district key column")
    require_column(base, value, source="base", role="population column")
    districts = normalize_keys(base[key], key_width=key_width, column=key, source="base")
    pop = pd.Series(_numbers(base[value], f"base column '{value}'").to_numpy(),
                    index=districts.to_numpy())
    if pop.index.duplicated().any():
        raise DistrictKeyError(
                         f"district key(s) {format_list(pop.index[pop.index.duplicated()])} occur "
                         f"more than once in base column '{key}'.")
    if growth is not None:
        if isinstance(growth, Mapping):  # {year: factor} for the whole city
            factors = pd.DataFrame({int(y): float(f) for y, f in growth.items()}, index=pop.index)
        else:  # DataFrame: district key column + one factor column per year
            require_column(growth, key, source="growth", role="district key column")
            ycols = _year_columns(growth.drop(columns=[key]))
            g_keys = normalize_keys(growth[key], key_width=key_width, column=key, source="growth")
            factors = growth[list(ycols)].set_axis(g_keys.to_numpy()).rename(columns=ycols)
            missing = sorted(set(pop.index) - set(factors.index))
            if missing:
                raise ParameterError(
                    f"growth has no factors for district(s) {format_list(missing)}.")
            factors = factors.reindex(pop.index).astype(float)
        factors[int(base_year)] = 1.0
        if years is None:
            years = sorted(factors.columns)
        missing = [y for y in years if int(y) not in factors.columns]
        if missing:
            raise ParameterError(f"growth has no factors for year(s) {format_list(missing)}.")
        values = {int(y): pop * factors[int(y)] for y in years}
    else:
        if years is None:
            raise ParameterError("annual_growth= needs years=[...] to project to.")
        if isinstance(annual_growth, pd.Series):
            rate = annual_growth.copy()
            rate.index = normalize_keys(pd.Series(rate.index), key_width=key_width).to_numpy()
            missing = sorted(set(pop.index) - set(rate.index))
            if missing:
                raise ParameterError(f"annual_growth has no rate for district(s) "
                                 f"{format_list(missing)}.")
            rate = rate.reindex(pop.index).astype(float)
        else:
            rate = float(annual_growth)
        values = {int(y): pop * (1.0 + rate) ** (int(y) - int(base_year)) for y in years}
    long = pd.concat(
        [pd.DataFrame({"district": v.index, "year": y, "population": v.to_numpy()})
         for y, v in values.items()], ignore_index=True)
    bad = ~(np.isfinite(long["population"].to_numpy(dtype=float))
            & (long["population"].to_numpy(dtype=float) >= 0))
    if bad.any():
        where = [f"{d} {y}" for d, y in zip(long["district"][bad], long["year"][bad],
                                             strict=True)]
        raise DataError(
            f"the growth factors or rates give impossible populations (NaN, infinite or "
            f"negative) for {format_list(where)}. Growth factors must be finite numbers of 0 "
            "or more (1.0 = no change), annual rates finite and above -1 (0.01 = +1 %).")
    long["group"] = group or value
    return long.sort_values(["district", "year"]).reset_index(drop=True)[_COLUMNS]


def project_population(
    base: pd.DataFrame | None = None,
    *,
    years: Sequence[int] | None = None,
    key: str | None = None,
    value: str | None = None,
    base_year: int | None = None,
    growth: Mapping | pd.DataFrame | None = None,
    annual_growth: float | pd.Series | None = None,
    table: pd.DataFrame | None = None,
    groups: Sequence[str] | str | None = None,
    group: str | None = None,
    year_col: str = "year",
    group_col: str | None = None,
    value_col: str | None = None,
    key_width: int | None = None,
) -> pd.DataFrame:
    """The target group per district and year, from a projection table or growth factors.

    Give exactly one of:

    - ``table``: a population projection (e.g. read with
      :func:`quartier.read_table`), in long form (district, age group, year,
      persons: ``year_col`` and ``value_col``) or wide form (one column per
      year, named ``2030`` or ``EW_2030``). The age groups in ``groups`` are
      summed into the target group.
    - ``growth``: factors relative to ``base_year`` (``1.10`` = 10 % more than
      in the base year), for the whole city (``{2030: 1.10, 2035: 1.18}``)
      or per district (a table with ``key`` and one column per year).
    - ``annual_growth``: a yearly rate (``0.01`` = +1 % a year, compounded),
      for the whole city (a number) or per district (a Series indexed by key).

    Parameters
    ----------
    base : pandas.DataFrame, optional
        Base-year population: district ``key`` and population ``value``
        (needed for ``growth`` and ``annual_growth``).
    years : sequence of int, optional
        Years wanted (default: all the table or the factors have).
    key : str
        District key column (of ``base``, ``growth`` and ``table``).
    value : str, optional
        Population column of ``base``.
    base_year : int, optional
        Year of ``base`` (for growth).
    growth, annual_growth : optional
        See above.
    table : pandas.DataFrame, optional
        A projection table, see above.
    groups : str or sequence of str, optional
        Age groups (values of ``group_col``) that make up the target group.
    group : str, optional
        Name of the target group in the result (default: the groups joined
        by "+", or ``value``).
    year_col, group_col, value_col : str, optional
        Columns of a long table: year, age group, persons.
    key_width : int, optional
        Zero-pad keys to this width (see :func:`quartier.io.keys.normalize_keys`).

    Returns
    -------
    pandas.DataFrame
        Columns ``district`` (key as text), ``year``, ``group``,
        ``population`` (persons, not rounded), sorted by district and year.

    Raises
    ------
    ValueError
        Neither or more than one source; unknown years or age groups.
    ColumnError
        Missing columns.
    ValueParseError
        Non-numeric or negative persons.

    Examples
    --------
    Two districts with 1,000 and 500 people aged 65+ in 2024; the city
    expects 10 % more by 2030:

    >>> import pandas as pd
    >>> base = pd.DataFrame({"plr": ["01", "02"], "ew65": [1000, 500]})
    >>> project_population(base, key="plr", value="ew65", base_year=2024,
    ...                    growth={2030: 1.1}, years=[2030])
      district  year group  population
    0       01  2030  ew65      1100.0
    1       02  2030  ew65       550.0

    The same from a long projection table (two age groups summed):

    >>> t = pd.DataFrame({"plr": ["01", "01", "02", "02"], "alter": ["65-79", "80+"] * 2,
    ...                   "jahr": 2030, "personen": [800, 300, 400, 150]})
    >>> project_population(table=t, key="plr", year_col="jahr", group_col="alter",
    ...                    value_col="personen", groups=["65-79", "80+"], group="65+")
      district  year group  population
    0       01  2030   65+      1100.0
    1       02  2030   65+       550.0
    """
    sources = sum(x is not None for x in (table, growth, annual_growth))
    if sources != 1:
        raise ParameterError(
            "give exactly one source of the projection: table= (a projection table), growth= "
            "(factors relative to base_year) or annual_growth= (a yearly rate)."
        )
    if key is None:
        raise ParameterError("say which column holds the district key: key=...")
    if table is not None:
        return _from_table(table, key=key, years=years, groups=groups, group=group,
                           year_col=year_col, group_col=group_col, value_col=value_col,
                           key_width=key_width)
    return _from_growth(base, key=key, value=value, base_year=base_year, years=years,
                        growth=growth, annual_growth=annual_growth, group=group,
                        key_width=key_width)


def required_places(
    population: pd.DataFrame,
    *,
    norm_per_1000: float | Mapping[str, float],
    reserve: float = 0.0,
) -> pd.DataFrame:
    """Places needed by a norm, with a reserve, rounded up to whole places.

    ``required_places = ceil(population * norm_per_1000 / 1000 * (1 + reserve))``.
    The product is rounded to 6 decimals before rounding up, so that a
    result that is whole on paper (e.g. 21 places) does not become 22 from
    floating-point noise.

    Parameters
    ----------
    population : pandas.DataFrame
        From :func:`project_population` (``group`` and ``population``).
    norm_per_1000 : float or mapping of group to float
        Places per 1,000 persons of the target group (e.g. 35 care places
        per 1,000 people aged 65+), one for all or one per ``group``.
    reserve : float, default 0
        Extra share for unforeseen demand (``0.05`` = +5 %).

    Returns
    -------
    pandas.DataFrame
        A copy with ``places_exact`` (before rounding) and
        ``required_places`` (int, rounded up).

    Raises
    ------
    ValueError
        Negative norm or reserve, or a group without a norm.

    Examples
    --------
    1,100 people x 35 / 1,000 = 38.5; + 5 % reserve = 40.425; rounded up 41.
    550 x 35 / 1,000 x 1.05 = 20.2125, rounded up 21.

    >>> import pandas as pd
    >>> pop = pd.DataFrame({"district": ["01", "02"], "year": 2030, "group": "65+",
    ...                     "population": [1100.0, 550.0]})
    >>> required_places(pop, norm_per_1000=35, reserve=0.05)["required_places"].tolist()
    [41, 21]
    """
    require_column(population, "population", source="population", role="population column")
    if not isinstance(reserve, bool) and isinstance(reserve, int | float) and reserve < 0:
        raise ParameterError(f"reserve must be 0 or more (0.05 = +5 %), not {reserve!r}.")
    reserve = nonnegative_number(reserve, "reserve", unit="(0.05 = +5 %)", upper=10)
    out = population.copy()
    if isinstance(norm_per_1000, Mapping):
        require_column(out, "group", source="population", role="group column")
        missing = sorted(set(out["group"].astype(str)) - {str(k) for k in norm_per_1000})
        if missing:
            raise ParameterError(f"norm_per_1000 has no norm for group(s) {format_list(missing)}.")
        norm = out["group"].astype(str).map(
            {str(k): nonnegative_number(v, f"norm_per_1000['{k}']", unit="places per 1,000 "
                                        "persons", upper=1000) for k, v in norm_per_1000.items()})
    else:
        norm = pd.Series(nonnegative_number(norm_per_1000, "norm_per_1000", unit="places per "
                                            "1,000 persons", upper=1000), index=out.index)
    exact = out["population"].astype(float) * norm / 1000.0 * (1.0 + reserve)
    out["places_exact"] = exact
    out["required_places"] = np.ceil(exact.round(6)).astype("int64")
    return out


def _existing_per_district(existing, capacity, districts, key):
    if isinstance(existing, pd.Series):
        s = existing.copy()
        s.index = normalize_keys(pd.Series(s.index)).to_numpy()
        return s.astype(float).groupby(level=0).sum()
    if isinstance(existing, gpd.GeoDataFrame) and districts is not None:
        if key is None:
            raise ColumnError("say which column of `districts` holds the district key: pass "
                              "key='PLR_ID' (the key column of `districts`).")
        require_column(districts, key, source="districts", role="district key column")
        pts = existing.copy()
        places = (pd.Series(1.0, index=pts.index) if capacity is None
                  else _numbers(pts[capacity].fillna(0), f"column '{capacity}'"))
        pts["_places"] = places
        if not (pts.geom_type == "Point").all():
            pts = pts.set_geometry(pts.geometry.representative_point())
        joined = gpd.sjoin(pts[["_places", pts.geometry.name]],
                           districts[[key, districts.geometry.name]].to_crs(pts.crs),
                           how="left", predicate="within")
        joined = joined[~joined.index.duplicated(keep="first")]
        outside = joined[key].isna()
        if outside.any():
            warnings.warn(
                f"{int(outside.sum())} facilities lie in no district (index "
                f"{format_list(joined.index[outside])}); their places are not counted.",
                QuartierWarning, stacklevel=3,
            )
        return joined[~outside].groupby(key)["_places"].sum()
    key = key or "district"
    require_column(existing, key, source="existing", role="district key column")
    if capacity is None:
        raise ColumnError("say which column of `existing` holds the places: capacity=...")
    require_column(existing, capacity, source="existing", role="places column")
    keys = normalize_keys(existing[key], column=key, source="existing")
    return _numbers(existing[capacity], f"column '{capacity}'").groupby(keys.to_numpy()).sum()


def place_deficit(
    required: pd.DataFrame,
    existing: pd.Series | pd.DataFrame,
    *,
    capacity: str | None = None,
    districts: gpd.GeoDataFrame | None = None,
    key: str | None = None,
) -> pd.DataFrame:
    """Required against existing places per district and year.

    Parameters
    ----------
    required : pandas.DataFrame
        From :func:`required_places`.
    existing : pandas.Series, pandas.DataFrame or geopandas.GeoDataFrame
        Existing places per district: a Series indexed by district key; a
        table with the key (``key``, default ``"district"``) and
        ``capacity``; or facility points with ``districts`` (each facility
        counts its ``capacity``, or 1 without it, in the district it lies in).
    capacity : str, optional
        Column of ``existing`` with the places (required for a table; for
        facility points None counts every facility as one place).
    districts : geopandas.GeoDataFrame, optional
        District polygons for facility points.
    key : str, optional
        District key column of ``existing`` (table; default ``"district"``)
        or of ``districts`` (required with ``districts``).

    Raises
    ------
    ColumnError
        ``districts`` without ``key``, a table without ``capacity``, or a
        missing column.

    Returns
    -------
    pandas.DataFrame
        ``required`` with ``existing_places`` (0 where a district has none)
        and ``deficit = required_places - existing_places`` (negative:
        spare places).

    Warns
    -----
    QuartierWarning
        Existing places in districts that are not in ``required``, or
        facilities outside every district (not counted).

    Examples
    --------
    >>> import pandas as pd
    >>> req = pd.DataFrame({"district": ["01", "02"], "year": 2030, "group": "65+",
    ...                     "required_places": [41, 21]})
    >>> place_deficit(req, pd.Series({"01": 30, "02": 25}))[["district", "deficit"]]
      district  deficit
    0       01     11.0
    1       02     -4.0
    """
    require_column(required, "required_places", source="required", role="required places")
    per = _existing_per_district(existing, capacity, districts, key)
    unknown = sorted(set(per.index) - set(required["district"].astype(str)))
    if unknown:
        warnings.warn(
            f"existing places in district(s) {format_list(unknown)} that are not in the "
            "projection are not compared.", QuartierWarning, stacklevel=2,
        )
    out = required.copy()
    out["existing_places"] = out["district"].astype(str).map(per).fillna(0.0).astype(float)
    out["deficit"] = out["required_places"] - out["existing_places"]
    return out


def future_demand(
    base: pd.DataFrame | None = None,
    *,
    norm_per_1000: float | Mapping[str, float],
    reserve: float = 0.0,
    existing: pd.Series | pd.DataFrame | None = None,
    capacity: str | None = None,
    districts: gpd.GeoDataFrame | None = None,
    **projection,
) -> pd.DataFrame:
    """Projected target group, required places and deficit in one tidy table.

    :func:`project_population` (with ``base`` and ``**projection``), then
    :func:`required_places`, then (with ``existing``) :func:`place_deficit`.

    Parameters
    ----------
    base : pandas.DataFrame, optional
        Base population for growth factors.
    norm_per_1000, reserve
        See :func:`required_places`.
    existing, capacity, districts
        See :func:`place_deficit`; without ``existing`` no deficit is computed.
    **projection
        Keywords of :func:`project_population` (``years``, ``key``,
        ``growth``, ``table``, ...). ``key`` also names the district key of
        ``districts``.

    Returns
    -------
    pandas.DataFrame
        ``district``, ``year``, ``group``, ``population``, ``places_exact``,
        ``required_places`` and, with ``existing``, ``existing_places`` and
        ``deficit``.

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.DataFrame({"plr": ["01", "02"], "ew65": [1000, 500]})
    >>> out = future_demand(base, key="plr", value="ew65", base_year=2024,
    ...     growth={2030: 1.1}, years=[2030], norm_per_1000=35, reserve=0.05,
    ...     existing=pd.Series({"01": 30, "02": 25}))
    >>> out[["district", "population", "required_places", "deficit"]]
      district  population  required_places  deficit
    0       01      1100.0               41     11.0
    1       02       550.0               21     -4.0
    """
    pop = project_population(base, **projection)
    out = required_places(pop, norm_per_1000=norm_per_1000, reserve=reserve)
    if existing is not None:
        dkey = projection.get("key") if districts is not None else None
        out = place_deficit(out, existing, capacity=capacity, districts=districts, key=dkey)
    return out
