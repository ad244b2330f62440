"""misalign: the misalignment model of Kierans et al. (AAAI 2025) and its neighbours."""
from .model import (
    area_misalignment,
    area_scores,
    area_scores_batch,
    combine_areas,
    misalignment,
    misalignment_batch,
)

__version__ = "0.1.0"
