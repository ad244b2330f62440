r"""Scores of a population and of its groups, within and across, with intervals: one tidy table.

The questions asked of real populations are about groups: how misaligned are
Democrats among themselves, Republicans among themselves, and how misaligned is a
Democrat with a Republican drawn at random (the cross score of two groups,

.. math::

    \Pr(0 \mid \mathcal{A}, \mathcal{B}, p) = \frac{1}{n_a n_b}
        \sum_{a \in \mathcal{A}} \sum_{b \in \mathcal{B}} c(g_a, g_b)\, \bar w(w_a, w_b),

:func:`misalign.analysis.decompose.cross_area_scores`), per area, overall, per
survey year; and how sure we are. :func:`score_groups` reads a table by the rules
of :func:`misalign.score_frame` and answers all of these in one tidy table, with
intervals from :mod:`misalign.analysis.uncertainty`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.decompose import cross_area_scores
from ..analysis.uncertainty import area_intervals, contrast_interval, cross_intervals, score_interval
from ..core.means import WEIGHT_MEANS
from ..core.score import area_scores, combine_areas
from ..core.validation import AREA_MEANS, MISSING, PAIRS, check_option
from .arrays import Population, table_arrays
from .conflicts import OVERALL
from .labels import show

__all__ = ["ALL", "score_groups"]

#: The group label of the whole population in :func:`score_groups`' output.
ALL = "all"


def _cross_label(a, b) -> str:
    return f"{a} x {b}"


def _respondents(pop: Population, j: int, missing: str):
    keep = pop.goals[:, j] != 0 if missing == "exclude" else np.ones(len(pop.agents), bool)
    return pop.goals[keep, j], pop.weights[keep, j]


def _overall_method(method: str, m: int, options: dict, area_mean: str) -> str:
    """The score method where the combined score is a U-statistic; the bootstrap where it is not."""
    if method in ("score", "normal", "exact") and m > 1 and (options["missing"] == "exclude"
                                                              or area_mean != "arithmetic"):
        return "bootstrap"
    return method


def _fill_intervals(rows: list, specs: list, areas, options: dict, level, method, rng, n_boot, area_mean) -> None:
    """Add (low, high, method) to every row: per area in batches across populations, overall one by one.

    ``specs[i]`` describes ``rows[i]``: ("one", population) or ("cross", population a, population b), and the
    area index (None for the overall row).
    """
    m = len(areas.labels)
    result = [None] * len(rows)
    for j in range(m):
        ones = [i for i, (kind, pops, area) in enumerate(specs) if area == j and kind == "one"]
        crosses = [i for i, (kind, pops, area) in enumerate(specs) if area == j and kind == "cross"]
        if ones:
            samples = [_respondents(specs[i][1][0], j, options["missing"]) for i in ones]
            _, lo, hi = area_intervals(samples, areas.matrices[j], level=level, method=method, rng=rng,
                                       n_boot=n_boot, weight_mean=options["weight_mean"],
                                       normalize=options["normalize"])
            for i, a, b in zip(ones, lo, hi):
                result[i] = (a, b, method)
        if crosses:
            pairs = [(*_respondents(specs[i][1][0], j, options["missing"]),
                      *_respondents(specs[i][1][1], j, options["missing"])) for i in crosses]
            how = "score" if method == "score" else method
            if how == "score":
                _, lo, hi = cross_intervals(pairs, areas.matrices[j], level=level, weight_mean=options["weight_mean"],
                                            normalize=options["normalize"])
            else:
                lo, hi = [], []
                for ga, wa, gb, wb in pairs:
                    iv = contrast_interval(np.concatenate([ga, gb])[:, None], np.concatenate([wa, wb])[:, None],
                                           [areas.matrices[j]], ["a"] * ga.size + ["b"] * gb.size, a="a", b="b",
                                           contrast="between", level=level, method=how, rng=rng, n_boot=n_boot,
                                           weight_mean=options["weight_mean"], normalize=options["normalize"])
                    lo.append(iv[1])
                    hi.append(iv[2])
            for i, a, b in zip(crosses, lo, hi):
                result[i] = (a, b, how)
    how = _overall_method(method, m, options, area_mean)
    for i, (kind, pops, area) in enumerate(specs):
        if area is not None:
            continue
        if kind == "one":
            pop = pops[0]
            if len(pop.agents) < 2:
                result[i] = (np.nan, np.nan, how)
                continue
            iv = score_interval(pop.goals, pop.weights, pop.conflicts, level=level, method=how, rng=rng,
                                n_boot=n_boot, area_mean=area_mean, **options)
        else:
            pa, pb = pops
            goals, weights = np.concatenate([pa.goals, pb.goals]), np.concatenate([pa.weights, pb.weights])
            side = np.array(["a"] * len(pa.agents) + ["b"] * len(pb.agents))
            iv = contrast_interval(goals, weights, pa.conflicts, side, a="a", b="b", contrast="between",
                                   level=level, method=how if how != "exact" else "normal", rng=rng, n_boot=n_boot,
                                   weight_mean=options["weight_mean"], area_mean=area_mean,
                                   normalize=options["normalize"], missing=options["missing"])
        result[i] = (iv[1], iv[2], how)
    for row, (lo, hi, how) in zip(rows, result):
        row += [float(lo), float(hi), how]


def score_groups(agents, conflicts, *, groups=None, cross=(), by=None, level=None, method="score", rng=None,
                 n_boot=2000, pairs="distinct", weight_mean="geometric", area_mean="arithmetic", normalize=False,
                 missing="g0", sep=None, na_values=None) -> pd.DataFrame:
    r"""Per area and overall: the whole population's score, each group's, and cross scores of pairs of groups.

    Parameters
    ----------
    agents, conflicts, by, sep, na_values
        As in :func:`misalign.score_frame` (the table must fit in memory).
        ``by`` splits the rows into separate populations (a survey year); each
        is scored on its own.
    groups : str, optional
        A column of the agents table holding each agent's group (a party);
        it must be the same on all rows of an agent. Each group is scored on
        its own, besides the whole population.
    cross : sequence of (group, group), optional
        Pairs of groups whose cross score (pairs with one agent in each) is
        reported, as group ``"A x B"``.
    level : float, optional
        Add ``low`` and ``high`` columns: a confidence interval at this level,
        treating the agents of each population as a random sample
        (:func:`misalign.analysis.uncertainty.score_interval`, and
        :func:`~misalign.analysis.uncertainty.contrast_interval` for cross
        scores). The ``method`` column says which method gave each row: where
        ``method="score"`` does not apply (the overall row of several areas
        with ``missing="exclude"``, or an area mean other than the arithmetic
        one) the bootstrap is used, which needs ``rng``.
    method : str
        As in :func:`~misalign.analysis.uncertainty.score_interval`.
    rng : numpy.random.Generator, optional
        For bootstrap intervals.
    n_boot : int
        Bootstrap resamples.
    pairs, weight_mean, area_mean, normalize, missing
        As in :func:`misalign.score_frame`.

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, "group", "area", "n", "goals", "score"`` (and ``"low",
        "high", "method"`` with ``level``): for every population, group
        ``"all"``, then every group in sorted order, then every cross pair;
        within each, one row per area and an ``"(overall)"`` row. ``n`` is the
        number of agents in the area's population (with ``missing="exclude"``,
        those who hold a goal there), summed over both groups for a cross row.

    Raises
    ------
    ValueError
        As :func:`misalign.score_frame`; for a ``groups`` column that is not a
        column of the table or changes within an agent, a cross pair naming an
        unknown group, or a bad option.

    Examples
    --------
    >>> import pandas as pd
    >>> agents = pd.DataFrame({"agent": [1, 2, 3, 4], "area": "p", "goal": ["x", "x", "y", "y"],
    ...                        "weight": 1.0, "party": ["D", "D", "R", "R"]})
    >>> conflicts = pd.DataFrame({"area": ["p"], "goal_a": ["x"], "goal_b": ["y"], "conflict": [1.0]})
    >>> t = score_groups(agents, conflicts, groups="party", cross=[("D", "R")], weight_mean="none")
    >>> print(t[t.area == "p"][["group", "n", "score"]].to_string(index=False))
    group  n    score
      all  4 0.666667
        D  2 0.000000
        R  2 0.000000
    D x R  4 1.000000
    """
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    check_option("area_mean", area_mean, AREA_MEANS)
    check_option("missing", missing, MISSING)
    by = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    if groups is not None and (not isinstance(groups, str) or groups in by):
        raise ValueError(f"groups={groups!r}; expected the name of one column of the agents table (not a by column)")
    cross = [tuple(pair) for pair in (cross or ())]
    if any(len(pair) != 2 for pair in cross):
        raise ValueError(f"cross={cross!r}; expected pairs of group labels, e.g. [('Democrat', 'Republican')]")
    if cross and groups is None:
        raise ValueError("cross pairs need groups=, the column that holds each agent's group")
    options = dict(pairs=pairs, weight_mean=weight_mean, normalize=normalize, missing=missing)
    keys = [*by, groups] if groups else list(by)
    pops = table_arrays(agents, conflicts, by=keys or None, sep=sep, na_values=na_values)
    if groups:
        _check_groups_are_constant(pops, len(by), groups)
    populations: dict = {}
    for key, pop in pops.items():
        populations.setdefault(key[:len(by)], {})[key[len(by)] if groups else ALL] = pop
    rows, specs = [], []
    for outer in sorted(populations, key=lambda t: tuple((isinstance(v, str), v) for v in t)):
        members = populations[outer]
        whole = _union(list(members.values()))
        listed = [(ALL, whole)] + ([(g, members[g]) for g in sorted(members, key=lambda v: (isinstance(v, str), v))]
                                   if groups else [])
        known = {g for g in members}
        for a, b in cross:
            for g in (a, b):
                if g not in known:
                    raise ValueError(f"cross pair ({show(a)}, {show(b)}) names group {show(g)}, which has no agents"
                                     f"{' at ' + ', '.join(map(show, outer)) if outer else ''}; groups there: "
                                     f"{', '.join(show(x) for x in sorted(known, key=str))}")
        for label, pop in listed:
            scores = area_scores(pop.goals, pop.weights, pop.conflicts, **options)
            new = _rows(outer, label, pop, scores, combine_areas(scores, area_mean), _sizes(pop, missing),
                        len(pop.agents))
            rows += new
            specs += [("one", (pop,), j) for j in range(len(new) - 1)] + [("one", (pop,), None)]
        for a, b in cross:
            pa, pb = members[a], members[b]
            scores = cross_area_scores(pa.goals, pa.weights, pb.goals, pb.weights, pa.conflicts,
                                       weight_mean=weight_mean, missing=missing)
            sizes = [x + y for x, y in zip(_sizes(pa, missing), _sizes(pb, missing))]
            new = _rows(outer, _cross_label(a, b), pa, scores, combine_areas(scores, area_mean), sizes,
                        len(pa.agents) + len(pb.agents))
            rows += new
            specs += [("cross", (pa, pb), j) for j in range(len(new) - 1)] + [("cross", (pa, pb), None)]
    if level is not None and rows:
        _fill_intervals(rows, specs, next(iter(next(iter(populations.values())).values())).areas, options, level,
                        method, rng, n_boot, area_mean)
    columns = [*by, "group", "area", "n", "goals", "score"] + (["low", "high", "method"] if level is not None else [])
    out = pd.DataFrame(rows, columns=columns)
    out["n"] = out["n"].astype(np.int64)
    out["goals"] = out["goals"].astype("Int64")
    return out


def _sizes(pop: Population, missing: str) -> list[int]:
    if missing == "g0":
        return [len(pop.agents)] * pop.goals.shape[1]
    return [int(x) for x in np.count_nonzero(pop.goals, axis=0)]


def _rows(outer, label, pop: Population, scores, overall, sizes, n):
    rows = [[*outer, label, area, sizes[j], len(pop.areas.goals[j]), float(scores[j])]
            for j, area in enumerate(pop.areas.labels)]
    rows.append([*outer, label, OVERALL, n, None, float(overall)])
    return rows


def _union(pops: list[Population]) -> Population:
    if len(pops) == 1:
        return pops[0]
    agents = np.concatenate([p.agents for p in pops])
    order = np.argsort(agents, kind="stable")
    return Population(agents[order], np.concatenate([p.goals for p in pops])[order],
                      np.concatenate([p.weights for p in pops])[order], pops[0].areas)


def _check_groups_are_constant(pops: dict, depth: int, column: str) -> None:
    seen: dict = {}
    for key, pop in pops.items():
        outer, group = key[:depth], key[depth]
        for agent in pop.agents.tolist():
            previous = seen.setdefault((outer, agent), group)
            if previous != group:
                raise ValueError(f"agents table: agent {show(agent)} has {column} {show(previous)} on some rows and "
                                 f"{show(group)} on others; expected one {column} per agent")
