"""quartier: municipal social planning (Sozialplanung) for German cities and counties.

Read districts and indicator tables as statistics offices deliver them, join
them on official keys with a report of what did not match, and measure how
well target groups are served by social infrastructure.

Examples
--------
>>> import quartier
>>> stadtteile = quartier.read_districts(quartier.demo_path("musterstadt.gpkg"),
...     key="stadtteil_id", name="name", layer="stadtteile")
>>> table = quartier.read_table(quartier.demo_path("indikatoren_stadtteile.csv"),
...     key="Stadtteil")
>>> joined, report = quartier.join_indicators(stadtteile, table, left_on="stadtteil_id",
...     right_on="Stadtteil")
>>> report.complete
True
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load on first use
    from quartier import errors
    from quartier.access.catchments import isochrones, service_areas
    from quartier.access.costs import CostMatrix, cost_matrix, nearest
    from quartier.access.covering import CoverageReport, CoverageResult, coverage
    from quartier.access.floating import FCAReport, FCAResult, fca, fca_weights
    from quartier.access.gaps import coverage_gaps, label_columns, supply_gaps
    from quartier.access.network.streets import StreetNetwork
    from quartier.access.provision import SupplyReport, SupplyResult, supply
    from quartier.access.services import service_table
    from quartier.access.transit.network import TransitNetwork
    from quartier.areas.interpolate import (
        InterpolationReport,
        InterpolationResult,
        InterpolationWeights,
        area_interpolate,
        dasymetric_interpolate,
        interpolation_weights,
    )
    from quartier.areas.rasters import RasterReport, RasterResult, raster_cells, raster_sums
    from quartier.batch.demo import demo_path, run_demo
    from quartier.errors import (
        ColumnError,
        CRSError,
        DataError,
        DisclosureError,
        DistrictKeyError,
        InputFileError,
        JoinError,
        MissingDependencyError,
        MissingFileError,
        OutputError,
        ParameterError,
        ParameterTypeError,
        QuartierError,
        QuartierWarning,
        ValueParseError,
    )
    from quartier.io.crs import DEFAULT_CRS
    from quartier.io.districts import read_districts
    from quartier.io.facilities import read_facilities, read_points
    from quartier.io.joins import JoinReport, join_indicators
    from quartier.io.tables import TableReport, read_table
    from quartier.output.export import export_layers, export_raster
    from quartier.output.formatting import format_number, format_percent
    from quartier.output.maps import QuartierMap, add_layer, choropleth
    from quartier.output.offline import save_map
    from quartier.output.overlays import add_catchments, add_facilities
    from quartier.output.printmap import print_map
    from quartier.output.profiles import (
        DistrictProfiles,
        ProfileReport,
        district_profiles,
        profiles_from_config,
    )
    from quartier.output.spreadsheet import output_rules, write_table
    from quartier.planning.projection import (
        future_demand,
        place_deficit,
        project_population,
        required_places,
    )
    from quartier.planning.siting import SitingResult, maximal_coverage, p_median, set_cover
    from quartier.planning.statement import (
        ServiceCheck,
        Statement,
        development_statement,
        plan_residents,
        write_statement,
    )
    from quartier.reporting.audit import DisclosureAudit, audit_disclosure
    from quartier.reporting.disclosure_control import (
        DisclosureResult,
        DisclosureRules,
        apply_disclosure,
        default_count_columns,
        disclosure,
        get_disclosure,
        resolve_rules,
        set_disclosure,
    )
    from quartier.reporting.index import (
        PRESETS,
        IndexPreset,
        IndexReport,
        IndexResult,
        composite_index,
    )
    from quartier.reporting.protection import protect_table
    from quartier.reporting.rates import aggregate, rate
    from quartier.reporting.rounding import RoundingResult, round_table
    from quartier.reporting.years import ChangeReport, ChangeResult, change, shared_breaks
    from quartier.settings import (
        get_fca_engine,
        get_language,
        language,
        resolve_language,
        set_fca_engine,
        set_language,
    )


#: Where each public name lives (module of its room). ``import quartier`` loads none of them:
#: each is imported on first use (PEP 562), so the command line, a notebook's first cell and
#: worker processes start quickly and load only the rooms they use.
_LAZY = {
    "isochrones": "quartier.access.catchments",
    "service_areas": "quartier.access.catchments",
    "CostMatrix": "quartier.access.costs",
    "cost_matrix": "quartier.access.costs",
    "nearest": "quartier.access.costs",
    "CoverageReport": "quartier.access.covering",
    "CoverageResult": "quartier.access.covering",
    "coverage": "quartier.access.covering",
    "FCAReport": "quartier.access.floating",
    "FCAResult": "quartier.access.floating",
    "fca": "quartier.access.floating",
    "fca_weights": "quartier.access.floating",
    "coverage_gaps": "quartier.access.gaps",
    "label_columns": "quartier.access.gaps",
    "supply_gaps": "quartier.access.gaps",
    "StreetNetwork": "quartier.access.network.streets",
    "SupplyReport": "quartier.access.provision",
    "SupplyResult": "quartier.access.provision",
    "supply": "quartier.access.provision",
    "service_table": "quartier.access.services",
    "TransitNetwork": "quartier.access.transit.network",
    "InterpolationReport": "quartier.areas.interpolate",
    "InterpolationResult": "quartier.areas.interpolate",
    "InterpolationWeights": "quartier.areas.interpolate",
    "area_interpolate": "quartier.areas.interpolate",
    "dasymetric_interpolate": "quartier.areas.interpolate",
    "interpolation_weights": "quartier.areas.interpolate",
    "RasterReport": "quartier.areas.rasters",
    "RasterResult": "quartier.areas.rasters",
    "raster_cells": "quartier.areas.rasters",
    "raster_sums": "quartier.areas.rasters",
    "demo_path": "quartier.batch.demo",
    "run_demo": "quartier.batch.demo",
    "CRSError": "quartier.errors",
    "ColumnError": "quartier.errors",
    "DataError": "quartier.errors",
    "MissingFileError": "quartier.errors",
    "ParameterTypeError": "quartier.errors",
    "DistrictKeyError": "quartier.errors",
    "InputFileError": "quartier.errors",
    "JoinError": "quartier.errors",
    "MissingDependencyError": "quartier.errors",
    "OutputError": "quartier.errors",
    "DisclosureError": "quartier.errors",
    "ParameterError": "quartier.errors",
    "QuartierError": "quartier.errors",
    "QuartierWarning": "quartier.errors",
    "ValueParseError": "quartier.errors",
    "errors": "quartier.errors",
    "DEFAULT_CRS": "quartier.io.crs",
    "read_districts": "quartier.io.districts",
    "read_facilities": "quartier.io.facilities",
    "read_points": "quartier.io.facilities",
    "JoinReport": "quartier.io.joins",
    "join_indicators": "quartier.io.joins",
    "TableReport": "quartier.io.tables",
    "read_table": "quartier.io.tables",
    "export_layers": "quartier.output.export",
    "export_raster": "quartier.output.export",
    "format_number": "quartier.output.formatting",
    "format_percent": "quartier.output.formatting",
    "add_catchments": "quartier.output.overlays",
    "add_facilities": "quartier.output.overlays",
    "add_layer": "quartier.output.maps",
    "choropleth": "quartier.output.maps",
    "output_rules": "quartier.output.spreadsheet",
    "write_table": "quartier.output.spreadsheet",
    "QuartierMap": "quartier.output.maps",
    "save_map": "quartier.output.offline",
    "print_map": "quartier.output.printmap",
    "DistrictProfiles": "quartier.output.profiles",
    "ProfileReport": "quartier.output.profiles",
    "district_profiles": "quartier.output.profiles",
    "profiles_from_config": "quartier.output.profiles",
    "future_demand": "quartier.planning.projection",
    "place_deficit": "quartier.planning.projection",
    "project_population": "quartier.planning.projection",
    "required_places": "quartier.planning.projection",
    "SitingResult": "quartier.planning.siting",
    "maximal_coverage": "quartier.planning.siting",
    "p_median": "quartier.planning.siting",
    "set_cover": "quartier.planning.siting",
    "ServiceCheck": "quartier.planning.statement",
    "Statement": "quartier.planning.statement",
    "development_statement": "quartier.planning.statement",
    "plan_residents": "quartier.planning.statement",
    "write_statement": "quartier.planning.statement",
    "DisclosureAudit": "quartier.reporting.audit",
    "DisclosureResult": "quartier.reporting.disclosure_control",
    "audit_disclosure": "quartier.reporting.audit",
    "DisclosureRules": "quartier.reporting.disclosure_control",
    "apply_disclosure": "quartier.reporting.disclosure_control",
    "default_count_columns": "quartier.reporting.disclosure_control",
    "disclosure": "quartier.reporting.disclosure_control",
    "get_disclosure": "quartier.reporting.disclosure_control",
    "protect_table": "quartier.reporting.protection",
    "resolve_rules": "quartier.reporting.disclosure_control",
    "set_disclosure": "quartier.reporting.disclosure_control",
    "RoundingResult": "quartier.reporting.rounding",
    "round_table": "quartier.reporting.rounding",
    "IndexPreset": "quartier.reporting.index",
    "IndexReport": "quartier.reporting.index",
    "IndexResult": "quartier.reporting.index",
    "PRESETS": "quartier.reporting.index",
    "composite_index": "quartier.reporting.index",
    "aggregate": "quartier.reporting.rates",
    "rate": "quartier.reporting.rates",
    "ChangeReport": "quartier.reporting.years",
    "ChangeResult": "quartier.reporting.years",
    "change": "quartier.reporting.years",
    "shared_breaks": "quartier.reporting.years",
    "get_fca_engine": "quartier.settings",
    "get_language": "quartier.settings",
    "language": "quartier.settings",
    "resolve_language": "quartier.settings",
    "set_fca_engine": "quartier.settings",
    "set_language": "quartier.settings",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'quartier' has no attribute {name!r}")
    if module == f"quartier.{name}":  # a submodule exported as such (quartier.errors)
        value = import_module(module)
    else:
        value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

try:
    __version__ = version("quartier")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "CostMatrix",
    "cost_matrix",
    "nearest",
    "DEFAULT_CRS",
    "PRESETS",
    "ChangeReport",
    "ChangeResult",
    "DisclosureAudit",
    "DisclosureResult",
    "RoundingResult",
    "DisclosureRules",
    "IndexPreset",
    "IndexReport",
    "IndexResult",
    "TableReport",
    "ServiceCheck",
    "SitingResult",
    "Statement",
    "development_statement",
    "plan_residents",
    "write_statement",
    "InterpolationReport",
    "InterpolationResult",
    "InterpolationWeights",
    "RasterReport",
    "RasterResult",
    "FCAReport",
    "FCAResult",
    "SupplyReport",
    "SupplyResult",
    "CoverageReport",
    "StreetNetwork",
    "TransitNetwork",
    "isochrones",
    "service_areas",
    "aggregate",
    "coverage_gaps",
    "fca",
    "fca_weights",
    "label_columns",
    "service_table",
    "supply",
    "supply_gaps",
    "area_interpolate",
    "dasymetric_interpolate",
    "interpolation_weights",
    "raster_cells",
    "raster_sums",
    "future_demand",
    "maximal_coverage",
    "p_median",
    "place_deficit",
    "project_population",
    "required_places",
    "set_cover",
    "apply_disclosure",
    "audit_disclosure",
    "default_count_columns",
    "change",
    "composite_index",
    "disclosure",
    "get_disclosure",
    "protect_table",
    "resolve_rules",
    "round_table",
    "rate",
    "set_disclosure",
    "shared_breaks",
    "ColumnError",
    "CRSError",
    "DataError",
    "MissingFileError",
    "ParameterTypeError",
    "CoverageResult",
    "DistrictKeyError",
    "InputFileError",
    "JoinError",
    "JoinReport",
    "OutputError",
    "DisclosureError",
    "ParameterError",
    "MissingDependencyError",
    "QuartierError",
    "QuartierWarning",
    "ValueParseError",
    "add_catchments",
    "add_facilities",
    "add_layer",
    "choropleth",
    "QuartierMap",
    "print_map",
    "DistrictProfiles",
    "ProfileReport",
    "district_profiles",
    "profiles_from_config",
    "save_map",
    "write_table",
    "output_rules",
    "coverage",
    "demo_path",
    "errors",
    "export_layers",
    "export_raster",
    "format_number",
    "format_percent",
    "get_language",
    "join_indicators",
    "read_districts",
    "read_facilities",
    "read_points",
    "read_table",
    "run_demo",
    "set_language",
    "language",
    "resolve_language",
    "set_fca_engine",
    "get_fca_engine",
]
