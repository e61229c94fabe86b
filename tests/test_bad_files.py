"""A corpus of malformed inputs: each gives a one-line InputError that says what to do, or reads with a warning."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from advisor.errors import InputError
from advisor.io.read import read_table

STREAM_MB = 0.001  # memory limit that forces the streaming path
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _write(name: str, content: bytes | str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return make


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("sheet.xml", "<x/>")
    return buf.getvalue()


def _directory(tmp: Path) -> Path:
    folder = tmp / "stuff"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    (folder / "run.py").write_text("print(1)")
    return folder


def _truncated_gzip(tmp: Path) -> Path:
    data = gzip.compress("".join(f"{i},{i * 7},{i % 3}\n" for i in range(50_000)).encode())
    path = tmp / "data.csv.gz"
    path.write_bytes(gzip.compress(b"a,b,c\n")[:10] + data[10 : len(data) // 2])
    return path


def _corrupt_parquet(tmp: Path) -> Path:
    path = tmp / "data.parquet"
    pd.DataFrame({"a": range(1000)}).to_parquet(path)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3 : len(raw) // 3 + 200] = bytes(200)
    path.write_bytes(bytes(raw[: len(raw) - 30]) + b"PAR1")
    return path


def _ragged(n_good: int, n_bad: int, bad_every: int) -> Callable[[Path], Path]:
    """``n_good`` rows, then ``n_bad`` rows of which every ``bad_every``-th has an extra field."""
    rows = ["a,b,c"] + [f"{i},{i},{i}" for i in range(1, n_good + 1)]
    rows += [
        f"{i},{i},{i}" + (",extra" if i % bad_every == 0 else "")
        for i in range(n_good + 1, n_good + n_bad + 1)
    ]
    return _write("ragged.csv", "\n".join(rows) + "\n")


_RAGGED_FEW = _ragged(0, 199, 50)
_RAGGED_MOST = _ragged(150, 1_000, 1)  # the head looks fine; most of the file does not
_RAGGED_ALL = _ragged(0, 300, 1)

# (case id, how to make the file, substring the one-line error must contain)
ERROR_CASES = [
    ("missing-path", lambda tmp: tmp / "nope.csv", "does not exist"),
    ("directory", _directory, "not a table or an image folder"),
    ("empty", _write("data.csv", b""), "empty (0 bytes)"),
    ("blank-lines", _write("data.csv", "\n\n  \n"), "empty"),
    ("empty-gzip", _write("data.csv.gz", gzip.compress(b"")), "empty after decompression"),
    ("header-only", _write("data.csv", "a,b,c\n"), "no data rows"),
    ("png", _write("data.csv", PNG), "PNG image"),
    ("zip", _write("data.csv", _zip_bytes()), "zip archive"),
    ("nul-bytes", _write("data.csv", b"a,b\n1,\x00\x00\x002\n"), "NUL bytes"),
    ("wrong-delimiter", _write("data.csv", "a;b;c\n1\n2\n3\n"), "semicolon"),
    ("most-rows-ragged", _RAGGED_MOST, "1,000 of 1,150 rows do not have the header's 3 fields"),
    ("all-rows-ragged", _RAGGED_ALL, "comma-delimited"),
    ("truncated-gzip", _truncated_gzip, "the gzip file is truncated or corrupt"),
    ("corrupt-parquet", _corrupt_parquet, "not a valid Parquet file"),
    ("parquet-extension-not-parquet", _write("data.parquet", "a,b\n1,2\n"), "not a valid Parquet file"),
    ("empty-parquet", lambda tmp: _parquet(tmp, pd.DataFrame({"a": pd.Series([], dtype=float)})), "no rows"),
]


def _parquet(tmp: Path, df: pd.DataFrame) -> Path:
    path = tmp / "data.parquet"
    df.to_parquet(path)
    return path


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@pytest.mark.parametrize("streaming", [False, True], ids=["whole", "streaming"])
@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_bad_file_raises_one_line_input_error(tmp_path, make, expected, streaming):
    path = make(tmp_path)
    before, listing = _sha(path), sorted(tmp_path.rglob("*"))
    with pytest.raises(InputError) as info:
        read_table(path, memory_limit_mb=STREAM_MB if streaming else None)
    message = info.value.message
    assert expected in message
    assert "\n" not in message and ":" in message  # one line: what is wrong, then what to do
    assert _sha(path) == before and sorted(tmp_path.rglob("*")) == listing


def _mixed_encoding(tmp: Path) -> Path:
    path = tmp / "mixed.csv"
    path.write_bytes("name,v\nnaïve,1\ncafé,2\n".encode() + "crème,3\n".encode("cp1252"))
    return path


def _wide(tmp: Path) -> Path:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 9, size=(20, 20_000)), columns=[f"c{i}" for i in range(20_000)])
    path = tmp / "wide.csv"
    df.to_csv(path, index=False)
    return path


# (case id, how to make the file, expected warning code or None, check on the LoadedTable)
OK_CASES = [
    ("ragged-few", _RAGGED_FEW, "ragged-rows", lambda t: len(t.frame) == 196 and "first at line 51" in _msg(t)),
    ("semicolon-detected", _write("data.csv", "a;b;c\n1;2;3\n4;5;6\n"), None, lambda t: t.frame.shape == (2, 3)),
    ("mixed-encoding", _mixed_encoding, "mixed-encoding", lambda t: t.frame["name"].tolist()[-1] == "crème"),
    ("cp1252", _write("data.csv", "name,v\ncrème,1\n".encode("cp1252")), None, lambda t: t.source.encoding == "cp1252"),
    ("duplicate-columns", _write("d.csv", "a,a,b,a\n1,2,3,4\n"), "duplicate-columns", lambda t: list(t.frame) == ["a", "a.1", "b", "a.2"]),
    ("blank-column-name", _write("d.csv", ",a\n1,2\n"), "unnamed-columns", lambda t: list(t.frame) == ["Unnamed: 0", "a"]),
    ("all-nan-column", _write("d.csv", "a,b\n1,\n2,\n3,\n"), None, lambda t: t.column_stats["b"].n_missing == 3),
    ("infinities", _write("d.csv", "a,b\n1,inf\n2,-inf\n3,4\n"), "infinite-values", lambda t: t.column_stats["b"].n_inf == 2),
    ("twenty-thousand-columns", _wide, None, lambda t: t.frame.shape == (20, 20_000)),
    ("three-rows", _write("d.csv", "x,y\n1,a\n2,b\n3,a\n"), None, lambda t: t.source.n_rows == 3),
]  # fmt: skip


def _msg(t) -> str:
    return " ".join(w.message for w in t.warnings)


@pytest.mark.parametrize("streaming", [False, True], ids=["whole", "streaming"])
@pytest.mark.parametrize(("make", "code", "check"), [c[1:] for c in OK_CASES], ids=[c[0] for c in OK_CASES])
def test_usable_file_reads_with_expected_warning(tmp_path, make, code, check, streaming):
    path = make(tmp_path)
    before, listing = _sha(path), sorted(tmp_path.rglob("*"))
    loaded = read_table(path, memory_limit_mb=STREAM_MB if streaming else None)
    codes = [w.code for w in loaded.warnings]
    assert codes == ([code] if code else [])
    assert all("\n" not in w.message for w in loaded.warnings)
    assert check(loaded)
    assert _sha(path) == before and sorted(tmp_path.rglob("*")) == listing
