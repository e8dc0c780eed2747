"""Write analysis layers to GIS files that open cleanly in QGIS and ArcGIS, atomically.

:func:`export_layers` writes GeoPackage (several layers in one file, each with its
QGIS style stored in the file), GeoJSON (RFC 7946, WGS84), FlatGeobuf, GeoParquet and
Shapefile (with a table mapping the shortened field names back); single-layer files get
their QGIS style as ``<name>.qml`` and their title and description as ``<name>.qmd``
beside them. The styles use the classes, colours and legend labels of the web map and
draw districts without a value and suppressed ones too. :func:`export_raster` writes a
raster surface (e.g. accessibility per grid cell) to GeoTIFF. Metadata (source, licence,
date, method, parameters) travels with every layer; disclosure control applies to
everything written."""

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

from quartier._checks import positive_number
from quartier.errors import (
    ColumnError,
    OutputError,
    ParameterError,
    QuartierError,
    format_list,
)
from quartier.io.crs import require_metric
from quartier.output import _qml
from quartier.output._layers import (
    _FILE_MODE,
    FORMATS,
    _check_styles,
    _check_suppressed,
    _file_stem,
    _format_of,
    _grid_cells,
    _integral,
    _prepare,
    _short_names,
    _software,
    _split_metadata,
    _title,
    _write_one,
)
from quartier.output.files import _gdal_errors, _writable_folder
from quartier.reporting.disclosure_control import DisclosureRules, apply_disclosure
from quartier.settings import resolve_language

__all__ = ["export_layers", "export_raster", "FORMATS"]


def export_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | os.PathLike,
    *,
    format: str | None = None,
    styles: bool | Mapping[str, str] = True,
    metadata: Mapping[str, object] | None = None,
    rates: Mapping[str, tuple[str, str]] | None = None,
    suppressed: Mapping[str, pd.DataFrame | pd.Series] | None = None,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
    legend_titles: Mapping[str, str] | None = None,
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
        Give every layer a QGIS style that QGIS loads as its default: stored
        in a GeoPackage (its ``layer_styles`` table), a ``<name>.qml`` beside
        every other file. Classes, colours and legend labels are those of the
        web map and the print map (``lower <= value < upper``, the last class
        includes the maximum); districts without a value are drawn grey
        ("keine Angabe") and suppressed ones hatched ("gesperrt"). A mapping
        ``{layer: column}`` says which column to classify (e.g.
        ``{"coverage": "share_covered"}``, ``{"kitas": "places"}``); a layer
        not in it is classified on its last float column (areas, lines) or
        its capacity column (points: places, Plätze, platzzahl, ...), and
        drawn with one symbol if there is none. Keys, ids and coordinates are
        never classified. ``False``: no styles.
    metadata : mapping, optional
        Source, licence attribution, method, parameters, ... One mapping for
        every layer; entries whose key is a layer name and whose value is a
        mapping (``{"sites": {"model": ...}}``) apply to that layer only and
        override the common ones. ``date`` and ``software`` are added.
        ``title`` and ``description`` (default: the layer name with the
        styled column, and a text made of the other entries) are what QGIS shows as the layer's title
        and abstract (Layer Properties > Information). GeoPackages keep all of
        it in the file (``gpkg_contents`` and GDAL layer metadata); every
        format also gets a ``<file>.metadata.json`` beside it.
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns that disclosure
        control suppresses together with their counts, in every layer.
    suppressed : mapping, optional
        ``{layer: mask}``: cells a statistics office suppressed, a boolean
        DataFrame (one column per column) or Series (rows of the styled
        column) aligned on the layer's index, e.g. ``DisclosureResult.suppressed``
        or ``TableReport.suppressed``. They are written as missing values and
        drawn "gesperrt", like the cells disclosure control suppresses.
    lang : {"de", "en"}, optional
        Language of the stored QGIS styles (legend labels); default from
        :func:`quartier.set_language`.
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.
    legend_titles : mapping, optional
        ``{layer: text}``: a line the QGIS legend shows above the classes of a
        classified layer, e.g. how reach was measured (``"ÖPNV, Dienstag
        7:00–9:00 Uhr, Median, 30 min"``); ``quartier run`` gives every
        service layer its reach.

    Returns
    -------
    list of pathlib.Path
        The data files written (sidecar files not included).

    Raises
    ------
    ParameterError
        Unknown format, several layers for a single-layer format, ``styles`` or
        ``suppressed`` naming a layer that is not given.
    ColumnError
        Columns a format cannot tell apart, or ``styles`` naming a column the layer lacks.
    CRSError
        A layer without a CRS (its coordinates would be written without meaning).
    OutputError
        The file cannot be written (read-only folder, full disk); a previous file is kept.
    MissingDependencyError
        ``format="parquet"`` without pyarrow (``pip install "quartier[parquet]"``).

    Notes
    -----
    Writes go to a temporary folder beside the target and are moved into
    place only when every layer was written: a failed export leaves no
    half-written file and does not destroy an existing one. Files are
    readable by everyone (``0644``). GeoPackages are written as version 1.2,
    which every GDAL (and so every QGIS) since 2.2 reads. GeoJSON is
    written in WGS84 (RFC 7946); other formats keep the layer's CRS.
    Shapefile field names are cut to 10 characters; ``<name>.fields.csv``
    maps them back. Disclosure control (:func:`quartier.set_disclosure`) is
    applied to every layer first.

    Suppressed cells are missing values in the files. So that they can be
    told apart from values that are simply missing, a layer whose styled
    column has suppressed cells gets a 0/1 column ``<column>_suppressed``
    right after it (1 = suppressed); the QGIS style draws those rows
    "gesperrt". Layers without suppressed cells in that column get no such
    column.

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
        raise ParameterError(f"no layers given to write to '{path}'.")
    suffix, driver, multi = FORMATS[fmt]
    if not multi and path.suffix.lower() == suffix and len(layers) > 1:
        raise ParameterError(
            f"'{path}' can hold one layer only, but {len(layers)} were given. Give a folder "
            f"and format='{fmt}' to write one file per layer, or use a .gpkg."
        )
    common, per_layer = _split_metadata(metadata, layers)
    base_meta = {"date": dt.date.today().isoformat(), "software": _software(), **common}
    _check_styles(styles, layers)
    _check_suppressed(suppressed, layers)
    for name in legend_titles or {}:
        if name not in layers:
            raise ParameterError(f"legend_titles= names layer '{name}', which is not among the "
                                 f"layers given ({format_list(layers)}).")
    lang = resolve_language(lang)
    columns = {name: _qml.style_column(gdf, styles.get(name) if isinstance(styles, Mapping)
                                       else None) if styles is not False else None
               for name, gdf in layers.items()}
    prepared, masks = {}, {}
    for name, gdf in layers.items():
        prepared[name], masks[name] = _prepare(name, gdf, fmt, rates, rules,
                                               (suppressed or {}).get(name), columns[name])

    if path.suffix.lower() == suffix:
        targets = {name: path for name in prepared}
        folder = path.parent
    else:
        folder = path
        targets = {name: path / f"{_file_stem(name)}{suffix}" for name in prepared}
    _writable_folder(folder, path)
    tmpdir = Path(tempfile.mkdtemp(prefix=".quartier-export-", dir=folder))
    try:
        return _write_layers(prepared, targets, tmpdir, fmt=fmt, suffix=suffix, driver=driver,
                             multi=multi, styles=styles, columns=columns, masks=masks,
                             lang=lang, base_meta=base_meta, per_layer=per_layer,
                             legend_titles=dict(legend_titles or {}))
    except QuartierError:
        raise
    except (OSError, *_gdal_errors()) as exc:  # a full disk, a folder that went away
        reason = getattr(exc, "strerror", None) or exc
        raise OutputError(f"could not write '{path}': {reason}. Files written before are "
                          "unchanged. Free disk space or choose another folder.") from exc
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _write_layers(prepared, targets, tmpdir, *, fmt, suffix, driver, multi, styles, columns,
                  masks, lang, base_meta, per_layer, legend_titles) -> list[Path]:
    """Write every layer into ``tmpdir``, then move the files into place."""
    written: dict[Path, Path] = {}
    styled: dict[Path, dict[str, _qml.LayerStyle]] = {}
    for name, gdf in prepared.items():
        target = targets[name]
        tmp = tmpdir / target.name
        fields = (_short_names([c for c in gdf.columns if c != gdf.geometry.name])
                  if fmt == "shp" else {})
        style = None
        if styles is not False:
            style = _qml.layer_style(gdf, columns[name], suppressed=masks[name],
                                     fields=fields, lang=lang,
                                     heading=legend_titles.get(name))
        meta = {**base_meta, **per_layer.get(name, {}), "layer": name}
        if style is not None and columns[name] is not None:
            meta.setdefault("column", columns[name])
            meta.setdefault("style", style.description)
        extra = _write_one(gdf, tmp, name, fmt, driver, meta, fields)
        written[tmp] = target
        for part in extra:
            written[part] = target.parent / part.name
        if fmt != "gpkg":  # QGIS loads <name>.qmd beside a file as the layer's metadata
            title, description = _title(name, meta)
            qmd = tmp.with_name(f"{tmp.stem}.qmd")
            qmd.write_text(_qml.metadata_qmd(title, description, identifier=name, lang=lang),
                           encoding="utf-8")
            written[qmd] = target.parent / qmd.name
        if style is None:
            continue
        if fmt == "gpkg":
            styled.setdefault(tmp, {})[name] = style
        else:  # QGIS loads <name>.qml beside a file as its default style
            qml = tmp.with_name(f"{tmp.stem}.qml")
            qml.write_text(style.qml, encoding="utf-8")
            written[qml] = target.parent / qml.name
    for tmp, target in list(written.items()):
        if tmp.suffix.lower() not in (suffix, ".gpkg"):
            continue
        if tmp in styled:
            _qml.write_styles(str(tmp), styled[tmp])
        in_file = [n for n, t in targets.items() if t == target]
        # a file of several layers: each layer's own entries (its title, ...) under its name
        own = {n: per_layer[n] for n in in_file if per_layer.get(n)}
        meta = {**base_meta, "layers": in_file, **({"layer_metadata": own} if own else {})} \
            if multi else {**base_meta, **per_layer.get(in_file[0], {}), "layer": in_file[0]}
        side = tmpdir / f"{target.name}.metadata.json"
        side.write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str),
                        encoding="utf-8")
        written[side] = target.parent / side.name
    for tmp, target in written.items():
        os.chmod(tmp, _FILE_MODE)  # readable by everyone, like GDAL's own files
        os.replace(tmp, target)
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

    Raises
    ------
    OutputError
        The file cannot be written (the previous file, if any, is left as it was).

    Notes
    -----
    Integral columns (counts, e.g. inhabitants per cell) are written as
    ``Int32``, everything else as ``Float32``. The file is written to a
    temporary file in the same folder and renamed into place, and is
    readable by everyone (``0644``).

    Examples
    --------
    >>> import geopandas as gpd, tempfile, os, rasterio
    >>> from shapely import Point
    >>> cells = gpd.GeoDataFrame({"a": [1.0, 2.0]}, geometry=[Point(50, 50), Point(150, 50)],
    ...                          crs="EPSG:25832")
    >>> tif = export_raster(cells, "a", os.path.join(tempfile.mkdtemp(), "a.tif"))
    >>> with rasterio.open(tif) as r:
    ...     r.read(1).tolist(), r.res, r.dtypes[0]
    ([[1, 2]], (100.0, 100.0), 'int32')
    """
    import rasterio
    from rasterio.transform import from_origin

    from quartier.output.files import write_atomic

    require_metric(points.crs, what="the points")
    if column not in points.columns:
        raise ColumnError(f"column '{column}' not found in the points; columns are "
                          f"{format_list([c for c in points.columns if c != 'geometry'])}.")
    if cell_size is not None:
        cell_size = positive_number(cell_size, "cell_size", unit="metres", upper=1e5)
    integral = _integral(points[column])
    points = apply_disclosure(points, rules=rules).table
    x, y, cols, rows, cell_size = _grid_cells(points, cell_size)
    west, north = x.min() - cell_size / 2, y.max() + cell_size / 2
    values = pd.to_numeric(points[column], errors="coerce").to_numpy(dtype=float)
    present = values[~np.isnan(values)]
    # counts stay whole numbers: Int32 when the column is integral and fits
    dtype = "int32" if (integral and float(nodata).is_integer() and np.all(
        np.abs(np.append(present, nodata)) < 2**31 - 1)) else "float32"
    nodata_value = int(nodata) if dtype == "int32" else float(nodata)
    grid = np.full((rows.max() + 1, cols.max() + 1), nodata_value, dtype=dtype)
    grid[rows, cols] = np.where(np.isnan(values), nodata_value, values).astype(dtype)
    tags = {"date": dt.date.today().isoformat(), "software": _software(), "column": column,
            **(metadata or {})}

    def write(tmp: Path) -> None:
        with rasterio.open(
            tmp, "w", driver="GTiff", height=grid.shape[0], width=grid.shape[1], count=1,
            dtype=dtype, crs=points.crs.to_wkt(), nodata=nodata_value,
            transform=from_origin(west, north, cell_size, cell_size), compress="deflate",
        ) as dst:
            dst.write(grid, 1)
            dst.update_tags(**{k: str(v) for k, v in tags.items()})

    return write_atomic(path, write, suffix=".tif")


