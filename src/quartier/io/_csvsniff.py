"""Private helpers of :mod:`quartier.tables`: decoding, separator sniffing, German numbers.

Nothing here is public API; :func:`quartier.io.tables.read_table` documents the rules.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter

SEPARATORS = (";", ",", "\t", "|")
# cells that mean "suppressed / not available" (in TableReport.suppressed) ...
SUPPRESSED = frozenset({".", "x", "X", "*", "…", "...", "/"})
# ... and cells that mean zero ("nichts vorhanden")
ZERO = frozenset({"-", "–", "—"})
_SPACE = "\u00a0\u202f\u2007\t "
_SPACES = re.compile(f"[{_SPACE}]+")
_SIGN = re.compile(f"^([-+\u2212\u2013])[{_SPACE}]*")
_SPACE_GROUPS = re.compile(r"^\d{1,3}(?: \d{3})+(?=$|[.,])")
_NUMBER_LIKE = re.compile(r"^[\d.,]*\d[\d.,]*$")
_INT_DOT_GROUPS = re.compile(r"^[1-9]\d{0,2}(?:\.\d{3})+$")
_COMMA_DECIMAL = re.compile(r"^(?:\d+|[1-9]\d{0,2}(?:\.\d{3})+),\d+$")
_COMMA_GROUPS_DOT_DECIMAL = re.compile(r"^[1-9]\d{0,2}(?:,\d{3})+\.\d+$")
_ONE_DOT = re.compile(r"^\d*\.\d+$")


def decode(data: bytes, encoding: str | None, path=None) -> tuple[str, str]:
    """Decode bytes: the given encoding, else by BOM (UTF-8, UTF-16), UTF-16 without BOM
    (recognised by its zero bytes), strict UTF-8, else cp1252.

    Raises InputFileError (with the encoding to pass) when the bytes are not text in the
    given or detected encoding, ParameterError for an unknown encoding name.
    """
    from quartier.errors import InputFileError, ParameterError

    name = f"'{path}'" if path is not None else "the file"
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise ParameterError(
                f"unknown encoding {encoding!r}. Common ones are 'utf-8', 'cp1252' "
                "(Windows, Excel 'CSV'), 'utf-16' (Excel 'Unicode text') and 'latin-1'."
            ) from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            raise InputFileError(
                f"{name} cannot be read as {encoding}: {_where_in(data, err)}. "
                f"{_guess_hint(data)}") from err
        if b"\n" in data and "\n" not in text:
            raise InputFileError(
                f"{name} does not look like {encoding} text (no line breaks once decoded). "
                f"{_guess_hint(data)}")
        return text.removeprefix("\ufeff"), encoding
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom) and not data.startswith(b"\xff\xfe\x00\x00"):
            return _utf16(data, codec, name), "utf-16"
    guessed = _utf16_without_bom(data)
    if guessed is not None:
        return _utf16(data, guessed, name), guessed
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the 5 bytes cp1252 leaves undefined
        return data.decode("latin-1"), "latin-1"


def _utf16(data: bytes, codec: str, name: str) -> str:
    from quartier.errors import InputFileError

    try:
        return data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise InputFileError(
            f"{name} looks like UTF-16 text (Excel 'Unicode text') but cannot be read as "
            f"{codec}: {_where_in(data, err)}. Save it again as 'CSV UTF-8', or pass the "
            "right encoding= (e.g. encoding='cp1252').") from err


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte of the start is zero (ASCII in UTF-16)."""
    head = data[:4000]
    if len(head) < 4 or len(head) % 2:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _where_in(data: bytes, err: UnicodeDecodeError) -> str:
    line = data[:err.start].count(b"\n") + 1
    return f"byte {data[err.start:err.start + 1].hex(' ') or 'end'} at line {line} ({err.reason})"


def _guess_hint(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "The file is valid UTF-8: pass encoding='utf-8' (or leave encoding= out)."
    except UnicodeDecodeError:
        return ("Leave encoding= out to detect it, or pass the encoding the file was saved in "
                "(e.g. encoding='cp1252' for Excel 'CSV', 'utf-16' for 'Unicode text').")


def split_rows(text: str, sep: str, where: str | None = None
               ) -> tuple[list[list[str]], list[int]]:
    """Split CSV text into records (quotes respected) and the file line of each record.

    With ``where`` (words naming the file), a record the csv module cannot read (a quote
    left open over a huge stretch of the file) raises InputFileError naming its line.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"')
    rows, lines = [], []
    start = 1
    try:
        for row in reader:
            rows.append(row)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as err:
        if where is None:
            raise
        from quartier.errors import InputFileError

        raise InputFileError(
            f"line {start} {where} cannot be split into cells ({err}): a quote (\") opened "
            f"there is not closed before line {reader.line_num}. Remove the stray quote, or "
            "write a quote inside a cell twice (\"\") and put the whole cell in quotes."
        ) from err
    return rows, lines


def sniff_separator(text: str, max_lines: int = 60) -> str:
    """Choose the separator that splits most of the first lines into the same number (>1) of fields."""
    cut = -1
    for _ in range(max_lines + 1):  # split only a prefix that holds the first lines
        cut = text.find("\n", cut + 1)
        if cut < 0:
            break
    head = "\n".join((text if cut < 0 else text[:cut]).splitlines()[:max_lines])
    best, best_score = ";", (0, 0, 0)
    for rank, sep in enumerate(reversed(SEPARATORS)):
        try:
            rows, _ = split_rows(head, sep)
        except csv.Error:  # a huge quoted field: not this separator's fault, nor a verdict
            continue
        counts = Counter(len(r) for r in rows if any(c.strip() for c in r))
        if not counts:
            continue
        width, n = max(counts.items(), key=lambda item: (item[1], item[0]))
        if width < 2:
            continue
        score = (n, width, rank)
        if score > best_score:
            best, best_score = sep, score
    return best


def _core(cell: str) -> tuple[str, str]:
    """Split a stripped cell into sign and body; spaces between digit groups are dropped."""
    text = _SPACES.sub(" ", cell.strip(_SPACE))
    sign = ""
    match = _SIGN.match(text)
    if match:
        sign = "-" if match.group(1) != "+" else ""
        text = text[match.end():]
    groups = _SPACE_GROUPS.match(text)
    if groups:
        text = groups.group(0).replace(" ", "") + text[groups.end():]
    return sign, text


def decimal_evidence(cells) -> list[int]:
    """Count the number-looking cells for each decimal format: [comma, dot, dot_groups,
    several_dots, comma_groups] (see :func:`decide_decimal`)."""
    comma = dot = dot_groups = several_dots = comma_groups = 0
    for cell in cells:
        if "." not in cell and "," not in cell:
            continue  # every kind of evidence has a decimal or grouping mark
        _, body = _core(cell)
        if not _NUMBER_LIKE.match(body):
            continue
        if _COMMA_DECIMAL.match(body):
            comma += 1
        elif _COMMA_GROUPS_DOT_DECIMAL.match(body):
            dot += 1
            comma_groups += 1
        elif _INT_DOT_GROUPS.match(body):
            dot_groups += 1
            several_dots += body.count(".") > 1
        elif _ONE_DOT.match(body):
            dot += 1
    return [comma, dot, dot_groups, several_dots, comma_groups]


def decide_decimal(evidence, sep: str | None) -> tuple[str, str | None]:
    """(decimal, thousands) from the counts of :func:`decimal_evidence` over a whole file."""
    comma, dot, dot_groups, several_dots, comma_groups = evidence
    if comma > dot:
        return ",", "."
    if dot > comma:
        return ".", ("," if comma_groups else None)
    if several_dots or (dot_groups and sep != ","):
        return ",", "."
    return (".", None) if sep == "," else (",", ".")


def sniff_decimal(cells: list[str], sep: str | None) -> tuple[str, str | None]:
    """Guess (decimal, thousands) from the number-looking cells of a whole file."""
    return decide_decimal(decimal_evidence(cells), sep)


def number_parser(decimal: str, thousands: str | None):
    """Return ``parse(cell) -> int | float | None`` (None: not a number) for these separators."""
    if decimal == thousands:
        raise ValueError(f"decimal and thousands separator are both {decimal!r}")
    dec = re.escape(decimal)
    if thousands:
        grouped = rf"[1-9]\d{{0,2}}(?:{re.escape(thousands)}\d{{3}})+"
        int_part = rf"(?:{grouped}|\d+)"
    else:
        int_part = r"\d+"
    exponent = r"(?:[eE][-+]?\d+)?" if decimal == "." else ""
    pattern = re.compile(rf"^(?:({int_part})(?:{dec}(\d+))?|{dec}(\d+)){exponent}$")
    exp_part = re.compile(r"[eE][-+]?\d+$")

    def parse(cell: str) -> int | float | None:
        sign, body = _core(cell)
        match = pattern.match(body)
        if not match:
            return None
        whole, frac, only_frac = match.groups()
        exp = exp_part.search(body) if exponent else None
        digits = (whole or "0").replace(thousands or "\0", "")
        if frac is None and only_frac is None and exp is None:
            return int(sign + digits)
        text = f"{sign}{digits}.{frac or only_frac or '0'}{exp.group(0) if exp else ''}"
        return float(text)

    return parse


def clean_header(name: object) -> str:
    """Strip a header cell and collapse runs of whitespace to one space."""
    if name is None:
        return ""
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "")).strip()
