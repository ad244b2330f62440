r"""The conflicts table: every area's goals and conflict matrix, read by the label rules.

Columns ``area``, ``goal_a``, ``goal_b``, ``conflict``: one row per unordered
pair of goals of each area (either order; a pair repeated with the same value is
accepted). A row with ``goal_a == goal_b`` and conflict 0 declares a goal on its
own (an area with a single goal). Labels follow :mod:`misalign.tables.labels`;
conflicts are numbers in [0, 1].

Before any matrix is built, the number of goals of each area is checked against
:data:`MAX_MATRIX_BYTES` and against the rows the table holds, so a small file
declaring many goals is refused at once instead of allocating a huge matrix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..core.validation import as_conflict
from .labels import Invalid, canonical_many, explain_near_miss, numbers, show
from .read import read_small

__all__ = ["CONFLICT_COLUMNS", "OVERALL", "MAX_MATRIX_BYTES", "Areas", "read_conflicts", "conflict_table"]

CONFLICT_COLUMNS = ("area", "goal_a", "goal_b", "conflict")
#: The area label of the combined score in :func:`misalign.score_frame`'s output (reserved).
OVERALL = "(overall)"
#: The largest dense conflict matrix built for one area (1 GiB: 11,585 goals), unless
#: the environment variable ``MISALIGN_MAX_MATRIX_BYTES`` sets another limit.
MAX_MATRIX_BYTES = 1 << 30


def _matrix_limit() -> int:
    setting = os.environ.get("MISALIGN_MAX_MATRIX_BYTES")
    if setting is None:
        return MAX_MATRIX_BYTES
    if not setting.strip().isdigit():
        raise ValueError(f"MISALIGN_MAX_MATRIX_BYTES={setting!r}; expected a whole number of bytes")
    return int(setting)


@dataclass(frozen=True)
class Areas:
    """The problem areas of a conflicts table: labels, goals and matrices.

    Attributes
    ----------
    labels : tuple
        Area labels in the table's order.
    goals : tuple of tuple
        Per area, its goal labels in id order 1..k.
    matrices : tuple of numpy.ndarray
        Per area, its (k, k) conflict matrix.
    offsets : numpy.ndarray
        First slot of each area in per-group vectors of length :attr:`slots`
        (slot ``offsets[j]`` is area j's null goal, ``offsets[j] + i`` its goal i).
    """

    labels: tuple
    goals: tuple
    matrices: tuple
    offsets: np.ndarray

    @property
    def slots(self) -> int:
        return int(self.offsets[-1])

    @property
    def index(self) -> dict:
        return {a: j for j, a in enumerate(self.labels)}


def _labels_of(table, column: str):
    codes, labels = canonical_many(table[column], goal=column != "area")
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        row = bad[0]
        raise ValueError(f"conflicts table: column {column!r} is empty (or 0, the null goal) on {bad.size} rows "
                         f"(e.g. {table['_place'].iloc[row]}); every row names an area and two explicit goals")
    invalid = [i for i, lab in enumerate(labels) if isinstance(lab, Invalid)]
    if invalid:
        lab = labels[invalid[0]]
        rows = np.flatnonzero(np.isin(codes, invalid))
        raise ValueError(f"conflicts table: column {column!r} has {show(lab)} on {rows.size} rows ({lab.what}; "
                         f"e.g. {table['_place'].iloc[rows[0]]}); labels are strings or whole numbers")
    return [labels[c] for c in codes]


def read_conflicts(conflicts, *, sep=None, na_values=None) -> Areas:
    """Read and check a conflicts table (a pandas or Dask frame, or a CSV/Parquet path).

    Raises
    ------
    ValueError
        Naming the column, the value and what was expected: a missing column; a
        missing or invalid label; a conflict that is not a number in [0, 1]; a
        pair given twice with different values; a pair of an area's goals that
        is not listed; an area with too many goals for a dense matrix; the area
        label reserved for the overall score.
    """
    table = read_small(conflicts, CONFLICT_COLUMNS, "conflicts table", numeric=("conflict",), sep=sep,
                       na_values=na_values)
    if not len(table):
        raise ValueError("conflicts table has no rows; expected at least one area with its goals")
    value, not_number = numbers(table["conflict"])
    bad = not_number | ~(np.isfinite(value) & (value >= 0) & (value <= 1))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raw = table["conflict"].iloc[row]
        what = "empty" if (isinstance(raw, str) and not raw.strip()) or raw is None or raw != raw else show(raw)
        raise ValueError(f"conflicts table: column 'conflict' is {what} on {int(bad.sum())} rows (e.g. "
                         f"{table['_place'].iloc[row]}); expected a number in [0, 1]")
    area_col, a_col, b_col = (_labels_of(table, c) for c in ("area", "goal_a", "goal_b"))
    goals: dict = {}
    pairs: dict = {}
    for area, a, b, c in zip(area_col, a_col, b_col, value.tolist()):
        if area == OVERALL:
            raise ValueError(f"conflicts table: column 'area' has {OVERALL!r}, which is reserved for the overall "
                             "score; rename that area")
        known = goals.setdefault(area, {})
        for g in (a, b):
            known.setdefault(g, len(known))
        if a == b:
            if c != 0:
                raise ValueError(f"conflicts table: the row for area {show(area)}, goal_a = goal_b = {show(a)} has "
                                 f"conflict {c!r}; a goal never conflicts with itself, expected 0")
            continue
        key = (area, *sorted((a, b), key=lambda g: known[g]))
        if key in pairs and pairs[key] != c:
            raise ValueError(f"conflicts table gives area {show(area)}, goals {show(key[1])} and {show(key[2])} "
                             f"twice with different values ({pairs[key]!r} and {c!r}); expected one value per pair")
        pairs[key] = c
    limit = _matrix_limit()
    listed = {}
    for (area, _, _), _c in pairs.items():
        listed[area] = listed.get(area, 0) + 1
    labels, goal_lists, matrices = [], [], []
    for area, known in goals.items():
        order = list(known)
        k = len(order)
        need = 8 * k * k
        if need > limit:
            raise ValueError(f"conflicts table: area {show(area)} has {k:,} goals, so its conflict matrix needs "
                             f"{need / 2**30:.1f} GiB, above the limit of {limit / 2**30:.1f} GiB; merge rare goals, "
                             "split the area, or raise MISALIGN_MAX_MATRIX_BYTES")
        expected = k * (k - 1) // 2
        if listed.get(area, 0) < expected:
            a, b = next((order[i], order[j]) for i in range(k) for j in range(i + 1, k)
                        if (area, order[i], order[j]) not in pairs)
            near = explain_near_miss(a, [g for g in order if g != a]) or explain_near_miss(b, [g for g in order
                                                                                             if g != b])
            raise ValueError(f"conflicts table has no row for area {show(area)}, goals {show(a)} and {show(b)} "
                             f"({expected - listed.get(area, 0):,} of its {expected:,} pairs are missing){near}; "
                             "expected every unordered pair of the area's goals (a row goal_a = goal_b with conflict "
                             "0 declares a goal on its own)")
        m = np.zeros((k, k))
        for i in range(k):
            for j in range(i + 1, k):
                m[i, j] = m[j, i] = pairs[(area, order[i], order[j])]
        labels.append(area)
        goal_lists.append(tuple(order))
        matrices.append(as_conflict(m, f"conflict matrix of area {show(area)}"))
    offsets = np.concatenate([[0], np.cumsum([len(g) + 1 for g in goal_lists])]).astype(np.int64)
    return Areas(tuple(labels), tuple(goal_lists), tuple(matrices), offsets)


def conflict_table(areas) -> "pandas.DataFrame":  # noqa: F821
    """A conflicts table from ``{area: (goal labels, k x k matrix)}``: the inverse of :func:`read_conflicts`.

    Examples
    --------
    >>> conflict_table({"p": (["yes", "no"], [[0, 1], [1, 0]])})
      area goal_a goal_b  conflict
    0    p    yes     no       1.0
    """
    import pandas as pd

    rows = []
    for area, (goal_labels, matrix) in areas.items():
        m = as_conflict(matrix, f"conflicts[{area!r}]")
        goal_labels = list(goal_labels)
        if len(goal_labels) != m.shape[0]:
            raise ValueError(f"area {area!r} names {len(goal_labels)} goals but its matrix is "
                             f"{m.shape[0]} x {m.shape[0]}; expected one label per row")
        if len(goal_labels) == 1:
            rows.append((area, goal_labels[0], goal_labels[0], 0.0))
        for i in range(len(goal_labels)):
            for j in range(i + 1, len(goal_labels)):
                rows.append((area, goal_labels[i], goal_labels[j], float(m[i, j])))
    return pd.DataFrame(rows, columns=list(CONFLICT_COLUMNS))
