"""Algorithms 1 and 2: determinism, ranges, shapes, and the preset paths."""

import numpy as np
import pytest

from misalign import samplers


def test_same_seed_same_worlds_byte_for_byte():
    def draw(seed):
        rng = np.random.default_rng(seed)
        return samplers.init_worlds(rng, runs=5, n_agents=30, n_goals=[2, 4], conflict=(0.1, 0.9), weights=(0.2, 0.8))
    a, b, c = draw(1), draw(1), draw(2)
    assert a.goals.tobytes() == b.goals.tobytes() and a.weights.tobytes() == b.weights.tobytes()
    assert all(x.tobytes() == y.tobytes() for x, y in zip(a.conflicts, b.conflicts))
    assert a.goals.tobytes() != c.goals.tobytes()


def test_random_worlds_respect_ranges_and_shapes():
    rng = np.random.default_rng(0)
    w = samplers.init_worlds(rng, runs=50, n_agents=40, n_goals=[3, 5], conflict=(0.2, 0.6), weights=(0.25, 0.75))
    assert w.goals.shape == w.weights.shape == (50, 40, 2)
    assert w.goals[:, :, 0].min() == 1 and w.goals[:, :, 0].max() == 3  # no null goal unless asked
    assert w.goals[:, :, 1].max() == 5
    assert (w.weights >= 0.25).all() and (w.weights < 0.75).all()
    for c, k in zip(w.conflicts, [3, 5]):
        assert c.shape == (50, k, k)
        np.testing.assert_array_equal(c, np.swapaxes(c, 1, 2))
        assert (np.diagonal(c, axis1=1, axis2=2) == 0).all()
        off = c[:, ~np.eye(k, dtype=bool)]
        assert (off >= 0.2).all() and (off < 0.6).all()
    assert w.misalignment().shape == (50,)


def test_null_goal_only_when_allowed():
    rng = np.random.default_rng(0)
    g = samplers.random_goals(rng, 20, 50, [2], allow_null=True)
    assert set(np.unique(g)) == {0, 1, 2}


def test_preset_goals_and_weights_repeat_in_every_run():
    rng = np.random.default_rng(0)
    goals = np.array([[1, 2], [2, 1], [0, 1]])
    weights = np.array([[1.0, 0.5], [0.2, 0.3], [0.0, 1.0]])
    w = samplers.init_worlds(rng, runs=3, n_agents=3, n_goals=[2, 2], conflict=[np.eye(2)[::-1]] * 2,
                             goals=goals, weights=weights)
    assert (w.goals == goals).all() and (w.weights == weights).all()


def test_goal_group_weights_are_shared_within_a_group():
    rng = np.random.default_rng(0)
    goals = np.repeat(np.array([[1, 1, 2, 2, 3]])[:, :, None], 4, axis=0)
    w = samplers.goal_group_weights(rng, goals, [3], (0.25, 0.75))
    assert (w[:, 0] == w[:, 1]).all() and (w[:, 2] == w[:, 3]).all()
    assert (w[:, 0] != w[:, 2]).all()
    assert ((w >= 0.25) & (w < 0.75)).all()


def test_allocate_goals_by_hand():
    # 100 * 0.29 = 28.999999999999996 in floating point, which int() truncates to 28, as the authors' code did
    assert np.bincount(samplers.allocate_goals(100, [0.29, 0.71]))[1:].tolist() == [28, 71]
    assert np.bincount(samplers.allocate_goals(100, [0.29, 0.71], method="largest_remainder"))[1:].tolist() == [29, 71]
    assert samplers.allocate_goals(7, [1 / 3] * 3, method="largest_remainder").size == 7


def test_constant_conflict():
    c = samplers.constant_conflict(3, 0.25)
    assert c[0, 1] == 0.25 and c[1, 1] == 0.0


@pytest.mark.parametrize("call, match", [
    (lambda: samplers.init_worlds(42, runs=1, n_agents=2, n_goals=2), r"rng = 42; expected a numpy.random.Generator"),
    (lambda: samplers.init_worlds(np.random.default_rng(0), runs=0, n_agents=2, n_goals=2), r"runs = 0; expected an integer >= 1"),
    (lambda: samplers.uniform_weights(np.random.default_rng(0), 1, 2, 1, (0.8, 0.2)), r"weight_range = \(0.8, 0.2\); expected 0 <= low <= high <= 1"),
    (lambda: samplers.random_conflict(np.random.default_rng(0), 2, (0, 2)), r"conflict_range = \(0, 2\)"),
    (lambda: samplers.allocate_goals(10, [0.5, 0.6]), r"expected non-negative shares summing to 1"),
    (lambda: samplers.allocate_goals(10, [0.5, 0.5], method="round"), r"method='round' is not a valid option"),
    (lambda: samplers.init_worlds(np.random.default_rng(0), runs=1, n_agents=2, n_goals=2, goals="fixed"), r"goals='fixed' is not a valid option"),
    (lambda: samplers.init_worlds(np.random.default_rng(0), runs=1, n_agents=2, n_goals=[2], goals=[[1], [2], [1]]), r"goals has shape \(3, 1\); expected \(n_agents, n_areas\) = \(2, 1\)"),
    (lambda: samplers.init_worlds(np.random.default_rng(0), runs=1, n_agents=2, n_goals=[2], conflict=[np.zeros((3, 3))]), r"expected one per area with sizes \[2\]"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
