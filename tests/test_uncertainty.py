"""Intervals for the score, its differences and contrasts: against brute force, enumeration and coverage.

Expected values come from tests/reference.py (loops over pairs of agents, enumeration of
every sample), never from the code under test.
"""

import itertools
import math
import zlib

import numpy as np
import pytest
from scipy.stats import binom, norm

from misalign import misalignment, misalignment_batch
from misalign.analysis.atoms import atom_kernel, collapse, hoeffding_variance
from misalign.analysis.uncertainty import (
    area_intervals,
    cross_intervals,
    INTERVAL_METHODS,
    Interval,
    contrast_coefficients,
    contrast_interval,
    contrast_variance,
    difference_interval,
    interval_from_counts,
    score_interval,
    score_variance,
    weighted_misalignment,
    zero_rule_upper,
)
from tests import reference as ref

WEIGHT_MEANS = ("geometric", "arithmetic", "none", "min", "max", "harmonic")
FULL = [[0.0, 1.0], [1.0, 0.0]]


def random_population(rng, n, ks, weights=(0.25, 0.5, 1.0)):
    goals = np.stack([rng.integers(0, k + 1, n) for k in ks], axis=1)
    w = rng.choice(weights, size=(n, len(ks))) if weights is not None else rng.random((n, len(ks)))
    conflicts = []
    for k in ks:
        c = rng.random((k, k))
        c = (c + c.T) / 2
        np.fill_diagonal(c, 0)
        conflicts.append(c)
    return goals, w, conflicts


def ref_matrix(goals, weights, conflicts, weight_mean="geometric", normalize=False):
    return np.array(ref.kernel_matrix(goals.tolist(), weights.tolist(), [c.tolist() for c in conflicts], weight_mean,
                                      normalize))


# --------------------------------------------------------------------------- the atom kernel

@pytest.mark.parametrize("weight_mean", WEIGHT_MEANS)
@pytest.mark.parametrize("dense", [None, True, False])
def test_atom_kernel_against_loops_over_pairs(weight_mean, dense):
    if dense is False and weight_mean in ("min", "max", "harmonic"):
        pytest.skip("these means do not factorize")
    rng = np.random.default_rng(1)
    for trial in range(6):
        ks = rng.integers(1, 4, size=int(rng.integers(1, 4)))
        n = int(rng.integers(4, 14))
        goals, weights, conflicts = random_population(rng, n, ks, None if trial % 2 else (0.25, 0.5, 1.0))
        normalize = bool(trial % 3 == 0)
        atoms = collapse(goals, weights)
        ker = atom_kernel(atoms.goals, atoms.weights, conflicts, weight_mean, normalize=normalize, dense=dense)
        h = ref_matrix(goals, weights, conflicts, weight_mean, normalize)
        inv = atoms.inverse
        got = ker.H[np.ix_(inv, inv)]
        np.fill_diagonal(got, 0.0)  # an agent and itself share an atom: H_aa = 0 anyway
        np.testing.assert_allclose(got, h, atol=1e-14)
        N = atoms.counts
        # the score, each agent's row sum, leave-one-out and the unbiased variance from the matrix
        u = h.sum() / (n * (n - 1))
        assert ker.scores(N)[0] == pytest.approx(u, abs=1e-14)
        assert ker.scores(N)[0] == pytest.approx(misalignment(goals, weights, conflicts, weight_mean=weight_mean,
                                                              normalize=normalize), abs=1e-14)
        np.testing.assert_allclose(ker.hq(N)[0][inv], h.sum(axis=1), atol=1e-13)
        loo = [(h.sum() - 2 * h[i].sum()) / ((n - 1) * (n - 2)) for i in range(n)]
        np.testing.assert_allclose(ker.leave_one_out(N)[0][inv], loo, atol=1e-13)
        perms = {r: list(itertools.permutations(range(n), r)) for r in (2, 3)}
        b = sum(h[i, j] ** 2 for i, j in perms[2])
        r = sum(h[i].sum() ** 2 for i in range(n))
        theta2 = (h.sum() ** 2 + 2 * b - 4 * r) / (n * (n - 1) * (n - 2) * (n - 3))
        assert ker.unbiased_variance(N)[0] == pytest.approx(u * u - theta2, abs=1e-13)
        assert ker.hmax >= h.max()


def test_dense_and_factored_kernels_agree_and_collapse_is_order_free():
    rng = np.random.default_rng(2)
    goals, weights, conflicts = random_population(rng, 40, [3, 2])
    a = collapse(goals, weights)
    perm = rng.permutation(40)
    b = collapse(goals[perm], weights[perm])
    np.testing.assert_array_equal(a.goals, b.goals)
    np.testing.assert_array_equal(a.counts, b.counts)
    for wm in ("geometric", "arithmetic", "none"):
        f = atom_kernel(a.goals, a.weights, conflicts, wm, dense=False)
        d = atom_kernel(a.goals, a.weights, conflicts, wm, dense=True)
        q = rng.dirichlet(np.ones(a.size), size=3)
        np.testing.assert_allclose(f.H, d.H, atol=1e-14)
        np.testing.assert_allclose(f.zetas(q), d.zetas(q), atol=1e-13)
        np.testing.assert_allclose(f.square_form(q, q[::-1]), d.square_form(q, q[::-1]), atol=1e-13)
        np.testing.assert_allclose(f.gram(q[:1])[0], f.phi.T @ np.diag(q[0]) @ f.phi, atol=1e-14)


@pytest.mark.parametrize("weight_mean", ["geometric", "arithmetic", "min"])
def test_exact_variance_against_enumeration_of_every_sample(weight_mean):
    # three agent types over two areas (one holds no goal in the second); all samples of n = 5
    types_g = [[1, 2], [2, 1], [3, 0]]
    types_w = [[0.9, 0.4], [0.5, 1.0], [0.2, 0.0]]
    prob = [0.5, 0.3, 0.2]
    conflicts = [np.array([[0, .8, .3], [.8, 0, .6], [.3, .6, 0]]), np.array(FULL)]
    n = 5
    mean, var = ref.u_distribution(types_g, types_w, prob, [c.tolist() for c in conflicts], n, weight_mean)
    ker = atom_kernel(np.array(types_g), np.array(types_w), conflicts, weight_mean)
    theta, z1, z2 = ker.zetas(np.array(prob))
    assert theta[0] == pytest.approx(mean, rel=1e-12)
    assert ker.variance(np.array(prob), n)[0] == pytest.approx(var, rel=1e-10)
    assert hoeffding_variance(n, z1[0], z2[0]) == pytest.approx(var, rel=1e-10)
    # the plug-in variance is the exact variance under the empirical law of a sample
    counts = np.array([3.0, 1.0, 1.0])
    _, var_hat = ref.u_distribution(types_g, types_w, list(counts / 5), [c.tolist() for c in conflicts], n, weight_mean)
    assert ker.plugin_variance(counts)[0] == pytest.approx(var_hat, rel=1e-10)


def test_contrast_variance_against_enumeration():
    types_g, types_w = [[1], [2], [3]], [[1.0], [0.5], [1.0]]
    conflicts = [np.array([[0, 1.0, .5], [1.0, 0, .7], [.5, .7, 0]])]
    qa, qb = [0.6, 0.3, 0.1], [0.2, 0.3, 0.5]
    ker = atom_kernel(np.array(types_g), np.array(types_w), conflicts, "geometric")
    for kind in ("between-within", "between-pooled", "between"):
        mean, var = ref.contrast_distribution(types_g, types_w, qa, qb, [c.tolist() for c in conflicts], 3, 4, kind)
        c = contrast_coefficients(kind, 3, 4)
        assert contrast_variance(ker, qa, qb, 3, 4, c)[0] == pytest.approx(var, rel=1e-10)


def test_unbiased_variance_matches_sums_over_distinct_tuples():
    rng = np.random.default_rng(7)
    goals, weights, conflicts = random_population(rng, 7, [2, 3, 1], None)
    for weight_mean, normalize in itertools.product(["geometric", "arithmetic", "none"], [False, True]):
        h = ref_matrix(goals, weights, conflicts, weight_mean, normalize)
        n = 7
        perms = {r: list(itertools.permutations(range(n), r)) for r in (2, 3, 4)}
        pairs = sum(h[i, j] for i, j in perms[2]) / (n * (n - 1))
        squares = sum(h[i, j] ** 2 for i, j in perms[2]) / (n * (n - 1))
        triples = sum(h[i, j] * h[i, k] for i, j, k in perms[3]) / (n * (n - 1) * (n - 2))
        theta2 = sum(h[i, j] * h[k, l] for i, j, k, l in perms[4]) / (n * (n - 1) * (n - 2) * (n - 3))
        v = score_variance(goals, weights, conflicts, weight_mean=weight_mean, normalize=normalize)
        assert v.estimate == pytest.approx(pairs)
        assert v.variance == pytest.approx(pairs**2 - theta2, abs=1e-14)
        assert v.zeta1 == pytest.approx(triples - theta2, abs=1e-14)
        assert v.zeta2 == pytest.approx(squares - theta2, abs=1e-14)


# --------------------------------------------------------------------------- coverage (a statistical test)

def universe(areas, weight_mean):
    """Every (goal, weight) profile of independent areas; areas = [(shares, conflict, weights, weight probs)]."""
    per_area = [[(g + 1, w, s[g] * pw) for g in range(len(s)) for w, pw in zip(wv, wp)] for s, _, wv, wp in areas]
    combos = list(itertools.product(*per_area))
    goals = np.array([[a[0] for a in c] for c in combos])
    weights = np.array([[a[1] for a in c] for c in combos], dtype=float)
    p = np.array([math.prod(a[2] for a in c) for c in combos])
    conflicts = [np.asarray(c, float) for _, c, _, _ in areas]
    h = ref_matrix(goals, weights, conflicts, weight_mean)
    return goals, weights, conflicts, p, float(p @ h @ p)


EXCL2, EXCL3 = 1 - np.eye(2), 1 - np.eye(3)
GRADED3 = np.abs(np.arange(3)[:, None] - np.arange(3)[None, :]) / 2.0
CELLS = {  # name: (areas, weight mean, n); the study's score coverage in these cells is 0.96-0.98
    "balanced": ([(np.ones(2) / 2, EXCL2, [1.0], [1.0])], "none", 40),
    "rare 3%": ([(np.array([0.03, 0.388, 0.582]), EXCL3, [0.5, 1.0], [0.5, 0.5])], "geometric", 40),
    "generic graded": ([(np.array([0.2, 0.3, 0.5]), GRADED3, [0.5, 1.0], [0.5, 0.5])], "arithmetic", 20),
    "rare beside even split": ([(np.array([0.03, 0.485, 0.485]), EXCL3, [1.0], [1.0])], "none", 20),
}
SAMPLES = 400
# A correct method covers at least 0.93 in these cells. Each cell fails with probability below
# 2.5e-5 when the coverage is 0.93 (binomial), so the test raises a false alarm with
# probability below 1e-4; samples are seeded, so it is also deterministic.
FLOOR = int(binom.ppf(2.5e-5, SAMPLES, 0.93))


def cell_samples(name):
    areas, wm, n = CELLS[name]
    goals, weights, conflicts, p, theta = universe(areas, wm)
    ker = atom_kernel(goals, weights, conflicts, wm)
    counts = np.random.default_rng(zlib.crc32(name.encode())).multinomial(n, p, size=SAMPLES).astype(float)
    return ker, counts, theta, (weights == 1.0).all(axis=1), conflicts, wm


@pytest.mark.parametrize("name", list(CELLS))
def test_score_interval_covers(name):
    ker, counts, theta, cand, conflicts, wm = cell_samples(name)
    u, lo, hi = interval_from_counts(ker, counts, candidates=cand)
    hits = int(np.sum((lo - 1e-12 <= theta) & (theta <= hi + 1e-12)))
    assert hits >= FLOOR, f"{name}: {hits}/{SAMPLES} covered, floor {FLOOR}"
    assert (hi > lo).all()  # never a point
    # the public function gives the same intervals (up to the 1e-6 jitter of the path's start)
    for s in range(3):
        idx = np.repeat(np.arange(ker.A), counts[s].astype(int))
        est, low, high = score_interval(ker.goals[idx], ker.weights[idx], conflicts, weight_mean=wm)
        assert est == pytest.approx(u[s], abs=1e-14)
        assert (low, high) == pytest.approx((lo[s], hi[s]), abs=1e-5)


def test_the_coverage_test_has_power():
    # the unbiased-variance method of earlier versions covers about half of the balanced samples
    ker, counts, theta, _, _, _ = cell_samples("balanced")
    _, lo, hi = interval_from_counts(ker, counts, method="exact")
    assert np.sum((lo - 1e-12 <= theta) & (theta <= hi + 1e-12)) < FLOOR
    assert np.mean(hi - lo <= 0) > 0.3  # points: the variance estimate is negative


# --------------------------------------------------------------------------- the zero rule and the top

@pytest.mark.parametrize("method", ["score", "normal", "bootstrap"])
def test_no_conflicting_pair_is_never_a_point(method):
    for n in (2, 9, 20, 101):
        goals = np.ones((n, 2), dtype=int)  # everyone holds goal 1 in both areas
        c2, c3 = np.array(FULL) * 0.8, 1 - np.eye(3)
        est, low, high = score_interval(goals, np.ones((n, 2)), [c2, c3], method=method, level=0.9,
                                        rng=np.random.default_rng(0), n_boot=50)
        hmax = (0.8 + 1.0) / 2
        assert (est, low) == (0.0, 0.0)
        assert high == pytest.approx(hmax * (1 - 0.05 ** (1 / (n // 2))))
        # normalize scales the largest kernel value
        _, _, high = score_interval(goals, np.ones((n, 2)), [c2, c3], method=method, level=0.9, normalize=True,
                                    rng=np.random.default_rng(0), n_boot=50)
        assert high == pytest.approx((0.8 * 2 + 1.5) / 2 * (1 - 0.05 ** (1 / (n // 2))))
    assert zero_rule_upper(20, 1.0) == pytest.approx(1 - 0.025 ** 0.1)
    # the earlier method returns the point 0
    assert score_interval(np.ones((20, 1), int), np.ones((20, 1)), [FULL], method="exact") == (0.0, 0.0, 0.0)


def test_balanced_top_ends_at_the_maximum_with_the_estimate_above():
    goals = np.array([[1]] * 10 + [[2]] * 10)
    est, low, high = score_interval(goals, np.ones((20, 1)), [FULL])
    assert est == pytest.approx(10 / 19)  # U = n / (2(n - 1)) > 1/2
    assert high == pytest.approx(0.5, abs=1e-12) and est > high
    assert 0.25 < low < 0.45


def test_an_unseen_goal_lets_the_interval_pass_the_seen_maximum():
    # two goals seen in an even split, a third possible: the interval reaches above 1/2
    goals = np.array([[1]] * 10 + [[2]] * 10)
    _, _, high = score_interval(goals, np.ones((20, 1)), [1 - np.eye(3)])
    assert high > 0.5
    _, _, high2 = score_interval(goals, np.ones((20, 1)), [FULL])
    assert high2 == pytest.approx(0.5, abs=1e-12)


# --------------------------------------------------------------------------- the methods, options and compatibility

def test_exact_method_is_the_normal_interval_of_the_unbiased_variance():
    rng = np.random.default_rng(8)
    goals, weights, conflicts = random_population(rng, 60, [3, 2])
    v = score_variance(goals, weights, conflicts)
    est, low, high = score_interval(goals, weights, conflicts, level=0.9, method="exact")
    assert est == pytest.approx(v.estimate)
    assert high - est == pytest.approx(norm.ppf(0.95) * np.sqrt(v.variance))
    est_r, low_r, high_r = score_interval(goals, weights, conflicts, level=0.9, method="exact",
                                          pairs="with_replacement")
    assert est_r == pytest.approx(est * 59 / 60)
    assert high_r - est_r == pytest.approx((high - est) * 59 / 60)


def test_normal_method_uses_the_plugin_variance():
    rng = np.random.default_rng(9)
    goals, weights, conflicts = random_population(rng, 50, [3])
    h = ref_matrix(goals, weights, conflicts)
    n = 50
    # the variance of U under the empirical law: Hoeffding with plug-in zetas from the matrix (i = j allowed)
    theta = h.sum() / n**2
    z1 = np.mean((h.sum(axis=1) / n) ** 2) - theta**2
    z2 = np.mean(h**2) - theta**2
    se = math.sqrt((4 * (n - 2) * z1 + 2 * z2) / (n * (n - 1)))
    est, low, high = score_interval(goals, weights, conflicts, method="normal", level=0.9)
    assert est == pytest.approx(h.sum() / (n * (n - 1)))
    assert (low, high) == pytest.approx((est - norm.ppf(0.95) * se, est + norm.ppf(0.95) * se))


def test_options_scale_and_select_the_population():
    rng = np.random.default_rng(10)
    goals, weights, conflicts = random_population(rng, 40, [3])
    a = score_interval(goals, weights, conflicts)
    assert score_interval(goals, weights, conflicts, area_mean="geometric") == a  # one area: any area mean
    r = score_interval(goals, weights, conflicts, pairs="with_replacement")
    assert tuple(r) == pytest.approx(tuple(x * 39 / 40 for x in a))
    # missing="exclude" with one area: the agents without a goal are dropped first
    held = goals[:, 0] != 0
    e = score_interval(goals, weights, conflicts, missing="exclude")
    assert tuple(e) == pytest.approx(tuple(score_interval(goals[held], weights[held], conflicts)), abs=1e-12)
    # normalize: the interval of the normalized score is the scaled interval
    z = score_interval(goals, weights, conflicts, normalize=True)
    assert tuple(z) == pytest.approx(tuple(x * 1.5 for x in a), rel=1e-6)


def test_results_are_deterministic_and_seeded():
    rng = np.random.default_rng(11)
    goals, weights, conflicts = random_population(rng, 80, [3, 2])
    for method in ("score", "normal", "exact"):
        assert score_interval(goals, weights, conflicts, method=method) == \
            score_interval(goals, weights, conflicts, method=method)
    a = score_interval(goals, weights, conflicts, method="bootstrap", rng=np.random.default_rng(1), n_boot=200)
    b = score_interval(goals, weights, conflicts, method="bootstrap", rng=np.random.default_rng(1), n_boot=200)
    assert a == b and a.low < a.estimate < a.high
    assert isinstance(a, Interval) and a._fields == ("estimate", "low", "high")


@pytest.mark.parametrize("weight_mean,area_mean,missing", [("geometric", "geometric", "g0"),
                                                            ("min", "max", "g0"),
                                                            ("arithmetic", "arithmetic", "exclude"),
                                                            ("harmonic", "harmonic", "exclude")])
def test_bootstrap_of_scores_that_are_not_u_statistics(weight_mean, area_mean, missing):
    rng = np.random.default_rng(12)
    goals, weights, conflicts = random_population(rng, 30, [3, 2])
    opts = dict(weight_mean=weight_mean, area_mean=area_mean, missing=missing)
    est, low, high = score_interval(goals, weights, conflicts, method="bootstrap", rng=np.random.default_rng(2),
                                    n_boot=400, **opts)
    assert est == misalignment(goals, weights, conflicts, **opts)
    # the percentile interval of rescored resampled populations (brute force by index)
    idx = np.random.default_rng(3).integers(0, 30, size=(400, 30))
    boot = misalignment_batch(goals[idx], weights[idx], conflicts, **opts)
    lo_ref, hi_ref = np.quantile(boot, [0.025, 0.975])
    assert low == pytest.approx(lo_ref, abs=0.35 * (hi_ref - lo_ref))
    assert high == pytest.approx(hi_ref, abs=0.35 * (hi_ref - lo_ref))
    for method in ("score", "normal", "exact"):
        with pytest.raises(ValueError, match="is not a U-statistic.*use method='bootstrap'"):
            score_interval(goals, weights, conflicts, method=method, **opts)


def test_bootstrap_zero_rule_on_the_combined_score():
    # area 0 has conflicts, area 1 none: the geometric area mean is 0, the upper end comes from the zero rule
    goals = np.stack([np.tile([1, 2], 15), np.ones(30, int)], axis=1)
    est, low, high = score_interval(goals, np.ones((30, 2)), [FULL, FULL], method="bootstrap", area_mean="geometric",
                                    rng=np.random.default_rng(0), n_boot=200)
    assert est == 0.0 and low == 0.0
    assert high >= math.sqrt(0.5 * (1 - 0.025 ** (1 / 15)))


def test_non_factorized_means_go_through_the_dense_kernel():
    rng = np.random.default_rng(13)
    goals, weights, conflicts = random_population(rng, 60, [3])
    for wm in ("min", "max", "harmonic"):
        for method in ("score", "normal", "exact"):
            est, low, high = score_interval(goals, weights, conflicts, weight_mean=wm, method=method)
            assert est == pytest.approx(misalignment(goals, weights, conflicts, weight_mean=wm))
            assert 0 <= low < est < high
    # continuous weights: every agent its own atom; the score refuses a dense kernel beyond its limit
    goals = rng.integers(1, 4, size=(2000, 1))
    with pytest.raises(ValueError, match=r"method=.score. over its dense kernel of 2,00\d distinct .*round the"):
        score_interval(goals, rng.random((2000, 1)), conflicts, weight_mean="min")


# --------------------------------------------------------------------------- design weights

@pytest.mark.parametrize("weight_mean", WEIGHT_MEANS)
def test_weighted_estimator_against_a_weighted_double_loop(weight_mean):
    rng = np.random.default_rng(14)
    for trial in range(4):
        goals, weights, conflicts = random_population(rng, int(rng.integers(3, 15)), rng.integers(2, 4, size=2))
        s = rng.choice([0.5, 1.0, 3.0], size=goals.shape[0])
        for pairs, normalize in (("distinct", False), ("with_replacement", True)):
            got = weighted_misalignment(goals, weights, conflicts, s, weight_mean=weight_mean, pairs=pairs,
                                        normalize=normalize)
            expected = ref.weighted_pair_mean(goals.tolist(), weights.tolist(), [c.tolist() for c in conflicts],
                                              s.tolist(), weight_mean, normalize, pairs)
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)
        # equal weights: the score itself; the estimate of score_interval is this one
        assert weighted_misalignment(goals, weights, conflicts, np.full(goals.shape[0], 2.0),
                                     weight_mean=weight_mean) == pytest.approx(
            misalignment(goals, weights, conflicts, weight_mean=weight_mean), rel=1e-12)
        est, _, _ = score_interval(goals, weights, conflicts, weight_mean=weight_mean, sample_weight=s,
                                   method="bootstrap", rng=np.random.default_rng(0), n_boot=20)
        assert est == weighted_misalignment(goals, weights, conflicts, s, weight_mean=weight_mean)


def stratified_sample(rng, n):
    """The study's population: stratum A (25%) and B (75%), sampled n/2 each (A over-represented 3:1)."""
    shares = {"A": [0.7, 0.2, 0.1], "B": [0.1, 0.3, 0.6]}
    wprob = {"A": [0.2, 0.8], "B": [0.7, 0.3]}
    goals, weights, strata = [], [], []
    for name in ("A", "B"):
        goals += list(rng.choice([1, 2, 3], p=shares[name], size=n // 2))
        weights += list(rng.choice([0.5, 1.0], p=wprob[name], size=n // 2))
        strata += [name] * (n // 2)
    s = np.where(np.array(strata) == "A", 0.25, 0.75)
    return np.array(goals)[:, None], np.array(weights)[:, None], np.array(strata), s


def test_design_intervals_on_a_stratified_sample():
    goals, weights, strata, s = stratified_sample(np.random.default_rng(15), 200)
    c = [1 - np.eye(3)]
    est = weighted_misalignment(goals, weights, c, s)
    boot = score_interval(goals, weights, c, sample_weight=s, strata=strata, method="bootstrap",
                          rng=np.random.default_rng(1), n_boot=500)
    again = score_interval(goals, weights, c, sample_weight=s, strata=strata, method="bootstrap",
                           rng=np.random.default_rng(1), n_boot=500)
    assert boot == again and boot.estimate == est and boot.low < est < boot.high
    # the bootstrap SE against a brute-force stratified resampling of the agents
    h = ref_matrix(goals, weights, c)
    assert est == pytest.approx((s @ h @ s) / (s.sum() ** 2 - s @ s), rel=1e-12)
    rng = np.random.default_rng(2)
    values = []
    for _ in range(300):  # an agent drawn twice meets its copy at h_aa = 0
        idx = np.concatenate([rng.choice(np.flatnonzero(strata == x), 100) for x in ("A", "B")])
        si = s[idx]
        values.append((si @ h[np.ix_(idx, idx)] @ si) / (si.sum() ** 2 - si @ si))
    half = norm.ppf(0.975) * np.std(values, ddof=1)
    assert (boot.high - boot.low) / 2 == pytest.approx(half, rel=0.2)
    score = score_interval(goals, weights, c, sample_weight=s, strata=strata)
    assert score.estimate == est and score.low < est < score.high
    assert (score.high - score.low) == pytest.approx(boot.high - boot.low, rel=0.25)
    # the unweighted interval misses the population value the design weights recover
    assert score_interval(goals, weights, c).estimate != pytest.approx(est, rel=0.02)


def test_design_score_needs_weights_constant_within_strata_and_zero_rule():
    goals, weights, strata, s = stratified_sample(np.random.default_rng(16), 40)
    c = [1 - np.eye(3)]
    s2 = s * np.linspace(1, 2, 40)
    with pytest.raises(ValueError, match="constant within each stratum.*method='bootstrap'"):
        score_interval(goals, weights, c, sample_weight=s2)
    with pytest.raises(ValueError, match="method='normal' is not offered with sample_weight"):
        score_interval(goals, weights, c, sample_weight=s, method="normal")
    # nobody disagrees: the zero rule with the smallest stratum's disjoint pairs
    est, low, high = score_interval(np.ones((40, 1), int), weights, c, sample_weight=s, strata=strata)
    assert (est, low) == (0.0, 0.0) and high == pytest.approx(1 - 0.025 ** (1 / 10))


def test_design_options_scale_like_the_score():
    goals, weights, strata, s = stratified_sample(np.random.default_rng(20), 60)
    c = [1 - np.eye(3)]
    a = score_interval(goals, weights, c, sample_weight=s, strata=strata)
    r = score_interval(goals, weights, c, sample_weight=s, strata=strata, pairs="with_replacement")
    factor = (s.sum() ** 2 - s @ s) / s.sum() ** 2  # the weighted analogue of (n - 1)/n
    assert tuple(r) == pytest.approx(tuple(x * factor for x in a))
    # strata alone (equal weights): the estimate is the score
    e = score_interval(goals, weights, c, strata=strata)
    assert e.estimate == pytest.approx(misalignment(goals, weights, c)) and e.low < e.estimate < e.high


# --------------------------------------------------------------------------- comparisons

def test_difference_interval_against_brute_force():
    rng = np.random.default_rng(17)
    c = [np.array([[0, 1.0, .5], [1.0, 0, .7], [.5, .7, 0]])]
    ga, gb = rng.choice([1, 2, 3], p=[.6, .3, .1], size=(120, 1)), rng.choice([1, 2, 3], p=[.2, .3, .5], size=(100, 1))
    wa, wb = rng.choice([0.5, 1.0], size=(120, 1)), rng.choice([0.5, 1.0], size=(100, 1))
    d = difference_interval(ga, wa, gb, wb, c)
    ha, hb = ref_matrix(ga, wa, c), ref_matrix(gb, wb, c)
    assert d.estimate == pytest.approx(ref.u_statistic(ha.tolist()) - ref.u_statistic(hb.tolist()), abs=1e-12)
    lo, hi = ref.bootstrap_difference(ha, hb, np.random.default_rng(3), 400)
    assert d.high - d.low == pytest.approx(hi - lo, rel=0.15)
    assert d.low < d.estimate < d.high
    # MOVER from the two score intervals, by hand
    ia, ib = score_interval(ga, wa, c), score_interval(gb, wb, c)
    assert d.low == pytest.approx(d.estimate - math.hypot(ia.estimate - ia.low, ib.high - ib.estimate))
    assert d.high == pytest.approx(d.estimate + math.hypot(ia.high - ia.estimate, ib.estimate - ib.low))
    # any per-group method
    boot = difference_interval(ga, wa, gb, wb, c, method="bootstrap", rng=np.random.default_rng(4), n_boot=300)
    assert boot.estimate == d.estimate and boot.high - boot.low == pytest.approx(hi - lo, rel=0.2)


@pytest.mark.parametrize("kind", ["between-within", "between-pooled", "between"])
def test_contrast_interval_against_brute_force(kind):
    rng = np.random.default_rng(18)
    c = [np.array([[0, 1.0, .5], [1.0, 0, .7], [.5, .7, 0]]), np.array(FULL)]
    n = 160
    groups = np.where(rng.random(n) < 0.4, "a", "b")
    goals = np.stack([np.where(groups == "a", rng.choice([1, 2, 3], p=[.6, .3, .1], size=n),
                               rng.choice([1, 2, 3], p=[.2, .3, .5], size=n)), rng.integers(0, 3, n)], axis=1)
    weights = rng.choice([0.5, 1.0], size=(n, 2))
    h = ref_matrix(goals, weights, c)
    ma, mb = list(np.flatnonzero(groups == "a")), list(np.flatnonzero(groups == "b"))
    expected = ref.contrast(h.tolist(), ma, mb, kind)
    lo, hi = ref.bootstrap_contrast(h, ma, mb, kind, np.random.default_rng(5), 400)
    for method in ("score", "normal", "bootstrap"):
        est, low, high = contrast_interval(goals, weights, c, groups, a="a", b="b", contrast=kind, method=method,
                                           rng=np.random.default_rng(6), n_boot=400)
        assert est == pytest.approx(expected, abs=1e-14)
        assert low < est < high
        assert high - low == pytest.approx(hi - lo, rel=0.2), method
    # the cross score is cross_misalignment's
    if kind == "between":
        from misalign import cross_misalignment

        assert est == pytest.approx(cross_misalignment(goals[groups == "a"], weights[groups == "a"],
                                                       goals[groups == "b"], weights[groups == "b"], c))


def test_difference_at_balanced_tops_is_not_degenerate():
    # both samples evenly split: each estimate lies above its interval's top, the MOVER distances clip at 0
    g = np.array([[1], [2]] * 30)
    d = difference_interval(g, np.ones((60, 1)), g, np.ones((60, 1)), [FULL])
    assert d.estimate == 0.0 and d.low < 0 < d.high and d.high - d.low < 0.3


def test_contrast_of_identical_groups_reaches_zero_and_not_below():
    # between - within is degenerate when the groups do not differ; D = 0 is its boundary
    rng = np.random.default_rng(19)
    goals = rng.choice([1, 2, 3], size=(200, 1))
    groups = np.repeat(["x", "y"], 100)
    est, low, high = contrast_interval(goals, np.ones((200, 1)), [1 - np.eye(3)], groups, a="x", b="y")
    assert low <= 0 < high and low > -0.02
    # no cross conflict at all: the zero rule for the cross score
    goals = np.array([[1]] * 10 + [[2]] * 10)
    est, low, high = contrast_interval(np.array([[1]] * 20), np.ones((20, 1)), [FULL], groups[90:110], a="x", b="y",
                                       contrast="between")
    assert (est, low) == (0.0, 0.0) and high == pytest.approx(1 - 0.025 ** 0.1)
    # missing="exclude": non-respondents dropped first
    g = np.array([[1], [2], [0], [1], [2], [2], [0], [1]] * 5)
    lab = np.array(["x", "x", "x", "y", "y", "y", "y", "y"] * 5)
    a = contrast_interval(g, np.ones((40, 1)), [FULL], lab, a="x", b="y", missing="exclude")
    keep = g[:, 0] != 0
    b = contrast_interval(g[keep], np.ones((int(keep.sum()), 1)), [FULL], lab[keep], a="x", b="y")
    assert tuple(a) == pytest.approx(tuple(b), abs=1e-12)


# --------------------------------------------------------------------------- bad arguments

def test_errors():
    c = [FULL]
    g, w = [[1], [2], [1], [2], [1]], np.ones((5, 1))
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="method='delta' is not a valid option; expected one of 'score'"):
        score_interval(g, w, c, method="delta")
    for level in (95, 0, 1.0, True, "0.95"):
        with pytest.raises(ValueError, match=f"level = {level!r}; expected a confidence level strictly between"):
            score_interval(g, w, c, level=level)
    with pytest.raises(ValueError, match="rng = None; method='bootstrap' draws resamples"):
        score_interval(g, w, c, method="bootstrap")
    with pytest.raises(ValueError, match="rng = 3; method='bootstrap'"):
        score_interval(g, w, c, method="bootstrap", rng=3)
    for n_boot in (1, 2.5, True):
        with pytest.raises(ValueError, match=f"n_boot = {n_boot!r}; expected an integer number"):
            score_interval(g, w, c, method="bootstrap", rng=rng, n_boot=n_boot)
    with pytest.raises(ValueError, match="goals has 1 agents; method='score' needs at least 2"):
        score_interval([[1]], [[1.0]], c)
    with pytest.raises(ValueError, match="goals has 3 agents; the unbiased variance needs at least 4"):
        score_interval([[1], [2], [1]], np.ones((3, 1)), c, method="exact")
    with pytest.raises(ValueError, match=r"goals has 1 agents holding a goal \(missing='exclude'\)"):
        score_interval([[1], [0], [0]], np.ones((3, 1)), c, missing="exclude")
    with pytest.raises(ValueError, match="goals has 1 agents; the bootstrap needs at least 2"):
        score_interval([[1]], [[1.0]], c, method="bootstrap", rng=rng)
    with pytest.raises(ValueError, match="goals has 3 agents; the unbiased variance needs at least 4"):
        score_variance([[1], [2], [1]], np.ones((3, 1)), c)
    with pytest.raises(ValueError, match="weight_mean='min' has no closed-form variance"):
        score_variance(g, w, c, weight_mean="min")
    with pytest.raises(ValueError, match=r"weights\[0, 0\] = -0.5; expected a weight in \[0, 1\]"):
        score_interval([[1], [2], [1], [2]], [[-0.5], [1], [1], [1]], c)
    with pytest.raises(ValueError, match="area_mean='geometric' over 2 areas is not a mean over pairs"):
        score_interval(np.hstack([g, g]), np.hstack([w, w]), [FULL, FULL], area_mean="geometric")
    with pytest.raises(ValueError, match="missing='exclude' over 2 areas gives each area its own population"):
        score_interval(np.hstack([g, g]), np.hstack([w, w]), [FULL, FULL], missing="exclude", method="normal")
    # design weights
    with pytest.raises(ValueError, match=r"sample_weight has shape \(3,\); expected one positive weight per agent, "
                                         r"shape \(5,\)"):
        score_interval(g, w, c, sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match="sample_weight\\[1\\] is nan; expected a positive finite weight"):
        score_interval(g, w, c, sample_weight=[1, np.nan, 1, 1, 1])
    with pytest.raises(ValueError, match="sample_weight\\[2\\] is inf"):
        weighted_misalignment(g, w, c, [1, 1, np.inf, 1, 1])
    with pytest.raises(ValueError, match="sample_weight\\[0\\] = -1.0; expected a positive finite weight"):
        score_interval(g, w, c, sample_weight=[-1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="sample_weight\\[4\\] = 0.0"):
        score_interval(g, w, c, sample_weight=[1, 1, 1, 1, 0])
    with pytest.raises(ValueError, match="sample_weight must hold positive finite numbers"):
        score_interval(g, w, c, sample_weight=["a"] * 5)
    with pytest.raises(ValueError, match=r"strata has shape \(2,\); expected one label per agent, shape \(5,\)"):
        score_interval(g, w, c, sample_weight=np.ones(5), strata=["a", "b"])
    with pytest.raises(ValueError, match=r"strata\[1\] is missing \(None\)"):
        score_interval(g, w, c, strata=["a", None, "a", "b", "b"])
    with pytest.raises(ValueError, match="a stratum has 1 agents; expected at least 2 agents in every stratum"):
        score_interval(g, w, c, strata=["a", "a", "a", "a", "b"], method="bootstrap", rng=rng)
    with pytest.raises(ValueError, match="rng = None; method='bootstrap'"):
        score_interval(g, w, c, sample_weight=np.ones(5), method="bootstrap")
    # comparisons
    groups = ["x", "x", "y", "y", "z"]
    with pytest.raises(ValueError, match="contrast='within' is not a valid option"):
        contrast_interval(g, w, c, groups, a="x", b="y", contrast="within")
    with pytest.raises(ValueError, match="method='exact' is not a valid option; expected one of 'score', 'normal'"):
        contrast_interval(g, w, c, groups, a="x", b="y", method="exact")
    with pytest.raises(ValueError, match="a='q' is not a label of groups; expected one of 'x', 'y', 'z'"):
        contrast_interval(g, w, c, groups, a="q", b="y")
    with pytest.raises(ValueError, match="b=7 is not a label of groups"):
        contrast_interval(g, w, c, groups, a="x", b=7)
    with pytest.raises(ValueError, match="a and b are both 'x'; expected two different groups"):
        contrast_interval(g, w, c, groups, a="x", b="x")
    with pytest.raises(ValueError, match="groups has 1 agents labelled b='z'; expected at least 2 in each"):
        contrast_interval(g, w, c, groups, a="x", b="z")
    with pytest.raises(ValueError, match=r"groups has shape \(4,\); expected one label per agent"):
        contrast_interval(g, w, c, groups[:4], a="x", b="y")
    with pytest.raises(ValueError, match=r"groups\[4\] is missing \(nan\)"):
        contrast_interval(g, w, c, ["x", "x", "y", "y", np.nan], a="x", b="y")
    with pytest.raises(ValueError, match="rng = None; method='bootstrap'"):
        contrast_interval(g, w, c, groups, a="x", b="y", method="bootstrap")
    with pytest.raises(ValueError, match="level = 2"):
        contrast_interval(g, w, c, groups, a="x", b="y", level=2)
    with pytest.raises(ValueError, match="is not a combination of U-statistics"):
        contrast_interval(np.hstack([g, g]), np.hstack([w, w]), [FULL, FULL], groups, a="x", b="y", area_mean="min")
    with pytest.raises(ValueError, match="goals_b has 1 agents; method='score' needs at least 2"):
        difference_interval(g, w, [[1]], [[1.0]], c)
    with pytest.raises(ValueError, match="contrast='A-B' is not a valid option"):
        contrast_coefficients("A-B", 3, 3)


def test_public_method_list():
    assert INTERVAL_METHODS[0] == "score"
    assert score_interval([[1], [2], [1], [2]], np.ones((4, 1)), [FULL]) == \
        score_interval([[1], [2], [1], [2]], np.ones((4, 1)), [FULL], method="score")


def test_contrast_bootstrap_over_areas_with_non_response_against_brute_force():
    # several areas, each with its own respondents: the contrast is recomputed per resample from scratch
    rng = np.random.default_rng(21)
    g = rng.integers(0, 3, size=(60, 3))
    w = np.ones((60, 3))
    cs = [np.array([[0, 1.0], [1.0, 0]])] * 3
    groups = np.array(["a"] * 30 + ["b"] * 30)
    est, low, high = contrast_interval(g, w, cs, groups, a="a", b="b", contrast="between", method="bootstrap",
                                       rng=np.random.default_rng(3), n_boot=200, weight_mean="none",
                                       missing="exclude")
    # the estimate by hand: per area, the share of (a, b) pairs of respondents that disagree, averaged over areas
    want = []
    for j in range(3):
        ga, gb = g[:30, j][g[:30, j] > 0], g[30:, j][g[30:, j] > 0]
        want.append(np.mean(ga[:, None] != gb[None, :]))
    assert est == pytest.approx(np.mean(want), rel=1e-12)
    assert low <= est <= high
    with pytest.raises(ValueError, match="or method='bootstrap'"):
        contrast_interval(g, w, cs, groups, a="a", b="b", contrast="between", weight_mean="none", missing="exclude")


# --------------------------------------------------------------------------- batched intervals

@pytest.mark.parametrize("method", ["score", "exact", "normal"])
@pytest.mark.parametrize("weight_mean", ["geometric", "none"])
def test_area_intervals_agree_with_one_call_per_sample(method, weight_mean):
    """The batched path against score_interval sample by sample; estimates against the pair loop."""
    rng = np.random.default_rng(4)
    conflict = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25], [0.5, 0.25, 0.0]])
    samples = []
    for n in (1, 2, 3, 7, 30, 30, 120):
        k_used = rng.integers(1, 4)
        samples.append((rng.integers(1, k_used + 1, n), rng.choice([0.25, 1.0], n)))
    samples.append((np.ones(40, dtype=int), np.ones(40)))  # no conflicting pair: the zero rule
    est, low, high = area_intervals(samples, conflict, method=method, weight_mean=weight_mean)
    for (g, w), e, lo, hi in zip(samples, est, low, high):
        if g.size < (4 if method == "exact" else 2):
            assert np.isnan(e) and np.isnan(lo) and np.isnan(hi)
            continue
        one = score_interval(g[:, None], w[:, None], [conflict], method=method, weight_mean=weight_mean)
        want = ref.area_score(g, w, conflict, weight_mean=weight_mean)
        assert e == pytest.approx(want, abs=1e-12)
        assert (lo, hi) == pytest.approx((one.low, one.high), abs=1e-6)


@pytest.mark.parametrize("weight_mean", ["geometric", "arithmetic"])
def test_cross_intervals_agree_with_contrast_interval_between(weight_mean):
    rng = np.random.default_rng(5)
    conflict = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25], [0.5, 0.25, 0.0]])
    pairs = []
    for na, nb in ((5, 8), (5, 8), (20, 3), (1, 1), (0, 4), (60, 60)):
        pairs.append((rng.integers(1, 4, na), rng.choice([0.5, 1.0], na),
                      rng.integers(1, 4, nb), rng.choice([0.5, 1.0], nb)))
    est, low, high = cross_intervals(pairs, conflict, weight_mean=weight_mean)
    for (ga, wa, gb, wb), e, lo, hi in zip(pairs, est, low, high):
        if ga.size == 0 or gb.size == 0:
            assert np.isnan(e) and np.isnan(lo) and np.isnan(hi)
            continue
        h = ref.kernel_matrix(np.concatenate([ga, gb])[:, None], np.concatenate([wa, wb])[:, None], [conflict],
                              weight_mean=weight_mean)
        members_a, members_b = np.arange(ga.size), ga.size + np.arange(gb.size)
        assert e == pytest.approx(ref.cross_mean(h, members_a, members_b), abs=1e-12)
        if ga.size < 2 or gb.size < 2:
            continue
        groups = np.array(["a"] * ga.size + ["b"] * gb.size)
        one = contrast_interval(np.concatenate([ga, gb])[:, None], np.concatenate([wa, wb])[:, None], [conflict],
                                groups, a="a", b="b", contrast="between", weight_mean=weight_mean)
        assert (lo, hi) == pytest.approx((one.low, one.high), abs=1e-6)
