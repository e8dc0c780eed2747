"""Statements on development plans (Stellungnahme zum Bebauungsplan): the demand a plan adds.

From the plan area, the number of housing units, persons per unit and an age
profile of the new residents, :func:`development_statement` computes the
added demand per target group, the facilities within reach of the plan area,
their load before and after the residents move in, and a verdict per service.
:func:`write_statement` writes the statement package: a print map (PNG, PDF),
a table (CSV) and a short HTML page, in German by default.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from quartier._checks import positive_number, require_column
from quartier._optional import import_optional
from quartier.errors import ColumnError, QuartierError
from quartier.io.crs import require_metric, require_same_crs
from quartier.output.files import write_text_atomic
from quartier.output.spreadsheet import output_rules, write_table
from quartier.planning._allocation import check_allocation
from quartier.planning._statement_compute import assess, empty_reach, measure, unit_of
from quartier.planning._statement_text import ALLOCATION_NAME, VERDICT_EN
from quartier.reporting.disclosure_control import DisclosureRules, apply_disclosure
from quartier.settings import resolve_language

__all__ = [
    "NEW_HOUSING_AGE_PROFILE",
    "ServiceCheck",
    "Statement",
    "plan_residents",
    "development_statement",
    "write_statement",
]

#: Default age profile of the residents of new housing (shares of all residents). New
#: developments draw young families, so children are over-represented compared with the city.
#: This is an assumption for a first estimate: replace it with your city's own figures
#: (e.g. from the residents of recent developments).
NEW_HOUSING_AGE_PROFILE = {
    "unter_6": 0.09,
    "6_bis_17": 0.14,
    "18_bis_64": 0.63,
    "65_bis_79": 0.10,
    "80_und_aelter": 0.04,
}


@dataclass
class ServiceCheck:
    """One service to check in a statement.

    Parameters
    ----------
    name : str
        Name of the service, as it should appear (e.g. "Kitas").
    facilities : geopandas.GeoDataFrame
        The facilities (points) of this service.
    target_group : list of str
        Age groups (columns of the population and keys of the age profile)
        that make up the target group.
    max_cost : float
        Reach: metres in a straight line, or along the streets in the
        network's unit (metres or minutes).
    capacity : str, optional
        Column of ``facilities`` with the places.
    norm_per_1000 : float, optional
        Places needed per 1,000 people of the target group (Richtwert).
    target_label : str, optional
        Name of the target group for the text (e.g. "Kinder unter 6 Jahren").
    name_column : str, optional
        Column of ``facilities`` with their names, for the map and the text;
        default ``"name"`` if there is one, else the index labels.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> kitas = gpd.GeoDataFrame({"plaetze": [80]}, geometry=[Point(0, 0)], crs=25832)
    >>> ServiceCheck("Kitas", kitas, ["unter_6"], 500, capacity="plaetze").name
    'Kitas'
    """

    name: str
    facilities: gpd.GeoDataFrame
    target_group: list[str]
    max_cost: float
    capacity: str | None = None
    norm_per_1000: float | None = None
    target_label: str | None = None
    name_column: str | None = None


@dataclass(frozen=True)
class Statement:
    """What a development plan adds, per service.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per service. The development's own figures: ``new_target_group``
        (new residents of the target group) and ``own_need`` (places they need
        by the norm). The area's figures: ``target_group_near_site`` (people of
        the target group within reach of the site, counted even when no facility
        is), ``facilities_in_reach`` and ``places`` (in reach of the site),
        ``target_group_today`` (the demand set against those facilities, shared
        by ``allocation``), ``required_places_before``/``_after`` (by the norm),
        ``existing_deficit`` (places missing today), ``load_before``/``_after``
        (demand per place: places needed by the norm over places, 1 is full),
        ``added_load`` (what the development adds to it), ``development_share``
        (share of the need after occupancy that is the development's own),
        ``additional_places`` (places missing after occupancy); without a
        facility in reach ``nearest_facility`` and ``nearest_cost``
        (``nearest_measure``: ``"straight"`` when no facility was reachable
        along the streets); ``service``, ``target_group``, ``max_cost``,
        ``unit``, ``norm_per_1000``, ``allocation`` and ``verdict`` (German
        text, see :func:`development_statement`).
    facilities : geopandas.GeoDataFrame
        The facilities near the plan area (within three times the reach), with
        ``service``, ``label`` (name), ``places``, ``cost`` (from the plan area,
        NaN beyond the largest radius of the sensitivity table), ``in_reach``
        and, for those in reach,
        ``allocated_before``/``_after`` (demand allocated to each) and
        ``load_before``/``_after``.
    plan_area : geopandas.GeoDataFrame
    residents : pandas.Series
        New residents per age group.
    params : dict
        Housing units, persons per unit, age profile, reach, measure (straight
        line or along the streets, with the profile) and allocation used.
    sensitivity : pandas.DataFrame
        Per service, radius and allocation rule: ``facilities_in_reach``,
        ``places``, ``target_group_today``, ``load_before``, ``load_after`` and
        ``verdict``.
    reach : geopandas.GeoDataFrame
        Per service the area within reach of the plan area: a circle in a
        straight line, the service area along the streets with a network.
    """

    table: pd.DataFrame
    facilities: gpd.GeoDataFrame
    plan_area: gpd.GeoDataFrame
    residents: pd.Series
    params: dict = field(default_factory=dict)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    reach: gpd.GeoDataFrame | None = None


def plan_residents(
    housing_units: int, persons_per_unit: float = 2.0, age_profile: dict | None = None
) -> pd.Series:
    """New residents per age group: units x persons per unit x age shares.

    Parameters
    ----------
    housing_units : int
        Number of dwellings (Wohneinheiten).
    persons_per_unit : float, default 2.0
        Average household size in the new dwellings.
    age_profile : dict, optional
        Share of each age group among the new residents (must sum to 1);
        default :data:`NEW_HOUSING_AGE_PROFILE`.

    Returns
    -------
    pandas.Series
        Residents per age group (not rounded: these are expected values).

    Raises
    ------
    QuartierError
        Negative numbers or shares that do not sum to 1.

    Examples
    --------
    >>> float(plan_residents(450, 2.0)["unter_6"])
    81.0
    """
    if housing_units < 0 or persons_per_unit <= 0:
        raise QuartierError(
            f"housing_units must be 0 or more and persons_per_unit above 0, not "
            f"{housing_units!r} and {persons_per_unit!r}."
        )
    profile = pd.Series(age_profile or NEW_HOUSING_AGE_PROFILE, dtype=float)
    if (profile < 0).any() or not math.isclose(profile.sum(), 1.0, abs_tol=1e-6):
        raise QuartierError(
            f"the age profile's shares must be 0 or more and sum to 1; they sum to "
            f"{profile.sum():.4f}. Give shares of all new residents per age group."
        )
    return profile * housing_units * persons_per_unit


def development_statement(
    plan_area: gpd.GeoDataFrame,
    *,
    housing_units: int,
    services: list[ServiceCheck],
    population: gpd.GeoDataFrame | None = None,
    persons_per_unit: float = 2.0,
    age_profile: dict | None = None,
    network: object = None,
    allocation: str = "capacity",
    radii: Sequence[float] | None = None,
) -> Statement:
    """The added demand of a development plan and its effect on the services in reach.

    For each service: the new residents of the target group and the places
    they need by the norm (the development's own need); the facilities
    within ``max_cost`` of the plan area (measured from a point inside the
    area); the demand of today's population set against those facilities,
    each person counted once; the demand per place before and after the new
    residents arrive; and a verdict:

    - ``"keine Einrichtung erreichbar"``: no facility in reach; the people of
      the target group around the site and the newcomers need new places (the
      nearest facility is named).
    - ``"ausreichend"``: places cover the need after the residents arrive.
    - ``"durch das Vorhaben überlastet"``: enough today, not after.
    - ``"bereits heute überlastet"``: not enough today already.
    - ``"kein Richtwert"``: no norm given; demand and facilities only.

    **Allocation.** People often have several facilities in reach, also
    facilities out of reach of the site. With ``allocation="capacity"`` the
    demand of each population unit is shared among all facilities in its
    reach in proportion to their places (a capacity-weighted choice, as in
    the 3SFCA family), so the demand over all facilities adds up to the
    demand in reach of any; the facilities in reach of the site carry their
    share. The new residents are shared among the facilities in reach of the
    site the same way. ``"equal"`` shares in equal parts; ``"everyone"``
    sets all people in reach of any of the site's facilities against those
    facilities alone (it overstates the load where catchments overlap; for
    comparison). See the guide "Needs plan", worked example.

    Parameters
    ----------
    plan_area : geopandas.GeoDataFrame
        The plan area (one or more polygons, taken together).
    housing_units : int
        Dwellings planned.
    services : list of ServiceCheck
    population : geopandas.GeoDataFrame, optional
        Today's population as points (e.g. grid cells) with one column per
        age group; needed for the load before and after.
    persons_per_unit : float, default 2.0
    age_profile : dict, optional
        Shares of the new residents per age group; default
        :data:`NEW_HOUSING_AGE_PROFILE`.
    network : None or StreetNetwork
        Straight line (None) or along the streets (reach then in the
        network's unit; the reach drawn is the service area along the streets).
    allocation : {"capacity", "equal", "everyone"}, default "capacity"
        How demand in reach of several facilities is shared (see above).
    radii : list of float, optional
        Reach values of the sensitivity table (:attr:`Statement.sensitivity`);
        default 0.6, 1 and 1.5 times each service's ``max_cost`` (300, 500
        and 750 m for 500 m).

    Returns
    -------
    Statement

    Raises
    ------
    CRSError, ColumnError, QuartierError
    ParameterError
        An unknown ``allocation`` or a radius of 0 or below.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> plan = gpd.GeoDataFrame(geometry=[box(0, 0, 200, 200)], crs=25832)
    >>> kitas = gpd.GeoDataFrame({"plaetze": [60]}, geometry=[Point(400, 100)], crs=25832)
    >>> people = gpd.GeoDataFrame({"unter_6": [50]}, geometry=[Point(500, 100)], crs=25832)
    >>> s = development_statement(plan, housing_units=100, population=people,
    ...     services=[ServiceCheck("Kitas", kitas, ["unter_6"], 500, "plaetze", 700)])
    >>> row = s.table.iloc[0]
    >>> float(row["new_target_group"]), float(row["own_need"]), row["verdict"]
    (18.0, 12.6, 'ausreichend')
    >>> float(row["required_places_after"]), round(float(row["load_after"]), 2)
    (47.6, 0.79)
    """
    require_metric(plan_area.crs, what="the plan area")
    if len(plan_area) == 0:
        raise QuartierError("the plan area is empty: give its polygon(s).")
    check_allocation(allocation)
    residents = plan_residents(housing_units, persons_per_unit, age_profile)
    point = gpd.GeoDataFrame(
        geometry=[plan_area.union_all().representative_point()], crs=plan_area.crs, index=["plan"]
    )
    rows, reached, sensitivity, reach = [], [], [], []
    for service in services:
        _check_service(service, plan_area, population, residents)
        positive_number(service.max_cost, f"max_cost of '{service.name}'")
        radii_used = ([float(positive_number(r, "radii")) for r in radii] if radii is not None
                      else [round(f * float(service.max_cost), 6) for f in (0.6, 1.0, 1.5)])
        new = float(residents[service.target_group].sum())
        row, fac, sens, area = assess(service, point, population, new, network, allocation,
                                      radii_used)
        rows.append(row)
        reached.append(fac)
        sensitivity.extend(sens)
        reach.append({"service": service.name, "max_cost": float(service.max_cost),
                      "geometry": area})
    facilities = (
        gpd.GeoDataFrame(pd.concat(reached), crs=plan_area.crs) if reached
        else gpd.GeoDataFrame(geometry=[], crs=plan_area.crs)
    )
    params = {
        "housing_units": housing_units,
        "persons_per_unit": persons_per_unit,
        "age_profile": dict(age_profile or NEW_HOUSING_AGE_PROFILE),
        "residents": float(residents.sum()),
        "allocation": allocation,
        "network": network is not None,
        "unit": unit_of(network),
        "measure": {lang: measure(network, lang) for lang in ("de", "en")},
        "profile": None if network is None else network.profile.name,
    }
    reach_frame = (gpd.GeoDataFrame(reach, geometry="geometry", crs=plan_area.crs) if reach
                   else empty_reach(plan_area.crs))
    table = pd.DataFrame(rows)
    table["measure"] = params["measure"]["de"]
    table = table[[c for c in COLUMNS if c in table.columns]]
    return Statement(table, facilities, plan_area, residents, params,
                     pd.DataFrame(sensitivity), reach_frame)


def _check_service(service, plan_area, population, residents):
    require_same_crs(service.facilities, plan_area, what=f"the facilities of '{service.name}'",
                     reference_what="the plan area", fix="facilities.to_crs(plan_area.crs)")
    missing = [g for g in service.target_group if g not in residents.index]
    if missing:
        raise ColumnError(
            f"target group of '{service.name}' names age group(s) {missing} that the age "
            f"profile does not have. Age groups are: {list(residents.index)}."
        )
    if service.capacity is not None:
        require_column(service.facilities, service.capacity, source=f"facilities of '{service.name}'",
                       role="capacity column")
        if service.facilities[service.capacity].isna().any():
            bad = service.facilities.index[service.facilities[service.capacity].isna()][0]
            raise ColumnError(
                f"the capacity column '{service.capacity}' of the facilities of "
                f"'{service.name}' is missing for row {bad!r}: give the places of every "
                "facility (0 if it has none)."
            )
    if population is not None:
        for group in service.target_group:
            require_column(population, group, source="the population", role="age group column")
            if population[group].isna().any():
                bad = population.index[population[group].isna()][0]
                raise ColumnError(
                    f"the population's age group column '{group}' is missing for row {bad!r}: "
                    "give a number for every unit (0 where nobody lives)."
                )


#: Order of the columns of :attr:`Statement.table` (those present).
COLUMNS = (
    "service", "target_group", "measure", "max_cost", "unit", "allocation", "new_target_group",
    "norm_per_1000", "own_need", "target_group_near_site", "facilities_in_reach", "places",
    "target_group_today", "required_places_before", "existing_deficit", "required_places_after",
    "load_before", "load_after", "added_load", "development_share", "additional_places",
    "nearest_facility", "nearest_cost", "nearest_measure", "verdict",
)

#: German headers of the statement table in the CSV written by :func:`write_statement`.
CSV_LABELS_DE = {
    "service": "leistung",
    "target_group": "zielgruppe",
    "measure": "messung",
    "max_cost": "reichweite",
    "unit": "einheit",
    "allocation": "zurechnung",
    "new_target_group": "neue_zielgruppe",
    "norm_per_1000": "richtwert_je_1000",
    "own_need": "eigenbedarf_plaetze",
    "target_group_near_site": "zielgruppe_im_umkreis",
    "facilities_in_reach": "einrichtungen_erreichbar",
    "places": "plaetze",
    "target_group_today": "zielgruppe_zugerechnet",
    "required_places_before": "plaetze_benoetigt_vorher",
    "existing_deficit": "fehlbedarf_heute",
    "required_places_after": "plaetze_benoetigt_nachher",
    "load_before": "nachfrage_je_platz_vorher",
    "load_after": "nachfrage_je_platz_nachher",
    "added_load": "nachfrage_je_platz_zuwachs",
    "development_share": "anteil_vorhaben_am_bedarf",
    "additional_places": "fehlbedarf_nachher",
    "nearest_facility": "naechste_einrichtung",
    "nearest_cost": "entfernung_naechste",
    "nearest_measure": "entfernung_gemessen",
    "verdict": "bewertung",
}

#: How :func:`write_statement` writes each column of the table (see :func:`quartier.write_table`):
#: people and places as whole numbers, places needed with one decimal, demand per place with two.
_CSV_KINDS = {
    "service": "text", "target_group": "text", "measure": "text", "unit": "text",
    "allocation": "text", "max_cost": "count", "new_target_group": "rate",
    "norm_per_1000": "rate", "own_need": "rate", "target_group_near_site": "count",
    "facilities_in_reach": "count", "places": "count", "target_group_today": "count",
    "required_places_before": "rate", "existing_deficit": "rate",
    "required_places_after": "rate", "load_before": "number", "load_after": "number",
    "added_load": "number", "development_share": "share", "additional_places": "count",
    "nearest_facility": "text", "nearest_cost": "count", "nearest_measure": "text",
    "verdict": "text",
}

#: Columns computed from the people counts: suppressed with them (disclosure control).
_FROM_PEOPLE = ("required_places_before", "required_places_after", "existing_deficit",
                "load_before", "load_after", "added_load", "development_share",
                "additional_places")
_PEOPLE = ("target_group_today", "target_group_near_site")


def protect(frame: pd.DataFrame, rules, people=_PEOPLE, derived=_FROM_PEOPLE):
    """``frame`` after disclosure control with the rules in force (or ``rules``), and the mask
    of suppressed cells. The people counts are protected, and every figure computed from them
    goes with them. No secondary suppression across rows: the rows (services, facilities,
    radii) are not parts of a published total."""
    base = output_rules(rules)
    if base is None:
        return frame, pd.DataFrame(False, index=frame.index, columns=frame.columns)
    counts = tuple(dict.fromkeys((*base.count_columns, *[c for c in people if c in frame])))
    links = tuple((d, c, c) for c in people if c in frame for d in derived if d in frame)
    mine = DisclosureRules(base.min_count, base.round_to, False,
                           tuple(c for c in counts if c in frame),
                           tuple(r for r in (*base.rate_columns, *links) if r[0] in frame),
                           ())
    result = apply_disclosure(frame, rules=mine)
    return result.table, result.suppressed


def write_statement(
    statement: Statement,
    folder: str | os.PathLike,
    *,
    title: str,
    source: str,
    districts: gpd.GeoDataFrame,
    column: str,
    legend_title: str | None = None,
    licence: str | None = None,
    lang: str | None = None,
    paper: str = "A4",
    rules: DisclosureRules | Literal[False] | None = None,
    data: Mapping[str, str] | None = None,
    date=None,
    dpi: int = 200,
) -> list[Path]:
    """Write the statement package: map sheet (PNG, PDF), table (CSV), HTML page.

    Parameters
    ----------
    statement : Statement
        From :func:`development_statement`.
    folder : path
        Where the files go (created if missing).
    title : str
        Title of the statement, e.g. "Stellungnahme zum Bebauungsplan Nr. 123".
    source : str
        Data sources, printed on the map and the page.
    districts : geopandas.GeoDataFrame
        Districts drawn as background of the map, classified by ``column``.
    column : str
        Indicator of ``districts`` for the background (e.g. share of people 65+).
    legend_title : str, optional
        Legend title for ``column``.
    licence : str, optional
        Licence of the data, printed with the source.
    lang : {"de", "en"}, optional
        Language; default from :func:`quartier.set_language` (German).
    paper : {"A4", "A3"}, default "A4"
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.
    data : dict, optional
        The data used and their dates, ``{what: "source, date"}`` (e.g.
        ``{"Kitas": "Kitaliste SenBJF, Juli 2026"}``), listed with the
        assumptions on the map sheet and the page.
    date : datetime.date or str, optional
        Date of the statement ("Stand"); default today.
    dpi : int, default 200
        Resolution of the PNG.

    Returns
    -------
    list of pathlib.Path
        ``stellungnahme_karte.png``, ``stellungnahme_karte.pdf``,
        ``stellungnahme_tabelle.csv`` and ``stellungnahme.html``.

    Notes
    -----
    The map sheet shows the plan area, the reach of each service around it
    (dashed: a circle in a straight line, the service area along the streets
    with a network; the legend says "Luftlinie" or "Fußweg"), the facilities
    in reach labelled with name and places, those near but out of reach in
    grey, and beside the legend the results in short and the assumptions (age
    profile, persons per unit, norms, reach and how it is measured, the
    allocation rule, the data and their dates). The page says the same in
    full, with a table of the facilities in reach and the sensitivity table
    (:attr:`Statement.sensitivity`). The CSV is written by
    :func:`quartier.write_table`: for German spreadsheets (``;``, decimal
    comma, UTF-8 with BOM) with the headers of :data:`CSV_LABELS_DE`, with
    ``lang="en"`` for English ones (``,``, decimal point) with the table's
    column names; people and places as whole numbers, places needed with one
    decimal, demand per place with two; no cell is ever a formula. Every
    file is written safely (a temporary file renamed into place).
    Disclosure control applies to the page, the table and the map: counts of
    people under the rules' minimum are suppressed ("gesperrt") with every
    figure computed from them. The map needs matplotlib (``pip install
    "quartier[print]"``); without it a
    :class:`~quartier.errors.MissingDependencyError` is raised before
    anything is written.

    Examples
    --------
    See the user guide, "Statement on a development plan".
    """
    # the map is drawn with matplotlib (the "print" extra): fail before anything is written
    import_optional("matplotlib", purpose="write_statement (its print map)")
    from quartier.planning._statement_html import page
    from quartier.planning._statement_map import draw

    lang = resolve_language(lang)
    de = lang == "de"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = statement.table.copy()
    if not de and "measure" in table:
        table["measure"] = statement.params["measure"]["en"]
    if "allocation" in table:
        table["allocation"] = table["allocation"].map(ALLOCATION_NAME[lang])
    if not de:
        table["verdict"] = table["verdict"].map(lambda v: VERDICT_EN.get(v, v))
    table, hidden = protect(table, rules)
    fac = statement.facilities.reset_index(drop=True)
    fac_cols = ["allocated_before", "allocated_after", "load_before", "load_after"]
    fac_table, fac_hidden = protect(pd.DataFrame(fac[[c for c in fac_cols if c in fac]]), rules,
                                    ("allocated_before", "allocated_after"),
                                    ("load_before", "load_after"))
    fac = fac.assign(**{c: fac_table[c] for c in fac_table.columns})
    sens, sens_hidden = protect(statement.sensitivity, rules, ("target_group_today",),
                                ("load_before", "load_after"))
    png, pdf = folder / "stellungnahme_karte.png", folder / "stellungnahme_karte.pdf"
    draw(statement, table, [png, pdf], title=title, source=source, licence=licence,
         districts=districts, column=column, legend_title=legend_title, lang=lang, paper=paper,
         rules=rules, data=data, date=date, dpi=dpi)
    csv = folder / "stellungnahme_tabelle.csv"
    labels = CSV_LABELS_DE if de else {c: str(c) for c in table.columns}
    # the table is protected already (above); rules without a minimum leave it as it is
    # (write_table turns rules=False into the rules in force)
    write_table(table, csv, lang=lang, kinds=_CSV_KINDS, labels=labels, rules=DisclosureRules())
    html_path = folder / "stellungnahme.html"
    write_text_atomic(html_path, page(
        statement, (table, hidden, fac, fac_hidden.reindex(columns=fac.columns, fill_value=False),
                    sens, sens_hidden), title=title, source=source, map_file=png.name,
        lang=lang, data=data, date=date))
    return [png, pdf, csv, html_path]
