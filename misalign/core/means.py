r"""Weight means: each defined once, with the exact way its pair sum is computed.

The score weighs the conflict of two agents by a mean :math:`\bar w(a, b)` of
the importance each gives the area. Every mean is defined here, once, and in
one of two forms:

- **Factorized**: :math:`\bar w(a, b) = \sum_t \lambda_t\, l_t(a)\, r_t(b)`, a
  sum of products of a *feature* of one agent's weight and a feature of the
  other's. The features are ``"count"`` (1), ``"weight"`` (:math:`w`) and
  ``"sqrt"`` (:math:`\sqrt w`). Sums over pairs of agents then collapse into
  per-goal sums of features (see :mod:`misalign.core.engine`):

  .. math::

      \sum_{i \ne j} c(g_i, g_j)\, \bar w(w_i, w_j)
          = \sum_t \lambda_t\, L_t^\top C R_t, \qquad
      (L_t)_g = \sum_{i: g_i = g} l_t(w_i),\ (R_t)_g = \sum_{i: g_i = g} r_t(w_i).

  The geometric mean (the paper's :math:`\sqrt{ab}`) is one term
  :math:`\sqrt a \sqrt b`; the arithmetic mean two, :math:`\frac12 a \cdot 1 +
  \frac12 1 \cdot b`; ``"none"`` one, :math:`1 \cdot 1`.
- **Exact by another route**: the minimum (and the maximum, as
  :math:`a + b - \min(a, b)`) by one sort of the agents by weight, and the
  harmonic mean by pairing distinct (goal, weight) atoms. These live here too
  (:func:`min_against`, :func:`harmonic_against`).

Adding a weight mean is a change to this file: a :class:`WeightMean` entry in
:data:`MEANS` with its elementwise definition and either its factorization
(over the features of :data:`FEATURES`, adding a feature if it needs one) or an
exact route. Everything that scores populations reads the definition from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .validation import check_option

__all__ = [
    "WeightMean",
    "MEANS",
    "WEIGHT_MEANS",
    "FEATURES",
    "feature",
    "pair_weight",
    "harmonic_pair",
    "min_against",
    "harmonic_against",
    "ATOM_BLOCK",
    "harmonic_atom_count",
]

# Harmonic-mean atoms are paired in blocks of at most this many entries, which
# keeps memory near 32 MB whatever the population.
ATOM_BLOCK = 4_000_000

#: Functions of one agent's weight whose per-goal sums the factorized means need.
FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "count": np.ones_like,
    "weight": np.asarray,
    "sqrt": np.sqrt,
}


def feature(name: str, w) -> np.ndarray:
    """The feature ``name`` of weights ``w`` (see :data:`FEATURES`)."""
    return FEATURES[name](w)


def harmonic_pair(a, b) -> np.ndarray:
    r"""The harmonic mean :math:`2ab/(a + b)`, taken as 0 when :math:`a + b = 0`."""
    s = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, 2.0 * a * b / s, 0.0)


@dataclass(frozen=True)
class WeightMean:
    r"""One weight mean :math:`\bar w(a, b)`.

    Attributes
    ----------
    name : str
        The option value, e.g. ``"geometric"``.
    pair : callable
        The elementwise definition ``pair(a, b)`` on float arrays.
    terms : tuple of (float, str, str), optional
        The factorization :math:`\sum_t \lambda_t l_t(a) r_t(b)` as
        ``(lambda_t, l_t, r_t)`` with feature names of :data:`FEATURES`; None
        for a mean that does not factorize.
    route : {"factorized", "min", "max", "harmonic"}
        How pair sums are computed exactly.
    """

    name: str
    pair: Callable
    terms: tuple | None = None
    route: str = "factorized"

    @property
    def factorized(self) -> bool:
        return self.terms is not None

    @property
    def features(self) -> tuple[str, ...]:
        """The features whose per-goal sums a factorized mean needs, in a fixed order."""
        if self.terms is None:
            return ()
        names = {f for _, left, right in self.terms for f in (left, right)}
        return tuple(f for f in FEATURES if f in names)

    def merged_terms(self) -> tuple:
        """The terms with mirrored pairs merged, for sums over a symmetric conflict matrix.

        :math:`L^\top C R = R^\top C L` when :math:`C` is symmetric, so the terms
        ``(lambda, l, r)`` and ``(lambda, r, l)`` add up to ``(2 lambda, l, r)``.
        """
        merged: dict[tuple[str, str], float] = {}
        for coef, left, right in self.terms:
            key = (right, left) if (right, left) in merged else (left, right)
            merged[key] = merged.get(key, 0.0) + coef
        return tuple((coef, left, right) for (left, right), coef in merged.items())


#: Every weight mean, by its option name. The paper's is "geometric".
MEANS: dict[str, WeightMean] = {
    "geometric": WeightMean("geometric", lambda a, b: np.sqrt(a * b), ((1.0, "sqrt", "sqrt"),)),
    "arithmetic": WeightMean("arithmetic", lambda a, b: (a + b) / 2, ((0.5, "weight", "count"), (0.5, "count", "weight"))),
    "harmonic": WeightMean("harmonic", harmonic_pair, route="harmonic"),
    "min": WeightMean("min", np.minimum, route="min"),
    "max": WeightMean("max", np.maximum, route="max"),
    "none": WeightMean("none", lambda a, b: np.ones(np.broadcast(a, b).shape), ((1.0, "count", "count"),)),
}

#: The valid values of every ``weight_mean`` option.
WEIGHT_MEANS = tuple(MEANS)


def pair_weight(w1, w2, weight_mean: str = "geometric"):
    r"""The weight of a pair of agents, :math:`\bar w(w^1, w^2)`.

    ``"geometric"`` is the paper's :math:`\sqrt{w^1 w^2}`; ``"harmonic"`` is
    :math:`2 w^1 w^2 / (w^1 + w^2)`, taken as 0 when both weights are 0;
    ``"none"`` is 1.

    Parameters
    ----------
    w1, w2 : array_like of float
        Weights in [0, 1]; broadcast against each other.
    weight_mean : {"geometric", "arithmetic", "harmonic", "min", "max", "none"}

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        For an unknown ``weight_mean``.

    Examples
    --------
    >>> float(pair_weight(0.25, 1.0)), float(pair_weight(0.25, 1.0, "harmonic"))
    (0.5, 0.4)
    """
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    return MEANS[weight_mean].pair(np.asarray(w1, dtype=np.float64), np.asarray(w2, dtype=np.float64))


# --------------------------------------------------------------------------- exact routes

def _min_sorted(query_goal, partner_goal, w, c):
    r"""Core of the minimum: entries sorted by weight, each a query, a partner or both.

    The partners met before a query are the lighter ones and contribute their
    own weight; the rest contribute the query's weight. Ties give the same
    minimum either way, so their order does not matter. ``partner_goal`` is 0
    for entries that are not partners; queries with goal 0 get 0.
    """
    acc = np.zeros(w.size)
    present = np.flatnonzero(np.bincount(partner_goal, minlength=c.shape[0])[1:]) + 1
    for h in present:
        coef = c[query_goal, h]
        if not coef.any():
            continue
        holds_h = partner_goal == h
        before = np.cumsum(holds_h) - holds_h
        held_w = np.where(holds_h, w, 0.0)
        lighter_sum = np.cumsum(held_w) - held_w
        acc += coef * (lighter_sum + w * (before[-1] + holds_h[-1] - before))
    return acc


def min_against(qg, qw, pg, pw, c, *, order=None, partner=None) -> np.ndarray:
    r"""Per query agent, :math:`\sum_j c(g_q, g_j) \min(w_q, w_j)` over the partners.

    Parameters
    ----------
    qg, qw : numpy.ndarray
        Goals and weights of the query agents.
    pg, pw : numpy.ndarray
        Goals and weights of the partners; ignored when ``partner`` is given.
    c : numpy.ndarray
        The padded conflict matrix (row and column 0 for the null goal).
    order : numpy.ndarray, optional
        With ``partner``: the query agents sorted by weight (shared by calls on
        one area, which saves the sort).
    partner : numpy.ndarray of bool, optional
        The partners are the query agents where this mask is True (all of them
        if the mask is all True); one sort serves both roles.

    Notes
    -----
    One stable sort by weight, then for each goal :math:`h` a cumulative sum:
    :math:`O(n k + n \log n)`. A query agent that is also a partner pairs with
    itself at no cost, since :math:`c(g, g) = 0`.
    """
    if partner is not None:
        order = np.argsort(qw) if order is None else order
        out = np.empty(qg.size)
        partner_goal = np.where(partner, qg, 0)
        out[order] = _min_sorted(qg[order], partner_goal[order], qw[order], c)
        return out
    nq = qg.size
    all_w = np.concatenate([qw, pw])
    order = np.argsort(all_w)
    query_goal = np.concatenate([qg, np.zeros(pg.size, np.int64)])[order]
    partner_goal = np.concatenate([np.zeros(nq, np.int64), pg])[order]
    out = np.empty(all_w.size)
    out[order] = _min_sorted(query_goal, partner_goal, all_w[order], c)
    return out[:nq]


def _atoms(goals, weights, mass=None):
    """Distinct (goal, weight) atoms of the agents that hold a goal: goals, weights, masses, inverse."""
    held = goals != 0
    atoms, inverse, count = np.unique(np.stack([goals[held].astype(np.float64), weights[held]]), axis=1,
                                      return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    if mass is None:
        m = count.astype(np.float64)
    else:
        m = np.bincount(inverse, weights=mass[held], minlength=atoms.shape[1])
    return atoms[0].astype(np.int64), atoms[1], m, held, inverse


def harmonic_against(qg, qw, pg, pw, c, *, partner_mass=None, progress=None) -> np.ndarray:
    r"""Per query agent, :math:`\sum_j c(g_q, g_j)\, \frac{2 w_q w_j}{w_q + w_j}` over the partners.

    The harmonic mean does not factorize. Collapsing agents that share both
    goal and weight into atoms makes the cost quadratic in the number of
    distinct (goal, weight) atoms rather than in the number of agents (they
    coincide for continuous weights); atoms are paired in blocks of at most
    :data:`ATOM_BLOCK` entries. ``partner_mass`` counts each partner that many
    times; ``progress``, if given, is called with the number of query atoms
    done after each block.
    """
    out = np.zeros(qg.size)
    if not (qg != 0).any() or not (pg != 0).any():
        return out
    ag, aw, _, q_held, q_inv = _atoms(qg, qw)
    bg, bw, bm, _, _ = _atoms(pg, pw, partner_mass)
    per_atom = np.empty(ag.size)
    step = max(1, ATOM_BLOCK // max(1, bg.size))
    for lo in range(0, ag.size, step):
        hi = min(ag.size, lo + step)
        block = c[ag[lo:hi, None], bg[None, :]] * harmonic_pair(aw[lo:hi, None], bw[None, :])
        per_atom[lo:hi] = block @ bm
        if progress is not None:
            progress(hi - lo)
    out[q_held] = per_atom[q_inv]
    return out


def harmonic_atom_count(goals, weights) -> int:
    """How many distinct (goal, weight) atoms the harmonic route pairs (its cost is this squared)."""
    held = goals != 0
    if not held.any():
        return 0
    return int(np.unique(np.stack([goals[held].astype(np.float64), weights[held]]), axis=1).shape[1])
