"""A regression target that drifts in time, past the range the earlier rows span.

With rows in time order the probes are scored on forward-chaining folds: each fold
trains on the rows before it and is tested on the next stretch. A tree model
(GBDT) predicts within the targets it was trained on, so every test row whose
target lies beyond the training rows' range is an error no split can fix, while a
model with a term in time can follow the trend. The profile measures that share on
the same folds the probes will use (``K_FOLDS`` equal stretches after the first,
as ``TimeSeriesSplit``), so the report can say why trees fall behind here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from advisor.facts import ColumnProfile, DataWarning, TargetInfo, TimeOrder
from advisor.probing.plan import K_FOLDS
from advisor.profile.kinds import to_float
from advisor.profile.order import time_key

BEYOND_RANGE_WARN = 0.05  # share of later rows beyond the earlier range at or above this: warned ...
CHANCE_RATIO = 3.0  # ... when it is also this many times the share rows in random order would give
MIN_ROWS = 100  # fewer rows with both a time and a target: not measured


def describe_drift(
    frame: pd.DataFrame,
    columns: Sequence[ColumnProfile],
    order: TimeOrder | None,
    target: ColumnProfile,
    info: TargetInfo,
) -> DataWarning | None:
    """Fill ``info.time_trend``, ``info.beyond_past_range`` and ``info.drift``; a warning when the later rows'
    targets leave the earlier rows' range often enough to decide a comparison."""
    if order is None or info.task != "regression" or target.name == order.column:
        return None
    key = time_key(frame, order, columns)
    y = to_float(frame[target.name], target.kind)
    present = ~np.isnan(key) & ~np.isnan(y)
    if np.count_nonzero(present) < MIN_ROWS:
        return None
    key, y = key[present], y[present]
    y = y[np.argsort(key, kind="stable")]
    info.time_trend = round(_spearman(np.sort(key), y), 3)
    info.beyond_past_range = round(beyond_past_range(y), 3)
    chance = chance_beyond_past_range(len(y))
    if info.beyond_past_range < max(BEYOND_RANGE_WARN, CHANCE_RATIO * chance):
        return None
    info.drift = True
    return DataWarning(
        "target-drift",
        f"the target drifts with {order.column!r} (Spearman {info.time_trend:+.2f}): on forward-chaining "
        f"folds {info.beyond_past_range:.0%} of the later rows lie outside the range of the rows before "
        f"them ({chance:.1%} if the order did not matter), which tree models (GBDT) cannot predict; give a model the trend (a time feature in a linear "
        "model, or predict the change from a recent value) and compare models on time folds, as here",
        target.name,
    )


def beyond_past_range(y_in_time_order: np.ndarray, k: int = K_FOLDS) -> float:
    """Share of test rows, over ``k`` forward-chaining folds, whose value lies outside the
    range of all the rows before their fold."""
    n = len(y_in_time_order)
    size = n // (k + 1)
    outside = tested = 0
    for fold in range(1, k + 1):
        start = n - (k + 1 - fold) * size
        past, test = y_in_time_order[:start], y_in_time_order[start : start + size]
        outside += int(np.count_nonzero((test < past.min()) | (test > past.max())))
        tested += len(test)
    return outside / tested if tested else 0.0


def chance_beyond_past_range(n: int, k: int = K_FOLDS) -> float:
    """``beyond_past_range`` expected for values in random order: a new value falls outside the
    range of m exchangeable earlier ones with probability 2 / (m + 1)."""
    size = n // (k + 1)
    if not size:
        return 0.0
    return float(np.mean([2 / (n - (k + 1 - fold) * size + 1) for fold in range(1, k + 1)]))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho as the correlation of ranks (scipy is not imported for a --no-probes run)."""
    ra, rb = pd.Series(a).rank().to_numpy(), pd.Series(b).rank().to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])
