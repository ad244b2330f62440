"""Tests of misalign.neighbours.market against hand values, enumeration of supports and a generic optimizer."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from misalign.neighbours.market import (
    FIT_METHODS,
    combine,
    cross_validated_errors,
    kkt_violation,
    load_ratings,
    sparsity,
    synthetic_market,
)

# ---------------------------------------------------------------- independent solvers


def brute_force(user, agents, simplex):
    """Exact optimum by enumerating supports: on each support solve the (equality-
    constrained) least squares without the sign constraint, keep non-negative
    solutions, take the best. The optimum is one of them (its support's
    unconstrained solution, since the problem restricted to the support is convex
    and the optimum is interior to it)."""
    k, d = agents.shape
    best = np.inf
    for size in range(1, k + 1):
        for support in itertools.combinations(range(k), size):
            a = agents[list(support)].T  # (d, s)
            if simplex:
                # minimise |a w - u|^2 s.t. 1'w = 1 through the KKT system
                kkt = np.block([[2 * a.T @ a, np.ones((size, 1))], [np.ones((1, size)), np.zeros((1, 1))]])
                rhs = np.r_[2 * a.T @ user, 1.0]
                sol, *_ = np.linalg.lstsq(kkt, rhs, rcond=None)
                w = sol[:size]
            else:
                w, *_ = np.linalg.lstsq(a, user, rcond=None)
            if (w >= -1e-12).all():
                best = min(best, float(((a @ w - user) ** 2).mean()))
    if not simplex:
        best = min(best, float((user**2).mean()))  # the empty support, w = 0
    return best


def generic(user, agents, simplex, starts=4):
    """SLSQP from several starting points (a generic constrained optimizer)."""
    k = agents.shape[0]

    def f(w):
        r = w @ agents - user
        return r @ r / user.size

    def grad(w):
        return 2.0 / user.size * agents @ (w @ agents - user)

    cons = [{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(k)}] if simplex else []
    rng = np.random.default_rng(0)
    best = np.inf
    for _ in range(starts):
        w0 = rng.dirichlet(np.ones(k))
        res = minimize(f, w0, jac=grad, method="SLSQP", bounds=[(0, None)] * k, constraints=cons,
                       options={"ftol": 1e-14, "maxiter": 1000})
        best = min(best, f(np.clip(res.x, 0, None) / (np.clip(res.x, 0, None).sum() if simplex else 1.0)))
    return best


markets = st.tuples(st.integers(1, 5), st.integers(2, 8), st.integers(0, 10_000)).map(
    lambda t: (np.random.default_rng(t[2]).normal(size=t[1]), np.random.default_rng(t[2] + 1).normal(size=(t[0], t[1])))
)

# ---------------------------------------------------------------- hand values


def test_user_between_two_agents():
    u, a = np.array([1.0, 1.0]), np.array([[2.0, 0.0], [0.0, 2.0]])
    w, mse = combine(u, a, "simplex")
    assert np.allclose(w, [0.5, 0.5]) and mse == pytest.approx(0.0, abs=1e-15)
    w, mse = combine(u, a, "nnls")
    assert np.allclose(w, [0.5, 0.5]) and mse == pytest.approx(0.0, abs=1e-15)
    w, mse = combine(u, a, "average")
    assert np.array_equal(w, [0.5, 0.5]) and mse == 0.0
    w, mse = combine(u, a, "best_single")
    assert np.array_equal(w, [1.0, 0.0]) and mse == 1.0  # ((1-2)^2 + (1-0)^2) / 2, first on ties


def test_nnls_may_rescale_but_simplex_may_not():
    # one agent pointing the user's way at half the size: NNLS doubles it, the simplex cannot
    u, a = np.array([2.0, 4.0]), np.array([[1.0, 2.0]])
    w, mse = combine(u, a, "nnls")
    assert w == pytest.approx([2.0]) and mse == pytest.approx(0.0, abs=1e-15)
    w, mse = combine(u, a, "simplex")
    assert w == pytest.approx([1.0]) and mse == pytest.approx((1 + 4) / 2)


def test_user_outside_hull_projects_onto_nearest_edge():
    # agents at (0,0), (2,0), (0,2); the user (2,2) is nearest to the edge point (1,1):
    # simplex error ((2-1)^2 + (2-1)^2) / 2 = 1
    u = np.array([2.0, 2.0])
    a = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    w, mse = combine(u, a, "simplex")
    assert w == pytest.approx([0.0, 0.5, 0.5], abs=1e-12) and mse == pytest.approx(1.0)
    w, mse = combine(u, a, "nnls")  # NNLS reaches (2, 2) with w = (., 1, 1)
    assert mse == pytest.approx(0.0, abs=1e-15)


def test_anticorrelated_agent_gets_no_weight():
    u = np.array([1.0, -1.0, 2.0])
    w, mse = combine(u, -u[None, :], "nnls")
    assert w.tolist() == [0.0] and mse == pytest.approx((1 + 1 + 4) / 3)


def test_exact_convex_combination_is_recovered():
    rng = np.random.default_rng(3)
    agents = rng.normal(size=(4, 30))
    truth = np.array([0.1, 0.0, 0.6, 0.3])
    w, mse = combine(truth @ agents, agents, "simplex")
    assert w == pytest.approx(truth, abs=1e-10) and mse == pytest.approx(0.0, abs=1e-20)
    assert sparsity(w) == 3


# ---------------------------------------------------------------- against brute force


@settings(max_examples=150, deadline=None)
@given(m=markets)
def test_against_support_enumeration(m):
    u, a = m
    for method, simplex in (("nnls", False), ("simplex", True)):
        _, mse = combine(u, a, method)
        assert mse == pytest.approx(brute_force(u, a, simplex), rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(m=markets)
def test_never_worse_than_a_generic_optimizer(m):
    u, a = m
    for method, simplex in (("nnls", False), ("simplex", True)):
        _, mse = combine(u, a, method)
        assert mse <= generic(u, a, simplex) + 1e-9


@settings(max_examples=150, deadline=None)
@given(m=markets)
def test_optimality_conditions_hold(m):
    u, a = m
    scale = 1.0 + np.abs(a).max() * (np.abs(u).max() + np.abs(a).max())
    for method in ("nnls", "simplex"):
        w, _ = combine(u, a, method)
        assert kkt_violation(u, a, w, method) <= 1e-10 * scale
        assert (w >= 0).all()
    assert combine(u, a, "simplex")[0].sum() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(m=markets)
def test_ordering_of_the_four_fits(m):
    u, a = m
    e = {meth: combine(u, a, meth)[1] for meth in FIT_METHODS}
    tol = 1e-12 * (1 + e["average"])
    # the simplex contains every single agent and the average; the orthant contains the simplex
    assert e["nnls"] <= e["simplex"] + tol
    assert e["simplex"] <= e["best_single"] + tol
    assert e["simplex"] <= e["average"] + tol
    single = ((a - u) ** 2).mean(axis=1)
    assert e["best_single"] == pytest.approx(single.min())


def test_kkt_violation_detects_suboptimal_weights():
    rng = np.random.default_rng(5)
    u, a = rng.normal(size=10), rng.normal(size=(3, 10))
    w, _ = combine(u, a, "nnls")
    assert kkt_violation(u, a, w + 0.1, "nnls") > 1e-3
    assert kkt_violation(u, a, -np.abs(w) - 0.1, "nnls") >= 0.1  # negative weights
    ws, _ = combine(u, a, "simplex")
    assert kkt_violation(u, a, ws * 2, "simplex") >= 1.0 - 1e-12  # |sum - 1| = 1


# ---------------------------------------------------------------- sparsity


def test_sparsity_threshold():
    assert sparsity([0.0, 1e-6, 1.1e-6, 0.3]) == 2  # strictly above 1e-6
    assert sparsity([0.2, 0.3], threshold=0.25) == 1


# ---------------------------------------------------------------- cross-validation


def test_cross_validation_of_the_average_is_its_overall_error():
    # the average is not fitted; with equal folds the mean held-out error is the overall MSE
    rng = np.random.default_rng(7)
    u, a = rng.normal(size=20), rng.normal(size=(6, 20))
    df = cross_validated_errors(u, a, [6], n_permutations=3, n_folds=5, rng=np.random.default_rng(1),
                                methods=["average"])
    assert np.allclose(df.cv_mse, ((u - a.mean(axis=0)) ** 2).mean())
    assert df.sparsity.tolist() == [6.0, 6.0, 6.0]


def test_cross_validation_of_one_agent_needs_no_fit():
    rng = np.random.default_rng(8)
    u, a = rng.normal(size=12), rng.normal(size=(1, 12))
    df = cross_validated_errors(u, a, [1], n_permutations=1, n_folds=3, rng=rng, methods=["simplex", "best_single"])
    assert np.allclose(df.cv_mse, ((u - a[0]) ** 2).mean())


def test_cross_validation_is_deterministic_and_tidy():
    rng = np.random.default_rng(9)
    u, a = rng.normal(size=15), rng.normal(size=(4, 15))
    one = cross_validated_errors(u, a, [1, 2, 4], n_permutations=2, n_folds=3, rng=np.random.default_rng(42))
    two = cross_validated_errors(u, a, [1, 2, 4], n_permutations=2, n_folds=3, rng=np.random.default_rng(42))
    assert one.equals(two)
    assert list(one.columns) == ["permutation", "K", "method", "cv_mse", "train_mse", "sparsity"]
    assert len(one) == 2 * 3 * 4
    # with every agent in the market and equal folds (15 / 3), the average's error is its overall MSE
    avg = one[(one.K == 4) & (one.method == "average")].cv_mse.to_numpy()
    assert avg == pytest.approx([((u - a.mean(axis=0)) ** 2).mean()] * 2)


# ---------------------------------------------------------------- synthetic market


def test_noiseless_synthetic_user_is_in_the_hull():
    user, agents, truth = synthetic_market(40, 6, 3, shared=0.5, agent_spread=0.0, agent_noise=0.0, user_noise=0.0,
                                           rng=np.random.default_rng(0))
    # agents are exactly the value directions (twice over); the user is V theta
    assert np.allclose(agents[:3], truth["values"].T) and np.allclose(agents[3:], agents[:3])
    w, mse = combine(user, agents, "simplex")
    assert mse == pytest.approx(0.0, abs=1e-20)
    per_direction = np.bincount(truth["anchor"], weights=w)
    assert per_direction == pytest.approx(truth["theta_user"], abs=1e-9)


def test_synthetic_market_is_reproducible():
    kw = dict(shared=0.5, agent_spread=0.3, agent_noise=0.5, user_noise=0.2)
    a = synthetic_market(10, 4, 2, rng=np.random.default_rng(5), **kw)
    b = synthetic_market(10, 4, 2, rng=np.random.default_rng(5), **kw)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


# ---------------------------------------------------------------- CSV


def test_load_ratings_round_trip(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("rater,a,b,c\nbob,1,2,3\nuser,3,2,1\ncarol,0,0,5\n")
    u, a, names, items = load_ratings(f)
    assert u.tolist() == [3.0, 2.0, 1.0]
    assert a.tolist() == [[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]]
    assert names == ["bob", "carol"] and items == ["a", "b", "c"]


@pytest.mark.parametrize("text, match", [
    ("name,a\nuser,1\nbob,2\n", r"the first column must be 'rater'"),
    ("rater\nuser\nbob\n", r"no item columns after 'rater'"),
    ("rater,a\nann,1\nbob,2\n", r"0 rows have rater == 'user'; expected exactly one user row"),
    ("rater,a\nuser,1\nuser,2\n", r"2 rows have rater == 'user'"),
    ("rater,a\nuser,1\n", r"no agent rows"),
    ("rater,a,b\nuser,1,2\nbob,,3\n", r"rating of rater 'bob' for item 'a' is missing; expected a number"),
    ("rater,a,b\nuser,1,2\nbob,3,x\n", r"rating of rater 'bob' for item 'b' is 'x'"),
])
def test_load_ratings_errors(tmp_path, text, match):
    f = tmp_path / "r.csv"
    f.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_ratings(f)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("user, agents, match", [
    ([1.0, 2.0], [[1.0, 2.0, 3.0]], r"agents has shape \(1, 3\) but user has 2 items"),
    ([[1.0]], [[1.0]], r"user must be a 1-d array; got shape \(1, 1\)"),
    ([1.0], [1.0], r"agents must be a 2-d array; got shape \(1,\)"),
    ([], np.zeros((0, 0)), r"expected at least one of each"),
    ([1.0, np.nan], [[1.0, 2.0]], r"user\[1\] is nan; expected a finite utility"),
    ([1.0, 2.0], [[1.0, np.inf]], r"agents\[0, 1\] is inf"),
    (["a"], [[1.0]], r"user must hold real utilities or ratings"),
    ([True], [[1.0]], r"user must hold real utilities or ratings; got an array of dtype bool"),
])
def test_bad_markets(user, agents, match):
    with pytest.raises(ValueError, match=match):
        combine(user, agents)


def test_bad_method():
    with pytest.raises(ValueError, match=r"method='ols' is not a valid option; expected one of 'best_single'"):
        combine([1.0], [[1.0]], method="ols")
    with pytest.raises(ValueError, match=r"method='average' is not a valid option; expected one of 'nnls', 'simplex'"):
        kkt_violation([1.0], [[1.0]], [1.0], "average")


def test_bad_kkt_weights():
    with pytest.raises(ValueError, match=r"weights has 2 entries but there are 1 agents"):
        kkt_violation([1.0], [[1.0]], [1.0, 0.0], "nnls")


@pytest.mark.parametrize("threshold", [-1.0, np.nan, True, "0.1"])
def test_bad_threshold(threshold):
    with pytest.raises(ValueError, match=r"threshold = .*; expected a finite non-negative number"):
        sparsity([1.0], threshold)


@pytest.mark.parametrize("kw, match", [
    (dict(ks=[0]), r"ks contains 0; expected market sizes in 1..3"),
    (dict(ks=[4]), r"ks contains 4"),
    (dict(n_permutations=0), r"n_permutations = 0; expected a positive integer"),
    (dict(n_folds=1), r"n_folds = 1; expected an integer in 2..6"),
    (dict(n_folds=7), r"n_folds = 7"),
    (dict(rng=0), r"rng = 0; expected a numpy.random.Generator"),
    (dict(methods=["knn"]), r"method='knn' is not a valid option"),
])
def test_bad_cross_validation(kw, match):
    args = dict(ks=[1, 3], n_permutations=1, n_folds=3, rng=np.random.default_rng(0))
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        cross_validated_errors(np.zeros(6), np.ones((3, 6)), **args)


@pytest.mark.parametrize("kw, match", [
    (dict(n_items=0), r"n_items = 0; expected a positive integer"),
    (dict(n_agents=2.0), r"n_agents = 2.0; expected a positive integer"),
    (dict(n_values=-1), r"n_values = -1"),
    (dict(agent_spread=-0.1), r"agent_spread = -0.1; expected a finite non-negative standard deviation"),
    (dict(agent_noise=np.nan), r"agent_noise = nan"),
    (dict(user_noise="1"), r"user_noise = '1'"),
    (dict(rng=None), r"rng = None; expected a numpy.random.Generator"),
    (dict(shared=1.5), r"shared = 1.5; expected a share of common variance in \[0, 1\]"),
    (dict(shared=np.nan), r"shared = nan"),
    (dict(user_concentration=0.0), r"user_concentration = 0.0; expected a positive Dirichlet concentration"),
])
def test_bad_synthetic_market(kw, match):
    args = dict(n_items=5, n_agents=3, n_values=2, shared=0.5, agent_spread=0.1, agent_noise=0.1, user_noise=0.1,
                rng=np.random.default_rng(0))
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        synthetic_market(**args)
