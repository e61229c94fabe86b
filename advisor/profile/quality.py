"""Data-quality warnings: identifiers, constants, duplicates, missingness, infinities."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from advisor.facts import ColumnProfile, DataWarning, SourceInfo
from advisor.io.take import take_rows
from advisor.profile.kinds import sorted_distinct

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Mapping

HIGH_MISSING_RATE = 0.5  # above this a column is mostly imputed values
DUPLICATE_WARN_SHARE = 0.01  # below this share duplicates are reported as info
NUMBER_NAME = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")


def count_duplicate_rows(frame: pd.DataFrame, columns: list[ColumnProfile]) -> int:
    """Rows that repeat an earlier row, comparing every column but identifiers.

    A column that is unique per row rules duplicates out without hashing. Else
    columns are hashed most-distinct first, and each check keeps only the rows
    that still share their combined hash with another row: in most tables one or
    two columns leave a few rows to follow, so the rest are hashed on those alone.
    """
    n = len(frame)
    considered = [c for c in columns if c.kind not in ("identifier", "constant")]
    if n < 2:
        return 0
    if not considered:
        return n - 1  # every compared value is the same
    if any(c.n_unique == n for c in considered):
        return 0
    order = sorted(considered, key=lambda c: c.n_unique, reverse=True)
    rows: np.ndarray | None = None  # rows still in a group of repeats; None: all
    combined = np.zeros(n, dtype="uint64")
    check_at = 1  # checks after 1, 2, 4, ... columns: a table of repeats costs log2(columns) sorts
    for i, column in enumerate(order, start=1):
        series = frame[column.name] if rows is None else take_rows(frame[column.name], rows)
        hashed = pd.util.hash_pandas_object(_hashable(series), index=False).to_numpy()
        # Mix like boost::hash_combine so column order matters and values don't cancel out.
        combined ^= (
            hashed + np.uint64(0x9E3779B97F4A7C15) + (combined << np.uint64(6)) + (combined >> np.uint64(2))
        )
        if i == check_at and i < len(order):
            repeated = repeated_mask(combined)
            if not repeated.any():
                return 0
            if not repeated.all():
                rows = np.flatnonzero(repeated) if rows is None else rows[repeated]
                combined = combined[repeated]
            check_at *= 2
    return len(combined) - sorted_distinct(combined)


def repeated_mask(values: np.ndarray) -> np.ndarray:
    """True where a ``uint64`` value may occur more than once in ``values``.

    Sorts each value's high bits packed with its row number: one plain sort
    instead of an argsort. A rare false "repeated" (two values alike in their
    high bits) is harmless: the final count compares whole values.
    """
    n = len(values)
    bits = np.uint64(max(1, (n - 1).bit_length()))
    keys = ((values >> bits) << bits) | np.arange(n, dtype="uint64")
    keys.sort()
    high = keys >> bits
    same = high[1:] == high[:-1]
    row = keys & np.uint64((1 << int(bits)) - 1)
    mask = np.zeros(n, dtype=bool)
    mask[row[1:][same]] = True
    mask[row[:-1][same]] = True
    return mask


def _hashable(series: pd.Series) -> pd.Series:
    if series.dtype == object:  # may hold lists or mixed types that hashing rejects
        return series.astype(str)
    return series


def column_warnings(
    columns: list[ColumnProfile],
    frame: pd.DataFrame,
    column_stats: Mapping[str, Any],
    target: str | None,
) -> list[DataWarning]:
    """Identifier, constant, all-missing, high-missing and infinite-value warnings."""
    warnings: list[DataWarning] = []
    for c in columns:
        if c.name == target:
            continue
        if c.missing_rate >= 1.0:
            warnings.append(
                DataWarning("all-missing", f"column {c.name!r} has no values; it is dropped", c.name)
            )
            continue
        if c.kind == "identifier":
            warnings.append(
                DataWarning(
                    "identifier",
                    f"column {c.name!r} looks like an identifier ({c.kind_reason}); it is dropped from the features",
                    c.name,
                )
            )
        elif c.kind == "constant":
            warnings.append(
                DataWarning(
                    "constant", f"column {c.name!r} has a single value; it is dropped", c.name, "info"
                )
            )
        if c.missing_rate > HIGH_MISSING_RATE:
            warnings.append(
                DataWarning(
                    "high-missing",
                    f"column {c.name!r} is {100 * c.missing_rate:.0f}% missing; models will mostly see imputed values",
                    c.name,
                )
            )
        n_inf = _n_inf(frame, c.name, column_stats)
        if n_inf:
            warnings.append(
                DataWarning(
                    "infinite-values",
                    f"column {c.name!r} has {n_inf} infinite values; they are treated as missing",
                    c.name,
                )
            )
    return warnings


def _n_inf(frame: pd.DataFrame, name: str, column_stats: Mapping[str, Any]) -> int:
    stats = column_stats.get(name)
    if stats is not None:
        return int(getattr(stats, "n_inf", 0) or 0)
    series = frame[name]
    if pd.api.types.is_float_dtype(series.dtype):
        return int(np.isinf(series.to_numpy(dtype="float64", na_value=np.nan)).sum())
    return 0


def duplicate_warning(duplicates: int, n_rows: int, sampled: bool) -> DataWarning | None:
    if duplicates == 0:
        return None
    share = duplicates / max(n_rows, 1)
    where = " in the sample" if sampled else ""
    return DataWarning(
        "duplicate-rows",
        f"{duplicates} rows ({100 * share:.1f}%) repeat an earlier row{where} (identifiers ignored); "
        "duplicates can land in both train and test folds and inflate scores: consider dropping them",
        None,
        "warning" if share >= DUPLICATE_WARN_SHARE else "info",
    )


def header_warning(names: list[str]) -> DataWarning | None:
    """A warning when every column name is a number, as when a headerless file's first
    row became the header; names that count 0..n-1 or 1..n (pixel tables) are fine."""
    if not names or not all(NUMBER_NAME.match(n) for n in names):
        return None
    if all(re.fullmatch(r"\s*\d+\s*", n) for n in names):
        numbers = [int(n) for n in names]
        if numbers in (list(range(len(names))), list(range(1, len(names) + 1))):
            return None
    shown = ", ".join(repr(n) for n in names[:2])
    return DataWarning(
        "header-looks-like-data",
        f"the header row looks like data (all column names are numbers such as {shown}): "
        "if the file has no header, add one",
    )


def source_warnings(
    source: SourceInfo, target_how: str, target: str | None, inferred: bool
) -> list[DataWarning]:
    """Info notes: the statistics come from a sample; the target was guessed."""
    warnings = []
    if source.sampled:
        note = source.sample_note or f"{source.n_rows_profiled} of {source.n_rows} rows"
        warnings.append(DataWarning("sampled", f"profiled on a sample: {note}", None, "info"))
    if inferred:
        warnings.append(
            DataWarning(
                "inferred-target",
                f"no --target given: using {target!r} ({target_how}); pass --target to choose another column",
                target,
                "info",
            )
        )
    return warnings
