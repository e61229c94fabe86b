"""read_table on awkward but real files: nested Parquet, huge cells, repeated headers, header/row mismatches."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import advisor.io.csvparse as csvparse
import advisor.io.memory as memory
from advisor.errors import InputError
from advisor.io.read import read_table
from advisor.io.tidy import clip

TINY_LIMIT_MB = 0.001  # forces the streaming path on any file
LIMITS = [None, TINY_LIMIT_MB]  # whole-file read, streamed read


def _codes(loaded) -> list[str]:
    return [w.code for w in loaded.warnings]


def _write_parquet(path, columns: dict) -> None:
    pq.write_table(pa.table(columns), path)


# P2b: nested Parquet columns


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize(
    "nested",
    [
        pa.array([[i % 3, 1] for i in range(300)]),
        pa.array([[i % 3, 1] for i in range(300)], type=pa.large_list(pa.int64())),
        pa.array([[i % 3, 1] for i in range(300)], type=pa.list_(pa.int64(), 2)),
        pa.array([{"a": i, "b": "x"} for i in range(300)]),
        pa.array([[("k", i)] for i in range(300)], type=pa.map_(pa.string(), pa.int64())),
    ],
    ids=["list", "large_list", "fixed_size_list", "struct", "map"],
)
def test_nested_parquet_columns_are_skipped_with_a_warning(tmp_path, nested, limit):
    path = tmp_path / "nested.parquet"
    _write_parquet(path, {"lst": nested, "f": np.arange(300) / 7, "label": [i % 2 for i in range(300)]})
    loaded = read_table(path, memory_limit_mb=limit, sample_rows=100)
    assert list(loaded.frame.columns) == ["f", "label"]
    assert set(loaded.column_stats) == {"f", "label"}
    (warning,) = [w for w in loaded.warnings if w.code == "nested-column"]
    assert warning.column == "lst" and "flatten it" in warning.message


def test_parquet_of_only_nested_columns_is_a_one_line_error(tmp_path):
    path = tmp_path / "nested.parquet"
    _write_parquet(path, {"lst": pa.array([[1, 2]] * 10), "st": pa.array([{"a": 1}] * 10)})
    with pytest.raises(InputError, match="every column of nested.parquet holds nested values"):
        read_table(path)


# P5: a quoted cell bigger than the parser's block


@pytest.mark.parametrize("limit", LIMITS)
def test_cell_bigger_than_a_block_is_read(tmp_path, monkeypatch, limit):
    monkeypatch.setattr(csvparse, "BLOCK_BYTES", 16 * 1024)
    monkeypatch.setattr(
        memory, "MIN_SAMPLE_ROWS", 30_000
    )  # keep every row although the tiny limit would cut the sample
    rows = ["a,text,label"] + [f"{i},x{i % 7},{i % 2}" for i in range(20_000)]
    rows[19_000] = f'18999,"{"y" * 200_000}",0'  # far past the sniffed head, 12 blocks long
    path = tmp_path / "big_cell.csv"
    path.write_text("\n".join(rows) + "\n")
    loaded = read_table(path, memory_limit_mb=limit, sample_rows=30_000)
    assert loaded.source.n_rows == len(loaded.frame) == 20_000
    assert loaded.frame["text"].str.len().max() == 200_000


# P6b: a header row repeated inside the file


def _concatenated(tmp_path, n: int = 300, copies: int = 2):
    header = "age,income,city,label"
    rows = [f"{i % 80},{i * 10.5},c{i % 5},{i % 2}" for i in range(n)]
    path = tmp_path / "concatenated.csv"
    path.write_text("\n".join([header] + (rows + [header]) * (copies - 1) + rows) + "\n")
    return path


@pytest.mark.parametrize("limit", LIMITS)
def test_repeated_header_rows_are_dropped_and_types_restored(tmp_path, limit):
    loaded = read_table(_concatenated(tmp_path, copies=3), memory_limit_mb=limit)
    frame = loaded.frame
    assert loaded.source.n_rows == len(frame) == 900
    assert {str(t) for t in frame.dtypes[["age", "income", "label"]]} == {"int64", "float64"}
    assert sorted(frame["label"].unique()) == [0, 1]
    (warning,) = [w for w in loaded.warnings if w.code == "repeated-header"]
    assert "dropped 2 row(s)" in warning.message and "first at data row 301" in warning.message


def test_repeated_header_late_in_a_streamed_file(tmp_path, monkeypatch):
    # Past the first block, so the streaming reader has typed the columns as numbers already.
    monkeypatch.setattr(csvparse, "BLOCK_BYTES", 16 * 1024)
    loaded = read_table(_concatenated(tmp_path, n=3_000), memory_limit_mb=TINY_LIMIT_MB, sample_rows=500)
    assert loaded.source.n_rows == 6_000 and len(loaded.frame) == 500
    assert str(loaded.frame["age"].dtype) == "int64" and str(loaded.frame["income"].dtype) == "float64"
    assert "repeated-header" in _codes(loaded)
    assert all(st.n_missing == 0 for st in loaded.column_stats.values())


def test_text_columns_stay_text_after_dropping_a_repeated_header(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("a,b,label\n1,x,0\nn/a?,y,1\na,b,label\n3,z,0\n")
    loaded = read_table(path)
    assert str(loaded.frame["a"].dtype) == "str"  # 'n/a?' is genuine text
    assert loaded.source.n_rows == 3 and "repeated-header" in _codes(loaded)


def test_a_value_equal_to_its_column_name_is_kept(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("kind,label\nkind,0\nother,label\nkind,1\n")  # no row is entirely the header
    loaded = read_table(path)
    assert loaded.source.n_rows == 3 and "repeated-header" not in _codes(loaded)


# P7: header/row field counts, duplicate Parquet names, long quoted text


@pytest.mark.parametrize(
    "header, fields",
    [("age,income,city", 3), ("age,income,city,label,extra", 5), ("age,income,city,label,", 5)],
)
def test_header_with_a_different_field_count_says_so(tmp_path, header, fields):
    path = tmp_path / "data.csv"
    path.write_text(header + "\n" + "".join(f"{i},{i * 2.5},Rome,no\n" for i in range(50)))
    with pytest.raises(
        InputError, match=f"comma-delimited, but the header has {fields} fields and rows have 4"
    ):
        read_table(path)


@pytest.mark.parametrize("limit", LIMITS)
def test_parquet_duplicate_column_names_are_renamed(tmp_path, limit):
    x = pa.array(np.arange(50) / 3)
    path = tmp_path / "dup.parquet"
    pq.write_table(
        pa.Table.from_arrays([x, x, pa.array([i % 2 for i in range(50)])], ["x", "x", "label"]), path
    )
    loaded = read_table(path, memory_limit_mb=limit)
    assert list(loaded.frame.columns) == ["x", "x.1", "label"]
    assert "duplicate-columns" in _codes(loaded)


def test_long_names_are_cut_in_messages(tmp_path):
    long = "n" * 500
    path = tmp_path / "data.csv"
    path.write_text(f"{long},{long},label\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)))
    loaded = read_table(path)
    (warning,) = [w for w in loaded.warnings if w.code == "duplicate-columns"]
    assert long not in warning.message and clip(long) in warning.message
    header = long + "," + long + ",label"
    path.write_text(header + "\n" + "".join(f"{i},{i},{i},{i}\n" for i in range(20)))
    with pytest.raises(InputError) as info:
        read_table(path)
    assert long not in str(info.value) and len(str(info.value)) < 300


def test_clip():
    assert clip("short") == "short"
    assert clip("x" * 100) == "x" * 59 + "…"


def test_repeated_header_with_a_byte_order_mark(tmp_path):
    part = "\ufeffage,city,label\n" + "".join(f"{i},c{i % 3},{i % 2}\n" for i in range(50))
    path = tmp_path / "bom.csv"
    path.write_bytes((part + part).encode())  # `cat a.csv a.csv` of a file saved with a BOM
    loaded = read_table(path)
    assert loaded.source.n_rows == 100 and str(loaded.frame["age"].dtype) == "int64"
    assert "repeated-header" in _codes(loaded)


def test_nested_target_is_refused_not_replaced(tmp_path):
    from click.testing import CliRunner

    from advisor.cli import cli

    n = 60
    path = tmp_path / "nested_target.parquet"
    pq.write_table(
        pa.table(
            {
                "f": [i * 0.5 for i in range(n)],
                "g": [i % 3 for i in range(n)],
                "label": [[i % 2] for i in range(n)],
            }
        ),
        path,
    )
    result = CliRunner().invoke(cli, ["recommend", str(path), "--no-probes"])
    assert result.exit_code == 2
    assert "holds nested values" in result.output and "'label'" in result.output
    # A nested column elsewhere is only skipped: the conventional target still wins.
    path2 = tmp_path / "nested_feature.parquet"
    pq.write_table(
        pa.table(
            {
                "lst": [[i] for i in range(n)],
                "f": [i * 0.5 for i in range(n)],
                "label": [i % 2 for i in range(n)],
            }
        ),
        path2,
    )
    assert CliRunner().invoke(cli, ["recommend", str(path2), "--no-probes", "-q"]).exit_code == 0


def test_single_column_file_says_so(tmp_path):
    from click.testing import CliRunner

    from advisor.cli import cli

    path = tmp_path / "one.csv"
    path.write_text("y\n" + "\n".join(str(i % 2) for i in range(50)) + "\n")
    result = CliRunner().invoke(cli, ["recommend", str(path), "--no-probes"])
    assert result.exit_code == 2 and "has a single column ('y')" in result.output


def test_huge_names_do_not_flood_the_error_line(tmp_path):
    from click.testing import CliRunner

    from advisor.cli import cli
    from advisor.errors import MAX_MESSAGE_CHARS

    path = tmp_path / "long.csv"
    name = "x" * 100_000
    path.write_text(f"{name},label\n" + "\n".join(f"{i},{i % 2}" for i in range(60)) + "\n")
    result = CliRunner().invoke(cli, ["recommend", str(path), "--no-probes", "-q"])
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert len(line) <= MAX_MESSAGE_CHARS + len("Error: ") and line.endswith("pass --target")
