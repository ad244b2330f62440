"""score_frame against a brute-force pair loop written here, on every backend."""

from __future__ import annotations

import itertools
import math

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import misalign
from misalign.tables.frame import OVERALL, score_frame

from . import reference

AREAS = {  # area -> its explicit goals; conflicts drawn at random per test
    "food": ["vegan", "organic", "cheap"],
    "work": [1, 2, 3, 4],
    "solo": ["only"],
}


def _conflict_table(rng, areas=AREAS) -> pd.DataFrame:
    rows = []
    for area, goals in areas.items():
        if len(goals) == 1:
            rows.append((area, goals[0], goals[0], 0.0))
        for a, b in itertools.combinations(goals, 2):
            rows.append((area, a, b, float(rng.choice([0.0, 0.3, 1.0, rng.random()]))))
    return pd.DataFrame(rows, columns=["area", "goal_a", "goal_b", "conflict"])


def _population(rng, n, *, groups=None, null=None) -> pd.DataFrame:
    """A long table; about a fifth of (agent, area) rows absent, some null goals, tied weights."""
    rows = []
    ids = rng.permutation(n) + 100
    for agent in ids:
        for area, goals in AREAS.items():
            if rng.random() < 0.2:
                continue
            if rng.random() < 0.2:
                goal = null if null is not None else (0 if area == "work" else "")
            else:
                goal = goals[rng.integers(len(goals))]
            weight = float(rng.choice([0.0, 1.0, 0.5, round(rng.random(), 1), rng.random()]))
            rows.append((int(agent), area, goal, weight))
    df = pd.DataFrame(rows, columns=["agent", "area", "goal", "weight"])
    df["goal"] = df["goal"].astype(object)
    if groups:
        df["step"] = rng.integers(groups, size=len(df))
    return df


def brute_force(agents, conflicts, *, pairs, weight_mean, area_mean, normalize):
    """The reference (tests/reference.py) on the table turned into agent x area lists by hand."""
    people = sorted(set(agents["agent"]))
    matrices = []
    for area, goals in AREAS.items():
        c = [[0.0] * len(goals) for _ in goals]
        for row in conflicts[conflicts["area"] == area].itertuples(index=False):
            i, j = goals.index(row.goal_a), goals.index(row.goal_b)
            c[i][j] = c[j][i] = row.conflict
        matrices.append(c)
    goal_rows = {p: [0] * len(AREAS) for p in people}
    weight_rows = {p: [0.0] * len(AREAS) for p in people}
    for r in agents.itertuples(index=False):
        j = list(AREAS).index(r.area)
        if r.goal not in (0, "", None) and r.goal == r.goal:
            goal_rows[r.agent][j] = AREAS[r.area].index(r.goal) + 1
            weight_rows[r.agent][j] = r.weight
    g, w = [goal_rows[p] for p in people], [weight_rows[p] for p in people]
    scores = [reference.area_score([row[j] for row in g], [row[j] for row in w], matrices[j], pairs=pairs,
                                   weight_mean=weight_mean, normalize=normalize) for j in range(len(AREAS))]
    return scores, reference.combine(scores, area_mean)


def _check(out, expected_scores, expected_overall, n):
    per_area = out[out["area"] != OVERALL]
    assert list(per_area["area"]) == list(AREAS)
    assert list(per_area["goals"]) == [len(g) for g in AREAS.values()]
    assert (out["n"] == n).all()
    np.testing.assert_allclose(per_area["score"].to_numpy(), expected_scores, rtol=1e-10, atol=1e-13)
    assert math.isclose(out[out["area"] == OVERALL]["score"].item(), expected_overall, rel_tol=1e-10, abs_tol=1e-13)


OPTIONS = [
    dict(pairs=p, weight_mean=w, area_mean=a, normalize=z)
    for p, w, a, z in [
        ("distinct", "geometric", "arithmetic", False),
        ("with_replacement", "arithmetic", "geometric", True),
        ("distinct", "harmonic", "harmonic", False),
        ("distinct", "min", "min", True),
        ("with_replacement", "max", "max", False),
        ("distinct", "none", "arithmetic", False),
    ]
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: o["weight_mean"])
def test_pandas_matches_brute_force(options):
    rng = np.random.default_rng(1)
    agents = _population(rng, 23)
    conflicts = _conflict_table(rng)
    scores, overall = brute_force(agents, conflicts, **options)
    _check(score_frame(agents, conflicts, **options), scores, overall, agents["agent"].nunique())


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 12),
       weight_mean=st.sampled_from(misalign.tables.frame.WEIGHT_MEANS), pairs=st.sampled_from(misalign.tables.frame.PAIRS))
def test_random_populations_match_brute_force(seed, n, weight_mean, pairs):
    rng = np.random.default_rng(seed)
    agents = _population(rng, n)
    conflicts = _conflict_table(rng)
    options = dict(pairs=pairs, weight_mean=weight_mean, area_mean="arithmetic", normalize=False)
    if agents.empty:
        assert score_frame(agents, conflicts, **options).empty
        return
    scores, overall = brute_force(agents, conflicts, **options)
    _check(score_frame(agents, conflicts, **options), scores, overall, agents["agent"].nunique())


def test_matches_misalignment_on_wide_arrays():
    rng = np.random.default_rng(2)
    n, k = 200, 3
    goals = rng.integers(0, k + 1, size=(n, 2))
    weights = rng.random((n, 2))
    c = np.array([[0, 0.2, 1], [0.2, 0, 0.6], [1, 0.6, 0]])
    agents = pd.DataFrame({"agent": np.repeat(np.arange(n), 2), "area": np.tile(["p", "q"], n),
                           "goal": goals.ravel(), "weight": weights.ravel()})
    conflicts = pd.DataFrame([(a, i + 1, j + 1, c[i, j]) for a in "pq" for i in range(k) for j in range(i + 1, k)],
                             columns=["area", "goal_a", "goal_b", "conflict"])
    for wm in misalign.tables.frame.WEIGHT_MEANS:
        out = score_frame(agents, conflicts, weight_mean=wm)
        expected = misalign.area_scores(goals, weights, [c, c], weight_mean=wm)
        np.testing.assert_allclose(out["score"][:2], expected, rtol=1e-12)
        assert math.isclose(out["score"][2], misalign.misalignment(goals, weights, [c, c], weight_mean=wm),
                            rel_tol=1e-12)


def test_by_scores_each_group_separately():
    rng = np.random.default_rng(3)
    agents = _population(rng, 30, groups=3)
    conflicts = _conflict_table(rng)
    out = score_frame(agents, conflicts, by="step", weight_mean="min")
    assert list(out["step"].unique()) == [0, 1, 2]
    for step, part in out.groupby("step"):
        rows = agents[agents["step"] == step]
        scores, overall = brute_force(rows, conflicts, pairs="distinct", weight_mean="min",
                                      area_mean="arithmetic", normalize=False)
        _check(part, scores, overall, rows["agent"].nunique())


def test_by_two_columns_and_string_values():
    rng = np.random.default_rng(4)
    agents = _population(rng, 20, groups=2)
    agents["region"] = np.where(agents["agent"] % 2 == 0, "north", "south")
    conflicts = _conflict_table(rng)
    out = score_frame(agents, conflicts, by=["region", "step"])
    assert list(out.columns) == ["region", "step", "area", "n", "goals", "score"]
    keys = out[["region", "step"]].drop_duplicates().itertuples(index=False, name=None)
    assert list(keys) == [("north", 0), ("north", 1), ("south", 0), ("south", 1)]
    rows = agents[(agents["region"] == "south") & (agents["step"] == 1)]
    scores, overall = brute_force(rows, conflicts, pairs="distinct", weight_mean="geometric",
                                  area_mean="arithmetic", normalize=False)
    _check(out[(out["region"] == "south") & (out["step"] == 1)], scores, overall, rows["agent"].nunique())


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: o["weight_mean"])
def test_dask_partitions_give_the_pandas_result(options):
    rng = np.random.default_rng(5)
    agents = _population(rng, 40, groups=2)
    conflicts = _conflict_table(rng)
    expected = score_frame(agents, conflicts, by="step", **options)
    with dask.config.set(scheduler="sync"):
        got = score_frame(dd.from_pandas(agents, npartitions=4), conflicts, by="step", **options)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_local_cluster_gives_the_brute_force_result():
    from dask.distributed import Client, LocalCluster

    rng = np.random.default_rng(6)
    agents = _population(rng, 30, groups=2)
    conflicts = _conflict_table(rng)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster):
        for options in OPTIONS:
            out = score_frame(dd.from_pandas(agents, npartitions=3), conflicts, by="step", **options)
            for step, part in out.groupby("step"):
                rows = agents[agents["step"] == step]
                scores, overall = brute_force(rows, conflicts, **options)
                _check(part, scores, overall, rows["agent"].nunique())


def test_parquet_folder_and_csv_files(tmp_path):
    rng = np.random.default_rng(7)
    agents = _population(rng, 25)
    conflicts = _conflict_table(rng)
    expected = score_frame(agents, conflicts, weight_mean="max")
    for i, lo in enumerate(range(0, len(agents), 30)):
        part = agents.iloc[lo:lo + 30]
        part.astype({"goal": str}).to_parquet(tmp_path / f"part{i}.parquet")
        part.to_csv(tmp_path / f"part{i}.csv", index=False)
    conflicts.to_csv(tmp_path / "conflicts.csv", index=False)
    with dask.config.set(scheduler="sync"):
        from_parquet = score_frame(str(tmp_path / "*.parquet"), conflicts, weight_mean="max")
        from_csv = score_frame(tmp_path / "part*.csv", tmp_path / "conflicts.csv", weight_mean="max")
    pd.testing.assert_frame_equal(from_parquet, expected, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(from_csv, expected, check_exact=False, rtol=1e-12)


def test_csv_example_matches_the_hand_value():
    # data/examples: the shopping case of section 6 as tidy tables.
    from .conftest import ROOT

    EXAMPLES = ROOT / "data" / "examples"

    out = score_frame(EXAMPLES / "shopping_agents.csv", EXAMPLES / "shopping_conflicts.csv")
    food = 0.1 * (math.sqrt(0.8 * 0.9) + math.sqrt(0.8 * 1.0) + math.sqrt(0.9 * 1.0)) / 3
    household = (0.5 * math.sqrt(0.6 * 0.7) + 0.9 * math.sqrt(0.6 * 1.0) + 0.3 * math.sqrt(0.7 * 1.0)) / 3
    assert math.isclose(out["score"][0], food) and math.isclose(out["score"][1], household)
    assert round(out["score"][2], 2) == 0.26  # the paper's overall score


@pytest.mark.parametrize("ids", ["sparse", "strings"])
def test_agent_ids_that_are_not_dense_integers(ids):
    rng = np.random.default_rng(8)
    agents = _population(rng, 20)
    conflicts = _conflict_table(rng)
    expected = score_frame(agents, conflicts)
    agents["agent"] = agents["agent"] * 10**12 if ids == "sparse" else "id-" + agents["agent"].astype(str)
    with dask.config.set(scheduler="sync"):
        got = score_frame(dd.from_pandas(agents, npartitions=3), conflicts)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_labels_in_any_spelling_and_null_goals():
    # 7, 7.0 and "7" are one label; 0, "" and missing are the null goal (whose weight may be missing).
    conflicts = pd.DataFrame({"area": [1, 1, 1], "goal_a": [7, 7, "8"], "goal_b": ["8", 9, 9],
                              "conflict": [1.0, 0.5, 0.0]})
    agents = pd.DataFrame({"agent": [1, 2, 3, 4, 5], "area": ["1", 1.0, 1, 1, 1],
                           "goal": ["7", 8.0, 9, "", None], "weight": [1.0, 1.0, 1.0, 0.3, np.nan]})
    out = score_frame(agents, conflicts, weight_mean="none")
    # by hand: five agents; conflicting ordered pairs (7,8) x2 with 1 and (7,9) x2 with 0.5: (2 + 1) / (5 * 4)
    assert out["n"][0] == 5 and math.isclose(out["score"][0], 3 / 20)


# ---------------------------------------------------------------- bad input, one test per class
# (tests/test_own_data.py holds the property tests over every route and the classes found by hand)

@pytest.fixture
def tables():
    conflicts = pd.DataFrame({"area": ["food", "food", "food"], "goal_a": ["a", "a", "b"], "goal_b": ["b", "c", "c"],
                              "conflict": [1.0, 0.5, 0.2]})
    agents = pd.DataFrame({"agent": [1, 2, 3, 4], "area": ["food"] * 4, "goal": ["a", "b", "c", "a"],
                           "weight": [1.0, 0.5, 0.25, 0.75]})
    return agents, conflicts


def _error(*args, **kwargs):
    with pytest.raises(ValueError) as err:
        score_frame(*args, **kwargs)
    return str(err.value)


def test_unknown_goal_label(tables):
    agents, conflicts = tables
    agents.loc[[1, 2], "goal"] = "zz"
    assert _error(agents, conflicts) == (
        "agents table: column 'goal' has 'zz' in area 'food' on 2 rows (e.g. agent 2, row 1), a goal the conflicts "
        "table does not list for that area; goals there: 'a', 'b', 'c' (0 or empty = no goal)")


def test_goal_label_that_is_not_a_label(tables):
    agents, conflicts = tables
    agents["goal"] = [1.5, 1.0, 2.0, 0.0]
    assert "column 'goal' has 1.5 in area 'food' on 1 row (a number that is not whole) (e.g. agent 1, row 0)" \
        in _error(agents, conflicts)


def test_weight_outside_unit_interval(tables):
    agents, conflicts = tables
    agents.loc[[0, 3], "weight"] = [1.5, -0.1]
    assert ("column 'weight' is outside [0, 1] on 2 rows in area 'food': values from -0.1 to 1.5 "
            "(e.g. agent 1, row 0)") in _error(agents, conflicts)


def test_weight_nan_where_a_goal_is_held(tables):
    agents, conflicts = tables
    agents.loc[2, "weight"] = np.nan
    assert ("column 'weight' is empty on 1 row that hold a goal in area 'food' (e.g. agent 3, row 2); "
            "expected a weight in [0, 1]") in _error(agents, conflicts)


def test_weight_not_numeric(tables):
    agents, conflicts = tables
    agents["weight"] = ["high", "low", "low", "high"]
    assert "column 'weight' has 'high' in area 'food' on 4 rows (e.g. agent 1, row 0), which is not a number" \
        in _error(agents, conflicts)


def test_area_without_conflict_table(tables):
    agents, conflicts = tables
    agents.loc[[0, 1, 2], "area"] = "travel"
    assert ("column 'area' has 'travel' on 3 rows (e.g. agent 1, row 0), an area the conflicts table does not "
            "list; it lists 'food'") in _error(agents, conflicts)


def test_missing_area_agent_and_group_values(tables):
    agents, conflicts = tables
    agents["area"] = agents["area"].astype(object)
    agents.loc[0, "area"] = None
    assert "column 'area' is empty on 1 row (e.g. agent 1, row 0)" in _error(agents, conflicts)
    agents, conflicts = tables
    agents["agent"] = [1.0, np.nan, np.nan, 4.0]
    agents["step"] = [1, 1, None, 2]
    message = _error(agents, conflicts, by="step")
    assert "column 'agent' is empty on 2 rows in area 'food' (e.g. row 1)" in message
    assert "column 'step' is empty on 1 row in area 'food' (e.g. row 2)" in message


@pytest.mark.parametrize("backend", ["pandas", "dask"])
def test_duplicate_agent_area_rows(tables, backend):
    agents, conflicts = tables
    agents = pd.concat([agents, agents.iloc[[0, 0, 2]]], ignore_index=True)
    frame = agents if backend == "pandas" else dd.from_pandas(agents, npartitions=3, sort=False)
    with dask.config.set(scheduler="sync"):
        message = _error(frame, conflicts)
    assert message.startswith("agents table: 3 rows repeat an (agent, area) pair in area 'food' (e.g. agent ")
    assert message.endswith("expected one row per agent and area")


def test_duplicates_across_partitions_with_string_ids(tables):
    agents, conflicts = tables
    agents["agent"] = ["x", "y", "z", "x"]
    with dask.config.set(scheduler="sync"):
        message = _error(dd.from_pandas(agents, npartitions=2, sort=False), conflicts)
    assert message.startswith("agents table: 1 row repeats an (agent, area) pair in area 'food' (e.g. agent 'x'")


def test_missing_columns(tables, tmp_path):
    agents, conflicts = tables
    assert _error(agents.drop(columns="weight"), conflicts) == (
        "agents table is missing column(s) 'weight'; expected columns agent, area, goal, weight "
        "(found 'agent', 'area', 'goal')")
    assert "agents table is missing column(s) 'step'" in _error(agents, conflicts, by="step")
    assert "conflicts table is missing column(s) 'conflict'" in _error(agents, conflicts.drop(columns="conflict"))
    path = tmp_path / "agents.csv"
    agents.drop(columns="goal").to_csv(path, index=False)
    assert "does not name the columns agent, area, goal, weight" in _error(path, conflicts)


def test_every_problem_is_reported_at_once(tables):
    agents, conflicts = tables
    agents.loc[0, "goal"] = "zz"
    agents.loc[1, "weight"] = 2.0
    message = _error(agents, conflicts)
    assert "column 'goal' has 'zz' in area 'food' on 1 row" in message
    assert "column 'weight' is outside [0, 1] on 1 row in area 'food': value 2.0" in message


def test_conflict_table_errors(tables):
    agents, conflicts = tables
    twice = pd.concat([conflicts, pd.DataFrame({"area": ["food"], "goal_a": ["c"], "goal_b": ["a"],
                                                "conflict": [0.9]})], ignore_index=True)
    assert ("conflicts table gives area 'food', goals 'a' and 'c' twice with different values (0.5 and 0.9)"
            in _error(agents, twice))
    same = pd.concat([conflicts, conflicts.iloc[[1]]], ignore_index=True)  # repeated with the same value: fine
    pd.testing.assert_frame_equal(score_frame(agents, same), score_frame(agents, conflicts))
    assert ("conflicts table has no row for area 'food', goals 'b' and 'c' (1 of its 3 pairs are missing)"
            in _error(agents, conflicts.iloc[:2]))
    bad = conflicts.assign(conflict=[1.0, 1.2, 0.2])
    assert ("conflicts table: column 'conflict' is 1.2 on 1 rows (e.g. row 1); expected a number in [0, 1]"
            in _error(agents, bad))
    self_pair = pd.concat([conflicts, pd.DataFrame({"area": ["food"], "goal_a": ["a"], "goal_b": ["a"],
                                                    "conflict": [0.4]})], ignore_index=True)
    assert "goal_a = goal_b = 'a' has conflict 0.4; a goal never conflicts with itself" in _error(agents, self_pair)
    null = conflicts.assign(goal_b=["b", "", "c"])
    assert ("conflicts table: column 'goal_b' is empty (or 0, the null goal) on 1 rows (e.g. row 1)"
            in _error(agents, null))
    reserved = conflicts.assign(area=OVERALL)
    assert "reserved for the overall score" in _error(agents.assign(area=OVERALL), reserved)
    assert "conflicts table has no rows" in _error(agents, conflicts.iloc[:0])


def test_bad_options_and_arguments(tables, tmp_path):
    agents, conflicts = tables
    assert "weight_mean='median' is not a valid option" in _error(agents, conflicts, weight_mean="median")
    assert "missing='drop' is not a valid option; expected one of 'g0', 'exclude'" in \
        _error(agents, conflicts, missing="drop")
    assert "by=['goal'] names column 'goal' of the agents table itself" in _error(agents, conflicts, by=["goal"])
    assert "agents table: no file or folder matches" in _error(str(tmp_path / "nothing*.parquet"), conflicts)
    assert "agents table must be a pandas or Dask DataFrame or a path" in _error([1, 2], conflicts)
    agents.to_csv(tmp_path / "a.csv", index=False)
    assert "sep='ab'; expected a single character" in _error(tmp_path / "a.csv", conflicts, sep="ab")


# ---------------------------------------------------------------- command line

def test_command_line_prints_and_writes_scores(tmp_path, capsys):
    from misalign.cli import main
    from .conftest import ROOT

    EXAMPLES = ROOT / "data" / "examples"

    agents, conflicts = str(EXAMPLES / "shopping_agents.csv"), str(EXAMPLES / "shopping_conflicts.csv")
    assert main(["score-table", agents, conflicts]) == 0
    captured = capsys.readouterr()
    assert "household  3      3 0.4241" in captured.out and "(overall)  3   <NA> 0.2569" in captured.out
    assert captured.err == ""  # no progress bar when stderr is not a terminal
    out = tmp_path / "scores.csv"
    assert main(["score-table", agents, conflicts, "--weight-mean", "min", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    # by hand, min weights: food 0.1 * (0.8 + 0.8 + 0.9) / 3
    assert math.isclose(table["score"][0], 0.1 * (0.8 + 0.8 + 0.9) / 3)


def test_command_line_errors_without_traceback(tmp_path, capsys):
    from misalign.cli import main
    from .conftest import ROOT

    EXAMPLES = ROOT / "data" / "examples"

    bad = tmp_path / "agents.csv"
    bad.write_text("agent,area,goal,weight\n1,food,vegan,0.5\n2,food,vegan,1.5\n3,food,steak,0.5\n")
    assert main(["score-table", str(bad), str(EXAMPLES / "shopping_conflicts.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: agents table: column 'goal' has 'steak' in area 'food' on 1 row (e.g. agent '3', "
                          "line 4 of ")
    assert "column 'weight' is outside [0, 1] on 1 row in area 'food': value 1.5" in err and "Traceback" not in err
    assert main(["score-table", str(tmp_path / "none.csv"), str(EXAMPLES / "shopping_conflicts.csv")]) == 2
    assert "no file or folder matches" in capsys.readouterr().err


def test_nullable_integer_columns():
    rng = np.random.default_rng(9)
    agents = _population(rng, 15)
    conflicts = _conflict_table(rng)
    expected = score_frame(agents, conflicts)
    got = score_frame(agents.astype({"agent": "Int64"}), conflicts)
    pd.testing.assert_frame_equal(got, expected)
    with_na = agents.astype({"agent": "Int64"})
    with_na.loc[[0, 1], "agent"] = pd.NA
    message = _error(with_na, conflicts)
    assert "column 'agent' is empty on" in message and "(e.g. row 0)" in message


@pytest.mark.parametrize("workers", [1, 2])
def test_files_on_a_cluster_equal_the_in_process_result_and_name_a_bad_last_file(tmp_path, workers):
    # one worker: one merge tree whose root counts the agents; two: sums and agent buckets in their own trees
    from dask.distributed import Client, LocalCluster

    rng = np.random.default_rng(9)
    agents = _population(rng, 60, groups=2)
    conflicts = _conflict_table(rng)
    good = tmp_path / "good"
    good.mkdir()
    for i, lo in enumerate(range(0, len(agents), 40)):
        agents.iloc[lo:lo + 40].astype({"goal": str}).to_parquet(good / f"part{i}.parquet")
    expected = score_frame(str(good), conflicts, by="step")
    bad = agents.iloc[-5:].copy()
    bad.loc[bad.index[-1], "weight"] = 1.5
    bad_folder = tmp_path / "bad"
    bad_folder.mkdir()
    agents.iloc[:-5].astype({"goal": str}).to_parquet(bad_folder / "a.parquet")
    bad.astype({"goal": str}).to_parquet(bad_folder / "z.parquet")
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster):
        got = score_frame(str(good), conflicts, by="step")
        with pytest.raises(ValueError, match=r"weight.*1\.5.*z\.parquet"):
            score_frame(str(bad_folder), conflicts, by="step")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.parametrize("ids", ["int", "str"])
def test_many_files_on_two_workers_find_a_repeat_between_the_first_and_last_file(tmp_path, ids):
    # More files than one merge group (8): the pieces are merged in groups, then split by bucket, and a
    # repeated (agent, area) in the first and the last file meets only in its bucket's tree.
    from dask.distributed import Client, LocalCluster

    rng = np.random.default_rng(12)
    agents = _population(rng, 80)
    agents = agents.sort_values("agent", kind="stable").reset_index(drop=True)
    if ids == "str":
        agents["agent"] = "a" + agents["agent"].astype(str)
    conflicts = _conflict_table(rng)
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    parts = np.array_split(np.arange(len(agents)), 20)
    for i, rows in enumerate(parts):
        agents.iloc[rows].astype({"goal": str}).to_parquet(good / f"part{i:02d}.parquet")
        chunk = agents.iloc[rows]
        if i == len(parts) - 1:  # the first file's first row again, in the last file
            chunk = pd.concat([chunk, agents.iloc[[0]]], ignore_index=True)
        chunk.astype({"goal": str}).to_parquet(bad / f"part{i:02d}.parquet")
    expected = score_frame(agents, conflicts)
    first = agents.iloc[0]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster):
        got = score_frame(str(good), conflicts)
        with pytest.raises(ValueError) as err:
            score_frame(str(bad), conflicts)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert f"1 row repeats an (agent, area) pair in area {first['area']!r}" in str(err.value), str(err.value)
    assert repr(first["agent"]) in str(err.value) or str(first["agent"]) in str(err.value), str(err.value)
