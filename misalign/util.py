"""The bottom layer: plain-Python services every other layer may use, and nothing of the model.

- :func:`atomic_write`: every file the package writes goes to a temporary file
  in its destination folder and is renamed into place, so a failure leaves the
  previous file intact and no temporary file behind.
- :func:`usable_cpus` and :func:`threads`: how many CPUs a computation may use.
- :func:`require`: import an optional dependency, or say which extra installs it.
- :class:`PerformanceWarning` and :class:`Progress`: say up front when an exact
  computation will be slow, and show how far it has got.

This module imports only the standard library.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = [
    "atomic_write",
    "usable_cpus",
    "threads",
    "require",
    "MissingExtraError",
    "PerformanceWarning",
    "Progress",
]


def _umask() -> int:
    # os.umask can only be read by setting it; restore it at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path, write, *, mode: int | None = None) -> Path:
    """Write ``path`` through ``write(tmp_path)`` and rename the result into place.

    The temporary file lives in the destination folder (so the rename is atomic
    on POSIX file systems) and is removed if ``write`` or the rename fails; the
    previous file, if any, is then left exactly as it was. The new file gets
    ordinary permissions (``0o666`` minus the umask: 0644 under the usual
    umask), not the 0600 of a temporary file, unless ``mode`` is given.

    Parameters
    ----------
    path : str or os.PathLike
        The destination. Its folder must exist: a missing folder is an error
        (``FileNotFoundError``), never created silently here.
    write : callable
        Called with the temporary path (a :class:`str`); it must write the
        whole file there.
    mode : int, optional
        Permission bits of the new file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        If the folder is missing or not writable, the disk is full, or the
        rename fails; nothing is left behind.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, (0o666 & ~_umask()) if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def usable_cpus() -> int:
    """The CPUs this process may run on (fewer than the machine's under a CPU affinity mask)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads() -> int:
    """Threads a computation may use: ``MISALIGN_THREADS`` if set, else :func:`usable_cpus`.

    Raises
    ------
    ValueError
        If ``MISALIGN_THREADS`` is set to anything but a whole number >= 1.
    """
    setting = os.environ.get("MISALIGN_THREADS")
    if setting is None:
        return usable_cpus()
    if not setting.strip().isdigit() or int(setting) < 1:
        raise ValueError(f"MISALIGN_THREADS={setting!r}; expected a whole number of threads, at least 1")
    return int(setting)


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def require(module: str, extra: str, purpose: str):
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra to install.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"dask.dataframe"``.
    extra : str
        The extra of ``misalign`` that provides it, e.g. ``"dask"``.
    purpose : str
        What needs it, for the message ("reading CSV and Parquet files").
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs the optional package {module.split('.')[0]!r}, which is not installed; "
            f"install it with: pip install 'misalign[{extra}]'"
        ) from exc


class PerformanceWarning(UserWarning):
    """An exact computation is about to take long; the message says how long and what is faster."""


class Progress:
    """A minimal progress line on stderr for slow exact computations (shown on terminals only).

    ``Progress(total, what)`` counts up with :meth:`update` and prints at most
    a few times a second after the first second; :meth:`close` clears the
    line. Off when stderr is not a terminal or ``enabled`` is False, so
    notebooks, logs and tests stay clean.
    """

    def __init__(self, total: int, what: str, *, enabled: bool | None = None, stream=None):
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total, self.what, self.enabled = max(1, int(total)), what, enabled
        self.done = 0
        self._start = self._last = time.monotonic()
        self._shown = False

    def update(self, amount: int = 1) -> None:
        self.done += amount
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._start >= 1.0 and now - self._last >= 0.25:
            self._last = now
            self._shown = True
            self.stream.write(f"\r{self.what}: {100.0 * self.done / self.total:5.1f}%")
            self.stream.flush()

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * (len(self.what) + 9) + "\r")
            self.stream.flush()
            self._shown = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
