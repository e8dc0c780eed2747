"""Tables as planners open them: one writer for CSV and Excel (XLSX).

:func:`write_table` writes what a planner reads in Excel, not what pandas holds:

- **Counts** as whole numbers, **shares** in per cent with one decimal ("Anteil versorgt (%)"),
  **rates** (per 1,000) with one decimal, other decimals with two; yes/no columns as "ja"/"nein".
- **Headers** as readable labels (German by default, English with ``lang="en"``); GIS layers keep
  the machine names.
- **CSV** for German Excel: ``;`` separated, decimal comma, UTF-8 with BOM (``lang="en"``:
  ``,`` and decimal point). **XLSX** with numbers as numbers and a number format per kind.
- **Never a formula**: a text cell (or header) that begins with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return is written as text: in CSV prefixed with an apostrophe, in XLSX stored as
  a string cell. Line breaks inside names become spaces, so they never break a row.
- Written safely (:func:`quartier.output.files.write_atomic`).

The kinds of quartier's own output columns are known (:data:`COLUMN_KINDS`); pass ``kinds=``
for others. So is which of them count **people** (:data:`PEOPLE_COUNTS`) and which rates
derive from those counts (:data:`RATE_LINKS`): :func:`output_rules` adds that knowledge to the
disclosure rules in force, so counts stored as floats are protected too, and places of a
facility (not people) are not.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier.errors import ColumnError, ParameterError
from quartier.output.files import write_atomic
from quartier.reporting.disclosure_control import (
    DisclosureRules,
    apply_disclosure,
    default_count_columns,
    resolve_rules,
)
from quartier.settings import get_language

__all__ = ["write_table", "output_rules", "COLUMN_KINDS", "HEADER_LABELS", "KINDS",
           "PEOPLE_COUNTS", "RATE_LINKS", "ROW_TOTALS"]

#: The kinds a column can have.
KINDS = ("count", "share", "rate", "number", "flag", "text")

#: Kinds of the columns quartier's analyses write (summary tables, coverage, supply).
COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ["population", "covered", "uncovered", "covered_population", "uncovered_population",
         "places",
         "places_in_reach", "places_required", "required_places", "places_deficit", "deficit",
         "balance", "deficit_in_reach", "balance_in_reach", "facilities"], "count"),
    **dict.fromkeys(["share_covered", "share"], "share"),
    **dict.fromkeys(["places_per_1000", "places_in_reach_per_1000", "norm_per_1000",
                     "places_reachable_mean"], "rate"),
    **dict.fromkeys(["gap"], "flag"),
    **dict.fromkeys(["key", "name", "service", "target_group", "district", "reach"], "text"),
}

#: quartier's own output columns that count **people** (disclosure control protects them,
#: whatever their dtype). Places, facilities and required places are not people.
PEOPLE_COUNTS: tuple[str, ...] = (
    "population", "covered", "uncovered", "covered_population", "uncovered_population",
    "target_group_today",
)

#: ``(column, numerator, denominator)``: columns computed from people counts, suppressed
#: wherever one of those counts is (a rate, or a number that gives the count back, such as
#: the places required by a norm per 1,000 people). A column may have several links.
RATE_LINKS: tuple[tuple[str, str, str], ...] = (
    ("share_covered", "covered", "population"),
    ("share_covered", "covered_population", "population"),
    ("places_per_1000", "places", "population"),
    ("places_in_reach_per_1000", "places_in_reach", "population"),
    ("places_required", "population", "population"),
    ("required_places", "population", "population"),
    ("places_deficit", "population", "population"),
    ("deficit", "population", "population"),
    ("deficit_in_reach", "population", "population"),
    ("required_places_before", "target_group_today", "target_group_today"),
    ("load_before", "target_group_today", "target_group_today"),
    ("required_places_after", "target_group_today", "target_group_today"),
    ("load_after", "target_group_today", "target_group_today"),
    ("additional_places", "target_group_today", "target_group_today"),
)

#: ``(total, parts)``: per row the total is the sum of the parts (secondary suppression keeps a
#: hidden part from being recovered as total minus the others).
ROW_TOTALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("population", ("covered", "uncovered")),
    ("population", ("covered_population", "uncovered_population")),
)


def output_rules(rules: DisclosureRules | bool | None = None, frame: pd.DataFrame | None = None
                 ) -> DisclosureRules | None:
    """The disclosure rules for one of quartier's outputs, with its own columns known.

    Adds :data:`PEOPLE_COUNTS` to the count columns, :data:`RATE_LINKS` to the rate columns
    and :data:`ROW_TOTALS` to the row totals of the rules in force (or of ``rules``), so that
    counts of people are protected whatever their dtype (floats too) and rates computed from
    them go with them.

    Parameters
    ----------
    rules : DisclosureRules or False, optional
        As in :func:`quartier.resolve_rules`: None for the rules in force, ``False`` for none.
    frame : pandas.DataFrame, optional
        The table about to be written. When the rules name no count columns and ``frame`` is
        given, its integer columns (as :func:`quartier.apply_disclosure` would find them) count
        too, except quartier's own columns that are not people (places, facilities). Without
        ``frame`` only the known people columns (and those the rules name) count.

    Returns
    -------
    DisclosureRules or None
        None when disclosure control is off.

    Examples
    --------
    >>> rules = output_rules(DisclosureRules(min_count=10))
    >>> "covered" in rules.count_columns, "places" in rules.count_columns
    (True, False)
    >>> output_rules(False) is None
    True
    """
    base = resolve_rules(rules)
    if base is None:
        return None
    if base.count_columns is not None:
        counts = list(base.count_columns)
    elif frame is not None:
        not_people = {c for c, k in COLUMN_KINDS.items() if k == "count"} - set(PEOPLE_COUNTS)
        counts = [c for c in default_count_columns(frame) if c not in not_people]
    else:
        counts = []
    counts += [c for c in PEOPLE_COUNTS if c not in counts]
    rates = tuple(dict.fromkeys((*base.rate_columns, *RATE_LINKS)))
    totals = tuple(dict.fromkeys((*base.row_totals, *ROW_TOTALS)))
    return DisclosureRules(base.min_count, base.round_to, base.secondary, tuple(counts), rates,
                           totals)

#: Headers of quartier's own columns, by language (shares get " (%)" added).
HEADER_LABELS: dict[str, dict[str, str]] = {
    "de": {
        "key": "Schlüssel", "name": "Gebiet", "district": "Gebiet", "service": "Angebot",
        "target_group": "Zielgruppe", "reach": "Erreichbarkeit",
        "population": "Zielgruppe (Personen)",
        "covered": "versorgt (Personen)", "covered_population": "versorgt (Personen)",
        "uncovered": "nicht versorgt (Personen)",
        "uncovered_population": "nicht versorgt (Personen)", "share_covered": "Anteil versorgt",
        "places": "Plätze", "places_per_1000": "Plätze je 1.000",
        "places_in_reach": "Plätze in Reichweite",
        "places_in_reach_per_1000": "Plätze in Reichweite je 1.000",
        "norm_per_1000": "Richtwert je 1.000", "places_required": "Bedarf (Plätze)",
        "required_places": "Bedarf (Plätze)", "places_deficit": "Fehlbedarf (Plätze)",
        "deficit": "Fehlbedarf (Plätze)", "balance": "Saldo (Plätze)", "gap": "Lücke",
        "facilities": "Einrichtungen",
    },
    "en": {
        "key": "key", "name": "district", "district": "district", "service": "service",
        "target_group": "target group", "reach": "reach",
        "population": "target group (people)",
        "covered": "covered (people)", "covered_population": "covered (people)",
        "uncovered": "not covered (people)",
        "uncovered_population": "not covered (people)", "share_covered": "share covered",
        "places": "places", "places_per_1000": "places per 1,000",
        "places_in_reach": "places in reach",
        "places_in_reach_per_1000": "places in reach per 1,000",
        "norm_per_1000": "norm per 1,000", "places_required": "required places",
        "required_places": "required places", "places_deficit": "deficit (places)",
        "deficit": "deficit (places)", "balance": "balance (places)", "gap": "gap",
        "facilities": "facilities",
    },
}

_DECIMALS = {"count": 0, "share": 1, "rate": 1, "number": 2}
_YES_NO = {"de": ("ja", "nein"), "en": ("yes", "no")}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_FORMATS = {"count": "#,##0", "share": "0.0", "rate": "#,##0.0", "number": "#,##0.00"}


def _clean_text(value: object) -> str:
    """Line breaks (CR, LF, CRLF) become one space: a name never breaks a row."""
    return str(value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def _neutral(text: str) -> str:
    """Text that no spreadsheet reads as a formula (OWASP: prefix an apostrophe)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _kind_of(name: str, series: pd.Series, kinds: Mapping[str, str]) -> str:
    kind = kinds.get(name) or COLUMN_KINDS.get(name)
    if kind is None:
        if ptypes.is_bool_dtype(series):
            kind = "flag"
        elif ptypes.is_integer_dtype(series):
            kind = "count"
        elif ptypes.is_numeric_dtype(series):
            kind = "number"
        else:
            kind = "text"
    if kind not in KINDS:
        raise ParameterError(f"kinds['{name}'] is {kind!r}; use one of {', '.join(KINDS)}.")
    if kind in _DECIMALS and not (ptypes.is_numeric_dtype(series) or series.isna().all()):
        raise ColumnError(f"column '{name}' is to be written as {kind} but holds text "
                          f"(dtype {series.dtype}). Convert it to numbers or give kinds["
                          f"'{name}'] = 'text'.")
    return kind


def _values(series: pd.Series, kind: str) -> list:
    """Cell values: rounded numbers (None when missing), 'ja'/'nein' as bools, text."""
    if kind == "text":
        return [None if pd.isna(v) else _clean_text(v) for v in series.tolist()]
    if kind == "flag":
        return [None if pd.isna(v) else bool(v) for v in series.tolist()]
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if kind == "share":
        values = values * 100
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append(None)
        elif kind == "count":
            out.append(int(round(v)))
        else:
            out.append(round(float(v), _DECIMALS[kind]))
    return out


def _header(name: str, kind: str, lang: str, labels: Mapping[str, str]) -> str:
    label = labels.get(name) or HEADER_LABELS[lang].get(name) or str(name)
    if kind == "share" and "%" not in label:
        label += " (%)"
    return _clean_text(label)


def _csv_cell(value, kind: str, lang: str) -> str:
    if value is None:
        return ""
    if kind == "flag":
        return _YES_NO[lang][0 if value else 1]
    if kind == "text":
        return _neutral(value)
    if kind == "count":
        return str(value)
    text = f"{value:.{_DECIMALS[kind]}f}"
    return text.replace(".", ",") if lang == "de" else text


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    lang: str | None = None,
    kinds: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    rules: DisclosureRules | bool | None = None,
    rates: Mapping[str, tuple[str, str]] | None = None,
) -> Path:
    """Write a table for Excel: CSV or XLSX (by the file's suffix), labelled and rounded.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (a ``geometry`` column is left out; the index is not written).
    path : str or path-like
        ``.csv`` or ``.xlsx``.
    lang : {"de", "en"}, optional
        Language of headers, yes/no and number format; default: the language in force.
    kinds : mapping, optional
        ``{column: kind}`` with kind one of :data:`KINDS`, for columns whose kind is not
        known from :data:`COLUMN_KINDS` or the dtype (integers are counts, other numbers get
        two decimals, booleans are flags).
    labels : mapping, optional
        ``{column: header}``, overriding :data:`HEADER_LABELS`.
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none. quartier's own people counts
        and the rates computed from them are known (:func:`output_rules`); suppressed cells
        are written empty.
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: further rate columns suppressed with their
        counts (see :func:`quartier.apply_disclosure`).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    quartier.errors.ParameterError
        For another suffix or an unknown kind.
    quartier.errors.ColumnError
        If a column to be written as numbers holds text.
    quartier.errors.OutputError
        If the file cannot be written (the previous file is then unchanged).

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> t = pd.DataFrame({"name": ["=Altstadt"], "population": [900.0],
    ...                   "share_covered": [0.46667], "gap": [True]})
    >>> p = write_table(t, os.path.join(tempfile.mkdtemp(), "t.csv"))
    >>> print(p.read_text(encoding="utf-8-sig"))
    Gebiet;Zielgruppe (Personen);Anteil versorgt (%);Lücke
    '=Altstadt;900;46,7;ja
    <BLANKLINE>
    """
    lang = lang or get_language()
    if lang not in HEADER_LABELS:
        raise ParameterError(f"lang must be 'de' or 'en', not {lang!r}.")
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ParameterError(f"cannot write a table to '{target.name}': use a .csv or .xlsx "
                             "file name.")
    table = frame.drop(columns=["geometry"], errors="ignore")
    table = apply_disclosure(table, rules=output_rules(rules, table) or False,
                             rates=rates).table
    kinds, labels = dict(kinds or {}), dict(labels or {})
    names = [str(c) for c in table.columns]
    col_kinds = [_kind_of(n, table[c], kinds) for n, c in zip(names, table.columns, strict=True)]
    headers = [_header(n, k, lang, labels) for n, k in zip(names, col_kinds, strict=True)]
    columns = [_values(table[c], k) for c, k in zip(table.columns, col_kinds, strict=True)]
    rows = list(zip(*columns, strict=True)) if columns else []
    if suffix == ".csv":
        return write_atomic(target, lambda tmp: _write_csv(tmp, headers, rows, col_kinds, lang))
    return write_atomic(target, lambda tmp: _write_xlsx(tmp, headers, rows, col_kinds, lang))


def _write_csv(tmp: Path, headers, rows, kinds, lang) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if lang == "de" else ",", lineterminator="\r\n")
    writer.writerow([_neutral(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(v, k, lang) for v, k in zip(row, kinds, strict=True)])
    tmp.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")


def _write_xlsx(tmp: Path, headers, rows, kinds, lang) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tabelle" if lang == "de" else "Table"
    yes, no = _YES_NO[lang]
    for j, h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j)
        cell.value = h
        cell.data_type = "s"  # a header is never a formula
        cell.font = Font(bold=True)
    for i, row in enumerate(rows, start=2):
        for j, (value, kind) in enumerate(zip(row, kinds, strict=True), start=1):
            if value is None:
                continue
            cell = ws.cell(row=i, column=j)
            if kind == "flag":
                cell.value = yes if value else no
            elif kind == "text":
                cell.value = value
                cell.data_type = "s"  # stored as text: never evaluated
            else:
                cell.value = value
                cell.number_format = _XLSX_FORMATS[kind]
    ws.freeze_panes = "A2"
    for j, h in enumerate(headers, start=1):
        width = max([len(h)] + [len(str(r[j - 1])) for r in rows[:200] if r[j - 1] is not None])
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(60, width + 2)
    wb.save(tmp)
