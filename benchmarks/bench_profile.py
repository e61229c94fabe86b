"""Benchmark: read + profile speed and peak memory against plain ``pandas.read_csv`` and DuckDB.

Generates a mixed numeric/categorical CSV (default 1,000,000 rows x 25 columns,
about 180 MB) into ``bench-data/`` if absent, and a Parquet copy of it, then
runs each step in its own subprocess, the steps taking turns, and reports wall
time, each step's ratio to ``pandas.read_csv`` of the same file, and the child's
peak RSS (from ``os.wait4``). Steps:

- ``pandas``, ``pandas-parquet``: ``pandas.read_csv`` / ``pandas.read_parquet``;
- ``duckdb``, ``duckdb-parquet``: DuckDB reads the file and aggregates every
  column (count, non-null count, min, max) in one parallel pass: the floor for
  a profile's exact statistics;
- ``pandas+aggregates``: ``pandas.read_csv``, then what issue 9 asks of the profile's one
  pass, on the frame, a column a task in as many threads as cores: non-missing count, exact
  distinct count (the profile's own sorted count), min, max, mean and standard deviation. No
  kinds, duplicates or leakage scans: the floor of an exact profile above pandas' read;
  ``pandas+approx`` the same with DuckDB's ``approx_count_distinct`` over the frame in place
  of the exact counts;
- ``read``, ``read+profile``, ``stream``: ``read_table`` (whole / ``--memory-limit``)
  and ``profile_table``; ``read+profile-parquet`` the same on the Parquet copy;
- ``advisor``, ``advisor-parquet``: ``advisor recommend FILE --no-probes`` in the
  child (read, profile, rules, report), what a user runs.

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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench-data"
N_NUMERIC = 14
N_CATEGORICAL = 9
CHUNK_ROWS = 100_000
MISSING_RATE = 0.05
WIDE_COLUMNS = 5_000
STEPS = ("pandas", "read", "read+profile", "stream")
ALL_STEPS = (
    "pandas",
    "duckdb",
    "pandas+aggregates",
    "pandas+approx",
    "read",
    "read+profile",
    "advisor",
    "stream",
    "pandas-parquet",
    "duckdb-parquet",
    "read+profile-parquet",
    "advisor-parquet",
)
PARQUET_STEPS = {"pandas-parquet", "duckdb-parquet", "read+profile-parquet", "advisor-parquet"}


def generate(path: Path, n_rows: int, shape: str = "mixed", seed: int = 0) -> None:
    """Write the benchmark CSV in chunks.

    ``mixed``: an id, 14 numeric (some integer), 9 categorical and a target column, 5% missing.
    ``floats``: 24 float columns with 8 decimals and a target (about 275 MB per million rows).
    ``wide``: ``WIDE_COLUMNS`` float columns with 4 decimals and a target (about 37 MB per
    thousand rows): a table's cost per column, where the others measure its cost per row.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array([f"level_{i}" for i in range(50)])
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        chunk = CHUNK_ROWS * 25 // WIDE_COLUMNS if shape == "wide" else CHUNK_ROWS  # as many cells a chunk
        for start in range(0, n_rows, chunk):
            n = min(chunk, n_rows - start)
            if shape == "wide":
                frame = pd.DataFrame(
                    rng.normal(size=(n, WIDE_COLUMNS)).round(4),
                    columns=[f"g_{i}" for i in range(WIDE_COLUMNS)],
                )
                frame["target"] = rng.integers(0, 2, n)
                frame.to_csv(fh, index=False, header=start == 0)
                continue
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

    step = step.removesuffix("-parquet") if step.startswith("read") else step  # same code, Parquet path
    if step.startswith("duckdb") or step == "pandas+approx":
        import duckdb  # noqa: F401  # imported before the clock starts, as pandas is (0.13-0.2 s)
    start, cpu_start = time.perf_counter(), time.process_time()
    info: dict[str, object] = {}
    if step == "pandas":
        info["rows"] = len(pd.read_csv(path))
    elif step == "pandas+aggregates":
        info["rows"] = _aggregates(pd.read_csv(path))
    elif step == "pandas+approx":
        info["rows"] = _approx_aggregates(pd.read_csv(path))
    elif step == "pandas-parquet":
        info["rows"] = len(pd.read_parquet(path))
    elif step.startswith("duckdb"):
        info["rows"] = _duckdb_aggregate(path)
    elif step.startswith("advisor"):
        info["rows"] = _advisor_no_probes(path)
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
    # This process's own peak: wait4's ru_maxrss also holds the parent's (Linux keeps it over fork and exec).
    status = Path("/proc/self/status").read_text()
    info["hwm_mb"] = (
        int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024
    )
    print(json.dumps(info))


def _duckdb_aggregate(path: str) -> int:
    """One DuckDB pass over the file: row count and, per column, non-null count, min and max.

    One query with ``COLUMNS(*)``: a ``DESCRIBE`` first to learn the names sniffed
    the CSV a second time (0.25 CPU s of 1.75 on the 1,000,000-row file).
    """
    import duckdb

    from advisor.compute import usable_cpus

    con = duckdb.connect()
    con.execute(f"SET threads = {usable_cpus()}")
    scan = f"read_parquet('{path}')" if path.endswith(".parquet") else f"read_csv('{path}')"
    query = f"SELECT count(*), count(COLUMNS(*)), min(COLUMNS(*)), max(COLUMNS(*)) FROM {scan}"
    return int(con.sql(query).fetchall()[0][0])


def _aggregates(frame: Any) -> int:
    """Per column, in threads: non-missing count, exact distinct count, min, max, mean, std."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from advisor.compute import usable_cpus
    from advisor.profile.kinds import sorted_distinct

    def one(series: Any) -> tuple[object, ...]:
        if series.dtype.kind in "fiu":
            values = series.to_numpy()
            values = values[~np.isnan(values)] if values.dtype.kind == "f" else values
            return (
                len(values),
                sorted_distinct(values),
                values.min(),
                values.max(),
                values.mean(),
                values.std(),
            )
        return int(series.count()), int(series.nunique()), series.min(), series.max()

    with ThreadPoolExecutor(usable_cpus()) as pool:
        list(pool.map(one, (series for _, series in frame.items())))
    return len(frame)


def _approx_aggregates(frame: Any) -> int:
    """One DuckDB query over the frame: count, non-null counts, approximate distinct counts, min, max."""
    import duckdb

    from advisor.compute import usable_cpus

    con = duckdb.connect()
    con.execute(f"SET threads = {usable_cpus()}")
    con.register("frame", frame)
    query = (
        "SELECT count(*), count(COLUMNS(*)), approx_count_distinct(COLUMNS(*)), "
        "min(COLUMNS(*)), max(COLUMNS(*)) FROM frame"
    )
    return int(con.sql(query).fetchall()[0][0])


def _advisor_no_probes(path: str) -> int:
    """``advisor recommend PATH --no-probes`` in this process; the row count from its JSON report."""
    import shutil
    import tempfile

    from advisor.cli import cli

    out = Path(tempfile.mkdtemp()) / "r.json"
    try:
        cli.main(
            ["recommend", path, "--no-probes", "-q", "--format", "json", "-o", str(out)],
            standalone_mode=False,
        )
        return int(json.loads(out.read_text())["dataset"]["source"]["n_rows"])
    finally:
        shutil.rmtree(out.parent)


def parquet_copy(path: Path) -> Path:
    """The benchmark CSV as Parquet (pyarrow's defaults: snappy, one file), made once."""
    target = path.with_suffix(".parquet")
    if not target.exists():
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        pq.write_table(pacsv.read_csv(path), target)
    return target


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
    # Modules compiled once, as on a user's machine: with PYTHONDONTWRITEBYTECODE set (as on
    # the development VM) every child compiled advisor's modules again, 0.1-0.2 s of each run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(DATA_DIR / "pycache")
    try:
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
        text, error = out_path.read_text().strip(), err_path.read_text().strip()
    finally:
        out_path.unlink(missing_ok=True)
        err_path.unlink(missing_ok=True)
    if status != 0 or not text:
        return {"error": error.splitlines()[-1] if error else f"exit status {status}"}
    info = json.loads(text.splitlines()[-1])
    info["peak_mb"] = info.get("hwm_mb") or usage.ru_maxrss / 1024  # KB on Linux
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
    parser.add_argument(
        "--steps", default=",".join(STEPS), help=f"comma-separated subset of {ALL_STEPS}, or 'all'"
    )
    parser.add_argument(
        "--shape",
        choices=("mixed", "floats", "wide"),
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
        {"mixed": f"bench_{args.rows}x25.csv", "wide": f"bench_{args.rows}x{WIDE_COLUMNS + 1}.csv"}.get(
            args.shape, f"bench_{args.rows}x25_{args.shape}.csv"
        )
    )
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        generate(path, args.rows, args.shape)
    load = os.getloadavg()[0]
    print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB, {os.cpu_count()} cores, load average {load:.1f}")
    steps = list(ALL_STEPS) if args.steps == "all" else args.steps.split(",")
    paths = {step: path for step in steps}
    if PARQUET_STEPS & set(steps):
        parquet = parquet_copy(path)
        print(f"{parquet.name}: {parquet.stat().st_size / 1e6:.0f} MB")
        paths.update({step: parquet for step in PARQUET_STEPS & set(steps)})
    runs: dict[str, list[dict[str, object]]] = {step: [] for step in steps}
    # Steps take turns, so a slow spell of a shared machine hits them alike.
    for _ in range(args.repeat):
        for step in steps:
            runs[step].append(measure(step, paths[step], args.memory_limit))
    results = {}
    for step in steps:
        ok = sorted((r for r in runs[step] if "error" not in r), key=lambda r: r["seconds"])
        cpu = sorted(r["cpu"] for r in ok)
        results[step] = (
            {**ok[0], "median": ok[len(ok) // 2]["seconds"], "cpu_median": cpu[len(cpu) // 2]}
            if ok
            else runs[step][0]
        )
    print("x pandas: the ratio to pandas reading the same file (read_csv, or read_parquet for *-parquet)")
    print("cpu s: the fastest run's CPU seconds (all threads); cpu med: the median run's, and its ratio")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(
        f"{'step':<18}{'best s':>8}{'x pandas':>10}{'median s':>10}{'x pandas':>10}{'cpu s':>8}{'cpu med':>8}"
        f"{'x pandas':>10}{'peak MB':>9}  rows profiled"
    )
    for step, r in results.items():
        if "error" in r:
            print(f"{step:<18}  failed: {r['error']}")
            continue
        base = results.get("pandas-parquet" if step in PARQUET_STEPS else "pandas", {})
        base = {} if "error" in base else base
        best = f"{r['seconds'] / base['seconds']:.2f}" if "seconds" in base else "-"
        median = f"{r['median'] / base['median']:.2f}" if "median" in base else "-"
        cpu = f"{r['cpu_median'] / base['cpu_median']:.2f}" if "cpu_median" in base else "-"
        line = f"{step:<18}{r['seconds']:>8.2f}{best:>10}{r['median']:>10.2f}{median:>10}{r['cpu']:>8.2f}"
        line += f"{r['cpu_median']:>8.2f}{cpu:>10}"
        print(f"{line}{r['peak_mb']:>9.0f}  {r.get('profiled', r['rows']):,}")


if __name__ == "__main__":
    main()
