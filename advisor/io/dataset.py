"""Read a ``Dataset`` (many shards, ``advisor.io.shards``) as one table.

Every shard's head is sniffed and its columns checked against the first
shard's. When the whole dataset fits the memory limit, each shard is read by
the single-file reader (pyarrow, every check of ``advisor.io.read``: ragged
rows, repeated headers, swallowed rows) and the tables are joined. A bigger
dataset is scanned once by DuckDB (``advisor.io.duck``), out of core, into
exact counts and a seeded uniform sample.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq

from advisor.errors import InputError
from advisor.facts import DataWarning, SourceInfo
from advisor.io import duck
from advisor.io.allocator import use_fast_allocator
from advisor.io.memory import sample_rows_within
from advisor.io.read import RawTable, checked_estimate_mb, finish, read_raw
from advisor.io.shards import Dataset, Partition, check_schemas
from advisor.io.sniff import Sniffed, sniff
from advisor.io.stats import StatsAccumulator

_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}


def read_dataset(dataset: Dataset, *, memory_limit_mb: float, sample_rows: int, seed: int):
    """The shards of ``dataset`` as one ``LoadedTable``, partition columns last."""
    start = time.perf_counter()
    sniffs = [sniff(p) for p in dataset.shards]
    check_schemas(dataset, sniffs, [_names(s) for s in sniffs])
    dataset, sniffs, n_empty = _without_empty(dataset, sniffs)
    first = sniffs[0]
    streaming = sum(checked_estimate_mb(s) for s in sniffs) > memory_limit_mb
    use_fast_allocator(retain_freed=streaming)
    if streaming:
        # Rows like the first shard's: fewer sample rows when long rows would not fit, as for one file.
        sample_rows = sample_rows_within(first, memory_limit_mb, sample_rows)
        streamed = duck.stream_dataset(
            dataset, first, sample_rows=sample_rows, seed=seed, memory_limit_mb=memory_limit_mb
        )
        duck.check_swallowed(dataset, first, streamed)
        if not streamed.n_rows:
            raise InputError(
                f"the shards of {dataset.spec} have no data rows: export them again with their data"
            )
        raw = RawTable(
            streamed.sample,
            streamed.n_rows,
            streamed.stats,
            streamed.repeats.warnings(),
            sampled=streamed.n_rows > streamed.sample.num_rows,
        )
    else:
        raw = _read_each(dataset, sniffs, sample_rows, seed)
    raw.warnings.insert(0, _shards_note(dataset, streaming, n_empty))
    source = SourceInfo(
        path=dataset.spec,
        format=first.format,
        size_bytes=sum(s.size_bytes for s in sniffs),
        delimiter=first.delimiter,
        encoding=first.encoding,
        compression=first.compression,
    )
    return finish(raw, source, name=dataset.spec, seed=seed, start=start)


def _without_empty(dataset: Dataset, sniffs: list[Sniffed]) -> tuple[Dataset, list[Sniffed], int]:
    """Parquet shards with no rows left out (Spark writes one per empty partition); all empty: an error."""
    if dataset.format != "parquet":
        return dataset, sniffs, 0
    keep = [i for i, s in enumerate(sniffs) if pq.ParquetFile(s.path).metadata.num_rows > 0]
    if not keep:
        raise InputError(f"every shard of {dataset.spec} has no rows: export the table again with its data")
    if len(keep) == len(sniffs):
        return dataset, sniffs, 0
    partitions = tuple(replace(p, values=tuple(p.values[i] for i in keep)) for p in dataset.partitions)
    shards = tuple(dataset.shards[i] for i in keep)
    return (
        replace(dataset, shards=shards, partitions=partitions),
        [sniffs[i] for i in keep],
        len(sniffs) - len(keep),
    )


def _names(s: Sniffed) -> list[str]:
    return pq.ParquetFile(s.path).schema_arrow.names if s.format == "parquet" else list(s.header)


def _read_each(dataset: Dataset, sniffs: list[Sniffed], sample_rows: int, seed: int) -> RawTable:
    """Every shard read whole with the single-file checks, joined, partition columns appended."""
    tables, warnings = [], []
    for i, s in enumerate(sniffs):
        raw = read_raw(s, limit_mb=None, sample_rows=sample_rows, seed=seed)
        table = raw.table
        for partition in dataset.partitions:
            table = table.append_column(partition.name, _constant(partition, i, table.num_rows))
        tables.append(table)
        # Which shard a warning is about: the single-file messages name rows, not files.
        warnings += [_in_shard(w, s) for w in raw.warnings]
    table = _concat(tables, dataset)
    stats = StatsAccumulator(table.num_columns)
    stats.add(table)
    return RawTable(table, table.num_rows, stats, warnings, sampled=False)


def _constant(partition: Partition, shard: int, n_rows: int) -> pa.Array:
    return pa.repeat(pa.scalar(partition.values[shard], type=_TYPES[partition.type]), n_rows)


def _concat(tables: list[pa.Table], dataset: Dataset) -> pa.Table:
    """One table; a column typed differently by two shards (7 in one, 7.5 or 'n/a' text in another)
    becomes the wider type, as one file holding both would be read."""
    names = tables[0].column_names
    tables = [t.rename_columns(names) for t in tables]  # same names, checked; order as the first shard's
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    for i, name in enumerate(names):
        types = {t.schema.field(i).type for t in tables}
        if len(types) > 1 and not all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in types):
            tables = [t.set_column(i, name, t.column(i).cast(pa.string())) for t in tables]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise InputError(
            f"the shards of {dataset.spec} hold columns of types that do not join ({exc}): "
            "export every shard with the same column types"
        ) from exc


def _in_shard(warning: DataWarning, s: Sniffed) -> DataWarning:
    return DataWarning(warning.code, f"{s.path.name}: {warning.message}", warning.column, warning.severity)


def _shards_note(dataset: Dataset, streaming: bool, n_empty: int) -> DataWarning:
    parts = ", ".join(f"{p.name} ({p.type})" for p in dataset.partitions)
    with_parts = f", with partition column(s) {parts} from the folder names" if parts else ""
    engine = "scanned by DuckDB (larger than the memory limit)" if streaming else "each read whole"
    empty = f"; {n_empty:,} empty shard(s) left out" if n_empty else ""
    return DataWarning(
        "dataset-shards",
        f"{len(dataset.shards):,} {dataset.format} files under {dataset.root} read as one table{with_parts}; "
        f"{engine}{empty}",
        severity="info",
    )
