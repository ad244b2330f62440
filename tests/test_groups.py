"""score_groups: groups, cross scores and years of one table against loops over pairs of agents.

Expected scores come from a double loop over the agents' labels written here (no goal ids, no
engine); expected intervals from score_interval / contrast_interval called one population at a time.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from misalign import score_groups
from misalign.analysis.uncertainty import contrast_interval, score_interval

AREAS = {"p": ["x", "y"], "q": ["x", "y", "z"], "r": ["u", "v"]}
CONFLICT = {"p": {("x", "y"): 1.0}, "q": {("x", "y"): 1.0, ("x", "z"): 0.5, ("y", "z"): 0.25}, "r": {("u", "v"): 0.8}}


def conflicts_table():
    rows = [(area, a, b, c) for area, pairs in CONFLICT.items() for (a, b), c in pairs.items()]
    return pd.DataFrame(rows, columns=["area", "goal_a", "goal_b", "conflict"])


def agents_table(seed=0, n=40, years=(2020, 2022)):
    """Agents with a party (the group) and a year; some skip area r, the last one."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in years:
        for i in range(n):
            party = ["D", "R", "I"][i % 3]
            for area, goals in AREAS.items():
                if area == "r" and rng.random() < 0.3:
                    continue  # a non-respondent in the last area
                rows.append((f"{year}-{i}", year, party, area, goals[rng.integers(len(goals))],
                             float(rng.choice([0.25, 0.5, 1.0]))))
    return pd.DataFrame(rows, columns=["agent", "year", "party", "area", "goal", "weight"])


def c_of(area, a, b):
    return CONFLICT[area].get((a, b), CONFLICT[area].get((b, a), 0.0))


def holders(table, area):
    sub = table[table.area == area]
    return {agent: (goal, w) for agent, goal, w in zip(sub.agent, sub.goal, sub.weight)}


def loop_score(table, area, members, missing):
    held = holders(table, area)
    if missing == "exclude":
        members = [m for m in members if m in held]
    pairs = list(itertools.combinations(members, 2))
    total = 0.0
    for a, b in pairs:
        if a in held and b in held:
            total += c_of(area, held[a][0], held[b][0]) * math.sqrt(held[a][1] * held[b][1])
    return total / len(pairs) if pairs else math.nan


def loop_cross(table, area, members_a, members_b, missing):
    held = holders(table, area)
    if missing == "exclude":
        members_a, members_b = [m for m in members_a if m in held], [m for m in members_b if m in held]
    total = 0.0
    for a in members_a:
        for b in members_b:
            if a in held and b in held:
                total += c_of(area, held[a][0], held[b][0]) * math.sqrt(held[a][1] * held[b][1])
    return total / (len(members_a) * len(members_b))


@pytest.mark.parametrize("missing", ["g0", "exclude"])
def test_groups_cross_and_years_against_loops_over_pairs(missing):
    table = agents_table()
    out = score_groups(table, conflicts_table(), groups="party", cross=[("D", "R"), ("I", "R")], by="year",
                       missing=missing)
    assert list(out.columns) == ["year", "group", "area", "n", "goals", "score"]
    assert out.year.unique().tolist() == [2020, 2022]
    assert out.group.unique().tolist() == ["all", "D", "I", "R", "D x R", "I x R"]
    checked = 0
    for year in (2020, 2022):
        here = table[table.year == year]
        party = dict(zip(here.agent, here.party))
        members = {"all": sorted(party)} | {g: sorted(a for a in party if party[a] == g) for g in "DIR"}
        for area in AREAS:
            for group in ("all", "D", "I", "R"):
                row = out[(out.year == year) & (out.group == group) & (out.area == area)].iloc[0]
                assert row.score == pytest.approx(loop_score(here, area, members[group], missing), abs=1e-12)
                held = holders(here, area)
                assert row.n == len([m for m in members[group] if missing == "g0" or m in held])
                checked += 1
            for a, b in (("D", "R"), ("I", "R")):
                row = out[(out.year == year) & (out.group == f"{a} x {b}") & (out.area == area)].iloc[0]
                want = loop_cross(here, area, members[a], members[b], missing)
                assert row.score == pytest.approx(want, abs=1e-12)
                checked += 1
        overall = out[(out.year == year) & (out.group == "D") & (out.area == "(overall)")].iloc[0]
        per_area = [loop_score(here, area, members["D"], missing) for area in AREAS]
        assert overall.score == pytest.approx(sum(per_area) / 3, abs=1e-12)
        assert overall.n == len(members["D"])
    assert checked == 2 * 3 * 6


def test_an_agent_switching_group_and_unknown_cross_groups_are_errors():
    table = agents_table(n=6, years=(2020,))
    bad = table.copy()
    last = bad.index[bad.area == "r"][-1]
    agent = bad.at[last, "agent"]
    bad.at[last, "party"] = "X" if bad.at[last, "party"] != "X" else "Y"
    with pytest.raises(ValueError, match=f"agent '?{agent}'?.*party"):
        score_groups(bad, conflicts_table(), groups="party")
    with pytest.raises(ValueError, match="names group 'Q'"):
        score_groups(table, conflicts_table(), groups="party", cross=[("D", "Q")])
    with pytest.raises(ValueError, match="need groups="):
        score_groups(table, conflicts_table(), cross=[("D", "R")])
    with pytest.raises(ValueError, match="groups="):
        score_groups(table, conflicts_table(), groups="year", by="year")


def arrays(table, members, areas=tuple(AREAS)):
    """Goal ids (1.. in the order of AREAS' lists, 0 for no row) and weights of the members, by hand."""
    goals = np.zeros((len(members), len(areas)), dtype=np.int64)
    weights = np.zeros((len(members), len(areas)))
    for j, area in enumerate(areas):
        held = holders(table, area)
        for i, m in enumerate(members):
            if m in held:
                goals[i, j] = AREAS[area].index(held[m][0]) + 1
                weights[i, j] = held[m][1]
    return goals, weights


def matrix(area):
    labels = AREAS[area]
    return np.array([[c_of(area, a, b) for b in labels] for a in labels])


@pytest.mark.parametrize("missing", ["g0", "exclude"])
def test_intervals_are_the_one_population_intervals(missing):
    table = agents_table(seed=3, n=30, years=(2020,))
    out = score_groups(table, conflicts_table(), groups="party", cross=[("D", "R")], level=0.9, missing=missing,
                       rng=np.random.default_rng(0), n_boot=200)
    party = dict(zip(table.agent, table.party))
    members = {"all": sorted(party)} | {g: sorted(a for a in party if party[a] == g) for g in "DIR"}
    for group in ("all", "D", "R"):
        for j, area in enumerate(AREAS):
            g, w = arrays(table, members[group], (area,))
            if missing == "exclude":
                g, w = g[g[:, 0] != 0], w[g[:, 0] != 0]
            want = score_interval(g, w, [matrix(area)], level=0.9, missing="g0")
            row = out[(out.group == group) & (out.area == area)].iloc[0]
            assert (row.low, row.high) == pytest.approx((want.low, want.high), abs=1e-6)
            assert row.method == "score"
    for area in AREAS:
        ga, wa = arrays(table, members["D"], (area,))
        gb, wb = arrays(table, members["R"], (area,))
        if missing == "exclude":
            ga, wa, gb, wb = ga[ga[:, 0] != 0], wa[ga[:, 0] != 0], gb[gb[:, 0] != 0], wb[gb[:, 0] != 0]
        want = contrast_interval(np.concatenate([ga, gb]), np.concatenate([wa, wb]), [matrix(area)],
                                 ["D"] * len(ga) + ["R"] * len(gb), a="D", b="R", contrast="between", level=0.9)
        row = out[(out.group == "D x R") & (out.area == area)].iloc[0]
        assert (row.low, row.high) == pytest.approx((want.low, want.high), abs=1e-6)
    overall = out[(out.group == "D") & (out.area == "(overall)")].iloc[0]
    # several areas with their own respondents: no U-statistic, so the bootstrap
    assert overall.method == ("bootstrap" if missing == "exclude" else "score")
    assert overall.low <= overall.score <= overall.high
