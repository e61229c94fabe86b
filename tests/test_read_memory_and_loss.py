"""Issue 12, points 4 and 8: the memory guard holds on a gzip bomb, and rows swallowed by a quote are never lost silently."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from advisor.errors import InputError
from advisor.io.memory import CSV_MEMORY_FACTOR, estimate_memory_mb, memory_per_text_byte, text_mix
from advisor.io.read import read_table
from advisor.io.sniff import sniff
from tests.conftest import run_cli

MB = 1024 * 1024
BOMB_TEXT_MB = 300
BOMB_LIMIT_MB = 200
# Peak RSS bound for the bomb run: the limit (data) plus the interpreter with
# pandas, pyarrow and advisor loaded (about 170 MB measured) and some slack.
INTERPRETER_MB = 250
BOMB_ROWS = b"1.5,hello world,42,level_3,some text here,1\n2.5,hello there,7,level_4,other text here,0\n"
ADDRESS_SPACE_MB = 4_000  # RLIMIT_AS: reading the bomb whole (about 2 GB RSS) plus arenas does not fit


def _unclosed_quote_csv(path: Path, bad_row: int, n_rows: int = 300) -> Path:
    lines = ["x,note,k,target"]
    for i in range(n_rows):
        note = f'"note {i}' if i == bad_row else f"note {i}"
        lines.append(f"{i * 1.5},{note},{i % 7},{i % 2}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_unclosed_quote_refused_naming_the_line(tmp_path):
    path = _unclosed_quote_csv(tmp_path / "unclosed.csv", bad_row=4)  # line 6
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    code, out, err = run_cli("recommend", str(path), "--no-probes", "-q", "-o", str(tmp_path / "r.json"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "line 6" in lines[0] and "quote" in lines[0] and "295" in lines[0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # input unchanged
    assert not (tmp_path / "r.json").exists()


def test_unclosed_quote_near_the_end_warns_with_counts(tmp_path):
    path = _unclosed_quote_csv(tmp_path / "late.csv", bad_row=249)  # line 251: 50 rows swallowed
    code, out, err = run_cli("recommend", str(path), "--no-probes", "-q", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    warning = next(w for w in report["dataset"]["warnings"] if w["code"] == "parse-swallowed-rows")
    assert "line 251" in warning["message"] and "about 50 rows" in warning["message"]


def test_quote_closed_far_away_is_caught_in_a_value(tmp_path):
    # The quote opened on line 6 closes on line 206: one value holds 200 rows.
    lines = ["x,note,k,target"]
    for i in range(300):
        note = f'"note {i}' if i == 4 else (f'note {i}"' if i == 204 else f"note {i}")
        lines.append(f"{i},{note},{i % 7},{i % 2}")
    path = tmp_path / "far.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"starts on line 6 .*about (199|200) of"):
        read_table(path)


def test_streamed_read_sees_swallowed_rows_too(tmp_path):
    path = _unclosed_quote_csv(tmp_path / "unclosed.csv", bad_row=4)
    with pytest.raises(InputError, match="line 6"):
        read_table(path, memory_limit_mb=0.001)


def test_multiline_text_values_are_not_swallowed_rows(tmp_path):
    # Legitimate quoted text of many lines (no delimiters inside): no warning.
    poem = "\n".join(f"verse {j} of the poem" for j in range(40))
    lines = ["x,text,target"] + [f'{i},"{poem}",{i % 2}' for i in range(30)]
    path = tmp_path / "poems.csv"
    path.write_text("\n".join(lines) + "\n")
    loaded = read_table(path)
    assert loaded.source.n_rows == 30
    assert not [w for w in loaded.warnings if w.code == "parse-swallowed-rows"]


# --- the memory estimate ------------------------------------------------------


def _write(path: Path, header: str, row: str, n: int) -> Path:
    path.write_text(header + "\n" + row * n)
    return path


@pytest.mark.parametrize(
    ("header", "row", "low", "high"),
    [
        ("a,b,c,d", "1,2,3,4\n", 12, 30),  # one-digit numbers: the most cells per byte
        ("a,b,c,d", "0.123456,1.654321,2.5,3.25\n", 3, 8),
        ("a,b,target", "level_1,level_22,1\n", 5, 12),
        ("t,target", "a long text value " * 20 + ",1\n", 4, 9),
    ],
)
def test_estimate_per_text_byte_follows_the_mix(tmp_path, header, row, low, high):
    path = _write(tmp_path / "f.csv", header, row, 2_000)
    s = sniff(path)
    factor = memory_per_text_byte(s)
    assert low <= factor <= high
    assert estimate_memory_mb(s) == pytest.approx(s.text_bytes * factor / MB)


@pytest.mark.parametrize("row", ["1,2,3,4\n", ",,,\n", "0.5,level_1,x,9\n", "a long text value,1,,2\n"])
def test_a_file_that_fits_at_the_costliest_mix_is_not_parsed_for_it(tmp_path, monkeypatch, row):
    from advisor.io import memory

    path = _write(tmp_path / "f.csv", "a,b,c,d", row, 2_000)
    s = sniff(path)
    bound = memory.BYTES_PER_NUMBER_CELL * memory.MEMORY_MARGIN  # per text byte: one-byte number cells
    assert memory_per_text_byte(s) <= bound  # the shortcut never reads whole what the estimate would stream
    parsed = []
    monkeypatch.setattr(memory, "text_mix", lambda sn: parsed.append(sn) or None)
    assert memory.fits_whole(s, s.text_bytes * bound / MB) and not parsed
    assert not memory.fits_whole(s, s.text_bytes * bound / MB / 100) and parsed  # else the head decides


def test_estimate_mix_counts_cells_and_text(tmp_path):
    path = _write(tmp_path / "f.csv", "n,t", "1,abc\n", 100)
    mix = text_mix(sniff(path))
    assert (mix.rows, mix.number_cells, mix.text_cells, mix.text_value_bytes) == (100, 100, 100, 300)


def test_estimate_without_a_parsable_head_is_the_worst_case(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_text("a,b\n" + "1,2\n" * 100, encoding="utf-16")
    assert memory_per_text_byte(sniff(path)) == CSV_MEMORY_FACTOR


def test_old_two_times_estimate_is_gone(tmp_path):
    # 2x the text was the old guess; any real mix needs more than 3x.
    path = _write(tmp_path / "f.csv", "a,b,c,d,e,target", "1.5,hello world,42,level_3,some text,1\n", 5_000)
    assert memory_per_text_byte(sniff(path)) > 3


# --- the gzip bomb under an address-space limit --------------------------------


@pytest.fixture(scope="module")
def gzip_bomb(tmp_path_factory) -> Path:
    """About 300 MB of repetitive CSV text in a gzip of about 1 MB (members of 10 MB each)."""
    chunk = BOMB_ROWS * (10 * MB // len(BOMB_ROWS))
    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = member.compress(chunk) + member.flush()
    first = zlib.compressobj(9, zlib.DEFLATED, 31)
    path = tmp_path_factory.mktemp("bomb") / "bomb.csv.gz"
    with open(path, "wb") as fh:
        fh.write(first.compress(b"a,b,c,d,e,target\n") + first.flush())
        for _ in range(BOMB_TEXT_MB * MB // len(chunk)):
            fh.write(body)
    return path


# The child's own high-water mark (VmHWM): its ru_maxrss (wait4 or getrusage)
# would include the pytest parent's peak, which Linux carries over fork and exec.
_CHILD = """
import pathlib, resource, sys
limit = int(sys.argv[1]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from advisor.cli import cli
try:
    cli.main(sys.argv[3:])
finally:
    status = pathlib.Path("/proc/self/status").read_text()
    hwm = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    pathlib.Path(sys.argv[2]).write_text(hwm)
"""


def test_gzip_bomb_streams_within_the_memory_limit(gzip_bomb, tmp_path):
    assert gzip_bomb.stat().st_size < 2 * MB
    out = tmp_path / "r.json"
    args = [
        "recommend",
        str(gzip_bomb),
        "--memory-limit",
        str(BOMB_LIMIT_MB),
        "--no-probes",
        "-q",
        "-o",
        str(out),
    ]
    hwm = tmp_path / "hwm"
    cmd = [sys.executable, "-c", _CHILD, str(ADDRESS_SPACE_MB), str(hwm), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parent.parent, timeout=120)
    code = proc.returncode
    assert code in (0, 2), proc.stderr  # never 1 (an internal error such as MemoryError)
    peak_mb = int(hwm.read_text()) / 1024  # kB
    assert peak_mb < BOMB_LIMIT_MB + INTERPRETER_MB, f"peak RSS {peak_mb:.0f} MB"
    if code == 0:
        source = json.loads(out.read_text())["dataset"]["source"]
        members = BOMB_TEXT_MB * MB // (10 * MB // len(BOMB_ROWS) * len(BOMB_ROWS))
        assert source["sampled"]
        assert source["n_rows"] == members * (10 * MB // len(BOMB_ROWS)) * 2
