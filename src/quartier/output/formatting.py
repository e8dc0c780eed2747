"""Numbers as people read them: German ("1.234,5") or English ("1,234.5")."""

from __future__ import annotations

import math

from quartier.settings import resolve_language

__all__ = ["format_number", "format_percent"]


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
