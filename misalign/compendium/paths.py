"""Where the compendium's files live, derived from this file, never from the working directory.

Outputs (figures and result tables) go under :func:`output_root`, which is the
repository unless ``MISALIGN_OUTPUT_ROOT`` names another folder: the runner
points it at a staging folder so that a failed rebuild never touches the
committed outputs, and the tests point it at a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
NOTEBOOKS = ROOT / "notebooks"
SCENARIOS = ROOT / "misalign" / "data" / "scenarios"
EXAMPLES = ROOT / "data" / "examples"
OUTPUT_ENV = "MISALIGN_OUTPUT_ROOT"


def output_root() -> Path:
    """The folder that receives ``figures/`` and ``data/results/``."""
    return Path(os.environ.get(OUTPUT_ENV) or ROOT)


def figures_dir() -> Path:
    return output_root() / "figures"


def results_dir() -> Path:
    return output_root() / "data" / "results"
