"""Where the compendium's files live: found from the working directory, never from the installed package.

The compendium (notebooks, figures, result tables, data) is a checkout of the
misalign repository; the library may be installed anywhere. :func:`repository`
finds the checkout: the folder named by ``MISALIGN_ROOT`` if set, else the
working directory or the nearest folder above it that holds ``pyproject.toml``
(naming the project ``misalign``) and ``notebooks/``. Notebooks run with their
own folder as working directory, so they find it too.

Outputs (figures and result tables) go under :func:`output_root`, which is the
repository unless ``MISALIGN_OUTPUT_ROOT`` names another folder: the runner
points it at a staging folder so that a failed rebuild never touches the
committed outputs, and the tests point it at a temporary folder.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

__all__ = [
    "ROOT_ENV",
    "OUTPUT_ENV",
    "NotInRepository",
    "repository",
    "notebooks_dir",
    "data_dir",
    "output_root",
    "figures_dir",
    "results_dir",
]

ROOT_ENV = "MISALIGN_ROOT"
OUTPUT_ENV = "MISALIGN_OUTPUT_ROOT"


class NotInRepository(ValueError):
    """A compendium command was run outside a checkout of the misalign repository."""


def _is_checkout(folder: Path) -> bool:
    project = folder / "pyproject.toml"
    if not (project.is_file() and (folder / "notebooks").is_dir()):
        return False
    try:
        return tomllib.loads(project.read_text(encoding="utf-8")).get("project", {}).get("name") == "misalign"
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def repository(start: Path | None = None) -> Path:
    """The root of the misalign checkout that holds the working directory (or ``start``).

    Raises
    ------
    NotInRepository
        With a one-line message, when no checkout is found.
    """
    named = os.environ.get(ROOT_ENV)
    if named:
        folder = Path(named).resolve()
        if not _is_checkout(folder):
            raise NotInRepository(f"{ROOT_ENV}={named!r} is not a checkout of the misalign repository "
                                  "(expected pyproject.toml naming misalign and a notebooks/ folder there)")
        return folder
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_checkout(folder):
            return folder
    raise NotInRepository(f"this command works on the compendium, a checkout of the misalign repository, and "
                          f"{here} is not inside one (run it from the checkout, or set {ROOT_ENV})")


def notebooks_dir() -> Path:
    return repository() / "notebooks"


def data_dir() -> Path:
    """The repository's ``data/`` folder (inputs such as ``data/real/`` and ``data/benchmarks/``)."""
    return repository() / "data"


def output_root() -> Path:
    """The folder that receives ``figures/`` and ``data/results/``."""
    named = os.environ.get(OUTPUT_ENV)
    return Path(named) if named else repository()


def figures_dir() -> Path:
    return output_root() / "figures"


def results_dir() -> Path:
    return output_root() / "data" / "results"
