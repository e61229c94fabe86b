"""Benchmark: the same plan locally and on a Dask LocalCluster, same seed.

Generates a table (numeric and categorical columns, a binary target with signal),
then runs ``advisor.pipeline.recommend`` on it in process and with ``workers=N``
(a LocalCluster of N one-thread processes, started and closed inside the run,
as ``--workers`` does), and prints each run's wall time, the probe stage's time,
and whether the two reports agree apart from timings and where they ran
(``TIMING_FIELDS``, ``PLACE_FIELDS``). The budget is generous so that no fit is
cut by the clock: then the plan, and so the report, is the same in both places.

    python benchmarks/bench_dask.py                       # 2,000 rows, 2 workers, 120 s budget
    python benchmarks/bench_dask.py --rows 20000 --workers 4 --budget 300
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generate(path: Path, n_rows: int, seed: int = 0) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 8)).round(5)
    segment = rng.choice([f"s{i}" for i in range(6)], size=n_rows)
    logit = X[:, 0] - 0.7 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3] + (segment == "s1")
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    frame["segment"] = segment
    frame["target"] = (logit + rng.logistic(size=n_rows) > 0).astype(int)
    frame.to_csv(path, index=False)


def run(path: Path, budget: float, seed: int, workers: int | None) -> tuple[dict, float]:
    from advisor.pipeline import recommend
    from advisor.report.json_report import render_json

    started = time.perf_counter()
    report = recommend(path, budget=budget, seed=seed, workers=workers)
    return json.loads(render_json(report)), time.perf_counter() - started


def comparable(report: dict) -> dict:
    from advisor.report.model import PLACE_FIELDS
    from tests.test_determinism import strip_timing

    return {k: v for k, v in strip_timing(report).items() if k not in PLACE_FIELDS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench_dask_{args.rows}.csv"
        generate(path, args.rows)
        local, local_s = run(path, args.budget, args.seed, None)
        remote, remote_s = run(path, args.budget, args.seed, args.workers)
    stage = {"local": local["probe_stage"], "dask": remote["probe_stage"]}
    print(f"{args.rows:,} rows, budget {args.budget:g} s, seed {args.seed}, {args.workers} workers")
    print(f"{'run':<8}{'wall s':>9}{'probes s':>10}  statuses")
    for name, report, wall in (("local", local, local_s), ("dask", remote, remote_s)):
        statuses = ", ".join(
            f"{p['name']}={p['status']}" for p in report["probes"] if p["status"] != "not_applicable"
        )
        print(f"{name:<8}{wall:>9.1f}{stage[name]['elapsed_seconds']:>10.1f}  {statuses}")
    same = comparable(local) == comparable(remote)
    print(f"reports agree apart from timings and where they ran: {same}")
    if not same:
        diff = [k for k in comparable(local) if comparable(local)[k] != comparable(remote).get(k)]
        print(f"sections that differ: {', '.join(diff)}")


if __name__ == "__main__":
    main()
