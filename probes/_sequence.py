"""Each row's window of its entity's earlier readings: what the sequence probes share.

A row's history is the readings of the same entity strictly earlier in time, and
only those: never the row itself, a later row, or another row at the same time.
At fit time it comes from the training rows. At predict time it comes from the
training rows the model kept (``History``) and the rows given to predict, their
features only: what a deployed model has, the entity's readings up to now. A
kept training row at the same entity and time as a given row counts once, so a
model asked to predict its own training rows sees the windows it was fitted on.

The target's own past values are not windowed: the rows given to predict carry
no target, so a row late in a test fold would have a gap its training rows never
had. Where the target is itself a reading (tomorrow's price), the reading as a
column carries its past.

numpy only; imported by the probes at fit time.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from advisor.data import PART_SEPARATOR

if TYPE_CHECKING:  # pragma: no cover
    from advisor.data import ProbeData

MAX_READINGS = 20  # numeric columns windowed, in feature order: each one widens every window


def no_sequence_reason(data: ProbeData) -> str | None:
    """Why a sequence probe cannot run on ``data``, else None."""
    if data.sequence is None or data.groups is None or data.time_key is None:
        return "not a sequence table (no entity column with several readings over a time column)"
    if not reading_columns(data):
        return "no numeric readings to window"
    return None


def reading_columns(data: ProbeData) -> list[str]:
    """The numeric columns windowed: at most ``MAX_READINGS``, leaving out the parts of the
    time and entity columns themselves (a window of dates says only how far apart they are,
    which ``Windows.gap`` holds)."""
    skip = {data.time_column, data.group_column} - {""}
    kept = [c for c in data.columns_of("numeric") if c.split(PART_SEPARATOR, 1)[0] not in skip]
    return kept[:MAX_READINGS]


@dataclass
class History:
    """Readings with their entity and time: the training rows a model keeps for predict."""

    entity: np.ndarray  # int64 codes (ProbeData.groups)
    time: np.ndarray  # float64 sortable key, NaN when missing (ProbeData.time_key)
    values: np.ndarray  # float64 (n, columns), NaN when missing

    @classmethod
    def of(cls, data: ProbeData, columns: list[str]) -> History:
        assert data.X is not None and data.groups is not None and data.time_key is not None
        values = data.X[columns].to_numpy(dtype=np.float64, na_value=np.nan)
        return cls(np.asarray(data.groups, dtype=np.int64), np.asarray(data.time_key, np.float64), values)


@dataclass
class Windows:
    """Each query row's ``width`` latest earlier readings of its entity, oldest first."""

    values: np.ndarray  # float32 (n, width, columns); NaN where a reading is missing or absent
    present: np.ndarray  # bool (n, width): a reading exists at this step
    n_past: np.ndarray  # int64 (n,): earlier readings of the entity (all of them, not only the window)
    gap: np.ndarray  # float64 (n,): time since the latest earlier reading, NaN when none


def windows(query: History, width: int, kept: History | None = None) -> Windows:
    """The windows of ``query``'s rows over the pool of ``kept`` and ``query`` (see the
    module docstring). Rows with a missing time have no window and are in no window."""
    pool = query if kept is None else _pool(kept, query)
    pool = _with_time(pool)
    levels = np.unique(pool.time)
    stride = len(levels) + 1
    pool_key = pool.entity * stride + np.searchsorted(levels, pool.time)
    order = np.argsort(pool_key, kind="stable")
    keys, values, times = pool_key[order], pool.values[order], pool.time[order]

    n, n_columns = len(query.entity), query.values.shape[1]
    missing_time = np.isnan(query.time)
    rank = np.searchsorted(levels, np.where(missing_time, 0.0, query.time))  # side left: strictly earlier
    first = np.searchsorted(keys, query.entity * stride, side="left")  # the entity's first reading
    end = np.searchsorted(keys, query.entity * stride + rank, side="left")
    end = np.where(missing_time, first, end)
    steps = end[:, None] - width + np.arange(width)[None, :]
    present = steps >= first[:, None]
    out = np.full((n, width, n_columns), np.nan, dtype=np.float32)
    if len(keys):
        gathered = values[np.clip(steps, 0, len(keys) - 1)]
        out[present] = gathered[present]
    n_past = (end - first).astype(np.int64)
    latest = times[np.clip(end - 1, 0, max(len(times) - 1, 0))] if len(times) else np.zeros(n)
    gap = np.where(n_past > 0, query.time - latest, np.nan)
    return Windows(out, present, n_past, gap)


def _pool(kept: History, query: History) -> History:
    """``kept`` without the rows at an (entity, time) of ``query``, then ``query``."""
    times = np.unique(np.concatenate([kept.time, query.time]))
    stride = len(times) + 1
    kept_key = kept.entity * stride + np.searchsorted(times, kept.time)
    query_key = query.entity * stride + np.searchsorted(times, query.time)
    keep = ~np.isin(kept_key, query_key)
    return History(
        np.concatenate([kept.entity[keep], query.entity]),
        np.concatenate([kept.time[keep], query.time]),
        np.concatenate([kept.values[keep], query.values]),
    )


def _with_time(h: History) -> History:
    ok = ~np.isnan(h.time)
    return h if ok.all() else History(h.entity[ok], h.time[ok], h.values[ok])


def lag_features(w: Windows, current: np.ndarray, lags: int, stat_width: int) -> np.ndarray:
    """Per reading column: its values 1..``lags`` readings back, the change since the last
    reading, and mean, std, min and max over the last ``stat_width`` readings; then the
    count of earlier readings and the time since the latest. float64 (n, columns * (lags + 5) + 2),
    NaN where the entity has no such reading."""
    n, width, n_columns = w.values.shape
    parts = [w.values[:, width - k, :] for k in range(1, min(lags, width) + 1)]
    last = w.values[:, -1, :] if width else np.full((n, n_columns), np.nan)
    parts.append(current - last)
    recent = w.values[:, max(width - stat_width, 0) :, :]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: NaN is the answer
        parts += [
            np.nanmean(recent, axis=1),
            np.nanstd(recent, axis=1),
            np.nanmin(recent, axis=1),
            np.nanmax(recent, axis=1),
        ]
    stacked = np.concatenate([p.astype(np.float64) for p in parts], axis=1)
    return np.column_stack([stacked, w.n_past.astype(np.float64), w.gap])
