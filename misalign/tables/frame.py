r"""Score a population stored as tidy tables: in memory, out of core, or on a Dask cluster.

``agents`` is a long table, one row per agent and problem area (columns
``agent``, ``area``, ``goal``, ``weight``); ``conflicts`` lists the conflict of
every unordered pair of goals per area (``area``, ``goal_a``, ``goal_b``,
``conflict``). :func:`score_frame` returns exactly what :func:`misalign.misalignment`
returns on the same population, for every option, without ever holding the
population in memory at once.

The same reduction serves every backend. Each partition (a slice of a pandas
frame, or a partition of a Dask frame read from Parquet or CSV files) is
reduced to a small summary per group, area and goal,

.. math::

    N_g = |\mathcal{A}_g|, \qquad S_g = \sum_{a \in \mathcal{A}_g} w^a, \qquad
    s_g = \sum_{a \in \mathcal{A}_g} \sqrt{w^a},

and summaries add up. The area score then needs only :math:`O(k^2)` work:
:math:`s^\top C s` for the geometric weight mean, :math:`S^\top C N` for the
arithmetic one, :math:`N^\top C N` without weights (see :mod:`misalign.model`).
The minimum, maximum and harmonic means do not factorize into group sums; for
them each summary also carries the weight distribution of every goal group (how
many agents hold goal *g* with weight *w*), which merges by adding counts and is
finally scored by the model's sort-based (minimum, maximum) or atom-pairing
(harmonic) exact sums. That path needs memory proportional to the number of
distinct (goal, weight) values, at most the number of agents of one area.

The population size *n* of a group is its number of distinct agents: an agent
without a row for some area holds the null goal there. Distinct agents are
counted, and duplicate (agent, area) rows found, with one bitmap per group and
area when agent ids are integers numbered closely (1 bit per id); other ids fall
back to sorted arrays of ids, exact but with memory proportional to the number
of rows.

Labels of goals and areas may be integers or strings; ``7``, ``7.0`` and
``"7"`` name the same label, so that a table read from CSV matches one built in
code. A goal of 0, the empty string or a missing value is the null goal
:math:`g_0`; such rows may leave ``weight`` empty.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.means import WEIGHT_MEANS
from ..core.validation import AREA_MEANS, PAIRS, as_conflict, check_option
from ..core import engine
from ..core.means import MEANS, feature
from ..core.score import combine_areas

__all__ = ["score_frame"]

AGENT_COLUMNS = ("agent", "area", "goal", "weight")
CONFLICT_COLUMNS = ("area", "goal_a", "goal_b", "conflict")
OVERALL = "(overall)"
# Weight means that need the weight distribution of every goal group.
_DISTRIBUTION_MEANS = tuple(name for name, mean in MEANS.items() if not mean.factorized)
# Where each feature's per-goal sums live in a summary's (3, slots) array.
_FEATURE_ROW = {"count": 0, "weight": 1, "sqrt": 2}
# Rows per slice when a pandas frame is reduced in-process (bounds temporaries).
_PANDAS_CHUNK = 1 << 22
# Rows per block inside a partition: small enough that temporaries stay in cache
# (allocating fresh pages costs more than the arithmetic).
_BLOCK_ROWS = 1 << 15
# A merged agent bitmap may be this much sparser than the ids it holds before
# the exact sorted-array representation takes over.
_BITMAP_SLACK = 8
_INTEGER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)")
_INVALID = object()


# --------------------------------------------------------------------------- labels

def _canonical(label, goal: bool = True):
    """A label in canonical form: None if missing (or the null goal 0), int or str otherwise."""
    if label is None or label is pd.NA or label is pd.NaT:
        return None
    if isinstance(label, (bool, np.bool_)):
        return _INVALID
    if isinstance(label, (float, np.floating)):
        if np.isnan(label):
            return None
        if not float(label).is_integer():
            return _INVALID
        label = int(label)
    elif isinstance(label, (int, np.integer)):
        label = int(label)
    elif isinstance(label, str):
        if _INTEGER_TEXT.fullmatch(label):
            label = int(label)
    else:
        return _INVALID
    if label == "" or (goal and label == 0):
        return None
    return label


class _Coder:
    """Codes 1.. for a column's labels, 0 for missing; computed per row block.

    Integers of small range are coded by subtraction, block by block, with no
    partition-sized temporary; other columns are factorized once.
    """

    def __init__(self, values: pd.Series):
        if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu" and len(values):
            a = values.to_numpy()
            lo, hi = int(a.min()), int(a.max())
            if hi - lo < 1 << 16:
                self.values, self.shift, self.labels = a, lo - 1, list(range(lo, hi + 1))
                return
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        self.values, self.shift, self.labels = codes, -1, list(uniques)

    def __len__(self) -> int:
        return len(self.labels) + 1

    def block(self, lo: int, hi: int) -> np.ndarray:
        return self.values[lo:hi].astype(np.intp) - self.shift

    def label(self, code: int):
        return None if code == 0 else self.labels[code - 1]


def _show(label) -> str:
    return repr(label.item() if isinstance(label, np.generic) else label)


# --------------------------------------------------------------------------- conflicts

@dataclass(frozen=True)
class _Areas:
    """The problem areas of a conflict table: labels, goals and matrices."""

    labels: tuple
    goals: tuple  # per area, the goal labels in id order 1..k
    matrices: tuple
    offsets: np.ndarray  # first slot of each area in the per-group sum vectors

    @property
    def slots(self) -> int:
        return int(self.offsets[-1])

    @property
    def index(self) -> dict:
        return {a: j for j, a in enumerate(self.labels)}


def _read_small(table, name: str) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(table, "compute") and hasattr(table, "npartitions"):
        return table.compute()
    if isinstance(table, (str, os.PathLike)):
        files = _files(table, name)
        if all(_is_csv(f) for f in files):
            return pd.concat([pd.read_csv(f, dtype={"area": str, "goal_a": str, "goal_b": str}) for f in files],
                             ignore_index=True)
        return pd.read_parquet(files if len(files) > 1 else files[0])
    raise ValueError(f"{name} must be a pandas or Dask DataFrame or a path to CSV or Parquet files; "
                     f"got {type(table).__name__}")


def _check_columns(columns, expected, name: str) -> None:
    missing = [c for c in expected if c not in columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {', '.join(repr(c) for c in missing)}; expected columns "
                         f"{', '.join(expected)} (found {', '.join(repr(c) for c in columns) or 'none'})")


def _conflict_areas(conflicts) -> _Areas:
    table = _read_small(conflicts, "conflicts")
    _check_columns(list(table.columns), CONFLICT_COLUMNS, "conflicts")
    value = table["conflict"]
    if value.dtype.kind not in "iuf":
        raise ValueError(f"conflicts column 'conflict' has dtype {value.dtype}; expected numbers in [0, 1]")
    v = value.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(v) | (v < 0) | (v > 1)
    if bad.any():
        raise ValueError(f"conflicts column 'conflict' has value {float(v[bad][0])!r} ({int(bad.sum())} rows); "
                         "expected a finite conflict in [0, 1]")
    pairs: dict = {}
    goals: dict = {}
    for col in ("area", "goal_a", "goal_b"):
        labels = [_canonical(x, goal=col != "area") for x in table[col].tolist()]
        wrong = [(x, lab) for x, lab in zip(table[col].tolist(), labels) if lab is None or lab is _INVALID]
        if wrong:
            what = "a missing or null (0) label" if wrong[0][1] is None else "a label that is not a string or integer"
            raise ValueError(f"conflicts column {col!r} has value {_show(wrong[0][0])} ({len(wrong)} rows): "
                             f"{what}; every row names an area and two explicit goals")
        table = table.assign(**{col: pd.Series(labels, index=table.index, dtype=object)})
    for area, a, b, c in zip(table["area"], table["goal_a"], table["goal_b"], v.tolist()):
        if area == OVERALL:
            raise ValueError(f"conflicts column 'area' has value {OVERALL!r}, which is reserved for the overall "
                             "score; rename that area")
        known = goals.setdefault(area, {})
        for g in (a, b):
            known.setdefault(g, len(known))
        if a == b:
            if c != 0:
                raise ValueError(f"conflicts row for area {_show(area)}, goal_a = goal_b = {_show(a)} has conflict "
                                 f"{c!r}; a goal never conflicts with itself, expected 0")
            continue
        key = (area, *sorted((a, b), key=lambda g: known[g]))
        if key in pairs and pairs[key] != c:
            raise ValueError(f"conflicts gives area {_show(area)}, goals {_show(key[1])} and {_show(key[2])} twice "
                             f"with different values ({pairs[key]!r} and {c!r}); expected one value per pair")
        pairs[key] = c
    labels, goal_lists, matrices = [], [], []
    for area, known in goals.items():
        order = list(known)
        k = len(order)
        m = np.zeros((k, k))
        missing = []
        for i in range(k):
            for j in range(i + 1, k):
                c = pairs.get((area, order[i], order[j]))
                if c is None:
                    missing.append((order[i], order[j]))
                else:
                    m[i, j] = m[j, i] = c
        if missing:
            a, b = missing[0]
            raise ValueError(f"conflicts has no row for area {_show(area)}, goals {_show(a)} and {_show(b)} "
                             f"({len(missing)} pairs missing in that area); expected every unordered pair of the "
                             "area's goals (a row goal_a = goal_b with conflict 0 declares a goal on its own)")
        labels.append(area)
        goal_lists.append(tuple(order))
        matrices.append(as_conflict(m, f"conflict matrix of area {_show(area)}"))
    if not labels:
        raise ValueError("conflicts has no rows; expected at least one area with its goals")
    offsets = np.concatenate([[0], np.cumsum([len(g) + 1 for g in goal_lists])]).astype(np.int64)
    return _Areas(tuple(labels), tuple(goal_lists), tuple(matrices), offsets)


# --------------------------------------------------------------------------- agent sets

class _AgentSet:
    """The distinct agent ids of one group and area: a bitmap or a sorted array.

    A bitmap starts at ``lo`` (a multiple of 8) and holds bit ``i`` for id
    ``lo + i``; it is used while ids are dense. Any other set is a sorted array
    of unique ids, exact for every id type.
    """

    __slots__ = ("lo", "bits", "ids", "count")

    def __init__(self, *, lo=None, bits=None, ids=None, count=None):
        self.lo, self.bits, self.ids = lo, bits, ids
        self.count = int(count if count is not None else (ids.size if ids is not None
                                                          else np.bitwise_count(bits).sum()))

    def as_ids(self) -> np.ndarray:
        if self.ids is not None:
            return self.ids
        return self.lo + np.flatnonzero(np.unpackbits(self.bits))

    def merge(self, other: "_AgentSet") -> tuple["_AgentSet", int, object]:
        """Union, the number of ids in both, and one such id (or None)."""
        if self.bits is not None and other.bits is not None:
            lo = min(self.lo, other.lo)
            hi = max(self.lo + 8 * self.bits.size, other.lo + 8 * other.bits.size)
            if hi - lo <= _BITMAP_SLACK * (self.count + other.count) + (1 << 20):
                out = np.zeros((hi - lo) // 8, dtype=np.uint8)
                a = (self.lo - lo) // 8
                out[a:a + self.bits.size] = self.bits
                b = (other.lo - lo) // 8
                seg = out[b:b + other.bits.size]
                both = seg & other.bits
                overlap = int(np.bitwise_count(both).sum())
                example = None
                if overlap:
                    example = other.lo + int(np.flatnonzero(np.unpackbits(both))[0])
                seg |= other.bits
                return _AgentSet(lo=lo, bits=out, count=self.count + other.count - overlap), overlap, example
        x, y = self.as_ids(), other.as_ids()
        both = np.intersect1d(x, y, assume_unique=True)
        union = np.union1d(x, y)
        return _AgentSet(ids=union), int(both.size), (both[0] if both.size else None)


def _dense_span(agent: np.ndarray, n_blocks: int) -> tuple[int, int] | None:
    """(lo, span) of a bitmap over integer ids if it is small for these rows, else None."""
    if agent.dtype.kind not in "iu" or not agent.size:
        return None
    lo = int(agent.min())
    lo -= lo % 8
    span = int(agent.max()) - lo + 1
    span += -span % 8
    return (lo, span) if n_blocks * span <= 8 * agent.size + (1 << 16) else None


def _keyed_agent_sets(agent: np.ndarray, block: np.ndarray):
    """Agent sets per block as sorted arrays, surplus (duplicate) rows, one duplicated (block, id)."""
    keys = pd.DataFrame({"b": block, "a": agent})
    dup = keys.duplicated().to_numpy()
    surplus = int(dup.sum())
    example = None
    if surplus:
        first = int(np.argmax(dup))
        example = (int(block[first]), agent[first])
    sets = {int(b): _AgentSet(ids=np.sort(ids.to_numpy())) for b, ids in keys[~dup].groupby("b", sort=True)["a"]}
    return sets, surplus, example


# --------------------------------------------------------------------------- partition summaries

@dataclass(frozen=True)
class _Task:
    areas: _Areas
    by: tuple
    weight_mean: str


class _Summary:
    """What one partition contributes; summaries of disjoint rows merge exactly."""

    def __init__(self):
        self.sums = {}  # group -> (3, slots): counts, sum of w, sum of sqrt(w)
        self.agents = {}  # (group, area id) -> _AgentSet
        self.atoms = {}  # group -> Series of counts indexed by (slot, weight)
        self.problems = {}  # (kind, detail) -> [rows, example]

    def problem(self, key, rows: int, example) -> None:
        entry = self.problems.setdefault(key, [0, example])
        entry[0] += rows

    def merge(self, other: "_Summary") -> "_Summary":
        for key, (rows, example) in other.problems.items():
            self.problem(key, rows, example)
        # Agent sets keep merging after a duplicate so that every duplicate is counted.
        for key, agents in other.agents.items():
            if key in self.agents:
                agents, overlap, example = self.agents[key].merge(agents)
                if overlap:
                    self.problem(("duplicate",), overlap, (key[1], _python(example)))
            self.agents[key] = agents
        if self.problems:
            return self
        for g, s in other.sums.items():
            self.sums[g] = self.sums[g] + s if g in self.sums else s
        for g, atoms in other.atoms.items():
            if g in self.atoms:
                atoms = pd.concat([self.atoms[g], atoms]).groupby(level=[0, 1], sort=False).sum()
            self.atoms[g] = atoms
        return self


def _python(value):
    return value.item() if isinstance(value, np.generic) else value


def _slot_table(areas: _Areas, acoder: _Coder, gcoder: _Coder) -> np.ndarray:
    """Slot of every (area code, goal code): offset of the area + goal id; negative for a bad row.

    -1: no conflict table for the area (or area missing); -2: goal not listed for
    the area; -3: a goal label that is neither a string nor an integer.
    """
    table = np.full((len(acoder), len(gcoder)), -1, dtype=np.intp)
    canon = [None] + [_canonical(g) for g in gcoder.labels]
    index = areas.index
    for code in range(1, len(acoder)):
        j = index.get(_canonical(acoder.label(code), goal=False))
        if j is None:
            continue
        ids = {g: i + 1 for i, g in enumerate(areas.goals[j])}
        row = [0 if c is None else (-3 if c is _INVALID else ids.get(c, -2 - areas.offsets[j]))
               for c in canon]
        table[code] = areas.offsets[j] + np.array(row, dtype=np.intp)
    return table


def _summarize(df: pd.DataFrame, task: _Task) -> _Summary:
    """Reduce one partition of the agents table to a :class:`_Summary`.

    Labels are resolved once per partition; the rows are then streamed in
    blocks of ``_BLOCK_ROWS`` so that every temporary stays in cache.
    """
    out = _Summary()
    areas = task.areas
    m, slots = len(areas.labels), areas.slots
    rows = len(df)
    if rows == 0:
        return out
    for col in ("agent", *task.by):
        if not (isinstance(df[col].dtype, np.dtype) and df[col].dtype.kind in "iub"):  # numpy ints hold no NA
            na = df[col].isna().to_numpy()
            if na.any():
                out.problem(("missing", col), int(na.sum()), None)
    if task.by:
        keys = df[list(task.by)]
        gcode = keys.groupby(list(task.by), sort=False, dropna=False).ngroup().to_numpy(dtype=np.intp)
        groups = [tuple(_python(v) for v in t) for t in keys.drop_duplicates().itertuples(index=False, name=None)]
    else:
        gcode, groups = None, [()]
    n_groups = len(groups)
    wcol = df["weight"]
    if wcol.dtype.kind not in "iuf":
        raise ValueError(f"agents column 'weight' has dtype {wcol.dtype}; expected numbers in [0, 1]")
    weight = wcol.to_numpy(dtype=np.float64, na_value=np.nan)
    agent = df["agent"].to_numpy()
    acoder, gcoder = _Coder(df["area"]), _Coder(df["goal"])
    table = _slot_table(areas, acoder, gcoder).ravel()
    width = len(gcoder)
    area_of_slot = np.repeat(np.arange(m), np.diff(areas.offsets))
    n_blocks = n_groups * m
    dense = _dense_span(agent, n_blocks)
    seen = np.zeros(n_blocks * dense[1], dtype=bool) if dense else None
    bad_keys = np.zeros(len(table), dtype=np.int64)
    bad_weight = {}  # kind -> [rows, first row]
    size = n_groups * slots
    sums = np.zeros((3, size))
    keep = [] if (task.weight_mean in _DISTRIBUTION_MEANS or not dense) else None

    def block_of(lo, hi):
        """Group-and-area block of rows lo:hi, once every row is known to be valid."""
        area_id = area_of_slot[table[acoder.block(lo, hi) * width + gcoder.block(lo, hi)]]
        return area_id if gcode is None else gcode[lo:hi] * m + area_id

    for lo in range(0, rows, _BLOCK_ROWS):
        hi = min(rows, lo + _BLOCK_ROWS)
        key = acoder.block(lo, hi) * width + gcoder.block(lo, hi)
        slot = table[key]
        w = weight[lo:hi]
        bad = slot < 0
        if bad.any():
            bad_keys += np.bincount(key[bad], minlength=len(table))
            slot = np.where(bad, 0, slot)
        ok = (w >= 0) & (w <= 1)
        if not ok.all():
            held = slot != areas.offsets[area_of_slot[slot]]
            nan = np.isnan(w)
            for kind, wrong in (("nan", nan & held), ("range", ~ok & ~nan)):
                if wrong.any():
                    entry = bad_weight.setdefault(kind, [0, lo + int(np.argmax(wrong))])
                    entry[0] += int(wrong.sum())
            w = np.where(nan, 0.0, w)
        if bad_keys.any() or bad_weight:
            continue
        flat = slot if gcode is None else gcode[lo:hi] * slots + slot
        for name in MEANS[task.weight_mean].features:
            if name == "count":
                sums[_FEATURE_ROW[name]] += np.bincount(flat, minlength=size)
            else:
                sums[_FEATURE_ROW[name]] += np.bincount(flat, weights=feature(name, w), minlength=size)
        block = area_of_slot[slot] if gcode is None else gcode[lo:hi] * m + area_of_slot[slot]
        if dense:
            seen[block * dense[1] + (agent[lo:hi] - dense[0])] = True
        if keep is not None:
            keep.append((block, slot, w))

    for key in np.flatnonzero(bad_keys):
        a, g = divmod(int(key), width)
        label, goal = acoder.label(a), gcoder.label(g)
        area = None if label is None else _canonical(label, goal=False)
        j = None if area is None else areas.index.get(area)
        if j is None:
            out.problem(("area", area), int(bad_keys[key]), label)
        elif _canonical(goal) is _INVALID:
            out.problem(("goal label", areas.labels[j], repr(goal)), int(bad_keys[key]), goal)
        else:
            out.problem(("goal", areas.labels[j], _canonical(goal)), int(bad_keys[key]), goal)
    for kind, (count, row) in bad_weight.items():
        area = acoder.label(int(acoder.block(row, row + 1)[0]))
        out.problem(("weight", kind), count, (float(weight[row]), _python(agent[row]), area))
    if out.problems:
        return out

    sums = sums.reshape(3, n_groups, slots)
    for i, g in enumerate(groups):
        out.sums[g] = sums[:, i].copy()
    if dense:
        lo, span = dense
        present = seen.reshape(n_blocks, span)
        surplus = rows - int(np.count_nonzero(seen))
        bits = np.packbits(present, axis=1)
        sets = {int(b): _AgentSet(lo=lo, bits=bits[b].copy()) for b in np.flatnonzero(present.any(axis=1))}
        example = None
        if surplus:  # only to name one duplicate: the keyed path finds it
            _, _, example = _keyed_agent_sets(agent, np.concatenate(
                [block_of(lo, min(rows, lo + _BLOCK_ROWS)) for lo in range(0, rows, _BLOCK_ROWS)]))
    else:
        block = np.concatenate([k[0] for k in keep])
        sets, surplus, example = _keyed_agent_sets(agent, block)
    for b, agent_set in sets.items():
        gi, j = divmod(b, m)
        out.agents[(groups[gi], j)] = agent_set
    if surplus:
        out.problem(("duplicate",), surplus, (example[0] % m, _python(example[1])))

    if task.weight_mean in _DISTRIBUTION_MEANS:
        block = np.concatenate([k[0] for k in keep])
        slot = np.concatenate([k[1] for k in keep])
        w = np.concatenate([k[2] for k in keep])
        held = slot != areas.offsets[area_of_slot[slot]]
        atoms = pd.DataFrame({"g": block[held] // m, "slot": slot[held], "w": w[held]}).value_counts(sort=False)
        for gi, part in atoms.groupby(level=0, sort=False):
            out.atoms[groups[int(gi)]] = part.droplevel(0)
    return out


def _merge(*summaries: _Summary) -> _Summary:
    acc = summaries[0]
    for s in summaries[1:]:
        acc = acc.merge(s)
    return acc


# --------------------------------------------------------------------------- errors

def _raise_problems(problems: dict, areas: _Areas) -> None:
    order = {"missing": 0, "area": 1, "goal label": 2, "goal": 3, "weight": 4, "duplicate": 5}
    messages = []
    for key, (rows, example) in sorted(problems.items(), key=lambda kv: (order[kv[0][0]], repr(kv[0]))):
        kind = key[0]
        if kind == "missing":
            messages.append(f"column {key[1]!r} is missing on {rows} rows; expected a value on every row")
        elif kind == "area":
            known = ", ".join(_show(a) for a in areas.labels)
            value = "missing" if example is None else f"value {_show(example)}"
            messages.append(f"column 'area' has {value} on {rows} rows but no conflict table for it; "
                            f"the conflict table covers areas {known}")
        elif kind == "goal label":
            messages.append(f"column 'goal' has value {_show(example)} on {rows} rows in area {_show(key[1])}; "
                            "expected a goal label that is a string or an integer")
        elif kind == "goal":
            known = ", ".join(_show(g) for g in areas.goals[areas.index[key[1]]])
            messages.append(f"column 'goal' has value {_show(example)} on {rows} rows in area {_show(key[1])}, "
                            f"which the conflict table does not list; goals there: {known} (0 or empty = no goal)")
        elif kind == "weight":
            value, agent, area = example
            if key[1] == "nan":
                messages.append(f"column 'weight' is missing (NaN) on {rows} rows that hold a goal, e.g. agent "
                                f"{_show(agent)} in area {_show(area)}; expected a weight in [0, 1]")
            else:
                messages.append(f"column 'weight' has value {value!r} on {rows} rows outside [0, 1] (e.g. agent "
                                f"{_show(agent)} in area {_show(area)}); expected a weight in [0, 1]")
        else:
            j, agent = example
            messages.append(f"{rows} duplicate (agent, area) rows, e.g. agent {_show(agent)} in area "
                            f"{_show(areas.labels[j])}; expected one row per agent and area")
    more = f"; and {len(messages) - 5} more problems" if len(messages) > 5 else ""
    raise ValueError("agents table: " + "; ".join(messages[:5]) + more)


# --------------------------------------------------------------------------- backends

def _is_csv(path: str) -> bool:
    return path.lower().endswith((".csv", ".csv.gz", ".csv.bz2", ".csv.zst"))


def _files(path, name: str) -> list[str]:
    path = os.fspath(path)
    if glob.has_magic(path):
        files = sorted(glob.glob(path))
    else:
        files = [path] if os.path.exists(path) else []
    files = [os.path.abspath(f) for f in files]  # workers of a cluster may not share our working directory
    if not files:
        raise ValueError(f"{name}: no file or folder matches {path!r}; expected a CSV or Parquet path or glob")
    return files


# Parquet files with more rows than this are read in pieces of whole row groups.
_PIECE_ROWS = 1 << 22


def _parquet_pieces(files: list[str], columns: list[str]):
    """(path, row groups, hive partition values) pieces of a Parquet dataset, and its columns."""
    import pyarrow.dataset as pads

    dataset = pads.dataset(files if len(files) > 1 else files[0], format="parquet", partitioning="hive")
    names = list(dataset.schema.names)
    _check_columns(names, columns, "agents")
    pieces = []
    for fragment in dataset.get_fragments():
        keys = {k: v for k, v in pads.get_partition_keys(fragment.partition_expression).items() if k in columns}
        groups, start, rows = [], 0, 0
        meta = fragment.metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        for i, size in enumerate(sizes):
            if groups and rows + size > _PIECE_ROWS:
                pieces.append((fragment.path, groups, keys))
                groups, rows = [], 0
            groups.append(i)
            rows += size
        pieces.append((fragment.path, groups, keys))
    return pieces


def _read_piece(piece, columns: list[str]) -> pd.DataFrame:
    """One piece of a Parquet dataset as pandas, straight from pyarrow (no Dask reader overhead)."""
    import pyarrow.parquet as pq

    path, groups, keys = piece
    stored = [c for c in columns if c not in keys]
    frame = pq.ParquetFile(path).read_row_groups(groups, columns=stored).to_pandas()
    for k, v in keys.items():
        frame[k] = v
    return frame[columns]


def _summarize_piece(piece, columns: list[str], task: _Task) -> _Summary:
    """Read and reduce in one task, so that no partition ever travels between workers."""
    return _summarize(_read_piece(piece, columns), task)


def _partitions(agents, columns: list[str]):
    """The agents table as a pandas frame, or a list of (reducer, arguments) for Dask tasks."""
    if isinstance(agents, pd.DataFrame):
        _check_columns(list(agents.columns), columns, "agents")
        return agents[columns]
    # A Dask frame implies dask.dataframe is loaded; importing it otherwise costs seconds.
    dd = sys.modules.get("dask.dataframe")
    if dd is not None and isinstance(agents, dd.DataFrame):
        _check_columns(list(agents.columns), columns, "agents")
        return [(_summarize, (p,)) for p in agents[columns].to_delayed()]
    if isinstance(agents, (str, os.PathLike)):
        files = _files(agents, "agents")
        if all(_is_csv(f) for f in files):
            import dask.dataframe as dd

            frame = dd.read_csv(files, dtype={"area": str, "goal": str})
            _check_columns(list(frame.columns), columns, "agents")
            return [(_summarize, (p,)) for p in frame[columns].to_delayed()]
        return [(_summarize_piece, (piece, columns)) for piece in _parquet_pieces(files, columns)]
    raise ValueError(f"agents must be a pandas or Dask DataFrame or a path to CSV or Parquet files; "
                     f"got {type(agents).__name__}")


def _reduce(frame, task: _Task, progress: bool) -> _Summary:
    if isinstance(frame, pd.DataFrame):
        starts = range(0, max(len(frame), 1), _PANDAS_CHUNK)
        bar = _bar(len(starts), progress)
        acc = _Summary()
        for lo in starts:
            acc = acc.merge(_summarize(frame.iloc[lo:lo + _PANDAS_CHUNK], task))
            bar.update()
        bar.close()
        return acc
    import dask
    from dask.callbacks import Callback

    # A tree of merges keeps every task's input small, whatever the number of partitions.
    level = [dask.delayed(reducer, pure=True)(*args, task) for reducer, args in frame]
    bar = _bar(len(level), progress)
    while len(level) > 1:
        level = [dask.delayed(_merge, pure=True)(*level[i:i + 8]) for i in range(0, len(level), 8)]
    if not level:
        return _Summary()

    class _Progress(Callback):
        def _posttask(self, key, result, dsk, state, id):
            if isinstance(result, _Summary) and "_summarize" in str(key):
                bar.update()

    with _Progress():
        (summary,) = dask.compute(level[0])
    bar.close()
    return summary


def _bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="part", desc="scoring", disable=not enabled, delay=1.0, leave=False)


# --------------------------------------------------------------------------- scores

def _area_pair_sum(summary: _Summary, group, j: int, areas: _Areas, weight_mean: str) -> float:
    lo, hi = areas.offsets[j], areas.offsets[j + 1]
    conflict = areas.matrices[j]
    mean = MEANS[weight_mean]
    if mean.factorized:
        sums = {name: summary.sums[group][_FEATURE_ROW[name], lo:hi][None] for name in mean.features}
        return float(engine.factorized_pair_sums(weight_mean, sums, engine.padded(conflict))[0])
    atoms = summary.atoms.get(group)
    if atoms is None:
        return 0.0
    here = atoms[(atoms.index.get_level_values(0) >= lo) & (atoms.index.get_level_values(0) < hi)]
    mult = here.to_numpy(dtype=np.int64)
    goals = np.repeat(here.index.get_level_values(0).to_numpy(dtype=np.int64) - lo, mult)
    weights = np.repeat(here.index.get_level_values(1).to_numpy(dtype=np.float64), mult)
    return float(engine.ordered_pair_sums(goals[None], weights[None], conflict, weight_mean)[0])


def _group_size(summary: _Summary, group, m: int) -> int:
    union = None
    for j in range(m):
        s = summary.agents.get((group, j))
        if s is not None:
            union = s if union is None else union.merge(s)[0]
    return 0 if union is None else union.count


def _sorted_groups(groups: list) -> list:
    try:
        return sorted(groups)
    except TypeError:
        return groups


def score_frame(agents, conflicts, *, by=None, pairs="distinct", weight_mean="geometric",
                area_mean="arithmetic", normalize=False, progress=False) -> pd.DataFrame:
    r"""Score a population given as tidy tables, per area and overall, per group.

    For each group of rows (all rows if ``by`` is None) and each area *p* of the
    conflict table,

    .. math::

        \Pr(0 \mid \mathcal{A}, p) = \frac{1}{|\Pi|} \sum_{(a_1, a_2) \in \Pi}
            c(g_p^{1}, g_p^{2}) \, \bar w(w_p^{1}, w_p^{2}),

    computed from per-goal sums (see the module notes) so that the population
    never has to fit in memory, and the overall score combines the areas with
    ``area_mean``. The result equals :func:`misalign.misalignment` on the
    same population.

    Parameters
    ----------
    agents : pandas.DataFrame, dask.dataframe.DataFrame, str or path
        One row per agent and area with columns ``agent``, ``area``, ``goal``,
        ``weight`` (and the ``by`` columns). A goal of 0, ``""`` or missing is
        the null goal (its weight may be missing); other goals must be listed
        for that area in ``conflicts``. A path (or glob) names CSV files or
        Parquet files/folders, read out of core with Dask; with a
        :class:`dask.distributed.Client` active, the work runs on its cluster.
    conflicts : pandas.DataFrame, str or path
        Columns ``area``, ``goal_a``, ``goal_b``, ``conflict``: one row per
        unordered pair of goals of each area (either order; a pair repeated
        with the same value is accepted). A row with ``goal_a == goal_b`` and
        conflict 0 declares a goal on its own. The areas scored are this
        table's areas, in its order.
    by : str or sequence of str, optional
        Columns whose values split the agents into groups scored separately
        (a time step, a region, a cohort).
    pairs, weight_mean, normalize
        As in :func:`misalign.area_misalignment`; ``normalize`` uses the number
        of goals of the area in ``conflicts``.
    area_mean : {"arithmetic", "geometric", "harmonic", "min", "max"}
        How area scores combine; see :func:`misalign.combine_areas`.
    progress : bool
        Show a progress bar on stderr (after one second) while partitions are reduced.

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, "area", "n", "goals", "score"``: for every group one row
        per area (``n`` agents in the group, ``goals`` explicit goals in the
        area) followed by a row with area ``"(overall)"`` holding the combined
        score (its ``goals`` is missing). Groups are sorted by their values.

    Raises
    ------
    ValueError
        For a missing column; a conflict table with a missing, repeated
        (different values) or out-of-range pair; and, after one pass over the
        agents, for rows naming an area without a conflict table, an unknown
        goal, a weight outside [0, 1] or NaN where a goal is held, a missing
        agent or group value, or a repeated (agent, area). The message names the
        column, a value and how many rows are affected. Nothing is dropped.

    See Also
    --------
    misalign.misalignment : the same score from (agents x areas) arrays.

    References
    ----------
    .. [1] Kierans et al. (2025), section 3.

    Examples
    --------
    The shopping case of section 6 (Tables 1 and 2): food conflicts 0.1 between
    every pair; household 0.5, 0.9, 0.3.

    >>> import pandas as pd
    >>> agents = pd.DataFrame({
    ...     "agent": [1, 1, 2, 2, 3, 3],
    ...     "area": ["food", "household"] * 3,
    ...     "goal": ["vegan", "frugal", "organic", "eco", "cheap", "brand"],
    ...     "weight": [0.8, 0.6, 0.9, 0.7, 1.0, 1.0]})
    >>> conflicts = pd.DataFrame({
    ...     "area": ["food"] * 3 + ["household"] * 3,
    ...     "goal_a": ["vegan", "vegan", "organic", "frugal", "frugal", "eco"],
    ...     "goal_b": ["organic", "cheap", "cheap", "eco", "brand", "brand"],
    ...     "conflict": [0.1, 0.1, 0.1, 0.5, 0.9, 0.3]})
    >>> out = score_frame(agents, conflicts)
    >>> out.round(4)
            area  n  goals   score
    0       food  3      3  0.0897
    1  household  3      3  0.4241
    2  (overall)  3   <NA>  0.2569
    >>> import numpy as np
    >>> food = 0.1 * (np.sqrt(.8 * .9) + np.sqrt(.8) + np.sqrt(.9)) / 3
    >>> bool(np.isclose(out.score[0], food))
    True
    """
    check_option("pairs", pairs, PAIRS)
    check_option("weight_mean", weight_mean, WEIGHT_MEANS)
    check_option("area_mean", area_mean, AREA_MEANS)
    by = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    clash = [b for b in by if b in AGENT_COLUMNS]
    if clash:
        raise ValueError(f"by={list(by)!r} names column {clash[0]!r} of the agents table itself; "
                         "expected extra columns such as a time step or a region")
    areas = _conflict_areas(conflicts)
    frame = _partitions(agents, [*AGENT_COLUMNS, *by])
    summary = _reduce(frame, _Task(areas, by, weight_mean), progress)
    if summary.problems:
        _raise_problems(summary.problems, areas)
    m = len(areas.labels)
    rows = []
    for group in _sorted_groups(list(summary.sums)):
        n = _group_size(summary, group, m)
        scores = []
        for j, area in enumerate(areas.labels):
            k = len(areas.goals[j])
            pair_sum = _area_pair_sum(summary, group, j, areas, weight_mean)
            score = float(engine.scale(np.array([pair_sum]), n, k, pairs, normalize)[0])
            scores.append(score)
            rows.append((*group, area, n, k, score))
        rows.append((*group, OVERALL, n, None, combine_areas(scores, area_mean)))
    out = pd.DataFrame(rows, columns=[*by, "area", "n", "goals", "score"])
    out["n"] = out["n"].astype(np.int64)
    out["goals"] = out["goals"].astype("Int64")
    out["area"] = out["area"].astype(object)
    return out
