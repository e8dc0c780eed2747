"""Exception and warning types of quartier.

Every error names what is wrong (the file, column, key or row) and says how to
fix it, because most users of quartier are analysts who read the message, not
the traceback. All errors derive from :class:`QuartierError`, so one
``except QuartierError`` catches everything the library raises on bad input:

- :class:`InputFileError`: a file that exists cannot be read (empty, wrong format, several
  layers); :class:`MissingFileError` (also a ``FileNotFoundError``): it does not exist.
- :class:`ColumnError`: a column is missing or cannot serve its role.
- :class:`DataError` (also a ``ValueError``): values are impossible (``inf``, ``NaN``,
  negative capacities, coordinates outside their CRS); :class:`ValueParseError`, a subclass,
  for cells that are not numbers.
- :class:`DistrictKeyError`, :class:`JoinError`: keys and joins.
- :class:`CRSError`: a coordinate reference system missing, geographic where metres are
  needed, or not matching the coordinates.
- :class:`ParameterError` (also a ``ValueError``): an argument out of range;
  :class:`ParameterTypeError` (also a ``TypeError``): an argument of the wrong kind.
- :class:`ConfigError`: an analysis configuration file; :class:`OutputError` (also an
  ``OSError``): an output that cannot be written; :class:`MissingDependencyError`.
- :class:`DisclosureError`: what would be published reveals a small count (the disclosure
  audit failed); nothing was written.

Causes are chained: ``err.__cause__`` holds the GDAL, pyogrio or operating-system error
behind an :class:`InputFileError` or :class:`OutputError`.

Examples
--------
>>> from quartier.errors import ColumnError, QuartierError
>>> try:
...     raise ColumnError("column 'EW' not found in 'table.csv'. Columns are: 'Einwohner'.")
... except QuartierError as err:
...     print(err)
column 'EW' not found in 'table.csv'. Columns are: 'Einwohner'.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "QuartierError",
    "InputFileError",
    "MissingFileError",
    "ColumnError",
    "DataError",
    "DistrictKeyError",
    "CRSError",
    "ValueParseError",
    "JoinError",
    "ConfigError",
    "OutputError",
    "DisclosureError",
    "ParameterError",
    "ParameterTypeError",
    "MissingDependencyError",
    "QuartierWarning",
    "format_list",
]


def format_list(items: Iterable[object], limit: int = 10) -> str:
    """Format items for an error message: quoted, comma-separated, shortened.

    Parameters
    ----------
    items : iterable
        The items (keys, column names, row numbers) to list.
    limit : int, default 10
        How many items to show before ``"... and N more"``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_list(["01", "02"])
    "'01', '02'"
    >>> format_list(range(12), limit=3)
    "'0', '1', '2' ... and 9 more"
    """
    items = [str(i) for i in items]
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    if len(items) > limit:
        shown += f" ... and {len(items) - limit} more"
    return shown


class QuartierError(Exception):
    """Base class of every error quartier raises on bad input.

    Examples
    --------
    >>> issubclass(CRSError, QuartierError)
    True
    """


class InputFileError(QuartierError):
    """A file cannot be read: empty, unreadable, not in a format quartier reads, or with
    several layers and none chosen. A file that does not exist raises the subclass
    :class:`MissingFileError`.

    Examples
    --------
    >>> raise InputFileError("file 'x.csv' is empty (0 bytes). Export it again.")
    Traceback (most recent call last):
    ...
    quartier.errors.InputFileError: file 'x.csv' is empty (0 bytes). Export it again.
    >>> isinstance(InputFileError("x"), FileNotFoundError)
    False
    """


class MissingFileError(InputFileError, FileNotFoundError):
    """A file or folder does not exist (an :class:`InputFileError` and a
    ``FileNotFoundError``).

    Examples
    --------
    >>> err = MissingFileError("file 'x.csv' does not exist. Check the path.")
    >>> isinstance(err, FileNotFoundError), str(err)
    (True, "file 'x.csv' does not exist. Check the path.")
    """

    def __str__(self) -> str:  # OSError would format (errno, strerror) pairs
        return str(self.args[0]) if self.args else ""


class ColumnError(QuartierError, KeyError):
    """A column that is needed is missing, or cannot serve its role (e.g. two columns whose
    names differ only in case). Impossible values in a column are a :class:`DataError`.

    Examples
    --------
    >>> str(ColumnError("column 'EW' not found"))
    "column 'EW' not found"
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DistrictKeyError(QuartierError, ValueError):
    """District keys are duplicated, empty, too long for the key width, or do not match.

    Examples
    --------
    >>> str(DistrictKeyError("duplicate keys in column 'PLR_ID': '01'"))
    "duplicate keys in column 'PLR_ID': '01'"
    """


class CRSError(QuartierError, ValueError):
    """A coordinate reference system is missing, or geographic where metres are needed.

    Examples
    --------
    >>> str(CRSError("EPSG:4326 is geographic (degrees)"))
    'EPSG:4326 is geographic (degrees)'
    """


class DataError(QuartierError, ValueError):
    """Values in a table, layer or array are impossible: infinite, missing where a number is
    needed, negative capacities or populations, coordinates that cannot lie in their CRS.
    The message names the column and the rows.

    Examples
    --------
    >>> str(DataError("column 'plaetze' has infinite values in row(s) '3'."))
    "column 'plaetze' has infinite values in row(s) '3'."
    """


class ValueParseError(DataError):
    """A cell of a table cannot be read as a number (a :class:`DataError`).

    Examples
    --------
    >>> str(ValueParseError("row 3, column 'EW': 'zwölf' is not a number"))
    "row 3, column 'EW': 'zwölf' is not a number"
    """


class JoinError(QuartierError, ValueError):
    """A join of districts and a table failed, or (with ``strict=True``) was incomplete.

    Examples
    --------
    >>> str(JoinError("2 districts have no row in the table"))
    '2 districts have no row in the table'
    """


class ConfigError(QuartierError, ValueError):
    """An analysis configuration file (``analysis.toml``) is invalid.

    The message names the file, the line and the key; ``line`` holds the line
    number (or None when the problem is not on one line).

    Examples
    --------
    >>> err = ConfigError("analysis.toml, line 4: unknown key 'pfad'", line=4)
    >>> err.line
    4
    """

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.line = line


class ParameterError(QuartierError, ValueError):
    """An argument has a value the function does not accept (e.g. an unknown language, a
    negative distance); the message names the parameter and what it accepts.

    Examples
    --------
    >>> str(ParameterError("lang must be one of 'de', 'en', not 'fr'."))
    "lang must be one of 'de', 'en', not 'fr'."
    >>> issubclass(ParameterError, ValueError)
    True
    """


class ParameterTypeError(ParameterError, TypeError):
    """An argument is of the wrong kind (a table where a GeoDataFrame is needed, a string
    where a number is needed); a :class:`ParameterError` and a ``TypeError``.

    Examples
    --------
    >>> err = ParameterTypeError("capacity must be a column name or numbers, not a dict.")
    >>> isinstance(err, TypeError), isinstance(err, ValueError)
    (True, True)
    """

class MissingDependencyError(QuartierError, ImportError):
    """A feature needs an optional dependency that is not installed.

    The message names the feature, the missing package and the extra to
    install (``pip install "quartier[osm]"``); ``extra`` holds that extra's
    name. It is an :class:`ImportError` too, so ``except ImportError`` catches it.

    Examples
    --------
    >>> err = MissingDependencyError(
    ...     'reading OpenStreetMap files needs osmium. Install it with: pip install "quartier[osm]"',
    ...     name="osmium", extra="osm")
    >>> err.extra, isinstance(err, ImportError)
    ('osm', True)
    """

    def __init__(self, message: str, *, name: str | None = None, extra: str | None = None):
        super().__init__(message, name=name)
        self.extra = extra


class OutputError(QuartierError, OSError):
    """An output cannot be written: a read-only folder, a path that is a file, a full disk,
    a folder that holds other files, or another run writing to the same folder.

    Examples
    --------
    >>> isinstance(OutputError("x"), OSError)
    True
    """


class DisclosureError(QuartierError):
    """What would be published reveals small counts: the audit of disclosure control failed,
    so nothing was written. ``cells`` lists the cells (unit, column, the attacker's interval).

    Examples
    --------
    >>> err = DisclosureError("01001 covered: exact", cells=None)
    >>> isinstance(err, QuartierError), err.cells is None
    (True, True)
    """

    def __init__(self, message: str, *, cells=None):
        super().__init__(message)
        self.cells = cells


class QuartierWarning(UserWarning):
    """Something was repaired or left out; the message says what.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("2 invalid geometries repaired", QuartierWarning)
    >>> str(caught[0].message)
    '2 invalid geometries repaired'
    """
