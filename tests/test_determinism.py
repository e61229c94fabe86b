"""Same seed, same report (apart from timings); the input is never modified."""

from __future__ import annotations

import hashlib
import re

from advisor.report.model import TIMING_FIELDS
from tests.conftest import run_json, sklearn_csv

# Notes that report durations, or where the time budget cut a fit, depend on the machine.
TIMING_NOTE = re.compile(r"\d s\b|\d\.\d+ s\b|time budget")


def strip_timing(obj):
    if isinstance(obj, dict):
        return {k: strip_timing(v) for k, v in obj.items() if k not in TIMING_FIELDS}
    if isinstance(obj, list):
        return [strip_timing(v) for v in obj if not (isinstance(v, str) and TIMING_NOTE.search(v))]
    return obj


def test_two_runs_with_the_same_seed_agree(tmp_path):
    # Small data and a generous budget: no fit is cut by time, so nothing depends on speed.
    path = sklearn_csv(tmp_path, "load_iris")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    first = run_json(path, "--budget", "120", "--seed", "3")
    second = run_json(path, "--budget", "120", "--seed", "3")
    assert strip_timing(first) == strip_timing(second)
    assert first["probe_stage"]["seed"] == 3
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
