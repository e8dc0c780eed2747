"""Coordinate reference systems: everything that measures works in metres.

quartier computes distances and areas in a projected metric CRS: EPSG:25832
(ETRS89 / UTM zone 32N) by default, EPSG:25833 in the east of Germany (Berlin,
Brandenburg, Saxony, ...). A geographic CRS (degrees) where metres are needed
is an error, never a silent guess.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS
from pyproj.exceptions import CRSError as _ProjCRSError

from quartier.errors import CRSError

__all__ = [
    "DEFAULT_CRS",
    "WEB_CRS",
    "as_crs",
    "crs_label",
    "is_metric",
    "require_metric",
    "require_same_crs",
    "require_same_metric_crs",
    "to_planning_crs",
]

#: The planning CRS used when the data does not bring a metric one: ETRS89 / UTM 32N.
DEFAULT_CRS = "EPSG:25832"
#: The CRS of web maps and GeoJSON (RFC 7946): WGS84 longitude/latitude.
WEB_CRS = "EPSG:4326"


def as_crs(value: object, *, what: str = "crs") -> CRS:
    """Parse a CRS given as ``"EPSG:25833"``, ``25833``, a WKT string or a pyproj CRS.

    Parameters
    ----------
    value : str, int or pyproj.CRS
        The CRS.
    what : str
        How to call the value in an error message (e.g. the argument name).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        If pyproj cannot read the value.

    Examples
    --------
    >>> as_crs(25833).to_epsg()
    25833
    """
    try:
        return CRS.from_user_input(value)
    except (_ProjCRSError, TypeError, ValueError) as err:
        raise CRSError(
            f"{what}={value!r} is not a coordinate reference system quartier can read ({err}). "
            "Give it as 'EPSG:25832', 25833 or a WKT string."
        ) from err


def is_metric(crs: object) -> bool:
    """Tell whether a CRS is projected with metre units.

    Parameters
    ----------
    crs : str, int or pyproj.CRS
        The CRS to check.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_metric("EPSG:25832"), is_metric("EPSG:4326")
    (True, False)
    """
    crs = as_crs(crs)
    if not crs.is_projected:
        return False
    units = {axis.unit_name.lower() for axis in crs.axis_info}
    return units <= {"metre", "meter", "m"}


def require_metric(crs: object, *, what: str) -> CRS:
    """Raise a clear error unless ``crs`` is a projected CRS in metres.

    Parameters
    ----------
    crs : str, int, pyproj.CRS or None
        The CRS to check.
    what : str
        What the CRS belongs to, for the message (a file name, an argument).

    Returns
    -------
    pyproj.CRS
        The parsed CRS.

    Raises
    ------
    CRSError
        If ``crs`` is missing, geographic (degrees) or not in metres.

    Examples
    --------
    >>> require_metric("EPSG:25833", what="districts").to_epsg()
    25833
    >>> require_metric("EPSG:4326", what="crs")
    Traceback (most recent call last):
    ...
    quartier.errors.CRSError: crs is in EPSG:4326 (WGS 84), a geographic CRS in degrees, but distances and areas need metres. Use a projected metric CRS such as 'EPSG:25832' (ETRS89 / UTM 32N) or 'EPSG:25833' (east of Germany, e.g. Berlin).
    """
    if crs is None:
        raise CRSError(
            f"{what} has no coordinate reference system. Set the CRS the coordinates are in "
            "(e.g. source_crs='EPSG:25832'), or add a .prj file next to a Shapefile."
        )
    parsed = as_crs(crs, what=what)
    if not is_metric(parsed):
        kind = "a geographic CRS in degrees" if parsed.is_geographic else "not in metres"
        raise CRSError(
            f"{what} is in {crs_label(parsed)}, {kind}, but distances and areas need metres. "
            "Use a projected metric CRS such as 'EPSG:25832' (ETRS89 / UTM 32N) or "
            "'EPSG:25833' (east of Germany, e.g. Berlin)."
        )
    return parsed


def require_same_crs(frame, reference, *, what: str, reference_what: str,
                     fix: str | None = None) -> None:
    """Raise a clear error unless ``frame`` is in the CRS of ``reference``.

    Parameters
    ----------
    frame, reference : geopandas.GeoDataFrame
        The data to check, and the data whose CRS it must have.
    what, reference_what : str
        How to call them in the message (e.g. "facilities", "demand").
    fix : str, optional
        The fix to suggest; default ``"<what>.to_crs(<reference_what>.crs)"``.

    Raises
    ------
    CRSError
        If either has no CRS or they differ.

    Examples
    --------
    >>> import geopandas as gpd
    >>> a = gpd.GeoDataFrame(geometry=[], crs=25832)
    >>> require_same_crs(a.to_crs(25833), a, what="facilities", reference_what="demand")
    Traceback (most recent call last):
    ...
    quartier.errors.CRSError: facilities are in EPSG:25833 (ETRS89 / UTM zone 33N) but demand is in EPSG:25832 (ETRS89 / UTM zone 32N). Bring both into one planning CRS, e.g. facilities.to_crs(demand.crs).
    """
    if frame.crs is not None and reference.crs is not None and frame.crs.equals(reference.crs):
        return
    fix = fix or f"{what}.to_crs({reference_what}.crs)"
    raise CRSError(
        f"{what} are in {_describe(frame.crs)} but {reference_what} is in "
        f"{_describe(reference.crs)}. Bring both into one planning CRS, e.g. {fix}."
    )


def require_same_metric_crs(frame, reference, *, what: str, reference_what: str) -> None:
    """Raise a clear error unless both are in one projected metric CRS (that of ``reference``).

    Parameters
    ----------
    frame, reference : geopandas.GeoDataFrame
    what, reference_what : str
        How to call them in the message.

    Raises
    ------
    CRSError

    Examples
    --------
    >>> import geopandas as gpd
    >>> a = gpd.GeoDataFrame(geometry=[], crs=25832)
    >>> require_same_metric_crs(a, a, what="facilities", reference_what="demand")
    """
    require_metric(reference.crs, what=reference_what)
    require_same_crs(frame, reference, what=what, reference_what=reference_what)


def to_planning_crs(
    gdf: gpd.GeoDataFrame,
    *,
    crs: object = None,
    source_crs: object = None,
    what: str = "data",
) -> gpd.GeoDataFrame:
    """Bring a GeoDataFrame into a projected metric planning CRS.

    The rules: if ``crs`` is given, the result is in ``crs`` (which must be
    metric). Otherwise the data keeps its own CRS if that is metric, and is
    reprojected to :data:`DEFAULT_CRS` (EPSG:25832) if it is geographic.
    Data without a CRS gets ``source_crs``; without ``source_crs`` that is an
    error.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The data.
    crs : optional
        The planning CRS wanted (projected, metres).
    source_crs : optional
        The CRS the coordinates are in, for data that does not declare one.
        If the data declares a CRS, ``source_crs`` must agree with it.
    what : str
        A name for the data in messages (usually the file name).

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    CRSError
        No CRS and no ``source_crs``, or a ``source_crs`` that differs from the declared one.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(13.4, 52.5)], crs="EPSG:4326")
    >>> to_planning_crs(g, crs="EPSG:25833").crs.to_epsg()
    25833
    """
    target = require_metric(crs, what="crs") if crs is not None else None
    if gdf.crs is None:
        if source_crs is None:
            raise CRSError(
                f"{what} has no coordinate reference system. Pass source_crs= with the CRS "
                "the coordinates are in (e.g. source_crs='EPSG:25832', or 'EPSG:4326' for "
                "longitude/latitude), or add a .prj file next to a Shapefile."
            )
        gdf = gdf.set_crs(as_crs(source_crs, what="source_crs"))
    elif source_crs is not None and not as_crs(source_crs, what="source_crs").equals(gdf.crs):
        raise CRSError(
            f"{what} declares {crs_label(gdf.crs)}, but source_crs={source_crs!r} was given. "
            "Leave source_crs out to use the file's own CRS."
        )
    if target is None:
        target = gdf.crs if is_metric(gdf.crs) else as_crs(DEFAULT_CRS)
    if not target.equals(gdf.crs):
        gdf = gdf.to_crs(target)
    return gdf


def _describe(crs) -> str:
    return "no CRS" if crs is None else crs_label(as_crs(crs))


def crs_label(crs: CRS) -> str:
    """A CRS as messages name it: its EPSG code and name.

    Parameters
    ----------
    crs : pyproj.CRS

    Returns
    -------
    str

    Examples
    --------
    >>> crs_label(as_crs("EPSG:25833"))
    'EPSG:25833 (ETRS89 / UTM zone 33N)'
    """
    epsg = crs.to_epsg()
    code = f"EPSG:{epsg}" if epsg else "a custom CRS"
    return f"{code} ({crs.name})"
