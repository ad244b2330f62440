"""Conflict from answer scales, and agents whose goals are uncertain (the expected score, exactly)."""

from __future__ import annotations

import itertools
import math

import dask
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import misalign
from misalign.core.expected import expected_area_scores, expected_misalignment, expected_pair_sum
from misalign.core.scales import scale_conflict
from misalign.tables.conflicts import conflict_table

from . import reference
from .test_own_data import ROUTES, _route

MEANS = ["geometric", "arithmetic", "harmonic", "min", "max", "none"]


# --------------------------------------------------------------------------- scales

def test_nominal_ordinal_and_interval_by_hand():
    np.testing.assert_array_equal(scale_conflict(["a", "b", "c"]), [[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    # four ordered levels: one step is 1/3, two 2/3, three 1
    np.testing.assert_allclose(scale_conflict([1, 2, 3, 4], "ordinal")[0], [0, 1 / 3, 2 / 3, 1])
    # positions 0, 1, 10: distances over the range 10
    np.testing.assert_allclose(scale_conflict(["lo", "mid", "hi"], "interval", values=[0, 1, 10])[0], [0, 0.1, 1])
    # a distance mapping: full conflict from 2 apart
    c = scale_conflict([0, 1, 2, 3], "interval", distance=lambda d: np.minimum(1, d / 2))
    np.testing.assert_allclose(c[0], [0, 0.5, 1, 1])
    assert scale_conflict(["only"], "ordinal").tolist() == [[0.0]]


def test_a_user_function():
    def disagree(a, b):  # answers on one side of "maybe" agree with each other more
        return 0.0 if a == b else (0.5 if "maybe" in (a, b) else 1.0)

    np.testing.assert_array_equal(scale_conflict(["yes", "maybe", "no"], disagree),
                                  [[0, .5, 1], [.5, 0, .5], [1, .5, 0]])


@pytest.mark.parametrize("args, kwargs, match", [
    (([],), {}, r"levels is empty"),
    ((["a", "a"],), {}, r"levels names 'a' twice"),
    (([1, 2],), {"scale": "ratio"}, r"scale='ratio' is not a valid option"),
    ((["a", "b"], "interval"), {}, r"an interval scale needs a number for every level"),
    (([1, 2], "interval"), {"values": [1]}, r"values has 1 entries but there are 2 levels"),
    (([1, 2], "interval"), {"values": [3, 3]}, r"are all equal"),
    (([1, 2], "interval"), {"values": [1, float("nan")]}, r"expected a finite number"),
    (([1, 2], lambda a, b: 2.0), {}, r"expected a conflict in \[0, 1\]"),
    (([1, 2], lambda a, b: float(a < b)), {}, r"is not symmetric"),
    (([0, 1, 2], "interval"), {"distance": lambda d: d}, r"expected a conflict in \[0, 1\]"),
])
def test_bad_scales_are_named(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        scale_conflict(*args, **kwargs)


# --------------------------------------------------------------------------- uncertain goals

@st.composite
def uncertain_populations(draw):
    n = draw(st.integers(0, 4))
    k = draw(st.integers(1, 3))
    c = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            c[i, j] = c[j, i] = draw(st.sampled_from([0.0, 0.5, 1.0, 0.3]))
    dists = []
    for _ in range(n):
        raw = np.array(draw(st.lists(st.sampled_from([0, 0, 1, 2, 3]), min_size=k + 1, max_size=k + 1)), float)
        if raw.sum() == 0:
            raw[draw(st.integers(0, k))] = 1
        dists.append(raw / raw.sum())
    weights = draw(st.lists(st.sampled_from([0.0, 0.25, 1.0, 0.6]), min_size=n, max_size=n))
    return np.array(dists).reshape(n, k + 1), np.array(weights, float), c


@settings(max_examples=60, deadline=None)
@given(population=uncertain_populations(), weight_mean=st.sampled_from(MEANS),
       pairs=st.sampled_from(["distinct", "with_replacement"]), normalize=st.booleans())
def test_the_expected_score_equals_enumerating_every_draw(population, weight_mean, pairs, normalize):
    p, w, c = population
    got = expected_area_scores([p], w[:, None], [c], pairs=pairs, weight_mean=weight_mean, normalize=normalize)[0]
    want = reference.expected_area_score(p.tolist(), w.tolist(), c.tolist(), pairs=pairs, weight_mean=weight_mean,
                                         normalize=normalize)
    assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-15)


def test_with_exclude_agents_that_did_not_answer_leave_the_population():
    p = np.array([[0, 1, 0], [0, .5, .5], [1, 0, 0], [0, .2, .8]])
    w = np.array([1, .5, .3, 1.0])
    c = np.array([[0, 1], [1, 0]])
    got = expected_area_scores([p], w[:, None], [c], missing="exclude")[0]
    want = reference.expected_area_score(p.tolist(), w.tolist(), c.tolist(), missing="exclude")
    assert math.isclose(got, want, rel_tol=1e-12)
    with pytest.raises(ValueError, match=r"probabilities\[0\]\[1, 0\] = 0.5; with missing='exclude' an agent"):
        expected_area_scores([[[0, 1, 0], [.5, .5, 0]]], np.ones((2, 1)), [c], missing="exclude")


@pytest.mark.parametrize("weight_mean", MEANS)
def test_one_hot_goals_give_todays_score_to_the_last_bit(weight_mean):
    rng = np.random.default_rng(3)
    n, ks = 300, [3, 2, 4]
    goals = np.stack([rng.integers(0, k + 1, n) for k in ks], axis=1)
    weights = rng.random((n, 3))
    conflicts = [misalign.samplers.random_conflict(rng, k) for k in ks]
    one_hot = [np.eye(k + 1)[goals[:, j]] for j, k in enumerate(ks)]
    today = misalign.area_scores(goals, weights, conflicts, weight_mean=weight_mean)
    assert expected_area_scores(one_hot, weights, conflicts, weight_mean=weight_mean).tolist() == today.tolist()
    assert expected_misalignment(one_hot, weights, conflicts, weight_mean=weight_mean) == \
        misalign.misalignment(goals, weights, conflicts, weight_mean=weight_mean)
    # the probabilistic route itself (not the one-hot shortcut) on the same input
    for j, k in enumerate(ks):
        c = misalign.core.engine.padded(conflicts[j])
        forced = expected_pair_sum(one_hot[j], weights[:, j], c, weight_mean) / (n * (n - 1))
        if misalign.core.means.MEANS[weight_mean].factorized:
            assert forced == today[j]  # the same sums in the same order, minus self terms that are exactly 0
        else:
            assert math.isclose(forced, today[j], rel_tol=1e-12)


@pytest.mark.parametrize("bad, match", [
    ([[0, 1.2, 0]], r"probabilities\[0\]\[0, 1\] = 1.2; expected a probability in \[0, 1\]"),
    ([[0.5, 0.2, 0.2]], r"probabilities\[0\]\[0\] sums to 0.9; expected the probabilities of the null goal"),
    ([[0.9, 0.2]], r"probabilities\[0\]\[0\] sums to 1.1; expected at most 1 over the explicit goals"),
    ([[0, 1, 0, 0]], r"probabilities\[0\] has shape \(1, 4\); expected \(1, 3\)"),
    ([[True, False, False]], r"must hold probabilities"),
])
def test_bad_probabilities_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        expected_area_scores([bad], np.ones((1, 1)), [[[0, 1], [1, 0]]])


def test_shares_over_explicit_goals_leave_the_rest_to_no_goal():
    c = [[0, 1], [1, 0]]
    full = expected_area_scores([[[0.2, 0.5, 0.3], [0, 1, 0]]], np.ones((2, 1)), [c])
    short = expected_area_scores([[[0.5, 0.3], [1, 0]]], np.ones((2, 1)), [c])
    assert full.tolist() == short.tolist()
    assert full[0] == pytest.approx(0.3)  # only agent 1 drawing goal 2 conflicts with agent 2


# --------------------------------------------------------------------------- the table route

def _uncertain_table():
    conflicts = conflict_table({"p": (["x", "y", "z"], [[0, 1, .5], [1, 0, .2], [.5, .2, 0]]),
                                "q": ([1, 2], [[0, 1], [1, 0]])})
    agents = pd.DataFrame({
        "agent": [1, 1, 2, 3, 3, 3, 1, 2, 2, 3],
        "area": ["p", "p", "p", "p", "p", "p", "q", "q", "q", "q"],
        "goal": ["x", "y", "x", "y", "z", None, 1, 1, 2, 2],
        "probability": [.5, .5, 1, .3, .3, .4, 1, .25, .75, 1],
        "weight": [1, 1, .5, .8, .8, None, .6, .9, .9, .2],
    })
    agents["goal"] = agents["goal"].astype(object)
    return agents, conflicts


def test_probability_column_gives_the_enumerated_expectation_on_every_route(tmp_path):
    agents, conflicts = _uncertain_table()
    expected_p = reference.expected_area_score([[0, .5, .5, 0], [0, 1, 0, 0], [.4, 0, .3, .3]], [1, .5, .8],
                                               [[0, 1, .5], [1, 0, .2], [.5, .2, 0]])
    expected_q = reference.expected_area_score([[0, 1, 0], [0, .25, .75], [0, 0, 1]], [.6, .9, .2], [[0, 1], [1, 0]])
    results = {}
    for route in ROUTES:
        with dask.config.set(scheduler="sync"):
            results[route] = misalign.score_frame(_route(route, agents, tmp_path / route), conflicts,
                                                  probability="probability")
    for route in ROUTES[1:]:
        pd.testing.assert_frame_equal(results[route], results["pandas"], check_exact=True, obj=route)
    out = results["pandas"]
    assert out["score"][0] == pytest.approx(expected_p, rel=1e-12)
    assert out["score"][1] == pytest.approx(expected_q, rel=1e-12)
    assert out["n"].tolist() == [3, 3, 3]


def test_probability_rows_that_do_not_add_up(survey_free=None):
    agents, conflicts = _uncertain_table()
    over = agents.copy()
    over.loc[0, "probability"] = 0.7
    with pytest.raises(ValueError, match=r"the probabilities of agent '1' in area 'p' sum to 1.2; expected at most 1"):
        misalign.score_frame(over, conflicts, probability="probability")
    weights = agents.copy()
    weights.loc[1, "weight"] = 0.5
    with pytest.raises(ValueError, match=r"agent 1 has weights 0.5 and 1.0 in area 'p'|agent 1 has weights 1.0 and "
                                         r"0.5 in area 'p'"):
        misalign.score_frame(weights, conflicts, probability="probability")
    twice = pd.concat([agents, agents.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"1 row repeats an \(agent, area, goal\) in area 'p'"):
        misalign.score_frame(twice, conflicts, probability="probability")
    text = agents.astype({"probability": object})
    text.loc[2, "probability"] = "sure"
    with pytest.raises(ValueError, match=r"column 'probability' has 'sure' in area 'p' on 1 row \(e.g. agent 2"):
        misalign.score_frame(text, conflicts, probability="probability")
    with pytest.raises(ValueError, match=r"agent '3' holds no goal in area 'p' with probability 0.4"):
        misalign.score_frame(agents, conflicts, probability="probability", missing="exclude")
