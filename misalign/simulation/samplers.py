"""Random and preset worlds: Algorithms 1 and 2 of Kierans et al. (2025), vectorized over runs.

Algorithm 1 gives each of m problem areas its goals and a conflict value per
pair of goals (random in a range, or preset); Algorithm 2 gives each of n agents
a goal and a weight per area (random or preset). Here both draw ``runs``
independent worlds at once, as arrays with a leading runs axis, from an
explicit :class:`numpy.random.Generator`: the same generator state gives the
same worlds, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core import score as model
from ..core.validation import as_conflict, as_goals, as_weights

__all__ = [
    "Worlds",
    "constant_conflict",
    "random_conflict",
    "random_goals",
    "uniform_weights",
    "goal_group_weights",
    "allocate_goals",
    "init_worlds",
]


@dataclass(frozen=True)
class Worlds:
    """``runs`` populations over the same areas.

    Attributes
    ----------
    goals : numpy.ndarray of int, shape (runs, n_agents, n_areas)
    weights : numpy.ndarray of float, shape (runs, n_agents, n_areas)
    conflicts : list of numpy.ndarray
        One per area, (k, k) shared by all runs or (runs, k, k).
    """

    goals: np.ndarray
    weights: np.ndarray
    conflicts: list

    def area_scores(self, **options) -> np.ndarray:
        """Shape (runs, n_areas); options as :func:`misalign.area_scores`."""
        return model.area_scores_batch(self.goals, self.weights, self.conflicts, **options)

    def misalignment(self, **options) -> np.ndarray:
        """Shape (runs,); options as :func:`misalign.misalignment`."""
        return model.misalignment_batch(self.goals, self.weights, self.conflicts, **options)


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}; expected a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
    return rng


def _check_range(name, rng_range) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in rng_range)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {rng_range!r}; expected a (low, high) pair of numbers") from None
    if not (0 <= low <= high <= 1):
        raise ValueError(f"{name} = {rng_range!r}; expected 0 <= low <= high <= 1")
    return low, high


def _positive_int(name, value, minimum=1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} = {value!r}; expected an integer >= {minimum}")
    return int(value)


def constant_conflict(n_goals: int, value: float = 1.0) -> np.ndarray:
    """Every pair of distinct goals in conflict ``value`` (Algorithm 1, preset).

    Examples
    --------
    >>> constant_conflict(3, 0.5)
    array([[0. , 0.5, 0.5],
           [0.5, 0. , 0.5],
           [0.5, 0.5, 0. ]])
    """
    k = _positive_int("n_goals", n_goals)
    c = np.full((k, k), float(value))
    np.fill_diagonal(c, 0.0)
    return as_conflict(c, "conflict")


def random_conflict(rng, n_goals: int, conflict_range=(0.0, 1.0), runs: int | None = None) -> np.ndarray:
    """Symmetric conflicts drawn uniformly per pair of goals (Algorithm 1, random).

    Returns shape (k, k), or (runs, k, k) with ``runs``; the diagonal is 0.
    """
    rng = _check_rng(rng)
    k = _positive_int("n_goals", n_goals)
    low, high = _check_range("conflict_range", conflict_range)
    shape = (k, k) if runs is None else (_positive_int("runs", runs), k, k)
    upper = np.triu(rng.uniform(low, high, size=shape), k=1)
    return upper + np.swapaxes(upper, -1, -2)


def random_goals(rng, runs: int, n_agents: int, n_goals: Sequence[int], *, allow_null: bool = False) -> np.ndarray:
    """Each agent's goal drawn uniformly per area (Algorithm 2, random).

    Parameters
    ----------
    n_goals : sequence of int
        Explicit goals in each area.
    allow_null : bool
        Draw from :math:`\\{g_0, g_1, ..., g_k\\}` rather than the explicit goals only
        (the paper's experiments exclude the null goal).

    Returns
    -------
    numpy.ndarray of int, shape (runs, n_agents, n_areas)
    """
    rng = _check_rng(rng)
    runs = _positive_int("runs", runs)
    n = _positive_int("n_agents", n_agents, minimum=0)
    ks = [_positive_int(f"n_goals[{j}]", k) for j, k in enumerate(n_goals)]
    low = 0 if allow_null else 1
    highs = np.array(ks) + 1
    return rng.integers(low, highs, size=(runs, n, len(ks)))


def uniform_weights(rng, runs: int, n_agents: int, n_areas: int, weight_range=(1.0, 1.0)) -> np.ndarray:
    """Each agent's weight in each area drawn uniformly from ``weight_range`` (Algorithm 2)."""
    rng = _check_rng(rng)
    low, high = _check_range("weight_range", weight_range)
    shape = (_positive_int("runs", runs), _positive_int("n_agents", n_agents, 0), _positive_int("n_areas", n_areas))
    if low == high:
        return np.full(shape, low)
    return rng.uniform(low, high, size=shape)


def goal_group_weights(rng, goals, n_goals: Sequence[int], weight_range=(0.0, 1.0)) -> np.ndarray:
    """One weight per (run, area, goal), shared by every holder of that goal.

    This is how the authors' code drew the weights of Figure 5 (the text says
    each agent's weights were random): a goal group's members share one draw.
    Both give the same expected score; the spread over runs differs.
    """
    rng = _check_rng(rng)
    g = as_goals(goals, "goals", ndim=3)
    low, high = _check_range("weight_range", weight_range)
    runs, _, m = g.shape
    out = np.empty(g.shape)
    for j, k in enumerate(n_goals):
        draws = rng.uniform(low, high, size=(runs, k + 1))
        draws[:, 0] = 0.0
        out[:, :, j] = np.take_along_axis(draws, g[:, :, j], axis=1)
    return out


def allocate_goals(n_agents: int, shares, *, method: str = "truncate") -> np.ndarray:
    """Deterministic goal assignment: goal ``i + 1`` to a share ``shares[i]`` of the agents.

    Parameters
    ----------
    n_agents : int
    shares : sequence of float
        Non-negative, summing to 1.
    method : {"truncate", "largest_remainder"}
        ``"truncate"`` gives goal i ``int(n_agents * shares[i])`` agents, as the
        authors' code for Figures 4 and 8 did, so the population may fall a few
        agents short of ``n_agents``; ``"largest_remainder"`` hands the leftover
        agents to the largest fractional parts so that exactly ``n_agents`` are
        placed.

    Returns
    -------
    numpy.ndarray of int
        Goal ids, grouped.

    Examples
    --------
    >>> allocate_goals(10, [0.55, 0.45]).tolist()  # int(5.5) = 5, int(4.5) = 4
    [1, 1, 1, 1, 1, 2, 2, 2, 2]
    >>> allocate_goals(10, [0.55, 0.45], method="largest_remainder").tolist()
    [1, 1, 1, 1, 1, 1, 2, 2, 2, 2]
    """
    n = _positive_int("n_agents", n_agents, 0)
    p = np.asarray(shares, dtype=np.float64)
    if p.ndim != 1 or not np.isfinite(p).all() or (p < 0).any() or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"shares = {shares!r}; expected non-negative shares summing to 1")
    if method == "truncate":
        counts = np.array([int(n * x) for x in p], dtype=np.int64)
    elif method == "largest_remainder":
        exact = n * p
        counts = np.floor(exact).astype(np.int64)
        short = n - int(counts.sum())
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    else:
        raise ValueError(f"method={method!r} is not a valid option; expected one of 'truncate', 'largest_remainder'")
    return np.repeat(np.arange(1, p.size + 1), counts)


def init_worlds(rng, *, runs: int, n_agents: int, n_goals, conflict=1.0, goals="random", weights=1.0,
                allow_null: bool = False) -> Worlds:
    """Algorithms 1 and 2 together: ``runs`` worlds of ``n_agents`` agents.

    Parameters
    ----------
    rng : numpy.random.Generator
    runs, n_agents : int
    n_goals : int or sequence of int
        Explicit goals per area; an int means one area.
    conflict : float, (low, high) tuple, or sequence of (k, k) matrices
        A constant for every pair of goals, a range to draw each pair's conflict
        from independently per run (``Randomize.conflict``), or preset matrices.
    goals : "random" or array_like of int, shape (n_agents, n_areas)
        Random uniform goals (``Randomize.goals``) or preset goals, the same in every run.
    weights : float, (low, high) tuple, or array_like, shape (n_agents, n_areas)
        A constant, a uniform range drawn per agent and area, or preset weights.
    allow_null : bool
        Let random goals include the null goal.

    Returns
    -------
    Worlds
    """
    rng = _check_rng(rng)
    runs = _positive_int("runs", runs)
    n = _positive_int("n_agents", n_agents, 0)
    ks = [n_goals] if isinstance(n_goals, (int, np.integer)) else list(n_goals)
    ks = [_positive_int(f"n_goals[{j}]", k) for j, k in enumerate(ks)]
    m = len(ks)

    if isinstance(conflict, (int, float)) and not isinstance(conflict, bool):
        conflicts = [constant_conflict(k, conflict) for k in ks]
    elif isinstance(conflict, tuple) and len(conflict) == 2 and all(np.isscalar(x) for x in conflict):
        conflicts = [random_conflict(rng, k, conflict, runs=runs) for k in ks]
    else:
        conflicts = [as_conflict(c, f"conflict[{j}]") for j, c in enumerate(conflict)]
        if len(conflicts) != m or any(c.shape[-1] != k for c, k in zip(conflicts, ks)):
            raise ValueError(f"conflict holds matrices of sizes {[c.shape[-1] for c in conflicts]}; "
                             f"expected one per area with sizes {ks}")

    if isinstance(goals, str):
        if goals != "random":
            raise ValueError(f"goals={goals!r} is not a valid option; expected 'random' or an (n_agents, n_areas) array")
        g = random_goals(rng, runs, n, ks, allow_null=allow_null)
    else:
        preset = as_goals(goals, "goals", ndim=2)
        if preset.shape != (n, m):
            raise ValueError(f"goals has shape {preset.shape}; expected (n_agents, n_areas) = {(n, m)}")
        g = np.broadcast_to(preset, (runs, n, m)).copy()

    if isinstance(weights, (int, float)) and not isinstance(weights, bool):
        w = uniform_weights(rng, runs, n, m, (weights, weights))
    elif isinstance(weights, tuple) and len(weights) == 2 and all(np.isscalar(x) for x in weights):
        w = uniform_weights(rng, runs, n, m, weights)
    else:
        preset = as_weights(weights, "weights", ndim=2)
        if preset.shape != (n, m):
            raise ValueError(f"weights has shape {preset.shape}; expected (n_agents, n_areas) = {(n, m)}")
        w = np.broadcast_to(preset, (runs, n, m)).copy()
    return Worlds(g, w, conflicts)
