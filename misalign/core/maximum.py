r"""The largest score an area's conflict matrix allows: the maximum of :math:`p^\top C p` over goal shares.

An area's score, for a large population whose goals have shares :math:`p`
(weights 1, pairs drawn with replacement), is :math:`p^\top C p`. Its maximum
over the simplex,

.. math::

    M(C) = \max_{p \ge 0,\ \mathbf 1^\top p = 1} p^\top C p,

is what ``normalize="max"`` divides by, so that 1 means "as misaligned as this
conflict matrix allows". For mutually exclusive goals :math:`M = 1 - 1/k`, which
is Jang et al.'s :math:`k/(k-1)` (``normalize="goals"``); for a graded matrix it
can be far lower, and dividing by :math:`(k-1)/k` then never reaches 1. This
is Rao's maximum quadratic entropy in ecology, a standard quadratic program.

It is computed exactly: every maximum is a Karush-Kuhn-Tucker point of its
support :math:`S`, where :math:`C_S p_S = \lambda \mathbf 1` and
:math:`p^\top C p = \lambda`, so the maximum over the supports' feasible KKT
points is :math:`M`. That takes :math:`2^k` small solves, which is cheap up to
:data:`MAX_EXACT_GOALS` goals (the problem is NP-hard in general: for a 0/1
matrix it is the clique number, by Motzkin and Straus).
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from .validation import as_conflict

__all__ = ["MAX_EXACT_GOALS", "max_area_score"]

#: Areas with more goals than this are refused by normalize="max" (2^k supports).
MAX_EXACT_GOALS = 16
_TOL = 1e-10


@lru_cache(maxsize=256)
def _maximum(key: bytes, k: int) -> tuple[float, tuple]:
    c = np.frombuffer(key, dtype=np.float64).reshape(k, k)
    best, best_p = 0.0, np.eye(k)[0] if k else np.zeros(0)
    for size in range(2, k + 1):
        for support in itertools.combinations(range(k), size):
            s = list(support)
            kkt = np.zeros((size + 1, size + 1))
            kkt[:size, :size] = c[np.ix_(s, s)]
            kkt[:size, size] = -1.0
            kkt[size, :size] = 1.0
            rhs = np.zeros(size + 1)
            rhs[size] = 1.0
            sol, *_ = np.linalg.lstsq(kkt, rhs, rcond=None)
            p = sol[:size]
            if not np.allclose(kkt @ sol, rhs, atol=1e-9) or (p < -_TOL).any():
                continue
            full = np.zeros(k)
            full[s] = np.clip(p, 0.0, None)
            full /= full.sum()
            value = float(full @ c @ full)
            if value > best + _TOL:
                best, best_p = value, full
    return best, tuple(best_p.tolist())


def max_area_score(conflict) -> tuple[float, np.ndarray]:
    r"""The maximum of :math:`p^\top C p` over goal shares :math:`p`, and shares that reach it.

    Parameters
    ----------
    conflict : array_like, shape (k, k)
        A conflict matrix (symmetric, zero diagonal, entries in [0, 1]).

    Returns
    -------
    value : float
        :math:`M(C)`; 0 for fewer than two goals or no conflict.
    shares : numpy.ndarray, shape (k,)
        A maximizing distribution over the goals (one of them, if several).

    Raises
    ------
    ValueError
        For an invalid matrix, or more than :data:`MAX_EXACT_GOALS` goals.

    Examples
    --------
    Three mutually exclusive goals: the maximum is 1 - 1/3 at equal shares.

    >>> v, p = max_area_score(1 - np.eye(3))
    >>> round(v, 12), p.round(3).tolist()
    (0.666666666667, [0.333, 0.333, 0.333])

    An ordinal scale of three answers: the middle answer is at 1/2 from both
    ends, so the maximum puts half the population on each end: 1/2.

    >>> round(max_area_score([[0, .5, 1], [.5, 0, .5], [1, .5, 0]])[0], 12)
    0.5
    """
    c = as_conflict(conflict, "conflict")
    if c.ndim != 2:
        raise ValueError(f"conflict must be a single k x k matrix; got shape {c.shape}")
    k = c.shape[0]
    if k > MAX_EXACT_GOALS:
        raise ValueError(f"the conflict matrix has {k} goals; normalize='max' computes the exact maximum over 2^k "
                         f"supports and accepts at most {MAX_EXACT_GOALS} goals; use normalize='goals' instead")
    value, shares = _maximum(np.ascontiguousarray(c, dtype=np.float64).tobytes(), k)
    return value, np.array(shares)
