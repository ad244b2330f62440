r"""Taking the misalignment score apart: by agent, by goal pair, by group.

The area score of Kierans et al. (2025) is a mean over ordered pairs of
distinct agents,

.. math::

    \Pr(0 \mid \mathcal{A}, p) = \frac{1}{n(n-1)} \sum_{i \ne j}
        c(g_i, g_j)\, \bar w(w_i, w_j),

so any partition of the ordered pairs splits it into parts that add back to it
exactly: by the first agent of the pair (:func:`agent_contributions`), by the
goals of the pair (:func:`goal_pair_contributions`) or by the groups the two
agents belong to (:func:`group_decomposition`, :func:`cross_misalignment`).

Every part is computed without an n x n matrix. For the geometric and
arithmetic weight means and for ``"none"`` the weight mean is a sum of
products, :math:`\bar w(a, b) = \sum_t \lambda_t\, l_t(a)\, r_t(b)` (one term
:math:`\sqrt a \sqrt b`; two terms :math:`(a \cdot 1 + 1 \cdot b)/2`; one term
:math:`1 \cdot 1`), so sums over the partners of an agent collapse into goal
group sums :math:`R_{t,h} = \sum_{j: g_j = h} r_t(w_j)` and cost
:math:`O(n + k^2)` as in :mod:`misalign.model`. The minimum and maximum use one
sort per goal group (:math:`O(n k \log n)`), the harmonic mean distinct
(goal, weight) atoms, so every weight mean is exact.

References
----------
.. [1] Kierans, A., Ghosh, A., Hazan, H., and Dori-Hacohen, S. (2025).
   Quantifying Misalignment Between Agents. AAAI 2025, section 3.
.. [2] Rao, C. R. (1982). Diversity and dissimilarity coefficients: a unified
   approach. Theoretical Population Biology 21(1), 24-43 (the apportionment of
   quadratic entropy into within- and between-group parts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.means import WEIGHT_MEANS
from ..core import engine
from ..core.means import MEANS, feature
from ..core.score import combine_areas
from ..core.validation import (
    AREA_MEANS,
    MISSING,
    PAIRS,
    as_conflict,
    as_goals,
    as_population,
    as_weights,
    check_goal_range,
    check_option,
    check_same_shape,
)

__all__ = [
    "agent_contributions",
    "rank_agents",
    "goal_pair_contributions",
    "cross_area_scores",
    "cross_misalignment",
    "group_decomposition",
    "GroupDecomposition",
    "group_bedfellows",
]

def _population(goals, weights, conflicts, gname="goals", wname="weights"):
    """Validated goals (n, m), weights (n, m) and m padded conflict matrices."""
    g, w, cs = as_population(goals, weights, conflicts, gname, wname)
    return g, w, [engine.padded(c) for c in cs]


def agent_contributions(goals, weights, conflicts, *, pairs="distinct", weight_mean="geometric", normalize=False):
    r"""Each agent's expected weighted conflict with another agent drawn at random, per area.

    .. math::

        r_i^p = \frac{1}{n - 1} \sum_{j \ne i} c(g_i^p, g_j^p)\,
            \bar w(w_i^p, w_j^p), \qquad
        \frac{1}{n} \sum_i r_i^p = \Pr(0 \mid \mathcal{A}, p)

    with :math:`n` in place of :math:`n - 1` for ``pairs="with_replacement"``.
    The identity holds exactly for every pair convention, weight mean and
    ``normalize``, because both sides sum the same ordered pairs. Averaged over
    areas as well, the contributions give the population score for the paper's
    arithmetic ``area_mean``; for the other area means (geometric, harmonic,
    min, max) the population score is not a mean over agents and no such
    identity holds: use the per-area columns.

    Parameters
    ----------
    goals : array_like of int, shape (n_agents, n_areas)
    weights : array_like of float, shape (n_agents, n_areas)
    conflicts : sequence of array_like
        One (k_j, k_j) matrix per area.
    pairs, weight_mean, normalize
        As in :func:`misalign.area_misalignment`.

    Returns
    -------
    numpy.ndarray, shape (n_agents, n_areas)
        Zeros when there are fewer than two agents.

    Raises
    ------
    ValueError
        As :func:`misalign.area_scores`.

    See Also
    --------
    rank_agents : the agents who drive misalignment, ranked.
    misalign.area_scores : the per-area means of these contributions.

    Examples
    --------
    The household area of the shopping case: the customer conflicts 0.5 with
    the retailer and 0.9 with the recommender system.

    >>> import numpy as np
    >>> c = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    >>> r = agent_contributions([[1], [2], [3]], [[.6], [.7], [1.0]], [c])
    >>> customer = (0.5 * np.sqrt(.6 * .7) + 0.9 * np.sqrt(.6 * 1.0)) / 2
    >>> bool(np.isclose(r[0, 0], customer)), round(float(r.mean()), 2)
    (True, 0.42)
    """
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    g, w, cs = _population(goals, weights, conflicts)
    n, m = g.shape
    out = np.zeros((n, m))
    if n < 2:
        return out
    denom = n - 1 if pairs == "distinct" else n
    everyone = np.ones(n, dtype=bool)
    for j, c in enumerate(cs):
        factor = engine.norm_factor(c[1:, 1:], normalize)
        out[:, j] = engine.against(g[:, j], w[:, j], None, None, c, weight_mean, partner=everyone) * (factor / denom)
    return out


def rank_agents(goals, weights, conflicts, *, labels=None, area_names=None, top=None, pairs="distinct",
                weight_mean="geometric", normalize=False) -> pd.DataFrame:
    r"""Rank agents by their contribution to the population score (arithmetic area mean).

    An agent's contribution is :math:`\bar r_i = \frac{1}{m} \sum_p r_i^p`
    (see :func:`agent_contributions`) and its share of the score is
    :math:`\bar r_i / \sum_j \bar r_j`; the shares sum to 1.

    Parameters
    ----------
    goals, weights, conflicts, pairs, weight_mean, normalize
        As in :func:`agent_contributions`.
    labels : sequence, optional
        A name per agent; defaults to the row index.
    area_names : sequence of str, optional
        A name per area for the ``top_area`` column; defaults to the area index.
    top : int, optional
        Keep only this many agents.

    Returns
    -------
    pandas.DataFrame
        Columns ``agent``, ``contribution``, ``share``, ``top_area`` (the area
        of the agent's largest contribution), sorted by contribution,
        descending; ties keep the input order.

    Raises
    ------
    ValueError
        As :func:`agent_contributions`; for labels or area names of the wrong
        length; for ``top`` that is not a positive integer.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    >>> t = rank_agents([[1], [2], [3]], [[.6], [.7], [1.0]], [c], labels=["c", "R", "RS"])
    >>> list(t["agent"])
    ['c', 'RS', 'R']
    """
    r = agent_contributions(goals, weights, conflicts, pairs=pairs, weight_mean=weight_mean, normalize=normalize)
    n, m = r.shape
    labels = np.arange(n) if labels is None else np.asarray(labels, dtype=object)
    if labels.shape != (n,):
        raise ValueError(f"labels has {labels.size} entries but there are {n} agents; expected one label per agent")
    names = np.arange(m) if area_names is None else np.asarray(area_names, dtype=object)
    if names.shape != (m,):
        raise ValueError(f"area_names has {names.size} entries but there are {m} areas; expected one name per area")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise ValueError(f"top = {top!r}; expected a positive integer or None")
    mean = r.mean(axis=1)
    total = mean.sum()
    share = mean / total if total > 0 else np.zeros(n)
    order = np.argsort(-mean, kind="stable")[:top]
    return pd.DataFrame({
        "agent": labels[order],
        "contribution": mean[order],
        "share": share[order],
        "top_area": names[np.argmax(r[order], axis=1)],
    })


def goal_pair_contributions(goals, weights, conflict, *, pairs="distinct", weight_mean="geometric", normalize=False):
    r"""The area score split by the goals of the two agents: a k x k table summing to the score.

    .. math::

        T_{gh} = \frac{c(g, h)}{n(n-1)} \sum_{i: g_i = g} \sum_{j: g_j = h}
            \bar w(w_i, w_j), \qquad \sum_{g, h} T_{gh} = \Pr(0 \mid \mathcal{A}, p)

    (with :math:`n^2` for ``pairs="with_replacement"``). The table is
    symmetric; :math:`T_{gh} + T_{hg}` is the share carried by the conflict
    between goals :math:`g` and :math:`h`. For the geometric mean
    :math:`T = C \circ s s^\top / n(n-1)` with :math:`s_g = \sum_{g_i = g} \sqrt{w_i}`.

    Parameters
    ----------
    goals : array_like of int, shape (n,)
    weights : array_like of float, shape (n,)
    conflict : array_like, shape (k, k)
    pairs, weight_mean, normalize
        As in :func:`misalign.area_misalignment`.

    Returns
    -------
    numpy.ndarray, shape (k, k)
        Over the explicit goals 1..k (row 0 is goal 1); the null goal carries
        nothing. Zeros for fewer than two agents.

    Raises
    ------
    ValueError
        As :func:`misalign.area_misalignment`.

    Examples
    --------
    The household area of the shopping case: the customer-recommender
    conflict carries most of the score.

    >>> import numpy as np
    >>> c = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    >>> t = goal_pair_contributions([1, 2, 3], [.6, .7, 1.0], c)
    >>> bool(np.isclose(t[0, 2], 0.9 * np.sqrt(.6 * 1.0) / 6)), round(float(t.sum()), 2)
    (True, 0.42)
    """
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    g = as_goals(goals, "goals", ndim=1)
    w = as_weights(weights, "weights", ndim=1)
    check_same_shape(g, w)
    c = as_conflict(conflict, "conflict")
    if c.ndim != 2:
        raise ValueError(f"conflict must be a single k x k matrix; got shape {c.shape}")
    check_goal_range(g, c.shape[0], "goals")
    c = engine.padded(c)
    k1 = c.shape[0]
    n = g.size
    if n < 2:
        return np.zeros((k1 - 1, k1 - 1))
    mean = MEANS[weight_mean]
    table = np.zeros((k1, k1))
    if mean.factorized:
        sums = engine.feature_sums(g[None], w[None], k1 - 1, mean.features)
        for coef, left, right in mean.terms:
            table += coef * np.outer(sums[left][0], sums[right][0])
        table *= c
    else:
        order = np.argsort(w)
        for h in range(1, k1):
            partner = g == h
            if partner.any():
                col = engine.against(g, w, None, None, c, weight_mean, partner=partner, order=order)
                table[:, h] = np.bincount(g, weights=col, minlength=k1)
    return table[1:, 1:] * (engine.norm_factor(c[1:, 1:], normalize) / engine.pair_count(n, pairs))


def cross_area_scores(goals_a, weights_a, goals_b, weights_b, conflicts, *, weight_mean="geometric",
                      missing="g0"):
    r"""Per area, the mean weighted conflict over all pairs with one agent from each group.

    .. math::

        \Pr(0 \mid \mathcal{A}, \mathcal{B}, p) = \frac{1}{n_a n_b}
            \sum_{a \in \mathcal{A}} \sum_{b \in \mathcal{B}}
            c(g_a, g_b)\, \bar w(w_a, w_b)
            = \frac{s_{\mathcal{A}}^\top C s_{\mathcal{B}}}{n_a n_b}

    (the last form for the geometric mean, with goal sums of :math:`\sqrt w`
    per group). The groups are distinct sets of agents, so there are no
    self-pairs to exclude. Every weight mean is exact.

    Parameters
    ----------
    goals_a, weights_a : array_like, shape (n_a, n_areas)
    goals_b, weights_b : array_like, shape (n_b, n_areas)
    conflicts : sequence of array_like
        One (k_j, k_j) matrix per area, shared by both groups.
    weight_mean : {"geometric", "arithmetic", "harmonic", "min", "max", "none"}
    missing : {"g0", "exclude"}
        With ``"exclude"``, agents holding goal 0 in an area are left out of
        that area's groups (:math:`n_a`, :math:`n_b` count those who hold a
        goal); an area where a group has nobody left scores NaN.

    Returns
    -------
    numpy.ndarray, shape (n_areas,)

    Raises
    ------
    ValueError
        As :func:`misalign.area_scores`, naming ``goals_a`` or ``goals_b``;
        when the groups have different numbers of areas or a group is empty.

    See Also
    --------
    cross_misalignment : the same combined over areas.
    """
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    check_option("missing", missing, MISSING)
    ga, wa, cs = _population(goals_a, weights_a, conflicts, "goals_a", "weights_a")
    gb, wb, _ = _population(goals_b, weights_b, conflicts, "goals_b", "weights_b")
    for name, arr in (("goals_a", ga), ("goals_b", gb)):
        if arr.shape[0] == 0:
            raise ValueError(f"{name} has no agents; expected at least one agent in each group")
    out = np.empty(ga.shape[1])
    for j, c in enumerate(cs):
        pairs = ga.shape[0] * gb.shape[0]
        if missing == "exclude":
            pairs = np.count_nonzero(ga[:, j]) * np.count_nonzero(gb[:, j])
            if pairs == 0:
                out[j] = np.nan
                continue
        out[j] = engine.against(ga[:, j], wa[:, j], gb[:, j], wb[:, j], c, weight_mean).sum() / pairs
    return out


def cross_misalignment(goals_a, weights_a, goals_b, weights_b, conflicts, *, weight_mean="geometric",
                       area_mean="arithmetic", missing="g0") -> float:
    r"""Misalignment between two groups: pairs drawn one from each, combined over areas.

    .. math::

        \Pr(0 \mid \mathcal{A}, \mathcal{B}, \mathcal{P}) = \frac{1}{|\mathcal{P}|}
            \sum_{p} \frac{1}{n_a n_b} \sum_{a \in \mathcal{A}} \sum_{b \in \mathcal{B}}
            c(g_a^p, g_b^p)\, \bar w(w_a^p, w_b^p)

    with the arithmetic ``area_mean`` (other means as in
    :func:`misalign.combine_areas`).

    Parameters
    ----------
    goals_a, weights_a, goals_b, weights_b, conflicts, weight_mean, missing
        As in :func:`cross_area_scores`.
    area_mean : {"arithmetic", "geometric", "harmonic", "min", "max"}

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`cross_area_scores`, and for an unknown ``area_mean``.

    See Also
    --------
    cross_area_scores, group_decomposition

    Examples
    --------
    Vehicles against pedestrians in the first two areas of the CARLA case
    (Table 3): weights 0.5 and 0.99, then 0.4 and 0.15, goals in full conflict.

    >>> import numpy as np
    >>> c = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> s = cross_misalignment([[1, 1]], [[.5, .4]], [[2, 2]], [[.99, .15]], [c, c])
    >>> bool(np.isclose(s, (np.sqrt(.5 * .99) + np.sqrt(.4 * .15)) / 2))
    True
    """
    check_option("area_mean", area_mean, AREA_MEANS)
    scores = cross_area_scores(goals_a, weights_a, goals_b, weights_b, conflicts, weight_mean=weight_mean,
                               missing=missing)
    return combine_areas(scores, area_mean)


@dataclass(frozen=True)
class GroupDecomposition:
    r"""Within- and between-group parts of a population's area scores.

    Attributes
    ----------
    labels : numpy.ndarray, shape (G,)
        The group labels, sorted.
    sizes : numpy.ndarray, shape (G,)
        Agents per group.
    area_sizes : numpy.ndarray, shape (G, n_areas)
        Agents per group in each area's population (``sizes`` in every area,
        unless ``missing="exclude"`` left out those without a goal).
    scores : numpy.ndarray, shape (G, G, n_areas)
        ``scores[a, b]`` is the cross-group score between groups a and b
        (:func:`cross_area_scores`); ``scores[a, a]`` the score of group a on
        its own, with the chosen pair convention (0 for fewer than 2 agents).
    parts : numpy.ndarray, shape (G, G, n_areas)
        The share of the population score carried by pairs (a, b):
        :math:`\pi_{ab} D_{ab}` with pair shares :math:`\pi_{ab} = n_a n_b / n(n-1)`
        for :math:`a \ne b` and :math:`n_a(n_a - 1)/n(n-1)` on the diagonal
        (:math:`n_a n_b / n^2` throughout with replacement). The parts sum to
        ``total`` over both group axes.
    total : numpy.ndarray, shape (n_areas,)
        The population's area scores.
    """

    labels: np.ndarray
    sizes: np.ndarray
    scores: np.ndarray
    parts: np.ndarray
    total: np.ndarray
    area_sizes: np.ndarray

    @property
    def within(self) -> np.ndarray:
        """Per area, the part of the score from pairs inside a group."""
        return np.einsum("aap->p", self.parts)

    @property
    def between(self) -> np.ndarray:
        """Per area, the part from pairs whose agents belong to different groups."""
        return self.parts.sum(axis=(0, 1)) - self.within

    @property
    def rao_within(self) -> np.ndarray:
        r"""Rao's within-group diversity :math:`\sum_a (n_a / n) D_{aa}`, per area."""
        with np.errstate(invalid="ignore", divide="ignore"):
            p = self.area_sizes / self.area_sizes.sum(axis=0)
        return np.einsum("ap,aap->p", p, self.scores)

    @property
    def rao_between(self) -> np.ndarray:
        """Rao's between-group part: the total minus :attr:`rao_within` (may be negative)."""
        return self.total - self.rao_within

    def to_frame(self, area_names=None) -> pd.DataFrame:
        """Tidy table: one row per area and ordered pair of groups, with score and part."""
        g, _, m = self.scores.shape
        names = np.arange(m) if area_names is None else np.asarray(area_names, dtype=object)
        if names.shape != (m,):
            raise ValueError(f"area_names has {names.size} entries but there are {m} areas; expected one per area")
        a, b, p = np.meshgrid(np.arange(g), np.arange(g), np.arange(m), indexing="ij")
        return pd.DataFrame({
            "area": names[p.ravel()],
            "group_a": self.labels[a.ravel()],
            "group_b": self.labels[b.ravel()],
            "score": self.scores.ravel(),
            "part": self.parts.ravel(),
        })


def group_decomposition(goals, weights, conflicts, groups, *, pairs="distinct", weight_mean="geometric",
                        normalize=False, missing="g0") -> GroupDecomposition:
    r"""Split each area score into within-group and between-group parts (Rao's apportionment).

    With groups :math:`a, b` of sizes :math:`n_a, n_b`, cross-group scores
    :math:`D_{ab}` (:func:`cross_area_scores`) and within-group scores
    :math:`D_{aa}`,

    .. math::

        \Pr(0 \mid \mathcal{A}, p)
          = \underbrace{\sum_a \frac{n_a (n_a - 1)}{n (n - 1)} D_{aa}}_{\text{within}}
          + \underbrace{\sum_{a \ne b} \frac{n_a n_b}{n (n - 1)} D_{ab}}_{\text{between}}

    exactly (with :math:`n_a^2 / n^2` and :math:`n_a n_b / n^2` for
    ``pairs="with_replacement"``, where this is Rao's decomposition of quadratic
    entropy with group proportions :math:`p_a = n_a / n`). For the factorized
    weight means it costs :math:`O(n + G k^2 + G^2 k)` from the group goal sums
    :math:`S_{a,g} = \sum_{i \in a, g_i = g} \sqrt{w_i}`, since the ordered
    pair sum between groups is :math:`S_a^\top C S_b`; the other means loop
    over the G groups. :attr:`GroupDecomposition.rao_between` gives Rao's own
    split (total minus :math:`\sum_a p_a D_{aa}`) for comparison.

    Parameters
    ----------
    goals, weights, conflicts, pairs, weight_mean, normalize
        As in :func:`agent_contributions`.
    groups : array_like, shape (n_agents,)
        A group label per agent (any sortable labels, e.g. "AI" and "human").
    missing : {"g0", "exclude"}
        With ``"exclude"``, each area's population (and each group in it) is
        the agents that hold a goal there.

    Returns
    -------
    GroupDecomposition

    Raises
    ------
    ValueError
        As :func:`agent_contributions`; when ``groups`` does not have one label
        per agent or holds missing values.

    See Also
    --------
    cross_misalignment, group_bedfellows

    Examples
    --------
    Two vehicles and two pedestrians in full conflict, all weights 1: the 8
    ordered cross pairs of 12 conflict, nothing within.

    >>> import numpy as np
    >>> d = group_decomposition([[1], [1], [2], [2]], np.ones((4, 1)), [[[0, 1], [1, 0]]],
    ...                         ["v", "v", "h", "h"])
    >>> [round(float(x), 4) for x in (d.total[0], d.within[0], d.between[0])]
    [0.6667, 0.0, 0.6667]
    """
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    check_option("missing", missing, MISSING)
    g, w, cs = _population(goals, weights, conflicts)
    n, m = g.shape
    lab = np.asarray(groups)
    if lab.shape != (n,):
        raise ValueError(f"groups has shape {lab.shape}; expected one label per agent, shape ({n},)")
    if pd.isna(lab).any():
        idx = int(np.flatnonzero(pd.isna(lab))[0])
        raise ValueError(f"groups[{idx}] is missing ({lab[idx]!r}); expected a group label for every agent")
    labels, code = np.unique(lab, return_inverse=True)
    code = code.ravel()
    n_groups = labels.size
    sizes = np.bincount(code, minlength=n_groups)
    sums = np.zeros((n_groups, n_groups, m))
    mean = MEANS[weight_mean]
    for j, c in enumerate(cs):
        k1 = c.shape[0]
        gj, wj = g[:, j], w[:, j]
        if mean.factorized:
            # per-(group, goal) sums: goal ids offset by k + 1 per group
            cell = (code * k1 + gj)[None]
            fsums = engine.feature_sums(cell, wj[None], n_groups * k1 - 1, mean.features)
            for coef, left, right in mean.terms:
                lsum = fsums[left].reshape(n_groups, k1)
                rsum = fsums[right].reshape(n_groups, k1)
                sums[:, :, j] += coef * engine.quadratic(lsum[:, None, :], c, rsum[None, :, :])
        else:
            order = np.argsort(wj)
            for b in range(n_groups):
                col = engine.against(gj, wj, None, None, c, weight_mean, partner=code == b, order=order)
                sums[:, b, j] = np.bincount(code, weights=col, minlength=n_groups)
        sums[:, :, j] *= engine.norm_factor(c[1:, 1:], normalize)
    if missing == "g0":
        area_sizes = np.repeat(sizes[:, None], m, axis=1)
    else:
        area_sizes = np.stack([np.bincount(code[g[:, j] != 0], minlength=n_groups) for j in range(m)], axis=1)
    nn = area_sizes.astype(np.float64)  # (G, m)
    pair_counts = nn[:, None, :] * nn[None, :, :]
    if pairs == "distinct":
        pair_counts -= np.eye(n_groups)[:, :, None] * nn[None, :, :]
    totals = nn.sum(axis=0)  # population per area
    denom = engine.pair_count(totals, pairs)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(pair_counts > 0, sums / pair_counts, 0.0)
        parts = np.where(totals >= 2, sums / denom, 0.0)
    return GroupDecomposition(labels, sizes, scores, parts, parts.sum(axis=(0, 1)), area_sizes)


def group_bedfellows(goals, weights, conflicts, groups, *, area_names=None, weight_mean="geometric",
                     missing="g0") -> pd.DataFrame:
    r"""Pairs of groups aligned in one area and opposed in another.

    For each unordered pair of distinct groups :math:`(a, b)` this reports the
    area where their cross-group score :math:`D_{ab}^p` is lowest (where they
    are allies), the area where it is highest (where they are opponents), and
    the spread :math:`\max_p D_{ab}^p - \min_p D_{ab}^p`. With one agent per
    group these are agent pairs.

    Parameters
    ----------
    goals, weights, conflicts, weight_mean, missing
        As in :func:`cross_area_scores`, for the whole population.
    groups : array_like, shape (n_agents,)
        A group label per agent.
    area_names : sequence of str, optional
        Defaults to the area index.

    Returns
    -------
    pandas.DataFrame
        Columns ``group_a``, ``group_b``, ``allied_area``, ``allied_score``,
        ``opposed_area``, ``opposed_score``, ``spread``, sorted by ``spread``,
        descending (ties in label order).

    Raises
    ------
    ValueError
        As :func:`group_decomposition`; for area names of the wrong length.

    Examples
    --------
    The retailer and the recommender system of the shopping case are mild
    opponents over food (0.1) and over household items (0.3).

    >>> import numpy as np
    >>> food = np.full((3, 3), 0.1) - np.diag([0.1] * 3)
    >>> household = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    >>> t = group_bedfellows([[1, 1], [2, 2], [3, 3]], [[.8, .6], [.9, .7], [1., 1.]],
    ...                        [food, household], ["c", "R", "RS"], area_names=["food", "household"])
    >>> row = t[(t.group_a == "R") & (t.group_b == "RS")].iloc[0]
    >>> bool(np.isclose(row.opposed_score, 0.3 * np.sqrt(.7))), row.allied_area
    (True, 'food')
    """
    d = group_decomposition(goals, weights, conflicts, groups, weight_mean=weight_mean, missing=missing)
    n_groups, _, m = d.scores.shape
    names = np.arange(m) if area_names is None else np.asarray(area_names, dtype=object)
    if names.shape != (m,):
        raise ValueError(f"area_names has {names.size} entries but there are {m} areas; expected one name per area")
    a, b = np.triu_indices(n_groups, k=1)
    pair_scores = d.scores[a, b]
    lo, hi = pair_scores.argmin(axis=1), pair_scores.argmax(axis=1)
    rows = np.arange(a.size)
    table = pd.DataFrame({
        "group_a": d.labels[a],
        "group_b": d.labels[b],
        "allied_area": names[lo],
        "allied_score": pair_scores[rows, lo],
        "opposed_area": names[hi],
        "opposed_score": pair_scores[rows, hi],
        "spread": pair_scores[rows, hi] - pair_scores[rows, lo],
    })
    return table.iloc[np.argsort(-table["spread"].to_numpy(), kind="stable")].reset_index(drop=True)
