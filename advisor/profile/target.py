"""Which column is the target, what task it poses, and how it is encoded.

The same encoding (``encode_target``) serves the leakage check and ``prepare``,
so class labels and dropped rows agree everywhere.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from advisor.errors import TargetError
from advisor.facts import ColumnProfile, DataWarning, TargetInfo
from advisor.profile.kinds import storage_family, to_float

# Checked in this order, case-insensitively, when no --target is given.
CONVENTIONAL_TARGET_NAMES = (
    "target",
    "label",
    "labels",
    "class",
    "y",
    "outcome",
    "churn",
    "response",
    "survived",
    "is_fraud",
    "fraud",
    "default",
)
TASKS = ("binary", "multiclass", "regression")
MAX_INTEGER_CLASSES = 20  # integer targets with at most this many values are classes
TOP_CLASSES = 20  # class_counts keeps this many, largest first
IMBALANCE_WARN_RATIO = 10.0
TINY_CLASS_ROWS = 10
MIN_ROWS_PER_CLASS = 2  # stratified folds need two rows of every class
UNUSABLE_TARGET_KINDS = {
    "identifier": "looks like an identifier (unique per row)",
    "text": "is free text",
    "datetime": "holds dates",
    "image_path": "holds image paths",
}
SHOW_COLUMNS = 8


def choose_target(columns: list[str], target: str | None) -> tuple[str, bool, str]:
    """``(name, inferred, how)``; raises ``TargetError`` for an unknown ``--target``."""
    if target is not None:
        if target in columns:
            return target, False, "given with --target"
        close = difflib.get_close_matches(target, columns, n=3, cutoff=0.6)
        close += [c for c in columns if c.lower() == target.lower() and c not in close]
        hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        shown = ", ".join(repr(c) for c in columns[:SHOW_COLUMNS])
        more = f", ... ({len(columns)} in all)" if len(columns) > SHOW_COLUMNS else ""
        raise TargetError(
            f"no column {target!r} in the data; {hint}columns are {shown}{more}: pass --target with one of them"
        )
    lowered = {c.lower().strip(): c for c in reversed(columns)}
    for conventional in CONVENTIONAL_TARGET_NAMES:
        if conventional in lowered:
            return lowered[conventional], True, f"conventional name {lowered[conventional]!r}"
    return columns[-1], True, "last column"


def class_labels(series: pd.Series, kind: str) -> pd.Series:
    """Class labels as ``str`` (missing stays missing); integral numbers print without '.0'."""
    family = storage_family(series)
    if family == "bool" or (family == "string" and kind != "numeric"):
        return series.astype(str)
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype(str)
    values = pd.Series(to_float(series, "numeric"), index=series.index)
    return values.astype(str).where(values.notna()).str.removesuffix(".0")


def class_counts(series: pd.Series, kind: str) -> pd.Series:
    """Rows per class label, largest first (ties in order of first appearance).

    Counted on the raw values and only then labelled: turning a million values
    into strings costs more than the whole count.
    """
    raw = series.value_counts(dropna=True)
    raw = raw[raw > 0]  # a categorical dtype lists unused categories too
    labels = class_labels(pd.Series(raw.index, dtype=series.dtype), kind).to_numpy()
    counts = raw.groupby(labels, sort=False).sum()
    return counts.sort_values(ascending=False, kind="stable")


def _unusable(name: str, why: str, inferred: bool, how: str) -> TargetError:
    picked = f"the target was picked as the {how}" if inferred else "it was given as the target"
    return TargetError(
        f"column {name!r} {why} and cannot be the target ({picked}): pass --target with the column to predict"
    )


def infer_task(series: pd.Series, column: ColumnProfile, task: str | None) -> tuple[str, str]:
    """``(task, task_reason)``; ``task`` (from --task) overrides after validation."""
    if task is not None and task not in TASKS:
        raise TargetError(f"--task must be one of {', '.join(TASKS)}, not {task!r}")
    present = series.dropna()
    # Numbers (also numeric-looking strings) and 0/1 columns; "yes"/"no" strings are classes.
    numeric = column.kind == "numeric" or (column.kind == "boolean" and storage_family(series) != "string")
    n_values = column.n_unique
    if task is not None:
        if task == "regression" and not numeric:
            raise TargetError(
                f"--task regression needs a numeric target, but {column.name!r} is {column.kind}: pass --task binary or multiclass"
            )
        if task == "binary" and n_values > 2:
            raise TargetError(
                f"--task binary needs 2 classes, but {column.name!r} has {n_values}: pass --task multiclass"
            )
        return task, "given with --task"
    if not numeric:
        task = "binary" if n_values == 2 else "multiclass"
        return task, f"{column.kind} with {n_values} classes: {task}"
    if n_values == 2:
        return "binary", "numeric with 2 distinct values: binary; pass --task regression to override"
    values = to_float(present, "numeric")
    if n_values <= MAX_INTEGER_CLASSES and np.all(np.mod(values[~np.isnan(values)], 1) == 0):
        return "multiclass", (
            f"numeric with {n_values} distinct integer values: treated as multiclass; pass --task regression to override"
        )
    return "regression", f"numeric with {n_values} distinct values: regression"


@dataclass
class EncodedTarget:
    """The target ready for models: rows kept, encoded values, class names."""

    keep: np.ndarray  # boolean mask over the input rows
    y: np.ndarray  # int64 codes (classification) or float64 (regression), for kept rows
    class_names: list[str]
    dropped_classes: dict[str, int]  # label -> rows, classes too small for stratified folds


def encode_target(series: pd.Series, kind: str, task: str) -> EncodedTarget:
    """Drop missing targets (and classes with fewer than 2 rows); encode the rest."""
    if task == "regression":
        values = to_float(series, "boolean" if kind == "boolean" else "numeric")
        keep = ~np.isnan(values)
        return EncodedTarget(keep, values[keep], [], {})
    labels = class_labels(series, kind)
    counts = labels.value_counts()
    small = counts[counts < MIN_ROWS_PER_CLASS]
    keep = labels.notna().to_numpy() & ~labels.isin(small.index).to_numpy()
    class_names = sorted(str(c) for c in counts.index if c not in small.index)
    codes = pd.Categorical(labels[keep], categories=class_names).codes.astype("int64")
    return EncodedTarget(keep, codes, class_names, {str(k): int(v) for k, v in small.items()})


def describe_target(
    series: pd.Series,
    column: ColumnProfile,
    *,
    inferred: bool,
    how: str,
    task: str | None,
    n_missing: int,
) -> tuple[TargetInfo, list[DataWarning]]:
    """``TargetInfo`` plus warnings (missing targets, imbalance, tiny classes)."""
    name = column.name
    if column.n_unique == 0:
        raise TargetError(
            f"target column {name!r} has no values (all missing): pass --target with the column to predict"
        )
    if column.kind in UNUSABLE_TARGET_KINDS:
        raise _unusable(name, UNUSABLE_TARGET_KINDS[column.kind], inferred, how)
    if column.n_unique == 1:
        value = str(series.dropna().iloc[0])[:30]
        raise TargetError(
            f"target column {name!r} has one value ({value!r}) in every row: nothing to predict; "
            "pass --target with the column to predict"
        )
    task_name, task_reason = infer_task(series, column, task)
    info = TargetInfo(
        name=name, inferred=inferred, how=how, task=task_name, task_reason=task_reason, missing=n_missing
    )
    warnings: list[DataWarning] = []
    if n_missing:
        warnings.append(
            DataWarning(
                "target-missing",
                f"{n_missing} rows have no target value; they are dropped before probing",
                name,
            )
        )
    if task_name != "regression":
        _describe_classes(series, column, info, warnings)
    return info, warnings


def _describe_classes(
    series: pd.Series, column: ColumnProfile, info: TargetInfo, warnings: list[DataWarning]
) -> None:
    counts = class_counts(series, column.kind)
    info.n_classes = int(len(counts))
    info.class_counts = {str(k): int(v) for k, v in counts.iloc[:TOP_CLASSES].items()}
    info.imbalance_ratio = float(counts.iloc[0] / counts.iloc[-1])
    name = column.name
    if info.imbalance_ratio >= IMBALANCE_WARN_RATIO:
        warnings.append(
            DataWarning(
                "imbalance",
                f"classes are imbalanced: the largest has {info.imbalance_ratio:.0f}x the rows of the smallest; "
                "use stratified folds and judge by PR-AUC or F1, not accuracy",
                name,
            )
        )
    tiny = counts[counts < TINY_CLASS_ROWS]
    if len(tiny):
        shown = ", ".join(f"{k!r} ({v})" for k, v in tiny.iloc[:5].items())
        more = f" and {len(tiny) - 5} more" if len(tiny) > 5 else ""
        warnings.append(
            DataWarning(
                "tiny-class",
                f"{len(tiny)} class(es) have fewer than {TINY_CLASS_ROWS} rows: {shown}{more}; their scores are noisy",
                name,
            )
        )
