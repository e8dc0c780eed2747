"""Move counts and rates from one district system to another (areal interpolation).

Typical use: an indicator table published on the pre-2021 Berlin Planungsräume
is needed on the 2021 Planungsräume, or a Stadtteil table on school catchment
areas. Two kinds of columns are treated differently:

* **counts** (``extensive``: inhabitants, places, cases) are split: each source
  district hands its count to the target districts in proportion to the share
  of its area (:func:`area_interpolate`) or of its population
  (:func:`dasymetric_interpolate`) that lies in them. Totals are kept.
* **rates** (``intensive``: shares, indices, averages) are averaged over the
  pieces of a target district, weighted by their denominator count
  (``intensive={"rate": "denominator"}``), or, without a denominator, by the
  area (or population) of the pieces.

What falls outside every target district is reported (in the warning and in
``result.report``, an :class:`InterpolationReport`), never silently lost.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._report import Report, Result
from quartier.areas._weights import (
    InterpolationWeights,
    _as_list,
    _as_mapping,
    area_weights,
    check_frames,
    keys_of,
    numeric_column,
    population_weights,
)
from quartier.errors import (
    ColumnError,
    ParameterError,
    ParameterTypeError,
    QuartierWarning,
    format_list,
)
from quartier.output.formatting import format_number
from quartier.settings import resolve_language

__all__ = [
    "InterpolationResult",
    "InterpolationReport",
    "InterpolationWeights",
    "area_interpolate",
    "dasymetric_interpolate",
    "interpolation_weights",
]

#: relative amounts below this are floating-point noise, not losses
_TOL = 1e-9


@dataclass(frozen=True)
class InterpolationReport(Report):
    """What an interpolation moved, and what it could not place.

    Attributes
    ----------
    method : {"area", "population"}
    totals : pandas.DataFrame
        One row per count column: ``source`` (total in the source districts),
        ``target`` (total in the result), ``outside`` (what fell outside every
        target district), ``outside_share`` and ``in_empty_targets`` (known
        counts that went to targets left empty because another source district
        reaching them has no value). ``source = target + outside +
        in_empty_targets`` up to rounding, unless target districts overlap.
    outside : pandas.DataFrame
        Per source district that is not fully covered by the targets: the
        ``share`` of it (of its area, or population) outside every target,
        and the amount of each count column lost there.
    overlapping : list of str
        Source keys whose pieces add up to more than the whole, because
        target districts overlap (their counts are then counted twice).
    targets_without_source : list of str
        Target keys that touch no source district (their values are missing).
    missing_values : dict
        Column -> source keys with an empty value (targets that depend on them
        get no count; rates are averaged over the known sources only).
    no_value : dict
        Rate column -> target keys that got no value (nothing known, or a
        zero denominator).
    zero_population : list of str
        Population weights only: source keys without any population, whose
        counts were split by area instead.
    population_outside : float
        Population weights only: population outside every source district.

    Examples
    --------
    >>> r = InterpolationReport(method="area", totals=pd.DataFrame(
    ...     {"source": [10.0], "target": [8.0], "outside": [2.0], "outside_share": [0.2]},
    ...     index=["ew"]))
    >>> r.complete
    False
    >>> print(r.text(lang="en"))
    Interpolation (area weights):
      'ew': 10.00 in the source districts, 8.00 in the targets, 2.00 (20%) outside every target district
    """

    method: str
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    outside: pd.DataFrame = field(default_factory=pd.DataFrame)
    overlapping: list[str] = field(default_factory=list)
    targets_without_source: list[str] = field(default_factory=list)
    missing_values: dict[str, list[str]] = field(default_factory=dict)
    no_value: dict[str, list[str]] = field(default_factory=dict)
    zero_population: list[str] = field(default_factory=list)
    population_outside: float = 0.0

    @property
    def complete(self) -> bool:
        """True when every count landed in a target and nothing needed a fallback."""
        lost = bool(len(self.totals)) and bool((self.totals["outside_share"].abs() > _TOL).any())
        return not (
            lost or self.overlapping or self.targets_without_source or self.zero_population
            or any(self.missing_values.values()) or any(self.no_value.values())
        )

    def text(self, lang: str | None = None) -> str:
        """The report as readable text, German (``"de"``) or English (``"en"``).

        Parameters
        ----------
        lang : {"de", "en"}, optional
            Language; default from :func:`quartier.set_language`.

        Returns
        -------
        str
        """
        de = resolve_language(lang) == "de"
        how = {"area": ("Flächen", "area"), "population": ("Bevölkerungs", "population")}
        word = how.get(self.method, (self.method, self.method))
        lines = [f"Umrechnung ({word[0]}gewichte):" if de else f"Interpolation ({word[1]} weights):"]
        for col, row in self.totals.iterrows():
            src, tgt, out = (_num(row[c], lang) for c in ("source", "target", "outside"))
            share = f"{100 * row['outside_share']:.3g}%"
            if de:
                lines.append(f"  '{col}': {src} in den Quellgebieten, {tgt} in den Zielgebieten, "
                             f"{out} ({share}) außerhalb aller Zielgebiete")
            else:
                lines.append(f"  '{col}': {src} in the source districts, {tgt} in the targets, "
                             f"{out} ({share}) outside every target district")
            blocked = row.get("in_empty_targets", 0.0)
            if blocked and blocked == blocked:
                lines.append(f"    {_num(blocked)} davon in Zielgebieten, die wegen fehlender Werte "
                             "leer bleiben" if de else
                             f"    {_num(blocked)} of it in targets left empty by missing values")
        if len(self.outside):
            keys = format_list(self.outside.index, 20)
            lines.append(f"  {len(self.outside)} Quellgebiet(e) nicht ganz abgedeckt: {keys}" if de
                         else f"  {len(self.outside)} source district(s) not fully covered: {keys}")
        items = [
            (self.overlapping, "Quellgebiet(e), deren Zielgebiete sich überlappen (doppelt gezählt)",
             "source district(s) whose target districts overlap (counted twice)"),
            (self.targets_without_source, "Zielgebiet(e) ohne Quellgebiet (leer)",
             "target district(s) without any source district (left empty)"),
            (self.zero_population, "Quellgebiet(e) ohne Bevölkerung (nach Fläche verteilt)",
             "source district(s) without population (split by area instead)"),
        ]
        for keys, de_text, en_text in items:
            if keys:
                lines.append(f"  {len(keys)} {de_text if de else en_text}: {format_list(keys, 20)}")
        for col, keys in self.missing_values.items():
            if keys:
                lines.append(f"  '{col}': {len(keys)} Quellgebiet(e) ohne Wert: {format_list(keys, 20)}"
                             if de else
                             f"  '{col}': {len(keys)} source district(s) without a value: "
                             f"{format_list(keys, 20)}")
        for col, keys in self.no_value.items():
            if keys:
                lines.append(f"  '{col}': {len(keys)} Zielgebiet(e) ohne Wert: {format_list(keys, 20)}"
                             if de else
                             f"  '{col}': {len(keys)} target district(s) without a value: "
                             f"{format_list(keys, 20)}")
        if self.population_outside > 0:
            lines.append(f"  Bevölkerung außerhalb aller Quellgebiete (nicht genutzt): "
                         f"{_num(self.population_outside)}" if de else
                         f"  population outside every source district (not used): "
                         f"{_num(self.population_outside)}")
        return "\n".join(lines)



@dataclass(frozen=True, repr=False)
class InterpolationResult(Result):
    """The result of :func:`area_interpolate` / :func:`dasymetric_interpolate`.

    Attributes
    ----------
    table : geopandas.GeoDataFrame
        One row per target district (index and geometry of the target): the
        target key (with ``target_key``), then the interpolated columns.
    report : InterpolationReport
        What was moved, and what could not be placed.

    Examples
    --------
    See :func:`area_interpolate`.
    """

    table: gpd.GeoDataFrame
    report: InterpolationReport

    def __repr__(self) -> str:
        cols = [c for c in self.table.columns if c != self.table.geometry.name]
        return (f"InterpolationResult(method={self.report.method}, targets={len(self.table)}, "
                f"columns={cols}, complete={self.report.complete})")


def _num(value: float, lang: str | None = None) -> str:
    decimals = 0 if abs(value) >= 100 or value == 0 else 2
    return format_number(value, decimals=decimals, lang=lang)


def interpolation_weights(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    *,
    population: gpd.GeoDataFrame | str | os.PathLike | None = None,
    population_col: str | None = None,
    band: int = 1,
    source_key: str | None = None,
    target_key: str | None = None,
) -> InterpolationWeights:
    """Compute the source -> target weights once, to reuse for many columns or years.

    Parameters
    ----------
    source, target : geopandas.GeoDataFrame
        Polygons in the same projected metric CRS.
    population : geopandas.GeoDataFrame or path, optional
        Without it, area weights; with it, population weights (see
        :func:`dasymetric_interpolate`).
    population_col : str, optional
        Column of ``population`` (a GeoDataFrame) with the number of people.
    band : int, default 1
        Band of a population raster.
    source_key, target_key : str, optional
        Key columns, for reports (e.g. ``source_key="PLR_ID"``). Default: the
        index labels.

    Returns
    -------
    InterpolationWeights
        Pass it as ``weights=`` to :func:`area_interpolate` or
        :func:`dasymetric_interpolate`.

    Raises
    ------
    CRSError
        A CRS is missing or geographic, or the two differ.
    ColumnError
        Key or population column missing, invalid polygons, negative population.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> src = gpd.GeoDataFrame({"id": ["a", "b"], "ew": [100, 50]},
    ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:25832")
    >>> tgt = gpd.GeoDataFrame({"id": ["x"]}, geometry=[box(0, 0, 2, 1)], crs="EPSG:25832")
    >>> w = interpolation_weights(src, tgt)
    >>> area_interpolate(src, tgt, extensive="ew", weights=w).table["ew"].tolist()
    [150.0]
    """
    check_frames(source, target)
    skeys, _ = keys_of(source, source_key, "source")
    tkeys, _ = keys_of(target, target_key, "target")
    if population is None:
        return area_weights(source, target, skeys, tkeys)
    return population_weights(source, target, skeys, tkeys, population, population_col, band)


def area_interpolate(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    *,
    extensive: str | Sequence[str] | None = None,
    intensive: str | Sequence[str] | Mapping[str, str | None] | None = None,
    weights: InterpolationWeights | None = None,
    source_key: str | None = None,
    target_key: str | None = None,
) -> InterpolationResult:
    """Move counts and rates from source districts to target districts by area.

    A count of a source district is split over the target districts in
    proportion to the area of the source district lying in each of them
    (``count_j = sum_i count_i * area(i & j) / area(i)``), so totals are
    kept wherever the targets cover the sources. What lies outside every
    target is reported, not spread over the rest.

    A rate with a denominator (``intensive={"rate": "denominator"}``) is the
    denominator-weighted mean of the source rates over the pieces of the
    target: ``rate_j = sum_i rate_i * d_ij / sum_i d_ij`` with ``d_ij`` the
    denominator count interpolated to the piece ``i & j``. This is the right
    average for shares and per-capita indices. A rate without a denominator
    (a list, or ``{"rate": None}``) is the area-weighted mean over the pieces
    (``sum_i rate_i * area(i & j) / sum_i area(i & j)``), as in PySAL tobler.
    Sources with an empty rate are left out of the mean of their targets.

    Parameters
    ----------
    source : geopandas.GeoDataFrame
        Districts that carry the values (polygons, projected metric CRS).
    target : geopandas.GeoDataFrame
        Districts to move the values to, in the same CRS.
    extensive : str or list of str, optional
        Count columns of ``source`` (0 or more; empty values are allowed and
        make the targets they reach empty).
    intensive : str, list of str or dict, optional
        Rate columns of ``source``; a dict maps each rate to its denominator
        count column (or None for an area-weighted mean).
    weights : InterpolationWeights, optional
        Weights from :func:`interpolation_weights` for these same two district
        systems, to skip the intersection step.
    source_key, target_key : str, optional
        Key columns (e.g. ``"PLR_ID"``). Default: the index labels. The
        target key column is copied to the result table (pass ``target_key``
        to have it there); keys name districts in the report.

    Returns
    -------
    InterpolationResult
        ``table``: one row per target district (index and geometry of
        ``target``): the target key, then the interpolated columns.
        ``report``: an :class:`InterpolationReport`.

    Raises
    ------
    CRSError
        A CRS is missing or geographic (degrees), or source and target differ.
    ColumnError
        A column is missing or not numeric, a count is negative, polygons are
        invalid, or neither ``extensive`` nor ``intensive`` is given.

    Warns
    -----
    QuartierWarning
        When counts fell outside every target, targets overlap, targets touch
        no source, or values are missing (the warning carries the report).

    See Also
    --------
    dasymetric_interpolate : the same with population weights.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> alt = gpd.GeoDataFrame(
    ...     {"plr": ["A", "B"], "ew": [1000, 3000], "quote": [0.10, 0.30]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:25833")
    >>> neu = gpd.GeoDataFrame({"plr": ["X", "Y"]},
    ...     geometry=[box(0, 0, 150, 100), box(150, 0, 200, 100)], crs="EPSG:25833")
    >>> res = area_interpolate(alt, neu, extensive="ew", intensive={"quote": "ew"},
    ...                        source_key="plr", target_key="plr")
    >>> res.table[["plr", "ew", "quote"]].round(4).values.tolist()
    [['X', 2500.0, 0.22], ['Y', 1500.0, 0.3]]
    >>> float(res.table["ew"].sum()), res.report.complete
    (4000.0, True)
    """
    return _interpolate(source, target, extensive, intensive, weights, source_key, target_key,
                        population=None, population_col=None, band=1, method="area")


def dasymetric_interpolate(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    *,
    extensive: str | Sequence[str] | None,
    intensive: str | Sequence[str] | Mapping[str, str | None] | None = None,
    population: gpd.GeoDataFrame | str | os.PathLike | None = None,
    population_col: str | None = None,
    band: int = 1,
    weights: InterpolationWeights | None = None,
    source_key: str | None = None,
    target_key: str | None = None,
) -> InterpolationResult:
    """Move counts and rates between district systems in proportion to where people live.

    Like :func:`area_interpolate`, but a count of a source district is split
    in proportion to the *population* living in each piece ``i & j`` (from
    points or grid cells, e.g. Zensus 100 m cells), not to its area:
    ``count_j = sum_i count_i * pop(i & j) / pop(i)``. A park, a lake or an
    industrial estate then gets nobody. Every point or cell counts where its
    centre lies, exactly once. A source district without any population falls
    back to area weights (reported). Rates with a denominator are weighted by
    the interpolated denominator; rates without one by the population of the
    pieces (targets without population: by area). Totals are kept wherever
    the targets cover the sources.

    Parameters
    ----------
    source, target : geopandas.GeoDataFrame
        Polygons in the same projected metric CRS.
    extensive : str or list of str or None
        Count columns of ``source``.
    intensive : str, list of str or dict, optional
        Rate columns, optionally mapped to their denominator count column.
    population : geopandas.GeoDataFrame or path
        Points (or grid-cell polygons, counted at their centre) with a
        population column, e.g. from :func:`quartier.read_points`; or the path
        of a population raster (GeoTIFF, any CRS; cells are read with
        :func:`quartier.raster_cells`). Required unless ``weights`` is given.
    population_col : str, optional
        The column of ``population`` with the number of people (GeoDataFrame).
    band : int, default 1
        Band of a population raster.
    weights : InterpolationWeights, optional
        Weights from :func:`interpolation_weights` with ``population=``.
    source_key, target_key : str, optional
        Key columns (default: the index labels).

    Returns
    -------
    InterpolationResult
        As :func:`area_interpolate`; the report lists source districts without
        population and the population outside every source district.

    Raises
    ------
    CRSError, ColumnError
        As :func:`area_interpolate`; also a missing, empty or negative
        population column.
    InputFileError
        The population raster cannot be read.

    Warns
    -----
    QuartierWarning
        As :func:`area_interpolate`, and when sources had no population.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> alt = gpd.GeoDataFrame({"plr": ["A"], "ew": [900]},
    ...                        geometry=[box(0, 0, 200, 100)], crs="EPSG:25833")
    >>> neu = gpd.GeoDataFrame({"plr": ["X", "Y"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:25833")
    >>> cells = gpd.GeoDataFrame({"people": [20, 10]},
    ...     geometry=[Point(50, 50), Point(150, 50)], crs="EPSG:25833")
    >>> res = dasymetric_interpolate(alt, neu, extensive="ew", population=cells,
    ...                              population_col="people")
    >>> res.table["ew"].tolist()
    [600.0, 300.0]
    """
    if population is None and weights is None:
        raise ParameterError(
            "dasymetric_interpolate needs population=: points or grid cells with a population "
            "column (and population_col=...), or the path of a population raster. "
            "For plain area weights use area_interpolate."
        )
    return _interpolate(source, target, extensive, intensive, weights, source_key, target_key,
                        population=population, population_col=population_col, band=band,
                        method="population")


def _interpolate(source, target, extensive, intensive, weights, source_key, target_key, *,
                 population, population_col, band, method):
    check_frames(source, target)
    skeys, _ = keys_of(source, source_key, "source")
    tkeys, tkey_col = keys_of(target, target_key, "target")
    ext = _as_list(extensive, "extensive")
    inten = _as_mapping(intensive)
    if not ext and not inten:
        raise ParameterError(
            "nothing to interpolate: name the count columns with extensive=[...] and/or the "
            "rate columns with intensive=[...] or intensive={'rate': 'denominator'}."
        )
    out_cols = ext + list(inten)
    dup = sorted({c for c in out_cols if out_cols.count(c) > 1})
    if dup:
        raise ColumnError(f"column(s) {format_list(dup)} are named more than once in "
                          "extensive= and intensive=; name each column once.")
    if tkey_col is not None and tkey_col in out_cols:
        raise ColumnError(f"'{tkey_col}' is the target key column and cannot be interpolated; "
                          "rename the source column first.")
    values = {c: numeric_column(source, c, what="source", role="count column", keys=skeys,
                                counts=True) for c in ext}
    for rate, den in inten.items():
        values[rate] = numeric_column(source, rate, what="source", role="rate column",
                                      keys=skeys, counts=False)
        if den is not None and den not in values:
            values[den] = numeric_column(source, den, what="source", role="denominator column",
                                         keys=skeys, counts=True)

    if weights is None:
        if method == "area":
            weights = area_weights(source, target, skeys, tkeys)
        else:
            weights = population_weights(source, target, skeys, tkeys, population,
                                         population_col, band)
    else:
        _check_weights(weights, skeys, tkeys, method)

    shares_t = weights.shares.T.tocsr()
    result = pd.DataFrame(index=target.index)
    if tkey_col is not None:
        result[tkey_col] = target[tkey_col].to_numpy()
    for col in ext:
        result[col] = shares_t @ values[col]
    no_value = {}
    for rate, den in inten.items():
        r = values[rate]
        if den is None:
            ok = ~np.isnan(r)
            num = weights.mass.T @ np.where(ok, r, 0.0)
            tot = weights.mass.T @ ok.astype(float)
        else:
            d = values[den]
            ok = ~np.isnan(r) & ~np.isnan(d)
            num = shares_t @ np.where(ok, r * d, 0.0)
            tot = shares_t @ np.where(ok, d, 0.0)
        est = np.divide(num, tot, out=np.full(len(tot), np.nan), where=tot > 0)
        result[rate] = est
        no_value[rate] = [tkeys[j] for j in np.flatnonzero(np.isnan(est))]

    report = _report(weights, values, ext, inten, result, skeys, tkeys, method, no_value)
    out = gpd.GeoDataFrame(result, geometry=target.geometry.to_numpy(), crs=target.crs)
    out = out.rename_geometry(target.geometry.name) if target.geometry.name != "geometry" else out
    if not report.complete:
        warnings.warn(report.text(lang="en"), QuartierWarning, stacklevel=3)
    return InterpolationResult(out, report)


def _report(weights, values, ext, inten, result, skeys, tkeys, method, no_value):
    covered = np.asarray(weights.shares.sum(axis=1)).ravel()
    share_out = 1.0 - covered
    rows = {}
    shares_t = weights.shares.T.tocsr()
    for col in ext:
        v = values[col]
        outside = v * share_out
        src_total = float(np.nansum(v))
        out_total = float(np.nansum(outside))
        est = result[col].to_numpy()
        # known counts that went to targets left empty by a missing source value
        known = shares_t @ np.nan_to_num(v)
        rows[col] = {
            "source": src_total,
            "target": float(np.nansum(est)),
            "outside": out_total,
            "outside_share": out_total / src_total if src_total else 0.0,
            "in_empty_targets": float(known[np.isnan(est)].sum()),
        }
    totals = pd.DataFrame.from_dict(
        rows, orient="index",
        columns=["source", "target", "outside", "outside_share", "in_empty_targets"],
    )
    lost = share_out > _TOL
    outside = pd.DataFrame({"share": share_out[lost]}, index=pd.Index(
        [skeys[i] for i in np.flatnonzero(lost)], name="source"))
    for col in ext:
        outside[col] = values[col][lost] * share_out[lost]
    overlapping = [skeys[i] for i in np.flatnonzero(share_out < -_TOL)]
    reached = np.asarray(weights.mass.sum(axis=0)).ravel() > 0
    missing = {c: [skeys[i] for i in np.flatnonzero(np.isnan(values[c]))]
               for c in ext + list(inten)}
    return InterpolationReport(
        method=method, totals=totals, outside=outside, overlapping=overlapping,
        targets_without_source=[tkeys[j] for j in np.flatnonzero(~reached)],
        missing_values={c: k for c, k in missing.items() if k},
        no_value={c: k for c, k in no_value.items() if k},
        zero_population=list(weights.zero_population),
        population_outside=weights.population_outside,
    )


def _check_weights(weights, skeys, tkeys, method):
    if not isinstance(weights, InterpolationWeights):
        raise ParameterTypeError("weights= must come from quartier.interpolation_weights(...).")
    if weights.method != method:
        fix = ("pass population= to interpolation_weights" if method == "population"
               else "use dasymetric_interpolate for population weights")
        raise ParameterError(f"weights= holds {weights.method} weights, but {method} weights are "
                          f"needed here: {fix}.")
    if list(weights.source_keys) != list(skeys) or list(weights.target_keys) != list(tkeys):
        raise ParameterError(
            "weights= were computed for other districts (keys or order differ). Compute them "
            "again with interpolation_weights(source, target, ...) for these two frames."
        )
