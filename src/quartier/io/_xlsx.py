"""Private helper of :func:`quartier.io.tables.read_table`: the rows of an Excel worksheet.

With python-calamine installed (extra ``quartier[excel]``) the sheet is read by calamine (Rust,
several times faster than openpyxl on large sheets); otherwise by openpyxl. Both give the same
rows: cells as Python values (None when empty, int for whole numbers stored without a
fraction, float, str, bool, datetime), from cell A1 on, padded to one width.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

from quartier.errors import InputFileError, QuartierWarning, format_list

try:  # optional (extra "excel"); openpyxl is the fallback
    import python_calamine
except ImportError:  # pragma: no cover - depends on the installation
    python_calamine = None


def _choose(path: Path, names: list[str], sheet) -> str:
    if sheet is None:
        chosen = names[0]
        if len(names) > 1:
            warnings.warn(f"'{path}' has {len(names)} sheets ({format_list(names)}); "
                          f"reading the first, '{chosen}'. Pass sheet= to choose another.",
                          QuartierWarning, stacklevel=6)
        return chosen
    if isinstance(sheet, int) and not isinstance(sheet, bool) and -len(names) <= sheet < len(
            names):
        return names[sheet]
    if sheet in names:
        return sheet
    raise InputFileError(f"sheet {sheet!r} not found in '{path}'. Sheets are: "
                         f"{format_list(names)} (or give their position from 0).")


def _unreadable(path, err) -> InputFileError:
    return InputFileError(f"cannot read '{path}' as an Excel workbook: {err}. "
                          "Open it in Excel and save it again as .xlsx.")


def _calamine_cell(value):
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, dt.time):
        return value
    return value


def _calamine_rows(path: Path, sheet) -> tuple[list[list], str]:
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as err:  # zip or XML errors: not a readable workbook
        raise _unreadable(path, err) from err
    try:
        chosen = _choose(path, list(book.sheet_names), sheet)
        try:
            rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
        except Exception as err:
            raise _unreadable(path, err) from err
    finally:
        if hasattr(book, "close"):
            book.close()
    return [[_calamine_cell(v) for v in r] for r in rows], chosen


def _openpyxl_rows(path: Path, sheet) -> tuple[list[list], str]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # zip or XML errors: not a readable workbook
        raise _unreadable(path, err) from err
    try:
        chosen = _choose(path, book.sheetnames, sheet)
        try:
            rows = [list(r) for r in book[chosen].iter_rows(min_row=1, values_only=True)]
        except Exception as err:
            raise _unreadable(path, err) from err
    finally:
        book.close()
    return rows, chosen


def xlsx_rows(path: Path, sheet) -> tuple[list[list], list[int], str]:
    """Rows of the chosen sheet, their row numbers (from 1) and the sheet's name."""
    if python_calamine is not None:
        rows, chosen = _calamine_rows(path, sheet)
    else:
        rows, chosen = _openpyxl_rows(path, sheet)
    # trailing empty cells and rows carry nothing (openpyxl and calamine differ there)
    while rows and all(c is None or c == "" for c in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    rows = [r + [None] * (width - len(r)) for r in rows]
    return rows, list(range(1, len(rows) + 1)), chosen
