"""Rows taken from a frame whose text columns keep Arrow's chunks, as columns of one chunk.

pandas holds a text column as the chunks its reader made (pandas' parallel C
parser: one or more per thread and block, 30-45 on the 1,000,000-row benchmark
CSV), and ``Series.iloc`` keeps them: a 2,000-row sample of such a column comes
back in 44 pieces, and every string method on it then runs chunk by chunk (a
string sample's checks took 9 ms instead of 1). Joining every text column at
read time cost more (60 ms and the column's size in new pages, in a fresh
process) than the profile's few samples, so the reader keeps the chunks and the
profile's samples come through ``take_rows``: each chunk gives its own rows, and
the sample is one chunk.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

Rows = TypeVar("Rows", pd.Series, pd.DataFrame)


def take_rows(values: Rows, rows: np.ndarray) -> Rows:
    """``values.iloc[rows]`` (same values, dtypes and index labels), Arrow columns in one chunk.

    ``rows``: non-negative positions, in any order. Columns cut into the same chunks (a
    parser's output) are taken together, one take per chunk for all of them.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if isinstance(values, pd.Series):
        return _take_series(values, rows, values.index[rows])
    chunked = {name: _chunks(values[name]) for name in values.columns}
    if values.columns.has_duplicates or all(c is None for c in chunked.values()):
        return values.iloc[rows]
    index = values.index[rows]
    by_layout: dict[tuple[int, ...], list[str]] = {}
    for name, chunks in chunked.items():
        if chunks is not None:
            by_layout.setdefault(tuple(len(c) for c in chunks.chunks), []).append(name)
    taken: dict[str, pd.Series] = {}
    for names in by_layout.values():
        table = _take_chunked(pa.table({n: chunked[n] for n in names}), rows)
        for name, column in zip(names, table.columns, strict=True):
            taken[name] = _rebuilt(values[name], column, index)
    for name, chunks in chunked.items():
        if chunks is None:
            taken[name] = values[name].iloc[rows]
    return pd.DataFrame({name: taken[name] for name in values.columns}, index=index, columns=values.columns)


def _take_series(series: pd.Series, rows: np.ndarray, index: pd.Index) -> pd.Series:
    chunked = _chunks(series)
    if chunked is None:
        return series.iloc[rows]
    return _rebuilt(series, _take_chunked(chunked, rows), index)


def _rebuilt(series: pd.Series, column: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    return pd.Series(series.array._from_pyarrow_array(column), index=index, name=series.name, copy=False)


def _chunks(series: pd.Series) -> pa.ChunkedArray | None:
    """The column's Arrow chunks when there are several and pandas' Arrow API is there to rebuild it."""
    chunked = getattr(series.array, "_pa_array", None)
    if not isinstance(chunked, pa.ChunkedArray) or chunked.num_chunks < 2:
        return None
    if not hasattr(series.array, "_from_pyarrow_array"):  # another pandas version: plain iloc
        return None
    return chunked


Chunked = TypeVar("Chunked", pa.ChunkedArray, pa.Table)


def _take_chunked(data: Chunked, rows: np.ndarray) -> Chunked:
    """``rows`` of a chunked array or of a table whose columns share their chunks, in one chunk."""
    pieces = data.chunks if isinstance(data, pa.ChunkedArray) else data.to_batches()
    starts = np.cumsum([0] + [len(p) for p in pieces])
    order = None if np.all(rows[1:] >= rows[:-1]) else np.argsort(rows, kind="stable")
    ordered = rows if order is None else rows[order]
    which = np.searchsorted(starts, ordered, side="right") - 1
    bounds = np.searchsorted(which, np.arange(len(pieces) + 1))
    taken = [
        pieces[k].take(pa.array(ordered[lo:hi] - starts[k]))
        for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
        if hi > lo
    ] or [pieces[0].slice(0, 0)]
    if isinstance(data, pa.ChunkedArray):
        joined: Chunked = pa.chunked_array([pa.concat_arrays(taken)], type=data.type)
    else:
        joined = pa.Table.from_batches(taken, schema=data.schema).combine_chunks()
    if order is not None:  # back to the order asked for
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        joined = joined.take(pa.array(inverse))
    return joined
