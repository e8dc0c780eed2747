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

from importlib.metadata import PackageNotFoundError, version

from quartier import errors
from quartier.access.catchments import isochrones, service_areas
from quartier.access.costs import CostMatrix, cost_matrix, nearest
from quartier.access.covering import CoverageReport, CoverageResult, coverage
from quartier.access.floating import FCAReport, FCAResult, fca, fca_weights
from quartier.access.gaps import coverage_gaps, label_columns, supply_gaps
from quartier.access.network.streets import StreetNetwork
from quartier.access.provision import SupplyReport, SupplyResult, supply
from quartier.access.services import service_table
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
    DistrictKeyError,
    InputFileError,
    JoinError,
    OutputError,
    ParameterError,
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
from quartier.output.maps import add_catchments, add_facilities, add_layer, choropleth
from quartier.output.offline import save_map
from quartier.output.printmap import print_map
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
from quartier.reporting.disclosure_control import (
    DisclosureResult,
    DisclosureRules,
    apply_disclosure,
    default_count_columns,
    disclosure,
    get_disclosure,
    protect_table,
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
from quartier.reporting.rates import aggregate, rate
from quartier.reporting.years import ChangeReport, ChangeResult, change, shared_breaks
from quartier.settings import get_language, language, resolve_language, set_language

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
    "DisclosureResult",
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
    "default_count_columns",
    "change",
    "composite_index",
    "disclosure",
    "get_disclosure",
    "protect_table",
    "resolve_rules",
    "rate",
    "set_disclosure",
    "shared_breaks",
    "ColumnError",
    "CRSError",
    "CoverageResult",
    "DistrictKeyError",
    "InputFileError",
    "JoinError",
    "JoinReport",
    "OutputError",
    "ParameterError",
    "QuartierError",
    "QuartierWarning",
    "ValueParseError",
    "add_catchments",
    "add_facilities",
    "add_layer",
    "choropleth",
    "print_map",
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
]
