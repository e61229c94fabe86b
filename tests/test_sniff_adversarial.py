"""Sniffing files that are not what their name says: a clear one-line InputError, or a correct read."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from advisor.errors import InputError
from advisor.io import gzsize
from advisor.io.read import read_table
from advisor.io.sniff import _quoted, sniff

STREAM_MB = 0.001  # memory limit that forces the streaming path
TABLE = "age,income,city,label\n" + "".join(
    f"{20 + i % 50},{1000 + 7 * i},c{i % 4},{i % 2}\n" for i in range(60)
)


def _write(tmp: Path, name: str, content: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        sniff(path)
    message = info.value.message
    assert "\n" not in message and ":" in message and len(message) < 400
    return message


# --- P2a: a BOM alone is an empty file -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bom.csv", b"\xef\xbb\xbf", "empty (only blank lines)"),
        ("bom_blank.csv", b"\xef\xbb\xbf\n\r\n  \n", "empty (only blank lines)"),
        ("bom16.csv", b"\xff\xfe\n\x00", "empty (only blank lines)"),
        ("bom.csv.gz", gzip.compress(b"\xef\xbb\xbf\n"), "empty after decompression"),
    ],
    ids=["utf8-bom", "bom-blank-lines", "utf16-bom-newline", "gzip-bom"],
)
def test_bom_only_file_is_empty(tmp_path, name, content, expected):
    assert expected in _error(_write(tmp_path, name, content))


# --- P3: the memory estimate of a gzip file --------------------------------------------------


def _compressible_csv(n_rows: int) -> bytes:
    return ("a,b,label\n" + "1,2,0\n3,4,1\n" * (n_rows // 2)).encode()


def test_multi_member_gzip_with_empty_last_member_streams(tmp_path):
    text = _compressible_csv(1_000_000)  # 6 MB of text, a few KB compressed
    path = _write(tmp_path, "lying.csv.gz", gzip.compress(text) + gzip.compress(b""))  # trailer says 0
    assert sniff(path).text_bytes == len(text)
    loaded = read_table(path, memory_limit_mb=4, sample_rows=1_000)
    assert loaded.source.sampled and loaded.source.n_rows == 1_000_000


def test_multi_member_gzip_with_a_plausible_trailer_is_counted(tmp_path):
    """Two equal members: the trailer holds half the size, below what the first MB's ratio implies."""
    text = _compressible_csv(400_000)
    half = len(text) // 2
    path = _write(tmp_path, "two.csv.gz", gzip.compress(text[:half]) + gzip.compress(text[half:]))
    assert sniff(path).text_bytes == len(text)


def test_gzip_count_stops_at_the_limit_and_extrapolates(tmp_path, monkeypatch):
    monkeypatch.setattr(gzsize, "GZIP_COUNT_LIMIT", 2 * gzsize.GZIP_PROBE_BYTES)
    text = _compressible_csv(1_000_000)
    path = _write(tmp_path, "big.csv.gz", gzip.compress(text) + gzip.compress(b""))
    estimate = sniff(path).text_bytes
    assert 0.5 * len(text) <= estimate <= 2 * len(text)


def test_single_member_gzip_trusts_the_trailer_without_counting(tmp_path, monkeypatch):
    calls: list[int] = []
    count = gzsize.inflate_count
    monkeypatch.setattr(gzsize, "inflate_count", lambda p, stop: calls.append(stop) or count(p, stop))
    text = _compressible_csv(1_000_000)
    path = _write(tmp_path, "one.csv.gz", gzip.compress(text))
    assert sniff(path).text_bytes == len(text)
    assert calls == [gzsize.GZIP_PROBE_BYTES]  # only the ratio probe, never a full count


def test_gzip_over_4_gib_trailer_wraps_and_is_counted(tmp_path, monkeypatch):
    """ISIZE is modulo 2**32: simulate a wrapped trailer that is small but not below the compressed size."""
    text = _compressible_csv(1_000_000)
    path = _write(tmp_path, "wrapped.csv.gz", gzip.compress(text))
    monkeypatch.setattr(gzsize, "trailer_size", lambda p: path.stat().st_size * 2)
    assert sniff(path).text_bytes == len(text)


def test_zero_padded_gzip_is_counted_whole(tmp_path):
    text = TABLE.encode() * 10
    path = _write(tmp_path, "pad.csv.gz", gzip.compress(text) + bytes(100))
    assert gzsize.inflate_count(path, 10**9)[1:] == (len(text), True)


# --- P6d, P6e, P7b: text that is not a delimited table ----------------------------------------


def _records() -> list[dict]:
    return [{"age": 20 + i, "city": f"c{i}", "label": "yes" if i % 2 else "no"} for i in range(50)]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (pd.DataFrame(_records()).to_json(orient="records", lines=True), "looks like JSON Lines"),
        ("\ufeff" + "\n".join(json.dumps(r) for r in _records()), "looks like JSON Lines"),
        (json.dumps(_records()), "looks like JSON, not a table"),
        (json.dumps(_records(), indent=2), "looks like JSON, not a table"),
        ('  {\n  "columns": ["a", "b"]\n}\n', "looks like JSON, not a table"),
        ("| a | b | label |\n|---|---|---|\n" + "".join(f"| {i} | {2 * i} | {i % 2} |\n" for i in range(30)), "Markdown table"),
        ("a | b\n:--- | ---:\n1 | 2\n3 | 4\n", "Markdown table"),
        ('<?xml version="1.0"?>\n<rows>\n' + "<row><a>1</a></row>\n" * 30 + "</rows>\n", "is an XML document"),
        ("<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>\n", "is an HTML page"),
        ("\n  <html>\n<table><tr><td>1</td></tr></table></html>\n", "is an HTML page"),
        ("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 a,b\\par 1,2\\par}\n", "is an RTF document"),
    ],
    ids=["jsonl", "jsonl-bom", "json-array", "json-pretty", "json-object", "markdown", "markdown-aligned",
         "xml", "html-404", "html-indented", "rtf"],
)  # fmt: skip
def test_text_that_is_not_a_table_is_refused(tmp_path, content, expected):
    message = _error(_write(tmp_path, "data.csv", content))
    assert message.startswith("data.csv ") and expected in message


@pytest.mark.parametrize(
    ("preamble", "n_lines"),
    [
        ("# generated file\n# columns: age,income,city,label\n", 2),
        ("Exported by SalesTool v2\nDate: 2024-01-01\n\n", 2),
        ("Quarterly sales report\n", 1),
    ],
    ids=["comments", "title-and-date", "title"],
)
def test_lines_above_the_header_are_refused(tmp_path, preamble, n_lines):
    message = _error(_write(tmp_path, "data.csv", preamble + TABLE))
    assert f"has {n_lines} title or comment line(s) above its header row" in message
    assert "'age,income,city,label' is the first line" in message


def test_preamble_message_quotes_the_header_as_written(tmp_path):
    content = "# exported\r\n" + TABLE.replace("age,income", '"age","income"').replace("\n", "\r\n")
    message = _error(_write(tmp_path, "data.csv", content))
    assert 'the header \'"age","income",city,label\' is the first line' in message


def test_hash_column_name_is_a_header_not_a_comment(tmp_path):
    path = _write(tmp_path, "data.csv", "#,name,label\n" + "".join(f"{i},n{i},{i % 2}\n" for i in range(20)))
    assert sniff(path).header == ["#", "name", "label"]


def test_one_column_file_with_commas_in_values_is_not_a_preamble(tmp_path):
    path = _write(tmp_path, "names.csv", "name\n" + "Smith, John\n" * 20)
    assert sniff(path).delimiter is None


def test_space_delimited_file_is_refused(tmp_path):
    message = _error(_write(tmp_path, "data.csv", TABLE.replace(",", " ")))
    assert "looks space-delimited (header 'age income city label')" in message


def test_free_text_single_column_is_not_space_delimited(tmp_path):
    rows = ["a short review", "this one is a good deal longer than the rest", "fine", "not bad at all really"]
    path = _write(tmp_path, "text.csv", "review text here\n" + "\n".join(rows * 10) + "\n")
    assert sniff(path).delimiter is None


def test_long_header_in_a_message_is_clipped(tmp_path):
    message = _error(_write(tmp_path, "data.csv", "# " + "x" * 100_000 + "\n" + TABLE))
    assert "'# xxxxx" in message and "…'" in message and len(message) < 300


def test_quoted():
    assert _quoted("age") == "'age'"
    assert _quoted("a\nb") == "'a\\nb'"
    assert len(_quoted("x" * 1_000)) == 62 and _quoted("x" * 1_000).endswith("…'")


def test_header_skips_leading_blank_lines(tmp_path):
    assert sniff(_write(tmp_path, "data.csv", "\n\n" + TABLE)).header == ["age", "income", "city", "label"]


# --- P7a: UTF-32 and BOM-less UTF-16 are read, not called binary ------------------------------


@pytest.mark.parametrize("streaming", [False, True], ids=["whole", "streaming"])
@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-32", "utf-32"),
        ("utf-32-be-bom", "utf-32"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_utf32_and_bomless_utf16_are_read(tmp_path, codec, expected, streaming):
    content = (
        (b"\x00\x00\xfe\xff" + TABLE.encode("utf-32-be")) if codec == "utf-32-be-bom" else TABLE.encode(codec)
    )
    path = _write(tmp_path, "data.csv", content)
    loaded = read_table(path, memory_limit_mb=STREAM_MB if streaming else None)
    assert loaded.source.encoding == expected
    assert list(loaded.frame.columns) == ["age", "income", "city", "label"]
    assert loaded.source.n_rows == 60


def test_binary_int16_data_is_not_taken_for_utf16(tmp_path):
    path = _write(tmp_path, "data.csv", bytes(range(1, 32)) * 2 + b"\x01\x00\x02\x00" * 500)
    assert "NUL bytes" in _error(path)


# --- gzip files whose content is not text -------------------------------------------------


def test_gzip_of_gzip_and_of_parquet_say_what_they_are(tmp_path):
    twice = _write(tmp_path, "t.csv.gz", gzip.compress(gzip.compress(TABLE.encode())))
    assert "compressed twice" in _error(twice)
    buf = io.BytesIO()
    pd.DataFrame({"a": [1, 2]}).to_parquet(buf)
    assert "gzip-compressed Parquet" in _error(
        _write(tmp_path, "p.parquet.gz", gzip.compress(buf.getvalue()))
    )
