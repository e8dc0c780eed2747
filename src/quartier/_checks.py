"""Private checks shared by every room: files and columns that exist, numbers in range."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from quartier.errors import (
    ColumnError,
    CRSError,
    DataError,
    InputFileError,
    MissingFileError,
    ParameterError,
    ValueParseError,
    format_list,
)


def existing_file(source: str | os.PathLike, *, suffixes: Iterable[str] | None = None,
                  folder_ok: bool = True, type_hint: str = "") -> Path:
    """Return ``source`` as a Path, or raise InputFileError that helps find the right one.

    Checks the file type (``suffixes``), that the file exists (suggesting similar names in
    its folder), that it is not empty, and, with ``folder_ok=False``, that it is not a folder.
    ``type_hint`` is added to the message about an unsupported type.
    """
    path = Path(source).expanduser()
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        if not path.name.lower().endswith(allowed) and not path.is_dir():
            raise InputFileError(
                f"file '{path}' has a type quartier does not read here. "
                f"Supported are: {format_list(allowed, limit=20)}.{type_hint}"
            )
    if not path.exists():
        folder = path.parent
        hint = ""
        if folder.is_dir():
            close = difflib.get_close_matches(path.name, sorted(os.listdir(folder)), n=5,
                                              cutoff=0.5)
            if close:
                hint = f" Similar files in '{folder}': {format_list(close)}."
        else:
            hint = f" The folder '{folder}' does not exist either."
        raise MissingFileError(
            f"file '{path}' does not exist. Check the path and the spelling (relative paths "
            f"start at '{Path.cwd()}').{hint}"
        )
    if path.is_dir():
        if not folder_ok:
            raise InputFileError(f"'{path}' is a folder, not a file. Give the path of a file.")
    elif path.stat().st_size == 0:
        raise InputFileError(f"file '{path}' is empty (0 bytes). Export it again from its source.")
    return path


def column_error(column: str, present: Iterable[object], *, where: str,
                 role: str = "column") -> ColumnError:
    """ColumnError for a missing column: where it was looked for, close matches, what is there."""
    names = [str(c) for c in present if c != "geometry"]

    def squash(text: str) -> str:
        return "".join(ch for ch in str(text).lower() if ch.isalnum())

    close = [n for n in names if squash(n) == squash(column)]
    close = close or difflib.get_close_matches(str(column), names, n=3, cutoff=0.6)
    hint = f" Did you mean {format_list(close)}?" if close else ""
    return ColumnError(
        f"{role} '{column}' not found {where}.{hint} Columns are: {format_list(names, limit=30)}."
    )


def require_column(df: pd.DataFrame, column: str, *, source: str, role: str = "column") -> None:
    """Raise ColumnError naming the file, the missing column, the present ones and a close match."""
    if column not in df.columns:
        raise column_error(column, df.columns, where=f"in '{source}'", role=role)


def district_key(by: pd.DataFrame, by_key: str | None, *, source: str = "by",
                 param: str = "by_key") -> str:
    """The key column of districts, given explicitly as ``by_key``; checked to exist.

    Raises ColumnError naming the parameter to pass when ``by_key`` is None,
    and when the column is missing.
    """
    if by_key is None:
        raise ColumnError(
            f"say which column of `{source}` holds the district key: pass {param}='PLR_ID' "
            f"(the key column of `{source}`, as given to read_districts(..., key=...))."
        )
    require_column(by, by_key, source=source, role="key column")
    if len(by) == 0:
        raise DataError(f"`{source}` holds no districts (0 rows): there is nothing to report "
                        "on. Check the filter or the layer the districts came from.")
    return by_key


def _column(frame: pd.DataFrame, column: str, *, source: str, role: str):
    """The column, present (else ColumnError); as a float64 array already when it is numeric,
    finite and 0 or more (the common case), else the Series for the callers' checks."""
    require_column(frame, column, source=source, role=role)
    series = frame[column]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        fast = series.to_numpy(dtype=float, na_value=np.nan)
        if (fast >= 0).all() and np.isfinite(fast).all():  # NaN, inf, < 0: to the checks
            return fast
    return series


def population_values(frame: pd.DataFrame, column: str, *, source: str = "demand",
                      role: str = "demand column") -> np.ndarray:
    """A column of people as float64: present, numeric, no missing and no negative values.

    Raises ColumnError when the column is missing and ValueParseError naming the rows when
    values are missing or negative.
    """
    series = _column(frame, column, source=source, role=role)
    if isinstance(series, np.ndarray):
        return series
    values = pd.to_numeric(series, errors="coerce")
    infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    if infinite.any():
        raise ValueParseError(
            f"{role} '{column}' has infinite values in {int(infinite.sum())} row(s) (index "
            f"{format_list(frame.index[infinite])}). Populations are finite counts of people; "
            "correct those cells.")
    bad = values.isna() | (values < 0)
    if bad.any():
        raise ValueParseError(
            f"{role} '{column}' has missing or negative values in {int(bad.sum())} row(s) "
            f"(index {format_list(frame.index[bad.to_numpy()])}). Populations must be zero or "
            "more; fill missing ones with 0 if they mean nobody (suppressed cells: decide how "
            "to estimate them first)."
        )
    return values.to_numpy(dtype=float)


#: Larger than any distance (metres) or travel time (minutes) in a German city or county:
#: a value above it is a typing error (or 1e300), not a reach.
MAX_REACH = 1e7


def capacity_values(frame: pd.DataFrame, column: str, *, source: str = "facilities",
                    role: str = "capacity column", stacklevel: int = 3) -> np.ndarray:
    """Places per facility as float64: present, numeric; missing values count as 0 places
    (with a :class:`~quartier.errors.QuartierWarning` naming them); negative or infinite
    values are a :class:`~quartier.errors.ValueParseError` naming the rows (index labels).

    Examples
    --------
    >>> capacity_values(pd.DataFrame({"plaetze": [10, 0]}), "plaetze").tolist()
    [10.0, 0.0]
    >>> capacity_values(pd.DataFrame({"plaetze": [10, np.inf]}), "plaetze")
    Traceback (most recent call last):
    ...
    quartier.errors.ValueParseError: capacity column 'plaetze' of the facilities has infinite values (index '1'). Capacities are places: finite numbers, 0 or more.
    """
    import warnings

    from quartier.errors import QuartierWarning

    series = _column(frame, column, source=source, role=role)
    if isinstance(series, np.ndarray):
        return series
    values = pd.to_numeric(series, errors="coerce")
    array = values.to_numpy(dtype=float, na_value=np.nan)
    for label, mask in (("negative", array < 0), ("infinite", np.isinf(array))):
        if mask.any():
            raise ValueParseError(
                f"capacity column '{column}' of the {source} has {label} values (index "
                f"{format_list(frame.index[mask])}). Capacities are places: finite numbers, "
                "0 or more.")
    missing = np.isnan(array)
    if missing.any():
        warnings.warn(
            f"{int(missing.sum())} {source} have no capacity in column '{column}' (index "
            f"{format_list(frame.index[missing])}); they count with 0 places.",
            QuartierWarning, stacklevel=stacklevel)
    return np.where(missing, 0.0, array)


def nonnegative_number(value, name: str, *, unit: str = "", upper: float = MAX_REACH) -> float:
    """``value`` as a float that is finite and 0 or more (at most ``upper``), else a
    :class:`~quartier.errors.ParameterError` naming the parameter: the check for norms,
    reserves and shares where they enter (``nan`` would make every gap disappear).

    Examples
    --------
    >>> nonnegative_number(35, "norm_per_1000")
    35.0
    >>> nonnegative_number(float("nan"), "norm_per_1000", unit="places per 1,000 persons")
    Traceback (most recent call last):
    ...
    quartier.errors.ParameterError: norm_per_1000 must be a finite number of 0 or more places per 1,000 persons, not nan.
    """
    what = f"{name} must be a finite number of 0 or more{' ' + unit if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ParameterError(f"{what}, not {value!r} ({type(value).__name__}).")
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ParameterError(f"{what}, not {value!r}.")
    if number > upper:
        raise ParameterError(f"{name}={value!r} is implausibly large (more than {upper:g}"
                             f"{' ' + unit if unit else ''}); check the value and its unit.")
    return number




def positive_number(value, name: str, *, unit: str = "", upper: float = MAX_REACH) -> float:
    """``value`` as a float that is a finite number above 0 (and at most ``upper``), else a
    :class:`~quartier.errors.ParameterError` that names the parameter and what it accepts.

    One check for every reach, spacing, buffer and snapping distance where it enters, so no
    NaN, inf, 0, negative or absurd value reaches a kernel.

    Examples
    --------
    >>> positive_number(500, "max_cost")
    500.0
    >>> positive_number(float("inf"), "max_cost", unit="metres")
    Traceback (most recent call last):
    ...
    quartier.errors.ParameterError: max_cost must be greater than 0 metres and finite, not inf.
    """
    what = f"{name} must be greater than 0{' ' + unit if unit else ''} and finite"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ParameterError(f"{what}, not {value!r} ({type(value).__name__}).")
    number = float(value)
    if not np.isfinite(number) or number <= 0:
        raise ParameterError(f"{what}, not {value!r}.")
    if number > upper:
        raise ParameterError(f"{name}={value!r} is implausibly large (more than {upper:g}"
                             f"{' ' + unit if unit else ''}); check the value and its unit.")
    return number


def _crs_label(crs) -> str:
    epsg = crs.to_epsg()
    return f"{'EPSG:' + str(epsg) if epsg else 'a custom CRS'} ({crs.name})"


_BOX_CACHE: dict[str, tuple[float, float, float, float] | None] = {}


def crs_box(crs) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) where coordinates in ``crs`` can plausibly lie: the CRS's
    area of use in its own units with a tolerant margin (a quarter of its size, at least
    500 km), or the whole globe for a geographic CRS. None when pyproj does not know it."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        crs = CRS.from_user_input(crs)
    except (ProjCRSError, TypeError, ValueError):  # the caller's CRS parser says why
        return None
    key = crs.to_wkt()
    if key in _BOX_CACHE:
        return _BOX_CACHE[key]
    box = None
    if crs.is_geographic:
        box = (-180.0, -90.0, 180.0, 90.0)
    elif crs.is_projected and crs.area_of_use is not None:
        units = {axis.unit_name.lower() for axis in crs.axis_info}
        if units <= {"metre", "meter", "m"}:
            try:
                to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
                minx, miny, maxx, maxy = to_crs.transform_bounds(*crs.area_of_use.bounds,
                                                                 densify_pts=21)
            except Exception:  # pyproj cannot project the area: no check
                minx = miny = maxx = maxy = np.nan
            if np.isfinite([minx, miny, maxx, maxy]).all() and maxx > minx and maxy > miny:
                mx = max(0.25 * (maxx - minx), 500_000.0)
                my = max(0.25 * (maxy - miny), 500_000.0)
                box = (minx - mx, miny - my, maxx + mx, maxy + my)
    _BOX_CACHE[key] = box
    return box


def looks_like(x: np.ndarray, y: np.ndarray) -> str:
    """Which CRS coordinates look like, for a message: 'longitude/latitude (EPSG:4326)', ..."""
    x, y = float(np.median(x)), float(np.median(y))
    if 47 <= x <= 56 and 5 <= y <= 16:
        return "latitude/longitude in swapped order (x holds latitudes)"
    if abs(x) <= 180 and abs(y) <= 90:
        return "longitude/latitude (EPSG:4326)"
    if 100_000 <= x <= 1_000_000 and 1_000_000 <= y <= 10_000_000:
        return "UTM metres (EPSG:25832 or EPSG:25833 in Germany)"
    if 3_800_000 <= x <= 4_800_000 and 2_500_000 <= y <= 3_700_000:
        return "ETRS89-LAEA metres (EPSG:3035, the Zensus grid)"
    if 2_000_000 <= x < 6_000_000 and 5_000_000 <= y <= 6_200_000:
        return "Gauss-Krüger metres (EPSG:31466 to EPSG:31469)"
    if 31_000_000 <= x < 34_000_000 and 1_000_000 <= y <= 10_000_000:
        return "UTM metres with the zone before the easting (EPSG:4647 zone 32, EPSG:5650 zone 33)"
    return "none of the coordinate systems common in Germany"


def check_coordinates(geoms, crs, *, what: str, rows: Iterable[object] | None = None,
                      fix: str = "") -> None:
    """Refuse coordinates that are not finite (:class:`~quartier.errors.DataError`) or that
    cannot lie in ``crs`` (:class:`~quartier.errors.CRSError` saying which CRS they look like).

    ``geoms`` are shapely geometries (missing and empty ones are skipped); ``crs`` the CRS
    they are declared in (None: only finiteness is checked); ``what`` names the data, ``rows``
    labels the geometries (default: positions from 1); ``fix`` is the way to declare the right
    CRS (default: a sentence on ``source_crs=`` and ``set_crs``).

    Examples
    --------
    >>> import shapely
    >>> check_coordinates(shapely.points([[13.4, 52.5]]), "EPSG:4326", what="kitas.csv")
    >>> check_coordinates(shapely.points([[13.4, 52.5]]), "EPSG:25833",
    ...                   what="kitas.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    quartier.errors.CRSError: the coordinates of kitas.csv cannot be in EPSG:25833 ... They look like longitude/latitude (EPSG:4326). ...
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return
    bounds = shapely.bounds(geoms)  # NaN for missing and empty geometries
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    labels = np.asarray(list(rows) if rows is not None else range(1, geoms.size + 1),
                        dtype=object)
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(geoms.size, dtype=bool)
    bad[index[~np.isfinite(coords).all(axis=1)]] = True
    bad |= present & ~np.isfinite(bounds).all(axis=1)
    if bad.any():
        raise DataError(
            f"{int(bad.sum())} geometr{'y' if bad.sum() == 1 else 'ies'} of {what} "
            f"{'has' if bad.sum() == 1 else 'have'} coordinates that are not finite numbers "
            f"(inf or NaN), in row(s) {format_list(labels[bad])}. Correct or remove them.")
    if crs is None or not present.any():
        return
    box = crs_box(crs)
    if box is None:
        return
    from pyproj import CRS

    crs = CRS.from_user_input(crs)  # parsed by crs_box already
    b = bounds[present]
    inside = ((b[:, 0] >= box[0]) & (b[:, 2] <= box[2]) & (b[:, 1] >= box[1])
              & (b[:, 3] <= box[3]))
    if inside.all():
        return
    fix = fix or ("Declare the CRS the numbers are in: source_crs=... when reading, or "
                  "gdf.set_crs(..., allow_override=True).")
    where = (f"about x {box[0]:.6g} to {box[2]:.6g}, y {box[1]:.6g} to {box[3]:.6g}"
             if not crs.is_geographic else "longitude -180 to 180, latitude -90 to 90")
    if inside.any():  # a few stray rows: name them
        out = labels[present][~inside]
        raise CRSError(
            f"{len(out)} of {int(present.sum())} geometries of {what} lie far outside the area "
            f"{_crs_label(crs)} covers ({where}), in row(s) {format_list(out)}: wrong or "
            "placeholder coordinates (e.g. 0, 0). Correct or remove them.")
    raise CRSError(
        f"the coordinates of {what} cannot be in {_crs_label(crs)}: they span x "
        f"{b[:, 0].min():.6g} to {b[:, 2].max():.6g}, y {b[:, 1].min():.6g} to "
        f"{b[:, 3].max():.6g}, far outside the area that CRS covers ({where}). They look like "
        f"{looks_like(b[:, 0], b[:, 1])}. {fix}")
