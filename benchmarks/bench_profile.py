"""Benchmark: read + profile speed and peak memory against plain ``pandas.read_csv``.

Generates a mixed numeric/categorical CSV (default 1,000,000 rows x 25 columns,
about 250 MB) into ``bench-data/`` if absent, then runs each step in its own
subprocess and reports wall time and the child's peak RSS (from ``os.wait4``).
Run ``python benchmarks/bench_profile.py --help`` for options.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench-data"
N_NUMERIC = 14
N_CATEGORICAL = 9
CHUNK_ROWS = 100_000
MISSING_RATE = 0.05
STEPS = ("pandas", "read", "read+profile", "stream")


def generate(path: Path, n_rows: int, shape: str = "mixed", seed: int = 0) -> None:
    """Write the benchmark CSV in chunks.

    ``mixed``: an id, 14 numeric (some integer), 9 categorical and a target column, 5% missing.
    ``floats``: 24 float columns with 8 decimals and a target (about 275 MB per million rows).
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array([f"level_{i}" for i in range(50)])
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        for start in range(0, n_rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, n_rows - start)
            if shape == "floats":
                frame = pd.DataFrame(rng.normal(size=(n, 24)).round(8), columns=[f"x_{i}" for i in range(24)])
                frame["target"] = rng.integers(0, 2, n)
                frame.to_csv(fh, index=False, header=start == 0)
                continue
            cols: dict[str, object] = {"id": np.arange(start, start + n)}
            for i in range(N_NUMERIC):
                x = rng.normal(size=n).round(6)
                x[rng.random(n) < MISSING_RATE] = np.nan
                cols[f"num_{i}"] = x if i % 3 else rng.integers(0, 1000, n)
            for i in range(N_CATEGORICAL):
                c = words[rng.integers(0, 5 + 5 * i, n)].astype(object)
                c[rng.random(n) < MISSING_RATE] = None
                cols[f"cat_{i}"] = c
            cols["target"] = rng.integers(0, 2, n)
            pd.DataFrame(cols).to_csv(fh, index=False, header=start == 0)
    tmp.rename(path)


def child(step: str, path: str, memory_limit_mb: float) -> None:
    """Run one step in this (child) process and print its wall time as JSON."""
    import pandas as pd

    from advisor.io.read import read_table

    start, cpu_start = time.perf_counter(), time.process_time()
    info: dict[str, object] = {}
    if step == "pandas":
        info["rows"] = len(pd.read_csv(path))
    elif step == "stream":
        loaded = read_table(path, memory_limit_mb=memory_limit_mb)
        info.update(rows=loaded.source.n_rows, profiled=loaded.source.n_rows_profiled)
    else:
        loaded = read_table(path)
        info.update(rows=loaded.source.n_rows, profiled=loaded.source.n_rows_profiled)
        if step == "read+profile":
            from advisor.profile.build import profile_table

            profile_table(loaded, target="target")
    info["seconds"] = time.perf_counter() - start
    info["cpu"] = time.process_time() - cpu_start  # all threads; robust to other load on the machine
    print(json.dumps(info))


def measure(step: str, path: Path, memory_limit_mb: float) -> dict[str, object]:
    """Run ``step`` in a subprocess: wall time from the child, its peak RSS from the kernel (wait4)."""
    cmd = [
        sys.executable,
        __file__,
        "--child",
        step,
        "--path",
        str(path),
        "--memory-limit",
        str(memory_limit_mb),
    ]
    out_path, err_path = DATA_DIR / f".{step}.out", DATA_DIR / f".{step}.err"
    try:
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
        text, error = out_path.read_text().strip(), err_path.read_text().strip()
    finally:
        out_path.unlink(missing_ok=True)
        err_path.unlink(missing_ok=True)
    if status != 0 or not text:
        return {"error": error.splitlines()[-1] if error else f"exit status {status}"}
    info = json.loads(text.splitlines()[-1])
    info["peak_mb"] = usage.ru_maxrss / 1024  # KB on Linux
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated CSV")
    parser.add_argument("--memory-limit", type=float, default=64.0, help="MB limit for the streaming step")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per step, taking turns; the fastest and the median are reported",
    )
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {STEPS}")
    parser.add_argument(
        "--shape",
        choices=("mixed", "floats"),
        default="mixed",
        help="columns of the generated CSV (see generate)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.path, args.memory_limit)
        return

    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / (
        f"bench_{args.rows}x25.csv" if args.shape == "mixed" else f"bench_{args.rows}x25_{args.shape}.csv"
    )
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        generate(path, args.rows, args.shape)
    load = os.getloadavg()[0]
    print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB, {os.cpu_count()} cores, load average {load:.1f}")
    steps = args.steps.split(",")
    runs: dict[str, list[dict[str, object]]] = {step: [] for step in steps}
    # Steps take turns, so a slow spell of a shared machine hits them alike.
    for _ in range(args.repeat):
        for step in steps:
            runs[step].append(measure(step, path, args.memory_limit))
    results = {}
    for step in steps:
        ok = sorted((r for r in runs[step] if "error" not in r), key=lambda r: r["seconds"])
        results[step] = {**ok[0], "median": ok[len(ok) // 2]["seconds"]} if ok else runs[step][0]
    base = results.get("pandas", {})
    print(
        f"{'step':<14}{'best s':>8}{'x pandas':>10}{'median s':>10}{'x pandas':>10}{'cpu s':>8}{'peak MB':>9}"
        "  rows profiled"
    )
    for step, r in results.items():
        if "error" in r:
            print(f"{step:<14}  failed: {r['error']}")
            continue
        best = f"{r['seconds'] / base['seconds']:.2f}" if "seconds" in base else "-"
        median = f"{r['median'] / base['median']:.2f}" if "median" in base else "-"
        line = f"{step:<14}{r['seconds']:>8.2f}{best:>10}{r['median']:>10.2f}{median:>10}{r['cpu']:>8.2f}"
        print(f"{line}{r['peak_mb']:>9.0f}  {r.get('profiled', r['rows']):,}")


if __name__ == "__main__":
    main()
