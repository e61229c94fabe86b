"""Make a freshly read Arrow table safe to hand to pandas: unique names, usable types."""

from __future__ import annotations

import pyarrow as pa

from advisor.facts import DataWarning

FALLBACK_ENCODING = "cp1252"  # what stray non-UTF-8 bytes usually are (Excel on Windows)
MAX_NAMES_IN_MESSAGE = 5


def unique_names(names: list[str]) -> tuple[list[str], list[DataWarning]]:
    """Name blank headers ``Unnamed: i`` and rename repeats ``a.1``, ``a.2`` (as pandas does)."""
    warnings: list[DataWarning] = []
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
        renamed.append(f"'{name}' -> '{candidate}'")
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
    """Types pandas would hold as Python objects become native ones; bytes become text, repaired."""
    warnings: list[DataWarning] = []
    if not any(_needs_conversion(t) for t in table.schema.types):
        return table.rename_columns(names), warnings
    columns = []
    for name, column in zip(names, table.columns, strict=True):
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
                        f"{n_repaired:,} value(s) in column '{name}' are not valid UTF-8 and were decoded as "
                        f"{FALLBACK_ENCODING}: check them, and re-export the file as UTF-8",
                        column=name,
                    )
                )
        columns.append(column)
    return pa.Table.from_arrays(columns, names=names), warnings


def _needs_conversion(dtype: pa.DataType) -> bool:
    return any(
        check(dtype)
        for check in (
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


def _listing(items: list) -> str:
    shown = ", ".join(str(x) for x in items[:MAX_NAMES_IN_MESSAGE])
    return shown + (
        f", and {len(items) - MAX_NAMES_IN_MESSAGE} more" if len(items) > MAX_NAMES_IN_MESSAGE else ""
    )
