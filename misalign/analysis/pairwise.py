r"""Agent-by-agent misalignment for small populations: the "strange bedfellows" view.

The population score averages over pairs; here every pair is kept:

.. math::

    M_p(a, b) = c(g_p^a, g_p^b) \, \bar w(w_p^a, w_p^b)

so that one can see which agents are aligned in one area and opposed in
another (section 3 of Kierans et al. 2025). This builds an n x n matrix per
area on purpose and refuses populations larger than ``max_agents``; the scores
themselves never need it (see :mod:`misalign.model`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import engine
from ..core.means import WEIGHT_MEANS, pair_weight
from ..core.validation import (
    as_conflict_list,
    as_goals,
    as_weights,
    check_goal_range,
    check_option,
    check_same_shape,
)

__all__ = ["pairwise_misalignment", "agent_bedfellows"]


def pairwise_misalignment(goals, weights, conflicts, *, weight_mean="geometric", max_agents=2000):
    r"""Weighted conflict of every pair of agents in every area.

    Parameters
    ----------
    goals, weights : array_like, shape (n_agents, n_areas)
    conflicts : sequence of array_like
        One (k, k) matrix per area.
    weight_mean : str
        As in :func:`misalign.area_misalignment`.
    max_agents : int
        Refuse larger populations (the result holds n_areas * n^2 floats).

    Returns
    -------
    numpy.ndarray, shape (n_areas, n_agents, n_agents)
        Symmetric in the last two axes with a zero diagonal. The mean of the
        off-diagonal entries of area ``p`` is its distinct-pairs score.

    Raises
    ------
    ValueError
        As :func:`misalign.area_scores`, or for more than ``max_agents`` agents.

    See Also
    --------
    agent_bedfellows, misalign.area_scores
    """
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    g = as_goals(goals, "goals", ndim=2)
    w = as_weights(weights, "weights", ndim=2)
    check_same_shape(g, w)
    n, m = g.shape
    if n > max_agents:
        raise ValueError(f"goals has {n} agents; pairwise_misalignment builds an n x n matrix per area and "
                         f"accepts at most max_agents={max_agents} (the scores themselves need no such matrix)")
    cs = as_conflict_list(conflicts, m)
    out = np.empty((m, n, n))
    for j, c in enumerate(cs):
        check_goal_range(g[:, j], c.shape[0], "goals", area=j)
        padded = engine.padded(c)
        out[j] = padded[g[:, j][:, None], g[:, j][None, :]] * pair_weight(w[:, j][:, None], w[:, j][None, :],
                                                                          weight_mean)
        np.fill_diagonal(out[j], 0.0)
    return out


def agent_bedfellows(pairwise, *, aligned_below=0.1, opposed_above=0.5, agents=None, areas=None):
    """Pairs of agents aligned in one area and opposed in another.

    Parameters
    ----------
    pairwise : numpy.ndarray, shape (n_areas, n, n)
        From :func:`pairwise_misalignment`.
    aligned_below, opposed_above : float
        A pair is aligned in an area where its weighted conflict is at most
        ``aligned_below`` and opposed where it is at least ``opposed_above``.
    agents, areas : sequence of str, optional
        Labels; default to indices.

    Returns
    -------
    pandas.DataFrame
        One row per (agent pair, aligned area, opposed area), with both values.
    """
    arr = np.asarray(pairwise, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"pairwise must have shape (n_areas, n, n); got {arr.shape}")
    if not aligned_below < opposed_above:
        raise ValueError(f"aligned_below={aligned_below} must be below opposed_above={opposed_above}")
    m, n, _ = arr.shape
    agents = list(range(n)) if agents is None else list(agents)
    areas = list(range(m)) if areas is None else list(areas)
    rows = []
    a_idx, b_idx = np.triu_indices(n, k=1)
    vals = arr[:, a_idx, b_idx]  # (m, n_pairs)
    for p in range(m):
        for q in range(m):
            if p == q:
                continue
            hit = (vals[p] <= aligned_below) & (vals[q] >= opposed_above)
            for i in np.flatnonzero(hit):
                rows.append((agents[a_idx[i]], agents[b_idx[i]], areas[p], areas[q], vals[p, i], vals[q, i]))
    return pd.DataFrame(rows, columns=["agent_a", "agent_b", "aligned_area", "opposed_area",
                                       "aligned_value", "opposed_value"])
