"""Read point data: facilities (care homes, Kitas, ...), address points, grid cell centres."""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier._checks import check_coordinates, existing_file, require_column
from quartier.errors import ColumnError, CRSError, QuartierWarning, ValueParseError, format_list
from quartier.io.crs import as_crs, to_planning_crs
from quartier.io.districts import GIS_SUFFIXES, _read_layer

__all__ = ["read_facilities", "read_points", "TABLE_SUFFIXES"]

#: File types read as tables with coordinate columns.
TABLE_SUFFIXES = (".csv", ".txt", ".csv.gz", ".xlsx", ".xlsm")

# candidate coordinate columns, most specific first: (x name, y name, geographic?)
_COORD_PAIRS = [
    ("lon", "lat", True), ("lng", "lat", True), ("longitude", "latitude", True),
    ("laenge", "breite", True), ("länge", "breite", True),
    ("x", "y", None), ("rechtswert", "hochwert", None), ("easting", "northing", None),
    ("x_koordinate", "y_koordinate", None), ("xkoordinate", "ykoordinate", None),
]
# Germany in longitude/latitude, with a margin
_DE_LON, _DE_LAT = (5.0, 16.0), (47.0, 56.0)


def read_facilities(
    source: str | os.PathLike | pd.DataFrame,
    *,
    x: str | None = None,
    y: str | None = None,
    crs: object = None,
    capacity: str | None = None,
    layer: str | int | None = None,
    source_crs: object = None,
) -> gpd.GeoDataFrame:
    """Read facilities as points in the planning CRS, from a GIS file or a table.

    GIS files (GeoPackage, GeoJSON, Shapefile, ...) bring their geometry;
    polygons (e.g. buildings from OpenStreetMap) become a point inside them.
    Tables (CSV, XLSX, or a DataFrame) need coordinate columns: given as ``x``
    and ``y``, or found by name (``lon``/``lat``, ``longitude``/``latitude``,
    ``x``/``y``, ``rechtswert``/``hochwert``, ...). Longitude/latitude columns
    are read as WGS84; other coordinates need ``source_crs`` unless they are
    plainly longitude/latitude values in Germany.

    Parameters
    ----------
    source : path or pandas.DataFrame
        The file, or a table already in memory.
    x, y : str, optional
        Columns with the coordinates (easting/longitude and northing/latitude).
        For GIS files, giving them builds the points from these columns
        instead of the file's geometry.
    crs : optional
        The planning CRS wanted (projected, metres). By default the source's
        own CRS if it is metric, else EPSG:25832.
    capacity : str, optional
        Column with the capacity (places); checked to be numeric and not
        negative. Missing capacities are reported in a warning. Nothing is
        recorded on the frame: pass the column again to the analysis
        (``fca(..., capacity=...)``, ``supply(..., capacity=...)``).
    layer : str or int, optional
        Layer of a multi-layer GIS file, or sheet of an XLSX file.
    source_crs : optional
        The CRS of the coordinates when the source does not declare it.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per facility, all columns of the source, in a metric CRS.

    Raises
    ------
    InputFileError, ColumnError, CRSError, ValueParseError
        With the file, column and rows named.

    Examples
    --------
    >>> import quartier
    >>> fac = quartier.read_facilities(quartier.demo_path("musterstadt.gpkg"),
    ...                                layer="einrichtungen", capacity="plaetze")
    >>> sorted(fac["art"].unique())
    ['beratungsstelle', 'kita', 'pflegeheim', 'seniorentreff']
    """
    gdf, label = _read_points(source, x=x, y=y, crs=crs, layer=layer, source_crs=source_crs)
    if capacity is not None:
        _check_capacity(gdf, capacity, label)
    return gdf


def read_points(
    source: str | os.PathLike | pd.DataFrame,
    *,
    x: str | None = None,
    y: str | None = None,
    crs: object = None,
    layer: str | int | None = None,
    source_crs: object = None,
) -> gpd.GeoDataFrame:
    """Read any point data (address points, grid cell centres, facilities) in the planning CRS.

    The same as :func:`read_facilities` without the capacity check; see there
    for how coordinates and CRS are found.

    Parameters
    ----------
    source : path or pandas.DataFrame
    x, y : str, optional
        Coordinate columns of a table.
    crs : optional
        Planning CRS wanted (projected, metres).
    layer : str or int, optional
        Layer of a GIS file or sheet of an XLSX file.
    source_crs : optional
        CRS of the coordinates when the source does not declare it.

    Returns
    -------
    geopandas.GeoDataFrame

    Examples
    --------
    >>> import quartier
    >>> cells = quartier.read_points(quartier.demo_path("bevoelkerung_100m.csv"),
    ...                              x="x", y="y", source_crs="EPSG:25832")
    >>> cells.crs.to_epsg()
    25832
    """
    return _read_points(source, x=x, y=y, crs=crs, layer=layer, source_crs=source_crs)[0]


def _read_points(source, *, x, y, crs, layer, source_crs) -> tuple[gpd.GeoDataFrame, str]:
    """The points and a label of their source for messages."""
    if isinstance(source, gpd.GeoDataFrame) and x is None:
        gdf, label = source.copy(), "the GeoDataFrame"
    elif isinstance(source, pd.DataFrame):
        gdf, label = _points_from_columns(source.copy(), x, y, source_crs, "the DataFrame")
        source_crs = None
    else:
        path = existing_file(source, suffixes=GIS_SUFFIXES + TABLE_SUFFIXES)
        label = str(path)
        if path.name.lower().endswith(TABLE_SUFFIXES):
            from quartier.io.tables import read_table

            table = read_table(path, sheet=layer)
            gdf, label = _points_from_columns(table, x, y, source_crs, label)
            source_crs = None
        else:
            gdf = _read_layer(path, layer)
            if x is not None or y is not None:
                frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
                declared = gdf.crs if source_crs is None else source_crs
                gdf, label = _points_from_columns(frame, x, y, declared, label)
                source_crs = None

    gdf = _as_points(gdf, label)
    check_coordinates(gdf.geometry.values, gdf.crs if gdf.crs is not None else source_crs,
                      what=label if label.startswith("the ") else f"'{label}'")
    gdf = to_planning_crs(gdf, crs=crs, source_crs=source_crs, what=label)
    return gdf.reset_index(drop=True), label


def _points_from_columns(table, x, y, source_crs, label):
    if (x is None) != (y is None):
        raise ColumnError(f"give both x= and y= for '{label}', not only one of them.")
    geographic = None
    if x is None:
        x, y, geographic = _find_coordinate_columns(table, label)
    require_column(table, x, source=label, role="x coordinate column")
    require_column(table, y, source=label, role="y coordinate column")
    xs, ys = _numeric(table, x, label), _numeric(table, y, label)
    bad = xs.isna() | ys.isna()
    if bad.any():
        rows = [int(i) + 2 for i in np.flatnonzero(bad.to_numpy())]
        raise ValueParseError(
            f"{int(bad.sum())} facilit{'y has' if bad.sum() == 1 else 'ies have'} no usable "
            f"coordinates in '{label}' (columns '{x}', '{y}'), at line(s) {format_list(rows)} "
            "of the file. Add the coordinates (geocode the address) or remove those rows."
        )
    if source_crs is None:
        if geographic is False:
            raise CRSError(
                f"the coordinates in '{label}' (columns '{x}', '{y}') are not longitude/latitude. "
                "Say which CRS they are in with source_crs=... (e.g. 'EPSG:25832' or 'EPSG:25833')."
            )
        source_crs = _guess_geographic(xs, ys, x, y, label)
    elif as_crs(source_crs).is_geographic:
        _check_lonlat(xs, ys, x, y, label)
    points = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(xs.to_numpy(), ys.to_numpy()), crs=as_crs(source_crs)
    )
    return points, label


def _find_coordinate_columns(table, label):
    lowered = {str(c).strip().lower(): c for c in table.columns}
    for xn, yn, geographic in _COORD_PAIRS:
        if xn in lowered and yn in lowered:
            return lowered[xn], lowered[yn], geographic
    raise ColumnError(
        f"no coordinate columns found in '{label}'. Name them with x= and y= (for example "
        "x='lon', y='lat'). Columns are: "
        f"{format_list([c for c in table.columns if c != 'geometry'], limit=30)}."
    )


def _numeric(table, column, label):
    values = table[column]
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    parsed = pd.to_numeric(text, errors="coerce")
    bad = parsed.isna() & text.notna() & (text != "")
    if bad.any():
        rows = [int(i) + 2 for i in np.flatnonzero(bad.to_numpy())]
        raise ValueParseError(
            f"column '{column}' of '{label}' has values that are not numbers: "
            f"{format_list(values[bad].unique())} at line(s) {format_list(rows)}. "
            "Correct them in the file."
        )
    return parsed.astype(float)


def _guess_geographic(xs, ys, x, y, label):
    if xs.between(-180, 180).all() and ys.between(-90, 90).all():
        _check_lonlat(xs, ys, x, y, label)
        return "EPSG:4326"
    raise CRSError(
        f"'{label}' does not say which CRS the coordinates in '{x}', '{y}' are in, and they "
        "are not longitude/latitude. Pass source_crs=... (e.g. 'EPSG:25832' or 'EPSG:25833')."
    )


def _check_lonlat(xs, ys, x, y, label):
    in_de = xs.between(*_DE_LON) & ys.between(*_DE_LAT)
    swapped = xs.between(*_DE_LAT) & ys.between(*_DE_LON)
    if swapped.mean() > 0.5 and not in_de.any():
        raise CRSError(
            f"the coordinates in '{label}' look swapped: '{x}' holds latitudes and '{y}' "
            f"longitudes. Pass x='{y}', y='{x}'."
        )


def _as_points(gdf, label):
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise ValueParseError(
            f"{int(missing.sum())} facilit{'y has' if missing.sum() == 1 else 'ies have'} no "
            f"geometry in '{label}' (rows {format_list(np.flatnonzero(missing) + 1)}). "
            "Add their location or remove them."
        )
    kinds = set(gdf.geom_type)
    if kinds <= {"Point"}:
        return gdf
    single_multi = (gdf.geom_type == "MultiPoint") & (shapely.get_num_geometries(geoms) == 1)
    areal = gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    if (single_multi | areal | (gdf.geom_type == "Point")).all():
        gdf = gdf.copy()
        gdf.loc[single_multi, gdf.geometry.name] = shapely.get_geometry(geoms[single_multi], 0)
        if areal.any():
            gdf.loc[areal, gdf.geometry.name] = shapely.point_on_surface(geoms[areal])
            warnings.warn(
                f"{int(areal.sum())} facilities in '{label}' are polygons (e.g. buildings); "
                "a point inside each is used as its location.",
                QuartierWarning,
                stacklevel=3,
            )
        return gdf
    raise ValueParseError(
        f"'{label}' holds {format_list(sorted(kinds))} geometries; facilities must be points "
        "(or polygons, of which a point inside is used). Check the layer."
    )


def _check_capacity(gdf, capacity, label):
    require_column(gdf, capacity, source=label, role="capacity column")
    values = gdf[capacity]
    if not pd.api.types.is_numeric_dtype(values):
        values = _numeric(gdf, capacity, label)
        gdf[capacity] = values
    infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    if infinite.any():
        raise ValueParseError(
            f"capacity column '{capacity}' of '{label}' has infinite values in rows "
            f"{format_list(np.flatnonzero(infinite) + 1)}. Capacities are places: finite "
            "numbers, 0 or more.")
    negative = values < 0
    if negative.any():
        raise ValueParseError(
            f"capacity column '{capacity}' of '{label}' has negative values in rows "
            f"{format_list(np.flatnonzero(negative.to_numpy()) + 1)}. Capacities are places, "
            "zero or more."
        )
    if values.isna().any():
        warnings.warn(
            f"{int(values.isna().sum())} facilities in '{label}' have no capacity in column "
            f"'{capacity}' (rows {format_list(np.flatnonzero(values.isna().to_numpy()) + 1)}). "
            "They count as facilities but add no places.",
            QuartierWarning,
            stacklevel=3,
        )
