"""Benchmark: do learning-curve projections from a 10% sample hold up on all rows?

For each case (generated data of known difficulty, and sets that ship with
scikit-learn), every probe runs through the runner twice, on the same seeded
plan logic: once on a seeded 10% row sample (with its learning curve), once on
all rows (full-size fits only, the first repeat's k folds). The sample's fold
training size times 10 is the full data's, so the projection at "10x" is
compared with the score measured on all rows, same probe.

Printed per probe: the 10% score (the "last anchor" guess), the projection,
its 80% interval, the measured score, the error and whether the interval holds
it; and, with ``--before PATH`` (a copy of an older ``advisor/probing/curves.py``),
that version's projection on the same curve points. Summary: share within 1.5
points, interval coverage, mean absolute error against the last-anchor guess.
Errors are in points (1 point = 0.01 of the metric).

``--dump PATH`` writes every probe's measured fits (per fold and size, with
whether the clock cut them) and the score on all rows as JSON; ``--replay PATH``
refits the curves from such a file without running a probe (seconds, not
minutes: the way to compare two versions of the curve code on the same points).

``--seed 0,1,2,3,4`` repeats the whole measurement on other seeded samples and
folds and adds a summary over the seeds: one seed's mean error moves by a point
between seeds (1.51 to 2.73 over five, 2026-12-03), so a change is judged on
several. ``--replay`` takes several dumps, comma-separated, the same way; a later dump's
measurement of a case, probe and seed replaces an earlier one's (``--probes lightgbm`` rerun,
replayed over a whole dump).

    python benchmarks/bench_curves.py --dump /tmp/curves.json
    python benchmarks/bench_curves.py --seed 0,1,2,3,4 --dump /tmp/curves.json   # about 18 min
    python benchmarks/bench_curves.py --replay /tmp/curves.json --before /tmp/old_curves.py
    python benchmarks/bench_curves.py --before /tmp/old_curves.py --cases friedman,digits
    python benchmarks/bench_curves.py --probes lightgbm --seed 0,1,2,3,4 --dump /tmp/lgb.json   # about 5 min
    python benchmarks/bench_curves.py --simulate 150 --before /tmp/old_curves.py   # seeded curves, no probe
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.data import ProbeData  # noqa: E402
from advisor.probe_api import Budget  # noqa: E402
from advisor.probing import runner  # noqa: E402
from advisor.probing import summary as probe_summary  # noqa: E402
from advisor.probing.executor import IN_PROCESS  # noqa: E402
from advisor.probing.metrics import METRIC_MAX  # noqa: E402
from advisor.probing.plan import make_plan  # noqa: E402

SAMPLE = 0.1
PROBE_BUDGET = 120.0  # seconds per probe run: generous, so fits converge


def _frame(X: np.ndarray, y: np.ndarray, task: str, classes: list[str] | None = None) -> ProbeData:
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    y = y.astype(np.float64 if task == "regression" else np.int64)
    return ProbeData(
        task=task, modality="tabular", y=y, class_names=classes or ([] if task == "regression" else
        [str(c) for c in sorted(set(y.tolist()))]), X=df,
        feature_kinds={c: "numeric" for c in df.columns}, n_rows_total=len(y),
    )  # fmt: skip


def friedman() -> ProbeData:
    """Nonlinear regression (Friedman #1): GBDT and nets keep improving with rows."""
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=5000, n_features=10, noise=1.0, random_state=0)
    return _frame(X, y, "regression")


def noisy_linear() -> ProbeData:
    """Linear regression with heavy noise: every family saturates early."""
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=5000, n_features=20, n_informative=8, noise=60.0, random_state=1)
    return _frame(X, y, "regression")


def interactions() -> ProbeData:
    """Binary classification driven by pairwise interactions (XOR of signs plus a product)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5000, 8))
    logit = 2.0 * np.sign(X[:, 0] * X[:, 1]) + 1.5 * X[:, 2] * X[:, 3] + 0.5 * X[:, 4]
    y = (rng.uniform(size=len(X)) < 1 / (1 + np.exp(-logit))).astype(int)
    return _frame(X, y, "binary")


def hastie() -> ProbeData:
    """Hastie et al. 10.2: a sum-of-squares boundary, hard for linear models."""
    from sklearn.datasets import make_hastie_10_2

    X, y = make_hastie_10_2(n_samples=5000, random_state=3)
    return _frame(X, (y > 0).astype(int), "binary")


def digits() -> ProbeData:
    """sklearn digits (1,797 rows, 10 classes, macro-F1)."""
    from sklearn.datasets import load_digits

    b = load_digits()
    return _frame(b.data, b.target, "multiclass", [str(c) for c in b.target_names])


def cancer() -> ProbeData:
    """sklearn breast cancer (569 rows, ROC AUC): a 10% sample is 57 rows."""
    from sklearn.datasets import load_breast_cancer

    b = load_breast_cancer()
    return _frame(b.data, b.target, "binary", [str(c) for c in b.target_names])


CASES: dict[str, Callable[[], ProbeData]] = {
    "friedman": friedman,
    "noisy_linear": noisy_linear,
    "interactions": interactions,
    "hastie": hastie,
    "digits": digits,
    "cancer": cancer,
}


PROBES = ("linear", "lightgbm", "mlp")


def _probes(names: Sequence[str] = PROBES) -> list[Any]:
    sys.path.insert(0, str(ROOT))
    from probes.lightgbm import LightGBMProbe
    from probes.linear import LinearProbe
    from probes.mlp import MLPProbe

    return [p for p in (LinearProbe(), LightGBMProbe(), MLPProbe()) if p.name in names]


def _load_module(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("curves_before", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@dataclass
class Row:
    case: str
    probe: str
    metric: str
    last: float
    projected: float
    low: float
    high: float
    measured: float
    family: str
    before: float = math.nan
    n_cut: int = 0  # curve points the clock cut
    seed: int = 0

    @property
    def error(self) -> float:
        return 100 * (self.projected - self.measured)

    @property
    def inside(self) -> bool:
        return self.low <= self.measured <= self.high


class _CutRecorder:
    """The in-process executor, recording which fits the clock cut (the runner's
    ``Fit`` does not carry it yet): (fold, fraction index) -> cut."""

    info = IN_PROCESS.info

    def __init__(self) -> None:
        self.cut: dict[tuple[int, int], bool] = {}

    def warm_up(self, *args: Any) -> float:
        return IN_PROCESS.warm_up(*args)

    def session(self, probe: Any, data: Any, *, keep_models: bool, progress: Any = None) -> Any:
        inner = IN_PROCESS.session(probe, data, keep_models=keep_models, progress=progress)
        seen = self.cut

        class Session:
            in_process = True
            tests = inner.tests

            def start(self, tasks: Any) -> None:
                inner.start(tasks)

            def fit(self, task: Any, wait: Any) -> Any:
                out = inner.fit(task, wait)
                if out is not None:
                    seen[(task.fold, task.frac_index)] = bool(out.cut)
                return out

            def close(self) -> None:
                inner.close()

        return Session()


@dataclass
class Measured:
    """One probe's curve inputs on the 10% sample and its score on all rows."""

    case: str
    probe: str
    metric: str
    n_folds: int
    fits: list[dict[str, Any]]  # fold, frac_index, n_train, score, cut
    n_targets: dict[str, int]
    anchor: list[float]  # the sample's full-size score per fold
    measured: float
    n_train_full: int
    seed: int = 0  # of the sample and the folds (dumps written before seeds were recorded: 0)


def measure_case(
    name: str,
    make: Callable[[], ProbeData],
    seed: int,
    budget: float = PROBE_BUDGET,
    probe_names: Sequence[str] = PROBES,
) -> list[Measured]:
    data = make()
    n = len(data)
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n, size=int(round(SAMPLE * n)), replace=False))
    small = replace(data.take(idx), n_rows_total=len(idx))
    s_data, s_plan = make_plan(small, seed=seed, budget_seconds=60, max_rows=len(small))
    f_data, f_plan = make_plan(data, seed=seed, budget_seconds=60, max_rows=n)
    k = len(f_plan.folds) // max(f_plan.n_repeats, 1)
    f_plan = replace(f_plan, folds=f_plan.folds[:k], n_repeats=1, curve_fractions=(1.0,))
    out = []
    for probe in _probes(probe_names):
        captured: dict[str, Any] = {}
        recorder = _CutRecorder()
        original = runner.summarise

        def spy(
            result: Any, fits: Any, *args: Any, _seen: dict[str, Any] = captured,
            _cut: dict[tuple[int, int], bool] = recorder.cut, _summarise: Any = original, **kw: Any,
        ) -> Any:  # fmt: skip
            for f in fits:
                f.cut = _cut.get((f.fold, f.frac_index), False)
            _seen["fits"] = list(fits)
            return _summarise(result, fits, *args, **kw)

        runner.summarise = spy  # the runner's summary step fits the curve
        try:
            res = runner.evaluate_probe(probe, s_data, s_plan, Budget(budget), "cpu", executor=recorder)
        finally:
            runner.summarise = original
        full = runner.evaluate_probe(probe, f_data, f_plan, Budget(PROBE_BUDGET), "cpu")
        fit = res.curve_fit
        if res.score is None or full.score is None or fit is None or not fit.ok:
            print(
                f"  {name}/{probe.name}: no projection ({res.status} {res.reason}; {fit.note if fit else ''})"
            )
            continue
        fits = captured["fits"]
        out.append(
            Measured(
                case=name,
                probe=probe.name,
                metric=s_plan.metric,
                n_folds=len(s_plan.folds),
                fits=[
                    {
                        "fold": f.fold,
                        "frac_index": f.frac_index,
                        "n_train": f.n_train,
                        "score": f.metrics.get(s_plan.metric, math.nan),
                        "cut": f.cut,
                    }
                    for f in fits
                ],
                n_targets=dict(fit.predicted_rows),
                anchor=[float(v) for v in res.score.folds],
                measured=float(full.score.mean),
                n_train_full=int(full.n_train),
                seed=seed,
            )  # fmt: skip
        )
        n_cut = sum(f.cut for f in fits if f.frac_index < len(s_plan.curve_fractions) - 1)
        print(
            f"  {name}/{probe.name}: {len(res.curve)} anchors up to {res.n_train:,} rows ({n_cut} cut); "
            f"measured {full.score.mean:.3f} at {full.n_train:,} rows",
            flush=True,
        )
    return out


def project(m: Measured, curves: Any, honour_cut: bool = True) -> tuple[Any, float]:
    """``curves``' fit of ``m``'s points (``curves``: a curves module), and the last anchor."""
    from advisor.probing.metrics import aggregate

    fits = [
        probe_summary.Fit(
            f["fold"], f["frac_index"], f["n_train"], 0, 0.0, 0.0, {m.metric: f["score"]}, f["cut"]
        )
        for f in m.fits
    ]
    points, cut = probe_summary.curve_points(fits, m.n_folds, m.metric)
    anchor = aggregate(m.anchor)
    kw: dict[str, Any] = {"metric_max": METRIC_MAX.get(m.metric, 1.0), "n_targets": m.n_targets}
    params = curves.fit_learning_curve.__code__.co_varnames
    if "anchor" in params:
        kw["anchor"] = anchor
    if "cut" in params and honour_cut:
        kw["cut"] = cut
    return curves.fit_learning_curve(points, **kw), anchor.mean


def rows_of(measured: list[Measured], before: Any, honour_cut: bool = True) -> list[Row]:
    from advisor.probing import curves

    rows = []
    for m in measured:
        fit, last = project(m, curves, honour_cut)
        if not fit.ok or "10x" not in fit.predicted:
            print(f"  {m.case}/{m.probe}: no projection ({fit.note})")
            continue
        old = math.nan
        if before is not None:
            ofit, _ = project(m, before)
            old = ofit.predicted["10x"].mean if ofit.ok and "10x" in ofit.predicted else last
        n_cut = sum(f["cut"] for f in m.fits if f["n_train"] < 0.9 * m.n_targets["10x"] / 10)
        rows.append(
            Row(
                case=m.case,
                probe=m.probe,
                metric=m.metric,
                last=last,
                projected=fit.predicted["10x"].mean,
                low=fit.predicted_low["10x"],
                high=fit.predicted_high["10x"],
                measured=m.measured,
                family=fit.family,
                before=old,
                n_cut=n_cut,
                seed=m.seed,
            )  # fmt: skip
        )
    return rows


def table(rows: list[Row], with_before: bool) -> str:
    head = [
        "case",
        "probe",
        "metric",
        "10% score",
        "projected 10x (80% interval)",
        "measured",
        "error",
        "inside",
        "cut points",
    ]
    if with_before:
        head.insert(4, "before")
    several = len({r.seed for r in rows}) > 1
    if several:
        head.insert(0, "seed")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            r.case, r.probe, r.metric, f"{r.last:.3f}", f"{r.projected:.3f} ({r.low:.3f} to {r.high:.3f}) {r.family}",
            f"{r.measured:.3f}", f"{r.error:+.1f}", "yes" if r.inside else "**no**", str(r.n_cut),
        ]  # fmt: skip
        if with_before:
            cells.insert(4, f"{r.before:.3f}")
        if several:
            cells.insert(0, str(r.seed))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(rows: list[Row], with_before: bool) -> str:
    def stats(errors: list[float]) -> str:
        # Two decimals: the goal is 1.5 points, and 1.54 is not met.
        e = np.abs(errors)
        return (
            f"mean |error| {np.mean(e):.2f} points (signed {np.mean(errors):+.2f}), "
            f"within 1.5 points {np.mean(e <= 1.5):.0%}"
        )

    widths = [100 * (r.high - r.low) for r in rows]
    seeds = sorted({r.seed for r in rows})
    out = [
        f"{len(rows)} projections at 10x"
        + (f", seeds {', '.join(map(str, seeds))} pooled." if len(seeds) > 1 else "."),
        f"- new curves: {stats([r.error for r in rows])}; 80% interval coverage "
        f"{np.mean([r.inside for r in rows]):.0%} ({sum(r.inside for r in rows)} of {len(rows)}); "
        f"median width {np.median(widths):.1f} points, widest {np.max(widths):.1f}",
        f"- last anchor (the 10% score as the guess): {stats([100 * (r.last - r.measured) for r in rows])}",
    ]
    if with_before:
        out.append(
            f"- before (the --before curves.py on the same points): {stats([100 * (r.before - r.measured) for r in rows])}"
        )
    if len(seeds) > 1:
        per_seed = [float(np.mean([abs(r.error) for r in rows if r.seed == s])) for s in seeds]
        cover = [float(np.mean([r.inside for r in rows if r.seed == s])) for s in seeds]
        out.append(
            f"- per seed: mean |error| {', '.join(f'{e:.2f}' for e in per_seed)} (mean {np.mean(per_seed):.2f}, "
            f"standard error {np.std(per_seed, ddof=1) / math.sqrt(len(seeds)):.2f}); coverage "
            f"{', '.join(f'{c:.0%}' for c in cover)}"
        )
    return "\n".join(out)


def simulate(curves: Any, per_kind: int) -> str:
    """Mean |error| at 10x (points, signed in brackets) and 80% coverage of ``curves``' fit on
    the seeded runner-shaped curves of tests/test_probing_curve_weights.py: 10% samples of
    3,000 to 10,000 rows (fold training rows 240 to 800, 6 to 8 anchors on the planner's
    grid), ``per_kind`` curves of each kind, from both generators (the sample's luck on the
    anchor only, and shared as the runner's is)."""
    from tests.test_probing_curve_weights import _shared_luck_curve, projections
    from tests.test_probing_curves import _runner_curve

    out = []
    for make, seed in ((_runner_curve, 100), (_shared_luck_curve, 300)):
        signed, inside = projections(make, seed, per_kind, curves)
        err = 100 * signed
        out.append(
            f"{make.__name__}: mean |error| {np.mean(np.abs(err)):.2f} points ({np.mean(err):+.2f}), "
            f"coverage {np.mean(inside):.1%}"
        )
    return "; ".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    ap.add_argument("--before", default="", help="path of an older curves.py to compare with")
    ap.add_argument("--probes", default=",".join(PROBES), help="comma-separated: " + ", ".join(PROBES))
    ap.add_argument("--seed", default="0", help="seed, or seeds comma-separated (each a whole run)")
    ap.add_argument(
        "--budget", type=float, default=PROBE_BUDGET, help="seconds per probe run on the 10%% sample"
    )
    ap.add_argument("--ignore-cut", action="store_true", help="fit cut curve points too (the old behaviour)")
    ap.add_argument("--dump", default="", help="write the measured fits to this JSON file")
    ap.add_argument(
        "--replay", default="", help="refit the curves of --dump files (comma-separated); run no probe"
    )
    ap.add_argument(
        "--simulate", type=int, default=0, help="instead: this many seeded simulated curves a kind (150)"
    )
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    before = _load_module(args.before) if args.before else None
    if args.simulate:
        from advisor.probing import curves

        print("new:   ", simulate(curves, args.simulate))
        if before is not None:
            print("before:", simulate(before, args.simulate))
        return 0
    started = time.perf_counter()
    measured: list[Measured] = []
    if args.replay:
        measured = [
            Measured(**m) for path in args.replay.split(",") for m in json.loads(Path(path).read_text())
        ]
        # A later dump's measurement replaces an earlier one's of the same case, probe and seed
        # (a rerun of one probe replayed over a whole dump).
        measured = list({(m.case, m.probe, m.seed): m for m in measured}.values())
        wanted, probes = set(args.cases.split(",")), set(args.probes.split(","))
        measured = [m for m in measured if m.case in wanted and m.probe in probes]
    else:
        for seed in (int(s) for s in args.seed.split(",")):
            for name in args.cases.split(","):
                print(f"{name} (seed {seed}):", flush=True)
                measured += measure_case(name, CASES[name], seed, args.budget, args.probes.split(","))
        if args.dump:
            Path(args.dump).write_text(json.dumps([m.__dict__ for m in measured], indent=1))
    rows = rows_of(measured, before, honour_cut=not args.ignore_cut)
    print()
    print(table(rows, before is not None))
    print()
    print(summary(rows, before is not None))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
