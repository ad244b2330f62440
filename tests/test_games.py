"""Tests of misalign.neighbours.games against the documents' numbers, hand computations and brute-force enumeration.

The documents: a SERI research write-up on game-theoretic alignment metrics (mentored by Alex Turner), and
Hadfield, Hadfield-Menell, Leibo, Trivedi and Satija, *Cross Disciplinary Insights Into Alignment in Humans and
Machines*.
"""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from misalign import games
from misalign import misalignment
from misalign.neighbours.games import (
    ca_alignment,
    classify_dilemma,
    conflict_matrices,
    coordination_gap,
    dilemma_game,
    dilemma_motives,
    dilemma_parameters,
    example_game,
    expected_payoffs,
    game_summary,
    maxmin,
    nash_bargaining,
    pure_nash,
    surplus,
    threat_point,
    utility_covariance,
    utility_sum,
)

# ---------------------------------------------------------------- brute force


def _profiles(shape):
    return list(itertools.product(*(range(m) for m in shape)))


def brute_alpha(u):
    profiles = _profiles(u.shape[1:])
    best_welfare = max(sum(u[i][a] for i in range(u.shape[0])) for a in profiles)
    best_each = sum(max(u[i][a] for a in profiles) for i in range(u.shape[0]))
    return best_welfare - best_each


def brute_nash(u):
    n = u.shape[0]
    out = []
    for a in _profiles(u.shape[1:]):
        stable = True
        for i in range(n):
            for alt in range(u.shape[1 + i]):
                b = list(a)
                b[i] = alt
                if u[i][tuple(b)] > u[i][a]:
                    stable = False
        if stable:
            out.append(a)
    return out


def brute_expectation(u, strategies):
    total = np.zeros(u.shape[0])
    for a in _profiles(u.shape[1:]):
        prob = np.prod([strategies[i][a[i]] for i in range(len(a))])
        total += prob * u[(slice(None),) + a]
    return total


def brute_maxmin_two_actions(u, player, grid=2001):
    """Security value of a player with two actions, on a fine grid of mixtures."""
    ui = np.moveaxis(u[player], player, 0).reshape(2, -1)
    x = np.linspace(0, 1, grid)
    guarantee = (np.outer(x, ui[0]) + np.outer(1 - x, ui[1])).min(axis=1)
    return guarantee.max()


# No hypothesis deadlines: speed is measured in benchmarks, never asserted in tests.
small_games = st.integers(2, 3).flatmap(
    lambda m: arrays(np.float64, (2, m, 2), elements=st.integers(-5, 5).map(float))
)
three_player = arrays(np.float64, (3, 2, 2, 2), elements=st.integers(-4, 4).map(float))
any_game = st.one_of(small_games, three_player)
scales = st.sampled_from([0.5, 2.0, 3.0])
shifts = st.integers(-7, 7).map(float)


def _affine_one_player(u, player, a, b):
    v = u.copy()
    v[player] = a * v[player] + b
    return v


# ---------------------------------------------------------------- the documents' numbers


def test_alpha_matching_pennies_is_minus_two():
    # the SERI write-up: max welfare 0, each player's best 1: (0) - (2) = -2
    assert ca_alignment(example_game("matching_pennies")) == -2.0


def test_alpha_prisoners_dilemma_both_readings_of_the_seri_write_up():
    # the SERI write-up's text: best welfare -2 (mutual cooperation), each player's best 0: -2 - 0
    assert ca_alignment(example_game("prisoners_dilemma_years")) == -2.0
    # its arithmetic: (4) - (6) = -2
    assert ca_alignment(example_game("prisoners_dilemma_years_plus_3")) == -2.0
    # the shifted game is the text's game plus 3 for every player
    assert np.array_equal(example_game("prisoners_dilemma_years_plus_3"), example_game("prisoners_dilemma_years") + 3)


@pytest.mark.parametrize("name, alpha", [
    ("prisoners_dilemma", 6 - 8),          # (3+3) - (4+4)
    ("prisoners_dilemma_intro", 4 - 8),    # (2+2) - (4+4)
    ("chicken", 6 - 8),                    # (3+3) - (4+4)
    ("stag_hunt", 8 - 8),                  # (4+4) - (4+4): stag/stag is best for both
    ("bach_or_stravinsky", 5 - 6),         # (3+2) - (3+3)
    ("coordination_3x3", 6 - 6),           # (3+3) - (3+3)
])
def test_alpha_of_hadfield_et_al_games_by_hand(name, alpha):
    assert ca_alignment(example_game(name)) == alpha


def test_sum_of_utility_is_minus_four_plus_cooperators():
    g = example_game("prisoners_dilemma_years")
    for a in _profiles((2, 2)):
        cooperators = sum(1 for x in a if x == 0)
        assert utility_sum(g, a) == -4 + cooperators


def test_sum_of_utility_is_zero_in_matching_pennies():
    g = example_game("matching_pennies")
    for a in _profiles((2, 2)):
        assert utility_sum(g, a) == 0.0
    assert utility_sum(g, [[0.3, 0.7], [0.9, 0.1]]) == pytest.approx(0.0, abs=1e-15)


@settings(deadline=None)
@given(p1=st.floats(0, 1), p2=st.floats(0, 1))
def test_covariance_in_the_seri_write_ups_prisoners_dilemma(p1, p2):
    # the SERI write-up: Cov(u1, u2) = -2 sum_i p_i (1 - p_i), p_i the probability that i defects
    g = example_game("prisoners_dilemma_years")
    cov = utility_covariance(g, [[1 - p1, p1], [1 - p2, p2]])
    assert cov[0, 1] == pytest.approx(-2 * (p1 * (1 - p1) + p2 * (1 - p2)), abs=1e-12)
    assert cov[0, 1] == pytest.approx(cov[1, 0], abs=1e-15)


def test_covariance_at_half_is_minus_one():
    # the SERI write-up: "for p_i = Ber(1/2) we have M = -1"
    g = example_game("prisoners_dilemma_years")
    assert utility_covariance(g, [[0.5, 0.5], [0.5, 0.5]])[0, 1] == -1.0


@settings(deadline=None)
@given(x=st.floats(0, 1), y=st.floats(0, 1))
def test_covariance_of_zero_sum_game_is_minus_variance(x, y):
    g = example_game("matching_pennies")
    cov = utility_covariance(g, [[x, 1 - x], [y, 1 - y]])
    assert cov[0, 1] == pytest.approx(-cov[0, 0], abs=1e-12)
    assert cov[0, 1] <= 1e-12


@settings(deadline=None)
@given(g=any_game)
def test_covariance_is_zero_for_pure_profiles(g):
    a = tuple(0 for _ in range(g.shape[0]))
    assert np.allclose(utility_covariance(g, a), 0.0)


@settings(deadline=None)
@given(g=any_game, data=st.data())
def test_expected_payoffs_against_enumeration(g, data):
    strategies = []
    for m in g.shape[1:]:
        raw = np.array(data.draw(st.lists(st.integers(1, 9), min_size=m, max_size=m)), dtype=float)
        strategies.append(raw / raw.sum())
    assert np.allclose(expected_payoffs(g, strategies), brute_expectation(g, strategies))


# ---------------------------------------------------------------- C-A inequalities and alpha


@settings(max_examples=200, deadline=None)
@given(g=any_game)
def test_alpha_against_enumeration(g):
    assert ca_alignment(g) == pytest.approx(brute_alpha(g), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(g=any_game)
def test_alpha_is_zero_exactly_when_one_profile_is_best_for_all(g):
    profiles = _profiles(g.shape[1:])
    best_for_all = any(all(g[i][a] == g[i].max() for i in range(g.shape[0])) for a in profiles)
    assert ca_alignment(g) <= 0
    assert (ca_alignment(g) == 0) == best_for_all


@settings(deadline=None)
def _pareto_payoff_vectors(u):
    vectors = {tuple(u[(slice(None),) + a]) for a in _profiles(u.shape[1:])}
    return {v for v in vectors
            if not any(all(x >= y for x, y in zip(w, v)) and w != v for w in vectors)}


@settings(max_examples=200, deadline=None)
@given(g=any_game)
def test_alpha_zero_iff_unique_pareto_efficient_payoff(g):
    # the SERI write-up: "The Alignment inequality is an equality iff there exists a unique Pareto
    # efficient payoff profile"
    assert (ca_alignment(g) == 0) == (len(_pareto_payoff_vectors(g)) == 1)


@settings(deadline=None)
@given(g=any_game, data=st.data())
def test_coordination_inequality_chain(g, data):
    a = tuple(data.draw(st.integers(0, m - 1)) for m in g.shape[1:])
    attained = utility_sum(g, a)
    best = g.sum(axis=0).max()
    assert coordination_gap(g, a) == pytest.approx(best - attained, abs=1e-12)
    assert attained <= best <= best - ca_alignment(g) + 1e-12


def test_common_payoff_game_has_alpha_zero():
    rng = np.random.default_rng(0)
    common = rng.normal(size=(3, 4))
    assert ca_alignment(np.stack([common, common])) == 0.0


@settings(deadline=None)
@given(g=small_games, data=st.data())
def test_constant_sum_game_has_zero_coordination_gap(g, data):
    const = np.stack([g[0], 5.0 - g[0]])
    a = tuple(data.draw(st.integers(0, m - 1)) for m in const.shape[1:])
    assert coordination_gap(const, a) == 0.0
    # alpha is then the whole C-A gap: 5 - sum_i max u_i
    assert ca_alignment(const) == 5.0 - const[0].max() - const[1].max()


# ---------------------------------------------------------------- affine transformations


@settings(deadline=None)
@given(g=any_game, data=st.data(), b=shifts)
def test_alpha_and_gap_invariant_to_shifting_one_player(g, data, b):
    i = data.draw(st.integers(0, g.shape[0] - 1))
    h = _affine_one_player(g, i, 1.0, b)
    a = tuple(0 for _ in range(g.shape[0]))
    assert ca_alignment(h) == pytest.approx(ca_alignment(g), abs=1e-12)
    assert coordination_gap(h, a) == pytest.approx(coordination_gap(g, a), abs=1e-12)


@settings(deadline=None)
@given(g=any_game, a=scales)
def test_alpha_scales_with_a_common_scale(g, a):
    assert ca_alignment(a * g) == pytest.approx(a * ca_alignment(g), abs=1e-12)


def test_alpha_not_invariant_to_scaling_one_player():
    # documented counterexample: doubling the row player of the SERI write-up's prisoner's dilemma.
    # welfare CC -2-1 = -3, DC 0-3 = -3; each player's best is 0: alpha = -3
    g = _affine_one_player(example_game("prisoners_dilemma_years"), 0, 2.0, 0.0)
    assert ca_alignment(g) == -3.0


@settings(deadline=None)
@given(g=any_game, data=st.data(), a=scales, b=shifts)
def test_alpha_zero_invariant_to_affine_change_of_one_player(g, data, a, b):
    i = data.draw(st.integers(0, g.shape[0] - 1))
    assert (ca_alignment(_affine_one_player(g, i, a, b)) == 0) == (ca_alignment(g) == 0)


@settings(deadline=None)
@given(g=any_game, data=st.data(), a=scales, b=shifts)
def test_pure_nash_invariant_to_affine_change_of_one_player(g, data, a, b):
    i = data.draw(st.integers(0, g.shape[0] - 1))
    assert pure_nash(_affine_one_player(g, i, a, b)) == pure_nash(g)


@settings(deadline=None)
@given(g=small_games, x=st.floats(0.05, 0.95), y=st.floats(0.05, 0.95), a=scales, b=shifts)
def test_covariance_scales_with_one_player(g, x, y, a, b):
    prof = [np.r_[x, np.full(g.shape[1] - 1, (1 - x) / (g.shape[1] - 1))], [y, 1 - y]]
    before = utility_covariance(g, prof)[0, 1]
    after = utility_covariance(_affine_one_player(g, 0, a, b), prof)[0, 1]
    assert after == pytest.approx(a * before, abs=1e-9)


def test_utility_sum_not_invariant_to_scaling_one_player():
    # counterexample: in Hadfield et al.'s prisoner's dilemma welfare ranks CC (3+3=6) above DC (4+0=4);
    # with the row player's utility times 4, CC = 12+3 = 15 falls below DC = 16+0 = 16.
    g = example_game("prisoners_dilemma")
    h = _affine_one_player(g, 0, 4.0, 0.0)
    assert utility_sum(g, (0, 0)) > utility_sum(g, (1, 0))
    assert utility_sum(h, (0, 0)) < utility_sum(h, (1, 0))


# ---------------------------------------------------------------- Nash equilibria


@settings(max_examples=200, deadline=None)
@given(g=any_game)
def test_pure_nash_against_enumeration(g):
    assert pure_nash(g) == brute_nash(g)


@pytest.mark.parametrize("name, expected", [
    ("prisoners_dilemma", [(1, 1)]),           # Hadfield et al.: "just one equilibrium, (D, D)"
    ("chicken", [(0, 1), (1, 0)]),             # one swerves, the other does not
    ("stag_hunt", [(0, 0), (1, 1)]),
    ("matching_pennies", []),
    ("bach_or_stravinsky", [(0, 0), (1, 1)]),  # Hadfield et al.: "two pure strategy conventions"
    ("coordination_3x3", [(0, 0), (1, 1), (2, 2)]),
])
def test_pure_nash_of_document_games(name, expected):
    assert pure_nash(example_game(name)) == expected


# ---------------------------------------------------------------- maxmin, surplus, bargaining


@settings(max_examples=100, deadline=None)
@given(g=small_games)
def test_maxmin_value_against_grid(g):
    # player 1 has two actions; the grid value is a lower bound within grid spacing
    m = maxmin(g, 1)
    grid = brute_maxmin_two_actions(g, 1)
    # payoffs differ by at most 10, so the guarantee is 10-Lipschitz in the mixture
    assert grid - 1e-9 <= m.value <= grid + 10 / 2000 + 1e-9
    assert m.strategy.sum() == pytest.approx(1.0)


@settings(deadline=None)
@given(g=small_games, data=st.data(), a=scales, b=shifts)
def test_maxmin_value_moves_with_affine_change(g, data, a, b):
    i = data.draw(st.integers(0, 1))
    h = _affine_one_player(g, i, a, b)
    assert maxmin(h, i).value == pytest.approx(a * maxmin(g, i).value + b, abs=1e-7)


def test_maxmin_matching_pennies_and_prisoners_dilemma():
    mp = maxmin(example_game("matching_pennies"), 1)
    assert np.allclose(mp.strategy, [0.5, 0.5]) and mp.value == pytest.approx(0.0, abs=1e-12)
    pd = maxmin(example_game("prisoners_dilemma"), 0)
    assert np.allclose(pd.strategy, [0, 1]) and pd.value == pytest.approx(1.0)


def test_surplus_of_best_response_can_be_negative():
    # the counterexample in surplus's docstring to the SERI write-up's "best response => s_i >= 0"
    row = np.array([[3.0, 0.0], [2.0, 1.0]])
    col = np.array([[1.0, 0.0], [1.0, 0.0]])
    g = np.stack([row, col])
    tp = threat_point(g)
    assert np.allclose(tp.strategies[0], [0, 1]) and np.allclose(tp.strategies[1], [1, 0])
    assert tp.payoffs[0] == pytest.approx(2.0)       # u_1(a_0) = row[1, 0]
    assert tp.security[0] == pytest.approx(1.0)      # min(2, 1)
    best_reply_to_col1 = int(np.argmax(row[:, 1]))
    assert surplus(g, (best_reply_to_col1, 1), tp)[0] == pytest.approx(-1.0)
    # against the security value the surplus would be 1 - 1 = 0 >= 0
    assert row[best_reply_to_col1, 1] - tp.security[0] >= 0


def brute_bargain(g):
    """All pure profiles with every surplus >= 0 (up to the LP's rounding), best product first-found."""
    d = threat_point(g).payoffs
    tol = 1e-9 * (1 + np.abs(g).max())
    found = []
    for a in _profiles(g.shape[1:]):
        s = g[(slice(None),) + a] - d
        s[np.abs(s) <= tol] = 0.0
        if (s >= 0).all():
            found.append((a, float(np.prod(s))))
    if not found:
        return None, 0.0
    best = max(p for _, p in found)
    return next(a for a, p in found if p >= best - tol), best


@settings(max_examples=100, deadline=None)
@given(g=small_games)
def test_nash_bargaining_against_enumeration(g):
    b = nash_bargaining(g)
    arg, best = brute_bargain(g)
    if arg is None:
        assert b.profile is None and b.product == 0.0
    else:
        assert b.product == pytest.approx(best, abs=1e-9)
        assert b.profile == arg


@settings(max_examples=100, deadline=None)
@given(g=small_games, data=st.data(), a=scales, b=shifts)
def test_nash_bargaining_profile_invariant_to_affine_change(g, data, a, b):
    i = data.draw(st.integers(0, 1))
    h = _affine_one_player(g, i, a, b)
    # a maxmin strategy need not be unique; compare only when the LP picks the same one
    assume(all(np.allclose(x, y) for x, y in zip(threat_point(g).strategies, threat_point(h).strategies)))
    before, after = nash_bargaining(g), nash_bargaining(h)
    if before.profile is None:
        assert after.profile is None
        return
    d = threat_point(g).payoffs
    products = [np.prod(g[(slice(None),) + p] - d) for p in _profiles(g.shape[1:])
                if (g[(slice(None),) + p] - d >= 0).all()]
    if sum(np.isclose(x, before.product, atol=1e-9) for x in products) == 1:
        assert after.profile == before.profile
        assert after.product == pytest.approx(a * before.product, abs=1e-6)


def test_nash_bargaining_prisoners_dilemma():
    b = nash_bargaining(example_game("prisoners_dilemma"))
    assert b.profile == (0, 0) and b.product == pytest.approx(4.0)  # (3-1)(3-1)
    assert np.allclose(b.surplus, [2.0, 2.0])


def test_nash_bargaining_tie_goes_to_first_profile():
    # Bach or Stravinsky: threat (6/5, 6/5); AA gives (1.8, 0.8), BB (0.8, 1.8): both 1.44
    b = nash_bargaining(example_game("bach_or_stravinsky"))
    assert b.profile == (0, 0) and b.product == pytest.approx(1.8 * 0.8)


def test_nash_bargaining_disagreement_when_no_profile_dominates_threat():
    # matching pennies: threat point (0, 0) in expectation, every pure profile gives
    # one player -1, so no pure agreement is acceptable to both
    b = nash_bargaining(example_game("matching_pennies"))
    assert b.profile is None and b.product == 0.0 and np.array_equal(b.surplus, [0.0, 0.0])


# ---------------------------------------------------------------- social dilemmas


@pytest.mark.parametrize("name, cls, greed, fear", [
    ("prisoners_dilemma", "prisoners_dilemma", True, True),
    ("prisoners_dilemma_intro", "prisoners_dilemma", True, True),
    ("prisoners_dilemma_years", "prisoners_dilemma", True, True),
    ("chicken", "chicken", True, False),
    ("stag_hunt", "stag_hunt", False, True),
])
def test_classic_games_classified(name, cls, greed, fear):
    R, S, T, P = dilemma_parameters(example_game(name))
    assert classify_dilemma(R, S, T, P) == cls
    m = dilemma_motives(R, S, T, P)
    assert (m.greed, m.fear, m.social_dilemma) == (greed, fear, True)


def test_dilemma_parameters_by_hand():
    assert dilemma_parameters(example_game("prisoners_dilemma")) == (3.0, 0.0, 4.0, 1.0)
    assert dilemma_parameters(example_game("chicken")) == (3.0, 1.0, 4.0, 0.0)


@pytest.mark.parametrize("R, S, T, P", [
    (4, 0, 1, 2),   # R > P > T > S: fear only, yet no classic chain
    (3, 3, 3, 3),   # all equal
    (3, 0, 3, 1),   # T = R tie
    (1, 0, 2, 3),   # P > R: mutual defection best, no dilemma
    (4, 3, 2, 1),   # harmony: R > S > T > P
])
def test_none_class(R, S, T, P):
    assert classify_dilemma(R, S, T, P) == "none"


def test_fear_only_game_is_a_social_dilemma_but_no_classic_type():
    assert dilemma_motives(4, 0, 1, 2) == (False, True, True)
    assert classify_dilemma(4, 0, 1, 2) == "none"


@settings(deadline=None)
@given(st.permutations([0.0, 1.0, 2.0, 3.0]), st.floats(0.1, 10), st.floats(-10, 10))
def test_classification_invariant_to_common_affine_change(rstp, a, b):
    R, S, T, P = rstp
    assert classify_dilemma(*(a * x + b for x in (R, S, T, P))) == classify_dilemma(R, S, T, P)


@settings(deadline=None)
@given(st.permutations([0.0, 1.0, 2.0, 3.0]))
def test_classification_agrees_with_orderings(rstp):
    R, S, T, P = rstp
    cls = classify_dilemma(R, S, T, P)
    m = dilemma_motives(R, S, T, P)
    if cls == "prisoners_dilemma":
        assert m.greed and m.fear
    elif cls == "chicken":
        assert m.greed and not m.fear
    elif cls == "stag_hunt":
        assert m.fear and not m.greed
    if cls != "none":
        assert m.social_dilemma


def test_dilemma_game_round_trip():
    assert dilemma_parameters(dilemma_game(1, 2, 3, 4)) == (1.0, 2.0, 3.0, 4.0)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 2)), r"payoffs has shape \(2, 2\); expected \(n_players"),
    (np.zeros((3, 2, 2)), r"payoffs has shape \(3, 2, 2\)"),
    (np.zeros((2, 0, 2)), r"at least one action"),
    (np.array([[[1.0, np.nan], [0, 0]], [[0, 0], [0, 0]]]), r"payoffs\[0, 0, 1\] is nan; expected a finite utility"),
    (np.ones((2, 2, 2), dtype=bool), r"real utilities; got an array of dtype bool"),
    (np.array([[["a", "b"], ["c", "d"]]] * 2), r"real utilities"),
])
def test_bad_payoffs(bad, match):
    with pytest.raises(ValueError, match=match):
        ca_alignment(bad)


@pytest.mark.parametrize("profile, match", [
    ((0,), r"profile has 1 entries but the game has 2 players"),
    ((0, 2), r"profile\[1\] = 2; expected an action index in 0..1"),
    ((0, -1), r"profile\[1\] = -1"),
    ([[0.5, 0.6], [1, 0]], r"profile\[0\] = \[0.5, 0.6\]; expected non-negative probabilities summing to 1"),
    ([[1.5, -0.5], [1, 0]], r"expected non-negative probabilities"),
    ([[1.0, 0.0, 0.0], [1, 0]], r"profile\[0\] has shape \(3,\); expected a probability vector of length 2"),
    ((True, 0), r"profile\[0\] must be an action index or a probability vector"),
    (5, r"profile must be a tuple of action indices"),
])
def test_bad_profiles(profile, match):
    with pytest.raises(ValueError, match=match):
        expected_payoffs(example_game("prisoners_dilemma"), profile)


@pytest.mark.parametrize("player", [-1, 2, 1.0, True])
def test_bad_player(player):
    with pytest.raises(ValueError, match=r"player = .*; expected a player index in 0..1"):
        maxmin(example_game("prisoners_dilemma"), player)


def test_bad_threat_point():
    tp = games.ThreatPoint(strategies=(), payoffs=np.zeros(3), security=np.zeros(3))
    with pytest.raises(ValueError, match=r"threat.payoffs has shape \(3,\); expected one utility per player, \(2,\)"):
        surplus(example_game("prisoners_dilemma"), (0, 0), tp)


def test_unknown_example_game():
    with pytest.raises(ValueError, match=r"name='go' is not a game of the documents; expected one of"):
        example_game("go")


@pytest.mark.parametrize("args, match", [
    ((np.nan, 0, 1, 2), r"R = nan; expected a finite real payoff"),
    ((1, "0", 1, 2), r"S = '0'; expected a finite real payoff"),
    ((1, 0, True, 2), r"T = True"),
    ((1, 0, 1, np.inf), r"P = inf"),
])
def test_bad_dilemma_payoffs(args, match):
    for f in (classify_dilemma, dilemma_motives, dilemma_game):
        with pytest.raises(ValueError, match=match):
            f(*args)


def test_dilemma_parameters_needs_symmetric_2x2():
    with pytest.raises(ValueError, match=r"expected a two-player 2 x 2 game"):
        dilemma_parameters(example_game("coordination_3x3"))
    with pytest.raises(ValueError, match=r"payoffs is not symmetric"):
        dilemma_parameters(example_game("bach_or_stravinsky"))


# ---------------------------------------------------------------- conflict between actions, for the score

symmetric_games = st.integers(2, 4).flatmap(
    lambda m: arrays(np.float64, (m, m), elements=st.integers(-5, 5).map(float))
).map(lambda a: np.stack([a, a.T]))


@pytest.mark.parametrize("name, disparity, loss", [
    # (3,3) (0,4) / (4,0) (1,1): |0 - 4| / (4 - 0); welfare 6, 4, 4, 2: (6 - 4) / (6 - 2)
    ("prisoners_dilemma", 1.0, 0.5),
    # (3,3) (1,4) / (4,1) (0,0): |1 - 4| / 4; welfare 6, 5, 5, 0: (6 - 5) / (6 - 0)
    ("chicken", 0.75, 1 / 6),
    # (4,4) (0,3) / (3,0) (1,1): |0 - 3| / 4; welfare 8, 3, 3, 2: (8 - 3) / (8 - 2)
    ("stag_hunt", 0.75, 5 / 6),
    # (-1,-1) (-3,0) / (0,-3) (-2,-2): |-3 - 0| / (0 - (-3)); welfare -2, -3, -3, -4: (-2 - (-3)) / 2
    ("prisoners_dilemma_years", 1.0, 0.5),
])
def test_conflict_matrices_by_hand(name, disparity, loss):
    c = conflict_matrices(example_game(name))
    assert set(c) == {"disparity", "welfare loss"}
    assert np.allclose(c["disparity"], [[0.0, disparity], [disparity, 0.0]], rtol=0, atol=1e-15)
    assert np.allclose(c["welfare loss"], [[0.0, loss], [loss, 0.0]], rtol=0, atol=1e-15)


def test_welfare_loss_discards_the_diagonal():
    # mutual defection in the prisoner's dilemma loses (6 - 2) / (6 - 2) = 1 of welfare, but c(g, g) = 0
    u = example_game("prisoners_dilemma")
    assert conflict_matrices(u)["welfare loss"][1, 1] == 0.0
    assert (u.sum(axis=0).max() - u.sum(axis=0)[1, 1]) / 4 == 1.0


def test_conflict_matrices_of_the_3x3_coordination_game():
    # (1,1), (2,2), (3,3) on the diagonal, 0 elsewhere: no disparity anywhere; welfare 2, 4, 6 on the
    # diagonal and 0 off it, so every mismatch loses (6 - 0) / (6 - 0) = 1
    c = conflict_matrices(example_game("coordination_3x3"))
    assert np.array_equal(c["disparity"], np.zeros((3, 3)))
    assert np.array_equal(c["welfare loss"], 1.0 - np.eye(3))


@settings(max_examples=60, deadline=None)
@given(symmetric_games)
def test_conflict_matrices_are_valid_conflicts(u):
    for c in conflict_matrices(u).values():
        assert c.shape == u.shape[1:]
        assert np.array_equal(c, c.T)
        assert np.all(np.diag(c) == 0.0)
        assert c.min() >= 0.0 and c.max() <= 1.0


@settings(max_examples=40, deadline=None)
@given(symmetric_games, st.sampled_from([0.5, 2.0, 3.0]), st.integers(-7, 7).map(float))
def test_conflict_matrices_invariant_to_a_common_affine_change(u, a, b):
    c, d = conflict_matrices(u), conflict_matrices(a * u + b)
    for key in c:
        assert np.allclose(c[key], d[key], rtol=0, atol=1e-12)


def test_conflict_matrices_of_a_constant_game_are_zero():
    c = conflict_matrices(np.full((2, 2, 2), 3.0))
    assert np.array_equal(c["disparity"], np.zeros((2, 2))) and np.array_equal(c["welfare loss"], np.zeros((2, 2)))


def test_score_of_players_with_game_conflicts():
    # 200 players, 60 cooperate (goal 1), 140 defect (goal 2), weight 1, pairs with replacement:
    # the share of ordered pairs that differ is 2 * 0.3 * 0.7 = 0.42, times c(C, D)
    c = conflict_matrices(example_game("chicken"))
    goals = np.r_[np.ones(60, dtype=int), np.full(140, 2)][:, None]
    for key, cd in [("disparity", 0.75), ("welfare loss", 1 / 6)]:
        score = misalignment(goals, np.ones((200, 1)), [c[key]], pairs="with_replacement")
        assert score == pytest.approx(0.42 * cd, abs=1e-14)


@pytest.mark.parametrize("u, match", [
    (np.zeros((3, 2, 2, 2)), "symmetric two-player game"),
    (np.zeros((2, 2, 3)), "symmetric two-player game"),
    (np.stack([np.array([[3.0, 0.0], [4.0, 1.0]]), np.array([[3.0, 4.0], [0.0, 2.0]])]), r"u_2\(1, 1\) = 2"),
    (np.array([[[1.0, np.nan], [0.0, 1.0]], [[1.0, 0.0], [np.nan, 1.0]]]), "finite"),
])
def test_bad_conflict_matrices(u, match):
    with pytest.raises(ValueError, match=match):
        conflict_matrices(u)


# ---------------------------------------------------------------- one row of every measure


def test_game_summary_by_hand():
    # Hadfield et al.'s prisoner's dilemma (3,3) (0,4) / (4,0) (1,1), both players at 1/2:
    # E[u1 + u2] = (6 + 4 + 4 + 2) / 4 = 4; u1 = 3, 0, 4, 1 and u2 = 3, 4, 0, 1 have means 2 and 2,
    # E[u1 u2] = (9 + 0 + 0 + 1) / 4 = 2.5, so Cov = 2.5 - 4 = -1.5
    row = game_summary(example_game("prisoners_dilemma"), [[0.5, 0.5], [0.5, 0.5]])
    assert row["alpha"] == -2.0 and row["max_welfare"] == 6.0 and row["sum_of_bests"] == 8.0
    assert row["pure_nash"] == [(1, 1)] and row["worst_nash_gap"] == 4.0
    assert row["welfare_mixed"] == pytest.approx(4.0) and row["cov_mixed"] == pytest.approx(-1.5)
    assert (row["threat_1"], row["threat_2"], row["security_1"], row["security_2"]) == pytest.approx((1, 1, 1, 1))
    assert row["bargain"] == (0, 0) and row["nash_product"] == pytest.approx(4.0)
    assert (row["dilemma"], row["greed"], row["fear"]) == ("prisoners_dilemma", True, True)


def test_game_summary_without_pure_equilibrium_or_symmetry():
    row = game_summary(example_game("matching_pennies"), [[0.5, 0.5], [0.5, 0.5]])
    assert row["pure_nash"] == [] and np.isnan(row["worst_nash_gap"])
    assert row["bargain"] is None and row["nash_product"] == 0.0
    assert (row["dilemma"], row["greed"], row["fear"]) == ("", "", "")


def test_game_summary_needs_two_players():
    with pytest.raises(ValueError, match="two-player game"):
        game_summary(np.zeros((3, 2, 2, 2)), [[1.0, 0.0]] * 3)

