"""Stream a file too big for memory: exact row count and column stats, plus a uniform sample.

The sample is a bottom-k sample: every row gets a random key from one seeded
generator and the ``k`` rows with the smallest keys are kept. That is a
uniform sample without replacement, deterministic for a seed, and it needs
memory for about ``2k`` rows whatever the file size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from advisor.io.csvparse import (
    RowRejects,
    csv_input,
    csv_options,
    header_value_column,
    larger_block,
    widen_type,
)
from advisor.io.sniff import Sniffed
from advisor.io.stats import StatsAccumulator
from advisor.io.tidy import RepeatedHeaders

PARQUET_BATCH_ROWS = 65_536
MAX_TYPE_RETRIES = 50  # restarts allowed to widen column types that fail late in the file


@dataclass
class Streamed:
    sample: pa.Table  # in file order
    n_rows: int  # exact
    stats: StatsAccumulator
    rejects: RowRejects
    repeats: RepeatedHeaders  # header rows dropped on the way (counts and stats exclude them)


class BottomKSample:
    """The ``k`` rows with the smallest random keys seen so far."""

    def __init__(self, k: int, seed: int) -> None:
        self.k = k
        self.rng = np.random.default_rng(seed)
        self.threshold = np.inf
        self.batches: list[pa.RecordBatch] = []
        self.keys: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.size = 0

    def add(self, batch: pa.RecordBatch, first_row: int) -> None:
        keys = self.rng.random(batch.num_rows)
        chosen = np.flatnonzero(keys < self.threshold)
        if chosen.size == 0:
            return
        # Until the first trim every row is kept: no copy then.
        self.batches.append(batch if chosen.size == batch.num_rows else batch.take(pa.array(chosen)))
        self.keys.append(keys[chosen])
        self.rows.append(chosen + first_row)
        self.size += chosen.size
        if self.size >= 2 * self.k:
            self._trim()

    def _trim(self) -> None:
        keys = np.concatenate(self.keys)
        rows = np.concatenate(self.rows)
        table = pa.Table.from_batches(self.batches)
        if len(keys) > self.k:
            keep = np.argpartition(keys, self.k - 1)[: self.k]
            keys, rows, table = keys[keep], rows[keep], table.take(pa.array(keep))
            self.threshold = float(keys.max())
        self.batches = table.combine_chunks().to_batches() or []
        self.keys, self.rows, self.size = [keys], [rows], len(keys)

    def result(self, schema: pa.Schema) -> pa.Table:
        if not self.batches:
            return schema.empty_table()
        self._trim()
        table = pa.Table.from_batches(self.batches)
        return table.take(pa.array(np.argsort(self.rows[0], kind="stable")))


def stream_csv(s: Sniffed, *, sample_rows: int, seed: int, block_bytes: int | None = None) -> Streamed:
    """Stream a CSV/TSV (restarting with wider types when a late value does not fit, or bigger blocks).

    ``block_bytes``: the parser's block to start with (the reader's memory grows with it); None: the default.
    """
    column_types: dict[str, pa.DataType] = {}
    by_header: set[int] = set()  # columns made text by a repeated header row: numbers again without it
    block_size = block_bytes
    for _ in range(MAX_TYPE_RETRIES):
        repeats = RepeatedHeaders(s.header, follow=dict.fromkeys(by_header, 0))
        try:
            return _stream_csv_once(s, column_types, block_size, repeats, sample_rows=sample_rows, seed=seed)
        except pa.ArrowInvalid as exc:
            wider = widen_type(exc, s.header, column_types)
            if wider is not None:
                by_header |= header_value_column(exc, s.header)
                column_types = wider
                continue
            block_size = larger_block(exc, block_size or _block_size(s))
            if block_size is None:
                raise
    return _stream_csv_once(
        s,
        dict.fromkeys(s.header, pa.string()),
        block_size,
        RepeatedHeaders(s.header),
        sample_rows=sample_rows,
        seed=seed,
    )


def _block_size(s: Sniffed) -> int:
    return csv_options(s, RowRejects())[0].block_size


def _stream_csv_once(
    s: Sniffed,
    column_types: dict[str, pa.DataType],
    block_size: int | None,
    repeats: RepeatedHeaders,
    *,
    sample_rows: int,
    seed: int,
) -> Streamed:
    rejects = RowRejects()
    read, parse, convert = csv_options(s, rejects, column_types, block_size=block_size)
    with csv_input(s) as source:
        reader = pacsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
        return consume_batches(reader, reader.schema, rejects, repeats, sample_rows=sample_rows, seed=seed)


def stream_parquet(s: Sniffed, *, sample_rows: int, seed: int) -> Streamed:
    parquet = pq.ParquetFile(s.path)
    batches = parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS)
    return consume_batches(
        batches, parquet.schema_arrow, RowRejects(), None, sample_rows=sample_rows, seed=seed
    )


def consume_batches(
    batches,
    schema: pa.Schema,
    rejects: RowRejects,
    repeats: RepeatedHeaders | None,
    *,
    sample_rows: int,
    seed: int,
) -> Streamed:
    """Exact counts and a sample over all batches; header rows (CSV only) are dropped first."""
    stats = StatsAccumulator(len(schema))
    sample = BottomKSample(sample_rows, seed)
    n_rows = 0
    for batch in batches:
        if repeats is not None:
            batch = repeats.drop(batch)
        stats.add(batch)
        sample.add(batch, n_rows)
        n_rows += batch.num_rows
    if repeats is None:  # Parquet has no header rows
        repeats = RepeatedHeaders(schema.names)
    return Streamed(repeats.reparse(sample.result(schema)), n_rows, stats, rejects, repeats)
