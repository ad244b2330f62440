r"""The population misalignment score of Kierans et al. (AAAI 2025), section 3.

An area's score is the expected weighted conflict between two agents drawn at
random from the population :math:`\mathcal{A}`:

.. math::

    \Pr(0 \mid \mathcal{A}, p) = \frac{1}{|\Pi|} \sum_{(a_1, a_2) \in \Pi}
        c(g_p^{1}, g_p^{2}) \, \bar w(w_p^{1}, w_p^{2})

where :math:`\Pi` is the set of pairs drawn (see ``pairs``) and :math:`\bar w`
the pair's weight mean (the paper's :math:`\sqrt{w^1 w^2}`). The population
score averages the area scores (Theorem 4).

Nothing here builds an n x n matrix. Because :math:`c(g, g) = 0`, pairs of
agents that share a goal contribute nothing, so the sum over pairs of agents
collapses into a sum over pairs of goal groups. For the geometric mean

.. math::

    \sum_{a_1 \ne a_2} c(g^1, g^2) \sqrt{w^1 w^2} = s^\top C s, \qquad
    s_g = \sum_{a \in \mathcal{A}_g} \sqrt{w^a},

which costs :math:`O(n + k^2)`; the arithmetic mean and the unweighted score
factorize the same way, the minimum and maximum by one sort, and the harmonic
mean by collapsing agents into distinct (goal, weight) atoms.

References
----------
.. [1] Kierans, A., Ghosh, A., Hazan, H., and Dori-Hacohen, S. (2025).
   Quantifying Misalignment Between Agents: Towards a Sociotechnical
   Understanding of Alignment. Proceedings of the AAAI Conference on
   Artificial Intelligence, 39. arXiv:2406.04231.
.. [2] Jang, M., Dori-Hacohen, S., and Allan, J. (2017). Modeling Controversy
   within Populations. Proceedings of ICTIR '17, 141-149.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import engine
from .means import WEIGHT_MEANS
from .validation import (
    AREA_MEANS,
    MISSING,
    PAIRS,
    as_conflict,
    as_conflict_list,
    as_goals,
    as_weights,
    check_goal_range,
    check_option,
    check_same_shape,
)

__all__ = [
    "area_misalignment",
    "area_scores",
    "misalignment",
    "area_scores_batch",
    "misalignment_batch",
    "combine_areas",
]

def _fast_scores(goals, weights, conflicts, pairs, weight_mean, normalize) -> np.ndarray | None:
    """Area scores (runs, n_areas) of a large valid population through the compiled kernel.

    Returns None whenever the kernel does not apply (small or unusual input) or
    finds anything to complain about: the numpy path then scores the population
    or raises its usual error, so both paths fail with the same message.
    """
    if (
        not isinstance(weight_mean, str)
        or weight_mean not in WEIGHT_MEANS
        or not isinstance(pairs, str)
        or pairs not in PAIRS
        # a one-shot iterable read here would be empty for the numpy path's messages
        or not isinstance(conflicts, (list, tuple, np.ndarray))
        or not isinstance(goals, np.ndarray)
        or not isinstance(weights, np.ndarray)
        or goals.ndim != 3
        or goals.shape != weights.shape
        or goals.size < engine.KERNEL_MIN_ENTRIES
        or goals.dtype == bool
        or not np.issubdtype(goals.dtype, np.integer)
        or weights.dtype != np.float64
        or not goals.dtype.isnative
        or not weights.dtype.isnative
        or not goals.flags.c_contiguous
        or not weights.flags.c_contiguous
    ):
        return None
    runs, n, m = goals.shape
    try:
        cs = as_conflict_list(conflicts, m)
    except ValueError:
        return None
    if any(c.ndim == 3 and c.shape[0] != runs for c in cs):
        return None
    ks = np.array([c.shape[-1] for c in cs], dtype=np.int64)
    sums = engine.kernel_goal_sums(goals, weights, ks, weight_mean)
    if sums is None:
        return None
    out = np.empty((runs, m))
    for j, c in enumerate(cs):
        k = c.shape[-1]
        # Contiguous (runs, k + 1) copies: the same layout as the numpy path's sums.
        area = {name: np.ascontiguousarray(s[:, j, : k + 1]) for name, s in sums.items()}
        out[:, j] = engine.scale(engine.factorized_pair_sums(weight_mean, area, engine.padded(c)), n, c, pairs,
                                 normalize)
    return out


def combine_areas(scores, area_mean: str = "arithmetic", axis: int = -1):
    r"""Combine per-area scores into one population score.

    Parameters
    ----------
    scores : array_like
        Area scores in [0, 1]; areas run along ``axis``.
    area_mean : {"arithmetic", "geometric", "harmonic", "min", "max"}
        The paper uses the arithmetic mean (Theorem 4). A zero area score makes
        the geometric and harmonic means zero (their limits).
    axis : int
        The axis of areas.

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ValueError
        For an unknown ``area_mean`` or an empty set of areas.
    """
    check_option("area_mean", area_mean, AREA_MEANS)
    x = np.asarray(scores, dtype=np.float64)
    if x.shape[axis] == 0:
        raise ValueError("scores has no problem areas; expected at least one area")
    if area_mean == "arithmetic":
        out = x.mean(axis=axis)
    elif area_mean == "min":
        out = x.min(axis=axis)
    elif area_mean == "max":
        out = x.max(axis=axis)
    else:
        zero = (x <= 0).any(axis=axis)
        safe = np.where(x > 0, x, 1.0)
        if area_mean == "geometric":
            out = np.exp(np.log(safe).mean(axis=axis))
        else:
            # 1/x overflows for subnormal scores; the harmonic mean then tends to 0, which is what inf gives
            with np.errstate(over="ignore"):
                out = x.shape[axis] / (1.0 / safe).sum(axis=axis)
        out = np.where(zero, 0.0, out)
    return float(out) if np.ndim(out) == 0 else out


def area_scores_batch(goals, weights, conflicts, *, pairs="distinct", weight_mean="geometric", normalize=False,
                      missing="g0"):
    """Area scores of many populations at once (for Monte Carlo runs).

    Parameters
    ----------
    goals : array_like of int, shape (runs, n_agents, n_areas)
    weights : array_like of float, shape (runs, n_agents, n_areas)
    conflicts : sequence of array_like
        One matrix per area, each (k, k) shared by all runs or (runs, k, k).
    pairs, weight_mean, normalize, missing
        As in :func:`area_misalignment`.

    Returns
    -------
    numpy.ndarray, shape (runs, n_areas)

    See Also
    --------
    area_scores : the same for a single population.
    """
    fast = _fast_scores(goals, weights, conflicts, pairs, weight_mean, normalize) if missing == "g0" else None
    if fast is not None:
        return fast
    check_option("missing", missing, MISSING)
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    g = as_goals(goals, "goals", ndim=3)
    w = as_weights(weights, "weights", ndim=3)
    check_same_shape(g, w)
    runs, n, m = g.shape
    cs = as_conflict_list(conflicts, m)
    out = np.empty((runs, m))
    for j, c in enumerate(cs):
        if c.ndim == 3 and c.shape[0] != runs:
            raise ValueError(
                f"conflicts[{j}] has {c.shape[0]} matrices but there are {runs} runs; "
                "expected one (k, k) matrix or one per run"
            )
        k = c.shape[-1]
        check_goal_range(g[:, :, j], k, "goals", area=j)
        sums = engine.ordered_pair_sums(g[:, :, j], w[:, :, j], c, weight_mean)
        size = n if missing == "g0" else np.count_nonzero(g[:, :, j], axis=1)
        out[:, j] = engine.scale(sums, size, c, pairs, normalize)
    return out


def misalignment_batch(
    goals, weights, conflicts, *, pairs="distinct", weight_mean="geometric", area_mean="arithmetic", normalize=False,
    missing="g0",
):
    """Population scores of many populations at once: shape (runs,).

    See Also
    --------
    misalignment : the same for a single population.
    area_scores_batch : the per-area scores this combines.
    """
    check_option("area_mean", area_mean, AREA_MEANS)
    scores = area_scores_batch(goals, weights, conflicts, pairs=pairs, weight_mean=weight_mean, normalize=normalize,
                               missing=missing)
    return combine_areas(scores, area_mean, axis=1)


def area_misalignment(goals, weights, conflict, *, pairs="distinct", weight_mean="geometric", normalize=False,
                      missing="g0") -> float:
    r"""Misalignment of a population in one problem area, :math:`\Pr(0 \mid \mathcal{A}, p)`.

    .. math::

        \Pr(0 \mid \mathcal{A}, p) = \frac{1}{|\Pi|} \sum_{(a_1, a_2) \in \Pi}
            c(g^{1}, g^{2}) \, \bar w(w^{1}, w^{2})

    With ``pairs="distinct"``, :math:`\Pi` holds the :math:`n(n-1)/2` unordered
    pairs of different agents; with ``"with_replacement"`` it holds all
    :math:`n^2` ordered pairs, self-pairs included, as printed in the paper
    (section 6 and Theorem 1). Since self-pairs never conflict the two differ by
    the factor :math:`(n-1)/n`.

    Parameters
    ----------
    goals : array_like of int, shape (n,)
        Each agent's goal: 0 is the null goal :math:`g_0`, 1..k explicit goals.
    weights : array_like of float, shape (n,)
        The importance each agent gives the area, in [0, 1].
    conflict : array_like, shape (k, k)
        Symmetric conflict between the explicit goals, zero diagonal, entries in
        [0, 1]; :math:`g_0` conflicts with nothing.
    pairs : {"distinct", "with_replacement"}
        ``"distinct"`` reproduces the paper's published numbers and figures.
    weight_mean : {"geometric", "arithmetic", "harmonic", "min", "max", "none"}
        :math:`\bar w`; the paper uses :math:`\sqrt{w^1 w^2}`. ``"none"`` ignores
        weights.
    normalize : bool or {"goals", "max"}
        Rescale the score. ``"goals"`` (or True) multiplies by :math:`k/(k-1)`
        as Jang et al. (2017) do: the with-replacement maximum is then 1 for
        mutually exclusive goals only (an area with one goal scores 0).
        ``"max"`` divides by the largest score the area's conflict matrix
        allows over goal shares, :math:`\max_p p^\top C p`
        (:func:`misalign.core.maximum.max_area_score`), so that 1 means as
        misaligned as this matrix allows, for any matrix (graded ones too).
        Either way, distinct pairs in a small population can exceed 1 by up to
        :math:`n/(n-1)`.
    missing : {"g0", "exclude"}
        What goal 0 means. ``"g0"`` (the paper's reading) keeps the agent in the
        population with the null goal, which conflicts with nothing;
        ``"exclude"`` leaves it out of the area's population (non-response), so
        the score averages over the pairs of agents that hold a goal.

    Returns
    -------
    float
        The score; 0.0 for fewer than two agents.

    Raises
    ------
    ValueError
        For an unknown option; non-integer or out-of-range goal ids; weights
        outside [0, 1], NaN or inf; a conflict matrix that is not square,
        symmetric, zero on the diagonal and within [0, 1]; mismatched shapes.

    See Also
    --------
    area_scores : one score per area.
    misalignment : the population score over all areas.
    misalign.theory.exclusive_goals_misalignment : closed form for counts.

    References
    ----------
    .. [1] Kierans et al. (2025), section 3 and appendix D.1.

    Examples
    --------
    The food area of the shopping case (Tables 1-2): three agents, one goal
    each, every pair in conflict 0.1.

    >>> import numpy as np
    >>> c = np.full((3, 3), 0.1) - np.diag([0.1] * 3)
    >>> s = area_misalignment([1, 2, 3], [0.8, 0.9, 1.0], c)
    >>> by_hand = 0.1 * (np.sqrt(0.8 * 0.9) + np.sqrt(0.8) + np.sqrt(0.9)) / 3
    >>> bool(np.isclose(s, by_hand)), round(s, 2)
    (True, 0.09)
    """
    g = as_goals(goals, "goals", ndim=1)
    w = as_weights(weights, "weights", ndim=1)
    check_same_shape(g, w)
    c = as_conflict(conflict, "conflict")
    if c.ndim != 2:
        raise ValueError(f"conflict must be a single k x k matrix; got shape {c.shape}")
    check_goal_range(g, c.shape[0], "goals")
    out = area_scores_batch(g[None, :, None], w[None, :, None], [c], pairs=pairs, weight_mean=weight_mean,
                            normalize=normalize, missing=missing)
    return float(out[0, 0])


def area_scores(goals, weights, conflicts: Sequence, *, pairs="distinct", weight_mean="geometric", normalize=False,
                missing="g0"):
    """One misalignment score per problem area.

    Parameters
    ----------
    goals : array_like of int, shape (n_agents, n_areas)
    weights : array_like of float, shape (n_agents, n_areas)
    conflicts : sequence of array_like
        One (k_j, k_j) matrix per area; areas may have different k.
    pairs, weight_mean, normalize, missing
        As in :func:`area_misalignment`.

    Returns
    -------
    numpy.ndarray, shape (n_areas,)

    Raises
    ------
    ValueError
        As :func:`area_misalignment`, naming the area index.

    See Also
    --------
    area_misalignment, misalignment
    """
    if missing == "g0" and isinstance(goals, np.ndarray) and isinstance(weights, np.ndarray) \
            and goals.ndim == 2 == weights.ndim:
        fast = _fast_scores(goals[None], weights[None], conflicts, pairs, weight_mean, normalize)
        if fast is not None:
            return fast[0]
    g = as_goals(goals, "goals", ndim=2)
    w = as_weights(weights, "weights", ndim=2)
    check_same_shape(g, w)
    cs = as_conflict_list(conflicts, g.shape[1])
    for j, c in enumerate(cs):
        check_goal_range(g[:, j], c.shape[-1], "goals", area=j)
    out = area_scores_batch(g[None], w[None], cs, pairs=pairs, weight_mean=weight_mean, normalize=normalize,
                            missing=missing)
    return out[0]


def misalignment(
    goals, weights, conflicts, *, pairs="distinct", weight_mean="geometric", area_mean="arithmetic", normalize=False,
    missing="g0",
) -> float:
    r"""Population misalignment over all problem areas, :math:`\Pr(0 \mid \mathcal{A}, \mathcal{P})`.

    .. math::

        \Pr(0 \mid \mathcal{A}, \mathcal{P}) = \frac{1}{|\mathcal{P}|}
            \sum_{p \in \mathcal{P}} \Pr(0 \mid \mathcal{A}, p)

    (Theorem 4, with the arithmetic ``area_mean``).

    Parameters
    ----------
    goals : array_like of int, shape (n_agents, n_areas)
    weights : array_like of float, shape (n_agents, n_areas)
    conflicts : sequence of array_like
        One (k_j, k_j) matrix per area.
    pairs, weight_mean, normalize, missing
        As in :func:`area_misalignment`.
    area_mean : {"arithmetic", "geometric", "harmonic", "min", "max"}
        How area scores combine; see :func:`combine_areas`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`area_scores`, and for an unknown ``area_mean``.

    See Also
    --------
    area_scores, combine_areas

    Notes
    -----
    Large populations (from :math:`2^{20}` goal entries, with the geometric or
    arithmetic weight mean or none) are summed by a compiled kernel on every
    CPU the process may use, or on ``MISALIGN_THREADS`` threads if that
    environment variable is set. Every per-goal sum is added in one fixed
    order (agent by agent within chunks of :math:`2^{16}` agents, then chunk
    by chunk), so the score is the same to the last bit whatever the number
    of threads, and equals the pure numpy computation.

    Examples
    --------
    The shopping case of section 6 (Tables 1 and 2) scores 0.26 overall.

    >>> import numpy as np
    >>> food = np.array([[0, .1, .1], [.1, 0, .1], [.1, .1, 0]])
    >>> household = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    >>> goals = [[1, 1], [2, 2], [3, 3]]
    >>> weights = [[.8, .6], [.9, .7], [1.0, 1.0]]
    >>> round(misalignment(goals, weights, [food, household]), 2)
    0.26
    """
    check_option("area_mean", area_mean, AREA_MEANS)
    scores = area_scores(goals, weights, conflicts, pairs=pairs, weight_mean=weight_mean, normalize=normalize,
                         missing=missing)
    return combine_areas(scores, area_mean)
