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

from advisor.io.csvparse import RowRejects, csv_input, csv_options, widen_type
from advisor.io.sniff import Sniffed
from advisor.io.stats import StatsAccumulator

PARQUET_BATCH_ROWS = 65_536
MAX_TYPE_RETRIES = 50  # restarts allowed to widen column types that fail late in the file


@dataclass
class Streamed:
    sample: pa.Table  # in file order
    n_rows: int  # exact
    stats: StatsAccumulator
    rejects: RowRejects


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
        self.batches.append(batch.take(pa.array(chosen)))
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


def stream_csv(s: Sniffed, *, sample_rows: int, seed: int) -> Streamed:
    """Stream a CSV/TSV (restarting with wider types when a late value does not fit)."""
    column_types: dict[str, pa.DataType] = {}
    for _ in range(MAX_TYPE_RETRIES):
        rejects = RowRejects()
        try:
            return _stream_csv_once(s, rejects, column_types, sample_rows=sample_rows, seed=seed)
        except pa.ArrowInvalid as exc:
            wider = widen_type(exc, s.header, column_types)
            if wider is None:
                raise
            column_types = wider
    return _stream_csv_once(
        s, RowRejects(), dict.fromkeys(s.header, pa.string()), sample_rows=sample_rows, seed=seed
    )


def _stream_csv_once(
    s: Sniffed, rejects: RowRejects, column_types: dict[str, pa.DataType], *, sample_rows: int, seed: int
) -> Streamed:
    read, parse, convert = csv_options(s, rejects, column_types)
    with csv_input(s) as source:
        reader = pacsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
        return _consume(reader, reader.schema, rejects, sample_rows=sample_rows, seed=seed)


def stream_parquet(s: Sniffed, *, sample_rows: int, seed: int) -> Streamed:
    parquet = pq.ParquetFile(s.path)
    batches = parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS)
    return _consume(batches, parquet.schema_arrow, RowRejects(), sample_rows=sample_rows, seed=seed)


def _consume(batches, schema: pa.Schema, rejects: RowRejects, *, sample_rows: int, seed: int) -> Streamed:
    stats = StatsAccumulator(len(schema))
    sample = BottomKSample(sample_rows, seed)
    n_rows = 0
    for batch in batches:
        stats.add(batch)
        sample.add(batch, n_rows)
        n_rows += batch.num_rows
    return Streamed(sample.result(schema), n_rows, stats, rejects)
