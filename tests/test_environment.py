"""environment.yml (conda, Binder) and the pip path pin the same versions."""

import re
import tomllib

from .conftest import ROOT


def _pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        pins += extra
    return pins


def _environment_pins():
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:")
    return [ln.strip()[2:] for ln in lines[start + 1:] if ln.startswith("    - ")]


def test_every_direct_dependency_is_pinned_exactly():
    for pin in _pyproject_pins():
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z,]+\])?==[0-9][0-9A-Za-z.]*", pin), pin


def test_environment_yml_agrees_with_pyproject():
    assert sorted(_environment_pins()) == sorted(set(_pyproject_pins()))
    assert "  - python=3.11" in (ROOT / "environment.yml").read_text().splitlines()


def test_constraints_pin_the_same_versions():
    constraints = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        constraints[name.lower().replace("_", "-")] = version
    for pin in _pyproject_pins():
        name, _, version = pin.partition("==")
        name = re.sub(r"\[.*\]", "", name).lower().replace("_", "-")
        assert constraints.get(name) == version, f"{name}: pyproject {version}, constraints {constraints.get(name)}"
