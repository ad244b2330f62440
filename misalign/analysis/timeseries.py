r"""Scores over time or across cohorts, from a long table of agents' goals.

The input is a tidy :class:`pandas.DataFrame` with one row per agent, area and
time step (or cohort, or any grouping column ``by``):

========== =====================================================
``agent``  agent id (any labels; unique within a time step)
``area``   problem area label, a key of ``conflicts``
``goal``   integer goal id, 0 = null goal, 1..k explicit goals
``weight`` the importance the agent gives the area, in [0, 1]
``time``   the time step or cohort (the ``by`` column)
========== =====================================================

Each time step is scored as its own population,

.. math::

    \Pr(0 \mid \mathcal{A}_t, \mathcal{P}) = \frac{1}{|\mathcal{P}|}
        \sum_{p} \Pr(0 \mid \mathcal{A}_t, p),

with an optional confidence interval from :func:`misalign.uncertainty.score_interval`.
An agent present at a time step but without a row for some area holds the
null goal :math:`g_0` (weight 0) there, as in the scenario files. The cost is
that of the score itself, :math:`O(n_t + k^2)` per step and area.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..core.validation import as_conflict, as_goals, as_weights
from ..core.score import area_scores, combine_areas
from .uncertainty import score_interval

__all__ = ["scores_by", "plot_scores_by"]

_COLUMNS = ("agent", "area", "goal", "weight")


def _conflict_map(conflicts) -> tuple[list, list]:
    if isinstance(conflicts, Mapping):
        return list(conflicts.keys()), list(conflicts.values())
    if isinstance(conflicts, (str, bytes)) or not hasattr(conflicts, "__len__"):
        raise ValueError(f"conflicts must map each area label to its k x k matrix; got {type(conflicts).__name__}")
    items = list(conflicts)
    return list(range(len(items))), items


def _populations(frame: pd.DataFrame, by: str, areas: list, matrices: list):
    """Yield (by value, goals (n_t, m), weights (n_t, m)) for each value of ``by``, sorted."""
    missing = [c for c in (*_COLUMNS, by) if c not in frame.columns]
    if missing:
        raise ValueError(f"frame has no column(s) {missing}; expected columns {[*_COLUMNS, by]}")
    goal = as_goals(frame["goal"].to_numpy(), "frame['goal']", ndim=1)
    weight = as_weights(frame["weight"].to_numpy(), "frame['weight']", ndim=1)
    area_code = pd.Index(areas).get_indexer(frame["area"])
    if (area_code < 0).any():
        row = int(np.flatnonzero(area_code < 0)[0])
        raise ValueError(f"frame['area'] at row {row} is {frame['area'].iloc[row]!r}, which has no conflict matrix; "
                         f"expected one of {areas}")
    for j, c in enumerate(matrices):
        k = as_conflict(c, f"conflicts[{areas[j]!r}]").shape[-1]
        bad = (area_code == j) & ((goal < 0) | (goal > k))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"frame['goal'] at row {row} is {int(goal[row])} in area {areas[j]!r}; expected a goal "
                             f"id in 0..{k} (0 = no goal, the area's conflict matrix has {k} explicit goals)")
    for col in ("agent", by):
        bad = frame[col].isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"frame[{col!r}] at row {row} is missing; expected a value in every row")
    by_code, by_values = pd.factorize(frame[by], sort=True)
    order = np.argsort(by_code, kind="stable")
    bounds = np.searchsorted(by_code[order], np.arange(len(by_values) + 1))
    agent = frame["agent"].to_numpy()
    m = len(areas)
    for t, value in enumerate(by_values):
        rows = order[bounds[t]:bounds[t + 1]]
        agent_code, agent_ids = pd.factorize(agent[rows])
        n = len(agent_ids)
        cell = agent_code * m + area_code[rows]
        seen = np.bincount(cell, minlength=n * m)
        if (seen > 1).any():
            c = int(np.flatnonzero(seen > 1)[0])
            raise ValueError(f"agent {agent_ids[c // m]!r} has {int(seen[c])} rows for area {areas[c % m]!r} at "
                             f"{by} = {value!r}; expected at most one")
        g = np.zeros(n * m, np.int64)
        w = np.zeros(n * m)
        g[cell] = goal[rows]
        w[cell] = weight[rows]
        yield value, g.reshape(n, m), w.reshape(n, m)


def scores_by(frame: pd.DataFrame, conflicts, *, by="time", per_area=False, level=None, method="exact", rng=None,
              n_boot=1000, pairs="distinct", weight_mean="geometric", area_mean="arithmetic",
              normalize=False) -> pd.DataFrame:
    r"""Misalignment per time step (or cohort) of a long table of agents' goals.

    .. math::

        \Pr(0 \mid \mathcal{A}_t, \mathcal{P}) = \frac{1}{|\mathcal{P}|}
            \sum_{p} \frac{1}{|\Pi_t|} \sum_{(a_1, a_2) \in \Pi_t}
            c_p(g_p^{1}, g_p^{2})\, \bar w(w_p^{1}, w_p^{2})

    for the agents :math:`\mathcal{A}_t` present at step :math:`t`.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``agent``, ``area``, ``goal`` (int), ``weight`` and ``by``.
    conflicts : mapping or sequence
        ``{area label: k x k matrix}``; a sequence is keyed 0, 1, ... . Its
        order is the order of the areas.
    by : str
        The column to group by, e.g. ``"time"`` or ``"cohort"``.
    per_area : bool
        One row per step and area instead of one per step.
    level : float, optional
        Add ``low`` and ``high`` columns: a confidence interval at this level
        from :func:`misalign.uncertainty.score_interval` with ``method``,
        ``rng`` and ``n_boot``.
    pairs, weight_mean, area_mean, normalize
        As in :func:`misalign.misalignment`.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, (``area``,) ``n_agents``, ``score`` (, ``low``,
        ``high``), one row per value of ``by`` in sorted order (per area in
        the order of ``conflicts``).

    Raises
    ------
    ValueError
        For missing columns or values, goal ids that are not integers or out
        of range, weights outside [0, 1], areas without a conflict matrix, an
        agent with two rows for one area at one step, and as
        :func:`misalign.misalignment` and :func:`misalign.uncertainty.score_interval`.

    See Also
    --------
    plot_scores_by

    Examples
    --------
    Two agents in full conflict at time 0; at time 1 a third agent joins the
    first one's goal, so 4 of the 6 ordered pairs conflict.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"agent": ["a", "b", "a", "b", "c"], "area": "p", "goal": [1, 2, 1, 2, 1],
    ...                       "weight": 1.0, "time": [0, 0, 1, 1, 1]})
    >>> scores_by(frame, {"p": [[0, 1], [1, 0]]})
       time  n_agents     score
    0     0         2  1.000000
    1     1         3  0.666667
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    areas, matrices = _conflict_map(conflicts)
    options = dict(pairs=pairs, weight_mean=weight_mean, normalize=normalize)
    rows = []
    for value, g, w in _populations(frame, by, areas, matrices):
        n = g.shape[0]
        per = area_scores(g, w, matrices, **options)
        if per_area:
            for j, area in enumerate(areas):
                row = {by: value, "area": area, "n_agents": n, "score": float(per[j])}
                if level is not None:
                    _, row["low"], row["high"] = score_interval(g[:, [j]], w[:, [j]], [matrices[j]], level=level,
                                                                method=method, rng=rng, n_boot=n_boot, **options)
                rows.append(row)
        else:
            row = {by: value, "n_agents": n, "score": combine_areas(per, area_mean)}
            if level is not None:
                _, row["low"], row["high"] = score_interval(g, w, matrices, level=level, method=method, rng=rng,
                                                            n_boot=n_boot, area_mean=area_mean, **options)
            rows.append(row)
    return pd.DataFrame(rows)


def plot_scores_by(table: pd.DataFrame, *, by="time", ax=None, label=None, color=None, band_alpha=0.25):
    """Draw scores against ``by`` with their confidence band, one line per area if present.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`scores_by`; ``low`` and ``high`` columns, when
        present, are drawn as a shaded band.
    by : str
        The column on the horizontal axis.
    ax : matplotlib.axes.Axes, optional
        Draw here; a new figure otherwise.
    label : str, optional
        Legend label of a single line (per-area lines are labelled by area).
    color : optional
        Colour of a single line.
    band_alpha : float
        Opacity of the band.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        When ``table`` lacks the ``by`` or ``score`` column.
    """
    import matplotlib.pyplot as plt

    missing = [c for c in (by, "score") if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; expected the output of scores_by(..., by={by!r})")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    groups = table.groupby("area", sort=False) if "area" in table.columns else [(label, table)]
    for name, part in groups:
        line, = ax.plot(part[by], part["score"], marker="o", ms=3, label=name,
                        color=color if "area" not in table.columns else None)
        if {"low", "high"} <= set(part.columns):
            ax.fill_between(part[by], part["low"], part["high"], color=line.get_color(), alpha=band_alpha, lw=0)
    ax.set_xlabel(by)
    ax.set_ylabel("misalignment")
    if "area" in table.columns or label is not None:
        ax.legend(frameon=False, fontsize="small")
    return ax
