"""A table stored as many files: folders of shards, globs, Hive partitions (advisor.io.shards, io.dataset)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.errors import InputError
from advisor.io.read import read_table
from advisor.io.shards import find_dataset, is_dataset


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {"x": x, "k": rng.integers(0, 5, n), "c": rng.choice(["a", "b", "c"], n), "y": (x > 0).astype(int)}
    )


def _shards(root: Path, fmt: str, parts: dict[str, pd.DataFrame]) -> None:
    for rel, frame in parts.items():
        path = root / f"{rel}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_folder_of_shards_reads_as_one_table(tmp_path: Path, fmt: str) -> None:
    parts = {f"part-{i}": _frame(50, i) for i in range(3)}
    _shards(tmp_path, fmt, parts)
    (tmp_path / "_SUCCESS").write_text("")  # what Spark leaves beside its shards
    loaded = read_table(tmp_path)
    expected = pd.concat(parts.values(), ignore_index=True)
    assert loaded.source.n_rows == 150 and not loaded.source.sampled
    assert list(loaded.frame.columns) == ["x", "k", "c", "y"]
    assert np.allclose(loaded.frame["x"], expected["x"])
    assert loaded.warnings[0].code == "dataset-shards" and loaded.warnings[0].severity == "info"


def test_glob_picks_shards_and_hive_folders_become_typed_columns(tmp_path: Path) -> None:
    _shards(
        tmp_path / "data",
        "parquet",
        {
            "year=2023/region=north/part-0": _frame(20, 0),
            "year=2024/region=south/part-0": _frame(30, 1),
            "year=2024/region=__HIVE_DEFAULT_PARTITION__/part-1": _frame(10, 2),
        },
    )
    pattern = str(tmp_path / "data" / "year=*" / "*" / "part-*.parquet")
    assert is_dataset(pattern)
    loaded = read_table(pattern)
    frame = loaded.frame
    assert loaded.source.n_rows == 60
    assert list(frame.columns)[-2:] == ["year", "region"]  # partition columns last, outermost first
    assert frame["year"].dtype == np.int64
    assert sorted(frame["year"].unique().tolist()) == [2023, 2024]
    assert frame["region"].isna().sum() == 10  # Hive's missing value
    assert loaded.column_stats["region"].n_missing == 10


def test_partition_values_with_decimals_are_floats(tmp_path: Path) -> None:
    _shards(tmp_path, "csv", {"rate=0.5/a": _frame(10, 0), "rate=2/b": _frame(10, 1)})
    frame = read_table(tmp_path).frame
    assert frame["rate"].dtype == np.float64


def test_mismatched_columns_name_both_files(tmp_path: Path) -> None:
    _shards(tmp_path, "csv", {"part-0": _frame(10, 0), "part-1": _frame(10, 1).rename(columns={"k": "kk"})})
    with pytest.raises(InputError) as info:
        read_table(tmp_path)
    message = str(info.value)
    assert "part-0.csv" in message and "part-1.csv" in message and "'k'" in message and "'kk'" in message
    assert "\n" not in message


def test_mixed_formats_and_uneven_partitions_are_refused(tmp_path: Path) -> None:
    _shards(tmp_path / "mixed", "csv", {"a": _frame(5, 0)})
    _shards(tmp_path / "mixed", "parquet", {"b": _frame(5, 0)})
    with pytest.raises(InputError, match="mixes CSV and Parquet"):
        find_dataset(tmp_path / "mixed")
    _shards(tmp_path / "uneven", "csv", {"year=2024/a": _frame(5, 0), "b": _frame(5, 1)})
    with pytest.raises(InputError, match="different partition folders"):
        find_dataset(tmp_path / "uneven")


def test_shard_types_that_differ_are_widened(tmp_path: Path) -> None:
    a, b = _frame(10, 0), _frame(10, 1)
    b["k"] = b["k"] + 0.5  # integers in one shard, decimals in the other
    _shards(tmp_path, "csv", {"a": a, "b": b})
    frame = read_table(tmp_path).frame
    assert frame["k"].dtype == np.float64


def test_each_shard_keeps_the_single_file_checks(tmp_path: Path) -> None:
    _shards(tmp_path, "csv", {"a": _frame(30, 0)})
    text = _frame(30, 1).to_csv(index=False)
    (tmp_path / "b.csv").write_text(text + text)  # b.csv holds its header twice
    loaded = read_table(tmp_path)
    assert loaded.source.n_rows == 90
    repeated = [w for w in loaded.warnings if w.code == "repeated-header"]
    assert repeated and repeated[0].message.startswith("b.csv: ")


def test_cli_empty_glob_and_output_inside_a_shard_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["recommend", str(tmp_path / "nothing-*.csv"), "--no-probes"])
    assert result.exit_code == 2 and "matches no files" in result.output
    assert "Traceback" not in result.output
    _shards(tmp_path / "data", "csv", {"year=2024/p0": _frame(40, 0), "year=2025/p1": _frame(40, 1)})
    pattern = str(tmp_path / "data" / "*" / "*.csv")
    inside = tmp_path / "data" / "year=2024" / "report.json"
    result = runner.invoke(cli, ["recommend", pattern, "--no-probes", "-q", "-o", str(inside)])
    assert result.exit_code == 2 and "inside the input folder" in result.output
    out = tmp_path / "report.json"
    result = runner.invoke(
        cli, ["recommend", pattern, "--no-probes", "-q", "--format", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["dataset"]["n_rows"] == 80
    assert "year" in [c["name"] for c in report["dataset"]["columns"]]


def test_finding_shards_and_help_load_neither_duckdb_nor_pyarrow(tmp_path: Path) -> None:
    import subprocess
    import sys

    _shards(tmp_path, "csv", {"a": _frame(5, 0)})
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from advisor.cli import cli\n"
        "from advisor.io.shards import find_dataset, is_dataset\n"
        f"assert is_dataset({str(tmp_path)!r}) and find_dataset({str(tmp_path)!r}).shards\n"
        "assert CliRunner().invoke(cli, ['--help']).exit_code == 0\n"
        "print(','.join(m for m in ('duckdb', 'pyarrow', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_empty_parquet_shards_are_left_out(tmp_path: Path) -> None:
    _shards(
        tmp_path, "parquet", {"day=1/a": _frame(20, 0), "day=2/b": _frame(0, 1), "day=3/c": _frame(10, 2)}
    )
    loaded = read_table(tmp_path)
    assert loaded.source.n_rows == 30 and sorted(set(loaded.frame["day"])) == [1, 3]
    assert "1 empty shard(s) left out" in loaded.warnings[0].message
