"""Read a CSV/TSV/Parquet file (optionally gzipped) into a DataFrame, fast and within a memory limit.

A file that fits the memory limit (as ``advisor.io.memory`` estimates it) is
read whole with pyarrow's multithreaded reader. A bigger one is streamed: the
row count and per-column missing and infinity counts are exact over the whole
file, and ``frame`` is a seeded uniform sample of rows. Every problem with the input is an ``InputError`` with
a one-line message, or a ``DataWarning`` when the data is still usable.
"""

from __future__ import annotations

import csv
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from advisor.errors import InputError
from advisor.facts import DataWarning, SourceInfo
from advisor.io.allocator import use_fast_allocator
from advisor.io.cparse import pandas_frame, plain_head
from advisor.io.csvparse import (
    READ_ERRORS,
    RowRejects,
    csv_input,
    csv_options,
    first_bad_line,
    larger_block,
    quote_start_line,
    swallowed_rows,
)
from advisor.io.memory import (
    default_memory_limit_mb,
    estimate_memory_mb,
    fits_whole,
    peak_memory_mb,
    sample_rows_within,
    stream_block_bytes,
)
from advisor.io.shards import find_dataset, is_dataset
from advisor.io.sniff import DELIMITERS, Sniffed, _one_line, sniff
from advisor.io.stats import ColumnStats, StatsAccumulator
from advisor.io.stream import stream_csv, stream_parquet
from advisor.io.tidy import RepeatedHeaders, clip, normalise_types, unique_names

__all__ = ["ColumnStats", "LoadedTable", "read_table", "default_memory_limit_mb"]

WIDE_TABLE_COLUMNS = 1_000
FIELD_COUNT_ROWS = 100  # rows sampled to count fields per row for error messages
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


@dataclass
class LoadedTable:
    frame: pd.DataFrame  # the whole table when it fits in memory, else a seeded uniform sample of rows
    source: SourceInfo
    column_stats: dict[str, ColumnStats]  # exact, whole-file
    warnings: list[DataWarning] = field(default_factory=list)  # read-time warnings


@dataclass
class RawTable:
    """One file as Arrow, checked: the whole table or (streamed) a seeded sample, with exact counts."""

    table: pa.Table
    n_rows: int  # exact, whole file
    stats: StatsAccumulator  # exact, whole file, by column position
    warnings: list[DataWarning]
    sampled: bool  # True: ``table`` is a sample of the file's rows
    frame: pd.DataFrame | None = None  # pandas' parser read the file (``cparse``); ``table`` is a view of it


def read_table(
    path: str | Path,
    *,
    memory_limit_mb: float | None = None,
    sample_rows: int = 200_000,
    seed: int = 0,
    dask_client: Any = None,
) -> LoadedTable:
    """Read ``path``; stream it and keep a sample of ``sample_rows`` rows when it exceeds ``memory_limit_mb``.

    ``path`` may also be a folder of CSV or Parquet shards or a glob
    (``advisor.io.shards``): they are read as one table.
    ``memory_limit_mb=None`` means ``memory.DEFAULT_MEMORY_FRACTION`` of total RAM.
    ``dask_client``: a file over the limit is streamed by that Dask cluster (``io.dask_stats``).
    Raises ``InputError`` for anything that is not a usable table.
    """
    if sample_rows < 1:
        raise ValueError("sample_rows must be at least 1")
    limit = default_memory_limit_mb() if memory_limit_mb is None else memory_limit_mb
    if is_dataset(path):
        from advisor.io.dataset import read_dataset  # it builds on this module

        return read_dataset(find_dataset(path), memory_limit_mb=limit, sample_rows=sample_rows, seed=seed)
    start = time.perf_counter()
    s = sniff(path)
    raw = read_raw(s, limit_mb=limit, sample_rows=sample_rows, seed=seed, dask_client=dask_client)
    source = SourceInfo(
        path=str(s.path),
        format=s.format,
        size_bytes=s.size_bytes,
        delimiter=s.delimiter,
        encoding=s.encoding,
        compression=s.compression,
    )
    return finish(raw, source, name=s.path.name, seed=seed, start=start)


def read_raw(
    s: Sniffed, *, limit_mb: float | None, sample_rows: int, seed: int, dask_client: Any = None
) -> RawTable:
    """Read one sniffed file whole, or stream it (exact counts, seeded sample) when its estimate
    passes ``limit_mb`` (None: always whole); check what came out."""
    streaming, frame = False, None
    try:
        streaming = limit_mb is not None and not fits_whole(s, limit_mb)
        # Pages a whole read frees go back at once, even where keeping them would cost no peak
        # (pandas' parser): the probes' fits must not measure their memory in reused pages.
        use_fast_allocator(retain_freed=streaming)
        head = None if streaming or s.format == "parquet" else plain_head(s)
        if streaming:
            sample_rows = sample_rows_within(s, limit_mb, sample_rows)
            streamed = _dask_stream(s, dask_client, sample_rows, seed, limit_mb)
            if streamed is None and s.format == "parquet":
                streamed = stream_parquet(s, sample_rows=sample_rows, seed=seed)
            elif streamed is None:
                streamed = stream_csv(
                    s, sample_rows=sample_rows, seed=seed, block_bytes=stream_block_bytes(s, limit_mb)
                )
            table, n_rows, stats, rejects = streamed.sample, streamed.n_rows, streamed.stats, streamed.rejects
            repeats = streamed.repeats
        else:
            frame = pandas_frame(s, head) if head is not None else None
            if frame is not None:  # the same table pyarrow would read (cparse), for less CPU
                # Without pandas' metadata: shards' views are joined and converted like pyarrow's tables.
                table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
                rejects = RowRejects()
                repeats = RepeatedHeaders(table.column_names)  # none: cparse checked
            else:
                table, rejects = _read_whole(s)
                repeats = RepeatedHeaders(table.column_names)
                if s.format != "parquet":
                    table = repeats.reparse(repeats.drop(table))
            n_rows, stats = table.num_rows, StatsAccumulator(table.num_columns)
            stats.add(table)
    except InputError:
        raise
    except READ_ERRORS as exc:
        raise _read_error(s, exc) from exc
    warnings = _check_swallowed(s, n_rows, stats, rejects)
    warnings += _check_shape(s, table, n_rows, rejects) + repeats.warnings()
    return RawTable(
        table, n_rows, stats, warnings, sampled=streaming and n_rows > table.num_rows, frame=frame
    )


def finish(raw: RawTable, source: SourceInfo, *, name: str, seed: int, start: float) -> LoadedTable:
    """Names, types and warnings settled; the pandas frame; ``source`` completed with the counts and timing.

    ``name``: what messages call the input (a file name, or the folder or glob of a dataset).
    """
    table, n_rows, stats = raw.table, raw.n_rows, raw.stats
    names, renames = unique_names(table.column_names)
    table, repairs = normalise_types(table, names)
    if table.num_columns == 0:
        raise InputError(
            f"every column of {name} holds nested values (lists, structs or maps): "
            "flatten them into plain columns and export the table again"
        )
    kept = set(table.column_names)  # nested columns are dropped
    column_stats = {name: st for name, st in stats.result(names).items() if name in kept}
    warnings = raw.warnings + renames + repairs + _infinity_warnings(column_stats)
    if raw.frame is not None:  # pandas' parser read it: the frame is there, ``table`` only a view
        frame, raw.frame, raw.table = raw.frame, None, None  # type: ignore[assignment]
        frame.columns = table.column_names
        del table
    else:  # inline: a helper's caller would keep ``table`` alive through the copy (155 MB more peak)
        # One block per column avoids a consolidation copy; very wide tables convert faster consolidated.
        split = table.num_columns <= WIDE_TABLE_COLUMNS
        columns, schema = table.columns, table.schema
        del table
        raw.table = None  # type: ignore[assignment]  # the caller's reference must not keep the Arrow copy alive
        _text_as_large_string(columns)
        table = pa.Table.from_arrays(columns, names=schema.names, metadata=schema.metadata)
        del columns
        frame = table.to_pandas(split_blocks=split, self_destruct=split)
        del table
    # The Arrow copy is gone; a pool that keeps freed pages (``allocator``) would hold
    # them for a second, on top of the frame and the profile's work.
    pa.default_memory_pool().release_unused()
    source = replace(
        source,
        n_rows=n_rows,
        n_rows_profiled=len(frame),
        sampled=raw.sampled,
        sample_note=(
            f"statistics from a uniform sample of {len(frame):,} of {n_rows:,} rows (seed {seed}); "
            "row count and missing counts exact"
            if raw.sampled
            else ""
        ),
        read_seconds=time.perf_counter() - start,
        peak_memory_mb=peak_memory_mb(),
    )
    return LoadedTable(frame=frame, source=source, column_stats=column_stats, warnings=warnings)


def _dask_stream(s: Sniffed, client: Any, sample_rows: int, seed: int, limit_mb: float) -> Any:
    """The streamed pass on a Dask cluster, when there is one and it can split this file."""
    if client is None:
        return None
    from advisor.io.dask_stats import dask_stream

    block = stream_block_bytes(s, limit_mb)
    return dask_stream(s, client, sample_rows=sample_rows, seed=seed, block_bytes=block)


def _text_as_large_string(columns: list[pa.ChunkedArray]) -> None:
    """Each text column as ``large_string``, in place, chunk by chunk: what pandas holds (it would
    cast again) and no 2 GiB limit per chunk. The chunks stay: samples come through ``advisor.io.take``."""
    for i, column in enumerate(columns):
        if pa.types.is_string(column.type):
            columns[i] = column.cast(pa.large_string())
        del column  # the old chunks are freed before the next column is cast


def checked_estimate_mb(s: Sniffed) -> float:
    """``estimate_memory_mb``, a broken file (a Parquet footer that lies) an ``InputError``."""
    try:
        return estimate_memory_mb(s)
    except READ_ERRORS as exc:
        raise _read_error(s, exc) from exc


def _read_whole(s: Sniffed) -> tuple[pa.Table, RowRejects]:
    rejects = RowRejects()
    if s.format == "parquet":
        return _read_parquet(s), rejects
    # Fast path: parse without multi-line quoted values and without a handler for
    # ragged rows. A quoted value holding a newline, or a row with the wrong field
    # count, then fails the parse, and the file is read again with both enabled, so
    # the result is the same either way.
    try:
        read, parse, convert = csv_options(s, None, multiline=False)
        with csv_input(s) as source:
            table = pacsv.read_csv(source, read_options=read, parse_options=parse, convert_options=convert)
        return table, rejects
    except pa.ArrowInvalid:
        pass
    block_size = None
    while True:
        rejects = RowRejects()
        read, parse, convert = csv_options(s, rejects, block_size=block_size)
        try:
            with csv_input(s) as source:
                table = pacsv.read_csv(
                    source, read_options=read, parse_options=parse, convert_options=convert
                )
            return table, rejects
        except pa.ArrowInvalid as exc:
            block_size = larger_block(exc, read.block_size)
            if block_size is None:
                raise


def _read_parquet(s: Sniffed) -> pa.Table:
    """The whole Parquet file; duplicate column names (which ``pq.read_table`` refuses) are renamed later."""
    parquet = pq.ParquetFile(s.path)
    names = parquet.schema_arrow.names
    if len(set(names)) < len(names):
        return parquet.read()
    return pq.read_table(s.path)


def _check_shape(s: Sniffed, table: pa.Table, n_rows: int, rejects: RowRejects) -> list[DataWarning]:
    """Errors for tables with no usable rows or a wrong delimiter; a warning for skipped ragged rows."""
    name = s.path.name
    delimiter = _DELIMITER_NAMES.get(s.delimiter or "", repr(s.delimiter))
    if rejects.count > n_rows:
        fields = _field_count(rejects.texts, s.delimiter or "")
        have = f" (they have {fields})" if fields else ""
        raise InputError(
            f"{name}: {rejects.count:,} of {rejects.count + n_rows:,} rows do not have the header's "
            f"{rejects.expected} fields{have} when split on {delimiter}: fix the header line if it names too few "
            "or too many columns, else check the delimiter and quote text fields that contain it"
        )
    if table.num_columns == 1 and s.format != "parquet":
        _check_single_column(name, table)
    if n_rows == 0:
        if s.format == "parquet":
            raise InputError(f"{name} has no rows: export the table again with its data")
        raise InputError(f"{name} has a header row but no data rows: export the table again with its data")
    if not rejects.count:
        return []
    line = first_bad_line(s, rejects)
    where = f" (first at line {line:,})" if line else ""
    return [
        DataWarning(
            "ragged-rows",
            f"skipped {rejects.count:,} row(s) that do not have the header's {rejects.expected} fields{where}; "
            "quote text fields that contain the delimiter to keep them",
        )
    ]


def _check_swallowed(
    s: Sniffed, n_rows: int, stats: StatsAccumulator, rejects: RowRejects
) -> list[DataWarning]:
    """Refuse a file whose rows an unclosed quote swallowed (most of them), else warn with the counts."""
    if s.format == "parquet":
        return []
    swallowed = swallowed_rows(s, stats.long_fields, stats.long_field_newlines, rejects)
    if swallowed is None or swallowed.rows < 1:
        return []
    line = quote_start_line(s, swallowed)
    where = f"on line {line:,}" if line else "somewhere in the file"
    lines = f"{swallowed.rows + n_rows + rejects.count:,}"
    if n_rows < swallowed.rows:  # fewer than half the rows survive
        raise InputError(
            f"{s.path.name}: a quoted field that starts {where} is not closed where it should be and takes in "
            f"about {swallowed.rows:,} of the file's {lines} rows as its text, leaving {n_rows:,}: "
            'fix the quote on that line (close it, or double a quote meant as text: "") and run again'
        )
    return [
        DataWarning(
            "parse-swallowed-rows",
            f"a quoted field that starts {where} is not closed where it should be: about {swallowed.rows:,} rows "
            f"became part of its text and are lost ({n_rows:,} of about {lines} rows read); "
            "fix the quote on that line to keep them",
        )
    ]


def _check_single_column(name: str, table: pa.Table) -> None:
    """A one-column read whose header contains a delimiter: say whether the header or the rows are at fault."""
    header = table.column_names[0]
    rows = [str(v) for v in table.column(0).slice(0, FIELD_COUNT_ROWS).to_pylist() if v is not None]
    for candidate in DELIMITERS:
        if candidate not in header:
            continue
        what = _DELIMITER_NAMES[candidate]
        header_fields, row_fields = _field_count([header], candidate), _field_count(rows, candidate)
        if row_fields and row_fields > 1 and row_fields != header_fields:
            raise InputError(
                f"{name} looks {what}-delimited, but the header has {header_fields} fields and rows have {row_fields}: "
                f"fix the header line ('{clip(header)}') so that it has one name per column"
            )
        raise InputError(
            f"{name} reads as a single column named '{clip(header)}', which looks {what}-delimited, "
            f"but its rows do not split consistently on {what}s: re-export it with one delimiter and quoted text"
        )


def _field_count(lines: list[str], delimiter: str) -> int | None:
    """The most common number of fields in ``lines`` (a few sampled rows), or None if there are none."""
    if not lines or not delimiter:
        return None
    counts = Counter(len(fields) for fields in csv.reader(lines, delimiter=delimiter))
    return counts.most_common(1)[0][0] if counts else None


def _infinity_warnings(stats: dict[str, ColumnStats]) -> list[DataWarning]:
    return [
        DataWarning(
            "infinite-values",
            f"column '{clip(name)}' has {st.n_inf:,} infinite value(s); replace them or mark them missing before modelling",
            column=name,
        )
        for name, st in stats.items()
        if st.n_inf
    ]


def _read_error(s: Sniffed, exc: BaseException) -> InputError:
    """The one-line ``InputError`` for a failure inside pyarrow."""
    name, detail = s.path.name, _one_line(exc)
    if s.compression and (isinstance(exc, (OSError, EOFError, zlib.error)) or "compress" in detail.lower()):
        return InputError(
            f"the gzip file is truncated or corrupt: {name} ({detail}); download or compress it again"
        )
    if s.format == "parquet":
        return InputError(f"{name} is not a valid Parquet file ({detail}): re-export it as Parquet or CSV")
    if isinstance(exc, UnicodeError):
        return InputError(f"{name} cannot be decoded as {s.encoding} ({detail}): re-export it as UTF-8")
    kind = _DELIMITER_NAMES.get(s.delimiter or "", "single-column")
    return InputError(f"cannot read {name} as a {kind}-delimited table ({detail}): check the file's format")
