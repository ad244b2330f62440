"""Case studies as data: load a scenario from TOML, validated like everything else.

A scenario file lists agent kinds (with how many agents of each kind), and
problem areas, each with its explicit goals, a full symmetric conflict matrix
over them, and which goal each agent kind holds there with what weight. An
agent kind absent from an area's ``holders`` holds the null goal g0 with weight
0. See ``data/scenarios/shopping.toml`` for a commented example.

Every error names the file, the entry and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np

from ..core import score as model
from ..core.validation import as_conflict


_BUNDLED = files("misalign") / "data" / "scenarios"


class ScenarioError(ValueError):
    """A scenario file that cannot be loaded; the message says where and why."""


@dataclass(frozen=True)
class Area:
    id: str
    description: str
    goals: tuple[str, ...]
    goal_descriptions: tuple[str, ...]
    conflict: np.ndarray


@dataclass(frozen=True)
class Scenario:
    """A loaded case study: agent kinds x areas, with goals and weights per kind."""

    name: str
    title: str
    source: str
    kinds: tuple[str, ...]
    kind_descriptions: tuple[str, ...]
    counts: np.ndarray  # agents of each kind, shape (n_kinds,)
    areas: tuple[Area, ...]
    goals: np.ndarray  # goal id (0 = none) per kind and area, shape (n_kinds, n_areas)
    weights: np.ndarray  # shape (n_kinds, n_areas)

    @property
    def conflicts(self) -> list[np.ndarray]:
        return [a.conflict for a in self.areas]

    def population(self, counts=None) -> tuple[np.ndarray, np.ndarray]:
        """Goals and weights of every agent, kinds repeated by ``counts``.

        ``counts`` defaults to the file's counts; it may be a sequence in kind
        order or a mapping from kind id to count.
        """
        if counts is None:
            c = self.counts
        elif isinstance(counts, dict):
            unknown = sorted(set(counts) - set(self.kinds))
            if unknown:
                raise ValueError(f"counts names unknown agent kinds {unknown}; expected some of {list(self.kinds)}")
            c = np.array([counts.get(k, n) for k, n in zip(self.kinds, self.counts)])
        else:
            c = np.asarray(counts)
        if c.shape != (len(self.kinds),) or not np.issubdtype(c.dtype, np.integer) or (c < 0).any():
            raise ValueError(f"counts = {counts!r}; expected {len(self.kinds)} non-negative integers, one per kind")
        return np.repeat(self.goals, c, axis=0), np.repeat(self.weights, c, axis=0)

    def area_scores(self, counts=None, **options) -> np.ndarray:
        goals, weights = self.population(counts)
        return model.area_scores(goals, weights, self.conflicts, **options)

    def misalignment(self, counts=None, **options) -> float:
        goals, weights = self.population(counts)
        return model.misalignment(goals, weights, self.conflicts, **options)


def _fail(path: Path, where: str, msg: str):
    raise ScenarioError(f"{path}: {where}: {msg}")


def _get(path, where, table, key, kind, required=True, default=None):
    if key not in table:
        if required:
            _fail(path, where, f"missing field '{key}'")
        return default
    value = table[key]
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if not ok:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        _fail(path, where, f"field '{key}' = {value!r}; expected {names}")
    return value


def bundled_scenarios() -> list[str]:
    """Names of the case studies shipped with the package (``load_scenario(name)`` loads one)."""
    return sorted(p.name[:-5] for p in _BUNDLED.iterdir() if p.name.endswith(".toml"))


def _resolve(path) -> Path:
    """A bundled scenario's file for a bare name such as ``"shopping"``; any other value is a path."""
    text = str(path)
    if isinstance(path, str) and text in bundled_scenarios() and not Path(text).exists():
        return Path(str(_BUNDLED / f"{text}.toml"))
    return Path(path)


def load_scenario(path) -> Scenario:
    """Load and validate a scenario TOML file.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        A :class:`ValueError` naming the file, the entry (``agents[2]``,
        ``areas[1] 'household'``) and the field, with the value and what was
        expected.
    """
    path = _resolve(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    top = "top level"
    name = _get(path, top, data, "name", str)
    title = _get(path, top, data, "title", str, required=False, default=name)
    source = _get(path, top, data, "source", str, required=False, default="")
    known = {"name", "title", "source", "agents", "areas"}
    for key in data:
        if key not in known:
            _fail(path, top, f"unknown field '{key}'; expected some of {sorted(known)}")

    agents = _get(path, top, data, "agents", list)
    if not agents:
        _fail(path, top, "'agents' is empty; expected at least one [[agents]] entry")
    kinds, kind_desc, counts = [], [], []
    for i, entry in enumerate(agents):
        where = f"agents[{i}]"
        if not isinstance(entry, dict):
            _fail(path, where, "expected a table ([[agents]])")
        kid = _get(path, where, entry, "id", str)
        if kid in kinds:
            _fail(path, where, f"id '{kid}' is given twice; expected unique agent ids")
        count = _get(path, where, entry, "count", int, required=False, default=1)
        if count < 0:
            _fail(path, f"{where} '{kid}'", f"count = {count}; expected a non-negative integer")
        kinds.append(kid)
        kind_desc.append(_get(path, where, entry, "description", str, required=False, default=""))
        counts.append(count)

    areas_in = _get(path, top, data, "areas", list)
    if not areas_in:
        _fail(path, top, "'areas' is empty; expected at least one [[areas]] entry")
    areas, goals, weights = [], np.zeros((len(kinds), len(areas_in)), np.int64), np.zeros((len(kinds), len(areas_in)))
    area_ids = []
    for j, entry in enumerate(areas_in):
        where = f"areas[{j}]"
        if not isinstance(entry, dict):
            _fail(path, where, "expected a table ([[areas]])")
        aid = _get(path, where, entry, "id", str)
        if aid in area_ids:
            _fail(path, where, f"id '{aid}' is given twice; expected unique area ids")
        area_ids.append(aid)
        where = f"{where} '{aid}'"
        goal_entries = _get(path, where, entry, "goals", list)
        gids, gdesc = [], []
        for gi, g in enumerate(goal_entries):
            if isinstance(g, str):
                gid, desc = g, ""
            elif isinstance(g, dict):
                gid = _get(path, f"{where} goals[{gi}]", g, "id", str)
                desc = _get(path, f"{where} goals[{gi}]", g, "description", str, required=False, default="")
            else:
                _fail(path, f"{where} goals[{gi}]", f"{g!r}; expected a goal id or a table with 'id'")
            if gid in gids:
                _fail(path, f"{where} goals[{gi}]", f"goal '{gid}' is given twice")
            gids.append(gid)
            gdesc.append(desc)
        raw = _get(path, where, entry, "conflict", list)
        try:
            conflict = np.array(raw, dtype=np.float64)
        except (TypeError, ValueError):
            _fail(path, where, f"field 'conflict' = {raw!r}; expected a {len(gids)} x {len(gids)} matrix of numbers")
        if conflict.shape != (len(gids), len(gids)):
            _fail(path, where, f"field 'conflict' has shape {conflict.shape}; expected "
                               f"({len(gids)}, {len(gids)}), one row and column per goal")
        try:
            conflict = as_conflict(conflict, "conflict")
        except ValueError as exc:
            _fail(path, where, str(exc))
        holders = _get(path, where, entry, "holders", dict)
        for kid, held in holders.items():
            hw = f"{where} holders.{kid}"
            if kid not in kinds:
                _fail(path, hw, f"unknown agent '{kid}'; expected one of {kinds}")
            if not isinstance(held, dict):
                _fail(path, hw, f"{held!r}; expected a table {{ goal = ..., weight = ... }}")
            gid = _get(path, hw, held, "goal", str)
            if gid not in gids:
                _fail(path, hw, f"goal = {gid!r} is not a goal of this area; expected one of {gids}")
            w = _get(path, hw, held, "weight", (int, float))
            if not (np.isfinite(w) and 0 <= w <= 1):
                _fail(path, hw, f"weight = {w!r}; expected a number in [0, 1]")
            i = kinds.index(kid)
            goals[i, j] = gids.index(gid) + 1
            weights[i, j] = float(w)
        areas.append(Area(aid, _get(path, where, entry, "description", str, required=False, default=""),
                          tuple(gids), tuple(gdesc), conflict))
    return Scenario(name, title, source, tuple(kinds), tuple(kind_desc), np.array(counts, dtype=np.int64),
                    tuple(areas), goals, weights)
