"""The stored notebooks: parameterized, stored with outputs and counts, no volatile metadata, one figure each."""

import json
import os
import subprocess
import sys

import pytest

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


def test_a_user_can_change_a_parameter_with_papermill(tmp_path):
    # the example: papermill notebooks/01_problem_areas.ipynb out.ipynb -p runs 5
    env = {**os.environ, "MISALIGN_OUTPUT_ROOT": str(tmp_path), "MPLBACKEND": "Agg",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    out = subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", "--kernel", "python3",
                          str(NOTEBOOKS / "01_problem_areas.ipynb"), str(tmp_path / "out.ipynb"), "-p", "runs", "5"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    table = (tmp_path / "data" / "results" / "01_problem_areas.csv").read_text().splitlines()
    assert table[0].split(",")[-1] == "runs" and table[1].split(",")[-1] == "5"
    assert (tmp_path / "figures" / "01_problem_areas.png").exists()
