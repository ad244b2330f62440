"""Populations given by their distributions: samples, and the population value the intervals aim at."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import beta as beta_function

import misalign
from misalign.simulation.populations import KindMixture

NEWS = np.array([[0, 0.8, 0.2], [0.8, 0, 0.6], [0.2, 0.6, 0]])
PRIVACY = np.array([[0, 1.0], [1.0, 0]])
MIX = KindMixture(shares={"human": 0.7, "AI": 0.3},
                  goal_probabilities={"human": [[0.0, 0.6, 0.2, 0.2], [0.1, 0.8, 0.1]],
                                      "AI": [[0.0, 0.2, 0.8, 0.0], [0.0, 0.3, 0.7]]},
                  weight_beta={"human": [(2.0, 2.0), (3.0, 2.0)], "AI": [(8.0, 2.0), (8.0, 2.0)]})


def _theta_by_hand(mix, conflicts):
    """The geometric-mean population value written out with scipy's Beta function (independent of the module)."""
    total = 0.0
    for j, c in enumerate(conflicts):
        cp = np.pad(c, [(1, 0), (1, 0)])
        for a in mix.kinds:
            for b in mix.kinds:
                (xa, ya), (xb, yb) = mix.weight_beta[a][j], mix.weight_beta[b][j]
                e_a = beta_function(xa + 0.5, ya) / beta_function(xa, ya)
                e_b = beta_function(xb + 0.5, yb) / beta_function(xb, yb)
                pa, pb = np.array(mix.goal_probabilities[a][j]), np.array(mix.goal_probabilities[b][j])
                total += mix.shares[a] * mix.shares[b] * (pa @ cp @ pb) * e_a * e_b
    return total / len(conflicts)


def test_theta_against_scipy_beta_moments():
    assert math.isclose(MIX.theta([NEWS, PRIVACY]), _theta_by_hand(MIX, [NEWS, PRIVACY]), rel_tol=1e-12)


def test_the_score_of_samples_is_unbiased_for_theta():
    # U is unbiased for theta: the mean of 400 samples of 300 agents is within 4 standard errors of it
    rng = np.random.default_rng(0)
    scores = []
    for _ in range(400):
        _, g, w = MIX.sample(rng, 300)
        scores.append(misalign.misalignment(g, w, [NEWS, PRIVACY]))
    se = np.std(scores) / math.sqrt(len(scores))
    assert abs(np.mean(scores) - MIX.theta([NEWS, PRIVACY])) < 4 * se


@pytest.mark.parametrize("weight_mean", ["arithmetic", "none"])
def test_other_factorized_means(weight_mean):
    rng = np.random.default_rng(1)
    scores = [misalign.misalignment(*MIX.sample(rng, 300)[1:], [NEWS, PRIVACY], weight_mean=weight_mean)
              for _ in range(300)]
    se = np.std(scores) / math.sqrt(len(scores))
    assert abs(np.mean(scores) - MIX.theta([NEWS, PRIVACY], weight_mean)) < 4 * se


def test_bad_mixtures_are_named():
    with pytest.raises(ValueError, match=r"shares = .*summing to 1"):
        KindMixture({"a": 0.5}, {"a": [[0, 1]]}, {"a": [(1, 1)]})
    with pytest.raises(ValueError, match=r"goal_probabilities\['a'\]\[0\] = \[0.5, 0.2\]"):
        KindMixture({"a": 1.0}, {"a": [[0.5, 0.2]]}, {"a": [(1, 1)]})
    with pytest.raises(ValueError, match=r"weight_beta\['a'\]\[0\] = \(0, 1\)"):
        KindMixture({"a": 1.0}, {"a": [[0, 1]]}, {"a": [(0, 1)]})
    with pytest.raises(ValueError, match=r"weight_mean='min' is not a valid option"):
        MIX.theta([NEWS, PRIVACY], "min")
