"""read_table: formats, delimiters, encodings, compression, Parquet, streaming and sampling."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from advisor.io.read import LoadedTable, read_table
from advisor.io.sniff import sniff

TINY_LIMIT_MB = 0.001  # forces the streaming path on any file


def _frame(n: int = 2_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cat = rng.choice(["red", "green", "blue"], n).astype(object)
    cat[rng.random(n) < 0.1] = None
    x = rng.normal(size=n)
    x[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"id": np.arange(n), "x": x, "cat": cat, "k": rng.integers(0, 5, n)})


def _assert_matches(loaded: LoadedTable, expected: pd.DataFrame) -> None:
    got = loaded.frame
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected) == loaded.source.n_rows == loaded.source.n_rows_profiled
    np.testing.assert_allclose(got["x"].to_numpy(float), expected["x"].to_numpy(float))
    assert got["cat"].isna().sum() == expected["cat"].isna().sum()
    for name, st in loaded.column_stats.items():
        assert st.n_missing == expected[name].isna().sum()


def test_csv_types_and_stats(tmp_path):
    df = _frame()
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    loaded = read_table(path)
    _assert_matches(loaded, df)
    assert loaded.frame["id"].dtype == np.int64
    assert loaded.frame["cat"].dtype == "str"
    src = loaded.source
    assert (src.format, src.delimiter, src.encoding, src.compression, src.sampled) == (
        "csv",
        ",",
        "utf-8",
        None,
        False,
    )
    assert src.read_seconds > 0 and src.peak_memory_mb > 0 and src.size_bytes == path.stat().st_size
    assert loaded.warnings == []


@pytest.mark.parametrize(("sep", "fmt"), [(",", "csv"), ("\t", "tsv"), (";", "csv"), ("|", "csv")])
def test_delimiters(tmp_path, sep, fmt):
    df = _frame(300)
    path = tmp_path / "data.txt"
    df.to_csv(path, index=False, sep=sep)
    loaded = read_table(path)
    assert (loaded.source.delimiter, loaded.source.format) == (sep, fmt)
    _assert_matches(loaded, df)


def test_quoted_delimiters_and_newlines(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\n1,"hello, world"\n2,"two\nlines"\n3,"say ""hi"""\n')
    frame = read_table(path).frame
    assert frame["text"].tolist() == ["hello, world", "two\nlines", 'say "hi"']


def test_single_text_column_with_commas(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("note\nhello, world\nplain\n")
    loaded = read_table(path)
    assert loaded.frame["note"].tolist() == ["hello, world", "plain"]
    assert loaded.source.delimiter is None


def test_decimal_comma(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("a;b\n1,5;x\n2,25;y\n")
    assert read_table(path).frame["a"].tolist() == [1.5, 2.25]


def test_dates_become_datetimes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("day,v\n2024-01-01,1\n2024-02-03,2\n")
    assert pd.api.types.is_datetime64_any_dtype(read_table(path).frame["day"])


@pytest.mark.parametrize(
    ("codec", "expected"), [("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16")]
)
def test_encodings(tmp_path, codec, expected):
    path = tmp_path / "enc.csv"
    path.write_bytes("name,v\ncafé,1\nnaïve,2\n".encode(codec))
    loaded = read_table(path)
    assert loaded.source.encoding == expected
    assert list(loaded.frame.columns) == ["name", "v"]
    assert loaded.frame["name"].tolist() == ["café", "naïve"]


@pytest.mark.parametrize("name", ["data.csv.gz", "data.bin"])  # detected by magic bytes, not extension
def test_gzip(tmp_path, name):
    df = _frame(500)
    path = tmp_path / name
    path.write_bytes(gzip.compress(df.to_csv(index=False).encode()))
    loaded = read_table(path)
    assert loaded.source.compression == "gzip"
    _assert_matches(loaded, df)


@pytest.mark.parametrize("name", ["data.parquet", "data.pq", "data.dat"])
def test_parquet(tmp_path, name):
    df = _frame(500)
    path = tmp_path / name
    df.to_parquet(path)
    loaded = read_table(path)
    assert loaded.source.format == "parquet"
    _assert_matches(loaded, df)


def test_whole_table_kept_when_it_fits(tmp_path):
    df = _frame(3_000)
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    loaded = read_table(path, sample_rows=100)
    assert len(loaded.frame) == 3_000 and not loaded.source.sampled


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_streaming_exact_counts_and_bounded_sample(tmp_path, fmt):
    df = _frame(20_000)
    path = tmp_path / f"data.{fmt}"
    if fmt == "parquet":
        df.to_parquet(path, row_group_size=3_000)
    else:
        df.to_csv(path, index=False)
    loaded = read_table(path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=500)
    src = loaded.source
    assert src.sampled and src.n_rows == 20_000 and src.n_rows_profiled == len(loaded.frame) == 500
    assert "500 of 20,000 rows (seed 0)" in src.sample_note
    for name, st in loaded.column_stats.items():
        assert st.n_missing == df[name].isna().sum()
    ids = loaded.frame["id"].to_numpy()
    assert len(set(ids)) == 500 and np.all(np.diff(ids) > 0)  # distinct rows, in file order
    original = df.set_index("id").loc[ids]
    np.testing.assert_allclose(loaded.frame["x"].to_numpy(float), original["x"].to_numpy(float))


def test_streaming_sample_is_seeded_and_roughly_uniform(tmp_path):
    path = tmp_path / "data.csv"
    _frame(20_000).to_csv(path, index=False)
    draws = [read_table(path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=1_000, seed=s) for s in (1, 1, 2)]
    same, again, other = (d.frame["id"].to_numpy() for d in draws)
    assert np.array_equal(same, again)
    assert not np.array_equal(same, other)
    # A uniform sample covers the file evenly: each quarter holds about a quarter.
    quarters = np.bincount(same // 5_000, minlength=4)
    assert quarters.min() > 180


def test_streaming_small_file_is_not_sampled(tmp_path):
    path = tmp_path / "data.csv"
    _frame(100).to_csv(path, index=False)
    loaded = read_table(path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=500)
    assert len(loaded.frame) == 100 and not loaded.source.sampled and loaded.source.sample_note == ""


def test_streaming_widens_types_that_change_late(tmp_path):
    # Past the reader's first block (4 MB), where the streaming reader fixes its types.
    n = 600_000
    lines = ["n,f,s"] + [f"{i},{i},{i}" for i in range(n)] + ["1,2.5,text"]
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 8 * 1024 * 1024
    loaded = read_table(path, memory_limit_mb=TINY_LIMIT_MB, sample_rows=1_000)
    assert loaded.source.n_rows == n + 1
    assert loaded.frame["n"].dtype == np.int64
    assert loaded.frame["f"].dtype == np.float64
    assert loaded.frame["s"].dtype == "str"


def test_sniff_only_reads_the_head(tmp_path):
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(30_000))  # a header line longer than the 64 KB head
    path.write_text(header + "\n" + ",".join("1" * 30_000) + "\n")
    s = sniff(path)
    assert s.delimiter == "," and len(s.header) == 30_000


def test_object_types_become_native(tmp_path):
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    csv = tmp_path / "t.csv"
    csv.write_text("t,v\n12:30:00,1.5\n13:00:01,2\n")
    assert read_table(csv).frame["t"].dtype == "str"
    pq_path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"d": pa.array([decimal.Decimal("1.25")], pa.decimal128(5, 2))}), pq_path)
    assert read_table(pq_path).frame["d"].tolist() == [1.25]
