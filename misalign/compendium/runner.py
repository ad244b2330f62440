"""Rebuild the compendium: execute every notebook with papermill, then publish as one transaction.

Each notebook runs at its default (paper) parameters with its own folder as
working directory, writing its figures and tables into a staging folder. Only
when every notebook succeeded are the executed notebooks (stripped of volatile
metadata), figures and tables moved over the committed ones, and that move is
itself all or nothing: every file it replaces is kept aside until the last
rename has succeeded, and put back if any step fails (:func:`publish`). A
failure or an interrupt at any point leaves the repository exactly as it was.
Notebooks are independent, so several run at once (one process each, ``jobs``
of them); their outputs do not depend on how many.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from ..util import atomic_write, require, usable_cpus
from .paths import OUTPUT_ENV, notebooks_dir, repository

# Keys that papermill and Jupyter add on every run and that change every run.
_VOLATILE_CELL_KEYS = ("papermill", "execution", "collapsed", "scrolled")


def clean_notebook(nb: dict) -> dict:
    """Drop run-specific metadata; keep sources, outputs and execution counts."""
    nb["metadata"].pop("papermill", None)
    nb["metadata"].get("language_info", {}).pop("version", None)
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        for key in _VOLATILE_CELL_KEYS:
            cell.get("metadata", {}).pop(key, None)
    return nb


def _write_json_atomic(path: Path, nb: dict) -> None:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(nb, f, indent=1, ensure_ascii=False, sort_keys=True)
            f.write("\n")

    atomic_write(path, write)


def notebooks(only: list[str] | None = None) -> list[Path]:
    """The compendium's notebooks (``NN_name.ipynb``), or those whose names start with a prefix in ``only``.

    Raises
    ------
    ValueError
        When no notebook matches.
    """
    every = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    found = [p for p in every if any(p.stem.startswith(o) for o in only)] if only else every
    if not found:
        raise ValueError(f"no notebook matches {only or 'NN_*.ipynb'}; expected a prefix of one of "
                         f"{[p.stem for p in every]}")
    return found


@contextlib.contextmanager
def _kernel_stderr_to(log: Path):
    """Send the kernel's own start-up chatter (it inherits our stderr) to a log file."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "ab") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def execute(src: Path, dst: Path, parameters: dict | None = None) -> None:
    import papermill as pm

    with _kernel_stderr_to(dst.with_suffix(".stderr.log")):
        pm.execute_notebook(
            str(src), str(dst), parameters=parameters or {}, kernel_name="python3", cwd=str(src.parent),
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
        )
    dst.with_suffix(".stderr.log").unlink()
    nb = json.loads(dst.read_text(encoding="utf-8"))
    _write_json_atomic(dst, clean_notebook(nb))


def publish(staging: Path, root: Path, *, rename=os.replace) -> list[str]:
    """Move every file of ``staging`` to the same place under ``root``, all or nothing.

    Each file it replaces is first moved aside into a backup folder next to
    the staging folder; only when the last new file is in place is the backup
    deleted. If any step fails (a rename, a folder that cannot be made, an
    interrupt), the new files are taken out again, every replaced file is put
    back and every folder made here is removed, and the error is raised: the
    files under ``root`` are then exactly as before. ``rename`` is the rename
    used for the forward steps (the tests make its n-th call fail); the
    rollback always uses :func:`os.replace`.

    Returns
    -------
    list of str
        The published files, relative to ``root``.
    """
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    backup = Path(tempfile.mkdtemp(prefix=".publish-backup-", dir=staging.parent))
    made_dirs: list[Path] = []
    done: list[tuple[Path, Path, Path | None]] = []  # (staged file, target, backup of the old target)
    try:
        for path in files:
            rel = path.relative_to(staging)
            target = root / rel
            missing = [d for d in (target.parent, *target.parent.parents) if not d.exists()]
            for d in reversed(missing):
                d.mkdir()
                made_dirs.append(d)
            saved = None
            if target.exists():
                saved = backup / rel
                saved.parent.mkdir(parents=True, exist_ok=True)
                rename(target, saved)
            done.append((path, target, saved))
            rename(path, target)
    except BaseException:
        for path, target, saved in reversed(done):
            if target.exists() and not path.exists():
                os.replace(target, path)
            if saved is not None and saved.exists():
                os.replace(saved, target)
        for d in reversed(made_dirs):
            with contextlib.suppress(OSError):
                d.rmdir()
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    return [target.relative_to(root).as_posix() for _, target, _ in done]


def _stale(produced: list[str], root: Path) -> list[str]:
    """Committed outputs that no notebook wrote this time (a rebuild would miss them)."""
    made = set(produced)
    stale = []
    for folder, pattern in (("figures", "*.*"), ("data/results", "*.csv")):
        for p in sorted((root / folder).glob(pattern)):
            rel = p.relative_to(root).as_posix()
            if rel not in made and not p.name.startswith("."):
                stale.append(rel)
    return stale


def _timed_execute(src: Path, dst: Path) -> tuple[float, str | None]:
    """Run one notebook in a worker process: its time and, if it failed, the error as text."""
    t0 = time.perf_counter()
    try:
        execute(src, dst)
        error = None
    except Exception as exc:  # noqa: BLE001 - reported by the parent, which publishes nothing
        error = f"{type(exc).__name__}: {str(exc).strip()[-2000:]}"
    return time.perf_counter() - t0, error


def default_jobs() -> int:
    """Notebooks run at once by default: one per CPU this process may use."""
    return usable_cpus()


def run_all(paths: list[Path], staging: Path, jobs: int):
    """Yield (stem, seconds, error or None) in notebook order."""
    if jobs == 1:
        for src in paths:
            yield (src.stem, *_timed_execute(src, staging / "notebooks" / src.name))
        return
    # spawn, not fork: a forked worker would inherit this process's threads and locks
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_timed_execute, src, staging / "notebooks" / src.name) for src in paths]
        try:
            for src, future in zip(paths, futures):
                yield (src.stem, *future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def reproduce(only: list[str] | None = None, jobs: int = 1) -> int:
    """Run the notebooks, ``jobs`` at a time; publish only if all succeed. Returns a process exit code."""
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs={jobs!r}; expected a whole number of notebooks to run at once, at least 1")
    root = repository()
    require("papermill", "notebooks", "rebuilding the compendium")
    paths = notebooks(only)
    build = root / "build"
    build.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="reproduce-", dir=build))
    (staging / "notebooks").mkdir()
    os.environ[OUTPUT_ENV] = str(staging)
    failed = []
    start = time.perf_counter()
    try:
        for stem, seconds, error in run_all(paths, staging, min(jobs, len(paths))):
            if error is not None:
                failed.append((stem, error))
            print(f"{stem:<28} {seconds:6.1f} s  {'failed' if error else 'ok'}", flush=True)
        total = time.perf_counter() - start
        if failed:
            print(f"{len(failed)} of {len(paths)} notebooks failed in {total:.1f} s; "
                  "nothing was published, the committed outputs are unchanged.", flush=True)
            for stem, error in failed:
                print(f"--- {stem}: {error}", file=sys.stderr)
            return 1
        try:
            moved = publish(staging, root)
        except OSError as exc:
            print(f"publishing failed ({exc}); every committed file was restored, nothing changed.", flush=True)
            return 1
        print(f"total {total:.1f} s ({jobs} at a time): {len(paths)} notebooks ok, {len(moved)} files refreshed",
              flush=True)
        if only is None:
            for rel in _stale(moved, root):
                print(f"warning: {rel} was not written by any notebook (stale?)", flush=True)
        return 0
    finally:
        os.environ.pop(OUTPUT_ENV, None)
        shutil.rmtree(staging, ignore_errors=True)
