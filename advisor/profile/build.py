"""``profile_table``: a ``LoadedTable`` in, a ``DatasetProfile`` out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from advisor.errors import InputError, TargetError
from advisor.facts import FEATURE_KINDS, ColumnProfile, DatasetProfile, DataWarning
from advisor.profile.kinds import profile_columns
from advisor.profile.leak_combos import find_combination_leaks, leakage_evidence
from advisor.profile.leakage import find_leakage
from advisor.profile.modality import detect_modality
from advisor.profile.order import find_order
from advisor.profile.quality import (
    column_warnings,
    count_duplicate_rows,
    duplicate_warning,
    header_warning,
    source_warnings,
)
from advisor.profile.sequence import detect_sequence
from advisor.profile.target import choose_target, describe_target
from advisor.profile.text import text_stats
from advisor.profile.trend import describe_drift

CATEGORICAL_WIDTH_CAP = 32  # one-hot columns counted per categorical in encoded_width
DATETIME_WIDTH = 5  # year, month, day, day of week, epoch days (prepare's expansion)
MB = 2**20


def checked_frame(table: Any) -> pd.DataFrame:
    """The table's frame with ``str`` column names; ``InputError`` when unusable."""
    frame: pd.DataFrame = table.frame
    if frame.shape[1] == 0:
        raise InputError(f"{table.source.path}: no columns found; check the delimiter and the header line")
    if len(frame) == 0:
        raise InputError(f"{table.source.path}: no data rows, only a header; nothing to learn from")
    if any(not isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise InputError(
            f"{table.source.path}: duplicate column names {duplicated[:5]}; rename them so each is unique"
        )
    return frame


def profile_table(
    table: Any,
    *,
    target: str | None = None,
    task: str | None = None,
    time_column: str | None = None,
    group_column: str | None = None,
) -> DatasetProfile:
    """Profile ``table``: column kinds, target and task, quality, leakage, modality, scale.

    ``table`` is an ``advisor.io.read.LoadedTable`` (frame, source, column_stats,
    warnings). Raises ``TargetError``/``InputError`` with a message that says
    what to do.
    """
    frame = checked_frame(table)
    source = table.source
    stats = getattr(table, "column_stats", None) or {}
    n_rows = source.n_rows or len(frame)
    columns = profile_columns(frame, stats, n_rows)
    by_name = {c.name: c for c in columns}

    _refuse_skipped_target(table, list(frame.columns), target)
    target_name, inferred, how = choose_target(list(frame.columns), target)
    target_column = by_name[target_name]
    n_missing = stats[target_name].n_missing if target_name in stats else int(frame[target_name].isna().sum())
    target_info, target_warnings = describe_target(
        frame[target_name], target_column, inferred=inferred, how=how, task=task, n_missing=int(n_missing)
    )

    features = [c for c in columns if c.name != target_name and c.kind in FEATURE_KINDS]
    if not features:
        if len(columns) == 1:
            raise InputError(
                f"{source.path} has a single column ({target_name!r}) and nothing to predict it from: "
                "add the feature columns, or check the delimiter"
            )
        kinds = ", ".join(f"{c.name!r} ({c.kind})" for c in columns if c.name != target_name)
        raise InputError(
            f"no usable feature columns besides the target {target_name!r}: {kinds or 'none'}; "
            "check the file or pass --target"
        )
    # Before the slow scans: a --time-column/--group-column that is not a column fails fast.
    time_order, groups = find_order(
        frame, columns, target_name, time_column=time_column, group_column=group_column
    )
    sequence = detect_sequence(frame, columns, target_name, time_order, groups)
    drift = describe_drift(frame, columns, time_order, target_column, target_info)
    target_warnings += [drift] if drift else []
    text = text_stats(frame, columns, n_rows)
    modality = detect_modality(frame, columns, target_name)
    # The duplicate scan (hashing and sorting, which release the GIL) overlaps the leakage scan.
    with ThreadPoolExecutor(max_workers=1) as pool:
        duplicates_job = pool.submit(count_duplicate_rows, frame, columns)
        # Single pixels are not leakage; scoring hundreds of them would cost seconds.
        suspects = (
            []
            if modality.modality == "signal"
            else find_leakage(frame, columns, target_column, target_info.task)
        )
        # Totals of parts, ratios: sets of 2-3 columns that reproduce the target exactly.
        combos = (
            []
            if modality.modality == "signal"
            else find_combination_leaks(
                frame, columns, target_column, target_info.task, exclude=[s.column for s in suspects]
            )
        )
        leak_columns, leak_evidence = leakage_evidence(suspects, combos)
        duplicates = duplicates_job.result()

    warnings: list[DataWarning] = list(getattr(table, "warnings", []) or [])
    warnings += source_warnings(source, how, target_name, inferred)
    header = header_warning(list(frame.columns))
    warnings += [header] if header else []
    warnings += column_warnings(columns, frame, stats, target_name)
    dup = duplicate_warning(duplicates, len(frame), source.sampled)
    warnings += [dup] if dup else []
    warnings += target_warnings
    warnings += [s.warning() for s in suspects] + [c.warning() for c in combos]
    warnings += [
        DataWarning(
            "text-column",
            f"column {c.name!r} is free text (mean {c.mean_tokens:.0f} words); it needs text features or a text model",
            c.name,
            "info",
        )
        for c in columns
        if c.kind == "text" and c.name != target_name
    ]
    warnings += modality.warnings

    return DatasetProfile(
        source=source,
        n_rows=n_rows,
        n_columns=frame.shape[1],
        columns=columns,
        target=target_info,
        modality=modality.modality,
        modality_reason=modality.reason,
        n_features=len(features),
        encoded_width=encoded_width(features),
        raw_dimension=modality.n_signal_columns or len(features),
        memory_mb=memory_mb(frame, n_rows),
        duplicate_rows=duplicates,
        max_missing_rate=max(c.missing_rate for c in columns),
        leakage_suspects=leak_columns,
        leakage_evidence=leak_evidence,
        warnings=warnings,
        text=text,
        pixel_shape=modality.pixel_shape,
        time_order=time_order,
        groups=groups,
        sequence=sequence,
    )


def _refuse_skipped_target(table: Any, names: list[str], target: str | None) -> None:
    """A target the reader skipped (nested values) is an error, not a silent fallback to another column."""
    skipped = [
        w.column for w in getattr(table, "warnings", []) or [] if w.code == "nested-column" and w.column
    ]
    if target is not None:
        hit = target if target in skipped else None
    else:  # the column the conventional-name rule would have picked (positions are lost: names only)
        picked, _, how = choose_target([*names, *skipped], None)
        hit = picked if picked in skipped and how != "last column" else None
    if hit is not None:
        raise TargetError(
            f"column {hit!r} holds nested values (lists, structs or maps) and cannot be the target: "
            "flatten it into a plain column, or pass --target with another column"
        )


def encoded_width(features: list[ColumnProfile]) -> int:
    """Width after one-hot encoding categoricals (capped); text and image paths excluded."""
    width = 0
    for c in features:
        if c.kind == "categorical":
            width += min(c.n_unique, CATEGORICAL_WIDTH_CAP)
        elif c.kind == "datetime":
            width += DATETIME_WIDTH
        elif c.kind in ("numeric", "boolean"):
            width += 1
    return width


def memory_mb(frame: pd.DataFrame, n_rows: int) -> float:
    """In-memory size of the frame, scaled to the whole file when the frame is a sample."""
    # A NumPy column holds rows x its item size; ``memory_usage`` asks every column (0.5 s on
    # 20,000), so only the others are asked.
    dtypes = list(frame.dtypes)
    fixed = sum(d.itemsize for d in dtypes if isinstance(d, np.dtype)) * len(frame)
    other = [i for i, d in enumerate(dtypes) if not isinstance(d, np.dtype)]
    measured = float(fixed + sum(frame.iloc[:, i].memory_usage(index=False, deep=False) for i in other)) / MB
    return measured * max(n_rows, len(frame)) / len(frame)
