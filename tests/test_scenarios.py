"""Scenario files: the case studies load, score as published, and bad files say where they are wrong."""

import subprocess
import sys

import numpy as np
import pytest

from .conftest import ROOT
from misalign.tables.scenarios import ScenarioError, load_scenario

GOOD = """
name = "tiny"
[[agents]]
id = "a"
[[agents]]
id = "b"
count = 2
[[areas]]
id = "x"
goals = ["g1", "g2"]
conflict = [[0, 1], [1, 0]]
holders.a = { goal = "g1", weight = 1.0 }
holders.b = { goal = "g2", weight = 0.25 }
"""


def test_shopping_file_gives_published_scores():
    sc = load_scenario("shopping")
    assert sc.kinds == ("c", "R", "RS") and [a.id for a in sc.areas] == ["food", "household"]
    assert np.round(sc.area_scores(), 2).tolist() == [0.09, 0.42]  # section 6
    assert round(sc.misalignment(), 2) == 0.26


def test_carla_file_is_table_3():
    sc = load_scenario("carla_av")
    assert sc.counts.tolist() == [500, 500]
    assert sc.weights[0].tolist() == [0.50, 0.40, 0.35, 0.30, 0.20, 0.30, 0.30, 0.30]
    assert sc.weights[1].tolist() == [0.99, 0.15, 0.15, 0.05, 0.05, 0.05, 0.01, 0.05]


def test_counts_and_absent_holders(tmp_path):
    p = tmp_path / "tiny.toml"
    p.write_text(GOOD + '[[areas]]\nid = "y"\ngoals = ["g"]\nconflict = [[0]]\nholders.a = { goal = "g", weight = 0.5 }\n')
    sc = load_scenario(p)
    goals, weights = sc.population()
    assert goals[:, 0].tolist() == [1, 2, 2] and goals[:, 1].tolist() == [1, 0, 0]  # b holds g0 in area y
    # by hand, area x: pairs (a,b) twice conflict 1 * sqrt(0.25) = 0.5, (b,b) none: 1.0 / 3 pairs
    assert sc.area_scores()[0] == pytest.approx(1 / 3)
    assert sc.population({"b": 0})[0].shape == (1, 2)


@pytest.mark.parametrize("text, match", [
    ('name = "x"', r"top level: missing field 'agents'"),
    ('name = "x"\nfoo = 1\n', r"top level: unknown field 'foo'; expected some of agents, areas, name, source, title"),
    (GOOD.replace("count = 2", "cuont = 2"), r"agents\[1\]: unknown field 'cuont'; expected some of count, "
                                              r"description, id"),
    (GOOD.replace("weight = 1.0", "wieght = 1.0"), r"areas\[0\] 'x' holders.a: unknown field 'wieght'"),
    (GOOD.replace("[[0, 1], [1, 0]]", '[[0, "1"], [1, 0]]'), r"areas\[0\] 'x': conflict\[0\]\[1\] = '1'; expected a "
                                                           r"number in \[0, 1\]"),
    (GOOD.replace("[[0, 1], [1, 0]]", "[[0, true], [true, 0]]"), r"conflict\[0\]\[1\] = True; expected a number"),
    (GOOD.replace("weight = 0.25", 'weight = "0.25"'), r"holders.b: field 'weight' = '0.25'; expected a number"),
    (GOOD.replace("weight = 0.25", "weight = true"), r"holders.b: field 'weight' = True; expected a number"),
    (GOOD.replace("count = 2", "count = 1_000_000_000_000"), r"top level: 1,000,000,000,001 agents in 1 areas would "
                                                            r"need 14,901.2 GiB .* above the limit of 1 GiB"),
    (GOOD.replace("count = 2", "count = 2.0"), r"agents\[1\]: field 'count' = 2.0; expected a whole number"),
    ("name = [", r"not valid TOML"),
    (GOOD.replace("weight = 0.25", "weight = 1.5"), r"areas\[0\] 'x' holders.b: weight = 1.5; expected a number in \[0, 1\]"),
    (GOOD.replace('goal = "g2"', 'goal = "g9"'), r"areas\[0\] 'x' holders.b: goal = 'g9' is not a goal of this area"),
    (GOOD.replace("[[0, 1], [1, 0]]", "[[0, 1], [0.5, 0]]"), r"areas\[0\] 'x': conflict is not symmetric"),
    (GOOD.replace("[[0, 1], [1, 0]]", "[[0, 1, 0], [1, 0, 0]]"), r"areas\[0\] 'x': field 'conflict' has shape \(2, 3\); expected \(2, 2\)"),
    (GOOD.replace("count = 2", "count = -1"), r"agents\[1\] 'b': count = -1; expected a non-negative whole number"),
    (GOOD.replace("count = 2", 'count = "two"'), r"agents\[1\]: field 'count' = 'two'; expected a whole number"),
    (GOOD.replace("holders.b", "holders.z"), r"areas\[0\] 'x' holders.z: unknown agent 'z'"),
])
def test_bad_files_name_file_entry_and_field(tmp_path, text, match):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ScenarioError, match=match) as err:
        load_scenario(p)
    assert str(p) in str(err.value)


def test_a_folder_a_binary_and_an_unreadable_file_are_one_line_errors(tmp_path):
    with pytest.raises(ScenarioError, match=r"is a folder; expected a scenario TOML file"):
        load_scenario(tmp_path)
    binary = tmp_path / "x.toml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(ScenarioError, match=r"is not UTF-8 text"):
        load_scenario(binary)
    for target in (tmp_path, binary):
        out = _cli("score", str(target))
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_population_overrides_are_checked_before_allocating():
    sc = load_scenario("shopping")
    with pytest.raises(ValueError, match=r"make 3,000,000,000,000 agents in 2 areas, which need .* GiB"):
        sc.population([10**12] * 3)
    with pytest.raises(ValueError, match=r"expected 3 non-negative integers"):
        sc.population([True, 1, 1])


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "misalign", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_score_prints_area_and_overall_scores():
    out = _cli("score", "shopping")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[-3].split() == ["food", "3", "0.0897"]
    assert lines[-2].split() == ["household", "3", "0.4241"]
    assert lines[-1].split() == ["overall", "0.2569"]
    out = _cli("score", "shopping", "--pairs", "with_replacement")
    assert out.stdout.splitlines()[-1].split() == ["overall", "0.1713"]


def test_cli_bad_file_exits_nonzero_without_traceback(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(GOOD.replace("weight = 0.25", "weight = 2"))
    out = _cli("score", str(p))
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and "weight = 2" in out.stderr and "Traceback" not in out.stderr
    out = _cli("score", str(tmp_path / "missing.toml"))
    assert out.returncode == 2 and "no such file" in out.stderr
