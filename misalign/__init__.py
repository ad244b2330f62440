"""misalign: the misalignment model of Kierans et al. (AAAI 2025), as a tested reference implementation.

The score: :func:`area_misalignment`, :func:`area_scores`, :func:`misalignment`
and their batched forms. Closed forms: :mod:`misalign.theory`. Random and preset
worlds (Algorithms 1 and 2): :mod:`misalign.samplers`. The paper's experiments:
:mod:`misalign.experiments`. Case studies as data: :func:`load_scenario`.
Agent-by-agent view: :mod:`misalign.pairwise`. Who is misaligned with whom, and
how sure we are: :mod:`misalign.decompose`, :mod:`misalign.uncertainty`,
:mod:`misalign.timeseries`. Neighbouring measures of alignment: :mod:`misalign.games`,
:mod:`misalign.market`, :mod:`misalign.culture`.
"""

__version__ = "0.1.0"

from . import experiments, pairwise, samplers, theory
from .frame import score_frame
from .decompose import agent_contributions, cross_misalignment, goal_pair_contributions, group_decomposition, rank_agents
from .model import (
    area_misalignment,
    area_scores,
    area_scores_batch,
    combine_areas,
    misalignment,
    misalignment_batch,
)
from .scenarios import load_scenario
from .timeseries import scores_by
from .uncertainty import score_interval, score_variance

__all__ = [
    "area_misalignment",
    "area_scores",
    "area_scores_batch",
    "combine_areas",
    "misalignment",
    "misalignment_batch",
    "load_scenario",
    "score_frame",
    "agent_contributions",
    "goal_pair_contributions",
    "cross_misalignment",
    "group_decomposition",
    "rank_agents",
    "score_interval",
    "score_variance",
    "scores_by",
    "culture",
    "experiments",
    "games",
    "market",
    "pairwise",
    "samplers",
    "theory",
]


# The neighbouring measures import scipy.optimize; load them on first use so that
# `import misalign` (and every notebook's start-up) stays fast.
_LAZY_SUBMODULES = ("culture", "games", "market")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'misalign' has no attribute {name!r}")
