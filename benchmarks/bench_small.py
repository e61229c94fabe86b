"""Benchmark: small data end to end, advisor against LazyPredict, taking turns.

Writes scikit-learn's breast-cancer table (569 rows, 30 numeric columns, a binary
target) to a CSV, then runs, in turns, each as a fresh process (imports included):

- ``advisor recommend DATA -q --format json -o OUT`` with default flags (on small data
  the fits run in a pool of forked processes, one per core: ``advisor/probing/pool.py``);
- the same with the pool turned off (every fit in one process), for the pool's effect;
- LazyPredict's ``LazyClassifier`` on one 80/20 split, as installed (0.3.0 imports
  torch and LightGBM when they are there), and with torch's import blocked.

Prints, per command, the medians over the turns of wall time, CPU time (user + sys
of the process and every process it waited for: the pool's workers too) and peak
RSS (the largest single process), and each median's ratio to LazyPredict's. On a
machine other people use, wall time depends on their load; CPU time much less so.

LazyPredict is not a dependency: install it anywhere and pass that folder, e.g.
``pip install --target /tmp/lpsite --no-deps lazypredict`` (its other requirements,
scikit-learn, pandas, numpy, joblib, click, tqdm, are advisor's or small).

    python benchmarks/bench_small.py --lazypredict-path /tmp/lpsite          # 3 turns
    python benchmarks/bench_small.py --turns 5 --skip lazypredict-no-torch
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAZYPREDICT = """
import sys, warnings
warnings.filterwarnings("ignore")
class NoTorch:  # import torch raises ImportError, as where it is not installed: LazyPredict skips it
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch blocked by bench_small.py")
if sys.argv[2] == "no-torch":
    sys.meta_path.insert(0, NoTorch())
import pandas as pd
from sklearn.model_selection import train_test_split
from lazypredict.Supervised import LazyClassifier
frame = pd.read_csv(sys.argv[1])
y = frame.pop("target")
Xtr, Xte, ytr, yte = train_test_split(frame, y, test_size=0.2, random_state=0)
models, _ = LazyClassifier(verbose=0, ignore_warnings=True).fit(Xtr, Xte, ytr, yte)
print(len(models), "models", file=sys.stderr)
"""

# The pool turned off for one run: the module constant read when the executor is chosen.
IN_PROCESS = """
import sys
from advisor.probing import pool
pool.POOL_MAX_ROWS = 0
from advisor.cli import main
sys.argv = ["advisor", *sys.argv[1:]]
main()
"""


def commands(data: Path, out: Path) -> dict[str, list[str]]:
    advisor = ["recommend", str(data), "-q", "--format", "json", "-o", str(out)]
    return {
        "advisor": [sys.executable, "-m", "advisor.cli", *advisor],
        "advisor-in-process": [sys.executable, "-c", IN_PROCESS, *advisor],
        "lazypredict": [sys.executable, "-c", LAZYPREDICT, str(data), "as-installed"],
        "lazypredict-no-torch": [sys.executable, "-c", LAZYPREDICT, str(data), "no-torch"],
    }


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one run of ``cmd`` as a child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[-1]!r} run exited {proc.returncode}: {err.strip()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--lazypredict-path", default="", help="folder LazyPredict is installed in")
    parser.add_argument("--skip", action="append", default=[], help="a command not to run")
    args = parser.parse_args()

    from sklearn.datasets import load_breast_cancer

    env = dict(os.environ)
    if args.lazypredict_path:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (args.lazypredict_path, env.get("PYTHONPATH")) if p)
    start_load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "breast_cancer.csv", Path(tmp) / "report.json"
        load_breast_cancer(as_frame=True).frame.to_csv(data, index=False)
        runs = {k: v for k, v in commands(data, out).items() if k not in args.skip}
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in runs}
        for turn in range(args.turns):
            for name, cmd in runs.items():  # in turns: a change in load hits every command
                results[name].append(measure(cmd, env))
                wall, cpu, rss = results[name][-1]
                print(f"turn {turn + 1} {name:22} wall {wall:6.2f} s  cpu {cpu:6.2f} s  rss {rss:5.0f} MB")
    load = os.getloadavg()
    medians = {k: tuple(statistics.median(r[i] for r in v) for i in range(3)) for k, v in results.items()}
    ref = medians.get("lazypredict")
    print(
        f"\nmedians of {args.turns} turns; load average (1, 5, 15 min) at the start {start_load[0]:.1f} "
        f"{start_load[1]:.1f} {start_load[2]:.1f}, at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    print(
        f"{'command':22} {'wall s':>8} {'cpu s':>8} {'rss MB':>8}"
        + ("   x LazyPredict (wall, cpu)" if ref else "")
    )
    for name, (wall, cpu, rss) in medians.items():
        ratio = f"   {wall / ref[0]:.1f}x, {cpu / ref[1]:.1f}x" if ref else ""
        print(f"{name:22} {wall:8.2f} {cpu:8.2f} {rss:8.0f}{ratio}")


if __name__ == "__main__":
    main()
