"""The compiled fast path of the score against its numpy reference and the brute-force definition.

Large populations (at least ``engine.KERNEL_MIN_ENTRIES`` goal entries) are
scored by :mod:`misalign.core.kernels`. The threshold is lowered here so that small,
quick populations exercise both paths; raising it past any size forces numpy.
Both paths add every per-goal sum in one fixed order (agent by agent within
chunks of ``engine.CHUNK`` agents, then chunk by chunk), whatever the number of
threads, so the scores must be equal to the last bit, not merely close.
"""

import math
import os
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import misalign
from misalign import util
from misalign.core import engine, kernels as _kernels

from . import reference


@pytest.fixture(autouse=True)
def _kernel_even_before_it_is_loaded(monkeypatch):
    """These tests choose the path with KERNEL_MIN_ENTRIES alone, whether or not the kernel is loaded yet."""
    monkeypatch.setattr(engine, "KERNEL_COLD_ENTRIES", 0)


def test_a_cold_process_scores_a_million_agents_without_loading_the_kernel(monkeypatch):
    # The first use of the kernel costs a numba import and a cache load; it must pay for itself.
    import subprocess
    import sys

    code = ("import numpy as np, misalign, sys; from misalign.core import kernels; "
            "g = np.zeros((10**6, 3), np.int64); w = np.ones((10**6, 3)); "
            "misalign.misalignment(g, w, [np.zeros((2, 2))] * 3); print(kernels.loaded(), 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

FAST_MEANS = ("geometric", "arithmetic", "none")
NUMPY = 10**18  # a threshold no population reaches


def population(rng, n, ks, runs=None, dtype=np.int64):
    """Goals with null goals and weights with exact zeros and ones, shape (n, m) or (runs, n, m)."""
    lead = () if runs is None else (runs,)
    goals = np.stack([rng.integers(0, k + 1, size=lead + (n,)) for k in ks], axis=-1).astype(dtype)
    weights = rng.random(lead + (n, len(ks)))
    weights[rng.random(weights.shape) < 0.1] = 0.0
    weights[rng.random(weights.shape) < 0.05] = 1.0
    return goals, weights


def conflicts_for(rng, ks, runs=None):
    out = []
    for k in ks:
        c = np.triu(rng.random(((runs,) if runs else ()) + (k, k)), 1)
        out.append(c + np.swapaxes(c, -1, -2))
    return out


@pytest.fixture
def calls(monkeypatch):
    """Count the calls into the compiled kernel, to know which path scored."""
    seen = []
    original = _kernels.group_sums

    def counting(*args, **kwargs):
        seen.append(args[0].shape)
        return original(*args, **kwargs)

    monkeypatch.setattr(_kernels, "group_sums", counting)
    return seen


def both_paths(monkeypatch, threshold, f, *args, **kwargs):
    """f under the given threshold, then under numpy only."""
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", threshold)
    fast = f(*args, **kwargs)
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", NUMPY)
    return fast, f(*args, **kwargs)


@pytest.mark.parametrize("weight_mean", FAST_MEANS)
@pytest.mark.parametrize("pairs", ["distinct", "with_replacement"])
@pytest.mark.parametrize("normalize", [False, True])
def test_area_scores_equal_numpy_exactly(monkeypatch, calls, weight_mean, pairs, normalize):
    rng = np.random.default_rng(1)
    ks = [1, 2, 3, 5]  # k = 1 scores 0 when normalized
    goals, weights = population(rng, 300, ks)
    fast, slow = both_paths(monkeypatch, 1, misalign.area_scores, goals, weights, conflicts_for(rng, ks),
                            pairs=pairs, weight_mean=weight_mean, normalize=normalize)
    assert len(calls) == 1
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("weight_mean", FAST_MEANS)
def test_fast_path_matches_the_definition(monkeypatch, weight_mean):
    # the brute-force pair loop of tests/reference.py shares no code with either path
    rng = np.random.default_rng(2)
    ks = [2, 4]
    goals, weights = population(rng, 40, ks)
    cs = conflicts_for(rng, ks)
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", 1)
    got = misalign.area_scores(goals, weights, cs, weight_mean=weight_mean)
    want = [reference.area_score(goals[:, j].tolist(), weights[:, j].tolist(), cs[j].tolist(), weight_mean=weight_mean)
            for j in range(len(ks))]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_just_below_the_threshold_numpy_scores_and_at_it_the_kernel(monkeypatch, calls):
    rng = np.random.default_rng(3)
    ks = [3, 3, 4]
    goals, weights = population(rng, 100, ks)
    cs = conflicts_for(rng, ks)
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", goals.size + 1)
    below = misalign.misalignment(goals, weights, cs)
    assert calls == []
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", goals.size)
    at = misalign.misalignment(goals, weights, cs)
    assert calls == [(1,) + goals.shape]
    assert at == below


@pytest.mark.parametrize("weight_mean", FAST_MEANS)
@pytest.mark.parametrize("per_run_conflicts", [False, True])
def test_batched_runs_equal_numpy_exactly(monkeypatch, calls, weight_mean, per_run_conflicts):
    rng = np.random.default_rng(4)
    ks = [2, 3, 4]
    goals, weights = population(rng, 200, ks, runs=3)
    cs = conflicts_for(rng, ks, runs=3 if per_run_conflicts else None)
    fast, slow = both_paths(monkeypatch, 1, misalign.area_scores_batch, goals, weights, cs,
                            weight_mean=weight_mean, pairs="with_replacement")
    assert len(calls) == 1
    np.testing.assert_array_equal(fast, slow)
    fast, slow = both_paths(monkeypatch, 1, misalign.misalignment_batch, goals, weights, cs,
                            weight_mean=weight_mean, area_mean="geometric")
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint8, np.uint64])
def test_any_integer_goal_dtype_takes_the_kernel(monkeypatch, calls, dtype):
    rng = np.random.default_rng(5)
    goals, weights = population(rng, 150, [4, 2], dtype=dtype)
    cs = conflicts_for(rng, [4, 2])
    fast, slow = both_paths(monkeypatch, 1, misalign.misalignment, goals, weights, cs)
    assert len(calls) == 1
    assert fast == slow


def test_blocks_boundaries_do_not_matter(monkeypatch):
    # populations that span several kernel blocks, the last one partial
    monkeypatch.setattr(_kernels, "_BLOCK", 21)  # 7 agents of 3 areas
    rng = np.random.default_rng(6)
    goals, weights = population(rng, 150, [3, 5, 2])
    cs = conflicts_for(rng, [3, 5, 2])
    for weight_mean in FAST_MEANS:
        fast, slow = both_paths(monkeypatch, 1, misalign.area_scores, goals, weights, cs, weight_mean=weight_mean)
        np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("threads", ["1", "2", "3", "16"])
@pytest.mark.parametrize("weight_mean", FAST_MEANS)
def test_chunks_and_threads_do_not_change_a_bit(monkeypatch, calls, threads, weight_mean):
    # 3 runs x 5 chunks of 32 agents (the last partial) shared out among the threads
    monkeypatch.setattr(engine, "CHUNK", 32)
    monkeypatch.setenv("MISALIGN_THREADS", threads)
    rng = np.random.default_rng(17)
    ks = [4, 2, 6]
    goals, weights = population(rng, 150, ks, runs=3)
    cs = conflicts_for(rng, ks)
    fast, slow = both_paths(monkeypatch, 1, misalign.area_scores_batch, goals, weights, cs, weight_mean=weight_mean)
    assert len(calls) == 1
    np.testing.assert_array_equal(fast, slow)


def test_bad_entries_are_found_in_any_thread(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK", 16)
    monkeypatch.setenv("MISALIGN_THREADS", "2")
    rng = np.random.default_rng(18)
    goals, weights = population(rng, 100, [3, 3])
    weights[90, 1] = 2.0  # in the last chunk, summed by the second thread
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", 1)
    with pytest.raises(ValueError, match=r"weights\[90, 1\] = 2.0; expected a weight in \[0, 1\]"):
        misalign.misalignment(goals, weights, conflicts_for(rng, [3, 3]))


@pytest.mark.parametrize("setting", ["0", "two", "-1", "1.5", ""])
def test_a_bad_thread_setting_is_named(monkeypatch, setting):
    monkeypatch.setenv("MISALIGN_THREADS", setting)
    with pytest.raises(ValueError, match=f"MISALIGN_THREADS={setting!r}; expected a whole number of threads, at least 1"):
        util.threads()


def test_threads_default_to_the_usable_cpus(monkeypatch):
    monkeypatch.delenv("MISALIGN_THREADS", raising=False)
    assert util.threads() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("chunk", [7, 64, 500])
def test_group_sums_follow_the_promised_order(chunk):
    # the per-goal sums themselves, against one float addition at a time (tests/reference.py)
    rng = np.random.default_rng(7)
    ks = np.array([2, 4])
    goals, weights = population(rng, 300, ks, runs=2)
    arith = _kernels.group_sums(goals, weights, ks, ("count", "weight"), chunk)
    count, wsum = arith["count"], arith["weight"]
    ssum = _kernels.group_sums(goals, weights, ks, ("sqrt",), chunk)["sqrt"]
    for r in range(2):
        for j, k in enumerate(ks):
            g, w = goals[r, :, j].tolist(), weights[r, :, j].tolist()
            np.testing.assert_array_equal(count[r, j, :k + 1], np.bincount(g, minlength=k + 1))
            assert wsum[r, j, :k + 1].tolist() == reference.ordered_goal_sums(g, w, k, chunk)
            assert ssum[r, j, :k + 1].tolist() == reference.ordered_goal_sums(g, [math.sqrt(x) for x in w], k, chunk)


@pytest.mark.parametrize("chunk", [7, 64, 2**16])
def test_numpy_group_sums_follow_the_promised_order(monkeypatch, chunk):
    monkeypatch.setattr(engine, "CHUNK", chunk)
    rng = np.random.default_rng(19)
    goals, weights = population(rng, 300, [5], runs=2)
    got = engine.goal_sums(goals[:, :, 0], weights[:, :, 0], 5)
    for r in range(2):
        assert got[r].tolist() == reference.ordered_goal_sums(goals[r, :, 0].tolist(), weights[r, :, 0].tolist(), 5, chunk)


def test_up_to_a_chunk_the_order_is_plain_agent_order():
    rng = np.random.default_rng(20)
    goals, weights = population(rng, 1000, [3])
    np.testing.assert_array_equal(engine.goal_sums(goals[None, :, 0], weights[None, :, 0], 3)[0],
                                  np.bincount(goals[:, 0], weights[:, 0], 4))


@pytest.mark.parametrize("weight_mean", ["harmonic", "min", "max"])
def test_means_without_a_kernel_still_score_large_populations(monkeypatch, calls, weight_mean):
    rng = np.random.default_rng(8)
    goals, weights = population(rng, 60, [3, 3])
    cs = conflicts_for(rng, [3, 3])
    fast, slow = both_paths(monkeypatch, 1, misalign.area_scores, goals, weights, cs, weight_mean=weight_mean)
    assert calls == []
    np.testing.assert_array_equal(fast, slow)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40), ks=st.lists(st.integers(1, 6), min_size=1, max_size=4),
       weight_mean=st.sampled_from(FAST_MEANS))
def test_property_fast_equals_numpy(seed, n, ks, weight_mean):
    rng = np.random.default_rng(seed)
    goals, weights = population(rng, n, ks)
    cs = conflicts_for(rng, ks)
    old = engine.KERNEL_MIN_ENTRIES
    try:
        engine.KERNEL_MIN_ENTRIES = 1
        fast = misalign.area_scores(goals, weights, cs, weight_mean=weight_mean)
    finally:
        engine.KERNEL_MIN_ENTRIES = old
    np.testing.assert_array_equal(fast, misalign.area_scores(goals, weights, cs, weight_mean=weight_mean))


# --- bad input above the threshold fails exactly as below it ----------------------------------------


def _message(f, *args, **kwargs):
    with pytest.raises(ValueError) as info:
        f(*args, **kwargs)
    return str(info.value)


def _spoil(where, value, goals, weights):
    """A copy of the population with one entry replaced."""
    goals, weights = goals.copy(), weights.copy()
    array = goals if where[0] == "goals" else weights
    array[where[1:]] = value
    return goals, weights


BAD_ENTRIES = [
    (("weights", 37, 1), np.nan, r"weights\[37, 1\] is nan; expected a finite weight in \[0, 1\]"),
    (("weights", 99, 0), np.inf, r"weights\[99, 0\] is inf; expected a finite weight"),
    (("weights", 5, 2), -0.5, r"weights\[5, 2\] = -0.5; expected a weight in \[0, 1\]"),
    (("weights", 120, 2), 1.25, r"weights\[120, 2\] = 1.25; expected a weight in \[0, 1\]"),
    (("goals", 64, 2), 4, r"goals\[64, 2\] = 4; expected a goal id in 0..3 for area 2"),
    (("goals", 3, 0), -1, r"goals\[3, 0\] = -1; expected a goal id in 0..2 for area 0"),
]


@pytest.mark.parametrize("where, value, pattern", BAD_ENTRIES)
@pytest.mark.parametrize("f", [misalign.area_scores, misalign.misalignment])
def test_bad_entries_raise_the_numpy_message(monkeypatch, where, value, pattern, f):
    rng = np.random.default_rng(9)
    ks = [2, 5, 3]
    goals, weights = _spoil(where, value, *population(rng, 130, ks))
    fast, slow = both_paths(monkeypatch, 1, _message, f, goals, weights, conflicts_for(rng, ks))
    assert fast == slow
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", 1)
    with pytest.raises(ValueError, match=pattern):
        f(goals, weights, conflicts_for(rng, ks))


def test_the_first_of_several_bad_entries_is_reported(monkeypatch):
    # numpy reports non-finite weights before out-of-range ones, and both before goals
    rng = np.random.default_rng(10)
    ks = [3, 3]
    goals, weights = population(rng, 100, ks)
    weights[2, 1] = 7.0
    weights[80, 0] = np.nan
    goals[1, 0] = 9
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", 1)
    with pytest.raises(ValueError, match=r"weights\[80, 0\] is nan"):
        misalign.area_scores(goals, weights, conflicts_for(rng, ks))


def test_bad_batched_entries_raise_the_numpy_message(monkeypatch):
    rng = np.random.default_rng(11)
    ks = [2, 4]
    goals, weights = population(rng, 50, ks, runs=2)
    goals[1, 7, 1] = 5
    fast, slow = both_paths(monkeypatch, 1, _message, misalign.area_scores_batch, goals, weights,
                            conflicts_for(rng, ks))
    assert fast == slow
    assert fast.startswith("goals[1, 7, 1] = 5; expected a goal id in 0..4 for area 1")


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(weight_mean="median"), r"weight_mean='median' is not a valid option"),
    (dict(pairs="all"), r"pairs='all' is not a valid option"),
])
def test_bad_options_raise_the_numpy_message(monkeypatch, kwargs, pattern):
    rng = np.random.default_rng(12)
    goals, weights = population(rng, 50, [2, 2])
    fast, slow = both_paths(monkeypatch, 1, _message, misalign.area_scores, goals, weights,
                            conflicts_for(rng, [2, 2]), **kwargs)
    assert fast == slow
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", 1)
    with pytest.raises(ValueError, match=pattern):
        misalign.area_scores(goals, weights, conflicts_for(rng, [2, 2]), **kwargs)


def test_bad_conflicts_raise_the_numpy_message(monkeypatch):
    rng = np.random.default_rng(13)
    goals, weights = population(rng, 50, [2, 2])
    cs = conflicts_for(rng, [2, 2])
    cs[1] = cs[1] + np.eye(2) * 0.5
    fast, slow = both_paths(monkeypatch, 1, _message, misalign.misalignment, goals, weights, cs)
    assert fast == slow
    assert fast.startswith("conflicts[1][0, 0] = 0.5; a goal never conflicts with itself")


def test_bad_conflicts_raise_even_when_entries_are_fine_and_many(monkeypatch):
    rng = np.random.default_rng(14)
    goals, weights = population(rng, 50, [2, 2])
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", 1)
    with pytest.raises(ValueError, match="conflicts has 1 matrices but there are 2 areas"):
        misalign.area_scores(goals, weights, conflicts_for(rng, [2]))


def test_a_generator_of_conflicts_is_read_once(monkeypatch):
    # the kernel path must not consume an iterable the numpy path then reports on
    rng = np.random.default_rng(15)
    goals, weights = population(rng, 50, [2, 2])
    goals[3, 1] = 3
    monkeypatch.setattr(engine, "KERNEL_MIN_ENTRIES", 1)
    with pytest.raises(ValueError, match=r"goals\[3, 1\] = 3; expected a goal id in 0..2 for area 1"):
        misalign.area_scores(goals, weights, (c for c in conflicts_for(rng, [2, 2])))


def test_no_writable_cache_folder_compiles_without_caching(monkeypatch):
    # numba refuses cache=True when it can write nowhere (read-only install and home)
    from numba.core import caching

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])
    monkeypatch.setattr(_kernels, "_compiled", None)
    # imported (and so decorated) again, now without a cache
    monkeypatch.delitem(sys.modules, "misalign.core.compiled", raising=False)
    monkeypatch.delattr(misalign.core, "compiled", raising=False)
    rng = np.random.default_rng(16)
    goals, weights = population(rng, 30, [2])
    fast, slow = both_paths(monkeypatch, 1, misalign.area_scores, goals, weights, conflicts_for(rng, [2]))
    np.testing.assert_array_equal(fast, slow)
    assert type(sys.modules["misalign.core.compiled"].sqrt_sums._cache).__name__ == "NullCache"


# --------------------------------------------------------------------------- the table kernel

def _long_table(rng, n=300, m=3, k=3):
    """A long table of integer labels (the kernel's case): n agents x m areas, some without a goal."""
    goals = rng.integers(0, k + 1, size=(n, m))
    weights = rng.random((n, m))
    weights[goals == 0] = np.nan  # no goal, no weight
    agents = pd.DataFrame({"agent": np.repeat(np.arange(n, dtype=np.int64), m),
                           "area": np.tile(np.arange(m, dtype=np.int64), n),
                           "goal": goals.ravel(), "weight": weights.ravel()})
    mats = [rng.random((k, k)) for _ in range(m)]
    mats = [np.triu(c, 1) + np.triu(c, 1).T for c in mats]
    conflicts = pd.DataFrame([(j, a + 1, b + 1, mats[j][a, b]) for j in range(m) for a in range(k)
                              for b in range(a + 1, k)], columns=["area", "goal_a", "goal_b", "conflict"])
    return agents, conflicts, goals, np.nan_to_num(weights), mats


@pytest.mark.parametrize("weight_mean", ["geometric", "arithmetic", "none"])
def test_the_table_kernel_equals_the_numpy_path_to_the_last_bit(monkeypatch, weight_mean):
    from misalign.tables import summary
    from misalign.tables.frame import score_frame

    agents, conflicts, goals, weights, mats = _long_table(np.random.default_rng(7))
    calls = []
    real = _kernels.table_kernel
    monkeypatch.setattr(_kernels, "table_kernel", lambda: calls.append(1) or real())
    monkeypatch.setattr(summary, "_KERNEL_COLD_ROWS", 0)  # the kernel even before its first use
    compiled = score_frame(agents, conflicts, weight_mean=weight_mean)
    assert calls, "the table kernel was not used"
    monkeypatch.setattr(_kernels, "available", lambda: False)  # the numpy path
    calls.clear()
    plain = score_frame(agents, conflicts, weight_mean=weight_mean)
    assert not calls
    pd.testing.assert_frame_equal(compiled, plain, check_exact=True)
    # and both equal the pairwise definition (tests/reference.py)
    for j in range(3):
        expected = reference.area_score(goals[:, j], weights[:, j], mats[j],
                                        weight_mean=weight_mean)
        assert math.isclose(plain.loc[plain["area"] == j, "score"].item(), expected, rel_tol=1e-12)


def test_the_table_kernel_hands_a_bad_last_row_to_the_numpy_path_that_names_it(monkeypatch):
    from misalign.tables import summary
    from misalign.tables.frame import score_frame

    agents, conflicts, *_ = _long_table(np.random.default_rng(8))
    agents.loc[len(agents) - 1, ["goal", "weight"]] = [2, 1.5]  # the last row of the last area
    monkeypatch.setattr(summary, "_KERNEL_COLD_ROWS", 0)
    with pytest.raises(ValueError, match=r"column 'weight' is outside \[0, 1\] on 1 row in area 2: value 1.5"):
        score_frame(agents, conflicts)
