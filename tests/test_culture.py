"""Tests of misalign.neighbours.culture against the document's formulas, root finding and simulation.

The document: Hadfield, Hadfield-Menell, Leibo, Trivedi and Satija, *Cross Disciplinary Insights Into Alignment
in Humans and Machines*, equations A2.1-A2.5 (after Boyd and Richerson, 1995).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from misalign.neighbours.culture import (
    advantage_crossing,
    fitnesses,
    imitator_equilibrium,
    mean_favoured,
    mean_favoured_path,
    replicator_path,
    simulate_learners,
    simulated_means,
)

gammas = st.floats(0.01, 1.0)
ns = st.integers(1, 6)
ratios = st.floats(0.01, 0.99)
freqs = st.floats(0.0, 1.0)

# ---------------------------------------------------------------- A2.4


def test_mean_favoured_by_hand():
    # q = 0.5, n = 1, gamma = 0.1: (1 - 0.5 + 0.05) / (1 - 0.5 * 0.8) = 0.55 / 0.6
    assert mean_favoured(0.5, 0.1, 1) == pytest.approx(0.55 / 0.6)
    # q = 0.5, n = 2 (q^n = 0.25), gamma = 0.5: (1 - 0.25 + 0.125) / (1 - 0) = 0.875
    assert mean_favoured(0.5, 0.5, 2) == pytest.approx(0.875)


@given(gamma=gammas, n=ns)
def test_limits_without_imitators_or_learners(gamma, n):
    assert mean_favoured(0.0, gamma, n) == 1.0           # everyone meets a learner
    assert mean_favoured(1.0, gamma, n) == pytest.approx(0.5)  # gamma / (2 gamma)


@settings(deadline=None)
@given(q=st.floats(0.0, 0.99), gamma=gammas, n=ns, start=freqs)
def test_a24_is_the_limit_of_the_recursion_a23(q, gamma, n, start):
    # |1 - 2 gamma| q^n < 1 contracts; 4000 steps take it below rounding
    path = mean_favoured_path(q, gamma, n, start=start, generations=4000)
    assert path[-1] == pytest.approx(mean_favoured(q, gamma, n), abs=1e-9)


@given(q=freqs, gamma=gammas, n=ns, p=freqs)
def test_a23_is_the_expectation_of_a21(q, gamma, n, p):
    # A2.2 with a point mass at p: average the two branches of A2.1
    x = q**n
    expected = (1 - gamma) * (1 - x + x * p) + gamma * (1 - x + x * (1 - p))
    assert mean_favoured_path(q, gamma, n, start=p, generations=1)[1] == pytest.approx(expected, abs=1e-12)


def test_mean_favoured_accepts_arrays():
    out = mean_favoured(np.array([0.0, 0.5, 1.0]), 0.1, 1)
    assert out.shape == (3,) and out[0] == 1.0 and out[2] == pytest.approx(0.5)


# ---------------------------------------------------------------- fitnesses and A2.5


def test_q_star_by_hand():
    # C/D = 0.5, gamma = 0.1, n = 1: 0.5 / (2 * 0.1 * 0.5 + 0.5) = 5/6
    assert imitator_equilibrium(0.5, 0.1, 1) == pytest.approx(5 / 6)
    # C/D = 0.2, gamma = 0.25, n = 2: (0.2 / (0.5 * 0.8 + 0.2)) ** 0.5 = (1/3) ** 0.5
    assert imitator_equilibrium(0.2, 0.25, 2) == pytest.approx(np.sqrt(1 / 3))


@settings(deadline=None)
@given(c=ratios, gamma=gammas, n=ns)
def test_q_star_equalises_fitness(c, gamma, n):
    q = imitator_equilibrium(c, gamma, n)
    f = fitnesses(q, gamma, n, baseline=2.0, benefit=1.0, cost=c)
    assert f.imitator == pytest.approx(f.learner, abs=1e-9)


@settings(deadline=None)
@given(c=ratios, gamma=gammas, n=ns)
def test_q_star_against_root_finding(c, gamma, n):
    # independent: solve W_I(q) = W_L with W_I = W0 + D(2P - 1) written out here
    def advantage(q):
        x = q**n
        big_p = (1 - x + x * gamma) / (1 - x * (1 - 2 * gamma))
        return (2 * big_p - 1) - (1 - c)

    assert advantage(0.0) > 0 > advantage(1.0)
    root = brentq(advantage, 0.0, 1.0, xtol=1e-14)
    assert imitator_equilibrium(c, gamma, n) == pytest.approx(root, abs=1e-9)


@given(c=ratios, gamma=gammas, n=ns, u=st.floats(0.01, 0.99))
def test_q_star_is_stable(c, gamma, n, u):
    q_star = imitator_equilibrium(c, gamma, n)
    below, above = u * q_star, q_star + u * (1 - q_star)
    f_below = fitnesses(below, gamma, n, baseline=0.0, benefit=1.0, cost=c)
    f_above = fitnesses(above, gamma, n, baseline=0.0, benefit=1.0, cost=c)
    assert f_below.imitator >= f_below.learner - 1e-12   # imitators spread below q*
    assert f_above.imitator <= f_above.learner + 1e-12   # and recede above it


@given(c=st.floats(1.0, 10.0), gamma=gammas, n=ns)
def test_costly_learning_makes_everyone_imitate(c, gamma, n):
    assert imitator_equilibrium(c, gamma, n) == 1.0
    f = fitnesses(np.linspace(0, 1, 11), gamma, n, baseline=0.0, benefit=1.0, cost=c)
    assert (f.imitator >= f.learner - 1e-12).all()


@settings(deadline=None)
@given(gamma=gammas, n=ns, c=st.floats(0.05, 0.9), d=st.floats(0.05, 0.9))
def test_q_star_monotone(gamma, n, c, d):
    # cheaper learning or a faster-changing world favours learners
    lo, hi = sorted((c, d))
    assert imitator_equilibrium(lo, gamma, n) <= imitator_equilibrium(hi, gamma, n) + 1e-12
    g_lo, g_hi = sorted((gamma, min(1.0, gamma * 1.5)))
    assert imitator_equilibrium(c, g_hi, n) <= imitator_equilibrium(c, g_lo, n) + 1e-12


def test_fitnesses_by_hand():
    # q = 0.5, n = 1, gamma = 0.1: P = 11/12, W_I = W0 + D(2P - 1) = 1 + 2 (22/12 - 1) = 1 + 20/12
    f = fitnesses(0.5, 0.1, 1, baseline=1.0, benefit=2.0, cost=0.5)
    assert f.imitator == pytest.approx(1 + 20 / 12) and f.learner == pytest.approx(1 + 2 - 0.5)


def test_printed_sign_would_contradict_a25():
    # with the document's printed W_I = W0 - D(2P - 1), imitators at q* would trail learners
    c, gamma, n = 0.5, 0.1, 1
    big_p = mean_favoured(imitator_equilibrium(c, gamma, n), gamma, n)
    printed = 0.0 - 1.0 * (2 * big_p - 1)
    assert printed < 1.0 - c - 0.5


# ---------------------------------------------------------------- simulation


def test_simulation_without_imitators():
    df = simulate_learners(0.0, 0.3, 2, n_agents=5, generations=50, rng=np.random.default_rng(0))
    assert df.favoured_share.isna().all() and (df.learner_fitness == 0.5).all()


def test_simulation_without_learners_keeps_behaviour_fixed():
    # nobody learns and everyone starts on behaviour 0: the share tracks the environment
    df = simulate_learners(1.0, 0.3, 2, n_agents=20, generations=200, rng=np.random.default_rng(1))
    assert np.array_equal(df.favoured_share.to_numpy(), (df.environment == 0).astype(float).to_numpy())
    assert df.learner_fitness.isna().all()


def test_simulation_is_reproducible():
    a = simulate_learners(0.7, 0.1, 3, n_agents=50, generations=100, rng=np.random.default_rng(3))
    b = simulate_learners(0.7, 0.1, 3, n_agents=50, generations=100, rng=np.random.default_rng(3))
    assert a.equals(b)


@pytest.mark.parametrize("q, gamma, n", [(0.5, 0.1, 1), (0.8, 0.05, 3), (0.9, 0.2, 2)])
def test_simulation_mean_matches_a24(q, gamma, n):
    df = simulate_learners(q, gamma, n, n_agents=500, generations=3000, rng=np.random.default_rng(11))
    long_run = df.favoured_share.iloc[300:].mean()
    # Monte Carlo error: the share is autocorrelated over ~1/(1 - q^n) generations
    assert long_run == pytest.approx(mean_favoured(df.q_eff.iloc[0], gamma, n), abs=0.02)


def test_simulation_fitness_follows_share():
    df = simulate_learners(0.6, 0.2, 2, n_agents=100, generations=20, rng=np.random.default_rng(4),
                  baseline=1.0, benefit=2.0, cost=0.3)
    assert np.allclose(df.imitator_fitness, 1.0 + 2.0 * (2 * df.favoured_share - 1))
    assert (df.learner_fitness == 1.0 + 2.0 - 0.3).all()
    assert (df.q_eff == 0.6).all()


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("args, match", [
    ((1.5, 0.1, 1), r"q = 1.5; expected a frequency of imitators in \[0, 1\]"),
    ((np.array([0.2, -0.1]), 0.1, 1), r"q\[1\] = .*-0.1"),
    (("a", 0.1, 1), r"q must be a frequency of imitators"),
    ((0.5, 0.0, 1), r"gamma = 0.0; expected a switching probability in \(0, 1\]"),
    ((0.5, 1.2, 1), r"gamma = 1.2"),
    ((0.5, np.nan, 1), r"gamma = nan; expected a finite real number"),
    ((0.5, 0.1, 0), r"n = 0; expected a positive integer"),
    ((0.5, 0.1, 2.0), r"n = 2.0"),
])
def test_bad_mean_favoured(args, match):
    with pytest.raises(ValueError, match=match):
        mean_favoured(*args)


@pytest.mark.parametrize("kw, match", [
    (dict(start=1.5), r"start = 1.5; expected a frequency in \[0, 1\]"),
    (dict(start=None), r"start = None; expected a finite real number"),
    (dict(generations=-1), r"generations = -1; expected a non-negative integer"),
])
def test_bad_path(kw, match):
    args = dict(start=0.5, generations=3)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        mean_favoured_path(0.5, 0.1, 1, **args)


@pytest.mark.parametrize("args, match", [
    ((0.0, 0.1, 1), r"cost_ratio = 0.0; expected C/D > 0"),
    ((-1, 0.1, 1), r"cost_ratio = -1"),
    ((np.inf, 0.1, 1), r"cost_ratio = inf; expected a finite real number"),
    ((0.5, 0.0, 1), r"gamma = 0.0"),
    ((0.5, 0.1, True), r"n = True"),
])
def test_bad_equilibrium(args, match):
    with pytest.raises(ValueError, match=match):
        imitator_equilibrium(*args)


@pytest.mark.parametrize("kw, match", [
    (dict(benefit=0.0), r"benefit = 0.0; expected D > 0"),
    (dict(cost=-0.1), r"cost = -0.1; expected C >= 0"),
    (dict(baseline="1"), r"baseline = '1'; expected a finite real number"),
])
def test_bad_fitnesses(kw, match):
    args = dict(baseline=0.0, benefit=1.0, cost=0.5)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        fitnesses(0.5, 0.1, 1, **args)


@pytest.mark.parametrize("kw, match", [
    (dict(n_agents=0), r"n_agents = 0; expected a positive integer"),
    (dict(generations=0), r"generations = 0"),
    (dict(rng=1), r"rng = 1; expected a numpy.random.Generator"),
    (dict(benefit=-1.0), r"benefit = -1.0; expected D > 0"),
    (dict(cost=-1.0), r"cost = -1.0; expected C >= 0"),
])
def test_bad_simulation(kw, match):
    args = dict(n_agents=10, generations=5, rng=np.random.default_rng(0))
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        simulate_learners(0.5, 0.1, 1, **args)


# ---------------------------------------------------------------- the replicator map


def test_replicator_step_by_hand():
    # q = 1/2, gamma = 0.1, n = 1: P = 0.55 / 0.6 = 11/12, W_I - W0 = 0.5 (2 * 11/12 - 1) = 5/12, W_L - W0 = 0.3;
    # with s = 1: q1 = (17/12) / (17/12 + 1.3) = 17 / 32.6
    path = replicator_path(0.5, 0.1, 1, baseline=1.0, benefit=0.5, cost=0.2, selection=1.0, generations=2)
    assert path[0] == 0.5
    assert path[1] == pytest.approx(17 / 32.6, abs=1e-15)
    assert path.shape == (3,)


def test_replicator_without_selection_pressure_on_learners():
    # W_L = W_I would keep q fixed; at q* the map stays put (A2.5 is its interior fixed point)
    q_star = imitator_equilibrium(0.2 / 0.5, 0.1, 3)
    path = replicator_path(q_star, 0.1, 3, baseline=1.0, benefit=0.5, cost=0.2, selection=0.5, generations=50)
    assert np.allclose(path, q_star, rtol=0, atol=1e-12)


@pytest.mark.parametrize("q0", [0.0, 1.0])
def test_replicator_boundaries_are_fixed(q0):
    path = replicator_path(q0, 0.1, 3, baseline=1.0, benefit=0.5, cost=0.2, selection=0.5, generations=10)
    assert np.all(path == q0)


@settings(max_examples=40, deadline=None)
@given(c=st.floats(0.05, 0.95), gamma=st.floats(0.05, 0.5), n=ns, q0=st.floats(0.02, 0.98))
def test_replicator_converges_to_q_star(c, gamma, n, q0):
    q_star = imitator_equilibrium(c, gamma, n)
    path = replicator_path(q0, gamma, n, baseline=0.0, benefit=1.0, cost=c, selection=1.0, generations=4000)
    assert path[-1] == pytest.approx(q_star, abs=1e-6)
    # monotone toward q*: imitators spread below it and recede above it
    steps = np.diff(path)
    assert np.all(steps >= -1e-15) if q0 < q_star else np.all(steps <= 1e-15)


@pytest.mark.parametrize("kw, match", [
    (dict(selection=0.0), r"selection = 0.0; expected a selection strength s > 0"),
    (dict(selection=2.0, cost=1.2), r"non-positive; expected s < 1 / \(C - D\) = 1.42857"),
    (dict(generations=-1), r"generations = -1"),
    (dict(benefit=0.0), r"benefit = 0.0; expected D > 0"),
])
def test_bad_replicator(kw, match):
    args = dict(baseline=1.0, benefit=0.5, cost=0.2, selection=0.5, generations=5)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        replicator_path(0.5, 0.1, 2, **args)


# ---------------------------------------------------------------- simulation against the closed forms


def test_simulated_means_match_single_runs():
    rngs = np.random.default_rng(3).spawn(2)
    again = np.random.default_rng(3).spawn(2)
    df = simulated_means([0.3, 0.8], 0.1, 2, rngs=rngs, n_agents=40, generations=60, burn_in=20,
                         baseline=1.0, benefit=0.5, cost=0.2)
    for row, g, q in zip(df.itertuples(), again, [0.3, 0.8]):
        run = simulate_learners(q, 0.1, 2, n_agents=40, generations=60, rng=g, baseline=1.0, benefit=0.5, cost=0.2)
        assert row.P_sim == run.favoured_share.iloc[20:].mean()
        assert row.W_I_sim == run.imitator_fitness.iloc[20:].mean()
        assert row.P_closed == mean_favoured(row.q_eff, 0.1, 2)
        assert row.W_L == pytest.approx(1.3)


def test_simulated_means_without_imitators():
    df = simulated_means([0.0], 0.1, 2, rngs=[np.random.default_rng(0)], n_agents=10, generations=5, burn_in=1,
                         baseline=1.0, benefit=0.5, cost=0.2)
    assert np.isnan(df.P_sim.iloc[0]) and df.P_closed.iloc[0] == 1.0 and df.W_I_closed.iloc[0] == 1.5


@pytest.mark.parametrize("kw, match", [
    (dict(rngs=[np.random.default_rng(0)]), "2 frequencies and 1 generators"),
    (dict(burn_in=5), r"burn_in = 5; expected a whole number of generations in \[0, 5\)"),
])
def test_bad_simulated_means(kw, match):
    args = dict(rngs=np.random.default_rng(0).spawn(2), n_agents=10, generations=5, burn_in=1,
                baseline=1.0, benefit=0.5, cost=0.2)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        simulated_means([0.2, 0.4], 0.1, 2, **args)


def test_advantage_crossing_by_hand():
    # from +0.1 at 0.5 to -0.3 at 1.0: zero a quarter of the way, at 0.625
    assert advantage_crossing([0.0, 0.5, 1.0], [0.2, 0.1, -0.3]) == (2, 0.625)
    # a NaN (no imitators) is not a change of sign
    assert advantage_crossing([0.0, 0.5, 1.0], [np.nan, 0.1, -0.1]) == (2, 0.75)


def test_advantage_crossing_of_the_closed_forms_is_q_star():
    qs = np.linspace(0, 1, 2001)
    f = fitnesses(qs, 0.1, 3, baseline=1.0, benefit=0.5, cost=0.2)
    _, q = advantage_crossing(qs, f.imitator - f.learner)
    assert q == pytest.approx(imitator_equilibrium(0.4, 0.1, 3), abs=1e-6)


@pytest.mark.parametrize("q, adv, match", [
    ([0.0, 0.5], [0.1, 0.2], "never negative"),
    ([0.0, 0.5], [-0.1, 0.2], "first grid point"),
    ([0.5, 0.0], [0.1, -0.2], "increase"),
    ([0.0, 0.5, 1.0], [0.1, -0.2], "shapes"),
])
def test_bad_advantage_crossing(q, adv, match):
    with pytest.raises(ValueError, match=match):
        advantage_crossing(q, adv)

