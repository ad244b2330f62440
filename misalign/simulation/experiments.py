"""The simulation experiments of Kierans et al. (2025), sections 4-6, as tidy tables.

Each function runs one figure's sweep and returns a :class:`pandas.DataFrame`
with one row per curve and x value: ``curve``, the sweep's own columns, ``x``,
and the summary over runs ``mean, min, max, std, runs`` (``std`` over runs,
ddof=0). The notebooks call these with the paper's parameters; the defaults
here are those parameters too. Random sweeps take an explicit generator.

Where the paper's text and the authors' published figures disagree, the
function takes the reading as an option whose default reproduces the figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import score as model
from .samplers import allocate_goals, constant_conflict, goal_group_weights, init_worlds

__all__ = [
    "agent_grid",
    "summarize",
    "problem_areas",
    "goal_counts",
    "weight_sensitivity",
    "goal_distribution",
    "conflict_levels",
    "vehicle_share",
]

BOTH_PAIRS = ("distinct", "with_replacement")


def agent_grid(low: int = 1, high: int = 100, steps: int = 20) -> np.ndarray:
    """The x axis of Figures 1 and 2: ``steps`` log-spaced counts, truncated to int, duplicates dropped.

    Examples
    --------
    >>> agent_grid().tolist()
    [1, 2, 3, 4, 5, 6, 8, 11, 14, 18, 23, 29, 37, 48, 61, 78, 100]
    """
    grid = np.logspace(np.log10(low), np.log10(high), num=steps)
    return np.unique(grid.astype(np.int64))


def summarize(scores, **keys) -> dict:
    """Mean, min, max, std (ddof=0) and count of per-run scores, with identifying keys."""
    s = np.asarray(scores, dtype=np.float64)
    return {**keys, "mean": s.mean(), "min": s.min(), "max": s.max(), "std": s.std(), "runs": s.size}


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows)


def problem_areas(rng, *, agent_counts=None, area_counts=(1, 2, 3, 4, 5), n_goals=3, runs=100, conflict=1.0,
                  weight=1.0, pairs: Sequence[str] = BOTH_PAIRS) -> pd.DataFrame:
    """Figure 1: misalignment versus number of agents, one curve per number of areas.

    Goals are drawn uniformly among ``n_goals`` explicit goals (no null goal);
    every pair of goals conflicts ``conflict`` and every weight is ``weight``.
    Each pair convention is scored on the same worlds.
    """
    agent_counts = agent_grid() if agent_counts is None else np.asarray(agent_counts)
    rows = []
    for m in area_counts:
        for n in agent_counts:
            worlds = init_worlds(rng, runs=runs, n_agents=int(n), n_goals=[n_goals] * m, conflict=conflict,
                                 weights=weight)
            for p in pairs:
                rows.append(summarize(worlds.misalignment(pairs=p), curve=f"{m} area{'s' * (m > 1)}", pairs=p,
                                      areas=m, goals=n_goals, x=int(n)))
    return _frame(rows)


def goal_counts(rng, *, agent_counts=None, goal_values=(2, 3, 4, 5), n_areas=4, runs=100, conflict=1.0, weight=1.0,
                pairs: Sequence[str] = BOTH_PAIRS) -> pd.DataFrame:
    """Figure 2: misalignment versus number of agents, one curve per number of goals."""
    agent_counts = agent_grid() if agent_counts is None else np.asarray(agent_counts)
    rows = []
    for k in goal_values:
        for n in agent_counts:
            worlds = init_worlds(rng, runs=runs, n_agents=int(n), n_goals=[k] * n_areas, conflict=conflict,
                                 weights=weight)
            for p in pairs:
                rows.append(summarize(worlds.misalignment(pairs=p), curve=f"{k} goals", pairs=p, areas=n_areas,
                                      goals=k, x=int(n)))
    return _frame(rows)


def weight_sensitivity(rng, *, n_agents=100, area_counts=(1, 2, 3, 4), goal_values=(2, 4), weights=None, runs=100,
                       target_goal=1, pairs="distinct") -> pd.DataFrame:
    """Figure 3: misalignment versus the weight that goal 1's holders give area 1.

    Random goals, conflict 1, every other weight 1; fresh worlds for every
    weight value, as in the paper.
    """
    weights = np.linspace(0, 1, 50) if weights is None else np.asarray(weights, dtype=np.float64)
    rows = []
    for k in goal_values:
        for m in area_counts:
            for w in weights:
                worlds = init_worlds(rng, runs=runs, n_agents=n_agents, n_goals=[k] * m, conflict=1.0, weights=1.0)
                first = worlds.weights[:, :, 0]
                first[worlds.goals[:, :, 0] == target_goal] = w
                rows.append(summarize(worlds.misalignment(pairs=pairs),
                                      curve=f"{k} goals each, {m} area{'s' * (m > 1)}", pairs=pairs, goals=k,
                                      areas=m, agents=n_agents, x=float(w)))
    return _frame(rows)


def goal_distribution(*, n_agents=1000, goal_values=(2, 3, 4, 5), shares=None, allocation="truncate",
                      pairs: Sequence[str] = ("distinct",)) -> pd.DataFrame:
    """Figure 4: misalignment versus the share of agents holding goal 1; deterministic.

    The remaining agents are spread evenly over the other goals. Conflict and
    weights are 1, one area. ``allocation`` as in
    :func:`misalign.samplers.allocate_goals`; ``agents`` records how many
    agents were placed.
    """
    shares = np.linspace(0, 1, 51) if shares is None else np.asarray(shares, dtype=np.float64)
    rows = []
    for k in goal_values:
        c = constant_conflict(k, 1.0)
        for s in shares:
            rest = (1 - s) / (k - 1)
            goals = allocate_goals(n_agents, [s] + [rest] * (k - 1), method=allocation)
            for p in pairs:
                score = model.area_misalignment(goals, np.ones(goals.size), c, pairs=p)
                rows.append(summarize([score], curve=f"{k} goals", pairs=p, goals=k, agents=goals.size, x=float(s)))
    return _frame(rows)


def conflict_levels(rng, *, n_agents=120, goal_values=range(1, 11), conflict_lists=None, weight_range=(0.25, 0.75),
                    runs=100, weight_draw="per_goal_group", pairs="distinct") -> pd.DataFrame:
    """Figure 5: misalignment versus number of goals, one curve per list of area conflicts.

    Area j's goal pairs all conflict ``conflict_list[j]``. Agents are spread
    evenly over the goals (the first ``n % k`` goals get one extra). Weights are
    uniform in ``weight_range``: ``weight_draw="per_goal_group"`` shares one
    draw among a goal's holders (the authors' code, the published figure);
    ``"per_agent"`` draws each agent's weight (the text).
    """
    if conflict_lists is None:
        conflict_lists = PAPER_CONFLICT_LISTS
    if weight_draw not in ("per_goal_group", "per_agent"):
        raise ValueError(f"weight_draw={weight_draw!r} is not a valid option; expected 'per_goal_group' or 'per_agent'")
    rows = []
    for levels in conflict_lists:
        m = len(levels)
        label = f"{m} area{'s' * (m > 1)}: " + ", ".join(f"{c:g}" for c in levels)
        for k in goal_values:
            q, r = divmod(n_agents, k)
            goals = np.repeat(np.arange(1, k + 1), [q + (i < r) for i in range(k)])
            preset = np.repeat(goals[:, None], m, axis=1)
            conflicts = [constant_conflict(k, c) for c in levels]
            if weight_draw == "per_agent":
                worlds = init_worlds(rng, runs=runs, n_agents=n_agents, n_goals=[k] * m, conflict=conflicts,
                                     goals=preset, weights=tuple(weight_range))
                scores = worlds.misalignment(pairs=pairs)
            else:
                g = np.broadcast_to(preset, (runs, n_agents, m))
                w = goal_group_weights(rng, g, [k] * m, weight_range)
                scores = model.misalignment_batch(g, w, conflicts, pairs=pairs)
            rows.append(summarize(scores, curve=label, pairs=pairs, weight_draw=weight_draw,
                                  mean_conflict=float(np.mean(levels)), x=int(k)))
    return _frame(rows)


PAPER_CONFLICT_LISTS = (
    (1.0, 1.0, 1.0), (1.0,), (1.0, 0.75), (1.0, 0.75, 0.5), (0.5,), (0.25, 0.5, 0.75), (0.25, 0.5), (0.25,),
    (0.25, 0.25, 0.25),
)


def vehicle_share(scenario, *, n_agents=1000, shares=None, conflict_values=(0.5, 1.0), weight_sets=None,
                  pairs="distinct") -> pd.DataFrame:
    """Figure 8: misalignment versus the share of autonomous vehicles; deterministic.

    ``int(n_agents * share)`` vehicles (truncated, as the authors did), the rest
    pedestrians. In every area the vehicle goal and the pedestrian goal
    conflict ``c`` for each ``c`` in ``conflict_values``.

    Parameters
    ----------
    scenario : misalign.scenarios.Scenario
        Two agent kinds (vehicles first), every area with two goals.
    weight_sets : dict of str to weights or None
        Name to a (2, n_areas) array of weights per kind; ``None`` uses the
        scenario's (Table 3) and all-ones weights.
    """
    shares = np.linspace(0, 1, 51) if shares is None else np.asarray(shares, dtype=np.float64)
    if weight_sets is None:
        weight_sets = {"Table 3": scenario.weights, "all 1": np.ones_like(scenario.weights)}
    m = len(scenario.areas)
    rows = []
    for name, kind_weights in weight_sets.items():
        kind_weights = np.asarray(kind_weights, dtype=np.float64)
        for c in conflict_values:
            conflicts = [constant_conflict(2, c)] * m
            for s in shares:
                n_v = int(n_agents * s)
                counts = np.array([n_v, n_agents - n_v])
                goals = np.repeat(scenario.goals, counts, axis=0)
                weights = np.repeat(kind_weights, counts, axis=0)
                score = model.misalignment(goals, weights, conflicts, pairs=pairs)
                rows.append(summarize([score], curve=f"{name} weights, conflict {c:g}", weights=name,
                                      conflict=float(c), pairs=pairs, x=float(s)))
    return _frame(rows)
