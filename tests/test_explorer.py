"""The explorer: its simulation against brute force and hand values, and its widgets driven from Python."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from misalign.compendium.explorer import DEFAULTS, WEIGHT_DISTRIBUTIONS, Explorer, simulate_worlds
from misalign.simulation.samplers import init_worlds


def _brute_area_score(goals, weights, conflict, pairs):
    """Pairs of agents enumerated one by one, geometric weight mean."""
    n = len(goals)
    drawn = itertools.product(range(n), repeat=2)
    if pairs == "distinct":
        drawn = [(i, j) for i, j in drawn if i != j]
    else:
        drawn = list(drawn)
    if not drawn:
        return 0.0
    total = sum(conflict[goals[i] - 1][goals[j] - 1] * math.sqrt(weights[i] * weights[j]) for i, j in drawn)
    return total / len(drawn)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 7), k=st.integers(1, 4), m=st.integers(1, 3), c=st.sampled_from([0.0, 0.3, 1.0]),
       weights=st.sampled_from(list(WEIGHT_DISTRIBUTIONS)), pairs=st.sampled_from(["distinct", "with_replacement"]),
       seed=st.integers(0, 2**32 - 1))
def test_simulate_matches_pairs_enumerated_on_the_same_worlds(n, k, m, c, weights, pairs, seed):
    got = simulate_worlds(np.random.default_rng(seed), n_agents=n, n_goals=k, n_areas=m, conflict=c, weights=weights,
                   pairs=pairs, runs=3)
    worlds = init_worlds(np.random.default_rng(seed), runs=3, n_agents=n, n_goals=[k] * m, conflict=c,
                         weights=WEIGHT_DISTRIBUTIONS[weights])
    conflict = np.full((k, k), c) - np.diag([c] * k)
    for r in range(3):
        for j in range(m):
            expected = _brute_area_score(worlds.goals[r, :, j], worlds.weights[r, :, j], conflict, pairs)
            assert got[r, j] == pytest.approx(expected, abs=1e-12)


def test_hand_values_of_the_readings():
    rng = np.random.default_rng
    base = dict(n_agents=100, n_goals=3, n_areas=2, runs=400)
    full = simulate_worlds(rng(1), conflict=1.0, weights="all 1", **base)
    # by hand: two different agents disagree with probability (k-1)/k = 2/3
    assert full.mean() == pytest.approx(2 / 3, abs=0.005)
    # conflict enters linearly and draws nothing: same seed, same goals, half the score
    np.testing.assert_allclose(simulate_worlds(rng(1), conflict=0.5, weights="all 1", **base), full / 2, rtol=1e-12)
    # self-pairs never conflict: with replacement scales by (n-1)/n = 99/100
    np.testing.assert_allclose(simulate_worlds(rng(1), conflict=1.0, weights="all 1", pairs="with_replacement", **base),
                               full * 99 / 100, rtol=1e-12)
    # by hand: E sqrt(w) = 2/3 for w ~ U(0, 1), so the expectation is (2/3) * (2/3)**2 = 8/27
    uniform = simulate_worlds(rng(2), conflict=1.0, weights="uniform(0, 1)", **base)
    assert uniform.mean() == pytest.approx(8 / 27, abs=0.005)
    assert not simulate_worlds(rng(3), conflict=1.0, weights="all 1", n_agents=50, n_goals=1, n_areas=3).any()


def test_same_seed_same_scores():
    a = simulate_worlds(np.random.default_rng(7), n_agents=30, n_goals=4, n_areas=3, conflict=0.7, weights="uniform(0, 1)")
    b = simulate_worlds(np.random.default_rng(7), n_agents=30, n_goals=4, n_areas=3, conflict=0.7, weights="uniform(0, 1)")
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("bad, message", [
    (dict(weights="normal"), r"weights='normal' is not a valid option; expected one of 'all 1', 'uniform\(0, 1\)'"),
    (dict(pairs="both"), r"pairs='both' is not a valid option; expected one of 'distinct', 'with_replacement'"),
    (dict(weight_mean="median"), r"weight_mean='median' is not a valid option"),
    (dict(n_goals=0), r"n_goals\[0\]"),
])
def test_simulate_rejects_bad_settings(bad, message):
    args = dict(n_agents=5, n_goals=2, n_areas=1, conflict=1.0, weights="all 1") | bad
    with pytest.raises(ValueError, match=message):
        simulate_worlds(np.random.default_rng(0), **args)


def test_simulate_rejects_a_seed_in_place_of_a_generator():
    with pytest.raises(ValueError, match=r"rng = 0; expected a numpy.random.Generator"):
        simulate_worlds(0, n_agents=5, n_goals=2, n_areas=1, conflict=1.0, weights="all 1")


def test_explorer_rejects_unknown_settings():
    with pytest.raises(ValueError, match=r"unknown settings \['agents'\]; expected some of \['n_agents'"):
        Explorer(agents=3)


def _bars(ex):
    hist_ax, bar_ax = ex.figure.axes[:2]
    return [p.get_height() for p in bar_ax.patches], [p.get_height() for p in hist_ax.patches]


def test_every_setting_has_a_control_starting_at_its_default():
    ex = Explorer(runs=10)
    assert list(ex.controls) == ["n_agents", "n_goals", "n_areas", "conflict", "weights", "pairs", "weight_mean"]
    assert ex.settings == {k: v for k, v in DEFAULTS.items() if k in ex.controls}


def test_moving_a_slider_redraws_the_figure():
    ex = Explorer(runs=50)
    bars, hist = _bars(ex)
    png = ex.image.value
    assert len(bars) == DEFAULTS["n_areas"] and sum(hist) == 50
    ex.controls["conflict"].value = 0.25
    new_bars, new_hist = _bars(ex)
    # by hand: conflict is linear in the score and the seed redraws the same goals
    np.testing.assert_allclose(new_bars, np.array(bars) * 0.25, rtol=1e-12)
    assert ex.image.value != png and sum(new_hist) == 50
    ex.controls["n_areas"].value = 6
    assert len(_bars(ex)[0]) == 6
    ex.controls["n_goals"].value = 1
    assert _bars(ex)[0] == [0.0] * 6


def test_moving_a_menu_redraws_the_figure():
    ex = Explorer(runs=50, n_agents=10)
    bars, _ = _bars(ex)
    ex.controls["pairs"].value = "with_replacement"
    np.testing.assert_allclose(_bars(ex)[0], np.array(bars) * 9 / 10, rtol=1e-12)
    png = ex.image.value
    ex.controls["weights"].value = "uniform(0.25, 0.75)"
    assert ex.image.value != png and max(_bars(ex)[0]) < max(bars)
    png = ex.image.value
    ex.controls["weight_mean"].value = "min"
    assert ex.image.value != png


def test_a_setting_draws_the_same_picture_whatever_came_before():
    ex = Explorer(runs=20)
    first = ex.image.value
    ex.controls["n_agents"].value = 7
    ex.controls["n_agents"].value = DEFAULTS["n_agents"]
    assert ex.image.value == first


def test_panel_shows_a_short_note_and_a_fixed_model_id_to_non_widget_front_ends():
    bundle = Explorer(runs=5).panel._repr_mimebundle_()
    assert bundle["text/plain"] == "misalign explorer (interactive in JupyterLab or on Binder)"
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"].startswith("misalign-explorer-")


def test_table_rows_are_areas_then_population():
    ex = Explorer(runs=30, n_areas=3)
    t = ex.table()
    assert t["area"].tolist() == ["1", "2", "3", "population"]
    # the population score of each world is the mean of its areas, so the means agree
    assert t["mean"].iloc[-1] == pytest.approx(t["mean"].iloc[:3].mean(), rel=1e-12)
    assert (t["min"] <= t["mean"]).all() and (t["mean"] <= t["max"]).all()
