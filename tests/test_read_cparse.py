"""pandas' C parser as the whole-file reader (advisor.io.cparse): taken only where it reads what pyarrow would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import advisor.io.read as read_module
from advisor.errors import InputError
from advisor.io import cparse
from advisor.io.read import read_table
from advisor.io.sniff import sniff


def _mixed(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n).round(6)
    x[rng.random(n) < 0.05] = np.nan
    words = np.array(["red", "green", "blue", "cyan"], dtype=object)[rng.integers(0, 4, n)]
    words[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "count": rng.integers(0, 100, n),
            "x": x,
            "flag": rng.random(n) < 0.5,
            "colour": words,
            "target": rng.integers(0, 2, n),
        }
    )


def _read(path):
    try:
        return read_table(path)
    except InputError as exc:
        return str(exc)


def _both(path, monkeypatch):
    """read_table (or its error) with pandas' parser allowed, then with pyarrow's only."""
    fast = _read(path)
    monkeypatch.setattr(read_module, "pandas_frame", lambda s, head=None: None)
    slow = _read(path)
    monkeypatch.undo()
    return fast, slow


def _assert_same(fast, slow) -> None:
    if isinstance(slow, str):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.column_stats == slow.column_stats
    assert [(w.code, w.column) for w in fast.warnings] == [(w.code, w.column) for w in slow.warnings]
    assert fast.source.n_rows == slow.source.n_rows


def test_plain_file_is_read_by_pandas_and_matches_pyarrow(tmp_path, monkeypatch):
    path = tmp_path / "plain.csv"
    _mixed().to_csv(path, index=False)
    assert cparse.pandas_frame(sniff(path)) is not None
    fast, slow = _both(path, monkeypatch)
    _assert_same(fast, slow)
    text = fast.frame["colour"].array._pa_array
    assert text.type == pa.large_string()  # what pandas holds; samples join the chunks (advisor.io.take)


def test_quoted_multiline_values_match_pyarrow(tmp_path, monkeypatch):
    frame = _mixed(500)
    frame["note"] = [f"line one\nline two {i}" if i % 7 == 0 else f"note {i}" for i in range(len(frame))]
    frame = frame[[c for c in frame.columns if c != "target"] + ["target"]]
    path = tmp_path / "multiline.csv"
    frame.to_csv(path, index=False)
    fast, slow = _both(path, monkeypatch)
    _assert_same(fast, slow)


@pytest.mark.parametrize(
    "case",
    ["short-row", "trailing-delimiter", "iso-dates", "duplicate-names", "repeated-header"],
)
def test_files_pandas_reads_differently_go_to_pyarrow(tmp_path, monkeypatch, case):
    frame = _mixed(400, seed=1)
    path = tmp_path / f"{case}.csv"
    frame.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    if case == "short-row":
        lines[200] = ",".join(lines[200].split(",")[:-2])
    elif case == "trailing-delimiter":
        lines = [line + "," for line in lines]
        lines[0] = lines[0][:-1]
    elif case == "iso-dates":
        lines = [lines[0] + ",day"] + [f"{line},2024-01-{1 + i % 28:02d}" for i, line in enumerate(lines[1:])]
    elif case == "duplicate-names":
        lines[0] = lines[0].replace("count", "id")
    elif case == "repeated-header":
        lines.insert(300, lines[0])
    path.write_text("\n".join(lines) + "\n")
    assert cparse.pandas_frame(sniff(path)) is None
    fast, slow = _both(path, monkeypatch)
    _assert_same(fast, slow)


def test_spaced_numbers_read_alike(tmp_path, monkeypatch):
    """pyarrow and pandas both read " 95" as 95: the frame may come from either parser."""
    path = tmp_path / "spaced.csv"
    _mixed(400).to_csv(path, index=False)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [line.replace(",", ", ", 1) for line in lines[1:]]) + "\n")
    fast, slow = _both(path, monkeypatch)
    _assert_same(fast, slow)


def test_missing_values_in_the_last_column_go_to_pyarrow(tmp_path):
    """A missing last value may be a short row, which pandas would fill without a word."""
    frame = _mixed(300)
    frame.loc[5, "target"] = np.nan
    path = tmp_path / "last.csv"
    frame.to_csv(path, index=False)
    assert cparse.pandas_frame(sniff(path)) is None


def test_a_fraction_after_an_integer_first_block_is_refused():
    """pyarrow fixes int64 from its first block and fails on 2.5 later; pandas would read floats."""
    head = {"a": pa.int64(), "b": pa.int64()}
    assert cparse._same_table(pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1, 2, 3]}), head)
    assert not cparse._same_table(pd.DataFrame({"a": [1.0, 2.5, 3.0], "b": [1, 2, 3]}), head)
    assert not cparse._same_table(pd.DataFrame({"a": ["1", "x", "3"], "b": [1, 2, 3]}), head)


def test_compressed_files_are_not_plain(tmp_path):
    path = tmp_path / "plain.csv.gz"
    _mixed(200).to_csv(path, index=False, compression="gzip")
    assert cparse.pandas_frame(sniff(path)) is None


def _record_reads(monkeypatch) -> tuple[list[str], list[bool]]:
    """pandas' whole-file parses and the read's allocator choices, as they happen."""
    parses: list[str] = []
    retained: list[bool] = []
    real_read_csv, real_allocator = cparse.pd.read_csv, read_module.use_fast_allocator

    def read_csv(path, *args, **kwargs):
        parses.append(str(path))
        return real_read_csv(path, *args, **kwargs)

    def allocator(*, retain_freed):
        retained.append(retain_freed)
        return real_allocator(retain_freed=retain_freed)

    monkeypatch.setattr(cparse.pd, "read_csv", read_csv)
    monkeypatch.setattr(read_module, "use_fast_allocator", allocator)
    return parses, retained


def test_a_date_column_goes_to_pyarrow_without_a_wasted_parse(tmp_path, monkeypatch):
    # pandas reads ISO dates as text where pyarrow types them: known from the first block,
    # so the whole file is not parsed by pandas first and thrown away.
    path = tmp_path / "dated.csv"
    frame = _mixed(2000).assign(when=pd.date_range("2024-01-01", periods=2000, freq="h").astype(str))
    frame.to_csv(path, index=False)
    assert cparse.plain_head(sniff(path)) is None
    parses, retained = _record_reads(monkeypatch)
    loaded = read_table(path)
    assert parses == [] and retained == [False]  # pyarrow's big parse buffers go back at once
    assert loaded.source.n_rows == 2000
    assert loaded.frame["when"].dtype.kind == "M"  # typed as dates, as pyarrow reads them


def test_a_plain_file_is_parsed_once(tmp_path, monkeypatch):
    path = tmp_path / "plain.csv"
    _mixed(2000).to_csv(path, index=False)
    parses, retained = _record_reads(monkeypatch)
    loaded = read_table(path)
    assert parses == [str(path)] and retained == [False]  # freed pages go back: see use_fast_allocator
    assert loaded.source.n_rows == 2000


def test_a_wide_table_goes_to_pyarrow(tmp_path):
    # pandas' per-column cost on the way to Arrow outweighs its parse on wide tables.
    rng = np.random.default_rng(0)
    for width, pandas_reads in ((cparse.MAX_COLUMNS, True), (cparse.MAX_COLUMNS + 1, False)):
        path = tmp_path / f"w{width}.csv"
        pd.DataFrame(rng.integers(0, 9, size=(5, width)), columns=[f"c{i}" for i in range(width)]).to_csv(
            path, index=False
        )
        assert (cparse.plain_head(sniff(path)) is not None) is pandas_reads
        assert read_table(path).frame.shape == (5, width)
