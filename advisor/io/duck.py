"""DuckDB (in-process, no server) as the scan engine for datasets of many shards too big for memory.

DuckDB reads the shards in parallel, out of core, and hands Arrow batches in
file order to the same consumer the single-file streamer uses
(``advisor.io.stream.consume_batches``): exact counts, and the seeded bottom-k
sample, so a seed gives the same rows whichever engine read them.

Why not everywhere (measured in docs/benchmarks.md, 2 cores): pyarrow reads
one file into memory faster than DuckDB hands it over as Arrow, and streams one
big file as fast. Over many shards DuckDB matches pyarrow on Parquet and is
about 1.5x slower on CSV (the copy of text out of its vectors), but one scan
spans every file in order and its memory is bounded by ``SET memory_limit``
(with a floor, ``MIN_DUCKDB_MEMORY_MB``).

The CSV dialect is never DuckDB's guess: every shard was sniffed by
``advisor.io.sniff`` and the result is passed explicitly (delimiter, quote,
header, decimal point, encoding), with ``strict_mode`` so a ragged row or an
unterminated quote is an error here, not a silently repaired row.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from advisor.errors import InputError
from advisor.io.csvparse import NULL_VALUES, RowRejects, swallowed_rows
from advisor.io.sniff import Sniffed, _one_line
from advisor.io.stream import Streamed, consume_batches
from advisor.io.tidy import RepeatedHeaders

if TYPE_CHECKING:
    from advisor.io.shards import Dataset

BATCH_ROWS = 65_536
DUCKDB_MEMORY_SHARE = 0.5  # of the limit; the sample and the profile need the rest
# DuckDB's CSV scan of eight 23 MB shards on 2 threads fails at 128 MB (it holds ~24 MB buffers per
# file and thread): below this floor the scan would fail rather than stay within --memory-limit.
MIN_DUCKDB_MEMORY_MB = 256
FILE_COLUMN = "__advisor_shard"  # DuckDB's per-row file name, dropped once partitions are filled in
# The types the CSV reader may infer, as pyarrow's inference would (no TIME, no DECIMAL, no HUGEINT).
TYPE_CANDIDATES = ["BOOLEAN", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR"]
UTF8 = (None, "utf-8", "utf-8-sig")


def connect(memory_limit_mb: float):
    """An in-memory DuckDB with bounded memory, our thread count, and spills in a private temp folder.

    Returns (connection, temp folder); the caller removes the folder.
    """
    import duckdb

    from advisor.compute import usable_cpus

    spill = tempfile.mkdtemp(prefix="advisor-duckdb-")
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {usable_cpus()}")
    con.execute(f"SET memory_limit = '{_duckdb_memory_mb(memory_limit_mb)}MB'")
    con.execute("SET temp_directory = ?", [spill])
    # Insertion order stays on (the default): the sample is drawn in file order, like the single-file streamer.
    return con, spill


def _duckdb_memory_mb(memory_limit_mb: float) -> int:
    return max(MIN_DUCKDB_MEMORY_MB, int(memory_limit_mb * DUCKDB_MEMORY_SHARE))


def stream_dataset(
    dataset: Dataset, first: Sniffed, *, sample_rows: int, seed: int, memory_limit_mb: float
) -> Streamed:
    """Exact counts and a seeded sample over every shard of ``dataset``, with its partition columns.

    ``first``: the first shard, sniffed (the dialect every shard shares: ``shards.check_schemas``).
    """
    import duckdb

    if dataset.format == "csv" and first.encoding not in UTF8:
        raise InputError(
            f"the shards of {dataset.spec} are {first.encoding}, and together they exceed the memory limit: "
            "re-export them as UTF-8 (or Parquet), or raise --memory-limit"
        )
    con, spill = connect(memory_limit_mb)
    try:
        try:
            return _scan_once(con, dataset, first, sample_rows, seed, full_sniff=False)
        except (duckdb.Error, OSError) as exc:  # errors mid-scan reach the Arrow reader as OSError
            if "Conversion Error" not in str(exc):
                raise
        # A value late in a shard does not fit the type guessed from the first rows:
        # guess again from every row (one more pass), as the pyarrow streamer widens types.
        return _scan_once(con, dataset, first, sample_rows, seed, full_sniff=True)
    except (duckdb.Error, OSError) as exc:
        if "Out of Memory" in str(exc):
            raise InputError(
                f"DuckDB ran out of the memory allowed for scanning the shards of {dataset.spec} "
                f"({_duckdb_memory_mb(memory_limit_mb)} MB of --memory-limit {memory_limit_mb:g}): "
                "raise --memory-limit, or merge the shards into fewer, larger files"
            ) from exc
        raise InputError(
            f"cannot read the shards of {dataset.spec} as one table ({_one_line(exc)}): "
            "run advisor on that shard alone to see what is wrong with it, fix it, and run again"
        ) from exc
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _scan_once(
    con, dataset: Dataset, first: Sniffed, sample_rows: int, seed: int, *, full_sniff: bool
) -> Streamed:
    reader = con.sql(f"SELECT * FROM {_scan(dataset, first, full_sniff)}").to_arrow_reader(BATCH_ROWS)
    # Types guessed from every row: a column that is text only for its repeated header
    # rows is followed, to be numbers again in the sample (as stream_csv does).
    follow = dict.fromkeys(range(len(first.header)), 0) if full_sniff else {}
    repeats = RepeatedHeaders(first.header, follow=follow) if dataset.format == "csv" else None
    batches = _with_partitions(reader, dataset, repeats)
    schema = _partitioned_schema(reader.schema, dataset)
    streamed = consume_batches(batches, schema, RowRejects(), None, sample_rows=sample_rows, seed=seed)
    if repeats is None:
        return streamed
    return replace(streamed, sample=repeats.reparse(streamed.sample), repeats=repeats)


def check_swallowed(dataset: Dataset, first: Sniffed, streamed: Streamed) -> None:
    """Refuse shards in which a quote that is closed far away took in rows (the single-file reader
    warns or refuses with the line; for many shards the one-shard run finds it)."""
    stats = streamed.stats
    if dataset.format != "csv" or not stats.long_fields:
        return
    swallowed = swallowed_rows(first, stats.long_fields, stats.long_field_newlines, RowRejects())
    if swallowed is not None and swallowed.rows > 0:
        raise InputError(
            f"a quoted field in one of the shards of {dataset.spec} is not closed where it should be and "
            f"takes in about {swallowed.rows:,} rows as its text: run advisor on each shard alone to find "
            'the line, fix the quote (close it, or double a quote meant as text: "") and run again'
        )


def _scan(dataset: Dataset, s: Sniffed, full_sniff: bool) -> str:
    """The DuckDB table function over every shard, dialect explicit, DuckDB's Hive parsing off (ours types it)."""
    files = "[" + ", ".join(_literal(str(p)) for p in dataset.shards) + "]"
    common = f"hive_partitioning = false, filename = {_literal(FILE_COLUMN)}, union_by_name = false"
    if dataset.format == "parquet":
        return f"read_parquet({files}, {common})"
    nulls = "[" + ", ".join(_literal(v) for v in NULL_VALUES) + "]"
    candidates = "[" + ", ".join(_literal(t) for t in TYPE_CANDIDATES) + "]"
    options = [
        common,
        f"delim = {_literal(s.delimiter or chr(0x1F))}",
        "quote = '\"'",
        "escape = '\"'",
        "header = true",
        "strict_mode = true",
        f"nullstr = {nulls}",
        f"auto_type_candidates = {candidates}",
        f"decimal_separator = {_literal(s.decimal_point)}",
        "encoding = 'utf-8'",
    ]
    if full_sniff:
        options.append("sample_size = -1")
    return f"read_csv({files}, {', '.join(options)})"


def _literal(text: str) -> str:
    """A SQL string literal (file names and options are data, never SQL)."""
    return "'" + text.replace("'", "''") + "'"


def _partitioned_schema(schema: pa.Schema, dataset: Dataset) -> pa.Schema:
    fields = [f for f in schema if f.name != FILE_COLUMN]
    fields += [pa.field(p.name, _arrow_type(p.type)) for p in dataset.partitions]
    return pa.schema(fields)


def _with_partitions(reader: pa.RecordBatchReader, dataset: Dataset, repeats: RepeatedHeaders | None):
    """Each batch without repeated header rows and DuckDB's file-name column, with the partition
    columns its shards' folders name."""
    shards = pa.array([str(p) for p in dataset.shards])
    values = [pa.array(p.values, type=_arrow_type(p.type)) for p in dataset.partitions]
    for batch in reader:
        if repeats is not None:  # the shard column (last) is not compared: tidy.header_rows
            batch = repeats.drop(batch)
        where = batch.schema.get_field_index(FILE_COLUMN)
        shard = pc.index_in(batch.column(where), value_set=shards)
        columns = [c for i, c in enumerate(batch.columns) if i != where]
        names = [n for i, n in enumerate(batch.schema.names) if i != where]
        columns += [v.take(shard) for v in values]
        names += [p.name for p in dataset.partitions]
        yield pa.RecordBatch.from_arrays(columns, names=names)


def _arrow_type(kind: str) -> pa.DataType:
    return {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}[kind]
