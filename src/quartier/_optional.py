"""Import optional dependencies where they are used (private helper).

The required dependencies cover reading data, the analyses, web maps and
GeoPackage/GeoJSON/FlatGeobuf/Shapefile export. Everything else is an extra
of the package (pyproject.toml ``[project.optional-dependencies]``), imported
only inside the function that needs it; when it is missing, the user gets a
:class:`~quartier.errors.MissingDependencyError` that says which extra to install.

=========  ==============  =====================================================
extra      package         enables
=========  ==============  =====================================================
osm        osmium          ``StreetNetwork.from_osm`` (.osm.pbf / .osm files)
print      matplotlib      ``print_map`` and the map of ``write_statement``
parquet    pyarrow         ``export_layers(..., format="parquet")`` (GeoParquet)
fast       numba           the compiled FCA kernel (``fca`` works without it)
areas      distributed     ``quartier run --workers/--scheduler``: the ``[areas]`` of a run
                           on a dask.distributed cluster (without: one after another)
=========  ==============  =====================================================
"""

from __future__ import annotations

import importlib
from types import ModuleType

from quartier.errors import MissingDependencyError

#: pip package and quartier extra of each optional top-level module.
EXTRAS = {
    "osmium": ("osmium", "osm"),
    "matplotlib": ("matplotlib", "print"),
    "pyarrow": ("pyarrow", "parquet"),
    "numba": ("numba", "fast"),
    "distributed": ("distributed", "areas"),
}


def import_optional(module: str, *, purpose: str) -> ModuleType:
    """Import an optional dependency or raise an error that names the extra to install.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"osmium"`` or ``"matplotlib.figure"``; its
        top-level package must be in :data:`EXTRAS`.
    purpose : str
        What needs it, for the message (``"print_map"``).

    Returns
    -------
    module

    Raises
    ------
    quartier.errors.MissingDependencyError
        If the module cannot be imported.

    Examples
    --------
    >>> import_optional("matplotlib.figure", purpose="print_map").Figure.__name__
    'Figure'
    """
    package, extra = EXTRAS[module.partition(".")[0]]
    try:
        return importlib.import_module(module)
    except ImportError as err:
        absent = isinstance(err, ModuleNotFoundError) and err.name is not None and (
            module == err.name or module.startswith(err.name + "."))
        state = "which is not installed" if absent else f"which cannot be imported ({err})"
        raise MissingDependencyError(
            f"{purpose} needs {package}, {state}. "
            f'Install it with: pip install "quartier[{extra}]" '
            f'(or "quartier[all]" for every optional feature).',
            name=package,
            extra=extra,
        ) from err
