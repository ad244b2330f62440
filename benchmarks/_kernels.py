"""What bench_scoring.py measures: populations, the two scoring methods, and measurement helpers.

Run as ``python _kernels.py measure METHOD N AREAS`` it scores one generated
population and prints the scoring time as JSON; its parent reads the peak
resident memory of that process from ``os.wait4``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

GOALS = 4  # explicit goals per area; goal 0 is the null goal

SIZES = {
    "full": dict(areas=4, compare=[1000, 2000, 4000, 8000, 16000],
                 pairwise=[1000, 2000, 4000, 8000, 11314, 16000, 22627],
                 factorized=[1000, 2000, 4000, 8000, 16000, 10**5, 10**6, 10**7, 3 * 10**7, 10**8, 2 * 10**8]),
    "small": dict(areas=2, compare=[1000, 2000], pairwise=[1000, 2000], factorized=[1000, 2000, 10**5]),
}


def conflict_matrices(m: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(m):
        c = np.triu(rng.uniform(0.2, 1.0, size=(GOALS, GOALS)), 1)
        out.append(c + c.T)
    return out


def wide_population(n: int, m: int, seed: int):
    """Goals (int8, 0..GOALS) and weights of n agents x m areas, drawn in blocks to bound temporaries."""
    rng = np.random.default_rng(seed)
    goals = np.empty((n, m), dtype=np.int8)
    weights = np.empty((n, m))
    step = 1 << 20
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        goals[lo:hi] = rng.integers(0, GOALS + 1, size=(hi - lo, m), dtype=np.int8)
        weights[lo:hi] = rng.random((hi - lo, m))
    return goals, weights, conflict_matrices(m, seed)


def streamed_misalignment(goals: np.ndarray, weights: np.ndarray, conflicts, block: int = 1 << 14) -> float:
    """The exact geometric score, validated and summed block by block with numpy.

    The same factorization as :mod:`misalign.model` (per-goal sums of sqrt(w)),
    but every temporary is a block of ``block`` agents, which stays in cache:
    on this machine allocating fresh pages costs more than the arithmetic.
    """
    from misalign import combine_areas
    from misalign.core import engine

    n, m = goals.shape
    k = np.array([c.shape[0] for c in conflicts])
    offsets = np.concatenate([[0], np.cumsum(k + 1)[:-1]]).astype(np.intp)
    sums = np.zeros(int((k + 1).sum()))
    sq = np.empty((block, m))
    idx = np.empty((block, m), dtype=np.intp)
    for lo in range(0, n, block):
        g, w = goals[lo:lo + block], weights[lo:lo + block]
        r = g.shape[0]
        if not ((w >= 0) & (w <= 1)).all() or g.min() < 0 or (g > k).any():
            raise ValueError(f"bad goal or weight among agents {lo}..{lo + r - 1}")
        np.sqrt(w, out=sq[:r])
        np.add(g, offsets, out=idx[:r])
        sums += np.bincount(idx[:r].ravel(), weights=sq[:r].ravel(), minlength=sums.size)
    scores = []
    for j, c in enumerate(conflicts):
        s = sums[offsets[j]:offsets[j] + k[j] + 1]
        pair_sum = engine.quadratic(s[None], engine.padded(c), s[None])
        scores.append(engine.scale(pair_sum, n, int(k[j]), "distinct", False)[0])
    return combine_areas(scores)


def make_scatter_only(goals: np.ndarray, weights: np.ndarray, k: int, rows: int = 8192):
    """A compiled call doing only the in-order scatter-add of the score (no validation, no roots).

    Each (area, goal) sum must take its terms in agent order to equal
    ``np.bincount``, so this load-add-store per entry is the part of
    ``misalign.core.kernels`` that no vectorization removes; timing it alone
    shows its share. Blocks and offsets are laid out as in the kernel.
    """
    import numba

    @numba.njit(nogil=True)
    def scatter(g, w, base, out):
        step = base.size
        for lo in range(0, g.size, step):
            gb, wb = g[lo:lo + step], w[lo:lo + step]
            for t in range(gb.size):
                out[base[t] + gb[t]] += wb[t]
        return out

    n, m = goals.shape
    flat_goals, flat_weights = goals.reshape(-1), weights.reshape(-1)
    base = (np.arange(rows * m) % m) * (k + 1)
    scatter(flat_goals[:m], flat_weights[:m], base, np.zeros(m * (k + 1)))  # compile outside the timing
    return lambda: scatter(flat_goals, flat_weights, base, np.zeros(m * (k + 1)))


def pairwise_misalignment(goals: np.ndarray, weights: np.ndarray, conflicts) -> float:
    """The definition, vectorized: an n x n matrix of c * sqrt(w w') per area."""
    n, m = goals.shape
    scores = []
    for j, c in enumerate(conflicts):
        g = goals[:, j].astype(np.intp)
        cp = np.pad(c, [(1, 0), (1, 0)])
        sw = np.sqrt(weights[:, j])
        pair = cp[g[:, None], g[None, :]]  # n x n
        pair *= np.multiply.outer(sw, sw)  # a second n x n temporary
        scores.append(pair.sum() / (n * (n - 1)))
        del pair
    return float(np.mean(scores))


def pairwise_memory_bytes(n: int, m: int) -> int:
    """Peak bytes of :func:`pairwise_misalignment`: two n x n float64 matrices at once, plus the population."""
    return 2 * 8 * n * n + 9 * n * m


def child_measure(method: str, n: int, m: int, timeout: float) -> dict:
    """Score one population in a fresh process; its time and its peak resident memory."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, __file__, "measure", method, str(n), str(m)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    start = time.monotonic()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > timeout:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return dict(seconds=np.nan, peak_mib=usage.ru_maxrss / 1024, status=f"killed after {timeout:.0f} s")
        time.sleep(0.05)
    out, err = proc.stdout.read(), proc.stderr.read()
    if status != 0:
        return dict(seconds=np.nan, peak_mib=usage.ru_maxrss / 1024, status=f"failed: {err.strip()[-200:]}")
    # The child's own high-water mark: ru_maxrss would include the parent's pages at fork time.
    return dict(**json.loads(out), status="ok")


def _measure(method: str, n: int, m: int) -> None:
    import misalign

    goals, weights, conflicts = wide_population(n, m, seed=n)
    score = misalign.misalignment if method == "factorized" else pairwise_misalignment
    if method == "factorized":
        # Large inputs go through a numba kernel: load (or compile) it before timing, as
        # part 1 does, so that the one-off cost does not masquerade as scaling.
        from misalign.core import engine

        cold, engine.KERNEL_COLD_ENTRIES = engine.KERNEL_COLD_ENTRIES, 0  # load it even for this small call
        try:
            score(*wide_population(2**18, m, seed=0))
        finally:
            engine.KERNEL_COLD_ENTRIES = cold
    repeat = 3 if n <= 10**5 else 1
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        score(goals, weights, conflicts)
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"seconds": best, "peak_mib": peak_rss_mib()}))


# ------------------------------------------------------------------ Parquet population and cluster helpers

def make_parquet(folder: Path, rows: int, rows_per_file: int = 2 * 10**6, m: int = 10):
    """A population of rows / m agents x m areas in Parquet files of contiguous agents (made once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamp = folder / "_population.json"
    meta = {"rows": rows, "rows_per_file": rows_per_file, "areas": m, "goals": GOALS, "seed": 3}
    conflicts = pd.DataFrame(
        [(j, a + 1, b + 1, c[a, b]) for j, c in enumerate(conflict_matrices(m, 3))
         for a in range(GOALS) for b in range(a + 1, GOALS)],
        columns=["area", "goal_a", "goal_b", "conflict"])
    if stamp.exists() and json.loads(stamp.read_text()) == meta:
        return folder, conflicts
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    rng = np.random.default_rng(3)
    agents_per_file = rows_per_file // m
    for i, lo in enumerate(range(0, rows // m, agents_per_file)):
        hi = min(rows // m, lo + agents_per_file)
        count = (hi - lo) * m
        table = pa.table({
            "agent": np.repeat(np.arange(lo, hi, dtype=np.int64), m),
            "area": np.tile(np.arange(m, dtype=np.int8), hi - lo),
            "goal": rng.integers(0, GOALS + 1, size=count, dtype=np.int8),
            "weight": rng.random(count),
        })
        pq.write_table(table, folder / f"part-{i:05d}.parquet")
    stamp.write_text(json.dumps(meta))
    return folder, conflicts


def bare_read(path: str) -> int:
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=["agent", "area", "goal", "weight"]).num_rows


def reset_peak() -> None:
    """Reset this process's peak resident memory (Linux: VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "measure":
        _measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit("usage: python _kernels.py measure {pairwise,factorized} N AREAS")
