"""Time order and repeated entities: what makes random folds optimistic.

Rows ordered in time (prices by day) or repeating an entity (a customer, a
patient) need forward-chaining or group folds (FRAMEWORK.md, "Time and groups").

- ``detect_time_order``: a datetime column, or calendar columns (year, month,
  day, hour: integers in range, named exactly so), that the rows are sorted by,
  or a datetime column named only as a time ("date", "timestamp"). A date that
  describes the row (``signup_date`` in random order) is not a time order.
- ``detect_groups``: an identifier-like column (kind identifier, or a
  categorical or integer column named like an id or an entity) whose values
  repeat: at least ``MIN_GROUPS`` entities with ``MIN_MEAN_ROWS`` rows each on
  average. The finest such entity wins.
- ``find_order``: both, with ``--time-column``/``--group-column`` overriding.
- ``time_key`` and ``group_codes``: what ``prepare`` hands the plan.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from advisor.errors import InputError
from advisor.facts import ColumnProfile, Groups, TimeOrder
from advisor.profile.kinds import datetime_format_of, parse_datetime, storage_family, to_float

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

NEARLY_SORTED_SHARE = 0.95  # consecutive rows whose time does not go back: "the rows are in time order"
MIN_TIME_STEPS = 10  # distinct times; fewer cannot make forward folds worth the name
MIN_TIME_SHARE = 0.9  # share of present values that must read as a time
# A datetime column named only with these words is the rows' time even when they are shuffled.
TIME_NAME_TOKENS = frozenset({"date", "time", "timestamp", "datetime", "ds", "dt", "ts", "period"})
# Calendar part -> (names it goes by, lowest and highest plausible value), coarsest first.
CALENDAR_PARTS: dict[str, tuple[frozenset[str], int, int]] = {
    "year": (frozenset({"year", "yr", "yyyy"}), 1800, 2200),
    "month": (frozenset({"month", "mnth", "mon"}), 1, 12),
    "day": (frozenset({"day", "dd"}), 1, 31),
    "hour": (frozenset({"hour", "hr", "hh"}), 0, 23),
}
CALENDAR_SCALE = 100  # key = ((year * 100 + month) * 100 + day) * 100 + hour: sortable, not a duration

MIN_GROUPS = 10  # fewer entities make too few group folds to compare anything
MIN_MEAN_ROWS = 2.0  # rows per entity: below this, the values barely repeat
ENTITY_NAME_TOKENS = frozenset(
    {
        "id", "ids", "uuid", "guid", "key", "customer", "client", "user", "patient", "subject",
        "machine", "device", "account", "member", "player", "person", "household", "session",
        "vehicle", "sensor", "participant", "student", "employee", "driver",
    }
)  # fmt: skip
GROUP_KINDS = ("identifier", "categorical", "numeric")


def name_tokens(name: str) -> list[str]:
    """Lower-case words of a column name: ``CustomerID`` -> ``["customer", "id"]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def name_hints_entity(name: str) -> bool:
    """Names like ``customer_id``, ``PatientID``, ``user``, ``machines``."""
    return any(t in ENTITY_NAME_TOKENS or t.rstrip("s") in ENTITY_NAME_TOKENS for t in name_tokens(name))


def sorted_share(key: np.ndarray) -> float:
    """Share of consecutive present values that do not go back (1.0: sorted; ~0.5: shuffled)."""
    present = key[~np.isnan(key)]
    if len(present) < 2:
        return 0.0
    return round(float(np.mean(np.diff(present) >= 0)), 4)


# --- time ---------------------------------------------------------------------------


def time_values(series: pd.Series, kind: str) -> np.ndarray | None:
    """A column as a sortable float64 key (NaN for missing): dates as epoch days, numbers
    as themselves; None when fewer than ``MIN_TIME_SHARE`` of its values read as either."""
    n_present = int(series.notna().sum())
    if n_present == 0:
        return None
    if kind == "datetime":
        candidates = [to_float(series, "datetime")]
    elif storage_family(series) in ("numeric", "bool", "timedelta", "datetime"):
        candidates = [to_float(series, "datetime" if storage_family(series) == "datetime" else "numeric")]
    else:  # strings: dates first ("2020-01-02" also half-parses as a number), then numbers
        parsed = parse_datetime(series, datetime_format_of(series))
        candidates = [to_float(parsed, "datetime"), to_float(series, "numeric")]
    for key in candidates:
        if np.count_nonzero(~np.isnan(key)) >= MIN_TIME_SHARE * n_present:
            return key
    return None


def calendar_columns(frame: pd.DataFrame, columns: Sequence[ColumnProfile]) -> list[str]:
    """Calendar columns (year, then month, day, hour while they continue), coarsest first;
    [] without a year. Each is named exactly as its part and holds integers in its range."""
    found: dict[str, str] = {}
    for c in columns:
        if c.kind not in ("numeric", "categorical"):
            continue
        tokens = name_tokens(c.name)
        for part, (names, low, high) in CALENDAR_PARTS.items():
            if (
                part not in found
                and len(tokens) == 1
                and tokens[0] in names
                and _in_range(frame[c.name], low, high)
            ):
                found[part] = c.name
    parts: list[str] = []
    for part in CALENDAR_PARTS:  # year, month, day, hour: stop at the first gap
        if part not in found:
            break
        parts.append(found[part])
    return parts


def _in_range(series: pd.Series, low: int, high: int) -> bool:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    values = values[~np.isnan(values)]
    return len(values) > 0 and bool(
        np.all(np.mod(values, 1) == 0) and values.min() >= low and values.max() <= high
    )


def calendar_key(frame: pd.DataFrame, parts: Sequence[str]) -> np.ndarray:
    """One sortable float64 per row from calendar columns, coarsest first (NaN when the year is missing)."""
    key = np.zeros(len(frame), dtype="float64")
    for i, name in enumerate(parts):
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if i > 0:  # a missing month or day counts as the period's start
            values = np.nan_to_num(values, nan=0.0)
        key = key * CALENDAR_SCALE + values
    return key


def time_key(frame: pd.DataFrame, order: TimeOrder, columns: Sequence[ColumnProfile]) -> np.ndarray:
    """The sortable float64 key of ``order`` for every row of ``frame`` (NaN when missing)."""
    if order.parts:
        return calendar_key(frame, order.parts)
    column = next((c for c in columns if c.name == order.column), None)
    key = time_values(frame[order.column], column.kind if column else "numeric")
    return key if key is not None else np.full(len(frame), np.nan)


def detect_time_order(
    frame: pd.DataFrame, columns: Sequence[ColumnProfile], target: str | None
) -> TimeOrder | None:
    """The time order of the rows, or None (see the module docstring)."""
    found: list[TimeOrder] = []
    for c in columns:
        if c.kind != "datetime" or c.name == target or c.n_unique < MIN_TIME_STEPS:
            continue
        key = time_values(frame[c.name], "datetime")
        if key is None:
            continue
        share = sorted_share(key)
        if share >= NEARLY_SORTED_SHARE:
            found.append(TimeOrder(c.name, f"datetime column {c.name!r}, rows in time order", share))
        elif set(name_tokens(c.name)) <= TIME_NAME_TOKENS:
            how = f"datetime column {c.name!r} (rows not in time order: folds sort by it)"
            found.append(TimeOrder(c.name, how, share))
    parts = calendar_columns(frame, [c for c in columns if c.name != target])
    if parts:
        key = calendar_key(frame, parts)
        share = sorted_share(key)
        steps = len(np.unique(key[~np.isnan(key)]))
        if steps >= MIN_TIME_STEPS and (share >= NEARLY_SORTED_SHARE or len(parts) >= 2):
            found.append(TimeOrder(parts[0], f"calendar columns {', '.join(map(repr, parts))}", share, parts))
    # The most sorted wins; a datetime column before calendar columns on a tie (found first).
    return max(found, key=lambda t: t.sorted_share) if found else None


def given_time_order(frame: pd.DataFrame, columns: Sequence[ColumnProfile], name: str) -> TimeOrder:
    """``--time-column NAME``: the calendar columns when NAME is their year, else NAME itself."""
    parts = calendar_columns(frame, columns)
    if parts and parts[0] == name:
        key = calendar_key(frame, parts)
        return TimeOrder(name, f"given with --time-column, with {', '.join(parts[1:]) or 'no finer parts'}",
                         sorted_share(key), parts)  # fmt: skip
    column = next(c for c in columns if c.name == name)
    key = time_values(frame[name], column.kind)
    if key is None:
        raise InputError(
            f"--time-column {name!r} holds neither dates nor numbers ({column.kind} column); "
            "pass a column of dates, times or ordered numbers"
        )
    return TimeOrder(name, "given with --time-column", sorted_share(key))


# --- groups -------------------------------------------------------------------------


def _groups_of(frame: pd.DataFrame, column: ColumnProfile) -> Groups:
    n_present = int(frame[column.name].notna().sum())
    n_groups = max(column.n_unique, 1)
    return Groups(column.name, column.n_unique, round(n_present / n_groups, 2))


def _entity_like(frame: pd.DataFrame, column: ColumnProfile) -> bool:
    if column.kind == "identifier":
        return True
    if column.kind not in GROUP_KINDS or not name_hints_entity(column.name):
        return False
    if column.kind == "numeric":  # an integer code, not a measurement
        values = pd.to_numeric(frame[column.name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        values = values[~np.isnan(values)]
        return bool(np.all(np.mod(values, 1) == 0))
    return True


def detect_groups(
    frame: pd.DataFrame, columns: Sequence[ColumnProfile], target: str | None, exclude: Sequence[str] = ()
) -> Groups | None:
    """The repeated entity with the most groups, or None (see the module docstring)."""
    found = [
        g
        for c in columns
        if c.name != target and c.name not in exclude and _entity_like(frame, c)
        for g in [_groups_of(frame, c)]
        if g.n_groups >= MIN_GROUPS and g.mean_rows >= MIN_MEAN_ROWS
    ]
    return max(found, key=lambda g: g.n_groups) if found else None


def group_codes(series: pd.Series) -> np.ndarray:
    """int64 codes, one per entity; a row with a missing entity is its own group."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    missing = codes < 0
    codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    return codes


# --- both, with the user's choice first ------------------------------------------------


def find_order(
    frame: pd.DataFrame,
    columns: Sequence[ColumnProfile],
    target: str | None,
    *,
    time_column: str | None = None,
    group_column: str | None = None,
) -> tuple[TimeOrder | None, Groups | None]:
    """``(time order, groups)``: the columns given with --time-column/--group-column
    (``InputError`` when missing, the target, or a single group), else detected."""
    for option, name in (("--time-column", time_column), ("--group-column", group_column)):
        if name is None:
            continue
        if name not in frame.columns:
            available = ", ".join(map(repr, list(frame.columns)[:20]))
            more = f" (and {frame.shape[1] - 20} more)" if frame.shape[1] > 20 else ""
            raise InputError(f"{option} {name!r} is not a column; the columns are {available}{more}")
        if name == target:
            raise InputError(f"{option} {name!r} is the target; pass another column, or another --target")
    order = (
        given_time_order(frame, columns, time_column)
        if time_column is not None
        else detect_time_order(frame, columns, target)
    )
    if group_column is not None:
        groups = _groups_of(frame, next(c for c in columns if c.name == group_column))
        if groups.n_groups < 2:
            raise InputError(
                f"--group-column {group_column!r} has {groups.n_groups} distinct value(s); "
                "group folds need at least 2 entities"
            )
    else:
        exclude = [*(order.parts if order else []), *([order.column] if order else [])]
        groups = detect_groups(frame, columns, target, exclude)
    return order, groups
