"""Case studies as data: load a scenario from TOML, validated like everything else.

A scenario file lists agent kinds (with how many agents of each kind), and
problem areas, each with its explicit goals, a full symmetric conflict matrix
over them, and which goal each agent kind holds there with what weight. An
agent kind absent from an area's ``holders`` holds the null goal g0 with weight
0. The case studies of the paper ship with the package (``misalign/data/scenarios/``;
``load_scenario("shopping")``); ``shopping.toml`` there is a commented example.

The schema is strict: an unknown field is an error listing the valid ones, and
numbers must be numbers (not strings, not booleans). Every error names the
file, the entry and the field.
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
            values = [counts.get(k, n) for k, n in zip(self.kinds, self.counts)]
            c = np.array(values) if not any(isinstance(x, (bool, np.bool_)) for x in values) else np.array([], bool)
        else:
            c = np.asarray(counts)
            if c.dtype == object or (not isinstance(counts, np.ndarray)
                                    and any(isinstance(x, (bool, np.bool_)) for x in counts)):
                c = np.asarray([], dtype=bool)  # refused below
        if c.shape != (len(self.kinds),) or c.dtype == bool or not np.issubdtype(c.dtype, np.integer) \
                or (c < 0).any():
            raise ValueError(f"counts = {counts!r}; expected {len(self.kinds)} non-negative integers, one per kind")
        need = 16 * int(c.sum()) * len(self.areas)
        if need > MAX_POPULATION_BYTES:
            raise ValueError(f"counts = {counts!r} make {int(c.sum()):,} agents in {len(self.areas)} areas, which "
                             f"need {need / 2**30:,.1f} GiB, above the limit of "
                             f"{MAX_POPULATION_BYTES / 2**30:.0f} GiB; expected counts that fit in memory")
        return np.repeat(self.goals, c, axis=0), np.repeat(self.weights, c, axis=0)

    def area_scores(self, counts=None, **options) -> np.ndarray:
        goals, weights = self.population(counts)
        return model.area_scores(goals, weights, self.conflicts, **options)

    def misalignment(self, counts=None, **options) -> float:
        goals, weights = self.population(counts)
        return model.misalignment(goals, weights, self.conflicts, **options)


#: The largest population a scenario may expand to (goals and weights of every
#: agent in every area, 16 bytes each): 1 GiB, about 67 million agent-areas.
MAX_POPULATION_BYTES = 1 << 30

# The schema: every table's fields, their types and whether they are required.
# Anything else in a file is an error listing the valid fields.
_TOP = {"name": (str, True), "title": (str, False), "source": (str, False), "agents": (list, True),
        "areas": (list, True)}
_AGENT = {"id": (str, True), "count": (int, False), "description": (str, False)}
_AREA = {"id": (str, True), "description": (str, False), "goals": (list, True), "conflict": (list, True),
         "holders": (dict, True)}
_GOAL = {"id": (str, True), "description": (str, False)}
_HOLDER = {"goal": (str, True), "weight": ((int, float), True)}
_NAMES = {str: "a string", int: "a whole number", list: "an array", dict: "a table", (int, float): "a number"}


def _fail(path: Path, where: str, msg: str):
    raise ScenarioError(f"{path}: {where}: {msg}")


def _check_table(path, where, table, schema) -> None:
    """Every field of ``table`` known to ``schema``, every required one present, each of its type."""
    unknown = sorted(set(table) - set(schema))
    if unknown:
        _fail(path, where, f"unknown field {unknown[0]!r}; expected some of {', '.join(sorted(schema))}")
    for key, (kind, required) in schema.items():
        if key not in table:
            if required:
                _fail(path, where, f"missing field {key!r}")
            continue
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            _fail(path, where, f"field {key!r} = {value!r}; expected {_NAMES[kind]}")


def _read(path: Path) -> dict:
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder; expected a scenario TOML file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: is not UTF-8 text (byte {exc.start} cannot be decoded); expected a scenario "
                            "TOML file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None


def _check_size(path, where, total: int, areas: int) -> None:
    need = 16 * total * max(areas, 1)
    if need > MAX_POPULATION_BYTES:
        raise ScenarioError(f"{path}: {where}: {total:,} agents in {areas} areas would need {need / 2**30:,.1f} GiB "
                            f"of goals and weights, above the limit of {MAX_POPULATION_BYTES / 2**30:.0f} GiB; "
                            "expected counts that fit in memory (the score depends only on the shares of the kinds: "
                            "scale the counts down)")


def bundled_scenarios() -> list[str]:
    """Names of the case studies shipped with the package (``load_scenario(name)`` loads one)."""
    return sorted(p.name[:-5] for p in _BUNDLED.iterdir() if p.name.endswith(".toml"))


def _resolve(path) -> Path:
    """A bundled scenario's file for a name such as ``"shopping"`` (or ``"shopping.toml"``) that is no file here."""
    if isinstance(path, str) and not Path(path).exists():
        name = path[:-5] if path.endswith(".toml") else path
        if name in bundled_scenarios():
            return Path(str(_BUNDLED / f"{name}.toml"))
    return Path(path)


def load_scenario(path) -> Scenario:
    """Load and validate a scenario TOML file, or a bundled case study by name.

    Parameters
    ----------
    path : str or pathlib.Path
        A file, or the name of a bundled case study (``"shopping"``,
        ``"carla_av"``; see :func:`bundled_scenarios`).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        A :class:`ValueError` naming the file, the entry (``agents[2]``,
        ``areas[1] 'household'``) and the field, with the value and what was
        expected: an unknown field (listing the valid ones), a field of the
        wrong type (numbers must be numbers, never strings or booleans), a
        count that is negative or whose population would not fit in memory, a
        bad conflict matrix or weight; a folder, a binary or unreadable file.
    """
    path = _resolve(path)
    data = _read(path)
    top = "top level"
    _check_table(path, top, data, _TOP)
    name = data["name"]
    title = data.get("title", name)
    source = data.get("source", "")

    agents = data["agents"]
    if not agents:
        _fail(path, top, "'agents' is empty; expected at least one [[agents]] entry")
    kinds, kind_desc, counts = [], [], []
    for i, entry in enumerate(agents):
        where = f"agents[{i}]"
        if not isinstance(entry, dict):
            _fail(path, where, "expected a table ([[agents]])")
        _check_table(path, where, entry, _AGENT)
        kid = entry["id"]
        if kid in kinds:
            _fail(path, where, f"id {kid!r} is given twice; expected unique agent ids")
        count = entry.get("count", 1)
        if count < 0:
            _fail(path, f"{where} {kid!r}", f"count = {count}; expected a non-negative whole number")
        kinds.append(kid)
        kind_desc.append(entry.get("description", ""))
        counts.append(count)

    areas_in = data["areas"]
    if not areas_in:
        _fail(path, top, "'areas' is empty; expected at least one [[areas]] entry")
    _check_size(path, top, sum(counts), len(areas_in))
    areas, goals, weights = [], np.zeros((len(kinds), len(areas_in)), np.int64), np.zeros((len(kinds), len(areas_in)))
    area_ids = []
    for j, entry in enumerate(areas_in):
        where = f"areas[{j}]"
        if not isinstance(entry, dict):
            _fail(path, where, "expected a table ([[areas]])")
        _check_table(path, where, entry, _AREA)
        aid = entry["id"]
        if aid in area_ids:
            _fail(path, where, f"id {aid!r} is given twice; expected unique area ids")
        area_ids.append(aid)
        where = f"{where} {aid!r}"
        gids, gdesc = [], []
        for gi, g in enumerate(entry["goals"]):
            if isinstance(g, str):
                gid, desc = g, ""
            elif isinstance(g, dict):
                _check_table(path, f"{where} goals[{gi}]", g, _GOAL)
                gid, desc = g["id"], g.get("description", "")
            else:
                _fail(path, f"{where} goals[{gi}]", f"{g!r}; expected a goal id or a table with 'id'")
            if gid in gids:
                _fail(path, f"{where} goals[{gi}]", f"goal {gid!r} is given twice")
            gids.append(gid)
            gdesc.append(desc)
        raw = entry["conflict"]
        k = len(gids)
        if len(raw) != k or any(not isinstance(row, list) or len(row) != k for row in raw):
            shape = (len(raw), *(sorted({len(r) for r in raw if isinstance(r, list)}) or [0]))
            _fail(path, where, f"field 'conflict' has shape {shape}; expected ({k}, {k}), one row and column "
                               "per goal")
        for r, row in enumerate(raw):
            for c, x in enumerate(row):
                if isinstance(x, bool) or not isinstance(x, (int, float)):
                    _fail(path, where, f"conflict[{r}][{c}] = {x!r}; expected a number in [0, 1]")
        try:
            conflict = as_conflict(np.array(raw, dtype=np.float64).reshape(k, k), "conflict")
        except ValueError as exc:
            _fail(path, where, str(exc))
        for kid, held in entry["holders"].items():
            hw = f"{where} holders.{kid}"
            if kid not in kinds:
                _fail(path, hw, f"unknown agent {kid!r}; expected one of {', '.join(kinds)}")
            if not isinstance(held, dict):
                _fail(path, hw, f"{held!r}; expected a table {{ goal = ..., weight = ... }}")
            _check_table(path, hw, held, _HOLDER)
            gid, w = held["goal"], held["weight"]
            if gid not in gids:
                _fail(path, hw, f"goal = {gid!r} is not a goal of this area; expected one of {', '.join(gids)}")
            if not (np.isfinite(w) and 0 <= w <= 1):
                _fail(path, hw, f"weight = {w!r}; expected a number in [0, 1]")
            i = kinds.index(kid)
            goals[i, j] = gids.index(gid) + 1
            weights[i, j] = float(w)
        areas.append(Area(aid, entry.get("description", ""), tuple(gids), tuple(gdesc), conflict))
    return Scenario(name, title, source, tuple(kinds), tuple(kind_desc), np.array(counts, dtype=np.int64),
                    tuple(areas), goals, weights)
