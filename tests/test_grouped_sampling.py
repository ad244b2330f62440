"""Grouped Monte Carlo: exact pair sums from counts, and the same distribution as agent-by-agent worlds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import misalign
from misalign.simulation.grouped import _pair_sums_equal_in_group, grouped_area_scores

C3 = np.array([[0.0, 1.0, 0.4], [1.0, 0.0, 0.7], [0.4, 0.7, 0.0]])
MEANS = {
    "geometric": lambda a, b: math.sqrt(a * b),
    "arithmetic": lambda a, b: (a + b) / 2,
    "harmonic": lambda a, b: 2 * a * b / (a + b) if a + b else 0.0,
    "min": min,
    "max": max,
    "none": lambda a, b: 1.0,
}


def _brute_pair_sum(counts, u, conflict, weight_mean):
    """Expand the groups into agents and loop over ordered pairs of distinct agents."""
    agents = [(g, u[g]) for g, n in enumerate(counts) for _ in range(n)]
    c = np.pad(conflict, [(1, 0), (1, 0)])
    return sum(c[gi, gj] * MEANS[weight_mean](wi, wj)
               for i, (gi, wi) in enumerate(agents) for j, (gj, wj) in enumerate(agents) if i != j)


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(0, 4), min_size=4, max_size=4),
       u=st.lists(st.sampled_from([0.0, 0.2, 0.5, 1.0]), min_size=4, max_size=4),
       weight_mean=st.sampled_from(sorted(MEANS)))
def test_group_pair_sums_match_the_pair_loop(counts, u, weight_mean):
    got = _pair_sums_equal_in_group(np.array([counts]), np.array([u]), C3, weight_mean)[0]
    assert math.isclose(got, _brute_pair_sum(counts, u, C3, weight_mean), rel_tol=1e-12, abs_tol=1e-12)


def test_equal_weights_give_the_agent_by_agent_distribution():
    # The same worlds drawn agent by agent (goals uniform, weight 0.5 for all) and scored by the model.
    n, runs = 30, 3000
    rng = np.random.default_rng(10)
    grouped = grouped_area_scores(rng, runs=runs, n_agents=n, conflicts=[C3], weights=0.5)[:, 0]
    goals = rng.integers(1, 4, size=(runs, n, 1))
    direct = misalign.area_scores_batch(goals, np.full(goals.shape, 0.5), [C3])[:, 0]
    assert stats.ks_2samp(grouped, direct).pvalue > 1e-3
    # expected value by hand: distinct agents draw independently, p = 1/3 each:
    # 0.5 * sum_{g != h} c_gh / 9 = 0.5 * 2 * (1 + 0.4 + 0.7) / 9
    expected = 0.5 * 2 * (1 + 0.4 + 0.7) / 9
    assert abs(grouped.mean() - expected) < 5 * grouped.std() / math.sqrt(runs)


@pytest.mark.parametrize("weight_mean,factor", [
    # E[mean(U1, U2)] for independent U ~ uniform(0.2, 0.8), by hand:
    ("geometric", (2 / 3 * (0.8**1.5 - 0.2**1.5) / 0.6) ** 2),  # (E sqrt U)^2
    ("arithmetic", 0.5),
    ("min", 0.2 + 0.6 / 3),
    ("max", 0.2 + 2 * 0.6 / 3),
])
def test_agent_weights_have_the_expected_mean(weight_mean, factor):
    runs, n = 400, 200
    s = grouped_area_scores(np.random.default_rng(11), runs=runs, n_agents=n, conflicts=[C3],
                            weight_range=(0.2, 0.8), weight_mean=weight_mean)[:, 0]
    expected = factor * 2 * (1 + 0.4 + 0.7) / 9
    assert abs(s.mean() - expected) < 5 * s.std() / math.sqrt(runs)


def test_goal_group_weights_have_the_expected_mean():
    # One weight per goal group and run: E[min(U_g, U_h)] for g != h, with the null goal allowed (p = 1/4).
    runs = 4000
    s = grouped_area_scores(np.random.default_rng(12), runs=runs, n_agents=500, conflicts=[C3], allow_null=True,
                            weight_range=(0.0, 1.0), shared_by_goal=True, weight_mean="min")[:, 0]
    expected = (1 / 3) * 2 * (1 + 0.4 + 0.7) / 16  # E min = 1/3; p_g p_h = 1/16
    assert abs(s.mean() - expected) < 5 * s.std() / math.sqrt(runs)


def test_per_agent_harmonic_path_matches_the_model_on_one_world():
    # With one run and n = 2 the per-agent path scores exactly two weights: check against the definition.
    rng = np.random.default_rng(13)
    c = np.array([[0.0, 1.0], [1.0, 0.0]])
    s = grouped_area_scores(rng, runs=50, n_agents=2, conflicts=[c], weight_range=(0.1, 0.9),
                            weight_mean="harmonic")[:, 0]
    # each world is two agents: score = c(g1, g2) * H(w1, w2), so every value is 0 or a harmonic mean in [0.1, 0.9]
    assert ((s == 0) | ((s >= 0.1) & (s <= 0.9))).all() and (s > 0).any()


def test_options_and_determinism():
    kwargs = dict(runs=5, n_agents=1000, conflicts=[C3, np.zeros((1, 1))], weight_range=(0.3, 0.6),
                  pairs="with_replacement", normalize=True)
    a = grouped_area_scores(np.random.default_rng(14), **kwargs)
    b = grouped_area_scores(np.random.default_rng(14), **kwargs)
    assert a.tobytes() == b.tobytes()
    assert (a[:, 1] == 0).all()  # one goal: no conflict, and normalize gives 0
    runs_c = np.stack([C3, C3 * 0.5])
    half = grouped_area_scores(np.random.default_rng(15), runs=2, n_agents=100, conflicts=[runs_c])
    assert half.shape == (2, 1)
    assert (grouped_area_scores(np.random.default_rng(0), runs=3, n_agents=1, conflicts=[C3]) == 0).all()


def test_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"rng = 3; expected a numpy.random.Generator"):
        grouped_area_scores(3, runs=1, n_agents=1, conflicts=[C3])
    with pytest.raises(ValueError, match=r"runs = 0; expected an integer >= 1"):
        grouped_area_scores(rng, runs=0, n_agents=1, conflicts=[C3])
    with pytest.raises(ValueError, match=r"n_agents = -1; expected an integer >= 0"):
        grouped_area_scores(rng, runs=1, n_agents=-1, conflicts=[C3])
    with pytest.raises(ValueError, match=r"weights = 1.5; expected a number in \[0, 1\]"):
        grouped_area_scores(rng, runs=1, n_agents=1, conflicts=[C3], weights=1.5)
    with pytest.raises(ValueError, match=r"weight_range = \(0.8, 0.2\); expected low <= high"):
        grouped_area_scores(rng, runs=1, n_agents=1, conflicts=[C3], weight_range=(0.8, 0.2))
    with pytest.raises(ValueError, match=r"weight_range = 0.5; expected a \(low, high\) pair"):
        grouped_area_scores(rng, runs=1, n_agents=1, conflicts=[C3], weight_range=0.5)
    with pytest.raises(ValueError, match=r"conflicts must be a sequence of one k x k matrix per area; got int"):
        grouped_area_scores(rng, runs=1, n_agents=1, conflicts=3)
    with pytest.raises(ValueError, match=r"conflicts\[0\] is not symmetric"):
        grouped_area_scores(rng, runs=1, n_agents=1, conflicts=[np.array([[0, 1], [0.5, 0]])])
    with pytest.raises(ValueError, match=r"conflicts\[0\] has 3 matrices but there are 2 runs"):
        grouped_area_scores(rng, runs=2, n_agents=1, conflicts=[np.stack([C3] * 3)])
    with pytest.raises(ValueError, match=r"weight_mean='median' is not a valid option"):
        grouped_area_scores(rng, runs=1, n_agents=1, conflicts=[C3], weight_mean="median")
