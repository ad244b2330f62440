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


def _define(cache: bool):
    import numba

    # Loops index block slices from 0 so that numba can drop its negative-index
    # handling and LLVM vectorizes the validation pass. That pass also writes
    # where each entry's sums live as an unsigned index, which leaves the
    # scatter-add loop (the part no vectorization removes) four instructions an entry.

    @numba.njit(inline="always")
    def checked_index(g, w, limit, base, idx):  # pragma: no cover - compiled
        # NaN fails every comparison; counting (not branching) keeps the loop vectorized.
        bad = 0
        for t in range(g.size):
            x = w[t]
            h = g[t]
            bad += (x < 0.0) | (x > 1.0) | (x != x) | (h < 0) | (h > limit[t])
            idx[t] = base[t] + h  # a bad goal gives a wild index, never used: the block is refused
        return bad == 0

    # One kernel per weight mean, each adding only the sums it needs. goals and
    # weights are (runs, n * areas); work item i is chunk i % chunks of run
    # i // chunks, of `span` entries, and its sums go to out[run, chunk]. limit[t]
    # and base[t] are the goal bound and the offset in out of position t of a block.

    @numba.njit(cache=cache, nogil=True)
    def sqrt_sums(goals, weights, limit, base, out, span, first, last):  # pragma: no cover - compiled
        flat = goals.shape[1]
        chunks = out.shape[1]
        step = limit.size
        roots = np.empty(step)
        idx = np.empty(step, np.uint64)
        for item in range(first, last):
            r, c = item // chunks, item % chunks
            s = out[r, c]
            end = min(flat, (c + 1) * span)
            for lo in range(c * span, end, step):
                g = goals[r, lo:min(end, lo + step)]
                w = weights[r, lo:min(end, lo + step)]
                bad = 0
                for t in range(g.size):  # validation fused with the roots: w is read once
                    x = w[t]
                    h = g[t]
                    bad += (x < 0.0) | (x > 1.0) | (x != x) | (h < 0) | (h > limit[t])
                    roots[t] = math.sqrt(x)
                    idx[t] = base[t] + h
                if bad:
                    return False
                for t in range(g.size):  # in agent order, as np.bincount adds
                    s[idx[t]] += roots[t]
        return True

    @numba.njit(cache=cache, nogil=True)
    def weight_sums(goals, weights, limit, base, out, span, first, last):  # pragma: no cover - compiled
        # Weight sum and count of a goal side by side: one cache line, one index.
        flat = goals.shape[1]
        chunks = out.shape[1]
        idx = np.empty(limit.size, np.uint64)
        one = np.uint64(1)
        for item in range(first, last):
            r, c = item // chunks, item % chunks
            s = out[r, c]
            end = min(flat, (c + 1) * span)
            for lo in range(c * span, end, limit.size):
                g = goals[r, lo:min(end, lo + limit.size)]
                w = weights[r, lo:min(end, lo + limit.size)]
                if not checked_index(g, w, limit, base, idx):
                    return False
                for t in range(g.size):
                    at = idx[t] + idx[t]
                    s[at] += w[t]
                    s[at + one] += 1.0  # exact: counts stay far below 2**53
        return True

    @numba.njit(cache=cache, nogil=True)
    def counts_only(goals, weights, limit, base, out, span, first, last):  # pragma: no cover - compiled
        flat = goals.shape[1]
        chunks = out.shape[1]
        idx = np.empty(limit.size, np.uint64)
        for item in range(first, last):
            r, c = item // chunks, item % chunks
            s = out[r, c]
            end = min(flat, (c + 1) * span)
            for lo in range(c * span, end, limit.size):
                g = goals[r, lo:min(end, lo + limit.size)]
                w = weights[r, lo:min(end, lo + limit.size)]
                if not checked_index(g, w, limit, base, idx):
                    return False
                for t in range(g.size):
                    s[idx[t]] += 1.0
        return True

    @numba.njit(inline="always")
    def exact_add(v, flat, high, low, buf, bits, t):  # pragma: no cover - compiled
        # Split v (finite, >= 0) into its 53-bit significand's halves and add them at (slot, exponent), in the
        # layout of misalign.core.exact: value = significand * 2^(max(field, 1) - 1075) = halves at index
        # max(field, 1) + 51 in units of 2^-1126.
        buf[t] = v
        b = bits[t]
        field = (b >> 52) & 2047
        sig = (b & 4503599627370495) | (4503599627370496 if field > 0 else 0)
        k = flat * 1075 + (field if field > 0 else 1) + 51
        high[k] += sig >> 26
        low[k] += sig & 67108863

    @numba.njit(cache=cache, nogil=True)
    def table_sums(area, goal, agent, weight, table, a_lo, g_lo, width, null_of, area_of, m, buckets, agent_lo,
                   span, with_sqrt, with_weight, counts, hs, ls, hw, lw, seen):  # pragma: no cover - compiled
        # One pass over a chunk of a long table: every row's slot from its (area, goal) codes, validated with its
        # weight; its count, the exact accumulators of sqrt(w) and w, and its agent's mark in the presence counts
        # of its (bucket, area) block. Returns the number of rows it refused (the caller then takes the numpy
        # path, which names them). hs, ls, hw, lw are int64 (exact: at most 2^26 rows per call).
        bad = 0
        buf = np.empty(1)
        bits = buf.view(np.uint64)
        for i in range(area.size):
            s = table[(area[i] - a_lo) * width + (goal[i] - g_lo)]
            if s < 0:
                bad += 1
                continue
            x = weight[i]
            if x != x:
                if s != null_of[s]:
                    bad += 1
                    continue
                x = 0.0
            elif x < 0.0 or x > 1.0:
                bad += 1
                continue
            counts[s] += 1
            if with_sqrt:
                exact_add(math.sqrt(x), s, hs, ls, buf, bits, 0)
            if with_weight:
                exact_add(x, s, hw, lw, buf, bits, 0)
            a = agent[i]
            at = ((a % buckets) * m + area_of[s]) * span + (a // buckets - agent_lo)
            seen[at] = min(seen[at] + 1, 2)  # uint8: 1 = seen once, 2 = repeated
        return bad

    return {"geometric": sqrt_sums, "arithmetic": weight_sums, "none": counts_only, "table": table_sums}


# The feature sets each kernel computes (see misalign.core.means.FEATURES).
_KERNELS = {("sqrt",): "geometric", ("count", "weight"): "arithmetic", ("count",): "none"}


def covers(features: tuple) -> bool:
    """Whether a kernel computes exactly these per-goal feature sums."""
    return tuple(features) in _KERNELS


def table_kernel():
    """The compiled one-pass reduction of a chunk of a long table (see misalign.tables.summary)."""
    global _compiled
    if _compiled is None:
        try:
            _compiled = _define(cache=True)
        except RuntimeError:  # numba finds no writable cache folder (read-only install and home)
            _compiled = _define(cache=False)
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
