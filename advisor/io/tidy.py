"""Make a freshly read Arrow table safe to hand to pandas: unique names, usable types, no repeated headers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from advisor.facts import DataWarning
from advisor.io.csvparse import NULL_VALUES
from advisor.io.sniff import clip

FALLBACK_ENCODING = "cp1252"  # what stray non-UTF-8 bytes usually are (Excel on Windows)
MAX_NAMES_IN_MESSAGE = 5
# What a text column is re-parsed as once repeated header rows are gone, in the
# CSV reader's inference order (the first type every value casts to wins).
REPARSE_TYPES = (pa.int64(), pa.float64(), pa.bool_(), pa.date32(), pa.timestamp("s"))
NA_NAMES = frozenset(NULL_VALUES)  # a header cell the CSV reader would read as missing


def unique_names(names: list[str]) -> tuple[list[str], list[DataWarning]]:
    """Name blank headers ``Unnamed: i`` and rename repeats ``a.1``, ``a.2`` (as pandas does).

    Byte-order marks left at the start of the first name (a doubled BOM) are dropped."""
    warnings: list[DataWarning] = []
    if names:  # the decoder drops one byte-order mark; a file saved twice with one has more
        names = [names[0].lstrip("\ufeff"), *names[1:]]
    out = [n if n.strip() else f"Unnamed: {i}" for i, n in enumerate(names)]
    blank = [i for i, n in enumerate(names) if not n.strip()]
    if blank:
        warnings.append(
            DataWarning(
                "unnamed-columns",
                f"{len(blank)} column(s) have no header name (positions {_listing(blank)}); "
                "they were named 'Unnamed: <position>': add names to the header row",
            )
        )
    seen = set(out)
    counts: dict[str, int] = {}
    renamed: list[str] = []
    for i, name in enumerate(out):
        if name not in counts:
            counts[name] = 0
            continue
        while True:
            counts[name] += 1
            candidate = f"{name}.{counts[name]}"
            if candidate not in seen:
                break
        out[i] = candidate
        seen.add(candidate)
        renamed.append(f"'{clip(name)}' -> '{clip(candidate)}'")
    if renamed:
        warnings.append(
            DataWarning(
                "duplicate-columns",
                f"{len(renamed)} duplicate column name(s) were renamed ({_listing(renamed)}): "
                "give every column a distinct name in the header",
            )
        )
    return out, warnings


def normalise_types(table: pa.Table, names: list[str]) -> tuple[pa.Table, list[DataWarning]]:
    """Types pandas would hold as Python objects become native ones; bytes become text, repaired.

    Nested columns (lists, structs, maps) are dropped with a warning: no profile
    or model here can use them, and pandas would hold them as unhashable objects.
    """
    warnings: list[DataWarning] = []
    if not any(_needs_conversion(t) for t in table.schema.types):
        return table.rename_columns(names), warnings
    columns, kept = [], []
    for name, column in zip(names, table.columns, strict=True):
        if _is_nested(column.type):
            warnings.append(
                DataWarning(
                    "nested-column",
                    f"column '{clip(name)}' holds nested values ({clip(str(column.type))}) and was skipped: "
                    "flatten it into plain columns to use it",
                    column=name,
                )
            )
            continue
        if pa.types.is_date(column.type):
            column = column.cast(pa.timestamp("s"))
        elif pa.types.is_time(column.type):  # pandas has no time-of-day dtype
            column = column.cast(pa.string())
        elif pa.types.is_decimal(column.type):  # pandas would hold Decimal objects
            column = column.cast(pa.float64())
        elif pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            column, n_repaired = _decode_mixed(column)
            if n_repaired:
                warnings.append(
                    DataWarning(
                        "mixed-encoding",
                        f"{n_repaired:,} value(s) in column '{clip(name)}' are not valid UTF-8 and were decoded as "
                        f"{FALLBACK_ENCODING}: check them, and re-export the file as UTF-8",
                        column=name,
                    )
                )
        columns.append(column)
        kept.append(name)
    return pa.Table.from_arrays(columns, names=kept), warnings


def _is_nested(dtype: pa.DataType) -> bool:
    """Lists, structs, maps and unions, also dictionary-encoded."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return pa.types.is_nested(dtype)


def _needs_conversion(dtype: pa.DataType) -> bool:
    return any(
        check(dtype)
        for check in (
            _is_nested,
            pa.types.is_date,
            pa.types.is_time,
            pa.types.is_decimal,
            pa.types.is_binary,
            pa.types.is_large_binary,
        )
    )


def _decode_mixed(column: pa.ChunkedArray) -> tuple[pa.Array, int]:
    """UTF-8 where valid, else the fallback encoding, value by value."""
    repaired = 0
    values: list[str | None] = []
    for raw in column.to_pylist():
        if raw is None:
            values.append(None)
            continue
        try:
            values.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            values.append(raw.decode(FALLBACK_ENCODING, errors="replace"))
            repaired += 1
    return pa.array(values, type=pa.string()), repaired


@dataclass
class RepeatedHeaders:
    """Drops rows whose every value is its column's name (files concatenated with their headers).

    Works on a whole table or batch by batch. Such rows turn number columns
    into text, so ``follow`` tracks the text columns that may be something else
    without them: column position -> index into ``REPARSE_TYPES`` of the first
    type every value seen so far casts to. ``reparse`` then applies it.
    """

    names: list[str]
    follow: dict[int, int] = field(default_factory=dict)
    count: int = 0
    first_row: int = 0  # 0-based data row of the first one
    seen: int = 0  # data rows seen, dropped ones included

    def drop(self, data: pa.Table | pa.RecordBatch) -> pa.Table | pa.RecordBatch:
        rows = header_rows(data, self.names)
        if rows.size:
            if not self.count:
                self.first_row = self.seen + int(rows[0])
            if not self.seen:  # text from the start: the header rows may be why
                self.follow |= {i: 0 for i, t in enumerate(data.schema.types) if _is_text(t)}
            self.count += rows.size
            keep = np.ones(data.num_rows, dtype=bool)
            keep[rows] = False
            data = data.filter(pa.array(keep))
        self.seen += data.num_rows + rows.size
        for i in list(self.follow):
            self._narrow(i, data.column(i))
        return data

    def _narrow(self, i: int, column: pa.Array | pa.ChunkedArray) -> None:
        for k in range(self.follow[i], len(REPARSE_TYPES)):
            try:
                pc.cast(column, REPARSE_TYPES[k])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
            self.follow[i] = k
            return
        del self.follow[i]

    def reparse(self, table: pa.Table) -> pa.Table:
        """``table`` with the followed columns cast to the type all their values had (only if rows were dropped)."""
        if not self.count:
            return table
        for i, k in self.follow.items():
            try:
                column = pc.cast(table.column(i), REPARSE_TYPES[k])
            except (
                pa.ArrowInvalid,
                pa.ArrowNotImplementedError,
            ):  # a sample of a column typed batch by batch
                continue
            table = table.set_column(i, table.field(i).name, column)
        return table

    def warnings(self) -> list[DataWarning]:
        if not self.count:
            return []
        return [
            DataWarning(
                "repeated-header",
                f"dropped {self.count:,} row(s) that repeat the header (first at data row {self.first_row + 1:,}): "
                "were files concatenated with their headers? Remove the extra header lines",
            )
        ]


def header_rows(data: pa.Table | pa.RecordBatch, names: list[str]) -> np.ndarray:
    """Positions of rows whose every value equals its column's name.

    Cheap on normal data: one vectorised comparison on the first text column;
    other columns are compared only on the rows that matched it.
    """
    # Columns after the named ones (a dataset's shard and partition columns) hold values, never names.
    types = data.schema.types[: len(names)]
    text = [i for i, t in enumerate(types) if _is_text(t) and not _missing_like(names[i])]
    if not text:  # a repeated header makes some column text
        return np.empty(0, dtype=np.int64)
    first = text[0]
    rows = _matches(data.column(first), names[first], first)
    for i, name in enumerate(names):
        if rows.size == 0:
            break
        if i != first:
            rows = rows[_matches(data.column(i).take(pa.array(rows)), name, i)]
    return rows


def _matches(values: pa.Array | pa.ChunkedArray, name: str, position: int) -> np.ndarray:
    """Positions in ``values`` equal to ``name`` (missing counts for a blank or NA-like name)."""
    if not _is_text(values.type):
        try:
            values = pc.cast(values, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return np.empty(0, dtype=np.int64)
    mask = pc.equal(values, name)
    if position == 0:  # the header of a file appended with its byte-order mark
        mask = pc.or_(mask, pc.equal(values, "\ufeff" + name))
    if _missing_like(name):
        mask = pc.or_(mask, pc.is_null(values))
    if not pc.any(mask).as_py():
        return np.empty(0, dtype=np.int64)
    mask = pc.fill_null(mask, False)
    flags = mask.to_numpy(zero_copy_only=False) if isinstance(mask, pa.Array) else mask.to_numpy()
    return np.flatnonzero(flags)


def _missing_like(name: str) -> bool:
    return not name.strip() or name in NA_NAMES


def _is_text(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype)


def _listing(items: list) -> str:
    shown = ", ".join(str(x) for x in items[:MAX_NAMES_IN_MESSAGE])
    return shown + (
        f", and {len(items) - MAX_NAMES_IN_MESSAGE} more" if len(items) > MAX_NAMES_IN_MESSAGE else ""
    )
