"""Memory estimates: whether a file is read whole or streamed, and how a streamed read fits its limit.

The reader (``advisor.io.read``) and the shard reader (``advisor.io.dataset``)
compare ``estimate_memory_mb`` with the limit (``default_memory_limit_mb`` when
none is given); a streamed read then splits the limit between its sample
(``sample_rows_within``) and the parser's blocks (``stream_block_bytes``). The
numbers are measurements (benchmarks/bench_memory.py, docs/benchmarks.md), kept
here apart from the reading logic so that a new measurement changes one module.
``peak_memory_mb`` is what the reader reports having used.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from advisor.io import csvparse
from advisor.io.csvparse import BLOCK_LINES, READ_ERRORS, RowRejects, csv_input, csv_options
from advisor.io.sniff import Sniffed

DEFAULT_MEMORY_FRACTION = 0.25  # of total RAM, when no limit is given
# Peak memory of a whole in-memory run (read, the pandas copy, profile, report:
# ``advisor recommend --no-probes``) above the interpreter's own, per cell and
# per byte of text, measured with benchmarks/bench_memory.py (docs/benchmarks.md,
# "Memory per text byte"), rounded up. The head of the file gives the mix.
BYTES_PER_NUMBER_CELL = 26.0  # numbers, booleans, dates: any non-text cell (25.1-25.4 with pandas' parser)
BYTES_PER_TEXT_CELL = 12.0
BYTES_PER_TEXT_BYTE = 6.0
# Per byte of text when the head cannot be parsed: the worst measured kind
# (one-digit numbers, estimated as below), so the guard never underestimates.
CSV_MEMORY_FACTOR = 15.0
MEMORY_MARGIN = 1.2  # on the estimate from the head: the rest of the file may differ a little
ESTIMATE_HEAD_BYTES = 1024 * 1024  # text parsed to see the mix of column kinds
PARQUET_MEMORY_FACTOR = 2.0  # per uncompressed byte
SAMPLE_SHARE = (
    0.5  # of the limit, for the streamed sample (the reader's blocks and the profile need the rest)
)
SAMPLE_ROW_OVERHEAD = 1.5  # a sample row's memory while drawing (twice the rows, as Arrow) and profiling
MIN_SAMPLE_ROWS = 1_000
# Peak memory of pyarrow's streaming CSV reader per byte of its block (blocks in
# flight and parse buffers): 92 MB with 1 MB blocks, 222 MB with 4 MB (short rows).
STREAM_MEMORY_PER_BLOCK_BYTE = 100
MIN_STREAM_BLOCK = 256 * 1024
MB = 1024 * 1024


def default_memory_limit_mb() -> float:
    return psutil.virtual_memory().total * DEFAULT_MEMORY_FRACTION / MB


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far."""
    try:
        import resource
    except ImportError:  # Windows
        return psutil.Process().memory_info().rss / MB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KB on Linux


@dataclass
class TextMix:
    """What the head of a CSV holds: its text size, rows, cells by kind and bytes of text values."""

    text_bytes: int
    rows: int
    number_cells: int
    text_cells: int
    text_value_bytes: int

    def memory_per_text_byte(self) -> float:
        """Estimated peak memory of an in-memory run per byte of the file's text."""
        used = (
            self.number_cells * BYTES_PER_NUMBER_CELL
            + self.text_cells * BYTES_PER_TEXT_CELL
            + self.text_value_bytes * BYTES_PER_TEXT_BYTE
        )
        return used / max(self.text_bytes, 1)


def text_mix(s: Sniffed) -> TextMix | None:
    """Parse the head of a CSV (about ESTIMATE_HEAD_BYTES of text); None when that is not possible."""
    if s.format == "parquet" or (s.encoding or "").startswith(("utf-16", "utf-32")):
        return None  # no byte-wise cut at a line end for these encodings
    want = min(max(ESTIMATE_HEAD_BYTES, 4 * s.max_line_bytes), 64 * ESTIMATE_HEAD_BYTES)
    try:
        with csv_input(s) as source:
            head = source.read(want + 1)
        if len(head) > want:  # cut after the last full line
            head = head[: head.rfind(b"\n", 0, want) + 1]
        read, parse, convert = csv_options(s, RowRejects(), block_size=max(len(head), 1))
        table = pacsv.read_csv(
            pa.BufferReader(head), read_options=read, parse_options=parse, convert_options=convert
        )
    except READ_ERRORS:
        return None
    if not table.num_rows:
        return None
    texts = [c for c in table.columns if _is_text(c.type) or pa.types.is_binary(c.type)]
    text_bytes = sum(pc.sum(pc.binary_length(c)).as_py() or 0 for c in texts)
    text_cells = len(texts) * table.num_rows
    return TextMix(
        text_bytes=len(head),
        rows=table.num_rows,
        number_cells=table.num_rows * table.num_columns - text_cells,
        text_cells=text_cells,
        text_value_bytes=int(text_bytes),
    )


def _is_text(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype)


def memory_per_text_byte(s: Sniffed) -> float:
    """Peak memory of reading and profiling ``s`` whole, per byte of its text (a CSV)."""
    mix = text_mix(s)
    return CSV_MEMORY_FACTOR if mix is None else mix.memory_per_text_byte() * MEMORY_MARGIN


def sample_rows_within(s: Sniffed, limit_mb: float, sample_rows: int) -> int:
    """Fewer sample rows when ``sample_rows`` of this file's rows would not fit in half the limit.

    The streamed sample holds up to twice its rows while it is drawn, and the
    profile then needs the full per-row memory of an in-memory run.
    """
    mix = text_mix(s)
    if mix is None:
        return sample_rows
    per_row = mix.memory_per_text_byte() * MEMORY_MARGIN * mix.text_bytes / mix.rows * SAMPLE_ROW_OVERHEAD
    return min(sample_rows, max(MIN_SAMPLE_ROWS, int(limit_mb * MB * SAMPLE_SHARE / per_row)))


def stream_block_bytes(s: Sniffed, limit_mb: float) -> int:
    """The streaming parser's block: its memory (about STREAM_MEMORY_PER_BLOCK_BYTE per byte) in the other half of the limit."""
    # ``csvparse.BLOCK_BYTES`` read at call time: tests shrink it to cut a file into many blocks.
    fit = max(int(limit_mb * MB * (1 - SAMPLE_SHARE) / STREAM_MEMORY_PER_BLOCK_BYTE), MIN_STREAM_BLOCK)
    return max(BLOCK_LINES * s.max_line_bytes, min(fit, csvparse.BLOCK_BYTES))


def fits_whole(s: Sniffed, limit_mb: float) -> bool:
    """Whether ``s`` is read whole under ``limit_mb``: its estimate within the limit. A CSV
    that would fit even at the costliest text per byte (every cell a number one byte long
    with its delimiter: ``BYTES_PER_NUMBER_CELL`` per byte) is not parsed for its mix: on
    5,000 columns pyarrow's parse of the head alone cost 0.26 s."""
    if s.format != "parquet" and s.text_bytes * BYTES_PER_NUMBER_CELL * MEMORY_MARGIN / MB <= limit_mb:
        return True
    return estimate_memory_mb(s) <= limit_mb


def estimate_memory_mb(s: Sniffed) -> float:
    """Peak memory (MB, above the interpreter's own) of reading and profiling ``s`` whole.

    May raise one of ``READ_ERRORS`` (a Parquet footer that lies): ``read.checked_estimate_mb``
    turns that into an ``InputError``.
    """
    if s.format == "parquet":
        metadata = pq.ParquetFile(s.path).metadata
        uncompressed = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        return uncompressed * PARQUET_MEMORY_FACTOR / MB
    return s.text_bytes * memory_per_text_byte(s) / MB
