"""Read district geometries (Stadtbezirke, Stadtteile, Planungsräume) from GIS files."""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import pyogrio
import shapely

from quartier._checks import check_coordinates, existing_file, require_column
from quartier.errors import DistrictKeyError, InputFileError, QuartierWarning, format_list
from quartier.io.crs import to_planning_crs
from quartier.io.keys import normalize_keys

__all__ = ["read_districts", "GIS_SUFFIXES"]

#: File types read as GIS layers (anything GDAL reads works; these are the usual ones).
GIS_SUFFIXES = (
    ".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml", ".zip", ".shp.zip",
    ".parquet", ".geoparquet", ".gdb",
)


def read_districts(
    source: str | os.PathLike | gpd.GeoDataFrame,
    key: str,
    *,
    name: str | None = None,
    layer: str | int | None = None,
    crs: object = None,
    key_width: int | None = None,
    source_crs: object = None,
) -> gpd.GeoDataFrame:
    """Read district polygons from any GIS file, with string keys and a metric CRS.

    Reads Shapefile, GeoPackage, GeoJSON (with or without a ``crs`` member),
    FlatGeobuf, GeoParquet and whatever else GDAL reads. The district keys
    become strings (zero-padded to ``key_width`` when given), invalid
    geometries are repaired (and reported in a warning), and the result is in
    a projected metric CRS.

    Parameters
    ----------
    source : path or geopandas.GeoDataFrame
        The file (or an already loaded GeoDataFrame to check and normalise).
    key : str
        Column with the official district key (e.g. ``"PLR_ID"``).
    name : str, optional
        Column with the district name, used in maps and reports. Checked to
        exist; pass it again to maps as ``name_col=`` (nothing is recorded on
        the frame).
    layer : str or int, optional
        Layer of a multi-layer file (GeoPackage). Required when the file has
        more than one layer.
    crs : optional
        The planning CRS wanted (projected, in metres). By default the file's
        own CRS if it is metric, else EPSG:25832.
    key_width : int, optional
        Pad keys with leading zeros to this width (repairs keys that were
        stored as numbers, e.g. ``1100101`` becomes ``"01100101"`` with 8).
    source_crs : optional
        The CRS of the coordinates, for files that do not declare one (a
        Shapefile without ``.prj``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per district, all columns of the source, the key column as
        strings. Nothing is recorded in ``attrs``: pass the key column on
        explicitly (``key=``, ``by_key=``, ``left_on=``). Keys of districts
        whose geometry was repaired are named in a warning.

    Raises
    ------
    InputFileError
        Missing or unreadable file, several layers and no ``layer``, or
        geometries that are not polygons.
    ColumnError
        ``key`` or ``name`` is not a column.
    DistrictKeyError
        Keys are empty, duplicated, or longer than ``key_width``.
    CRSError
        ``crs`` is geographic, or the file has no CRS and no ``source_crs``.

    Warns
    -----
    QuartierWarning
        When invalid geometries were repaired or districts have no geometry.

    Examples
    --------
    >>> import quartier
    >>> stadtteile = quartier.read_districts(
    ...     quartier.demo_path("musterstadt.gpkg"), key="stadtteil_id", name="name",
    ...     layer="stadtteile")
    >>> stadtteile.crs.to_epsg(), stadtteile["stadtteil_id"].str.len().unique().tolist()
    (25832, [5])
    """
    if isinstance(source, gpd.GeoDataFrame):
        gdf, label = source.copy(), "the GeoDataFrame"
    else:
        path = existing_file(source)
        label = str(path)
        gdf = _read_layer(path, layer)
    if len(gdf) == 0:
        raise InputFileError(
            f"'{label}'{'' if layer is None else f' (layer {layer!r})'} holds no districts "
            "(0 features). Check that the file was exported completely and that you read the "
            "district layer (layer=...).")

    require_column(gdf, key, source=label, role="key column")
    if name is not None:
        require_column(gdf, name, source=label, role="name column")

    gdf[key] = normalize_keys(gdf[key], key_width=key_width, column=key, source=label)
    duplicated = gdf[key][gdf[key].duplicated(keep=False)]
    if len(duplicated):
        raise DistrictKeyError(
            f"{duplicated.nunique()} key(s) occur more than once in column '{key}' of "
            f"'{label}': {format_list(duplicated.unique())}. Each district must appear once: "
            "dissolve the parts of a district into one (multi)polygon in your GIS, or choose "
            "the right key column."
        )
    gdf[key] = gdf[key].astype(str)

    # finite and inside the CRS's area of use, checked before GEOS repairs (or empties) them
    check_coordinates(gdf.geometry.values, gdf.crs if gdf.crs is not None else source_crs,
                      what=label if label.startswith("the ") else f"'{label}'")
    gdf = _repair_geometries(gdf, key, label)
    gdf = to_planning_crs(gdf, crs=crs, source_crs=source_crs, what=label)
    return gdf.reset_index(drop=True)


def _read_layer(path, layer) -> gpd.GeoDataFrame:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as err:  # GDAL says why in its own words
        raise InputFileError(
            f"file '{path}' cannot be read as a GIS layer ({err}). Supported are GeoPackage, "
            "Shapefile (with .shx/.dbf/.prj beside it), GeoJSON, FlatGeobuf, GeoParquet and "
            "other formats GDAL reads."
        ) from err
    names = [str(row[0]) for row in layers]
    if layer is None and len(names) > 1:
        raise InputFileError(
            f"file '{path}' has {len(names)} layers: {format_list(names, limit=30)}. "
            "Say which one with layer=..."
        )
    if isinstance(layer, str) and layer not in names:
        raise InputFileError(
            f"file '{path}' has no layer '{layer}'. Its layers are: {format_list(names, limit=30)}."
        )
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as err:
        raise InputFileError(f"file '{path}' cannot be read ({err}).") from err


def _repair_geometries(gdf: gpd.GeoDataFrame, key: str, label: str):
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        warnings.warn(
            f"{int(missing.sum())} district(s) in '{label}' have no geometry: "
            f"{format_list(gdf.loc[missing, key])}. They are kept (tables still join to them) "
            "but cannot be mapped or used in spatial analyses.",
            QuartierWarning,
            stacklevel=3,
        )
    types = set(shapely.get_type_id(geoms[~missing]).tolist())
    if not types <= {3, 6}:  # Polygon, MultiPolygon
        kinds = sorted(set(gdf.geometry[~missing].geom_type))
        raise InputFileError(
            f"'{label}' holds {format_list(kinds)} geometries; districts must be polygons. "
            "Check that you read the district layer (layer=...), not points or lines."
        )
    invalid = ~missing & ~shapely.is_valid(geoms)
    repaired: list[str] = []
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        # make_valid may return collections with slivers of lines: keep the polygonal part
        fixed = [_polygonal(g) for g in fixed]
        gdf.loc[invalid, gdf.geometry.name] = gpd.GeoSeries(fixed, index=gdf.index[invalid]).values
        repaired = gdf.loc[invalid, key].tolist()
        warnings.warn(
            f"{len(repaired)} invalid geometr{'y' if len(repaired) == 1 else 'ies'} in '{label}' "
            f"repaired (shapely.make_valid), district key(s) {format_list(repaired)}. "
            "Check them in your GIS if the areas matter.",
            QuartierWarning,
            stacklevel=3,
        )
    return gdf


def _polygonal(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()

