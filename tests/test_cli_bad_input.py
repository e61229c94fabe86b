"""The malformed-file corpus through the CLI: a one-line error and exit 2, or a
completed report (with its warnings) when the data is usable. Never a traceback."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import run_cli
from tests.test_bad_files import ERROR_CASES, OK_CASES, _write


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_malformed_file_is_a_one_line_error(tmp_path, make, expected):
    path = make(tmp_path)
    before = _sha(path)
    code, out, err = run_cli("recommend", str(path), "--no-probes", "-q")
    assert code == 2 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert expected in err
    assert _sha(path) == before


TARGET_CASES = [
    ("one-row-class", "a,b\n" + "".join(f"{i},{'xy'[i % 2]}\n" for i in range(40)) + "41,z\n", "class-dropped"),
    ("target-with-missing", "a,b\n" + "".join(f"{i},{'xy'[i % 2] if i % 5 else ''}\n" for i in range(40)), "target-missing"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "code"),
    [c[1:3] for c in OK_CASES] + [(_write("d.csv", text), warn) for _, text, warn in TARGET_CASES],
    ids=[c[0] for c in OK_CASES] + [c[0] for c in TARGET_CASES],
)
def test_usable_or_clearly_refused(tmp_path, make, code):
    path = make(tmp_path)
    before = _sha(path)
    exit_code, out, err = run_cli("recommend", str(path), "--format", "json", "--budget", "3", "-q")
    assert "Traceback" not in err
    assert _sha(path) == before
    if exit_code == 2:  # refused: the data is unusable as a supervised problem, said in one line
        assert out == "" and len(err.strip().splitlines()) == 1, err
        return
    assert exit_code == 0, err
    report = json.loads(out)
    assert report["recommendation"]["family"]
    if code is not None:
        assert code in {w["code"] for w in report["dataset"]["warnings"]}
