"""Benchmark: peak memory per byte of CSV text, per column kind, for whole-file reads.

Generates one CSV per column kind into ``bench-data/`` (``--mb`` MB of text
each, default 100), then runs each step in a fresh subprocess with a memory
limit high enough that the file is read whole, and reports

    factor = (peak RSS - RSS after imports) / text bytes

The child's peak RSS is its own high-water mark (``VmHWM``); the RSS after imports
is measured by the child itself just before the step starts. Steps:

- ``read``: ``advisor.io.read.read_table`` (Arrow table, then the pandas frame);
- ``recommend``: ``advisor recommend FILE --no-probes`` in-process (read, profile,
  rules, report), what a user runs.

``--gzip`` also writes each file gzipped (its text size then comes from
``advisor.io.gzsize``).

``--big-gb 5`` instead generates one CSV of that many GB in the system's temp
folder (25 mixed columns like bench_profile.py's, written by DuckDB in
parallel), runs ``advisor recommend FILE --no-probes`` on it with the default
memory limit, prints the child's wall time and peak RSS, and deletes the file.
Run ``python benchmarks/bench_memory.py --help``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench-data"
KINDS = ("numbers", "digits", "short", "long", "repeated")
STEPS = ("read", "recommend")
CHUNK_ROWS = 50_000
MB = 1024 * 1024


def generate(path: Path, kind: str, mb: float, seed: int = 0) -> None:
    """Write about ``mb`` MB of CSV of one column kind, in chunks.

    ``numbers``: 12 floats (6 decimals) and 4 integers. ``digits``: 16 one-digit
    integers (the most cells per byte). ``short``: 8 categorical
    columns (50 levels) and 4 short high-cardinality codes. ``long``: 2 free-text
    columns of 20-60 random words. ``repeated``: one mixed row over and over
    (what a gzip bomb inflates to). Every file has a binary ``target``.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(5_000)])
    levels = np.array([f"level_{i}" for i in range(50)])
    target = int(mb * MB)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        if kind == "repeated":
            fh.write("a,b,c,d,e,target\n")
            row = (
                "1.5,hello world,42,level_3,some text here,1\n2.5,hello there,7,level_4,other text here,0\n"
                * 5_000
            )
            while fh.tell() < target:
                fh.write(row)
        start = 0
        while kind != "repeated" and fh.tell() < target:
            n = CHUNK_ROWS
            cols: dict[str, object] = {}
            if kind == "digits":
                for i in range(16):
                    cols[f"d{i}"] = rng.integers(0, 10, n)
            elif kind == "numbers":
                for i in range(12):
                    cols[f"x{i}"] = rng.normal(size=n).round(6)
                for i in range(4):
                    cols[f"i{i}"] = rng.integers(0, 100_000, n)
            elif kind == "short":
                for i in range(8):
                    cols[f"c{i}"] = levels[rng.integers(0, 50, n)]
                for i in range(4):
                    cols[f"k{i}"] = [f"K{v:06d}" for v in rng.integers(0, 1_000_000, n)]
            else:
                for i in range(2):
                    lengths = rng.integers(20, 60, n)
                    cols[f"text{i}"] = [" ".join(words[rng.integers(0, len(words), m)]) for m in lengths]
            cols["target"] = rng.integers(0, 2, n)
            pd.DataFrame(cols).to_csv(fh, index=False, header=start == 0)
            start += n
    tmp.rename(path)


def child(step: str, path: str) -> None:
    """Run one step in this (child) process; print the RSS after imports and the text size as JSON."""
    import psutil

    import advisor.pipeline  # noqa: F401  (imports counted in the baseline, as in a real run)
    import advisor.profile.build  # noqa: F401
    from advisor.io.gzsize import inflate_count
    from advisor.io.memory import estimate_memory_mb, text_mix
    from advisor.io.read import read_table
    from advisor.io.sniff import sniff

    s = sniff(path)
    exact = inflate_count(Path(path), 1 << 62)[1] if s.compression else s.size_bytes
    mix = text_mix(s)
    per_byte = [0.0, 0.0, 0.0]
    if mix is not None:
        per_byte = [c / mix.text_bytes for c in (mix.number_cells, mix.text_cells, mix.text_value_bytes)]
    estimate = estimate_memory_mb(s) * MB
    baseline = psutil.Process().memory_info().rss
    huge = 1e9  # MB: always read whole
    if step == "read":
        loaded = read_table(path, memory_limit_mb=huge)
        rows = loaded.source.n_rows
    else:
        from advisor.cli import cli

        out = Path(tempfile.mkdtemp()) / "r.json"
        try:
            cli.main(
                ["recommend", path, "--no-probes", "-q", "--memory-limit", str(huge), "-o", str(out)],
                standalone_mode=False,
            )
            rows = json.loads(out.read_text())["dataset"]["source"]["n_rows"]
        finally:
            shutil.rmtree(out.parent)
    info = {"baseline": baseline, "text_bytes": exact, "sniffed_bytes": s.text_bytes, "rows": rows}
    status = Path("/proc/self/status").read_text()  # the peak of this process only (see measure)
    hwm = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) * 1024
    print(json.dumps({**info, "per_byte": per_byte, "estimate": estimate, "hwm": hwm}))


def generate_big(path: Path, gb: float, seed: int = 0) -> int:
    """About ``gb`` GB of the mixed benchmark CSV (id, 14 numeric, 9 categorical, target; 5% missing).

    Written by DuckDB from ``range()`` in parallel: pandas would take most of an
    hour for 5 GB on two cores. Returns the rows written.
    """
    import duckdb

    rows = int(gb * 1e9 / 182)  # bytes per row of this shape (bench_profile.py: 182 MB per million)
    columns = ["range AS id"]
    for i in range(14):
        value = "CAST(floor(random() * 1000) AS BIGINT)" if i % 3 == 0 else "round(random() * 6 - 3, 6)"
        columns.append(f"CASE WHEN random() < 0.05 THEN NULL ELSE {value} END AS num_{i}")
    for i in range(9):
        level = f"'level_' || CAST(floor(random() * {5 + 5 * i}) AS BIGINT)"
        columns.append(f"CASE WHEN random() < 0.05 THEN NULL ELSE {level} END AS cat_{i}")
    columns.append("CAST(random() < 0.5 AS INTEGER) AS target")
    con = duckdb.connect()
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(f"COPY (SELECT {', '.join(columns)} FROM range({rows})) TO '{path}' (HEADER, DELIMITER ',')")
    return rows


def measure_big(gb: float) -> None:
    """Peak RSS and wall time of ``advisor recommend --no-probes`` on a generated CSV of ``gb`` GB."""
    import time

    folder = Path(tempfile.mkdtemp(prefix="advisor-big-"))
    path = folder / f"big_{gb:g}gb.csv"
    try:
        start = time.perf_counter()
        rows = generate_big(path, gb)
        print(
            f"generated {path} ({path.stat().st_size / 1e9:.2f} GB, {rows:,} rows) in {time.perf_counter() - start:.0f} s"
        )
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
        cmd = [sys.executable, __file__, "--child", "big", "--path", str(path)]
        start = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
            out.seek(0)
            text = out.read().strip()
        wall = time.perf_counter() - start
        if status != 0:
            print(f"failed: {text.splitlines()[-1] if text else status}")
            return
        info = json.loads(text.splitlines()[-1])
        print(
            f"advisor recommend --no-probes: {wall:.0f} s, peak RSS {info['hwm'] / MB:,.0f} MB, "
            f"{info['rows']:,} rows, {info['profiled']:,} profiled (sampled: {info['sampled']})"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def big_child(path: str) -> None:
    """``advisor recommend PATH --no-probes`` with the default memory limit, as a user runs it."""
    from advisor.cli import cli

    out = Path(tempfile.mkdtemp()) / "r.json"
    try:
        cli.main(
            ["recommend", path, "--no-probes", "-q", "--format", "json", "-o", str(out)],
            standalone_mode=False,
        )
        source = json.loads(out.read_text())["dataset"]["source"]
    finally:
        shutil.rmtree(out.parent)
    status = Path("/proc/self/status").read_text()
    hwm = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) * 1024
    print(
        json.dumps(
            {
                "hwm": hwm,
                "rows": source["n_rows"],
                "profiled": source["n_rows_profiled"],
                "sampled": source["sampled"],
            }
        )
    )


def measure(step: str, path: Path) -> dict[str, object]:
    """Run ``step`` on ``path`` in a subprocess; its peak RSS from the kernel (wait4)."""
    cmd = [sys.executable, __file__, "--child", step, "--path", str(path)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        err.seek(0)
        text, error = out.read().strip(), err.read().strip()
    if status != 0 or not text:
        return {"error": error.splitlines()[-1] if error else f"exit status {status}"}
    info = json.loads(text.splitlines()[-1])
    # The child's own VmHWM: wait4's ru_maxrss also holds this parent's RSS (Linux keeps it over fork and exec).
    info["peak"] = info.get("hwm") or usage.ru_maxrss * 1024
    info["factor"] = (info["peak"] - info["baseline"]) / info["text_bytes"]
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="MB of text per generated file")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated subset of {KINDS}")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {STEPS}")
    parser.add_argument("--gzip", action="store_true", help="also measure each file gzipped")
    parser.add_argument(
        "--big-gb", type=float, help="instead: peak RSS of --no-probes on a generated CSV of this many GB"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "big":
        big_child(args.path)
        return
    if args.child:
        child(args.child, args.path)
        return
    if args.big_gb:
        measure_big(args.big_gb)
        return

    DATA_DIR.mkdir(exist_ok=True)
    print(
        f"{'file':<26}{'step':<11}{'text MB':>8}{'sniffed':>8}{'rows':>11}{'base MB':>8}{'peak MB':>8}"
        f"{'factor':>7}{'est. MB':>8}"
    )
    fits: dict[str, list[dict[str, object]]] = {}
    for kind in args.kinds.split(","):
        path = DATA_DIR / f"mem_{kind}_{args.mb:g}mb.csv"
        if not path.exists():
            generate(path, kind, args.mb)
        paths = [path]
        if args.gzip:
            gz = path.with_suffix(".csv.gz")
            if not gz.exists():
                with open(path, "rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
                    shutil.copyfileobj(src, dst, 4 * MB)
            paths.append(gz)
        for p in paths:
            for step in args.steps.split(","):
                r = measure(step, p)
                if "error" in r:
                    print(f"{p.name:<26}{step:<11}  failed: {r['error']}")
                    continue
                fits.setdefault(step, []).append(r)
                print(
                    f"{p.name:<26}{step:<11}{r['text_bytes'] / MB:>8.0f}{r['sniffed_bytes'] / MB:>8.0f}"
                    f"{r['rows']:>11,}{r['baseline'] / MB:>8.0f}{r['peak'] / MB:>8.0f}{r['factor']:>7.2f}"
                    f"{r['estimate'] / MB:>8.0f}",
                    flush=True,
                )
    for step, runs in fits.items():
        _fit(step, runs)


def _fit(step: str, runs: list[dict[str, object]]) -> None:
    """Least-squares bytes per number cell, per text cell and per text byte (what read.py's constants hold)."""
    import numpy as np

    if len(runs) < 3:
        return
    x = np.array([r["per_byte"] for r in runs]) * np.array([[r["text_bytes"]] for r in runs])
    y = np.array([r["peak"] - r["baseline"] for r in runs], dtype=float)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    ratios = [(r["peak"] - r["baseline"]) / (x[i] @ coef) for i, r in enumerate(runs)]
    worst = max(ratios)
    print(f"{step}: measured / fitted per file: " + ", ".join(f"{v:.2f}" for v in ratios))
    print(
        f"{step}: bytes per number cell {coef[0]:.1f}, per text cell {coef[1]:.1f}, per text byte {coef[2]:.2f}; "
        f"worst measured / fitted {worst:.2f}"
    )


if __name__ == "__main__":
    main()
