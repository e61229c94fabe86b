"""Exact per-column statistics, accumulated over a whole table or a stream of batches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class ColumnStats:
    """Exact statistics over the whole file."""

    n_missing: int  # nulls, plus NaN in float columns (what ``DataFrame.isna`` counts)
    n_inf: int = 0  # +/-inf values in numeric columns


class StatsAccumulator:
    """Running missing and infinity counts per column position."""

    def __init__(self, n_columns: int) -> None:
        self.n_missing = np.zeros(n_columns, dtype=np.int64)
        self.n_inf = np.zeros(n_columns, dtype=np.int64)

    def add(self, data: pa.Table | pa.RecordBatch) -> None:
        for i, column in enumerate(data.columns):
            self.n_missing[i] += column.null_count
            if pa.types.is_floating(column.type):
                self.n_missing[i] += _true_count(pc.is_nan(column))
                self.n_inf[i] += _true_count(pc.is_inf(column))

    def result(self, names: list[str]) -> dict[str, ColumnStats]:
        return {
            name: ColumnStats(n_missing=int(m), n_inf=int(f))
            for name, m, f in zip(names, self.n_missing, self.n_inf, strict=True)
        }


def _true_count(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(pc.sum(mask).as_py() or 0)
