"""Join indicator tables to districts on official keys, with a report of what did not match."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from quartier._checks import require_column
from quartier._report import Report
from quartier.errors import ColumnError, JoinError, QuartierWarning, format_list
from quartier.io.keys import looks_like_lost_zeros, normalize_keys
from quartier.settings import resolve_language

__all__ = ["JoinReport", "join_indicators"]


@dataclass
class JoinReport(Report):
    """What a join of districts and an indicator table matched, and what not.

    Attributes
    ----------
    matched : int
        Districts that found exactly one row in the table.
    unmatched_districts : list of str
        Keys of districts without a row in the table.
    unmatched_rows : list of str
        Keys of table rows without a district.
    duplicate_keys : list of str
        Keys that occur more than once in the table. Districts with such a key
        get no values (which of the rows is right cannot be known).
    n_districts, n_rows : int
        Number of districts and of table rows.
    hint : str or None
        A likely cause and fix, e.g. keys that lost their leading zeros.
    renamed : dict of str to str
        Table columns renamed in the joined frame (``{"Name": "Name_table"}``).
    rates : dict of str to tuple
        The ``rates=`` given to :func:`join_indicators`, ``{rate: (numerator, denominator)}``,
        under the joined column names: pass it on as ``rates=`` to the outputs
        (:func:`quartier.apply_disclosure`, :func:`quartier.choropleth`,
        :func:`quartier.export_layers`, :func:`quartier.write_table`) or to
        :func:`quartier.set_disclosure` as ``rate_columns=``.

    Examples
    --------
    >>> r = JoinReport(matched=2, unmatched_districts=["03"], unmatched_rows=["3"],
    ...                duplicate_keys=[], n_districts=3, n_rows=3)
    >>> r.complete
    False
    >>> print(r.text(lang="en"))
    Join: 2 of 3 districts matched (table: 3 rows).
      1 district(s) without a table row: '03'
      1 table row(s) without a district: '3'
    """

    matched: int
    unmatched_districts: list[str] = field(default_factory=list)
    unmatched_rows: list[str] = field(default_factory=list)
    duplicate_keys: list[str] = field(default_factory=list)
    n_districts: int = 0
    n_rows: int = 0
    hint: str | None = None
    renamed: dict[str, str] = field(default_factory=dict)
    rates: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every district and every table row matched exactly once."""
        return not (self.unmatched_districts or self.unmatched_rows or self.duplicate_keys)

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
        lines = [
            (
                f"Verknüpfung: {self.matched} von {self.n_districts} Gebieten zugeordnet "
                f"(Tabelle: {self.n_rows} Zeilen)."
            )
            if de
            else (
                f"Join: {self.matched} of {self.n_districts} districts matched "
                f"(table: {self.n_rows} rows)."
            )
        ]
        parts = [
            (self.unmatched_districts, "Gebiet(e) ohne Tabellenzeile", "district(s) without a table row"),
            (self.unmatched_rows, "Tabellenzeile(n) ohne Gebiet", "table row(s) without a district"),
            (
                self.duplicate_keys,
                "Schlüssel mehrfach in der Tabelle (nicht zugeordnet)",
                "key(s) more than once in the table (not joined)",
            ),
        ]
        for keys, de_text, en_text in parts:
            if keys:
                lines.append(f"  {len(keys)} {de_text if de else en_text}: {format_list(keys, 20)}")
        if self.hint:
            lines.append(("  Hinweis: " if de else "  Hint: ") + self.hint)
        return "\n".join(lines)



def join_indicators(
    districts: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    on: str | None = None,
    left_on: str | None = None,
    right_on: str | None = None,
    key_width: int | None = None,
    strict: bool = False,
    rates: dict[str, tuple[str, str]] | None = None,
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Join an indicator table to district geometries on their official keys.

    Every district is kept (districts without a row get missing values), keys
    are compared as strings, and the report lists every key that did not
    match on either side. Nothing is dropped silently.

    Parameters
    ----------
    districts : geopandas.GeoDataFrame
        Districts, e.g. from :func:`quartier.read_districts`.
    table : pandas.DataFrame
        Indicators, e.g. from :func:`quartier.read_table`.
    on : str, optional
        Key column with the same name on both sides.
    left_on, right_on : str, optional
        Key columns of ``districts`` and ``table`` when their names differ.
        Give either ``on`` or both ``left_on`` and ``right_on``.
    key_width : int, optional
        Pad keys on both sides with leading zeros to this width before
        comparing: repairs keys that were stored as numbers.
    strict : bool, default False
        Raise :class:`~quartier.errors.JoinError` unless everything matched.
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns of the table and the counts they
        derive from (disclosure control suppresses a rate with its counts). The join checks
        them and hands them back as ``report.rates`` under the joined names (a renamed
        column keeps its link), to pass on to every output; nothing is stored on the frame.

    Returns
    -------
    (geopandas.GeoDataFrame, JoinReport)
        The districts with the table's columns added (a table column whose
        name the districts already use, ignoring case as GIS formats do, gets
        the suffix ``"_table"``), and the report.

    Raises
    ------
    ColumnError
        A key column is not given (the message names ``on=``, ``left_on=``
        or ``right_on=``) or not in its frame.
    JoinError
        ``on`` is given together with ``left_on``/``right_on``, or
        ``strict=True`` and something did not match.
    ColumnError
        A column named in ``rates`` is in neither the table nor the districts.

    Warns
    -----
    QuartierWarning
        When the join is incomplete (the warning carries the report).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely import box
    >>> d = gpd.GeoDataFrame({"id": ["01", "02"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    ...                      crs="EPSG:25832")
    >>> t = pd.DataFrame({"id": [1, 2], "einwohner": [120, 80]})
    >>> joined, report = join_indicators(d, t, on="id", key_width=2)
    >>> joined["einwohner"].tolist(), report.matched
    ([120, 80], 2)

    Rate links come back under the joined names, for the outputs:

    >>> t["quote"] = [0.1, 0.2]
    >>> joined, report = join_indicators(d, t, on="id", key_width=2,
    ...                                  rates={"quote": ("einwohner", "einwohner")})
    >>> report.rates
    {'quote': ('einwohner', 'einwohner')}
    """
    left_key, right_key = _key_columns(districts, table, on, left_on, right_on)
    require_column(districts, left_key, source="districts", role="key column")
    require_column(table, right_key, source="table", role="key column")

    left = normalize_keys(
        districts[left_key], key_width=key_width, column=left_key, source="districts",
    )
    right = normalize_keys(
        table[right_key], key_width=key_width, column=right_key, source="table",
        allow_missing=True,
    )
    empty_rows = int(right.isna().sum())
    counts = right.value_counts()
    duplicates = sorted(counts.index[counts > 1])

    left_set, right_set = set(left), set(right.dropna())
    unmatched_districts = [k for k in left if k not in right_set]
    unmatched_rows = sorted(right_set - left_set)
    dup_set = set(duplicates)
    matched = sum(1 for k in left if k in right_set and k not in dup_set)

    hint = None
    if unmatched_districts and key_width is None:
        width = looks_like_lost_zeros(right.dropna(), left)
        if width:
            hint = (
                f"the table keys look like numbers that lost their leading zeros; "
                f"join again with key_width={width}."
            )
    if empty_rows:
        extra = f"{empty_rows} table row(s) have an empty key and were not joined."
        hint = f"{hint} {extra}" if hint else extra
    # GIS formats compare field names without case: "Name" and "name" clash there
    taken_names = {str(c).lower() for c in districts.columns}
    renamed = {str(c): f"{c}_table" for c in table.columns
               if c != right_key and str(c).lower() in taken_names}
    links = _rate_links(rates, table, districts, renamed)
    report = JoinReport(
        matched=matched,
        unmatched_districts=unmatched_districts,
        unmatched_rows=unmatched_rows,
        duplicate_keys=duplicates,
        n_districts=len(districts),
        n_rows=len(table),
        hint=hint,
        renamed=renamed,
        rates=links,
    )
    if strict and (not report.complete or empty_rows):
        raise JoinError(
            "the join is incomplete (strict=True).\n" + report.text(lang="en")
            + "\nFix the keys in the table or the districts, or pass key_width= if leading "
            "zeros were lost; strict=False joins what matches and reports the rest."
        )

    values = table.drop(columns=[right_key]).copy()
    values.index = right.to_numpy()
    values = values[right.notna().to_numpy() & ~right.isin(dup_set).to_numpy()]
    # GIS formats compare field names without case: "Name" and "name" clash there
    taken = {str(c).lower() for c in districts.columns}
    clashes = [c for c in values.columns if str(c).lower() in taken]
    values = values.rename(columns={c: f"{c}_table" for c in clashes})

    joined = districts.copy()
    joined[left_key] = left.astype(str).to_numpy()
    joined = joined.join(values, on=left_key)
    if not report.complete:
        warnings.warn(report.text(lang="en"), QuartierWarning, stacklevel=2)
    return joined, report


def _key_columns(districts, table, on, left_on, right_on):
    if on is not None:
        if left_on is not None or right_on is not None:
            raise JoinError("give either on= or left_on=/right_on=, not both.")
        return on, on
    if left_on is None or right_on is None:
        missing = [m for m, v in (("left_on= (the key column of the districts)", left_on),
                                  ("right_on= (the key column of the table)", right_on))
                   if v is None]
        raise ColumnError(
            f"which columns hold the keys? Pass {' and '.join(missing)}, or on='<column>' when "
            "both sides name the key column alike, e.g. join_indicators(districts, table, "
            "left_on='PLR_ID', right_on='Planungsraum')."
        )
    return left_on, right_on


def _rate_links(rates, table, districts, renamed) -> dict[str, tuple[str, str]]:
    """``rates`` under the joined names; every column must exist on one side."""
    links = {}
    for rate, spec in (rates or {}).items():
        if not isinstance(spec, tuple | list) or len(spec) != 2:
            raise ColumnError(f"rates['{rate}'] must be (numerator, denominator), not {spec!r}.")
        names = []
        for c in (rate, *spec):
            if c in table.columns:
                names.append(renamed.get(str(c), str(c)))
            elif c in districts.columns:
                names.append(str(c))
            else:
                raise ColumnError(
                    f"rates names column '{c}', which neither the table nor the districts "
                    f"have. Table columns: {format_list(list(table.columns), 20)}.")
        links[names[0]] = (names[1], names[2])
    return links
