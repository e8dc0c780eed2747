"""Gaps: districts and cells below a coverage or supply threshold, largest first.

The tables are GeoDataFrames ready for a map (:func:`quartier.choropleth`) or
a file (:func:`quartier.export_layers`; call
:func:`quartier.reporting.disclosure_control.apply_disclosure` before writing). Key columns stay
as they are; the result columns can get German (or English) labels.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier.access.covering import CoverageResult
from quartier.access.provision import SupplyResult
from quartier.errors import ColumnError, ParameterError
from quartier.settings import resolve_language

__all__ = ["coverage_gaps", "supply_gaps", "label_columns", "LABELS"]

#: Column labels for reports and maps, by language. Keys and other columns keep their names.
LABELS = {
    "de": {
        "population": "Zielgruppe (Personen)",
        "covered_population": "versorgt (Personen)",
        "uncovered_population": "nicht versorgt (Personen)",
        "share_covered": "Anteil versorgt",
        "cost": "Entfernung zur nächsten Einrichtung",
        "cost_mean": "mittlere Entfernung",
        "nearest": "nächste Einrichtung",
        "covered": "versorgt",
        "facilities": "Einrichtungen",
        "places": "Plätze",
        "places_per_1000": "Plätze je 1.000",
        "places_in_reach": "Plätze in Reichweite",
        "places_in_reach_per_1000": "Plätze in Reichweite je 1.000",
        "places_reachable_mean": "erreichbare Plätze (Mittel)",
        "norm_per_1000": "Richtwert je 1.000",
        "required_places": "Bedarf (Plätze)",
        "balance": "Saldo (Plätze)",
        "deficit": "Fehlbedarf (Plätze)",
        "balance_in_reach": "Saldo in Reichweite (Plätze)",
        "deficit_in_reach": "Fehlbedarf in Reichweite (Plätze)",
        "gap": "Lücke",
        "rank": "Rang",
        "service": "Angebot",
        "target_group": "Zielgruppe",
        "district": "Gebiet",
    },
    "en": {
        "population": "target group (people)",
        "covered_population": "covered (people)",
        "uncovered_population": "not covered (people)",
        "share_covered": "share covered",
        "places_per_1000": "places per 1,000",
        "places_in_reach_per_1000": "places in reach per 1,000",
        "norm_per_1000": "norm per 1,000",
        "required_places": "required places",
        "deficit": "deficit (places)",
        "deficit_in_reach": "deficit in reach (places)",
    },
}


def label_columns(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Rename quartier's result columns to readable labels; keys and other columns stay.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
    lang : {"de", "en"}, optional
        Language of the labels; default from :func:`quartier.set_language` (German).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A renamed copy.

    Raises
    ------
    quartier.errors.ParameterError
        Unknown language (a ``ValueError`` too).

    Examples
    --------
    >>> import pandas as pd
    >>> label_columns(pd.DataFrame({"PLR_ID": ["01"], "deficit": [3.0]})).columns.tolist()
    ['PLR_ID', 'Fehlbedarf (Plätze)']
    """
    return frame.rename(columns=LABELS[resolve_language(lang)])


def coverage_gaps(
    result: CoverageResult,
    *,
    min_share: float = 1.0,
    level: str = "districts",
    min_population: float = 0.0,
    lang: str | None = None,
) -> gpd.GeoDataFrame:
    """Districts (or units, or samples) where less than ``min_share`` is covered, largest gap first.

    Parameters
    ----------
    result : CoverageResult
        From :func:`quartier.coverage`.
    min_share : float, default 1.0
        The target share covered (e.g. 0.8): rows below it are gaps.
    level : {"districts", "units", "samples"}, default "districts"
        "districts" needs ``by`` in :func:`quartier.coverage`; "units" are the
        demand rows (points, cells or districts); "samples" the sample points
        of district demand.
    min_population : float, default 0
        Only rows with more people of the target group than this.
    lang : {None, "de", "en"}
        Rename the result columns to display labels in this language (see
        :func:`label_columns`); None keeps the column names.

    Returns
    -------
    geopandas.GeoDataFrame
        The gap rows with ``gap`` (people not covered), sorted by it (largest
        first) and numbered in ``rank`` (1 = largest gap).

    Raises
    ------
    ValueError
        Unknown level, or "districts" without districts.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> import quartier
    >>> homes = gpd.GeoDataFrame({"ew": [10, 20, 30]},
    ...     geometry=[Point(0, 0), Point(400, 0), Point(900, 0)], crs="EPSG:25832")
    >>> treff = gpd.GeoDataFrame(geometry=[Point(100, 0)], crs="EPSG:25832")
    >>> res = quartier.coverage(homes, treff, max_cost=500, demand_col="ew")
    >>> coverage_gaps(res, level="units")[["ew", "gap", "rank"]]
       ew   gap  rank
    2  30  30.0     1
    """
    if level == "districts":
        if result.districts is None:
            raise ParameterError("the coverage has no districts: run "
                                 "quartier.coverage(..., by=...) "
                             "or use level='units'.")
        frame = result.districts.copy()
        frame["gap"] = frame["uncovered_population"]
        share = frame["share_covered"]
        pop = frame["population"]
    elif level == "units":
        frame = result.units.copy()
        frame["gap"] = frame["population"] - frame["covered_population"]
        share, pop = frame["share_covered"], frame["population"]
    elif level == "samples":
        if result.samples is None:
            raise ParameterError("only district demand has samples; use level='units'.")
        frame = result.samples.copy()
        frame["gap"] = np.where(frame["covered"], 0.0, frame["population"])
        share = frame["covered"].astype(float)
        pop = frame["population"]
    else:
        raise ParameterError(f"level must be 'districts', 'units' or 'samples', not {level!r}.")
    keep = (share < min_share) & (pop > min_population) & (frame["gap"] > 0)
    return _ranked(frame[keep.to_numpy()], "gap", lang)


def supply_gaps(
    result: SupplyResult | gpd.GeoDataFrame,
    *,
    view: str = "located",
    min_per_1000: float | None = None,
    lang: str | None = None,
) -> gpd.GeoDataFrame:
    """Districts below the Richtwert (or below ``min_per_1000``), largest deficit first.

    Parameters
    ----------
    result : SupplyResult or geopandas.GeoDataFrame
        From :func:`quartier.supply` (the result, or its ``table``).
    view : {"located", "in_reach"}, default "located"
        Places located in the district, or places within reach (needs
        ``max_cost`` in :func:`quartier.supply`).
    min_per_1000 : float, optional
        Threshold in places per 1,000; default the Richtwert given to
        :func:`quartier.supply` (``norm_per_1000``).
    lang : {None, "de", "en"}
        Rename the result columns to display labels in this language (see
        :func:`label_columns`); None keeps the column names.

    Returns
    -------
    geopandas.GeoDataFrame
        The districts below the threshold with ``gap`` (places missing to
        reach it), sorted by ``gap`` and numbered in ``rank``.

    Raises
    ------
    ColumnError
        The view's columns are missing, or no threshold is known.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> from quartier.access.provision import supply
    >>> d = gpd.GeoDataFrame({"id": ["W", "O"], "u6": [100, 300]},
    ...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:25833")
    >>> kita = gpd.GeoDataFrame({"places": [50]}, geometry=[Point(900, 500)], crs="EPSG:25833")
    >>> s = supply(d, kita, demand_col="u6", capacity="places", by_key="id", norm_per_1000=350)
    >>> supply_gaps(s)[["id", "places_per_1000", "gap", "rank"]]
      id  places_per_1000    gap  rank
    1  O              0.0  105.0     1
    """
    frame = result.table if isinstance(result, SupplyResult) else result
    col = {"located": "places", "in_reach": "places_in_reach"}.get(view)
    if col is None:
        raise ParameterError(f"view must be 'located' or 'in_reach', not {view!r}.")
    if col not in frame:
        raise ColumnError(
            f"the supply table has no '{col}' column: "
            + ("pass max_cost= to quartier.supply for the view within reach."
               if view == "in_reach" else "it does not come from quartier.supply(..., by=...).")
        )
    norm = min_per_1000
    if norm is None:
        if "norm_per_1000" not in frame:
            raise ColumnError("no threshold: pass min_per_1000= or give norm_per_1000= to "
                              "quartier.supply.")
        norm = float(frame["norm_per_1000"].iloc[0]) if len(frame) else 0.0
    out = frame.copy()
    out["gap"] = out["population"] * norm / 1000 - out[col]
    keep = (out["gap"] > 1e-9) & (out["population"] > 0)
    return _ranked(out[keep.to_numpy()], "gap", lang)


def _ranked(frame, column, lang):
    frame = frame.sort_values(column, ascending=False, kind="stable")
    frame["rank"] = np.arange(1, len(frame) + 1)
    return label_columns(frame, lang) if lang else frame
