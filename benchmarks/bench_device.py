"""Benchmark: the neural probes with ``--device cuda`` against ``--device cpu``, same data, same budget.

Meant for a machine with an NVIDIA GPU (docs/benchmarks.md, "On a GPU", holds the last
run). Each case is written to a temporary folder, then ``advisor recommend`` runs in a
subprocess once per device, taking turns (cpu, cuda, cpu, cuda, ... with ``--turns``),
so both see the same machine. Wall time is measured from outside (CUDA's start-up
included); per probe the table shows the device it ran on, its score with the spread
over folds, the mean fit seconds at the full size, whether the budget cut it, and
what the net was given (epochs, image side), as its report says.

    python benchmarks/bench_device.py                                  # every case, 20 s budget
    python benchmarks/bench_device.py --cases digits,wide --budget 10 --json out.json
    python benchmarks/bench_device.py --cases tones,digits --devices cuda,cuda-untuned   # cuDNN's autotuner
    python benchmarks/bench_device.py --crossover 250,500,1000,2000,4000,16000   # the MLP's fit by size
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bench_verdict's case makers
sys.path.insert(0, str(HERE.parent))

import bench_verdict as bv  # noqa: E402

from advisor import families  # noqa: E402

SHOWN_PARAMS = ("epochs", "epochs_run", "best_epoch", "side", "batch_size", "precision", "hidden")


def wide_arrays(n: int, d: int = 32, seed: int = 0) -> tuple[Any, Any]:
    """``n`` rows x ``d`` Gaussian features; the target is a smooth nonlinear function of
    them (sums of products and sines), the kind of signal an MLP can learn if it gets
    the epochs: where the GPU's throughput should show."""
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=(d, 8)) / np.sqrt(d)
    h = np.sin(X @ w)
    logit = h @ rng.normal(size=8) + 0.5 * (X[:, 0] * X[:, 1])
    y = (logit + rng.logistic(size=n) * 0.3 > np.median(logit)).astype(int)
    return X, y


def make_wide(folder: Path, n: int = 100_000, d: int = 32, seed: int = 0) -> Path:
    """``wide_arrays`` as a CSV."""
    import pandas as pd

    X, y = wide_arrays(n, d, seed)
    frame = pd.DataFrame(X.round(4), columns=[f"x{i}" for i in range(d)])
    frame["target"] = y
    path = folder / "wide.csv"
    frame.to_csv(path, index=False)
    return path


CASES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "breast_cancer": (bv.make_breast_cancer, ()),
    "digits": (bv.make_digits, ()),
    "tones": (bv.make_tones, ()),
    "sensors": (bv.make_sensors, ("--target", "alarm")),
    "wide": (make_wide, ()),
}


# Runs other than a plain --device: the CLI in a child whose probes' settings are changed first.
VARIANTS = {
    # cuDNN's autotuner off for the CNNs' fits (``probes/_torch.CUDNN_BENCHMARK``).
    "cuda-untuned": ("cuda", "import advisor_probes._torch as t; t.CUDNN_BENCHMARK = False"),
}


def run_once(path: Path, extra: tuple[str, ...], device: str, budget: float) -> dict:
    args = ["recommend", str(path), "--format", "json", "-q", "--budget", str(budget), "--seed", "0", *extra]
    if device in VARIANTS:
        real, setup = VARIANTS[device]
        code = f"{setup}; import sys; from advisor.cli import main; sys.argv[0] = 'advisor'; main()"
        cmd = [sys.executable, "-c", code, *args, "--device", real]
    else:
        cmd = [sys.executable, "-m", "advisor", *args, "--device", device]
    start = time.perf_counter()
    try:  # a hung run (a GPU that never answers) is a result too, not the end of the table
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=4 * budget + 120,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"device": device, "wall": time.perf_counter() - start, "error": ["timed out"]}
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return {"device": device, "wall": wall, "error": done.stderr.strip().splitlines()[-1:]}
    report = json.loads(done.stdout)
    probes = []
    for p in report["probes"]:
        score = p.get("score") or {}
        params = p.get("params") or {}
        probes.append(
            {
                "name": p["name"],
                "family": p["family"],
                "status": p["status"],
                "device": p.get("device"),
                "mean": score.get("mean"),
                "std": score.get("std"),
                "fit_seconds": p.get("fit_seconds"),
                "fits_cut": p.get("fits_cut", 0),
                "params": {k: params[k] for k in SHOWN_PARAMS if k in params},
                "reason": p.get("reason", ""),
            }
        )
    rec = report.get("recommendation") or {}
    return {
        "device": device,
        "wall": wall,
        "gpu": (report.get("compute") or {}).get("gpu_name"),
        "verdict": rec.get("family"),
        "probes": probes,
    }


def crossover(sizes: list[int], devices: list[str], repeats: int = 3) -> str:
    """The MLP probe's fit on ``n`` rows of ``wide_arrays`` on each device, in this process
    (after a warm-up fit there, so CUDA's start-up is not in it): median seconds a fit, its
    epochs (early stopping ends them) and seconds an epoch. Where a GPU starts to pay for a
    net: ``advisor/verdict/planning.GPU_PAYS_FROM_ROWS``."""
    import statistics

    import numpy as np
    import pandas as pd
    from advisor_probes.mlp import MLPProbe

    from advisor.data import ProbeData
    from advisor.probe_api import FitContext

    X, y = wide_arrays(max(sizes))

    def data(n: int) -> ProbeData:
        frame = pd.DataFrame(X[:n], columns=[f"x{i}" for i in range(X.shape[1])])
        return ProbeData(
            task="binary", modality="tabular", y=y[:n].astype(np.int64), class_names=["0", "1"],
            X=frame, feature_kinds=dict.fromkeys(frame.columns, "numeric"), n_rows_total=n,
        )  # fmt: skip

    lines = ["| rows | device | fit s (median) | epochs | s an epoch |", "|---|---|---|---|---|"]
    for device in devices:
        MLPProbe().fit(data(min(sizes)), FitContext(seed=0, device=device, time_limit=30.0))
        for n in sizes:
            seconds, epochs = [], []
            for seed in range(repeats):
                start = time.perf_counter()
                model = MLPProbe().fit(data(n), FitContext(seed=seed, device=device, time_limit=120.0))
                seconds.append(time.perf_counter() - start)
                epochs.append(int(model.params.get("epochs_run", 0)) or 1)
            fit, ep = statistics.median(seconds), statistics.median(epochs)
            lines.append(f"| {n:,} | {device} | {fit:.3f} | {ep:g} | {fit / ep:.4f} |")
            print(f"crossover {n} {device}: {fit:.3f} s", file=sys.stderr, flush=True)
    return "\n".join(lines)


def table(results: dict[str, list[dict]]) -> str:
    lines = [
        "| case | device | wall s | verdict | probe | ran on | score (sd) | fit s | cut fits | given |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case, runs in results.items():
        for run in runs:
            if "error" in run:
                lines.append(
                    f"| {case} | {run['device']} | {run['wall']:.1f} | error: {run['error']} |||||||"
                )
                continue
            for p in run["probes"]:
                if not families.neural(p["family"]) or p["status"] == "not_applicable":
                    continue  # the nets are what a device changes; the table keeps to them
                score = "-" if p["mean"] is None else f"{p['mean']:.3f} ({p['std']:.3f})"
                fit = "-" if not p["fit_seconds"] else f"{p['fit_seconds']:.2f}"
                given = ", ".join(f"{k} {v}" for k, v in p["params"].items()) or p["reason"][:60]
                lines.append(
                    f"| {case} | {run['device']} | {run['wall']:.1f} | {run['verdict']} | {p['name']} | "
                    f"{p['device']} | {score} | {fit} | {p['fits_cut']} | {given} |"
                )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--turns", type=int, default=1, help="cpu/cuda pairs per case")
    ap.add_argument("--devices", default="cpu,cuda", help="cpu, cuda and " + ", ".join(VARIANTS))
    ap.add_argument("--json", help="also write every run's numbers here")
    ap.add_argument(
        "--crossover",
        metavar="ROWS",
        help="only the MLP's fits at these sizes (comma-separated) on each device",
    )
    args = ap.parse_args()
    if args.crossover:
        devices = [d for d in args.devices.split(",") if d not in VARIANTS]
        print(crossover([int(n) for n in args.crossover.split(",")], devices))
        return
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_device_") as tmp:
        for name in args.cases.split(","):
            make, extra = CASES[name]
            folder = Path(tmp) / name
            folder.mkdir()
            path = make(folder)
            for _ in range(args.turns):
                for device in args.devices.split(","):
                    run = run_once(path, extra, device, args.budget)
                    results.setdefault(name, []).append(run)
                    print(f"{name} {device}: {run['wall']:.1f} s", file=sys.stderr, flush=True)
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
