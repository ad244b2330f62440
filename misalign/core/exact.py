r"""Exactly rounded sums that merge in any order: the per-goal sums of tables.

A table can reach the score by many routes (a pandas frame, CSV or Parquet files
split any way, Dask partitions on any number of workers). Floating-point
addition is not associative, so sums added in a different order differ in the
last bits. The sums here are exact instead: every value is split into its
binary exponent and two halves of its 53-bit significand, the halves are summed
per (slot, exponent) with ``np.bincount`` (exact, since the partial sums stay
far below :math:`2^{53}`), and the result is kept as a Python integer in units
of :math:`2^{-1074}`, the smallest positive double. Integers add exactly, so
partial sums of any partition of the rows merge to the same total, and
:meth:`ExactSums.values` rounds it once, correctly, to the nearest double.

The score of a table therefore depends only on the population, never on how its
rows were split or ordered. It may differ from the in-memory score of
:func:`misalign.misalignment` (which adds in a fixed order, rounding as it goes)
in the last bits.

Values must be finite and in [0, 1] (weights and their square roots); the
tables layer checks them before they come here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ExactSums"]

# frexp exponents of doubles in (0, 1]: -1073 (the smallest subnormal) to 1.
_EXPONENTS = 1075
_SHIFT = 1073  # exponent + _SHIFT is an index 0.._EXPONENTS - 1
_HALF = 2.0 ** 26  # significands (< 2^53) are split into a high part (< 2^27) and a low part (< 2^26)
# Rows held in float accumulators before they are flushed into integers: every
# (slot, exponent) partial sum then stays below 2^53, so float addition is exact.
_PENDING = 1 << 26
_UNIT = 1 << 1126  # values are held as integers times 2^-1126 (significand times 2^(exponent - 53))


class ExactSums:
    """Exact sums of non-negative doubles in [0, 1] per slot, mergeable in any order.

    Parameters
    ----------
    size : int
        The number of slots.
    """

    __slots__ = ("size", "totals", "_high", "_low", "_pending")

    def __init__(self, size: int):
        self.size = int(size)
        self.totals: dict[int, int] = {}  # slot -> sum in units of 2^-1126 (absent = 0)
        self._high = self._low = None
        self._pending = 0

    def add(self, slots: np.ndarray, values: np.ndarray) -> None:
        """Add ``values`` (float64, finite, in [0, 1]) to their ``slots`` (ints in 0..size-1)."""
        values = np.asarray(values, dtype=np.float64)
        slots = np.asarray(slots)
        for lo in range(0, values.size, _PENDING):
            block, where = values[lo:lo + _PENDING], slots[lo:lo + _PENDING]
            if self._pending + block.size > _PENDING:
                self._flush()
            mantissa, exponent = np.frexp(block)  # block = mantissa * 2^exponent, mantissa in [0.5, 1)
            high = np.floor(mantissa * 2.0 ** 27)  # significand = mantissa * 2^53 = high * 2^26 + low
            low = mantissa * 2.0 ** 53 - high * _HALF
            key = where * _EXPONENTS + (exponent + _SHIFT)
            length = self.size * _EXPONENTS
            if self._high is None:
                self._high, self._low = np.zeros(length), np.zeros(length)
            self._high += np.bincount(key, weights=high, minlength=length)
            self._low += np.bincount(key, weights=low, minlength=length)
            self._pending += block.size

    @classmethod
    def from_accumulators(cls, size: int, high: np.ndarray, low: np.ndarray) -> "ExactSums":
        """Sums from accumulators laid out as :meth:`add` keeps them: (size x 1075) halves by exponent.

        For compiled reductions that accumulate in the same layout; every entry
        must be an exact integer below :math:`2^{53}` (at most :math:`2^{26}`
        values added per entry).
        """
        out = cls(size)
        out._high, out._low = high, low
        out._pending = 1
        return out

    def _flush(self) -> None:
        if self._high is None:
            return
        high, low = self._high, self._low
        for k in np.flatnonzero((high > 0) | (low > 0)).tolist():
            slot, e = divmod(k, _EXPONENTS)
            exact = ((int(high[k]) << 26) + int(low[k])) << e
            self.totals[slot] = self.totals.get(slot, 0) + exact
        self._high = self._low = None
        self._pending = 0

    def merge(self, other: "ExactSums") -> "ExactSums":
        """Add ``other``'s sums into these (the result does not depend on the order of merges)."""
        if other.size != self.size:
            raise ValueError(f"cannot merge sums over {other.size} slots into sums over {self.size} slots")
        self._flush()
        other._flush()
        for slot, total in other.totals.items():
            self.totals[slot] = self.totals.get(slot, 0) + total
        return self

    def values(self) -> np.ndarray:
        """The sums, each correctly rounded to the nearest double: shape (size,)."""
        self._flush()
        out = np.zeros(self.size)
        for slot, total in self.totals.items():
            out[slot] = total / _UNIT  # int / int true division rounds correctly
        return out

    def __getstate__(self):
        self._flush()
        return {"size": self.size, "totals": self.totals}

    def __setstate__(self, state):
        self.size, self.totals = state["size"], state["totals"]
        self._high = self._low = None
        self._pending = 0
