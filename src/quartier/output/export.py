"""Write analysis layers to GIS files that open cleanly in QGIS and ArcGIS, atomically.

:func:`export_layers` writes GeoPackage (several layers in one file, each with a
QGIS style stored in the file), GeoJSON (RFC 7946, WGS84), FlatGeobuf,
GeoParquet and Shapefile (with a table mapping the shortened field names back).
:func:`export_raster` writes a raster surface (e.g. accessibility per grid
cell) to GeoTIFF. Metadata (source, licence, date, method, parameters) travels
with every layer; disclosure control applies to everything written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier.errors import ColumnError, InputFileError, format_list
from quartier.io.crs import WEB_CRS, require_metric
from quartier.output import _qml
from quartier.reporting.disclosure_control import DisclosureRules, apply_disclosure
from quartier.settings import resolve_language

__all__ = ["export_layers", "export_raster", "FORMATS"]

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


def export_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | os.PathLike,
    *,
    format: str | None = None,
    styles: bool | Mapping[str, str] = True,
    metadata: Mapping[str, object] | None = None,
    rates: Mapping[str, tuple[str, str]] | None = None,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
) -> list[Path]:
    """Write layers to GIS files, atomically, with styles and metadata.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Layer names and their data.
    path : path
        A ``.gpkg`` file (all layers in one file); a file with the suffix of
        another format (one layer only); or a folder, with ``format``, that
        gets one file per layer named after it.
    format : {"gpkg", "geojson", "fgb", "parquet", "shp"}, optional
        Needed when ``path`` is a folder; otherwise taken from the suffix.
    styles : bool or mapping, default True
        GeoPackage only: store a QGIS style per layer in the file (the
        ``layer_styles`` table QGIS reads), so layers open classified and
        coloured. A mapping ``{layer: column}`` says which column to classify
        (e.g. ``{"coverage": "share_covered"}``); layers not in it are
        classified on their last float column. A column named in ``styles``
        that the layer does not have is an error.
    metadata : mapping, optional
        Source, licence attribution, method, parameters, ... One mapping for
        every layer; entries whose key is a layer name and whose value is a
        mapping (``{"sites": {"model": ...}}``) apply to that layer only and
        override the common ones. ``date`` and ``software`` are added.
        GeoPackages keep it in the file (GDAL layer metadata); every format
        also gets a ``<file>.metadata.json`` beside it.
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns that disclosure
        control suppresses together with their counts, in every layer.
    lang : {"de", "en"}, optional
        Language of the stored QGIS styles (legend labels); default from
        :func:`quartier.set_language`.
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.

    Returns
    -------
    list of pathlib.Path
        The data files written (sidecar files not included).

    Raises
    ------
    InputFileError
        Unknown format, several layers for a single-layer format, or columns
        a format cannot tell apart.
    ColumnError
        ``styles`` names a layer that is not given or a column the layer lacks.

    Notes
    -----
    Writes go to a temporary folder beside the target and are moved into
    place only when every layer was written: a failed export leaves no
    half-written file and does not destroy an existing one. GeoJSON is
    written in WGS84 (RFC 7946); other formats keep the layer's CRS.
    Shapefile field names are cut to 10 characters; ``<name>.fields.csv``
    maps them back. Disclosure control (:func:`quartier.set_disclosure`) is
    applied to every layer first.

    Examples
    --------
    >>> import geopandas as gpd, tempfile, os
    >>> from shapely import Point
    >>> pts = gpd.GeoDataFrame({"n": [1.5]}, geometry=[Point(0, 0)], crs="EPSG:25832")
    >>> out = export_layers({"punkte": pts}, os.path.join(tempfile.mkdtemp(), "x.gpkg"))
    >>> gpd.list_layers(out[0])["name"].tolist()
    ['punkte', 'layer_styles']
    """
    path = Path(path)
    fmt = _format_of(path, format, layers)
    if not layers:
        raise InputFileError(f"no layers given to write to '{path}'.")
    suffix, driver, multi = FORMATS[fmt]
    if not multi and path.suffix.lower() == suffix and len(layers) > 1:
        raise InputFileError(
            f"'{path}' can hold one layer only, but {len(layers)} were given. Give a folder "
            f"and format='{fmt}' to write one file per layer, or use a .gpkg."
        )
    common, per_layer = _split_metadata(metadata, layers)
    base_meta = {"date": dt.date.today().isoformat(), "software": _software(), **common}
    _check_styles(styles, layers)
    lang = resolve_language(lang)
    prepared = {name: _prepare(name, gdf, fmt, rates, rules) for name, gdf in layers.items()}

    if path.suffix.lower() == suffix:
        targets = {name: path for name in prepared}
        folder = path.parent
    else:
        folder = path
        targets = {name: path / f"{_file_stem(name)}{suffix}" for name in prepared}
    folder.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=".quartier-export-", dir=folder))
    try:
        written: dict[Path, Path] = {}
        styled: dict[Path, dict[str, tuple[str, str, str]]] = {}
        for name, gdf in prepared.items():
            target = targets[name]
            tmp = tmpdir / target.name
            meta = {**base_meta, **per_layer.get(name, {}), "layer": name}
            extra = _write_one(gdf, tmp, name, fmt, driver, meta)
            written[tmp] = target
            for part in extra:
                written[part] = target.parent / part.name
            if fmt == "gpkg" and styles is not False:
                wanted = styles.get(name) if isinstance(styles, Mapping) else None
                qml, description = _qml.qml_for(gdf, _qml.style_column(gdf, wanted),
                                                lang=lang)
                styled.setdefault(tmp, {})[name] = (gdf.geometry.name, qml, description)
        for tmp, target in list(written.items()):
            if tmp.suffix.lower() not in (suffix, ".gpkg"):
                continue
            if tmp in styled:
                _qml.write_styles(str(tmp), styled[tmp])
            in_file = [n for n, t in targets.items() if t == target]
            meta = {**base_meta, "layers": in_file} if multi else {
                **base_meta, **per_layer.get(in_file[0], {}), "layer": in_file[0]}
            side = tmpdir / f"{target.name}.metadata.json"
            side.write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str),
                            encoding="utf-8")
            written[side] = target.parent / side.name
        for tmp, target in written.items():
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return sorted(set(targets.values()))


def export_raster(
    points: gpd.GeoDataFrame,
    column: str,
    path: str | os.PathLike,
    *,
    cell_size: float | None = None,
    nodata: float = -9999.0,
    metadata: Mapping[str, object] | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
) -> Path:
    """Write values at grid cell centres (e.g. accessibility per 100 m cell) as a GeoTIFF.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Cell centre points on a regular grid, in a metric CRS.
    column : str
        The value to write.
    path : path
        The ``.tif`` file.
    cell_size : float, optional
        Cell size in metres; default: the smallest spacing of the points.
    nodata : float, default -9999
        Value of cells without a point or with a missing value.
    metadata : mapping, optional
        Stored as GeoTIFF tags (with date and software).
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import geopandas as gpd, tempfile, os, rasterio
    >>> from shapely import Point
    >>> cells = gpd.GeoDataFrame({"a": [1.0, 2.0]}, geometry=[Point(50, 50), Point(150, 50)],
    ...                          crs="EPSG:25832")
    >>> tif = export_raster(cells, "a", os.path.join(tempfile.mkdtemp(), "a.tif"))
    >>> with rasterio.open(tif) as r:
    ...     r.read(1).tolist(), r.res
    ([[1.0, 2.0]], (100.0, 100.0))
    """
    import rasterio
    from rasterio.transform import from_origin

    require_metric(points.crs, what="the points")
    if column not in points.columns:
        raise ColumnError(f"column '{column}' not found in the points; columns are "
                          f"{format_list([c for c in points.columns if c != 'geometry'])}.")
    points = apply_disclosure(points, rules=rules).table
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    if cell_size is None:
        steps = np.diff(np.unique(np.concatenate([x, y])))
        steps = steps[steps > 1e-6]
        cell_size = float(steps.min()) if steps.size else 100.0
    west, north = x.min() - cell_size / 2, y.max() + cell_size / 2
    cols = np.rint((x - west - cell_size / 2) / cell_size).astype(int)
    rows = np.rint((north - cell_size / 2 - y) / cell_size).astype(int)
    grid = np.full((rows.max() + 1, cols.max() + 1), nodata, dtype="float32")
    values = pd.to_numeric(points[column], errors="coerce").to_numpy(dtype=float)
    grid[rows, cols] = np.where(np.isnan(values), nodata, values)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tif", dir=path.parent)
    os.close(fd)
    try:
        with rasterio.open(
            tmp, "w", driver="GTiff", height=grid.shape[0], width=grid.shape[1], count=1,
            dtype="float32", crs=points.crs.to_wkt(), nodata=nodata,
            transform=from_origin(west, north, cell_size, cell_size), compress="deflate",
        ) as dst:
            dst.write(grid, 1)
            tags = {"date": dt.date.today().isoformat(), "software": _software(),
                    "column": column, **(metadata or {})}
            dst.update_tags(**{k: str(v) for k, v in tags.items()})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _format_of(path: Path, format: str | None, layers) -> str:
    if format is not None:
        if format not in FORMATS:
            raise InputFileError(f"unknown format '{format}'; use one of {format_list(FORMATS)}.")
        return format
    suffix = path.suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if suffix:
        raise InputFileError(
            f"'{path}': unknown file type '{suffix}'. Use .gpkg, .geojson, .fgb, .parquet or "
            ".shp, or give a folder and format=."
        )
    raise InputFileError(f"'{path}' is a folder: say which format with format='gpkg', 'geojson', ...")


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
            raise ColumnError(f"styles= names layer '{name}', which is not among the layers "
                              f"given ({format_list(layers)}).")
        if column is not None and column not in layers[name].columns:
            raise ColumnError(
                f"styles= classifies layer '{name}' on column '{column}', which it does not "
                f"have. Its columns are {format_list(map(str, layers[name].columns), limit=30)}.")


def _prepare(name: str, gdf: gpd.GeoDataFrame, fmt: str, rates=None,
             rules=None) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputFileError(f"layer '{name}' is not a GeoDataFrame; export tables with to_csv.")
    seen: dict[str, str] = {}
    for column in gdf.columns:
        other = seen.setdefault(str(column).lower(), str(column))
        if other != str(column):
            raise InputFileError(
                f"layer '{name}' has columns '{other}' and '{column}', which GIS formats cannot "
                "tell apart (field names ignore case). Rename one of them."
            )
    out = apply_disclosure(gdf, rates=rates, rules=rules).table
    # rebuilt from its columns: whatever a caller put in the frame's attrs (GeoParquet would
    # write it as JSON, and fail on objects) is not carried into the files
    out = gpd.GeoDataFrame(dict(out.items()), geometry=out.geometry.name, crs=out.crs)
    for column in out.columns:
        if column != out.geometry.name and out[column].dtype == object:
            # lists, dicts or mixed objects: write as text
            if not out[column].map(lambda v: v is None or isinstance(v, str)).all():
                out[column] = out[column].map(lambda v: None if v is None else str(v))
    if fmt == "geojson" and out.crs is not None:
        out = out.to_crs(WEB_CRS)
    return out


def _write_one(gdf, tmp: Path, name: str, fmt: str, driver, meta) -> list[Path]:
    """Write one layer; return extra files written beside ``tmp`` (Shapefile parts, mapping)."""
    if fmt == "parquet":
        gdf.to_parquet(tmp, index=False)
        return []
    layer_meta = {k: json.dumps(v, default=str) if not isinstance(v, str) else v
                  for k, v in meta.items()}
    if fmt == "gpkg":
        gdf.to_file(tmp, layer=name, driver=driver, engine="pyogrio", layer_metadata=layer_meta)
        return []
    if fmt == "geojson":
        gdf.to_file(tmp, driver=driver, engine="pyogrio", layer_options={"RFC7946": "YES"})
        return []
    if fmt == "fgb":
        gdf.to_file(tmp, driver=driver, engine="pyogrio")
        return []
    short = _short_names([c for c in gdf.columns if c != gdf.geometry.name])
    renamed = gdf.rename(columns=short)
    renamed.to_file(tmp, driver=driver, engine="pyogrio", encoding="UTF-8")
    mapping = tmp.with_name(f"{tmp.stem}.fields.csv")
    pd.DataFrame({"field": list(short.values()), "column": list(short.keys())}).to_csv(
        mapping, index=False, encoding="utf-8"
    )
    parts = [tmp.with_suffix(s) for s in _SHP_PARTS[1:] if tmp.with_suffix(s).exists()]
    return [*parts, mapping]


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
