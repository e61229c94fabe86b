"""``prepare``: apply the profile's kinds to the table, giving the ``ProbeData`` every probe sees."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from advisor.data import MIN_ROWS_PER_CLASS, PART_SEPARATOR, TIME_PART, ProbeData
from advisor.errors import TargetError
from advisor.facts import DatasetProfile
from advisor.profile.build import checked_frame
from advisor.profile.kinds import (
    datetime_format_of,
    dtype_family,
    epoch_days,
    parse_datetime,
    storage_family,
    to_float,
)
from advisor.profile.modality import signal_columns
from advisor.profile.order import group_codes, time_key
from advisor.profile.target import class_dropped_warning, encode_target

MAX_CATEGORY_LEVELS = 200  # rarer levels collapse into OTHER_LEVEL
OTHER_LEVEL = "__other__"
# output name -> pandas accessor
DATETIME_PARTS = {"year": "year", "month": "month", "day": "day", "dayofweek": "day_of_week"}
DROPPED_KINDS = ("identifier", "constant", "image_path")


def kept_rows(table: Any, profile: DatasetProfile) -> np.ndarray:
    """Positions (in ``table.frame``) of the rows ``prepare`` keeps, in order.

    The image loader uses this to line images up with ``ProbeData.y``.
    """
    target = profile.column(profile.target.name)
    encoded = encode_target(checked_frame(table)[target.name], target.kind, profile.target.task)
    return np.flatnonzero(encoded.keep)


def prepare(table: Any, profile: DatasetProfile) -> ProbeData:
    """Typed features and the encoded target for the probes.

    Drops rows without a target and classes with fewer than 2 rows (the profile
    already warned about them: ``class-dropped``; ``profile`` is never changed
    here, so a run with ``--no-probes`` reports the same problems); drops identifier,
    constant and image-path columns. For a signal table with a pixel grid, the
    grid's columns come first in X, in index order, so the first H*W*C columns
    reshape to ``pixel_shape``.
    """
    frame = checked_frame(table)
    target = profile.column(profile.target.name)
    task = profile.target.task
    encoded = encode_target(frame[target.name], target.kind, task)
    notes = []
    if encoded.dropped_classes:
        if not any(w.code == "class-dropped" for w in profile.warnings):  # not foreseen by the profile
            notes.append(class_dropped_warning(encoded.dropped_classes, target.name).message)
        if task == "multiclass" and len(encoded.class_names) == 2:
            task = "binary"
    # Checked whatever was dropped (small classes, missing or infinite targets): every
    # probe needs two classes, and a one-class target would only fail inside them.
    if task != "regression" and len(encoded.class_names) < 2:
        raise TargetError(
            f"target {target.name!r} has fewer than 2 classes with {MIN_ROWS_PER_CLASS} or more rows: "
            "nothing to compare; pass --target with another column"
        )
    rows = frame[encoded.keep]
    order, groups = profile.time_order, profile.groups  # the group column may be a dropped identifier
    columns: dict[str, pd.Series | np.ndarray] = {}
    kinds: dict[str, str] = {}
    signal = signal_columns(profile.columns, target.name) if profile.pixel_shape else []
    numeric = [c.name for c in profile.columns if c.kind in ("numeric", "boolean") and c.name != target.name]
    floats = _plain_floats(rows, list(dict.fromkeys(signal + numeric)))
    for name in signal:
        columns[name] = floats[name] if name in floats else pd.Series(to_float(rows[name], "numeric"))
        kinds[name] = "numeric"
    for column in profile.columns:
        if column.name == target.name or column.name in kinds or column.kind in DROPPED_KINDS:
            continue
        if column.name in floats:
            columns[column.name] = floats[column.name]
            kinds[column.name] = "numeric"
            continue
        series = rows[column.name]
        if column.kind in ("numeric", "boolean"):
            columns[column.name] = pd.Series(to_float(series, column.kind))
            kinds[column.name] = "numeric"
        elif column.kind == "datetime":
            for part, values in _datetime_parts(series).items():
                columns[f"{column.name}{PART_SEPARATOR}{part}"] = values
                kinds[f"{column.name}{PART_SEPARATOR}{part}"] = "numeric"
        elif column.kind == "categorical":
            columns[column.name] = _categorical(series)
            kinds[column.name] = "categorical"
        elif column.kind == "text":
            text = series.astype(str).fillna("").to_numpy(dtype=object)
            columns[column.name] = pd.Series(text, dtype=object)
            kinds[column.name] = "text"
    X = (
        pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))
        if columns
        else pd.DataFrame(index=pd.RangeIndex(len(rows)))
    )
    return ProbeData(
        task=task,
        modality=profile.modality,
        y=encoded.y,
        class_names=encoded.class_names,
        X=X,
        feature_kinds=kinds,
        pixel_shape=tuple(profile.pixel_shape) if profile.pixel_shape else None,
        n_rows_total=profile.source.n_rows or profile.n_rows,
        time_key=None if order is None else time_key(rows, order, profile.columns),
        groups=None if groups is None else group_codes(rows[groups.column].reset_index(drop=True)),
        time_column=order.column if order else "",
        group_column=groups.column if groups else "",
        sequence=profile.sequence.level if profile.sequence else None,  # type: ignore[arg-type]
        notes=notes,
    )


def _plain_floats(rows: pd.DataFrame, names: list[str]) -> dict[str, np.ndarray]:
    """Those of ``names`` stored as numbers or booleans, as float64 (NaN for missing and
    infinities: ``to_float``'s values), converted in one block. A column at a time costs about
    60 us in pandas, which is 1.5 s on a table of 20,000 columns; the block, milliseconds."""
    dtypes = rows.dtypes
    plain = [name for name in names if dtype_family(dtypes[name]) in ("bool", "numeric")]
    if not plain:
        return {}
    block = rows[plain].to_numpy(dtype="float64", na_value=np.nan, copy=True)  # never a view of the table
    block[~np.isfinite(block)] = np.nan
    return {name: block[:, j] for j, name in enumerate(plain)}


def _categorical(series: pd.Series) -> pd.Series:
    """Category dtype over ``str`` levels; beyond the 200 most frequent, levels become ``__other__``."""
    labels = series.astype(str).reset_index(drop=True)
    counts = labels.value_counts()
    if len(counts) > MAX_CATEGORY_LEVELS:
        keep = counts.index[:MAX_CATEGORY_LEVELS]
        labels = labels.where(labels.isin(keep) | labels.isna(), OTHER_LEVEL)
    return labels.astype("category")


def _datetime_parts(series: pd.Series) -> dict[str, pd.Series]:
    """Calendar parts as float64 (NaN for missing), hour only when times vary, and epoch days."""
    fmt = None if storage_family(series) == "datetime" else datetime_format_of(series)
    parsed = parse_datetime(series, fmt).reset_index(drop=True)
    parts = {part: getattr(parsed.dt, attr) for part, attr in DATETIME_PARTS.items()}
    hour = parsed.dt.hour
    if hour.fillna(0).ne(0).any():
        parts["hour"] = hour
    parts = {k: pd.Series(v.to_numpy(dtype="float64", na_value=np.nan)) for k, v in parts.items()}
    parts[TIME_PART] = pd.Series(epoch_days(parsed))
    return parts
