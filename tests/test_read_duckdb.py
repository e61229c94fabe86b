"""DuckDB as the out-of-core engine for datasets too big for memory (advisor.io.duck)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from advisor.errors import InputError
from advisor.io.read import read_table

TINY_LIMIT_MB = 0.001  # every dataset below streams


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n) + 1000 * seed,
            "x": x,
            "c": rng.choice(["a", "b", None], n),
            "y": rng.integers(0, 2, n),
        }
    )


def _write(root: Path, fmt: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    for rel, frame in frames.items():
        path = root / f"{rel}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return pd.concat(frames.values(), ignore_index=True)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_streamed_counts_are_exact_and_match_the_whole_read(tmp_path: Path, fmt: str) -> None:
    whole = _write(tmp_path, fmt, {f"day={d}/part": _frame(400, d) for d in range(3)})
    streamed = read_table(tmp_path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=300, seed=1)
    in_memory = read_table(tmp_path)
    assert streamed.source.sampled and streamed.source.n_rows == 1200 == in_memory.source.n_rows
    assert len(streamed.frame) == 300
    for name in ("x", "c"):
        assert streamed.column_stats[name].n_missing == int(whole[name].isna().sum())
        assert streamed.column_stats[name].n_missing == in_memory.column_stats[name].n_missing
    assert "scanned by DuckDB" in streamed.warnings[0].message
    assert streamed.frame["day"].dtype == np.int64 and set(streamed.frame["day"]) <= {0, 1, 2}
    # the partition column agrees with the shard every sampled row came from
    assert (streamed.frame["id"] // 1000 == streamed.frame["day"]).all()


def test_the_sample_is_seeded_and_in_file_order(tmp_path: Path) -> None:
    _write(tmp_path, "parquet", {f"p{i}": _frame(500, i) for i in range(2)})
    a = read_table(tmp_path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=100, seed=3).frame
    b = read_table(tmp_path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=100, seed=3).frame
    c = read_table(tmp_path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=100, seed=4).frame
    assert a["id"].tolist() == b["id"].tolist() != c["id"].tolist()
    assert a["id"].is_monotonic_increasing


def test_repeated_header_rows_are_dropped(tmp_path: Path) -> None:
    lines = _frame(3000, 0).to_csv(index=False).splitlines(keepends=True)
    (tmp_path / "a.csv").write_text("".join(lines[:2500] + [lines[0]] + lines[2500:]))
    _write(tmp_path, "csv", {"b": _frame(100, 1)})
    loaded = read_table(tmp_path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=500, seed=0)
    assert loaded.source.n_rows == 3100
    assert any(w.code == "repeated-header" for w in loaded.warnings)
    assert loaded.frame["id"].dtype == np.int64  # numbers again once the header rows are gone


def test_a_text_value_past_the_type_guess_widens_the_column(tmp_path: Path) -> None:
    late = _frame(30_000, 1)
    late["y"] = late["y"].astype(str)
    late.loc[29_999, "y"] = "unknown"  # past the 20,480 rows DuckDB guesses types from
    _write(tmp_path, "csv", {"a": late, "b": _frame(100, 2)})
    loaded = read_table(tmp_path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=500, seed=0)
    assert loaded.source.n_rows == 30_100
    assert loaded.frame["y"].dtype != np.int64


def test_ragged_rows_are_an_error_naming_what_to_do(tmp_path: Path) -> None:
    _write(tmp_path, "csv", {"a": _frame(50, 0)})
    (tmp_path / "b.csv").write_text("id,x,c,y\n1,2.0,a,1\n2,3.0,b,0,extra,fields\n")
    with pytest.raises(InputError) as info:
        read_table(tmp_path, memory_limit_mb=TINY_LIMIT_MB)
    assert "run advisor on that shard alone" in str(info.value) and "\n" not in str(info.value)


def test_a_seed_picks_the_same_rows_as_the_single_file_streamer(tmp_path: Path) -> None:
    frames = {f"ds/p{i}": _frame(2000, i) for i in range(3)}
    whole = _write(tmp_path, "csv", frames)
    whole.to_csv(tmp_path / "one.csv", index=False)
    shards = read_table(tmp_path / "ds", memory_limit_mb=TINY_LIMIT_MB, sample_rows=300, seed=7).frame
    single = read_table(tmp_path / "one.csv", memory_limit_mb=TINY_LIMIT_MB, sample_rows=300, seed=7).frame
    assert shards["id"].tolist() == single["id"].tolist()
