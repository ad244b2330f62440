r"""The reduction of a long agents table: each chunk of rows to a small summary that merges exactly.

For every group (of the ``by`` columns) and slot (an area's null goal or one of
its goals) a summary holds the number of rows, the exact sums
(:class:`misalign.core.exact.ExactSums`) of the features the weight mean needs
(:math:`w` or :math:`\sqrt w`), and, for the minimum, maximum and harmonic
means, the count of every (slot, weight) atom. It also holds the set of agents
seen in each (group, area), to count distinct agents and find repeated
(agent, area) rows, and every problem found, with how many rows have it and
one example. Summaries of disjoint rows merge exactly and in any order, so the
score does not depend on how the rows were split.

Every row is checked, and every problem counted, before anything is scored;
nothing is dropped or coerced. See :func:`raise_problems` for the messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.exact import ExactSums
from ..core.means import MEANS, feature
from ..core.validation import MISSING
from .conflicts import Areas
from .labels import Invalid, agent_ids, canonical_many, explain_near_miss, numbers, show

__all__ = ["AGENT_COLUMNS", "MISSING", "Task", "Summary", "summarize", "raise_problems", "MAX_GROUP_BYTES",
           "bucket_of", "shard", "finish_bucket", "group_sizes"]

AGENT_COLUMNS = ("agent", "area", "goal", "weight")
#: The largest per-group sums held at once (groups x slots x 8 bytes x features).
MAX_GROUP_BYTES = 1 << 30
# Rows per block inside a chunk: temporaries stay in cache.
_BLOCK_ROWS = 1 << 15
# A merged agent bitmap may be this much sparser than the ids it holds before
# the exact sorted-array representation takes over.
_BITMAP_SLACK = 8
# Messages shown at most; the rest are counted.
_SHOWN = 5


@dataclass(frozen=True)
class Task:
    """What every chunk is reduced for."""

    areas: Areas
    by: tuple
    weight_mean: str
    missing: str = "g0"
    probability: str | None = None  # the column of goal probabilities, if goals are uncertain
    keep: bool = False  # keep the checked rows themselves (to build arrays) instead of summing them
    buckets: int = 1  # agent sets are split by a hash of the agent id, for reductions on several workers

    @property
    def features(self) -> tuple:
        mean = MEANS[self.weight_mean]
        return tuple(f for f in mean.features if f != "count")

    @property
    def atoms(self) -> bool:
        return not MEANS[self.weight_mean].factorized


# --------------------------------------------------------------------------- agent sets

class AgentSet:
    """The distinct agent ids of one group and area: a bitmap or a sorted array.

    A bitmap starts at ``lo`` (a multiple of 8) and holds bit ``i`` for id
    ``lo + i``; it is used while ids are dense integers. Any other set is a
    sorted array of unique ids, exact for every id type.
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

    def merge(self, other: "AgentSet") -> tuple["AgentSet", int, object]:
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
                return AgentSet(lo=lo, bits=out, count=self.count + other.count - overlap), overlap, example
        x, y = self.as_ids(), other.as_ids()
        if (x.dtype == object) != (y.dtype == object):  # integer ids meet text ids: all are text
            x, y = _as_text(x), _as_text(y)
        both = np.intersect1d(x, y, assume_unique=True)
        union = np.union1d(x, y)
        return AgentSet(ids=union), int(both.size), (both[0] if both.size else None)


def _as_text(ids: np.ndarray) -> np.ndarray:
    if ids.dtype == object:
        return ids
    return np.sort(np.array([str(i) for i in ids.tolist()], dtype=object))


def _dense_span(agent: np.ndarray, n_blocks: int) -> tuple[int, int] | None:
    """(lo, span) of a bitmap over integer ids if it is small for these rows, else None."""
    if agent.dtype.kind not in "iu" or not agent.size:
        return None
    lo = int(agent.min())
    lo -= lo % 8
    span = int(agent.max()) - lo + 1
    span += -span % 8
    return (lo, span) if n_blocks * span <= 8 * agent.size + (1 << 16) else None


def _agent_sets(agent: np.ndarray, block: np.ndarray, n_blocks: int):
    """Agent sets per (group, area) block, the number of surplus (duplicate) rows, and their positions."""
    dense = _dense_span(agent, n_blocks)
    if dense:
        lo, span = dense
        seen = np.bincount(block * span + (agent - lo), minlength=n_blocks * span)
        surplus = int(agent.size - np.count_nonzero(seen))
        present = (seen > 0).reshape(n_blocks, span)
        bits = np.packbits(present, axis=1)
        sets = {int(b): AgentSet(lo=lo, bits=bits[b].copy()) for b in np.flatnonzero(present.any(axis=1))}
    else:
        keys = pd.DataFrame({"b": block, "a": agent})
        dup = keys.duplicated().to_numpy()
        surplus = int(dup.sum())
        sets = {int(b): AgentSet(ids=np.sort(ids.to_numpy())) for b, ids in keys[~dup].groupby("b", sort=True)["a"]}
    repeats = np.zeros(0, dtype=np.int64)
    if surplus:
        keys = pd.DataFrame({"b": block, "a": agent})
        repeats = np.flatnonzero(keys.duplicated().to_numpy())
    return sets, surplus, repeats


# --------------------------------------------------------------------------- summaries

class Summary:
    """What some rows contribute; summaries of disjoint rows merge exactly, in any order."""

    def __init__(self, task: Task):
        self.task = task
        self.counts: dict = {}  # group -> int64 (slots,) rows per slot
        self.sums: dict = {}  # group -> {feature: ExactSums(slots)}
        self.atoms: dict = {}  # group -> {(slot, weight): count}
        # (bucket, group, area index) -> AgentSet; (bucket, group, area index, slot) with probabilities
        self.agents: dict = {}
        self.sizes: dict = {}  # group -> distinct agents, once a bucket's sets are counted (finish_bucket)
        self.kept: dict = {}  # group -> list of row arrays (agent, slot, probability, weight) with probabilities
        self.problems: dict = {}  # key -> [rows, example]
        self.rows = 0

    def problem(self, key, rows: int, example) -> None:
        entry = self.problems.setdefault(key, [0, example])
        entry[0] += rows
        if entry[1] is not example and example and "low" in example:  # the range of values over every row
            entry[1] = {**entry[1], "low": min(entry[1]["low"], example["low"]),
                        "high": max(entry[1]["high"], example["high"])}

    def merge(self, other: "Summary") -> "Summary":
        self.rows += other.rows
        for key, (rows, example) in other.problems.items():
            self.problem(key, rows, example)
        # Agent sets keep merging after a problem, so that every duplicate is counted.
        for key, agents in other.agents.items():
            if key in self.agents:
                agents, overlap, example = self.agents[key].merge(agents)
                if overlap:
                    kind = "duplicate goal" if self.task.probability else "duplicate"
                    self.problem((kind, key[2]), overlap, {"agent": _shown_id(example, key[0], self.task)})
            self.agents[key] = agents
        for g, size in other.sizes.items():
            self.sizes[g] = self.sizes.get(g, 0) + size
        if self.problems:
            self.counts, self.sums, self.atoms, self.kept = {}, {}, {}, {}
            return self
        for g, parts in other.kept.items():
            self.kept.setdefault(g, []).extend(parts)
        for g, c in other.counts.items():
            self.counts[g] = self.counts[g] + c if g in self.counts else c
        for g, sums in other.sums.items():
            if g in self.sums:
                for name, s in sums.items():
                    self.sums[g][name].merge(s)
            else:
                self.sums[g] = sums
        for g, atoms in other.atoms.items():
            mine = self.atoms.setdefault(g, {})
            for key, count in atoms.items():
                mine[key] = mine.get(key, 0) + count
        _check_group_memory(self)
        return self


def _python(value):
    return value.item() if isinstance(value, np.generic) else value


def _shown_id(key, bucket: int, task: Task):
    """An agent id as stored in a bucket's set, back as the agent's id (integer ids are stored divided)."""
    key = _python(key)
    if isinstance(key, int) and task.buckets > 1:
        return key * task.buckets + bucket
    return key


def bucket_of(agent: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket, stored id) of every agent id: ``id % B`` and ``id // B`` for integers, a hash of the text otherwise.

    The hash (:func:`pandas.util.hash_array`, a fixed key) is the same in every process.
    """
    if buckets == 1:
        return np.zeros(agent.size, dtype=np.int64), agent
    if agent.dtype.kind in "iu":
        return (agent % buckets).astype(np.int64), agent // buckets
    hashed = pd.util.hash_array(agent.astype(object), categorize=True)
    return (hashed % np.uint64(buckets)).astype(np.int64), agent


def shard(summary: Summary, bucket: int | None, sums: bool = False) -> Summary:
    """The agent sets of one bucket, with the summary's sums and problems if ``sums`` (``bucket`` None: those alone)."""
    out = Summary(summary.task)
    if bucket is None or sums:
        out.counts, out.sums, out.atoms, out.kept = summary.counts, summary.sums, summary.atoms, summary.kept
        out.problems, out.rows = summary.problems, summary.rows
    if bucket is not None:
        out.agents = {k: v for k, v in summary.agents.items() if k[0] == bucket}
    return out


def finish_bucket(summary: Summary) -> Summary:
    """Count each group's distinct agents in one bucket and drop the sets (what a bucket's merge tree returns)."""
    out = Summary(summary.task)
    out.problems = summary.problems
    by_group: dict = {}
    for key, agent_set in summary.agents.items():
        by_group.setdefault(key[1], []).append(agent_set)
    out.sizes = {g: _union_count(sets) for g, sets in by_group.items()}
    return out


def _union_count(sets: list) -> int:
    """The number of distinct ids in the union of agent sets (bitmaps ORed in one pass where they align)."""
    bitmaps = [s for s in sets if s.bits is not None]
    others = [s for s in sets if s.bits is None]
    count = 0
    if bitmaps:
        lo = min(s.lo for s in bitmaps)
        hi = max(s.lo + 8 * s.bits.size for s in bitmaps)
        union = np.zeros((hi - lo) // 8, dtype=np.uint8)
        for s in bitmaps:
            a = (s.lo - lo) // 8
            union[a:a + s.bits.size] |= s.bits
        if not others:
            return int(np.bitwise_count(union).sum())
        others.append(AgentSet(lo=lo, bits=union))
    union = others[0]
    for s in others[1:]:
        union = union.merge(s)[0]
    return union.count + count


def group_sizes(summary: Summary) -> dict:
    """Distinct agents per group, from the finished buckets and any sets not yet counted."""
    sizes = dict(summary.sizes)
    for g, n in finish_bucket(summary).sizes.items():
        sizes[g] = sizes.get(g, 0) + n
    return sizes


def _check_group_memory(summary: Summary) -> None:
    per_group = summary.task.areas.slots * 8 * (1 + len(summary.task.features))
    need = per_group * len(summary.counts)
    if need > MAX_GROUP_BYTES:
        by = ", ".join(summary.task.by)
        raise ValueError(f"by=[{by}] splits the agents into {len(summary.counts):,} groups or more, whose sums over "
                         f"{summary.task.areas.slots:,} goal slots need {need / 2**30:.1f} GiB, above the limit of "
                         f"{MAX_GROUP_BYTES / 2**30:.0f} GiB; expected columns with fewer distinct values "
                         "(a time step, a region, a cohort)")


# Before the compiled reduction is loaded in this process, chunks take the numpy
# path until the rows it has summarized add up to this many; the next chunk loads
# the kernel. Its load costs about 0.7 s, the numpy path about 100 ns a row more
# than the kernel (2 x 10^6-row Parquet piece: 0.18-0.29 s against 0.06-0.09 s),
# so a process never pays much more than the best choice in hindsight would
# (the rule of ski rental), and a small table scored first never pays the load.
_KERNEL_COLD_ROWS = 1 << 23
_cold_rows = 0
# Integer labels of at most this range are looked up in a table indexed by value.
_TABLE_RANGE = 1 << 16


def _int_range(values: pd.Series, limit: int | None = _TABLE_RANGE):
    dtype = values.dtype
    if not (isinstance(dtype, np.dtype) and dtype.kind in "iu") or not len(values):
        return None
    a = values.to_numpy()
    lo, hi = int(a.min()), int(a.max())
    return (a, lo, hi) if limit is None or hi - lo < limit else None


def _fast(frame, task: Task) -> Summary | None:
    """The compiled one-pass reduction of a chunk whose columns are numbers, or None if it does not apply.

    Applies when numba is installed (and loaded, or the chunk is large), the
    area, goal and agent columns are integers of small range (agents: dense
    enough for a bitmap), the weights are floats, there are no ``by`` columns,
    probabilities or kept rows, and the weight mean factorizes. Any row the
    kernel refuses, or a repeated (agent, area), sends the chunk back to the
    numpy path, which names the problem.
    """
    from ..core import kernels

    global _cold_rows
    if task.by or task.probability or task.keep or task.atoms or not kernels.available():
        return None
    area, goal, agent = _int_range(frame["area"]), _int_range(frame["goal"]), _int_range(frame["agent"], None)
    weight = frame["weight"]
    if area is None or goal is None or agent is None or weight.dtype != np.float64:
        return None
    if not kernels.loaded() and _cold_rows < _KERNEL_COLD_ROWS:
        _cold_rows += len(frame)
        return None
    areas = task.areas
    m, slots = len(areas.labels), areas.slots
    (a, a_lo, a_hi), (g, g_lo, g_hi), (ag, ag_lo, ag_hi) = area, goal, agent
    width = g_hi - g_lo + 1
    table = np.full((a_hi - a_lo + 1) * width, -1, dtype=np.int64)
    for av in range(a_lo, a_hi + 1):
        j = areas.index.get(av)
        if j is None:
            continue
        ids = {lab: i + 1 for i, lab in enumerate(areas.goals[j])}
        for gv in range(g_lo, g_hi + 1):
            table[(av - a_lo) * width + (gv - g_lo)] = (areas.offsets[j] if gv == 0 else
                                                       (areas.offsets[j] + ids[gv] if gv in ids else -1))
    buckets = task.buckets
    lo_st, hi_st = (ag_lo // buckets, ag_hi // buckets) if ag_lo >= 0 else (None, None)
    if lo_st is None:
        return None
    lo_st -= lo_st % 8
    span = hi_st - lo_st + 1
    span += -span % 8
    n_blocks = buckets * m
    if n_blocks * span > 8 * len(frame) + (1 << 16):
        return None  # ids too sparse for a bitmap
    area_of = np.repeat(np.arange(m), np.diff(areas.offsets)).astype(np.int64)
    null_of = areas.offsets[area_of].astype(np.int64)
    with_sqrt, with_weight = "sqrt" in task.features, "weight" in task.features
    counts = np.zeros(slots, dtype=np.int64)
    size = slots * 1075
    empty = np.zeros(1, dtype=np.int64)
    hs, ls = (np.zeros(size, np.int64), np.zeros(size, np.int64)) if with_sqrt else (empty, empty)
    hw, lw = (np.zeros(size, np.int64), np.zeros(size, np.int64)) if with_weight else (empty, empty)
    seen = np.zeros(n_blocks * span, dtype=np.uint8)
    bad = kernels.table_kernel()(a, g, ag, weight.to_numpy(), table, a_lo, g_lo, width, null_of, area_of, m, buckets,
                                 lo_st, span, with_sqrt, with_weight, counts, hs, ls, hw, lw, seen)
    if bad or (seen > 1).any():
        return None  # a refused row, or a repeated (agent, area): the numpy path says which
    out = Summary(task)
    out.rows = len(frame)
    out.counts[()] = counts
    out.sums[()] = {}
    if with_sqrt:
        out.sums[()]["sqrt"] = ExactSums.from_accumulators(slots, hs.astype(np.float64), ls.astype(np.float64))
    if with_weight:
        out.sums[()]["weight"] = ExactSums.from_accumulators(slots, hw.astype(np.float64), lw.astype(np.float64))
    present = (seen > 0).reshape(n_blocks, span)
    bits = np.packbits(present, axis=1)
    for b in np.flatnonzero(present.any(axis=1)).tolist():
        bk, j = divmod(b, m)
        out.agents[(bk, (), j)] = AgentSet(lo=lo_st, bits=bits[b].copy())
    return out


def summarize(frame: pd.DataFrame, task: Task, place) -> Summary:
    """Reduce one chunk of the agents table (raw columns) to a :class:`Summary`.

    ``place(row label)`` says where a row is, for messages ("line 7 of a.csv").
    """
    fast = _fast(frame, task)
    if fast is not None:
        return fast
    out = Summary(task)
    areas = task.areas
    m, slots = len(areas.labels), areas.slots
    rows = len(frame)
    out.rows = rows
    if rows == 0:
        return out
    index = frame.index

    # agents and groups: a value on every row
    agent = agent_ids(frame["agent"])

    def where(i) -> dict:
        return {"place": place(index[i]), "agent": _python(agent[i])}

    gone = np.array([a is None for a in agent], dtype=bool) if agent.dtype == object else np.zeros(rows, bool)
    empty_columns = [("agent", gone)]
    group_code = np.zeros(rows, dtype=np.int64)
    groups: list = [()]
    bad_groups: list = []
    if task.by:
        parts = []
        for col in task.by:
            codes, labels = canonical_many(frame[col], goal=False)
            missing = codes < 0
            empty_columns.append((col, missing))
            for c, lab in enumerate(labels):
                if isinstance(lab, Invalid):
                    bad_groups.append((col, lab, codes == c))
            gone |= missing | np.isin(codes, [c for c, lab in enumerate(labels) if isinstance(lab, Invalid)])
            parts.append((np.maximum(codes, 0), labels))
        combined = np.zeros(rows, dtype=np.int64)
        for codes, labels in parts:
            combined = combined * max(1, len(labels)) + codes
        uniq, group_code = np.unique(combined, return_inverse=True)
        group_code = group_code.ravel()
        groups = []
        for u in uniq.tolist():
            key = []
            for codes, labels in reversed(parts):
                u, c = divmod(u, max(1, len(labels)))
                key.append(labels[c] if labels else None)
            groups.append(tuple(reversed(key)))
    n_groups = len(groups)

    # areas and goals: every label by the rules, every goal listed for its area
    acodes, alabels = canonical_many(frame["area"], goal=False)
    area_of_code = np.full(len(alabels) + 1, -1, dtype=np.int64)
    for c, lab in enumerate(alabels):
        hit = None
        if isinstance(lab, Invalid):
            hit = acodes == c
            out.problem(("area label", show(lab), lab.what), int(hit.sum()), where(int(np.argmax(hit))))
        elif lab in areas.index:
            area_of_code[c] = areas.index[lab]
        else:
            hit = acodes == c
            out.problem(("area", lab), int(hit.sum()), where(int(np.argmax(hit))))
    no_area = acodes < 0
    if no_area.any():
        out.problem(("missing", "area"), int(no_area.sum()), where(int(np.argmax(no_area))))
    area_id = area_of_code[acodes]  # -1: missing or bad area
    for col, empty in empty_columns:
        for j in np.unique(area_id[empty]).tolist():
            hit = empty & (area_id == j)
            out.problem(("missing", col, areas.labels[j] if j >= 0 else None), int(hit.sum()),
                        where(int(np.argmax(hit))))
    for col, lab, bad in bad_groups:
        for j in np.unique(area_id[bad]).tolist():
            hit = bad & (area_id == j)
            out.problem(("by", col, show(lab), lab.what, areas.labels[j] if j >= 0 else None), int(hit.sum()),
                        where(int(np.argmax(hit))))
    gcodes, glabels = canonical_many(frame["goal"], goal=True)
    # slot of every row: offset + goal id; the offset alone for the null goal; -1 a bad label; -2 not listed
    slot = _slots(area_id, gcodes, glabels, areas)
    bad_goal = (slot == -1) | (slot == -2)
    if bad_goal.any():
        for j in np.unique(area_id[bad_goal]).tolist():
            in_area = bad_goal & (area_id == j)
            for c in np.unique(gcodes[in_area]).tolist():
                hit = in_area & (gcodes == c)
                lab = glabels[c]
                i = int(np.argmax(hit))
                if isinstance(lab, Invalid):
                    key = ("goal label", areas.labels[j], show(lab), lab.what)
                else:
                    key = ("goal", areas.labels[j], lab)
                out.problem(key, int(hit.sum()), where(i))

    # weights: a number in [0, 1] where given; required where a goal is held
    w, not_number = numbers(frame["weight"])
    valid_slot = slot >= 0
    held = valid_slot & (slot != areas.offsets[np.maximum(area_id, 0)])
    nan = np.isnan(w) & ~not_number
    out_of_range = ~np.isnan(w) & ((w < 0) | (w > 1))
    for kind, wrong in (("missing", nan & held), ("text", not_number), ("range", out_of_range)):
        if not wrong.any():
            continue
        for j in np.unique(area_id[wrong]).tolist():
            hit = wrong & (area_id == j)
            i = int(np.argmax(hit))
            example = where(i)
            example["value"] = frame["weight"].iloc[i]
            if kind == "range":
                example["low"], example["high"] = float(w[hit].min()), float(w[hit].max())
            area_label = areas.labels[j] if j >= 0 else None
            out.problem(("weight", kind, area_label), int(hit.sum()), example)

    # agent sets per (group, area), over every row with an agent, a group and an area
    # probabilities of uncertain goals: a number in [0, 1] on every row
    if task.probability:
        prob, not_prob = numbers(frame[task.probability])
        wrong = not_prob | np.isnan(prob) | (prob < 0) | (prob > 1)
        for j in np.unique(area_id[wrong]).tolist():
            hit = wrong & (area_id == j)
            i = int(np.argmax(hit))
            example = where(i)
            example["value"] = frame[task.probability].iloc[i]
            out.problem(("probability", task.probability, areas.labels[j] if j >= 0 else None), int(hit.sum()),
                        example)

    # agent sets per (group, area) (per (group, slot) with probabilities: one row per goal), over every row with
    # an agent, a group and an area
    keep = ~gone & (area_id >= 0) & (slot >= 0 if task.probability else True)
    if task.probability:
        block = group_code * slots + np.maximum(slot, 0)
        n_blocks = n_groups * slots
    else:
        block = group_code * m + area_id
        n_blocks = n_groups * m
    if keep.any():
        bucket, stored = bucket_of(agent[keep], task.buckets)
        sets, surplus, repeats = _agent_sets(stored, bucket * n_blocks + block[keep], task.buckets * n_blocks)
        for b, agent_set in sets.items():
            bk, b = divmod(b, n_blocks)
            if task.probability:
                gi, s_ = divmod(b, slots)
                j = int(np.searchsorted(areas.offsets, s_, side="right") - 1)
                out.agents[(bk, groups[gi], j, s_)] = agent_set
            else:
                gi, j = divmod(b, m)
                out.agents[(bk, groups[gi], j)] = agent_set
        if surplus:  # each repeated row under its own area, the first of them as the example
            rows_of = np.flatnonzero(keep)[repeats]
            kind = "duplicate goal" if task.probability else "duplicate"
            for j in np.unique(area_id[rows_of]).tolist():
                mine = rows_of[area_id[rows_of] == j]
                out.problem((kind, int(j)), int(mine.size), where(int(mine[0])))
    if out.problems:
        return out

    if task.probability or task.keep:  # the rows themselves, for per-group arrays (misalign.tables.arrays)
        mass = prob if task.probability else np.ones(rows)
        for gi, g in enumerate(groups):
            mine = group_code == gi
            out.kept.setdefault(g, []).append((agent[mine], slot[mine], mass[mine], w[mine]))
        return out

    # sums: rows per slot, exact feature sums, atoms
    w = np.where(np.isnan(w), 0.0, w)
    counts = np.bincount(group_code * slots + slot, minlength=n_groups * slots).reshape(n_groups, slots)
    order = np.argsort(group_code, kind="stable") if n_groups > 1 else None
    bounds = np.searchsorted(group_code[order], np.arange(n_groups + 1)) if n_groups > 1 else [0, rows]
    for gi, g in enumerate(groups):
        out.counts[g] = counts[gi]
        out.sums[g] = {name: ExactSums(slots) for name in task.features}
        take = slice(bounds[gi], bounds[gi + 1]) if order is None else order[bounds[gi]:bounds[gi + 1]]
        g_slot, g_w = slot[take], w[take]
        for lo in range(0, g_slot.size, _BLOCK_ROWS):
            for name, sums in out.sums[g].items():
                sums.add(g_slot[lo:lo + _BLOCK_ROWS], feature(name, g_w[lo:lo + _BLOCK_ROWS]))
    if task.atoms:
        atoms = pd.DataFrame({"g": group_code[held], "slot": slot[held], "w": w[held]}).value_counts(sort=False)
        for (gi, s, weight), count in atoms.items():
            out.atoms.setdefault(groups[int(gi)], {})[(int(s), float(weight))] = int(count)
    _check_group_memory(out)
    return out


# Largest (areas x distinct goal labels) lookup table built per chunk; beyond it
# only the (area, goal) pairs present are looked up.
_TABLE_ENTRIES = 1 << 20


def _slot_of(j: int, lab, areas: Areas, ids: dict) -> int:
    if isinstance(lab, Invalid):
        return -1
    i = ids.get(lab)
    return -2 if i is None else int(areas.offsets[j]) + i


def _slots(area_id: np.ndarray, gcodes: np.ndarray, glabels: list, areas: Areas) -> np.ndarray:
    """Each row's slot (-1 invalid goal label, -2 goal not listed for its area, -3 bad area)."""
    m, width = len(areas.labels), len(glabels) + 1
    ids = [{g: i + 1 for i, g in enumerate(goals)} for goals in areas.goals]
    if m * width <= _TABLE_ENTRIES:
        table = np.empty((m + 1, width), dtype=np.int64)
        for j in range(m):
            table[j, :-1] = [_slot_of(j, lab, areas, ids[j]) for lab in glabels]
            table[j, -1] = areas.offsets[j]  # code -1: the null goal
        table[m] = -3  # area id -1: a bad area
        # one flat lookup: area id -1 reads the last row, goal code -1 the last column
        return table.ravel()[np.where(area_id >= 0, area_id, m) * width + np.where(gcodes >= 0, gcodes, width - 1)]
    # many distinct labels: look up only the (area, goal) pairs that occur
    key = np.where(area_id >= 0, area_id * width + (gcodes + 1), -1)
    pairs, inverse = np.unique(key, return_inverse=True)
    values = np.empty(pairs.size, dtype=np.int64)
    for t, pair in enumerate(pairs.tolist()):
        if pair < 0:
            values[t] = -3
            continue
        j, code = divmod(pair, width)
        values[t] = int(areas.offsets[j]) if code == 0 else _slot_of(j, glabels[code - 1], areas, ids[j])
    return values[inverse.ravel()]


# --------------------------------------------------------------------------- messages

_ORDER = {"missing": 0, "by": 1, "area label": 2, "area": 3, "goal label": 4, "goal": 5, "weight": 6,
          "probability": 7, "duplicate": 8, "duplicate goal": 9}


def _at(example) -> str:
    if not example:
        return ""
    bits = []
    if example.get("agent") is not None:
        bits.append(f"agent {show(example['agent'])}")
    if example.get("place"):
        bits.append(example["place"])
    return f" (e.g. {', '.join(bits)})" if bits else ""


def raise_problems(problems: dict, areas: Areas) -> None:
    """Raise one :class:`ValueError` listing the problems of the agents table, most basic first."""
    messages = []
    for key, (rows, example) in sorted(problems.items(), key=lambda kv: (_ORDER[kv[0][0]], repr(kv[0]))):
        kind = key[0]
        n = f"{rows:,} row{'s' if rows != 1 else ''}"
        if kind == "missing":
            where = f" in area {show(key[2])}" if len(key) > 2 and key[2] is not None else ""
            messages.append(f"column {key[1]!r} is empty on {n}{where}{_at(example)}; expected a value on every row")
        elif kind == "by":
            where = f" in area {show(key[4])}" if key[4] is not None else ""
            messages.append(f"column {key[1]!r} has {key[2]}{where} on {n} ({key[3]}){_at(example)}; expected group "
                            "values that are strings or whole numbers")
        elif kind == "area label":
            messages.append(f"column 'area' has {key[1]} on {n} ({key[2]}){_at(example)}; expected an area label "
                            "(a string or a whole number)")
        elif kind == "area":
            known = ", ".join(show(a) for a in areas.labels[:12]) + (", ..." if len(areas.labels) > 12 else "")
            near = explain_near_miss(key[1], areas.labels)
            messages.append(f"column 'area' has {show(key[1])} on {n}{_at(example)}, an area the conflicts table "
                            f"does not list{near}; it lists {known}")
        elif kind == "goal label":
            messages.append(f"column 'goal' has {key[2]} in area {show(key[1])} on {n} ({key[3]}){_at(example)}; "
                            "expected a goal label (a string or a whole number; 0 or empty = no goal)")
        elif kind == "goal":
            goals = areas.goals[areas.index[key[1]]]
            known = ", ".join(show(g) for g in goals[:12]) + (", ..." if len(goals) > 12 else "")
            near = explain_near_miss(key[2], goals)
            messages.append(f"column 'goal' has {show(key[2])} in area {show(key[1])} on {n}{_at(example)}, a goal "
                            f"the conflicts table does not list for that area{near}; goals there: {known} "
                            "(0 or empty = no goal)")
        elif kind == "weight":
            what, area = key[1], key[2]
            where = f" in area {show(area)}" if area is not None else ""
            if what == "missing":
                messages.append(f"column 'weight' is empty on {n} that hold a goal{where}{_at(example)}; expected "
                                "a weight in [0, 1]")
            elif what == "text":
                messages.append(f"column 'weight' has {show(example['value'])}{where} on {n}{_at(example)}, which "
                                "is not a number; expected a weight in [0, 1] (or an empty cell where no goal is held)")
            else:
                span = (f"value {example['low']!r}" if example["low"] == example["high"]
                        else f"values from {example['low']!r} to {example['high']!r}")
                messages.append(f"column 'weight' is outside [0, 1] on {n}{where}: {span}{_at(example)}; "
                                "expected a weight in [0, 1] (rescale other scales first, e.g. (x - 1) / 4 for 1-5)")
        elif kind == "probability":
            where = f" in area {show(key[2])}" if key[2] is not None else ""
            value = example.get("value")
            blank = value is None or (isinstance(value, str) and not value.strip()) or value != value
            verb = "is empty" if blank else f"has {show(value)}"
            messages.append(f"column {key[1]!r} {verb}{where} on {n}{_at(example)}; expected a probability in [0, 1] "
                            "on every row")
        elif kind == "duplicate goal":
            verb = "repeats" if n.startswith("1 ") else "repeat"
            messages.append(f"{n} {verb} an (agent, area, goal) in area {show(areas.labels[key[1]])}{_at(example)}; "
                            "expected one row per agent, area and goal (with goal probabilities; all rows of one "
                            "agent in one area in the same file or partition)")
        else:
            verb = "repeats" if n.startswith("1 ") else "repeat"
            messages.append(f"{n} {verb} an (agent, area) pair in area {show(areas.labels[key[1]])}{_at(example)}; "
                            "expected one row per agent and area")
    more = f"; and {len(messages) - _SHOWN} more problems" if len(messages) > _SHOWN else ""
    raise ValueError("agents table: " + "; ".join(messages[:_SHOWN]) + more)
