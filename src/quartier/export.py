"""Write analysis layers to GIS files, atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd

from .disclosure import apply_disclosure
from .errors import InputFileError

__all__ = ["export_layers"]


def export_layers(layers: Mapping[str, gpd.GeoDataFrame], path: str | os.PathLike) -> Path:
    """Write several layers into one GeoPackage, atomically.

    The file is written under a temporary name beside ``path`` and moved into
    place only when every layer was written, so a failed export leaves no
    half-written file and does not destroy an existing one.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Layer names and their data.
    path : path
        The GeoPackage to write (``.gpkg``); an existing file is replaced.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputFileError
        If ``path`` is not a ``.gpkg`` or no layers are given.

    Examples
    --------
    >>> import geopandas as gpd, tempfile, os
    >>> from shapely import Point
    >>> pts = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs="EPSG:25832")
    >>> out = export_layers({"punkte": pts}, os.path.join(tempfile.mkdtemp(), "x.gpkg"))
    >>> gpd.list_layers(out)["name"].tolist()
    ['punkte']
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputFileError(f"'{path}': export_layers writes GeoPackage files; name it '*.gpkg'.")
    if not layers:
        raise InputFileError(f"no layers given to write to '{path}'.")
    for name, gdf in layers.items():
        seen: dict[str, str] = {}
        for column in gdf.columns:
            other = seen.setdefault(str(column).lower(), str(column))
            if other != str(column):
                raise InputFileError(
                    f"layer '{name}' has columns '{other}' and '{column}', which a GeoPackage "
                    "cannot tell apart (field names ignore case). Rename one of them."
                )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL wants to create the file itself
    try:
        for name, gdf in layers.items():
            apply_disclosure(gdf).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
