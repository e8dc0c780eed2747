"""Numbers as people read them: German ("1.234,5") or English ("1,234.5")."""

from __future__ import annotations

import math

from quartier.settings import resolve_language

__all__ = ["format_number", "format_percent", "display_labels", "credit_line", "format_date"]


def format_number(value: float | int | None, decimals: int = 0, lang: str | None = None) -> str:
    """Format a number with grouping and the decimal mark of the language.

    Parameters
    ----------
    value : float, int or None
        The number. Missing values (None, NaN) give ``"–"``.
    decimals : int, default 0
        Digits after the decimal mark.
    lang : {"de", "en"}, optional
        Default from :func:`quartier.set_language` (German).

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(1234.5, 1, lang="de"), format_number(1234.5, 1, lang="en")
    ('1.234,5', '1,234.5')
    >>> format_number(float("nan"))
    '–'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if resolve_language(lang) == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_percent(share: float | None, decimals: int = 1, lang: str | None = None) -> str:
    """Format a share (0..1) as a percentage: ``0.1234`` becomes ``"12,3 %"`` in German.

    Parameters
    ----------
    share : float or None
        A share between 0 and 1.
    decimals : int, default 1
    lang : {"de", "en"}, optional

    Returns
    -------
    str

    Examples
    --------
    >>> format_percent(0.1234, lang="de"), format_percent(0.1234, lang="en")
    ('12,3 %', '12.3%')
    """
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    lang = resolve_language(lang)
    number = format_number(100 * share, decimals, lang=lang)
    return f"{number} %" if lang == "de" else f"{number}%"


def display_labels(columns, labels=None, lang: str | None = None) -> dict[str, str]:
    """Display labels of columns: ``labels`` first, then quartier's own labels, else the name.

    One rule for every output (tooltips, popups, legend titles, print maps, table headers):
    a label given in ``labels={column: label}`` wins; quartier's result columns
    (``share_covered``, ``deficit``, ...) have labels in German and English (see
    :func:`quartier.label_columns`); any other column shows its name.

    Parameters
    ----------
    columns : iterable of str
        The columns.
    labels : dict, optional
        ``{column: label}`` given by the user.
    lang : {"de", "en"}, optional
        Default from :func:`quartier.set_language` (German).

    Returns
    -------
    dict
        ``{column: label}`` for every column.

    Examples
    --------
    >>> display_labels(["share_covered", "platzzahl"], {"platzzahl": "Plätze"}, lang="de")
    {'share_covered': 'Anteil versorgt', 'platzzahl': 'Plätze'}
    """
    from quartier.access.gaps import LABELS  # loaded when used: keeps `import quartier` quick

    lang = resolve_language(lang)
    own = LABELS.get(lang, {})
    given = dict(labels or {})
    return {col: str(given.get(col, own.get(col, col))) for col in columns}


def format_date(day, lang: str | None = None) -> str:
    """A date as "31.12.2024" (German) or "2024-12-31" (English); text stays as it is.

    Examples
    --------
    >>> import datetime as dt
    >>> format_date(dt.date(2024, 12, 31), lang="de"), format_date("Dezember 2024")
    ('31.12.2024', 'Dezember 2024')
    """
    if isinstance(day, str):
        return day
    return day.strftime("%d.%m.%Y") if resolve_language(lang) == "de" else day.isoformat()


def credit_line(source=None, licence=None, date=None, lang: str | None = None) -> str:
    """ "Quelle: ... · Lizenz: ... · Stand: ..." for maps (empty when nothing is given).

    Examples
    --------
    >>> credit_line("Amt für Statistik", "dl-de/by-2-0", "31.12.2024", lang="de")
    'Quelle: Amt für Statistik · Lizenz: dl-de/by-2-0 · Stand: 31.12.2024'
    >>> credit_line(lang="de")
    ''
    """
    de = resolve_language(lang) == "de"
    parts = []
    if source:
        parts.append(f"{'Quelle' if de else 'Source'}: {source}")
    if licence:
        parts.append(f"{'Lizenz' if de else 'Licence'}: {licence}")
    if date:
        parts.append(f"{'Stand' if de else 'Date'}: {format_date(date, 'de' if de else 'en')}")
    return " · ".join(parts)
