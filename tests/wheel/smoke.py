"""Smoke test of the library as a user installs it: a wheel, no extras, a fresh venv, a temporary folder.

Run by `make wheel-test` (part of `make test`) with the fresh venv's Python and
a temporary working directory. It prints the import time and the venv's size,
which the benchmark records too. Exits non-zero on the first failure.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def run(*args):
    return subprocess.run([sys.executable, "-m", "misalign", *args], capture_output=True, text=True)


def import_seconds(repeat=5):
    """Best wall time of `import misalign` in a fresh process, minus a bare interpreter's start."""
    def best(code):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - t)
        return min(times)
    return best("import misalign") - best("pass")


def main():
    import numpy as np

    import misalign

    here = Path.cwd()
    assert "site-packages" in misalign.__file__, misalign.__file__  # the installed copy, not a checkout
    assert not any(m in sys.modules for m in ("pandas", "matplotlib", "scipy", "dask", "numba", "pyarrow"))

    # 1. an array: the shopping case of section 6 (Tables 1-2)
    food = np.array([[0, .1, .1], [.1, 0, .1], [.1, .1, 0]])
    household = np.array([[0, .5, .9], [.5, 0, .3], [.9, .3, 0]])
    goals, weights = [[1, 1], [2, 2], [3, 3]], [[.8, .6], [.9, .7], [1.0, 1.0]]
    overall = misalign.misalignment(goals, weights, [food, household])
    assert round(overall, 4) == 0.2569, overall

    # 2. a CSV written here, scored in Python and from the shell
    (here / "agents.csv").write_text(
        "agent,area,goal,weight\n1,food,vegan,0.8\n1,household,frugal,0.6\n2,food,organic,0.9\n"
        "2,household,eco,0.7\n3,food,cheap,1.0\n3,household,brand,1.0\n")
    (here / "conflicts.csv").write_text(
        "area,goal_a,goal_b,conflict\nfood,vegan,organic,0.1\nfood,vegan,cheap,0.1\nfood,organic,cheap,0.1\n"
        "household,frugal,eco,0.5\nhousehold,frugal,brand,0.9\nhousehold,eco,brand,0.3\n")
    table = misalign.score_frame("agents.csv", "conflicts.csv")
    assert table["score"].iloc[-1] == overall, (table, overall)
    out = run("score-table", "agents.csv", "conflicts.csv")
    assert out.returncode == 0 and "0.2569" in out.stdout, out

    # 3. a bundled case study, by name
    assert misalign.load_scenario("shopping").misalignment() == overall
    out = run("score", "shopping")
    assert out.returncode == 0 and "0.2569" in out.stdout, out

    # 4. what needs an extra says which one
    (here / "agents.parquet").write_bytes(b"PAR1 not read without pyarrow")
    out = run("score-table", "agents.parquet", "conflicts.csv")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "misalign[parquet]" in out.stderr, out
    try:
        misalign.games  # noqa: B018 - the neighbouring measures need scipy
    except ImportError as exc:
        assert "misalign[neighbours]" in str(exc), exc
    else:
        raise AssertionError("misalign.games imported without scipy")

    # 5. the compendium's commands need the repository
    out = run("reproduce")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "not inside one" in out.stderr, out

    venv = Path(sys.prefix)
    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
    print(json.dumps({"import_seconds": round(import_seconds(), 3), "venv_mib": round(size / 2**20, 1),
                      "python": sys.version.split()[0]}))
    print("wheel smoke test passed", file=sys.stderr)


if __name__ == "__main__":
    os.environ.pop("MISALIGN_ROOT", None)
    main()
