r"""Populations given by their distributions: kinds of agents, each with goal and weight distributions.

A :class:`KindMixture` describes a population the way a survey's sampling frame
would: kinds of agents in given shares (humans and AI agents, say), and for
each kind and area a distribution over the area's goals (the null goal first)
and a Beta distribution of weights. It draws samples of agents, and it knows its
population value exactly: the expected weighted conflict between two agents
drawn independently,

.. math::

    \theta = \frac{1}{m} \sum_p \sum_{A, B} s_A s_B\, \pi_{A,p}^\top C_p \pi_{B,p}
        \sum_t \lambda_t\, E[l_t(w_{A,p})]\, E[r_t(w_{B,p})]

for a factorized weight mean :math:`\bar w(a, b) = \sum_t \lambda_t l_t(a) r_t(b)`
(:mod:`misalign.core.means`), with the Beta moments
:math:`E[w] = a/(a+b)` and :math:`E[\sqrt w] = B(a + \frac12, b)/B(a, b)`.
This is the target of the score's confidence intervals, so samples from a
mixture check their coverage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.means import MEANS
from ..core.validation import as_conflict_list, check_option

__all__ = ["KindMixture"]


def _beta_moment(feature: str, a: float, b: float) -> float:
    """E f(w) for w ~ Beta(a, b) and a feature of :data:`misalign.core.means.FEATURES`."""
    if feature == "count":
        return 1.0
    if feature == "weight":
        return a / (a + b)
    if feature == "sqrt":
        return math.exp(math.lgamma(a + 0.5) + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(a + b + 0.5))
    raise ValueError(f"no Beta moment for the feature {feature!r}")


@dataclass(frozen=True)
class KindMixture:
    """Kinds of agents in given shares, each with goal distributions and Beta weights per area.

    Attributes
    ----------
    shares : dict
        ``{kind: share}``, shares summing to 1.
    goal_probabilities : dict
        ``{kind: [p_area_0, p_area_1, ...]}``: per area, probabilities of the
        null goal and the area's k goals (k + 1 numbers summing to 1).
    weight_beta : dict
        ``{kind: [(a, b) per area]}``: Beta parameters of the weights.
    """

    shares: dict
    goal_probabilities: dict
    weight_beta: dict

    def __post_init__(self):
        kinds = list(self.shares)
        if set(self.goal_probabilities) != set(kinds) or set(self.weight_beta) != set(kinds):
            raise ValueError(f"shares, goal_probabilities and weight_beta must name the same kinds; got {kinds}, "
                             f"{list(self.goal_probabilities)} and {list(self.weight_beta)}")
        total = sum(self.shares.values())
        if any(s < 0 for s in self.shares.values()) or abs(total - 1) > 1e-9:
            raise ValueError(f"shares = {self.shares!r}; expected non-negative shares summing to 1")
        m = {len(v) for v in self.goal_probabilities.values()} | {len(v) for v in self.weight_beta.values()}
        if len(m) != 1:
            raise ValueError("every kind must give goal probabilities and Beta weights for the same areas")
        for kind, areas in self.goal_probabilities.items():
            for j, p in enumerate(areas):
                p = np.asarray(p, dtype=float)
                if (p < 0).any() or abs(p.sum() - 1) > 1e-9:
                    raise ValueError(f"goal_probabilities[{kind!r}][{j}] = {p.tolist()}; expected probabilities of "
                                     "the null goal and each goal, summing to 1")
        for kind, areas in self.weight_beta.items():
            for j, (a, b) in enumerate(areas):
                if not (a > 0 and b > 0):
                    raise ValueError(f"weight_beta[{kind!r}][{j}] = {(a, b)!r}; expected positive Beta parameters")

    @property
    def kinds(self) -> list:
        return list(self.shares)

    @property
    def n_areas(self) -> int:
        return len(next(iter(self.goal_probabilities.values())))

    def sample(self, rng: np.random.Generator, n: int):
        """``n`` agents drawn independently: (kinds (n,), goals (n, m), weights (n, m))."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng = {rng!r}; expected a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
        kinds = self.kinds
        which = rng.choice(len(kinds), size=n, p=[self.shares[k] for k in kinds])
        m = self.n_areas
        goals = np.zeros((n, m), np.int64)
        weights = np.zeros((n, m))
        for i, kind in enumerate(kinds):
            mask = which == i
            for j in range(m):
                p = np.asarray(self.goal_probabilities[kind][j], dtype=float)
                goals[mask, j] = rng.choice(p.size, size=int(mask.sum()), p=p)
                a, b = self.weight_beta[kind][j]
                weights[mask, j] = rng.beta(a, b, size=int(mask.sum()))
        return np.array(kinds, dtype=object)[which], goals, weights

    def theta(self, conflicts, weight_mean: str = "geometric") -> float:
        r"""The population value: expected weighted conflict of two independent draws (arithmetic area mean).

        Exact for the factorized weight means (geometric, arithmetic, none),
        from the Beta moments of each term's features.
        """
        check_option("weight_mean", weight_mean, tuple(k for k, v in MEANS.items() if v.factorized))
        cs = as_conflict_list(conflicts, self.n_areas)
        total = 0.0
        for j, c in enumerate(cs):
            cp = np.pad(c, [(1, 0), (1, 0)])
            for a in self.kinds:
                for b in self.kinds:
                    pa = np.asarray(self.goal_probabilities[a][j], dtype=float)
                    pb = np.asarray(self.goal_probabilities[b][j], dtype=float)
                    pair = float(pa @ cp @ pb)
                    mean = sum(coef * _beta_moment(left, *self.weight_beta[a][j])
                               * _beta_moment(right, *self.weight_beta[b][j])
                               for coef, left, right in MEANS[weight_mean].terms)
                    total += self.shares[a] * self.shares[b] * pair * mean
        return total / len(cs)
