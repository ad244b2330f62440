r"""Conflict matrices from the scale of a survey's answers.

A survey item's answers become goals; how much two answers conflict follows
from the item's scale:

- **nominal**: different answers conflict fully, :math:`c(i, j) = 1` for :math:`i \ne j`;
- **ordinal**: answers are ordered levels :math:`1..K`, and conflict grows with
  the number of steps between them, :math:`c(i, j) = |i - j| / (K - 1)`;
- **interval**: answers are numbers :math:`x_i`, and conflict is their
  distance over the range, :math:`c(i, j) = |x_i - x_j| / (\max x - \min x)`,
  or any mapping ``distance`` of the distance to [0, 1];
- a **function** ``f(a, b)`` of two answers, for anything else.

The result is a valid conflict matrix (symmetric, zero diagonal, entries in
[0, 1]) over the answers in the order given: goal ``i + 1`` is ``levels[i]``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .validation import as_conflict

__all__ = ["SCALES", "scale_conflict"]

SCALES = ("nominal", "ordinal", "interval")


def scale_conflict(levels, scale="nominal", *, values=None, distance: Callable | None = None) -> np.ndarray:
    r"""The conflict between the answers of one item, from the answers' scale.

    .. math::

        c_{\text{nominal}}(i, j) = [i \ne j], \qquad
        c_{\text{ordinal}}(i, j) = \frac{|i - j|}{K - 1}, \qquad
        c_{\text{interval}}(i, j) = \frac{|x_i - x_j|}{\max_l x_l - \min_l x_l}

    Parameters
    ----------
    levels : sequence
        The answers (goal labels), in order for an ordinal scale; ``K = len(levels)``.
    scale : {"nominal", "ordinal", "interval"} or callable
        The scale, or a function ``f(a, b)`` of two answers (the labels in
        ``levels``) returning their conflict in [0, 1]; it must give 0 for an
        answer with itself and be symmetric.
    values : sequence of float, optional
        For ``"interval"``: the number each answer stands for (default: the
        levels themselves, which must then be numbers).
    distance : callable, optional
        For ``"interval"``: maps the distance :math:`|x_i - x_j|` (an array) to
        conflict in [0, 1] instead of dividing by the range, e.g.
        ``lambda d: np.minimum(1, d / 2)`` (full conflict from two points apart).

    Returns
    -------
    numpy.ndarray, shape (K, K)
        Symmetric, zero on the diagonal, entries in [0, 1].

    Raises
    ------
    ValueError
        For fewer than one level, repeated levels, an unknown scale, interval
        values that are not finite numbers (one per level) or all equal, or a
        function or mapping whose results are not a valid conflict matrix (the
        message names the entry).

    Examples
    --------
    The GSS spending items: too little (+1), about right (0), too much (-1).

    >>> scale_conflict([1, 0, -1], "ordinal")
    array([[0. , 0.5, 1. ],
           [0.5, 0. , 0.5],
           [1. , 0.5, 0. ]])
    >>> scale_conflict(["yes", "no"])
    array([[0., 1.],
           [1., 0.]])
    >>> scale_conflict([1, 2, 4], "interval")[0].tolist()
    [0.0, 0.3333333333333333, 1.0]
    """
    levels = list(levels)
    k = len(levels)
    if k == 0:
        raise ValueError("levels is empty; expected the answers of the item, at least one")
    seen = set()
    for lab in levels:
        key = (type(lab) is str, lab)
        if key in seen:
            raise ValueError(f"levels names {lab!r} twice; expected each answer once")
        seen.add(key)
    if callable(scale):
        c = np.array([[float(scale(a, b)) for b in levels] for a in levels])
        return as_conflict(c, f"conflict from {getattr(scale, '__name__', 'the function')}")
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r} is not a valid option; expected one of "
                         f"{', '.join(repr(s) for s in SCALES)} or a function f(a, b)")
    if scale == "nominal":
        return 1.0 - np.eye(k)
    if scale == "ordinal":
        if k == 1:
            return np.zeros((1, 1))
        i = np.arange(k)
        return np.abs(i[:, None] - i[None, :]) / (k - 1)
    x = levels if values is None else list(values)
    if len(x) != k:
        raise ValueError(f"values has {len(x)} entries but there are {k} levels; expected one number per level")
    try:
        x = np.array([float(v) for v in x if not isinstance(v, (bool, np.bool_))] , dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"values = {list(values if values is not None else levels)!r}; an interval scale needs "
                         "a number for every level (give values=)") from None
    if x.size != k or not np.isfinite(x).all():
        raise ValueError(f"values = {list(values if values is not None else levels)!r}; expected a finite number "
                         "for every level")
    d = np.abs(x[:, None] - x[None, :])
    if distance is not None:
        return as_conflict(np.asarray(distance(d), dtype=np.float64), "distance(|x_i - x_j|)")
    span = x.max() - x.min()
    if span == 0:
        if k == 1:
            return np.zeros((1, 1))
        raise ValueError(f"values = {x.tolist()} are all equal; an interval scale needs distinct values")
    return d / span
