"""The score against hand values, the brute-force definition, invariances and bad input."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import misalign
from misalign.core.means import WEIGHT_MEANS
from misalign.core.validation import AREA_MEANS, PAIRS

from . import reference

# Table 2 of the paper, written out in full.
FOOD = np.array([[0, 0.1, 0.1], [0.1, 0, 0.1], [0.1, 0.1, 0]])
HOUSEHOLD = np.array([[0, 0.5, 0.9], [0.5, 0, 0.3], [0.9, 0.3, 0]])
SHOP_GOALS = [[1, 1], [2, 2], [3, 3]]
SHOP_WEIGHTS = [[0.8, 0.6], [0.9, 0.7], [1.0, 1.0]]  # Table 1


# --- the paper's published numbers and hand derivations -----------------------------------------

def test_shopping_case_reproduces_published_scores():
    # Section 6: Pr(0|A, p_f) = 0.09, Pr(0|A, p_h) = 0.42, Pr(0|A, P) = 0.26
    areas = misalign.area_scores(SHOP_GOALS, SHOP_WEIGHTS, [FOOD, HOUSEHOLD])
    assert np.round(areas, 2).tolist() == [0.09, 0.42]
    assert round(misalign.misalignment(SHOP_GOALS, SHOP_WEIGHTS, [FOOD, HOUSEHOLD]), 2) == 0.26


def test_shopping_case_by_hand_both_conventions():
    # by hand, food: 0.1 * (sqrt(.8*.9) + sqrt(.8*1) + sqrt(.9*1)) over 3 distinct pairs, or 2x that over 9
    food_sum = 0.1 * (np.sqrt(0.72) + np.sqrt(0.8) + np.sqrt(0.9))
    # household: 0.5*sqrt(.6*.7) + 0.9*sqrt(.6*1) + 0.3*sqrt(.7*1)
    house_sum = 0.5 * np.sqrt(0.42) + 0.9 * np.sqrt(0.6) + 0.3 * np.sqrt(0.7)
    got = misalign.area_scores(SHOP_GOALS, SHOP_WEIGHTS, [FOOD, HOUSEHOLD])
    np.testing.assert_allclose(got, [food_sum / 3, house_sum / 3], rtol=1e-14)
    got = misalign.area_scores(SHOP_GOALS, SHOP_WEIGHTS, [FOOD, HOUSEHOLD], pairs="with_replacement")
    np.testing.assert_allclose(got, [2 * food_sum / 9, 2 * house_sum / 9], rtol=1e-14)
    # the issue quotes the printed formula's numbers: 0.060 / 0.283 / 0.171
    overall = misalign.misalignment(SHOP_GOALS, SHOP_WEIGHTS, [FOOD, HOUSEHOLD], pairs="with_replacement")
    assert [round(x, 3) for x in (*got, overall)] == [0.060, 0.283, 0.171]


def test_two_agents_by_hand_every_weight_mean():
    # two agents, goals 1 and 2 in conflict 0.5, weights 0.25 and 1
    c = [[0, 0.5], [0.5, 0]]
    expected = {"geometric": 0.5 * 0.5, "arithmetic": 0.5 * 0.625, "harmonic": 0.5 * 0.4, "min": 0.5 * 0.25,
                "max": 0.5 * 1.0, "none": 0.5}
    for wm, value in expected.items():
        assert misalign.area_misalignment([1, 2], [0.25, 1.0], c, weight_mean=wm) == pytest.approx(value, abs=1e-15)
        # one distinct pair vs 4 ordered pairs of which 2 conflict
        assert misalign.area_misalignment([1, 2], [0.25, 1.0], c, weight_mean=wm,
                                          pairs="with_replacement") == pytest.approx(value / 2, abs=1e-15)


def test_normalize_by_hand():
    # 4 agents on 2 exclusive goals, 2 + 2: with replacement 8/16 = 1/2, times k/(k-1) = 2 -> 1
    assert misalign.area_misalignment([1, 1, 2, 2], [1] * 4, [[0, 1], [1, 0]], pairs="with_replacement",
                                      normalize=True) == pytest.approx(1.0)
    # distinct: 4 of 6 pairs disagree, 2/3 * 2 = 4/3: normalization exceeds 1 under distinct pairs
    assert misalign.area_misalignment([1, 1, 2, 2], [1] * 4, [[0, 1], [1, 0]], normalize=True) == pytest.approx(4 / 3)
    # one goal: 0, not 0/0
    assert misalign.area_misalignment([1, 1], [1, 1], [[0.0]], normalize=True) == 0.0


def test_area_means_by_hand():
    # area scores 0.5 and 0.125 (two agents each, weights 1)
    goals, weights = [[1, 1], [2, 2]], [[1, 1], [1, 1]]
    conflicts = [[[0, 0.5], [0.5, 0]], [[0, 0.125], [0.125, 0]]]
    expected = {"arithmetic": 0.3125, "geometric": 0.25, "harmonic": 0.2, "min": 0.125, "max": 0.5}
    for am, value in expected.items():
        assert misalign.misalignment(goals, weights, conflicts, area_mean=am) == pytest.approx(value)
    conflicts[1] = [[0, 0.0], [0.0, 0]]
    assert misalign.misalignment(goals, weights, conflicts, area_mean="geometric") == 0.0
    assert misalign.misalignment(goals, weights, conflicts, area_mean="harmonic") == 0.0


def test_fewer_than_two_agents_score_zero():
    assert misalign.area_misalignment([], [], [[0, 1], [1, 0]]) == 0.0
    assert misalign.area_misalignment([1], [1.0], [[0, 1], [1, 0]], pairs="with_replacement") == 0.0


# --- against the brute-force definition ---------------------------------------------------------

@st.composite
def populations(draw, max_agents=9, max_areas=3, max_goals=4):
    n = draw(st.integers(0, max_agents))
    m = draw(st.integers(1, max_areas))
    ks = [draw(st.integers(1, max_goals)) for _ in range(m)]
    # a small palette of weights makes ties (which the sort-based min/max must handle) common
    weight = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0, 1))
    conflict_value = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 1))
    goals = [[draw(st.integers(0, ks[j])) for j in range(m)] for _ in range(n)]
    weights = [[draw(weight) for _ in range(m)] for _ in range(n)]
    conflicts = []
    for k in ks:
        c = np.zeros((k, k))
        for a, b in itertools.combinations(range(k), 2):
            c[a, b] = c[b, a] = draw(conflict_value)
        conflicts.append(c)
    return goals, weights, conflicts


def _arrays(goals, weights, m):
    g = np.array(goals, dtype=np.int64).reshape(-1, m)
    w = np.array(weights, dtype=np.float64).reshape(-1, m)
    return g, w


@settings(max_examples=150, deadline=None)
@given(populations(), st.sampled_from(PAIRS), st.sampled_from(WEIGHT_MEANS), st.sampled_from(AREA_MEANS),
       st.booleans())
def test_matches_brute_force_definition(pop, pairs, weight_mean, area_mean, normalize):
    goals, weights, conflicts = pop
    g, w = _arrays(goals, weights, len(conflicts))
    opts = dict(pairs=pairs, weight_mean=weight_mean, normalize=normalize)
    expected_areas = [reference.area_score(g[:, j].tolist(), w[:, j].tolist(), conflicts[j], **opts)
                      for j in range(len(conflicts))]
    np.testing.assert_allclose(misalign.area_scores(g, w, conflicts, **opts), expected_areas, rtol=1e-9, atol=1e-12)
    expected = reference.population_score(goals, weights, conflicts, area_mean=area_mean, **opts) if goals else \
        reference.combine(expected_areas, area_mean)
    assert misalign.misalignment(g, w, conflicts, area_mean=area_mean, **opts) == pytest.approx(expected, rel=1e-9,
                                                                                               abs=1e-12)


def test_large_population_matches_definition_every_weight_mean():
    # continuous weights, so the harmonic path pairs n distinct atoms and min/max sort n values
    rng = np.random.default_rng(7)
    n, k = 300, 5
    g = rng.integers(0, k + 1, n)
    w = rng.uniform(0, 1, n)
    c = np.triu(rng.uniform(0, 1, (k, k)), 1)
    c = c + c.T
    for wm in WEIGHT_MEANS:
        expected = reference.area_score(g.tolist(), w.tolist(), c, weight_mean=wm)
        assert misalign.area_misalignment(g, w, c, weight_mean=wm) == pytest.approx(expected, rel=1e-10)


def test_batch_equals_one_population_at_a_time():
    rng = np.random.default_rng(3)
    runs, n, ks = 6, 25, [2, 3, 4]
    g = np.stack([rng.integers(0, k + 1, (runs, n)) for k in ks], axis=2)
    w = rng.uniform(0, 1, (runs, n, len(ks)))
    shared = [misalign.simulation.samplers.random_conflict(rng, k) for k in ks]
    per_run = [misalign.simulation.samplers.random_conflict(rng, k, runs=runs) for k in ks]
    for wm in WEIGHT_MEANS:
        for conflicts in (shared, per_run):
            batch = misalign.area_scores_batch(g, w, conflicts, weight_mean=wm)
            for r in range(runs):
                cs = [c if c.ndim == 2 else c[r] for c in conflicts]
                np.testing.assert_allclose(batch[r], misalign.area_scores(g[r], w[r], cs, weight_mean=wm), rtol=1e-12)


# --- invariances ----------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(populations(max_agents=10), st.sampled_from(PAIRS), st.sampled_from(WEIGHT_MEANS), st.randoms())
def test_agent_permutation_invariance(pop, pairs, weight_mean, rnd):
    goals, weights, conflicts = pop
    g, w = _arrays(goals, weights, len(conflicts))
    order = list(range(len(g)))
    rnd.shuffle(order)
    opts = dict(pairs=pairs, weight_mean=weight_mean)
    np.testing.assert_allclose(misalign.area_scores(g[order], w[order], conflicts, **opts),
                               misalign.area_scores(g, w, conflicts, **opts), rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(populations(max_agents=10, max_areas=1), st.sampled_from(WEIGHT_MEANS), st.randoms())
def test_goal_relabelling_symmetry(pop, weight_mean, rnd):
    # renaming goals (and permuting the conflict matrix alike) cannot change the score
    goals, weights, conflicts = pop
    g, w = _arrays(goals, weights, 1)
    k = conflicts[0].shape[0]
    perm = list(range(k))
    rnd.shuffle(perm)
    new_id = np.array([0] + [p + 1 for p in perm])
    c_new = np.empty_like(conflicts[0])
    c_new[np.ix_(perm, perm)] = conflicts[0]
    assert misalign.area_misalignment(new_id[g[:, 0]], w[:, 0], c_new, weight_mean=weight_mean) == pytest.approx(
        misalign.area_misalignment(g[:, 0], w[:, 0], conflicts[0], weight_mean=weight_mean), abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(populations(), st.sampled_from(WEIGHT_MEANS))
def test_bounds(pop, weight_mean):
    goals, weights, conflicts = pop
    g, w = _arrays(goals, weights, len(conflicts))
    distinct = misalign.area_scores(g, w, conflicts, weight_mean=weight_mean)
    with_rep = misalign.area_scores(g, w, conflicts, weight_mean=weight_mean, pairs="with_replacement")
    assert (distinct >= 0).all() and (distinct <= 1 + 1e-12).all()
    assert (with_rep <= distinct + 1e-12).all()  # the two differ by (n - 1) / n
    n = len(g)
    if n >= 2:
        np.testing.assert_allclose(with_rep, distinct * (n - 1) / n, rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(populations(max_areas=1), st.sampled_from(["geometric", "harmonic", "min"]), st.data())
def test_zero_weight_equals_null_goal(pop, weight_mean, data):
    # section 4: an agent with zero weight is treated as holding no goal; true where the pair weight vanishes
    goals, weights, conflicts = pop
    g, w = _arrays(goals, weights, 1)
    if len(g) == 0:
        return
    i = data.draw(st.integers(0, len(g) - 1))
    w[i, 0] = 0.0
    g_null = g.copy()
    g_null[i, 0] = 0
    assert misalign.area_misalignment(g[:, 0], w[:, 0], conflicts[0], weight_mean=weight_mean) == pytest.approx(
        misalign.area_misalignment(g_null[:, 0], w[:, 0], conflicts[0], weight_mean=weight_mean), abs=1e-12)


def test_zero_weight_is_not_null_goal_for_arithmetic_mean():
    # the documented counterexample: (0 + 1) / 2 = 0.5 still weighs the conflict
    c = [[0, 1], [1, 0]]
    assert misalign.area_misalignment([1, 2], [0.0, 1.0], c, weight_mean="arithmetic") == 0.5
    assert misalign.area_misalignment([0, 2], [0.0, 1.0], c, weight_mean="arithmetic") == 0.0


@settings(max_examples=60, deadline=None)
@given(populations(max_agents=9), st.sampled_from(WEIGHT_MEANS))
def test_subpopulation_consistency(pop, weight_mean):
    # the distinct-pairs score is a U-statistic: the mean of the leave-one-out sub-population scores equals it
    goals, weights, conflicts = pop
    g, w = _arrays(goals, weights, len(conflicts))
    n = len(g)
    if n < 3:
        return
    full = misalign.area_scores(g, w, conflicts, weight_mean=weight_mean)
    keep = [np.delete(np.arange(n), i) for i in range(n)]
    loo = np.mean([misalign.area_scores(g[k], w[k], conflicts, weight_mean=weight_mean) for k in keep], axis=0)
    np.testing.assert_allclose(loo, full, rtol=1e-10, atol=1e-14)


def test_adding_null_goal_agents_only_dilutes():
    # agents with g0 add pairs that never conflict: distinct score scales by n(n-1) / (n'(n'-1))
    c = [[0, 1], [1, 0]]
    base = misalign.area_misalignment([1, 2, 2], [1, 1, 1], c)
    more = misalign.area_misalignment([1, 2, 2, 0, 0], [1, 1, 1, 1, 1], c)
    assert more == pytest.approx(base * (3 * 2) / (5 * 4))


# --- bad input --------------------------------------------------------------------------------------

C2 = [[0, 1], [1, 0]]


@pytest.mark.parametrize("kwargs, match", [
    (dict(conflict=[[0, 0.2], [0.3, 0]]), r"not symmetric: conflict\[0, 1\] = 0.2 but conflict\[1, 0\] = 0.3"),
    (dict(conflict=[[0.1, 1], [1, 0]]), r"conflict\[0, 0\] = 0.1; a goal never conflicts with itself"),
    (dict(conflict=[[0, 1.5], [1.5, 0]]), r"conflict\[0, 1\] = 1.5; expected a conflict in \[0, 1\]"),
    (dict(conflict=[[0, -0.5], [-0.5, 0]]), r"conflict\[0, 1\] = -0.5"),
    (dict(conflict=[[0, np.nan], [np.nan, 0]]), r"conflict\[0, 1\] is nan; expected a finite conflict"),
    (dict(conflict=[[0, 1, 0], [1, 0, 0]]), r"conflict must be a square k x k matrix.*shape \(2, 3\)"),
    (dict(weights=[1.0, np.inf]), r"weights\[1\] is inf; expected a finite weight"),
    (dict(weights=[1.0, np.nan]), r"weights\[1\] is nan"),
    (dict(weights=[-0.1, 1.0]), r"weights\[0\] = -0.1; expected a weight in \[0, 1\]"),
    (dict(weights=[1.0, 1.2]), r"weights\[1\] = 1.2; expected a weight in \[0, 1\]"),
    (dict(goals=[1, 3]), r"goals\[1\] = 3; expected a goal id in 0..2"),
    (dict(goals=[-1, 1]), r"goals\[0\] = -1; expected a goal id in 0..2"),
    (dict(goals=[1.0, 2.0]), r"goals must hold integer goal ids .* dtype float64"),
    (dict(goals=[1, 2, 1]), r"goals has shape \(3,\) but weights has shape \(2,\)"),
    (dict(pairs="ordered"), r"pairs='ordered' is not a valid option; expected one of 'distinct', 'with_replacement'"),
    (dict(weight_mean="mean"), r"weight_mean='mean' is not a valid option; expected one of 'geometric', 'arithmetic'"),
])
def test_bad_input_names_the_problem(kwargs, match):
    args = dict(goals=[1, 2], weights=[1.0, 0.5], conflict=C2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        misalign.area_misalignment(args.pop("goals"), args.pop("weights"), args.pop("conflict"), **args)


def test_bad_input_in_multi_area_calls_names_the_area():
    g, w = [[1, 1], [2, 2]], [[1, 1], [1, 1]]
    with pytest.raises(ValueError, match=r"conflicts\[1\] is not symmetric"):
        misalign.area_scores(g, w, [C2, [[0, 1], [0, 0]]])
    with pytest.raises(ValueError, match=r"conflicts has 1 matrices but there are 2 areas"):
        misalign.area_scores(g, w, [C2])
    with pytest.raises(ValueError, match=r"goals\[1, 1\] = 2; expected a goal id in 0..1 for area 1"):
        misalign.area_scores(g, w, [C2, [[0.0]]])
    with pytest.raises(ValueError, match=r"area_mean='median' is not a valid option; expected one of 'arithmetic'"):
        misalign.misalignment(g, w, [C2, C2], area_mean="median")
    with pytest.raises(ValueError, match=r"goals must be a 2-d array; got shape \(2,\)"):
        misalign.area_scores([1, 2], [1, 1], [C2])


def test_harmonic_area_mean_of_a_subnormal_score_is_not_an_error():
    # found by hypothesis: a conflict of 2.2e-313 gives an area score whose reciprocal overflows
    tiny = 2.22507386e-313
    c = [[0, tiny], [tiny, 0]]
    score = misalign.misalignment([[1, 1], [2, 2]], [[1, 1], [1, 1]], [c, [[0, 1], [1, 0]]], area_mean="harmonic")
    assert 0 <= score < 1e-300
