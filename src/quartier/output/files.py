"""Safe writing: every file appears whole or not at all, a run's outputs are replaced together.

Planners open outputs while a run writes them, keep them on network drives and re-run
analyses into the same folder. Three rules keep that safe:

- **One file**: :func:`write_atomic` writes to a temporary file in the target's own folder
  and renames it over the target. A kill or a full disk mid-write leaves the previous file
  as it was. A symbolic link at the target is replaced by the new file, never followed (its
  target stays untouched). Files are readable by everyone (``0644``), like those GDAL writes.
- **One run**: :func:`staged_folder` lets a run write all its files into a staging folder
  beside the output folder; only when everything is written does the staging folder take
  the output folder's place. A run that fails leaves the previous set of outputs complete and
  no temporary folder behind. A folder that holds files quartier did not write is refused.
- **One writer at a time**: :func:`run_lock` takes a lock file beside the output folder; a
  second run into the same folder stops with a clear message while the first one runs (a lock
  left by a run that died is taken over).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from quartier.errors import OutputError

__all__ = ["write_atomic", "write_text_atomic", "staged_folder", "run_lock", "RUN_MARKER"]

#: The file that marks a folder as the output of a quartier run (it may be replaced whole).
RUN_MARKER = ".quartier-run.json"
_FILE_MODE = 0o644
_DIR_MODE = 0o755


def _writable_folder(folder: Path, target: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write '{target}': '{folder}' is a file, not a folder. "
                          "Choose another output path.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder '{folder}' for '{target}': "
                          f"{exc.strerror or exc}. Choose a folder you may write to.") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write '{target}': the folder '{folder}' is read-only. "
                          "Choose a folder you may write to.")


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object], *,
                 suffix: str | None = None) -> Path:
    """Write a file through a temporary file in the same folder, then rename it into place.

    Parameters
    ----------
    path : str or path-like
        The file to (re)place.
    write : callable
        Called with the temporary path; it writes the complete file there.
    suffix : str, optional
        Suffix of the temporary file (some writers choose the format by it); default: the
        target's suffix.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    quartier.errors.OutputError
        If the folder cannot be written, the path is a folder, or writing fails (full disk):
        the previous file is then left as it was.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> write_atomic(p, lambda tmp: tmp.write_text("1;2")).read_text()
    '1;2'
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    _writable_folder(folder, target)
    if target.is_dir() and not target.is_symlink():
        raise OutputError(f"cannot write '{target}': it is a folder. Choose a file name.")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix,
                                    dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, _FILE_MODE)
        _fsync(tmp)  # the new content is on disk before the name points to it (power cuts)
        os.replace(tmp, target)  # replaces a symlink itself, never its target
    except (OSError, *_gdal_errors()) as exc:  # GDAL reports a full disk in its own classes
        reason = getattr(exc, "strerror", None) or exc
        raise OutputError(f"could not write '{target}': {reason}. The previous "
                          "file (if any) is unchanged. Free disk space or choose another "
                          "folder.") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _gdal_errors() -> tuple[type[BaseException], ...]:
    """The error classes pyogrio and rasterio raise when GDAL cannot write a file."""
    found: list[type[BaseException]] = []
    try:
        from pyogrio.errors import DataLayerError, DataSourceError

        found += [DataLayerError, DataSourceError]
    except ImportError:  # pragma: no cover - pyogrio is a core dependency
        pass
    try:
        from rasterio._err import CPLE_BaseError
        from rasterio.errors import RasterioError

        found += [CPLE_BaseError, RasterioError]
    except ImportError:  # pragma: no cover - rasterio is a core dependency
        pass
    return tuple(found)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: str | os.PathLike, text: str, *, encoding: str = "utf-8",
                      newline: str | None = None) -> Path:
    """Write text safely (see :func:`write_atomic`).

    Parameters
    ----------
    path : str or path-like
    text : str
    encoding : str, default "utf-8"
    newline : str, optional
        As in :func:`open`; ``""`` keeps line ends as they are in ``text``.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.html")
    >>> write_text_atomic(p, "<p>ä</p>").read_text(encoding="utf-8")
    '<p>ä</p>'
    """
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding=encoding, newline=newline) as handle:
            handle.write(text)

    return write_atomic(path, write)


def _is_run_folder(folder: Path) -> bool:
    return (folder / RUN_MARKER).is_file() or not any(folder.iterdir())


@contextmanager
def staged_folder(out: str | os.PathLike, *, info: dict | None = None) -> Iterator[Path]:
    """Write a run's outputs into a staging folder that replaces ``out`` only when complete.

    Parameters
    ----------
    out : str or path-like
        The output folder. If it exists it must be empty or the output of an earlier run
        (it holds :data:`RUN_MARKER`); a symbolic link there is replaced, never followed.
    info : dict, optional
        Written into the marker file (e.g. the configuration file and the date).

    Yields
    ------
    pathlib.Path
        The staging folder to write into.

    Raises
    ------
    quartier.errors.OutputError
        If ``out`` is a file, holds files quartier did not write, or cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with staged_folder(out) as stage:
    ...     _ = (stage / "a.csv").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['.quartier-run.json', 'a.csv']
    """
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    _writable_folder(parent, out)
    if out.exists() and not out.is_symlink():
        if not out.is_dir():
            raise OutputError(f"the output folder '{out}' is a file. Choose a folder name.")
        if not _is_run_folder(out):
            raise OutputError(
                f"the output folder '{out}' holds files that quartier did not write (it has no "
                f"{RUN_MARKER}); quartier replaces its output folder as a whole. Choose a new "
                "or empty folder.")
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=parent))
    try:
        yield stage
        marker = {"written": dt.datetime.now().isoformat(timespec="seconds"), **(info or {})}
        (stage / RUN_MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
        for p in stage.rglob("*"):
            os.chmod(p, _DIR_MODE if p.is_dir() else _FILE_MODE)
        os.chmod(stage, _DIR_MODE)
        _swap(stage, out)
    except OSError as exc:
        raise OutputError(f"could not write the outputs to '{out}': {exc.strerror or exc}. "
                          "The previous outputs are unchanged.") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _swap(stage: Path, out: Path) -> None:
    old = None
    if out.is_symlink():
        out.unlink()
    elif out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.previous-", dir=out.parent))
        os.rename(out, old / out.name)
    try:
        os.rename(stage, out)
    except OSError:
        if old is not None:
            os.rename(old / out.name, out)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def run_lock(out: str | os.PathLike) -> Iterator[Path]:
    """Hold a lock file beside ``out`` while a run writes there.

    Parameters
    ----------
    out : str or path-like
        The output folder (the lock is ``.<name>.lock`` in its parent folder).

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    quartier.errors.OutputError
        If another running process holds the lock.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with run_lock(out) as lock:
    ...     lock.exists()
    True
    >>> lock.exists()
    False
    """
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    _writable_folder(parent, out)
    lock = parent / f".{out.name}.lock"
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "since": dt.datetime.now().isoformat(timespec="seconds")}
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, _FILE_MODE)
        except FileExistsError:
            try:
                held = json.loads(lock.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                held = {}
            pid = held.get("pid")
            same_host = held.get("host") == me["host"]
            if isinstance(pid, int) and (not same_host or _alive(pid)):
                raise OutputError(
                    f"another quartier run is writing to '{out}' (process {pid} on "
                    f"{held.get('host')}, since {held.get('since')}). Wait for it to finish, or "
                    f"delete '{lock}' if no run is active.") from None
            lock.unlink(missing_ok=True)  # left behind by a run that died
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(me, handle)
        break
    else:  # pragma: no cover - two takeovers raced
        raise OutputError(f"could not take the lock '{lock}'; try again.")
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)
