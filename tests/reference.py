"""An independent, deliberately slow implementation of the paper's definitions.

Written from section 3 and appendix D of Kierans et al. (2025) with plain
Python loops over pairs of agents, sharing no code with ``misalign``: the
package's factorized scores are checked against it.
"""

import itertools
import math


def pair_weight(a, b, weight_mean):
    if weight_mean == "geometric":
        return math.sqrt(a * b)
    if weight_mean == "arithmetic":
        return (a + b) / 2
    if weight_mean == "harmonic":
        return 0.0 if a + b == 0 else 2 * a * b / (a + b)
    if weight_mean == "min":
        return min(a, b)
    if weight_mean == "max":
        return max(a, b)
    if weight_mean == "none":
        return 1.0
    raise AssertionError(weight_mean)


def conflict_of(conflict, g, h):
    """c(g, h) with goal ids 1..k and the null goal 0, which conflicts with nothing."""
    if g == 0 or h == 0:
        return 0.0
    return float(conflict[g - 1][h - 1])


def area_score(goals, weights, conflict, pairs="distinct", weight_mean="geometric", normalize=False, missing="g0"):
    """The area score by its definition. ``missing="exclude"`` leaves agents with goal 0 out of the population."""
    if missing == "exclude":
        kept = [i for i, g in enumerate(goals) if g != 0]
        goals, weights = [goals[i] for i in kept], [weights[i] for i in kept]
    n = len(goals)
    if n < 2:
        return 0.0
    if pairs == "distinct":
        drawn = list(itertools.combinations(range(n), 2))
    else:
        drawn = list(itertools.product(range(n), repeat=2))
    total = sum(conflict_of(conflict, goals[i], goals[j]) * pair_weight(weights[i], weights[j], weight_mean)
                for i, j in drawn)
    score = total / len(drawn)
    if normalize:
        k = len(conflict)
        score = 0.0 if k <= 1 else score * k / (k - 1)
    return score


def combine(scores, area_mean):
    m = len(scores)
    if area_mean == "arithmetic":
        return sum(scores) / m
    if area_mean == "min":
        return min(scores)
    if area_mean == "max":
        return max(scores)
    if any(s == 0 for s in scores):
        return 0.0
    if area_mean == "geometric":
        return math.prod(scores) ** (1 / m)
    if area_mean == "harmonic":
        return m / sum(1 / s for s in scores)
    raise AssertionError(area_mean)


def population_score(goals, weights, conflicts, area_mean="arithmetic", **options):
    """goals and weights as lists of per-agent lists (agent-major), one conflict per area."""
    m = len(conflicts)
    scores = [area_score([row[j] for row in goals], [row[j] for row in weights], conflicts[j], **options)
              for j in range(m)]
    return combine(scores, area_mean)


def ordered_goal_sums(goals, values, k, chunk):
    """Per-goal sums in the order the package promises, one float addition at a time.

    Within each chunk of ``chunk`` consecutive agents the values are added in
    agent order starting from 0.0; the chunk totals are then added in chunk order.
    """
    total = None
    for lo in range(0, max(len(goals), 1), chunk):
        part = [0.0] * (k + 1)
        for g, v in zip(goals[lo:lo + chunk], values[lo:lo + chunk]):
            part[g] += v
        total = part if total is None else [a + b for a, b in zip(total, part)]
    return total


def expected_area_score(distributions, weights, conflict, **options):
    """The expected area score by enumerating every draw of every agent's goal (slow; small populations only).

    ``distributions[i][g]`` is agent i's probability of goal g, with g = 0 the null goal.
    """
    total = 0.0
    for draw in itertools.product(*[range(len(d)) for d in distributions]):
        p = math.prod(d[g] for d, g in zip(distributions, draw))
        if p:
            total += p * area_score(list(draw), list(weights), conflict, **options)
    return total


# --------------------------------------------------------------------------- uncertainty (tests/test_uncertainty.py)
# Brute force for the intervals: every pair kernel by a loop over pairs of agents, every
# sampling distribution by enumerating the outcomes, every bootstrap by resampling agents.

def pair_kernel(goals_i, weights_i, goals_j, weights_j, conflicts, weight_mean="geometric", normalize=False):
    """h(X_i, X_j): the area mean of c_p(g_i, g_j) * wbar(w_i, w_j) (per-agent lists over the areas)."""
    m = len(conflicts)
    total = 0.0
    for p in range(m):
        k = len(conflicts[p])
        factor = (0.0 if k <= 1 else k / (k - 1)) if normalize else 1.0
        c = conflict_of(conflicts[p], int(goals_i[p]), int(goals_j[p]))
        if c:
            total += factor * c * pair_weight(float(weights_i[p]), float(weights_j[p]), weight_mean)
    return total / m


def kernel_matrix(goals, weights, conflicts, weight_mean="geometric", normalize=False):
    """h_ij for every ordered pair of agents (zero diagonal), as a list of lists."""
    n = len(goals)
    return [[0.0 if i == j else pair_kernel(goals[i], weights[i], goals[j], weights[j], conflicts, weight_mean,
                                            normalize) for j in range(n)] for i in range(n)]


def u_statistic(h, members=None):
    """The distinct-pairs mean of a kernel matrix over ``members`` (all agents by default)."""
    idx = list(range(len(h))) if members is None else list(members)
    n = len(idx)
    return sum(h[i][j] for i in idx for j in idx if i != j) / (n * (n - 1))


def cross_mean(h, members_a, members_b):
    """The mean of h over pairs with one agent in each group."""
    return sum(h[i][j] for i in members_a for j in members_b) / (len(members_a) * len(members_b))


def contrast(h, members_a, members_b, kind):
    """U_AB - (U_A + U_B)/2, U_AB - pooled within, or U_AB, by loops over pairs."""
    ua, ub, uab = u_statistic(h, members_a), u_statistic(h, members_b), cross_mean(h, members_a, members_b)
    if kind == "between-within":
        return uab - (ua + ub) / 2
    if kind == "between-pooled":
        na, nb = len(members_a), len(members_b)
        pa, pb = na * (na - 1), nb * (nb - 1)
        return uab - (pa * ua + pb * ub) / (pa + pb)
    if kind == "between":
        return uab
    raise AssertionError(kind)


def weighted_pair_mean(goals, weights, conflicts, s, weight_mean="geometric", normalize=False, pairs="distinct"):
    """sum_{i != j} s_i s_j h_ij / sum_{i != j} s_i s_j (with_replacement: over all ordered pairs, h_ii = 0)."""
    n = len(goals)
    num = den = 0.0
    for i in range(n):
        for j in range(n):
            if i != j or pairs == "with_replacement":
                den += s[i] * s[j]
                if i != j:
                    num += s[i] * s[j] * pair_kernel(goals[i], weights[i], goals[j], weights[j], conflicts,
                                                     weight_mean, normalize)
    return num / den


def compositions(n, parts):
    """Every vector of ``parts`` non-negative integers summing to n."""
    if parts == 1:
        yield (n,)
        return
    for first in range(n + 1):
        for rest in compositions(n - first, parts - 1):
            yield (first,) + rest


def multinomial_pmf(counts, prob):
    out = math.factorial(sum(counts))
    for c, p in zip(counts, prob):
        out = out / math.factorial(c) * p**c
    return out


def u_distribution(type_goals, type_weights, prob, conflicts, n, weight_mean="geometric"):
    """Mean and variance of U over every sample of n iid agents from a finite set of types (enumerated)."""
    h = kernel_matrix(type_goals, type_weights, conflicts, weight_mean)
    mean = second = 0.0
    for counts in compositions(n, len(prob)):
        pr = multinomial_pmf(counts, prob)
        agents = [t for t, c in enumerate(counts) for _ in range(c)]
        u = sum(h[a][b] for x, a in enumerate(agents) for y, b in enumerate(agents) if x != y) / (n * (n - 1))
        mean += pr * u
        second += pr * u * u
    return mean, second - mean * mean


def contrast_distribution(type_goals, type_weights, prob_a, prob_b, conflicts, n_a, n_b, kind,
                          weight_mean="geometric"):
    """Mean and variance of a contrast over every pair of samples (n_a from prob_a, n_b from prob_b)."""
    h = kernel_matrix(type_goals, type_weights, conflicts, weight_mean)
    mean = second = 0.0
    for ca in compositions(n_a, len(prob_a)):
        pa = multinomial_pmf(ca, prob_a)
        if not pa:
            continue
        for cb in compositions(n_b, len(prob_b)):
            pb = multinomial_pmf(cb, prob_b)
            if not pb:
                continue
            agents = [t for t, c in enumerate(ca) for _ in range(c)] + [t for t, c in enumerate(cb) for _ in range(c)]
            big = [[0.0 if x == y else h[a][b] for y, b in enumerate(agents)] for x, a in enumerate(agents)]
            d = contrast(big, range(n_a), range(n_a, n_a + n_b), kind)
            mean += pa * pb * d
            second += pa * pb * d * d
    return mean, second - mean * mean


def percentile(values, q):
    """Linear-interpolation quantile (numpy's default) of a list."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def bootstrap_contrast(h, members_a, members_b, kind, rng, n_boot, level=0.95):
    """Percentile interval of a contrast over resamples of the agents within each group (by index).

    ``h`` is the kernel matrix as a numpy array; a resample's matrix is its rows and columns
    (an agent drawn twice meets its copy at h_aa = 0, as two agents sharing a goal do).
    """
    import numpy as np

    a, b = np.asarray(members_a), np.asarray(members_b)
    values = []
    for _ in range(n_boot):
        ia, ib = a[rng.integers(0, a.size, a.size)], b[rng.integers(0, b.size, b.size)]
        ua = h[np.ix_(ia, ia)].sum() / (a.size * (a.size - 1))
        ub = h[np.ix_(ib, ib)].sum() / (b.size * (b.size - 1))
        uab = h[np.ix_(ia, ib)].sum() / (a.size * b.size)
        if kind == "between-within":
            values.append(uab - (ua + ub) / 2)
        elif kind == "between-pooled":
            pa, pb = a.size * (a.size - 1), b.size * (b.size - 1)
            values.append(uab - (pa * ua + pb * ub) / (pa + pb))
        else:
            values.append(uab)
    a2 = (1 - level) / 2
    return percentile(values, a2), percentile(values, 1 - a2)


def bootstrap_difference(h_a, h_b, rng, n_boot, level=0.95):
    """Percentile interval of U(A) - U(B) for two independent samples (kernel matrices as numpy
    arrays), resampling each sample's agents by index."""
    import numpy as np

    values = []
    for _ in range(n_boot):
        parts = []
        for h in (h_a, h_b):
            n = h.shape[0]
            idx = rng.integers(0, n, n)
            parts.append(h[np.ix_(idx, idx)].sum() / (n * (n - 1)))
        values.append(parts[0] - parts[1])
    a2 = (1 - level) / 2
    return percentile(values, a2), percentile(values, 1 - a2)
