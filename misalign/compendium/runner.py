"""Rebuild the compendium: execute every notebook with papermill, then publish atomically.

Each notebook runs at its default (paper) parameters with its own folder as
working directory, writing its figures and tables into a staging folder. Only
when every notebook succeeded are the executed notebooks (stripped of volatile
metadata), figures and tables moved over the committed ones; a failure or an
interrupt leaves the repository exactly as it was. Notebooks are independent,
so several run at once (one process each, ``jobs`` of them); their outputs do
not depend on how many.
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

from .paths import NOTEBOOKS, OUTPUT_ENV, ROOT

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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def notebooks(only: list[str] | None = None) -> list[Path]:
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if only:
        found = [p for p in found if any(p.stem.startswith(o) for o in only)]
        if not found:
            raise SystemExit(f"no notebook matches {only}; expected a prefix of one of "
                             f"{[p.stem for p in sorted(NOTEBOOKS.glob('[0-9][0-9]_*.ipynb'))]}")
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


def _publish(staging: Path) -> list[str]:
    moved = []
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        rel = path.relative_to(staging)
        target = ROOT / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        moved.append(rel.as_posix())
    return moved


def _stale(produced: list[str]) -> list[str]:
    """Committed outputs that no notebook wrote this time (a rebuild would miss them)."""
    made = set(produced)
    stale = []
    for folder, pattern in (("figures", "*.*"), ("data/results", "*.csv")):
        for p in sorted((ROOT / folder).glob(pattern)):
            rel = p.relative_to(ROOT).as_posix()
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
    from ..util import usable_cpus

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
    paths = notebooks(only)
    build = ROOT / "build"
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
        moved = _publish(staging)
        print(f"total {total:.1f} s ({jobs} at a time): {len(paths)} notebooks ok, {len(moved)} files refreshed",
              flush=True)
        if only is None:
            for rel in _stale(moved):
                print(f"warning: {rel} was not written by any notebook (stale?)", flush=True)
        return 0
    finally:
        os.environ.pop(OUTPUT_ENV, None)
        shutil.rmtree(staging, ignore_errors=True)
