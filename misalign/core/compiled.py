"""The numba source of :mod:`misalign.core.kernels` (imported by it on first use only).

The functions live at module level, not in a closure, so that numba's on-disk
cache finds them again in the next process: numba keys a cached function by its
code and the pickled contents of its closure, and a closure holding another
compiled function pickles differently in every process, so such a cache never
hits and every process compiled the kernels again (about 1.7 s on the first
table score of each process or Dask worker).
"""

from __future__ import annotations

import math

import numba
import numpy as np


def _jit(**options):
    """numba.njit with the on-disk cache, or without it where no folder is writable (read-only install)."""
    def wrap(function):
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError:  # numba finds no writable cache folder
            return numba.njit(cache=False, **options)(function)
    return wrap


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
@_jit(nogil=True)
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


@_jit(nogil=True)
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


@_jit(nogil=True)
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


@_jit(nogil=True)
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
