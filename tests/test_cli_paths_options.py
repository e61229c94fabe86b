"""Paths and numeric options the user can get wrong: a one-line error and exit 2,
never a traceback, a hang, or a modified input; -o problems fail before any work."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import advisor.pipeline
import advisor.report.write as write
from advisor.errors import InputError
from tests.conftest import run_cli

ROWS = "".join(f"{i},{i % 7 * 1.5},{'abc'[i % 3]},{'yn'[i % 2]}\n" for i in range(60))


@pytest.fixture
def csv(tmp_path) -> Path:
    path = tmp_path / "data.csv"
    path.write_text("a,b,c,label\n" + ROWS)
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the pipeline starts: the error must come before any slow work."""

    def refuse(*args, **kwargs):
        raise AssertionError("the pipeline ran before the -o path was checked")

    monkeypatch.setattr(advisor.pipeline, "recommend", refuse)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line_error(code: int, out: str, err: str, expected: str) -> None:
    assert code == 2 and out == "", err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert expected in err, err


# -o: never onto the input (P1)


@pytest.mark.parametrize("how", ["same", "dotted", "symlink", "hardlink"])
def test_output_onto_the_input_is_refused(csv, no_work, how):
    before = _sha(csv)
    out = {"same": csv, "dotted": csv.parent / "." / csv.name}.get(how, csv.parent / "report.csv")
    if how == "symlink":
        out.symlink_to(csv)
    elif how == "hardlink":
        os.link(csv, out)
    code, stdout, err = run_cli("recommend", str(csv), "--no-probes", "-q", "-o", str(out))
    _one_line_error(code, stdout, err, "is the input file")
    assert _sha(csv) == before


def test_output_onto_a_rule_file_is_refused(csv, tmp_path, no_work):
    rules = tmp_path / "team.yaml"
    rules.write_text("rules: []\n")
    code, out, err = run_cli("recommend", str(csv), "--rules", str(rules), "-q", "-o", str(rules))
    _one_line_error(code, out, err, "is the input file")
    assert rules.read_text() == "rules: []\n"


# -o: checked up front (P2c)


def test_output_checks_happen_before_any_work(csv, tmp_path, no_work):
    cases = [
        (tmp_path / "missing" / "r.json", "does not exist"),
        (tmp_path, "it is a folder"),
        (csv / "r.json", "not a directory"),
    ]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.md")
        cases.append((tmp_path / "pipe.md", "it is a pipe or socket"))
    for out, expected in cases:
        code, stdout, err = run_cli("recommend", str(csv), "-q", "-o", str(out))
        _one_line_error(code, stdout, err, expected)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_output_where_no_file_can_be_created(csv, no_work):
    code, out, err = run_cli("recommend", str(csv), "-q", "-o", "/proc/advisor-report.json")
    _one_line_error(code, out, err, "cannot write /proc/advisor-report.json")


def test_output_folder_not_writable(csv, tmp_path, monkeypatch, no_work):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(write.tempfile, "mkstemp", denied)
    code, out, err = run_cli("recommend", str(csv), "-q", "-o", str(tmp_path / "r.json"))
    _one_line_error(code, out, err, "cannot write")
    assert "permission denied" in err


def test_a_write_failure_after_the_probes_is_one_line(csv, tmp_path, monkeypatch):
    monkeypatch.setattr(write, "check_output", lambda *a, **k: None)  # the folder goes away later

    def gone(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr(write.tempfile, "mkstemp", gone)
    code, out, err = run_cli("recommend", str(csv), "--no-probes", "-q", "-o", str(tmp_path / "r.json"))
    _one_line_error(code, out, err, "cannot write")


def test_write_atomic_leaves_no_temp_file_when_the_rename_fails(tmp_path, monkeypatch):
    def busy(*args, **kwargs):
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(write.os, "replace", busy)
    with pytest.raises(InputError, match="device or resource busy"):
        write.write_atomic(tmp_path / "r.md", "text")
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_gives_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write.write_atomic(tmp_path / "new.md", "a")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o644
    kept = tmp_path / "kept.md"
    kept.write_text("old")
    kept.chmod(0o640)
    write.write_atomic(kept, "new")
    assert kept.read_text() == "new" and stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_a_good_output_path_still_works(csv, tmp_path):
    out = tmp_path / "report.json"
    code, _, err = run_cli("recommend", str(csv), "--no-probes", "-q", "-o", str(out))
    assert code == 0, err
    assert json.loads(out.read_text())["recommendation"]["family"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


# -o: inside an input folder, through links, onto streams (round two, points 1 and 2)


def _image_folder(root: Path) -> Path:
    from PIL import Image

    for label in ("cat", "dog"):
        (root / "imgs" / label).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(root / "imgs" / label / f"{i}.png")
    return root / "imgs"


@pytest.mark.parametrize("where", ["cat/0.png", "cat/new.md", "report.md", "cat/../dog/1.png"])
def test_output_inside_an_input_folder_is_refused(tmp_path, no_work, where):
    folder = _image_folder(tmp_path)
    before = {p: _sha(p) for p in folder.rglob("*.png")}
    code, out, err = run_cli("recommend", str(folder), "--no-probes", "-q", "-o", str(folder / where))
    _one_line_error(code, out, err, "is inside the input folder")
    assert {p: _sha(p) for p in folder.rglob("*.png")} == before
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == sorted(p.name for p in before)


def test_output_inside_an_input_folder_through_a_link_is_refused(tmp_path, no_work):
    folder = _image_folder(tmp_path)
    (tmp_path / "alias").symlink_to(folder / "cat")
    code, out, err = run_cli(
        "recommend", str(folder), "--no-probes", "-q", "-o", str(tmp_path / "alias" / "0.png")
    )
    _one_line_error(code, out, err, "is inside the input folder")


def test_output_beside_an_input_folder_is_written(tmp_path):
    folder = _image_folder(tmp_path)
    code, _, err = run_cli("recommend", str(folder), "--no-probes", "-q", "-o", str(tmp_path / "r.json"))
    assert code == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["dataset"]["modality"] == "image"


@pytest.mark.parametrize("existing", [True, False])
def test_output_through_a_link_writes_the_file_and_keeps_the_link(csv, tmp_path, existing):
    real = tmp_path / "reports" / "real.md"
    real.parent.mkdir()
    if existing:
        real.write_text("old report")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    code, _, err = run_cli("recommend", str(csv), "--no-probes", "-q", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("# ")  # the Markdown report went where the link points
    assert [p.name for p in real.parent.iterdir()] == ["real.md"]  # no temp file left


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_output_to_dev_null_is_streamed_and_dev_null_stays_a_device(csv):
    code, _, err = run_cli("recommend", str(csv), "--no-probes", "-q", "-o", "/dev/null")
    assert code == 0, err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/stdout").is_symlink(), reason="needs a /dev/stdout link")
def test_output_to_dev_stdout_redirected_to_a_file_streams_into_it(csv, tmp_path):
    before = os.readlink("/dev/stdout")
    out = tmp_path / "captured.json"
    with open(out, "w") as fh:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "advisor.cli",
                "recommend",
                str(csv),
                "--no-probes",
                "-q",
                "--format",
                "json",
                "-o",
                "/dev/stdout",
            ],
            stdout=fh,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["recommendation"]["family"]
    assert Path("/dev/stdout").is_symlink() and os.readlink("/dev/stdout") == before


# The input path (P2d, P4)


def test_input_in_a_folder_without_permission(csv, monkeypatch):
    real_stat = os.stat

    def fake_stat(path, *args, **kwargs):
        if str(path) == str(csv):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(advisor.pipeline.os, "stat", fake_stat)
    code, out, err = run_cli("recommend", str(csv), "--no-probes", "-q")
    _one_line_error(code, out, err, "(permission denied)")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permissions")
def test_input_in_a_folder_without_search_permission_for_real(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "d.csv").write_text("a,label\n" + "".join(f"{i},{i % 2}\n" for i in range(40)))
    folder.chmod(0o600)  # readable, but no search (x) permission
    try:
        code, out, err = run_cli("recommend", str(folder / "d.csv"), "--no-probes", "-q")
    finally:
        folder.chmod(0o700)
    _one_line_error(code, out, err, "(permission denied)")


def test_input_symlink_loop(tmp_path):
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    code, out, err = run_cli("recommend", str(loop), "--no-probes", "-q")
    _one_line_error(code, out, err, "cannot access")


def test_input_under_a_file_does_not_exist(csv):
    code, out, err = run_cli("recommend", str(csv / "x.csv"), "--no-probes", "-q")
    _one_line_error(code, out, err, "does not exist")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_input_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    # A writer that unblocks any reader: if advisor ever opened the FIFO, the
    # test would fail on "empty" instead of hanging.
    writer = threading.Thread(target=lambda: open(fifo, "wb").close(), daemon=True)
    writer.start()
    try:
        code, out, err = run_cli("recommend", str(fifo), "--no-probes", "-q")
    finally:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # release the writer
        writer.join(5)
    _one_line_error(code, out, err, "is not a regular file (a pipe, socket or device)")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_input_is_refused():
    code, out, err = run_cli("recommend", "/dev/zero", "--no-probes", "-q")
    _one_line_error(code, out, err, "/dev/zero is not a regular file")


@pytest.mark.skipif(not Path("/dev/stdin").exists(), reason="needs /dev/stdin")
def test_piped_stdin_is_refused(csv):
    proc = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "recommend", "/dev/stdin", "--no-probes", "-q"],
        input=csv.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    _one_line_error(proc.returncode, proc.stdout.decode(), proc.stderr.decode(), "is not a regular file")


# Numeric options (P2e, P2f)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--seed", "-1"),
        ("--seed", str(2**32)),
        ("--budget", "inf"),
        ("--budget", "-inf"),
        ("--budget", "nan"),
        ("--budget", "1e308"),
        ("--budget", str(7 * 24 * 3600 + 1)),
        ("--memory-limit", "nan"),
        ("--memory-limit", "inf"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(csv, no_work, option, value):
    code, out, err = run_cli("recommend", str(csv), "-q", option, value)
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"Invalid value for '{option}'" in err, err


def test_the_largest_seed_is_accepted(csv):
    code, out, err = run_cli(
        "recommend", str(csv), "--no-probes", "-q", "--format", "json", "--seed", str(2**32 - 1)
    )
    assert code == 0, err
    assert json.loads(out)["constraints"]["seed"] == 2**32 - 1
