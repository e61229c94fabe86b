"""The streamed pass over a file too big for memory, as a Dask dataframe computation.

With ``--cluster``/``--workers`` a file over the memory limit is read by the
cluster's workers (``dask.dataframe.read_csv`` in blocks, ``read_parquet`` by row
group) instead of streamed here. The result is what ``advisor.io.stream`` makes:
the exact row count, the exact per-column missing and infinity counts
(``StatsAccumulator``), and the same seeded bottom-k sample: row ``i``'s key is
the ``i``-th draw of the seed's generator, which a partition starting at row
``o`` reaches with ``PCG64.advance(o)``, so the sample does not depend on how the
file was split. Two passes: the first counts each partition's rows (its offset),
the second computes its statistics and its ``k`` smallest keys.

Files whose rows a byte-range split cannot find reliably are left to the local
reader (``None``): gzip (not splittable), encodings other than UTF-8, a
single-column file, and any file Dask's parser refuses (ragged rows, a header row
repeated inside, a quote left open); the local reader reports those problems.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from advisor.io.csvparse import RowRejects
from advisor.io.stats import StatsAccumulator
from advisor.io.stream import Streamed
from advisor.io.tidy import RepeatedHeaders

if TYPE_CHECKING:  # pragma: no cover
    from advisor.io.sniff import Sniffed

UTF8 = ("utf-8", "utf_8", "utf8", "ascii")


def dask_stream(s: Sniffed, client: Any, *, sample_rows: int, seed: int, block_bytes: int) -> Streamed | None:
    """The streamed pass over ``s`` on ``client``'s cluster; None: read it locally."""
    frame = _frame(s, block_bytes)
    if frame is None:
        return None
    import dask

    try:
        parts = frame.to_delayed()
        lengths = client.compute([dask.delayed(len)(p) for p in parts], sync=True)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        tasks = [
            dask.delayed(_summarise)(p, int(o), sample_rows, seed)
            for p, o in zip(parts, offsets, strict=True)
        ]
        summaries = client.compute(tasks, sync=True)
        return _merge(summaries, int(sum(lengths)), sample_rows)
    except (ValueError, TypeError, pa.ArrowException, OSError):
        return None  # the local reader parses it, or says what is wrong with it


def _frame(s: Sniffed, block_bytes: int) -> Any:
    import dask.dataframe as dd

    if s.format == "parquet":
        return dd.read_parquet(str(s.path), dtype_backend="pyarrow")
    if s.compression or (s.encoding or "utf-8").lower() not in UTF8 or not s.delimiter:
        return None
    return dd.read_csv(
        str(s.path),
        sep=s.delimiter,
        blocksize=block_bytes,
        engine="pyarrow",
        dtype_backend="pyarrow",
        encoding="utf-8",
    )


def _summarise(
    part: Any, offset: int, k: int, seed: int
) -> tuple[pa.Table, np.ndarray, np.ndarray, StatsAccumulator]:
    """One partition: its statistics and its ``k`` rows with the smallest keys."""
    table = pa.Table.from_pandas(part, preserve_index=False)
    stats = StatsAccumulator(table.num_columns)
    stats.add(table)
    generator = np.random.PCG64(seed)
    generator.advance(offset)
    keys = np.random.Generator(generator).random(table.num_rows)
    keep = np.argsort(keys, kind="stable")[:k]
    return table.take(pa.array(keep)), keys[keep], keep + offset, stats


def _merge(summaries: list[Any], n_rows: int, k: int) -> Streamed:
    tables, keys, rows, stats_list = zip(*summaries, strict=True)
    stats = stats_list[0]
    for other in stats_list[1:]:
        stats.n_missing += other.n_missing
        stats.n_inf += other.n_inf
        stats.long_field_newlines += other.long_field_newlines
        stats.long_fields += other.long_fields
    sample = pa.concat_tables(tables, promote_options="permissive")
    all_keys, all_rows = np.concatenate(keys), np.concatenate(rows)
    keep = np.argsort(all_keys, kind="stable")[:k]
    keep = keep[np.argsort(all_rows[keep], kind="stable")]  # in file order, as the local sample
    sample = sample.take(pa.array(keep))
    return Streamed(sample, n_rows, stats, RowRejects(), RepeatedHeaders(sample.column_names))
