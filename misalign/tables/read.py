r"""Reading tables as written: pandas and Dask frames, and CSV or Parquet files, as pieces.

Every source is cut into **pieces**, each of which yields pandas frames of at
most :data:`CHUNK_ROWS` rows holding only the columns asked for. A piece knows
where it comes from (a file, a range of rows), so every error can name it.

- **pandas**: slices of the frame.
- **Dask**: the frame's partitions.
- **CSV** (``.csv``, ``.tsv``, ``.txt``, compressed ``.gz``/``.bz2``/``.xz``/``.zst``):
  one piece per file, read in chunks, every column as **text** with the
  package's own rules applied later (:mod:`misalign.tables.labels`): only an
  empty cell is missing (``NA``, ``None``, ``null`` are text unless listed in
  ``na_values``), ids keep their exact text, whole-number weights are numbers
  like any other. The delimiter is the one of ``,``, ``;``, tab and ``|``
  whose header row holds the columns asked for (or ``sep``); every file's header
  is checked before any row is read, and a file that disagrees is named.
- **Parquet**: one piece per group of row groups (hive-partitioned folders
  supported); every file's schema is checked before any row is read.

A path may be a file, a folder (every CSV or Parquet file below it, hidden
files skipped) or a glob. No error of pandas, pyarrow or Dask reaches the user
without a sentence of ours naming the file and what was expected.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..util import require

__all__ = ["CHUNK_ROWS", "Piece", "Source", "open_table", "read_small", "where_in"]

#: Rows per frame a piece yields (bounds every temporary of the reduction).
CHUNK_ROWS = 1 << 20
# Parquet files with more rows than this are read in pieces of whole row groups.
PIECE_ROWS = 1 << 22

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst")
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_DELIMITERS = (",", ";", "\t", "|")
_PIECE_KINDS = ("pandas", "dask", "csv", "parquet")


def _kind_of(path: str) -> str | None:
    name = path.lower()
    for z in _COMPRESSED:
        if name.endswith(z):
            name = name[: -len(z)]
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    return None


def _sniff(path: str) -> str:
    """The kind of a file without a telling suffix: Parquet by its magic bytes, else CSV text."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror})") from None
    return "parquet" if head == b"PAR1" else "csv"


def expand(path, name: str) -> tuple[str, list[str]]:
    """The kind ("csv" or "parquet") and the files a path, folder or glob names, sorted."""
    text = os.fspath(path)
    if glob.has_magic(text):
        found = sorted(glob.glob(text, recursive=True))
    elif os.path.isdir(text):
        found = sorted(os.path.join(d, f) for d, dirs, files in os.walk(text) for f in files
                       if not f.startswith((".", "_")) and not any(part.startswith(".") for part in
                                                                    os.path.relpath(d, text).split(os.sep)[1:]))
        found = [f for f in found if _kind_of(f)]
        if not found:
            raise ValueError(f"{name}: the folder {text!r} holds no CSV or Parquet file "
                             f"(expected files ending in {', '.join(_CSV_SUFFIXES + _PARQUET_SUFFIXES)})")
    elif os.path.exists(text):
        found = [text]
    else:
        found = []
    found = [f for f in found if os.path.isfile(f)]
    if not found:
        raise ValueError(f"{name}: no file or folder matches {text!r}; expected a CSV or Parquet path, folder or glob")
    kinds = {f: (_kind_of(f) or _sniff(f)) for f in found}
    distinct = sorted(set(kinds.values()))
    if len(distinct) > 1:
        example = {k: next(f for f, v in kinds.items() if v == k) for k in distinct}
        raise ValueError(f"{name}: {text!r} mixes CSV and Parquet files ({example['csv']!r} and "
                         f"{example['parquet']!r}); expected files of one kind")
    return distinct[0], found


# --------------------------------------------------------------------------- pieces

@dataclass
class Piece:
    """Part of a table: where it comes from, and how to read it as frames of raw columns.

    ``kind`` is one of "pandas", "dask", "csv", "parquet"; ``where`` names the
    file or rows for messages; ``first_row`` is the (0-based) data row of the
    file or frame the piece starts at.
    """

    kind: str
    where: str
    columns: list
    args: dict = field(default_factory=dict)
    first_row: int = 0
    shown_as: str | None = None  # the kind whose row numbering messages use, if not ``kind``

    def frames(self):
        """Yield pandas frames of at most :data:`CHUNK_ROWS` rows with ``columns`` (raw, as stored)."""
        if self.kind == "pandas":
            frame = self.args["frame"]
            for lo in range(0, max(len(frame), 1), CHUNK_ROWS):
                yield frame.iloc[lo:lo + CHUNK_ROWS]
        elif self.kind == "dask":
            yield self.args["partition"]
        elif self.kind == "csv":
            yield from _csv_frames(self)
        else:
            yield from _parquet_frames(self)


@dataclass
class Source:
    """A table cut into pieces, with the columns every piece yields."""

    name: str
    kind: str
    pieces: list
    columns: list
    dask_partitions: list | None = None  # delayed partitions of a Dask frame


def _check_columns(found, expected, where: str) -> None:
    missing = [c for c in expected if c not in found]
    if missing:
        shown = ", ".join(repr(c) for c in found) or "none"
        raise ValueError(f"{where} is missing column(s) {', '.join(repr(c) for c in missing)}; expected columns "
                         f"{', '.join(expected)} (found {shown})")


# --------------------------------------------------------------------------- CSV

def _open_text(path: str):
    name = path.lower()
    if name.endswith(".gz"):
        import gzip
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    if name.endswith(".bz2"):
        import bz2
        return bz2.open(path, "rt", encoding="utf-8-sig", newline="")
    if name.endswith(".xz"):
        import lzma
        return lzma.open(path, "rt", encoding="utf-8-sig", newline="")
    if name.endswith(".zst"):
        zstd = require("zstandard", "dask", "reading .zst files")
        return io.TextIOWrapper(zstd.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _header(path: str) -> str:
    try:
        with _open_text(path) as f:
            return f.readline()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: is not UTF-8 text (byte {exc.start} of its first line cannot be decoded); "
                         "expected a CSV file in UTF-8") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot be read as a (possibly compressed) text file ({exc})") from None


def _fields(line: str, sep: str) -> list[str]:
    rows = list(csv.reader([line.rstrip("\r\n")], delimiter=sep))
    return rows[0] if rows else []


def csv_delimiter(path: str, columns, sep: str | None, name: str) -> str:
    """The delimiter of a CSV file: ``sep`` if given, else the one whose header holds ``columns``."""
    header = _header(path)
    if not header.strip():
        raise ValueError(f"{name}: {path} is empty or has no header row; expected a header naming the columns "
                         f"{', '.join(columns)}")
    if sep is not None:
        if not isinstance(sep, str) or len(sep) != 1:
            raise ValueError(f"sep={sep!r}; expected a single character such as ',' or ';' or '\\t'")
        return sep
    fitting = [d for d in _DELIMITERS if set(columns) <= set(_fields(header, d))]
    if len(fitting) == 1:
        return fitting[0]
    if not fitting:
        raise ValueError(f"{name}: the header of {path} ({header.strip()[:200]!r}) does not name the columns "
                         f"{', '.join(columns)} with any of the delimiters {', '.join(repr(d) for d in _DELIMITERS)}; "
                         "give the delimiter with sep= (--sep)")
    counts = {d: header.count(d) for d in fitting}
    return max(fitting, key=lambda d: (counts[d], -_DELIMITERS.index(d)))


def csv_pieces(files: list[str], columns, *, sep=None, na_values=None, name: str) -> list[Piece]:
    """One piece per CSV file, after checking every file's header."""
    first = csv_delimiter(files[0], columns, sep, name)
    pieces = []
    for path in files:
        found = _fields(_header(path), first)
        if not set(columns) <= set(found):
            other = [d for d in _DELIMITERS if d != first and set(columns) <= set(_fields(_header(path), d))]
            missing = ", ".join(repr(c) for c in columns if c not in found)
            hint = (f"; it seems to use {other[0]!r} where {files[0]} uses {first!r}" if other else
                    f" (found {', '.join(repr(c) for c in found) or 'none'})")
            raise ValueError(f"{name}: {path} is missing column(s) {missing}; expected columns "
                             f"{', '.join(columns)}{hint}")
        dupes = sorted({c for c in found if found.count(c) > 1 and c in columns})
        if dupes:
            raise ValueError(f"{name}: {path} names column {dupes[0]!r} twice; expected each column once")
        # read by absolute path: workers of a cluster may not share our working directory
        pieces.append(Piece("csv", path, list(columns), dict(path=os.path.abspath(path), sep=first,
                                                             na_values=na_values)))
    return pieces


def _csv_frames(piece: Piece):
    path, sep, na_values = piece.args["path"], piece.args["sep"], piece.args["na_values"]
    options = dict(sep=sep, dtype=str, keep_default_na=False, usecols=piece.columns, chunksize=CHUNK_ROWS,
                   encoding="utf-8-sig", engine="c")
    if na_values:
        options["na_values"] = list(na_values)
    row = 0
    try:
        with _open_text(path) as handle:
            for chunk in pd.read_csv(handle, **{k: v for k, v in options.items() if k != "encoding"}):
                chunk.index = pd.RangeIndex(row, row + len(chunk))
                row += len(chunk)
                yield chunk
    except UnicodeDecodeError as exc:
        raise ValueError(f"{piece.where}: is not UTF-8 text (a byte after line {row + 1} cannot be decoded: "
                         f"{exc.reason}); expected a CSV file in UTF-8") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{piece.where}: is not a valid {sep!r}-separated table after line {row + 1} "
                         f"({str(exc).strip()}); expected one value per column on every row") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{piece.where}: cannot be read ({exc})") from None


# --------------------------------------------------------------------------- Parquet

_LABEL_TYPES = ("integer", "string", "float")


def _arrow_kind(t) -> str:
    pa = require("pyarrow", "parquet", "reading Parquet files")
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_null(t):
        return "null"
    if pa.types.is_boolean(t):
        return "boolean"
    return str(t)


def parquet_pieces(files: list[str], columns, *, numeric=(), name: str) -> list[Piece]:
    """Pieces of whole row groups of every Parquet file, after checking each file's schema.

    ``numeric`` columns must hold numbers (or nulls); the others labels or ids
    (integers, text, or floats checked value by value).
    """
    pads = require("pyarrow.dataset", "parquet", "reading Parquet files")
    try:
        dataset = pads.dataset(files if len(files) > 1 else files[0], format="parquet", partitioning="hive")
        fragments = list(dataset.get_fragments())
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds; each gets our sentence
        raise ValueError(f"{name}: cannot be read as Parquet ({type(exc).__name__}: {str(exc).strip()[:300]}); "
                         "expected Parquet files") from None
    pieces = []
    for fragment in fragments:
        keys = {k: v for k, v in pads.get_partition_keys(fragment.partition_expression).items() if k in columns}
        try:
            schema = fragment.physical_schema
            meta = fragment.metadata
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"{name}: {fragment.path} cannot be read as Parquet ({str(exc).strip()[:300]})") from None
        stored = [c for c in columns if c not in keys]
        _check_columns(list(schema.names), stored, f"{name}: {fragment.path}")
        text = []
        for c in stored:
            kind = _arrow_kind(schema.field(c).type)
            if kind == "string":
                text.append(c)
            if kind not in ("integer", "string", "float", "null"):
                what = "numbers" if c in numeric else "labels (text or whole numbers)"
                raise ValueError(f"{name}: {fragment.path} stores column {c!r} as {kind}; expected {what}")
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        groups, rows, start = [], 0, 0
        for i, size in enumerate(sizes):
            if groups and rows + size > PIECE_ROWS:
                pieces.append(Piece("parquet", fragment.path, list(columns),
                                    dict(path=os.path.abspath(fragment.path), groups=groups, keys=keys,
                                         dictionary=text), start))
                start += rows
                groups, rows = [], 0
            groups.append(i)
            rows += size
        pieces.append(Piece("parquet", fragment.path, list(columns),
                            dict(path=os.path.abspath(fragment.path), groups=groups, keys=keys, dictionary=text),
                            start))
    return pieces


class Columns:
    """A chunk of a table as named pandas Series over numpy arrays, without building a DataFrame.

    Reading Parquet into numpy arrays is close to free for number columns
    (no copy); a DataFrame would consolidate them, which costs more than the
    reduction itself. Text columns arrive dictionary-encoded (pandas
    Categoricals), so their labels are decoded once per chunk, not per row.
    """

    def __init__(self, columns: dict, index: pd.RangeIndex):
        self._columns, self.index = columns, index

    def __getitem__(self, key):
        if isinstance(key, str):
            return self._columns[key]
        return Columns({k: self._columns[k] for k in key}, self.index)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def columns(self) -> list:
        return list(self._columns)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self._columns, index=self.index)


def _series(array, index) -> pd.Series:
    pa = require("pyarrow", "parquet", "reading Parquet files")
    t = array.type
    if (pa.types.is_integer(t) or pa.types.is_floating(t)) and array.null_count == 0:
        return pd.Series(array.to_numpy(zero_copy_only=False), index=index, copy=False)
    return pd.Series(array.to_pandas(), index=index, copy=False)


def _parquet_frames(piece: Piece):
    pq = require("pyarrow.parquet", "parquet", "reading Parquet files")
    path, groups, keys = piece.args["path"], piece.args["groups"], piece.args["keys"]
    stored = [c for c in piece.columns if c not in keys]
    try:
        table = pq.ParquetFile(path, read_dictionary=piece.args.get("dictionary") or None).read_row_groups(
            groups, columns=stored)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"{path}: cannot be read as Parquet ({str(exc).strip()[:300]})") from None
    row = piece.first_row
    for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
        index = pd.RangeIndex(row, row + batch.num_rows)
        columns = {name: _series(batch.column(name), index) for name in stored}
        for k, v in keys.items():
            columns[k] = pd.Series(np.full(batch.num_rows, v, dtype=object), index=index)
        row += batch.num_rows
        yield Columns({c: columns[c] for c in piece.columns}, index)
    if table.num_rows == 0:
        yield pd.DataFrame({c: pd.Series([], dtype=object) for c in piece.columns})


# --------------------------------------------------------------------------- any source

def _is_dask(table) -> bool:
    dd = sys.modules.get("dask.dataframe")
    return dd is not None and isinstance(table, dd.DataFrame)


def open_table(table, columns, name: str, *, numeric=(), sep=None, na_values=None) -> Source:
    """Cut ``table`` (pandas or Dask frame, or CSV/Parquet path, folder or glob) into pieces.

    Raises
    ------
    ValueError
        For a source of another type, a path that names nothing, files that
        are not CSV or Parquet, mix the two, lack a column, or store a column
        in a type that cannot hold it; naming the file.
    """
    columns = list(columns)
    if na_values is not None and (isinstance(na_values, str) or not all(isinstance(v, str) for v in na_values)):
        raise ValueError(f"na_values={na_values!r}; expected a list of the texts that mean a missing value, "
                         "e.g. ['NA', 'n/a']")
    if isinstance(table, pd.DataFrame):
        _check_columns(list(table.columns), columns, name)
        frame = table[columns]
        pieces = [Piece("pandas", f"rows {lo}-{min(len(frame), lo + PIECE_ROWS) - 1}", columns,
                        dict(frame=frame.iloc[lo:lo + PIECE_ROWS]), lo)
                  for lo in range(0, max(len(frame), 1), PIECE_ROWS)]
        return Source(name, "pandas", pieces, columns)
    if _is_dask(table):
        _check_columns(list(table.columns), columns, name)
        parts = table[columns].to_delayed()
        return Source(name, "dask", [], columns, dask_partitions=parts)
    if isinstance(table, (str, os.PathLike)):
        kind, files = expand(table, name)
        if kind == "csv":
            return Source(name, "csv", csv_pieces(files, columns, sep=sep, na_values=na_values, name=name), columns)
        return Source(name, "parquet", parquet_pieces(files, columns, numeric=numeric, name=name), columns)
    raise ValueError(f"{name} must be a pandas or Dask DataFrame or a path to CSV or Parquet files; "
                     f"got {type(table).__name__}")


def read_small(table, columns, name: str, *, numeric=(), sep=None, na_values=None) -> pd.DataFrame:
    """A small table (such as the conflicts) read whole, by the same rules; row labels are file rows."""
    if _is_dask(table):
        table = table.compute()
    source = open_table(table, columns, name, numeric=numeric, sep=sep, na_values=na_values)
    frames = []
    for piece in source.pieces:
        place = where_in(piece)
        for frame in piece.frames():
            frame = frame.to_frame() if isinstance(frame, Columns) else frame
            frames.append(frame.assign(_place=[place(r) for r in frame.index]))
    if not frames:
        return pd.DataFrame({c: [] for c in [*columns, "_place"]})
    return pd.concat(frames, ignore_index=True)


def where_in(piece: Piece):
    """How a row label of a piece's frames is shown in messages ("line 7 of a.csv")."""
    kind = piece.shown_as or piece.kind
    if kind == "csv":
        return lambda r: f"line {r + 2} of {piece.where}"
    if kind == "parquet":
        return lambda r: f"row {r + 1} of {piece.where}"
    if kind == "dask":
        return lambda r: f"row {r!r} of {piece.where}"
    return lambda r: f"row {r!r}"
