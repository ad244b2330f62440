"""Binder, JupyterLab and citation metadata: the files outside the package that other tools read."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib

import yaml

import misalign
from .conftest import ROOT


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def test_environment_yml_has_the_form_binder_reads():
    env = _environment()
    assert set(env) == {"name", "channels", "dependencies"}
    assert env["name"] == "misalign" and env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert conda == ["python=3.11", "pip"]
    assert len(pip) == 1 and list(pip[0]) == ["pip"]
    for pin in pip[0]["pip"]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z,]+\])?==[0-9][0-9A-Za-z.]*", pin), pin


def test_binder_gets_jupyterlab_widgets_and_the_kernel_packages():
    names = {re.split(r"[\[=]", p)[0].lower() for p in _environment()["dependencies"][-1]["pip"]}
    assert {"jupyterlab", "ipywidgets", "ipykernel", "matplotlib", "numpy"} <= names


def test_postbuild_installs_the_package_without_touching_the_pins():
    post = ROOT / "postBuild"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash\n") and os.access(post, os.X_OK)
    assert "python -m pip install --no-deps -e ." in text
    assert 'ipykernel install --sys-prefix --name misalign --display-name "Python (misalign)"' in text


def test_make_lab_registers_the_kernel_under_the_project_name():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab = makefile[makefile.index("\nlab:"):]
    assert 'ipykernel install --sys-prefix --name misalign --display-name "Python (misalign)"' in lab
    assert "jupyter lab" in lab


def _lab_command(*args: str) -> str:
    """The command `make lab` runs (printed by `make -n`, nothing started), with these make arguments."""
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "BROWSER", "MAKEFLAGS")}
    out = subprocess.run(["make", "-n", "lab", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return next(line for line in out.splitlines() if "jupyter lab" in line and "echo" not in line)


def test_make_lab_takes_a_port_opens_no_browser_when_asked_and_runs_as_root():
    line = _lab_command("PORT=8899", "BROWSER=no")
    assert "--ServerApp.port=8899" in line and "--ServerApp.port_retries=0" in line and "--no-browser" in line
    assert ("--allow-root" in line) == (os.geteuid() == 0)  # JupyterLab refuses root without it
    default = _lab_command()
    assert "--ServerApp.port=8888" in default and "--no-browser" not in default


def test_citation_cff_names_the_software_and_prefers_the_paper():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cff["version"] == version == misalign.__version__
    assert cff["authors"] and cff["title"].startswith("misalign")
    paper = cff["preferred-citation"]
    # the paper's first page: authors in order, venue, arXiv number
    assert [a["family-names"] for a in paper["authors"]] == ["Kierans", "Ghosh", "Hazan", "Dori-Hacohen"]
    assert paper["title"] == ("Quantifying Misalignment Between Agents: "
                              "Towards a Sociotechnical Understanding of Alignment")
    assert paper["year"] == 2025 and "AAAI" in paper["collection-title"]
    assert {"type": "other", "value": "arXiv:2406.04231", "description": "The arXiv preprint"} in paper["identifiers"]
