r"""Agents whose goals are uncertain: the expected score under independent draws of every agent's goal.

An agent may hold each goal of an area with a probability: a survey cell's
answer shares, a language model's distribution over answers, a coder's
uncertainty. With :math:`\pi_i` agent *i*'s distribution over the goals
:math:`g_0, g_1, \dots, g_k` of an area and goals drawn independently,

.. math::

    E\,\Pr(0 \mid \mathcal{A}, p) = \frac{1}{|\Pi|} \sum_{i \ne j}
        \bar w(w_i, w_j)\; \pi_i^\top C \pi_j .

For a factorized weight mean (:mod:`misalign.core.means`) the double sum is
computed exactly with the same factorization as hard goals, from per-goal sums
of probability-weighted features, minus each agent's pair with itself:

.. math::

    \sum_{i \ne j} l(w_i) r(w_j)\, \pi_i^\top C \pi_j
        = L^\top C R - \sum_i l(w_i) r(w_i)\, \pi_i^\top C \pi_i, \qquad
    L = \sum_i \pi_i\, l(w_i),\ R = \sum_i \pi_i\, r(w_i).

The minimum and maximum use one sort by weight and suffix sums of the
:math:`\pi_j`, the harmonic mean pairs the agents' distinct weights. Nothing is
sampled. A one-hot distribution is a hard goal, and then the score is the one of
:func:`misalign.area_scores`, to the last bit.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .means import MEANS, WEIGHT_MEANS, feature, harmonic_pair
from .score import combine_areas
from .validation import AREA_MEANS, MISSING, PAIRS, as_conflict_list, as_weights, check_option

__all__ = ["as_probabilities", "expected_area_scores", "expected_misalignment"]

# Rows of probabilities may miss summing to 1 by this much (rounding of shares).
SUM_TOLERANCE = 1e-9


def as_probabilities(probabilities, k: int, n: int, name: str) -> np.ndarray:
    """An area's goal distributions as an (n, k + 1) array whose column 0 is the null goal.

    Accepts (n, k + 1) rows that sum to 1, or (n, k) rows over the explicit
    goals that sum to at most 1 (the rest is the null goal).
    """
    arr = np.asarray(probabilities)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must hold probabilities (numbers in [0, 1]); got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] not in (k, k + 1):
        raise ValueError(f"{name} has shape {arr.shape}; expected ({n}, {k + 1}) with the null goal in column 0, or "
                         f"({n}, {k}) over the area's {k} explicit goals")
    bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{name}[{i}, {j}] = {float(arr[i, j])!r}; expected a probability in [0, 1]")
    total = arr.sum(axis=1)
    if arr.shape[1] == k + 1:
        off = np.abs(total - 1) > SUM_TOLERANCE
        if off.any():
            i = int(np.argmax(off))
            raise ValueError(f"{name}[{i}] sums to {float(total[i]):.10g}; expected the probabilities of the null goal and the "
                             f"{k} goals of an agent to sum to 1")
        return arr
    over = total > 1 + SUM_TOLERANCE
    if over.any():
        i = int(np.argmax(over))
        raise ValueError(f"{name}[{i}] sums to {float(total[i]):.10g}; expected at most 1 over the explicit goals (the rest "
                         "is the null goal)")
    return np.concatenate([np.clip(1 - total, 0, None)[:, None], arr], axis=1)


def _one_hot(p: np.ndarray) -> np.ndarray | None:
    """The hard goals of one-hot rows, or None if any row is not one-hot."""
    if not np.isin(p, (0.0, 1.0)).all() or not (p.sum(axis=1) == 1).all():
        return None
    return p.argmax(axis=1)


def _self_terms(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    r""":math:`\pi_i^\top C \pi_i` for every agent."""
    return np.einsum("ig,gh,ih->i", p, c, p)


def _goal_sums(p: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-goal sums of p[i, g] * values[i], in the engine's fixed order (agents within chunks, then chunks)."""
    n, k1 = p.shape
    total = None
    for lo in range(0, max(n, 1), engine.CHUNK):
        block = p[lo:lo + engine.CHUNK] * values[lo:lo + engine.CHUNK, None]
        part = np.bincount(np.tile(np.arange(k1), block.shape[0]), weights=block.ravel(), minlength=k1)
        total = part if total is None else total + part
    return total


def expected_pair_sum(p: np.ndarray, w: np.ndarray, c: np.ndarray, weight_mean: str) -> float:
    r""":math:`\sum_{i \ne j} \bar w(w_i, w_j)\, \pi_i^\top C \pi_j` for one area (``c`` padded)."""
    mean = MEANS[weight_mean]
    if mean.factorized:
        sums = {name: _goal_sums(p, feature(name, w))[None] for name in mean.features}
        total = float(engine.factorized_pair_sums(weight_mean, sums, c)[0])
        q = _self_terms(p, c)
        for coef, left, right in mean.merged_terms():
            total -= coef * float(np.sum(feature(left, w) * feature(right, w) * q))
        return total
    if mean.route == "harmonic":
        weights, inverse = np.unique(w, return_inverse=True)
        mass = np.zeros((weights.size, p.shape[1]))
        np.add.at(mass, inverse.ravel(), p)
        h = harmonic_pair(weights[:, None], weights[None, :])
        total = float(np.einsum("ug,gh,vh,uv->", mass, c, mass, h))
        return total - float(np.sum(harmonic_pair(w, w) * _self_terms(p, c)))
    order = np.argsort(w, kind="stable")
    ps, ws = p[order], w[order]
    after = np.cumsum(ps[::-1], axis=0)[::-1] - ps  # the distributions of the agents after each one
    low = 2.0 * float(np.sum(ws * np.einsum("ig,gh,ih->i", ps, c, after)))
    if mean.route == "min":
        return low
    return 2.0 * expected_pair_sum(p, w, c, "arithmetic") - low  # max(a, b) = a + b - min(a, b)


def expected_area_scores(probabilities, weights, conflicts, *, pairs="distinct", weight_mean="geometric",
                         normalize=False, missing="g0") -> np.ndarray:
    r"""The expected score of every area when each agent holds each goal with a probability.

    .. math::

        E\,\Pr(0 \mid \mathcal{A}, p) = \frac{1}{|\Pi|} \sum_{i \ne j}
            \bar w(w_i, w_j)\; \pi_i^\top C_p \pi_j

    Parameters
    ----------
    probabilities : sequence of array_like
        One array per area: (n, k + 1) distributions over the null goal
        (column 0) and the area's k goals, each row summing to 1; or (n, k)
        over the explicit goals, each row summing to at most 1 (the rest is the
        null goal).
    weights : array_like of float, shape (n, n_areas)
        The importance each agent gives each area, in [0, 1].
    conflicts : sequence of array_like
        One (k_j, k_j) conflict matrix per area.
    pairs, weight_mean, normalize
        As in :func:`misalign.area_misalignment`.
    missing : {"g0", "exclude"}
        With ``"exclude"``, an agent whose null-goal probability is 1 is left
        out of the area's population; every other agent must then have
        null-goal probability 0 (a random population size has no exact
        factorization).

    Returns
    -------
    numpy.ndarray, shape (n_areas,)
        Exactly the expectation over independent draws of every agent's goal,
        computed without sampling; equal to :func:`misalign.area_scores` for
        one-hot distributions.

    Raises
    ------
    ValueError
        For probabilities outside [0, 1], rows that do not sum as described,
        shapes that do not match, and as :func:`misalign.area_scores`.

    See Also
    --------
    expected_misalignment : combined over areas.

    Examples
    --------
    Two agents, one area of two goals in full conflict: one holds goal 1, the
    other goal 1 or 2 with probability 1/2 each, so they conflict half the time.

    >>> import numpy as np
    >>> p = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5]])
    >>> expected_area_scores([p], np.ones((2, 1)), [[[0, 1], [1, 0]]]).tolist()
    [0.5]
    """
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    check_option("missing", missing, MISSING)
    w_all = as_weights(weights, "weights", ndim=2)
    n, m = w_all.shape
    cs = as_conflict_list(conflicts, m)
    try:
        items = list(probabilities)
    except TypeError:
        raise ValueError("probabilities must be a sequence of one (n, k + 1) array per area; "
                         f"got {type(probabilities).__name__}") from None
    if len(items) != m:
        raise ValueError(f"probabilities has {len(items)} arrays but there are {m} areas; expected one per area")
    out = np.empty(m)
    for j, c in enumerate(cs):
        if c.ndim != 2:
            raise ValueError(f"conflicts[{j}] must be a single k x k matrix; got shape {c.shape}")
        k = c.shape[0]
        p = as_probabilities(items[j], k, n, f"probabilities[{j}]")
        w = w_all[:, j]
        if missing == "exclude":
            partial = (p[:, 0] > 0) & (p[:, 0] < 1)
            if partial.any():
                i = int(np.argmax(partial))
                raise ValueError(f"probabilities[{j}][{i}, 0] = {float(p[i, 0]):.10g}; with missing='exclude' an agent either "
                                 "answered (null-goal probability 0) or did not (1)")
            keep = p[:, 0] == 0
            p, w = p[keep], w[keep]
        size = p.shape[0]
        hard = _one_hot(p)
        if hard is not None:  # hard goals: the score of area_scores itself
            pair_sum = engine.ordered_pair_sums(hard[None], w[None], c, weight_mean)[0]
        else:
            pair_sum = expected_pair_sum(p, w, engine.padded(c), weight_mean)
        out[j] = float(engine.scale(np.array([pair_sum]), size, c, pairs, normalize)[0])
    return out


def expected_misalignment(probabilities, weights, conflicts, *, pairs="distinct", weight_mean="geometric",
                          area_mean="arithmetic", normalize=False, missing="g0") -> float:
    """The expected population score when goals are uncertain: :func:`expected_area_scores` combined over areas.

    See Also
    --------
    expected_area_scores, misalign.combine_areas
    """
    check_option("area_mean", area_mean, AREA_MEANS)
    scores = expected_area_scores(probabilities, weights, conflicts, pairs=pairs, weight_mean=weight_mean,
                                  normalize=normalize, missing=missing)
    return combine_areas(scores, area_mean)
