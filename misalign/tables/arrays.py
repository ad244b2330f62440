r"""A long table as arrays: each group's agents x areas goals and weights, for the analyses.

The analyses of :mod:`misalign.analysis` (decompositions, intervals) work on
arrays of one goal id and one weight per agent and area. :func:`table_arrays`
reads a table by the rules of :func:`misalign.score_frame` (every bad cell is
caught the same way) and returns, for each group, those arrays. The agents are
in the order of their ids' text, so every input route gives the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.means import WEIGHT_MEANS
from .conflicts import Areas, read_conflicts
from .frame import reduce_source, sort_key
from .read import open_table
from .summary import AGENT_COLUMNS, Summary, Task, raise_problems

__all__ = ["Population", "table_arrays"]


@dataclass(frozen=True)
class Population:
    """One group's population as arrays.

    Attributes
    ----------
    agents : numpy.ndarray, shape (n,)
        The agent ids (as text), sorted.
    goals : numpy.ndarray of int, shape (n, n_areas)
        Goal ids: 0 is no goal (no row, or an empty goal), ``i`` the area's
        ``i``-th goal (``areas.goals[j][i - 1]``).
    weights : numpy.ndarray, shape (n, n_areas)
        Weights (0 where no goal is held).
    areas : Areas
        Area labels, goal labels and conflict matrices.
    """

    agents: np.ndarray
    goals: np.ndarray
    weights: np.ndarray
    areas: Areas

    @property
    def conflicts(self) -> list:
        return list(self.areas.matrices)

    @property
    def area_labels(self) -> list:
        return list(self.areas.labels)

    def goal_label(self, j: int, goal_id: int):
        """The label of goal id ``goal_id`` of area ``j`` (None for 0, no goal)."""
        return None if goal_id == 0 else self.areas.goals[j][goal_id - 1]

    def select(self, mask) -> "Population":
        """The agents where ``mask`` (one bool per agent) is True."""
        mask = np.asarray(mask, dtype=bool)
        return Population(self.agents[mask], self.goals[mask], self.weights[mask], self.areas)


def table_arrays(agents, conflicts, *, by=None, sep=None, na_values=None) -> dict:
    """Every group's agents x areas arrays of goal ids and weights, read by the table rules.

    Parameters
    ----------
    agents, conflicts, by, sep, na_values
        As in :func:`misalign.score_frame` (the table must fit in memory).

    Returns
    -------
    dict
        ``{group: Population}``, groups as tuples of the ``by`` values (``()``
        without ``by``), sorted.

    Raises
    ------
    ValueError
        As :func:`misalign.score_frame`: every bad cell, named.

    Examples
    --------
    >>> import pandas as pd
    >>> agents = pd.DataFrame({"agent": ["a", "b"], "area": "p", "goal": ["x", "y"], "weight": 1.0})
    >>> conflicts = pd.DataFrame({"area": ["p"], "goal_a": ["x"], "goal_b": ["y"], "conflict": [1.0]})
    >>> pop = table_arrays(agents, conflicts)[()]
    >>> pop.goals.tolist(), pop.area_labels
    ([[1], [2]], ['p'])
    """
    by = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    areas = read_conflicts(conflicts, sep=sep, na_values=na_values)
    source = open_table(agents, [*AGENT_COLUMNS, *by], "agents table", numeric=("weight",), sep=sep,
                        na_values=na_values)
    task = Task(areas, by, WEIGHT_MEANS[0], "g0", keep=True)
    summary: Summary = reduce_source(source, task, False)
    if summary.problems:
        raise_problems(summary.problems, areas)
    out = {}
    m = len(areas.labels)
    area_of_slot = np.repeat(np.arange(m), np.diff(areas.offsets))
    for group in sorted(summary.kept, key=sort_key):
        parts = summary.kept[group]
        agent = np.concatenate([p[0] for p in parts]).astype(object)
        slot = np.concatenate([p[1] for p in parts])
        weight = np.concatenate([p[3] for p in parts])
        text = np.array([str(a) for a in agent], dtype=object)
        ids, who = np.unique(text, return_inverse=True)
        who = who.ravel()
        goals = np.zeros((ids.size, m), dtype=np.int64)
        weights = np.zeros((ids.size, m))
        j = area_of_slot[slot]
        goal = slot - areas.offsets[j]
        goals[who, j] = goal
        weights[who, j] = np.where(goal > 0, np.nan_to_num(weight), 0.0)
        out[group] = Population(ids, goals, weights, areas)
    return out

