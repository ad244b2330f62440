"""normalize="max": the largest score a conflict matrix allows, checked against a brute-force search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import misalign
from misalign.core.maximum import MAX_EXACT_GOALS, max_area_score


def _grid_maximum(c, steps):
    """max of p'Cp over the simplex points with coordinates in multiples of 1/steps (brute force)."""
    k = len(c)
    best = 0.0
    for counts in itertools.product(range(steps + 1), repeat=k - 1):
        if sum(counts) > steps:
            continue
        p = np.array([*counts, steps - sum(counts)], float) / steps
        best = max(best, float(p @ c @ p))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_the_exact_maximum_against_a_grid_search(seed):
    rng = np.random.default_rng(seed)
    k = [2, 3, 4][seed % 3]
    c = np.triu(rng.choice([0.0, 0.2, 0.5, 1.0, rng.random()], size=(k, k)), 1)
    c = c + c.T
    value, p = max_area_score(c)
    steps = {2: 400, 3: 120, 4: 36}[k]
    grid = _grid_maximum(c, steps)
    assert grid <= value + 1e-12  # nothing on the grid beats the exact maximum
    assert value - grid <= 4.0 / steps  # and the grid comes within its resolution of it
    assert abs(float(p @ c @ p) - value) < 1e-12 and abs(p.sum() - 1) < 1e-12 and (p >= 0).all()


def test_by_hand():
    # mutually exclusive goals: 1 - 1/k at equal shares, so "max" equals Jang et al.'s k/(k-1)
    for k in (2, 3, 5):
        assert max_area_score(1 - np.eye(k))[0] == pytest.approx(1 - 1 / k)
    # the example: graded conflict among three answers; k/(k-1) = 1.5 but the maximum is 1/2
    ordinal = misalign.scale_conflict([1, 0, -1], "ordinal")
    assert max_area_score(ordinal)[0] == pytest.approx(0.5)
    # a triangle with one weak side: best to split between the two fully opposed goals
    assert max_area_score([[0, 1, 0.2], [1, 0, 0.2], [0.2, 0.2, 0]])[0] == pytest.approx(0.5)
    assert max_area_score(np.zeros((3, 3)))[0] == 0.0 and max_area_score([[0]])[0] == 0.0


def test_normalize_max_reaches_one_at_the_maximizing_shares():
    ordinal = misalign.scale_conflict([1, 0, -1], "ordinal")
    goals = np.array([[1]] * 500 + [[3]] * 500)
    w = np.ones((1000, 1))
    assert misalign.area_scores(goals, w, [ordinal], pairs="with_replacement", normalize="max")[0] == \
        pytest.approx(1.0)
    # "goals" stays at 0.75 here: k/(k-1) assumes exclusive goals
    assert misalign.area_scores(goals, w, [ordinal], pairs="with_replacement", normalize="goals")[0] == \
        pytest.approx(0.75)
    assert misalign.area_scores(goals, w, [ordinal], normalize=True).tolist() == \
        misalign.area_scores(goals, w, [ordinal], normalize="goals").tolist()


def test_bad_normalize_and_too_many_goals():
    with pytest.raises(ValueError, match=r"normalize='maximum' is not a valid option"):
        misalign.area_scores([[1], [2]], np.ones((2, 1)), [1 - np.eye(2)], normalize="maximum")
    k = MAX_EXACT_GOALS + 1
    with pytest.raises(ValueError, match=rf"has {k} goals; normalize='max' .* at most {MAX_EXACT_GOALS}"):
        max_area_score(1 - np.eye(k))
