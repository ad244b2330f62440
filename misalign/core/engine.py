r"""The pair-sum engine: every sum over pairs of agents is computed here, from per-goal sums.

An area's score is a mean over pairs of agents of :math:`c(g_i, g_j)\, \bar w(w_i,
w_j)`. Because :math:`c(g, g) = 0`, agents sharing a goal contribute nothing to
each other, so the sum over pairs collapses into a sum over pairs of goal groups.
For a factorized weight mean (:mod:`misalign.core.means`)

.. math::

    \sum_{i \ne j} c(g_i, g_j)\, \bar w(w_i, w_j) = \sum_t \lambda_t\, L_t^\top C R_t,

with :math:`L_t, R_t` the per-goal sums of the mean's features. This module
holds, once each:

- :func:`goal_sums`, the per-goal sums, added in one **fixed order**: agent by
  agent within chunks of :data:`CHUNK` agents, then chunk total by chunk total.
  The compiled kernel (:mod:`misalign.core.kernels`, used through
  :func:`kernel_goal_sums`) follows the same order on any number of threads, so
  both give the same sums to the last bit;
- :func:`quadratic`, the factorized pair sum :math:`L^\top C R` (the one place
  it is written in numpy), and :func:`factorized_pair_sums` over a mean's terms;
- :func:`ordered_pair_sums`, every weight mean's pair sum of a population,
  through the factorization or the exact route of :mod:`misalign.core.means`;
- :func:`against`, the same sum per query agent over a set of partners (the
  building block of decompositions and variances);
- :func:`pair_count` (:math:`n(n-1)` or :math:`n^2`), :func:`norm_factor` and
  :func:`scale`, which turn a pair sum into a score.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..util import PerformanceWarning, Progress
from .maximum import max_area_score
from .means import MEANS, feature, harmonic_against, harmonic_atom_count, min_against
from .validation import check_normalize

__all__ = [
    "CHUNK",
    "KERNEL_MIN_ENTRIES",
    "padded",
    "goal_sums",
    "feature_sums",
    "quadratic",
    "factorized_pair_sums",
    "ordered_pair_sums",
    "against",
    "pair_count",
    "norm_factor",
    "scale",
    "kernel_goal_sums",
]

#: Agents per chunk of the fixed summation order (a population of at most this
#: many agents is summed purely in agent order).
CHUNK = 2**16

#: Pair terms of the exact harmonic route above which a PerformanceWarning says
#: up front how long it will take (about 2 seconds of work), and progress is shown.
SLOW_PAIR_TERMS = 2 * 10**8
# Measured cost of one pair term of the harmonic route (seconds), for the estimate.
_SECONDS_PER_TERM = 1e-8

#: Populations with at least this many goal entries (runs x agents x areas) take
#: the compiled path once the kernel is loaded in this process; below it, numpy is as fast.
KERNEL_MIN_ENTRIES = 2**20
#: Before the kernel is loaded, only populations this large take it. Its first use
#: in a process costs about 0.7 s (numba's import, 0.25 s, and loading the cached
#: kernel, 0.4 s; about 2 s when numba must compile it); from about 4.4 x 10^7
#: entries on, its saving (16 ns an entry against numpy's 17.5 ns on 2 cores)
#: pays for that (measured on 3 areas, geometric mean; benchmarks part 5).
KERNEL_COLD_ENTRIES = 3 * 2**24


def padded(conflict: np.ndarray) -> np.ndarray:
    """Add the null goal g0 as row and column 0; it conflicts with nothing."""
    pad = [(0, 0)] * (conflict.ndim - 2) + [(1, 0), (1, 0)]
    return np.pad(conflict, pad)


def goal_sums(goals: np.ndarray, values: np.ndarray | None, k: int) -> np.ndarray:
    """Per-run sums of ``values`` (or counts) by goal id 0..k: shape (runs, k + 1).

    ``goals`` and ``values`` have shape (runs, n). Values are added agent by
    agent within chunks of :data:`CHUNK` agents, then chunk by chunk: the
    order the compiled kernel follows too. Counts are exact in any order.
    """
    runs, n = goals.shape
    offsets = (k + 1) * np.arange(runs)[:, None]
    if values is None:  # integer counts are exact in any order
        counts = np.bincount((goals + offsets).ravel(), minlength=runs * (k + 1))
        return counts.reshape(runs, k + 1).astype(np.float64)
    total = None
    for lo in range(0, max(n, 1), CHUNK):
        idx = goals[:, lo:lo + CHUNK] + offsets
        part = np.bincount(idx.ravel(), weights=values[:, lo:lo + CHUNK].ravel(), minlength=runs * (k + 1))
        total = part if total is None else total + part
    return total.reshape(runs, k + 1)


def feature_sums(goals: np.ndarray, weights: np.ndarray, k: int, names, mass: np.ndarray | None = None) -> dict:
    """Per-goal sums of each feature in ``names``: ``{name: (runs, k + 1)}``.

    ``mass`` (same shape as ``goals``), if given, multiplies every agent's
    features: a bootstrap count or a design weight. Without it, ``"count"``
    sums are exact integer counts.
    """
    out = {}
    for name in names:
        if name == "count" and mass is None:
            out[name] = goal_sums(goals, None, k)
        else:
            values = feature(name, weights)
            out[name] = goal_sums(goals, values if mass is None else values * mass, k)
    return out


def quadratic(left: np.ndarray, c: np.ndarray, right: np.ndarray) -> np.ndarray:
    r"""The factorized pair sum :math:`L^\top C R`, over any leading axes.

    ``left`` and ``right`` have shape (..., k + 1); ``c`` is (k + 1, k + 1), or
    (runs, k + 1, k + 1) with one matrix per run (then ``left`` and ``right``
    are (runs, k + 1)). Returns shape (...).
    """
    if c.ndim == 2:
        return np.einsum("...g,gh,...h->...", left, c, right)
    return np.einsum("rg,rgh,rh->r", left, c, right)


def factorized_pair_sums(weight_mean: str, sums: dict, c: np.ndarray) -> np.ndarray:
    r"""Sum over ordered pairs of distinct agents, :math:`\sum_t \lambda_t L_t^\top C R_t`.

    ``sums`` maps each feature of the mean to its per-goal sums; ``c`` is the
    padded conflict matrix. Mirrored terms are merged (``C`` is symmetric).
    """
    total = None
    for coef, left, right in MEANS[weight_mean].merged_terms():
        part = quadratic(sums[left], c, sums[right])
        if coef != 1.0:
            part = coef * part
        total = part if total is None else total + part
    return total


def against(qg, qw, pg, pw, c, weight_mean: str, *, partner=None, order=None) -> np.ndarray:
    r"""Per query agent :math:`q`, :math:`\sum_j c(g_q, g_j)\, \bar w(w_q, w_j)` over partners ``pg, pw``.

    ``c`` is padded (row and column 0 for the null goal). A query agent that is
    also a partner pairs with itself at no cost, since :math:`c(g, g) = 0`.
    With ``partner`` (a boolean mask over the query agents), the partners are
    those query agents (``pg``, ``pw`` are then ignored) and ``order`` may give
    the query agents sorted by weight, shared by calls on one area.

    Cost: :math:`O(n + k^2)` for the factorized means, one sort and
    :math:`O(nk)` for the minimum and maximum, quadratic in the distinct
    (goal, weight) atoms for the harmonic mean.
    """
    if partner is not None:
        pg, pw = qg[partner], qw[partner]
    mean = MEANS[weight_mean]
    k1 = c.shape[0]
    if mean.factorized:
        out = np.zeros(qg.size)
        for coef, left, right in mean.terms:
            r_sums = np.bincount(pg, weights=feature(right, pw), minlength=k1)
            out += coef * feature(left, qw) * (c @ r_sums)[qg]
        return out
    if mean.route == "harmonic":
        return _harmonic(qg, qw, pg, pw, c)
    if partner is not None:
        low = min_against(qg, qw, None, None, c, order=order, partner=partner)
    else:
        low = min_against(qg, qw, pg, pw, c)
    if mean.route == "min":
        return low
    # max(a, b) = a + b - min(a, b)
    counts = np.bincount(pg, minlength=k1).astype(np.float64)
    sums = np.bincount(pg, weights=pw, minlength=k1)
    return qw * (c @ counts)[qg] + (c @ sums)[qg] - low


def _harmonic(qg, qw, pg, pw, c) -> np.ndarray:
    """The harmonic route, saying up front when it will be slow and showing progress then."""
    na, nb = harmonic_atom_count(qg, qw), harmonic_atom_count(pg, pw)
    terms = na * nb
    if terms <= SLOW_PAIR_TERMS:
        return harmonic_against(qg, qw, pg, pw, c)
    warnings.warn(
        f"the exact harmonic weight mean pairs {na:,} distinct (goal, weight) values with {nb:,}: {terms:.2g} pair "
        f"terms, roughly {terms * _SECONDS_PER_TERM:,.0f} s; the geometric, arithmetic and minimum means take "
        "O(n log n) or less, and rounding the weights (e.g. to 0.01) makes the harmonic one fast",
        PerformanceWarning, stacklevel=4)
    with Progress(na, "harmonic weight mean") as bar:
        return harmonic_against(qg, qw, pg, pw, c, progress=bar.update)


def ordered_pair_sums(goals: np.ndarray, weights: np.ndarray, conflict: np.ndarray, weight_mean: str) -> np.ndarray:
    """Sum over ordered pairs of distinct agents of c * weight mean, per run.

    ``goals`` and ``weights`` have shape (runs, n); ``conflict`` is the
    unpadded (k, k) matrix, or (runs, k, k).
    """
    k = conflict.shape[-1]
    c = padded(conflict)
    mean = MEANS[weight_mean]
    if mean.factorized:
        return factorized_pair_sums(weight_mean, feature_sums(goals, weights, k, mean.features), c)
    runs = goals.shape[0]
    out = np.empty(runs)
    for r in range(runs):
        cr = c if c.ndim == 2 else c[r]
        g, w = goals[r], weights[r]
        per_agent = against(g, w, g, w, cr, weight_mean, partner=np.ones(g.size, bool))
        out[r] = per_agent.sum()
    return out


def pair_count(n, pairs: str):
    """The number of pairs a score averages over: :math:`n(n-1)` ordered distinct pairs, or :math:`n^2`."""
    return n * (n - 1) if pairs == "distinct" else n * n


def norm_factor(conflict, normalize) -> float:
    r"""The factor ``normalize`` rescales an area's score by.

    ``conflict`` is the area's (k, k) conflict matrix, or just its number of
    goals k when ``normalize`` is not ``"max"``. ``"goals"`` (or True) is Jang
    et al.'s :math:`k/(k-1)` (0 for an area with one goal); ``"max"`` is
    :math:`1/M(C)` with :math:`M(C) = \max_p p^\top C p` the largest score
    the matrix allows (:func:`misalign.core.maximum.max_area_score`; 0 if
    nothing conflicts); False or None is 1.
    """
    mode = check_normalize(normalize)
    if not mode:
        return 1.0
    if mode == "goals":
        k = conflict if isinstance(conflict, (int, np.integer)) else np.shape(conflict)[-1]
        return k / (k - 1) if k > 1 else 0.0
    if isinstance(conflict, (int, np.integer)):
        raise ValueError("normalize='max' needs the area's conflict matrix, not only its number of goals")
    c = np.asarray(conflict)
    if c.ndim == 3:  # one matrix per run: the factor of each
        return np.array([norm_factor(m, "max") for m in c])
    value = max_area_score(c)[0]
    return 1.0 / value if value > 0 else 0.0


def scale(pair_sums: np.ndarray, n, conflict, pairs: str, normalize) -> np.ndarray:
    """Scores from pair sums: divide by the number of pairs, then normalize; 0 for fewer than 2 agents.

    ``n`` is the population size, or an array of sizes matching ``pair_sums``
    (one per run, when each run's population differs). ``conflict`` is the
    area's conflict matrix (or its number of goals, see :func:`norm_factor`).
    """
    if np.ndim(n):
        n = np.asarray(n, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(n >= 2, pair_sums / pair_count(n, pairs), 0.0)
    elif n < 2:
        return np.zeros_like(pair_sums)
    else:
        score = pair_sums / pair_count(n, pairs)
    if normalize:
        score = score * norm_factor(conflict, normalize)
    return score


def kernel_goal_sums(goals: np.ndarray, weights: np.ndarray, ks: np.ndarray, weight_mean: str):
    """Per-goal feature sums of a large population through the compiled kernel, or None.

    ``goals`` (any native integer dtype) and ``weights`` (float64) are
    C-contiguous arrays (runs, n, areas). Returns ``{feature: (runs, areas,
    max(ks) + 1)}`` for the mean's features, in the fixed order of
    :func:`goal_sums`; None if the kernel does not cover the mean, numba is not
    installed, or any entry is invalid (the caller then takes the numpy path,
    which reports the first bad entry).
    """
    from . import kernels

    features = MEANS[weight_mean].features
    if not kernels.covers(features) or not kernels.available():
        return None
    if not kernels.loaded() and goals.size < KERNEL_COLD_ENTRIES:
        return None
    return kernels.group_sums(goals, weights, ks, features, CHUNK)
