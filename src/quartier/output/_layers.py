"""Private helpers of :mod:`quartier.output.export`: formats, preparing and writing layers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import check_coordinates
from quartier._optional import import_optional
from quartier.errors import (
    ColumnError,
    CRSError,
    DataError,
    ParameterError,
    ParameterTypeError,
    format_list,
)
from quartier.io.crs import WEB_CRS
from quartier.output import _qml
from quartier.output.spreadsheet import COLUMN_KINDS
from quartier.reporting.disclosure_control import apply_disclosure

#: Formats by name: (file suffix, GDAL driver or None for GeoParquet, several layers per file).
FORMATS = {
    "gpkg": (".gpkg", "GPKG", True),
    "geojson": (".geojson", "GeoJSON", False),
    "fgb": (".fgb", "FlatGeobuf", False),
    "parquet": (".parquet", None, False),
    "shp": (".shp", "ESRI Shapefile", False),
}


_BY_SUFFIX = {suffix: name for name, (suffix, _, _) in FORMATS.items()}


_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


_FILE_MODE = 0o644


def _integral(series: pd.Series) -> bool:
    """True for counts: an integer column, or numbers that are all whole."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        return True
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    present = values[~np.isnan(values)]
    return bool(present.size) and bool(np.all(present == np.round(present)))


def _format_of(path: Path, format: str | None, layers) -> str:
    if format is not None:
        if format not in FORMATS:
            raise ParameterError(f"unknown format '{format}'; use one of {format_list(FORMATS)}.")
        return format
    suffix = path.suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if suffix:
        raise ParameterError(
            f"'{path}': unknown file type '{suffix}'. Use .gpkg, .geojson, .fgb, .parquet or "
            ".shp, or give a folder and format=."
        )
    raise ParameterError(f"'{path}' is a folder: say which format with format='gpkg', 'geojson', ...")


#: Cells a raster from export_raster may have (200 million: 800 MB as Float32): more means
#: points spread far apart for their cell size, not a planning grid.
MAX_RASTER_CELLS = 200_000_000


def _grid_cells(points, cell_size):
    """(x, y, column, row, cell size) of points on a regular grid, checked before any raster
    is allocated: points off the grid, two points in one cell, or a grid too large to be a
    planning grid are refused (DataError), naming the spacing found."""
    if len(points) == 0:
        raise DataError("export_raster got no points: there are no cells to write.")
    check_coordinates(points.geometry.values, None, what="the points", rows=points.index)
    if not (points.geom_type == "Point").all():
        raise DataError("export_raster writes grid cell centres: give points (e.g. "
                        "cells.set_geometry(cells.centroid)), not "
                        f"{format_list(sorted(set(points.geom_type)))} geometries.")
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    found = None
    if cell_size is None:
        steps = np.diff(np.unique(np.concatenate([x, y])))
        steps = steps[steps > 1e-6]
        cell_size = found = float(steps.min()) if steps.size else 100.0
    west, north = x.min() - cell_size / 2, y.max() + cell_size / 2
    fx = (x - west - cell_size / 2) / cell_size
    fy = (north - cell_size / 2 - y) / cell_size
    cols, rows = np.rint(fx), np.rint(fy)
    off = np.maximum(np.abs(fx - cols), np.abs(fy - rows)) > 0.01
    spacing = (f"the smallest spacing between the points' coordinates, {found:.6g} m"
               if found is not None else f"cell_size={cell_size:g} m")
    if off.any():
        raise DataError(
            f"the points do not lie on a regular grid of {spacing}: {int(off.sum())} of "
            f"{len(x)} points are off the grid (index {format_list(points.index[off])}). "
            "export_raster writes the centres of grid cells (e.g. Zensus 100 m cells); give "
            "the grid's cell_size=, or write scattered points with export_layers.")
    height, width = int(rows.max()) + 1, int(cols.max()) + 1
    if height * width > MAX_RASTER_CELLS:
        raise DataError(
            f"a raster of {height:,} x {width:,} cells at {spacing} would take "
            f"{height * width * 4 / 2**30:.1f} GiB for {len(x):,} points: they are spread too "
            "far apart for that cell size. Give a larger cell_size=, or write the points with "
            "export_layers.")
    flat = rows.astype(np.int64) * width + cols.astype(np.int64)
    unique, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        twice = np.isin(flat, unique[counts > 1])
        raise DataError(
            f"{int(twice.sum())} points fall into the same {cell_size:g} m cells as others "
            f"(index {format_list(points.index[twice])}): one value per cell only. Aggregate "
            "them first, or give the grid's cell_size=.")
    return x, y, cols.astype(int), rows.astype(int), cell_size


def _split_metadata(metadata, layers) -> tuple[dict, dict[str, dict]]:
    """(metadata for every layer, {layer: its own metadata})."""
    common, per_layer = {}, {}
    for key, value in (metadata or {}).items():
        if key in layers and isinstance(value, Mapping):
            per_layer[key] = dict(value)
        else:
            common[key] = value
    return common, per_layer


def _check_styles(styles, layers) -> None:
    if not isinstance(styles, Mapping):
        return
    for name, column in styles.items():
        if name not in layers:
            raise ParameterError(f"styles= names layer '{name}', which is not among the layers "
                              f"given ({format_list(layers)}).")
        if column is not None and column not in layers[name].columns:
            raise ColumnError(
                f"styles= classifies layer '{name}' on column '{column}', which it does not "
                f"have. Its columns are {format_list(map(str, layers[name].columns), limit=30)}.")


def _check_suppressed(suppressed, layers) -> None:
    for name, mask in (suppressed or {}).items():
        if name not in layers:
            raise ParameterError(f"suppressed= names layer '{name}', which is not among the layers "
                              f"given ({format_list(layers)}).")
        if not isinstance(mask, (pd.DataFrame, pd.Series)):
            raise ParameterTypeError(
                f"suppressed= for layer '{name}' must be a boolean pandas DataFrame (one column "
                "per column, e.g. DisclosureResult.suppressed) or Series (rows of the styled "
                f"column), aligned on the layer's index, not {type(mask).__name__}.")


def _whole_counts(before: pd.DataFrame, after: pd.DataFrame, column) -> bool:
    """An integer column made decimal by suppression, or one of quartier's count columns that
    holds whole numbers only."""
    series = after[column]
    if not pd.api.types.is_float_dtype(series):
        return False
    was_int = column in before.columns and pd.api.types.is_integer_dtype(before[column]) \
        and not pd.api.types.is_bool_dtype(before[column])
    values = series.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    whole = bool(np.all(finite == np.round(finite))) and bool(np.all(np.abs(finite) < 2**53))
    return whole and (was_int or COLUMN_KINDS.get(str(column)) == "count")


def _prepare(name: str, gdf: gpd.GeoDataFrame, fmt: str, rates=None, rules=None,
             suppressed=None, column: str | None = None):
    """(the layer as written, bool Series of suppressed cells of ``column`` or None)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ParameterTypeError(f"layer '{name}' is not a GeoDataFrame; export tables with to_csv.")
    if gdf.crs is None and len(gdf):
        # GeoJSON would take the numbers as longitude/latitude, other formats would carry
        # coordinates nobody can place: refused instead of writing a file without meaning
        raise CRSError(
            f"layer '{name}' has no coordinate reference system, so its coordinates cannot be "
            f"written to a {fmt} file. Set the CRS the coordinates are in first, e.g. "
            "layer.set_crs('EPSG:25832') (or read the data with quartier.read_districts / "
            "read_facilities, which set it).")
    seen: dict[str, str] = {}
    for c in gdf.columns:
        other = seen.setdefault(str(c).lower(), str(c))
        if other != str(c):
            raise ColumnError(
                f"layer '{name}' has columns '{other}' and '{c}', which GIS formats cannot "
                "tell apart (field names ignore case). Rename one of them."
            )
    mask = _input_mask(name, gdf, suppressed, column)
    result = apply_disclosure(gdf, rates=rates, rules=rules, suppressed=mask)
    out = result.table
    if result.suppressed.to_numpy().any():
        # without rules apply_disclosure leaves an office's suppressed cells as they are: a file
        # never carries a suppressed value
        out = out.copy()
        for c in result.suppressed.columns[result.suppressed.any().to_numpy()]:
            if c != out.geometry.name:
                out[c] = out[c].mask(result.suppressed[c].astype(bool))
    # rebuilt from its columns: whatever a caller put in the frame's attrs (GeoParquet would
    # write it as JSON, and fail on objects) is not carried into the files
    out = gpd.GeoDataFrame(dict(out.items()), geometry=out.geometry.name, crs=out.crs)
    for c in out.columns:
        if c != out.geometry.name and _whole_counts(gdf, out, c):
            # counts stay integer fields when suppressed (empty) cells made them decimals
            out[c] = out[c].round().astype("Int64")
        if c != out.geometry.name and out[c].dtype == object:
            # lists, dicts or mixed objects: write as text
            if not out[c].map(lambda v: v is None or isinstance(v, str)).all():
                out[c] = out[c].map(lambda v: None if v is None else str(v))
    blocked = None
    if column is not None and column in result.suppressed.columns:
        blocked = result.suppressed[column].astype(bool)
        flag = f"{column}{_qml.SUPPRESSED_SUFFIX}"
        if blocked.any():
            # the values are NaN in the file; this 0/1 column tells "gesperrt" from "no data"
            if flag in out.columns:
                out[flag] = blocked.astype("int32")
            else:
                out.insert(list(out.columns).index(column) + 1, flag, blocked.astype("int32"))
    if fmt == "geojson" and out.crs is not None:
        out = out.to_crs(WEB_CRS)
    return out, blocked


def _input_mask(name, gdf, suppressed, column) -> pd.DataFrame | None:
    """The caller's mask as a DataFrame, with rows an earlier export flagged as suppressed."""
    if isinstance(suppressed, pd.Series):
        if column is None:
            raise ColumnError(
                f"suppressed= for layer '{name}' is a Series, which marks rows of the styled "
                "column, but the layer has none. Name it with styles={'" + name + "': column} "
                "or pass a DataFrame mask with one column per column.")
        suppressed = pd.DataFrame({column: suppressed.reindex(gdf.index, fill_value=False)})
    flag = f"{column}{_qml.SUPPRESSED_SUFFIX}" if column is not None else None
    if flag is not None and flag in gdf.columns:  # re-export of a file quartier wrote
        earlier = pd.to_numeric(gdf[flag], errors="coerce").eq(1)
        if earlier.any():
            own = (suppressed.reindex(index=gdf.index, columns=[column], fill_value=False)
                   if suppressed is not None else pd.DataFrame(False, index=gdf.index,
                                                                  columns=[column]))
            merged = own[column].fillna(False).astype(bool) | earlier
            suppressed = (suppressed.copy() if suppressed is not None
                          else pd.DataFrame(index=gdf.index))
            suppressed[column] = merged
    return suppressed


def _write_one(gdf, tmp: Path, name: str, fmt: str, driver, meta, fields) -> list[Path]:
    """Write one layer; return extra files written beside ``tmp`` (Shapefile parts, mapping)."""
    if fmt == "parquet":
        import_optional("pyarrow", purpose="GeoParquet export (format='parquet')")
        gdf.to_parquet(tmp, index=False)
        return []
    layer_meta = {k: json.dumps(v, default=str) if not isinstance(v, str) else v
                  for k, v in meta.items()}
    if fmt == "gpkg":
        # IDENTIFIER and DESCRIPTION (gpkg_contents) are the title and abstract QGIS shows
        title, description = _title(name, meta)
        gdf.to_file(tmp, layer=name, driver=driver, engine="pyogrio", layer_metadata=layer_meta,
                    layer_options={"IDENTIFIER": title, "DESCRIPTION": description},
                    dataset_options={"VERSION": "1.2"} if not tmp.exists() else None)
        return []
    if fmt == "geojson":
        gdf.to_file(tmp, driver=driver, engine="pyogrio", layer_options={"RFC7946": "YES"})
        return []
    if fmt == "fgb":
        gdf.to_file(tmp, driver=driver, engine="pyogrio")
        return []
    short = fields
    renamed = gdf.rename(columns=short)
    renamed.to_file(tmp, driver=driver, engine="pyogrio", encoding="UTF-8")
    mapping = tmp.with_name(f"{tmp.stem}.fields.csv")
    pd.DataFrame({"field": list(short.values()), "column": list(short.keys())}).to_csv(
        mapping, index=False, encoding="utf-8"
    )
    parts = [tmp.with_suffix(s) for s in _SHP_PARTS[1:] if tmp.with_suffix(s).exists()]
    return [*parts, mapping]


def _title(name: str, meta: Mapping[str, object]) -> tuple[str, str]:
    """(title, description) of a layer for QGIS: given ones, else the name and the metadata."""
    title = str(meta.get("title") or (f"{name}: {meta['column']}" if meta.get("column") else name))
    if meta.get("description"):
        return title, str(meta["description"])
    skip = {"title", "description", "layer", "layers"}
    lines = [f"{k}: {v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)}"
             for k, v in meta.items() if k not in skip]
    return title, "\n".join(lines)


def _short_names(columns: list[str]) -> dict[str, str]:
    """Unique field names of at most 10 characters, as a Shapefile needs."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        name = str(column)[:10]
        i = 1
        while name.lower() in used:
            tail = f"_{i}"
            name = str(column)[: 10 - len(tail)] + tail
            i += 1
        used.add(name.lower())
        out[column] = name
    return out


def _file_stem(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def _software() -> str:
    from quartier import __version__

    return f"quartier {__version__}"
