"""Scores by time step from a long table, checked against scoring each step's population directly."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from misalign import area_scores, misalignment
from misalign.analysis.timeseries import plot_scores_by, scores_by
from misalign.analysis.uncertainty import score_interval

C2 = np.array([[0, 1.0], [1.0, 0]])
C3 = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])


def long_table(rng, steps=3):
    """Random populations per step, in long form, shuffled; returns the table and the wide arrays."""
    rows, wide = [], {}
    for t in range(steps):
        n = 6 + t
        goals = np.stack([rng.integers(0, 3, n), rng.integers(0, 4, n)], axis=1)
        weights = rng.random((n, 2))
        wide[t] = (goals, weights)
        for i in range(n):
            for j, area in enumerate(["x", "y"]):
                rows.append({"agent": f"a{i}", "area": area, "goal": goals[i, j], "weight": weights[i, j], "time": t})
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)
    return frame, wide


def test_scores_by_matches_direct_scores():
    frame, wide = long_table(np.random.default_rng(0))
    table = scores_by(frame, {"x": C2, "y": C3})
    assert table["time"].tolist() == [0, 1, 2]
    for t, (g, w) in wide.items():
        assert table.loc[t, "n_agents"] == g.shape[0]
        assert table.loc[t, "score"] == pytest.approx(misalignment(g, w, [C2, C3]))


def test_per_area_and_interval_columns():
    frame, wide = long_table(np.random.default_rng(1))
    table = scores_by(frame, {"x": C2, "y": C3}, per_area=True, level=0.9, weight_mean="arithmetic")
    assert list(table.columns) == ["time", "area", "n_agents", "score", "low", "high"]
    assert table["area"].tolist() == ["x", "y"] * 3
    g, w = wide[2]
    np.testing.assert_allclose(table["score"].iloc[4:], area_scores(g, w, [C2, C3], weight_mean="arithmetic"))
    expected = score_interval(g[:, [1]], w[:, [1]], [C3], level=0.9, weight_mean="arithmetic")
    assert tuple(table.iloc[5][["score", "low", "high"]]) == pytest.approx(expected)


def test_bootstrap_band_is_seeded():
    frame, _ = long_table(np.random.default_rng(2))
    kw = dict(level=0.95, method="bootstrap", n_boot=50)
    a = scores_by(frame, {"x": C2, "y": C3}, rng=np.random.default_rng(5), **kw)
    b = scores_by(frame, {"x": C2, "y": C3}, rng=np.random.default_rng(5), **kw)
    pd.testing.assert_frame_equal(a, b)


def test_missing_area_row_means_null_goal_and_any_by_column():
    # agent b has no row for area y in cohort "late": it holds g0 there and conflicts with nobody
    frame = pd.DataFrame({
        "agent": ["a", "b", "a"],
        "area": ["x", "x", "y"],
        "goal": [1, 2, 2],
        "weight": [1.0, 0.25, 1.0],
        "cohort": ["late", "late", "late"],
    })
    table = scores_by(frame, {"x": C2, "y": C2}, by="cohort", per_area=True)
    assert table["cohort"].tolist() == ["late", "late"]
    # area x: the pair (a, b) conflicts with weight sqrt(1 * 0.25) = 0.5; area y: b holds no goal
    assert table["score"].tolist() == pytest.approx([0.5, 0.0])


def test_sequence_conflicts_key_areas_by_position():
    frame = pd.DataFrame({"agent": [1, 2], "area": [0, 0], "goal": [1, 2], "weight": [1.0, 1.0], "time": [3, 3]})
    assert scores_by(frame, [C2])["score"].tolist() == [1.0]


def test_plot_draws_line_and_band():
    frame, _ = long_table(np.random.default_rng(3))
    table = scores_by(frame, {"x": C2, "y": C3}, level=0.95)
    ax = plot_scores_by(table, label="all")
    assert len(ax.lines) == 1 and len(ax.collections) == 1
    assert ax.get_xlabel() == "time"
    plt.close(ax.figure)
    per = scores_by(frame, {"x": C2, "y": C3}, per_area=True)
    ax = plot_scores_by(per)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y"]
    assert len(ax.collections) == 0
    plt.close(ax.figure)


def test_errors():
    good = pd.DataFrame({"agent": ["a", "b"], "area": ["x", "x"], "goal": [1, 2], "weight": [1.0, 1.0], "time": 0})
    conflicts = {"x": C2}
    with pytest.raises(ValueError, match="frame must be a pandas DataFrame"):
        scores_by(good.to_dict(), conflicts)
    with pytest.raises(ValueError, match=r"frame has no column\(s\) \['cohort'\]"):
        scores_by(good, conflicts, by="cohort")
    with pytest.raises(ValueError, match="frame\\['area'\\] at row 1 is 'z', which has no conflict matrix"):
        scores_by(good.assign(area=["x", "z"]), conflicts)
    with pytest.raises(ValueError, match=r"frame\['goal'\] at row 1 is 3 in area 'x'; expected a goal id in 0..2"):
        scores_by(good.assign(goal=[1, 3]), conflicts)
    with pytest.raises(ValueError, match=r"frame\['goal'\] must hold integer goal ids"):
        scores_by(good.assign(goal=[1.0, 2.0]), conflicts)
    with pytest.raises(ValueError, match=r"frame\['weight'\]\[1\] = 2.0; expected a weight in \[0, 1\]"):
        scores_by(good.assign(weight=[1.0, 2.0]), conflicts)
    with pytest.raises(ValueError, match=r"frame\['time'\] at row 0 is missing"):
        scores_by(good.assign(time=[np.nan, 1.0]), conflicts)
    with pytest.raises(ValueError, match="agent 'a' has 2 rows for area 'x' at time = 0; expected at most one"):
        scores_by(good.assign(agent=["a", "a"]), conflicts)
    with pytest.raises(ValueError, match="conflicts must map each area label to its k x k matrix"):
        scores_by(good, "x")
    with pytest.raises(ValueError, match=r"conflicts\['x'\] is not symmetric"):
        scores_by(good, {"x": [[0, 1], [0.5, 0]]})
    with pytest.raises(ValueError, match="table has no column\\(s\\) \\['score'\\]"):
        plot_scores_by(pd.DataFrame({"time": [0]}))
