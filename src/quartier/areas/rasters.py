"""Population rasters (e.g. Zensus grid GeoTIFFs): sums per district, cells as points.

A raster cell belongs to the district its **centre** lies in (the rule GDAL
uses to burn polygons, and the rule of Zensus grid statistics: a cell is one
address-weighted count). Each cell is counted at most once, so the sums of
all districts add up to the raster total over the cells whose centre lies in
some district; the cells whose centre lies in no district are reported.
Fractional cell coverage is not used: it would pretend to know where inside
a 100 m cell people live.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import rasterio.windows
from rasterio.errors import RasterioIOError

from quartier._checks import existing_file
from quartier._report import Report, Result
from quartier.errors import (
    ColumnError,
    CRSError,
    InputFileError,
    ParameterError,
    ParameterTypeError,
    QuartierWarning,
)
from quartier.io.crs import to_planning_crs
from quartier.settings import resolve_language

__all__ = ["RasterReport", "RasterResult", "raster_cells", "raster_sums"]


@dataclass(frozen=True)
class RasterReport(Report):
    """What :func:`raster_sums` counted, and what lay outside every district.

    Attributes
    ----------
    source : str
        The raster file.
    band : int
    read_total : float
        Sum of all valid cells read (the part of the raster over the bounding
        box of the districts).
    in_districts : float
        Sum over cells whose centre lies in a district (= sum of the result).
    outside : float
        Sum over valid cells in that box whose centre lies in no district.
    outside_cells : int
        Number of valid, non-zero cells in that box outside every district.
    nodata_cells : int
        Cells in that box without data.
    key : str or None
        Key column of the districts given to :func:`raster_sums`.
    column : str
        The column with the sums.

    Examples
    --------
    >>> r = RasterReport("grid.tif", 1, 110.0, 100.0, 10.0, 2, 0)
    >>> print(r.text(lang="en"))
    Raster 'grid.tif' (band 1): 100 in the districts, 10 in 2 cell(s) outside every district.
    """

    source: str
    band: int
    read_total: float
    in_districts: float
    outside: float
    outside_cells: int
    nodata_cells: int
    key: str | None = None
    column: str = "raster_sum"

    def text(self, lang: str | None = None) -> str:
        """The report as readable text, German (``"de"``) or English (``"en"``).

        Parameters
        ----------
        lang : {"de", "en"}, optional
            Language; default from :func:`quartier.set_language`.

        Returns
        -------
        str
        """
        de = resolve_language(lang) == "de"
        if de:
            return (f"Raster '{self.source}' (Band {self.band}): {self.in_districts:g} in den "
                    f"Gebieten, {self.outside:g} in {self.outside_cells} Zelle(n) außerhalb "
                    "aller Gebiete.")
        return (f"Raster '{self.source}' (band {self.band}): {self.in_districts:g} in the "
                f"districts, {self.outside:g} in {self.outside_cells} cell(s) outside every "
                "district.")


@dataclass(frozen=True, repr=False)
class RasterResult(Result):
    """The result of :func:`raster_sums`: districts with the sums, and the report.

    Attributes
    ----------
    table : geopandas.GeoDataFrame
        The districts (same index, CRS and columns) with the sum column and
        its ``_cells`` column.
    report : RasterReport

    Examples
    --------
    See :func:`raster_sums`.
    """

    table: gpd.GeoDataFrame
    report: RasterReport

    def __repr__(self) -> str:
        r = self.report
        return (f"RasterResult(districts={len(self.table)}, column={r.column!r}, "
                f"in_districts={r.in_districts:g}, outside={r.outside:g})")


def raster_sums(
    raster: str | os.PathLike,
    districts: gpd.GeoDataFrame,
    *,
    band: int = 1,
    key: str | None = None,
    all_touched: bool = False,
    column: str = "raster_sum",
) -> RasterResult:
    """Sum a raster (e.g. a Zensus population grid) per district.

    The districts are reprojected to the raster's CRS (the raster itself is
    never resampled, so no value is smeared or lost), and each cell is given
    to the district its centre lies in. Every cell is counted at most once:
    the sum of the result equals the raster total over the cells whose centre
    lies in a district. Cells without data are skipped; the valid cells whose
    centre lies in no district (e.g. outside the city border) are reported.
    Only the part of the raster over the districts' bounding box is read, so
    a Germany-wide grid works for one city.

    Parameters
    ----------
    raster : path
        A raster file GDAL reads (GeoTIFF, ...), with a CRS.
    districts : geopandas.GeoDataFrame
        District polygons with a CRS (any; usually the planning CRS).
    band : int, default 1
        The band to sum.
    key : str, optional
        Key column of ``districts`` (e.g. ``"PLR_ID"``), checked to exist and
        named in the report (the result keeps all columns of ``districts``).
    all_touched : bool, default False
        Also give cells whose centre lies in *no* district to a district they
        touch (useful for districts smaller than a cell, and along a border
        that the grid does not follow). Cells with their centre in a district
        still go to that district, so no cell is counted twice.
    column : str, default "raster_sum"
        Name of the new column with the sums; the number of cells counted is
        in ``column + "_cells"``.

    Returns
    -------
    RasterResult
        ``table``: ``districts`` (same index, CRS and columns) with the two
        new columns; ``report``: a :class:`RasterReport`.

    Raises
    ------
    InputFileError
        The raster cannot be read, or has no such band.
    CRSError
        The raster or the districts have no CRS.
    ColumnError
        ``key`` is missing, or ``column`` already exists.

    Warns
    -----
    QuartierWarning
        When valid cells with a value lie outside every district.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, rasterio, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely import box
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "grid.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1,
    ...                    dtype="int32", crs="EPSG:3035", nodata=-1,
    ...                    transform=Affine(100, 0, 4550000, 0, -100, 3270000)) as dst:
    ...     dst.write(np.array([[1, 2], [3, -1]], dtype="int32"), 1)
    >>> d = gpd.GeoDataFrame({"id": ["W", "O"]}, crs="EPSG:3035", geometry=[
    ...     box(4550000, 3269800, 4550100, 3270000), box(4550100, 3269800, 4550200, 3270000)])
    >>> res = raster_sums(path, d, key="id")
    >>> res.table[["id", "raster_sum", "raster_sum_cells"]].values.tolist()
    [['W', 4.0, 2], ['O', 2.0, 1]]
    >>> res.report.in_districts, res.report.nodata_cells
    (6.0, 1)
    """
    if not isinstance(districts, gpd.GeoDataFrame):
        raise ParameterTypeError("districts must be a GeoDataFrame of polygons "
                                 f"(quartier.read_districts), not {type(districts).__name__}.")
    if key is not None and key not in districts.columns:
        from quartier._checks import require_column

        require_column(districts, key, source="districts", role="key column")
    for new in (column, f"{column}_cells"):
        if new in districts.columns:
            raise ColumnError(f"districts already have a column '{new}'; choose another "
                              "name with column=....")
    if districts.crs is None:
        raise CRSError("districts have no coordinate reference system. Set it first, e.g. "
                       "districts.set_crs('EPSG:25833').")
    with _open(raster) as src, _quiet():
        label = str(raster)
        _check_band(src, band, label)
        rcrs = _raster_crs(src, label)
        geoms = districts.geometry.to_crs(rcrs).values
        present = ~(geoms.is_empty | geoms.isna()) if len(geoms) else np.zeros(0, bool)
        window = _window(src, geoms[present].total_bounds if present.any() else None)
        if window is None:
            data = np.ma.masked_all((0, 0))
            transform = src.transform
        else:
            data = src.read(band, window=window, masked=True)
            transform = src.window_transform(window)
    values = np.ma.filled(data.astype(float), np.nan)
    valid = np.isfinite(values)
    labels = np.zeros(values.shape, dtype=np.int32)
    if values.size and present.any():
        shapes = [(g, i + 1) for i, g in enumerate(geoms) if present[i]]
        if all_touched:
            touched = rasterio.features.rasterize(shapes, out_shape=values.shape,
                                                  transform=transform, all_touched=True,
                                                  dtype="int32")
            labels = touched
        centre = rasterio.features.rasterize(shapes, out_shape=values.shape,
                                             transform=transform, all_touched=False,
                                             dtype="int32")
        labels = np.where(centre > 0, centre, labels)
    n = len(districts)
    use = valid & (labels > 0)
    sums = np.bincount(labels[use] - 1, weights=values[use], minlength=n)
    cells = np.bincount(labels[use] - 1, minlength=n)
    off = valid & (labels == 0)
    report = RasterReport(
        source=label, band=band, read_total=float(values[valid].sum()),
        in_districts=float(sums.sum()), outside=float(values[off].sum()),
        outside_cells=int((off & (values != 0)).sum()), nodata_cells=int((~valid).sum()),
        key=key, column=column,
    )
    out = districts.copy()
    out[column] = sums
    out[f"{column}_cells"] = cells.astype(np.int64)
    if report.outside != 0:
        warnings.warn(report.text(lang="en") + " Cells count where their centre lies; pass "
                      "all_touched=True to give border cells to a district they touch.",
                      QuartierWarning, stacklevel=2)
    return RasterResult(out, report)


def raster_cells(
    raster: str | os.PathLike,
    *,
    band: int = 1,
    crs: object = None,
) -> gpd.GeoDataFrame:
    """The cells of a raster as points at their centres, with their value.

    Cells without data and cells with the value 0 are left out (a Zensus grid
    has no row for an empty cell either). Use it for coverage analyses (how
    many people live within reach of a facility) and as population weights
    for :func:`quartier.dasymetric_interpolate`.

    Parameters
    ----------
    raster : path
        A raster file GDAL reads (GeoTIFF, ...), with a CRS.
    band : int, default 1
    crs : optional
        The planning CRS wanted (projected, metres). Default: the raster's
        own CRS if it is metric (e.g. EPSG:3035 for Zensus grids), else
        EPSG:25832.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``value``, ``row``, ``col`` (position in the raster) and the
        point geometry.

    Raises
    ------
    InputFileError
        The raster cannot be read or has no such band.
    CRSError
        The raster has no CRS, or ``crs`` is not metric.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "grid.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1,
    ...                    dtype="int32", crs="EPSG:3035", nodata=-1,
    ...                    transform=Affine(100, 0, 4550000, 0, -100, 3270000)) as dst:
    ...     dst.write(np.array([[7, 0]], dtype="int32"), 1)
    >>> cells = raster_cells(path)
    >>> cells["value"].tolist(), cells.geometry.x.tolist(), cells.crs.to_epsg()
    ([7], [4550050.0], 3035)
    """
    with _open(raster) as src:
        label = str(raster)
        _check_band(src, band, label)
        rcrs = _raster_crs(src, label)
        data = src.read(band, masked=True)
        transform = src.transform
    mask = np.ma.getmaskarray(data)
    raw = np.ma.getdata(data)
    keep = ~mask & (raw != 0)
    if np.issubdtype(raw.dtype, np.floating):
        keep &= np.isfinite(raw)
    rows, cols = np.nonzero(keep)
    with _quiet():
        xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    gdf = gpd.GeoDataFrame(
        {"value": raw[rows, cols], "row": rows, "col": cols},
        geometry=gpd.points_from_xy(np.asarray(xs, float), np.asarray(ys, float)), crs=rcrs,
    )
    return to_planning_crs(gdf, crs=crs, what=label)


@contextlib.contextmanager
def _quiet():
    """Silence rasterio's own deprecation notices (affine ``*``), which users cannot act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        yield


def _open(raster):
    if isinstance(raster, rasterio.io.DatasetReaderBase):
        raise ParameterTypeError("pass the raster's path, not an open dataset.")
    path = existing_file(raster)
    try:
        return rasterio.open(path)
    except RasterioIOError as err:
        raise InputFileError(
            f"file '{path}' cannot be read as a raster ({err}). Give a GeoTIFF or another "
            "raster format GDAL reads; for Zensus CSV cells use quartier.read_points."
        ) from err


def _check_band(src, band, label):
    if not isinstance(band, int) or not 1 <= band <= src.count:
        raise ParameterError(f"raster '{label}' has {src.count} band(s); band={band!r} does not "
                             f"exist. Bands are numbered from 1.")


def _raster_crs(src, label):
    if src.crs is None:
        raise CRSError(f"raster '{label}' has no coordinate reference system. Assign one in "
                       "your GIS (Zensus grids are in EPSG:3035).")
    from pyproj import CRS

    crs = CRS.from_user_input(src.crs.to_wkt())
    return crs if crs.to_epsg() is None else CRS.from_epsg(crs.to_epsg())


def _window(src, bounds):
    """The raster window over ``bounds`` (cells snapped outwards), or None if disjoint."""
    if bounds is None:
        return None
    full = rasterio.windows.Window(0, 0, src.width, src.height)
    win = rasterio.windows.from_bounds(*bounds, transform=src.transform)
    win = win.round_offsets(op="floor").round_lengths(op="ceil")
    win = rasterio.windows.Window(win.col_off, win.row_off, win.width + 1, win.height + 1)
    try:
        return win.intersection(full)
    except rasterio.errors.WindowError:
        return None
