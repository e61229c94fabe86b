"""pyarrow CSV options and the recovery logic shared by the whole-file and streaming readers."""

from __future__ import annotations

import csv
import io
import re
import zlib
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv

from advisor.io.sniff import NO_DELIMITER, Sniffed, open_binary

# pyarrow's default block is 1 MB; larger blocks parse a little faster on wide
# files, and a row must fit in one block.
BLOCK_BYTES = 4 * 1024 * 1024
BLOCK_LINES = 8  # a block holds at least this many of the longest head lines
# A value longer than a block fails the read ("straddling object"); it is read
# again with blocks this much bigger, up to the cap.
BLOCK_GROWTH = 8
MAX_BLOCK_BYTES = 1024 * 1024 * 1024
# The strings pandas.read_csv treats as missing, so both readers agree.
NULL_VALUES = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]  # fmt: skip
# What pyarrow (and the gzip and text decoding under it) raises on a broken file: the
# reader turns these into an InputError, the memory estimate's head parse into "no estimate".
READ_ERRORS = (pa.ArrowException, OSError, EOFError, zlib.error, UnicodeError, ValueError)
MAX_REJECT_SAMPLES = 100  # rejected row texts kept to find the first one's line number
MAX_LOCATE_LINES = 50_000_000
# Swallowed rows: a quote that is never closed (or closed far away) makes one
# field of many lines. Such a field (or rejected row) counts as swallowing when
# at least this share of its lines split into the header's field count.
SWALLOW_LINES = 20  # lines a value or rejected row must span to be checked
SWALLOW_ROW_SHARE = 0.5
SWALLOW_CHECK_LINES = 2_000  # lines of each such text split to count row-like ones
MAX_LONG_REJECTS = 20
LONG_REJECT_KEEP = 256 * 1024

_CONVERSION = re.compile(
    r"In CSV column #(\d+): (?:Row #\d+: )?CSV conversion error to (\w+): invalid value '(.*)'", re.S
)
_INVALID_UTF8 = re.compile(r"In CSV column #(\d+): .*invalid UTF8", re.S)


@dataclass
class RowRejects:
    """``invalid_row_handler`` for pyarrow: skips rows with the wrong field count and counts them."""

    count: int = 0
    expected: int = 0
    numbers: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    long_texts: list[tuple[int, str]] = field(default_factory=list)  # (newlines, start) of rows of many lines
    long_newlines: int = 0  # newlines in every rejected row of at least SWALLOW_LINES lines

    def __call__(self, row: pacsv.InvalidRow) -> str:
        self.count += 1
        self.expected = row.expected_columns
        if row.number is not None and len(self.numbers) < MAX_REJECT_SAMPLES:
            self.numbers.append(row.number)
        if len(self.texts) < MAX_REJECT_SAMPLES:
            self.texts.append(row.text)
        newlines = row.text.count("\n")
        if newlines >= SWALLOW_LINES - 1:
            self.long_newlines += newlines
            if len(self.long_texts) < MAX_LONG_REJECTS:
                self.long_texts.append((newlines, row.text[:LONG_REJECT_KEEP]))
        return "skip"


@dataclass
class Swallowed:
    """Rows taken into one field (or one rejected row) by a quote that is not closed where it should be."""

    rows: int  # estimated rows swallowed, over the whole file
    start: str  # the start of the first swallowing text
    in_value: bool  # True: the text is a value (the quote opens it); False: a rejected row's text


def swallowed_rows(
    s: Sniffed, long_values: list[tuple[int, str]], value_newlines: int, rejects: RowRejects
) -> Swallowed | None:
    """Rows swallowed by unclosed quotes, from the many-line values and rejected rows, or None.

    A legitimate multi-line text value (a review, an address) rarely has lines
    that split into the header's field count; the rows an unclosed quote takes in do.
    """
    n_fields = len(s.header)
    if n_fields < 2 or not s.delimiter:
        return None
    total, first = 0.0, None
    for texts, all_newlines, in_value in (
        (long_values, value_newlines, True),
        (rejects.long_texts, rejects.long_newlines, False),
    ):
        kept_newlines = sum(n for n, _ in texts)
        rowlike = 0.0
        for newlines, text in texts:
            share = _row_share(text, s.delimiter, n_fields)
            if share >= SWALLOW_ROW_SHARE:
                rowlike += newlines * share
                if first is None:
                    first = Swallowed(0, text, in_value)
        if kept_newlines:  # scaled up to the values not kept
            total += rowlike * all_newlines / kept_newlines
    if first is None:
        return None
    first.rows = round(total)
    return first


def _row_share(text: str, delimiter: str, n_fields: int) -> float:
    """Share of the lines of ``text`` (after its first) that split into ``n_fields`` fields."""
    lines = text.split("\n")[1:SWALLOW_CHECK_LINES]
    if not lines:
        return 0.0
    try:
        counts = [len(fields) for fields in csv.reader(lines, delimiter=delimiter)]
    except csv.Error:
        return 0.0
    return sum(1 for n in counts if n == n_fields) / len(lines)


def quote_start_line(s: Sniffed, swallowed: Swallowed) -> int | None:
    """Line number (1-based) where the swallowing text starts: the line whose end opens the quote."""
    first = swallowed.start.split("\n", 1)[0].rstrip("\r")
    if swallowed.in_value:
        wanted = lambda line: line.endswith('"' + first)  # noqa: E731
    else:
        wanted = lambda line: line == first  # noqa: E731
    with open_binary(s.path, s.compression) as raw:
        text = io.TextIOWrapper(raw, encoding=s.encoding or "utf-8", errors="replace", newline="")
        for number, line in enumerate(text, start=1):
            if wanted(line.rstrip("\r\n")):
                return number
            if number >= MAX_LOCATE_LINES:
                break
    return None


def csv_options(
    s: Sniffed,
    rejects: RowRejects | None,
    column_types: dict[str, pa.DataType] | None = None,
    multiline: bool = True,
    block_size: int | None = None,
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """Options for ``pyarrow.csv.read_csv``/``open_csv`` from what the sniffer found.

    ``rejects``: counts and skips rows with the wrong field count; None: such a
    row fails the read (``ArrowInvalid``), for a fast first try whose caller reads
    again with a handler. pyarrow parses a little slower with a handler (0.15 s of
    user time on the 1,000,000-row benchmark CSV, docs/benchmarks.md "Big files").
    """
    encoding = "utf8" if s.encoding in (None, "utf-8", "utf-8-sig") else s.encoding
    block_size = block_size or max(BLOCK_BYTES, BLOCK_LINES * s.max_line_bytes)
    read = pacsv.ReadOptions(use_threads=True, block_size=block_size, encoding=encoding)
    parse = pacsv.ParseOptions(
        delimiter=s.delimiter or NO_DELIMITER,
        # Quoted multi-line text needs this, but it slows parsing by about a third.
        newlines_in_values=multiline,
        invalid_row_handler=rejects,
    )
    convert = pacsv.ConvertOptions(
        null_values=NULL_VALUES,
        strings_can_be_null=True,  # like pandas: an empty text cell is missing, not ""
        decimal_point=s.decimal_point,
        column_types=column_types or {},
    )
    return read, parse, convert


def csv_input(s: Sniffed) -> pa.NativeFile:
    """The file as a native pyarrow stream, decompressed by pyarrow (fast, releases the GIL)."""
    return pa.input_stream(str(s.path), compression=s.compression)


def widen_type(
    exc: Exception, header: list[str], column_types: dict[str, pa.DataType]
) -> dict[str, pa.DataType] | None:
    """Column types that avoid a streaming conversion error, or None if ``exc`` is not one.

    The streaming reader fixes types from its first block; a later value that
    does not fit (text in a number column, 1.5 in an int column, bytes that are
    not UTF-8) fails the read, which is then restarted with a wider type.
    """
    message = str(exc)
    utf8 = _INVALID_UTF8.search(message)
    match = _CONVERSION.search(message)
    if utf8:
        index, wider = int(utf8.group(1)), pa.binary()
    elif match:
        index, target, value = int(match.group(1)), match.group(2), match.group(3)
        wider = pa.float64() if target.startswith(("int", "uint")) and _is_float(value) else pa.string()
    else:
        return None
    if index >= len(header) or column_types.get(header[index]) == wider:
        return None
    return {**column_types, header[index]: wider}


def larger_block(exc: Exception, block_size: int) -> int | None:
    """A bigger block size when ``exc`` says a value did not fit in one block, else None."""
    if "straddl" not in str(exc) or block_size >= MAX_BLOCK_BYTES:
        return None
    return min(block_size * BLOCK_GROWTH, MAX_BLOCK_BYTES)


def header_value_column(exc: Exception, header: list[str]) -> set[int]:
    """The column whose streaming conversion error is about its own name (a repeated header row), if any."""
    match = _CONVERSION.search(str(exc))
    index = int(match.group(1)) if match else len(header)
    return {index} if index < len(header) and match.group(3) == header[index] else set()


def first_bad_line(s: Sniffed, rejects: RowRejects) -> int | None:
    """Line number (1-based) of the first rejected row; pyarrow's threaded reader does not report it."""
    if rejects.numbers:
        return min(rejects.numbers)
    wanted = set(rejects.texts)
    if not wanted:
        return None
    with open_binary(s.path, s.compression) as raw:
        text = io.TextIOWrapper(raw, encoding=s.encoding or "utf-8", errors="replace", newline="")
        for number, line in enumerate(text, start=1):
            if line.rstrip("\r\n") in wanted:
                return number
            if number >= MAX_LOCATE_LINES:
                break
    return None


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
