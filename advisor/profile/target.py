"""Which column is the target, what task it poses, and how it is encoded.

The same encoding (``encode_target``) serves the leakage check and ``prepare``,
so class labels and dropped rows agree everywhere.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from advisor.data import MIN_ROWS_PER_CLASS
from advisor.errors import TargetError
from advisor.facts import ColumnProfile, DataWarning, TargetInfo
from advisor.profile.kinds import parse_numeric, storage_family, to_float

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
# A regression target this skewed is heavy-tailed: squared errors (and R^2) on its scale are
# decided by its largest values. The advice to model log1p(target) needs the log scale to be
# nearly symmetric. Both as rules/quality.yaml's quality.skewed-target has them.
SKEWED_TARGET = 2.0
LOG_SYMMETRIC = 1.0
TAIL_SHARE = 0.01  # the warning says how much of the variance the largest 1% of deviations hold
# A class target needs, on average, this many rows per class: with fewer, most
# classes cannot be in a training and a test fold at once.
MIN_MEAN_ROWS_PER_CLASS = 2
# At most this many classes: the probe sample is never under 1,000 rows
# (advisor.probing.plan.MIN_ROW_CAP), and holds two rows of some class only
# when there are at most half as many classes as rows.
MAX_CLASSES = 500
UNUSABLE_TARGET_KINDS = {
    "identifier": "looks like an identifier (unique per row)",
    "text": "is free text",
    "datetime": "holds dates",
    "image_path": "holds image paths",
}
SHOW_COLUMNS = 8
SHOW_CLASS_GROUPS = 3  # groups of near-identical class labels named in the warning


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
    # Infinite targets are dropped like missing ones (encode_target does so), so the
    # task and the classes are judged on the values that remain.
    n_inf, series, column = _without_infinities(series, column)
    dropped = f" once its {n_inf} infinite values are dropped" if n_inf else ""
    if column.n_unique == 0:
        raise TargetError(
            f"target column {name!r} has no finite values{dropped}: pass --target with the column to predict"
        )
    if column.n_unique == 1:
        value = str(series.dropna().iloc[0])[:30]
        has = (
            f"only one usable value ({value!r}){dropped}" if n_inf else f"one value ({value!r}) in every row"
        )
        raise TargetError(
            f"target column {name!r} has {has}: nothing to predict; pass --target with the column to predict"
        )
    task_name, task_reason = infer_task(series, column, task)
    if task_name != "regression":
        _check_class_count(series, column)
    info = TargetInfo(
        name=name, inferred=inferred, how=how, task=task_name, task_reason=task_reason, missing=n_missing
    )
    warnings: list[DataWarning] = []
    if n_inf:
        warnings.append(
            DataWarning(
                "target-infinite",
                f"{n_inf} target values are infinite; those rows are dropped before probing",
                name,
            )
        )
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
    else:
        _describe_values(series, column, info, warnings)
    return info, warnings


def skewness(values: np.ndarray) -> float:
    """Sample skewness (the third standardised moment); 0 for constant values.

    The ratio does not depend on scale, so the values are first divided by their largest magnitude:
    squares and cubes of values near the float limit would overflow.
    """
    centred = _unit_scale(values)
    centred = centred - centred.mean()
    sd = float(np.sqrt(np.mean(centred * centred)))
    if sd == 0:
        return 0.0
    z = centred / sd
    return float(np.mean(z * z * z))  # numpy's ``** 3`` calls pow: about 100 times slower


def _unit_scale(values: np.ndarray) -> np.ndarray:
    """The values divided by their largest magnitude (unchanged when all are zero)."""
    largest = float(np.max(np.abs(values)))
    return values / largest if largest > 0 else values


def _describe_values(
    series: pd.Series, column: ColumnProfile, info: TargetInfo, warnings: list[DataWarning]
) -> None:
    """A regression target's skewness, and a warning when it is heavy-tailed and its log is not."""
    values = to_float(series, column.kind)
    values = values[np.isfinite(values)]
    if len(values) < 3:
        return
    info.skewness = round(skewness(values), 3)
    if values.min() >= 0:
        info.log_skewness = round(skewness(np.log1p(values)), 3)
    if info.skewness < SKEWED_TARGET or info.log_skewness is None or abs(info.log_skewness) > LOG_SYMMETRIC:
        return
    scaled = _unit_scale(values)
    squares = (scaled - scaled.mean()) ** 2
    top = max(1, int(TAIL_SHARE * len(values)))
    share = float(np.partition(squares, len(squares) - top)[-top:].sum() / squares.sum())
    warnings.append(
        DataWarning(
            "skewed-target",
            f"the target is heavy-tailed (skewness {info.skewness:.1f}): the largest {TAIL_SHARE:.0%} of "
            f"its deviations hold {share:.0%} of its variance, so R^2 and squared errors on this scale are "
            f"decided by a few rows; consider predicting log1p({column.name}) (skewness "
            f"{info.log_skewness:.1f}) and comparing models on that scale",
            column.name,
        )
    )


def _check_class_count(series: pd.Series, column: ColumnProfile) -> None:
    """Refuse a class target with too many classes for its rows (or over ``MAX_CLASSES``):
    its folds cannot be stratified and per-class scores would mean nothing."""
    n_classes, n_rows = column.n_unique, int(series.notna().sum())
    if n_classes <= MAX_CLASSES and n_classes * MIN_MEAN_ROWS_PER_CLASS <= n_rows:
        return
    numeric = column.kind == "numeric"
    why = (
        f"more than the {MAX_CLASSES} advisor can measure"
        if n_classes * MIN_MEAN_ROWS_PER_CLASS <= n_rows
        else f"fewer than {MIN_MEAN_ROWS_PER_CLASS} rows per class"
    )
    if numeric:
        todo = "pass --task regression if it is a quantity, or choose another --target"
    else:
        todo = "group rare classes into broader ones (or 'other'), or choose another --target"
    raise TargetError(
        f"target {_clip_name(column.name)!r} has {n_classes:,} classes in {n_rows:,} rows: too many to "
        f"classify ({why}); {todo}"
    )


def _clip_name(name: str, limit: int = 60) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _without_infinities(series: pd.Series, column: ColumnProfile) -> tuple[int, pd.Series, ColumnProfile]:
    """``(n_infinite, series, column)`` with infinite values made missing and ``n_unique`` recounted.

    Only numeric targets can hold infinities; strings are parsed once per distinct value.
    """
    if column.kind != "numeric":
        return 0, series, column
    family = storage_family(series)
    if family == "numeric":
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        infinite = np.isinf(values)
        n_distinct_inf = len(np.unique(values[infinite]))
    elif family == "string":
        distinct = pd.Series(series.dropna().unique())
        inf_values = distinct[np.isinf(parse_numeric(distinct).to_numpy(dtype="float64", na_value=np.nan))]
        infinite = series.isin(inf_values).to_numpy() if len(inf_values) else np.zeros(len(series), bool)
        n_distinct_inf = len(inf_values)
    else:
        return 0, series, column
    n_inf = int(infinite.sum())
    if n_inf == 0:
        return 0, series, column
    usable = series.where(~infinite)
    return n_inf, usable, replace(column, n_unique=column.n_unique - n_distinct_inf)


def _near_duplicate_classes(labels: list[str]) -> list[list[str]]:
    """Groups of class labels equal after ``strip().lower()`` ('Yes', 'yes', ' yes')."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        groups.setdefault(label.strip().lower(), []).append(label)
    return [g for g in groups.values() if len(g) > 1]


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _near_duplicate_warning(labels: list[str], name: str) -> DataWarning | None:
    groups = _near_duplicate_classes(labels)
    if not groups:
        return None
    shown = "; ".join(_and_list([repr(v) for v in g]) for g in groups[:SHOW_CLASS_GROUPS])
    more = f" (and {len(groups) - SHOW_CLASS_GROUPS} more groups)" if len(groups) > SHOW_CLASS_GROUPS else ""
    return DataWarning(
        "classes-differ-in-case",
        f"classes {shown}{more} differ only in case or spaces: normalise them if they are the same class",
        name,
    )


def class_dropped_warning(dropped: dict[str, int], column: str) -> DataWarning:
    """The classes the probes will not see: too few rows for stratified folds."""
    shown = ", ".join(f"{k!r} ({v})" for k, v in list(dropped.items())[:5])
    return DataWarning(
        "class-dropped",
        f"dropped {len(dropped)} class(es) with fewer than {MIN_ROWS_PER_CLASS} rows "
        f"before probing: {shown}; stratified folds need {MIN_ROWS_PER_CLASS} rows per class",
        column,
    )


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
                "use stratified folds and judge by "
                + (
                    "the rarer class's PR-AUC (measured beside ROC AUC) or F1"
                    if info.task == "binary"
                    else "macro-F1 (the primary metric here)"
                )
                + ", not accuracy",
                name,
            )
        )
    near = _near_duplicate_warning([str(k) for k in counts.index], name)
    warnings += [near] if near else []
    dropped = counts[counts < MIN_ROWS_PER_CLASS]
    if len(dropped):
        warnings.append(class_dropped_warning({str(k): int(v) for k, v in dropped.items()}, name))
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
