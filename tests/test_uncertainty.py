"""Standard errors and intervals of the score, checked against U-statistic theory by enumeration."""

import itertools

import numpy as np
import pytest
from scipy.stats import norm

from misalign import misalignment, misalignment_batch
from misalign.analysis.uncertainty import score_interval, score_variance


def kernel_matrix(goals, weights, conflicts, weight_mean="geometric", normalize=False):
    """h(X_i, X_j) for every pair, straight from the definition (area mean, zero diagonal)."""
    n, m = goals.shape
    h = np.zeros((n, n))
    for p, c in enumerate(conflicts):
        k = c.shape[0]
        factor = (k / (k - 1) if k > 1 else 0.0) if normalize else 1.0
        for i, j in itertools.permutations(range(n), 2):
            gi, gj = goals[i, p], goals[j, p]
            if gi and gj:
                a, b = weights[i, p], weights[j, p]
                mean = {"geometric": np.sqrt(a * b), "arithmetic": (a + b) / 2, "none": 1.0}[weight_mean]
                h[i, j] += factor * c[gi - 1, gj - 1] * mean / m
    return h


def random_population(rng, n, ks):
    goals = np.stack([rng.integers(0, k + 1, n) for k in ks], axis=1)
    weights = rng.random((n, len(ks)))
    conflicts = []
    for k in ks:
        c = rng.random((k, k))
        c = (c + c.T) / 2
        np.fill_diagonal(c, 0)
        conflicts.append(c)
    return goals, weights, conflicts


@pytest.mark.parametrize("weight_mean", ["geometric", "arithmetic", "none"])
@pytest.mark.parametrize("normalize", [False, True])
def test_variance_estimate_matches_sums_over_distinct_tuples(weight_mean, normalize):
    rng = np.random.default_rng(7)
    goals, weights, conflicts = random_population(rng, 7, [2, 3, 1])
    h = kernel_matrix(goals, weights, conflicts, weight_mean, normalize)
    n = 7
    perms = {r: list(itertools.permutations(range(n), r)) for r in (2, 3, 4)}
    pairs = sum(h[i, j] for i, j in perms[2]) / (n * (n - 1))
    squares = sum(h[i, j] ** 2 for i, j in perms[2]) / (n * (n - 1))
    triples = sum(h[i, j] * h[i, k] for i, j, k in perms[3]) / (n * (n - 1) * (n - 2))
    theta2 = sum(h[i, j] * h[k, l] for i, j, k, l in perms[4]) / (n * (n - 1) * (n - 2) * (n - 3))
    v = score_variance(goals, weights, conflicts, weight_mean=weight_mean, normalize=normalize)
    assert v.estimate == pytest.approx(pairs)
    assert v.estimate == pytest.approx(misalignment(goals, weights, conflicts, weight_mean=weight_mean,
                                                    normalize=normalize))
    assert v.variance == pytest.approx(pairs**2 - theta2, abs=1e-14)
    assert v.zeta1 == pytest.approx(triples - theta2, abs=1e-14)
    assert v.zeta2 == pytest.approx(squares - theta2, abs=1e-14)
    assert v.variance == pytest.approx((4 * (n - 2) * v.zeta1 + 2 * v.zeta2) / (n * (n - 1)), abs=1e-14)


def test_variance_estimate_is_unbiased_and_hoeffding_exact_by_enumeration():
    # a population of three agent types; every sample of n = 5 iid draws is enumerated
    types_g = np.array([[1, 2], [2, 1], [3, 0]])
    types_w = np.array([[0.9, 0.4], [0.5, 1.0], [0.2, 0.0]])
    prob = np.array([0.5, 0.3, 0.2])
    c1 = np.array([[0, .8, .3], [.8, 0, .6], [.3, .6, 0]])
    c2 = np.array([[0, 1.0], [1.0, 0]])
    n = 5
    samples = np.array(list(itertools.product(range(3), repeat=n)))
    pr = prob[samples].prod(axis=1)
    u = misalignment_batch(types_g[samples], types_w[samples], [c1, c2])
    var_u = pr @ (u - pr @ u) ** 2
    est = np.array([score_variance(types_g[s], types_w[s], [c1, c2]).variance for s in samples])
    assert pr @ est == pytest.approx(var_u, rel=1e-10)
    # and the population value theta is the mean of U
    h = kernel_matrix(types_g, types_w, [c1, c2])
    assert pr @ u == pytest.approx(prob @ h @ prob)
    # Hoeffding: Var U = (4(n-2) zeta1 + 2 zeta2) / (n(n-1)) with population zetas
    theta = prob @ h @ prob
    h1 = h @ prob
    zeta1 = prob @ h1**2 - theta**2
    zeta2 = prob @ (h**2) @ prob - theta**2
    assert var_u == pytest.approx((4 * (n - 2) * zeta1 + 2 * zeta2) / (n * (n - 1)), rel=1e-10)


def test_exact_interval_by_hand():
    # 4 agents, two goals in full conflict, weights 1: U = 8/12, variance estimate U^2 - 16/24 < 0, so width 0
    est, low, high = score_interval([[1], [1], [2], [2]], np.ones((4, 1)), [[[0, 1], [1, 0]]])
    assert (est, low, high) == pytest.approx((2 / 3, 2 / 3, 2 / 3))


def test_exact_interval_uses_normal_quantile_and_scales_with_replacement():
    rng = np.random.default_rng(8)
    goals, weights, conflicts = random_population(rng, 60, [3, 2])
    v = score_variance(goals, weights, conflicts)
    est, low, high = score_interval(goals, weights, conflicts, level=0.9)
    assert est == pytest.approx(v.estimate)
    assert high - est == pytest.approx(norm.ppf(0.95) * np.sqrt(v.variance))  # z_0.95 = 1.6449 in the tables
    est_r, low_r, high_r = score_interval(goals, weights, conflicts, level=0.9, pairs="with_replacement")
    assert est_r == pytest.approx(est * 59 / 60)
    assert high_r - est_r == pytest.approx((high - est) * 59 / 60)


def test_single_area_allows_any_area_mean():
    rng = np.random.default_rng(9)
    goals, weights, conflicts = random_population(rng, 30, [3])
    a = score_interval(goals, weights, conflicts, area_mean="geometric")
    b = score_interval(goals, weights, conflicts)
    assert a == pytest.approx(b)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(10)
    goals, weights, conflicts = random_population(rng, 80, [3, 2])
    a = score_interval(goals, weights, conflicts, method="bootstrap", rng=np.random.default_rng(1), n_boot=200)
    b = score_interval(goals, weights, conflicts, method="bootstrap", rng=np.random.default_rng(1), n_boot=200)
    assert a == b
    assert a[1] < a[0] < a[2]


@pytest.mark.parametrize("weight_mean", ["geometric", "arithmetic", "none"])
@pytest.mark.parametrize("area_mean", ["arithmetic", "geometric"])
@pytest.mark.parametrize("pairs", ["distinct", "with_replacement"])
def test_count_bootstrap_equals_rescoring_resampled_populations(weight_mean, area_mean, pairs):
    from misalign.analysis.uncertainty import _bootstrap_scores

    rng = np.random.default_rng(11)
    goals, weights, conflicts = random_population(rng, 25, [3, 1, 2])
    opts = dict(pairs=pairs, weight_mean=weight_mean, area_mean=area_mean, normalize=True)
    got = _bootstrap_scores(goals, weights, conflicts, 40, np.random.default_rng(3), opts)
    idx = np.random.default_rng(3).integers(0, 25, size=(40, 25))
    np.testing.assert_allclose(got, misalignment_batch(goals[idx], weights[idx], conflicts, **opts), atol=1e-12)


def test_bootstrap_handles_non_factorized_options():
    rng = np.random.default_rng(12)
    goals, weights, conflicts = random_population(rng, 40, [3, 2])
    est, low, high = score_interval(goals, weights, conflicts, method="bootstrap", rng=np.random.default_rng(2),
                                    n_boot=50, weight_mean="min", area_mean="max")
    assert est == misalignment(goals, weights, conflicts, weight_mean="min", area_mean="max")
    assert 0 <= low <= high


def test_exact_interval_covers_about_95_percent():
    # a finite population sampled iid: theta is its with-replacement score
    rng = np.random.default_rng(13)
    goals, weights, conflicts = random_population(rng, 5000, [4, 3])
    theta = misalignment(goals, weights, conflicts, pairs="with_replacement")
    hits = 0
    reps = 400
    for _ in range(reps):
        idx = rng.integers(0, 5000, 300)
        _, low, high = score_interval(goals[idx], weights[idx], conflicts)
        hits += low <= theta <= high
    # binomial(400, 0.95) lies within 0.95 +- 0.033 with probability > 0.999
    assert abs(hits / reps - 0.95) < 0.033


def test_errors():
    c = [[0, 1], [1, 0]]
    g, w = [[1], [2], [1], [2], [1]], np.ones((5, 1))
    with pytest.raises(ValueError, match="method='delta' is not a valid option"):
        score_interval(g, w, [c], method="delta")
    with pytest.raises(ValueError, match="level = 95; expected a confidence level strictly between 0 and 1"):
        score_interval(g, w, [c], level=95)
    with pytest.raises(ValueError, match="weight_mean='min' has no closed-form variance"):
        score_interval(g, w, [c], weight_mean="min")
    with pytest.raises(ValueError, match="area_mean='geometric' is not a U-statistic over 2 areas"):
        score_interval(np.hstack([g, g]), np.hstack([w, w]), [c, c], area_mean="geometric")
    with pytest.raises(ValueError, match="goals has 3 agents; the unbiased variance needs at least 4"):
        score_variance([[1], [2], [1]], np.ones((3, 1)), [c])
    with pytest.raises(ValueError, match="rng = None; method='bootstrap' draws resamples"):
        score_interval(g, w, [c], method="bootstrap")
    with pytest.raises(ValueError, match="n_boot = 1; expected an integer number of bootstrap resamples"):
        score_interval(g, w, [c], method="bootstrap", rng=np.random.default_rng(0), n_boot=1)
    with pytest.raises(ValueError, match="goals has 1 agents; the bootstrap needs at least 2"):
        score_interval([[1]], [[1.0]], [c], method="bootstrap", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"weights\[0, 0\] = -0.5; expected a weight in \[0, 1\]"):
        score_interval([[1], [2], [1], [2]], [[-0.5], [1], [1], [1]], [c])
