"""Compiled per-goal sums for large populations: the fast path of :mod:`misalign.model`.

The factorized score needs, per run, area and goal, only the number of holders
(:math:`n_g`), their weight sum and their sum of :math:`\\sqrt{w}`. numpy gets
these with several population-sized temporaries (validation masks, offsets,
square roots); the kernel here reads each entry once, validates it and adds it
in, block by block, so that its only temporaries are a block of square roots.

Every sum is accumulated in agent order, exactly as ``np.bincount`` does, so the
sums (and the scores built from them) equal the numpy path's to the last bit.

numba is imported on first use, so ``import misalign`` stays fast and small
populations, which never come here, never pay for compilation.
"""

from __future__ import annotations

import math

import numpy as np

# Agents per block: a block of square roots (ROWS x areas doubles) stays in cache.
_ROWS = 8192

_compiled = None


def _define(cache: bool):
    import numba

    # Loops index block slices from 0 so that numba can drop its negative-index
    # handling and LLVM vectorizes the validation and square-root pass.

    @numba.njit(inline="always")
    def block_is_valid(g, w, limit):  # pragma: no cover - compiled
        # NaN fails every comparison; counting (not branching) keeps the loop vectorized.
        bad = 0
        for t in range(g.size):
            x = w[t]
            h = g[t]
            bad += (x < 0.0) | (x > 1.0) | (x != x) | (h < 0) | (h > limit[t])
        return bad == 0

    # One kernel per weight mean, each adding only the sums it needs. goals and
    # weights are (runs, n * areas); out is (runs, areas * K [* 2]); limit[t] and
    # base[t] are the goal bound and the offset in out of position t of a block.

    @numba.njit(cache=cache, nogil=True)
    def sqrt_sums(goals, weights, limit, base, out):  # pragma: no cover - compiled
        runs, flat = goals.shape
        step = limit.size
        roots = np.empty(step)
        for r in range(runs):
            s = out[r]
            for lo in range(0, flat, step):
                g = goals[r, lo:lo + step]
                w = weights[r, lo:lo + step]
                bad = 0
                for t in range(g.size):  # validation fused with the roots: w is read once
                    x = w[t]
                    h = g[t]
                    bad += (x < 0.0) | (x > 1.0) | (x != x) | (h < 0) | (h > limit[t])
                    roots[t] = math.sqrt(x)
                if bad:
                    return False
                for t in range(g.size):  # in agent order, as np.bincount adds
                    s[base[t] + g[t]] += roots[t]
        return True

    @numba.njit(cache=cache, nogil=True)
    def weight_sums(goals, weights, limit, base, out):  # pragma: no cover - compiled
        # Weight sum and count of a goal side by side: one cache line, one index.
        runs, flat = goals.shape
        step = limit.size
        for r in range(runs):
            s = out[r]
            for lo in range(0, flat, step):
                g = goals[r, lo:lo + step]
                w = weights[r, lo:lo + step]
                if not block_is_valid(g, w, limit):
                    return False
                for t in range(g.size):
                    at = 2 * (base[t] + g[t])
                    s[at] += w[t]
                    s[at + 1] += 1.0  # exact: counts stay far below 2**53
        return True

    @numba.njit(cache=cache, nogil=True)
    def counts_only(goals, weights, limit, base, out):  # pragma: no cover - compiled
        runs, flat = goals.shape
        step = limit.size
        for r in range(runs):
            s = out[r]
            for lo in range(0, flat, step):
                g = goals[r, lo:lo + step]
                w = weights[r, lo:lo + step]
                if not block_is_valid(g, w, limit):
                    return False
                for t in range(g.size):
                    s[base[t] + g[t]] += 1.0
        return True

    return {"geometric": sqrt_sums, "arithmetic": weight_sums, "none": counts_only}


def group_sums(goals: np.ndarray, weights: np.ndarray, ks: np.ndarray, weight_mean: str):
    """Per-goal counts, weight sums and sqrt-weight sums, each (runs, areas, max(ks) + 1).

    ``goals`` (any integer dtype) and ``weights`` (float64) are C-contiguous
    arrays of shape (runs, n, areas); ``ks[j]`` is the number of explicit goals
    of area j. Sums a weight mean does not need are left at zero. Returns None
    if any goal lies outside 0..ks[j] or any weight outside [0, 1] (or is NaN),
    so that the caller can report the first such entry the usual way.
    """
    global _compiled
    if _compiled is None:
        try:
            _compiled = _define(cache=True)
        except RuntimeError:  # numba finds no writable cache folder (read-only install and home)
            _compiled = _define(cache=False)
    runs, n, m = goals.shape
    big_k = int(ks.max()) + 1
    position = np.arange(_ROWS * m) % m
    limit, base = ks.astype(np.int64)[position], position * big_k
    pair = 2 if weight_mean == "arithmetic" else 1
    out = np.zeros((runs, m * big_k * pair))
    if not _compiled[weight_mean](goals.reshape(runs, n * m), weights.reshape(runs, n * m), limit, base, out):
        return None
    out = out.reshape(runs, m, big_k, pair)
    zeros = np.zeros((runs, m, big_k))
    if weight_mean == "geometric":
        return zeros, zeros, out[..., 0]
    if weight_mean == "arithmetic":
        return out[..., 1], out[..., 0], zeros
    return out[..., 0], zeros, zeros
