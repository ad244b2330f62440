r"""How sure are we: standard errors and confidence intervals for the score.

When the n agents are a random sample of a larger population, the
distinct-pairs score (arithmetic mean over areas) is a U-statistic of degree 2,

.. math::

    U = \frac{1}{n(n-1)} \sum_{i \ne j} h(X_i, X_j), \qquad
    h(X_i, X_j) = \frac{1}{m} \sum_{p=1}^{m} c_p(g_i^p, g_j^p)\, \bar w(w_i^p, w_j^p),

an unbiased estimate of :math:`\theta = E\,h(X, X')`, the expected weighted
conflict between two agents drawn independently from the population. By
Hoeffding's decomposition

.. math::

    \operatorname{Var} U = \frac{4(n-2)\,\zeta_1 + 2\,\zeta_2}{n(n-1)}, \qquad
    \zeta_1 = \operatorname{Var} E[h(X, X') \mid X], \quad
    \zeta_2 = \operatorname{Var} h(X, X').

Its unbiased estimate needs three pair sums, :math:`A = \sum_{i \ne j} h_{ij}`,
:math:`B = \sum_{i \ne j} h_{ij}^2` and :math:`R = \sum_i \rho_i^2` with row
sums :math:`\rho_i = \sum_{j \ne i} h_{ij}` (:math:`(n-1)` times the agent
contributions of :mod:`misalign.decompose`). Counting ordered pairs, triples
and quadruples of distinct agents,

.. math::

    \widehat{\theta^2} = \frac{A^2 + 2B - 4R}{n(n-1)(n-2)(n-3)}, \qquad
    \widehat{\operatorname{Var} U} = U^2 - \widehat{\theta^2}.

For the geometric and arithmetic weight means and ``"none"``, :math:`h_{ij}^2`
is again a sum of products of a function of agent i and one of agent j, so
:math:`B` reduces to sums over joint goal groups of two areas,
:math:`B_{pq} = \sum_{a,b} L_{ab} (C_p R C_q)_{ab}`, and everything costs
:math:`O(m^2 (n + k^3))`. The other weight means and area means use the
seeded bootstrap.

References
----------
.. [1] Hoeffding, W. (1948). A class of statistics with asymptotically normal
   distribution. Annals of Mathematical Statistics 19(3), 293-325.
.. [2] Lee, A. J. (1990). U-Statistics: Theory and Practice. Marcel Dekker,
   chapter 1 (the variance and its unbiased estimate).
.. [3] Kierans et al. (2025). Quantifying Misalignment Between Agents. AAAI.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from ..core import engine
from ..core.means import MEANS, WEIGHT_MEANS, feature
from ..core.score import combine_areas, misalignment, misalignment_batch
from ..core.validation import AREA_MEANS, PAIRS, as_population, check_option

__all__ = ["ScoreVariance", "score_variance", "score_interval", "INTERVAL_METHODS"]

INTERVAL_METHODS = ("exact", "bootstrap")
_FACTORIZED = tuple(name for name, mean in MEANS.items() if mean.factorized)

# Bootstrap resamples are scored in chunks of at most this many (agent, area) cells.
_CHUNK_CELLS = 4_000_000


class ScoreVariance(NamedTuple):
    """The distinct-pairs score and the unbiased estimates of its sampling variance."""

    estimate: float
    variance: float
    zeta1: float
    zeta2: float
    n: int


def _joint_pair_sum(gp, wp, cp, gq, wq, cq, weight_mean):
    r""":math:`\sum_{i \ne j} c_p c_q \bar w_p \bar w_q` over ordered pairs, through joint goal groups."""
    kq1 = cq.shape[0]
    idx = gp * kq1 + gq
    size = cp.shape[0] * kq1
    total = 0.0
    terms = MEANS[weight_mean].terms
    for coef_t, left_t, right_t in terms:
        for coef_u, left_u, right_u in terms:
            lvals = feature(left_t, wp) * feature(left_u, wq)
            rvals = feature(right_t, wp) * feature(right_u, wq)
            lsum = engine.goal_sums(idx[None], lvals[None], size - 1)[0].reshape(-1, kq1)
            rsum = engine.goal_sums(idx[None], rvals[None], size - 1)[0].reshape(-1, kq1)
            total += coef_t * coef_u * float(np.sum(lsum * (cp @ rsum @ cq)))
    return total


def score_variance(goals, weights, conflicts, *, weight_mean="geometric", normalize=False) -> ScoreVariance:
    r"""Unbiased estimate of the sampling variance of the distinct-pairs score.

    .. math::

        \widehat{\operatorname{Var} U} = U^2 - \frac{A^2 + 2B - 4R}{n(n-1)(n-2)(n-3)}
          = \frac{4(n-2)\,\hat\zeta_1 + 2\,\hat\zeta_2}{n(n-1)}

    with :math:`\hat\zeta_1 = \frac{R - B}{n(n-1)(n-2)} - \widehat{\theta^2}` and
    :math:`\hat\zeta_2 = \frac{B}{n(n-1)} - \widehat{\theta^2}` (see the module
    docstring for :math:`A, B, R`). The score is combined over areas with the
    arithmetic mean (with one area, that area's score).

    Parameters
    ----------
    goals : array_like of int, shape (n_agents, n_areas)
    weights : array_like of float, shape (n_agents, n_areas)
    conflicts : sequence of array_like
    weight_mean : {"geometric", "arithmetic", "none"}
        The weight means whose squared kernel factorizes.
    normalize : bool
        As in :func:`misalign.misalignment`.

    Returns
    -------
    ScoreVariance
        ``estimate`` (the score U), ``variance`` (may be slightly negative in
        small samples, since it is unbiased), ``zeta1``, ``zeta2`` and ``n``.

    Raises
    ------
    ValueError
        As :func:`misalign.misalignment`; for another weight mean; for fewer
        than 4 agents.

    See Also
    --------
    score_interval

    Examples
    --------
    Four agents, one area, two goals in full conflict, weights 1: the kernel
    is 1 on the 8 of 12 ordered pairs across goals, so U = 2/3, B = A = 8 and
    every row sums to 2, R = 16; the estimate of theta^2 is (64 + 16 - 64)/24.

    >>> v = score_variance([[1], [1], [2], [2]], [[1.0]] * 4, [[[0, 1], [1, 0]]])
    >>> round(v.estimate, 4), round(v.variance, 4), round((2 / 3) ** 2 - 16 / 24, 4)
    (0.6667, -0.2222, -0.2222)
    """
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    if weight_mean not in _FACTORIZED:
        raise ValueError(
            f"weight_mean={weight_mean!r} has no closed-form variance (its squared kernel does not factorize "
            f"over goal groups); expected one of {', '.join(repr(x) for x in _FACTORIZED)}, "
            "or use score_interval(..., method='bootstrap')"
        )
    g, w, cs = as_population(goals, weights, conflicts)
    cs = [engine.padded(c) for c in cs]
    n, m = g.shape
    if n < 4:
        raise ValueError(f"goals has {n} agents; the unbiased variance needs at least 4")
    factors = [engine.norm_factor(c[1:, 1:], normalize) / m for c in cs]
    rows = np.zeros(n)
    everyone = np.ones(n, dtype=bool)
    for j, c in enumerate(cs):
        rows += factors[j] * engine.against(g[:, j], w[:, j], None, None, c, weight_mean, partner=everyone)
    big_a, big_r = rows.sum(), float(rows @ rows)
    big_b = 0.0
    for p in range(m):
        for q in range(p, m):
            pq = _joint_pair_sum(g[:, p], w[:, p], cs[p], g[:, q], w[:, q], cs[q], weight_mean)
            big_b += (1.0 if p == q else 2.0) * factors[p] * factors[q] * pq
    n2 = n * (n - 1.0)
    n3 = n2 * (n - 2.0)
    n4 = n3 * (n - 3.0)
    u = big_a / n2
    # U^2 - (A^2 + 2B - 4R)/(n)_4, rearranged so that no term of size A^2 is formed.
    variance = (4.0 * big_r - 2.0 * big_b) / n4 - u * u * (4.0 * n - 6.0) / ((n - 2.0) * (n - 3.0))
    theta2 = u * u * (n2 * n2 / n4) + (2.0 * big_b - 4.0 * big_r) / n4
    return ScoreVariance(float(u), float(variance), float((big_r - big_b) / n3 - theta2),
                         float(big_b / n2 - theta2), int(n))


def _check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise ValueError(f"level = {level!r}; expected a confidence level strictly between 0 and 1, e.g. 0.95")
    return float(level)


def _resampled_scores(g, w, conflicts, counts, options):
    r"""Scores of resamples given by how often each agent was drawn: shape (runs,).

    For the factorized weight means a resample's ordered pair sum is
    :math:`\sum_t \lambda_t L_t^\top C R_t` with goal sums weighted by the
    draw counts (copies of one agent share a goal and never conflict), so no
    resampled population is built.
    """
    runs, n = counts.shape
    m = g.shape[1]
    weight_mean, pairs = options["weight_mean"], options["pairs"]
    scores = np.empty((runs, m))
    denom = engine.pair_count(float(n), pairs)
    features = MEANS[weight_mean].features
    for j, c in enumerate(conflicts):
        k1 = c.shape[0]
        goals = np.broadcast_to(g[:, j], (runs, n))
        weights = np.broadcast_to(w[:, j], (runs, n))
        sums = engine.factorized_pair_sums(weight_mean, engine.feature_sums(goals, weights, k1 - 1, features, counts), c)
        scores[:, j] = sums * (engine.norm_factor(c[1:, 1:], options["normalize"]) / denom)
    return combine_areas(scores, options["area_mean"], axis=1)


def _bootstrap_scores(g, w, conflicts, n_boot, rng, options):
    """Scores of ``n_boot`` resamples of the agents drawn with replacement."""
    n, m = g.shape
    out = np.empty(n_boot)
    chunk = max(1, _CHUNK_CELLS // max(1, n * m))
    padded = [engine.padded(np.asarray(c, dtype=np.float64)) for c in conflicts]
    for lo in range(0, n_boot, chunk):
        hi = min(n_boot, lo + chunk)
        idx = rng.integers(0, n, size=(hi - lo, n))
        if options["weight_mean"] in _FACTORIZED:
            runs = np.arange(hi - lo)[:, None]
            counts = np.bincount((idx + n * runs).ravel(), minlength=(hi - lo) * n).reshape(hi - lo, n)
            out[lo:hi] = _resampled_scores(g, w, padded, counts.astype(np.float64), options)
        else:
            out[lo:hi] = misalignment_batch(g[idx], w[idx], conflicts, **options)
    return out


def score_interval(goals, weights, conflicts, *, level=0.95, method="exact", rng=None, n_boot=1000,
                   pairs="distinct", weight_mean="geometric", area_mean="arithmetic", normalize=False):
    r"""The score with a confidence interval, treating the agents as a random sample.

    ``method="exact"`` uses the unbiased U-statistic variance of
    :func:`score_variance` and the normal approximation,

    .. math::

        U \pm z_{(1 + \text{level})/2} \sqrt{\max(0, \widehat{\operatorname{Var} U})},

    scaled by :math:`(n-1)/n` for ``pairs="with_replacement"`` (that score is
    :math:`(n-1)U/n`). ``method="bootstrap"`` resamples the agents with
    replacement ``n_boot`` times and takes the percentile interval of the
    rescored populations; it works for every option. The lower end is clipped
    at 0. The target is :math:`\theta`, the expected weighted conflict between
    two agents drawn independently from the population (for a large finite
    population, its score).

    Parameters
    ----------
    goals, weights, conflicts, pairs, weight_mean, area_mean, normalize
        As in :func:`misalign.misalignment`.
    level : float
        Confidence level in (0, 1).
    method : {"exact", "bootstrap"}
        ``"exact"`` needs a geometric, arithmetic or ``"none"`` weight mean
        and the arithmetic area mean (any area mean with one area).
    rng : numpy.random.Generator
        Required for the bootstrap, e.g. ``numpy.random.default_rng(seed)``.
    n_boot : int
        Bootstrap resamples.

    Returns
    -------
    tuple of float
        ``(estimate, low, high)``; the estimate is :func:`misalign.misalignment`.

    Raises
    ------
    ValueError
        As :func:`misalign.misalignment`; for an unknown method, a level outside
        (0, 1), options the exact method does not support, fewer than 4 agents
        (exact) or 2 (bootstrap), a missing ``rng`` or a bad ``n_boot``.

    See Also
    --------
    score_variance

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> goals = rng.integers(1, 3, size=(400, 1))
    >>> est, low, high = score_interval(goals, np.ones((400, 1)), [[[0, 1], [1, 0]]])
    >>> bool(low < est < high), bool(np.isclose(est, 2 * np.mean(goals == 1) * np.mean(goals == 2) * 400 / 399))
    (True, True)
    """
    check_option("method", method, INTERVAL_METHODS)
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    check_option("area_mean", area_mean, AREA_MEANS)
    level = _check_level(level)
    g, w, _ = as_population(goals, weights, conflicts)
    n, m = g.shape
    options = dict(pairs=pairs, weight_mean=weight_mean, area_mean=area_mean, normalize=normalize)
    estimate = misalignment(g, w, conflicts, **options)
    alpha = 1.0 - level
    if method == "exact":
        if area_mean != "arithmetic" and m > 1:
            raise ValueError(
                f"area_mean={area_mean!r} is not a U-statistic over {m} areas, so method='exact' does not apply; "
                "expected area_mean='arithmetic' (or a single area), or use method='bootstrap'"
            )
        v = score_variance(g, w, conflicts, weight_mean=weight_mean, normalize=normalize)
        scale = 1.0 if pairs == "distinct" else (n - 1.0) / n
        half = NormalDist().inv_cdf(1.0 - alpha / 2.0) * np.sqrt(max(v.variance, 0.0)) * scale
        return estimate, max(0.0, estimate - half), estimate + half
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng = {rng!r}; method='bootstrap' draws resamples and needs a numpy.random.Generator, "
                         "e.g. numpy.random.default_rng(seed)")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"n_boot = {n_boot!r}; expected an integer number of bootstrap resamples, at least 2")
    if n < 2:
        raise ValueError(f"goals has {n} agents; the bootstrap needs at least 2")
    boot = _bootstrap_scores(g, w, conflicts, int(n_boot), rng, options)
    low, high = np.quantile(boot, [alpha / 2.0, 1.0 - alpha / 2.0])
    return estimate, max(0.0, float(low)), float(high)
