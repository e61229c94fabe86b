"""Column kinds: each heuristic on a small frame, plus the reasons it records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.facts import SourceInfo
from advisor.io.read import ColumnStats, LoadedTable
from advisor.profile.build import profile_table
from advisor.profile.kinds import (
    detect_kind,
    name_hints_identifier,
    profile_columns,
    sorted_distinct,
    to_float,
)


def make_table(frame: pd.DataFrame, *, sampled: bool = False, n_rows: int | None = None) -> LoadedTable:
    n = n_rows or len(frame)
    source = SourceInfo(
        path="data.csv", format="csv", size_bytes=1, n_rows=n, n_rows_profiled=len(frame), sampled=sampled
    )
    stats = {c: ColumnStats(int(frame[c].isna().sum())) for c in frame.columns}
    return LoadedTable(frame=frame, source=source, column_stats=stats)


def kind_of(values, name: str = "col") -> str:
    series = pd.Series(values)
    return detect_kind(series, name=name, n_unique=int(series.nunique()), n_rows_total=len(series))[0]


N = 300
rng = np.random.default_rng(0)
WORDS = np.array("the a quick brown fox jumps over lazy dog cat runs far away home day night".split())


def sentences(n: int) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=rng.integers(4, 15))) for _ in range(n)]


@pytest.mark.parametrize(
    ("values", "name", "expected"),
    [
        (rng.normal(size=N), "x", "numeric"),
        (rng.normal(size=N), "key_id", "numeric"),  # a float column is never an identifier
        (rng.integers(0, 50, N), "count", "numeric"),
        (np.arange(N), "row", "identifier"),  # running integer sequence
        (rng.permutation(N) * 7 + 10**6, "customer_id", "identifier"),  # unique ints, name hint
        (rng.permutation(N) * 7 + 10**6, "amount", "numeric"),  # unique ints, no hint, not a sequence
        ([f"C{i:05d}" for i in range(N)], "code", "identifier"),  # unique string codes
        ([f"{i}" for i in rng.integers(0, 1000, N)], "num_as_str", "numeric"),
        (rng.choice(["yes", "no"], N), "flag", "boolean"),
        (rng.choice(["T", "F"], N), "flag", "boolean"),
        (rng.choice([0, 1], N), "flag", "boolean"),
        ([True, False] * (N // 2), "flag", "boolean"),
        (rng.choice(["red", "green", "blue"], N), "colour", "categorical"),
        (rng.choice(["yes", "maybe"], N), "answer", "categorical"),
        (["same"] * N, "c", "constant"),
        ([np.nan] * N, "c", "constant"),
        (pd.date_range("2021-01-01", periods=N, freq="D").strftime("%Y-%m-%d"), "day", "datetime"),
        (pd.date_range("2021-01-01", periods=N, freq="h").strftime("%d/%m/%Y %H:%M"), "when", "datetime"),
        (pd.date_range("2021-01-01", periods=N, freq="D"), "ts", "datetime"),
        ([f"img/{i}.png" for i in range(N)], "file", "image_path"),
        (sentences(N), "review", "text"),
        (rng.choice(["new customer here", "old customer there"], N), "segment", "categorical"),
    ],
)
def test_kind_heuristics(values, name, expected):
    values = pd.Series(values)
    if values.dtype == object and all(isinstance(v, str) for v in values):
        values = values.astype("str")
    assert kind_of(values, name) == expected


def test_name_hints():
    for name in ("id", "user_id", "PassengerId", "uuid", "row key", "Unnamed: 0", "idx"):
        assert name_hints_identifier(name), name
    for name in ("paid", "width", "keyboard", "video"):
        assert not name_hints_identifier(name), name


def test_reasons_and_missing_rate_from_exact_stats():
    frame = pd.DataFrame({"review": pd.Series(sentences(N), dtype="str"), "x": rng.normal(size=N)})
    frame.loc[:9, "x"] = np.nan
    # Exact stats say the whole (bigger) file had 1000 missing of 10,000 rows.
    cols = profile_columns(frame, {"x": ColumnStats(1000)}, 10_000)
    review, x = cols
    assert review.kind == "text" and "free text" in review.kind_reason and "words" in review.kind_reason
    assert x.missing_rate == pytest.approx(0.1)
    assert x.n_unique == N - 10


def test_numeric_strings_with_junk_and_to_float():
    values = pd.Series([str(v) for v in rng.normal(size=N)] + ["?"] * 5, dtype="str")
    assert kind_of(values) == "numeric"
    out = to_float(pd.Series(["1", "2.5", "inf", "x", None], dtype="str"), "numeric")
    assert np.isnan(out[2:]).all() and out[:2].tolist() == [1.0, 2.5]
    assert to_float(pd.Series(["yes", "no", None], dtype="str"), "boolean")[:2].tolist() == [1.0, 0.0]


def test_sampled_frame_keeps_row_number_an_identifier():
    # A 500-row sample of a 1,000,000-row file: the row numbers are unique but not consecutive.
    rows = np.sort(rng.choice(1_000_000, 500, replace=False))
    frame = pd.DataFrame({"row": rows, "x": rng.normal(size=500), "target": rng.integers(0, 2, 500)})
    profile = profile_table(make_table(frame, sampled=True, n_rows=1_000_000))
    assert profile.column("row").kind == "identifier"
    assert any(w.code == "sampled" for w in profile.warnings)


@settings(max_examples=80, deadline=None)
@given(
    dtype=st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "uint64", "float64"]),
    data=st.data(),
)
def test_sorted_distinct_counts_what_np_unique_counts(dtype, data):
    info = np.iinfo(dtype) if dtype != "float64" else None
    low, high = (int(info.min), int(info.max)) if info else (-1e6, 1e6)
    # Narrow spans take the bin count, wide ones the sort; the ends of each integer type included.
    span = data.draw(st.sampled_from([3, 300, None]))
    if span is not None and info:
        start = data.draw(st.integers(min_value=low, max_value=max(low, high - span)))
        elements = st.integers(min_value=start, max_value=min(high, start + span))
    elif info:
        elements = st.integers(min_value=low, max_value=high)
    else:
        elements = st.floats(min_value=low, max_value=high, allow_nan=False)
    values = np.array(data.draw(st.lists(elements, max_size=400)), dtype=dtype)
    assert sorted_distinct(values) == len(np.unique(values))
