"""misalign: the misalignment model of Kierans et al. (AAAI 2025), as a tested reference implementation."""

__version__ = "0.1.0"

from .core.expected import expected_area_scores, expected_misalignment
from .core.scales import scale_conflict
from .core.score import (
    area_misalignment,
    area_scores,
    area_scores_batch,
    combine_areas,
    misalignment,
    misalignment_batch,
)

# name -> module that defines it; loaded on first use so that `import misalign` stays light.
_LAZY = {
    "score_frame": "misalign.tables.frame",
    "conflict_table": "misalign.tables.conflicts",
    "load_scenario": "misalign.tables.scenarios",
    "agent_contributions": "misalign.analysis.decompose",
    "goal_pair_contributions": "misalign.analysis.decompose",
    "cross_misalignment": "misalign.analysis.decompose",
    "group_decomposition": "misalign.analysis.decompose",
    "rank_agents": "misalign.analysis.decompose",
    "score_interval": "misalign.analysis.uncertainty",
    "score_variance": "misalign.analysis.uncertainty",
    "score_groups": "misalign.tables.groups",
}
_SUBMODULES = {
    "theory": "misalign.analysis.theory",
    "pairwise": "misalign.analysis.pairwise",
    "decompose": "misalign.analysis.decompose",
    "uncertainty": "misalign.analysis.uncertainty",
    "samplers": "misalign.simulation.samplers",
    "experiments": "misalign.simulation.experiments",
    "games": "misalign.neighbours.games",
    "market": "misalign.neighbours.market",
    "culture": "misalign.neighbours.culture",
}

__all__ = [
    "area_misalignment", "area_scores", "area_scores_batch", "combine_areas", "misalignment",
    "misalignment_batch", "expected_area_scores", "expected_misalignment", "scale_conflict", *_LAZY, *_SUBMODULES,
]


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    raise AttributeError(f"module 'misalign' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
