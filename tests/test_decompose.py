"""Decompositions of the score, checked against brute force over explicit pairs of agents."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from misalign import area_scores
from misalign.analysis.decompose import (
    agent_contributions,
    cross_area_scores,
    cross_misalignment,
    goal_pair_contributions,
    group_decomposition,
    rank_agents,
    group_bedfellows,
)

import math

import misalign

from . import reference
from .reference import conflict_of
from .reference import pair_weight as mean_of

WEIGHT_MEANS = ["geometric", "arithmetic", "harmonic", "min", "max", "none"]


def pair_value(c, g1, w1, g2, w2, weight_mean):
    return conflict_of(c, g1, g2) * mean_of(w1, w2, weight_mean)


def random_population(rng, n, ks, weight_levels=None):
    m = len(ks)
    goals = np.stack([rng.integers(0, k + 1, n) for k in ks], axis=1)
    if weight_levels is None:
        weights = rng.random((n, m))
    else:  # repeated weights exercise ties in the sort and shared harmonic atoms
        weights = rng.choice(weight_levels, size=(n, m))
    conflicts = []
    for k in ks:
        c = rng.random((k, k))
        c = (c + c.T) / 2
        np.fill_diagonal(c, 0)
        conflicts.append(c)
    return goals, weights, conflicts


@pytest.mark.parametrize("weight_mean", WEIGHT_MEANS)
@pytest.mark.parametrize("pairs", ["distinct", "with_replacement"])
def test_agent_contributions_match_brute_force_and_sum_to_score(weight_mean, pairs):
    rng = np.random.default_rng(1)
    goals, weights, conflicts = random_population(rng, 9, [3, 2], weight_levels=[0.0, 0.2, 0.5, 0.7, 1.0])
    r = agent_contributions(goals, weights, conflicts, pairs=pairs, weight_mean=weight_mean)
    n = goals.shape[0]
    denom = n - 1 if pairs == "distinct" else n
    for p, c in enumerate(conflicts):
        for i in range(n):
            brute = sum(pair_value(c, goals[i, p], weights[i, p], goals[j, p], weights[j, p], weight_mean)
                        for j in range(n) if j != i) / denom
            assert r[i, p] == pytest.approx(brute, abs=1e-12)
    expected = area_scores(goals, weights, conflicts, pairs=pairs, weight_mean=weight_mean)
    np.testing.assert_allclose(r.mean(axis=0), expected, atol=1e-12)


def test_agent_contributions_normalize_scales_like_the_score():
    rng = np.random.default_rng(2)
    goals, weights, conflicts = random_population(rng, 12, [3, 1])
    r = agent_contributions(goals, weights, conflicts, normalize=True)
    np.testing.assert_allclose(r.mean(axis=0), area_scores(goals, weights, conflicts, normalize=True), atol=1e-12)
    assert (r[:, 1] == 0).all()  # one goal: the k/(k-1) rescaling defines the area's score as 0


def test_agent_contributions_shopping_household_by_hand():
    c = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    r = agent_contributions([[1], [2], [3]], [[.6], [.7], [1.0]], [c])[:, 0]
    by_hand = [
        (0.5 * np.sqrt(.6 * .7) + 0.9 * np.sqrt(.6)) / 2,  # customer vs retailer, recommender
        (0.5 * np.sqrt(.6 * .7) + 0.3 * np.sqrt(.7)) / 2,  # retailer vs customer, recommender
        (0.9 * np.sqrt(.6) + 0.3 * np.sqrt(.7)) / 2,  # recommender vs customer, retailer
    ]
    np.testing.assert_allclose(r, by_hand)


def test_agent_contributions_fewer_than_two_agents_are_zero():
    assert agent_contributions([[1]], [[1.0]], [[[0.0]]]).tolist() == [[0.0]]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), weight_mean=st.sampled_from(WEIGHT_MEANS),
       pairs=st.sampled_from(["distinct", "with_replacement"]))
def test_contributions_always_sum_back(seed, n, weight_mean, pairs):
    rng = np.random.default_rng(seed)
    goals, weights, conflicts = random_population(rng, n, [2, 4])
    opts = dict(pairs=pairs, weight_mean=weight_mean)
    scores = area_scores(goals, weights, conflicts, **opts)
    np.testing.assert_allclose(agent_contributions(goals, weights, conflicts, **opts).mean(axis=0), scores,
                               atol=1e-12)
    for p, c in enumerate(conflicts):
        table = goal_pair_contributions(goals[:, p], weights[:, p], c, **opts)
        assert table.sum() == pytest.approx(scores[p], abs=1e-12)
        np.testing.assert_allclose(table, table.T, atol=1e-12)
    groups = rng.integers(0, 3, n)
    d = group_decomposition(goals, weights, conflicts, groups, **opts)
    np.testing.assert_allclose(d.within + d.between, scores, atol=1e-12)


@pytest.mark.parametrize("weight_mean", WEIGHT_MEANS)
def test_goal_pair_table_matches_brute_force(weight_mean):
    rng = np.random.default_rng(3)
    goals, weights, (c,) = random_population(rng, 10, [3], weight_levels=[0.1, 0.4, 0.4, 1.0])
    g, w = goals[:, 0], weights[:, 0]
    n = g.size
    table = goal_pair_contributions(g, w, c, weight_mean=weight_mean)
    brute = np.zeros((3, 3))
    for i, j in itertools.permutations(range(n), 2):
        if g[i] and g[j]:
            brute[g[i] - 1, g[j] - 1] += pair_value(c, g[i], w[i], g[j], w[j], weight_mean) / (n * (n - 1))
    np.testing.assert_allclose(table, brute, atol=1e-12)


def test_goal_pair_table_shopping_by_hand():
    c = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    t = goal_pair_contributions([1, 2, 3], [.6, .7, 1.0], c, pairs="with_replacement")
    # each ordered pair once, divided by n^2 = 9
    assert t[0, 2] == pytest.approx(0.9 * np.sqrt(0.6) / 9)
    assert t[1, 2] == pytest.approx(0.3 * np.sqrt(0.7) / 9)
    assert np.diag(t).tolist() == [0, 0, 0]


@pytest.mark.parametrize("weight_mean", WEIGHT_MEANS)
def test_cross_scores_equal_mean_over_explicit_cross_pairs(weight_mean):
    rng = np.random.default_rng(4)
    ga, wa, conflicts = random_population(rng, 7, [3, 2], weight_levels=[0.0, 0.3, 0.3, 0.8, 1.0])
    gb, wb, _ = random_population(rng, 5, [3, 2], weight_levels=[0.0, 0.3, 0.9, 1.0])
    got = cross_area_scores(ga, wa, gb, wb, conflicts, weight_mean=weight_mean)
    for p, c in enumerate(conflicts):
        brute = np.mean([pair_value(c, ga[i, p], wa[i, p], gb[j, p], wb[j, p], weight_mean)
                         for i in range(7) for j in range(5)])
        assert got[p] == pytest.approx(brute, abs=1e-12)
    assert cross_misalignment(ga, wa, gb, wb, conflicts, weight_mean=weight_mean) == pytest.approx(got.mean())
    assert cross_misalignment(ga, wa, gb, wb, conflicts, weight_mean=weight_mean, area_mean="max") == got.max()
    # symmetric in the two groups
    swapped = cross_area_scores(gb, wb, ga, wa, conflicts, weight_mean=weight_mean)
    np.testing.assert_allclose(swapped, got, atol=1e-12)


def test_cross_misalignment_carla_areas_by_hand():
    c = np.array([[0.0, 1.0], [1.0, 0.0]])
    s = cross_misalignment([[1, 1]] * 3, [[.5, .4]] * 3, [[2, 2]] * 2, [[.99, .15]] * 2, [c, c])
    assert s == pytest.approx((np.sqrt(.5 * .99) + np.sqrt(.4 * .15)) / 2)  # every cross pair is alike


@pytest.mark.parametrize("weight_mean", WEIGHT_MEANS)
@pytest.mark.parametrize("pairs", ["distinct", "with_replacement"])
def test_group_decomposition_matches_brute_force(weight_mean, pairs):
    rng = np.random.default_rng(5)
    goals, weights, conflicts = random_population(rng, 11, [2, 3], weight_levels=[0.0, 0.25, 0.5, 1.0])
    groups = np.array(["ai", "human", "human", "ai", "robot", "human", "ai", "human", "human", "ai", "human"])
    d = group_decomposition(goals, weights, conflicts, groups, pairs=pairs, weight_mean=weight_mean)
    assert d.labels.tolist() == ["ai", "human", "robot"]
    assert d.sizes.tolist() == [4, 6, 1]
    n = goals.shape[0]
    denom = n * (n - 1) if pairs == "distinct" else n * n
    for p, c in enumerate(conflicts):
        parts = np.zeros((3, 3))
        sums = np.zeros((3, 3))
        for i, j in itertools.permutations(range(n), 2):
            a, b = d.labels.tolist().index(groups[i]), d.labels.tolist().index(groups[j])
            v = pair_value(c, goals[i, p], weights[i, p], goals[j, p], weights[j, p], weight_mean)
            parts[a, b] += v / denom
            sums[a, b] += v
        np.testing.assert_allclose(d.parts[:, :, p], parts, atol=1e-12)
        sizes = np.array([4, 6, 1])
        pair_counts = np.outer(sizes, sizes) - (np.diag(sizes) if pairs == "distinct" else 0)
        expected_scores = np.divide(sums, pair_counts, out=np.zeros((3, 3)), where=pair_counts > 0)
        np.testing.assert_allclose(d.scores[:, :, p], expected_scores, atol=1e-12)
        assert d.within[p] == pytest.approx(np.trace(parts), abs=1e-12)
        assert d.between[p] == pytest.approx(parts.sum() - np.trace(parts), abs=1e-12)
    np.testing.assert_allclose(d.total, area_scores(goals, weights, conflicts, pairs=pairs, weight_mean=weight_mean),
                               atol=1e-12)
    np.testing.assert_allclose(d.rao_within + d.rao_between, d.total, atol=1e-12)


def test_group_decomposition_cross_part_equals_cross_misalignment():
    rng = np.random.default_rng(6)
    goals, weights, conflicts = random_population(rng, 20, [4])
    groups = rng.integers(0, 2, 20)
    d = group_decomposition(goals, weights, conflicts, groups)
    a, b = groups == 0, groups == 1
    assert d.scores[0, 1, 0] == pytest.approx(cross_misalignment(goals[a], weights[a], goals[b], weights[b],
                                                                 conflicts))


def test_rao_apportionment_with_replacement_by_hand():
    # two vehicles (goal 1) and two pedestrians (goal 2), weights 1, full conflict:
    # total = 8/16, within-group diversity 0, so Rao's between part is the total
    d = group_decomposition([[1], [1], [2], [2]], np.ones((4, 1)), [[[0, 1], [1, 0]]], ["v", "v", "h", "h"],
                            pairs="with_replacement")
    assert d.total[0] == pytest.approx(0.5)
    assert d.rao_within[0] == 0
    assert d.rao_between[0] == pytest.approx(0.5)
    assert d.between[0] == pytest.approx(0.5)


def test_to_frame_is_tidy():
    d = group_decomposition([[1, 0], [2, 1]], [[1.0, 0.5], [1.0, 0.5]], [[[0, 1], [1, 0]], [[0.0]]], ["a", "b"])
    t = d.to_frame(area_names=["x", "y"])
    assert list(t.columns) == ["area", "group_a", "group_b", "score", "part"]
    assert len(t) == 2 * 2 * 2
    row = t[(t.area == "x") & (t.group_a == "a") & (t.group_b == "b")].iloc[0]
    assert row.score == 1.0 and row.part == pytest.approx(0.5)  # 1 of the 2 ordered pairs


def test_rank_agents_orders_and_shares():
    c = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    t = rank_agents([[1], [2], [3]], [[.6], [.7], [1.0]], [c], labels=["c", "R", "RS"], area_names=["household"])
    assert t["agent"].tolist() == ["c", "RS", "R"]
    assert t["share"].sum() == pytest.approx(1.0)
    assert t["top_area"].tolist() == ["household"] * 3
    assert t["contribution"].iloc[0] == pytest.approx((0.5 * np.sqrt(.42) + 0.9 * np.sqrt(.6)) / 2)
    assert len(rank_agents([[1], [2], [3]], [[.6], [.7], [1.0]], [c], top=1)) == 1


def test_strange_bedfellows_finds_allies_and_opponents():
    # agents x and y share a goal in area 0 and oppose in area 1; z opposes both in area 0 only
    goals = [[1, 1], [1, 2], [2, 0]]
    conflicts = [[[0, 1], [1, 0]], [[0, 1], [1, 0]]]
    t = group_bedfellows(goals, np.ones((3, 2)), conflicts, ["x", "y", "z"], area_names=["p0", "p1"])
    assert t.iloc[0][["allied_area", "opposed_area", "spread"]].tolist() == ["p0", "p1", 1.0]
    assert {tuple(r) for r in t[["group_a", "group_b"]].to_numpy()} == {("x", "y"), ("x", "z"), ("y", "z")}
    assert (t["spread"] == 1.0).all()


def test_errors_name_the_argument():
    c = [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match="weight_mean='median' is not a valid option"):
        agent_contributions([[1]], [[1.0]], [c], weight_mean="median")
    with pytest.raises(ValueError, match="pairs='all' is not a valid option"):
        goal_pair_contributions([1], [1.0], c, pairs="all")
    with pytest.raises(ValueError, match=r"goals\[:, 0\]\[1\] = 3; expected a goal id in 0..2"):
        agent_contributions([[1], [3]], [[1.0], [1.0]], [c])
    with pytest.raises(ValueError, match=r"goals\[1\] = 5; expected a goal id in 0..2"):
        goal_pair_contributions([1, 5], [1.0, 1.0], c)
    with pytest.raises(ValueError, match="conflict must be a single k x k matrix"):
        goal_pair_contributions([1, 2], [1.0, 1.0], [c, c])
    with pytest.raises(ValueError, match=r"weights_b\[0, 0\] = 1.5; expected a weight in \[0, 1\]"):
        cross_misalignment([[1]], [[1.0]], [[2]], [[1.5]], [c])
    with pytest.raises(ValueError, match="goals_b has no agents"):
        cross_misalignment([[1]], [[1.0]], np.zeros((0, 1), int), np.zeros((0, 1)), [c])
    with pytest.raises(ValueError, match="area_mean='median' is not a valid option"):
        cross_misalignment([[1]], [[1.0]], [[2]], [[1.0]], [c], area_mean="median")
    with pytest.raises(ValueError, match=r"groups has shape \(1,\); expected one label per agent, shape \(2,\)"):
        group_decomposition([[1], [2]], [[1.0], [1.0]], [c], ["a"])
    with pytest.raises(ValueError, match=r"groups\[1\] is missing"):
        group_decomposition([[1], [2]], [[1.0], [1.0]], [c], np.array(["a", None], dtype=object))
    with pytest.raises(ValueError, match="conflicts\\[0\\] must be a single k x k matrix"):
        agent_contributions([[1]], [[1.0]], [np.zeros((2, 2, 2))])
    with pytest.raises(ValueError, match="labels has 1 entries but there are 2 agents"):
        rank_agents([[1], [2]], [[1.0], [1.0]], [c], labels=["a"])
    with pytest.raises(ValueError, match="area_names has 2 entries but there are 1 areas"):
        rank_agents([[1], [2]], [[1.0], [1.0]], [c], area_names=["a", "b"])
    with pytest.raises(ValueError, match="top = 0; expected a positive integer"):
        rank_agents([[1], [2]], [[1.0], [1.0]], [c], top=0)
    with pytest.raises(ValueError, match="area_names has 0 entries but there are 1 areas"):
        group_bedfellows([[1], [2]], [[1.0], [1.0]], [c], ["a", "b"], area_names=[])
    with pytest.raises(ValueError, match="area_names has 2 entries but there are 1 areas; expected one per area"):
        group_decomposition([[1], [2]], [[1.0], [1.0]], [c], ["a", "b"]).to_frame(["p", "q"])


def _cross_reference(ga, wa, gb, wb, c, weight_mean):
    """Mean over pairs (a from A, b from B) of c * mean weight, by the definition."""
    total, pairs = 0.0, 0
    for x, u in zip(ga, wa):
        for y, v in zip(gb, wb):
            total += reference.conflict_of(c, x, y) * reference.pair_weight(u, v, weight_mean)
            pairs += 1
    return total / pairs


@pytest.mark.parametrize("weight_mean", ["geometric", "min", "harmonic", "none"])
def test_exclude_leaves_non_respondents_out_of_cross_scores_and_decompositions(weight_mean):
    rng = np.random.default_rng(11)
    n, ks = 40, [3, 2]
    goals = np.stack([rng.integers(0, k + 1, n) for k in ks], axis=1)
    weights = rng.random((n, 2))
    conflicts = [misalign.samplers.random_conflict(rng, k) for k in ks]
    groups = rng.choice(["a", "b", "c"], n)
    d = group_decomposition(goals, weights, conflicts, groups, weight_mean=weight_mean, missing="exclude")
    total = misalign.area_scores(goals, weights, conflicts, weight_mean=weight_mean, missing="exclude")
    np.testing.assert_allclose(d.total, total, rtol=1e-12)
    np.testing.assert_allclose(d.within + d.between, total, rtol=1e-12)
    for j in range(2):
        held = goals[:, j] != 0
        ia, ib = held & (groups == "a"), held & (groups == "b")
        want = _cross_reference(goals[ia, j], weights[ia, j], goals[ib, j], weights[ib, j], conflicts[j].tolist(),
                                weight_mean)
        assert math.isclose(d.scores[0, 1, j], want, rel_tol=1e-12)
        got = cross_area_scores(goals[groups == "a"], weights[groups == "a"], goals[groups == "b"],
                                weights[groups == "b"], conflicts, weight_mean=weight_mean, missing="exclude")[j]
        assert math.isclose(got, want, rel_tol=1e-12)
        assert d.area_sizes[:, j].tolist() == [int((held & (groups == x)).sum()) for x in "abc"]
    nobody = cross_area_scores([[0]], [[0.0]], [[1]], [[1.0]], [np.zeros((1, 1))], missing="exclude")
    assert np.isnan(nobody[0])
