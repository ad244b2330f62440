"""misalign: the misalignment model of Kierans et al. (AAAI 2025), as a tested reference implementation.

The score: :func:`area_misalignment`, :func:`area_scores`, :func:`misalignment`
and their batched forms. Closed forms: :mod:`misalign.theory`. Random and preset
worlds (Algorithms 1 and 2): :mod:`misalign.samplers`. The paper's experiments:
:mod:`misalign.experiments`. Case studies as data: :func:`load_scenario`.
Agent-by-agent view: :mod:`misalign.pairwise`.
"""

__version__ = "0.1.0"

from . import experiments, pairwise, samplers, theory
from .model import (
    area_misalignment,
    area_scores,
    area_scores_batch,
    combine_areas,
    misalignment,
    misalignment_batch,
)
from .scenarios import load_scenario

__all__ = [
    "area_misalignment",
    "area_scores",
    "area_scores_batch",
    "combine_areas",
    "misalignment",
    "misalignment_batch",
    "load_scenario",
    "experiments",
    "pairwise",
    "samplers",
    "theory",
]
