"""Key numbers of the paper's experiments, against theory and hand derivation."""

import numpy as np
import pandas as pd
import pytest

from misalign import experiments, load_scenario, theory

COLUMNS = {"curve", "x", "mean", "min", "max", "std", "runs"}


def test_agent_grid_matches_papers_log_grid():
    # 20 log-spaced points from 1 to 100 truncated to int: 17 distinct population sizes
    assert experiments.agent_grid().tolist() == [1, 2, 3, 4, 5, 6, 8, 11, 14, 18, 23, 29, 37, 48, 61, 78, 100]


def test_problem_areas_converges_to_two_thirds():
    df = experiments.problem_areas(np.random.default_rng(0), agent_counts=[1, 100], area_counts=[1, 3], runs=200)
    assert COLUMNS <= set(df.columns)
    assert (df[df.x == 1]["mean"] == 0).all()  # one agent: no pairs
    big = df[df.x == 100]
    # Theorem 5-6: distinct expectation 2/3; with replacement 99/100 * 2/3; SE of a 200-run mean < 0.001
    d = big[big.pairs == "distinct"]["mean"]
    r = big[big.pairs == "with_replacement"]["mean"]
    assert np.allclose(d, 2 / 3, atol=0.005) and np.allclose(r, 0.99 * 2 / 3, atol=0.005)


def test_goal_counts_approach_k_minus_one_over_k():
    df = experiments.goal_counts(np.random.default_rng(0), agent_counts=[100], goal_values=[2, 5], runs=100,
                                 pairs=["distinct"])
    np.testing.assert_allclose(df["mean"], [0.5, 0.8], atol=0.01)


def test_weight_sensitivity_zero_weight_removes_misalignment():
    # section 5: weight 0 for goal 1's holders in the only area with two goals leaves no weighted conflict
    df = experiments.weight_sensitivity(np.random.default_rng(0), area_counts=[1, 2], goal_values=[2],
                                        weights=[0.0, 1.0], runs=20)
    one = df[df.areas == 1].set_index("x")["mean"]
    assert one[0.0] == 0.0 and one[1.0] > 0.45
    two = df[df.areas == 2].set_index("x")["mean"]
    assert two[0.0] == pytest.approx(two[1.0] / 2, abs=0.03)  # the other area keeps its ~0.5


def test_goal_distribution_is_theorem2_of_the_allocation():
    df = experiments.goal_distribution(goal_values=[3], shares=[0.0, 0.2, 1 / 3, 1.0])
    for _, row in df.iterrows():
        s = row.x
        sizes = [int(1000 * s)] + [int(1000 * ((1 - s) / 2))] * 2
        assert row["mean"] == pytest.approx(theory.exclusive_goals_misalignment(sizes))
        assert row.agents == sum(sizes)
    assert df.set_index("x")["mean"].idxmax() == pytest.approx(1 / 3)


def test_conflict_levels_expectation_and_weight_draw_options():
    rng = np.random.default_rng(0)
    lists = [(0.5,), (0.25, 0.5, 0.75)]
    for draw in ("per_goal_group", "per_agent"):
        df = experiments.conflict_levels(rng, goal_values=[4], conflict_lists=lists, runs=400, weight_draw=draw)
        # by hand: 30 agents per goal, differ share 1 - 4*30*29/(120*119); E[sqrt w] for U(.25,.75)
        differ = 1 - 4 * 30 * 29 / (120 * 119)
        e = (2 / 3) * (0.75**1.5 - 0.25**1.5) / 0.5
        np.testing.assert_allclose(df["mean"], 0.5 * differ * e**2, rtol=0.02)
    with pytest.raises(ValueError, match="weight_draw='x' is not a valid option"):
        experiments.conflict_levels(rng, weight_draw="x")


def test_vehicle_share_by_hand():
    sc = load_scenario("carla_av")
    df = experiments.vehicle_share(sc, shares=[0.0, 0.5, 1.0], conflict_values=[1.0])
    table3 = df[df.weights == "Table 3"].set_index("x")["mean"]
    # by hand: 500*500 cross pairs out of 1000*999/2, each weighted sqrt(w_v w_h) in its area (Table 3)
    wv = np.array([0.50, 0.40, 0.35, 0.30, 0.20, 0.30, 0.30, 0.30])
    wh = np.array([0.99, 0.15, 0.15, 0.05, 0.05, 0.05, 0.01, 0.05])
    assert table3[0.5] == pytest.approx(500 * 500 / (1000 * 999 / 2) * np.sqrt(wv * wh).mean())
    assert table3[0.0] == 0.0 and table3[1.0] == 0.0
    assert df[df.weights == "all 1"].set_index("x")["mean"][0.5] == pytest.approx(500 * 500 / (1000 * 999 / 2))


def test_sweeps_are_deterministic_given_the_seed():
    a = experiments.problem_areas(np.random.default_rng(5), agent_counts=[3, 10], area_counts=[2], runs=10)
    b = experiments.problem_areas(np.random.default_rng(5), agent_counts=[3, 10], area_counts=[2], runs=10)
    pd.testing.assert_frame_equal(a, b)
