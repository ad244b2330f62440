r"""Labels of goals and areas, and agent ids: one set of rules on every input route.

A **label** (of a goal or an area) is a string or a whole number:

- whole numbers and their spellings are one label: ``7``, ``7.0``, ``"7"``,
  ``"7.0"`` and ``"7e0"`` all name goal 7, so a table read from CSV (where
  everything is text) matches one built in code;
- text with a leading zero (``"007"``), surrounding spaces (``" 7"``) or any
  other characters is a text label, compared exactly after Unicode NFC
  normalization (so the two ways of writing ``café`` are one label);
- a number that is not whole (``1.5``, ``"1.5"``), a boolean (``True``, and the
  text ``"True"``/``"False"`` that pandas writes for booleans), bytes or any
  other object is not a label: an error, never reinterpreted;
- a missing value (``None``, NaN, ``pd.NA``) or the empty text is missing; for
  a goal, 0 (in any spelling) is the null goal :math:`g_0`, "no goal".

An **agent id** is compared by its exact text: ``"007"`` and ``"7"`` are two
agents. An integer column keeps its integers (their text is unique); any other
column is read as text, so ids of mixed types (``7`` and ``"x"``) are text on
every route.

Every function here works on the distinct values of a column (after
:func:`pandas.factorize`), so the rules cost nothing per row.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = [
    "numbers",
    "Invalid",
    "canonical",
    "canonical_many",
    "agent_ids",
    "factorize",
    "show",
    "explain_near_miss",
]

# A number written in decimal (optionally with an exponent), without a leading zero.
_NUMBER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|[+-]?\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_BOOLEAN_TEXT = ("True", "False")


class Invalid:
    """A value that is not a label, with what it is (for the message)."""

    __slots__ = ("value", "what")

    def __init__(self, value, what: str):
        self.value, self.what = value, what

    def __repr__(self):
        return f"Invalid({self.value!r}, {self.what!r})"


def factorize(values: pd.Series):
    """(codes, uniques) of a column, -1 for missing; booleans never merge with the numbers 1 and 0.

    :func:`pandas.factorize` hashes ``True`` like ``1`` (Python's ``True == 1``),
    so in an object column a boolean would silently take the code of the number.
    Booleans are factorized apart here.
    """
    if values.dtype == object:
        odd = values.map(type).isin((bool, np.bool_)).to_numpy()
        if odd.any():
            codes = np.empty(len(values), dtype=np.int64)
            plain, plain_uniques = pd.factorize(values[~odd], use_na_sentinel=True)
            bools, bool_uniques = pd.factorize(values[odd].map(bool), use_na_sentinel=True)
            codes[~odd] = plain
            codes[odd] = bools + len(plain_uniques)
            return codes, [*plain_uniques, *bool_uniques]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, list(uniques)


def _from_number(x: float, original):
    if not np.isfinite(x):
        return Invalid(original, "a number that is not finite")
    if not float(x).is_integer():
        return Invalid(original, "a number that is not whole")
    return int(x)


def canonical(value, *, goal: bool = True):
    """The canonical form of one label: an int, an NFC str, None (missing or null goal), or :class:`Invalid`.

    Parameters
    ----------
    value : object
        The label as stored.
    goal : bool
        A goal label, for which 0 means "no goal" (None); an area label keeps 0.

    Examples
    --------
    >>> [canonical(x) for x in (7, 7.0, "7", "7.0", "007", "", 0, "0.0")]
    [7, 7, 7, 7, '007', None, None, None]
    >>> canonical(1.5), canonical(True), canonical("True")
    (Invalid(1.5, 'a number that is not whole'), Invalid(True, 'a boolean'), Invalid('True', 'a boolean written as text'))
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return Invalid(value, "a boolean")
    if isinstance(value, (int, np.integer)):
        label = int(value)
    elif isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        label = _from_number(float(value), value)
        if isinstance(label, Invalid):
            return label
    elif isinstance(value, str):
        text = unicodedata.normalize("NFC", value)
        if text == "":
            return None
        if text in _BOOLEAN_TEXT:
            return Invalid(value, "a boolean written as text")
        if _INTEGER.fullmatch(text):
            label = int(text)
        elif _NUMBER.fullmatch(text):
            label = _from_number(float(text), value)
            if isinstance(label, Invalid):
                return label
        else:
            label = text
    elif isinstance(value, (bytes, bytearray)):
        return Invalid(value, "bytes")
    else:
        return Invalid(value, f"a {type(value).__name__}")
    if goal and label == 0:
        return None
    return label


def canonical_many(values, *, goal: bool = True):
    """Canonical labels of a column: (codes, labels) with codes into ``labels`` (-1 = missing/null goal).

    ``labels`` holds ints, strs and :class:`Invalid` values, each once; the
    spellings of one label share its code. Works on the distinct values only.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        a = series.to_numpy()
        if a.size and int(a.max()) - int(a.min()) < 1 << 16:  # small range: codes by subtraction, no hashing
            lo = int(a.min())
            raw_codes = a.astype(np.int64) - lo
            uniques = list(range(lo, int(a.max()) + 1))
        else:
            raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
        canon = [None if (goal and int(u) == 0) else int(u) for u in uniques]
    else:
        raw_codes, uniques = factorize(series.astype(object) if dtype.kind == "b" else series)
        canon = [canonical(u, goal=goal) for u in uniques]
    labels: list = []
    index: dict = {}
    remap = np.full(len(canon) + 1, -1, dtype=np.int64)
    for i, c in enumerate(canon):
        if c is None:
            continue
        key = ("invalid", id(c)) if isinstance(c, Invalid) else (type(c) is int, c)
        if key not in index:
            index[key] = len(labels)
            labels.append(c)
        remap[i] = index[key]
    return remap[raw_codes], labels  # raw code -1 (missing) indexes remap[-1] == -1


def agent_ids(values: pd.Series) -> np.ndarray:
    """Agent ids compared by their text: an integer column stays integer, anything else becomes str.

    Missing ids (and the empty text) are returned as None (the caller reports them).
    """
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return values.to_numpy()
    codes, uniques = factorize(values)
    text = np.array([None if (u is None or (isinstance(u, str) and u == "")) else str(u) for u in uniques] + [None],
                    dtype=object)
    return text[codes]


def show(label) -> str:
    """A label as shown in messages: repr, with invisible differences made visible."""
    value = label.value if isinstance(label, Invalid) else label
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    if isinstance(value, str) and not value.isascii():
        text += f" ({ascii(value)})"
    return text


def explain_near_miss(label, known) -> str:
    """Why ``label`` may not match a listed label that looks like it; "" if none looks alike.

    Looks alike: equal after removing surrounding spaces, ignoring case and
    reading compatibility characters (NFKC: a non-breaking space, a
    full-width digit, a ligature) as their plain forms.

    Examples
    --------
    >>> explain_near_miss("Yes ", ["yes", "no"])
    " (it differs from the label 'yes' only by surrounding spaces and upper/lower case)"
    """
    if not isinstance(label, str):
        return ""

    def squash(s):
        return unicodedata.normalize("NFKC", str(s)).casefold().strip()

    near = [k for k in known if str(k) != label and squash(k) == squash(label)]
    if not near:
        return ""
    other = near[0]
    a, b = label, str(other)
    why = []
    if a != a.strip() or b != b.strip():
        why.append("surrounding spaces")
    a, b = a.strip(), b.strip()
    if a.casefold() != b.casefold() or a == b:
        pass
    else:
        why.append("upper/lower case")
    if unicodedata.normalize("NFKC", a) != a or unicodedata.normalize("NFKC", b) != b:
        why.append("look-alike Unicode characters")
    kind = "the number" if isinstance(other, int) else "the label"
    return f" (it differs from {kind} {show(other)} only by {' and '.join(why) or 'its spelling'})"


def numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column of numbers as written: (float64 values, mask of cells that are not numbers).

    Numeric columns are taken as they are (missing values become NaN). In text
    columns only an empty cell (or a missing value) is missing (NaN); every
    other cell must be a decimal number such as ``1``, ``0.25`` or ``2.5e-1``:
    ``nan``, ``inf``, ``1,5`` or ``high`` are marked as not numbers.
    """
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        return values.to_numpy(dtype=np.float64), np.zeros(len(values), dtype=bool)
    if dtype.kind == "b" or (not isinstance(dtype, np.dtype) and str(dtype) in ("boolean", "bool")):
        return np.full(len(values), np.nan), values.notna().to_numpy()
    if not isinstance(dtype, np.dtype) and getattr(dtype, "kind", "O") in "iuf":  # nullable Int64, Float64
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(values), dtype=bool)
    codes, uniques = factorize(values)
    parsed = np.full(len(uniques) + 1, np.nan)
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    for i, u in enumerate(uniques):
        if isinstance(u, (bool, np.bool_)):
            bad[i] = True
        elif isinstance(u, (int, float, np.integer, np.floating)):
            parsed[i] = float(u)
        elif isinstance(u, str):
            text = u.strip()
            if text == "":
                continue
            if _NUMBER.fullmatch(text):
                parsed[i] = float(text)
            else:
                bad[i] = True
        else:
            bad[i] = True
    return parsed[codes], bad[codes]
