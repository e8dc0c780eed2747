"""Library-wide settings: the language of user-facing text."""

from __future__ import annotations

__all__ = ["get_language", "set_language", "LANGUAGES"]

#: Languages of user-facing text (maps, reports, summaries).
LANGUAGES = ("de", "en")
_state = {"lang": "de"}


def set_language(lang: str) -> None:
    """Set the language of user-facing text: ``"de"`` (default) or ``"en"``.

    Parameters
    ----------
    lang : {"de", "en"}

    Raises
    ------
    ValueError
        For another language.

    Examples
    --------
    >>> import quartier
    >>> quartier.set_language("en"); quartier.get_language()
    'en'
    >>> quartier.set_language("de")
    """
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}.")
    _state["lang"] = lang


def get_language() -> str:
    """The language of user-facing text, ``"de"`` or ``"en"``.

    Returns
    -------
    str

    Examples
    --------
    >>> get_language() in ("de", "en")
    True
    """
    return _state["lang"]
