r"""Monte Carlo at scale: draw goal-group counts and weight sums, not agents.

The area score depends on a population only through its goal groups (see
:mod:`misalign.model`): the count :math:`N_g`, and for weights the sums
:math:`S_g = \sum w`, :math:`s_g = \sum \sqrt{w}` over the holders of goal
*g*. When each agent's goal is drawn independently from probabilities
:math:`p` (Algorithm 2 with random goals), the counts of one area are
multinomial,

.. math::

    (N_0, N_1, \dots, N_k) \sim \operatorname{Multinomial}(n; p_0, \dots, p_k),

so a world of :math:`n` agents costs :math:`O(k)` draws instead of :math:`n`.
This is exact, not an approximation, whenever the weights are equal within a
goal group: a single weight for everybody, or one weight per goal group drawn
per run (how the paper's Figure 5 code drew them). Then every weight mean
factorizes,

.. math::

    \sum_{a_1 \ne a_2} c(g^1, g^2)\, \bar w(w^1, w^2)
        = \sum_{g \ne h} c(g, h)\, N_g N_h\, \bar w(u_g, u_h).

With weights drawn per agent, the group sums still suffice for the geometric
and arithmetic means, but they are sums of :math:`N_g` draws, so the cost is
:math:`O(n)` per run (in bounded memory); the minimum, maximum and harmonic
means then need every agent's weight and use the model's exact sums (sort-based,
:math:`O(n \log n)`; harmonic over distinct weights, :math:`O(n^2)` for
continuous weights).
"""

from __future__ import annotations

import numpy as np

from ..core.means import WEIGHT_MEANS
from ..core.validation import PAIRS, as_conflict_list, check_option
from ..core import engine
from ..core.means import MEANS, feature, pair_weight

__all__ = ["grouped_area_scores"]

# Uniform draws held at once on the per-agent path (32 MB of float64).
_DRAWS = 1 << 22


def _mean_matrix(u: np.ndarray, weight_mean: str) -> np.ndarray:
    """The weight mean of every pair of goal groups: (runs, k+1, k+1) from (runs, k+1)."""
    return pair_weight(u[:, :, None], u[:, None, :], weight_mean)


def _pair_sums_equal_in_group(counts: np.ndarray, u: np.ndarray, conflict: np.ndarray, weight_mean: str) -> np.ndarray:
    """Sum over ordered pairs of distinct agents when goal group g all weigh u_g.

    ``counts`` and ``u`` have shape (runs, k+1), column 0 being the null goal.
    Agents of one group never conflict, so pairs within a group add nothing.
    """
    c = engine.padded(conflict)
    n = counts.astype(np.float64)
    spec = "rg,gh,rgh,rh->r" if c.ndim == 2 else "rg,rgh,rgh,rh->r"
    return np.einsum(spec, n, c, _mean_matrix(u, weight_mean), n)


def _pair_sums_per_agent(rng, counts: np.ndarray, low: float, high: float, conflict: np.ndarray,
                         weight_mean: str) -> np.ndarray:
    """Sum over ordered pairs when every agent draws its own weight uniformly in [low, high]."""
    runs, k1 = counts.shape
    n = int(counts[0].sum())
    c = engine.padded(conflict)
    mean = MEANS[weight_mean]
    out = np.empty(runs)
    step = max(1, _DRAWS // max(n, 1))
    for lo in range(0, runs, step):
        hi = min(runs, lo + step)
        w = rng.uniform(low, high, size=(hi - lo, n))
        if mean.factorized:
            # Goals are exchangeable given the counts, so group g takes the next N_g weights.
            ends = np.cumsum(counts[lo:hi], axis=1)
            sums = {}
            for name in mean.features:
                if name == "count":
                    sums[name] = counts[lo:hi].astype(np.float64)
                    continue
                csum = np.concatenate([np.zeros((hi - lo, 1)), np.cumsum(feature(name, w), axis=1)], axis=1)
                sums[name] = np.diff(np.take_along_axis(csum, ends, axis=1), axis=1, prepend=0.0)
            out[lo:hi] = engine.factorized_pair_sums(weight_mean, sums, c if c.ndim == 2 else c[lo:hi])
        else:
            goals = np.repeat(np.broadcast_to(np.arange(k1), (hi - lo, k1)).ravel(),
                              counts[lo:hi].ravel()).reshape(hi - lo, n)
            out[lo:hi] = engine.ordered_pair_sums(goals, w, conflict if conflict.ndim == 2 else conflict[lo:hi],
                                                  weight_mean)
    return out


def _unit_interval(name: str, value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r}; expected a number in [0, 1]") from None
    if not 0 <= x <= 1:
        raise ValueError(f"{name} = {value!r}; expected a number in [0, 1]")
    return x


def grouped_area_scores(rng, *, runs, n_agents, conflicts, allow_null=False, weights=1.0, weight_range=None,
                        shared_by_goal=False, pairs="distinct", weight_mean="geometric",
                        normalize=False) -> np.ndarray:
    r"""Area scores of ``runs`` random worlds, drawn as goal-group counts (Algorithm 2 at scale).

    Each agent's goal in each area is uniform over the area's explicit goals
    (or over :math:`g_0, \dots, g_k` with ``allow_null``), independently, as in
    :func:`misalign.samplers.random_goals`; the per-area counts are therefore
    drawn directly as

    .. math::

        (N_0, \dots, N_k) \sim \operatorname{Multinomial}(n; p), \qquad
        \Pr(0 \mid \mathcal{A}, p) = \frac{1}{|\Pi|} \sum_{g \ne h} c(g, h)\,
            N_g N_h\, \bar w(u_g, u_h)

    when all holders of goal *g* weigh :math:`u_g`. The scores have the same
    distribution as scoring worlds of individually drawn agents; the random
    streams differ, so the values do not match those of
    :mod:`misalign.samplers` draw for draw.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness; the same state gives the same scores.
    runs : int
        Independent worlds.
    n_agents : int
        Agents per world.
    conflicts : sequence of array_like
        One (k_j, k_j) conflict matrix per area, shared by every run, or
        (runs, k_j, k_j) with one matrix per run.
    allow_null : bool
        Also draw the null goal :math:`g_0` (with probability :math:`1/(k+1)`).
    weights : float
        The weight of every agent when ``weight_range`` is None.
    weight_range : (float, float), optional
        Draw weights uniformly in this range instead: one per goal group and run
        (``shared_by_goal=True``, exact at :math:`O(k)` per run) or one per agent
        (:math:`O(n)` per run, see the module notes).
    shared_by_goal : bool
        See ``weight_range``.
    pairs, weight_mean, normalize
        As in :func:`misalign.area_misalignment`.

    Returns
    -------
    numpy.ndarray, shape (runs, n_areas)
        Combine areas with :func:`misalign.combine_areas` (``axis=1``).

    Raises
    ------
    ValueError
        For an rng that is not a Generator, non-positive ``runs``, negative
        ``n_agents``, weights outside [0, 1], a bad conflict matrix, or an
        unknown option.

    See Also
    --------
    misalign.samplers.init_worlds : the same worlds, agent by agent.
    misalign.misalignment_batch : scoring of worlds given agent by agent.

    References
    ----------
    .. [1] Kierans et al. (2025), section 4, Algorithms 1 and 2.

    Examples
    --------
    One area, two goals in full conflict, everybody at weight 1: all runs
    average :math:`2\,p_1 p_2 = 0.5` (distinct pairs are independent draws).

    >>> import numpy as np
    >>> c = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> s = grouped_area_scores(np.random.default_rng(0), runs=2000, n_agents=10**6, conflicts=[c])
    >>> s.shape, bool(abs(s.mean() - 0.5) < 1e-3)
    ((2000, 1), True)
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}; expected a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
    for name, value, least in (("runs", runs, 1), ("n_agents", n_agents, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"{name} = {value!r}; expected an integer >= {least}")
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    if weight_range is None:
        w = _unit_interval("weights", weights)
        low = high = w
    else:
        try:
            low, high = (_unit_interval("weight_range", x) for x in weight_range)
        except TypeError:
            raise ValueError(f"weight_range = {weight_range!r}; expected a (low, high) pair in [0, 1]") from None
        if low > high:
            raise ValueError(f"weight_range = {weight_range!r}; expected low <= high")
    try:
        n_areas = len(conflicts)
    except TypeError:
        raise ValueError("conflicts must be a sequence of one k x k matrix per area; "
                         f"got {type(conflicts).__name__}") from None
    cs = as_conflict_list(conflicts, n_areas)
    out = np.empty((runs, len(cs)))
    for j, c in enumerate(cs):
        if c.ndim == 3 and c.shape[0] != runs:
            raise ValueError(f"conflicts[{j}] has {c.shape[0]} matrices but there are {runs} runs; "
                             "expected one (k, k) matrix or one per run")
        k = c.shape[-1]
        p = np.full(k + 1, 1.0 / (k + 1 if allow_null else k))
        if not allow_null:
            p[0] = 0.0
        counts = rng.multinomial(n_agents, p, size=runs)
        if low == high or shared_by_goal:
            u = rng.uniform(low, high, size=(runs, k + 1)) if low < high else np.full((runs, k + 1), low)
            sums = _pair_sums_equal_in_group(counts, u, c, weight_mean)
        else:
            sums = _pair_sums_per_agent(rng, counts, low, high, c, weight_mean)
        out[:, j] = engine.scale(sums, int(n_agents), c, pairs, normalize)
    return out
