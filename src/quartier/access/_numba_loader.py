"""Private: load an optional numba-compiled module once, or fall back with one warning.

Shared by the straight-line FCA kernel (:mod:`quartier.access._fca_kernel`) and the
public transport router (:mod:`quartier.access.transit._raptor_engine`). Each keeps its own
``state`` (``{"kernel": module or None, "failed": reason or None}``): a failure of one does
not switch off the other.
"""

from __future__ import annotations

import importlib
import warnings

from quartier.errors import QuartierWarning

_CACHE_FIX = ("numba compiles the kernel once and caches it on disk: set the environment "
              "variable NUMBA_CACHE_DIR to a writable folder (e.g. NUMBA_CACHE_DIR="
              "/tmp/numba-cache) before starting Python, or {silence} to silence this.")
_INSTALL_FIX = ('Install the optional compiled kernel with pip install "quartier[fast]" '
                "(numba), or {silence} to silence this.")


def load(state: dict, module: str, failed):
    """The compiled module ``module`` (imported once), or None after ``failed(reason, hint=)``.

    Importing it imports numba and prepares numba's disk cache; any error (numba missing or
    broken, no writable cache folder: "no locator available") goes to ``failed``.
    """
    if state["kernel"] is None and state["failed"] is None:
        try:
            compiled = importlib.import_module(module)
        except MemoryError:
            raise
        except ImportError as err:
            failed(f"numba cannot be imported ({err})", hint="install")
        except Exception as err:  # numba errors, RuntimeError, OSError
            failed(f"numba cannot set up its cache or compile ({type(err).__name__}: {err})")
        else:
            state["kernel"] = compiled
    return state["kernel"]


def fail(state: dict, what: str, *, message: str, silence: str, hint: str = "cache",
         stacklevel: int = 2) -> None:
    """Use the numpy path from now on in this process; warn once with ``message`` (which has
    ``{what}`` and ``{fix}`` fields) saying what and the fix."""
    first = state["failed"] is None
    state["failed"] = what
    state["kernel"] = None
    if not first:
        return
    fix = (_INSTALL_FIX if hint == "install" else _CACHE_FIX).format(silence=silence)
    warnings.warn(message.format(what=what, fix=fix), QuartierWarning,
                  stacklevel=stacklevel + 1)


def reset(state: dict) -> None:
    """Forget the loaded kernel and any failure (tests)."""
    state["kernel"] = None
    state["failed"] = None


class OptionalKernel:
    """One optional compiled module: :meth:`load` it once, or :meth:`fail` with one warning.

    ``message`` has the fields ``{what}`` and ``{fix}``; ``silence`` says how the user picks
    the numpy path explicitly (it ends the fix). :attr:`state` is the module's state dict.
    """

    def __init__(self, module: str, *, message: str, silence: str, stacklevel: int):
        self.module, self.message, self.silence = module, message, silence
        self.stacklevel = stacklevel
        self.state: dict = {"kernel": None, "failed": None}

    def load(self):
        return load(self.state, self.module, self.fail)

    def fail(self, what: str, hint: str = "cache", stacklevel: int | None = None) -> None:
        fail(self.state, what, message=self.message, silence=self.silence, hint=hint,
             stacklevel=(self.stacklevel if stacklevel is None else stacklevel) + 1)

    def reset(self) -> None:
        reset(self.state)
