"""Your own data, never silently wrong: every route reads a table the same way, every bad cell is caught.

The property tests build random multi-area tables (2-4 areas, string and whole-number labels mixed,
absent rows and empty goals), write them through every input route (pandas, CSV files, a Parquet
folder, Dask) and check that

- a valid table gives the same scores on every route, to the last bit, equal to the slow reference
  of tests/reference.py (written from the paper's definition, sharing no code with the package);
- a copy with one bad cell (any column, any area, any kind of bad value) raises ValueError naming
  that column, that value and that area on every route, and never returns a number.

The tests after them take each class of problem found by hand, one by one.
"""

from __future__ import annotations

import math
import os
import warnings

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import misalign
from misalign.cli import main
from misalign.tables.frame import OVERALL, score_frame

from . import reference

ROUTES = ("pandas", "csv", "parquet", "dask")
LETTERS = "abcdefghjkmnpqrstuvwxyz"


# --------------------------------------------------------------------------- random tables

@st.composite
def populations(draw):
    """(rows, areas, by): rows of (agent, area, goal, weight[, wave]) as Python values; areas {label: (goals, C)}."""
    n_areas = draw(st.integers(2, 4))
    area_labels = draw(st.lists(st.one_of(st.integers(1, 40), st.text(LETTERS, min_size=1, max_size=4)),
                                min_size=n_areas, max_size=n_areas, unique_by=lambda x: (str(x))))
    areas = {}
    for label in area_labels:
        k = draw(st.integers(1, 4))
        goals = draw(st.lists(st.one_of(st.integers(1, 9), st.text(LETTERS, min_size=1, max_size=3)),
                              min_size=k, max_size=k, unique_by=str))
        c = np.zeros((k, k))
        for i in range(k):
            for j in range(i + 1, k):
                c[i, j] = c[j, i] = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0, 0.3141592653589793]))
        areas[label] = (goals, c)
    n = draw(st.integers(0, 9))
    ids = draw(st.lists(st.one_of(st.integers(0, 99), st.text(LETTERS, min_size=1, max_size=3).map("x".__add__)),
                        min_size=n, max_size=n, unique_by=str))
    by = draw(st.booleans())
    rows = []
    for agent in ids:
        wave = draw(st.sampled_from([1, 2])) if by else None
        for label, (goals, _) in areas.items():
            kind = draw(st.sampled_from(["absent", "empty", "held", "held", "held"]))
            if kind == "absent":
                continue
            weight = draw(st.sampled_from([0.0, 1.0, 0.5, 0.1, 0.7071067811865476, 1 / 3]))
            if kind == "empty":
                goal = draw(st.sampled_from([None, 0]))
                weight = draw(st.sampled_from([None, weight]))
            else:
                goal = draw(st.sampled_from(goals))
            rows.append({"agent": agent, "area": label, "goal": goal, "weight": weight, "wave": wave})
    return rows, areas, by


def _frames(rows, areas, by):
    columns = ["agent", "area", "goal", "weight"] + (["wave"] if by else [])
    agents = pd.DataFrame(rows, columns=["agent", "area", "goal", "weight", "wave"])[columns]
    for c in ("agent", "area", "goal"):
        agents[c] = agents[c].astype(object)
    agents["weight"] = agents["weight"].astype(object) if agents["weight"].map(type).eq(str).any() \
        else agents["weight"].astype(np.float64)
    conflicts = misalign.tables.conflicts.conflict_table({a: (g, c) for a, (g, c) in areas.items()})
    return agents, conflicts


def _as_text(column: pd.Series) -> pd.Series:
    return column.map(lambda x: None if x is None or (isinstance(x, float) and math.isnan(x)) else str(x))


def _route(route: str, agents: pd.DataFrame, folder) -> object:
    """The agents table as that route's input (files written under ``folder``)."""
    if route == "pandas":
        return agents
    if route == "dask":
        # Dask's default (dataframe.convert-string) turns object columns into text before misalign sees
        # them (bytes b'zz' -> 'zz'); the route under test is misalign's, so keep the values as written
        with dask.config.set({"dataframe.convert-string": False}):
            return dd.from_pandas(agents, npartitions=3, sort=False)
    parts = [agents.iloc[i::3] for i in range(3)] if len(agents) >= 3 else [agents]
    os.makedirs(folder, exist_ok=True)
    for i, part in enumerate(parts):
        if route == "csv":
            part.to_csv(folder / f"part-{i}.csv", index=False)
        else:
            stored = part.copy()
            for c in stored.columns:
                if stored[c].dtype == object:
                    stored[c] = _as_text(stored[c]).astype("string")
            stored.to_parquet(folder / f"part-{i}.parquet", index=False)
    return str(folder)


def _expected(rows, areas, by, options):
    """The reference scores of every group: {group: (area scores, overall, n per area, n)}."""
    out = {}
    waves = sorted({r["wave"] for r in rows}) if by else [None]
    for wave in waves:
        mine = [r for r in rows if not by or r["wave"] == wave]
        people = sorted({str(r["agent"]) for r in mine})
        if not people:
            continue
        goals = {p: [0] * len(areas) for p in people}
        weights = {p: [0.0] * len(areas) for p in people}
        labels = list(areas)
        for r in mine:
            j = labels.index(r["area"])
            if r["goal"] not in (None, 0):
                goals[str(r["agent"])][j] = areas[r["area"]][0].index(r["goal"]) + 1
                weights[str(r["agent"])][j] = r["weight"]
        g = [goals[p] for p in people]
        w = [weights[p] for p in people]
        opts = {k: v for k, v in options.items() if k != "area_mean"}
        scores = [reference.area_score([row[j] for row in g], [row[j] for row in w], areas[a][1], **opts)
                  for j, a in enumerate(labels)]
        sizes = [len(people) if options["missing"] == "g0" else sum(1 for row in g if row[j] != 0)
                 for j in range(len(labels))]
        out[(wave,) if by else ()] = (scores, reference.combine(scores, options["area_mean"]), sizes, len(people))
    return out


OPTION_SETS = st.fixed_dictionaries({
    "pairs": st.sampled_from(["distinct", "with_replacement"]),
    "weight_mean": st.sampled_from(["geometric", "arithmetic", "harmonic", "min", "max", "none"]),
    "area_mean": st.sampled_from(["arithmetic", "geometric", "min"]),
    "missing": st.sampled_from(["g0", "exclude"]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(population=populations(), options=OPTION_SETS)
def test_every_route_gives_the_same_score_to_the_last_bit(tmp_path_factory, population, options):
    rows, areas, by = population
    assume(rows)
    agents, conflicts = _frames(rows, areas, by)
    folder = tmp_path_factory.mktemp("routes")
    results = {}
    for route in ROUTES:
        source = _route(route, agents, folder / route)
        with dask.config.set(scheduler="sync"):
            results[route] = score_frame(source, conflicts, by="wave" if by else None, **options)
    for route in ROUTES[1:]:
        pd.testing.assert_frame_equal(results[route], results["pandas"], check_exact=True, obj=route)
    expected = _expected(rows, areas, by, options)
    out = results["pandas"]
    labels = list(areas)
    keys = [tuple(t) for t in out[["wave"]].drop_duplicates().itertuples(index=False)] if by else [()]
    assert sorted(keys) == sorted(expected)
    for key in keys:
        part = out[(out["wave"] == key[0])] if by else out
        scores, overall, sizes, n = expected[key]
        per_area = part[part["area"] != OVERALL]
        assert list(per_area["area"]) == labels
        assert list(per_area["n"]) == sizes and part[part["area"] == OVERALL]["n"].item() == n
        np.testing.assert_allclose(per_area["score"].to_numpy(), scores, rtol=1e-12, atol=1e-15)
        assert math.isclose(part[part["area"] == OVERALL]["score"].item(), overall, rel_tol=1e-12, abs_tol=1e-15)


# every kind of bad cell, by column; (value as written into the frame, text the message must show)
BAD = {
    "goal": [(1.5, "1.5"), (True, "True"), (b"zz", "b'zz'"), ("unlisted", "'unlisted'"), (2.5, "2.5")],
    "area": [(1.5, "1.5"), (False, "False"), ("nowhere", "'nowhere'")],
    "weight": [(1.5, "1.5"), (-0.25, "-0.25"), ("high", "'high'"), (None, "empty")],
    "agent": [(None, "empty")],
    "wave": [(None, "empty"), (0.5, "0.5")],
}


@st.composite
def corruptions(draw):
    rows, areas, by = draw(populations())
    held = [i for i, r in enumerate(rows) if r["goal"] not in (None, 0)]
    assume(held)
    columns = ["goal", "area", "weight", "agent"] + (["wave"] if by else [])
    column = draw(st.sampled_from(columns))
    value, shown = draw(st.sampled_from(BAD[column]))
    i = draw(st.sampled_from(held if column in ("goal", "weight") else list(range(len(rows)))))
    route = draw(st.sampled_from(ROUTES))
    return rows, areas, by, i, column, value, shown, route


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=corruptions(), duplicate=st.booleans())
def test_one_bad_cell_anywhere_is_named_on_every_route(tmp_path_factory, case, duplicate):
    rows, areas, by, i, column, value, shown, route = case
    if isinstance(value, bytes) and route in ("csv", "parquet"):
        value, shown = "b'zz'", "b'zz'"  # what a file holds when bytes are written to it
    rows = [dict(r) for r in rows]
    area = rows[i]["area"]
    if duplicate:  # a repeated (agent, area) row instead of a bad cell
        rows.append(dict(rows[i]))
        column, shown = "agent", str(rows[i]["agent"])
    else:
        rows[i][column] = value
    agents, conflicts = _frames(rows, areas, by)
    source = _route(route, agents, tmp_path_factory.mktemp("bad") / route)
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError) as err:
        score_frame(source, conflicts, by="wave" if by else None)
    message = str(err.value)
    assert f"column {column!r}" in message or (duplicate and "an (agent, area) pair" in message), message
    assert shown in message, (shown, message)
    area_shown = misalign.tables.labels.show(misalign.tables.labels.canonical(area, goal=False))
    if column != "area":
        assert f"area {area_shown}" in message, (area_shown, message)


# --------------------------------------------------------------------------- one test per class

@pytest.fixture
def survey():
    """Three areas; the last one is where the bad cells go."""
    conflicts = misalign.tables.conflicts.conflict_table({
        "food": (["a", "b", "c"], [[0, 1, .5], [1, 0, .2], [.5, .2, 0]]),
        2: ([1, 2], [[0, 1], [1, 0]]),
        "health": (["yes", "no", "NA"], [[0, 1, .5], [1, 0, .5], [.5, .5, 0]]),
    })
    agents = pd.DataFrame({
        "agent": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4],
        "area": ["food", 2, "health"] * 3 + ["health"],
        "goal": ["a", 1, "yes", "b", 2, "no", "c", 1, "NA", "yes"],
        "weight": [1.0, 0.5, 0.25, 0.75, 1.0, 0.5, 0.5, 0.25, 1.0, 0.5],
    })
    agents[["area", "goal"]] = agents[["area", "goal"]].astype(object)
    return agents, conflicts


def _message(agents, conflicts, **kw):
    with pytest.raises(ValueError) as err:
        score_frame(agents, conflicts, **kw)
    return str(err.value)


def test_a_non_whole_number_goal_in_the_last_area_is_named_there_not_moved(survey):
    agents, conflicts = survey
    agents.loc[8, "goal"] = 1.5
    assert _message(agents, conflicts) == (
        "agents table: column 'goal' has 1.5 in area 'health' on 1 row (a number that is not whole) "
        "(e.g. agent 3, row 8); expected a goal label (a string or a whole number; 0 or empty = no goal)")


def test_a_boolean_goal_is_not_goal_1(survey):
    agents, conflicts = survey
    agents.loc[7, "goal"] = True  # area 2 has a goal 1: True must not be read as it
    assert "column 'goal' has True in area 2 on 1 row (a boolean)" in _message(agents, conflicts)


def test_a_duplicate_is_blamed_on_its_own_area(survey):
    agents, conflicts = survey
    agents = pd.concat([agents, agents.iloc[[8]]], ignore_index=True)
    assert "1 row repeats an (agent, area) pair in area 'health' (e.g. agent 3" in _message(agents, conflicts)


def test_repeats_in_two_areas_are_each_counted_in_their_own_area(survey):
    agents, conflicts = survey
    agents = pd.concat([agents, agents.iloc[[0, 8, 5]]], ignore_index=True)  # 'food' once, 'health' twice
    message = _message(agents, conflicts)
    assert "1 row repeats an (agent, area) pair in area 'food' (e.g. agent 1, row 10)" in message, message
    assert "2 rows repeat an (agent, area) pair in area 'health' (e.g. agent 3, row 11)" in message, message
    with dask.config.set(scheduler="sync"):  # the same counts when the repeats meet across partitions
        spread = _message(dd.from_pandas(agents, npartitions=3, sort=False), conflicts)
    assert "1 row repeats an (agent, area) pair in area 'food'" in spread, spread
    assert "2 rows repeat an (agent, area) pair in area 'health'" in spread, spread


def test_csv_reads_na_none_and_null_as_labels_unless_asked(tmp_path, survey):
    agents, conflicts = survey
    conflicts.to_csv(tmp_path / "conflicts.csv", index=False)
    agents.to_csv(tmp_path / "agents.csv", index=False)
    text = (tmp_path / "agents.csv").read_text()
    assert ",NA," in text  # the label NA is written as the text NA
    from_csv = score_frame(tmp_path / "agents.csv", tmp_path / "conflicts.csv")
    pd.testing.assert_frame_equal(from_csv, score_frame(agents, conflicts), check_exact=True)
    (tmp_path / "agents.csv").write_text(text.replace(",NA,", ",None,"))
    assert "column 'goal' has 'None' in area 'health' on 1 row" in _message(tmp_path / "agents.csv", conflicts)
    (tmp_path / "agents.csv").write_text(text.replace(",NA,", ",null,"))
    assert "'null' in area 'health'" in _message(tmp_path / "agents.csv", conflicts)
    # asked for: NA means missing (in both tables: the conflicts table then lacks that goal's label)
    (tmp_path / "agents.csv").write_text(text)
    conflicts_without_na = misalign.tables.conflicts.conflict_table({
        "food": (["a", "b", "c"], [[0, 1, .5], [1, 0, .2], [.5, .2, 0]]), 2: ([1, 2], [[0, 1], [1, 0]]),
        "health": (["yes", "no"], [[0, 1], [1, 0]])})
    out = score_frame(tmp_path / "agents.csv", conflicts_without_na, na_values=["NA"], missing="exclude")
    assert out.loc[out["area"] == "health", "n"].item() == 3  # agent 3 did not answer


def test_csv_keeps_agent_ids_as_written(tmp_path):
    conflicts = misalign.tables.conflicts.conflict_table({"p": (["x", "y"], [[0, 1], [1, 0]])})
    (tmp_path / "agents.csv").write_text("agent,area,goal,weight\n007,p,x,1\n7,p,y,1\n")
    out = score_frame(tmp_path / "agents.csv", conflicts)
    assert out["n"][0] == 2 and out["score"][0] == 1.0  # two agents in full conflict, not one repeated


def test_goal_written_by_pandas_as_a_float_is_the_integer_label(tmp_path):
    conflicts = misalign.tables.conflicts.conflict_table({"p": ([1, 2], [[0, 1], [1, 0]])})
    agents = pd.DataFrame({"agent": [1, 2, 3], "area": ["p"] * 3, "goal": [1, 2, np.nan], "weight": [1, 1, np.nan]})
    agents.to_csv(tmp_path / "agents.csv", index=False)
    assert "1.0,1.0" in (tmp_path / "agents.csv").read_text()  # the float column is written as 1.0, 2.0
    out = score_frame(tmp_path / "agents.csv", conflicts)
    # by hand: three agents, the pair (1, 2) conflicts in both orders: 2 / (3 * 2)
    assert out["score"][0] == pytest.approx(1 / 3)


def test_whole_number_weights_first_then_fractions(tmp_path):
    conflicts = misalign.tables.conflicts.conflict_table({"p": (["x", "y"], [[0, 1], [1, 0]])})
    lines = [f"{i},p,{'x' if i % 2 else 'y'},1" for i in range(3000)] + ["3000,p,x,0.25"]
    (tmp_path / "agents.csv").write_text("agent,area,goal,weight\n" + "\n".join(lines) + "\n")
    out = score_frame(tmp_path / "agents.csv", conflicts)
    assert out["n"][0] == 3001


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected_or_given(tmp_path, sep):
    conflicts = misalign.tables.conflicts.conflict_table({"p": (["x", "y"], [[0, 0.5], [0.5, 0]])})
    body = "\n".join(sep.join(row) for row in [["agent", "area", "goal", "weight"], ["1", "p", "x", "1"],
                                                ["2", "p", "y", "0.25"]])
    (tmp_path / "a.csv").write_text(body + "\n")
    expected = 0.5 * math.sqrt(0.25)  # by hand: one conflicting pair
    assert score_frame(tmp_path / "a.csv", conflicts)["score"][0] == pytest.approx(expected)
    assert score_frame(tmp_path / "a.csv", conflicts, sep=sep)["score"][0] == pytest.approx(expected)


def test_a_folder_of_csv_files_is_read_as_csv(tmp_path, survey):
    agents, conflicts = survey
    (tmp_path / "wave").mkdir()
    agents.iloc[:5].to_csv(tmp_path / "wave" / "a.csv", index=False)
    agents.iloc[5:].to_csv(tmp_path / "wave" / "b.csv", index=False)
    pd.testing.assert_frame_equal(score_frame(tmp_path / "wave", conflicts), score_frame(agents, conflicts),
                                  check_exact=True)


def test_csv_files_that_disagree_are_named(tmp_path, survey):
    agents, conflicts = survey
    agents.iloc[:5].to_csv(tmp_path / "a.csv", index=False)
    agents.iloc[5:].to_csv(tmp_path / "b.csv", index=False, sep=";")
    message = _message(str(tmp_path / "*.csv"), conflicts)
    assert "b.csv is missing column(s)" in message and "it seems to use ';'" in message
    agents.iloc[5:].drop(columns="weight").to_csv(tmp_path / "b.csv", index=False)
    assert "b.csv is missing column(s) 'weight'" in _message(str(tmp_path / "*.csv"), conflicts)


def test_parquet_files_that_disagree_are_named(tmp_path, survey):
    agents, conflicts = survey
    stored = agents.astype({"area": str, "goal": str})
    stored.iloc[:5].to_parquet(tmp_path / "a.parquet")
    stored.iloc[5:].drop(columns="goal").to_parquet(tmp_path / "b.parquet")
    assert "b.parquet is missing column(s) 'goal'" in _message(tmp_path, conflicts)
    stored.iloc[5:].assign(weight=stored.iloc[5:]["weight"] > 0.5).to_parquet(tmp_path / "b.parquet")
    assert "b.parquet stores column 'weight' as boolean" in _message(tmp_path, conflicts)
    # labels stored as integers in one file and text in another are the same labels
    stored.iloc[5:].to_parquet(tmp_path / "b.parquet")
    pd.testing.assert_frame_equal(score_frame(tmp_path, conflicts), score_frame(agents, conflicts), check_exact=True)


def test_a_mix_of_csv_and_parquet_and_a_fake_parquet_file(tmp_path, survey):
    agents, conflicts = survey
    agents.to_csv(tmp_path / "a.csv", index=False)
    agents.astype({"area": str, "goal": str}).to_parquet(tmp_path / "b.parquet")
    assert "mixes CSV and Parquet files" in _message(tmp_path, conflicts)
    (tmp_path / "a.csv").unlink()
    (tmp_path / "b.parquet").write_text("not parquet at all")
    assert "cannot be read as Parquet" in _message(tmp_path / "b.parquet", conflicts)


def test_mixed_integer_and_text_agent_ids_are_text_on_every_route(tmp_path, survey):
    agents, conflicts = survey
    agents["agent"] = agents["agent"].astype(object)
    agents.loc[agents["agent"] == 4, "agent"] = "x4"
    expected = score_frame(agents, conflicts)
    for route in ROUTES:
        with dask.config.set(scheduler="sync"):
            got = score_frame(_route(route, agents, tmp_path / route), conflicts)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=route)
    agents.loc[agents["agent"] == 3, "agent"] = "1"  # the text "1" is agent 1 again: repeated rows
    assert "an (agent, area) pair" in _message(agents, conflicts)


def test_labels_are_compared_after_nfc_and_near_misses_are_explained(survey):
    agents, conflicts = survey
    conflicts.loc[conflicts["goal_a"] == "yes", "goal_a"] = "caf\u00e9"  # composed
    conflicts.loc[conflicts["goal_b"] == "yes", "goal_b"] = "caf\u00e9"
    agents.loc[agents["goal"] == "yes", "goal"] = "cafe\u0301"  # decomposed: the same label after NFC
    expected = score_frame(agents.replace({"cafe\u0301": "caf\u00e9"}), conflicts)
    pd.testing.assert_frame_equal(score_frame(agents, conflicts), expected, check_exact=True)
    agents.loc[2, "goal"] = "Caf\u00e9 "
    message = _message(agents, conflicts)
    assert ("column 'goal' has 'Café ' ('Caf\\xe9 ') in area 'health' on 1 row (e.g. agent 1, row 2), a goal the "
            "conflicts table does not list for that area (it differs from the label 'café' ('caf\\xe9') only by "
            "surrounding spaces and upper/lower case)") in message
    agents.loc[2, "goal"] = "caf\u00e9\u00a0"  # a non-breaking space, shown escaped
    assert "('caf\\xe9\\xa0') in area 'health'" in _message(agents, conflicts)
    agents.loc[2, "goal"] = "\uff43af\u00e9"  # a full-width c
    assert "only by look-alike Unicode characters" in _message(agents, conflicts)


def test_out_of_range_weights_give_their_count_and_range(survey):
    agents, conflicts = survey
    agents = pd.concat([agents] * 1, ignore_index=True)
    agents.loc[[2, 5, 8], "weight"] = [2.0, 5.0, 3.0]  # a 1-5 scale, in the last area
    message = _message(agents, conflicts)
    assert ("column 'weight' is outside [0, 1] on 3 rows in area 'health': values from 2.0 to 5.0 "
            "(e.g. agent 1, row 2)") in message


def test_weights_that_are_text_or_missing(survey):
    agents, conflicts = survey
    agents["weight"] = agents["weight"].astype(object)
    agents.loc[8, "weight"] = "high"
    agents.loc[5, "weight"] = None
    message = _message(agents, conflicts)
    assert "column 'weight' is empty on 1 row that hold a goal in area 'health' (e.g. agent 2, row 5)" in message
    assert "column 'weight' has 'high' in area 'health' on 1 row (e.g. agent 3, row 8), which is not a number" \
        in message


def test_missing_exclude_scores_those_who_answered(survey):
    agents, conflicts = survey
    agents.loc[8, "goal"] = None  # agent 3 does not answer on health
    agents.loc[8, "weight"] = np.nan
    g0 = score_frame(agents, conflicts)
    excl = score_frame(agents, conflicts, missing="exclude")
    health = lambda t: t[t["area"] == "health"]  # noqa: E731
    assert health(g0)["n"].item() == 4 and health(excl)["n"].item() == 3
    # by hand, health with exclude: yes(0.25), no(0.5), yes(0.5): conflicting ordered pairs 1-2 and 4-2
    pair_sum = 2 * (math.sqrt(0.25 * 0.5) + math.sqrt(0.5 * 0.5))
    assert health(excl)["score"].item() == pytest.approx(pair_sum / (3 * 2))
    assert health(g0)["score"].item() == pytest.approx(pair_sum / (4 * 3))


def test_a_conflicts_table_declaring_20000_goals_is_refused_before_any_matrix():
    goals = np.arange(20_000)
    conflicts = pd.DataFrame({"area": "p", "goal_a": goals[:10_000] + 1, "goal_b": goals[10_000:] + 1,
                              "conflict": 1.0})
    agents = pd.DataFrame({"agent": [1], "area": ["p"], "goal": [1], "weight": [1.0]})
    message = _message(agents, conflicts)
    assert "area 'p' has 20,000 goals, so its conflict matrix needs 3.0 GiB, above the limit of 1.0 GiB" in message


def test_a_harmonic_mean_over_many_distinct_weights_says_so_up_front(monkeypatch):
    from misalign.core import engine

    monkeypatch.setattr(engine, "SLOW_PAIR_TERMS", 100)
    rng = np.random.default_rng(0)
    goals, weights = rng.integers(1, 3, size=(50, 1)), rng.random((50, 1))
    with pytest.warns(misalign.util.PerformanceWarning, match=r"harmonic weight mean pairs 50 distinct "
                                                              r"\(goal, weight\) values"):
        misalign.area_scores(goals, weights, [[[0, 1], [1, 0]]], weight_mean="harmonic")


# --------------------------------------------------------------------------- writing

def test_out_is_all_or_nothing(tmp_path, survey, monkeypatch):
    agents, conflicts = survey
    agents.to_csv(tmp_path / "a.csv", index=False)
    conflicts.to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "scores.csv"
    out.write_text("previous results\n")
    import pandas.core.generic

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device", str(args[0]))

    monkeypatch.setattr(pandas.core.generic.NDFrame, "to_csv", full_disk)
    assert main(["score-table", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"), "--out", str(out)]) == 2
    monkeypatch.undo()
    assert out.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "c.csv", "scores.csv"]  # no temp file left
    assert main(["score-table", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"), "--out", str(out)]) == 0
    assert out.read_text().startswith("area,n,goals,score\n")
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_output_errors_are_one_line(tmp_path, survey, capsys):
    agents, conflicts = survey
    agents.to_csv(tmp_path / "a.csv", index=False)
    conflicts.to_csv(tmp_path / "c.csv", index=False)
    for dest, says in ((tmp_path / "no" / "such" / "x.csv", "does not exist"), (tmp_path, "is a folder")):
        assert main(["score-table", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"), "--out", str(dest)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err and "Traceback" not in err


def test_cli_reads_options_for_own_data(tmp_path, capsys):
    (tmp_path / "c.csv").write_text("area;goal_a;goal_b;conflict\np;x;y;1\n")
    (tmp_path / "a.csv").write_text("agent;area;goal;weight\n1;p;x;1\n2;p;y;1\n3;p;n/a;\n")
    assert main(["score-table", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"), "--sep", ";",
                 "--na-values", "n/a", "--missing", "exclude"]) == 0
    out = capsys.readouterr().out
    assert "p  2      2 1.0000" in out  # agent 3 did not answer; the two who did are in full conflict


def test_no_warning_escapes_a_clean_run(survey):
    agents, conflicts = survey
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score_frame(agents, conflicts, weight_mean="harmonic")


def test_many_distinct_goal_labels_take_the_pair_lookup_with_the_same_result(survey, monkeypatch):
    from misalign.tables import summary

    agents, conflicts = survey
    expected = score_frame(agents, conflicts)
    agents.loc[8, "goal"] = "unlisted"
    message = _message(agents, conflicts)
    monkeypatch.setattr(summary, "_TABLE_ENTRIES", 0)  # the path taken for very many distinct labels
    assert _message(agents, conflicts) == message
    agents.loc[8, "goal"] = "NA"
    pd.testing.assert_frame_equal(score_frame(agents, conflicts), expected, check_exact=True)
