"""Compiled per-goal sums for large populations: the fast path of :mod:`misalign.core.engine`.

The factorized score needs, per run, area and goal, only the number of holders
(:math:`n_g`), their weight sum and their sum of :math:`\\sqrt{w}`. numpy gets
these with several population-sized temporaries (validation masks, offsets,
square roots); the kernel here reads each entry once, validates it and adds it
in, block by block, so that its only temporaries are a block of square roots.

Every sum is accumulated in the order :mod:`misalign.core.engine` fixes (agent by
agent within chunks of ``engine.CHUNK`` agents, then chunk by chunk), so the
sums, and the scores built from them, equal the numpy path's to the last bit.
Chunks are independent, so they are summed on several threads (the kernels
release the GIL); the thread count changes the speed, never the result. It is
the number of CPUs this process may use, or ``MISALIGN_THREADS`` if set.

numba is imported on first use, so ``import misalign`` stays fast and small
populations, which never come here, never pay for compilation.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..util import threads

# Entries per block (rounded down to whole agents): so short that the CPU runs
# the vectorized roots of one block while the scatter-add of the one before is
# still retiring. On the benchmark's 10^7 x 10 population, blocks of ~64 entries
# took 2.2-2.5x the bandwidth floor where blocks of 8192 agents took 2.5-3.4x.
_BLOCK = 64

_compiled = None


def _define() -> dict:
    from . import compiled  # imports numba

    return {"geometric": compiled.sqrt_sums, "arithmetic": compiled.weight_sums, "none": compiled.counts_only,
            "table": compiled.table_sums}


# The feature sets each kernel computes (see misalign.core.means.FEATURES).
_KERNELS = {("sqrt",): "geometric", ("count", "weight"): "arithmetic", ("count",): "none"}


def covers(features: tuple) -> bool:
    """Whether a kernel computes exactly these per-goal feature sums."""
    return tuple(features) in _KERNELS


def table_kernel():
    """The compiled one-pass reduction of a chunk of a long table (see misalign.tables.summary)."""
    global _compiled
    if _compiled is None:
        _compiled = _define()
    return _compiled["table"]


def loaded() -> bool:
    """Whether the kernels are compiled or loaded in this process (their first use is the costly one)."""
    return _compiled is not None


def available() -> bool:
    """Whether numba (the ``fast`` extra) is installed."""
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def group_sums(goals: np.ndarray, weights: np.ndarray, ks: np.ndarray, features: tuple, chunk: int):
    """Per-goal feature sums ``{feature: (runs, areas, max(ks) + 1)}`` for a covered feature set.

    ``goals`` (any integer dtype) and ``weights`` (float64) are C-contiguous
    arrays of shape (runs, n, areas); ``ks[j]`` is the number of explicit goals
    of area j; ``chunk`` is the number of agents per chunk of the summation
    order. Returns None if any goal lies outside 0..ks[j] or any weight outside
    [0, 1] (or is NaN), so that the caller can report the first such entry the
    usual way.
    """
    table_kernel()  # compiles or loads every kernel
    which = _KERNELS[tuple(features)]
    runs, n, m = goals.shape
    big_k = int(ks.max()) + 1
    position = np.arange(max(1, _BLOCK // m) * m) % m
    pair = 2 if which == "arithmetic" else 1
    limit, base = ks.astype(np.int64)[position], position * big_k
    chunks = max(1, -(-n // chunk))
    partial = np.zeros((runs, chunks, m * big_k * pair))
    args = (goals.reshape(runs, n * m), weights.reshape(runs, n * m), limit, base, partial, chunk * m)
    kernel, items = _compiled[which], runs * chunks
    workers = min(threads(), items)
    if workers == 1:
        valid = kernel(*args, 0, items)
    else:
        cuts = np.linspace(0, items, workers + 1).astype(np.int64)
        with ThreadPoolExecutor(workers) as pool:
            valid = all(pool.map(lambda i: kernel(*args, cuts[i], cuts[i + 1]), range(workers)))
    if not valid:
        return None
    out = partial[:, 0]
    for c in range(1, chunks):  # chunk by chunk, as the numpy path adds them
        out = out + partial[:, c]
    out = out.reshape(runs, m, big_k, pair)
    if which == "geometric":
        return {"sqrt": out[..., 0]}
    if which == "arithmetic":
        return {"count": out[..., 1], "weight": out[..., 0]}
    return {"count": out[..., 0]}
