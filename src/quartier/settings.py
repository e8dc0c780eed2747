"""Library-wide settings: the language of user-facing text.

The language is **context-local**: it is kept in a :class:`contextvars.ContextVar`, so every
thread and every asyncio task has its own value, and :func:`language` (a ``with`` block) or
:func:`set_language` in one thread never changes the text another thread writes.

Where a value comes from, first match wins:

1. ``lang=`` given to the function that writes the text (one call only; see
   :func:`resolve_language`);
2. the value set in the current context by :func:`set_language` or a ``with language(...)``
   block;
3. the process-wide default: ``"de"``, or what ``set_language(lang, process_wide=True)`` set.

A new thread starts from an empty context, so it does **not** see what the main thread set with
``set_language`` (it sees the process-wide default). To hand your settings to a worker, start it
in a copy of your context (``contextvars.copy_context().run(func, ...)``), pass ``lang=``
explicitly, or set the process-wide default once at start-up. asyncio tasks copy the context of
the code that creates them, so a task sees the language in force where it was created; a
``set_language`` inside the task stays in the task.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from quartier.errors import ParameterError

__all__ = ["get_language", "set_language", "language", "resolve_language", "LANGUAGES"]

#: Languages of user-facing text (maps, reports, summaries).
LANGUAGES = ("de", "en")

_LIBRARY_DEFAULT = "de"
_process_default = {"lang": _LIBRARY_DEFAULT}
# None: nothing set in this context, follow the process-wide default
_LANGUAGE: ContextVar[str | None] = ContextVar("quartier_language", default=None)


def _check(lang, name: str = "lang") -> str:
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise ParameterError(
            f"{name} must be one of {', '.join(repr(x) for x in LANGUAGES)}, not {lang!r}.")
    return lang


def set_language(lang: str, *, process_wide: bool = False) -> None:
    """Set the language of user-facing text: ``"de"`` (default) or ``"en"``.

    The language is set for the current context (this thread, or this asyncio task) only;
    other threads and tasks keep theirs. For a temporary change prefer :func:`language`
    (a ``with`` block that restores the previous value), and for one call ``lang=``.

    Parameters
    ----------
    lang : {"de", "en"}
    process_wide : bool, default False
        Also make ``lang`` the process-wide default: what every context sees that has not set
        a language of its own, including threads started later. The current context then
        follows that default. Meant for start-up code (a script, a notebook's first cell,
        a server before it starts workers), not for code that runs in threads.

    Raises
    ------
    quartier.errors.ParameterError
        For another language (a ``ValueError`` too).

    Examples
    --------
    >>> import quartier
    >>> quartier.set_language("en"); quartier.get_language()
    'en'
    >>> quartier.set_language("de")
    """
    _check(lang)
    if process_wide:
        _process_default["lang"] = lang
        _LANGUAGE.set(None)
    else:
        _LANGUAGE.set(lang)


def get_language() -> str:
    """The language of user-facing text in the current context, ``"de"`` or ``"en"``.

    Returns
    -------
    str
        The value set in this context (:func:`set_language`, :func:`language`), else the
        process-wide default (``"de"`` unless changed with ``process_wide=True``).

    Examples
    --------
    >>> get_language() in ("de", "en")
    True
    """
    lang = _LANGUAGE.get()
    return _process_default["lang"] if lang is None else lang


def resolve_language(lang: str | None = None) -> str:
    """The language for one call: ``lang`` if given, else the language in force.

    Every function that writes user-facing text resolves its ``lang=`` argument with this.

    Parameters
    ----------
    lang : {"de", "en"} or None
        An explicit language for this call; None means :func:`get_language`.

    Returns
    -------
    str

    Raises
    ------
    quartier.errors.ParameterError
        If ``lang`` is not a known language.

    Examples
    --------
    >>> resolve_language("en")
    'en'
    >>> with language("en"):
    ...     resolve_language(None)
    'en'
    >>> resolve_language("fr")
    Traceback (most recent call last):
    ...
    quartier.errors.ParameterError: lang must be one of 'de', 'en', not 'fr'.
    """
    return get_language() if lang is None else _check(lang)


@contextmanager
def language(lang: str) -> Iterator[str]:
    """The language for a ``with`` block only; the previous value comes back afterwards.

    Restores with :meth:`contextvars.ContextVar.reset`, so nested blocks unwind correctly and
    a ``set_language`` inside the block ends with the block. Only the current thread or
    asyncio task is affected.

    Parameters
    ----------
    lang : {"de", "en"}

    Yields
    ------
    str
        ``lang``.

    Raises
    ------
    quartier.errors.ParameterError
        For another language.

    Examples
    --------
    >>> from quartier.output.formatting import format_number
    >>> with language("en"):
    ...     format_number(1234.5, 1)
    '1,234.5'
    >>> format_number(1234.5, 1)
    '1.234,5'
    """
    token = _LANGUAGE.set(_check(lang))
    try:
        yield lang
    finally:
        _LANGUAGE.reset(token)

