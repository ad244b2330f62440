"""Input validation shared by every public function of :mod:`misalign`.

Every check raises :class:`ValueError` whose message names the argument, the
offending index or value, and what was expected, so that a researcher can find
the bad entry in their own data without reading our code.
"""

from __future__ import annotations

import numpy as np

PAIRS = ("distinct", "with_replacement")
#: What the null goal means: the paper's g0 (in the population, conflicting with
#: nothing), or "exclude" (not in that area's population: non-response).
MISSING = ("g0", "exclude")
AREA_MEANS = ("arithmetic", "geometric", "harmonic", "min", "max")

# Conflict matrices typed by hand or read from text are symmetric to the last
# bit; ones computed by users may differ by rounding, which we tolerate.
_SYMMETRY_TOL = 1e-12


def check_option(name: str, value, valid: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``valid``; raise naming all choices otherwise."""
    if not isinstance(value, str) or value not in valid:
        choices = ", ".join(repr(v) for v in valid)
        raise ValueError(f"{name}={value!r} is not a valid option; expected one of {choices}")
    return value


def _index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def as_goals(goals, name: str = "goals", ndim: int | None = None) -> np.ndarray:
    """Return ``goals`` as an integer array, refusing floats, bools and NaN."""
    arr = np.asarray(goals)
    if arr.size == 0:  # an empty list arrives as float64; there is nothing to coerce
        arr = arr.astype(np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name} must hold integer goal ids (0 = no goal, 1..k = explicit goals); "
            f"got an array of dtype {arr.dtype}"
        )
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array; got shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


def _unit_interval(values, name: str, what: str) -> np.ndarray:
    """Return ``values`` as float64 after checking every entry is a finite number in [0, 1]."""
    arr = np.asarray(values)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must be real numbers in [0, 1]; got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = np.argwhere(bad)[0]
        raise ValueError(f"{name}{_index(idx)} is {arr[tuple(idx)]}; expected a finite {what} in [0, 1]")
    bad = (arr < 0) | (arr > 1)
    if bad.any():
        idx = np.argwhere(bad)[0]
        raise ValueError(f"{name}{_index(idx)} = {float(arr[tuple(idx)])!r}; expected a {what} in [0, 1]")
    return arr


def as_weights(weights, name: str = "weights", ndim: int | None = None) -> np.ndarray:
    """Return ``weights`` as a float array with every entry finite and in [0, 1]."""
    arr = np.asarray(weights)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array; got shape {arr.shape}")
    return _unit_interval(arr, name, "weight")


def as_conflict(conflict, name: str = "conflict") -> np.ndarray:
    """Return a k x k conflict matrix after checking symmetry, diagonal and range.

    Accepts a leading batch axis (shape ``(runs, k, k)``) so that Monte Carlo
    code can give each run its own matrix; every check applies to every run.
    """
    arr = np.asarray(conflict)
    if arr.ndim not in (2, 3) or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"{name} must be a square k x k matrix over the explicit goals; got shape {arr.shape}")
    arr = _unit_interval(arr, name, "conflict")
    diag = np.diagonal(arr, axis1=-2, axis2=-1)
    if (diag != 0).any():
        idx = np.argwhere(diag != 0)[0]
        i = int(idx[-1])
        where = _index(tuple(idx[:-1]) + (i, i))
        raise ValueError(f"{name}{where} = {float(diag[tuple(idx)])!r}; a goal never conflicts with itself, expected 0")
    asym = np.abs(arr - np.swapaxes(arr, -1, -2))
    if (asym > _SYMMETRY_TOL).any():
        idx = np.argwhere(asym > _SYMMETRY_TOL)[0]
        other = tuple(idx[:-2]) + (idx[-1], idx[-2])
        raise ValueError(
            f"{name} is not symmetric: {name}{_index(idx)} = {float(arr[tuple(idx)])!r} but "
            f"{name}{_index(other)} = {float(arr[other])!r}; expected c(g, h) = c(h, g)"
        )
    return arr


def check_goal_range(goals: np.ndarray, k: int, name: str = "goals", area: int | None = None) -> None:
    """Raise if any goal id lies outside 0..k.

    With ``area``, ``goals`` is that area's column of a larger array whose last
    axis is the area, and the message gives the index in the larger array.
    """
    bad = (goals < 0) | (goals > k)
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        full = idx if area is None else idx + (area,)
        where = "" if area is None else f" for area {area}"
        raise ValueError(
            f"{name}{_index(full)} = {int(goals[idx])}; expected a goal id in 0..{k}{where} "
            f"(0 = no goal, the conflict matrix has {k} explicit goals)"
        )


def check_same_shape(goals: np.ndarray, weights: np.ndarray, gname: str = "goals", wname: str = "weights") -> None:
    if goals.shape != weights.shape:
        raise ValueError(f"{gname} has shape {goals.shape} but {wname} has shape {weights.shape}; expected the same shape")


def as_conflict_list(conflicts, n_areas: int, name: str = "conflicts") -> list[np.ndarray]:
    """Validate a sequence of one conflict matrix per area."""
    if isinstance(conflicts, np.ndarray) and conflicts.ndim == 2:
        raise ValueError(f"{name} must be a sequence of one k x k matrix per area; got a single 2-d array")
    try:
        items = list(conflicts)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of one k x k matrix per area; got {type(conflicts).__name__}") from None
    if len(items) != n_areas:
        raise ValueError(f"{name} has {len(items)} matrices but there are {n_areas} areas; expected one matrix per area")
    return [as_conflict(c, f"{name}[{j}]") for j, c in enumerate(items)]


def as_population(goals, weights, conflicts, gname: str = "goals", wname: str = "weights"):
    """Validated goals (n, m), weights (n, m) and one single (k, k) conflict matrix per area.

    For functions that take one population (no runs axis): each area's goals
    are checked against its matrix, and the message names the column.
    """
    g = as_goals(goals, gname, ndim=2)
    w = as_weights(weights, wname, ndim=2)
    check_same_shape(g, w, gname, wname)
    cs = as_conflict_list(conflicts, g.shape[1])
    for j, c in enumerate(cs):
        if c.ndim != 2:
            raise ValueError(f"conflicts[{j}] must be a single k x k matrix; got shape {c.shape}")
        check_goal_range(g[:, j], c.shape[0], f"{gname}[:, {j}]")
    return g, w, cs


#: The readings of ``normalize``: Jang et al.'s k/(k-1) ("goals", also True), or the area's
#: true maximum over goal shares ("max"); False or None for none.
NORMALIZE = ("goals", "max")


def check_normalize(normalize):
    """``normalize`` as False, "goals" or "max" (True means "goals")."""
    if normalize is None or normalize is False:
        return False
    if normalize is True:
        return "goals"
    if isinstance(normalize, str) and normalize in NORMALIZE:
        return normalize
    raise ValueError(f"normalize={normalize!r} is not a valid option; expected False, True (= 'goals'), 'goals' "
                     "(Jang et al.'s k/(k-1)) or 'max' (the area's true maximum over goal shares)")
