"""District profiles (Stadtteilprofile): the pages of a social report, generated.

One page per district with its indicators next to the city and the Bezirk, its rank, its
change since the previous year, a locator map and charts; as one self-contained offline HTML
report (with an overview map, a sortable table and a search box), a PDF with one A4 page per
district, and a table (CSV/XLSX). Every figure is computed from counts after disclosure
control (see :mod:`quartier.output._profile_data`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from quartier._report import Report, Result
from quartier.errors import ColumnError, ParameterError, format_list
from quartier.io.crs import to_planning_crs
from quartier.io.joins import join_indicators
from quartier.io.keys import normalize_keys
from quartier.output import _profile_data as data
from quartier.output._profile_text import TEXT
from quartier.output.files import write_text_atomic
from quartier.output.spreadsheet import write_table
from quartier.reporting.disclosure_control import DisclosureRules, resolve_rules
from quartier.settings import resolve_language

__all__ = ["district_profiles", "DistrictProfiles", "ProfileReport", "profiles_from_config"]

FORMATS = ("html", "pdf", "csv", "xlsx")


@dataclass(frozen=True)
class ProfileReport(Report):
    """What went into the profiles: districts, years, joins and what could not be compared.

    Attributes
    ----------
    districts : int
        Number of district sections.
    years : list
        The years of the tables, oldest first (the last is the report year).
    joins : dict
        ``{year: JoinReport}``: how each year's table matched the districts.
    not_comparable : list
        Years whose district system differs from the year after: no change computed.
    suppressed : int
        Figures (district x indicator x year) suppressed by disclosure control.
    uninhabited : list of str
        Keys of districts without inhabitants (not ranked).
    """

    districts: int
    years: list
    joins: dict = field(default_factory=dict)
    not_comparable: list = field(default_factory=list)
    suppressed: int = 0
    uninhabited: list = field(default_factory=list)

    def text(self, lang: str | None = None) -> str:
        de = resolve_language(lang) == "de"
        years = ", ".join(str(y) for y in self.years if y is not None)
        lines = [f"{'Gebietsprofile' if de else 'District profiles'}: {self.districts} "
                 f"{'Gebiete' if de else 'districts'}"
                 + (f"; {'Jahre' if de else 'years'}: {years}" if years else "")]
        for year, join in self.joins.items():
            lines.append(f"  {'' if year is None else f'{year}: '}{join.matched} / {join.n_districts} "
                         f"{'Gebiete mit Daten' if de else 'districts with data'}"
                         + (f", {len(join.unmatched_rows)} "
                            f"{'Zeilen ohne Gebiet' if de else 'rows without district'}"
                            if join.unmatched_rows else ""))
        if self.not_comparable:
            lines.append(("  Gebietsstand geändert, keine Veränderung zu: " if de else
                          "  district system changed, no change against: ")
                         + ", ".join(str(y) for y in self.not_comparable))
        if self.suppressed:
            lines.append(f"  {self.suppressed} "
                         + ("Werte gesperrt (Geheimhaltung)" if de
                            else "figures suppressed (confidentiality)"))
        if self.uninhabited:
            lines.append(("  unbewohnt (ohne Rang): " if de else "  no inhabitants (not "
                          "ranked): ") + format_list(self.uninhabited))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class DistrictProfiles(Result):
    """The written profiles: the files, the figures and the report.

    Attributes
    ----------
    paths : dict
        ``{format: Path}`` of the files written (``"html"``, ``"pdf"``, ``"csv"``, ``"xlsx"``).
    figures : pandas.DataFrame
        One row per district, indicator and year: ``key``, ``name``, ``group`` (the Bezirk),
        ``indicator``, ``label``, ``kind``, ``unit``, ``year``, ``value``, ``text`` (of a
        class), ``city``, ``group_value``, ``rank``, ``ranked`` (how many were ranked),
        ``change`` (to ``previous_year``), ``suppressed``, ``uninhabited``, ``note``.
        Suppressed values are NaN.
    report : ProfileReport
    """

    paths: dict
    figures: pd.DataFrame
    report: ProfileReport

    def __repr__(self) -> str:
        return (f"DistrictProfiles({self.report.districts} districts, "
                f"files: {', '.join(self.paths)})")


def _groups(districts: gpd.GeoDataFrame, key: str, by) -> pd.Series | None:
    if by is None:
        return None
    if isinstance(by, int) and not isinstance(by, bool):
        if by < 1:
            raise ParameterError(f"by={by}: a key prefix length must be 1 or more.")
        return pd.Series(districts[key].str[:by].to_numpy(), index=districts[key].to_numpy())
    if by not in districts.columns:
        raise ColumnError(f"by='{by}' is not a column of the districts; their columns are "
                          f"{format_list(districts.columns)}. Give the column with the key of "
                          "the higher level (e.g. the Bezirk) or a key prefix length (by=2).")
    values = normalize_keys(districts[by], column=by, allow_missing=True)
    return pd.Series(values.to_numpy(), index=districts[key].to_numpy())


def district_profiles(
    districts: gpd.GeoDataFrame,
    tables: pd.DataFrame | Mapping,
    *,
    indicators,
    out: str | os.PathLike,
    key: str,
    name: str | None = None,
    table_key: str | None = None,
    by: str | int | None = None,
    by_names: Mapping | None = None,
    population: str | None = None,
    map_indicator: str | None = None,
    systems: Mapping | None = None,
    formats: Sequence[str] = ("html", "pdf", "csv"),
    select: Sequence[str] | None = None,
    title: str | None = None,
    source: str | None = None,
    lang: str | None = None,
    rules: DisclosureRules | bool | None = None,
    suppressed: Mapping | pd.DataFrame | None = None,
) -> DistrictProfiles:
    """Write district profiles: an offline HTML report, a PDF (one A4 page each) and a table.

    Each district gets a section (HTML) and a page (PDF) with its indicators: value, city
    value, Bezirk value (``by``), rank and change since the previous year, a locator map, a
    bar chart of district, Bezirk and city, and charts over the years. The HTML report starts
    with a map of one indicator and a sortable table of all districts, has a search box (name
    or key) and prints each district on its own page. The table holds the same figures.

    City and Bezirk values are computed from the sums of the counts (never averaged rates).
    Ranks: 1 is the highest value, ties share the best rank; districts without inhabitants
    (``population`` 0) and suppressed values get no rank. Changes are computed only between
    years of the same district system. Disclosure rules apply to every figure, chart and map.

    Parameters
    ----------
    districts : geopandas.GeoDataFrame
        From :func:`quartier.read_districts` (in a projected CRS; a geographic one is
        projected to the planning CRS).
    tables : pandas.DataFrame or mapping
        One table, or ``{year: table}`` (several years); keyed like the districts.
    indicators : mapping or list of dict
        ``{column: label}`` (counts), or dicts with ``column``, ``label`` and optionally
        ``kind`` (``"count"``, ``"share"``, ``"rate"``, ``"index"``, ``"class"``,
        ``"value"``), ``denominator`` (the count a share or rate is computed from),
        ``per`` (100 for shares, 1000 for rates), ``unit`` and ``rank`` (``"desc"``: 1 =
        highest; ``"asc"``). Shares and rates are computed from ``column`` (the numerator
        count) and ``denominator``; index, class and value columns are shown as they are
        (no city value: they cannot be recomputed from counts).
    out : str or path-like
        Folder to write into (created); files ``profile.html``, ``profile.pdf``,
        ``profile.csv`` / ``profile.xlsx``.
    key : str
        The key column of the districts.
    name : str, optional
        Their name column (default: the key).
    table_key : str, optional
        The key column of the tables (default ``key``).
    by : str or int, optional
        The higher level to compare with: a column of the districts holding its key (e.g.
        ``"BEZ"``) or the length of a key prefix (``2``).
    by_names : mapping, optional
        ``{key of the higher level: name}``.
    population : str, optional
        Count column of inhabitants: districts where it is 0 are marked "unbewohnt" and not
        ranked.
    map_indicator : str, optional
        Column of the indicator on the overview map (default: the first that is not a count).
    systems : mapping, optional
        ``{year: district system}``; default: years whose tables have the same set of keys
        share a system. Changes across systems are not computed (the report says so).
    formats : sequence of str, default ("html", "pdf", "csv")
        Any of ``"html"``, ``"pdf"`` (needs ``quartier[print]``), ``"csv"``, ``"xlsx"``.
    select : sequence of str, optional
        Keys of the districts for the PDF (default: all).
    title, source : str, optional
        Title of the report; source line (e.g. the statistics office).
    lang : {"de", "en"}, optional
        Language; default the language in force (German).
    rules : DisclosureRules or False, optional
        Disclosure rules for this call (default: those in force; ``False``: none).
    suppressed : DataFrame or mapping, optional
        Cells the statistics office suppressed (``TableReport.suppressed``), aligned on the
        table's rows; ``{year: mask}`` with several tables.

    Returns
    -------
    DistrictProfiles
        ``.paths`` (``{format: Path}``), ``.figures`` and ``.report``.

    Raises
    ------
    quartier.errors.ParameterError
        For an unknown format, kind or language, or malformed indicators.
    quartier.errors.ColumnError
        If a key, name, ``by`` or indicator column is missing from the report year's table.

    Examples
    --------
    >>> import quartier, tempfile
    >>> gpkg = quartier.demo_path("musterstadt.gpkg")
    >>> st = quartier.read_districts(gpkg, layer="stadtteile", key="stadtteil_id", name="name")
    >>> t = quartier.read_table(quartier.demo_path("indikatoren_stadtteile.csv"),
    ...                         key="Stadtteil")
    >>> res = quartier.district_profiles(
    ...     st, t, key="stadtteil_id", name="name", table_key="Stadtteil",
    ...     indicators=[{"column": "Einwohner insgesamt", "label": "Einwohner"},
    ...                 {"column": "Einwohner 65 und älter", "label": "65 und älter",
    ...                  "kind": "share", "denominator": "Einwohner insgesamt"}],
    ...     out=tempfile.mkdtemp(), formats=["html", "csv"])
    >>> sorted(res.paths), res.report.districts == len(st)
    (['csv', 'html'], True)
    >>> city = res.figures.query("indicator == 'Einwohner insgesamt'")["city"].iloc[0]
    >>> int(city) == int(t["Einwohner insgesamt"].sum())
    True
    """
    lang = resolve_language(lang)
    rules = resolve_rules(rules)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ParameterError(f"formats {format_list(unknown) if unknown else '(none)'}: use "
                             f"any of {', '.join(FORMATS)}.")
    inds = data.indicators_from(indicators, lang)
    if key not in districts.columns:
        raise ColumnError(f"key='{key}' is not a column of the districts; their columns are "
                          f"{format_list(districts.columns)}.")
    if name is not None and name not in districts.columns:
        raise ColumnError(f"name='{name}' is not a column of the districts; their columns are "
                          f"{format_list(districts.columns)}.")
    table_key = table_key or key
    gdf = to_planning_crs(districts, what="districts").copy()
    gdf[key] = normalize_keys(gdf[key], column=key)
    gdf = gdf.drop_duplicates(subset=key).sort_values(key, kind="stable")
    keys = pd.Index(gdf[key].to_numpy())
    names = pd.Series((gdf[name] if name else gdf[key]).astype(str).to_numpy(), index=keys)
    groups = _groups(gdf, key, by)
    counts = list(dict.fromkeys(c for i in inds for c in i.counts))
    if population and population not in counts:
        counts.append(population)
    links = [(i.column + "__value", i.column, i.denominator) for i in inds if i.kind in
             ("share", "rate")]
    wanted = list(dict.fromkeys([*counts, *(i.column for i in inds)]))
    years, joins = [], {}
    listed = data.year_tables(tables)
    for n, (year, table) in enumerate(listed):
        where = "the table" if year is None else f"the table of {year}"
        if n == len(listed) - 1:
            missing = [c for c in wanted if c not in table.columns]
            if missing:
                raise ColumnError(f"{where} has no column(s) {format_list(missing)} named by "
                                  "indicators/population; its columns are "
                                  f"{format_list(table.columns)}.")
        if table_key not in table.columns:
            raise ColumnError(f"{where} has no key column '{table_key}'; its columns are "
                              f"{format_list(table.columns)}. Give table_key=.")
        table = data.numeric_counts(table, counts, where)
        joined, report = join_indicators(gdf[[key, "geometry"]], table[[table_key, *(
            c for c in wanted if c in table.columns)]], left_on=key, right_on=table_key)
        joins[year] = report
        drop = ["geometry"] + ([table_key] if table_key != key else [])
        raw = pd.DataFrame(joined.drop(columns=drop, errors="ignore"))
        raw = raw.set_index(key).reindex(keys)
        office = _office_mask(suppressed, year, table, table_key)
        shown, hidden, group_hidden = data.protect_year(
            raw[[c for c in raw.columns if c in counts]].apply(pd.to_numeric, errors="coerce")
            if rules is not None else raw, counts if rules is not None else list(raw.columns),
            [lk for lk in links if lk[1] in raw.columns and lk[2] in raw.columns],
            groups, rules, office)
        if rules is not None:  # values that are not counts: only the office's mask applies
            rest = [c for c in raw.columns if c not in counts]
            extra = (office.reindex(index=raw.index, columns=rest, fill_value=False)
                     .astype(bool) if office is not None
                     else pd.DataFrame(False, index=raw.index, columns=rest))
            shown = pd.concat([shown, raw[rest].mask(extra)], axis=1)
            hidden = pd.concat([hidden.reindex(columns=counts, fill_value=False), extra],
                               axis=1).reindex(columns=raw.columns, fill_value=False)
        system = (systems or {}).get(year) if systems else frozenset(
            normalize_keys(table[table_key], column=table_key).dropna())
        years.append(data.YearData(year, system, raw, shown, hidden, group_hidden))
    figures = data.figures(years, inds, names=names, groups=groups, population=population)
    not_comparable = [y.year for i, y in enumerate(years[:-1]) if y.system != years[i + 1].system]
    report_year = years[-1].year
    current = figures[figures["year"].eq(report_year) if report_year is not None
                      else figures["year"].isna()]
    uninhabited = current.loc[current["uninhabited"], "key"].unique().tolist()
    rep = ProfileReport(len(keys), [y.year for y in years], joins, not_comparable,
                        int(figures["suppressed"].sum()), uninhabited)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    paths = {}
    from quartier.output import _profile_build as build

    context = build.Context(gdf=gdf, key=key, keys=keys, names=names, groups=groups,
                            by_names=dict(by_names or {}), inds=inds, figures=figures,
                            years=[y.year for y in years], lang=lang, title=title
                            or TEXT[lang]["title"], source=source,
                            map_indicator=map_indicator, disclosure=rules is not None)
    if "html" in formats:
        paths["html"] = write_text_atomic(target / "profile.html", build.html(context))
    if "pdf" in formats:
        chosen = list(keys) if select is None else [str(k) for k in select]
        bad = [k for k in chosen if k not in keys]
        if bad:
            raise ParameterError(f"select names key(s) {format_list(bad)} that are not "
                                 "districts; use keys of the district table.")
        from quartier.output._profile_pdf import write_pdf

        paths["pdf"] = write_pdf(context, target / "profile.pdf", chosen)
    if "csv" in formats or "xlsx" in formats:
        # the figures are protected already (above); the writer must not suppress ranks
        table, kinds, labels = build.export_table(context)
        for fmt in ("csv", "xlsx"):
            if fmt in formats:
                paths[fmt] = write_table(table, target / f"profile.{fmt}", lang=lang,
                                         kinds=kinds, labels=labels, rules=False)
    return DistrictProfiles(paths, figures, rep)


def _office_mask(suppressed, year, table: pd.DataFrame, table_key: str) -> pd.DataFrame | None:
    """The statistics office's mask, re-indexed by district key."""
    if suppressed is None:
        return None
    mask = suppressed.get(year) if isinstance(suppressed, Mapping) else suppressed
    if mask is None:
        return None
    if not isinstance(mask, pd.DataFrame) or not mask.index.equals(table.index):
        raise ParameterError("suppressed= must be the boolean mask of the table's rows "
                             "(TableReport.suppressed from read_table(..., report=True)), "
                             "with the same index as the table.")
    out = mask.copy()
    out.index = pd.Index(normalize_keys(table[table_key], column=table_key).to_numpy())
    return out.astype(bool)


def profiles_from_config(section: Mapping, *, base: str | os.PathLike = ".",
                         out: str | os.PathLike, lang: str | None = None,
                         rules: DisclosureRules | bool | None = None) -> DistrictProfiles:
    """Write the profiles of a ``[report]`` section of a ``quartier run`` configuration.

    Parameters
    ----------
    section : mapping
        ``districts`` (path), ``key``, optional ``name``, ``layer``; ``tables``: a path, or
        a list of ``{year, path, key, rename}`` (``rename``: ``{column in file: column}``);
        ``table_key``; ``key_width`` (repairs keys that lost their leading zeros, in the
        districts and every table; a table's own ``key_width`` wins); ``indicators`` (list of dicts as in :func:`district_profiles`);
        optional ``by``, ``by_names``, ``population``, ``map_indicator``, ``formats``,
        ``title``, ``source``, ``select``.
    base : path-like
        Folder that relative paths are read from (the configuration's folder).
    out : path-like
        Folder to write into.
    lang : {"de", "en"}, optional
    rules : DisclosureRules or False, optional

    Returns
    -------
    DistrictProfiles

    Raises
    ------
    quartier.errors.ParameterError
        For a missing or unknown key of the section.

    Examples
    --------
    >>> import quartier, tempfile
    >>> res = quartier.profiles_from_config({
    ...     "districts": str(quartier.demo_path("musterstadt.gpkg")), "layer": "stadtteile",
    ...     "key": "stadtteil_id", "name": "name",
    ...     "tables": str(quartier.demo_path("indikatoren_stadtteile.csv")),
    ...     "table_key": "Stadtteil", "formats": ["csv"],
    ...     "indicators": [{"column": "Einwohner insgesamt", "label": "Einwohner"}]},
    ...     out=tempfile.mkdtemp())
    >>> list(res.paths)
    ['csv']
    """
    from quartier.io.districts import read_districts
    from quartier.io.tables import read_table

    allowed = {"districts", "layer", "key", "name", "tables", "table_key", "indicators", "by",
               "by_names", "population", "map_indicator", "formats", "title", "source",
               "select", "systems", "key_width"}
    unknown = set(section) - allowed
    if unknown:
        raise ParameterError(f"[report] has unknown key(s) {format_list(unknown)}; allowed: "
                             f"{', '.join(sorted(allowed))}.")
    for needed in ("districts", "key", "tables", "indicators"):
        if needed not in section:
            raise ParameterError(f"[report] needs '{needed}'.")
    root = Path(base)
    districts = read_districts(root / section["districts"], key=section["key"],
                               name=section.get("name"), layer=section.get("layer"),
                               key_width=section.get("key_width"))
    specs = section["tables"]
    if isinstance(specs, str | os.PathLike):
        specs = [{"path": specs}]
    tables, table_key = {}, section.get("table_key") or section["key"]
    for i, spec in enumerate(specs):
        if "path" not in spec:
            raise ParameterError(f"[report] tables[{i}] needs a 'path'.")
        k = spec.get("key", table_key)
        t = read_table(root / spec["path"], key=k,
                       key_width=spec.get("key_width", section.get("key_width")))
        t = t.rename(columns={**dict(spec.get("rename") or {}), k: table_key})
        tables[spec.get("year", i)] = t
    one = len(tables) == 1 and "year" not in specs[0]
    return district_profiles(
        districts, next(iter(tables.values())) if one else tables,
        indicators=section["indicators"], out=out, key=section["key"],
        name=section.get("name"), table_key=table_key, by=section.get("by"),
        by_names=section.get("by_names"), population=section.get("population"),
        map_indicator=section.get("map_indicator"), systems=section.get("systems"),
        formats=tuple(section.get("formats", ("html", "pdf", "csv"))),
        select=section.get("select"), title=section.get("title"),
        source=section.get("source"), lang=lang, rules=rules)

