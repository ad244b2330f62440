"""Closed forms of appendices B and D against exhaustive enumeration and hand values."""

import itertools

import numpy as np
import pytest

import misalign
from misalign import theory
from misalign.simulation.samplers import constant_conflict


@pytest.mark.parametrize("sizes", [[3, 1], [2, 2, 2], [5, 0, 1], [1], [0, 0], [4, 3, 2, 1]])
@pytest.mark.parametrize("pairs", ["distinct", "with_replacement"])
@pytest.mark.parametrize("null", [0, 3])
def test_theorem2_equals_model(sizes, pairs, null):
    k = len(sizes)
    goals = np.concatenate([np.zeros(null, int), np.repeat(np.arange(1, k + 1), sizes)])
    expected = misalign.area_misalignment(goals, np.ones(goals.size), constant_conflict(k), pairs=pairs)
    assert theory.exclusive_goals_misalignment(sizes, null_size=null, pairs=pairs) == pytest.approx(expected)


def test_theorem2_as_printed_counts_g0_as_a_goal():
    # by hand: groups (null 2, goal 1: 1, goal 2: 1), all 3 groups pairwise "in conflict": 2*(2*1 + 2*1 + 1*1) / 16
    assert theory.exclusive_goals_misalignment([1, 1], null_size=2, pairs="with_replacement",
                                               null_conflicts=True) == pytest.approx(10 / 16)
    # the model's reading: only the goal-1/goal-2 pair conflicts: 2*1*1 / 16
    assert theory.exclusive_goals_misalignment([1, 1], null_size=2, pairs="with_replacement") == pytest.approx(2 / 16)


def test_gini_impurity_and_bound_by_hand():
    assert theory.gini_impurity([1.0]) == 0.0
    assert theory.gini_impurity([0.25] * 4) == pytest.approx(0.75)
    assert theory.misalignment_upper_bound(1) == 0.0
    assert theory.misalignment_upper_bound(5) == pytest.approx(0.8)


@pytest.mark.parametrize("n, k", [(2, 2), (3, 3), (4, 3), (5, 2), (6, 3), (7, 4)])
def test_max_exclusive_is_the_max_over_all_splits(n, k):
    # exhaustive: every way to split n agents over k goals
    best = {p: 0.0 for p in ("distinct", "with_replacement")}
    for split in itertools.product(range(n + 1), repeat=k):
        if sum(split) == n:
            for p in best:
                best[p] = max(best[p], theory.exclusive_goals_misalignment(list(split), pairs=p))
    for p, value in best.items():
        assert theory.max_exclusive_misalignment(n, k, pairs=p) == pytest.approx(value)
    assert best["with_replacement"] <= theory.misalignment_upper_bound(k) + 1e-15
    if n % k == 0:  # the distinct maximum exceeds the bound by n / (n - 1)
        assert best["distinct"] == pytest.approx(theory.misalignment_upper_bound(k) * n / (n - 1))


@pytest.mark.parametrize("n, k", [(2, 2), (3, 2), (3, 3), (4, 3)])
@pytest.mark.parametrize("pairs", ["distinct", "with_replacement"])
def test_expected_random_goals_by_enumeration(n, k, pairs):
    # the exact expectation: average the score over all k**n equally likely goal assignments
    rng = np.random.default_rng(n * 10 + k)
    c = misalign.simulation.samplers.random_conflict(rng, k)
    total = 0.0
    for assignment in itertools.product(range(1, k + 1), repeat=n):
        total += misalign.area_misalignment(np.array(assignment), np.ones(n), c, pairs=pairs)
    assert theory.expected_random_goals(n, c, pairs=pairs) == pytest.approx(total / k**n)


@pytest.mark.parametrize("call, match", [
    (lambda: theory.exclusive_goals_misalignment([1, -2]), r"group_sizes\[1\] = -2; expected a non-negative"),
    (lambda: theory.exclusive_goals_misalignment([1.5, 2]), r"group_sizes must be a 1-d array of integer"),
    (lambda: theory.exclusive_goals_misalignment([1, 2], pairs="all"), r"pairs='all' is not a valid option"),
    (lambda: theory.gini_impurity([0.5, 0.6]), r"proportions sum to 1.1"),
    (lambda: theory.gini_impurity([-0.5, 1.5]), r"expected finite non-negative shares"),
    (lambda: theory.misalignment_upper_bound(0), r"n_goals = 0; expected a positive integer"),
    (lambda: theory.max_exclusive_misalignment(-1, 2), r"n_agents = -1"),
    (lambda: theory.expected_random_goals(3, [[0, 1], [0.5, 0]]), r"not symmetric"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
