"""Ctrl-C during the probes still prints a report, marked partial (exit code 3)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
# 20,000 rows: every fit in this process; 600: the MLP's fits in the pool, the other probes
# in the side lane (advisor/probing/lanes.py), whose finished results must survive Ctrl-C.
@pytest.mark.parametrize("rows", [20_000, 600])
def test_ctrl_c_during_probes_prints_a_partial_report(tmp_path, rows):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, 20)), columns=[f"x{i}" for i in range(20)])
    frame["y"] = (frame.x0 + frame.x1 * frame.x2 + rng.normal(size=len(frame)) > 0).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor.cli", "recommend", str(path), "--format", "json", "--budget", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait until a probe has finished, then interrupt the next one.
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if "probe baseline: ok" in line or time.monotonic() > deadline:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err  # a partial report: a script can tell it from a full one
    report = json.loads(out)
    assert report["probe_stage"]["partial"] is True
    statuses = {p["name"]: (p["status"], p["reason"]) for p in report["probes"]}
    assert statuses["baseline"][0] == "ok"
    assert any(reason == "interrupted" for _, reason in statuses.values())
    assert report["recommendation"]["family"]
