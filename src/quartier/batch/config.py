"""Analysis configuration files (``analysis.toml``) for repeatable batch runs.

A planner describes a whole analysis once: the districts, the tables, the
population, the target groups, the services with their reach and norms, and
the outputs. :func:`load_config` validates the whole file before any work is
done, with errors that name the line and the key. ``quartier run`` (see
:mod:`quartier.runner`) then runs it.

The file format, with every key::

    [project]
    name = "Seniorentreffs 2026"     # required
    output = "ergebnisse"            # folder for maps, layers and the summary (a folder of
                                     # its own: a run replaces it as a whole)
    lang = "de"                      # "de" or "en"
    crs = "EPSG:25832"               # planning CRS (projected, metres)

    [districts]                      # required
    path = "stadtteile.gpkg"         # relative to this file
    layer = "stadtteile"
    key = "stadtteil_id"             # required
    name = "name"
    key_width = 5
    source_crs = "EPSG:25832"        # only for files without a CRS
    levels = ["bezirk_id"]           # columns naming the larger areas each district lies in,
                                     # lowest first: the run writes a layer per level and
                                     # protects small counts against their totals

    [[tables]]                       # any number of indicator tables
    path = "indikatoren.csv"
    key = "Stadtteil"
    key_width = 5
    sheet = "Tabelle1"               # XLSX only
    sep = ";"
    decimal = ","
    encoding = "cp1252"

    [population]                     # demand units (grid cells, address points)
    path = "bevoelkerung_100m.csv"
    x = "x"
    y = "y"
    source_crs = "EPSG:25832"
    layer = "..."

    [target_groups]                  # name = population columns to add up
    senioren = ["65_bis_79", "80_und_aelter"]

    [[services]]
    name = "Seniorentreffs"          # required
    facilities = "musterstadt.gpkg"  # required
    layer = "einrichtungen"
    filter = { art = "seniorentreff" }
    capacity = "plaetze"
    target_group = "senioren"        # required, a key of [target_groups]
    max_cost = 500                   # required, metres (straight line), or in the unit
                                     # of the network (minutes by car and public transport)
    network = "auto"                 # optional: a [networks.<name>] below
    norm_per_1000 = 10               # places per 1,000 of the target group
    min_share = 0.8                  # coverage below this is a gap

    [networks.auto]                  # reach along a network (any number of them)
    kind = "streets"                 # an OpenStreetMap file
    path = "region.osm.pbf"
    profile = "car"                  # walk, senior, wheelchair, bike or car
    unit = "min"                     # "min" (default by car) or "m"

    [networks.oepnv]
    kind = "transit"                 # GTFS feeds
    gtfs = ["vbb.zip"]               # a path or a list of paths
    date = "2021-09-14"
    start = "07:00"
    end = "09:00"
    percentile = 50                  # 50: the median over the departures of the window
    step = 1                         # minutes between departures
    horizon = 120                    # longest journey searched (minutes)
    streets = "fuss"                 # optional: walk along a kind = "streets" network

    [disclosure]                     # applies to every file of the run
    min_count = 3                    # counts of people from 1 to 2 are suppressed
    round_to = 5
    secondary = true
    count_columns = ["ew_unter_1_jahr"]          # table columns that count people (integer
                                                 # columns count anyway)
    rate_columns = { sgb2_quote = ["sgb2", "ew"] }  # rate = [numerator, denominator]
    row_totals = { ew = ["ew_u18", "ew_18plus"] }   # total = sum of the parts, per row

    [outputs]
    maps = true
    offline = true
    layers = ["gpkg"]                # gpkg, geojson, fgb, parquet, shp
    summary = "csv"                  # csv or xlsx
    maps_by = "bezirk_id"            # also one map per value of this [districts] level
    indicators = true                # also a layer "indikatoren": the districts with the
                                     # [[tables]] joined, protected as declared above

    [areas]                          # many areas in one run (quartier run --workers N)
    column = "bezirk_id"             # required: the district column naming each district's
                                     # area; each area is computed on its own (with a halo
                                     # of max_cost), the results gathered into one set of
                                     # outputs and a folder per area
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quartier._checks import positive_number
from quartier.batch._networks import check_networks, check_service_network
from quartier.errors import ConfigError, ParameterError, format_list

__all__ = ["AnalysisConfig", "load_config", "SCHEMA"]

_STR, _INT, _NUM, _BOOL, _LIST, _TABLE, _CRS = "text", "whole number", "number", "true/false", "list", "table", "CRS"
_PATH = "path"

#: Sections, their keys, the kind of value, and whether the key is required.
SCHEMA: dict[str, dict[str, tuple[str, bool]]] = {
    "project": {"name": (_STR, True), "output": (_STR, False), "lang": (_STR, False),
                "crs": (_CRS, False)},
    "districts": {"path": (_PATH, True), "layer": (_STR, False), "key": (_STR, True),
                  "name": (_STR, False), "key_width": (_INT, False), "source_crs": (_CRS, False),
                  "levels": (_LIST, False)},
    "tables": {"path": (_PATH, True), "key": (_STR, True), "key_width": (_INT, False),
               "sheet": (_STR, False), "sep": (_STR, False), "decimal": (_STR, False),
               "encoding": (_STR, False)},
    "population": {"path": (_PATH, True), "x": (_STR, False), "y": (_STR, False),
                   "source_crs": (_CRS, False), "layer": (_STR, False)},
    "services": {"name": (_STR, True), "facilities": (_PATH, True), "layer": (_STR, False),
                 "x": (_STR, False), "y": (_STR, False), "source_crs": (_CRS, False),
                 "filter": (_TABLE, False), "capacity": (_STR, False),
                 "target_group": (_STR, True), "max_cost": (_NUM, True),
                 "norm_per_1000": (_NUM, False), "min_share": (_NUM, False),
                 "network": (_STR, False)},
    "disclosure": {"min_count": (_INT, False), "round_to": (_INT, False),
                   "secondary": (_BOOL, False), "count_columns": (_LIST, False),
                   "rate_columns": (_TABLE, False), "row_totals": (_TABLE, False)},
    "outputs": {"maps": (_BOOL, False), "offline": (_BOOL, False), "layers": (_LIST, False),
                "summary": (_STR, False), "maps_by": (_STR, False),
                "indicators": (_BOOL, False)},
    "report": {"tables": (_LIST, False), "indicators": (_LIST, True), "by": (_STR, False),
               "by_names": (_TABLE, False), "population": (_STR, False),
               "map_indicator": (_STR, False), "formats": (_LIST, False),
               "select": (_LIST, False), "title": (_STR, False), "source": (_STR, False),
               "systems": (_TABLE, False)},
    "areas": {"column": (_STR, True)},
}
_ARRAYS = {"tables", "services"}  # [[tables]], [[services]]
_REQUIRED_SECTIONS = ("project", "districts")
_LAYER_FORMATS = ("gpkg", "geojson", "fgb", "parquet", "shp")


@dataclass
class AnalysisConfig:
    """A validated analysis configuration; paths are absolute.

    Attributes
    ----------
    path : pathlib.Path
        The configuration file.
    project, districts, population, disclosure, outputs, report, areas : dict
        The sections, with defaults filled in (``population``, ``disclosure``,
        ``report`` and ``areas`` may be empty). ``report`` writes district profiles
        (:func:`quartier.district_profiles`); its paths stay relative to the configuration.
    tables, services : list of dict
    target_groups : dict of str to list of str
    networks : dict of str to dict
        The ``[networks.<name>]`` sections (paths absolute, defaults filled in).
    """

    path: Path
    project: dict[str, Any]
    districts: dict[str, Any]
    tables: list[dict[str, Any]] = field(default_factory=list)
    population: dict[str, Any] = field(default_factory=dict)
    target_groups: dict[str, list[str]] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    disclosure: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    areas: dict[str, Any] = field(default_factory=dict)
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def output_dir(self) -> Path:
        """The folder the run writes to."""
        return self.path.parent / self.project.get("output", "ergebnisse")


def _decode(path: Path) -> str:
    """The text of a configuration file: UTF-8 (with or without BOM), UTF-16 (BOM, or the
    zero bytes of ASCII text), or Windows-1252 when its special characters are plausible."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"configuration file '{path}' cannot be read ({err}).") from err
    save = "Save it as UTF-8 (in Notepad or your editor: 'Save as', encoding 'UTF-8')."
    codec = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    elif len(data) >= 4 and data[1::2][:2000].count(0) >= 0.9 * len(data[1::2][:2000]) and \
            data[0::2][:2000].count(0) == 0:
        codec = "utf-16-le"
    elif len(data) >= 4 and data[0::2][:2000].count(0) >= 0.9 * len(data[0::2][:2000]) and \
            data[1::2][:2000].count(0) == 0:
        codec = "utf-16-be"
    if codec is not None:
        try:
            return data.decode(codec).removeprefix("\ufeff")
        except UnicodeDecodeError:
            raise ConfigError(f"{path.name}: looks like UTF-16 text but cannot be read as "
                              f"such. {save}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = None
        special = {c for c in text or "" if ord(c) > 127}
        if text is not None and all(c.isalpha() or c in "€°²³–—„“”‚‘’…§µ·×" for c in special):
            return text  # Windows-1252 (Notepad's "ANSI"): umlauts and the euro sign
        raise ConfigError(f"{path.name}, line {line}: not UTF-8 text (byte "
                          f"{data[err.start:err.start + 1].hex()}). {save}", line=line) from None


def load_config(path: str | os.PathLike) -> AnalysisConfig:
    """Read and validate an analysis configuration file before any work is done.

    Checks every section and key (misspelt keys get a "did you mean"), the
    kinds of values, required keys, that files exist (paths are relative to
    the configuration file), that services name a defined target group, and
    the output formats. Errors name the file, the line and the key.

    Parameters
    ----------
    path : path
        The ``.toml`` file.

    Returns
    -------
    AnalysisConfig

    Raises
    ------
    ConfigError
        On the first problem found, with its line.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> toml = os.path.join(folder, "analysis.toml")
    >>> with open(toml, "w") as f:
    ...     _ = f.write('[project]\\nname = "Test"\\n[districts]\\npfad = "x.gpkg"\\nkey = "id"\\n')
    >>> load_config(toml)
    Traceback (most recent call last):
    ...
    quartier.errors.ConfigError: analysis.toml, line 4: unknown key 'pfad' in [districts]. Did you mean 'path'?
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"configuration file '{path}' does not exist. Check the path.")
    text = _decode(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        raise ConfigError(
            f"{path.name}: not valid TOML ({err}). Check quotes, brackets and '=' on that line.",
            line=int(match.group(1)) if match else None,
        ) from None
    locate = _Locator(text, path.name)

    for section in data:
        if section not in SCHEMA and section not in ("target_groups", "networks"):
            raise locate.error(section, None, None, f"unknown section [{section}]"
                               + _did_you_mean(section, [*SCHEMA, "target_groups",
                                                         "networks"]))
    for section in _REQUIRED_SECTIONS:
        if section not in data:
            raise ConfigError(f"{path.name}: the section [{section}] is missing; it is required.")

    base = path.parent
    checked: dict[str, Any] = {}
    for section, keys in SCHEMA.items():
        if section not in data:
            continue
        value = data[section]
        if section in _ARRAYS:
            if not isinstance(value, list):
                raise locate.error(section, None, None,
                                   f"write [[{section}]] (double brackets): there can be several")
            checked[section] = [
                _check_table(item, keys, section, i, locate, base) for i, item in enumerate(value)
            ]
        else:
            if not isinstance(value, dict):
                raise locate.error(section, None, None, f"[{section}] must be a section")
            checked[section] = _check_table(value, keys, section, None, locate, base)

    groups = data.get("target_groups", {})
    for name, columns in groups.items():
        if isinstance(columns, str):
            groups[name] = columns = [columns]
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) or not columns:
            raise locate.error("target_groups", None, name,
                               f"target group '{name}' must be a list of population columns, "
                               'e.g. ["65_bis_79", "80_und_aelter"]')
    networks = check_networks(data.get("networks", {}), base, locate, _did_you_mean)
    for i, service in enumerate(checked.get("services", [])):
        check_service_network(service, i, networks, locate, _did_you_mean,
                              areas="areas" in checked)
        if service["target_group"] not in groups:
            raise locate.error("services", i, "target_group",
                               f"target group '{service['target_group']}' is not defined in "
                               f"[target_groups]" + _did_you_mean(service["target_group"], list(groups)))
        cost_unit = ("metres" if service.get("network") is None
                     or networks[service["network"]].get("unit", "min") == "m" else "minutes")
        for key, unit, upper in (("max_cost", cost_unit, 1e7),
                                 ("norm_per_1000", "places per 1,000 persons", 1000)):
            if key in service:
                try:
                    positive_number(service[key], key, unit=unit, upper=upper)
                except ParameterError as exc:
                    raise locate.error("services", i, key, str(exc).rstrip(".")) from exc
        if "min_share" in service and not 0 <= service["min_share"] <= 1:
            raise locate.error("services", i, "min_share", "min_share is a share between 0 and 1")
        for column, wanted in (service.get("filter") or {}).items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values or not all(isinstance(v, str | int | float) for v in values):
                raise locate.error("services", i, "filter",
                                   f"filter value of '{column}' must be a text or number, or a "
                                   f'list of them (e.g. {{ {column} = ["kita", "hort"] }}), '
                                   f"not {wanted!r}")
    _check_unique_services(checked.get("services", []), locate)
    if checked.get("services") and "population" not in checked:
        raise ConfigError(f"{path.name}: [[services]] need a [population] section with the "
                          "demand units (grid cells or address points).")
    project = checked["project"]
    if project.get("lang", "de") not in ("de", "en"):
        raise locate.error("project", None, "lang", 'lang must be "de" or "en"')
    outputs = {"maps": True, "offline": True, "layers": ["gpkg"], "summary": "csv",
               **checked.get("outputs", {})}
    for fmt in outputs["layers"]:
        if fmt not in _LAYER_FORMATS:
            raise locate.error("outputs", None, "layers", f"unknown layer format '{fmt}'; use "
                               + ", ".join(_LAYER_FORMATS))
    if outputs["summary"] not in ("csv", "xlsx"):
        raise locate.error("outputs", None, "summary", 'summary must be "csv" or "xlsx"')
    out = (path.parent / project.get("output", "ergebnisse")).resolve()
    if out == path.parent.resolve() or out in path.parent.resolve().parents:
        raise locate.error("project", None, "output",
                           f"output '{project.get('output')}' is the folder of the configuration "
                           "(or above it); a run replaces its output folder as a whole, so give "
                           'it a folder of its own, e.g. output = "ergebnisse"')
    disclosure = checked.get("disclosure", {})
    for key in ("min_count", "round_to"):
        if key in disclosure and disclosure[key] < 1:
            raise locate.error("disclosure", None, key, f"{key} must be 1 or more")
    _check_disclosure(disclosure, locate)
    levels = checked["districts"].get("levels", [])
    if not all(isinstance(c, str) and c for c in levels):
        raise locate.error("districts", None, "levels", "levels must be a list of column names "
                           'of the districts file, lowest first, e.g. ["bezirk_id"]')
    if len(set(levels)) != len(levels) or checked["districts"]["key"] in levels:
        raise locate.error("districts", None, "levels", "levels must name each column once "
                           "and not the key column itself")
    if outputs.get("indicators") and not checked.get("tables"):
        raise locate.error("outputs", None, "indicators",
                           "indicators = true writes the [[tables]] joined to the districts, "
                           "but there are no [[tables]]; add one or remove the key")
    if "maps_by" in outputs and outputs["maps_by"] not in levels:
        raise locate.error("outputs", None, "maps_by",
                           f"maps_by = '{outputs['maps_by']}' must be one of the [districts] "
                           "levels (so that its totals are protected too); add it there, e.g. "
                           f'levels = ["{outputs["maps_by"]}"]')
    return AnalysisConfig(
        path=path,
        project={"output": "ergebnisse", "lang": "de", **project},
        districts=checked["districts"],
        tables=checked.get("tables", []),
        population=checked.get("population", {}),
        target_groups=groups,
        services=checked.get("services", []),
        disclosure=disclosure,
        outputs=outputs,
        report=_check_report(checked.get("report", {}), checked, locate),
        areas=_check_areas(checked.get("areas", {}), checked, locate, networks),
        networks=networks,
    )


def _check_areas(areas: dict, checked: dict, locate, networks=None) -> dict:
    """[areas]: the column must be a column of the districts file (checked in its schema
    when the file can be inspected, else when the run reads it), not the key itself."""
    if not areas:
        return {}
    districts = checked["districts"]
    if not checked.get("services"):
        raise locate.error("areas", None, None,
                           "[areas] splits the [[services]] computation into areas, but there "
                           "are no [[services]]; add one or remove [areas]")
    if networks:
        raise locate.error("areas", None, None,
                           "[areas] cannot yet be combined with [networks.*] (the halo of each "
                           "area is a straight-line distance); remove one of them")
    column = areas["column"]
    line = locate.line_of("areas", None, "column")
    if column == districts["key"]:
        raise locate.error("areas", None, "column",
                           f"column = '{column}' is the districts' key: every district would be "
                           "an area of its own; name a larger unit, e.g. the municipality key")
    try:
        import pyogrio

        fields = list(pyogrio.read_info(districts["path"], layer=districts.get("layer"))["fields"])
    except Exception:  # not a file pyogrio can inspect: the run checks the column
        fields = None
    if fields is not None and column not in fields:
        raise locate.error("areas", None, "column",
                           f"column '{column}' is not a column of "
                           f"'{districts['path'].name}'. Columns are: {format_list(fields, 30)}"
                           + _did_you_mean(column, fields))
    return {**areas, "_line": line}


def _check_report(report: dict, checked: dict, locate) -> dict:
    """[report]: district profiles from the districts and the [[tables]] (or its own)."""
    if not report:
        return {}
    if not report.get("tables") and not checked.get("tables"):
        raise locate.error("report", None, None,
                           "[report] needs indicator tables: add [[tables]] or a list "
                           'tables = [{ year = 2024, path = "...", key = "..." }]')
    for i, item in enumerate(report["indicators"]):
        if not (isinstance(item, str) or (isinstance(item, dict) and "column" in item)):
            raise locate.error("report", None, "indicators",
                               f"indicator {i + 1} must be a column name or a table with "
                               f'column = "...", e.g. {{ column = "ew", label = "Einwohner" }}, '
                               f"not {item!r}")
    return report


def _check_disclosure(disclosure: dict, locate) -> None:
    """count_columns: a list of names; rate_columns: {rate = [numerator, denominator]};
    row_totals: {total = [parts]}; no column both a count and a rate."""
    counts = disclosure.get("count_columns", [])
    if not all(isinstance(c, str) and c for c in counts):
        raise locate.error("disclosure", None, "count_columns",
                           'count_columns must be a list of column names, e.g. '
                           '["ew_unter_1_jahr", "sgb2"]')
    rates = disclosure.get("rate_columns", {})
    for rate, spec in rates.items():
        if (not isinstance(spec, list) or len(spec) != 2
                or not all(isinstance(c, str) and c for c in spec)):
            raise locate.error("disclosure", None, "rate_columns",
                               f"rate_columns: '{rate}' must be [numerator, denominator], two "
                               f'column names, e.g. {{ {rate} = ["sgb2", "ew"] }}, not {spec!r}')
    both = sorted(set(counts) & set(rates))
    if both:
        raise locate.error("disclosure", None, "rate_columns",
                           f"'{both[0]}' is in count_columns and in rate_columns; a column is "
                           "either a count or a rate")
    for total, parts in disclosure.get("row_totals", {}).items():
        if (not isinstance(parts, list) or len(parts) < 2
                or not all(isinstance(c, str) and c for c in parts) or total in parts):
            raise locate.error("disclosure", None, "row_totals",
                               f"row_totals: '{total}' must be a list of two or more other "
                               f'columns that add up to it, e.g. {{ {total} = ["ew_u18", '
                               f'"ew_18plus"] }}, not {parts!r}')


def _check_table(item, keys, section, index, locate, base):
    if not isinstance(item, dict):
        raise locate.error(section, index, None, f"[{section}] must be a section")
    for key in item:
        if key not in keys:
            raise locate.error(section, index, key, f"unknown key '{key}' in [{section}]"
                               + _did_you_mean(key, list(keys)))
    for key, (_kind, required) in keys.items():
        if required and key not in item:
            raise locate.error(section, index, None, f"[{section}] needs the key '{key}'")
    out = dict(item)
    for key, value in item.items():
        kind = keys[key][0]
        ok = {
            _STR: isinstance(value, str),
            _PATH: isinstance(value, str),
            _INT: isinstance(value, int) and not isinstance(value, bool),
            _NUM: isinstance(value, int | float) and not isinstance(value, bool),
            _BOOL: isinstance(value, bool),
            _LIST: isinstance(value, list),
            _TABLE: isinstance(value, dict),
            _CRS: isinstance(value, str | int) and not isinstance(value, bool),
        }[kind]
        if not ok:
            raise locate.error(section, index, key,
                               f"'{key}' must be a {kind}, not {value!r}")
        if kind == _PATH:
            try:
                resolved = (base / value).resolve()
                exists = resolved.exists()
            except (OSError, ValueError) as err:  # a NUL byte, a name too long
                raise locate.error(section, index, key,
                                   f"'{value!r}' is not a usable path ({err})") from err
            if not exists:
                raise locate.error(section, index, key,
                                   f"file '{value}' does not exist (looked for '{resolved}'). "
                                   "Paths are relative to the configuration file")
            out[key] = resolved
    return out


def _check_unique_services(services, locate) -> None:
    """Two services with one name or one file name (slug) would overwrite each other's
    layers, maps and summary rows: refused, naming both."""
    from quartier.batch.runner import _slug

    seen: dict[str, tuple[int, str]] = {}
    for i, service in enumerate(services):
        name = service["name"]
        slug = _slug(name)
        for key, what in ((name.strip().casefold(), "name"), ("slug:" + slug, "file name")):
            if key in seen:
                j, other = seen[key]
                same = ("the same name" if what == "name" else
                        f"the same file name '{slug}' (karte_{slug}.html, {slug}_gebiete)")
                raise locate.error(
                    "services", i, "name",
                    f"services '{other}' (service {j + 1}) and '{name}' (service {i + 1}) have "
                    f"{same}; one would overwrite the other's results. Give each service a "
                    "name of its own")
            seen[key] = (i, name)


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f". Did you mean '{close[0]}'?" if close else ""


class _Locator:
    """Finds the line of a section / key in the TOML text for error messages."""

    def __init__(self, text: str, name: str):
        self.lines = text.splitlines()
        self.name = name

    def line_of(self, section: str, index: int | None, key: str | None) -> int | None:
        count = -1
        in_section = False
        header_line = None
        for number, raw in enumerate(self.lines, start=1):
            line = raw.split("#", 1)[0].strip()
            header = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", line)
            if header:
                name = header.group(1)
                if name == section:
                    count += 1
                    in_section = index is None or count == index
                    if in_section:
                        header_line = number
                        if key is None:
                            return number
                else:
                    in_section = False
                continue
            if in_section and key is not None and re.match(rf'^"?{re.escape(key)}"?\s*=', line):
                return number
        return header_line

    def error(self, section, index, key, message) -> ConfigError:
        line = self.line_of(section, index, key)
        where = f"{self.name}, line {line}" if line else self.name
        return ConfigError(f"{where}: {message}.".replace("?.", "?"), line=line)
