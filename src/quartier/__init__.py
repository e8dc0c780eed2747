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
>>> joined, report = quartier.join_indicators(stadtteile, table)
>>> report.complete
True
"""

from importlib.metadata import PackageNotFoundError, version

from . import errors
from .coverage import CoverageResult, coverage
from .crs import DEFAULT_CRS
from .demo import demo_path, run_demo
from .disclosure import (
    DisclosureRules,
    apply_disclosure,
    disclosure,
    get_disclosure,
    protect_table,
    set_disclosure,
)
from .districts import read_districts
from .errors import (
    ColumnError,
    CRSError,
    DistrictKeyError,
    InputFileError,
    JoinError,
    QuartierError,
    QuartierWarning,
    ValueParseError,
)
from .export import export_layers, export_raster
from .facilities import read_facilities, read_points
from .fca import fca, fca_weights
from .gaps import coverage_gaps, label_columns, supply_gaps
from .index import PRESETS, IndexPreset, composite_index
from .interpolate import (
    InterpolationReport,
    InterpolationWeights,
    area_interpolate,
    dasymetric_interpolate,
    interpolation_weights,
)
from .isochrones import isochrones, service_areas
from .joins import JoinReport, join_indicators
from .maps import add_catchments, add_facilities, add_layer, choropleth
from .network import StreetNetwork
from .numbers import format_number, format_percent
from .offline import save_map
from .printmap import print_map
from .projection import future_demand, place_deficit, project_population, required_places
from .rasters import RasterReport, raster_cells, raster_sums
from .rates import aggregate, rate
from .services import service_table
from .settings import get_language, set_language
from .siting import SitingResult, maximal_coverage, p_median, set_cover
from .statement import (
    ServiceCheck,
    Statement,
    development_statement,
    plan_residents,
    write_statement,
)
from .supply import supply
from .tables import read_table
from .years import change, shared_breaks

try:
    __version__ = version("quartier")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "DEFAULT_CRS",
    "PRESETS",
    "DisclosureRules",
    "IndexPreset",
    "ServiceCheck",
    "SitingResult",
    "Statement",
    "development_statement",
    "plan_residents",
    "write_statement",
    "InterpolationReport",
    "InterpolationWeights",
    "RasterReport",
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
    "change",
    "composite_index",
    "disclosure",
    "get_disclosure",
    "protect_table",
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
    "QuartierError",
    "QuartierWarning",
    "ValueParseError",
    "add_catchments",
    "add_facilities",
    "add_layer",
    "choropleth",
    "print_map",
    "save_map",
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
]
