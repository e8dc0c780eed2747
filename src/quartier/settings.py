"""Library-wide settings: the language of user-facing text, the straight-line FCA engine."""

from __future__ import annotations

import os

__all__ = ["get_language", "set_language", "LANGUAGES", "get_fca_engine", "set_fca_engine",
           "FCA_ENGINES"]

#: Languages of user-facing text (maps, reports, summaries).
LANGUAGES = ("de", "en")
#: Engines of straight-line floating catchments (:func:`set_fca_engine`).
FCA_ENGINES = ("auto", "numpy", "numba")
_state = {"lang": "de", "fca_engine": None}


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


def set_fca_engine(engine: str) -> None:
    """Choose how :func:`quartier.fca` computes straight-line catchments.

    This applies to every straight-line FCA of the session, also those inside
    :func:`quartier.supply`, :func:`quartier.service_table` and ``quartier run``
    (street networks and ``costs=`` always use the pairs they are given).
    Results are the same either way (to rounding).

    Parameters
    ----------
    engine : {"auto", "numpy", "numba"}
        ``"numpy"``: the reachable pairs summed with numpy (always available;
        Berlin's 30,000 demand points x 2,500 Kitas take about 0.1 s).
        ``"numba"``: the compiled streaming kernel of the optional extra
        ``pip install "quartier[fast]"``, which stores no pairs; its first call
        in a new environment compiles it (20 s or more), later processes load
        it from numba's disk cache (about 1 s). ``"auto"`` (the default) uses
        numba when it is installed and the input has about 2 million pairs
        within reach or more, numpy otherwise. When numba is wanted but cannot
        be used (not installed, no writable cache: set ``NUMBA_CACHE_DIR``),
        quartier warns once and uses numpy. The environment variable
        ``QUARTIER_FCA_ENGINE`` sets the default for a process (e.g. for
        ``quartier run``).

    Raises
    ------
    ValueError
        For another engine.

    Examples
    --------
    >>> import quartier
    >>> quartier.set_fca_engine("numpy"); quartier.get_fca_engine()
    'numpy'
    >>> quartier.set_fca_engine("auto")
    """
    if engine not in FCA_ENGINES:
        raise ValueError(f"engine must be one of {FCA_ENGINES}, not {engine!r}.")
    _state["fca_engine"] = engine


def get_fca_engine() -> str:
    """The straight-line FCA engine: ``"auto"`` (default), ``"numpy"`` or ``"numba"``.

    See :func:`set_fca_engine`; until that is called, the environment variable
    ``QUARTIER_FCA_ENGINE`` (when set to one of the engines) or ``"auto"``.

    Returns
    -------
    str

    Examples
    --------
    >>> get_fca_engine() in ("auto", "numpy", "numba")
    True
    """
    engine = _state["fca_engine"]
    if engine is None:
        env = os.environ.get("QUARTIER_FCA_ENGINE", "").strip().lower()
        engine = env if env in FCA_ENGINES else "auto"
    return engine
