"""pandas' C parser as the whole-file reader of a plain CSV, kept only where it reads what pyarrow would.

On the 1,000,000-row benchmark CSV ``pandas.read_csv`` costs 1.0-1.25 CPU s
against 1.5-1.8 for pyarrow's parse and the pandas copy (docs/benchmarks.md,
"Big files"). pandas is lenient where pyarrow is strict, so its frame is kept
only when these checks show that pyarrow's read would have given the same
table; otherwise ``pandas_frame`` returns None and the caller reads with pyarrow:

- **Plain input:** UTF-8 without a byte-order mark, no compression, a
  delimiter, a '.' decimal point, header names unique and non-empty.
- **Types:** pyarrow fixes each column's type from its first block and fails on
  a later value that does not fit. That block is parsed here with pyarrow's own
  options; every pandas column must hold that type as pyarrow's ``to_pandas``
  would (``PANDAS_DTYPES``). Dates, all-missing heads and columns of mixed
  chunks (pandas' object columns) go to pyarrow.
- **Short rows:** pandas fills them with missing values where pyarrow rejects
  them (a ``ragged-rows`` warning). A short row's last field is missing, so a
  last column without missing values proves there is none.
- **Long rows:** pandas fails on them (``ParserError``), except a first data
  row with one field more, which makes it read the first column as the index:
  the index must be the default one.
- **Repeated header rows** are left to pyarrow's path, which drops them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from advisor.io.csvparse import NULL_VALUES, csv_input, csv_options
from advisor.io.sniff import Sniffed
from advisor.io.tidy import header_rows

# pandas' frame costs about 0.2 ms a column on the way to Arrow and back (20 rows x 20,000
# columns: read 4.7 s against pyarrow's 2.2 s); its parse wins on long tables, not wide ones.
MAX_COLUMNS = 1_000
# pyarrow's type for a column -> the pandas dtypes its ``to_pandas`` gives (float64: with missing values).
PANDAS_DTYPES: dict[pa.DataType, tuple[str, ...]] = {
    pa.int64(): ("int64", "float64"),
    pa.float64(): ("float64",),
    pa.bool_(): ("bool",),
    pa.string(): ("str",),
}
_PANDAS_ERRORS = (pd.errors.ParserError, UnicodeError, ValueError, OverflowError, MemoryError)


def plain_head(s: Sniffed) -> dict[str, pa.DataType] | None:
    """The types pyarrow would give the columns (from its first block) when pandas' C parser
    may read the file; None where pyarrow must: not plain, or a type pandas reads otherwise
    (dates), found before the whole file is parsed once for nothing."""
    if not _plain(s) or len(s.header) > MAX_COLUMNS:  # the header is enough: no block parsed for nothing
        return None
    head = _first_block_types(s)
    if head is None or len(head) != len(set(head)) or not all(head):
        return None
    # The width again: the parsed block can hold more columns than the sniffed header named.
    if any(t not in PANDAS_DTYPES for t in head.values()) or len(head) > MAX_COLUMNS:
        return None
    return head


def pandas_frame(s: Sniffed, head: dict[str, pa.DataType] | None = None) -> pd.DataFrame | None:
    """The whole CSV read by pandas' C parser; None where pyarrow must read it.

    ``head``: ``plain_head(s)``, when the caller has it. Text columns keep the parser's
    chunks: samples come through ``advisor.io.take``."""
    head = plain_head(s) if head is None else head
    if head is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DtypeWarning: mixed chunks, refused below
            frame = pd.read_csv(
                s.path,
                sep=s.delimiter,
                encoding="utf-8",
                na_values=NULL_VALUES,
                keep_default_na=False,
                engine="c",
            )
    except _PANDAS_ERRORS:
        return None
    if not _same_table(frame, head):
        return None
    return frame


def _plain(s: Sniffed) -> bool:
    return (
        s.format == "csv"
        and s.encoding == "utf-8"
        and not s.compression
        and bool(s.delimiter)
        and len(s.delimiter or "") == 1
        and s.decimal_point == "."
    )


def _first_block_types(s: Sniffed) -> dict[str, pa.DataType] | None:
    """Column name -> the type pyarrow's whole-file read infers: from its first block, with its options."""
    read, parse, convert = csv_options(s, None, multiline=False)
    try:
        with csv_input(s) as source:
            block = source.read(read.block_size + 1)
        if len(block) > read.block_size:  # pyarrow's first block ends at the last full row
            block = block[: block.rfind(b"\n", 0, read.block_size) + 1]
        table = pacsv.read_csv(
            pa.BufferReader(block), read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, OSError, UnicodeError):
        return None
    if len(set(table.column_names)) < table.num_columns:
        return None
    return dict(zip(table.column_names, table.schema.types, strict=True))


def _same_table(frame: pd.DataFrame, head: dict[str, pa.DataType]) -> bool:
    """True when pyarrow's read would give this frame's columns, types and rows (see the module doc)."""
    if list(frame.columns) != list(head) or not len(frame):
        return False
    if not frame.index.equals(pd.RangeIndex(len(frame))):  # the first column taken as the index
        return False
    for arrow_type, (_, column) in zip(head.values(), frame.items(), strict=True):
        if str(column.dtype) not in PANDAS_DTYPES.get(arrow_type, ()):
            return False
        if arrow_type == pa.int64() and column.dtype.kind == "f" and not _integral(column.to_numpy()):
            return False  # pyarrow fails on "2.5" after an int64 first block
    if frame[frame.columns[-1]].isna().any():
        return False  # maybe short rows
    text = [n for n, t in head.items() if t == pa.string()]
    if text:
        view = pa.table({n: frame[n].array._pa_array for n in text})  # no copy: pandas holds Arrow text
        if header_rows(view, text).size:
            return False
    return True


def _integral(values: np.ndarray) -> bool:
    present = values[~np.isnan(values)]
    return bool(np.all(np.isfinite(present)) and np.all(np.mod(present, 1) == 0))
