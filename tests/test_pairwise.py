"""The agent-by-agent view: consistent with the score, and the strange bedfellows of the shopping case."""

import numpy as np
import pytest

import misalign
from misalign.analysis.pairwise import pairwise_misalignment, agent_bedfellows
from misalign.core.means import pair_weight


def test_pairwise_mean_is_the_score():
    rng = np.random.default_rng(1)
    g = rng.integers(0, 4, (30, 2))
    w = rng.uniform(0, 1, (30, 2))
    cs = [misalign.simulation.samplers.random_conflict(rng, 3) for _ in range(2)]
    for wm in ["geometric", "arithmetic", "harmonic", "min", "max", "none"]:
        pw = pairwise_misalignment(g, w, cs, weight_mean=wm)
        off = ~np.eye(30, dtype=bool)
        np.testing.assert_allclose([p[off].mean() for p in pw], misalign.area_scores(g, w, cs, weight_mean=wm))
        np.testing.assert_array_equal(pw, np.swapaxes(pw, 1, 2))


def test_shopping_strange_bedfellows():
    sc = misalign.load_scenario("shopping")
    pw = pairwise_misalignment(sc.goals, sc.weights, sc.conflicts)
    # by hand: customer vs recommender, food 0.1*sqrt(0.8) = 0.089, household 0.9*sqrt(0.6) = 0.697
    assert pw[0, 0, 2] == pytest.approx(0.1 * np.sqrt(0.8)) and pw[1, 0, 2] == pytest.approx(0.9 * np.sqrt(0.6))
    sb = agent_bedfellows(pw, agents=sc.kinds, areas=["food", "household"])
    assert sb[["agent_a", "agent_b", "aligned_area", "opposed_area"]].values.tolist() == [["c", "RS", "food", "household"]]


def test_pair_weight_harmonic_of_zeros_is_zero():
    assert pair_weight(0.0, 0.0, "harmonic") == 0.0


def test_refuses_large_populations():
    with pytest.raises(ValueError, match="accepts at most max_agents=10"):
        pairwise_misalignment(np.ones((11, 1), int), np.ones((11, 1)), [[[0.0]]], max_agents=10)
