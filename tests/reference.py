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
