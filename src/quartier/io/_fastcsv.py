"""Private helpers of :func:`quartier.io.tables.read_table`: the vectorised CSV path.

The table layout (title lines, header, body, footnotes) is found from statistics of every
line computed with NumPy on the bytes (field counts, blank lines); only the lines around the
header and the footnotes are split in Python. The body is then read once by pyarrow's CSV
reader as text, and every decision (decimal format, markers, numbers, key-like columns) is made
on whole columns with pyarrow compute functions (regular expressions over the column, or over
its distinct values). Cells in unusual forms (non-ASCII, spaces inside) are classified by the
same Python rules as the cell-by-cell reader, once per distinct value.

:func:`layout` returns None whenever the file is not plain enough for this path (quotes, lone
``\\r`` line ends, rows of another width inside the body, blank lines inside the body, ...);
``read_table`` then reads it cell by cell, so behaviour and messages never depend on the path.
Nothing here is public API.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

import numpy as np

from quartier.io import _csvsniff as sniff
from quartier.io import _detect

try:  # pyarrow is optional (extra "parquet"); without it read_table reads cell by cell
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
except ImportError:  # pragma: no cover - depends on the installation
    pa = pc = pacsv = None

HEAD = 200  # leading non-blank lines searched for the header
BIG = 2_000_000  # bytes: from this size on, line statistics only of the first and last lines
TAIL = 1000  # trailing lines that may be footnotes
SAMPLE = 503  # body rows handed to the unit-row check (it looks at 3 + 500)
_SP = "\u00a0\u202f\u2007\t "
_SP_RE = "[\\x{a0}\\x{202f}\\x{2007}\\t ]"


def available() -> bool:
    return pa is not None


@dataclass
class Layout:
    header: list[str]
    head_line: int
    skipped: list[tuple[int, list[str]]]
    above_rows: list[list[str]]  # non-blank rows up to the header, for the header names
    above_lines: list[int]
    raw: list  # pyarrow ChunkedArray per used column, cells as in the file
    cells: list  # the same, stripped of spaces
    lines: np.ndarray  # file line of each body row
    sample: list[list[str]]  # first body rows as lists (used columns)
    plain: list  # per used column: float64 values if all cells are plain integers, else None
    encoded: list  # per used column: its raw cells dictionary-encoded (None if plain)
    odd: bool  # the body has non-ASCII bytes or spaces: some cells may need the Python rules


def _split(buf: bytes, start: int, end: int, sep: str) -> list[str]:
    line = buf[start:end].decode("utf-8")
    if line.endswith("\r"):
        line = line[:-1]
    if '"' in line:  # quotes balanced within the line (checked in layout)
        return next(csv.reader([line], delimiter=sep, quotechar='"'), [""])
    return line.split(sep)


def _quotes_plain(b: np.ndarray, ends: np.ndarray, sep: str):
    """Quote positions if every quote opens or closes a whole cell within its line, else None.

    A quote opens a cell after a separator or a line start (or right after a closing quote:
    ``""`` inside a quoted cell) and closes it before a separator, a line end or another
    quote. Other quotes (``Haus "Sonne"`` unquoted, a stray quote, a cell over several lines)
    leave the file to the cell-by-cell reader, which reads them as the csv module does.
    """
    q = np.flatnonzero(b == 34)
    if len(q) % 2 or np.any(np.searchsorted(q, ends) % 2):
        return None  # a line with an odd number of quotes
    opening, closing = q[0::2], q[1::2]
    before = b[np.maximum(opening - 1, 0)]
    ok_open = (opening == 0) | (before == ord(sep)) | (before == 10) | (before == 34)
    after = b[np.minimum(closing + 1, len(b) - 1)]
    ok_close = (closing == len(b) - 1) | (after == ord(sep)) | (after == 10) | (after == 13) | (
        after == 34)
    if not (ok_open.all() and ok_close.all()):
        return None
    # a quote after a closing quote must be the second of a doubled quote inside the cell
    glued = opening[(opening > 0) & (before == 34)]
    if len(glued) and not np.all(np.isin(glued - 1, closing)):
        return None
    return q


def _filled(row) -> int:
    return sum(bool(c.strip(_SP)) for c in row)


def _line_stats(buf: bytes, b: np.ndarray, lo: int, hi: int, sep: str, q=None):
    """Starts, ends, separator counts and blank flags of the lines in ``buf[lo:hi]``.

    ``b``: the bytes as uint8 array; ``q``: quote positions (separators between a quote and
    its closing quote are not counted). ``hi`` is a line end or the end of the buffer.
    """
    part = b[lo:hi]
    newlines = np.flatnonzero(part == 10) + lo
    starts = np.r_[lo, newlines + 1]
    ends = np.r_[newlines, hi]
    if starts[-1] == hi:
        starts, ends = starts[:-1], ends[:-1]
    seps = np.flatnonzero(part == ord(sep)) + lo
    if q is not None:
        seps = seps[np.searchsorted(q, seps) % 2 == 0]  # separators outside quotes
    # no separator sits on a line end: the count before a line's start is the previous line's
    nsep = np.diff(np.searchsorted(seps, ends), prepend=0)
    blanks = [ord(c) for c in " \r\t" if c != sep and c.encode() in buf]
    if blanks:  # (memchr-fast checks first: most large files hold no spaces at all)
        space = np.zeros(len(part), dtype=bool)
        for code in blanks:
            space |= part == code
        spaces = np.flatnonzero(space) + lo
        del space
        nspace = np.diff(np.searchsorted(spaces, ends), prepend=0)
    else:
        nspace = 0
    return starts, ends, nsep, (ends - starts) == nsep + nspace


def _read_body(buf: bytes, lo: int, hi: int, sep: str, width: int, quoted: bool):
    """The body lines ``buf[lo:hi]`` as a pyarrow table of text columns c0, c1, ..."""
    return pacsv.read_csv(
        pa.BufferReader(memoryview(buf)[lo:hi]),
        read_options=pacsv.ReadOptions(column_names=[f"c{j}" for j in range(width)]),
        parse_options=pacsv.ParseOptions(delimiter=sep, quote_char='"' if quoted else False,
                                         double_quote=True, newlines_in_values=False,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={f"c{j}": pa.string() for j in range(width)},
            strings_can_be_null=False, quoted_strings_can_be_null=False))


def _nth_newline(buf: bytes, n: int, from_end: bool = False) -> int:
    """Position of the n-th line break from the start (or the end); -1 if there are fewer."""
    pos = len(buf) if from_end else -1
    for _ in range(n):
        pos = buf.rfind(b"\n", 0, pos) if from_end else buf.find(b"\n", pos + 1)
        if pos < 0:
            return -1
    return pos


def layout(text: str, sep: str, skiprows, raw: bytes | None = None) -> Layout | None:
    """Find header, body and skipped lines; read the body as text columns. None: not plain.

    ``raw``: the file's bytes when they are the UTF-8 encoding of ``text`` (saves a copy).
    """
    if pa is None or len(sep) != 1 or ord(sep) > 127 or sep == '"':
        return None
    if skiprows is not None and (not isinstance(skiprows, int) or skiprows < 0):
        return None
    buf = raw if raw is not None else text.encode("utf-8")
    if b"\r" in buf and buf.count(b"\r") != buf.count(b"\r\n"):
        return None
    quoted = b'"' in buf
    if skiprows is None and len(buf) > BIG:
        found = _layout(buf, sep, None, quoted, big=True)
        if found is not None:
            return found
    return _layout(buf, sep, skiprows, quoted, big=False)


def _layout(buf: bytes, sep: str, skiprows, quoted: bool, big: bool) -> Layout | None:
    """:func:`layout` with the line statistics of every line (``big=False``), or of the first
    and last lines only (``big=True``): the lines between must then all be table rows of the
    table's width, which pyarrow's reader confirms (it fails on a row of another width, and
    its row count must equal the number of lines); None if they are not."""
    b = np.frombuffer(buf, np.uint8)
    q = None
    if quoted:
        q = _quotes_plain(b, np.r_[np.flatnonzero(b == 10), len(b)], sep)
        if q is None:
            return None
    middle = None
    if big:
        head_end = _nth_newline(buf, 2 * HEAD + SAMPLE + 10)
        tail_start = _nth_newline(buf, TAIL + 2, from_end=True)
        if head_end < 0 or tail_start < 0 or tail_start <= head_end:
            return None
        h = _line_stats(buf, b, 0, head_end + 1, sep, q)
        t = _line_stats(buf, b, tail_start + 1, len(b), sep, q)
        n_middle = buf.count(b"\n", head_end + 1, tail_start + 1)
        middle = (len(h[0]), n_middle)  # first line index and number of the lines between
        starts = np.r_[h[0], t[0]]
        ends = np.r_[h[1], t[1]]
        nsep = np.r_[h[2], t[2]]
        blank = np.r_[h[3], t[3]]
        line_no = np.r_[np.arange(len(h[0])), np.arange(len(t[0])) + len(h[0]) + n_middle]
    else:
        starts, ends, nsep, blank = _line_stats(buf, b, 0, len(b), sep, q)
        line_no = np.arange(len(starts))
    del b
    idx = np.arange(len(starts))
    if skiprows:
        idx = idx[skiprows:]
    keep = idx[~blank[idx]]
    if not len(keep):
        return None
    widths = nsep[keep] + 1
    cache: dict[int, list[str]] = {}

    def row(k: int) -> list[str]:
        if k not in cache:
            i = keep[k]
            cache[k] = _split(buf, starts[i], ends[i], sep)
        return cache[k]

    if skiprows is not None:
        start, width = 0, int(widths[0])
    else:
        counts = np.bincount(widths)
        width = int(np.flatnonzero(counts == counts.max()).max())
        start = next((k for k in range(min(HEAD, len(keep)))
                      if widths[k] == width and _filled(row(k)) > width / 2), None)
        if start is None:
            return None
    if big and (width < 2 or line_no[keep[start]] > 2 * HEAD):
        return None  # (the first SAMPLE body rows must lie in the lines looked at)
    end = len(keep)
    first_column = [row(k)[0] for k in range(start + 1, min(start + 51, len(keep)))]
    while end > start + 1 and _detect.is_footnote(row(end - 1), width, first_column):
        end -= 1
        if len(keep) - end > TAIL:
            return None
    body = keep[start + 1:end]
    if not len(body) or np.any(widths[start + 1:end] != width) or (
            line_no[body[-1]] - line_no[body[0]] != len(body) - 1 + (
                middle[1] if middle else 0)):
        return None
    if big and not (body[0] < middle[0] <= body[-1]):
        return None
    outside = list(range(start + 1)) + list(range(end, len(keep)))
    if any(_filled(row(k)) == 0 for k in outside):  # blank only by Unicode spaces
        return None
    n_body = len(body) + (middle[1] if middle else 0)
    lines = np.arange(line_no[body[0]], line_no[body[0]] + n_body) + 1
    try:  # a row of another width between the lines looked at fails here
        table = _read_body(buf, int(starts[body[0]]), int(ends[body[-1]]), sep, width, quoted)
    except pa.ArrowInvalid:
        return None
    if table.num_rows != n_body:
        return None
    lo, hi = int(starts[body[0]]), int(ends[body[-1]])
    odd = bool(np.frombuffer(memoryview(buf)[lo:hi], np.uint8).max(initial=0) > 127) or (
        buf.find(b" ", lo, hi) >= 0) or (sep != "\t" and buf.find(b"\t", lo, hi) >= 0)
    raw = [table.column(j) for j in range(width)]
    # without spaces, tabs or non-ASCII bytes in the body there is nothing to strip
    cells = [pc.utf8_trim(c, characters=_SP) for c in raw] if odd else raw
    empty_row = None
    for c in cells:
        e = pc.equal(c, "")
        empty_row = e if empty_row is None else pc.and_(empty_row, e)
    if pc.any(empty_row).as_py():  # a row blank only by Unicode spaces
        return None
    header = row(start)
    used = [j for j in range(width)
            if header[j].strip(_SP) or not pc.all(pc.equal(cells[j], "")).as_py()]
    plain = [plain_integers(cells[j]) for j in used]
    n_sample = min(SAMPLE, len(body))
    sample = [[r[j] for j in used] for r in (
        _split(buf, starts[i], ends[i], sep) for i in body[:n_sample])]
    return Layout(
        header=[header[j] for j in used], head_line=int(line_no[keep[start]]) + 1,
        skipped=[(int(line_no[keep[k]]) + 1, row(k)) for k in outside if k != start],
        above_rows=[row(k) for k in range(start + 1)],
        above_lines=[int(line_no[keep[k]]) + 1 for k in range(start + 1)],
        raw=[raw[j] for j in used], cells=[cells[j] for j in used],
        lines=lines, sample=sample, odd=odd,
        plain=plain, encoded=[None if ints is not None else _encode(raw[j])
                              for j, ints in zip(used, plain, strict=True)])


def _encode(cells):
    """The cells dictionary-encoded; a column of mostly distinct cells (names, addresses) as
    its own dictionary (indices 0..n-1): hashing it would cost more than it saves."""
    cells = cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells
    head = cells.slice(0, 20_000)
    if len(cells) > 50_000 and len(pc.unique(head)) > 0.5 * len(head):
        return pa.DictionaryArray.from_arrays(pa.array(np.arange(len(cells), dtype=np.int32)),
                                              cells)
    return pc.dictionary_encode(cells)


# the characters of numbers in every form the Python rules read (spaces between digit groups,
# Unicode minus and dash signs): cells of other characters are text, whatever their form
_NUMBER_CHARS = "^[-+0-9.,eE \\t\\x{a0}\\x{202f}\\x{2007}\\x{2212}\\x{2013}]*[0-9][-+0-9.,eE \\t" \
                "\\x{a0}\\x{202f}\\x{2007}\\x{2212}\\x{2013}]*$"


def _slow_subset(cells, odd: bool = True):
    """Mask of cells that the vectorised rules do not cover: numbers in unusual forms (spaces
    inside, Unicode signs). Markers and na_values are looked up before; other cells with
    spaces or non-ASCII characters are text."""
    if not odd:
        return pa.chunked_array([pa.array(np.zeros(len(cells), dtype=bool))])
    unusual = pc.or_(pc.or_(pc.invert(pc.string_is_ascii(cells)),
                            pc.match_substring(cells, " ")), pc.match_substring(cells, "\t"))
    return pc.and_(unusual, pc.match_substring_regex(cells, _NUMBER_CHARS))


def plain_integers(cells):
    """int64 values if every cell is a whole number in plain digits (``-12``), else None."""
    try:  # a failing cast is slow in pyarrow (~0.5 us per cell): try the first cells first
        if len(cells) > 2000:
            pc.cast(cells.slice(0, 1000), pa.int64())
        return pc.cast(cells, pa.int64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def decimal_evidence(encoded) -> list[int]:
    """:func:`quartier.io._csvsniff.decimal_evidence` over the distinct cells of all columns.

    ``encoded``: the dictionary-encoded raw cells of each column (None: plain integers, which
    are no evidence).
    """
    cells = pa.chunked_array([e.dictionary for e in encoded if e is not None], type=pa.string())
    # only cells with a decimal or grouping mark (or in an unusual form) are evidence
    cells = cells.filter(pc.or_(pc.or_(pc.match_substring(cells, "."),
                                       pc.match_substring(cells, ",")),
                                pc.invert(pc.string_is_ascii(cells))))
    uniq = pc.unique(cells)
    uniq = pc.utf8_trim(uniq, characters=_SP)
    slow = _slow_subset(uniq)
    evidence = sniff.decimal_evidence(uniq.filter(slow).to_pylist())
    u = uniq.filter(pc.invert(slow))
    u = pc.replace_substring_regex(u, r"^[-+]", "")

    def match(pattern):
        return pc.match_substring_regex(u, pattern)

    like = match(sniff._NUMBER_LIKE.pattern)
    comma = pc.and_(like, match(sniff._COMMA_DECIMAL.pattern))
    rest = pc.and_(like, pc.invert(comma))
    groups_dot = pc.and_(rest, match(sniff._COMMA_GROUPS_DOT_DECIMAL.pattern))
    rest = pc.and_(rest, pc.invert(groups_dot))
    dot_groups = pc.and_(rest, match(sniff._INT_DOT_GROUPS.pattern))
    rest = pc.and_(rest, pc.invert(dot_groups))
    one_dot = pc.and_(rest, match(sniff._ONE_DOT.pattern))
    several = pc.and_(dot_groups, pc.greater(pc.count_substring(u, "."), 1))

    def n(mask):
        return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)

    found = [n(comma), n(groups_dot) + n(one_dot), n(dot_groups), n(several), n(groups_dot)]
    return [a + b for a, b in zip(evidence, found, strict=True)]


def key_like(cells) -> bool:
    """Whether a cell is a key with a leading zero (``0101``) or a phone number."""
    for first, pattern in (("0", r"^0\d+$"), ("+", r"^\+\s?\d[\d\s/()\-–+]{7,}$")):
        candidates = cells.filter(pc.starts_with(cells, first))
        if len(candidates) and pc.any(pc.match_substring_regex(candidates, pattern)).as_py():
            return True
    return False


def number_pattern(decimal: str, thousands: str | None) -> str:
    """RE2 pattern of an ASCII number without spaces, as :func:`number_parser` reads it."""
    dec = re.escape(decimal)
    if thousands:
        int_part = rf"(?:[1-9]\d{{0,2}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    else:
        int_part = r"\d+"
    exponent = r"(?:[eE][-+]?\d+)?" if decimal == "." else ""
    return rf"^[-+]?(?:{int_part}(?:{dec}\d+)?|{dec}\d+){exponent}$"


def to_numbers(cells, mask, decimal: str, thousands: str | None) -> np.ndarray:
    """float64 values of the cells where ``mask`` (NaN elsewhere)."""
    everywhere = pc.all(mask).as_py()
    text = cells if everywhere else pc.if_else(mask, cells, pa.scalar("0"))
    if thousands:
        text = pc.replace_substring(text, thousands, "")
    if decimal != ".":
        text = pc.replace_substring(text, decimal, ".")
    if pc.any(pc.starts_with(text, "+")).as_py():
        text = pc.replace_substring_regex(text, r"^\+", "")
    try:
        values = pc.cast(text, pa.float64()).to_numpy()
    except pa.ArrowInvalid:  # out of range for pyarrow (1e400): Python's float() decides
        values = np.array([float(v) for v in text.to_pylist()])
    if everywhere:
        return values.astype(np.float64, copy=True)
    return np.where(mask.to_numpy(zero_copy_only=False), values, np.nan)


def examples(fast: Layout, names, pattern: str, limit: int):
    """Cells matching ``pattern``, column by column: [(cell, column, line), ...] up to limit
    (as ``read_table``'s cell-by-cell ``_examples``)."""
    found = []
    for j, name in enumerate(names):
        mask = pc.match_substring_regex(fast.cells[j], pattern)
        at = np.flatnonzero(mask.to_numpy(zero_copy_only=False))[:limit - len(found)]
        if len(at):
            values = fast.cells[j].take(pa.array(at)).to_pylist()
            found += [(v, name, int(fast.lines[i])) for v, i in zip(values, at, strict=True)]
        if len(found) >= limit:
            break
    return found
