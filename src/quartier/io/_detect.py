"""Private helpers of :func:`quartier.io.tables.read_table`: where the table is in the rows.

Header, body, title and footnote lines of rows already split into cells (the cell-by-cell
reader; the vectorised reader in :mod:`quartier.io._fastcsv` applies the same footnote rule),
header names, quotes that swallow lines, and the check that the decimal mark decided for the
file does not contradict the cells. Nothing here is public API; ``read_table`` documents the
rules.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter

from quartier.errors import InputFileError, QuartierWarning, ValueParseError, format_list
from quartier.io import _csvsniff as sniff

# first words and marks of footnote lines ("Quelle: ...", "1) vorläufig", "* geschätzt", ...)
_NOTE = re.compile(
    r"^(?:quellen?\b|anmerkung|hinweis|fu(?:ß|ss)note|(?:daten)?stand\b|sources?\b|notes?\b|"
    r"erl(?:ä|ae)uterung|zeichenerkl|legende|rundung|abweichung|copyright|hrsg|herausgeber|"
    r"statisti|landesamt|bundesamt|amt f(?:ü|ue)r|zensus|(?:vor)?l(?:ä|ae)ufig|gesch(?:ä|ae)tzt|"
    r"©|\(c\)|\*|[¹²³⁴⁵⁶⁷⁸⁹]|\d{1,2}\)|[a-z]\)|-{2,}|=|https?:|www\.)", re.IGNORECASE)
_HAS_LETTER = re.compile(r"[^\W\d_]")
_VALUE_LIKE = re.compile(r"^[-+\u2212\u2013]?[\d.,\s\u00a0\u202f]*\d[\d.,\s\u00a0\u202f]*$")
# cells that are evidence in the decimal decision (see _csvsniff.decide_decimal)
AMBIGUOUS = r"^[-+]?[1-9]\d{0,2}(?:\.\d{3})+$"  # 12.345: thousands or three decimals
POINT = (r"^[-+]?(?:\.\d+|0\d*\.\d+|[1-9]\d{3,}\.\d+|[1-9]\d{0,2}\.(?:\d{1,2}|\d{4,})|"
         r"[1-9]\d{0,2}(?:,\d{3})+\.\d+)$")  # 0.5, 1200.5, 1,234.5 (not 12.345)


def is_empty(cell) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell.strip(sniff._SPACE)
    return isinstance(cell, float) and math.isnan(cell)


def filled(row) -> int:
    return sum(not is_empty(c) for c in row)


def preview(row) -> str:
    text = " | ".join(str(c).strip() for c in row if not is_empty(c))
    return text if len(text) <= 60 else text[:57] + "..."


def looks_like_note(text: str, first_column) -> bool:
    """Whether a lone cell below the table is a footnote rather than a data row.

    Footnotes are text: they start like one (``Quelle:``, ``1)``, ``*``, ``©``), hold a
    colon or a web address, are long sentences, or are text below a first column of numbers
    or keys. A data row that only lacks its other cells (a facility without coordinates) is
    none of these and stays in the table.
    """
    text = str(text).strip(sniff._SPACE)
    if _NOTE.match(text) or ": " in text or text.endswith(":") or (
            len(text) > 60 and text.count(" ") >= 5):
        return True
    values = [c for c in first_column if not is_empty(c) and str(c).strip(sniff._SPACE) != text]
    return bool(values) and bool(_HAS_LETTER.search(text)) and all(
        isinstance(c, int | float) or _VALUE_LIKE.match(str(c).strip()) for c in values)


def is_footnote(row, width: int, first_column) -> bool:
    """The footnote rule for a row below the table (``row``: its cells as split)."""
    n = filled(row)
    if n == 0:
        return False
    if len(row) > width:  # wider than the table: a note holding separators
        return True
    if n != 1 or is_empty(row[0]):
        return False  # a data row with missing cells: kept (and reported where it matters)
    return width >= 2 and looks_like_note(row[0], first_column)


def check_quotes(rows, lines, sep: str, where: str) -> None:
    """Raise if a quote opened in one line swallowed the following lines into one cell."""
    for i, row in enumerate(rows):
        for cell in row:
            if "\n" in cell and (sep in cell or cell.count("\n") > 2):
                if i + 1 < len(lines):
                    closed = f"is only closed in line {lines[i + 1] - 1}"
                    last = lines[i + 1] - 1
                else:
                    closed = "is never closed"
                    last = lines[i] + cell.rstrip("\r\n").count("\n")
                first = cell.split("\n")[0].strip()[:40]
                raise InputFileError(
                    f"line {lines[i]} {where} opens a quote (\") that {closed}: lines "
                    f"{lines[i]} to {last} would be read as one cell ('{first} ...'). Remove "
                    "the stray quote, or write a quote inside a cell twice (\"\") and put the "
                    "whole cell in quotes.")


def locate_table(rows, lines, skiprows, where, line_word="line"):
    """Find header and body rows; returns header, its line, body, body lines, skipped rows."""
    if skiprows is not None:
        if not isinstance(skiprows, int) or isinstance(skiprows, bool) or skiprows < 0:
            raise InputFileError(f"skiprows must be a whole number >= 0, not {skiprows!r}.")
        rows, lines = rows[skiprows:], lines[skiprows:]
    keep = [i for i, r in enumerate(rows) if any(not is_empty(c) for c in r)]
    rows, lines = [rows[i] for i in keep], [lines[i] for i in keep]
    if not rows:
        raise InputFileError(f"the table {where} is empty (no table rows). Check the file"
                             + (" or the skiprows= argument." if skiprows else "."))
    widths = [len(r) for r in rows]
    skipped = []
    if skiprows is not None:
        start, width = 0, widths[0]
    else:
        counts = Counter(widths)
        width = max(counts, key=lambda w: (counts[w], w))
        start = next((i for i, r in enumerate(rows)
                      if widths[i] == width and filled(r) > width / 2), widths.index(width))
        skipped += list(zip(lines[:start], rows[:start], strict=True))
    first_column = [r[0] for r in rows[start + 1:start + 51] if r]
    end = len(rows)
    while end > start + 1 and is_footnote(rows[end - 1], width, first_column):
        end -= 1
    skipped += list(zip(lines[end:], rows[end:], strict=True))
    body, body_lines, short = [], [], []
    for row, line in zip(rows[start + 1:end], lines[start + 1:end], strict=True):
        if len(row) > width:
            if filled(row[width:]):
                raise InputFileError(
                    f"{line_word} {line} {where} has {len(row)} fields but the header has "
                    f"{width}. Check the separator (sep=) or put quotes around cells "
                    "containing it.")
            row = row[:width]
        elif len(row) < width:
            short.append(line)
        body.append(list(row) + [""] * (width - len(row)))
        body_lines.append(line)
    if short:
        warnings.warn(
            f"{len(short)} {line_word}(s) {where} have fewer fields than the header ({width}): "
            f"{line_word}(s) {', '.join(map(str, short[:10]))}{' ...' if len(short) > 10 else ''}; their missing cells were read as empty. "
            "Check those lines (a missing separator?).", QuartierWarning, stacklevel=4)
    # drop columns that are empty in the header and every row (trailing separators)
    header = list(rows[start]) + [""] * (width - len(rows[start]))
    used = [j for j in range(width) if not is_empty(header[j]) or any(
        not is_empty(r[j]) for r in body)]
    header = [header[j] for j in used]
    body = [[r[j] for j in used] for r in body]
    return header, lines[start], body, body_lines, sorted(skipped, key=lambda item: item[0])


def header_names(header, rows, lines, head_line, where) -> list[str]:
    names = [sniff.clean_header(c) for c in header]
    if head_line - 1 in lines:  # multi-row header: borrow an empty name from the line above
        above = rows[lines.index(head_line - 1)]
        for j, name in enumerate(names):
            if not name and j < len(above):
                names[j] = sniff.clean_header(above[j])
    names = [name or f"Unnamed: {j}" for j, name in enumerate(names)]
    seen: Counter = Counter()
    result = []
    for name in names:
        result.append(name if not seen[name] else f"{name}.{seen[name]}")
        seen[name] += 1
    if len(set(result)) != len(result) or result != names:
        warnings.warn(f"repeated column names {where} were made unique: "
                      f"{format_list(n for n in result if n not in names)}.",
                      QuartierWarning, stacklevel=4)
    return result


def check_decimal(evidence, sep: str, examples, where: str) -> None:
    """Raise when a few decimal points would turn many ``12.345`` numbers into decimals.

    ``evidence`` as from :func:`quartier.io._csvsniff.decimal_evidence` over the whole file;
    ``examples(pattern, limit)`` returns ``[(cell, column, line), ...]`` of matching cells.
    In a file not separated by commas, numbers with dots between groups of three digits are
    thousands unless the cells with a decimal point are at least as many; when the decimal
    point was chosen on fewer cells, neither reading is safe.
    """
    comma, dot, dot_groups, _several, _comma_groups = evidence
    if sep == "," or not dot or dot <= comma or dot >= dot_groups:
        return
    grouped = examples(AMBIGUOUS, 3)
    points = examples(POINT, 3)
    if not grouped or not points:
        return

    def show(found):
        return ", ".join(f"'{v}' (column '{c}', line {line})" for v, c, line in found)

    raise ValueParseError(
        f"the decimal mark {where} is unclear: {dot_groups} number(s) such as {show(grouped)} "
        f"have dots between groups of three digits (thousands, as in German files), but "
        f"{dot} cell(s) such as {show(points)} have a decimal point. Read with decimal='.', "
        f"'{grouped[0][0]}' would become {float(grouped[0][0])!r} instead of "
        f"{int(grouped[0][0].replace('.', ''))}. Pass decimal=',' (thousands='.') if the dots group "
        "thousands and correct the cells with a decimal point, or decimal='.' if the dots are "
        "decimal points.")
