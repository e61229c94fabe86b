"""``take_rows``: the same rows as ``iloc``, Arrow text columns in one chunk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.io.take import take_rows
from advisor.profile.kinds import string_sample


def _text(sizes: list[int], every: int) -> pd.Series:
    """A text column of one Arrow chunk per entry of ``sizes``, some values missing."""
    pieces, start = [], 0
    for size in sizes:
        values = [None if (start + i) % 5 == 3 else f"v{(start + i) % every}" for i in range(size)]
        pieces.append(pa.array(values, type=pa.large_string()))
        start += size
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(pieces, type=pa.large_string()))).astype(
        "str"
    )


def _chunked_frame(sizes: list[int]) -> pd.DataFrame:
    """Two text columns cut into ``sizes`` chunks, one cut otherwise, and a float column."""
    n = sum(sizes)
    frame = pd.DataFrame(
        {
            "x": np.arange(n, dtype="float64"),
            "word": _text(sizes, 7),
            "other": _text([n // 2, n - n // 2], 3),
            "word2": _text(sizes, 11),
        }
    )
    frame.index = pd.RangeIndex(100, 100 + n)  # labels differ from positions
    return frame


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=40), min_size=2, max_size=6).filter(
        lambda s: sum(s) > 0
    ),
    data=st.data(),
)
def test_take_rows_matches_iloc_in_any_order(sizes, data):
    frame = _chunked_frame(sizes)
    n = len(frame)
    rows = np.array(data.draw(st.lists(st.integers(min_value=0, max_value=n - 1), max_size=3 * n)), dtype=int)
    taken = take_rows(frame, rows)
    pd.testing.assert_frame_equal(taken, frame.iloc[rows])
    pd.testing.assert_series_equal(take_rows(frame["word"], rows), frame["word"].iloc[rows])
    chunks = taken["word"].array._pa_array.num_chunks
    assert chunks == 1 or frame["word"].array._pa_array.num_chunks < 2


def test_string_sample_of_a_chunked_column_is_one_chunk_and_the_same_values():
    frame = _chunked_frame([1500] * 4)
    chunked = frame["word"]
    assert chunked.array._pa_array.num_chunks == 4
    joined = pd.Series(
        chunked.array._from_pyarrow_array(chunked.array._pa_array.combine_chunks()), name="word"
    )
    joined.index = chunked.index
    sample = string_sample(chunked)
    pd.testing.assert_series_equal(sample, string_sample(joined))
    assert sample.array._pa_array.num_chunks == 1  # the string checks run on one chunk, not 4


_COPY_CHECK = """
import sys
import numpy as np, pandas as pd, pyarrow as pa
from advisor.io.take import take_rows
pieces = [pa.array([f"value {i:>26}" for i in range(k * 40_000, (k + 1) * 40_000)], type=pa.large_string())
          for k in range(40)]
column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(pieces))).astype("str")
size = column.array._pa_array.nbytes
rows = np.random.default_rng(0).choice(len(column), 4_000, replace=False)
before = pa.default_memory_pool().max_memory()
taken = take_rows(column, rows) if sys.argv[1] == "take_rows" else column.iloc[rows]
print((pa.default_memory_pool().max_memory() - before) / size)
"""


def test_a_sample_does_not_copy_the_whole_column():
    # The reader keeps a text column's chunks; a random-order iloc on them joins the whole
    # column first (tens of ms a column in a fresh process). take_rows copies only the sample.
    import subprocess
    import sys

    grown = float(
        subprocess.run(
            [sys.executable, "-c", _COPY_CHECK, "take_rows"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert grown < 0.1, f"the pool grew by {grown:.2f} of the column's size"
