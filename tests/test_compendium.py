"""The runner behind `make reproduce`: all or nothing, and clean notebooks."""

import json
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from misalign.compendium import runner as compendium


def _notebook(path, source):
    nb = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]}), new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, c in enumerate(nb.cells):
        c.id = f"cell-{i}"
    nbformat.write(nb, path)


WRITES = """
import pandas as pd
from misalign.compendium.outputs import write_results
write_results(pd.DataFrame({"x": [x]}), "{stem}")
print("done")
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "data" / "results").mkdir(parents=True)
    (tmp_path / "figures").mkdir()
    _notebook(tmp_path / "notebooks" / "01_good.ipynb", WRITES.replace("{stem}", "01_good"))
    (tmp_path / "data" / "results" / "01_good.csv").write_text("committed\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "misalign"\n')
    monkeypatch.setenv("MISALIGN_ROOT", str(tmp_path))
    return tmp_path


def _snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*") if p.is_file() and "build" not in p.parts}


def test_success_publishes_clean_notebooks_and_outputs(repo, capsys):
    assert compendium.reproduce() == 0
    assert (repo / "data" / "results" / "01_good.csv").read_text() == "x\n1\n"
    nb = json.loads((repo / "notebooks" / "01_good.ipynb").read_text())
    text = json.dumps(nb)
    assert "papermill" not in text and "start_time" not in text
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[1]["outputs"][0]["text"] == ["done\n"] and code[1]["execution_count"] == 2
    out = capsys.readouterr().out
    assert "01_good" in out and " ok" in out and "total" in out
    assert not any((repo / "build").iterdir())  # staging removed


def test_a_failure_publishes_nothing(repo, capsys):
    _notebook(repo / "notebooks" / "02_bad.ipynb", "raise RuntimeError('boom')")
    before = _snapshot(repo)
    assert compendium.reproduce() == 1
    assert _snapshot(repo) == before
    out = capsys.readouterr()
    assert "02_bad" in out.out and "failed" in out.out and "nothing was published" in out.out
    assert "boom" in out.err
    assert not any((repo / "build").iterdir())


def test_an_interrupt_publishes_nothing(repo, monkeypatch):
    _notebook(repo / "notebooks" / "02_second.ipynb", WRITES.replace("{stem}", "02_second"))
    real = compendium.execute
    calls = []

    def interrupted(src, dst, parameters=None):
        calls.append(src.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(src, dst, parameters)

    monkeypatch.setattr(compendium, "execute", interrupted)
    before = _snapshot(repo)
    with pytest.raises(KeyboardInterrupt):
        compendium.reproduce()
    assert _snapshot(repo) == before
    assert not any((repo / "build").iterdir())


def test_unknown_notebook_prefix(repo):
    with pytest.raises(ValueError, match="no notebook matches"):
        compendium.reproduce(["99"])


def test_reproduce_outside_the_repository_says_so_in_one_line(tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.delenv("MISALIGN_ROOT", raising=False)
    out = subprocess.run([sys.executable, "-m", "misalign", "reproduce"], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "not inside one" in out.stderr, out.stderr


def _tree(root):
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
            for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("fail_at", range(1, 10))
def test_publishing_is_one_transaction(tmp_path, fail_at):
    # the committed tree: two of the three outputs exist; the staged run replaces both and adds one
    root, staging = tmp_path / "repo", tmp_path / "build" / "staging"
    for rel, text in (("figures/a.png", "old a"), ("data/results/a.csv", "old table")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for rel in ("figures/a.png", "data/results/a.csv", "notebooks/new/a.ipynb"):
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_text("new " + rel)
    before = _tree(root)
    calls = []

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == fail_at:
            raise OSError(28, "No space left on device", str(dst))
        os.replace(src, dst)

    total_renames = 5  # 3 new files in, 2 old files aside
    if fail_at <= total_renames:
        with pytest.raises(OSError, match="No space left"):
            compendium.publish(staging, root, rename=rename)
        assert _tree(root) == before  # every committed file as it was, no new folder left
        assert not (root / "notebooks").exists()
        assert sorted(_tree(staging)) == ["data/results/a.csv", "figures/a.png", "notebooks/new/a.ipynb"]
    else:
        assert compendium.publish(staging, root, rename=rename) == [
            "data/results/a.csv", "figures/a.png", "notebooks/new/a.ipynb"]
        assert (root / "figures/a.png").read_text() == "new figures/a.png"
    assert [p.name for p in staging.parent.iterdir()] == ["staging"]  # no backup folder left behind


def test_published_files_have_ordinary_permissions(repo):
    assert compendium.reproduce() == 0
    for rel in ("data/results/01_good.csv", "notebooks/01_good.ipynb"):
        mode = (repo / rel).stat().st_mode & 0o777
        assert mode == 0o666 & ~_umask(), (rel, oct(mode))


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_notebooks_run_side_by_side_publish_the_same(repo, capsys):
    # two worker processes: the outputs, and the order of the report, are those of one at a time
    _notebook(repo / "notebooks" / "02_second.ipynb", WRITES.replace("{stem}", "02_second"))
    assert compendium.reproduce(jobs=2) == 0
    parallel = _snapshot(repo)
    assert compendium.reproduce(jobs=1) == 0
    assert _snapshot(repo) == parallel
    assert parallel["data/results/02_second.csv"] == b"x\n1\n"
    out = capsys.readouterr().out
    assert out.index("01_good") < out.index("02_second") and "(2 at a time)" in out


def test_a_failure_side_by_side_publishes_nothing(repo, capsys):
    _notebook(repo / "notebooks" / "02_bad.ipynb", "raise RuntimeError('boom')")
    before = _snapshot(repo)
    assert compendium.reproduce(jobs=2) == 1
    assert _snapshot(repo) == before
    assert "boom" in capsys.readouterr().err
    assert not any((repo / "build").iterdir())


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True])
def test_a_bad_number_of_jobs_is_named(repo, jobs):
    with pytest.raises(ValueError, match=f"jobs={jobs!r}; expected a whole number of notebooks to run at once"):
        compendium.reproduce(jobs=jobs)


@pytest.mark.parametrize("value", ["0", "two"])
def test_cli_refuses_a_bad_number_of_jobs(value):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "misalign", "reproduce", "--jobs", value], capture_output=True, text=True)
    assert out.returncode == 2
    assert f"argument --jobs: {value!r}; expected a whole number, at least 1" in out.stderr
