r"""Score a population stored as tidy tables: in memory, out of core, or on a Dask cluster.

``agents`` is a long table, one row per agent and problem area (columns
``agent``, ``area``, ``goal``, ``weight``); ``conflicts`` lists the conflict of
every unordered pair of goals per area (:mod:`misalign.tables.conflicts`).
:func:`score_frame` returns the score of :func:`misalign.misalignment` on the
same population, for every option, without ever holding the population in
memory at once.

Every route (a pandas frame, CSV or Parquet files, a Dask frame, one process or
a cluster) reads the table by the same rules (:mod:`misalign.tables.labels`,
:mod:`misalign.tables.read`), reduces it chunk by chunk to per-goal summaries
(:mod:`misalign.tables.summary`) and scores the summaries with the engine
(:mod:`misalign.core.engine`). The summaries' sums are exact, so the score is
the same to the last bit on every route and however the rows are split.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pandas as pd

from ..core import engine
from ..core.means import MEANS, WEIGHT_MEANS
from ..core.score import combine_areas
from ..core.validation import AREA_MEANS, PAIRS, check_option
from ..util import Progress, require, usable_cpus
from .conflicts import OVERALL, Areas, read_conflicts
from .labels import show
from .read import Columns, Piece, Source, open_table, where_in
from .summary import AGENT_COLUMNS, MISSING, Summary, Task, finish_bucket, group_sizes, raise_problems, shard, summarize

__all__ = ["score_frame", "AGENT_COLUMNS", "OVERALL", "MISSING"]

# Summaries merged per task of the merge tree.
_FAN_IN = 8


# --------------------------------------------------------------------------- reduction

def summarize_piece(piece: Piece, task: Task) -> Summary:
    """Read and reduce one piece, chunk by chunk (one task: no partition travels between workers)."""
    acc = Summary(task)
    place = where_in(piece)
    for frame in piece.frames():
        acc.merge(summarize(frame, task, place))
    return acc


def merge_summaries(*summaries: Summary) -> Summary:
    """Merge summaries (a node of the merge tree)."""
    acc = summaries[0]
    for s in summaries[1:]:
        acc = acc.merge(s)
    return acc


def finish_all(summary: Summary) -> Summary:
    """A root summary with its agent sets replaced by each group's count (as the client needs it)."""
    counted = finish_bucket(summary)
    out = shard(summary, None)
    out.sizes = counted.sizes
    out.problems = {**summary.problems, **counted.problems}
    return out


def _client():
    """The active dask.distributed client, if there is one."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        return distributed.default_client()
    except ValueError:
        return None


def reduce_source(source: Source, task: Task, progress: bool) -> Summary:
    """Reduce every piece of ``source`` to one :class:`Summary` (in this process, or on Dask)."""
    if source.kind == "dask":
        pieces = [Piece("dask", f"partition {i}", source.columns, dict(partition=p))
                  for i, p in enumerate(source.dask_partitions)]
        return _reduce_on_dask(pieces, task, progress, delayed_input=True)
    if _client() is not None:
        return _reduce_on_dask(source.pieces, task, progress)
    acc = Summary(task)
    with Progress(len(source.pieces), "scoring", enabled=progress) as bar:
        for piece in source.pieces:
            acc.merge(summarize_piece(piece, task))
            bar.update()
    return acc


def _summarize_partition(partition: pd.DataFrame, where: str, columns: list, task: Task) -> Summary:
    return summarize_piece(Piece("pandas", where, columns, dict(frame=partition)), task)


def _plan(submit, parts: list, buckets: int):
    """The reduction after the pieces' summaries ``parts``: merge trees, then the counts of agents.

    ``submit(f, *args)`` schedules one call (a Dask future or a delayed call). With one bucket one tree
    merges sums and agent sets alike and its root counts the agents; with more, each summary is split
    by a hash of the agent id into one share of its agent sets per bucket (the first share also
    carrying its sums), every bucket merged in its own tree (which also finds repeated (agent, area)
    rows) and only its counts kept. The split is made after a first merge of the pieces in groups.
    """
    def tree(level):  # every task's input stays small, whatever the number of pieces
        while len(level) > 1:
            level = [submit(merge_summaries, *level[i:i + _FAN_IN]) for i in range(0, len(level), _FAN_IN)]
        return level[0]

    if buckets == 1:
        return submit(finish_all, tree(parts))
    # Pieces are merged whole in groups of _FAN_IN first, then split: one split task per group and
    # bucket, not per piece and bucket (each task costs the scheduler a few milliseconds).
    leaves = [submit(merge_summaries, *parts[i:i + _FAN_IN]) for i in range(0, len(parts), _FAN_IN)]
    roots = [tree([submit(shard, leaf, b, b == 0) for leaf in leaves]) for b in range(buckets)]
    return submit(merge_summaries, submit(finish_all, roots[0]), *[submit(finish_bucket, r) for r in roots[1:]])


def _reduce_on_dask(pieces: list[Piece], task: Task, progress: bool, delayed_input: bool = False) -> Summary:
    """Reduce on Dask: pieces to summaries on the workers, merged there in trees (see :func:`_plan`).

    The client receives one summary of size groups x slots, never sets of
    agents. With a ``dask.distributed`` client every call is submitted as a
    future at once, so the workers start on the first piece while the rest is
    being scheduled (no graph is built or tokenized on the client); a Dask
    DataFrame without a client runs as one delayed graph on Dask's local
    scheduler.
    """
    dask = require("dask", "dask", "scoring a Dask DataFrame or on a cluster")
    if not pieces:
        return Summary(task)
    client = _client()
    buckets = max(1, sum(client.nthreads().values())) if client is not None else usable_cpus()
    task = dataclasses.replace(task, buckets=buckets)
    bar = Progress(len(pieces), "scoring", enabled=progress)
    if client is not None:
        from distributed import as_completed

        def submit(f, *args):
            return client.submit(f, *args, pure=False)

        if delayed_input:
            inputs = client.compute([p.args["partition"] for p in pieces])
            parts = [submit(_summarize_partition, x, p.where, p.columns, task) for x, p in zip(inputs, pieces)]
        else:
            parts = [submit(summarize_piece, p, task) for p in pieces]
        final = _plan(submit, parts, buckets)
        with bar:
            for _ in as_completed(parts):
                bar.update()
            return final.result()

    def delayed(f, *args):
        return dask.delayed(f, pure=True)(*args)

    parts = [delayed(_summarize_partition, p.args["partition"], p.where, p.columns, task) for p in pieces]
    final = _plan(delayed, parts, buckets)
    from dask.callbacks import Callback

    class _Progress(Callback):
        def _posttask(self, key, result, dsk, state, id):
            if "summarize" in str(key):
                bar.update()

    with _Progress(), bar:
        (summary,) = dask.compute(final)
    return summary


# --------------------------------------------------------------------------- scores

def _pair_sum(summary: Summary, group, j: int, areas: Areas, weight_mean: str) -> float:
    lo, hi = areas.offsets[j], areas.offsets[j + 1]
    conflict = areas.matrices[j]
    mean = MEANS[weight_mean]
    if mean.factorized:
        sums = {}
        for name in mean.features:
            if name == "count":
                sums[name] = summary.counts[group][lo:hi].astype(np.float64)[None]
            else:
                sums[name] = summary.sums[group][name].values()[lo:hi][None]
        return float(engine.factorized_pair_sums(weight_mean, sums, engine.padded(conflict))[0])
    atoms = sorted((s - lo, w, c) for (s, w), c in summary.atoms.get(group, {}).items() if lo <= s < hi)
    if not atoms:
        return 0.0
    goals = np.repeat(np.array([a[0] for a in atoms], dtype=np.int64), [a[2] for a in atoms])
    weights = np.repeat(np.array([a[1] for a in atoms]), [a[2] for a in atoms])
    return float(engine.ordered_pair_sums(goals[None], weights[None], conflict, weight_mean)[0])


def _uncertain_scores(summary: Summary, group, task: Task, pairs: str, normalize: bool):
    """Per area (n in the area, expected score) of a group whose goals come with probabilities."""
    from ..core.expected import SUM_TOLERANCE, expected_area_scores

    areas = task.areas
    parts = summary.kept[group]
    agent = np.concatenate([p[0] for p in parts]).astype(object)
    slot, prob, weight = (np.concatenate([p[i] for p in parts]) for i in (1, 2, 3))
    text = np.array([str(a) for a in agent], dtype=object)  # one agent order on every route
    ids, who = np.unique(text, return_inverse=True)
    who = who.ravel()
    out = []
    for j, label in enumerate(areas.labels):
        lo, hi = int(areas.offsets[j]), int(areas.offsets[j + 1])
        here = (slot >= lo) & (slot < hi)
        p = np.zeros((ids.size, hi - lo))
        np.add.at(p, (who[here], slot[here] - lo), prob[here])
        held = here & (slot > lo)
        w = np.zeros(ids.size)
        w[who[held]] = weight[held]
        differ = held & (weight != w[who])
        if differ.any():
            i = int(np.argmax(differ))
            raise ValueError(f"agents table: agent {show(agent[i])} has weights {float(w[who[i]])!r} and "
                             f"{float(weight[i])!r} in area {show(label)}; expected one weight per agent and area on "
                             "all its goal rows")
        total = p.sum(axis=1)
        over = total > 1 + SUM_TOLERANCE
        if over.any():
            i = int(np.argmax(over))
            raise ValueError(f"agents table: the probabilities of agent {show(ids[i])} in area {show(label)} sum to "
                             f"{float(total[i]):.10g}; expected at most 1 (the rest is no goal)")
        p[:, 0] += np.clip(1 - total, 0, None)
        if task.missing == "exclude":
            partial = (p[:, 0] > SUM_TOLERANCE) & (p[:, 0] < 1 - SUM_TOLERANCE)
            if partial.any():
                i = int(np.argmax(partial))
                raise ValueError(f"agents table: agent {show(ids[i])} holds no goal in area {show(label)} with "
                                 f"probability {float(p[i, 0]):.10g}; with missing='exclude' an agent either answered (its goal "
                                 "probabilities sum to 1) or did not (no goal, or no row)")
            p[:, 0] = np.where(p[:, 0] > 0.5, 1.0, 0.0)
            p[p[:, 0] == 1.0, 1:] = 0.0
        score = expected_area_scores([p], w[:, None], [areas.matrices[j]], pairs=pairs, weight_mean=task.weight_mean,
                                     normalize=normalize, missing=task.missing)[0]
        size = ids.size if task.missing == "g0" else int((p[:, 0] == 0).sum())
        out.append((size, float(score)))
    return out


def _whole_pieces(source: Source) -> Source:
    """The same source with every piece read as one frame (for goal probabilities)."""
    if source.kind == "dask":
        return source
    pieces = []
    for piece in source.pieces:
        frames = [f.to_frame() if isinstance(f, Columns) else f for f in piece.frames()]
        frame = pd.concat(frames) if len(frames) > 1 else frames[0]
        pieces.append(Piece("pandas", piece.where, piece.columns, dict(frame=frame), piece.first_row, piece.kind))
    return Source(source.name, source.kind, pieces, source.columns)


def sort_key(group):
    """Groups sorted by their values: whole numbers before text."""
    return tuple((isinstance(v, str), v) for v in group)


def score_frame(agents, conflicts, *, by=None, missing="g0", pairs="distinct", weight_mean="geometric",
                area_mean="arithmetic", normalize=False, probability=None, sep=None, na_values=None,
                progress=False) -> pd.DataFrame:
    r"""Score a population given as tidy tables, per area and overall, per group.

    For each group of rows (all rows if ``by`` is None) and each area *p* of the
    conflicts table,

    .. math::

        \Pr(0 \mid \mathcal{A}, p) = \frac{1}{|\Pi|} \sum_{(a_1, a_2) \in \Pi}
            c(g_p^{1}, g_p^{2}) \, \bar w(w_p^{1}, w_p^{2}),

    computed from exact per-goal sums, so that the population never has to fit
    in memory and every route gives the same score to the last bit; the overall
    score combines the areas with ``area_mean``. The result equals
    :func:`misalign.misalignment` on the same population (to rounding).

    Parameters
    ----------
    agents : pandas.DataFrame, dask.dataframe.DataFrame, str or path
        One row per agent and area with columns ``agent``, ``area``, ``goal``,
        ``weight`` (and the ``by`` columns). A path names a CSV or Parquet
        file, a folder of them, or a glob; files are read piece by piece, and on
        the cluster of an active :class:`dask.distributed.Client` if there is one.
        Labels follow :mod:`misalign.tables.labels`: a goal is a string or a
        whole number (``7``, ``7.0``, ``"7"`` are one label); 0 or an empty
        cell is no goal, and then ``weight`` may be empty. Agent ids are
        compared by their exact text. A Dask frame holds what Dask made of
        the data: ``dask.dataframe.from_pandas`` turns object columns into
        text by default (``dataframe.convert-string``), bytes included.
    conflicts : pandas.DataFrame, str or path
        Columns ``area``, ``goal_a``, ``goal_b``, ``conflict``: one row per
        unordered pair of goals of each area (see
        :func:`misalign.tables.conflicts.read_conflicts`). The areas scored are
        this table's areas, in its order.
    by : str or sequence of str, optional
        Columns whose values split the agents into groups scored separately
        (a time step, a region, a cohort); their values follow the label rules.
    missing : {"g0", "exclude"}
        An agent of the group without a row, or with an empty goal, in an area:
        ``"g0"`` (the paper's reading) counts it in that area's population with
        the null goal, which conflicts with nothing; ``"exclude"`` leaves it out
        of that area's population, so ``n`` and the score describe those who
        answered (non-response, as survey research usually wants).
    pairs, weight_mean, normalize
        As in :func:`misalign.area_misalignment`; ``normalize`` uses the number
        of goals of the area in ``conflicts``.
    area_mean : {"arithmetic", "geometric", "harmonic", "min", "max"}
        How area scores combine; see :func:`misalign.combine_areas`.
    probability : str, optional
        The column of goal probabilities, when agents hold goals with
        uncertainty (a survey cell's answer shares, a model's answer
        distribution): one row per agent, area and goal, each with its
        probability (a row with an empty goal carries the probability of no
        goal; probabilities missing from 1 are no goal too). The score is the
        exact expectation over independent draws of every agent's goal
        (:func:`misalign.core.expected.expected_area_scores`), and the rows are
        held in memory: all rows of one agent in one area must be in the same
        file or partition.
    sep : str, optional
        The delimiter of CSV files; by default the one of ``,``, ``;``, tab or
        ``|`` whose header row names the columns.
    na_values : list of str, optional
        Texts of CSV cells that mean a missing value besides the empty cell
        (none by default: ``NA`` and ``None`` are labels).
    progress : bool
        Show a progress line on a terminal (after one second) while pieces are reduced.

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, "area", "n", "goals", "score"``: for every group one row
        per area (``n`` agents in that area's population, ``goals`` explicit
        goals in the area) followed by a row with area ``"(overall)"`` holding
        the combined score (its ``n`` is the group's number of agents, its
        ``goals`` missing). Groups are sorted by their values.

    Raises
    ------
    ValueError
        For a missing column or a bad conflicts table; and, after one pass over
        every row of the agents table, for labels that are not strings or whole
        numbers, areas or goals the conflicts table does not list, a weight
        outside [0, 1], not a number, or empty where a goal is held, a missing
        agent or group value, or a repeated (agent, area): one message naming,
        for each problem, the column, the value, the area, how many rows have
        it and where one of them is. Nothing is dropped or coerced.

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
    check_option("missing", missing, MISSING)
    by = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    clash = [b for b in by if b in AGENT_COLUMNS]
    if clash:
        raise ValueError(f"by={list(by)!r} names column {clash[0]!r} of the agents table itself; "
                         "expected extra columns such as a time step or a region")
    if len(set(by)) != len(by):
        raise ValueError(f"by={list(by)!r} names a column twice; expected distinct columns")
    if probability is not None and (not isinstance(probability, str) or probability in (*AGENT_COLUMNS, *by)):
        raise ValueError(f"probability={probability!r}; expected the name of the column of goal probabilities, not "
                         "one of the agents table's own columns")
    areas = read_conflicts(conflicts, sep=sep, na_values=na_values)
    columns = [*AGENT_COLUMNS, *by, *([probability] if probability else [])]
    source = open_table(agents, columns, "agents table", numeric=("weight",), sep=sep, na_values=na_values)
    if probability:  # an agent's rows in one area must meet in one chunk: read each piece whole
        source = _whole_pieces(source)
    task = Task(areas, by, weight_mean, missing, probability)
    summary = reduce_source(source, task, progress)
    if summary.problems:
        raise_problems(summary.problems, areas)
    rows = []
    sizes = group_sizes(summary)
    for group in sorted(summary.kept if probability else summary.counts, key=sort_key):
        n = sizes.get(group, 0)
        scores = []
        uncertain = _uncertain_scores(summary, group, task, pairs, normalize) if probability else None
        for j, area in enumerate(areas.labels):
            k = len(areas.goals[j])
            lo = areas.offsets[j]
            if uncertain is not None:
                n_area, score = uncertain[j]
            else:
                n_area = n if missing == "g0" else int(summary.counts[group][lo + 1:areas.offsets[j + 1]].sum())
                pair_sum = _pair_sum(summary, group, j, areas, weight_mean)
                score = float(engine.scale(np.array([pair_sum]), n_area, areas.matrices[j], pairs, normalize)[0])
            scores.append(score)
            rows.append((*group, area, n_area, k, score))
        rows.append((*group, OVERALL, n, None, combine_areas(scores, area_mean)))
    out = pd.DataFrame(rows, columns=[*by, "area", "n", "goals", "score"])
    out["n"] = out["n"].astype(np.int64)
    out["goals"] = out["goals"].astype("Int64")
    out["area"] = out["area"].astype(object)
    return out
