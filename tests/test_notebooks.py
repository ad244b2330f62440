"""The stored notebooks: parameterized, stored with outputs and counts, no volatile metadata, one figure each;
readings computed from the results, so that a run with other parameters changes them with the figure; every
figure's provenance lists every parameter of its notebook's parameters cell."""

import ast
import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image

from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"

STORED = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
VOLATILE = ('"start_time"', '"end_time"', '"duration"', '"iopub.execute_input"', '"papermill"')


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.stem)
def test_notebook_is_stored_clean(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert any("parameters" in c["metadata"].get("tags", []) for c in code), "no cell tagged 'parameters'"
    assert any(c["outputs"] for c in code), "stored without outputs"
    assert all(c["execution_count"] is not None for c in code if c["outputs"]), "outputs without execution count"
    text = path.read_text()
    for key in VOLATILE:
        assert key not in text, f"volatile metadata {key}"
    assert str(ROOT) not in text, "absolute path in a stored notebook"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("stem", ["01_problem_areas", "02_goals", "03_weight_sensitivity", "04_goal_distribution",
                                  "05_conflict_levels", "06_shopping_recommender", "07_autonomous_vehicle",
                                  "08_theorems"])
def test_each_experiment_has_its_figure_and_table(stem):
    assert (NOTEBOOKS / f"{stem}.ipynb").exists()
    for suffix in (".png", ".svg"):
        assert (ROOT / "figures" / f"{stem}{suffix}").stat().st_size > 1000
    assert (ROOT / "data" / "results" / f"{stem}.csv").exists()


def _parameter_names(source: str) -> list[str]:
    """Every name a parameters cell assigns at its top level, tuple targets (a, b = 1, 2) included."""
    names = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name) and leaf.id not in names:
                    names.append(leaf.id)
    return names


def _parameters_cell(nb: dict) -> str:
    return "".join(next(c["source"] for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])))


def _provenance(png) -> tuple[str, dict]:
    """The notebook a PNG names as its source and the parameters in its description."""
    with Image.open(png) as im:
        text = dict(im.text)
    return text["Source"], json.loads(text["Description"])


def _reading(nb: dict) -> str:
    """The Markdown that the cells tagged 'reading' display."""
    return "\n".join("".join(o["data"]["text/markdown"]) for c in nb["cells"]
                     if "reading" in c["metadata"].get("tags", []) for o in c.get("outputs", [])
                     if "text/markdown" in o.get("data", {}))


FIGURES = sorted((ROOT / "figures").glob("*.png"))


@pytest.mark.parametrize("png", FIGURES, ids=lambda p: p.stem)
def test_figure_provenance_lists_every_parameter(png):
    # the metadata are read from the parameters cell itself (compendium.outputs.parameters), so no name is left out
    source, params = _provenance(png)
    nb = json.loads((NOTEBOOKS / source).read_text())
    missing = [n for n in _parameter_names(_parameters_cell(nb)) if n not in params]
    assert not missing, f"{png.name} does not record the parameters {missing} of {source}"


# Every notebook generates its readings from its results.
COMPUTED_READINGS = [p.stem for p in STORED]


@pytest.mark.parametrize("stem", COMPUTED_READINGS)
def test_reading_is_computed(stem):
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text())
    typed = [c for c in nb["cells"] if c["cell_type"] == "markdown"
             and re.match(r"\s*(\*\*Reading\.\*\*|#+ Reading)", "".join(c["source"]))]
    assert not typed, "a reading typed in Markdown; generate it from the results in a code cell tagged 'reading'"
    assert re.search(r"(\*\*Reading\.\*\*|#+ Reading)", _reading(nb)), "no reading displayed by a cell tagged 'reading'"


def test_a_rerun_with_other_parameters_changes_the_reading(tmp_path):
    # the example, papermill notebooks/01_problem_areas.ipynb out.ipynb -p runs 5, with four goals per area
    env = {**os.environ, "MISALIGN_OUTPUT_ROOT": str(tmp_path), "MPLBACKEND": "Agg",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    out = subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", "--kernel", "python3",
                          str(NOTEBOOKS / "01_problem_areas.ipynb"), str(tmp_path / "out.ipynb"),
                          "-p", "runs", "5", "-p", "n_goals", "4"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    table = pd.read_csv(tmp_path / "data" / "results" / "01_problem_areas.csv")
    assert (table.runs == 5).all() and (table.goals == 4).all()

    stored = _reading(json.loads((NOTEBOOKS / "01_problem_areas.ipynb").read_text()))
    rerun = _reading(json.loads((tmp_path / "out.ipynb").read_text()))
    # the limit (k-1)/k moves from 2/3 to 3/4 with the number of goals ...
    assert "= 0.667 for $k$ = 3" in stored
    assert "= 0.750 for $k$ = 4" in rerun and "0.667" not in rerun
    # ... and the measured numbers are those of the new run's table: the means at the largest population
    last = table[(table.pairs == "distinct") & (table.x == table.x.max())]["mean"]
    assert f"lie between {last.min():.3f} and {last.max():.3f}" in rerun
    widths = table[table.pairs == "distinct"].assign(w=lambda d: d["max"] - d["min"]).pivot(index="x", columns="areas",
                                                                                         values="w")
    assert f"the band is {widths.loc[table.x.max(), widths.columns.max()]:.3f} wide" in rerun

    # the figure's provenance has the new values and every name of the parameters cell
    source, params = _provenance(tmp_path / "figures" / "01_problem_areas.png")
    assert source == "01_problem_areas.ipynb" and params["runs"] == 5 and params["n_goals"] == 4
    names = _parameter_names(_parameters_cell(json.loads((NOTEBOOKS / "01_problem_areas.ipynb").read_text())))
    assert sorted(params) == sorted(names)


def test_a_rerun_of_notebook_10_with_another_seed_changes_its_reading(tmp_path):
    # smaller sizes keep it short; the seed alone changes every sampled number
    env = {**os.environ, "MISALIGN_OUTPUT_ROOT": str(tmp_path), "MPLBACKEND": "Agg",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    out = subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", "--kernel", "python3",
                          str(NOTEBOOKS / "10_who_with_whom.ipynb"), str(tmp_path / "out.ipynb"),
                          "-p", "seed", "11", "-p", "coverage_reps", "40", "-p", "agents_per_step", "400",
                          "-p", "steps", "6"],
                         capture_output=True, text=True, env=env, cwd=NOTEBOOKS)
    assert out.returncode == 0, out.stderr[-2000:]
    stored = _reading(json.loads((NOTEBOOKS / "10_who_with_whom.ipynb").read_text()))
    rerun = _reading(json.loads((tmp_path / "out.ipynb").read_text()))
    series = pd.read_csv(tmp_path / "data" / "results" / "10_who_with_whom_over_time.csv")
    assert len(series) == 6
    first, last = series.iloc[0], series.iloc[-1]
    assert f"from {first['score']:.3f} to {last['score']:.3f}" in rerun
    assert "of the 6 intervals" in rerun and "Over 40 samples each" in rerun
    assert f"from {first['score']:.3f} to {last['score']:.3f}" not in stored
    _, params = _provenance(tmp_path / "figures" / "10_who_with_whom_over_time.png")
    assert params["seed"] == 11 and params["steps"] == 6
