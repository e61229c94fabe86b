"""Benchmark: `advisor recommend` end to end on a large generated CSV.

Generates ``bench-data/recommend_<rows>.csv`` (numeric and categorical columns,
a binary target with real signal, 5% missing values) if absent, then runs the
CLI in a subprocess, in memory and streamed (``--memory-limit``), and prints
wall time and the child's peak resident memory measured from outside
(``os.wait4``), with what the report says it probed.

    python benchmarks/bench_recommend.py                 # 1,000,000 rows, 60 s probe budget
    python benchmarks/bench_recommend.py --rows 200000 --budget 30
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench-data"
CHUNK_ROWS = 100_000


def generate(path: Path, n_rows: int, seed: int = 0) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    levels = np.array([f"segment_{i}" for i in range(12)])
    effect = rng.normal(size=len(levels))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        for start in range(0, n_rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, n_rows - start)
            x = rng.normal(size=(n, 16)).round(5)
            seg = rng.integers(0, len(levels), n)
            logit = x[:, 0] - 0.8 * x[:, 1] + 0.6 * x[:, 2] * x[:, 3] + np.sin(2 * x[:, 4]) + effect[seg]
            frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(16)])
            frame.loc[rng.random(n) < 0.05, "f5"] = np.nan
            frame["segment"] = levels[seg]
            frame["channel"] = rng.choice(["web", "store", "phone", "partner"], n)
            frame["converted"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
            frame.to_csv(fh, index=False, header=start == 0)
    tmp.rename(path)


def run(path: Path, budget: float, extra: list[str]) -> dict:
    out = Path(tempfile.mkdtemp()) / "report.json"
    cmd = [
        sys.executable,
        "-m",
        "advisor.cli",
        "recommend",
        str(path),
        "--budget",
        str(budget),
        "-q",
        "-o",
        str(out),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd + extra, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"advisor failed: {err.strip()}")
    report = json.loads(out.read_text())
    return {"wall": wall, "peak_mb": usage.ru_maxrss / 1024, "report": report}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--memory-limit", type=float, default=64.0, help="MB, for the streamed run")
    args = ap.parse_args()
    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / f"recommend_{args.rows}.csv"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        generate(path, args.rows)
    size_mb = path.stat().st_size / 2**20
    print(f"{path.name}: {size_mb:,.0f} MB, {os.cpu_count()} cores, probe budget {args.budget:g} s")
    print(
        f"{'mode':<10} {'wall s':>7} {'peak MB':>8} {'read+profile s':>15} {'probe s':>8}  probed / verdict"
    )
    for mode, extra in (("in-memory", []), ("streamed", ["--memory-limit", str(args.memory_limit)])):
        r = run(path, args.budget, extra)
        rep = r["report"]
        t, stage, rec = rep["timings"], rep["probe_stage"], rep["recommendation"]
        print(
            f"{mode:<10} {r['wall']:>7.1f} {r['peak_mb']:>8,.0f} {t.get('read_and_profile', 0):>15.1f} "
            f"{t.get('probes', 0):>8.1f}  {stage['n_rows_probed']:,} rows; {rec['family']} ({rec['confidence']})"
        )


if __name__ == "__main__":
    main()
